//! "For you": one reader's ranking of any papers, from their own signals (upvotes, saved papers,
//! submissions, follows, approved claims, "not interested"), with the reason for each.
//!
//! The model ([`dp_core::foryou::Profile`]) is rebuilt from the signals on every call, so a new
//! upvote or save changes the next page at once; building it and scoring a few thousand
//! papers takes milliseconds. The word statistics it needs ([`Vocabulary`]) are derived from
//! the store once per process and kept.

use crate::{App, Error};
use dp_core::foryou::{Liked, Profile, Scored, Signals, Vocabulary, Weights};
use dp_core::{ClaimState, FollowKind, Paper, User};
use std::sync::Arc;

/// Signals read per kind (the newest first).
const PER_KIND: i64 = 500;
/// Papers read per page while building the vocabulary.
const VOCAB_PAGE: i64 = 5_000;

/// A reader's signals, owning their papers.
#[derive(Debug, Clone, Default)]
pub struct OwnedSignals {
    /// Liked papers and how.
    pub liked: Vec<(Paper, Liked)>,
    /// Followed author names.
    pub authors: Vec<String>,
    /// Names their approved claims confirm.
    pub own_names: Vec<String>,
    /// Followed categories.
    pub categories: Vec<String>,
    /// Papers they are not interested in.
    pub disliked: Vec<Paper>,
}

impl OwnedSignals {
    /// The signals as the model reads them.
    pub fn view(&self) -> Signals<'_> {
        Signals {
            liked: self.liked.iter().map(|(p, l)| (p, l.clone())).collect(),
            authors: self.authors.clone(),
            own_names: self.own_names.clone(),
            categories: self.categories.clone(),
            disliked: self.disliked.iter().collect(),
        }
    }
}

/// How often the vocabulary takes in the papers stored since it was built.
const VOCAB_REFRESH: chrono::Duration = chrono::Duration::minutes(10);
/// Below this many papers the vocabulary takes in new papers on every use (cheap, and a store
/// that is filling itself should not keep the statistics of its first few papers).
const VOCAB_SMALL: u32 = 1_000;

/// Where the vocabulary is kept (one per process, built on first use and brought up to date
/// with the papers stored since), and the weights.
#[derive(Default)]
pub struct VocabularyCell {
    current: std::sync::RwLock<Option<Built>>,
    building: tokio::sync::Mutex<()>,
    weights: std::sync::OnceLock<Weights>,
}

/// A vocabulary, the change cursor it has counted up to, and when it was last brought up to
/// date.
#[derive(Clone)]
struct Built {
    vocab: Arc<Vocabulary>,
    after: i64,
    checked: chrono::DateTime<chrono::Utc>,
}

impl VocabularyCell {
    fn current(&self) -> Option<Built> {
        self.current.read().ok().and_then(|b| b.clone())
    }

    /// The current vocabulary when it needs no update at `now`.
    fn fresh(&self, now: chrono::DateTime<chrono::Utc>) -> Option<Arc<Vocabulary>> {
        self.current()
            .filter(|b| b.vocab.docs() >= VOCAB_SMALL && now < b.checked + VOCAB_REFRESH)
            .map(|b| b.vocab)
    }
}

