//! OAI-PMH: resumption-token chains, incremental harvests from the watermark, and a harvest that dies mid-chain resuming from the stored token.

use crate::*;
use dp_ingest::fetch::{FetchError, FetchPolicy};
use dp_ingest::harvest::{harvest_oai, HarvestError, HarvestReport, OaiPlan};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
        &OaiPlan {
            set: "physics:hep-ex",
            ..OaiPlan::default()
        },
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
    let r2 = incremental(&store, &f, &base, "physics:hep-ex")
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
        &OaiPlan {
            set: "physics:hep-ex",
            from: Some(day("2017-12-01")),
            until: Some(day("2017-12-14")),
            ..OaiPlan::default()
        },
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

    let err = incremental(&store, &f, &base, "physics:hep-ex")
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
    let r = incremental(&store, &f, &base, "physics:hep-ex")
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
    let r = incremental(&store, &f, &format!("{}/oai2", mock.base), set)
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
    let mock = Mock::start(move |hit: &Hit| match hit.param("resumptionToken").as_deref() {
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
    let r = incremental(&store, &f, &format!("{}/oai2", mock.base), set)
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
            &OaiPlan {
                set: "cs",
                ..OaiPlan::default()
            },
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
    incremental(&store, &f, &base, "physics:hep-ex")
        .await
        .unwrap_err();
    healthy.store(true, Ordering::SeqCst);
    let r = incremental(&store, &f, &base, "physics:hep-ex")
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

/// An incremental harvest of `set` from `base` (from the stored watermark, no window).
async fn incremental(
    store: &Arc<dyn Store>,
    f: &HttpFetcher,
    base: &str,
    set: &str,
) -> Result<HarvestReport, HarvestError> {
    harvest_oai(
        store.as_ref(),
        f,
        base,
        &OaiPlan {
            set,
            ..OaiPlan::default()
        },
        &no_progress(),
    )
    .await
}

#[tokio::test]
async fn a_first_run_asks_for_its_window_and_keeps_only_the_harvested_categories() {
    let Some(data) = shared_data() else { return };
    let page1 = std::fs::read_to_string(
        data.join("arxiv-fixtures/oai-pmh/hepcrawl_functional_arxiv-physics-hep-ex.xml"),
    )
    .unwrap();
    let mock = Mock::start(oai_server(
        page1,
        oai_page2(&data),
        Arc::new(AtomicBool::new(true)),
    ))
    .await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(quick());
    let filter = dp_core::CategoryFilter::parse(&["hep-ph"]).unwrap();
    let r = harvest_oai(
        store.as_ref(),
        &f,
        &format!("{}/oai2", mock.base),
        &OaiPlan {
            set: "physics:hep-ex",
            first_from: Some(day("2017-06-20")),
            filter: Some(&filter),
            ..OaiPlan::default()
        },
        &no_progress(),
    )
    .await
    .unwrap();
    let q = mock.queries();
    assert_eq!(param(&q[0], "from").as_deref(), Some("2017-06-20"), "{q:?}");
    // Kept: the records listed under hep-ph (a cross-list counts); the rest are skipped.
    let mut kept = Vec::new();
    for pid in PAGE1_IDS.iter().chain(&PAGE2_IDS) {
        if let Some(p) = store.paper(&id(pid)).await.unwrap() {
            assert!(
                p.categories.iter().any(|c| c == "hep-ph"),
                "{pid}: {:?}",
                p.categories
            );
            kept.push(*pid);
        }
    }
    assert!(!kept.is_empty() && r.skipped > 0, "{kept:?} {r:?}");
    assert_eq!(r.inserted as usize, kept.len(), "{r:?}");
    assert_eq!(r.inserted + r.skipped, r.read, "{r:?}");
    assert_eq!(r.at, format!("page {}", r.pages));
}
