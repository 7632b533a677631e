//! Remove expired sessions and rate-limit windows older than a day.

use super::{BackgroundJob, JobContext};
use crate::Error;
use serde::{Deserialize, Serialize};

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
        Ok(ctx.store().purge_expired().await?)
    }
}
