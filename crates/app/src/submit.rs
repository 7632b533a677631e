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

/// What indexing a paper did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexed {
    /// Fetched from arXiv: this server did not have it.
    New,
    /// Fetched again from arXiv, for one of its authors or an admin.
    Refreshed,
    /// This server had it already; nothing was fetched.
    Known,
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
            self.fetch_from_arxiv(id).await?;
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

    /// Indexes paper `id` for `user` (Hugging Face's `POST /api/papers/index`): a paper this
    /// server lacks is fetched from arXiv; one it has is fetched again only for an admin or
    /// one of its approved authors, as Hugging Face lets only authors re-index.
    pub async fn index_paper(&self, user: &User, id: &ArxivId) -> Result<Indexed, Error> {
        let id = id.unversioned();
        self.write_limit(user).await?;
        let known = self.store.paper(&id).await?.is_some();
        if known && !self.may_set_links(user, &id).await? {
            return Ok(Indexed::Known);
        }
        self.fetch_from_arxiv(&id).await?;
        if self.store.paper(&id).await?.is_none() {
            return Err(Error::NotFound(format!("arXiv has no paper {id}.")));
        }
        self.changed();
        Ok(if known {
            Indexed::Refreshed
        } else {
            Indexed::New
        })
    }

    /// Fetches `id` from the arXiv API into the store.
    async fn fetch_from_arxiv(&self, id: &ArxivId) -> Result<(), Error> {
        let Some(fetcher) = &self.fetcher else {
            return Err(Error::Upstream(
                "This server cannot reach arXiv, and it does not have that paper.".into(),
            ));
        };
        if let Err(e) = dp_ingest::harvest::fetch_ids(
            self.store.as_ref(),
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
        Ok(())
    }

    fn quota_reached(&self) -> Error {
        Error::Quota(format!(
            "You reached {} submissions in 24 hours; try again tomorrow.",
            self.rules.submissions_per_day
        ))
    }
}
