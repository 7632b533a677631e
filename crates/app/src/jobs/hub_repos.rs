//! Fetch, for the papers on the lists, the Hub repositories that cite them: the newest lists
//! first, a bounded number of papers per run, each paper again once its last check is older
//! than `harvest.hub_refresh_hours`.

use super::{BackgroundJob, JobContext};
use crate::Error;
use serde::{Deserialize, Serialize};

/// The job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubRepos {}

impl BackgroundJob for HubRepos {
    const KIND: &'static str = "hub-repos";
    const MAX_ATTEMPTS: i64 = 3;

    fn key(&self, slot: i64) -> String {
        format!("hub-repos:{slot}")
    }

    async fn run(&self, ctx: &JobContext) -> Result<(), Error> {
        let result = crate::harvest::hub(
            ctx.store(),
            ctx.fetcher.as_ref(),
            &ctx.config,
            ctx.app.now(),
            &|_, _| {},
        )
        .await;
        let run = super::finish(ctx, result, |r| r.changed > 0)?;
        tracing::info!(
            checked = run.checked,
            changed = run.changed,
            failed = run.failed,
            "hub-repos: done"
        );
        Ok(())
    }
}
