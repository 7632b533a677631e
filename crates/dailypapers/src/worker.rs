//! Background work inside `serve`: schedules harvest jobs in the store's job table and runs
//! whatever jobs are due. Jobs are keyed by their time slot, so a slot's harvest is enqueued once
//! however many servers schedule it, and a job whose worker died is claimed again when its lease
//! runs out.

use crate::config::Config;
use anyhow::{bail, Result};
use chrono::Utc;
use dp_ingest::fetch::HttpFetcher;
use dp_ingest::harvest;
use dp_store::{Job, NewJob, Store};
use std::sync::Arc;
use std::time::Duration;

/// The job runner of one server.
pub struct Worker {
    store: Arc<dyn Store>,
    config: Config,
    fetcher: HttpFetcher,
    name: String,
    /// The embedding model, when this server has one: it then schedules and runs `embed` jobs.
    embedder: Option<Arc<dp_search::embed::Embedder>>,
}

impl Worker {
    /// A worker with a name unique to this process.
    pub fn new(
        store: Arc<dyn Store>,
        config: Config,
        embedder: Option<Arc<dp_search::embed::Embedder>>,
    ) -> Result<Worker> {
        let fetcher = HttpFetcher::new(config.fetch_policy())?;
        let name = format!("{}-{}", hostname(), std::process::id());
        Ok(Worker {
            store,
            config,
            fetcher,
            name,
            embedder,
        })
    }

    /// Runs forever: schedule, then work off due jobs, every few seconds.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.schedule().await {
                tracing::warn!(error = %e, "could not schedule harvest jobs");
            }
            loop {
                let lease = Duration::from_secs(self.config.harvest.job_lease_secs.max(1));
                match self.store.claim_job(&self.name, lease).await {
                    Ok(Some(job)) => {
                        tracing::info!(kind = %job.kind, key = %job.dedup_key, attempt = job.attempts, "job started");
                        let result = self
                            .with_heartbeat(&job, lease, self.execute(&job))
                            .await
                            .map_err(|e| format!("{e:#}"));
                        if let Err(e) = &result {
                            tracing::warn!(key = %job.dedup_key, error = %e, "job failed");
                        }
                        if let Err(e) = self.store.finish_job(&job, result).await {
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
            self.store.wait_for_change(Duration::from_secs(5)).await;
        }
    }

    /// Runs `work` while renewing the job's lease every third of it. If the lease is lost (the
    /// database was away longer than the lease and another worker took the job), the work
    /// still finishes: jobs are idempotent, so running one twice is safe.
    async fn with_heartbeat<F: std::future::Future<Output = Result<()>>>(
        &self,
        job: &Job,
        lease: Duration,
        work: F,
    ) -> Result<()> {
        tokio::pin!(work);
        let mut beat = tokio::time::interval(lease / 3);
        beat.tick().await;
        loop {
            tokio::select! {
                r = &mut work => return r,
                _ = beat.tick() => {
                    match self.store.renew_job(job, &self.name, lease).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(key = %job.dedup_key, "lease lost; finishing anyway"),
                        Err(e) => tracing::warn!(error = %e, "could not renew a job lease"),
                    }
                }
            }
        }
    }

    async fn schedule(&self) -> Result<()> {
        if let Some(e) = &self.embedder {
            // Papers without a vector: one embed job per 10-second slot for the whole cluster.
            if !self.store.unembedded(e.name(), 1).await?.is_empty() {
                let slot = Utc::now().timestamp() / 10;
                self.store
                    .enqueue_job(&NewJob {
                        kind: "embed".into(),
                        dedup_key: format!("embed:{}:{slot}", e.name()),
                        payload: serde_json::json!({ "model": e.name() }).to_string(),
                        run_after: Utc::now(),
                        max_attempts: 3,
                    })
                    .await?;
            }
        }
        if self.config.mail.schedule {
            for (kind, key, payload) in self.due_digests().await? {
                self.store
                    .enqueue_job(&NewJob {
                        kind,
                        dedup_key: key,
                        payload: payload.to_string(),
                        run_after: Utc::now(),
                        max_attempts: 5,
                    })
                    .await?;
            }
        }
        let minutes = self.config.harvest.schedule_minutes;
        if minutes == 0 {
            return Ok(());
        }
        let slot = Utc::now().timestamp() / (minutes as i64 * 60);
        let mut jobs: Vec<(String, String, serde_json::Value)> = self
            .config
            .harvest
            .oai_sets
            .iter()
            .map(|set| {
                (
                    "harvest-oai".to_string(),
                    format!("harvest-oai:{set}:{slot}"),
                    serde_json::json!({ "set": set }),
                )
            })
            .collect();
        if self.config.harvest.hf_mirror {
            jobs.push((
                "harvest-hf".into(),
                format!("harvest-hf:{slot}"),
                serde_json::json!({}),
            ));
        }
        for (kind, key, payload) in jobs {
            self.store
                .enqueue_job(&NewJob {
                    kind,
                    dedup_key: key,
                    payload: payload.to_string(),
                    run_after: Utc::now(),
                    max_attempts: 3,
                })
                .await?;
        }
        Ok(())
    }

    /// The digest runs due now: past `mail.send_at` local time, the daily one on weekdays (about
    /// the newest list) and the weekly one on Mondays (about the week before). Keyed by what
    /// they are about, so each is sent once whichever server enqueues it and however often.
    async fn due_digests(&self) -> Result<Vec<(String, String, serde_json::Value)>> {
        use chrono::NaiveTime;
        let m = &self.config.mail;
        let tz: chrono_tz::Tz = m
            .time_zone
            .parse()
            .map_err(|e| anyhow::anyhow!("mail.time_zone {:?}: {e}", m.time_zone))?;
        let at = NaiveTime::parse_from_str(&m.send_at, "%H:%M")
            .map_err(|e| anyhow::anyhow!("mail.send_at {:?} (HH:MM): {e}", m.send_at))?;
        let latest = self.store.latest_day().await?;
        Ok(due_runs(Utc::now().with_timezone(&tz), at, latest))
    }

    async fn execute(&self, job: &Job) -> Result<()> {
        let payload: serde_json::Value = serde_json::from_str(&job.payload)?;
        if job.kind == "digest" {
            let cadence = payload["cadence"]
                .as_str()
                .and_then(dp_store::Cadence::parse)
                .ok_or_else(|| anyhow::anyhow!("digest job without a cadence"))?;
            let day = dp_core::parse_day(payload["day"].as_str().unwrap_or(""))?;
            let cfg = crate::digest::run_config(&self.config, cadence, day)?;
            let signer =
                dp_mail::installation_signer(&*self.store, self.config.mail.secret.as_deref())
                    .await?;
            let matcher = crate::digest::matcher(&*self.store, &self.config).await?;
            let mailer = dp_mail::SmtpMailer::new(&self.config.mail.smtp()?)?;
            let r = dp_mail::run_digest(
                &*self.store,
                &mailer,
                Some(&matcher),
                &signer,
                &cfg,
                &|_| {},
            )
            .await?;
            tracing::info!(key = %job.dedup_key, sent = r.sent, skipped = r.skipped, failed = r.failed, retry = r.retried, "digest run");
            if r.retried > 0 {
                bail!("{} digests to retry later", r.retried);
            }
            return Ok(());
        }
        let log = |r: &harvest::HarvestReport| {
            tracing::info!(
                pages = r.pages,
                read = r.read,
                inserted = r.inserted,
                "harvest progress"
            )
        };
        if job.kind == "embed" {
            let Some(e) = &self.embedder else {
                bail!("this server has no embedding model (search.model_dir)");
            };
            let batch = self.config.search.embed_batch.unwrap_or(16);
            // At most a few hundred papers per job, so the lease heartbeat and other jobs get
            // their turn; the next slot's job goes on.
            let n =
                dp_search::jobs::embed_missing(&*self.store, e, batch, Some(512), &|_| {}).await?;
            tracing::info!(key = %job.dedup_key, papers = n, "embedded papers");
            return Ok(());
        }
        let report = match job.kind.as_str() {
            "harvest-oai" => {
                let set = payload.get("set").and_then(|s| s.as_str()).unwrap_or("cs");
                harvest::harvest_oai(
                    &*self.store,
                    &self.fetcher,
                    &self.config.harvest.oai_url,
                    set,
                    None,
                    None,
                    &log,
                )
                .await?
            }
            "harvest-hf" => {
                let today = Utc::now().date_naive();
                harvest::harvest_hf(
                    &*self.store,
                    &self.fetcher,
                    &self.config.harvest.hf_url,
                    None,
                    today,
                    &log,
                )
                .await?
            }
            other => bail!("unknown job kind {other:?}"),
        };
        tracing::info!(key = %job.dedup_key, read = report.read, inserted = report.inserted, updated = report.updated, "job done");
        Ok(())
    }
}

