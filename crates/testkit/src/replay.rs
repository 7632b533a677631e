//! Local HTTP servers that stand in for arXiv and Hugging Face, answering from recorded files.

use axum::http::{header, HeaderMap};
use axum::response::Response;
use std::io::{BufRead, BufReader, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request a [`Mock`] received.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The path.
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// The `User-Agent` sent.
    pub user_agent: String,
    /// When it arrived.
    pub at: Instant,
}

impl Hit {
    /// The decoded value of a query parameter.
    pub fn param(&self, name: &str) -> Option<String> {
        query_param(&self.query, name)
    }
}

/// The decoded value of a parameter of a query string.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A local HTTP server (on the test's runtime) whose answers come from a closure, recording
/// every request.
pub struct Mock {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Mock {
    /// Starts a server answering every request with `reply`.
    pub async fn start(reply: impl Fn(&Hit) -> Response + Send + Sync + 'static) -> Mock {
        let hits = Arc::new(Mutex::new(Vec::<Hit>::new()));
        let reply = Arc::new(reply);
        let h = hits.clone();
        let app = axum::Router::new().fallback(move |headers: HeaderMap, uri: axum::http::Uri| {
            let (hits, reply) = (h.clone(), reply.clone());
            async move {
                let hit = Hit {
                    path: uri.path().to_string(),
                    query: uri.query().unwrap_or("").to_string(),
                    user_agent: headers
                        .get(header::USER_AGENT)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string(),
                    at: Instant::now(),
                };
                if let Ok(mut hits) = hits.lock() {
                    hits.push(hit.clone());
                }
                reply(&hit)
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let addr = listener.local_addr().expect("a local address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Mock {
            base: format!("http://{addr}"),
            hits,
        }
    }

    /// Every request so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// The raw query strings so far, in order.
    pub fn queries(&self) -> Vec<String> {
        self.hits().into_iter().map(|h| h.query).collect()
    }
}

/// A one-route HTTP server on its own thread (for tests without a runtime, that drive the
/// binary): answers every request with `body` as XML, the first one only after `first_delay`
/// (a job still running when its server is killed), and counts requests. Returns its port.
pub fn fixed(body: String, first_delay: Duration) -> (u16, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
    let port = listener.local_addr().expect("a local address").port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let body = body.clone();
            let n = counter.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let Ok(read) = stream.try_clone() else { return };
                let mut reader = BufReader::new(read);
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                    line.clear();
                }
                if n == 0 {
                    std::thread::sleep(first_delay);
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    body.len(),
                    body
                );
            });
        }
    });
    (port, hits)
}

/// A free local port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// GET over a fresh connection, without a runtime: (status, body), or `None` when nothing
/// answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http_get_with(port, path, &[])
}

/// [`http_get`] with extra headers.
pub fn http_get_with(port: u16, path: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
    use std::io::Read;
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.get(9..12)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// Waits (up to 15 s) until a server on `port` answers `/healthz`.
pub fn wait_up(port: u16) -> bool {
    for _ in 0..150 {
        if http_get(port, "/healthz").is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
