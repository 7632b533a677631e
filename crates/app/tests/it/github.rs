//! GitHub stars of linked repositories, refreshed from a replay of GitHub's REST API: the
//! token and conditional requests sent, 304 handled, the rate limit obeyed, and a GitHub that
//! fails loses nothing.

use chrono::{Duration, Utc};
use dp_app::config::Config;
use dp_app::github::{refresh, StarsRun};
use dp_ingest::fetch::HttpFetcher;
use dp_store::Store;
use dp_testkit::db::TestStore;
use dp_testkit::replay::{answer, GithubReplay, Mock};
use dp_testkit::{day, entry, paper, rec, EntryExt};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

async fn github(stars: &[(&str, i64)], limit: usize, reset: i64) -> Mock {
    let replay = GithubReplay {
        stars: stars.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        limit,
        used: AtomicUsize::new(0),
        reset,
    };
    Mock::start(move |hit| replay.reply(hit)).await
}

async fn stars_on(store: &dyn Store, d: &str) -> Option<i64> {
    store.day_feed(day(d)).await.unwrap()[0].entry.github_stars
}

#[tokio::test]
async fn stars_refresh_with_conditional_requests_and_the_rate_limit_obeyed() {
    let Some(db) = TestStore::new().await else {
        return;
    };
    let store: Arc<dyn Store> = db.store.clone();
    let code = |d: &str, id: &str, repo: &str, stars: Option<i64>| {
        let mut e = entry(d, id, 1).with_code(repo, 0);
        e.github_stars = stars;
        rec(paper(id, "P"), Some(e))
    };
    store
        .upsert_records(vec![
            code(
                "2025-03-17",
                "2503.00001",
                "https://github.com/Org/Alpha",
                Some(5),
            ),
            code(
                "2025-03-16",
                "2503.00002",
                "https://github.com/org/alpha.git",
                Some(3),
            ),
            code(
                "2025-03-15",
                "2503.00003",
                "https://github.com/org/beta",
                None,
            ),
            code(
                "2025-03-14",
                "2503.00004",
                "https://github.com/org/gone",
                Some(1),
            ),
            code(
                "2025-03-13",
                "2503.00005",
                "https://gitlab.com/x/y",
                Some(2),
            ),
        ])
        .await
        .unwrap();
    let now = Utc::now();
    let reset = (now + Duration::hours(1)).timestamp();
    let gh = github(&[("org/alpha", 120), ("org/beta", 7)], 10, reset).await;
    let mut config = Config::default();
    config.harvest.github_api_url = gh.base.clone();
    config.harvest.github_token = Some("tok123".into());
    config.harvest.request_interval_secs = 0.0;
    config.harvest.max_retries = 0;
    let fetcher = HttpFetcher::new(config.fetch_policy()).unwrap();
    let none = |_: usize, _: usize| {};

    // First run: each repository once (two links of one repository are one request), the
    // newest list first, with the token; stars land on every entry that links them.
    let run = refresh(store.as_ref(), &fetcher, &config, now, &none)
        .await
        .unwrap();
    assert_eq!(
        run,
        StarsRun {
            due: 3,
            updated: 2,
            gone: 1,
            entries_changed: 3,
            ..StarsRun::default()
        }
    );
    let hits = gh.hits();
    let paths: Vec<&str> = hits.iter().map(|h| h.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/repos/org/alpha", "/repos/org/beta", "/repos/org/gone"]
    );
    assert!(hits
        .iter()
        .all(|h| h.header("authorization") == Some("Bearer tok123")));
    assert!(hits
        .iter()
        .all(|h| h.header("accept") == Some("application/vnd.github+json")));
    assert!(hits.iter().all(|h| h.header("if-none-match").is_none()));
    assert_eq!(stars_on(store.as_ref(), "2025-03-17").await, Some(120));
    assert_eq!(stars_on(store.as_ref(), "2025-03-16").await, Some(120));
    assert_eq!(stars_on(store.as_ref(), "2025-03-15").await, Some(7));
    assert_eq!(
        stars_on(store.as_ref(), "2025-03-13").await,
        Some(2),
        "not GitHub"
    );

    // At once again: nothing is due, nothing is asked.
    let run = refresh(store.as_ref(), &fetcher, &config, now, &none)
        .await
        .unwrap();
    assert_eq!(run.due, 0);
    assert_eq!(gh.hits().len(), 3);

    // A day later: conditional requests with the ETags; 304 keeps the stars.
    let later = now + Duration::hours(25);
    let run = refresh(store.as_ref(), &fetcher, &config, later, &none)
        .await
        .unwrap();
    assert_eq!(
        (run.due, run.not_modified, run.gone, run.entries_changed),
        (3, 2, 1, 0)
    );
    let hits = gh.hits();
    assert_eq!(hits[3].header("if-none-match"), Some("\"org-alpha-120\""));
    assert_eq!(hits[4].header("if-none-match"), Some("\"org-beta-7\""));
    assert_eq!(stars_on(store.as_ref(), "2025-03-17").await, Some(120));

    // GitHub's last allowed request: stars stored, then nothing until the reset.
    let t = later + Duration::hours(25);
    let reset = (t + Duration::hours(1)).timestamp();
    let gh2 = github(&[("org/alpha", 130), ("org/beta", 8)], 1, reset).await;
    config.harvest.github_api_url = gh2.base.clone();
    let run = refresh(store.as_ref(), &fetcher, &config, t, &none)
        .await
        .unwrap();
    assert_eq!((run.updated, run.entries_changed), (1, 2));
    assert_eq!(run.paused_until.map(|p| p.timestamp()), Some(reset));
    assert_eq!(stars_on(store.as_ref(), "2025-03-17").await, Some(130));
    let run = refresh(
        store.as_ref(),
        &fetcher,
        &config,
        t + Duration::minutes(30),
        &none,
    )
    .await
    .unwrap();
    assert_eq!(run.due, 0, "paused");
    assert_eq!(gh2.hits().len(), 1, "nothing asked while paused");

    // After the reset GitHub still says 403 "rate limit exceeded": the run stops, no error,
    // nothing lost, and it waits for the new reset.
    let t2 = t + Duration::hours(2);
    let reset2 = (t2 + Duration::hours(1)).timestamp();
    let gh3 = github(&[("org/beta", 9)], 0, reset2).await;
    config.harvest.github_api_url = gh3.base.clone();
    let run = refresh(store.as_ref(), &fetcher, &config, t2, &none)
        .await
        .unwrap();
    assert_eq!(run.updated, 0);
    assert_eq!(run.paused_until.map(|p| p.timestamp()), Some(reset2));
    assert_eq!(gh3.hits().len(), 1);
    assert_eq!(stars_on(store.as_ref(), "2025-03-15").await, Some(7));

    // GitHub down (5xx): an error, and the stars stay as they were.
    let down = Mock::start(|_| answer(502, "bad gateway")).await;
    config.harvest.github_api_url = down.base.clone();
    let (_, e) = refresh(
        store.as_ref(),
        &fetcher,
        &config,
        t2 + Duration::hours(2),
        &none,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("502"), "{e}");
    assert_eq!(stars_on(store.as_ref(), "2025-03-17").await, Some(130));
}
