//! The ingest crate's integration tests, one binary: harvesters and the HTTP fetcher over real
//! HTTP against local servers that replay recorded arXiv and Hugging Face responses from
//! `shared/data`, and file imports (fixtures, hostile input, crashes mid-file).

mod arxiv;
mod fetch;
mod hf;
mod import;
mod oai;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use dp_ingest::fetch::{FetchPolicy, HttpFetcher};
use dp_ingest::harvest::HarvestReport;
use dp_store::Store;
pub use dp_testkit::replay::{query_param as param, Hit, Mock};
pub use dp_testkit::{day, id};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use dp_testkit::env::shared_data;

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Page 1 of the OAI chain: the recorded hep-ex response with a resumption token added.
pub fn oai_page1(data: &Path) -> String {
    let xml =
        read(&data.join("arxiv-fixtures/oai-pmh/hepcrawl_functional_arxiv-physics-hep-ex.xml"));
    assert_eq!(xml.matches("</ListRecords>").count(), 1);
    xml.replace(
        "</ListRecords>",
        "<resumptionToken completeListSize=\"6\" cursor=\"0\">page2</resumptionToken>\n</ListRecords>",
    )
}

/// Page 2 (the last) of the OAI chain: the recorded hep-th response, which has no token.
pub fn oai_page2(data: &Path) -> String {
    let xml =
        read(&data.join("arxiv-fixtures/oai-pmh/hepcrawl_functional_arxiv-physics-hep-th.xml"));
    assert!(!xml.contains("resumptionToken"));
    xml
}

pub const PAGE1_IDS: [&str; 3] = ["1706.05371", "1706.09418", "1707.00874"];
pub const PAGE2_IDS: [&str; 3] = ["1412.8323", "1507.07790", "1607.01710"];

pub async fn temp_store() -> (dp_testkit::db::TestStore, Arc<dyn Store>) {
    let t = dp_testkit::db::TestStore::new().await.expect(
        "a test database (DAILYPAPERS_TEST_POSTGRES_URL with DAILYPAPERS_TEST_BACKEND=postgres)",
    );
    let store = t.store.clone();
    (t, store)
}

pub fn fetcher(policy: FetchPolicy) -> HttpFetcher {
    HttpFetcher::new(policy).unwrap()
}

/// A quick policy for tests: no pacing, tiny backoff.
pub fn quick() -> FetchPolicy {
    FetchPolicy {
        min_interval: Duration::from_millis(0),
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(10),
        ..Default::default()
    }
}

pub fn no_progress() -> impl Fn(&HarvestReport) + Send + Sync {
    |_: &HarvestReport| {}
}

pub fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

pub fn status(code: u16) -> Response {
    StatusCode::from_u16(code).unwrap().into_response()
}

/// An OAI-PMH endpoint at `/oai2`: the set's first page answers `page1` (whatever `from` is),
/// `resumptionToken=page2` answers `page2` while `page2_ok` is set and HTTP 500 otherwise.
pub fn oai_server(
    page1: String,
    page2: String,
    page2_ok: Arc<AtomicBool>,
) -> impl Fn(&Hit) -> Response + Send + Sync + 'static {
    move |hit: &Hit| {
        if hit.path != "/oai2" || hit.param("verb").as_deref() != Some("ListRecords") {
            return status(404);
        }
        match hit.param("resumptionToken").as_deref() {
            Some("page2") if page2_ok.load(Ordering::SeqCst) => xml(page2.clone()),
            Some("page2") => status(500),
            Some(_) => status(400),
            None if hit.param("metadataPrefix").as_deref() == Some("arXiv")
                && hit.param("set").as_deref() == Some("physics:hep-ex") =>
            {
                xml(page1.clone())
            }
            None => status(400),
        }
    }
}

pub async fn papers(store: &Arc<dyn Store>) -> i64 {
    store.stats().await.unwrap().papers
}
