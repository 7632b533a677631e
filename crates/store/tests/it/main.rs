//! The store's integration tests, one binary: the suite every backend passes (each check runs on
//! SQLite and on PostgreSQL), what only one backend does, copying a store, and the ranking's SQL
//! against its Rust definition. PostgreSQL needs `DAILYPAPERS_TEST_POSTGRES_URL` (see
//! `.ci/postgres.sh`); without it those tests skip with a notice, and fail in CI.

mod changes;
mod community;
mod copy;
mod feeds;
mod jobs;
mod library;
mod mail;
mod papers;
mod postgres;
mod ranking;
mod sqlite;

/// Runs each named check (an `async fn(Arc<dyn Store>)` in scope) as two tests, `NAME::sqlite`
/// and `NAME::postgres`, each on a fresh store.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    let Some(t) = dp_testkit::db::TestStore::sqlite().await else { return };
                    super::$name(t.store.clone()).await;
                }

                #[tokio::test]
                async fn postgres() {
                    let Some(t) = dp_testkit::db::TestStore::postgres().await else { return };
                    super::$name(t.store.clone()).await;
                }
            }
        )*
    };
}

/// What every module of the suite uses.
pub mod prelude {
    pub use crate::on_both;
    pub use chrono::{NaiveDate, TimeZone, Utc};
    pub use dp_core::{ArxivId, ClaimState, FeedEntry, Outcome, Paper, Record, Username};
    pub use dp_store::{NewJob, Store, StoreError, SubmitOutcome};
    pub use dp_testkit::{day, id, paper, rec, EntryExt, PaperExt};
    pub use std::sync::Arc;
    pub use std::time::Duration;

    /// The suite's list entry: published at `hour` on 2025-03-17 (whatever its day), put there
    /// by "someone", with one comment, a keyword, a starred repository and a source item.
    pub fn entry(d: &str, pid: &str, upvotes: i64, hour: u32, position: i64) -> FeedEntry {
        let mut e = dp_testkit::entry(d, pid, upvotes)
            .position(position)
            .submitted_by("someone")
            .comments(1)
            .with_source("{}");
        e.published_at = Utc.with_ymd_and_hms(2025, 3, 17, hour, 0, 0).unwrap();
        e.ai_keywords = vec!["kw".into()];
        e.github_stars = Some(3);
        e
    }
}
