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

/// One job as the admin's job page shows it: a queued, running, finished or failed run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    /// Row id.
    pub id: i64,
    /// What it does.
    pub kind: String,
    /// Its key (the schedule's name, then its slot or `now-…` for a run asked for by hand).
    pub dedup_key: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// Claims so far.
    pub attempts: i64,
    /// Claims allowed.
    pub max_attempts: i64,
    /// Not before this time (for a failed attempt: when it is retried).
    pub run_after: DateTime<Utc>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When its latest attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended (done, or failed for good).
    pub finished_at: Option<DateTime<Utc>>,
    /// The latest attempt's error.
    pub last_error: Option<String>,
    /// Where it is, or what it did (JSON written by the job).
    pub progress: Option<String>,
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

    /// Records the end of a claimed job: done, or failed with a message (retried after
    /// `backoff`, doubled on each attempt and capped at an hour, until its attempts run out).
    async fn finish_job(
        &self,
        job: &Job,
        result: Result<(), String>,
        backoff: Duration,
    ) -> Result<(), StoreError>;

    /// Records where a running job is (JSON), for the pages that show it.
    async fn set_job_progress(&self, job: &Job, progress: &str) -> Result<(), StoreError>;

    /// The newest `limit` jobs whose key starts with `prefix`, newest first.
    async fn job_runs(&self, prefix: &str, limit: i64) -> Result<Vec<JobRun>, StoreError>;

    /// When a job whose key starts with `prefix` last finished well.
    async fn last_success(&self, prefix: &str) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// How many jobs there are of each kind in each state: `(kind, state, count)`.
    async fn job_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError>;

    /// Pauses (`Some(by)`) or resumes (`None`) a schedule: a paused one enqueues nothing.
    async fn set_schedule_paused(&self, schedule: &str, by: Option<&str>)
        -> Result<(), StoreError>;

    /// The paused schedules.
    async fn paused_schedules(&self) -> Result<Vec<String>, StoreError>;

    /// Deletes jobs that ended before `before`; returns how many.
    async fn prune_jobs(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// `s` with LIKE's wildcards escaped (with `\\`), for a prefix match.
fn like_prefix(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

type RunRow = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

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
            "UPDATE jobs SET state = 'running', locked_by = $1, lease_until = $2, attempts = attempts + 1, \
             started_at = $3, progress = NULL \
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

    async fn finish_job(
        &self,
        job: &Job,
        result: Result<(), String>,
        backoff: Duration,
    ) -> Result<(), StoreError> {
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
                // Exponential backoff: `backoff`, twice that, ... capped at one hour.
                let backoff = lease_millis(backoff)
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

    async fn set_job_progress(&self, job: &Job, progress: &str) -> Result<(), StoreError> {
        query("UPDATE jobs SET progress = $1 WHERE id = $2")
            .bind(progress)
            .bind(job.id)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    async fn job_runs(&self, prefix: &str, limit: i64) -> Result<Vec<JobRun>, StoreError> {
        let rows: Vec<RunRow> = query(
            "SELECT id, kind, dedup_key, state, attempts, max_attempts, run_after, created_at, \
             started_at, finished_at, last_error, progress FROM jobs \
             WHERE dedup_key LIKE $1 ESCAPE '\\' ORDER BY id DESC LIMIT $2",
        )
        .bind(like_prefix(prefix))
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    kind,
                    dedup_key,
                    state,
                    attempts,
                    max_attempts,
                    run_after,
                    created,
                    started,
                    finished,
                    last_error,
                    progress,
                )| JobRun {
                    id,
                    kind,
                    dedup_key,
                    state,
                    attempts,
                    max_attempts,
                    run_after: from_millis(run_after),
                    created_at: from_millis(created),
                    started_at: started.map(from_millis),
                    finished_at: finished.map(from_millis),
                    last_error,
                    progress,
                },
            )
            .collect())
    }

    async fn last_success(&self, prefix: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let (at,): (Option<i64>,) = query(
            "SELECT MAX(finished_at) FROM jobs WHERE state = 'done' AND dedup_key LIKE $1 ESCAPE '\\'",
        )
        .bind(like_prefix(prefix))
        .fetch_one(&self.db)
        .await?;
        Ok(at.map(from_millis))
    }

    async fn job_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(query(
            "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state ORDER BY kind, state",
        )
        .fetch_all(&self.db)
        .await?)
    }

    async fn set_schedule_paused(
        &self,
        schedule: &str,
        by: Option<&str>,
    ) -> Result<(), StoreError> {
        match by {
            Some(by) => {
                query(
                    "INSERT INTO job_pauses (schedule, paused_by, paused_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (schedule) DO NOTHING",
                )
                .bind(schedule)
                .bind(by)
                .bind(now_millis())
                .execute(&self.db)
                .await?;
            }
            None => {
                query("DELETE FROM job_pauses WHERE schedule = $1")
                    .bind(schedule)
                    .execute(&self.db)
                    .await?;
            }
        }
        Ok(())
    }

    async fn paused_schedules(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = query("SELECT schedule FROM job_pauses ORDER BY schedule")
            .fetch_all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    async fn prune_jobs(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let n = query("DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at < $1")
            .bind(millis(before))
            .execute(&self.db)
            .await?;
        Ok(n)
    }
}
