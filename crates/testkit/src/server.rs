//! [`TestApp`]: the real server (the router `serve` runs) on a local port, reached over real
//! HTTP, and [`Browser`], a client that keeps cookies and fills forms as a reader's browser
//! does.

use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use dp_app::App;
use dp_store::Store;
use dp_web::{AppState, WebSettings};
use std::collections::HashMap;
use std::sync::Arc;

/// A running server.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its state (the use cases, the page cache).
    pub state: AppState,
    client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Resp {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text (lossy).
    pub body: String,
    /// The body as sent.
    pub bytes: Vec<u8>,
}

impl Resp {
    /// The `Location` header, or "".
    pub fn location(&self) -> &str {
        self.header(header::LOCATION.as_str())
    }

    /// A header's value as text, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as JSON (panics when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("{e}: not JSON: {}", self.body))
    }

    /// The CSRF token of the first form on the page (panics when there is none).
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("a form with a CSRF token in: {}", self.body))
            + 19;
        let end = self.body[at..].find('"').unwrap_or(0);
        self.body[at..at + end].to_string()
    }
}

impl TestApp {
    /// Starts the server of `app` on a free local port.
    pub async fn start(app: App, settings: WebSettings) -> TestApp {
        let state = AppState::new(app, settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let addr = listener.local_addr().expect("a local address");
        let router = dp_web::router(state.clone())
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_gzip()
            .build()
            .expect("an HTTP client");
        TestApp {
            base: format!("http://{addr}"),
            state,
            client,
            task,
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.state.app.store
    }

    /// Sends a request (its URI a path on this server).
    pub async fn request(&self, req: Request<Vec<u8>>) -> Resp {
        let (parts, body) = req.into_parts();
        let url = format!("{}{}", self.base, parts.uri);
        let mut r = self.client.request(parts.method, url).body(body);
        for (k, v) in parts.headers.iter() {
            r = r.header(k, v);
        }
        let resp = r.send().await.expect("the test server answers");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("a body").to_vec();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Resp {
        self.request(Request::get(path).body(Vec::new()).expect("a request"))
            .await
    }

    /// `GET path` with these headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.request(req.body(Vec::new()).expect("a request")).await
    }

    /// `method path` with a JSON body and these headers.
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        json: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.request(req.body(json.to_string().into_bytes()).expect("a request"))
            .await
    }

    /// A reader with no cookies yet.
    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookies: HashMap::new(),
            headers: Vec::new(),
        }
    }
}

/// A reader's browser: keeps the cookies the server sets and sends forms.
pub struct Browser<'a> {
    app: &'a TestApp,
    /// Cookies by name.
    pub cookies: HashMap<String, String>,
    /// Headers sent with every request (a proxy's `X-Forwarded-For`, ...).
    pub headers: Vec<(String, String)>,
}

/// The password [`Browser::signup`] signs up with.
pub const PASSWORD: &str = "correct horse";

impl Browser<'_> {
    /// Sends `value` as header `name` with every request from now on (replacing an earlier
    /// value).
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
    }

    async fn send(&mut self, req: axum::http::request::Builder, body: Vec<u8>) -> Resp {
        let mut req = req;
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut req = req.body(body).expect("a request");
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                req.headers_mut().insert(header::COOKIE, v);
            }
        }
        let resp = self.app.request(req).await;
        for c in resp.headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap_or("");
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        resp
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(Request::get(path), Vec::new()).await
    }

    /// Posts a form; the answer is a page or a redirect.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        self.post_with(path, form, false).await
    }

    /// Posts a form, asking for JSON (as the page script does) when `json`.
    pub async fn post_with(&mut self, path: &str, form: &[(&str, &str)], json: bool) -> Resp {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut req =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if json {
            req = req.header(header::ACCEPT, "application/json");
        }
        self.send(req, body.into_bytes()).await
    }

    /// Posts one file as `multipart/form-data` (field `field`), as a browser's file upload does.
    pub async fn post_file(&mut self, path: &str, field: &str, name: &str, bytes: &[u8]) -> Resp {
        let boundary = "dailypapers-test-boundary-7f3a";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::post(path).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        self.send(req, body).await
    }

    /// Posts raw bytes as a form body.
    pub async fn post_raw(&mut self, path: &str, body: Vec<u8>) -> Resp {
        let req =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(req, body).await
    }

    /// Signs up as `name` with [`PASSWORD`] (then is signed in) and returns the session's
    /// CSRF token.
    pub async fn signup(&mut self, name: &str) -> String {
        let token = self.get("/signup").await.csrf();
        let r = self
            .post(
                "/signup",
                &[
                    ("csrf", &token),
                    ("username", name),
                    ("password", PASSWORD),
                    ("next", "/papers"),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "sign-up of {name}: {}",
            r.body
        );
        self.get("/papers").await.csrf()
    }

    /// Signs in as `name` with `password` and returns the answer (a redirect on success).
    pub async fn login(&mut self, name: &str, password: &str) -> Resp {
        let token = self.get("/login").await.csrf();
        self.post(
            "/login",
            &[
                ("csrf", &token),
                ("username", name),
                ("password", password),
                ("next", "/papers"),
            ],
        )
        .await
    }
}
