//! The web crate's integration tests, one binary, each through the real server on a local port
//! ([`TestApp`]). They run on SQLite, or on PostgreSQL with DAILYPAPERS_TEST_BACKEND=postgres.

mod accounts;
mod api;
mod bounds;
mod community;
mod daily;
mod follows;
mod foryou;
mod hardening;
mod hub;
mod jobs;
mod library;
mod search;
mod submissions;
mod subscriptions;
mod tokens;

use chrono::{DateTime, TimeZone, Utc};
use dp_app::{App, Rules};
use dp_store::Store;
use dp_testkit::db::TestStore;
use dp_testkit::fakes::{recording_mail, FixedClock, Outbox, RecordedArxiv};
use dp_testkit::server::TestApp;
use dp_testkit::{entry, paper, rec, EntryExt, PaperExt};
use dp_web::WebSettings;
use std::sync::Arc;

/// A server over a store with four papers: two on the list of 2025-03-17 (5 upvotes each, put
/// there by `hf-user`), one published three days before `now` and one 400 days before, neither
/// on a list; it fetches from recorded arXiv answers and keeps the mail it sends.
pub struct Env {
    /// The server.
    pub app: TestApp,
    /// Its store.
    pub store: Arc<dyn Store>,
    /// Mail the site sent: (recipient, raw message).
    pub sent: Outbox,
    _db: TestStore,
}

/// The public address of test servers: links in mails start with it.
pub const PUBLIC_URL: &str = "http://papers.test";

/// [`Env`] with these settings and clock (and [`PUBLIC_URL`]).
pub async fn env_with(settings: WebSettings, now: DateTime<Utc>) -> Option<Env> {
    let rules = Rules {
        public_url: Some(PUBLIC_URL.into()),
        ..Rules::default()
    };
    env_with_rules(rules, settings, now).await
}

/// [`Env`] with these rules, settings and clock.
pub async fn env_with_rules(
    rules: Rules,
    settings: WebSettings,
    now: DateTime<Utc>,
) -> Option<Env> {
    let db = TestStore::new().await?;
    let store = db.store.clone();
    let t = Utc.with_ymd_and_hms(2025, 3, 16, 12, 0, 0).unwrap();
    let listed = |id: &str, title: &str, position: i64| {
        rec(
            paper(id, title)
                .with_abstract("Abstract with $x^2$ & <b>tags</b>.")
                .published_at(t),
            Some(
                entry("2025-03-17", id, 5)
                    .position(position)
                    .submitted_by("hf-user"),
            ),
        )
    };
    let unlisted = |id: &str, title: &str, published: DateTime<Utc>| {
        rec(
            paper(id, title)
                .with_abstract("Abstract with $x^2$ & <b>tags</b>.")
                .published_at(published),
            None,
        )
    };
    store
        .upsert_records(vec![
            listed("2503.00001", "First paper", 0),
            listed("2503.00002", "Second paper", 1),
            unlisted(
                "2503.00003",
                "Not on a list",
                now - chrono::Duration::days(3),
            ),
            unlisted(
                "2503.00004",
                "Old, not on a list",
                now - chrono::Duration::days(400),
            ),
        ])
        .await
        .unwrap();
    let (mail, sent) = recording_mail();
    let app = App::new(store.clone(), rules)
        .with_clock(Arc::new(FixedClock(now)))
        .with_fetcher(Arc::new(RecordedArxiv::default()))
        .with_mail(mail);
    Some(Env {
        app: TestApp::start(app, settings).await,
        store,
        sent,
        _db: db,
    })
}

/// [`Env`] on 2025-03-18 at noon, with default settings.
pub async fn env() -> Option<Env> {
    env_with(
        WebSettings::default(),
        Utc.with_ymd_and_hms(2025, 3, 18, 12, 0, 0).unwrap(),
    )
    .await
}

/// The papers of a list page, in order.
pub fn order(body: &str) -> Vec<String> {
    body.match_indices("data-id=\"")
        .map(|(i, _)| body[i + 9..i + 9 + body[i + 9..].find('"').unwrap()].to_string())
        .collect()
}
