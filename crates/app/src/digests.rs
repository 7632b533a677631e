//! E-mail digests: the settings of a run from the configuration, the keyword index that
//! matches saved searches, and an admin's preview of anyone's next digest. The run itself is
//! `dp_mail::run_digest`, driven by the `digest` job and the `dailypapers digest` command.

use crate::config::Config;
use crate::search::IndexMatcher;
use crate::{App, Error};
use chrono::NaiveDate;
use dp_mail::run::{preview, Matcher, RunConfig};
use dp_store::{Cadence, Store};
use std::sync::Arc;

/// The run settings of the configuration for `cadence` and `day`.
pub fn run_config(config: &Config, cadence: Cadence, day: NaiveDate) -> Result<RunConfig, Error> {
    Ok(RunConfig {
        cadence,
        day,
        site: config.site_name.clone(),
        base_url: config.mail_base_url()?,
        from: dp_mail::compose::mailbox(&config.mail.from)
            .map_err(|e| Error::Invalid(format!("mail.from: {e}")))?,
        top_n: config.mail.top_papers,
        per_search: config.mail.papers_per_search,
        concurrency: config.mail.concurrency,
        batch: 200,
        max_attempts: 5,
        retry_wait: std::time::Duration::from_secs(120),
        link_days: 90,
        recommender: None,
    })
}

/// The keyword index for saved searches: this server's, else one built in memory from the
/// store.
pub async fn matcher(store: &dyn Store, config: &Config) -> Result<IndexMatcher, Error> {
    let dir = config.index_dir();
    let index = match dp_search::KeywordIndex::open_read_only(&dir) {
        Ok(i) => Arc::new(i),
        Err(_) => {
            let index = Arc::new(dp_search::KeywordIndex::open(None).map_err(Error::internal)?);
            let follower = dp_search::follow::Follower::new(index.clone());
            follower
                .catch_up(store, &|_| {})
                .await
                .map_err(Error::internal)?;
            index
        }
    };
    Ok(IndexMatcher(
        dp_search::follow::Follower::new(index).engine(),
    ))
}

impl App {
    /// The HTML of subscriber `id`'s next digest about the newest list, with links under
    /// `base_url`; `None` when nothing new would be sent.
    pub async fn preview_digest(
        &self,
        admin: &dp_core::User,
        id: i64,
        base_url: &str,
    ) -> Result<Option<String>, Error> {
        crate::claims::require_admin(admin)?;
        let Some(mail) = &self.mail else {
            return Err(Error::Unavailable(
                "E-mail is not set up on this server.".into(),
            ));
        };
        let sub = self
            .store
            .subscriber(id)
            .await?
            .ok_or_else(|| Error::NotFound("No such subscriber.".into()))?;
        let day = self.current_day().await?;
        let cfg = RunConfig {
            cadence: sub.cadence,
            day,
            site: self.rules.site_name.clone(),
            base_url: base_url.to_string(),
            from: mail.from.clone(),
            top_n: mail.top_n,
            per_search: mail.per_search,
            concurrency: 1,
            batch: 1,
            max_attempts: 1,
            retry_wait: std::time::Duration::ZERO,
            link_days: 90,
            recommender: Some(Arc::new(self.clone())),
        };
        let matcher = self.search.as_ref().map(|f| IndexMatcher(f.engine()));
        let content = preview(
            self.store.as_ref(),
            matcher.as_ref().map(|m| m as &dyn Matcher),
            &mail.signer,
            &cfg,
            &sub,
        )
        .await
        .map_err(Error::internal)?;
        Ok(content.map(|c| dp_mail::compose::html(&c)))
    }
}
