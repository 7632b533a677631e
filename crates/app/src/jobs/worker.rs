//! The job runner of one server: it schedules what is due, claims due jobs (a lease, renewed
//! while the job runs), and runs each through the one dispatcher, [`Worker::execute`].

use super::{
    due_digests, new_job, payload, BackgroundJob, Digest, Embed, GithubStars, HarvestHf,
    HarvestOai, Housekeeping, HubRepos, JobContext, Thumbnails,
};
use crate::config::Config;
use crate::harvest::{job_for, Schedule, Task, PROGRESS_EVERY};
use crate::{App, Error};
use chrono::{NaiveTime, Utc};
use dp_ingest::fetch::HttpFetcher;
use dp_ingest::harvest::HarvestReport;
use dp_store::{Job, NewJob};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often the worker looks at what is due.
const SCHEDULE_EVERY: Duration = Duration::from_secs(5);

/// The job runner of one server.
pub struct Worker {
    ctx: JobContext,
    name: String,
    schedules: Vec<Schedule>,
    /// The change cursor when a look found every paper embedded (`i64::MIN`: not yet).
    all_embedded_at: AtomicI64,
}

/// Logs a finished harvest.
pub(super) fn log_harvest(what: &str, r: &HarvestReport) {
    tracing::info!(job = %what, read = r.read, inserted = r.inserted, updated = r.updated, "harvest done");
}

impl Worker {
    /// A worker with a name unique to this process.
    pub fn new(
        app: App,
        config: Config,
        embedder: Option<Arc<dp_search::embed::Embedder>>,
    ) -> Result<Worker, Error> {
        let fetcher = HttpFetcher::new(config.fetch_policy()).map_err(Error::internal)?;
        Worker::with_fetcher(app, config, embedder, Arc::new(fetcher))
    }

