//! Harvesters and the HTTP fetcher over real HTTP, against a local server that replays recorded
//! arXiv and Hugging Face responses from `shared/data`.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use dp_core::ArxivId;
use dp_ingest::fetch::{FetchError, FetchPolicy, Fetcher, HttpFetcher};
use dp_ingest::harvest::{fetch_ids, harvest_hf, harvest_oai, HarvestError, HarvestReport};
use dp_store::Store;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers

use dp_store::testing::shared_data;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Page 1 of the OAI chain: the recorded hep-ex response with a resumption token added.
fn oai_page1(data: &Path) -> String {
    let xml =
        read(&data.join("arxiv-fixtures/oai-pmh/hepcrawl_functional_arxiv-physics-hep-ex.xml"));
    assert_eq!(xml.matches("</ListRecords>").count(), 1);
    xml.replace(
        "</ListRecords>",
        "<resumptionToken completeListSize=\"6\" cursor=\"0\">page2</resumptionToken>\n</ListRecords>",
    )
}

/// Page 2 (the last) of the OAI chain: the recorded hep-th response, which has no token.
fn oai_page2(data: &Path) -> String {
    let xml =
        read(&data.join("arxiv-fixtures/oai-pmh/hepcrawl_functional_arxiv-physics-hep-th.xml"));
    assert!(!xml.contains("resumptionToken"));
    xml
}

const PAGE1_IDS: [&str; 3] = ["1706.05371", "1706.09418", "1707.00874"];
const PAGE2_IDS: [&str; 3] = ["1412.8323", "1507.07790", "1607.01710"];

async fn temp_store() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let url = dp_store::testing::test_database_url(dir.path())
        .await
        .expect(
        "a test database (DAILYPAPERS_TEST_POSTGRES_URL with DAILYPAPERS_TEST_BACKEND=postgres)",
    );
    let store = dp_store::open(&url).await.unwrap();
    (dir, store)
}

fn fetcher(policy: FetchPolicy) -> HttpFetcher {
    HttpFetcher::new(policy).unwrap()
}

/// A quick policy for tests: no pacing, tiny backoff.
fn quick() -> FetchPolicy {
    FetchPolicy {
        min_interval: Duration::from_millis(0),
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(10),
        ..Default::default()
    }
}

fn no_progress() -> impl Fn(&HarvestReport) + Send + Sync {
    |_: &HarvestReport| {}
}

fn id(s: &str) -> ArxivId {
    s.parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// The decoded value of a query parameter.
fn param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode(v))
}

/// One request the mock server received.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    query: String,
    user_agent: String,
    at: Instant,
}

/// A local HTTP server whose answers come from a closure, recording every request.
struct Mock {
    base: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    /// The raw query strings, in the order received.
    queries: Arc<Mutex<Vec<String>>>,
}

