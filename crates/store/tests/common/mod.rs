//! The store test-suite: every backend runs exactly these checks (see `store_suite!`).

#![allow(dead_code)]

use chrono::{NaiveDate, TimeZone, Utc};
use dp_core::{ArxivId, FeedEntry, Outcome, Paper, Record};
use dp_store::{NewJob, Store};
use std::sync::Arc;
use std::time::Duration;

/// Generates one `#[tokio::test]` per suite check, each on a fresh store from `$make`.
#[macro_export]
macro_rules! store_suite {
    ($make:path) => {
        $crate::store_suite!(@tests $make;
            idempotent_upserts, newer_versions_win, batch_with_duplicates, day_feed_order,
            same_paper_on_two_days, adjacent_and_latest_days, watermarks, jobs_run_once,
            expired_leases_are_reclaimed, failed_jobs_back_off, stats_counts, hostile_text_round_trips,
            concurrent_writers_all_succeed);
    };
    (@tests $make:path; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some((store, _guard)) = $make().await else { return };
                common::$name(store).await;
            }
        )*
    };
}

pub fn id(s: &str) -> ArxivId {
    ArxivId::parse(s).unwrap()
}

pub fn paper(s: &str, title: &str) -> Paper {
    let mut p = Paper::new(&id(s), title, "An abstract with <b> & $x^2$.");
    p.authors = vec!["Ada Lovelace".into(), "Alan Turing".into()];
    p
}

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn entry(d: &str, pid: &str, upvotes: i64, hour: u32, position: i64) -> FeedEntry {
    FeedEntry {
        day: day(d),
        paper_id: id(pid),
        position,
        published_at: Utc.with_ymd_and_hms(2025, 3, 17, hour, 0, 0).unwrap(),
        submitted_at: None,
        submitted_by: Some("someone".into()),
        upvotes,
        num_comments: 1,
        ai_summary: None,
        ai_keywords: vec!["kw".into()],
        github_repo: None,
        github_stars: Some(3),
        project_page: None,
        organization: None,
        source_json: Some("{}".into()),
    }
}

pub fn rec(p: Paper, e: Option<FeedEntry>) -> Record {
    Record { paper: p, entry: e }
}

pub async fn idempotent_upserts(store: Arc<dyn Store>) {
    let batch = vec![
        rec(
            paper("2501.00001", "One"),
            Some(entry("2025-03-17", "2501.00001", 5, 1, 0)),
        ),
        rec(paper("2501.00002", "Two"), None),
    ];
    let first = store.upsert_records(batch.clone()).await.unwrap();
    assert_eq!(first, vec![Outcome::Inserted, Outcome::Inserted]);
    let second = store.upsert_records(batch.clone()).await.unwrap();
    assert_eq!(second, vec![Outcome::Unchanged, Outcome::Unchanged]);
    let got = store.paper(&id("2501.00001v7")).await.unwrap().unwrap();
    assert_eq!(got, batch[0].paper);
    assert!(store.paper(&id("2501.00003")).await.unwrap().is_none());
    // A changed count on the entry is an update.
    let changed = vec![rec(
        paper("2501.00001", "One"),
        Some(entry("2025-03-17", "2501.00001", 9, 1, 0)),
    )];
    assert_eq!(
        store.upsert_records(changed).await.unwrap(),
        vec![Outcome::Updated]
    );
}

pub async fn newer_versions_win(store: Arc<dyn Store>) {
    let v2 = paper("2501.00001v2", "Second version");
    let v1 = paper("2501.00001v1", "First version");
    store
        .upsert_records(vec![rec(v2.clone(), None)])
        .await
        .unwrap();
    assert_eq!(
        store.upsert_records(vec![rec(v1, None)]).await.unwrap(),
        vec![Outcome::Unchanged]
    );
    assert_eq!(
        store.paper(&id("2501.00001")).await.unwrap().unwrap().title,
        "Second version"
    );
    let v3 = paper("2501.00001v3", "Third version");
    assert_eq!(
        store.upsert_records(vec![rec(v3, None)]).await.unwrap(),
        vec![Outcome::Updated]
    );
    let got = store.paper(&id("2501.00001")).await.unwrap().unwrap();
    assert_eq!(
        (got.title.as_str(), got.version),
        ("Third version", Some(3))
    );
}