/// The digest runs due at local time `now` for a send time `at`, given the newest list day:
/// `(job kind, dedup key, payload)`.
fn due_runs<Tz: chrono::TimeZone>(
    now: chrono::DateTime<Tz>,
    at: chrono::NaiveTime,
    latest: Option<chrono::NaiveDate>,
) -> Vec<(String, String, serde_json::Value)> {
    use chrono::{Datelike, Weekday};
    if now.time() < at {
        return Vec::new();
    }
    let mut due = Vec::new();
    let weekday = now.weekday();
    if !matches!(weekday, Weekday::Sat | Weekday::Sun) {
        if let Some(day) = latest {
            due.push((
                "digest".to_string(),
                format!("digest:daily:{day}"),
                serde_json::json!({"cadence": "daily", "day": day.to_string()}),
            ));
        }
    }
    if weekday == Weekday::Mon {
        let last_week = now.date_naive() - chrono::Duration::days(7);
        let week = dp_core::Period::week_of(last_week);
        due.push((
            "digest".to_string(),
            format!("digest:weekly:{week}"),
            serde_json::json!({"cadence": "weekly", "day": last_week.to_string()}),
        ));
    }
    due
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
        // Monday 07:59 in Berlin (06:59 UTC): nothing yet.
        let before = tz.with_ymd_and_hms(2025, 3, 17, 7, 59, 0).unwrap();
        assert!(due_runs(before, at, latest).is_empty());
        // Monday 08:00: the daily run about the newest list, and last week's weekly run.
        let keys: Vec<String> = due_runs(before + chrono::Duration::minutes(1), at, latest)
            .into_iter()
            .map(|d| d.1)
            .collect();
        assert_eq!(keys, ["digest:daily:2025-03-14", "digest:weekly:2025-W11"]);
        // Tuesday: only the daily one; Saturday: nothing; no list yet: nothing daily.
        let tue = tz.with_ymd_and_hms(2025, 3, 18, 9, 0, 0).unwrap();
        assert_eq!(due_runs(tue, at, latest).len(), 1);
        let sat = tz.with_ymd_and_hms(2025, 3, 22, 9, 0, 0).unwrap();
        assert!(due_runs(sat, at, latest).is_empty());
        assert!(due_runs(tue, at, None).is_empty());
    }
}
