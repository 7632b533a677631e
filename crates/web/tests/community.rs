//! Accounts, votes, comments, submissions, claims and moderation over HTTP: every
//! authorization rule and the hostile inputs of the web issue. Runs on SQLite, or on PostgreSQL
//! with DAILYPAPERS_TEST_BACKEND=postgres.

use async_trait::async_trait;
use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use dp_core::{ArxivId, FeedEntry, Paper, Record};
use dp_ingest::fetch::{FetchError, Fetcher};
use dp_store::Store;
use dp_web::{router, AppState, Clock, WebSettings};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

struct FixedClock(DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Answers arXiv API lookups from the recorded responses in the shared data.
struct RecordedArxiv {
    calls: Mutex<Vec<String>>,
}

#[async_trait]
impl Fetcher for RecordedArxiv {
    async fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        self.calls.lock().unwrap().push(url.to_string());
        let dir = dp_store::testing::shared_data()
            .expect("shared data")
            .join("arxiv-fixtures/atom-api");
        let file = if url.contains("1111.2011") {
            "id_list_1111.2011v2.xml"
        } else if url.contains("2501.99999") {
            "recorded_id_0000.0000_s0_m100_8b51d9633a68.atom.xml"
        } else {
            return Err(FetchError::Unreachable {
                host: "export.arxiv.org".into(),
                message: "offline".into(),
            });
        };
        Ok(std::fs::read(dir.join(file)).unwrap())
    }
}

struct Env {
    app: Router,
    store: Arc<dyn Store>,
    /// Mail the site sent: (recipient, raw message).
    sent: Arc<Mutex<Vec<(String, String)>>>,
    _dir: tempfile::TempDir,
}

/// Keeps the messages instead of sending them.
struct Recording(Arc<Mutex<Vec<(String, String)>>>);

#[async_trait]
impl dp_mail::Mailer for Recording {
    async fn send(&self, m: &dp_mail::Message) -> Result<(), dp_mail::SendError> {
        let to = m.envelope().to()[0].to_string();
        let raw = String::from_utf8(m.formatted()).unwrap();
        self.0.lock().unwrap().push((to, raw));
        Ok(())
    }
}

fn paper(id: &str, title: &str, published: DateTime<Utc>) -> Paper {
    let mut p = Paper::new(
        &ArxivId::parse(id).unwrap(),
        title,
        "Abstract with $x^2$ & <b>tags</b>.",
    );
    p.authors = vec!["Ada Lovelace".into(), "Alan Turing".into()];
    p.published = Some(published);
    p
}

fn entry(day: &str, id: &str, upvotes: i64, position: i64) -> FeedEntry {
    FeedEntry {
        day: dp_core::parse_day(day).unwrap(),
        paper_id: ArxivId::parse(id).unwrap(),
        position,
        published_at: Utc.with_ymd_and_hms(2025, 3, 17, 8, 0, 0).unwrap(),
        submitted_at: None,
        submitted_by: Some("hf-user".into()),
        upvotes,
        num_comments: 0,
        ai_summary: None,
        ai_keywords: vec![],
        github_repo: None,
        github_stars: None,
        project_page: None,
        organization: None,
        source_json: None,
    }
}

async fn env_with(settings: WebSettings, now: DateTime<Utc>) -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    let url = dp_store::testing::test_database_url(dir.path()).await?;
    let store = dp_store::open(&url).await.unwrap();
    let t = Utc.with_ymd_and_hms(2025, 3, 16, 12, 0, 0).unwrap();
    store
        .upsert_records(vec![
            Record {
                paper: paper("2503.00001", "First paper", t),
                entry: Some(entry("2025-03-17", "2503.00001", 5, 0)),
            },
            Record {
                paper: paper("2503.00002", "Second paper", t),
                entry: Some(entry("2025-03-17", "2503.00002", 5, 1)),
            },
            Record {
                paper: paper(
                    "2503.00003",
                    "Not on a list",
                    now - chrono::Duration::days(3),
                ),
                entry: None,
            },
            Record {
                paper: paper(
                    "2503.00004",
                    "Old, not on a list",
                    now - chrono::Duration::days(400),
                ),
                entry: None,
            },
        ])
        .await
        .unwrap();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let state = AppState::new(store.clone(), settings)
        .with_clock(Arc::new(FixedClock(now)))
        .with_fetcher(Arc::new(RecordedArxiv {
            calls: Mutex::new(Vec::new()),
        }))
        .with_mail(dp_web::pages::subscribe::MailSetup {
            mailer: Arc::new(Recording(sent.clone())),
            signer: dp_mail::Signer::new(b"test secret for the web tests"),
            from: "Daily Papers <digest@papers.test>".parse().unwrap(),
            top_n: 10,
            per_search: 5,
        });
    Some(Env {
        app: router(state),
        store,
        sent,
        _dir: dir,
    })
}

