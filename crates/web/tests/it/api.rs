//! The read side of the API over HTTP with the real Hugging Face lists of March 2025: shapes the
//! Hugging Face client reads, every `/api/daily_papers` parameter, paging with `Link`, the paper
//! and paper-list endpoints, conditional requests, CORS, compression, the OpenAPI document and
//! the feeds. Runs on SQLite, or on PostgreSQL with DAILYPAPERS_TEST_BACKEND=postgres.

use axum::http::{header, HeaderMap, Request, StatusCode};
use dp_app::{App, Rules};
use dp_ingest::import::{import_paths, ImportOptions, NoProgress};
use dp_testkit::db::TestStore;
use dp_testkit::env::shared_data;
use dp_testkit::server::TestApp;
use dp_web::WebSettings;
use serde_json::Value;
use std::collections::HashSet;
use std::io::Read;
use std::path::PathBuf;

struct Env {
    app: TestApp,
    days: Vec<(String, Vec<Value>)>,
    _db: TestStore,
}

fn read_day(file: &PathBuf) -> Vec<Value> {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    serde_json::from_str(&s).unwrap()
}

/// A server with every list of March 2025 imported, and those lists as saved.
async fn env() -> Option<Env> {
    let data = shared_data()?;
    let db = TestStore::new().await?;
    let store = db.store.clone();
    let mut files: Vec<PathBuf> = std::fs::read_dir(data.join("hf-daily/days"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("/2025-03-"))
        .collect();
    files.sort();
    let r = import_paths(
        store.clone(),
        &files,
        &ImportOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(r.rejected, 0, "{:?}", r.problems);
    let days = files
        .iter()
        .map(|f| {
            let name = f.file_name().unwrap().to_str().unwrap()[..10].to_string();
            (name, read_day(f))
        })
        .collect();
    let settings = WebSettings {
        api_requests_per_minute: 0,
        ..WebSettings::default()
    };
    Some(Env {
        app: TestApp::start(App::new(store, Rules::default()), settings).await,
        days,
        _db: db,
    })
}

async fn send(app: &TestApp, req: Request<Vec<u8>>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let r = app.request(req).await;
    (r.status, r.headers, r.bytes)
}

async fn get(app: &TestApp, uri: &str) -> (StatusCode, HeaderMap, Value) {
    let (s, h, b) = send(app, Request::get(uri).body(Vec::new()).unwrap()).await;
    let v = serde_json::from_slice(&b)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&b).into()));
    (s, h, v)
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i.pointer("/paper/id")
                .or_else(|| i.get("id"))
                .and_then(Value::as_str)
                .unwrap()
                .to_string()
        })
        .collect()
}

/// Text with its white space collapsed, as the store keeps titles and abstracts.
fn flat(v: &Value) -> String {
    v.as_str()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_hf_time(s: &str) -> bool {
    // YYYY-MM-DDTHH:MM:SS.mmmZ
    s.len() == 24
        && s.ends_with('Z')
        && chrono::NaiveDateTime::parse_from_str(&s[..23], "%Y-%m-%dT%H:%M:%S%.3f").is_ok()
}

#[tokio::test]
async fn daily_papers_speaks_the_hugging_face_shape() {
    let Some(env) = env().await else { return };
    let app = &env.app;
    let (day, saved) = env
        .days
        .iter()
        .max_by_key(|(_, items)| items.len())
        .unwrap();
    let (s, h, v) = get(app, &format!("/api/daily_papers?date={day}&limit=100")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/json");
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), saved.len().min(100));
    let saved_ids: HashSet<&str> = saved
        .iter()
        .map(|i| i["paper"]["id"].as_str().unwrap())
        .collect();
    for item in items {
        let p = &item["paper"];
        let id = p["id"].as_str().unwrap();
        assert!(saved_ids.contains(id));
        let src = saved.iter().find(|i| i["paper"]["id"] == id).unwrap();
        assert_eq!(p["title"].as_str().unwrap(), flat(&src["paper"]["title"]));
        assert_eq!(p["upvotes"], src["paper"]["upvotes"]);
        assert_eq!(p["discussionId"], src["paper"]["discussionId"]);
        assert_eq!(item["submittedBy"]["name"], src["submittedBy"]["name"]);
        assert_eq!(
            item["submittedBy"]["user"], src["submittedBy"]["name"],
            "both keys"
        );
        assert!(is_hf_time(item["publishedAt"].as_str().unwrap()), "{item}");
        assert!(is_hf_time(p["publishedAt"].as_str().unwrap()), "{p}");
        if let Some(t) = p.get("submittedOnDailyAt") {
            assert!(is_hf_time(t.as_str().unwrap()), "{t}");
        }
        let authors = p["authors"].as_array().unwrap();
        assert!(!authors.is_empty());
        for a in authors {
            assert!(a["name"].is_string() && a["hidden"].is_boolean());
            assert_eq!(a["_id"].as_str().unwrap().len(), 24);
            if let Some(u) = a.get("user") {
                assert_eq!(u["user"], u["name"], "{a}");
            }
        }
        assert!(item["numComments"].is_i64() && item["isAuthorParticipating"].is_boolean());
        // Mirrored to the top level for huggingface_hub's PaperInfo.
        assert_eq!(item.get("ai_summary"), p.get("ai_summary"));
        assert_eq!(item.get("githubRepo"), p.get("githubRepo"));
    }
    let ups: Vec<i64> = items
        .iter()
        .map(|i| i["paper"]["upvotes"].as_i64().unwrap())
        .collect();
    assert!(
        ups.windows(2).all(|w| w[0] >= w[1]),
        "ranked by upvotes: {ups:?}"
    );
    // The contract, frozen: the first item of a known day.
    let (_, _, first) = get(app, "/api/daily_papers?date=2025-03-17&limit=1").await;
    insta::assert_json_snapshot!("daily_item_2025_03_17", first);
}

