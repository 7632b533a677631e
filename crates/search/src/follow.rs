//! Keeping a keyword index in step with the store.
//!
//! The index records a cursor in its commit: every paper whose change-cursor value (`seq`) is
//! above it may not be indexed yet. Catching up reads those papers in `seq` order and indexes
//! them. On PostgreSQL, `seq` values are taken when a transaction writes and become visible when
//! it commits, so a later commit can carry a lower `seq`; the cursor therefore trails the
//! highest `seq` seen by [`SAFETY`], and papers in that margin are simply indexed again
//! (indexing is an idempotent replace).

use crate::{Engine, Fusion, KeywordIndex, SearchError, Semantic};
use dp_store::{ChangedPaper, Store};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a transaction may stay open between taking its `seq` and committing.
pub const SAFETY: Duration = Duration::from_secs(10);
/// Papers read per store query while catching up.
const BATCH: i64 = 2_000;

/// An index with its follower state.
pub struct Follower {
    index: Arc<KeywordIndex>,
    /// The highest `seq` indexed so far (for the lag metric).
    seen: AtomicI64,
    /// (when, highest seq seen then): the cursor is the newest entry older than [`SAFETY`].
    history: std::sync::Mutex<VecDeque<(Instant, i64)>>,
    /// When the follower last read again from the stored cursor.
    last_rescan: std::sync::Mutex<Instant>,
    /// The semantic side and the name of the model whose stored vectors it follows.
    semantic: Option<(Semantic, String)>,
    /// Vectors loaded from the store at start (for the readiness of semantic search).
    vectors_loaded: std::sync::atomic::AtomicBool,
}

impl Follower {
    /// Follows `index` from the cursor stored in it.
    pub fn new(index: Arc<KeywordIndex>) -> Follower {
        let c = index.cursor();
        Follower {
            index,
            seen: AtomicI64::new(c),
            history: std::sync::Mutex::new(VecDeque::new()),
            last_rescan: std::sync::Mutex::new(Instant::now()),
            semantic: None,
            vectors_loaded: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Also keeps a vector index in step: vectors of `model` stored for changed papers.
    pub fn with_semantic(mut self, semantic: Semantic) -> Follower {
        let model = semantic.embedder.name().to_string();
        self.semantic = Some((semantic, model));
        self
    }

    /// Keyword, semantic and hybrid search over what this follower maintains.
    pub fn engine(&self) -> Engine {
        Engine {
            keyword: self.index.clone(),
            semantic: self.semantic.as_ref().map(|s| s.0.clone()),
            fusion: Fusion::default(),
            feedback: None,
        }
    }

    /// Whether the stored vectors have been loaded (always true without a semantic side).
    pub fn vectors_loaded(&self) -> bool {
        self.semantic.is_none() || self.vectors_loaded.load(Ordering::Acquire)
    }

    /// Loads every stored vector of the model into the vector index (at start: the vector
    /// index lives in memory). Returns how many; `progress` is told the count so far.
    pub async fn load_vectors(
        &self,
        store: &dyn Store,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<u64, SearchError> {
        let Some((sem, model)) = &self.semantic else {
            return Ok(0);
        };
        let mut after: Option<String> = None;
        let mut total = 0u64;
        loop {
            let rows = store.vectors_after(model, after.as_deref(), 5_000).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.0.clone());
            let n = rows.len();
            let vectors = sem.vectors.clone();
            tokio::task::spawn_blocking(move || vectors.upsert(&rows))
                .await
                .map_err(|e| SearchError::Task(e.to_string()))??;
            total += n as u64;
            progress(total);
        }
        self.vectors_loaded.store(true, Ordering::Release);
        Ok(total)
    }

    /// Brings the vector index in step with changed papers: hidden ones leave it, visible
    /// ones get their stored vector (if any).
    async fn follow_vectors(
        &self,
        store: &dyn Store,
        batch: &[ChangedPaper],
    ) -> Result<(), SearchError> {
        let Some((sem, model)) = &self.semantic else {
            return Ok(());
        };
        let hidden: Vec<String> = batch
            .iter()
            .filter(|c| c.hidden)
            .map(|c| c.paper.id.base().to_string())
            .collect();
        let visible: Vec<String> = batch
            .iter()
            .filter(|c| !c.hidden)
            .map(|c| c.paper.id.base().to_string())
            .collect();
        let rows = store.vectors_for(model, &visible).await?;
        let vectors = sem.vectors.clone();
        tokio::task::spawn_blocking(move || {
            vectors.remove(&hidden)?;
            vectors.upsert(&rows)
        })
        .await
        .map_err(|e| SearchError::Task(e.to_string()))?
    }

    /// The index.
    pub fn index(&self) -> &Arc<KeywordIndex> {
        &self.index
    }

    /// The highest change-cursor value indexed.
    pub fn seen(&self) -> i64 {
        self.seen.load(Ordering::Acquire)
    }

    /// Indexes everything the store changed since the last call; returns how many papers.
    /// `progress` is told the count after each batch.
    pub async fn catch_up(
        &self,
        store: &dyn Store,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<u64, SearchError> {
        let stored = self.index.cursor();
        let rescan = self.last_rescan.lock().map_or(true, |mut t| {
            let due = t.elapsed() >= SAFETY;
            if due {
                *t = Instant::now();
            }
            due
        });
        let from = if rescan {
            stored.min(self.seen())
        } else {
            self.seen()
        };
        let mut after = from;
        let mut total = 0u64;
        loop {
            let batch = store.papers_since(after, BATCH).await?;
            let n = batch.len();
            if let Some(last) = batch.last() {
                after = last.seq;
            }
            if n > 0 {
                self.follow_vectors(store, &batch).await?;
                let index = self.index.clone();
                tokio::task::spawn_blocking(move || index.upsert(&batch))
                    .await
                    .map_err(|e| SearchError::Task(e.to_string()))??;
                total += n as u64;
                progress(total);
            }
            if (n as i64) < BATCH {
                break;
            }
        }
        let seen = after.max(self.seen());
        let cursor = self.safe_cursor(seen, stored);
        if total > 0 || cursor != self.index.cursor() {
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || index.commit(cursor))
                .await
                .map_err(|e| SearchError::Task(e.to_string()))??;
        }
        // Only now are the papers searchable: answers cached under this position (see the web's
        // search cache key) must not be computed before the commit made them visible.
        self.seen.store(seen, Ordering::Release);
        Ok(total)
    }

    /// The cursor to store: the highest `seq` seen at least [`SAFETY`] ago (never below `floor`).
    fn safe_cursor(&self, seen: i64, floor: i64) -> i64 {
        let Ok(mut h) = self.history.lock() else {
            return floor;
        };
        let now = Instant::now();
        if h.back().is_none_or(|b| b.1 != seen) {
            h.push_back((now, seen));
        }
        let mut cursor = floor;
        while let Some(&(t, s)) = h.front() {
            if now.duration_since(t) >= SAFETY {
                cursor = cursor.max(s);
                if h.len() > 1 {
                    h.pop_front();
                    continue;
                }
            }
            break;
        }
        cursor
    }

    /// Follows the store until the task is dropped: catches up whenever the store says it
    /// changed (PostgreSQL `NOTIFY`) or every second.
    pub async fn run(self: Arc<Self>, store: Arc<dyn Store>) {
        loop {
            match self.catch_up(store.as_ref(), &|_| {}).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(papers = n, "search index caught up"),
                Err(e) => tracing::warn!(error = %e, "search index could not catch up; retrying"),
            }
            store.wait_for_change(Duration::from_secs(1)).await;
        }
    }
}
