//! Send the digest run of a cadence about a list day, through the outbox (each subscriber
//! gets it once however often the job runs), and the schedule of those runs.

use super::{BackgroundJob, JobContext};
use crate::Error;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone};
use dp_store::Cadence;
use serde::{Deserialize, Serialize};

/// The job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// Daily or weekly.
    pub cadence: Cadence,
    /// The list day the run is about (for a weekly run, a day of its week).
    pub day: NaiveDate,
}

impl BackgroundJob for Digest {
    const KIND: &'static str = "digest";
    const MAX_ATTEMPTS: i64 = 5;

    fn key(&self, _slot: i64) -> String {
        match self.cadence {
            Cadence::Daily => format!("digest:daily:{}", self.day),
            Cadence::Weekly => format!("digest:weekly:{}", dp_core::Period::week_of(self.day)),
        }
    }

    async fn run(&self, ctx: &JobContext) -> Result<(), Error> {
        let mut cfg = crate::digests::run_config(&ctx.config, self.cadence, self.day)?;
        cfg.recommender = Some(std::sync::Arc::new(ctx.app.clone()));
        let store = ctx.store();
        let signer = dp_mail::installation_signer(store, ctx.config.mail.secret.as_deref())
            .await
            .map_err(Error::internal)?;
        let matcher = crate::digests::matcher(store, &ctx.config).await?;
        let mailer = dp_mail::SmtpMailer::new(&ctx.config.mail.smtp()?).map_err(Error::internal)?;
        let r = dp_mail::run_digest(store, &mailer, Some(&matcher), &signer, &cfg, &|_| {})
            .await
            .map_err(Error::internal)?;
        tracing::info!(key = %self.key(0), sent = r.sent, skipped = r.skipped, failed = r.failed, retry = r.retried, "digest run");
        if r.retried > 0 {
            return Err(Error::Upstream(format!(
                "{} digests to retry later",
                r.retried
            )));
        }
        Ok(())
    }
}

/// The digest runs due at local time `now` for a send time `at`, given the newest list day:
/// the daily one on weekdays (about the newest list) and the weekly one on Mondays (about the
/// week before).
pub fn due_digests<Tz: TimeZone>(
    now: DateTime<Tz>,
    at: NaiveTime,
    latest: Option<NaiveDate>,
) -> Vec<Digest> {
    use chrono::{Datelike, Weekday};
    if now.time() < at {
        return Vec::new();
    }
    let mut due = Vec::new();
    let weekday = now.weekday();
    if !matches!(weekday, Weekday::Sat | Weekday::Sun) {
        if let Some(day) = latest {
            due.push(Digest {
                cadence: Cadence::Daily,
                day,
            });
        }
    }
    if weekday == Weekday::Mon {
        due.push(Digest {
            cadence: Cadence::Weekly,
            day: now.date_naive() - chrono::Duration::days(7),
        });
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn digests_are_due_after_the_local_send_time() {
        let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let at = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        let latest = NaiveDate::from_ymd_opt(2025, 3, 14);
        let keys = |now, latest| -> Vec<String> {
            due_digests(now, at, latest)
                .iter()
                .map(|d| d.key(0))
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
}
