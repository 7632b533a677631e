//! How this server is doing: readiness and the figures its metrics show.

use crate::{App, Error};
use dp_store::{PoolStatus, Stats};

/// The figures of `/metrics`.
#[derive(Debug, Clone)]
pub struct Status {
    /// Database connections.
    pub pool: PoolStatus,
    /// Counts of the store; `None` when the database did not answer.
    pub stats: Option<Stats>,
    /// How many change-cursor steps the search index is behind the store, when it has one.
    pub search_lag: Option<i64>,
    /// Papers in the search index, when it has one.
    pub search_documents: Option<u64>,
}

impl App {
    /// `Ok` when the store answers.
    pub async fn ready(&self) -> Result<(), Error> {
        Ok(self.store.ping().await?)
    }

    /// The figures of this server.
    pub async fn status(&self) -> Status {
        let stats = self.store.stats().await.ok();
        let (mut search_lag, mut search_documents) = (None, None);
        if let Some(search) = &self.search {
            if let Ok(marker) = self.store.change_marker().await {
                search_lag = Some((marker - search.seen()).max(0));
            }
            search_documents = Some(search.index().len());
        }
        Status {
            pool: self.store.pool_status(),
            stats,
            search_lag,
            search_documents,
        }
    }
}
