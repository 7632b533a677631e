//! Embed papers that have no vector of the server's model yet, a few hundred per job (so the
//! lease heartbeat and other jobs get their turn; the next slot's job goes on).

use super::{BackgroundJob, JobContext};
use crate::Error;
use serde::{Deserialize, Serialize};

/// The job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Embed {
    /// The model's name.
    pub model: String,
}

/// Papers embedded by one job at most.
const PER_JOB: usize = 512;

impl BackgroundJob for Embed {
    const KIND: &'static str = "embed";
    const MAX_ATTEMPTS: i64 = 3;

    fn key(&self, slot: i64) -> String {
        format!("embed:{}:{slot}", self.model)
    }

    async fn run(&self, ctx: &JobContext) -> Result<(), Error> {
        let Some(e) = &ctx.embedder else {
            return Err(Error::Unavailable(
                "this server has no embedding model (search.model_dir)".into(),
            ));
        };
        let batch = ctx.config.search.embed_batch.unwrap_or(16);
        let n = dp_search::jobs::embed_missing(ctx.store(), e, batch, Some(PER_JOB), &|_| {})
            .await
            .map_err(Error::internal)?;
        tracing::info!(model = %self.model, papers = n, "embedded papers");
        Ok(())
    }
}