#[tokio::test]
async fn daily_papers_parameters_and_paging() {
    let Some(env) = env().await else { return };
    let app = &env.app;
    let (day, saved) = env
        .days
        .iter()
        .max_by_key(|(_, items)| items.len())
        .unwrap();
    // Pages are consecutive slices of the whole list; Link names the next page.
    let (_, _, all) = get(app, &format!("/api/daily_papers?date={day}&limit=100")).await;
    let all = ids(&all);
    let (_, h0, p0) = get(app, &format!("/api/daily_papers?date={day}&limit=5&p=0")).await;
    let link = h0[header::LINK].to_str().unwrap().to_string();
    assert!(
        link.ends_with("; rel=\"next\"") && link.contains("p=1"),
        "{link}"
    );
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let (_, _, p1) = get(app, next).await;
    assert_eq!(ids(&p0), all[..5]);
    assert_eq!(ids(&p1), all[5..10]);
    let last_page = (saved.len() - 1) / 5;
    let (_, h, last) = get(
        app,
        &format!("/api/daily_papers?date={day}&limit=5&p={last_page}"),
    )
    .await;
    assert!(h.get(header::LINK).is_none());
    assert!(!ids(&last).is_empty());
    let (s, _, past) = get(
        app,
        &format!("/api/daily_papers?date={day}&limit=5&p={}", last_page + 1),
    )
    .await;
    assert_eq!((s, past), (StatusCode::OK, Value::Array(vec![])));
    // A weekend has no list.
    let (_, _, v) = get(app, "/api/daily_papers?date=2025-03-16").await;
    assert_eq!(v, Value::Array(vec![]));
    // Week and month: every paper listed in the period once, ranked by upvotes.
    let in_days = |from: &str, to: &str| -> HashSet<String> {
        env.days
            .iter()
            .filter(|(d, _)| d.as_str() >= from && d.as_str() <= to)
            .flat_map(|(_, items)| {
                items
                    .iter()
                    .map(|i| i["paper"]["id"].as_str().unwrap().to_string())
            })
            .collect()
    };
    let (_, _, week) = get(app, "/api/daily_papers?week=2025-W12&limit=100").await;
    let week_ids = ids(&week);
    let expected = in_days("2025-03-17", "2025-03-23");
    assert_eq!(week_ids.len(), expected.len().min(100));
    assert!(week_ids.iter().all(|i| expected.contains(i)));
    let ups: Vec<i64> = week
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["paper"]["upvotes"].as_i64().unwrap())
        .collect();
    assert!(ups.windows(2).all(|w| w[0] >= w[1]));
    let (_, h, month) = get(app, "/api/daily_papers?month=2025-03&limit=100").await;
    assert_eq!(ids(&month).len(), 100);
    assert!(h[header::LINK].to_str().unwrap().contains("month=2025-03"));
    // No date: the newest lists first.
    let (_, _, recent) = get(app, "/api/daily_papers?limit=3").await;
    let newest = &env.days.last().unwrap().1;
    let newest_ids: HashSet<&str> = newest
        .iter()
        .map(|i| i["paper"]["id"].as_str().unwrap())
        .collect();
    assert!(ids(&recent).iter().all(|i| newest_ids.contains(i.as_str())));
    // Submitter: only that user's submissions, on any day.
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for (_, items) in &env.days {
        for i in items {
            if let Some(n) = i["submittedBy"]["name"].as_str() {
                *counts.entry(n.to_string()).or_default() += 1;
            }
        }
    }
    let (name, n) = counts.into_iter().max_by_key(|(_, n)| *n).unwrap();
    let (_, _, mine) = get(
        app,
        &format!("/api/daily_papers?submitter={name}&limit=100"),
    )
    .await;
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), n.min(100));
    assert!(mine
        .iter()
        .all(|i| i["submittedBy"]["user"] == name.as_str()));
    let (_, _, on_day) = get(
        app,
        &format!("/api/daily_papers?submitter={name}&date={day}"),
    )
    .await;
    assert!(on_day
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["submittedBy"]["name"] == name.as_str()));
    // Trending.
    let (s, _, t) = get(app, "/api/daily_papers?sort=trending&limit=10").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t.as_array().unwrap().len(), 10);
    // Bad parameters: 400 naming the parameter.
    for (q, name) in [
        ("date=2025-13-40", "date"),
        ("date=2999-01-01", "date"),
        ("week=2025-W60", "week"),
        ("month=2025-13", "month"),
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("p=-1", "p"),
        ("p=abc", "p"),
        ("sort=bogus", "sort"),
        ("date=2025-03-17&week=2025-W12", "date"),
        ("submitter=ev%0Ail", "submitter"),
    ] {
        let (s, _, v) = get(app, &format!("/api/daily_papers?{q}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
        assert!(v["error"].as_str().unwrap().contains(name), "{q}: {v}");
    }
}

#[tokio::test]
async fn papers_endpoints_http_behaviour_openapi_and_feeds() {
    let Some(env) = env().await else { return };
    let app = &env.app;
    let src = &env.days[0].1[0];
    let id = src["paper"]["id"].as_str().unwrap();
    // One paper, flat.
    let (s, h, p) = get(app, &format!("/api/papers/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["id"], id);
    assert_eq!(p["title"].as_str().unwrap(), flat(&src["paper"]["title"]));
    assert_eq!(
        p["summary"].as_str().unwrap(),
        flat(&src["paper"]["summary"])
    );
    assert!(p["numComments"].is_i64() && p.get("paper").is_none());
    assert!(is_hf_time(p["publishedAt"].as_str().unwrap()));
    let (_, _, pv) = get(app, &format!("/api/papers/{id}v3")).await;
    assert_eq!(pv["id"], id, "a version suffix is ignored");
    let (s, _, v) = get(app, "/api/papers/2401.99999").await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Paper not found"))
    );
    let (s, _, v) = get(app, "/api/papers/not..an..id").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, _, v) = get(app, "/api/nothing/here").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(v["error"].is_string(), "JSON 404 under /api: {v}");

    // Conditional requests: ETag and Last-Modified give 304; Cache-Control on reads.
    let etag = h[header::ETAG].clone();
    let modified = h[header::LAST_MODIFIED].clone();
    assert!(h[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("max-age"));
    let req = Request::get(format!("/api/papers/{id}"))
        .header(header::IF_NONE_MATCH, etag.clone())
        .body(Vec::new())
        .unwrap();
    let (s, h304, body) = send(app, req).await;
    assert_eq!((s, body.len()), (StatusCode::NOT_MODIFIED, 0));
    assert_eq!(h304[header::ETAG], etag);
    let req = Request::get(format!("/api/papers/{id}"))
        .header(header::IF_MODIFIED_SINCE, modified)
        .body(Vec::new())
        .unwrap();
    assert_eq!(send(app, req).await.0, StatusCode::NOT_MODIFIED);
    let req = Request::get(format!("/api/papers/{id}"))
        .header(header::IF_NONE_MATCH, "\"stale\"")
        .body(Vec::new())
        .unwrap();
    assert_eq!(send(app, req).await.0, StatusCode::OK);

    // CORS for reads, and a preflight.
    let req = Request::get("/api/daily_papers?limit=1")
        .header(header::ORIGIN, "https://elsewhere.example")
        .body(Vec::new())
        .unwrap();
    let (_, h, _) = send(app, req).await;
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let req = Request::builder()
        .method("OPTIONS")
        .uri("/api/daily_papers")
        .header(header::ORIGIN, "https://elsewhere.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .body(Vec::new())
        .unwrap();
    let (s, h, _) = send(app, req).await;
    assert!(s.is_success(), "{s}");
    assert!(h[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .unwrap()
        .contains("GET"));
    assert_eq!(h[header::ACCESS_CONTROL_MAX_AGE], "86400");
    // Pages are not open to other origins.
    let req = Request::get("/papers")
        .header(header::ORIGIN, "https://elsewhere.example")
        .body(Vec::new())
        .unwrap();
    assert!(send(app, req)
        .await
        .1
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());

    // Compression when asked.
    let req = Request::get("/api/daily_papers?month=2025-03&limit=100")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Vec::new())
        .unwrap();
    let (_, h, gz) = send(app, req).await;
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&plain)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        100
    );
    let req = Request::get("/api/daily_papers?month=2025-03&limit=100")
        .header(header::ACCEPT_ENCODING, "br")
        .body(Vec::new())
        .unwrap();
    assert_eq!(send(app, req).await.1[header::CONTENT_ENCODING], "br");

    // Every paper by publication time, with a cursor.
    let mut seen = Vec::new();
    let mut next = Some("/api/papers?limit=40".to_string());
    let mut pages = 0;
    while let Some(url) = next.take() {
        let (s, h, v) = get(app, &url).await;
        assert_eq!(s, StatusCode::OK, "{url}");
        for item in v.as_array().unwrap() {
            seen.push((
                item["publishedAt"].as_str().unwrap().to_string(),
                item["id"].as_str().unwrap().to_string(),
            ));
        }
        next = h.get(header::LINK).map(|l| {
            l.to_str()
                .unwrap()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap()
                .to_string()
        });
        pages += 1;
        assert!(pages < 100);
    }
    let unique: HashSet<&String> = seen.iter().map(|(_, i)| i).collect();
    let all: HashSet<String> = env
        .days
        .iter()
        .flat_map(|(_, items)| {
            items
                .iter()
                .map(|i| i["paper"]["id"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(unique.len(), seen.len(), "no paper twice");
    assert_eq!(unique.len(), all.len(), "every paper once");
    assert!(seen.windows(2).all(|w| w[0].0 >= w[1].0), "newest first");
    for bad in ["cursor=zzz", "cursor=1_notanid", "limit=500"] {
        let (s, _, _) = get(app, &format!("/api/papers?{bad}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }

    // The OpenAPI document describes every API route and is OpenAPI 3.1.
    let (s, _, doc) = get(app, "/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/daily_papers", "get"),
        ("/api/papers", "get"),
        ("/api/papers/{id}", "get"),
        ("/api/papers/search", "get"),
        ("/api/papers/{id}/similar", "get"),
        ("/api/papers/{id}/comments", "get"),
        ("/api/papers/{id}/comment", "post"),
        ("/api/papers/{id}/comment/{comment_id}/reply", "post"),
        ("/api/papers/{id}/upvote", "post"),
        ("/api/papers/{id}/upvote", "delete"),
        ("/api/papers/submit", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    let (s, _, page) = get(app, "/api").await;
    assert_eq!(s, StatusCode::OK);
    let page = page.as_str().unwrap();
    assert!(page.contains("/api/daily_papers") && page.contains("/api/openapi.json"));
    let (_, _, home) = get(app, "/papers").await;
    assert!(
        home.as_str().unwrap().contains("href=\"/api\""),
        "the footer links the API page"
    );

    // Feeds: the same papers as their pages, autodiscovered.
    let (_, _, html) = get(app, "/papers").await;
    let html = html.as_str().unwrap().to_string();
    assert!(
        html.contains("type=\"application/rss+xml\"")
            && html.contains("href=\"/papers/feed.atom\"")
    );
    let cards: Vec<String> = html
        .match_indices("data-id=\"")
        .map(|(i, _)| html[i + 9..i + 9 + html[i + 9..].find('"').unwrap()].to_string())
        .collect();
    for (uri, ct) in [("/papers/feed.rss", "rss"), ("/papers/feed.atom", "atom")] {
        let req = Request::get(uri)
            .header(header::HOST, "papers.test")
            .body(Vec::new())
            .unwrap();
        let (s, h, body) = send(app, req).await;
        assert_eq!(s, StatusCode::OK);
        assert!(h[header::CONTENT_TYPE].to_str().unwrap().contains(ct));
        let xml = String::from_utf8(body).unwrap();
        let links: Vec<String> = xml
            .match_indices("http://papers.test/papers/")
            .map(|(i, _)| {
                xml[i + 26..]
                    .chars()
                    .take_while(|c| *c != '<' && *c != '"')
                    .collect()
            })
            .filter(|s: &String| !s.is_empty() && !s.starts_with("feed"))
            .collect();
        let mut unique = Vec::new();
        for l in links {
            if !unique.contains(&l) {
                unique.push(l);
            }
        }
        assert_eq!(unique, cards, "{uri}: same papers, same order as /papers");
    }
    let (s, _, _) = get(app, "/papers/week/feed.rss").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = get(app, "/papers/trending/feed.atom").await;
    assert_eq!(s, StatusCode::OK);
}