impl Mock {
    async fn start(reply: impl Fn(&Hit) -> Response + Send + Sync + 'static) -> Mock {
        let hits = Arc::new(Mutex::new(Vec::<Hit>::new()));
        let queries = Arc::new(Mutex::new(Vec::<String>::new()));
        let reply = Arc::new(reply);
        let (h, q) = (hits.clone(), queries.clone());
        let app = axum::Router::new().fallback(move |headers: HeaderMap, uri: axum::http::Uri| {
            let (hits, queries, reply) = (h.clone(), q.clone(), reply.clone());
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
                hits.lock().unwrap().push(hit.clone());
                queries.lock().unwrap().push(hit.query.clone());
                reply(&hit)
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Mock {
            base: format!("http://{addr}"),
            hits,
            queries,
        }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    fn queries(&self) -> Vec<String> {
        self.queries.lock().unwrap().clone()
    }
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

fn status(code: u16) -> Response {
    StatusCode::from_u16(code).unwrap().into_response()
}

/// An OAI-PMH endpoint at `/oai2`: the set's first page answers `page1` (whatever `from` is),
/// `resumptionToken=page2` answers `page2` while `page2_ok` is set and HTTP 500 otherwise.
fn oai_server(
    page1: String,
    page2: String,
    page2_ok: Arc<AtomicBool>,
) -> impl Fn(&Hit) -> Response + Send + Sync + 'static {
    move |hit: &Hit| {
        if hit.path != "/oai2" || param(&hit.query, "verb").as_deref() != Some("ListRecords") {
            return status(404);
        }
        match param(&hit.query, "resumptionToken").as_deref() {
            Some("page2") if page2_ok.load(Ordering::SeqCst) => xml(page2.clone()),
            Some("page2") => status(500),
            Some(_) => status(400),
            None if param(&hit.query, "metadataPrefix").as_deref() == Some("arXiv")
                && param(&hit.query, "set").as_deref() == Some("physics:hep-ex") =>
            {
                xml(page1.clone())
            }
            None => status(400),
        }
    }
}

async fn papers(store: &Arc<dyn Store>) -> i64 {
    store.stats().await.unwrap().papers
}

// ---------------------------------------------------------------------------------------------
// 1. OAI-PMH: a resumptionToken chain, then an incremental harvest from the watermark

#[tokio::test]
async fn oai_follows_resumption_tokens_and_then_harvests_from_the_watermark() {
    let Some(data) = shared_data() else { return };
    let page1 = oai_page1(&data);
    let response_day =
        &page1[page1.find("<responseDate>").unwrap() + "<responseDate>".len()..][..10];
    assert_eq!(response_day, "2017-12-14");
    let mock = Mock::start(oai_server(
        page1.clone(),
        oai_page2(&data),
        Arc::new(AtomicBool::new(true)),
    ))
    .await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(quick());
    let base = format!("{}/oai2", mock.base);

    let progress = Arc::new(Mutex::new(Vec::<HarvestReport>::new()));
    let p = progress.clone();
    let on_page = move |r: &HarvestReport| p.lock().unwrap().push(r.clone());
    let r = harvest_oai(
        store.as_ref(),
        &f,
        &base,
        "physics:hep-ex",
        None,
        None,
        &on_page,
    )
    .await
    .unwrap();
    assert_eq!((r.pages, r.read, r.inserted), (2, 6, 6), "{r:?}");
    assert_eq!(
        (r.updated, r.unchanged, r.rejected, r.deleted),
        (0, 0, 0, 0),
        "{r:?}"
    );
    assert!(r.problems.is_empty(), "{r:?}");
    let progress = progress.lock().unwrap().clone();
    assert_eq!(progress.len(), 2, "one progress call per page");
    assert_eq!((progress[0].pages, progress[0].inserted), (1, 3));
    assert_eq!(progress[1], r);
    assert_eq!(papers(&store).await, 6);
    for pid in PAGE1_IDS.iter().chain(&PAGE2_IDS) {
        assert!(
            store.paper(&id(pid)).await.unwrap().is_some(),
            "{pid} stored"
        );
    }
    let p = store.paper(&id("1706.09418")).await.unwrap().unwrap();
    assert_eq!(p.title, "R-Parity Violation at the LHC");
    assert_eq!(p.doi.as_deref(), Some("10.1140/epjc/s10052-017-5414-4"));
    assert_eq!(p.categories.first().map(String::as_str), Some("hep-ph"));
    let p = store.paper(&id("1706.05371")).await.unwrap().unwrap();
    assert_eq!(
        p.title,
        "Evaluation of Silicon Photomultipliers for use as Photosensors in Liquid Xenon Detectors"
    );

    // What the server saw: the set's first page with no window, then the token alone.
    let q = mock.queries();
    assert_eq!(q.len(), 2, "{q:?}");
    assert_eq!(param(&q[0], "verb").as_deref(), Some("ListRecords"));
    assert_eq!(param(&q[0], "metadataPrefix").as_deref(), Some("arXiv"));
    assert_eq!(param(&q[0], "set").as_deref(), Some("physics:hep-ex"));
    assert_eq!(param(&q[0], "from"), None, "{q:?}");
    assert_eq!(param(&q[0], "until"), None, "{q:?}");
    assert_eq!(param(&q[1], "verb").as_deref(), Some("ListRecords"));
    assert_eq!(param(&q[1], "resumptionToken").as_deref(), Some("page2"));
    // OAI-PMH: resumptionToken is an exclusive argument.
    assert_eq!(param(&q[1], "set"), None, "{q:?}");
    assert_eq!(param(&q[1], "metadataPrefix"), None, "{q:?}");
    assert!(mock.hits().iter().all(|h| h.path == "/oai2"));

    // Watermarks: no pending token, and `from` at the day of the first response.
    let token = store.watermark("oai:physics:hep-ex:token").await.unwrap();
    assert!(token.as_deref().unwrap_or("").is_empty(), "{token:?}");
    assert_eq!(
        store
            .watermark("oai:physics:hep-ex:from")
            .await
            .unwrap()
            .as_deref(),
        Some(response_day)
    );

    // Second harvest: starts from the watermark, sees the same records, inserts nothing.
    let r2 = harvest_oai(
        store.as_ref(),
        &f,
        &base,
        "physics:hep-ex",
        None,
        None,
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(
        (r2.pages, r2.read, r2.inserted, r2.updated),
        (2, 6, 0, 0),
        "{r2:?}"
    );
    assert_eq!(r2.unchanged, 6, "{r2:?}");
    assert_eq!(papers(&store).await, 6);
    let q = mock.queries();
    assert_eq!(q.len(), 4, "{q:?}");
    assert_eq!(param(&q[2], "set").as_deref(), Some("physics:hep-ex"));
    assert_eq!(param(&q[2], "from").as_deref(), Some(response_day), "{q:?}");
    assert_eq!(param(&q[3], "resumptionToken").as_deref(), Some("page2"));
}

#[tokio::test]
async fn oai_explicit_window_is_sent() {
    let Some(data) = shared_data() else { return };
    let mock = Mock::start(oai_server(
        oai_page1(&data),
        oai_page2(&data),
        Arc::new(AtomicBool::new(true)),
    ))
    .await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(quick());
    let r = harvest_oai(
        store.as_ref(),
        &f,
        &format!("{}/oai2", mock.base),
        "physics:hep-ex",
        Some(day("2017-12-01")),
        Some(day("2017-12-14")),
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!((r.pages, r.inserted), (2, 6));
    let q = mock.queries();
    assert_eq!(param(&q[0], "from").as_deref(), Some("2017-12-01"));
    assert_eq!(param(&q[0], "until").as_deref(), Some("2017-12-14"));
}

// ---------------------------------------------------------------------------------------------
// 2. OAI-PMH: a harvest that dies mid-chain resumes from the stored token

#[tokio::test]
async fn oai_resumes_from_the_stored_token_after_a_failure() {
    let Some(data) = shared_data() else { return };
    let healthy = Arc::new(AtomicBool::new(false));
    let mock = Mock::start(oai_server(
        oai_page1(&data),
        oai_page2(&data),
        healthy.clone(),
    ))
    .await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(FetchPolicy {
        max_retries: 1,
        ..quick()
    });
    let base = format!("{}/oai2", mock.base);

    let err = harvest_oai(
        store.as_ref(),
        &f,
        &base,
        "physics:hep-ex",
        None,
        None,
        &no_progress(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            HarvestError::Fetch(FetchError::Status { status: 500, .. })
        ),
        "{err:?}"
    );
    // First page, then page 2 once plus one retry.
    let q = mock.queries();
    assert_eq!(q.len(), 3, "{q:?}");
    assert_eq!(param(&q[1], "resumptionToken").as_deref(), Some("page2"));
    assert_eq!(param(&q[2], "resumptionToken").as_deref(), Some("page2"));
    // Page 1 is kept, and so is the position.
    assert_eq!(papers(&store).await, 3);
    for pid in PAGE1_IDS {
        assert!(store.paper(&id(pid)).await.unwrap().is_some(), "{pid}");
    }
    assert_eq!(
        store
            .watermark("oai:physics:hep-ex:token")
            .await
            .unwrap()
            .as_deref(),
        Some("page2")
    );
    assert_eq!(
        store.watermark("oai:physics:hep-ex:from").await.unwrap(),
        None
    );

    // The source recovers: the next harvest asks for page 2 first.
    healthy.store(true, Ordering::SeqCst);
    let r = harvest_oai(
        store.as_ref(),
        &f,
        &base,
        "physics:hep-ex",
        None,
        None,
        &no_progress(),
    )
    .await
    .unwrap();
    let q = mock.queries();
    assert_eq!(q.len(), 4, "only page 2 is fetched again: {q:?}");
    assert_eq!(
        param(&q[3], "resumptionToken").as_deref(),
        Some("page2"),
        "{q:?}"
    );
    assert_eq!(param(&q[3], "set"), None);
    assert_eq!((r.pages, r.read, r.inserted), (1, 3, 3), "{r:?}");
    assert_eq!(papers(&store).await, 6);
    for pid in PAGE2_IDS {
        assert!(store.paper(&id(pid)).await.unwrap().is_some(), "{pid}");
    }
    let token = store.watermark("oai:physics:hep-ex:token").await.unwrap();
    assert!(token.as_deref().unwrap_or("").is_empty(), "{token:?}");
    assert_eq!(
        store
            .watermark("oai:physics:hep-ex:from")
            .await
            .unwrap()
            .as_deref(),
        Some("2017-12-14")
    );
}

#[tokio::test]
async fn oai_expired_token_starts_the_window_again() {
    let Some(data) = shared_data() else { return };
    let (_dir, store) = temp_store().await;
    let f = fetcher(quick());
    let set = "physics:hep-ex";

    // HTTP 400 for a token the server no longer knows.
    let mock = Mock::start(oai_server(
        oai_page1(&data),
        oai_page2(&data),
        Arc::new(AtomicBool::new(true)),
    ))
    .await;
    store
        .set_watermark("oai:physics:hep-ex:from", "2017-12-01")
        .await
        .unwrap();
    store
        .set_watermark("oai:physics:hep-ex:token", "expired")
        .await
        .unwrap();
    let r = harvest_oai(
        store.as_ref(),
        &f,
        &format!("{}/oai2", mock.base),
        set,
        None,
        None,
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!((r.pages, r.inserted), (2, 6), "{r:?}");
    let q = mock.queries();
    assert_eq!(q.len(), 3, "{q:?}");
    assert_eq!(param(&q[0], "resumptionToken").as_deref(), Some("expired"));
    assert_eq!(param(&q[1], "from").as_deref(), Some("2017-12-01"), "{q:?}");
    assert_eq!(param(&q[2], "resumptionToken").as_deref(), Some("page2"));

    // The OAI-PMH way: HTTP 200 with <error code="badResumptionToken">.
    let page1 = oai_page1(&data);
    let page2 = oai_page2(&data);
    let mock = Mock::start(move |hit: &Hit| match param(&hit.query, "resumptionToken").as_deref() {
        Some("page2") => xml(page2.clone()),
        Some(_) => xml(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\">\
             <responseDate>2017-12-15T10:00:00Z</responseDate><request verb=\"ListRecords\">http://export.arxiv.org/oai2</request>\
             <error code=\"badResumptionToken\">The value of the resumptionToken argument is invalid or expired.</error></OAI-PMH>"
                .to_string(),
        ),
        None => xml(page1.clone()),
    })
    .await;
    store
        .set_watermark("oai:physics:hep-ex:token", "expired-too")
        .await
        .unwrap();
    let r = harvest_oai(
        store.as_ref(),
        &f,
        &format!("{}/oai2", mock.base),
        set,
        None,
        None,
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(
        (r.pages, r.read, r.inserted, r.unchanged),
        (2, 6, 0, 6),
        "{r:?}"
    );
    let q = mock.queries();
    assert_eq!(q.len(), 3, "{q:?}");
    assert_eq!(
        param(&q[0], "resumptionToken").as_deref(),
        Some("expired-too")
    );
    assert_eq!(param(&q[1], "set").as_deref(), Some(set));
    assert_eq!(param(&q[1], "from").as_deref(), Some("2017-12-14"), "{q:?}");
}

#[tokio::test]
async fn oai_refused_token_and_refused_window_fail_instead_of_looping() {
    let Some(_data) = shared_data() else { return };
    let mock = Mock::start(|_: &Hit| status(400)).await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(quick());
    store
        .set_watermark("oai:cs:token", "expired")
        .await
        .unwrap();
    let res = tokio::time::timeout(
        Duration::from_secs(10),
        harvest_oai(
            store.as_ref(),
            &f,
            &format!("{}/oai2", mock.base),
            "cs",
            None,
            None,
            &no_progress(),
        ),
    )
    .await;
    let q = mock.queries();
    let err = res
        .unwrap_or_else(|_| panic!("harvest_oai still running after {} requests", q.len()))
        .unwrap_err();
    assert!(
        matches!(
            err,
            HarvestError::Fetch(FetchError::Status { status: 400, .. })
        ),
        "{err:?}"
    );
    assert_eq!(q.len(), 2, "the token once, then the window once: {q:?}");
    assert_eq!(param(&q[0], "resumptionToken").as_deref(), Some("expired"));
    assert_eq!(param(&q[1], "set").as_deref(), Some("cs"));
}

#[tokio::test]
async fn oai_resumed_chain_keeps_the_day_it_started() {
    let Some(data) = shared_data() else { return };
    // The crash happens on 2017-12-14 and the chain is resumed two days later, while the token
    // is still good: the next window must still start at the day the chain started, or records
    // changed on 2017-12-14 and 2017-12-15 are never harvested.
    let page2 = oai_page2(&data).replace(
        "<responseDate>2017-12-14T12:56:31Z</responseDate>",
        "<responseDate>2017-12-16T09:00:00Z</responseDate>",
    );
    assert!(page2.contains("2017-12-16T09:00:00Z"));
    let healthy = Arc::new(AtomicBool::new(false));
    let mock = Mock::start(oai_server(oai_page1(&data), page2, healthy.clone())).await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(FetchPolicy {
        max_retries: 0,
        ..quick()
    });
    let base = format!("{}/oai2", mock.base);
    harvest_oai(
        store.as_ref(),
        &f,
        &base,
        "physics:hep-ex",
        None,
        None,
        &no_progress(),
    )
    .await
    .unwrap_err();
    healthy.store(true, Ordering::SeqCst);
    let r = harvest_oai(
        store.as_ref(),
        &f,
        &base,
        "physics:hep-ex",
        None,
        None,
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!((r.pages, r.inserted), (1, 3), "{r:?}");
    assert_eq!(
        store
            .watermark("oai:physics:hep-ex:from")
            .await
            .unwrap()
            .as_deref(),
        Some("2017-12-14")
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Retries: Retry-After is honoured, client errors are not retried

#[tokio::test]
async fn retry_after_is_honoured_and_404_is_not_retried() {
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    let mock = Mock::start(move |hit: &Hit| match hit.path.as_str() {
        "/flaky" => {
            if c.fetch_add(1, Ordering::SeqCst) == 0 {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, "1")],
                    "busy",
                )
                    .into_response()
            } else {
                "ok at last".into_response()
            }
        }
        _ => status(404),
    })
    .await;
    // A long backoff, so a pass can only come from honouring Retry-After (1 s).
    let f = fetcher(FetchPolicy {
        backoff: Duration::from_millis(50),
        max_retries: 2,
        ..quick()
    });
    let t0 = Instant::now();
    let body = f.get(&format!("{}/flaky", mock.base)).await.unwrap();
    assert_eq!(body, b"ok at last");
    let hits = mock.hits();
    assert_eq!(hits.len(), 2, "{hits:?}");
    let gap = hits[1].at - hits[0].at;
    assert!(
        gap >= Duration::from_millis(900),
        "waited only {gap:?} after Retry-After: 1"
    );
    assert!(t0.elapsed() < Duration::from_secs(5));

    let err = f.get(&format!("{}/missing", mock.base)).await.unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 404, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("404"), "{err}");
    let hits = mock.hits();
    assert_eq!(hits.len(), 3, "a 404 is asked once: {hits:?}");
    assert_eq!(hits[2].path, "/missing");
}

#[tokio::test]
async fn server_errors_are_retried_until_the_retries_run_out() {
    let mock = Mock::start(|_: &Hit| status(502)).await;
    let f = fetcher(FetchPolicy {
        max_retries: 2,
        ..quick()
    });
    let err = f.get(&format!("{}/down", mock.base)).await.unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 502, .. }),
        "{err:?}"
    );
    assert_eq!(mock.hits().len(), 3, "one attempt and two retries");
}

// ---------------------------------------------------------------------------------------------
// 4. Politeness: pacing and the User-Agent

#[tokio::test]
async fn requests_are_paced_and_carry_the_user_agent() {
    let mock = Mock::start(|_: &Hit| "fine".into_response()).await;
    let ua = "dailypapers-test/0.0 (mailto:harvest-test@example.org)";
    let f = fetcher(FetchPolicy {
        min_interval: Duration::from_millis(300),
        user_agent: ua.to_string(),
        ..quick()
    });
    let t0 = Instant::now();
    for i in 0..3 {
        assert_eq!(
            f.get(&format!("{}/p{i}", mock.base)).await.unwrap(),
            b"fine"
        );
    }
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(600),
        "three requests in {took:?}"
    );
    let hits = mock.hits();
    assert_eq!(hits.len(), 3);
    for w in hits.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(gap >= Duration::from_millis(280), "requests {gap:?} apart");
    }
    assert!(hits.iter().all(|h| h.user_agent == ua), "{hits:?}");

    // The default names the project.
    let f = fetcher(quick());
    f.get(&format!("{}/default", mock.base)).await.unwrap();
    let last = mock.hits().pop().unwrap();
    assert!(last.user_agent.starts_with("dailypapers/"), "{last:?}");
}

// ---------------------------------------------------------------------------------------------
// 5. No network: unreachable hosts and servers that never answer

#[tokio::test]
async fn unreachable_host_and_silent_server() {
    let f = fetcher(FetchPolicy {
        max_retries: 0,
        ..quick()
    });
    let err = f.get("http://127.0.0.1:1/").await.unwrap_err();
    assert!(matches!(err, FetchError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("cannot reach"), "{err}");
    assert!(err.to_string().contains("127.0.0.1"), "{err}");

    // Accepts connections, reads nothing, answers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let f = fetcher(FetchPolicy {
        timeout: Duration::from_millis(300),
        max_retries: 0,
        ..quick()
    });
    let t0 = Instant::now();
    let err = f.get(&format!("http://{addr}/slow")).await.unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
}

