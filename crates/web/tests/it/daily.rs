//! The daily feed over HTTP: the 580-day reproduction of Hugging Face's lists, pages, errors.

use axum::http::{Request, StatusCode};
use dp_app::{App, Rules};
use dp_ingest::import::{import_paths, ImportOptions, NoProgress};
use dp_testkit::server::TestApp;
use dp_web::WebSettings;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

use dp_testkit::env::shared_data;

async fn app_with(paths: &[PathBuf], dir: &Path) -> TestApp {
    let url = dp_testkit::db::test_database_url(dir).await.expect(
        "a test database (DAILYPAPERS_TEST_POSTGRES_URL with DAILYPAPERS_TEST_BACKEND=postgres)",
    );
    app_on(&url, paths).await
}

async fn app_on(url: &str, paths: &[PathBuf]) -> TestApp {
    let store = dp_store::open(url).await.unwrap();
    if !paths.is_empty() {
        let r = import_paths(store.clone(), paths, &ImportOptions::default(), &NoProgress)
            .await
            .unwrap();
        assert_eq!(r.rejected, 0, "{:?}", r.problems);
    }
    let settings = WebSettings {
        metrics_token: Some(METRICS_TOKEN.into()),
        ..WebSettings::default()
    };
    TestApp::start(App::new(store, Rules::default()), settings).await
}

/// The token that opens `/metrics` on these servers.
const METRICS_TOKEN: &str = "metrics-token";

async fn get(app: &TestApp, uri: &str) -> (StatusCode, String, axum::http::HeaderMap) {
    let r = app.get(uri).await;
    (r.status, r.body, r.headers)
}

fn archived_ids(file: &Path) -> Vec<String> {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    let items: Vec<Value> = serde_json::from_str(&s).unwrap();
    items
        .iter()
        .map(|i| i["paper"]["id"].as_str().unwrap().to_string())
        .collect()
}

/// Asks the API for every archived day and compares ids and order with the archive.
async fn check_every_archived_day(app: &TestApp, days_dir: &Path) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(days_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 580);
    for f in &files {
        let day = &f.file_name().unwrap().to_str().unwrap()[..10];
        let (status, body, _) = get(app, &format!("/api/daily_papers?date={day}")).await;
        assert_eq!(status, StatusCode::OK, "{day}");
        let got: Vec<Value> = serde_json::from_str(&body).unwrap();
        let got_ids: Vec<&str> = got
            .iter()
            .map(|i| i["paper"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(got_ids, archived_ids(f), "order differs on {day}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_archived_day_comes_back_in_the_same_order() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let days_dir = data.join("hf-daily/days");
    let app = app_with(std::slice::from_ref(&days_dir), dir.path()).await;
    check_every_archived_day(&app, &days_dir).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_archived_day_comes_back_in_the_same_order_on_postgres() {
    let Some(data) = shared_data() else { return };
    let Some(url) = dp_testkit::db::fresh_postgres_url().await else {
        return;
    };
    let days_dir = data.join("hf-daily/days");
    let app = app_on(&url, std::slice::from_ref(&days_dir)).await;
    check_every_archived_day(&app, &days_dir).await;
}

#[tokio::test]
async fn api_errors_and_empty_days() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(&[], dir.path()).await;
    for bad in [
        "2025-13-40",
        "2026-07",
        "yesterday",
        "2025-02-30",
        "%3Cscript%3E",
    ] {
        let (status, body, _) = get(&app, &format!("/api/daily_papers?date={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(
            v["error"].as_str().unwrap().contains("invalid date"),
            "{body}"
        );
        assert!(!body.contains("<script>"), "{body}");
    }
    let (status, body, _) = get(&app, "/api/daily_papers?date=2025-03-16").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "[]"));
    let (status, _, _) = get(&app, "/api/daily_papers?date=2025-03-16&limit=101").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body, _) = get(&app, "/papers/date/2025-02-30").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("<html") && body.contains("invalid date"),
        "an error page, not a trace"
    );
    let (status, body, _) = get(&app, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("<html"));
    let (status, body, _) = get(&app, "/papers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("No papers yet"));
    let (status, _, _) = get(&app, "/readyz").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn day_pages_rank_escape_and_navigate() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let days = data.join("hf-daily/days");
    let app = app_with(
        &[
            days.join("2026-08-18.json.gz"),
            days.join("2026-08-19.json.gz"),
            days.join("2026-08-20.json.gz"),
        ],
        dir.path(),
    )
    .await;
    let (status, body, _) = get(&app, "/papers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("Thursday, August 20, 2026"),
        "latest day shown"
    );
    assert!(
        body.contains("href=\"/papers/date/2026-08-19\""),
        "previous-day link"
    );
    let (_, body, _) = get(&app, "/papers/date/2026-08-19").await;
    assert!(
        body.contains("href=\"/papers/date/2026-08-18\"")
            && body.contains("href=\"/papers/date/2026-08-20\"")
    );
    // Cards come in the archive's order.
    let ids = archived_ids(&days.join("2026-08-19.json.gz"));
    let positions: Vec<usize> = ids
        .iter()
        .map(|id| body.find(&format!("id=\"paper-{id}\"")).unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "cards out of order"
    );
    // A paged API request.
    let (_, body, headers) = get(&app, "/api/daily_papers?date=2026-08-19&limit=5").await;
    let v: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(v.len(), 5.min(ids.len()));
    if ids.len() > 5 {
        assert!(headers["link"].to_str().unwrap().contains("p=1"));
    }
}

#[tokio::test]
async fn hostile_text_is_escaped_in_pages() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("2026-01-05.json");
    let item = serde_json::json!([{
        "paper": {"id": "2601.00001", "title": "<script>alert(1)</script> & <img src=x onerror=alert(2)>",
                  "summary": "Let $a<b$ & <b>bold</b>", "authors": [{"name": "<i>Eve</i>"}],
                  "publishedAt": "2026-01-02T00:00:00.000Z", "upvotes": 3,
                  "githubRepo": "javascript:alert(3)"},
        "publishedAt": "2026-01-02T00:00:00.000Z", "title": "x", "numComments": 0
    }]);
    std::fs::write(&f, item.to_string()).unwrap();
    let app = app_with(&[f], dir.path()).await;
    let (_, body, _) = get(&app, "/papers/date/2026-01-05").await;
    assert!(!body.contains("<script>alert"), "{body}");
    assert!(!body.contains("<img src=x"), "{body}");
    assert!(!body.contains("<i>Eve"), "{body}");
    assert!(!body.contains("javascript:"), "{body}");
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img"),
        "{body}"
    );
    assert!(
        body.contains("<mo>&lt;</mo>"),
        "math rendered to MathML, still escaped: {body}"
    );
    assert!(body.contains("&amp; &lt;b&gt;bold&lt;/b&gt;"), "{body}");
}