async fn env() -> Option<Env> {
    env_with(
        WebSettings::default(),
        Utc.with_ymd_and_hms(2025, 3, 18, 12, 0, 0).unwrap(),
    )
    .await
}

/// A browser: keeps cookies, sends forms.
struct Browser {
    app: Router,
    cookies: HashMap<String, String>,
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Resp {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn csrf(&self) -> String {
        let i = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token")
            + 19;
        self.body[i..i + self.body[i..].find('"').unwrap()].to_string()
    }
}

impl Browser {
    fn new(env: &Env) -> Browser {
        Browser {
            app: env.app.clone(),
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, req: Request<Body>) -> Resp {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        for c in resp.headers().get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = to_bytes(resp.into_body(), 64 << 20).await.unwrap();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, uri: &str) -> Resp {
        let req = Request::get(uri)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    async fn post(&mut self, uri: &str, form: &[(&str, &str)]) -> Resp {
        self.post_with(uri, form, false).await
    }

    async fn post_with(&mut self, uri: &str, form: &[(&str, &str)], json: bool) -> Resp {
        let body = serde_urlencoded::to_string(form).unwrap();
        let mut req = Request::post(uri)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if json {
            req = req.header(header::ACCEPT, "application/json");
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    /// Signs up (then is signed in) and returns the CSRF token of the session.
    async fn signup(&mut self, name: &str) -> String {
        let token = self.get("/signup").await.csrf();
        let r = self
            .post(
                "/signup",
                &[
                    ("csrf", &token),
                    ("username", name),
                    ("password", "correct horse"),
                    ("next", "/papers"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        self.get("/papers").await.csrf()
    }
}

fn order(body: &str) -> Vec<String> {
    body.match_indices("data-id=\"")
        .map(|(i, _)| body[i + 9..i + 9 + body[i + 9..].find('"').unwrap()].to_string())
        .collect()
}

#[tokio::test]
async fn accounts_sessions_and_cookies() {
    let Some(env) = env().await else { return };
    let mut alice = Browser::new(&env);
    let signup = alice.get("/signup").await;
    assert_eq!(signup.status, StatusCode::OK);
    assert!(signup
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .contains("dp_csrf="));
    let token = signup.csrf();
    let r = alice
        .post(
            "/signup",
            &[
                ("csrf", &token),
                ("username", "alice"),
                ("password", "correct horse"),
                ("next", "/papers"),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/papers"));
    let cookie = r
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("dp_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "not over TLS");
    let page = alice.get("/papers").await.body;
    assert!(
        page.contains("href=\"/users/alice\"") && page.contains("href=\"/admin\""),
        "the first account is an admin"
    );

    let mut bob = Browser::new(&env);
    bob.signup("bob").await;
    assert!(!bob.get("/papers").await.body.contains("href=\"/admin\""));
    // A taken name in another case, a bad name, a short password.
    let mut eve = Browser::new(&env);
    let t = eve.get("/signup").await.csrf();
    for (name, pw, status, msg) in [
        ("ALICE", "correct horse", StatusCode::CONFLICT, "taken"),
        (
            "<script>",
            "correct horse",
            StatusCode::BAD_REQUEST,
            "user names are",
        ),
        ("eve", "short", StatusCode::BAD_REQUEST, "at least 8"),
    ] {
        let r = eve
            .post(
                "/signup",
                &[("csrf", &t), ("username", name), ("password", pw)],
            )
            .await;
        assert_eq!(r.status, status, "{name}");
        assert!(r.body.contains(msg), "{name}: {}", r.body);
        assert!(
            !r.body.contains("<script>"),
            "the name is escaped when shown again"
        );
    }
    // Log out, then a wrong password, then the right one.
    let t = alice.get("/papers").await.csrf();
    let r = alice.post("/logout", &[("csrf", &t)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        alice.get("/papers").await.body.contains("href=\"/login\""),
        "signed out"
    );
    let t = alice.get("/login").await.csrf();
    let r = alice
        .post(
            "/login",
            &[
                ("csrf", &t),
                ("username", "alice"),
                ("password", "wrong horse!"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Wrong user name or password"));
    let r = alice
        .post(
            "/login",
            &[
                ("csrf", &t),
                ("username", "Alice"),
                ("password", "correct horse"),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/papers"),
        "never redirects off-site"
    );
    assert!(alice
        .get("/papers")
        .await
        .body
        .contains("href=\"/users/alice\""));
}

#[tokio::test]
async fn forms_need_the_right_csrf_token() {
    let Some(env) = env().await else { return };
    let mut bob = Browser::new(&env);
    // No token cookie at all: sign-up is refused.
    let r = bob
        .post(
            "/signup",
            &[
                ("csrf", "x"),
                ("username", "bob"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.body.contains("<h1>403 Forbidden</h1>") && r.body.contains("CSRF"),
        "a real page: {}",
        r.body
    );
    let token = bob.signup("bob").await;
    for bad in ["", "wrong", &token[..token.len() - 1]] {
        let r = bob
            .post("/papers/2503.00001/upvote", &[("csrf", bad), ("up", "1")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{bad:?}");
        let r = bob
            .post(
                "/papers/2503.00001/comments",
                &[("csrf", bad), ("body", "hi")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = bob.post("/logout", &[("csrf", bad)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let d = env
        .store
        .paper_detail(&ArxivId::parse("2503.00001").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (d.local_upvotes, d.local_comments),
        (0, 0),
        "nothing was written"
    );
}

#[tokio::test]
async fn upvotes_are_idempotent_and_reorder_the_list() {
    let Some(env) = env().await else { return };
    let mut anon = Browser::new(&env);
    let before = order(&anon.get("/papers/date/2025-03-17").await.body);
    assert_eq!(before, ["2503.00001", "2503.00002"]);
    let mut bob = Browser::new(&env);
    let t = bob.signup("bob").await;
    // Without JavaScript: a form and a redirect back; a double click counts once.
    for _ in 0..2 {
        let r = bob
            .post(
                "/papers/2503.00002/upvote",
                &[
                    ("csrf", &t),
                    ("up", "1"),
                    ("next", "/papers/date/2025-03-17"),
                ],
            )
            .await;
        assert_eq!(
            (r.status, r.location()),
            (StatusCode::SEE_OTHER, "/papers/date/2025-03-17")
        );
    }
    // The anonymous page was cached before the vote; it must show the new order at once.
    let page = anon.get("/papers/date/2025-03-17").await.body;
    assert_eq!(order(&page), ["2503.00002", "2503.00001"]);
    assert!(page.contains("<span class=\"count\">6</span>"));
    let api: serde_json::Value =
        serde_json::from_str(&anon.get("/api/daily_papers?date=2025-03-17").await.body).unwrap();
    assert_eq!(api[0]["paper"]["id"], "2503.00002");
    // With the page script: JSON back.
    let r = bob
        .post_with(
            "/papers/2503.00002/upvote",
            &[("csrf", &t), ("up", "0")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        (v["voted"].as_bool(), v["upvotes"].as_i64()),
        (Some(false), Some(5))
    );
    // Signed out: no vote, a sign-in page.
    let r = anon
        .post("/papers/2503.00001/upvote", &[("csrf", "x"), ("up", "1")])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = bob
        .post("/papers/2599.99999/upvote", &[("csrf", &t), ("up", "1")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let profile = anon.get("/users/bob").await;
    assert_eq!(profile.status, StatusCode::OK);
}

#[tokio::test]
async fn comments_are_safe_and_only_their_authors_edit_them() {
    let Some(env) = env().await else { return };
    let mut alice = Browser::new(&env);
    let ta = alice.signup("alice").await;
    let mut bob = Browser::new(&env);
    let tb = bob.signup("bob").await;
    let hostile = "Nice **bold** <script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) &";
    let r = bob
        .post(
            "/papers/2503.00001/comments",
            &[("csrf", &tb), ("body", hostile)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let comment_id: i64 = r
        .location()
        .rsplit("#comment-")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = alice.get("/papers/2503.00001").await.body;
    assert!(
        !page.contains("<script>alert")
            && !page.contains("<img src=x")
            && !page.contains("href=\"javascript"),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            && page.contains("<strong>bold</strong>")
    );
    // A reply, through the page script.
    let r = alice
        .post_with(
            "/papers/2503.00001/comments",
            &[
                ("csrf", &ta),
                ("body", "a reply"),
                ("parent", &comment_id.to_string()),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(v["html"].as_str().unwrap().contains("a reply"));
    assert_eq!(v["comments"], 2);
    // Someone else's comment: no edit, no delete.
    let edit = format!("/comments/{comment_id}/edit");
    let del = format!("/comments/{comment_id}/delete");
    assert_eq!(
        alice.get(&edit).await.status,
        StatusCode::FORBIDDEN,
        "not even an admin edits others' words"
    );
    let mut carol = Browser::new(&env);
    let tc = carol.signup("carol").await;
    assert_eq!(
        carol
            .post(&edit, &[("csrf", &tc), ("body", "hacked")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        carol.post(&del, &[("csrf", &tc)]).await.status,
        StatusCode::FORBIDDEN
    );
    // The author edits; too long or empty is refused with a message.
    assert_eq!(bob.get(&edit).await.status, StatusCode::OK);
    assert_eq!(
        bob.post(&edit, &[("csrf", &tb), ("body", "fixed typo")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let long = "x".repeat(10_001);
    let r = bob.post(&edit, &[("csrf", &tb), ("body", &long)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("too long"), "{}", r.body);
    let r = bob
        .post(
            "/papers/2503.00001/comments",
            &[("csrf", &tb), ("body", "   ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Over the body limit: a clear page, not a reset connection.
    let huge = "y".repeat(100_000);
    let r = bob
        .post(
            "/papers/2503.00001/comments",
            &[("csrf", &tb), ("body", &huge)],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("too large"), "{}", r.body);
    assert!(alice
        .get("/papers/2503.00001")
        .await
        .body
        .contains("fixed typo"));
    // An admin deletes it.
    assert_eq!(
        alice.post(&del, &[("csrf", &ta)]).await.status,
        StatusCode::SEE_OTHER
    );
    let page = carol.get("/papers/2503.00001").await.body;
    assert!(!page.contains("fixed typo") && page.contains("[deleted]"));
}

#[tokio::test]
async fn moderation_is_for_admins_only() {
    let Some(env) = env().await else { return };
    let mut admin = Browser::new(&env);
    let ta = admin.signup("admin").await;
    let mut bob = Browser::new(&env);
    let tb = bob.signup("bob").await;
    assert_eq!(bob.get("/admin").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        bob.post("/papers/2503.00001/hide", &[("csrf", &tb), ("hidden", "1")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bob.post("/users/admin/ban", &[("csrf", &tb), ("banned", "1")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut anon = Browser::new(&env);
    assert_eq!(anon.get("/admin").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        order(&anon.get("/papers/date/2025-03-17").await.body).len(),
        2
    );
    // The admin hides a paper: gone from every list, its page says why.
    assert_eq!(
        admin
            .post("/papers/2503.00001/hide", &[("csrf", &ta), ("hidden", "1")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        order(&anon.get("/papers/date/2025-03-17").await.body),
        ["2503.00002"]
    );
    assert_eq!(
        order(&anon.get("/papers/week/2025-W12").await.body),
        ["2503.00002"]
    );
    assert!(anon
        .get("/papers/2503.00001")
        .await
        .body
        .contains("hid this paper"));
    // The admin bans bob: his session ends and he cannot sign in again.
    assert_eq!(
        admin
            .post("/users/bob/ban", &[("csrf", &ta), ("banned", "1")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        bob.post("/papers/2503.00002/upvote", &[("csrf", &tb), ("up", "1")])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let t = bob.get("/login").await.csrf();
    let r = bob
        .post(
            "/login",
            &[
                ("csrf", &t),
                ("username", "bob"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("banned"));
    assert_eq!(
        admin
            .post("/users/admin/ban", &[("csrf", &ta), ("banned", "1")])
            .await
            .status,
        StatusCode::BAD_REQUEST,
        "not yourself"
    );
}

#[tokio::test]
async fn claims_are_approved_by_an_admin() {
    let Some(env) = env().await else { return };
    let mut admin = Browser::new(&env);
    let ta = admin.signup("admin").await;
    let mut ada = Browser::new(&env);
    let t = ada.signup("ada").await;
    let r = ada
        .post(
            "/papers/2503.00001/claim",
            &[("csrf", &t), ("author", "Not An Author")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        ada.post(
            "/papers/2503.00001/claim",
            &[("csrf", &t), ("author", "Ada Lovelace")]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        ada.post(
            "/papers/2503.00001/claim",
            &[("csrf", &t), ("author", "Ada Lovelace")]
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        ada.post("/admin/claims/1", &[("csrf", &t), ("decision", "approve")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let dash = admin.get("/admin").await.body;
    assert!(dash.contains("Ada Lovelace") && dash.contains("ada"));
    let id = dash
        .split("action=\"/admin/claims/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = admin
        .post(
            &format!("/admin/claims/{id}"),
            &[("csrf", &ta), ("decision", "approve")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut anon = Browser::new(&env);
    assert!(anon
        .get("/papers/2503.00001")
        .await
        .body
        .contains("class=\"claimed\" href=\"/users/ada\""));
    assert!(anon
        .get("/users/ada")
        .await
        .body
        .contains("as Ada Lovelace"));
}

#[tokio::test]
async fn submissions_follow_the_rules() {
    let Some(env) = env_with(
        WebSettings {
            submissions_per_day: 2,
            ..WebSettings::default()
        },
        Utc.with_ymd_and_hms(2011, 11, 10, 12, 0, 0).unwrap(),
    )
    .await
    else {
        return;
    };
    let mut anon = Browser::new(&env);
    assert_eq!(anon.get("/submit").await.location(), "/login?next=/submit");
    let mut bob = Browser::new(&env);
    let t = bob.signup("bob").await;
    // Bad ids get a clear message.
    let r = bob
        .post("/submit", &[("csrf", &t), ("paper", "not-an-id")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("not-an-id"));
    // Already on a list: points to it.
    let r = bob
        .post(
            "/submit",
            &[
                ("csrf", &t),
                ("paper", "https://arxiv.org/abs/2503.00001v2"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/papers/2503.00001?duplicate=2025-03-17");
    // Not in the store: fetched from (recorded) arXiv, lands on today's list.
    let r = bob
        .post("/submit", &[("csrf", &t), ("paper", "arXiv:1111.2011")])
        .await;
    assert_eq!(r.location(), "/papers/1111.2011?submitted=1", "{}", r.body);
    let page = anon.get("/papers/1111.2011?submitted=1").await.body;
    assert!(
        page.contains("on today&#39;s list") || page.contains("on today's list"),
        "{page}"
    );
    assert!(page.contains("submitted by <a href=\"/users/bob\">bob</a>"));
    assert_eq!(
        order(&anon.get("/papers/date/2011-11-10").await.body),
        ["1111.2011"]
    );
    // First published 400 days before this test's clock: too old.
    let r = bob
        .post("/submit", &[("csrf", &t), ("paper", "2503.00004")])
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{} {}",
        r.location(),
        r.body
    );
    assert!(r.body.contains("last 14 days"));
    // arXiv does not know it; arXiv unreachable.
    let r = bob
        .post("/submit", &[("csrf", &t), ("paper", "2501.99999")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = bob
        .post("/submit", &[("csrf", &t), ("paper", "2501.88888")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert!(r.body.contains("arXiv could not be reached"));
}

#[tokio::test]
async fn per_user_submission_limit() {
    let now = Utc.with_ymd_and_hms(2025, 3, 18, 12, 0, 0).unwrap();
    let Some(env) = env_with(
        WebSettings {
            submissions_per_day: 1,
            ..WebSettings::default()
        },
        now,
    )
    .await
    else {
        return;
    };
    env.store
        .upsert_records(vec![
            Record::from(paper(
                "2503.00005",
                "new one",
                now - chrono::Duration::days(1),
            )),
            Record::from(paper(
                "2503.00006",
                "new two",
                now - chrono::Duration::days(1),
            )),
        ])
        .await
        .unwrap();
    let mut bob = Browser::new(&env);
    let t = bob.signup("bob").await;
    assert_eq!(
        bob.post("/submit", &[("csrf", &t), ("paper", "2503.00005")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let r = bob
        .post("/submit", &[("csrf", &t), ("paper", "2503.00006")])
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("1 submissions in 24 hours"));
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited() {
    let Some(env) = env_with(
        WebSettings {
            logins_per_15min: 3,
            ..WebSettings::default()
        },
        Utc::now(),
    )
    .await
    else {
        return;
    };
    let mut mallory = Browser::new(&env);
    let t = mallory.get("/login").await.csrf();
    for _ in 0..3 {
        let r = mallory
            .post(
                "/login",
                &[
                    ("csrf", &t),
                    ("username", "alice"),
                    ("password", "guess1234"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = mallory
        .post(
            "/login",
            &[
                ("csrf", &t),
                ("username", "alice"),
                ("password", "guess1234"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert!(r.body.contains("Too many requests"));
}

#[tokio::test]
async fn bad_addresses_get_real_error_pages() {
    let Some(env) = env().await else { return };
    let mut anon = Browser::new(&env);
    for (uri, status) in [
        ("/papers/not-an-id", StatusCode::NOT_FOUND),
        ("/papers/date/2025-02-30", StatusCode::BAD_REQUEST),
        ("/papers/week/2025-W60", StatusCode::BAD_REQUEST),
        ("/papers/month/2025-13", StatusCode::BAD_REQUEST),
        ("/papers/go?date=yesterday", StatusCode::BAD_REQUEST),
        ("/users/nobody", StatusCode::NOT_FOUND),
        ("/comments/abc/edit", StatusCode::BAD_REQUEST),
        ("/nowhere/%3Cscript%3E", StatusCode::NOT_FOUND),
        ("/login?next=%ZZ&next=a", StatusCode::BAD_REQUEST),
    ] {
        let r = anon.get(uri).await;
        assert_eq!(r.status, status, "{uri}");
        assert!(
            r.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{uri}: {:?}",
            r.headers
        );
        assert!(
            r.body.contains("<h1>") && !r.body.contains("<script>"),
            "{uri}: {}",
            r.body
        );
    }
    // A wrong method gets a page too, and the API answers JSON.
    let r = anon.post("/papers/date/2025-03-17", &[("x", "1")]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.body.contains("<h1>405"), "{}", r.body);
    let r = anon.get("/api/daily_papers?limit=abc&limit=x").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(v["error"].as_str().unwrap().contains("limit"), "{}", r.body);
    // A valid id the store lacks offers to fetch it.
    let r = anon.get("/papers/2502.12345").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("is not here yet"));
    // Every page carries the security headers.
    let h = anon.get("/papers").await.headers;
    assert!(h[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

#[tokio::test]
async fn weekly_monthly_and_trending_lists() {
    let Some(env) = env().await else { return };
    let mut anon = Browser::new(&env);
    let w = anon.get("/papers/week/2025-W12").await;
    assert_eq!(w.status, StatusCode::OK);
    assert_eq!(order(&w.body).len(), 2);
    assert!(
        w.body.contains("href=\"/papers/week/2025-W11\"")
            && w.body.contains("href=\"/papers/week/2025-W13\"")
    );
    assert_eq!(
        order(&anon.get("/papers/month/2025-03").await.body).len(),
        2
    );
    assert_eq!(
        order(&anon.get("/papers/month/2025-04").await.body).len(),
        0
    );
    assert_eq!(
        anon.get("/papers/week/current").await.status,
        StatusCode::OK
    );
    let t = anon.get("/papers/trending").await.body;
    assert_eq!(order(&t).len(), 2);
    assert!(t.contains("score "));
    assert!(anon.get("/about").await.body.contains("(age_in_hours + 2"));
}

/// Sends a JSON request with a bearer token.
async fn api(
    app: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    let v = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, v)
}

fn new_token(body: &str) -> String {
    let i = body
        .find("id=\"new-token\">")
        .expect("the new token is shown")
        + 15;
    body[i..i + body[i..].find('<').unwrap()].to_string()
}

#[tokio::test]
async fn api_tokens_and_the_write_side() {
    let Some(env) = env().await else { return };
    let mut b = Browser::new(&env);
    // The settings page needs an account.
    let r = b.get("/settings").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login"), "{}", r.location());
    let csrf = b.signup("tokenuser").await;
    let page = b.get("/settings").await;
    assert!(page.body.contains("No tokens yet"), "{}", page.body);
    // A token without the CSRF field is refused; bad names and scopes too.
    let r = b
        .post(
            "/settings/tokens",
            &[("csrf", "x"), ("name", "a"), ("scope", "write")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b
        .post(
            "/settings/tokens",
            &[("csrf", &csrf), ("name", "a\r\nb"), ("scope", "write")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = b
        .post(
            "/settings/tokens",
            &[("csrf", &csrf), ("name", "x"), ("scope", "admin")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = b
        .post(
            "/settings/tokens",
            &[
                ("csrf", &csrf),
                ("name", "<script>bot</script>"),
                ("scope", "write"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.contains("<script>bot"), "names are escaped");
    let write = new_token(&r.body);
    assert!(write.starts_with("dp_") && write.len() > 40, "{write}");
    let r = b
        .post(
            "/settings/tokens",
            &[("csrf", &csrf), ("name", "reader"), ("scope", "read")],
        )
        .await;
    let read = new_token(&r.body);
    // Shown once: the list shows names, never secrets.
    let page = b.get("/settings").await;
    assert!(!page.body.contains(&write) && !page.body.contains(&read));
    assert!(page.body.contains("reader"));

    let app = &env.app;
    let id = "2503.00001";
    // No token, a wrong one, a read-only one.
    let body = serde_json::json!({"comment": "Nice & <b>bold</b>"});
    let (s, v) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment"),
        None,
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert!(v["error"].as_str().unwrap().contains("Bearer"));
    let (s, _) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment"),
        Some("dp_nope"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, v) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment"),
        Some(&read),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // Comment, reply, list.
    let (s, c) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment"),
        Some(&write),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["data"]["latest"]["raw"], "Nice & <b>bold</b>");
    assert_eq!(c["author"]["user"], "tokenuser");
    assert_eq!(c["author"]["name"], "tokenuser");
    let cid = c["id"].as_str().unwrap().to_string();
    let (s, r) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment/{cid}/reply"),
        Some(&write),
        Some(serde_json::json!({"comment": "a reply"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["parentId"].as_str(), Some(cid.as_str()));
    let (s, _) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment/999999/reply"),
        Some(&write),
        Some(serde_json::json!({"comment": "to nothing"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment/abc/reply"),
        Some(&write),
        Some(serde_json::json!({"comment": "x"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment"),
        Some(&write),
        Some(serde_json::json!({"comment": "   "})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "an empty comment");
    let (s, _) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment"),
        Some(&write),
        Some(serde_json::json!({"text": "wrong field"})),
    )
    .await;
    assert!(s.is_client_error(), "{s}");
    let (s, list) = api(
        app,
        "GET",
        &format!("/api/papers/{id}/comments"),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (_, detail) = api(app, "GET", &format!("/api/papers/{id}"), None, None).await;
    assert_eq!(detail["numComments"], 2);
    // Upvote and withdraw; the count moves and the cached detail follows.
    let (_, before) = api(app, "GET", &format!("/api/papers/{id}"), None, None).await;
    let (s, v) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/upvote"),
        Some(&write),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["upvoted"], true);
    assert_eq!(v["upvotes"], before["upvotes"].as_i64().unwrap() + 1);
    let (_, after) = api(app, "GET", &format!("/api/papers/{id}"), None, None).await;
    assert_eq!(after["upvotes"], v["upvotes"]);
    let (s, v) = api(
        app,
        "DELETE",
        &format!("/api/papers/{id}/upvote"),
        Some(&write),
        None,
    )
    .await;
    assert_eq!((s, v["upvoted"].as_bool()), (StatusCode::OK, Some(false)));
    let (s, _) = api(
        app,
        "POST",
        "/api/papers/2503.99999/upvote",
        Some(&write),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Submit: a new paper, the same again, one too old, a bad id.
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/submit",
        Some(&write),
        Some(serde_json::json!({"paper_id": "2503.00003"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["id"].as_str(), v["duplicate"].as_bool()),
        (Some("2503.00003"), Some(false))
    );
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/submit",
        Some(&write),
        Some(serde_json::json!({"arxivId": "2503.00003v2"})),
    )
    .await;
    assert_eq!((s, v["duplicate"].as_bool()), (StatusCode::OK, Some(true)));
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/submit",
        Some(&write),
        Some(serde_json::json!({"paper_id": "2503.00004"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/submit",
        Some(&write),
        Some(serde_json::json!({"paper_id": "not-an-id"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("paper_id"), "{v}");
    // The submitted paper is on today's list with this user as submitter, in the HF shape.
    let (_, list) = api(
        app,
        "GET",
        "/api/daily_papers?submitter=tokenuser",
        None,
        None,
    )
    .await;
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["paper"]["id"], "2503.00003");
    assert_eq!(items[0]["submittedBy"]["user"], "tokenuser");
    assert_eq!(items[0]["submittedBy"]["name"], "tokenuser");
    // Revoking stops the token at once.
    let page = b.get("/settings").await;
    let i = page.body.find("/settings/tokens/").unwrap() + 17;
    let tid = &page.body[i..i + page.body[i..].find('/').unwrap()];
    let r = b
        .post(
            &format!("/settings/tokens/{tid}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let (s1, _) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/upvote"),
        Some(&write),
        None,
    )
    .await;
    let (s2, _) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/upvote"),
        Some(&read),
        None,
    )
    .await;
    // The newest token is listed first: "reader" was revoked.
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::UNAUTHORIZED));
    // Another user cannot revoke someone else's token.
    let mut other = Browser::new(&env);
    let csrf2 = other.signup("otheruser").await;
    let r = other
        .post("/settings/tokens/1/revoke", &[("csrf", &csrf2)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_api_budget_per_client_answers_429_with_retry_after() {
    let settings = WebSettings {
        api_requests_per_minute: 5,
        ..WebSettings::default()
    };
    let Some(env) = env_with(
        settings,
        Utc.with_ymd_and_hms(2025, 3, 18, 12, 0, 0).unwrap(),
    )
    .await
    else {
        return;
    };
    let mut statuses = Vec::new();
    let mut retry = None;
    for _ in 0..7 {
        let resp = env
            .app
            .clone()
            .oneshot(
                Request::get("/api/papers/2503.00001")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            retry = resp.headers().get(header::RETRY_AFTER).cloned();
            let body = to_bytes(resp.into_body(), 1 << 16).await.unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["code"], "rate_limited");
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    let secs: u64 = retry.unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs));
    // Pages are not counted against the API budget.
    let (s, _) = (
        env.app
            .clone()
            .oneshot(Request::get("/papers").body(Body::empty()).unwrap())
            .await
            .unwrap()
            .status(),
        (),
    );
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn subscriptions_from_the_settings_page_and_the_admin_preview() {
    let Some(env) = env().await else { return };
    let mut b = Browser::new(&env);
    let csrf = b.signup("digestreader").await;
    let page = b.get("/subscribe?email=dr%40example.org").await;
    let csrf_form = page.csrf();
    assert_eq!(csrf_form, csrf, "signed in: the session's token");
    let r = b
        .post(
            "/subscribe",
            &[
                ("csrf", &csrf),
                ("email", "dr@example.org"),
                ("cadence", "daily"),
                ("searches", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The confirmation mail; asking again and again sends at most three per address a day.
    for _ in 0..4 {
        b.post(
            "/subscribe",
            &[
                ("csrf", &csrf),
                ("email", "dr@example.org"),
                ("cadence", "daily"),
            ],
        )
        .await;
    }
    let sent = env.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 3, "rate-limited confirmations");
    let (to, raw) = &sent[0];
    assert_eq!(to, "dr@example.org");
    assert!(
        !raw.contains("List-Unsubscribe"),
        "a confirmation is not a list message"
    );
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    let text = parsed.body_text(0).unwrap().to_string();
    let i = text.find("/subscribe/confirm?token=").unwrap();
    let token: String = text[i + 25..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    // Expired or tampered tokens are refused with a clear page.
    let r = b.get(&format!("/subscribe/confirm?token={token}x")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = b.get("/unsubscribe?token=1.1.AAAA").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = b.get(&format!("/subscribe/confirm?token={token}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The settings page shows it; its owner changes cadence and searches.
    let page = b.get("/settings").await;
    assert!(page.body.contains("dr@example.org"), "{}", page.body);
    let i = page.body.find("/settings/subscriptions/").unwrap() + 24;
    let sid: String = page.body[i..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let r = b
        .post(
            &format!("/settings/subscriptions/{sid}"),
            &[
                ("csrf", &csrf),
                ("cadence", "weekly"),
                ("searches", "diffusion\nauthor:\"Ada Lovelace\""),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let sub = env
        .store
        .subscriber(sid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.cadence, dp_store::Cadence::Weekly);
    assert_eq!(sub.searches, ["diffusion", "author:\"Ada Lovelace\""]);
    // Someone else cannot touch it, and bad searches are refused.
    let mut other = Browser::new(&env);
    let csrf2 = other.signup("otherreader").await;
    let r = other
        .post(
            &format!("/settings/subscriptions/{sid}"),
            &[("csrf", &csrf2), ("cadence", "daily"), ("action", "save")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = b
        .post(
            &format!("/settings/subscriptions/{sid}"),
            &[
                ("csrf", &csrf),
                ("cadence", "daily"),
                ("searches", "a\nb\nc\nd\ne\nf"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Admins list subscribers and preview a digest; others may not (the first account is the
    // admin here).
    let r = other.get("/admin/subscribers").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = other
        .get(&format!("/admin/subscribers/{sid}/preview"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let admin = env
        .store
        .user_by_name("digestreader")
        .await
        .unwrap()
        .unwrap();
    env.store.set_admin(admin.id, true).await.unwrap();
    let r = b.get("/admin/subscribers").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("dr@example.org") && r.body.contains("weekly"));
    let r = b.get(&format!("/admin/subscribers/{sid}/preview")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Top papers of"), "{}", r.body);
    assert!(
        r.body.contains("First paper"),
        "the week's papers: {}",
        r.body
    );
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("style-src 'unsafe-inline'") && csp.contains("default-src 'none'"));
    // Unsubscribing from the settings page.
    let r = b
        .post(
            &format!("/settings/subscriptions/{sid}"),
            &[("csrf", &csrf), ("action", "unsubscribe")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let sub = env
        .store
        .subscriber(sid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.state, dp_store::SubState::Unsubscribed);
}
