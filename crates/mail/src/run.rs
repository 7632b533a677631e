//! A digest run: plan one outbox row per confirmed subscriber (idempotent), then send the rows in
//! batches, several at once over the SMTP pool, recording each outcome as it happens. A run
//! that is killed and started again finds every row already `sent` done and sends only the rest;
//! rows a dead run left `sending` are sent again with the same `Message-ID`, so the one message
//! that may have been in flight when the process died is recognisable as a repeat.
//!
//! Memory does not grow with the number of subscribers: they are planned and sent in batches,
//! and only the day's top papers and each distinct saved search's results are kept.

use crate::compose::{self, DigestContent, DigestPaper, Parts};
use crate::send::{Mailer, SendError};
use crate::token::Signer;
use crate::{Email, MailError};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use dp_core::text::excerpt;
use dp_core::{FeedItem, Period};
use dp_store::{
    Accounts, Cadence, Claims, Delivery, Feeds, Follows, Library, Outbox, OutboxItem, Papers,
    Subscribers,
};
use lettre::message::Mailbox;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a digest run reads and writes in the store: the lists and papers it shows, the
/// subscribers it sends to, and the outbox it records every delivery in.
pub trait DigestStore:
    Feeds + Papers + Subscribers + Outbox + Follows + Accounts + Claims + Library
{
}

impl<T> DigestStore for T where
    T: Feeds + Papers + Subscribers + Outbox + Follows + Accounts + Claims + Library + ?Sized
{
}

/// Finds papers for a saved search: the bare ids of papers matching `query` first published
/// from `from` to `to` (inclusive), best first.
pub trait Matcher: Send + Sync {
    /// At most `limit` ids.
    fn matches(&self, query: &str, from: NaiveDate, to: NaiveDate, limit: usize) -> Vec<String>;
}

/// Ranks new papers for one account: the "For you" section of a digest.
#[async_trait::async_trait]
pub trait Recommender: Send + Sync {
    /// At most `limit` of `candidates` ranked for account `user_id`, best first, each with the
    /// line that says why; papers the account already liked or turned down are left out.
    async fn recommend(
        &self,
        user_id: i64,
        candidates: Vec<dp_core::Paper>,
        limit: usize,
    ) -> Result<Vec<(dp_core::Paper, String)>, String>;
}

/// What a run does.
#[derive(Clone)]
pub struct RunConfig {
    /// Daily or weekly subscribers.
    pub cadence: Cadence,
    /// The list day the digest is about (for weekly: any day of the week).
    pub day: NaiveDate,
    /// The site's name.
    pub site: String,
    /// The site's public address, for links.
    pub base_url: String,
    /// Sender.
    pub from: Mailbox,
    /// Papers of the list in each digest.
    pub top_n: usize,
    /// New papers per saved search.
    pub per_search: usize,
    /// Messages in flight at once.
    pub concurrency: usize,
    /// Outbox rows claimed per batch.
    pub batch: i64,
    /// Attempts before a temporary failure counts as permanent.
    pub max_attempts: i64,
    /// Longest a run waits for retries that are not due yet before it stops (the rest are
    /// sent by the next run of the same key).
    pub retry_wait: std::time::Duration,
    /// How long unsubscribe links stay valid.
    pub link_days: i64,
    /// Ranks the "For you" section of subscribers who asked for their own sections (`None`:
    /// no such section).
    pub recommender: Option<std::sync::Arc<dyn Recommender>>,
}