pub async fn batch_with_duplicates(store: Arc<dyn Store>) {
    let batch = vec![
        rec(paper("2501.00001v1", "v1"), None),
        rec(paper("2501.00001v2", "v2"), None),
        rec(paper("2501.00001v1", "v1"), None),
    ];
    let out = store.upsert_records(batch.clone()).await.unwrap();
    assert_eq!(
        out,
        vec![Outcome::Inserted, Outcome::Inserted, Outcome::Inserted]
    );
    assert_eq!(
        store.paper(&id("2501.00001")).await.unwrap().unwrap().title,
        "v2"
    );
    assert_eq!(store.stats().await.unwrap().papers, 1);
}

pub async fn day_feed_order(store: Arc<dyn Store>) {
    let d = "2025-03-17";
    let batch = vec![
        rec(
            paper("2501.00001", "a"),
            Some(entry(d, "2501.00001", 3, 1, 0)),
        ),
        rec(
            paper("2501.00002", "b"),
            Some(entry(d, "2501.00002", 5, 1, 1)),
        ),
        rec(
            paper("2501.00003", "c"),
            Some(entry(d, "2501.00003", 3, 2, 2)),
        ),
        rec(
            paper("2501.00004", "d"),
            Some(entry(d, "2501.00004", 3, 2, 3)),
        ),
        rec(
            paper("2501.00005", "e"),
            Some(entry("2025-03-18", "2501.00005", 99, 2, 0)),
        ),
    ];
    store.upsert_records(batch.clone()).await.unwrap();
    let feed = store.day_feed(day(d)).await.unwrap();
    let ids: Vec<String> = feed.iter().map(|i| i.paper.id.to_string()).collect();
    assert_eq!(
        ids,
        ["2501.00002", "2501.00003", "2501.00004", "2501.00001"]
    );
    assert_eq!(feed[0].upvotes(), 5);
    assert_eq!(feed[0].entry.ai_keywords, ["kw"]);
    assert!(store.day_feed(day("2024-01-01")).await.unwrap().is_empty());
}