    /// The same with another fetcher (tests).
    pub fn with_fetcher(
        app: App,
        config: Config,
        embedder: Option<Arc<dp_search::embed::Embedder>>,
        fetcher: Arc<dyn dp_ingest::fetch::Fetcher>,
    ) -> Result<Worker, Error> {
        // Unique per worker, also when one process runs several (tests).
        static NEXT: AtomicI64 = AtomicI64::new(0);
        let name = format!(
            "{}-{}-{}",
            hostname(),
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let schedules = crate::harvest::schedules(&config, embedder.as_ref().map(|e| e.name()))?;
        Ok(Worker {
            ctx: JobContext {
                app,
                config,
                fetcher,
                embedder,
                progress: std::sync::Mutex::new(None),
            },
            name,
            schedules,
            all_embedded_at: AtomicI64::new(i64::MIN),
        })
    }

    /// Runs forever: schedule, then work off due jobs, every few seconds.
    pub async fn run(self) {
        let store = self.ctx.app.store.clone();
        let mut changes = store.change_watch().await;
        let mut scheduled: Option<std::time::Instant> = None;
        loop {
            // The schedule is in seconds; a write (another server's enqueued job) only asks
            // for a claim.
            if scheduled.is_none_or(|t| t.elapsed() >= SCHEDULE_EVERY) {
                scheduled = Some(std::time::Instant::now());
                if let Err(e) = self.schedule().await {
                    tracing::warn!(error = %e, "could not schedule jobs");
                }
            }
            loop {
                let lease = Duration::from_secs(self.ctx.config.harvest.job_lease_secs.max(1));
                match store.claim_job(&self.name, lease).await {
                    Ok(Some(job)) => {
                        tracing::info!(kind = %job.kind, key = %job.dedup_key, attempt = job.attempts, "job started");
                        drop(self.ctx.take_progress());
                        let result = self
                            .with_heartbeat(&job, lease, self.execute(&job))
                            .await
                            .map_err(|e| e.to_string());
                        if let Err(e) = &result {
                            tracing::warn!(key = %job.dedup_key, error = %e, "job failed");
                        }
                        self.write_progress(&job).await;
                        let retry =
                            Duration::from_secs(self.ctx.config.harvest.job_retry_secs.max(1));
                        if let Err(e) = store.finish_job(&job, result, retry).await {
                            tracing::warn!(error = %e, "could not record the end of a job");
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not claim a job");
                        break;
                    }
                }
            }
            // Woken at once by a write (an enqueued job), at the next schedule otherwise.
            changes.wait(SCHEDULE_EVERY).await;
        }
    }

    /// Runs `work` while renewing the job's lease every third of it. If the lease is lost (the
    /// database was away longer than the lease and another worker took the job), the work
    /// still finishes: jobs are idempotent, so running one twice is safe.
    async fn with_heartbeat<F: std::future::Future<Output = Result<(), Error>>>(
        &self,
        job: &Job,
        lease: Duration,
        work: F,
    ) -> Result<(), Error> {
        tokio::pin!(work);
        let mut beat = tokio::time::interval(lease / 3);
        beat.tick().await;
        let mut shown = tokio::time::interval(PROGRESS_EVERY);
        shown.tick().await;
        loop {
            tokio::select! {
                r = &mut work => return r,
                _ = shown.tick() => self.write_progress(job).await,
                _ = beat.tick() => {
                    match self.ctx.store().renew_job(job, &self.name, lease).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(key = %job.dedup_key, "lease lost; finishing anyway"),
                        Err(e) => tracing::warn!(error = %e, "could not renew a job lease"),
                    }
                }
            }
        }
    }

    /// Writes the running job's latest progress report to its row, if there is a new one.
    async fn write_progress(&self, job: &Job) {
        if let Some(p) = self.ctx.take_progress() {
            if let Err(e) = self.ctx.store().set_job_progress(job, &p).await {
                tracing::warn!(error = %e, "could not record a job's progress");
            }
        }
    }

    /// Enqueues what is due now (each once per slot for the whole cluster), except what an
    /// admin paused.
    async fn schedule(&self) -> Result<(), Error> {
        let now = Utc::now();
        let config = &self.ctx.config;
        let paused = self.ctx.store().paused_schedules().await?;
        let mut due: Vec<NewJob> = Vec::new();
        for s in &self.schedules {
            if s.every_secs.is_none() || paused.contains(&s.name) {
                continue;
            }
            if let Task::Embed(model) = &s.task {
                // Looking for papers without vectors reads every paper (about 120 ms at
                // 80,000): only look again once papers changed since the last look found none.
                let marker = self.ctx.store().change_marker().await?;
                if self.all_embedded_at.load(Ordering::Acquire) == marker {
                    continue;
                }
                if self.ctx.store().unembedded(model, 1).await?.is_empty() {
                    self.all_embedded_at.store(marker, Ordering::Release);
                    continue;
                }
            }
            due.push(job_for(s, now, false));
        }
        if config.mail.enabled && config.mail.schedule {
            for d in self.due_digests().await? {
                due.push(new_job(&d, now, 1));
            }
        }
        for job in due {
            self.ctx.store().enqueue_job(&job).await?;
        }
        Ok(())
    }

    /// The digest runs due now, past `mail.send_at` local time.
    async fn due_digests(&self) -> Result<Vec<Digest>, Error> {
        let m = &self.ctx.config.mail;
        let tz: chrono_tz::Tz = m
            .time_zone
            .parse()
            .map_err(|e| Error::Invalid(format!("mail.time_zone {:?}: {e}", m.time_zone)))?;
        let at = NaiveTime::parse_from_str(&m.send_at, "%H:%M")
            .map_err(|e| Error::Invalid(format!("mail.send_at {:?} (HH:MM): {e}", m.send_at)))?;
        let latest = self.ctx.store().latest_day().await?;
        Ok(due_digests(Utc::now().with_timezone(&tz), at, latest))
    }

    /// Runs one claimed job: the one dispatcher of every kind.
    pub async fn execute(&self, job: &Job) -> Result<(), Error> {
        let ctx = &self.ctx;
        match job.kind.as_str() {
            HarvestOai::KIND => payload::<HarvestOai>(job)?.run(ctx).await,
            HarvestHf::KIND => payload::<HarvestHf>(job)?.run(ctx).await,
            Embed::KIND => payload::<Embed>(job)?.run(ctx).await,
            Digest::KIND => payload::<Digest>(job)?.run(ctx).await,
            Housekeeping::KIND => payload::<Housekeeping>(job)?.run(ctx).await,
            HubRepos::KIND => payload::<HubRepos>(job)?.run(ctx).await,
            GithubStars::KIND => payload::<GithubStars>(job)?.run(ctx).await,
            Thumbnails::KIND => payload::<Thumbnails>(job)?.run(ctx).await,
            other => Err(Error::Invalid(format!("unknown job kind {other:?}"))),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "host".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use dp_store::Cadence;

    fn stored(job: NewJob) -> Job {
        Job {
            id: 1,
            kind: job.kind,
            dedup_key: job.dedup_key,
            payload: job.payload,
            attempts: 1,
        }
    }

    #[test]
    fn jobs_keep_their_stored_kinds_keys_and_payloads() {
        let now = Utc.with_ymd_and_hms(2025, 3, 17, 0, 0, 0).unwrap();
        let slot = now.timestamp() / 60;
        let day = NaiveDate::from_ymd_opt(2025, 3, 14).unwrap();
        let cases = [
            (
                new_job(&HarvestOai { set: "cs".into() }, now, 60),
                "harvest-oai",
                r#"{"set":"cs"}"#,
                format!("harvest-oai:cs:{slot}"),
            ),
            (
                new_job(&HarvestHf {}, now, 60),
                "harvest-hf",
                "{}",
                format!("harvest-hf:{slot}"),
            ),
            (
                new_job(&Embed { model: "m".into() }, now, 60),
                "embed",
                r#"{"model":"m"}"#,
                format!("embed:m:{slot}"),
            ),
            (
                new_job(
                    &Digest {
                        cadence: Cadence::Daily,
                        day,
                    },
                    now,
                    60,
                ),
                "digest",
                r#"{"cadence":"daily","day":"2025-03-14"}"#,
                "digest:daily:2025-03-14".to_string(),
            ),
            (
                new_job(&Housekeeping {}, now, 60),
                "housekeeping",
                "{}",
                format!("housekeeping:{slot}"),
            ),
        ];
        for (job, kind, payload_json, key) in cases {
            assert_eq!(
                (
                    job.kind.as_str(),
                    job.payload.as_str(),
                    job.dedup_key.as_str()
                ),
                (kind, payload_json, key.as_str())
            );
        }
        let d = payload::<Digest>(&stored(new_job(
            &Digest {
                cadence: Cadence::Weekly,
                day,
            },
            now,
            1,
        )))
        .unwrap();
        assert_eq!(
            d,
            Digest {
                cadence: Cadence::Weekly,
                day
            }
        );
    }

    #[test]
    fn bad_payloads_are_refused_clearly() {
        let bad = stored(NewJob {
            kind: "digest".into(),
            dedup_key: "k".into(),
            payload: r#"{"cadence":"daily"}"#.into(),
            run_after: Utc::now(),
            max_attempts: 1,
        });
        let e = payload::<Digest>(&bad).unwrap_err();
        assert!(e.to_string().contains("day"), "{e}");
    }
}