impl App {
    /// The word statistics of every stored paper: built on first use, then brought up to date
    /// with the papers stored since, at most every 10 minutes (on every use while the store
    /// holds under 1,000 papers). Requests meanwhile use the current one.
    pub async fn vocabulary(&self) -> Result<Arc<Vocabulary>, Error> {
        let now = self.clock.now();
        if let Some(v) = self.vocab.fresh(now) {
            return Ok(v);
        }
        let _one_at_a_time = self.vocab.building.lock().await;
        if let Some(v) = self.vocab.fresh(now) {
            return Ok(v);
        }
        let current = self.vocab.current();
        let (mut vocab, mut after) = match &current {
            Some(b) => ((*b.vocab).clone(), b.after),
            None => (Vocabulary::default(), 0),
        };
        let mut added = 0usize;
        loop {
            let page = self.store.papers_since(after, VOCAB_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            added += page.len();
            for c in &page {
                vocab.add(&c.paper);
            }
        }
        let vocab = match current {
            Some(b) if added == 0 => b.vocab,
            _ => {
                vocab.seal();
                tracing::info!(
                    papers = vocab.docs(),
                    words = vocab.len(),
                    "for-you vocabulary built"
                );
                Arc::new(vocab)
            }
        };
        if let Ok(mut slot) = self.vocab.current.write() {
            *slot = Some(Built {
                vocab: vocab.clone(),
                after,
                checked: now,
            });
        }
        Ok(vocab)
    }

    /// Uses these weights instead of the defaults (the benchmark, to measure others).
    pub fn set_foryou_weights(&self, w: Weights) {
        let _ = self.vocab.weights.set(w);
    }

    fn foryou_weights(&self) -> Weights {
        self.vocab.weights.get().copied().unwrap_or_default()
    }

    /// Everything `user` told this site about their interests.
    pub async fn signals(&self, user: &User) -> Result<OwnedSignals, Error> {
        let store = &self.store;
        let mut out = OwnedSignals::default();
        for c in self.my_collections(user).await? {
            for item in store.collection_items(c.id).await? {
                out.liked.push((item.paper, Liked::Saved(c.title.clone())));
            }
        }
        for p in store.upvoted_by(user.id, PER_KIND).await? {
            out.liked.push((p, Liked::Upvoted));
        }
        for p in store.submitted_by(user.id, PER_KIND).await? {
            out.liked.push((p, Liked::Submitted));
        }
        // A paper liked several ways counts once (the first way found).
        let mut seen = std::collections::HashSet::new();
        out.liked
            .retain(|(p, _)| seen.insert(p.id.base().to_string()));
        for f in store.follows_of(user.id).await? {
            match f.kind {
                FollowKind::Author => out.authors.push(f.value),
                FollowKind::Category => out.categories.push(f.value),
                FollowKind::Account => {
                    if let Some(a) = store.user_by_name(&f.value).await? {
                        let claims = store
                            .claims(Some(ClaimState::Approved), None, Some(a.id))
                            .await?;
                        out.authors
                            .extend(claims.into_iter().map(|c| c.author_name));
                    }
                }
                FollowKind::Search => {}
            }
        }
        let own = store
            .claims(Some(ClaimState::Approved), None, Some(user.id))
            .await?;
        out.own_names = own.into_iter().map(|c| c.author_name).collect();
        out.disliked = store.not_interested(user.id, PER_KIND).await?;
        Ok(out)
    }

    /// `user`'s model.
    pub async fn profile_of(&self, user: &User) -> Result<(Profile, Arc<Vocabulary>), Error> {
        let vocab = self.vocabulary().await?;
        let signals = self.signals(user).await?;
        let profile = Profile::new(&signals.view(), &vocab, self.foryou_weights());
        Ok((profile, vocab))
    }

    /// Ranks `papers` for `user`: indexes into `papers` with their scores, best first; the first
    /// `explained` of them with the reason too.
    pub async fn rank_for(
        &self,
        user: &User,
        papers: &[Paper],
        explained: usize,
    ) -> Result<Vec<(usize, Scored)>, Error> {
        let (profile, vocab) = self.profile_of(user).await?;
        let refs: Vec<&Paper> = papers.iter().collect();
        let ranked = profile.rank(&refs, &vocab);
        Ok(ranked
            .into_iter()
            .enumerate()
            .map(|(n, (i, score))| {
                if n < explained {
                    (i, profile.explain(&papers[i], &vocab))
                } else {
                    (
                        i,
                        Scored {
                            score,
                            reason: None,
                        },
                    )
                }
            })
            .collect())
    }
}

/// Below this many signals, "For you" asks the reader for more and shows trending meanwhile.
pub const COLD_START_SIGNALS: usize = 5;
/// Papers of the newest lists, and newest arXiv papers, "For you" ranks.
const CANDIDATE_LIST_ENTRIES: usize = 300;
const CANDIDATE_NEWEST: i64 = 700;

/// A reader's "For you" list.
#[derive(Debug, Clone)]
pub struct ForYou {
    /// How many signals the model was built from.
    pub signals: usize,
    /// Fewer than [`COLD_START_SIGNALS`]: ask for more.
    pub cold: bool,
    /// Ranked papers with their score and reason.
    pub items: Vec<(Paper, Scored)>,
}

impl App {
    /// Recent papers ranked for `user`: the newest lists' papers and the newest arXiv papers,
    /// without those they are not interested in; the first `limit`, each with its reason.
    pub async fn for_you(&self, user: &User, limit: usize) -> Result<ForYou, Error> {
        let mut seen = std::collections::HashSet::new();
        let mut papers: Vec<Paper> = Vec::new();
        for item in self.recent(CANDIDATE_LIST_ENTRIES).await? {
            if seen.insert(item.paper.id.base().to_string()) {
                papers.push(item.paper);
            }
        }
        for s in self.papers_by_time(None, CANDIDATE_NEWEST).await? {
            if seen.insert(s.paper.id.base().to_string()) {
                papers.push(s.paper);
            }
        }
        let ids: Vec<String> = papers.iter().map(|p| p.id.base().to_string()).collect();
        let hidden: std::collections::HashSet<String> = self
            .not_interested_among(Some(user), &ids)
            .await?
            .into_iter()
            .collect();
        let vocab = self.vocabulary().await?;
        let signals = self.signals(user).await?;
        // Papers they liked already are theirs; the list brings others.
        let liked: std::collections::HashSet<&str> =
            signals.liked.iter().map(|(p, _)| p.id.base()).collect();
        papers.retain(|p| !hidden.contains(p.id.base()) && !liked.contains(p.id.base()));
        let profile = Profile::new(&signals.view(), &vocab, self.foryou_weights());
        let refs: Vec<&Paper> = papers.iter().collect();
        let ranked = profile.rank(&refs, &vocab);
        let items = ranked
            .into_iter()
            .take(limit)
            .map(|(i, _)| (papers[i].clone(), profile.explain(&papers[i], &vocab)))
            .collect();
        Ok(ForYou {
            signals: profile.signals(),
            cold: profile.signals() < COLD_START_SIGNALS,
            items,
        })
    }
}

/// Papers `/papers/new` lists for one day at most.
pub const NEW_MAX: i64 = 5_000;

/// What a reset of "For you" removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reset {
    /// Follows stopped.
    pub follows: usize,
    /// "Not interested" marks taken back.
    pub not_interested: usize,
    /// Upvotes withdrawn.
    pub upvotes: usize,
    /// Collections deleted (only when asked).
    pub collections: usize,
}