pub async fn same_paper_on_two_days(store: Arc<dyn Store>) {
    let p = paper("2501.00001", "twice");
    store
        .upsert_records(vec![
            rec(p.clone(), Some(entry("2025-03-17", "2501.00001", 4, 1, 0))),
            rec(p.clone(), Some(entry("2025-03-18", "2501.00001", 11, 1, 0))),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.day_feed(day("2025-03-17")).await.unwrap()[0].upvotes(),
        4
    );
    assert_eq!(
        store.day_feed(day("2025-03-18")).await.unwrap()[0].upvotes(),
        11
    );
    let s = store.stats().await.unwrap();
    assert_eq!((s.papers, s.feed_entries, s.days), (1, 2, 2));
}

pub async fn adjacent_and_latest_days(store: Arc<dyn Store>) {
    assert_eq!(store.latest_day().await.unwrap(), None);
    for (i, d) in ["2025-03-14", "2025-03-17", "2025-03-19"]
        .iter()
        .enumerate()
    {
        let pid = format!("2501.0000{}", i + 1);
        store
            .upsert_records(vec![rec(paper(&pid, "x"), Some(entry(d, &pid, 1, 1, 0)))])
            .await
            .unwrap();
    }
    assert_eq!(store.latest_day().await.unwrap(), Some(day("2025-03-19")));
    assert_eq!(
        store.adjacent_days(day("2025-03-17")).await.unwrap(),
        (Some(day("2025-03-14")), Some(day("2025-03-19")))
    );
    assert_eq!(
        store.adjacent_days(day("2025-03-14")).await.unwrap().0,
        None
    );
}

pub async fn watermarks(store: Arc<dyn Store>) {
    assert_eq!(store.watermark("oai:cs").await.unwrap(), None);
    store.set_watermark("oai:cs", "2025-03-17").await.unwrap();
    store.set_watermark("oai:cs", "2025-03-18").await.unwrap();
    assert_eq!(
        store.watermark("oai:cs").await.unwrap().as_deref(),
        Some("2025-03-18")
    );
}

fn job(key: &str) -> NewJob {
    NewJob {
        kind: "harvest-oai".into(),
        dedup_key: key.into(),
        payload: "{}".into(),
        run_after: Utc::now() - chrono::Duration::seconds(1),
        max_attempts: 2,
    }
}

pub async fn jobs_run_once(store: Arc<dyn Store>) {
    assert!(store.enqueue_job(&job("slot-1")).await.unwrap());
    assert!(
        !store.enqueue_job(&job("slot-1")).await.unwrap(),
        "same key twice"
    );
    let j = store
        .claim_job("a", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((j.kind.as_str(), j.attempts), ("harvest-oai", 1));
    assert!(store
        .claim_job("b", Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
    store.finish_job(&j, Ok(())).await.unwrap();
    assert!(store
        .claim_job("b", Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
    assert!(
        !store.enqueue_job(&job("slot-1")).await.unwrap(),
        "done jobs keep their key"
    );
}

pub async fn expired_leases_are_reclaimed(store: Arc<dyn Store>) {
    store.enqueue_job(&job("k")).await.unwrap();
    let a = store
        .claim_job("a", Duration::from_millis(1))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let b = store
        .claim_job("b", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(b.attempts, 2);
}

pub async fn failed_jobs_back_off(store: Arc<dyn Store>) {
    store.enqueue_job(&job("k")).await.unwrap();
    let j = store
        .claim_job("a", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    store.finish_job(&j, Err("boom".into())).await.unwrap();
    // Backed off: not runnable now.
    assert!(store
        .claim_job("a", Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
    let s = store.stats().await.unwrap();
    assert_eq!((s.jobs_queued, s.jobs_failed), (1, 0));
}

pub async fn stats_counts(store: Arc<dyn Store>) {
    let s = store.stats().await.unwrap();
    assert_eq!((s.papers, s.feed_entries, s.days), (0, 0, 0));
    store
        .upsert_records(vec![
            rec(
                paper("2501.00001", "a"),
                Some(entry("2025-03-17", "2501.00001", 1, 1, 0)),
            ),
            rec(paper("hep-th/9901001", "b"), None),
        ])
        .await
        .unwrap();
    let s = store.stats().await.unwrap();
    assert_eq!((s.papers, s.feed_entries, s.days), (2, 1, 1));
    assert_eq!(s.first_day, Some(day("2025-03-17")));
    store.ping().await.unwrap();
}

pub async fn hostile_text_round_trips(store: Arc<dyn Store>) {
    let mut p = paper(
        "2501.00001",
        "'); DROP TABLE papers; -- <script>alert(1)</script> 🧪 数学",
    );
    p.abstract_text = "NUL-free but odd: \u{202e} ' \" \\ % _ $\\frac{a}{b}$".into();
    store
        .upsert_records(vec![rec(p.clone(), None)])
        .await
        .unwrap();
    assert_eq!(store.paper(&p.id).await.unwrap().unwrap(), p);
    assert_eq!(store.stats().await.unwrap().papers, 1);
}

pub async fn concurrent_writers_all_succeed(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for t in 0..4u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for b in 0..5u32 {
                let batch: Vec<Record> = (0..40u32)
                    .map(|i| {
                        // Overlapping ids across tasks, so writers contend for the same rows.
                        let n = (t * 20 + b * 40 + i) % 300 + 1;
                        rec(paper(&format!("2501.{n:05}"), &format!("t{t}")), None)
                    })
                    .collect();
                store.upsert_records(batch).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // t * 20 + b * 40 + i ranges over 0..=259.
    assert_eq!(store.stats().await.unwrap().papers, 260);
}
