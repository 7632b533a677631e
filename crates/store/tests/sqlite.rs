//! The store test-suite on the embedded SQLite backend, one fresh database file per test.

mod common;

use dp_store::Store;
use std::sync::Arc;

async fn sqlite_store() -> Option<(Arc<dyn Store>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    let store = dp_store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    Some((store, dir))
}

store_suite!(sqlite_store);

#[tokio::test]
async fn reopening_keeps_data_and_migrations_are_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.sqlite").display());
    {
        let s = dp_store::open(&url).await.unwrap();
        s.upsert_records(vec![common::rec(common::paper("2501.00001", "kept"), None)])
            .await
            .unwrap();
    }
    let s = dp_store::open(&url).await.unwrap();
    assert_eq!(s.stats().await.unwrap().papers, 1);
}

#[tokio::test]
async fn unknown_urls_are_refused_clearly() {
    let e = dp_store::open("mysql://x").await.err().unwrap().to_string();
    assert!(e.contains("sqlite://"), "{e}");
}

#[tokio::test]
async fn the_write_ahead_log_is_folded_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wal.sqlite");
    let store = dp_store::sqlite::SqliteStore::open(path.to_str().unwrap())
        .await
        .unwrap();
    let batch: Vec<_> = (1..=2000)
        .map(|i| common::rec(common::paper(&format!("2501.{i:05}"), "t"), None))
        .collect();
    dp_store::Store::upsert_records(&store, batch)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (_, log, checkpointed): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(log > 0, "writes went through the log");
    assert_eq!(
        log, checkpointed,
        "the background checkpointer copied every frame"
    );
}
