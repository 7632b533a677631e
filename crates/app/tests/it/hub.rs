//! The Hub repositories citing listed papers, fetched from a replay of the Hub: stored, counted,
//! refreshed when due, and a bad answer or a Hub that is down loses nothing.

use chrono::{Duration, Utc};
use dp_app::config::Config;
use dp_app::harvest::{hub, HubRun};
use dp_ingest::fetch::HttpFetcher;
use dp_store::Store;
use dp_testkit::db::TestStore;
use dp_testkit::replay::{answer, HubReplay, Mock};
use dp_testkit::{entry, id, paper, rec};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[tokio::test]
async fn hub_repositories_of_listed_papers_are_fetched_stored_and_refreshed() {
    let Some(db) = TestStore::new().await else {
        return;
    };
    let store: Arc<dyn Store> = db.store.clone();
    store
        .upsert_records(vec![
            rec(
                paper("2503.00001", "Cited"),
                Some(entry("2025-03-17", "2503.00001", 5)),
            ),
            rec(
                paper("2503.00002", "Not cited"),
                Some(entry("2025-03-16", "2503.00002", 1)),
            ),
            rec(
                paper("2503.00003", "Bad answer"),
                Some(entry("2025-03-15", "2503.00003", 1)),
            ),
            rec(paper("2503.00004", "On no list"), None),
        ])
        .await
        .unwrap();
    let replay = HubReplay {
        cited: vec!["2503.00001".into()],
    };
    let down = Arc::new(AtomicBool::new(false));
    let d = down.clone();
    let mock = Mock::start(move |hit| {
        if d.load(Ordering::SeqCst) {
            return answer(503, "down");
        }
        if hit.param("filter").as_deref() == Some("arxiv:2503.00003") && hit.path == "/api/datasets"
        {
            // An object where the Hub sends a list.
            return answer(200, "{\"error\":\"oops\"}");
        }
        replay.reply(hit)
    })
    .await;
    let mut config = Config::default();
    config.harvest.hf_url = mock.base.clone();
    config.harvest.request_interval_secs = 0.0;
    config.harvest.max_retries = 0;
    let fetcher = HttpFetcher::new(config.fetch_policy()).unwrap();
    let now = Utc::now();
    let none = |_: usize, _: usize| {};

    let run = hub(store.as_ref(), &fetcher, &config, now, &none)
        .await
        .unwrap();
    assert_eq!(
        run,
        HubRun {
            due: 3,
            checked: 2,
            changed: 1,
            failed: 1
        }
    );
    // The newest list first; three requests per paper, by arXiv tag; never a paper on no list.
    let hits = mock.hits();
    assert_eq!(hits[0].param("filter").as_deref(), Some("arxiv:2503.00001"));
    assert_eq!(
        hits.iter()
            .take(3)
            .map(|h| h.path.as_str())
            .collect::<Vec<_>>(),
        ["/api/models", "/api/datasets", "/api/spaces"]
    );
    assert!(hits
        .iter()
        .all(|h| h.param("filter").as_deref() != Some("arxiv:2503.00004")));

    let a = store.hub_repos(&id("2503.00001")).await.unwrap().unwrap();
    assert_eq!((a.num_models, a.num_datasets, a.num_spaces), (3, 1, 1));
    assert_eq!(a.models[0].id, "example-org/tiny-reasoner-7b");
    assert!(
        a.models[0].json.contains("\"downloads\":18234"),
        "{}",
        a.models[0].json
    );
    assert_eq!(a.spaces[0].id, "example-org/tiny-reasoner-demo");
    let b = store.hub_repos(&id("2503.00002")).await.unwrap().unwrap();
    assert!(b.is_empty());
    assert_eq!(store.hub_repos(&id("2503.00003")).await.unwrap(), None);
    // The paper's detail carries them.
    let detail = store
        .paper_detail(&id("2503.00001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.hub.as_ref().map(|h| h.num_models), Some(3));

    // At once again: only the paper whose answer was bad is due.
    let run = hub(store.as_ref(), &fetcher, &config, now, &none)
        .await
        .unwrap();
    assert_eq!((run.due, run.checked, run.failed), (1, 0, 1));

    // A day later every listed paper is due; the same answers change nothing.
    let later = now + Duration::hours(25);
    let run = hub(store.as_ref(), &fetcher, &config, later, &none)
        .await
        .unwrap();
    assert_eq!((run.due, run.checked, run.changed), (3, 2, 0));
    let a2 = store.hub_repos(&id("2503.00001")).await.unwrap().unwrap();
    assert_eq!(a2.checked_at.timestamp_millis(), later.timestamp_millis());

    // Keeping one of each: all are still counted.
    let mut one = config.clone();
    one.harvest.hub_keep_per_kind = 1;
    let much_later = later + Duration::hours(25);
    let run = hub(store.as_ref(), &fetcher, &one, much_later, &none)
        .await
        .unwrap();
    assert_eq!(run.changed, 1);
    let a3 = store.hub_repos(&id("2503.00001")).await.unwrap().unwrap();
    assert_eq!((a3.models.len(), a3.num_models), (1, 3));

    // The Hub is down: the run stops with an error and what was stored stays.
    down.store(true, Ordering::SeqCst);
    let (run, e) = hub(
        store.as_ref(),
        &fetcher,
        &config,
        much_later + Duration::hours(25),
        &none,
    )
    .await
    .unwrap_err();
    assert_eq!(run.checked, 0);
    assert!(e.to_string().contains("503"), "{e}");
    assert_eq!(store.hub_repos(&id("2503.00001")).await.unwrap(), Some(a3));
}