impl RunConfig {
    /// The outbox key of this run: one digest per subscriber per key.
    pub fn run_key(&self) -> String {
        match self.cadence {
            Cadence::Daily => format!("daily:{}", self.day),
            Cadence::Weekly => format!("weekly:{}", Period::week_of(self.day)),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunReport {
    /// The run's key.
    pub run_key: String,
    /// Messages sent by this run.
    pub sent: u64,
    /// Subscribers with nothing new (no mail).
    pub skipped: u64,
    /// Temporary failures (rows queued again).
    pub retried: u64,
    /// Permanent failures.
    pub failed: u64,
    /// Rows left `sending` by an earlier, interrupted run, queued again.
    pub resumed: u64,
    /// Papers in the list part.
    pub top_papers: usize,
    /// Subscribers in the run (planned by this or an earlier run).
    pub planned: u64,
    /// Rows already finished by earlier runs of the same key.
    pub done_before: u64,
}

fn paper_of(item: &FeedItem, base: &str) -> DigestPaper {
    let p = &item.paper;
    DigestPaper {
        id: p.id.to_string(),
        title: p.title.clone(),
        authors: p.authors.clone(),
        excerpt: excerpt(&p.abstract_text, 300),
        upvotes: item.upvotes(),
        url: format!("{base}/papers/{}", p.id),
    }
}

/// The list part shared by every digest of the run, the heading and the list's page.
pub async fn top_papers(
    store: &(impl DigestStore + ?Sized),
    cfg: &RunConfig,
) -> Result<(String, String, Vec<DigestPaper>), MailError> {
    let base = cfg.base_url.trim_end_matches('/');
    let (heading, url, items) = match cfg.cadence {
        Cadence::Daily => (
            format!("Top papers of {}", cfg.day.format("%A, %B %-d, %Y")),
            format!("{base}/papers/date/{}", cfg.day),
            store.day_feed(cfg.day).await?,
        ),
        Cadence::Weekly => {
            let week = Period::week_of(cfg.day);
            let (from, to) = week.days();
            (
                format!("Top papers of {}", week.label()),
                format!("{base}{}", week.path()),
                store.period_feed(from, to).await?,
            )
        }
    };
    let top = items
        .iter()
        .take(cfg.top_n)
        .map(|i| paper_of(i, base))
        .collect();
    Ok((heading, url, top))
}

/// The first day a subscriber's saved searches look at: the day after their last digest, else
/// the run's first day.
fn since(sub_last: Option<NaiveDate>, cfg: &RunConfig) -> NaiveDate {
    let first = match cfg.cadence {
        Cadence::Daily => cfg.day,
        Cadence::Weekly => Period::week_of(cfg.day).days().0,
    };
    match sub_last {
        Some(d) if d < first => d.succ_opt().unwrap_or(first),
        _ => first,
    }
}

/// A saved search and the first day it looks at.
type SearchKey = (String, NaiveDate);

/// Saved-search results of one run, shared by subscribers with the same search.
struct SearchCache {
    found: Mutex<HashMap<SearchKey, Arc<Vec<DigestPaper>>>>,
}

impl SearchCache {
    async fn get(
        &self,
        store: &(impl DigestStore + ?Sized),
        matcher: &dyn Matcher,
        query: &str,
        from: NaiveDate,
        cfg: &RunConfig,
    ) -> Result<Arc<Vec<DigestPaper>>, MailError> {
        let key = (query.to_string(), from);
        if let Some(v) = self.found.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(v);
        }
        let ids = off_the_runtime(|| matcher.matches(query, from, cfg.day, cfg.per_search));
        let base = cfg.base_url.trim_end_matches('/');
        let mut by_id: HashMap<String, dp_store::PaperSummary> = store
            .papers_by_ids(&ids)
            .await?
            .into_iter()
            .map(|s| (s.paper.id.base().to_string(), s))
            .collect();
        let papers: Vec<DigestPaper> = ids
            .iter()
            .filter_map(|id| by_id.remove(id))
            .map(|s| DigestPaper {
                id: s.paper.id.to_string(),
                url: format!("{base}/papers/{}", s.paper.id),
                excerpt: excerpt(&s.paper.abstract_text, 300),
                title: s.paper.title,
                authors: s.paper.authors,
                upvotes: s.upvotes,
            })
            .collect();
        let v = Arc::new(papers);
        if let Ok(mut m) = self.found.lock() {
            m.insert(key, v.clone());
        }
        Ok(v)
    }
}

/// Runs `f`, a blocking search over an index, so that the runtime's other tasks (a server's
/// requests, when the digest runs as one of its jobs) move to another thread meanwhile instead of
/// waiting behind it. On a single-threaded runtime (tests, small tools) `f` just runs.
fn off_the_runtime<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// The host part of the sender, for `Message-ID`s.
fn id_domain(from: &Mailbox) -> String {
    from.email.domain().to_string()
}

/// One subscriber's next digest as it would be sent now (the admin preview), or `None` when
/// there is nothing new for them.
pub async fn preview(
    store: &(impl DigestStore + ?Sized),
    matcher: Option<&dyn Matcher>,
    signer: &Signer,
    cfg: &RunConfig,
    sub: &dp_store::Subscriber,
) -> Result<Option<DigestContent>, MailError> {
    let shared = top_papers(store, cfg).await?;
    Ok(
        compose_with(store, matcher, signer, cfg, &shared, None, sub, Utc::now())
            .await?
            .map(|(c, _)| c),
    )
}

/// Composes one subscriber's digest, or `None` when there is nothing new for them.
#[allow(clippy::too_many_arguments)]
async fn compose_with(
    store: &(impl DigestStore + ?Sized),
    matcher: Option<&dyn Matcher>,
    signer: &Signer,
    cfg: &RunConfig,
    shared: &(String, String, Vec<DigestPaper>),
    cache: Option<&SearchCache>,
    sub: &dp_store::Subscriber,
    now: DateTime<Utc>,
) -> Result<Option<(DigestContent, lettre::Message)>, MailError> {
    let local = SearchCache {
        found: Mutex::new(HashMap::new()),
    };
    let cache = cache.unwrap_or(&local);
    let mut searches = Vec::new();
    if let Some(m) = matcher {
        let from = since(sub.last_sent_day, cfg);
        for q in &sub.searches {
            let found = cache.get(store, m, q, from, cfg).await?;
            searches.push((q.clone(), found.as_ref().clone()));
        }
    }
    let follows = match (sub.with_follows, sub.user_id) {
        (true, Some(uid)) => followed_papers(store, matcher, cache, cfg, sub, uid).await?,
        _ => Vec::new(),
    };
    let for_you = match (sub.with_follows, sub.user_id, &cfg.recommender) {
        (true, Some(uid), Some(r)) => {
            recommended(store, r.as_ref(), cfg, sub, uid, &follows).await?
        }
        _ => Vec::new(),
    };
    let base = cfg.base_url.trim_end_matches('/');
    let token = signer.sign("unsubscribe", sub.id, now + Duration::days(cfg.link_days));
    let content = DigestContent {
        site: cfg.site.clone(),
        heading: shared.0.clone(),
        list_url: shared.1.clone(),
        top: shared.2.clone(),
        searches,
        follows,
        for_you,
        unsubscribe_url: format!("{base}/unsubscribe?token={token}"),
    };
    if content.is_empty() {
        return Ok(None);
    }
    let to =
        Email::parse(&sub.email).map_err(|e| MailError::Build(format!("{}: {e}", sub.email)))?;
    let message = compose::message(Parts {
        from: &cfg.from,
        to: &to,
        subject: &format!("{} · {}", content.heading, cfg.site),
        text: compose::text(&content),
        html: compose::html(&content),
        message_id: format!(
            "{}.{}@{}",
            cfg.run_key().replace(':', "."),
            sub.id,
            id_domain(&cfg.from)
        ),
        unsubscribe_url: Some(&content.unsubscribe_url),
    })?;
    Ok(Some((content, message)))
}

/// The papers first published in the subscriber's window that match the searches their
/// account follows (through `matcher`, best first), then those by the authors, accounts and
/// categories it follows (newest first), each once, at most [`RunConfig::per_search`]; papers
/// the account marked "not interested" are left out.
async fn followed_papers(
    store: &(impl DigestStore + ?Sized),
    matcher: Option<&dyn Matcher>,
    cache: &SearchCache,
    cfg: &RunConfig,
    sub: &dp_store::Subscriber,
    user_id: i64,
) -> Result<Vec<DigestPaper>, MailError> {
    use dp_core::FollowKind;
    let from = since(sub.last_sent_day, cfg);
    let mut authors = Vec::new();
    let mut categories = Vec::new();
    let mut found: Vec<DigestPaper> = Vec::new();
    for f in store.follows_of(user_id).await? {
        match f.kind {
            FollowKind::Author => authors.push(f.value),
            FollowKind::Category => categories.push(f.value),
            FollowKind::Account => {
                if let Some(account) = store.user_by_name(&f.value).await? {
                    let approved = store
                        .claims(Some(dp_core::ClaimState::Approved), None, Some(account.id))
                        .await?;
                    authors.extend(approved.into_iter().map(|c| c.author_name));
                }
            }
            FollowKind::Search => {
                if let Some(m) = matcher {
                    found.extend(
                        cache
                            .get(store, m, &f.value, from, cfg)
                            .await?
                            .iter()
                            .cloned(),
                    );
                }
            }
        }
    }
    let base = cfg.base_url.trim_end_matches('/');
    let limit = i64::try_from(cfg.per_search * 4).unwrap_or(i64::MAX);
    // The window in the query itself: papers stored since (a late run) cannot crowd it out.
    let first = from
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis());
    let last = cfg
        .day
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis());
    for p in store
        .recent_papers_by(&authors, &categories, first.zip(last), limit)
        .await?
    {
        found.push(new_paper(p, base));
    }
    let mut seen = std::collections::HashSet::new();
    found.retain(|p| seen.insert(p.id.clone()));
    let ids: Vec<String> = found.iter().map(|p| p.id.clone()).collect();
    let hidden: std::collections::HashSet<String> = store
        .not_interested_among(user_id, &ids)
        .await?
        .into_iter()
        .collect();
    found.retain(|p| !hidden.contains(&p.id));
    found.truncate(cfg.per_search);
    Ok(found)
}

