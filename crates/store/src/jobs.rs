//! The background job table: jobs exist once per key, are claimed with a lease (a dead
//! worker's job is claimed again when its lease runs out), and retried with backoff.

use crate::backend::query;
use crate::{millis, now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

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

/// The job table.
#[async_trait]
pub trait Jobs: Send + Sync {
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
}

fn lease_millis(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2)
}

#[async_trait]
impl Jobs for SqlStore {
    async fn enqueue_job(&self, job: &NewJob) -> Result<bool, StoreError> {
        // Looked up first: the schedule offers each job again every few seconds, and a bare
        // conflicting INSERT still writes (SQLite's AUTOINCREMENT counter, PostgreSQL's
        // sequence), which made an idle server write, and so wake its followers, all the time.
        let n = query(
            "INSERT INTO jobs (kind, dedup_key, payload, run_after, max_attempts, created_at) \
             SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE dedup_key = $2) \
             ON CONFLICT (dedup_key) DO NOTHING",
        )
        .bind(&job.kind)
        .bind(&job.dedup_key)
        .bind(&job.payload)
        .bind(millis(job.run_after))
        .bind(job.max_attempts)
        .bind(now_millis())
        .execute(&self.db)
        .await?;
        Ok(n == 1)
    }

    async fn claim_job(&self, worker: &str, lease: Duration) -> Result<Option<Job>, StoreError> {
        let now = now_millis();
        // One statement, so the claim is atomic (SQLite: one writer; PostgreSQL: SKIP LOCKED).
        let row: Option<(i64, String, String, String, i64)> = query(format!(
            "UPDATE jobs SET state = 'running', locked_by = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs \
                         WHERE (state = 'queued' AND run_after <= $3) \
                            OR (state = 'running' AND lease_until < $3) \
                         ORDER BY run_after, id LIMIT 1{}) \
             RETURNING id, kind, dedup_key, payload, attempts",
            self.db.skip_locked()
        ))
        .bind(worker)
        .bind(now + lease_millis(lease))
        .bind(now)
        .fetch_optional(&self.db)
        .await?;
        Ok(row.map(|(id, kind, dedup_key, payload, attempts)| Job {
            id,
            kind,
            dedup_key,
            payload,
            attempts,
        }))
    }

    async fn renew_job(
        &self,
        job: &Job,
        worker: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let n = query(
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND locked_by = $3 AND state = 'running'",
        )
        .bind(now_millis() + lease_millis(lease))
        .bind(job.id)
        .bind(worker)
        .execute(&self.db)
        .await?;
        Ok(n == 1)
    }

    async fn finish_job(&self, job: &Job, result: Result<(), String>) -> Result<(), StoreError> {
        let now = now_millis();
        match result {
            Ok(()) => {
                query(
                    "UPDATE jobs SET state = 'done', finished_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2",
                )
                .bind(now)
                .bind(job.id)
                .execute(&self.db)
                .await?;
            }
            Err(message) => {
                // Exponential backoff: 30 s, 1 min, 2 min, ... capped at one hour.
                let backoff = 30_000i64
                    .saturating_mul(1 << (job.attempts - 1).clamp(0, 7))
                    .min(3_600_000);
                query(
                    "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, \
                     run_after = $1, lease_until = NULL, last_error = $2, \
                     finished_at = CASE WHEN attempts >= max_attempts THEN $3 ELSE NULL END WHERE id = $4",
                )
                .bind(now + backoff)
                .bind(message)
                .bind(now)
                .bind(job.id)
                .execute(&self.db)
                .await?;
            }
        }
        Ok(())
    }
}