impl App {
    /// Orders `papers` for `user`: indexes into `papers`, best first, each with the line that
    /// says why (for the first `explained`; the rest have none).
    pub async fn order_for(
        &self,
        user: &User,
        papers: &[Paper],
        explained: usize,
    ) -> Result<Vec<(usize, Option<String>)>, Error> {
        Ok(self
            .rank_for(user, papers, explained)
            .await?
            .into_iter()
            .map(|(i, s)| (i, s.reason.map(|r| r.line())))
            .collect())
    }

    /// The newest day on which arXiv first published a stored paper.
    pub async fn newest_arxiv_day(&self) -> Result<Option<chrono::NaiveDate>, Error> {
        Ok(self
            .store
            .papers_page(None, 1)
            .await?
            .first()
            .and_then(|s| s.paper.published)
            .map(|t| t.date_naive()))
    }

    /// Every stored paper arXiv first published on `day` (UTC), newest first, in `category`
    /// when one is given (an archive covers its classes); at most [`NEW_MAX`].
    pub async fn new_papers(
        &self,
        day: chrono::NaiveDate,
        category: Option<&dp_core::Category>,
    ) -> Result<Vec<Paper>, Error> {
        let ms = |d: chrono::NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .map_or(0, |t| t.and_utc().timestamp_millis())
        };
        let first = ms(day);
        let mut cursor = (day.succ_opt().map_or(i64::MAX, ms), String::new());
        let mut out = Vec::new();
        'pages: loop {
            let page = self.store.papers_page(Some(cursor.clone()), 1_000).await?;
            let Some(last) = page.last() else { break };
            let Some(at) = last.paper.published else {
                break;
            };
            cursor = (at.timestamp_millis(), last.paper.id.base().to_string());
            for s in page {
                let p = s.paper;
                if p.published.is_none_or(|t| t.timestamp_millis() < first) {
                    break 'pages;
                }
                if category.is_none_or(|c| p.categories.iter().any(|pc| c.covers(pc))) {
                    out.push(p);
                    if out.len() as i64 >= NEW_MAX {
                        break 'pages;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Deletes what "For you" learnt from: `user`'s follows, "not interested" marks and upvotes,
    /// and their collections too when `collections`. Each step can be run again: a reset cut
    /// short finishes on the next try.
    pub async fn reset_for_you(&self, user: &User, collections: bool) -> Result<Reset, Error> {
        self.write_limit(user).await?;
        let store = &self.store;
        let mut done = Reset::default();
        for f in store.follows_of(user.id).await? {
            if store.remove_follow(user.id, f.id).await? {
                done.follows += 1;
            }
        }
        loop {
            let marks = store.not_interested(user.id, PER_KIND).await?;
            if marks.is_empty() {
                break;
            }
            for p in marks {
                store.set_not_interested(user.id, &p.id, false).await?;
                done.not_interested += 1;
            }
        }
        loop {
            let voted = store.upvoted_by(user.id, PER_KIND).await?;
            if voted.is_empty() {
                break;
            }
            for p in voted {
                store.set_vote(user.id, &p.id, false).await?;
                done.upvotes += 1;
            }
        }
        if collections {
            for c in store.collections_of(user.id, true).await? {
                if store.delete_collection(c.id).await? {
                    done.collections += 1;
                }
            }
        }
        self.changed();
        Ok(done)
    }

    /// The account with this id.
    async fn account(&self, user_id: i64) -> Result<Option<User>, Error> {
        Ok(self.store.user_by_id(user_id).await?)
    }
}

#[async_trait::async_trait]
impl dp_mail::run::Recommender for App {
    async fn recommend(
        &self,
        user_id: i64,
        mut candidates: Vec<Paper>,
        limit: usize,
    ) -> Result<Vec<(Paper, String)>, String> {
        let inner = async {
            let Some(user) = self.account(user_id).await? else {
                return Ok(Vec::new());
            };
            let signals = self.signals(&user).await?;
            if signals.view().count() < COLD_START_SIGNALS {
                return Ok(Vec::new());
            }
            let liked: std::collections::HashSet<String> = signals
                .liked
                .iter()
                .map(|(p, _)| p.id.base().to_string())
                .collect();
            let ids: Vec<String> = candidates.iter().map(|p| p.id.base().to_string()).collect();
            let hidden: std::collections::HashSet<String> = self
                .store
                .not_interested_among(user.id, &ids)
                .await?
                .into_iter()
                .collect();
            candidates.retain(|p| !liked.contains(p.id.base()) && !hidden.contains(p.id.base()));
            let vocab = self.vocabulary().await?;
            let profile = Profile::new(&signals.view(), &vocab, self.foryou_weights());
            let refs: Vec<&Paper> = candidates.iter().collect();
            let mut out = Vec::new();
            for (i, score) in profile.rank(&refs, &vocab) {
                if out.len() >= limit || score <= 0.0 {
                    break;
                }
                // Only papers with a true reason: a digest says why each one is there.
                let s = profile.explain(&candidates[i], &vocab);
                if let Some(r) = s.reason {
                    out.push((candidates[i].clone(), r.line()));
                }
            }
            Ok::<_, Error>(out)
        };
        inner.await.map_err(|e| e.to_string())
    }
}

/// Everything "For you" learns from, as the reader can download it (part of the library export).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignalsExport {
    /// The account.
    pub user: String,
    /// Liked papers: bare id, title and how (`upvoted`, `submitted`, `saved in TITLE`).
    pub liked: Vec<serde_json::Value>,
    /// Followed authors (with those of followed accounts' approved claims).
    pub authors: Vec<String>,
    /// Followed categories.
    pub categories: Vec<String>,
    /// Names their approved claims confirm.
    pub own_names: Vec<String>,
    /// Papers they are not interested in (bare ids).
    pub not_interested: Vec<String>,
}

impl App {
    /// `user`'s signals, to download.
    pub async fn export_signals(&self, user: &User) -> Result<SignalsExport, Error> {
        let s = self.signals(user).await?;
        Ok(SignalsExport {
            user: user.name.clone(),
            liked: s
                .liked
                .iter()
                .map(|(p, how)| {
                    let how = match how {
                        Liked::Upvoted => "upvoted".to_string(),
                        Liked::Submitted => "submitted".to_string(),
                        Liked::Saved(c) => format!("saved in {c}"),
                    };
                    serde_json::json!({ "id": p.id.base(), "title": p.title, "how": how })
                })
                .collect(),
            authors: s.authors,
            categories: s.categories,
            own_names: s.own_names,
            not_interested: s.disliked.iter().map(|p| p.id.base().to_string()).collect(),
        })
    }
}