/// A new paper (not from the list: no upvotes shown) as a digest lists it.
fn new_paper(p: dp_core::Paper, base: &str) -> DigestPaper {
    DigestPaper {
        id: p.id.base().to_string(),
        url: format!("{base}/papers/{}", p.id),
        excerpt: excerpt(&p.abstract_text, 300),
        title: p.title,
        authors: p.authors,
        upvotes: 0,
    }
}

/// Papers arXiv first published in the subscriber's window, at most this many, are ranked.
const FOR_YOU_CANDIDATES: i64 = 3_000;

/// The "For you" section: the papers first published in the subscriber's window, ranked for
/// their account by `r`, without those already in the follows section; at most
/// [`RunConfig::per_search`].
async fn recommended(
    store: &(impl DigestStore + ?Sized),
    r: &dyn Recommender,
    cfg: &RunConfig,
    sub: &dp_store::Subscriber,
    user_id: i64,
    follows: &[DigestPaper],
) -> Result<Vec<(DigestPaper, String)>, MailError> {
    let from = since(sub.last_sent_day, cfg);
    let ms = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis())
    };
    let first = ms(from);
    let end = cfg.day.succ_opt().map_or(i64::MAX, ms);
    let page = store
        .papers_page(Some((end, String::new())), FOR_YOU_CANDIDATES)
        .await?;
    let shown: std::collections::HashSet<&str> = follows.iter().map(|p| p.id.as_str()).collect();
    let candidates: Vec<dp_core::Paper> = page
        .into_iter()
        .map(|s| s.paper)
        .filter(|p| p.published.is_some_and(|t| t.timestamp_millis() >= first))
        .filter(|p| !shown.contains(p.id.base()))
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let base = cfg.base_url.trim_end_matches('/');
    // A ranking that fails leaves the section out; the rest of the digest still goes.
    let ranked = match r.recommend(user_id, candidates, cfg.per_search).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(subscriber = sub.id, error = %e, "For you section left out");
            Vec::new()
        }
    };
    Ok(ranked
        .into_iter()
        .map(|(p, why)| (new_paper(p, base), why))
        .collect())
}

