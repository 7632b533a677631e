//! Background work inside `serve`, through the store's job table: one type per job ([`Task`]),
//! one dispatcher ([`Worker::execute`]), and the schedule that enqueues them. A job is keyed by
//! what it is about (its time slot, or the digest's day), so it is enqueued once however many
//! servers schedule it, and one whose worker died is claimed again when its lease runs out.
//! Every job is idempotent: running it twice is safe.

use crate::config::Config;
use crate::{App, Error};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use dp_ingest::fetch::{Fetcher, HttpFetcher};
use dp_ingest::harvest::{self, HarvestReport};
use dp_store::{Cadence, Job, NewJob, Store};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// A background job and its parameters, as stored in the job table (`kind` and `payload`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Task {
    /// Harvest one arXiv OAI-PMH set, incrementally from its watermark.
    HarvestOai {
        /// The set (`cs`, `stat`, `physics:hep-th`, ...).
        set: String,
    },
    /// Mirror the Hugging Face daily lists up to today.
    HarvestHf,
    /// Embed papers that have no vector of `model` yet (a few hundred per job).
    Embed {
        /// The model's name.
        model: String,
    },
    /// Send the digest run of a cadence about a list day.
    Digest {
        /// Daily or weekly.
        cadence: Cadence,
        /// The list day the run is about (for a weekly run, a day of its week).
        day: NaiveDate,
    },
    /// Remove expired sessions and old rate-limit windows.
    Housekeeping,
}

/// How often housekeeping runs.
const HOUSEKEEPING_EVERY_SECS: i64 = 3600;
/// Embedding jobs are keyed by 10-second slots: one per slot for the whole cluster.
const EMBED_SLOT_SECS: i64 = 10;

impl Task {
    /// The job-table kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Task::HarvestOai { .. } => "harvest-oai",
            Task::HarvestHf => "harvest-hf",
            Task::Embed { .. } => "embed",
            Task::Digest { .. } => "digest",
            Task::Housekeeping => "housekeeping",
        }
    }

    /// A stored job's task; [`Error::Invalid`] for an unknown kind or a bad payload.
    pub fn from_job(job: &Job) -> Result<Task, Error> {
        let mut v: serde_json::Value = serde_json::from_str(&job.payload)
            .map_err(|e| Error::Invalid(format!("job {}: payload: {e}", job.dedup_key)))?;
        let obj = v.as_object_mut().ok_or_else(|| {
            Error::Invalid(format!("job {}: payload is no object", job.dedup_key))
        })?;
        obj.insert("kind".into(), job.kind.clone().into());
        serde_json::from_value(v)
            .map_err(|e| Error::Invalid(format!("job {} ({}): {e}", job.dedup_key, job.kind)))
    }

    /// The job-table row of this task, keyed by `key` (its slot or subject).
    pub fn new_job(&self, key: String, run_after: DateTime<Utc>, max_attempts: i64) -> NewJob {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            obj.remove("kind");
        }
        NewJob {
            kind: self.kind().to_string(),
            dedup_key: key,
            payload: v.to_string(),
            run_after,
            max_attempts,
        }
    }

    /// The key of this task in the time slot of `now` (`every_secs` long), or the key of
    /// what it is about (a digest's run).
    pub fn key(&self, now: DateTime<Utc>, every_secs: i64) -> String {
        let slot = now.timestamp() / every_secs.max(1);
        match self {
            Task::HarvestOai { set } => format!("harvest-oai:{set}:{slot}"),
            Task::HarvestHf => format!("harvest-hf:{slot}"),
            Task::Embed { model } => format!("embed:{model}:{slot}"),
            Task::Digest { cadence, day } => match cadence {
                Cadence::Daily => format!("digest:daily:{day}"),
                Cadence::Weekly => format!("digest:weekly:{}", dp_core::Period::week_of(*day)),
            },
            Task::Housekeeping => format!("housekeeping:{slot}"),
        }
    }
}

/// The digest runs due at local time `now` for a send time `at`, given the newest list day:
/// the daily one on weekdays (about the newest list) and the weekly one on Mondays (about the
/// week before).
pub fn due_digests<Tz: TimeZone>(
    now: DateTime<Tz>,
    at: NaiveTime,
    latest: Option<NaiveDate>,
) -> Vec<Task> {
    use chrono::{Datelike, Weekday};
    if now.time() < at {
        return Vec::new();
    }
    let mut due = Vec::new();
    let weekday = now.weekday();
    if !matches!(weekday, Weekday::Sat | Weekday::Sun) {
        if let Some(day) = latest {
            due.push(Task::Digest {
                cadence: Cadence::Daily,
                day,
            });
        }
    }
    if weekday == Weekday::Mon {
        due.push(Task::Digest {
            cadence: Cadence::Weekly,
            day: now.date_naive() - chrono::Duration::days(7),
        });
    }
    due
}

/// The job runner of one server.
pub struct Worker {
    app: App,
    config: Config,
    fetcher: Arc<dyn Fetcher>,
    name: String,
    /// The embedding model, when this server has one: it then schedules and runs `embed` jobs.
    embedder: Option<Arc<dp_search::embed::Embedder>>,
}

