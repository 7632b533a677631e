//! The one storage interface of dailypapers, [`Store`], and its implementations.
//!
//! Callers only see the trait: nothing outside this crate knows which database is behind it.
//! SQLite ([`sqlite::SqliteStore`]) is the embedded default; PostgreSQL implements the same trait
//! and passes the same test-suite (`tests/common/mod.rs`, run through `store_suite!`).

pub mod community;
mod community_sql;
pub mod copy;
pub mod error;
pub mod mail;
mod plan;
pub mod postgres;
mod rows;
mod sql;
pub mod sqlite;
pub mod testing;
pub mod vectors;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use dp_core::{ArxivId, FeedItem, Outcome, Paper, Record};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

pub use community::{ChangedPaper, Community, PaperDetail, PaperSummary, SubmitOutcome, VoteState};
pub use error::StoreError;
pub use mail::{Cadence, Delivery, Mail, OutboxCounts, OutboxItem, SubState, Subscriber};
pub use vectors::{StoredVector, Unembedded, Vectors};

/// Counts shown by `dailypapers stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Distinct papers.
    pub papers: i64,
    /// Feed entries over all days.
    pub feed_entries: i64,
    /// Days that have at least one entry.
    pub days: i64,
    /// The first day with entries.
    pub first_day: Option<NaiveDate>,
    /// The latest day with entries.
    pub latest_day: Option<NaiveDate>,
    /// Jobs waiting to run.
    pub jobs_queued: i64,
    /// Jobs that gave up after their last attempt.
    pub jobs_failed: i64,
}

/// Database connections of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PoolStatus {
    /// Open connections.
    pub size: u32,
    /// Of which idle.
    pub idle: usize,
}

/// A background job claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Row id.
    pub id: i64,
    /// What to do (`harvest-oai`, `harvest-hf`, ...).
    pub kind: String,
    /// The key that makes the job unique.
    pub dedup_key: String,
    /// Parameters, as JSON.
    pub payload: String,
    /// How many times it has been claimed, this claim included.
    pub attempts: i64,
}

/// A new background job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// What to do.
    pub kind: String,
    /// Jobs with the same key exist once; enqueueing it again does nothing.
    pub dedup_key: String,
    /// Parameters, as JSON.
    pub payload: String,
    /// Not before this time.
    pub run_after: DateTime<Utc>,
    /// Give up after this many attempts.
    pub max_attempts: i64,
}

/// The storage interface. Every method is one transaction.
#[async_trait]
pub trait Store:
    community::Community + vectors::Vectors + mail::Mail + Send + Sync + 'static
{
    /// Inserts or merges a batch of records in one transaction and says, per record, what happened.
    ///
    /// Papers merge by [`Paper::merged_with`] (newer versions win; nothing else overwrites);
    /// feed entries are keyed by (day, paper) and replaced when they differ. Writing the same
    /// batch twice reports [`Outcome::Unchanged`] for every record the second time.
    async fn upsert_records(&self, records: Vec<Record>) -> Result<Vec<Outcome>, StoreError>;

    /// A paper by its bare id (any version in `id` is ignored).
    async fn paper(&self, id: &ArxivId) -> Result<Option<Paper>, StoreError>;

    /// The list of one day without hidden papers, ranked: upvotes (source plus local) highest
    /// first, then the entry's `publishedAt` newest first, then the source's position.
    async fn day_feed(&self, day: NaiveDate) -> Result<Vec<FeedItem>, StoreError>;

    /// The latest day that has entries.
    async fn latest_day(&self) -> Result<Option<NaiveDate>, StoreError>;

    /// The nearest days before and after `day` that have entries.
    async fn adjacent_days(
        &self,
        day: NaiveDate,
    ) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError>;

    /// Counts for `stats`.
    async fn stats(&self) -> Result<Stats, StoreError>;

    /// A named harvest position.
    async fn watermark(&self, name: &str) -> Result<Option<String>, StoreError>;

    /// Stores a named harvest position.
    async fn set_watermark(&self, name: &str, value: &str) -> Result<(), StoreError>;

    /// Adds a job unless one with the same key exists. Returns whether it was added.
    async fn enqueue_job(&self, job: &NewJob) -> Result<bool, StoreError>;

    /// Claims the oldest runnable job (queued and due, or running with an expired lease) for
    /// `worker` for `lease`.
    async fn claim_job(&self, worker: &str, lease: Duration) -> Result<Option<Job>, StoreError>;

    /// Extends the lease of a job this worker still holds (a heartbeat while it runs), so a
    /// short lease finds dead workers quickly without taking long jobs from live ones. `false`
    /// when the job is no longer this worker's.
    async fn renew_job(&self, job: &Job, worker: &str, lease: Duration)
        -> Result<bool, StoreError>;

    /// Records the end of a claimed job: done, or failed with a message (retried with backoff
    /// until its attempts run out).
    async fn finish_job(&self, job: &Job, result: Result<(), String>) -> Result<(), StoreError>;

    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Papers in id order, after `after` (exclusive), at most `limit`: for copying a store.
    async fn papers_after(&self, after: Option<&str>, limit: i64)
        -> Result<Vec<Paper>, StoreError>;

    /// Feed entries with their papers in (day, paper id) order, after `after` (exclusive).
    async fn entries_after(
        &self,
        after: Option<(NaiveDate, &str)>,
        limit: i64,
    ) -> Result<Vec<FeedItem>, StoreError>;

    /// Every watermark, by name.
    async fn watermarks(&self) -> Result<Vec<(String, String)>, StoreError>;

    /// Connections in the pool and how many are idle, for metrics.
    fn pool_status(&self) -> PoolStatus;

    /// Closes every connection, waiting for work in flight (SQLite: the last connection folds the
    /// write-ahead log into the database file).
    async fn close(&self);

    /// Writes a consistent copy of a live store to `dest` (SQLite: `VACUUM INTO`; PostgreSQL
    /// answers [`StoreError::Unsupported`]: use `pg_dump`).
    async fn backup(&self, dest: &std::path::Path) -> Result<(), StoreError>;
}

/// Opens the store a database URL names: `sqlite://PATH` (created when missing) or
/// `postgres://...`. Migrations run before it returns.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(Arc::new(sqlite::SqliteStore::open(path).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url).await?))
    } else {
        Err(StoreError::Unsupported(format!(
            "unknown database URL {:?}: expected sqlite://PATH or postgres://...",
            url.split('@').next_back().unwrap_or(url)
        )))
    }
}

/// Milliseconds since the epoch, the store's time representation.
pub(crate) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Now, in store time.
pub(crate) fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}
