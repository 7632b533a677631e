//! What only the embedded SQLite store does: reopening a file, refusing unknown URLs, folding the
//! write-ahead log in the background.

use crate::prelude::*;

#[tokio::test]
async fn reopening_keeps_data_and_migrations_are_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.sqlite").display());
    {
        let s = dp_store::open(&url).await.unwrap();
        s.upsert_records(vec![rec(paper("2501.00001", "kept"), None)])
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
    let url = format!("sqlite://{}", dir.path().join("wal.sqlite").display());
    let store = dp_store::SqlStore::open(&url).await.unwrap();
    let batch: Vec<_> = (1..=2000)
        .map(|i| rec(paper(&format!("2501.{i:05}"), "t"), None))
        .collect();
    dp_store::Papers::upsert_records(&store, batch)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (_, log, checkpointed): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(store.sqlite_pool().unwrap())
        .await
        .unwrap();
    assert!(log > 0, "writes went through the log");
    assert_eq!(
        log, checkpointed,
        "the background checkpointer copied every frame"
    );
}

#[tokio::test]
async fn older_list_entries_get_their_hugging_face_extras_when_the_store_opens() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.sqlite").display());
    let item = r#"{"paper":{"id":"2501.00001","title":"T","discussionId":"d1",
        "authors":[{"_id":"a1","name":"Ada Lovelace","user":{"user":"ada"}}]},
        "publishedAt":"2025-03-17T08:00:00.000Z","thumbnail":"https://t.example/1.png"}"#;
    {
        let s = dp_store::open(&url).await.unwrap();
        let e = dp_testkit::entry("2025-03-17", "2501.00001", 3).with_source(item);
        s.upsert_records(vec![rec(paper("2501.00001", "T"), Some(e))])
            .await
            .unwrap();
        s.close().await;
    }
    // As a store written before the extras had a column: the item's text only.
    {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("UPDATE feed_entries SET hf_extras = NULL")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let s = dp_store::open(&url).await.unwrap();
    let hf = s.day_feed(day("2025-03-17")).await.unwrap()[0]
        .entry
        .hf
        .clone()
        .expect("extras filled from the stored item");
    assert_eq!(hf.discussion_id.as_deref(), Some("d1"));
    assert_eq!(hf.thumbnail.as_deref(), Some("https://t.example/1.png"));
    assert_eq!(hf.authors[0].user.as_ref().unwrap().name, "ada");
    // Re-importing the same item changes nothing: import parses it the same way.
    let again = dp_testkit::entry("2025-03-17", "2501.00001", 3).with_source(item);
    let mut again = again;
    again.hf = Some(dp_core::hf::HfItem::parse(item).unwrap().extras());
    assert_eq!(
        s.upsert_records(vec![rec(paper("2501.00001", "T"), Some(again))])
            .await
            .unwrap(),
        vec![Outcome::Unchanged]
    );
}

/// The job runner offers its scheduled jobs again every few seconds: offering one that is
/// already queued must not write (a write wakes every follower of the store, so an idle server
/// would never be idle).
#[tokio::test]
async fn offering_a_queued_job_again_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("idle.sqlite").display());
    let store = dp_store::open(&url).await.unwrap();
    let job = NewJob {
        kind: "housekeeping".into(),
        dedup_key: "housekeeping:1".into(),
        payload: "{}".into(),
        run_after: Utc::now(),
        max_attempts: 3,
    };
    let mut watch = store.change_watch().await;
    assert!(store.enqueue_job(&job).await.unwrap());
    assert!(
        watch.wait(Duration::from_secs(10)).await,
        "the first offer writes"
    );
    for _ in 0..10 {
        if !watch.wait(Duration::from_millis(700)).await {
            break;
        }
    }
    for _ in 0..5 {
        assert!(!store.enqueue_job(&job).await.unwrap(), "already queued");
    }
    assert!(
        !watch.wait(Duration::from_millis(1200)).await,
        "offering a queued job again wrote to the database"
    );
}

#[tokio::test]
async fn a_write_that_waits_past_the_busy_timeout_is_unavailable_not_a_bug() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.sqlite");
    let url = format!("sqlite://{}", path.display());
    let store = dp_store::open(&url).await.unwrap();
    // Another process holds the write lock longer than the store's busy timeout (10 s).
    let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let e = store.set_watermark("k", "v").await.unwrap_err();
    assert!(e.is_unavailable(), "a 503 and a retry, not a 500: {e}");
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    store.set_watermark("k", "v").await.unwrap();
}

/// New stores get 16 KB pages (a fresh import wrote a quarter as many log frames, and a list
/// entry's ~7 KB row fits on its page); a store made with another page size opens as it was.
#[tokio::test]
async fn new_stores_use_16_kb_pages_and_older_stores_keep_theirs() {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
    use sqlx::ConnectOptions;
    let dir = tempfile::tempdir().unwrap();
    let page_size = |store: &dp_store::SqlStore| {
        let pool = store.sqlite_pool().unwrap().clone();
        async move {
            let (n,): (i64,) = sqlx::query_as("PRAGMA page_size")
                .fetch_one(&pool)
                .await
                .unwrap();
            n
        }
    };
    let new = format!("sqlite://{}", dir.path().join("new.sqlite").display());
    let store = dp_store::SqlStore::open(&new).await.unwrap();
    assert_eq!(page_size(&store).await, 16384);

    // A store as older versions made it: 4 KB pages, already in write-ahead-log mode.
    let old = dir.path().join("old.sqlite");
    let mut conn = SqliteConnectOptions::new()
        .filename(&old)
        .create_if_missing(true)
        .page_size(4096)
        .journal_mode(SqliteJournalMode::Wal)
        .connect()
        .await
        .unwrap();
    sqlx::query("CREATE TABLE before_us (x INTEGER)")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let store = dp_store::SqlStore::open(&format!("sqlite://{}", old.display()))
        .await
        .unwrap();
    assert_eq!(page_size(&store).await, 4096);
    dp_store::Papers::upsert_records(&store, vec![rec(paper("2501.00001", "kept"), None)])
        .await
        .unwrap();
    assert_eq!(
        dp_store::Maintenance::stats(&store).await.unwrap().papers,
        1
    );
}
