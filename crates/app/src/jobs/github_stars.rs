//! Refresh the GitHub stars of the repositories listed papers link (see [`crate::github`]).

use super::{BackgroundJob, JobContext};
use crate::Error;
use serde::{Deserialize, Serialize};

/// The job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubStars {}

impl BackgroundJob for GithubStars {
    const KIND: &'static str = "github-stars";
    const MAX_ATTEMPTS: i64 = 3;

    fn key(&self, slot: i64) -> String {
        format!("github-stars:{slot}")
    }

    async fn run(&self, ctx: &JobContext) -> Result<(), Error> {
        let result = crate::github::refresh(
            ctx.store(),
            ctx.fetcher.as_ref(),
            &ctx.config,
            ctx.app.now(),
            &|_, _| {},
        )
        .await;
        let run = super::finish(ctx, result, |r| r.entries_changed > 0)?;
        tracing::info!(
            due = run.due,
            updated = run.updated,
            not_modified = run.not_modified,
            gone = run.gone,
            failed = run.failed,
            paused_until = ?run.paused_until,
            "github-stars: done"
        );
        Ok(())
    }
}
