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
    /// Every header sent, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Hit {
    /// The value of a request header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

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
    app: axum::Router,
    addr: std::net::SocketAddr,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
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
                    headers: headers
                        .iter()
                        .filter_map(|(k, v)| {
                            Some((k.as_str().to_string(), v.to_str().ok()?.to_string()))
                        })
                        .collect(),
                };
                if let Ok(mut hits) = hits.lock() {
                    hits.push(hit.clone());
                }
                // One request per connection, so a stopped server is gone for every client
                // (no kept-alive connection outlives it).
                let mut r = reply(&hit);
                r.headers_mut().insert(
                    header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                );
                r
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let addr = listener.local_addr().expect("a local address");
        let task = Mutex::new(Some(serve(listener, app.clone())));
        Mock {
            base: format!("http://{addr}"),
            hits,
            app,
            addr,
            task,
        }
    }

    /// Stops answering: connections to the port are refused until [`Mock::resume`].
    pub fn stop(&self) {
        if let Some(t) = self.task.lock().ok().and_then(|mut t| t.take()) {
            t.abort();
        }
    }

    /// Answers again on the same port.
    pub async fn resume(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("the same port again");
        if let Ok(mut t) = self.task.lock() {
            *t = Some(serve(listener, self.app.clone()));
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

fn serve(listener: tokio::net::TcpListener, app: axum::Router) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    })
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

/// Hugging Face's daily-papers API answering from the shared archive
/// (`hf-daily/days/DAY.json.gz`), re-dated so that the archive's newest `days` days are the
/// `days` days up to `today`: a server that has "the last two weeks" whatever the date.
#[derive(Debug, Clone)]
pub struct HfArchive {
    data: std::path::PathBuf,
    /// Days from an archived day to the day it is served as.
    offset: chrono::Duration,
    /// The first served day (`today - days + 1`).
    pub first: chrono::NaiveDate,
    /// The last served day (`today`).
    pub last: chrono::NaiveDate,
}

impl HfArchive {
    /// The archive in `data` (the shared data folder), served as the `days` days up to `today`.
    pub fn recent(data: &std::path::Path, days: u64, today: chrono::NaiveDate) -> HfArchive {
        let mut names: Vec<String> = std::fs::read_dir(data.join("hf-daily/days"))
            .expect("hf-daily/days in the shared data")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json.gz"))
            .collect();
        names.sort();
        let newest = names
            .last()
            .and_then(|n| dp_core::parse_day(&n[..10]).ok())
            .expect("an archived day");
        HfArchive {
            data: data.to_path_buf(),
            offset: today - newest,
            first: today - chrono::Days::new(days.saturating_sub(1)),
            last: today,
        }
    }

    /// The archived day served as `day`.
    pub fn archived(&self, day: chrono::NaiveDate) -> chrono::NaiveDate {
        day - self.offset
    }

    /// The body served for `day`: the archived day's items, `[]` outside the window.
    pub fn body(&self, day: chrono::NaiveDate) -> Vec<u8> {
        use std::io::Read;
        if day < self.first || day > self.last {
            return b"[]".to_vec();
        }
        let path = self
            .data
            .join(format!("hf-daily/days/{}.json.gz", self.archived(day)));
        let Ok(file) = std::fs::File::open(path) else {
            return b"[]".to_vec();
        };
        let mut out = Vec::new();
        match flate2::read::GzDecoder::new(file).read_to_end(&mut out) {
            Ok(_) => out,
            Err(_) => b"[]".to_vec(),
        }
    }

    /// The arXiv ids of `day`'s list, in Hugging Face's order.
    pub fn ids(&self, day: chrono::NaiveDate) -> Vec<String> {
        let items: Vec<serde_json::Value> =
            serde_json::from_slice(&self.body(day)).unwrap_or_default();
        items
            .iter()
            .filter_map(|i| i["paper"]["id"].as_str().map(str::to_string))
            .collect()
    }

