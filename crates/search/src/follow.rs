//! Keeping a keyword index in step with the store.
//!
//! The index records a cursor in its commit: every paper whose change-cursor value (`seq`) is
//! above it may not be indexed yet. Catching up reads those papers in `seq` order and indexes
//! them. On PostgreSQL, `seq` values are taken when a transaction writes and become visible when
//! it commits, so a later commit can carry a lower `seq`; the cursor therefore trails the
//! highest `seq` seen by [`SAFETY`]. Every [`SAFETY`] the follower looks for such late papers:
//! it reads the `seq` values in that margin (the index alone, cheap) and indexes only those it
//! has not indexed yet, instead of reading and indexing every paper in the margin again (after
//! a full build, the margin was the whole store: 80,000 papers indexed a second time, during
//! which a new paper waited more than 10 s).

use crate::{Engine, Fusion, KeywordIndex, SearchError, Semantic};
use dp_store::{ChangedPaper, Changes, Vectors};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a transaction may stay open between taking its `seq` and committing.
pub const SAFETY: Duration = Duration::from_secs(10);
/// Papers read per store query while catching up.
const BATCH: i64 = 2_000;
/// How often a changed HNSW graph is saved (see [`Follower::with_vector_dir`]).
pub const SAVE_EVERY: Duration = Duration::from_secs(600);