#[tokio::test]
async fn metrics_and_request_ids() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(&[], dir.path()).await;
    let (_, _, headers) = get(&app, "/api/daily_papers?date=2025-03-17").await;
    let id = headers["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let resp = app
        .request(
            Request::get("/healthz")
                .header("x-request-id", "from-the-proxy")
                .body(Vec::new())
                .unwrap(),
        )
        .await;
    assert_eq!(resp.headers["x-request-id"], "from-the-proxy");
    let auth = format!("Bearer {METRICS_TOKEN}");
    let r = app.get_with("/metrics", &[("authorization", &auth)]).await;
    let (status, body, headers) = (r.status, r.body, r.headers);
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(
        body.contains(
            "http_requests_total{route=\"/api/daily_papers\",method=\"GET\",status=\"200\"}"
        ),
        "{body}"
    );
    assert!(
        body.contains("http_request_duration_seconds_bucket{route=\"/api/daily_papers\""),
        "{body}"
    );
    assert!(
        body.contains("db_pool_connections{state=\"open\"}"),
        "{body}"
    );
    assert!(body.contains("jobs_queued 0"), "{body}");
    assert!(body.contains("database_up 1"), "{body}");
}

#[tokio::test]
async fn any_day_week_and_month_has_its_feeds_advertised_by_its_page() {
    let Some(env) = crate::env().await else {
        return;
    };
    let papers = |xml: &str| {
        let mut ids: Vec<String> = Vec::new();
        for (i, m) in xml.match_indices("/papers/2503.") {
            let id: String = xml[i + m.len() - 5..].chars().take(10).collect();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    };
    for (page, feed) in [
        ("/papers/date/2025-03-17", "/papers/date/2025-03-17/feed"),
        ("/papers/week/2025-W12", "/papers/week/2025-W12/feed"),
        ("/papers/month/2025-03", "/papers/month/2025-03/feed"),
    ] {
        let html = env.app.get(page).await.body;
        let cards = crate::order(&html);
        assert_eq!(cards.len(), 2, "{page}");
        for (ext, mime) in [
            ("rss", "application/rss+xml"),
            ("atom", "application/atom+xml"),
        ] {
            assert!(
                html.contains(&format!("type=\"{mime}\""))
                    && html.contains(&format!("href=\"{feed}.{ext}\"")),
                "{page} advertises {feed}.{ext}"
            );
            let r = env.app.get(&format!("{feed}.{ext}")).await;
            assert_eq!(r.status, StatusCode::OK, "{feed}.{ext}");
            assert!(r.header("content-type").starts_with(mime), "{feed}.{ext}");
            assert_eq!(
                papers(&r.body),
                cards,
                "{feed}.{ext}: the page's papers, in order"
            );
        }
    }
    // A day without papers: an empty feed. Bad days, weeks and months: 400.
    let r = env.app.get("/papers/date/2025-03-16/feed.atom").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("<entry>"), "{}", r.body);
    for bad in [
        "/papers/date/2025-13-01/feed.rss",
        "/papers/week/2025-W60/feed.atom",
        "/papers/month/2025-3/feed.rss",
    ] {
        assert_eq!(
            env.app.get(bad).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
}
