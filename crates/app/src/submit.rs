//! Submissions: a reader puts a paper on today's list by its arXiv id. Only papers first
//! published in the last `submit_max_age_days`, at most `submissions_per_day` per reader in
//! 24 hours, each paper once (a paper already on a list is a duplicate, not an error).
//! Metadata comes from the store, or from the arXiv API when the store lacks the paper.

use crate::{App, Error};
use chrono::NaiveDate;
use dp_core::{ArxivId, User};
use dp_store::SubmitOutcome;

/// What a submission did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// Put on the list of that day.
    New(NaiveDate),
    /// It was on the list of that day already; nothing changed.
    Duplicate(NaiveDate),
}

impl App {
    /// Submits paper `id` for `user` by the site's rules.
    pub async fn submit(&self, user: &User, id: &ArxivId) -> Result<Submitted, Error> {
        self.write_limit(user).await?;
        let store = &self.store;
        if store.paper(id).await?.is_none() {
            // A reader past their quota does not make this server ask arXiv on their behalf.
            if store.submissions_last_day(user.id).await? >= self.rules.submissions_per_day {
                return Err(self.quota_reached());
            }
            let Some(fetcher) = &self.fetcher else {
                return Err(Error::Upstream(
                    "This server cannot reach arXiv, and it does not have that paper.".into(),
                ));
            };
            if let Err(e) = dp_ingest::harvest::fetch_ids(
                store.as_ref(),
                fetcher.as_ref(),
                &self.rules.arxiv_api_url,
                std::slice::from_ref(id),
            )
            .await
            {
                tracing::warn!(error = %e, id = %id, "arXiv lookup failed");
                return Err(Error::Upstream(
                    "arXiv could not be reached; try again in a minute.".into(),
                ));
            }
        }
        let Some(detail) = store.paper_detail(id).await? else {
            return Err(Error::NotFound(format!("arXiv has no paper {id}.")));
        };
        if let Some(e) = detail.entries.first() {
            return Ok(Submitted::Duplicate(e.day));
        }
        let now = self.now();
        if let Some(published) = detail.paper.published {
            let age = (now - published).num_days();
            if age > self.rules.submit_max_age_days {
                return Err(Error::Refused(format!(
                    "Only papers first published in the last {} days can be submitted; this one appeared on {}.",
                    self.rules.submit_max_age_days,
                    published.format("%Y-%m-%d")
                )));
            }
        }
        let outcome = store
            .submit_paper(user, id, now.date_naive(), self.rules.submissions_per_day)
            .await?;
        self.changed();
        match outcome {
            SubmitOutcome::Submitted(day) => Ok(Submitted::New(day)),
            SubmitOutcome::Duplicate(day) => Ok(Submitted::Duplicate(day)),
            SubmitOutcome::TooMany => Err(self.quota_reached()),
        }
    }

    fn quota_reached(&self) -> Error {
        Error::Quota(format!(
            "You reached {} submissions in 24 hours; try again tomorrow.",
            self.rules.submissions_per_day
        ))
    }
}
