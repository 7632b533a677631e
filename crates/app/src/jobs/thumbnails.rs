//! Give listed papers their thumbnails (see [`crate::thumbnails`]).

use super::{BackgroundJob, JobContext};
use crate::Error;
use serde::{Deserialize, Serialize};

/// The job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thumbnails {}

impl BackgroundJob for Thumbnails {
    const KIND: &'static str = "thumbnails";
    const MAX_ATTEMPTS: i64 = 3;

    fn key(&self, slot: i64) -> String {
        format!("thumbnails:{slot}")
    }

    async fn run(&self, ctx: &JobContext) -> Result<(), Error> {
        let result = crate::thumbnails::refresh(
            ctx.store(),
            ctx.fetcher.as_ref(),
            &ctx.config,
            ctx.app.now(),
            &|_, _| {},
        )
        .await;
        let run = super::finish(ctx, result, |r| r.from_hf + r.from_pdf > 0)?;
        tracing::info!(
            due = run.due,
            from_hf = run.from_hf,
            from_pdf = run.from_pdf,
            failed = run.failed,
            "thumbnails: done"
        );
        Ok(())
    }
}
