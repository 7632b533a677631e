//! Search over HTTP: the page, the Hugging Face-shaped API, hostile queries, and a paper
//! written through one server found by keyword search through another.

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use dp_app::{App, Rules};
use dp_core::Record;
use dp_search::follow::Follower;
use dp_search::KeywordIndex;
use dp_store::Store;
use dp_testkit::server::TestApp;
use dp_testkit::PaperExt;
use dp_web::WebSettings;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn get(app: &TestApp, uri: &str) -> (StatusCode, String) {
    let r = app.get(uri).await;
    (r.status, r.body)
}

fn paper(id: &str, title: &str, abs: &str) -> Record {
    Record::from(
        dp_testkit::paper(id, title)
            .with_abstract(abs)
            .with_authors(&["Ada Lovelace"])
            .in_categories(&["cs.LG"])
            .published_at(Utc.with_ymd_and_hms(2025, 3, 3, 0, 0, 0).unwrap()),
    )
}

/// A server whose search follows `store` (keyword only).
async fn server(store: Arc<dyn Store>) -> TestApp {
    let follower = Follower::new(Arc::new(KeywordIndex::open(None).unwrap()));
    server_with(store, Arc::new(follower)).await
}

async fn server_with(store: Arc<dyn Store>, follower: Arc<Follower>) -> TestApp {
    let app = App::new(store, Rules::default()).with_search(follower);
    let settings = WebSettings {
        metrics_token: Some("metrics-token".into()),
        searches_per_minute: 0,
        ..WebSettings::default()
    };
    TestApp::start(app, settings).await
}

async fn store_in(dir: &std::path::Path) -> Option<Arc<dyn Store>> {
    let url = dp_testkit::db::test_database_url(dir).await?;
    Some(dp_store::open(&url).await.unwrap())
}

#[tokio::test]
async fn search_page_and_api() {
    let dir = tempfile::tempdir().unwrap();
    let Some(store) = store_in(dir.path()).await else {
        return;
    };
    store
        .upsert_records(vec![
            paper(
                "2503.00001",
                "Compatible model updates",
                "Reducing negative flips when <updating> a model & more.",
            ),
            paper("2503.00002", "Graph networks", "Message passing."),
        ])
        .await
        .unwrap();
    let app = server(store.clone()).await;
    app.state
        .app
        .search
        .as_ref()
        .unwrap()
        .catch_up(store.as_ref(), &|_| {})
        .await
        .unwrap();

    let (s, body) = get(&app, "/search?q=negative+flips&category=cs.LG").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains("data-id=\"2503.00001\"") && !body.contains("data-id=\"2503.00002\""),
        "{body}"
    );
    assert!(
        body.contains("<mark>negative</mark> <mark>flips</mark>"),
        "{body}"
    );
    assert!(
        body.contains("&lt;updating&gt;") && !body.contains("<updating>"),
        "escaped"
    );

    let (s, body) = get(&app, "/api/papers/search?q=graph&limit=5").await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v[0]["paper"]["id"], "2503.00002");
    assert_eq!(v[0]["paper"]["authors"][0]["name"], "Ada Lovelace");
    assert_eq!(
        v[0]["highlightedTitle"][0],
        serde_json::json!({"type": "highlight", "text": "Graph"})
    );
    assert_eq!(v[0]["upvoted"], false);
    let (_, body) = get(&app, "/api/papers/search?q=2503.00001").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "an id goes straight to it");

    // Bad parameters: 400 naming them; hostile text: results or a clear 400, never a 500.
    let long = "x".repeat(251);
    for (uri, want) in [
        (format!("/api/papers/search?q={long}"), "q:"),
        ("/api/papers/search?q=a&limit=121".to_string(), "limit:"),
        ("/api/papers/search?q=a&limit=0".to_string(), "limit:"),
        ("/api/papers/search?q=a&limit=x".to_string(), "limit:"),
    ] {
        let (s, body) = get(&app, &uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}");
        assert!(body.contains(want), "{uri}: {body}");
    }
    let big = "y".repeat(10_000);
    for q in [
        "%22unbalanced",
        "a%3Ab%3Ac",
        "(((",
        "%F0%9F%99%82",
        "%E6%A8%A1%E5%9E%8B",
        "title%3A*",
        "from%3Anope",
        big.as_str(),
    ] {
        for path in ["/search?q=", "/api/papers/search?q="] {
            let (s, _) = get(&app, &format!("{path}{q}")).await;
            assert!(
                s == StatusCode::OK || s == StatusCode::BAD_REQUEST,
                "{path}{q}: {s}"
            );
        }
    }
    let (s, body) = get(&app, "/api/papers/search?q=").await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "[]"));
}

