//! Remove expired sessions, rate-limit windows older than a day, and job runs that ended
//! more than [`KEEP_RUNS_DAYS`] ago.

use super::{BackgroundJob, JobContext};
use crate::Error;
use serde::{Deserialize, Serialize};

/// Days the job board keeps ended runs.
pub const KEEP_RUNS_DAYS: i64 = 14;

/// The job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Housekeeping {}

impl BackgroundJob for Housekeeping {
    const KIND: &'static str = "housekeeping";
    const MAX_ATTEMPTS: i64 = 3;

    fn key(&self, slot: i64) -> String {
        format!("housekeeping:{slot}")
    }

    async fn run(&self, ctx: &JobContext) -> Result<(), Error> {
        ctx.store().purge_expired().await?;
        let before = chrono::Utc::now() - chrono::Duration::days(KEEP_RUNS_DAYS);
        ctx.store().prune_jobs(before).await?;
        Ok(())
    }
}
