//! Harvest one arXiv OAI-PMH set, incrementally from its watermark.

use super::{BackgroundJob, JobContext};
use crate::Error;
use serde::{Deserialize, Serialize};

/// The job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarvestOai {
    /// The set (`cs`, `stat`, `physics:hep-th`, ...).
    pub set: String,
}

impl BackgroundJob for HarvestOai {
    const KIND: &'static str = "harvest-oai";
    const MAX_ATTEMPTS: i64 = 3;

    fn key(&self, slot: i64) -> String {
        format!("harvest-oai:{}:{slot}", self.set)
    }

    async fn run(&self, ctx: &JobContext) -> Result<(), Error> {
        let r = crate::harvest::oai(
            ctx.store(),
            ctx.fetcher.as_ref(),
            &ctx.config,
            &self.set,
            None,
            None,
            &|r| ctx.report(r),
        )
        .await?;
        ctx.report(&r);
        super::worker::log_harvest(&self.key(0), &r);
        Ok(())
    }
}
