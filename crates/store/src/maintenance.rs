//! Keeping a store: counts, health, connections, backups, and purging what expired.

use crate::backend::query;
use crate::rows::parse_day_text;
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Serialize;

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

/// Maintenance.
#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Counts for `stats`.
    async fn stats(&self) -> Result<Stats, StoreError>;

    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Connections in the pool and how many are idle, for metrics.
    fn pool_status(&self) -> PoolStatus;

    /// Closes every connection, waiting for work in flight (SQLite: the last connection folds the
    /// write-ahead log into the database file).
    async fn close(&self);

    /// Writes a consistent copy of a live store to `dest` (SQLite: `VACUUM INTO`; PostgreSQL
    /// answers [`StoreError::Unsupported`]: use `pg_dump`).
    async fn backup(&self, dest: &std::path::Path) -> Result<(), StoreError>;

    /// Removes expired sessions and rate-limit windows older than a day.
    async fn purge_expired(&self) -> Result<(), StoreError>;

    /// Refreshes the planner's statistics after a bulk change (PostgreSQL: `ANALYZE`, without
    /// which the first queries after an import of 80,000 papers were planned for an empty
    /// table and took over a second; SQLite: `PRAGMA optimize`).
    async fn refresh_statistics(&self) -> Result<(), StoreError>;
}

#[async_trait]
impl Maintenance for SqlStore {
    async fn stats(&self) -> Result<Stats, StoreError> {
        let papers: i64 = query("SELECT COUNT(*) FROM papers")
            .scalar(&self.db)
            .await?;
        let (feed_entries, days, first, last): (i64, i64, Option<String>, Option<String>) =
            query("SELECT COUNT(*), COUNT(DISTINCT day), MIN(day), MAX(day) FROM feed_entries")
                .fetch_one(&self.db)
                .await?;
        let (jobs_queued, jobs_failed): (i64, i64) = query(
            "SELECT COALESCE(SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) FROM jobs",
        )
        .fetch_one(&self.db)
        .await?;
        Ok(Stats {
            papers,
            feed_entries,
            days,
            first_day: first.as_deref().map(parse_day_text).transpose()?,
            latest_day: last.as_deref().map(parse_day_text).transpose()?,
            jobs_queued,
            jobs_failed,
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        query("SELECT 1").execute(&self.db).await?;
        Ok(())
    }

    fn pool_status(&self) -> PoolStatus {
        self.db.pool_status()
    }

    async fn close(&self) {
        self.db.close().await;
    }

    async fn backup(&self, dest: &std::path::Path) -> Result<(), StoreError> {
        self.db.backup(dest).await
    }

    async fn refresh_statistics(&self) -> Result<(), StoreError> {
        query(self.db.analyze()).execute(&self.db).await?;
        Ok(())
    }

    async fn purge_expired(&self) -> Result<(), StoreError> {
        let now = now_millis();
        query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.db)
            .await?;
        query("DELETE FROM rate_limits WHERE window_start < $1")
            .bind(now - 86_400_000)
            .execute(&self.db)
            .await?;
        Ok(())
    }
}