    /// The answer to a request (`/api/daily_papers?date=DAY`; 404 for other paths).
    pub fn reply(&self, hit: &Hit) -> Response {
        use axum::response::IntoResponse;
        if hit.path != "/api/daily_papers" {
            return axum::http::StatusCode::NOT_FOUND.into_response();
        }
        match hit.param("date").and_then(|d| dp_core::parse_day(&d).ok()) {
            Some(day) => {
                ([(header::CONTENT_TYPE, "application/json")], self.body(day)).into_response()
            }
            None => axum::http::StatusCode::BAD_REQUEST.into_response(),
        }
    }
}

/// The recorded OAI-PMH chain of the shared data as two pages: the hep-ex response with a
/// resumption token `page2` added, then the hep-th response (no token). Ids: [`OAI_IDS`].
pub fn oai_chain(data: &std::path::Path) -> (String, String) {
    let read = |name: &str| {
        std::fs::read_to_string(data.join("arxiv-fixtures/oai-pmh").join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let page1 = read("hepcrawl_functional_arxiv-physics-hep-ex.xml").replace(
        "</ListRecords>",
        "<resumptionToken completeListSize=\"6\" cursor=\"0\">page2</resumptionToken>\n</ListRecords>",
    );
    (page1, read("hepcrawl_functional_arxiv-physics-hep-th.xml"))
}

/// The papers of [`oai_chain`]'s two pages.
pub const OAI_IDS: [&str; 6] = [
    "1706.05371",
    "1706.09418",
    "1707.00874",
    "1412.8323",
    "1507.07790",
    "1607.01710",
];

/// The answer of an OAI-PMH endpoint serving `chain` ([`oai_chain`]): the first page for a
/// `ListRecords` of any set and window, the second for `resumptionToken=page2`.
pub fn oai_reply(chain: &(String, String), hit: &Hit) -> Response {
    use axum::response::IntoResponse;
    let xml = |b: &str| {
        (
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            b.to_string(),
        )
            .into_response()
    };
    if hit.param("verb").as_deref() != Some("ListRecords") {
        return axum::http::StatusCode::BAD_REQUEST.into_response();
    }
    match hit.param("resumptionToken").as_deref() {
        Some("page2") => xml(&chain.1),
        Some(_) => axum::http::StatusCode::BAD_REQUEST.into_response(),
        None => xml(&chain.0),
    }
}

/// Recorded Hub answers (`GET /api/models|datasets|spaces?filter=arxiv:ID`, with the Hub's
/// field names): the papers in `cited` (`"*"`: every paper) have two models (and a third with
/// a hostile id), a dataset and a Space; any other paper has none.
pub struct HubReplay {
    /// Papers that Hub repositories cite.
    pub cited: Vec<String>,
}

impl HubReplay {
    /// The recorded list of `kind` (`models`, `datasets`, `spaces`) for paper `id`.
    pub fn list(kind: &str, id: &str) -> String {
        let text = match kind {
            "models" => include_str!("../fixtures/hub/models.json"),
            "datasets" => include_str!("../fixtures/hub/datasets.json"),
            "spaces" => include_str!("../fixtures/hub/spaces.json"),
            _ => "[]",
        };
        text.replace("ARXIV_ID", id)
    }

    /// The answer to one request.
    pub fn reply(&self, hit: &Hit) -> Response {
        let kind = hit.path.strip_prefix("/api/").unwrap_or("");
        if !matches!(kind, "models" | "datasets" | "spaces") {
            return (
                axum::http::StatusCode::NOT_FOUND,
                "{\"error\":\"not found\"}",
            )
                .into_response_json();
        }
        let id = hit
            .param("filter")
            .and_then(|f| f.strip_prefix("arxiv:").map(str::to_string))
            .unwrap_or_default();
        let body = if self.cited.iter().any(|c| c == &id || c == "*") {
            Self::list(kind, &id)
        } else {
            "[]".to_string()
        };
        (axum::http::StatusCode::OK, body).into_response_json()
    }
}

/// A response with a JSON content type.
trait JsonResponse {
    fn into_response_json(self) -> Response;
}

impl<B: Into<axum::body::Body>> JsonResponse for (axum::http::StatusCode, B) {
    fn into_response_json(self) -> Response {
        let mut r = Response::new(self.1.into());
        *r.status_mut() = self.0;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        );
        r
    }
}

/// A response with this status and body (for replay closures in crates without axum).
pub fn answer(status: u16, body: &str) -> Response {
    answer_with(status, body, &[])
}

/// [`answer`] with these headers.
pub fn answer_with(status: u16, body: &str, headers: &[(&str, &str)]) -> Response {
    let mut r = Response::new(axum::body::Body::from(body.to_string()));
    *r.status_mut() =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            axum::http::HeaderValue::from_str(v),
        ) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

/// A replay of GitHub's REST API for `GET /repos/{owner}/{name}` (the recorded shape with its
/// real field names, `stargazers_count` among them): the repositories in `stars` exist with
/// that many stars; an `If-None-Match` equal to a repository's ETag (`"<name>-<stars>"`) gets
/// `304`; every answer carries `X-RateLimit-Limit`, `-Remaining` (counting down from
/// `limit`) and `-Reset`, and once the limit is spent GitHub's `403` "rate limit exceeded".
pub struct GithubReplay {
    /// `owner/name` to stars.
    pub stars: std::collections::HashMap<String, i64>,
    /// Requests allowed in this window.
    pub limit: usize,
    /// Requests answered so far (`304`s do not count, as on GitHub).
    pub used: AtomicUsize,
    /// When the window resets (epoch seconds).
    pub reset: i64,
}

impl GithubReplay {
    /// The answer to one request.
    pub fn reply(&self, hit: &Hit) -> Response {
        let Some(key) = hit.path.strip_prefix("/repos/") else {
            return answer(404, "{\"message\":\"Not Found\"}");
        };
        let key = key.to_ascii_lowercase();
        let used = self.used.load(Ordering::SeqCst);
        let reset = self.reset.to_string();
        if used >= self.limit {
            return answer_with(
                403,
                "{\"message\":\"API rate limit exceeded for 127.0.0.1.\",\"documentation_url\":\"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting\"}",
                &[
                    ("content-type", "application/json; charset=utf-8"),
                    ("x-ratelimit-limit", &self.limit.to_string()),
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset),
                ],
            );
        }
        let Some(&stars) = self.stars.get(&key) else {
            self.used.fetch_add(1, Ordering::SeqCst);
            return answer(404, "{\"message\":\"Not Found\"}");
        };
        let etag = format!("\"{}-{stars}\"", key.replace('/', "-"));
        if hit.header("if-none-match") == Some(etag.as_str()) {
            let remaining = (self.limit - used).to_string();
            return answer_with(
                304,
                "",
                &[
                    ("etag", &etag),
                    ("x-ratelimit-limit", &self.limit.to_string()),
                    ("x-ratelimit-remaining", &remaining),
                    ("x-ratelimit-reset", &reset),
                ],
            );
        }
        let used = self.used.fetch_add(1, Ordering::SeqCst) + 1;
        let (owner, name) = key.split_once('/').unwrap_or((&key, ""));
        let body = serde_json::json!({
            "id": 123456789,
            "node_id": "R_kgDOExample",
            "name": name,
            "full_name": key,
            "private": false,
            "owner": {"login": owner, "id": 42, "type": "Organization"},
            "html_url": format!("https://github.com/{key}"),
            "description": "Code for the paper",
            "fork": false,
            "created_at": "2025-03-01T10:00:00Z",
            "updated_at": "2025-03-20T10:00:00Z",
            "pushed_at": "2025-03-19T10:00:00Z",
            "stargazers_count": stars,
            "watchers_count": stars,
            "language": "Python",
            "forks_count": 17,
            "open_issues_count": 3,
            "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
            "topics": ["llm"],
            "default_branch": "main",
            "subscribers_count": 9
        })
        .to_string();
        let remaining = (self.limit - used).to_string();
        answer_with(
            200,
            &body,
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("etag", &etag),
                ("x-ratelimit-limit", &self.limit.to_string()),
                ("x-ratelimit-remaining", &remaining),
                ("x-ratelimit-reset", &reset),
            ],
        )
    }
}

/// A response with a binary body and a content type.
pub fn bytes(status: u16, body: Vec<u8>, content_type: &str) -> Response {
    let mut r = Response::new(axum::body::Body::from(body));
    *r.status_mut() =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
    if let Ok(v) = axum::http::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}