/// An index with its follower state.
pub struct Follower {
    index: Arc<KeywordIndex>,
    /// The highest `seq` indexed so far (for the lag metric).
    seen: AtomicI64,
    /// (when, highest seq seen then): the cursor is the newest entry older than [`SAFETY`].
    history: std::sync::Mutex<VecDeque<(Instant, i64)>>,
    /// How long a transaction may stay open ([`SAFETY`] unless a test says otherwise).
    safety: Duration,
    /// When the follower last looked for late papers below what it has seen.
    last_rescan: std::sync::Mutex<Instant>,
    /// The `seq` values indexed above the stored cursor (pruned as the cursor moves).
    indexed: std::sync::Mutex<std::collections::BTreeSet<i64>>,
    /// The semantic side and the name of the model whose stored vectors it follows.
    semantic: Option<(Semantic, String)>,
    /// Vectors loaded from the store at start (for the readiness of semantic search).
    vectors_loaded: std::sync::atomic::AtomicBool,
    /// Where the HNSW graph is saved between runs (`None`: rebuilt from the store at start).
    vector_dir: Option<std::path::PathBuf>,
    /// After a saved graph was loaded: the change cursor it is complete up to, which the next
    /// catch-up reads from (`i64::MAX`: nothing pending).
    vectors_from: AtomicI64,
    /// The vector index changed since it was last saved.
    vectors_dirty: std::sync::atomic::AtomicBool,
    /// When the graph was last saved.
    last_save: std::sync::Mutex<Instant>,
    /// The change cursor when the last full load from the store began: a save must not record
    /// a cursor below it (the keyword index's stored cursor trails by [`SAFETY`], so the first
    /// save after a full load waits until it has passed this).
    graph_floor: AtomicI64,
    /// The cursor of the save the graph was loaded from (0: none): a paper whose `seq` is not
    /// above it has its current vector in the graph already, so catching up (from scratch,
    /// when the keyword index was rebuilt) does not insert it again.
    saved_upto: AtomicI64,
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
            indexed: std::sync::Mutex::default(),
            safety: SAFETY,
            semantic: None,
            vectors_loaded: std::sync::atomic::AtomicBool::new(false),
            vector_dir: None,
            vectors_from: AtomicI64::new(i64::MAX),
            vectors_dirty: std::sync::atomic::AtomicBool::new(false),
            last_save: std::sync::Mutex::new(Instant::now()),
            graph_floor: AtomicI64::new(0),
            saved_upto: AtomicI64::new(0),
        }
    }

    /// Saves the vector index's HNSW graph in `dir` (after a full load, then every
    /// [`SAVE_EVERY`] while it changes) and loads it from there at start instead of rebuilding
    /// it from every stored vector; changes since the save are read from the store. Derived
    /// data: a missing, other-model or unreadable save is rebuilt.
    pub fn with_vector_dir(mut self, dir: std::path::PathBuf) -> Follower {
        self.vector_dir = Some(dir);
        self
    }

    /// The same with another margin than [`SAFETY`] (tests, which cannot wait 10 s).
    pub fn with_safety_margin(mut self, safety: Duration) -> Follower {
        self.safety = safety;
        self
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
    ///
    /// Once the graph answers, its memory is moved into huge pages in the background when the
    /// configuration asks (a few seconds at millions of papers; searches run meanwhile).
    pub async fn load_vectors(
        &self,
        store: &(impl Changes + Vectors + ?Sized),
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<u64, SearchError> {
        let n = self.fill_vectors(store, progress).await?;
        if let Some((sem, _)) = &self.semantic {
            into_huge_pages(&sem.vectors);
        }
        Ok(n)
    }

    /// [`Follower::load_vectors`] without the move into huge pages: from the graph's save when
    /// it has one, else built from the stored vectors.
    async fn fill_vectors(
        &self,
        store: &(impl Changes + Vectors + ?Sized),
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<u64, SearchError> {
        let Some((sem, model)) = &self.semantic else {
            return Ok(0);
        };
        if let Some(dir) = &self.vector_dir {
            let (dir, model, vectors) = (dir.clone(), model.clone(), sem.vectors.clone());
            let saved = tokio::task::spawn_blocking(move || vectors.load_like(&dir, &model))
                .await
                .map_err(|e| SearchError::Task(e.to_string()))?;
            match saved {
                Ok(Some((graph, cursor))) => {
                    let n = graph.len() as u64;
                    sem.vectors.replace_with(graph);
                    self.vectors_from.store(cursor, Ordering::Release);
                    self.saved_upto.store(cursor, Ordering::Release);
                    self.vectors_loaded.store(true, Ordering::Release);
                    progress(n);
                    tracing::info!(vectors = n, cursor, "vector graph loaded from its save");
                    return Ok(n);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the saved vector graph could not be read; rebuilding it")
                }
            }
        }
        let floor = store.change_marker().await?;
        self.graph_floor.store(floor, Ordering::Release);
        // Built on the side and swapped in whole: a graph of 80,000 vectors takes minutes, and
        // queries must not queue behind its writes meanwhile (semantic answers stay empty until
        // the swap; keyword answers are unaffected).
        let building = Arc::new(sem.vectors.empty_like());
        let mut after: Option<String> = None;
        let mut total = 0u64;
        loop {
            let rows = store.vectors_after(model, after.as_deref(), 5_000).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.0.clone());
            let n = rows.len();
            let vectors = building.clone();
            tokio::task::spawn_blocking(move || vectors.upsert(&rows))
                .await
                .map_err(|e| SearchError::Task(e.to_string()))??;
            total += n as u64;
            progress(total);
        }
        let built = Arc::try_unwrap(building)
            .map_err(|_| SearchError::Task("the vector graph is still shared".into()))?;
        sem.vectors.replace_with(built);
        // Every paper whose `seq` is not above the floor has its vector in the graph; changes
        // since (and any a concurrent catch-up skipped while loading) are read once more.
        // Loaded first, then the re-read position: a catch-up that starts in between finds the
        // position and no longer skips.
        self.saved_upto.store(floor, Ordering::Release);
        self.vectors_loaded.store(true, Ordering::Release);
        self.vectors_from.store(floor, Ordering::Release);
        // Saved at the next catch-up, so the next start need not rebuild it.
        if total > 0 {
            self.vectors_dirty.store(true, Ordering::Release);
            if let Ok(mut t) = self.last_save.lock() {
                // (On a clock younger than SAVE_EVERY, the first save waits for it.)
                *t = Instant::now().checked_sub(SAVE_EVERY).unwrap_or(*t);
            }
        }
        Ok(total)
    }

    /// Saves the graph when it changed and [`SAVE_EVERY`] has passed, with the keyword index's
    /// stored cursor (every vector of a paper changed up to it is in the graph: vectors are
    /// followed before the keyword commit that records the cursor). Called between catch-ups.
    pub async fn save_vectors_if_due(&self) -> Result<bool, SearchError> {
        let (Some(dir), Some((sem, model))) = (&self.vector_dir, &self.semantic) else {
            return Ok(false);
        };
        let cursor = self.index.cursor();
        let due = self.vectors_loaded.load(Ordering::Acquire)
            && self.vectors_dirty.load(Ordering::Acquire)
            && self.vectors_from.load(Ordering::Acquire) == i64::MAX
            && cursor >= self.graph_floor.load(Ordering::Acquire)
            && self
                .last_save
                .lock()
                .is_ok_and(|t| t.elapsed() >= SAVE_EVERY);
        if !due {
            return Ok(false);
        }
        self.vectors_dirty.store(false, Ordering::Release);
        let (dir, model, vectors) = (dir.clone(), model.clone(), sem.vectors.clone());
        let saved = tokio::task::spawn_blocking(move || vectors.save(&dir, &model, cursor))
            .await
            .map_err(|e| SearchError::Task(e.to_string()))?;
        if let Ok(mut t) = self.last_save.lock() {
            *t = Instant::now();
        }
        if saved.is_err() {
            self.vectors_dirty.store(true, Ordering::Release);
        }
        saved
    }

    /// Brings the vector index in step with changed papers: hidden ones leave it, visible
    /// ones get their stored vector (if any).
    async fn follow_vectors(
        &self,
        store: &(impl Changes + Vectors + ?Sized),
        batch: &[ChangedPaper],
    ) -> Result<(), SearchError> {
        let Some((sem, model)) = &self.semantic else {
            return Ok(());
        };
        if !self.vectors_loaded.load(Ordering::Acquire) {
            // The graph is being loaded and will be swapped in whole; these changes are read
            // again from its floor afterwards.
            return Ok(());
        }
        let hidden: Vec<String> = batch
            .iter()
            .filter(|c| c.hidden)
            .map(|c| c.paper.id.base().to_string())
            .collect();
        let saved_upto = self.saved_upto.load(Ordering::Acquire);
        let visible: Vec<String> = batch
            .iter()
            .filter(|c| !c.hidden && c.seq > saved_upto)
            .map(|c| c.paper.id.base().to_string())
            .collect();
        let rows = store.vectors_for(model, &visible).await?;
        if rows.is_empty() && hidden.is_empty() {
            return Ok(());
        }
        let vectors = sem.vectors.clone();
        let changed = tokio::task::spawn_blocking(move || {
            // A vote or a comment changes a paper but not its vector: the graph keeps the node
            // (re-inserting it costs a graph insert, and a save of the whole graph later).
            let rows: Vec<_> = rows
                .into_iter()
                .filter(|(id, v)| !vectors.holds(id, v))
                .collect();
            vectors.remove(&hidden)?;
            vectors.upsert(&rows)?;
            Ok::<bool, SearchError>(!rows.is_empty() || !hidden.is_empty())
        })
        .await
        .map_err(|e| SearchError::Task(e.to_string()))??;
        if changed {
            self.vectors_dirty.store(true, Ordering::Release);
        }
        Ok(())
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
        store: &(impl Changes + Vectors + ?Sized),
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<u64, SearchError> {
        let stored = self.index.cursor();
        let rescan = self.last_rescan.lock().map_or(true, |mut t| {
            let due = t.elapsed() >= self.safety;
            if due {
                *t = Instant::now();
            }
            due
        });
        let seen_before = self.seen();
        // After a saved graph was loaded: read every change since its save once more.
        let from = seen_before.min(self.vectors_from.swap(i64::MAX, Ordering::AcqRel));
        let mut after = from;
        let mut total = 0u64;
        loop {
            let batch = store.papers_since(after, BATCH).await?;
            let n = batch.len();
            if let Some(last) = batch.last() {
                after = last.seq;
            }
            total += self.index_batch(store, batch).await?;
            progress(total);
            if (n as i64) < BATCH {
                break;
            }
        }
        // Late papers: committed after a read that passed their `seq` (PostgreSQL).
        if rescan && stored < seen_before {
            let seqs = store.seqs_between(stored, seen_before).await?;
            let missing: Vec<i64> = match self.indexed.lock() {
                Ok(set) => seqs.into_iter().filter(|s| !set.contains(s)).collect(),
                Err(_) => seqs,
            };
            if !missing.is_empty() {
                let late = store.papers_with_seqs(&missing).await?;
                total += self.index_batch(store, late).await?;
                progress(total);
            }
        }
        let seen = after.max(self.seen());
        let cursor = self.safe_cursor(seen, stored);
        if total > 0 || cursor != self.index.cursor() {
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || index.commit(cursor))
                .await
                .map_err(|e| SearchError::Task(e.to_string()))??;
            if let Ok(mut set) = self.indexed.lock() {
                *set = set.split_off(&cursor.saturating_add(1));
            }
        }
        // Only now are the papers searchable: answers cached under this position (see the web's
        // search cache key) must not be computed before the commit made them visible.
        self.seen.store(seen, Ordering::Release);
        Ok(total)
    }

    /// Indexes a batch of changed papers (vectors first, then the keyword index) and remembers
    /// their `seq` values; returns how many.
    async fn index_batch(
        &self,
        store: &(impl Changes + Vectors + ?Sized),
        batch: Vec<ChangedPaper>,
    ) -> Result<u64, SearchError> {
        if batch.is_empty() {
            return Ok(0);
        }
        self.follow_vectors(store, &batch).await?;
        if let Ok(mut set) = self.indexed.lock() {
            set.extend(batch.iter().map(|c| c.seq));
        }
        let n = batch.len() as u64;
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.upsert(&batch))
            .await
            .map_err(|e| SearchError::Task(e.to_string()))??;
        Ok(n)
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
            if now.duration_since(t) >= self.safety {
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

    /// Follows the store until the task is dropped: catches up whenever the store signals a
    /// write (SQLite: its write-ahead log moved; PostgreSQL: `NOTIFY`, or every second).
    pub async fn run<S: Changes + Vectors + ?Sized + 'static>(self: Arc<Self>, store: Arc<S>) {
        let mut changes = store.change_watch().await;
        let mut look = true;
        loop {
            // A full load that just finished wants the changes made meanwhile read again.
            look |= self.vectors_from.load(Ordering::Acquire) != i64::MAX;
            if look {
                match self.catch_up(store.as_ref(), &|_| {}).await {
                    Ok(n) => {
                        look = false;
                        if n > 0 {
                            tracing::debug!(papers = n, "search index caught up");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "search index could not catch up; retrying")
                    }
                }
            }
            match self.save_vectors_if_due().await {
                Ok(true) => tracing::info!("vector graph saved"),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "could not save the vector graph"),
            }
            // An idle SQLite store answers "nothing written" and costs no query.
            look |= changes.wait(Duration::from_secs(1)).await;
        }
    }
}

/// Moves a just built or loaded graph's memory into huge pages when its configuration asks
/// (see [`crate::huge`]); a flat index is too small to gain. Runs detached on a blocking
/// thread: the graph already answers, and a start should not wait for it.
fn into_huge_pages(vectors: &crate::vector::VectorIndex) {
    if !vectors.config().huge_pages || !vectors.is_approximate() {
        return;
    }
    tokio::task::spawn_blocking(|| {
        let started = Instant::now();
        let done = crate::huge::collapse_resident(crate::huge::MIN_MAPPING);
        tracing::info!(
            asked_mib = done.asked >> 20,
            huge_mib = done.collapsed >> 20,
            ms = started.elapsed().as_millis() as u64,
            "large resident memory (chiefly the vector graph) moved into huge pages"
        );
    });
}