#[tokio::test]
async fn a_paper_written_through_one_server_is_found_through_another_within_2_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = dp_testkit::db::test_database_url(dir.path()).await else {
        return;
    };
    // Two servers: separate connection pools, caches and indexes, one database.
    let a = dp_store::open(&url).await.unwrap();
    let b = dp_store::open(&url).await.unwrap();
    let app_a = server(a.clone()).await;
    let app_b = server(b.clone()).await;
    let _bg_a = app_a.state.spawn_background();
    let bg_b = app_b.state.spawn_background();
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.upsert_records(vec![paper(
        "2503.00009",
        "Zebrafish regeneration atlas",
        "Fins.",
    )])
    .await
    .unwrap();
    let t = Instant::now();
    let mut found = None;
    while t.elapsed() < Duration::from_secs(5) {
        let (_, body) = get(&app_b, "/api/papers/search?q=zebrafish").await;
        if body.contains("2503.00009") {
            found = Some(t.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bg_b.abort();
    let lag = found.expect("found through the other server");
    println!("found through the other server after {lag:?}");
    assert!(lag < Duration::from_secs(2), "{lag:?}");
    // The index-lag metric is exported.
    let metrics = app_b
        .get_with("/metrics", &[("authorization", "Bearer metrics-token")])
        .await
        .body;
    assert!(metrics.contains("search_index_lag 0"), "{metrics}");
}

/// Similar papers and semantic ranking with the real model: papers embedded in the store are
/// followed into the server's vector index.
#[tokio::test(flavor = "multi_thread")]
async fn similar_papers_and_semantic_search() {
    let Some(model) = dp_testkit::env::model_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(store) = store_in(dir.path()).await else {
        return;
    };
    store
        .upsert_records(vec![
            paper(
                "2503.00001",
                "Compatible model updates without regressions",
                "When a deployed classifier is replaced by a new version, some inputs it used to get right become wrong.",
            ),
            paper(
                "2503.00002",
                "Backward-compatible training for model upgrades",
                "We reduce negative flips: samples that an updated model misclassifies although the old model was right.",
            ),
            paper(
                "2503.00003",
                "Sourdough baking at high altitude",
                "Bread fermentation, flour hydration and oven temperature for home bakers.",
            ),
        ])
        .await
        .unwrap();
    let embedder = Arc::new(dp_search::embed::Embedder::load(&model).unwrap());
    let n = dp_search::jobs::embed_missing(store.as_ref(), &embedder, 8, None, &|_| {})
        .await
        .unwrap();
    assert_eq!(n, 3);
    let semantic = dp_search::Semantic {
        vectors: Arc::new(dp_search::vector::VectorIndex::new(
            embedder.dim(),
            Default::default(),
        )),
        embedder,
    };
    let follower = dp_search::follow::Follower::new(Arc::new(KeywordIndex::open(None).unwrap()))
        .with_semantic(semantic);
    let follower = Arc::new(follower);
    follower
        .load_vectors(store.as_ref(), &|_| {})
        .await
        .unwrap();
    follower.catch_up(store.as_ref(), &|_| {}).await.unwrap();
    let app = server_with(store.clone(), follower).await;

    let (s, body) = get(&app, "/api/papers/2503.00001/similar?limit=2").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["paper"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["2503.00002", "2503.00003"],
        "nearest first, itself left out"
    );
    let sim = |i: usize| v[i]["similarity"].as_f64().unwrap();
    assert!(sim(0) > sim(1) && sim(0) < 1.0);
    assert_eq!(
        get(&app, "/api/papers/2503.09999/similar").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/papers/nonsense/similar").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, "/api/papers/2503.00001/similar?limit=0").await.0,
        StatusCode::BAD_REQUEST
    );

    let (s, page) = get(&app, "/papers/2503.00001").await;
    assert_eq!(s, StatusCode::OK);
    let section = page
        .split("Similar papers")
        .nth(1)
        .expect("a similar-papers section");
    assert!(
        section.find("2503.00002").unwrap() < section.find("2503.00003").unwrap(),
        "{section}"
    );

    // Semantic ranking finds the paper that shares no word with the query; keyword does not.
    let q = "/api/papers/search?q=new+version+gets+old+inputs+wrong";
    let (_, kw) = get(&app, &format!("{q}&mode=keyword")).await;
    let (_, sem) = get(&app, &format!("{q}&mode=semantic")).await;
    let first = |b: &str| {
        let v: serde_json::Value = serde_json::from_str(b).unwrap();
        v[0]["paper"]["id"].as_str().map(str::to_string)
    };
    assert!(
        matches!(first(&sem).as_deref(), Some("2503.00001" | "2503.00002")),
        "{sem}"
    );
    assert_ne!(first(&kw).as_deref(), Some("2503.00003"), "{kw}");
    let (s, hy) = get(&app, &format!("{q}&mode=hybrid")).await;
    assert_eq!(s, StatusCode::OK);
    assert_ne!(first(&hy).as_deref(), Some("2503.00003"), "{hy}");
    assert_eq!(
        get(&app, &format!("{q}&mode=fuzzy")).await.0,
        StatusCode::BAD_REQUEST
    );
    let (s, html) = get(&app, "/search?q=bread+making&mode=semantic").await;
    assert_eq!(s, StatusCode::OK);
    let first_card = html.split("data-rank=\"1\"").nth(1).unwrap_or_default();
    assert!(first_card.contains("data-id=\"2503.00003\""), "{html}");
}

/// Each server keeps its own vector index and follows the store: a paper embedded through one
/// server (its vector stored in the shared database) shows up in the other server's similar
/// papers and semantic search within 2 seconds, without a restart.
#[tokio::test(flavor = "multi_thread")]
async fn a_vector_stored_through_one_server_reaches_another_servers_vector_index() {
    let Some(model) = dp_testkit::env::model_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = dp_testkit::db::test_database_url(dir.path()).await else {
        return;
    };
    let embedder = Arc::new(dp_search::embed::Embedder::load(&model).unwrap());
    let with_vectors = |store: Arc<dyn Store>| {
        let follower =
            dp_search::follow::Follower::new(Arc::new(KeywordIndex::open(None).unwrap()))
                .with_semantic(dp_search::Semantic {
                    vectors: Arc::new(dp_search::vector::VectorIndex::new(
                        embedder.dim(),
                        Default::default(),
                    )),
                    embedder: embedder.clone(),
                });
        server_with(store, Arc::new(follower))
    };
    let a = dp_store::open(&url).await.unwrap();
    let b = dp_store::open(&url).await.unwrap();
    a.upsert_records(vec![paper(
        "2503.00001",
        "Compatible model updates without regressions",
        "When a deployed classifier is replaced by a new version, some inputs it used to get right become wrong.",
    )])
    .await
    .unwrap();
    dp_search::jobs::embed_missing(a.as_ref(), &embedder, 8, None, &|_| {})
        .await
        .unwrap();
    let app_b = with_vectors(b.clone()).await;
    let bg_b = app_b.state.spawn_background();
    // B has loaded the first vector; it has no neighbour yet.
    let t = Instant::now();
    loop {
        let (s, body) = get(&app_b, "/api/papers/2503.00001/similar").await;
        if s == StatusCode::OK {
            assert_eq!(body, "[]", "no other paper has a vector yet");
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "{s}: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Server A (its own state, pool and indexes) gets a new paper and embeds it.
    let app_a = with_vectors(a.clone()).await;
    let bg_a = app_a.state.spawn_background();
    a.upsert_records(vec![paper(
        "2503.00002",
        "Backward-compatible training for model upgrades",
        "We reduce negative flips: samples that an updated model misclassifies although the old model was right.",
    )])
    .await
    .unwrap();
    assert_eq!(
        dp_search::jobs::embed_missing(a.as_ref(), &embedder, 8, None, &|_| {})
            .await
            .unwrap(),
        1
    );
    let t = Instant::now();
    let mut found = None;
    while t.elapsed() < Duration::from_secs(5) {
        let (_, body) = get(&app_b, "/api/papers/2503.00001/similar").await;
        if body.contains("2503.00002") {
            found = Some(t.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let lag = found.expect("the new vector reached the other server's vector index");
    println!("vector followed by the other server after {lag:?}");
    assert!(lag < Duration::from_secs(2), "{lag:?}");
    // Semantic search on B finds the new paper from words it does not contain (once B's
    // keyword index, which renders results, has committed the same batch: moments later).
    let t = Instant::now();
    loop {
        let (s, body) = get(
            &app_b,
            "/api/papers/search?q=upgraded+classifier+breaks+old+answers&mode=semantic",
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        if body.contains("2503.00002") {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(2), "{body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bg_a.abort();
    bg_b.abort();
}
