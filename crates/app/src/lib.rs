//! The use cases of dailypapers, with no HTTP in them: what a reader, an admin, a script or the
//! server's own background work can do, and the rules each follows. The web server
//! (`dp-web`: forms, pages, the JSON API) and the command line (`dailypapers`) parse their
//! input, call these, and present what comes back.
//!
//! | module | use cases |
//! | --- | --- |
//! | [`accounts`] | sign up, log in (rate limited), sessions, log out, passwords (argon2id), accounts from the CLI |
//! | [`tokens`] | API tokens: create, list, revoke, authenticate |
//! | [`votes`], [`comments`], [`claims`], [`moderation`], [`submit`] | what readers and admins write |
//! | [`papers`] | a paper's page, a profile |
//! | [`lists`] | day, week, month, trending and recent lists |
//! | [`search`] | search, similar papers, saved-search matching |
//! | [`subscriptions`] | subscribe (double opt-in), confirm, unsubscribe, settings |
//! | [`digests`] | the digest run's settings, previews |
//! | [`harvest`] | harvests (schedule and CLI), the job board, run now, pause, progress |
//! | [`jobs`] | typed background jobs and the worker that runs them |
//! | [`library`], [`collections`], [`follows`] | a reader's library: collections of papers with notes, follows, private feeds, papers they are not interested in |
//! | [`foryou`] | "For you": a reader's ranking of papers from their own signals, with reasons |
//! | [`status`] | readiness and the figures of `/metrics` |
//! | [`config`] | the one typed configuration (defaults < file < environment < flags) |
//!
//! Every write that changes what pages show calls the change hook ([`App::on_change`]) once it
//! succeeded; writes by signed-in readers count against their write limit first
//! ([`App::write`]).

pub mod accounts;
pub mod claims;
pub mod collections;
pub mod comments;
pub mod config;
pub mod digests;
pub mod error;
pub mod follows;
pub mod foryou;
pub mod github;
pub mod harvest;
pub mod jobs;
pub mod library;
pub mod limits;
pub mod links;
pub mod lists;
pub mod moderation;
pub mod papers;
pub mod search;
pub mod status;
pub mod submit;
pub mod subscriptions;
pub mod thumbnails;
pub mod tokens;
pub mod votes;

use chrono::{DateTime, Utc};
use dp_core::User;
use dp_ingest::fetch::Fetcher;
use dp_store::Store;
use std::future::Future;
use std::sync::Arc;

pub use error::Error;
pub use subscriptions::MailSetup;

/// The site's rules and settings that use cases follow.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The site's name, in mails.
    pub site_name: String,
    /// The address readers use (`https://papers.example.org`): links in mails start with it,
    /// never with whatever `Host` a request named. Without it no mail is sent.
    pub public_url: Option<String>,
    /// arXiv API endpoint used to fetch submitted papers the store does not have.
    pub arxiv_api_url: String,
    /// The Hugging Face Hub the mirror reads (links to its model, dataset and Space pages).
    pub hub_url: String,
    /// Only papers first published on arXiv at most this many days ago can be submitted.
    pub submit_max_age_days: i64,
    /// Submissions allowed per user in 24 hours.
    pub submissions_per_day: i64,
    /// Failed or successful sign-in attempts allowed per client address in 15 minutes.
    pub logins_per_15min: i64,
    /// Sign-ups allowed per client address per hour.
    pub signups_per_hour: i64,
    /// Writes (votes, comments, claims, submissions) allowed per user per minute.
    pub writes_per_minute: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            site_name: "Daily Papers".into(),
            public_url: None,
            arxiv_api_url: "https://export.arxiv.org/api/query".into(),
            hub_url: "https://huggingface.co".into(),
            submit_max_age_days: 14,
            submissions_per_day: 5,
            logins_per_15min: 10,
            signups_per_hour: 5,
            writes_per_minute: 30,
        }
    }
}

/// The time, behind a trait so tests can fix it.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Everything a use case may use. Built once (by `serve`, the CLI or a test) and cheap to clone.
#[derive(Clone)]
pub struct App {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The rules.
    pub rules: Arc<Rules>,
    /// Fetches arXiv metadata of submitted papers; `None` serves only papers already stored.
    pub fetcher: Option<Arc<dyn Fetcher>>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The search indexes and their follower; `None` when search is off.
    pub search: Option<Arc<dp_search::follow::Follower>>,
    /// Mail (confirmation mails, signed links); `None` when e-mail is not set up.
    pub mail: Option<Arc<MailSetup>>,
    /// Recent search and similarity results, by query and index state ([`search`]).
    results: search::ResultCache,
    /// The background schedules this site runs ([`harvest::schedules`]).
    schedules: Arc<Vec<harvest::Schedule>>,
    on_change: Arc<dyn Fn() + Send + Sync>,
    /// Word statistics of the stored papers for "For you" ([`foryou`]).
    vocab: Arc<foryou::VocabularyCell>,
}

impl App {
    /// The use cases over a store, with the system clock, no fetcher, no search and no mail.
    pub fn new(store: Arc<dyn Store>, rules: Rules) -> App {
        App {
            store,
            rules: Arc::new(rules),
            fetcher: None,
            clock: Arc::new(SystemClock),
            search: None,
            mail: None,
            results: search::ResultCache::default(),
            schedules: Arc::new(Vec::new()),
            on_change: Arc::new(|| {}),
            vocab: Arc::new(foryou::VocabularyCell::default()),
        }
    }

    /// The same with the background schedules the job board shows and runs.
    pub fn with_schedules(mut self, schedules: Vec<harvest::Schedule>) -> App {
        self.schedules = Arc::new(schedules);
        self
    }

    /// The same with a fetcher for submissions of papers the store lacks.
    pub fn with_fetcher(mut self, fetcher: Arc<dyn Fetcher>) -> App {
        self.fetcher = Some(fetcher);
        self
    }

    /// The same with another clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> App {
        self.clock = clock;
        self
    }

    /// The same with search (a follower keeps its indexes in step with the store).
    pub fn with_search(mut self, follower: Arc<dp_search::follow::Follower>) -> App {
        self.search = Some(follower);
        self
    }

    /// The same with mail set up.
    pub fn with_mail(mut self, mail: MailSetup) -> App {
        self.mail = Some(Arc::new(mail));
        self
    }

    /// The same, calling `hook` after every write that changes what pages show (the web
    /// server drops its rendered pages).
    pub fn on_change(mut self, hook: impl Fn() + Send + Sync + 'static) -> App {
        self.on_change = Arc::new(hook);
        self
    }

    /// Tells the change hook that what pages show changed.
    pub fn changed(&self) {
        (self.on_change)()
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Runs a write of `user`: counts it against the user's write limit first, and calls the
    /// change hook once it succeeded.
    pub async fn write<T, Fut>(&self, user: &User, work: Fut) -> Result<T, Error>
    where
        Fut: Future<Output = Result<T, Error>>,
    {
        self.write_limit(user).await?;
        let out = work.await?;
        self.changed();
        Ok(out)
    }

    /// Counts one write of `user` against [`Rules::writes_per_minute`].
    pub async fn write_limit(&self, user: &User) -> Result<(), Error> {
        limits::hit(
            self.store.as_ref(),
            &limits::Key::Writes(user.id),
            self.rules.writes_per_minute,
            limits::MINUTE,
        )
        .await
    }
}

/// `ARCHITECTURE.md`, whose Rust examples run as doc-tests so they cannot drift from the code.
#[cfg(doctest)]
#[doc = include_str!("../../../ARCHITECTURE.md")]
pub struct ArchitectureDoc;
