//! Storage for dailypapers, on SQLite (embedded, the default) or PostgreSQL (several servers on
//! one database), split by concern. Each concern is a narrow trait with its SQL beside it:
//!
//! | module | trait | what it keeps |
//! | --- | --- | --- |
//! | [`papers`] | [`Papers`] | arXiv metadata: the merging upsert, lookups, the publication-time list |
//! | [`feeds`] | [`Feeds`] | daily-list entries and the ranked lists built from them |
//! | [`accounts`] | [`Accounts`] | users and sessions |
//! | [`community`] | [`Community`] | votes, submissions, hiding, a paper's page data, profile lists |
//! | [`comments`] | [`Comments`] | comment threads |
//! | [`claims`] | [`Claims`] | authorship claims |
//! | [`tokens`] | [`Tokens`] | API tokens |
//! | [`limits`] | [`RateLimits`] | rate-limit windows shared by every server |
//! | [`jobs`] | [`Jobs`] | the background job table |
//! | [`watermarks`] | [`Watermarks`] | harvest positions |
//! | [`subscribers`] | [`Subscribers`] | e-mail digest subscriptions |
//! | [`outbox`] | [`Outbox`] | the digest ledger |
//! | [`vectors`] | [`Vectors`] | paper embeddings |
//! | [`changes`] | [`Changes`] | the change cursor that caches and indexes follow |
//! | [`transfer`] | [`Transfer`] | rows of whole tables, for copying a store |
//! | [`maintenance`] | [`Maintenance`] | counts, health, backups, purging |
//!
//! [`Store`] is all of them at once; code that needs only some takes only those. The few
//! differences between the two databases live in `backend/`.

mod backend;
mod plan;
mod ranking;
mod rows;

pub mod accounts;
pub mod changes;
pub mod claims;
pub mod collections;
pub mod comments;
pub mod community;
pub mod copy;
pub mod error;
pub mod feeds;
pub mod follows;
pub mod github;
pub mod hub;
pub mod jobs;
pub mod library;
pub mod limits;
pub mod maintenance;
pub mod outbox;
pub mod papers;
pub mod subscribers;
pub mod thumbnails;
pub mod tokens;
pub mod transfer;
pub mod vectors;
pub mod watermarks;

use chrono::{DateTime, Utc};
use std::sync::Arc;

pub use accounts::Accounts;
pub use changes::{ChangeWatch, ChangedPaper, Changes};
pub use claims::Claims;
pub use collections::{
    Added, AddedMany, CollectionEdit, CollectionQuery, CollectionSort, Collections, PaperMatches,
};
pub use comments::Comments;
pub use community::{Community, PaperDetail, SubmitOutcome, VoteState};
pub use error::StoreError;
pub use feeds::Feeds;
pub use follows::{Followed, Follows};
pub use github::{GithubCheck, GithubStars};
pub use hub::HubLinks;
pub use jobs::{Job, JobRun, Jobs, NewJob};
pub use library::Library;
pub use limits::RateLimits;
pub use maintenance::{Maintenance, PoolStatus, Stats};
pub use outbox::{Delivery, Outbox, OutboxCounts, OutboxItem};
pub use papers::{PaperSummary, Papers};
pub use subscribers::{Cadence, SubState, Subscriber, Subscribers, MAX_SAVED_SEARCHES};
pub use thumbnails::{NewImage, Thumb, Thumbnails};
pub use tokens::Tokens;
pub use transfer::Transfer;
pub use vectors::{StoredVector, Unembedded, Vectors};
pub use watermarks::Watermarks;

/// Every concern of the store at once. Each method of each part is one transaction.
pub trait Store:
    Papers
    + Feeds
    + Accounts
    + Community
    + Comments
    + Claims
    + Tokens
    + RateLimits
    + Jobs
    + Library
    + Collections
    + Follows
    + HubLinks
    + GithubStars
    + Thumbnails
    + Watermarks
    + Subscribers
    + Outbox
    + Vectors
    + Changes
    + Transfer
    + Maintenance
    + Send
    + Sync
    + 'static
{
}

/// The store of both databases: every concern's trait is implemented once for it, in the
/// concern's module.
#[derive(Clone)]
pub struct SqlStore {
    db: backend::Db,
}

impl Store for SqlStore {}

impl SqlStore {
    /// Opens the store a database URL names: `sqlite://PATH` (created when missing) or
    /// `postgres://...`. Migrations run before it returns.
    pub async fn open(url: &str) -> Result<SqlStore, StoreError> {
        let db = backend::Db::open(url).await?;
        let filled = feeds::fill_hf_extras(&db).await?;
        if filled > 0 {
            tracing::info!(
                entries = filled,
                "stored the Hugging Face extras of older list entries"
            );
        }
        Ok(SqlStore { db })
    }

    /// The connection pool of an SQLite store (`None` on PostgreSQL), for maintenance and tests.
    pub fn sqlite_pool(&self) -> Option<&sqlx::SqlitePool> {
        self.db.sqlite_pool()
    }
}

/// Opens the store a database URL names: `sqlite://PATH` (created when missing) or
/// `postgres://...`. Migrations run before it returns.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(SqlStore::open(url).await?))
}

/// Milliseconds since the epoch, the store's time representation.
pub(crate) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Now, in store time.
pub(crate) fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}
