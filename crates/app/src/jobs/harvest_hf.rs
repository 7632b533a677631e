//! Mirror the Hugging Face daily lists up to today.

use super::{BackgroundJob, JobContext};
use crate::Error;
use serde::{Deserialize, Serialize};

/// The job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarvestHf {}

impl BackgroundJob for HarvestHf {
    const KIND: &'static str = "harvest-hf";
    const MAX_ATTEMPTS: i64 = 3;

    fn key(&self, slot: i64) -> String {
        format!("harvest-hf:{slot}")
    }

    async fn run(&self, ctx: &JobContext) -> Result<(), Error> {
        let r = crate::harvest::hf(
            ctx.store(),
            ctx.fetcher.as_ref(),
            &ctx.config,
            None,
            chrono::Utc::now().date_naive(),
            &|r| ctx.report(r),
        )
        .await?;
        ctx.report(&r);
        super::worker::log_harvest("harvest-hf", &r);
        Ok(())
    }
}
