//! `copy_store`: SQLite to SQLite, and SQLite to PostgreSQL when one is configured; resuming.

mod common;

use dp_store::copy::{checksum, copy_store};
use dp_store::Store;
use std::sync::Arc;

async fn source(dir: &std::path::Path) -> Arc<dyn Store> {
    let s = dp_store::open(&format!("sqlite://{}", dir.join("src.sqlite").display()))
        .await
        .unwrap();
    let mut batch = Vec::new();
    for i in 1..=120 {
        let id = format!("2501.{i:05}");
        let entry = (i % 3 == 0).then(|| {
            common::entry(
                if i % 2 == 0 {
                    "2025-03-17"
                } else {
                    "2025-03-18"
                },
                &id,
                i,
                1,
                i,
            )
        });
        batch.push(common::rec(
            common::paper(&id, &format!("Paper {i} <&>")),
            entry,
        ));
    }
    s.upsert_records(batch).await.unwrap();
    s.set_watermark("oai:cs:from", "2025-03-18").await.unwrap();
    s
}

async fn check_copy(target_url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let from = source(dir.path()).await;
    let to = dp_store::open(target_url).await.unwrap();
    let report = copy_store(&*from, &*to, 7, &|_| {}).await.unwrap();
    assert!(report.verified, "{report:?}");
    assert_eq!(
        (report.papers, report.entries, report.watermarks),
        (120, 40, 1)
    );
    assert_eq!(to.stats().await.unwrap(), from.stats().await.unwrap());
    assert_eq!(
        to.watermark("oai:cs:from").await.unwrap().as_deref(),
        Some("2025-03-18")
    );
    assert_eq!(
        checksum(&*from, 50).await.unwrap(),
        checksum(&*to, 13).await.unwrap()
    );
    // A second run copies again harmlessly and still verifies.
    assert!(
        copy_store(&*from, &*to, 50, &|_| {})
            .await
            .unwrap()
            .verified
    );
}

#[tokio::test]
async fn copies_sqlite_to_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check_copy(&format!(
        "sqlite://{}",
        dir.path().join("dst.sqlite").display()
    ))
    .await;
}

#[tokio::test]
async fn copies_sqlite_to_postgres() {
    let Some(url) = dp_store::testing::fresh_postgres_url().await else {
        return;
    };
    check_copy(&url).await;
}

#[tokio::test]
async fn an_interrupted_copy_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let from = source(dir.path()).await;
    let to = dp_store::open(&format!(
        "sqlite://{}",
        dir.path().join("dst.sqlite").display()
    ))
    .await
    .unwrap();
    // What a copy killed after its first 50 papers leaves behind.
    let first = from.papers_after(None, 50).await.unwrap();
    let last = first.last().unwrap().id.to_string();
    to.upsert_records(first.into_iter().map(Into::into).collect())
        .await
        .unwrap();
    to.set_watermark("migrate:papers", &last).await.unwrap();
    let report = copy_store(&*from, &*to, 25, &|_| {}).await.unwrap();
    assert_eq!(report.papers, 70, "only the papers after the watermark");
    assert!(report.verified);
    // A damaged target does not verify.
    to.upsert_records(vec![common::rec(
        common::paper("2601.00001", "extra"),
        None,
    )])
    .await
    .unwrap();
    let report = copy_store(&*from, &*to, 25, &|_| {}).await.unwrap();
    assert!(!report.verified);
}