impl Worker {
    /// A worker with a name unique to this process.
    pub fn new(
        app: App,
        config: Config,
        embedder: Option<Arc<dp_search::embed::Embedder>>,
    ) -> Result<Worker, Error> {
        let fetcher = HttpFetcher::new(config.fetch_policy()).map_err(Error::internal)?;
        let name = format!("{}-{}", hostname(), std::process::id());
        Ok(Worker {
            app,
            config,
            fetcher: Arc::new(fetcher),
            name,
            embedder,
        })
    }

    fn store(&self) -> &dyn Store {
        self.app.store.as_ref()
    }

    /// Runs forever: schedule, then work off due jobs, every few seconds.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.schedule().await {
                tracing::warn!(error = %e, "could not schedule jobs");
            }
            loop {
                let lease = Duration::from_secs(self.config.harvest.job_lease_secs.max(1));
                match self.store().claim_job(&self.name, lease).await {
                    Ok(Some(job)) => {
                        tracing::info!(kind = %job.kind, key = %job.dedup_key, attempt = job.attempts, "job started");
                        let result = self
                            .with_heartbeat(&job, lease, self.execute(&job))
                            .await
                            .map_err(|e| e.to_string());
                        if let Err(e) = &result {
                            tracing::warn!(key = %job.dedup_key, error = %e, "job failed");
                        }
                        if let Err(e) = self.store().finish_job(&job, result).await {
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
            // Woken at once by a change on PostgreSQL (NOTIFY), after 5 s otherwise.
            self.store().wait_for_change(Duration::from_secs(5)).await;
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
        loop {
            tokio::select! {
                r = &mut work => return r,
                _ = beat.tick() => {
                    match self.store().renew_job(job, &self.name, lease).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(key = %job.dedup_key, "lease lost; finishing anyway"),
                        Err(e) => tracing::warn!(error = %e, "could not renew a job lease"),
                    }
                }
            }
        }
    }

    /// Enqueues what is due now (each once per slot for the whole cluster).
    async fn schedule(&self) -> Result<(), Error> {
        let now = Utc::now();
        let mut due: Vec<(Task, i64, i64)> = vec![(Task::Housekeeping, HOUSEKEEPING_EVERY_SECS, 3)];
        if let Some(e) = &self.embedder {
            if !self.store().unembedded(e.name(), 1).await?.is_empty() {
                let model = e.name().to_string();
                due.push((Task::Embed { model }, EMBED_SLOT_SECS, 3));
            }
        }
        if self.config.mail.schedule {
            for t in self.due_digests().await? {
                due.push((t, 1, 5));
            }
        }
        let minutes = self.config.harvest.schedule_minutes;
        if minutes > 0 {
            let every = minutes as i64 * 60;
            for set in &self.config.harvest.oai_sets {
                due.push((Task::HarvestOai { set: set.clone() }, every, 3));
            }
            if self.config.harvest.hf_mirror {
                due.push((Task::HarvestHf, every, 3));
            }
        }
        for (task, every, attempts) in due {
            let job = task.new_job(task.key(now, every), now, attempts);
            self.store().enqueue_job(&job).await?;
        }
        Ok(())
    }

    /// The digest runs due now, past `mail.send_at` local time.
    async fn due_digests(&self) -> Result<Vec<Task>, Error> {
        let m = &self.config.mail;
        let tz: chrono_tz::Tz = m
            .time_zone
            .parse()
            .map_err(|e| Error::Invalid(format!("mail.time_zone {:?}: {e}", m.time_zone)))?;
        let at = NaiveTime::parse_from_str(&m.send_at, "%H:%M")
            .map_err(|e| Error::Invalid(format!("mail.send_at {:?} (HH:MM): {e}", m.send_at)))?;
        let latest = self.store().latest_day().await?;
        Ok(due_digests(Utc::now().with_timezone(&tz), at, latest))
    }

    /// Runs one claimed job: the one dispatcher of every kind.
    pub async fn execute(&self, job: &Job) -> Result<(), Error> {
        let task = Task::from_job(job)?;
        let log = |r: &HarvestReport| {
            tracing::info!(
                pages = r.pages,
                read = r.read,
                inserted = r.inserted,
                "harvest progress"
            )
        };
        let harvested = |r: HarvestReport| {
            tracing::info!(key = %job.dedup_key, read = r.read, inserted = r.inserted, updated = r.updated, "job done");
        };
        match task {
            Task::HarvestOai { set } => harvested(
                harvest::harvest_oai(
                    self.store(),
                    self.fetcher.as_ref(),
                    &self.config.harvest.oai_url,
                    &set,
                    None,
                    None,
                    &log,
                )
                .await
                .map_err(Error::internal)?,
            ),
            Task::HarvestHf => harvested(
                harvest::harvest_hf(
                    self.store(),
                    self.fetcher.as_ref(),
                    &self.config.harvest.hf_url,
                    None,
                    Utc::now().date_naive(),
                    &log,
                )
                .await
                .map_err(Error::internal)?,
            ),
            Task::Embed { .. } => {
                let Some(e) = &self.embedder else {
                    return Err(Error::Unavailable(
                        "this server has no embedding model (search.model_dir)".into(),
                    ));
                };
                let batch = self.config.search.embed_batch.unwrap_or(16);
                // At most a few hundred papers per job, so the lease heartbeat and other jobs
                // get their turn; the next slot's job goes on.
                let n = dp_search::jobs::embed_missing(self.store(), e, batch, Some(512), &|_| {})
                    .await
                    .map_err(Error::internal)?;
                tracing::info!(key = %job.dedup_key, papers = n, "embedded papers");
            }
            Task::Digest { cadence, day } => self.send_digest(job, cadence, day).await?,
            Task::Housekeeping => self.store().purge_expired().await?,
        }
        Ok(())
    }

    async fn send_digest(&self, job: &Job, cadence: Cadence, day: NaiveDate) -> Result<(), Error> {
        let cfg = crate::digests::run_config(&self.config, cadence, day)?;
        let signer = dp_mail::installation_signer(self.store(), self.config.mail.secret.as_deref())
            .await
            .map_err(Error::internal)?;
        let matcher = crate::digests::matcher(self.store(), &self.config).await?;
        let mailer =
            dp_mail::SmtpMailer::new(&self.config.mail.smtp()?).map_err(Error::internal)?;
        let r = dp_mail::run_digest(
            self.store(),
            &mailer,
            Some(&matcher),
            &signer,
            &cfg,
            &|_| {},
        )
        .await
        .map_err(Error::internal)?;
        tracing::info!(key = %job.dedup_key, sent = r.sent, skipped = r.skipped, failed = r.failed, retry = r.retried, "digest run");
        if r.retried > 0 {
            return Err(Error::Upstream(format!(
                "{} digests to retry later",
                r.retried
            )));
        }
        Ok(())
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
    use chrono::{NaiveDate, NaiveTime, TimeZone};

    #[test]
    fn digests_are_due_after_the_local_send_time() {
        let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let at = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        let latest = NaiveDate::from_ymd_opt(2025, 3, 14);
        let keys = |now: DateTime<chrono_tz::Tz>, latest| -> Vec<String> {
            due_digests(now, at, latest)
                .iter()
                .map(|t| t.key(now.with_timezone(&Utc), 1))
                .collect()
        };
        // Monday 07:59 in Berlin (06:59 UTC): nothing yet.
        let before = tz.with_ymd_and_hms(2025, 3, 17, 7, 59, 0).unwrap();
        assert!(keys(before, latest).is_empty());
        // Monday 08:00: the daily run about the newest list, and last week's weekly run.
        assert_eq!(
            keys(before + chrono::Duration::minutes(1), latest),
            ["digest:daily:2025-03-14", "digest:weekly:2025-W11"]
        );
        // Tuesday: only the daily one; Saturday: nothing; no list yet: nothing daily.
        let tue = tz.with_ymd_and_hms(2025, 3, 18, 9, 0, 0).unwrap();
        assert_eq!(keys(tue, latest).len(), 1);
        let sat = tz.with_ymd_and_hms(2025, 3, 22, 9, 0, 0).unwrap();
        assert!(keys(sat, latest).is_empty());
        assert!(keys(tue, None).is_empty());
    }

    #[test]
    fn tasks_keep_their_stored_kinds_and_payloads() {
        let day = NaiveDate::from_ymd_opt(2025, 3, 14).unwrap();
        let now = Utc.with_ymd_and_hms(2025, 3, 17, 0, 0, 0).unwrap();
        for (task, kind, payload) in [
            (
                Task::HarvestOai { set: "cs".into() },
                "harvest-oai",
                r#"{"set":"cs"}"#,
            ),
            (Task::HarvestHf, "harvest-hf", "{}"),
            (
                Task::Embed { model: "m".into() },
                "embed",
                r#"{"model":"m"}"#,
            ),
            (
                Task::Digest {
                    cadence: Cadence::Daily,
                    day,
                },
                "digest",
                r#"{"cadence":"daily","day":"2025-03-14"}"#,
            ),
            (Task::Housekeeping, "housekeeping", "{}"),
        ] {
            let job = task.new_job(task.key(now, 60), now, 3);
            assert_eq!((job.kind.as_str(), job.payload.as_str()), (kind, payload));
            let stored = Job {
                id: 1,
                kind: job.kind,
                dedup_key: job.dedup_key,
                payload: job.payload,
                attempts: 1,
            };
            assert_eq!(Task::from_job(&stored).unwrap(), task);
        }
    }

    #[test]
    fn unknown_kinds_and_bad_payloads_are_refused_clearly() {
        let job = |kind: &str, payload: &str| Job {
            id: 1,
            kind: kind.into(),
            dedup_key: "k".into(),
            payload: payload.into(),
            attempts: 1,
        };
        assert!(Task::from_job(&job("mystery", "{}")).is_err());
        let e = Task::from_job(&job("digest", r#"{"cadence":"daily"}"#)).unwrap_err();
        assert!(e.to_string().contains("day"), "{e}");
        assert!(Task::from_job(&job("harvest-hf", "[")).is_err());
    }
}