/// Time before attempt `attempts + 1` after a temporary failure: 5 s, 30 s, 3 min, 15 min, ...
fn backoff(attempts: i64) -> Duration {
    let secs = [5, 30, 180, 900, 3600];
    Duration::seconds(secs[(attempts.max(0) as usize).min(secs.len() - 1)])
}

/// Runs (or resumes) the digest run of `cfg`. `progress` is told the sent and skipped counts
/// after each message.
pub async fn run_digest(
    store: &(impl DigestStore + ?Sized),
    mailer: &dyn Mailer,
    matcher: Option<&dyn Matcher>,
    signer: &Signer,
    cfg: &RunConfig,
    progress: &(dyn Fn(&RunReport) + Sync),
) -> Result<RunReport, MailError> {
    use futures::stream::{self, StreamExt};
    let run_key = cfg.run_key();
    let mut report = RunReport {
        run_key: run_key.clone(),
        ..RunReport::default()
    };
    let shared = top_papers(store, cfg).await?;
    report.top_papers = shared.2.len();
    let mut after = 0;
    while let Some(last) = store.plan_run(&run_key, cfg.cadence, after, 1000).await? {
        after = last;
    }
    report.resumed = store.requeue_sending(&run_key).await?;
    let counts = store.outbox_counts(&run_key).await?;
    let as_u64 = |n: i64| u64::try_from(n).unwrap_or(0);
    report.planned =
        as_u64(counts.queued + counts.sending + counts.sent + counts.skipped + counts.failed);
    report.done_before = as_u64(counts.sent + counts.skipped + counts.failed);
    let cache = SearchCache {
        found: Mutex::new(HashMap::new()),
    };
    let started = std::time::Instant::now();
    loop {
        let batch = store.claim_outbox(&run_key, cfg.batch).await?;
        if batch.is_empty() {
            let left = store.outbox_counts(&run_key).await?.queued;
            if left == 0 || started.elapsed() > cfg.retry_wait {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            continue;
        }
        let now = Utc::now();
        let outcomes: Vec<Result<(OutboxItem, Delivery), MailError>> = stream::iter(batch)
            .map(|item| {
                let shared = &shared;
                let cache = &cache;
                async move {
                    let composed = compose_with(
                        store,
                        matcher,
                        signer,
                        cfg,
                        shared,
                        Some(cache),
                        &item.subscriber,
                        now,
                    )
                    .await?;
                    let delivery = match composed {
                        None => Delivery::Skipped,
                        Some((_, message)) => match mailer.send(&message).await {
                            Ok(()) => Delivery::Sent,
                            Err(SendError::Permanent(e)) => Delivery::Failed { error: e },
                            Err(SendError::Transient(e))
                                if item.attempts + 1 >= cfg.max_attempts =>
                            {
                                Delivery::Failed {
                                    error: format!(
                                        "gave up after {} attempts: {e}",
                                        item.attempts + 1
                                    ),
                                }
                            }
                            Err(SendError::Transient(e)) => Delivery::Retry {
                                error: e,
                                retry_at: Utc::now() + backoff(item.attempts),
                            },
                        },
                    };
                    // Recorded as soon as it happened: a kill loses at most the messages in flight.
                    store.finish_outbox(&item, &delivery, cfg.day).await?;
                    Ok((item, delivery))
                }
            })
            .buffer_unordered(cfg.concurrency.max(1))
            .collect()
            .await;
        for o in outcomes {
            let (item, delivery) = o?;
            match delivery {
                Delivery::Sent => report.sent += 1,
                Delivery::Skipped => report.skipped += 1,
                Delivery::Retry { error, .. } => {
                    tracing::warn!(subscriber = item.subscriber.id, %error, "temporary delivery failure");
                    report.retried += 1
                }
                Delivery::Failed { error } => {
                    tracing::warn!(subscriber = item.subscriber.id, %error, "permanent delivery failure");
                    report.failed += 1
                }
            }
        }
        progress(&report);
    }
    Ok(report)
}

/// A dry run: the digests the run would send, composed but neither recorded nor sent, one
/// `(address, subject, papers)` line per subscriber, a batch at a time.
pub async fn dry_run(
    store: &(impl DigestStore + ?Sized),
    matcher: Option<&dyn Matcher>,
    signer: &Signer,
    cfg: &RunConfig,
    each: &mut (dyn FnMut(&dp_store::Subscriber, Option<&DigestContent>) + Send),
) -> Result<u64, MailError> {
    let shared = top_papers(store, cfg).await?;
    let cache = SearchCache {
        found: Mutex::new(HashMap::new()),
    };
    let mut after = 0;
    let mut n = 0;
    loop {
        let subs = store
            .confirmed_subscribers(cfg.cadence, after, cfg.batch)
            .await?;
        let Some(last) = subs.last() else { break };
        after = last.id;
        for sub in &subs {
            let composed = compose_with(
                store,
                matcher,
                signer,
                cfg,
                &shared,
                Some(&cache),
                sub,
                Utc::now(),
            )
            .await?;
            each(sub, composed.as_ref().map(|(c, _)| c));
            n += 1;
        }
    }
    Ok(n)
}
