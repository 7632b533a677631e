//! The store suite: papers. Every check runs on SQLite and on PostgreSQL.

use crate::prelude::*;

on_both!(
    idempotent_upserts,
    newer_versions_win,
    batch_with_duplicates,
    hostile_text_round_trips,
    concurrent_writers_all_succeed,
    stats_counts
);

async fn idempotent_upserts(store: Arc<dyn Store>) {
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

async fn newer_versions_win(store: Arc<dyn Store>) {
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

async fn batch_with_duplicates(store: Arc<dyn Store>) {
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

async fn hostile_text_round_trips(store: Arc<dyn Store>) {
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

async fn concurrent_writers_all_succeed(store: Arc<dyn Store>) {
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

async fn stats_counts(store: Arc<dyn Store>) {
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
