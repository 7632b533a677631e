//! Background work, through the store's job table (as crates.io's worker does it): one type
//! per job, each in its own file, whose value is its payload; one dispatcher
//! ([`worker::Worker::execute`]); and the schedule that enqueues them ([`worker`]).
//!
//! A job is keyed by what it is about (its time slot, or a digest's day), so it is enqueued once
//! however many servers schedule it; a job whose worker died is claimed again when its lease
//! runs out; and every job is idempotent, so running it twice is safe.

mod digest;
mod embed;
pub mod github_stars;
mod harvest_hf;
mod harvest_oai;
mod housekeeping;
pub mod hub_repos;
pub mod thumbnails;
pub mod worker;

pub use digest::{due_digests, Digest};
pub use embed::Embed;
pub use github_stars::GithubStars;
pub use harvest_hf::HarvestHf;
pub use harvest_oai::HarvestOai;
pub use housekeeping::Housekeeping;
pub use hub_repos::HubRepos;
pub use thumbnails::Thumbnails;
pub use worker::Worker;

use crate::config::Config;
use crate::{App, Error};
use chrono::{DateTime, Utc};
use dp_ingest::fetch::Fetcher;
use dp_store::{Job, NewJob, Store};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;

/// What a running job may use.
pub struct JobContext {
    /// The use cases (and the store).
    pub app: App,
    /// The configuration.
    pub config: Config,
    /// Fetches from arXiv and Hugging Face, politely.
    pub fetcher: Arc<dyn Fetcher>,
    /// The embedding model, when this server has one.
    pub embedder: Option<Arc<dp_search::embed::Embedder>>,
    /// The running job's latest progress report (JSON), not yet written to the store.
    pub progress: std::sync::Mutex<Option<String>>,
}

impl JobContext {
    /// Records where the running job is; the worker writes it to the job's row about once a
    /// second (and at the end), for the job board and the empty home page.
    pub fn report(&self, report: &dp_ingest::harvest::HarvestReport) {
        let mut shown = report.clone();
        shown.problems.truncate(5);
        if let (Ok(json), Ok(mut p)) = (serde_json::to_string(&shown), self.progress.lock()) {
            *p = Some(json);
        }
    }

    /// Takes the progress report not yet written.
    pub(crate) fn take_progress(&self) -> Option<String> {
        self.progress.lock().ok().and_then(|mut p| p.take())
    }
    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.app.store.as_ref()
    }
}

/// The end of a refresh job (Hub repositories, GitHub stars, thumbnails): caches learn of what
/// it stored, even when it stopped early, and its error is the job's.
pub(crate) fn finish<R>(
    ctx: &JobContext,
    result: Result<R, (R, Error)>,
    stored: impl Fn(&R) -> bool,
) -> Result<R, Error> {
    let (run, error) = match result {
        Ok(run) => (run, None),
        Err((run, e)) => (run, Some(e)),
    };
    if stored(&run) {
        ctx.app.changed();
    }
    match error {
        Some(e) => Err(e),
        None => Ok(run),
    }
}

/// One kind of background job. Its value is its payload, stored as JSON.
pub trait BackgroundJob: Serialize + DeserializeOwned + Send + Sync {
    /// The job table's `kind`.
    const KIND: &'static str;
    /// Attempts before the job is given up (with backoff between them).
    const MAX_ATTEMPTS: i64;

    /// The key that makes the job unique, for the slot (a number of `every` seconds since the
    /// epoch) it is scheduled in; jobs about one thing (a digest's run) ignore the slot.
    fn key(&self, slot: i64) -> String;

    /// Does the work.
    fn run(&self, ctx: &JobContext) -> impl Future<Output = Result<(), Error>> + Send;
}

/// The job-table row of `job` for the time slot of `now`, `every_secs` long.
pub fn new_job<J: BackgroundJob>(job: &J, now: DateTime<Utc>, every_secs: i64) -> NewJob {
    NewJob {
        kind: J::KIND.to_string(),
        dedup_key: job.key(now.timestamp() / every_secs.max(1)),
        // A payload of plain fields always serialises.
        payload: serde_json::to_string(job).unwrap_or_else(|_| "{}".into()),
        run_after: now,
        max_attempts: J::MAX_ATTEMPTS,
    }
}

/// A stored job's payload as its type; [`Error::Invalid`] when it does not fit.
pub fn payload<J: BackgroundJob>(job: &Job) -> Result<J, Error> {
    serde_json::from_str(&job.payload)
        .map_err(|e| Error::Invalid(format!("job {} ({}): {e}", job.dedup_key, job.kind)))
}