// ---------------------------------------------------------------------------------------------
// 6. Hugging Face daily list mirror

fn hf_day_json(data: &Path, day: &str) -> Option<Vec<u8>> {
    let path = data.join(format!("hf-daily/days/{day}.json.gz"));
    let file = std::fs::File::open(path).ok()?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .unwrap();
    Some(out)
}

/// `/api/daily_papers?date=DAY` from the archived days; `[]` for days without a file. Days in
/// `broken` answer a truncated body.
fn hf_server(
    data: PathBuf,
    broken: Arc<Mutex<Vec<String>>>,
) -> impl Fn(&Hit) -> Response + Send + Sync + 'static {
    move |hit: &Hit| {
        if hit.path != "/api/daily_papers" {
            return status(404);
        }
        let Some(day) = param(&hit.query, "date") else {
            return status(400);
        };
        if broken.lock().unwrap().contains(&day) {
            return (
                [(header::CONTENT_TYPE, "application/json")],
                "{\"not\": \"an array\"",
            )
                .into_response();
        }
        let body = hf_day_json(&data, &day).unwrap_or_else(|| b"[]".to_vec());
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

fn archived_ids(data: &Path, day: &str) -> Vec<String> {
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(&hf_day_json(data, day).unwrap()).unwrap();
    items
        .iter()
        .map(|i| i["paper"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn hf_mirror_stores_each_day_in_order() {
    let Some(data) = shared_data() else { return };
    let mock = Mock::start(hf_server(data.clone(), Arc::default())).await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(quick());
    let r = harvest_hf(
        store.as_ref(),
        &f,
        &format!("{}/", mock.base),
        Some(day("2026-08-17")),
        day("2026-08-21"),
        &no_progress(),
    )
    .await
    .unwrap();
    let days = [
        "2026-08-17",
        "2026-08-18",
        "2026-08-19",
        "2026-08-20",
        "2026-08-21",
    ];
    let total: usize = days.iter().map(|d| archived_ids(&data, d).len()).sum();
    assert_eq!(r.pages, 5, "{r:?}");
    assert_eq!(r.read as usize, total, "{r:?}");
    assert_eq!(r.rejected, 0, "{:?}", r.problems);
    assert_eq!(r.inserted + r.updated + r.unchanged, r.read, "{r:?}");

    let q = mock.queries();
    let asked: Vec<String> = q.iter().map(|q| param(q, "date").unwrap()).collect();
    assert_eq!(asked, days);
    assert!(mock.hits().iter().all(|h| h.path == "/api/daily_papers"));

    let expected = archived_ids(&data, "2026-08-18");
    assert_eq!(expected.len(), 29);
    let feed = store.day_feed(day("2026-08-18")).await.unwrap();
    let got: Vec<String> = feed.iter().map(|i| i.paper.id.to_string()).collect();
    assert_eq!(got, expected);
    assert!(feed.iter().all(|i| i.entry.day == day("2026-08-18")));
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.days, 5);
    assert_eq!(stats.feed_entries as usize, total);
    assert_eq!(stats.first_day, Some(day("2026-08-17")));
    assert_eq!(stats.latest_day, Some(day("2026-08-21")));
    assert_eq!(
        store.watermark("hf:last_day").await.unwrap().as_deref(),
        Some("2026-08-21")
    );

    // A weekend answers `[]`; the watermark still moves past it. The last days before `until`
    // are fetched again to refresh their counts (here: 08-21, unchanged).
    let r = harvest_hf(
        store.as_ref(),
        &f,
        &mock.base,
        None,
        day("2026-08-23"),
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(r.pages, 3, "{r:?}");
    assert!(
        r.read > 0 && r.unchanged == r.read && r.inserted == 0,
        "{r:?}"
    );
    let q = mock.queries();
    assert_eq!(param(&q[5], "date").as_deref(), Some("2026-08-21"));
    assert_eq!(param(&q[6], "date").as_deref(), Some("2026-08-22"));
    assert_eq!(param(&q[7], "date").as_deref(), Some("2026-08-23"));
    assert_eq!(
        store.watermark("hf:last_day").await.unwrap().as_deref(),
        Some("2026-08-23")
    );
}

#[tokio::test]
async fn hf_malformed_day_stops_the_harvest_and_loses_nothing() {
    let Some(data) = shared_data() else { return };
    let broken = Arc::new(Mutex::new(vec!["2026-08-19".to_string()]));
    let mock = Mock::start(hf_server(data.clone(), broken.clone())).await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(quick());
    let err = harvest_hf(
        store.as_ref(),
        &f,
        &mock.base,
        Some(day("2026-08-17")),
        day("2026-08-21"),
        &no_progress(),
    )
    .await
    .unwrap_err();
    match &err {
        HarvestError::BadResponse { url, message } => {
            assert!(url.contains("date=2026-08-19"), "{url}");
            assert!(message.contains("JSON array"), "{message}");
        }
        other => panic!("expected BadResponse, got {other:?}"),
    }
    // The days before the bad one are stored, and the watermark stops before it.
    assert_eq!(mock.queries().len(), 3);
    assert_eq!(
        store.watermark("hf:last_day").await.unwrap().as_deref(),
        Some("2026-08-18")
    );
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.days, 2);
    let before = archived_ids(&data, "2026-08-17").len() + archived_ids(&data, "2026-08-18").len();
    assert_eq!(stats.feed_entries as usize, before);
    assert!(store.day_feed(day("2026-08-19")).await.unwrap().is_empty());

    // Once the source is fixed, the next run continues at the bad day.
    broken.lock().unwrap().clear();
    let r = harvest_hf(
        store.as_ref(),
        &f,
        &mock.base,
        None,
        day("2026-08-21"),
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(r.pages, 3, "{r:?}");
    let q = mock.queries();
    assert_eq!(param(&q[3], "date").as_deref(), Some("2026-08-19"), "{q:?}");
    let got: Vec<String> = store
        .day_feed(day("2026-08-19"))
        .await
        .unwrap()
        .iter()
        .map(|i| i.paper.id.to_string())
        .collect();
    assert_eq!(got, archived_ids(&data, "2026-08-19"));
    assert_eq!(store.stats().await.unwrap().days, 5);
}

// ---------------------------------------------------------------------------------------------
// 7. arXiv API by id

#[tokio::test]
async fn arxiv_api_fetches_papers_by_id() {
    let Some(data) = shared_data() else { return };
    let api = data.join("arxiv-fixtures/atom-api");
    let one = read(&api.join("id_list_1111.2011v2.xml"));
    let none = read(&api.join("recorded_id_0000.0000_s0_m100_8b51d9633a68.atom.xml"));
    let mock = Mock::start(move |hit: &Hit| {
        if hit.path != "/api/query" {
            return status(404);
        }
        match param(&hit.query, "id_list").as_deref() {
            Some("1111.2011") => xml(one.clone()),
            // Any id arXiv does not know gets the recorded empty answer.
            Some("2101.99999") => xml(none.clone()),
            _ => status(400),
        }
    })
    .await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(quick());
    let api_url = format!("{}/api/query", mock.base);

    let r = fetch_ids(store.as_ref(), &f, &api_url, &[id("1111.2011")])
        .await
        .unwrap();
    assert_eq!(
        (r.pages, r.read, r.inserted, r.rejected),
        (1, 1, 1, 0),
        "{r:?}"
    );
    let q = mock.queries();
    assert_eq!(param(&q[0], "id_list").as_deref(), Some("1111.2011"));
    assert_eq!(param(&q[0], "max_results").as_deref(), Some("1"));
    let p = store
        .paper(&id("1111.2011"))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(p.id.to_string(), "1111.2011");
    assert_eq!(p.version, Some(2));
    assert_eq!(
        p.title,
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    );
    assert_eq!(
        p.authors,
        ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    );
    assert_eq!(p.doi.as_deref(), Some("10.1103/PhysRevB.85.115117"));
    assert_eq!(
        p.categories.first().map(String::as_str),
        Some("cond-mat.str-el")
    );

    // The recorded answer for an id arXiv does not know: an empty feed, not an error.
    let r = fetch_ids(store.as_ref(), &f, &api_url, &[id("2101.99999")])
        .await
        .unwrap();
    assert_eq!(
        (r.pages, r.read, r.inserted, r.rejected),
        (1, 0, 0, 0),
        "{r:?}"
    );
    assert_eq!(papers(&store).await, 1);
    assert_eq!(mock.queries().len(), 2);
}
