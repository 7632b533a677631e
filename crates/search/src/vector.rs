//! The vector index: nearest papers to a unit vector by cosine similarity.
//!
//! Below [`VectorConfig::hnsw_threshold`] vectors the index is a flat float32 matrix searched
//! exhaustively (exact, and fast enough: 20,000 × 384 multiply-adds take about a millisecond).
//! Above it, the index moves to an HNSW graph (usearch) with float16 storage. Measured by
//! `dailypapers bench search` over the 80,317 shared papers: at search width 512, recall@10
//! against exact search 0.979–0.980 over all probes (author names 0.897–0.905), 1.5 ms per
//! search; at 1024, the default, 0.989 (paper vectors and questions 1.000, titles 0.996,
//! author names 0.946), 3.0 ms, against 3.8–4.1 ms for exact search. Like the keyword index it is derived data: it is filled from the store's
//! `paper_vectors` at start and follows the change cursor after that.

use crate::SearchError;
use std::hash::{BuildHasher, RandomState};
use std::path::Path;
use std::sync::RwLock;
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

mod rows;
mod saved;

use rows::{quantize, RowBuf, Rows};

/// How the vector index is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VectorConfig {
    /// Above this many vectors, search an HNSW graph instead of every vector.
    pub hnsw_threshold: usize,
    /// HNSW: neighbours per node.
    pub connectivity: usize,
    /// HNSW: candidates kept while inserting.
    pub expansion_add: usize,
    /// HNSW: candidates kept while searching (higher: better recall, slower).
    pub expansion_search: usize,
    /// How the graph stores vectors.
    pub quantization: Quantization,
    /// [`Quantization::I8`]: candidates taken from the graph and ranked again exactly.
    pub rescore: usize,
    /// A graph search whose best match scores below this cosine similarity is run again
    /// [`VectorConfig::wide_width`] wide; 0: never. Such a query is far from every paper (an
    /// author's name, a few common words), where a graph walk most often stops short of the
    /// true neighbours: at 3M papers in an int8 graph they were all of recall's loss.
    pub widen_below: f32,
    /// The search width of that second search.
    pub wide_width: usize,
    /// With widening on: each graph search first walks this wide, and a query whose best
    /// match there already scores below [`VectorConfig::widen_below`] goes straight to the
    /// wide search, skipping the normal-width one (a narrow walk never finds a better match
    /// than a wide one, so every query it sends on would have been widened anyway; at 3M
    /// papers author names skip a 1024-wide walk). 0: no probe.
    pub probe_width: usize,
    /// Once a graph is built or loaded by [`crate::follow::Follower::load_vectors`], the
    /// process's large resident anonymous memory is moved into 2 MB pages (see
    /// [`crate::huge`]): graph walks then miss the TLB less. The graph's arenas are most of
    /// that memory, but the move is not limited to them (a large cache or buffer that is fully
    /// resident moves too; nothing untouched is made resident).
    pub huge_pages: bool,
}

/// How the HNSW graph stores vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quantization {
    /// float16 in the graph, scores from it directly (default).
    #[default]
    F16,
    /// int8 in the graph for the search, float16 rows beside it for exact re-scoring of the
    /// best [`VectorConfig::rescore`] candidates.
    I8,
}

impl Default for VectorConfig {
    fn default() -> Self {
        VectorConfig {
            hnsw_threshold: 20_000,
            connectivity: 32,
            expansion_add: 256,
            expansion_search: 1024,
            quantization: Quantization::F16,
            rescore: 100,
            widen_below: 0.0,
            wide_width: 4096,
            probe_width: 64,
            huge_pages: true,
        }
    }
}

enum Backend {
    /// Row-major float32 matrix; row `i` belongs to `ids[i]`.
    Flat(Vec<f32>),
    /// An HNSW graph keyed by slot number.
    Graph(Index),
}

struct Inner {
    backend: Backend,
    /// Which paper is in which slot.
    slots: Slots,
    /// Freed graph slots, reused by later inserts.
    free: Vec<usize>,
    /// [`Quantization::I8`]: every graph slot's vector in float16, for exact re-scoring.
    rows: Option<Rows>,
}

/// Which paper holds which slot: slot → bare arXiv id (empty for a freed graph slot), and
/// id → slot through a table of slot numbers hashed by the ids they point to. At 1,000,000
/// papers that is about 45 MB, against 125 MB for a `Vec<String>` beside a
/// `HashMap<String, usize>` (a second copy of every id).
#[derive(Default)]
struct Slots {
    ids: Vec<Box<str>>,
    table: hashbrown::HashTable<u32>,
    hasher: RandomState,
}

impl Slots {
    /// Papers present.
    fn len(&self) -> usize {
        self.table.len()
    }

    /// Slots, held and freed.
    fn slot_count(&self) -> usize {
        self.ids.len()
    }

    /// The slot of `id`, if present.
    fn slot_of(&self, id: &str) -> Option<usize> {
        let ids = &self.ids;
        self.table
            .find(self.hasher.hash_one(id), |&s| &*ids[s as usize] == id)
            .map(|&s| s as usize)
    }

    /// The id in `slot`, unless the slot is free.
    fn id(&self, slot: usize) -> Option<&str> {
        self.ids.get(slot).map(|s| &**s).filter(|s| !s.is_empty())
    }

    /// Puts `id` (not present) in `slot`: a freed slot, or the next new one.
    fn put(&mut self, slot: usize, id: &str) {
        if slot == self.ids.len() {
            self.ids.push(id.into());
        } else {
            self.ids[slot] = id.into();
        }
        let Slots { ids, table, hasher } = self;
        table.insert_unique(hasher.hash_one(id), slot as u32, |&s| {
            hasher.hash_one(&*ids[s as usize])
        });
    }

    /// Adds a free slot at the end.
    fn push_free(&mut self) {
        self.ids.push(Box::default());
    }

    /// Frees `slot`, returning the id it held.
    fn free(&mut self, slot: usize) -> Option<Box<str>> {
        let id = self.id(slot)?;
        if let Ok(entry) = self
            .table
            .find_entry(self.hasher.hash_one(id), |&s| s as usize == slot)
        {
            entry.remove();
        }
        Some(std::mem::take(&mut self.ids[slot]))
    }

    /// Drops the last slot, which must be free.
    fn pop_free(&mut self) {
        debug_assert!(self.ids.last().is_some_and(|s| s.is_empty()));
        self.ids.pop();
    }

    /// Every slot's id, in slot order (empty for free slots).
    fn all(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(|s| &**s)
    }

    fn memory_bytes(&self) -> usize {
        let text: usize = self.ids.iter().map(|s| s.len().next_multiple_of(8)).sum();
        text + self.ids.capacity() * 16 + self.table.capacity() * 5
    }
}

/// Nearest-neighbour search over paper vectors. Reads run in parallel; writes take turns.
pub struct VectorIndex {
    dim: usize,
    config: VectorConfig,
    inner: RwLock<Inner>,
    /// The graph's search contexts in use: it holds [`contexts`] of them and fails a search
    /// that finds none free, so searches beyond that wait their turn.
    busy: Gate,
    /// Where an int8 graph's float16 rows go (a scratch file); `None`: in memory.
    scratch: Option<std::path::PathBuf>,
    /// Candidates an int8 graph search ranks exactly ([`VectorConfig::rescore`] at first).
    rescore: std::sync::atomic::AtomicUsize,
    /// The bits of the similarity below which a graph search is widened
    /// ([`VectorConfig::widen_below`] at first).
    widen_below: std::sync::atomic::AtomicU32,
    /// A graph search's normal width ([`VectorConfig::expansion_search`] at first). The graph's
    /// own width is kept at [`GRAPH_WIDTH`] and each walk asks for as many results as it
    /// should walk wide, so searches of different widths never change shared state.
    width: std::sync::atomic::AtomicUsize,
    /// Graph walks' widths added up (see [`VectorIndex::walked`]).
    walked: std::sync::atomic::AtomicUsize,
}

/// The graph's own search width: every walk asks for at least as many results as its width
/// (usearch walks `max(its width, results asked)` wide), so this only sets a floor.
const GRAPH_WIDTH: usize = 1;

/// How wide a graph search walks: see [`VectorConfig`].
struct Widths {
    probe: usize,
    normal: usize,
    wide: usize,
    widen_below: f32,
}

/// A graph search: a probe (when widening is on), the normal walk unless the probe found the
/// query far, and the wide walk when the best match is still too far. `rank` turns a walk's
/// matches into the best `(similarity, slot)` pairs; `walked` adds up the widths walked.
fn graph_search<T: usearch::VectorType>(
    index: &Index,
    query: &[T],
    keep: Option<&dyn Fn(u64) -> bool>,
    w: &Widths,
    walked: &std::sync::atomic::AtomicUsize,
    mut rank: impl FnMut(usearch::ffi::Matches) -> Result<Vec<(f32, usize)>, SearchError>,
) -> Result<Vec<(f32, usize)>, SearchError> {
    let walk_for = |count: usize| {
        walked.fetch_add(count, std::sync::atomic::Ordering::Relaxed);
        walk(index, query, count, keep)
    };
    let widening = w.widen_below > 0.0;
    // Nothing found counts as too far.
    let far = |best: Option<f32>| widening && best.is_none_or(|b| b < w.widen_below);
    let probed_far = widening && w.probe > 0 && w.probe < w.normal && {
        let found = walk_for(w.probe)?;
        far(found.distances.first().map(|d| 1.0 - d))
    };
    if !probed_far {
        let best = rank(walk_for(w.normal)?)?;
        if !far(best.first().map(|b| b.0)) {
            return Ok(best);
        }
    }
    rank(walk_for(w.wide)?)
}

/// One walk of the graph for `count` results: usearch searches at least `count` wide, so a
/// larger count is a wider search for this query alone.
fn walk<T: usearch::VectorType>(
    index: &Index,
    query: &[T],
    count: usize,
    keep: Option<&dyn Fn(u64) -> bool>,
) -> Result<usearch::ffi::Matches, SearchError> {
    match keep {
        None => index.search(query, count),
        Some(f) => index.filtered_search(query, count, f),
    }
    .map_err(ffi)
}

/// How many searches the graph serves at once: it keeps one scratch context per search
/// ("Reserve capacity ahead of searches!" when more arrive, as under a soak test's load).
/// Writers use them all, but only under the write lock, with no search running.
fn contexts() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores * 4).max(8)
}

/// A counting gate: at most [`contexts`] holders at once, the rest wait.
#[derive(Default)]
struct Gate {
    used: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

struct Pass<'a>(&'a Gate);

impl Gate {
    fn enter(&self) -> Pass<'_> {
        let limit = contexts();
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used >= limit {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += 1;
        Pass(self)
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let mut used = self.0.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(1);
        self.0.freed.notify_one();
    }
}

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("dim", &self.dim)
            .field("len", &self.len())
            .field("approximate", &self.is_approximate())
            .finish()
    }
}

fn ffi(e: impl std::fmt::Display) -> SearchError {
    SearchError::Vector(e.to_string())
}

/// Dot product, written with eight independent lanes so the compiler vectorises it.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Keeps the best `k` (score, slot) pairs, best first.
pub fn top_k(scores: impl Iterator<Item = (f32, usize)>, k: usize) -> Vec<(f32, usize)> {
    let mut best: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
    for (s, i) in scores {
        if best.len() == k && best.last().is_some_and(|b| s <= b.0) {
            continue;
        }
        let at = best.partition_point(|b| b.0 >= s);
        best.insert(at, (s, i));
        best.truncate(k);
    }
    best
}

impl VectorIndex {
    /// An empty index of `dim`-dimensional vectors.
    pub fn new(dim: usize, config: VectorConfig) -> VectorIndex {
        VectorIndex {
            dim,
            config,
            inner: RwLock::new(Inner {
                backend: Backend::Flat(Vec::new()),
                slots: Slots::default(),
                free: Vec::new(),
                rows: None,
            }),
            busy: Gate::default(),
            scratch: None,
            rescore: config.rescore.into(),
            widen_below: config.widen_below.to_bits().into(),
            width: config.expansion_search.into(),
            walked: 0.into(),
        }
    }

    /// Keeps an int8 graph's float16 rows in a scratch file in `dir` instead of in memory
    /// (no effect with [`Quantization::F16`]).
    pub fn with_scratch_dir(mut self, dir: &Path) -> VectorIndex {
        self.scratch = Some(dir.to_path_buf());
        self
    }

    /// An empty index built like this one (dimension, configuration, scratch folder).
    pub fn empty_like(&self) -> VectorIndex {
        VectorIndex {
            scratch: self.scratch.clone(),
            ..VectorIndex::new(self.dim, self.config)
        }
    }

    fn quantized(&self) -> bool {
        self.config.quantization == Quantization::I8
    }

    /// The vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// How this index is built.
    pub fn config(&self) -> VectorConfig {
        self.config
    }

    /// How many papers have a vector here.
    pub fn len(&self) -> usize {
        self.read().slots.len()
    }

    /// Whether no paper has a vector here.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether searches use the approximate (HNSW) graph.
    pub fn is_approximate(&self) -> bool {
        matches!(self.read().backend, Backend::Graph(_))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    fn graph(&self, capacity: usize) -> Result<Index, SearchError> {
        let index = Index::new(&IndexOptions {
            dimensions: self.dim,
            // int8 codes are not unit vectors: cosine of the codes estimates the float one.
            metric: match self.config.quantization {
                Quantization::F16 => MetricKind::IP,
                Quantization::I8 => MetricKind::Cos,
            },
            quantization: match self.config.quantization {
                Quantization::F16 => ScalarKind::F16,
                Quantization::I8 => ScalarKind::I8,
            },
            connectivity: self.config.connectivity,
            expansion_add: self.config.expansion_add,
            expansion_search: self.config.expansion_search,
            multi: false,
        })
        .map_err(ffi)?;
        // The creation options' widths did not take effect (measured: recall as at the
        // default); set both explicitly.
        index.change_expansion_add(self.config.expansion_add);
        index.change_expansion_search(GRAPH_WIDTH);
        index
            .reserve_capacity_and_threads(capacity.max(1_000), contexts())
            .map_err(ffi)?;
        Ok(index)
    }

    /// Adds graph entries for `(slot, vector)` pairs on every core (as int8 codes for an int8
    /// graph).
    fn add_parallel(
        index: &Index,
        quantization: Quantization,
        items: &[(usize, &[f32])],
    ) -> Result<(), SearchError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = items.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = items
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        for (slot, v) in part {
                            match quantization {
                                Quantization::F16 => index.add(*slot as u64, v),
                                Quantization::I8 => index.add(*slot as u64, &quantize(v)),
                            }
                            .map_err(ffi)?;
                        }
                        Ok::<(), SearchError>(())
                    })
                })
                .collect();
            for h in handles {
                h.join()
                    .map_err(|_| SearchError::Task("vector insert panicked".into()))??;
            }
            Ok(())
        })
    }

    /// Adds or replaces vectors (unit length, [`VectorIndex::dim`] components each).
    pub fn upsert(&self, rows: &[(String, Vec<f32>)]) -> Result<(), SearchError> {
        if let Some((id, v)) = rows.iter().find(|(_, v)| v.len() != self.dim) {
            return Err(SearchError::Vector(format!(
                "{id}: {}-dimensional vector for a {}-dimensional index",
                v.len(),
                self.dim
            )));
        }
        // A paper given twice in one batch keeps its last vector.
        let mut seen = std::collections::HashSet::with_capacity(rows.len());
        let mut last_first: Vec<&(String, Vec<f32>)> = rows
            .iter()
            .rev()
            .filter(|(id, _)| seen.insert(id.as_str()))
            .collect();
        last_first.reverse();
        let rows = last_first;
        let mut guard = self.write();
        let inner = &mut *guard;
        // Replacements first: drop the old entry.
        for (id, _) in &rows {
            if let Some(slot) = inner.slots.slot_of(id) {
                remove_slot(inner, self.dim, slot)?;
            }
        }
        let grows_past = inner.slots.len() + rows.len() > self.config.hnsw_threshold;
        if grows_past {
            if let Backend::Flat(matrix) = &inner.backend {
                // Move to the graph: everything present plus the new rows.
                let index = self.graph((inner.slots.len() + rows.len()) * 5 / 4)?;
                let items: Vec<(usize, &[f32])> = (0..inner.slots.slot_count())
                    .map(|slot| (slot, &matrix[slot * self.dim..(slot + 1) * self.dim]))
                    .collect();
                Self::add_parallel(&index, self.config.quantization, &items)?;
                if self.quantized() {
                    let mut rows = Rows::new(self.dim, self.scratch.as_deref())?;
                    rows.set_many(&items)?;
                    inner.rows = Some(rows);
                }
                inner.backend = Backend::Graph(index);
            }
        }
        match &mut inner.backend {
            Backend::Flat(matrix) => {
                for (id, v) in rows {
                    let slot = inner.slots.slot_count();
                    inner.slots.put(slot, id);
                    matrix.extend_from_slice(v);
                }
            }
            Backend::Graph(index) => {
                let need = inner.slots.len() + rows.len();
                if need > index.capacity() {
                    index
                        .reserve_capacity_and_threads(need * 3 / 2, contexts())
                        .map_err(ffi)?;
                }
                // Slots first, then rows, then ids: a failed row write (a full disk) leaves
                // the ids and the free list as they were.
                let mut items = Vec::with_capacity(rows.len());
                let (mut next, reused) = (inner.slots.slot_count(), inner.free.len());
                for (_, v) in &rows {
                    let slot = inner.free.pop().unwrap_or_else(|| {
                        next += 1;
                        next - 1
                    });
                    items.push((slot, v.as_slice()));
                }
                if let Some(exact) = &mut inner.rows {
                    if let Err(e) = exact.set_many(&items) {
                        let taken = reused - inner.free.len();
                        inner
                            .free
                            .extend(items[..taken].iter().rev().map(|(s, _)| *s));
                        return Err(e);
                    }
                }
                // New slots are numbered in order, so each is the next one when put.
                for ((id, _), (slot, _)) in rows.iter().zip(&items) {
                    inner.slots.put(*slot, id);
                }
                Self::add_parallel(index, self.config.quantization, &items)?;
            }
        }
        Ok(())
    }

    /// Removes papers' vectors (hidden papers); unknown ids are ignored.
    pub fn remove(&self, ids: &[String]) -> Result<(), SearchError> {
        let mut guard = self.write();
        for id in ids {
            if let Some(slot) = guard.slots.slot_of(id) {
                remove_slot(&mut guard, self.dim, slot)?;
            }
        }
        Ok(())
    }

    /// Whether `id` has a vector here.
    pub fn contains(&self, id: &str) -> bool {
        self.read().slots.slot_of(id).is_some()
    }

    /// The vector of `id`, if present (float16-rounded when the graph holds it).
    pub fn get(&self, id: &str) -> Option<Vec<f32>> {
        let inner = self.read();
        let slot = inner.slots.slot_of(id)?;
        match &inner.backend {
            Backend::Flat(m) => Some(m[slot * self.dim..(slot + 1) * self.dim].to_vec()),
            Backend::Graph(_) if inner.rows.is_some() => {
                inner.rows.as_ref().and_then(|r| r.get(slot).ok())
            }
            Backend::Graph(index) => {
                let mut out = vec![0f32; self.dim];
                match index.get(slot as u64, &mut out) {
                    Ok(n) if n > 0 => Some(out),
                    _ => None,
                }
            }
        }
    }

    /// Whether the index holds `v` for `id` already (to float16 rounding when the graph holds
    /// it): a paper changed by a vote or a comment keeps its vector, and need not be re-inserted.
    pub fn holds(&self, id: &str, v: &[f32]) -> bool {
        // A float16 keeps 11 significant bits: components of a unit vector round by < 2^-11.
        const ROUNDING: f32 = 1.0 / 2048.0;
        self.get(id).is_some_and(|old| {
            old.len() == v.len() && old.iter().zip(v).all(|(a, b)| (a - b).abs() <= ROUNDING)
        })
    }

    /// The `k` papers whose vectors are most similar to `query`, best first, with their cosine
    /// similarity. `keep` filters candidates by id (the graph search then looks further).
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        keep: Option<&(dyn Fn(&str) -> bool + Sync)>,
    ) -> Result<Vec<(String, f32)>, SearchError> {
        if query.len() != self.dim || k == 0 {
            return Ok(Vec::new());
        }
        let inner = self.read();
        let best: Vec<(f32, usize)> = match &inner.backend {
            Backend::Flat(m) => top_k(
                m.chunks_exact(self.dim)
                    .enumerate()
                    .filter(|(i, _)| keep.is_none_or(|f| inner.slots.id(*i).is_some_and(f)))
                    .map(|(i, row)| (dot(row, query), i)),
                k,
            ),
            Backend::Graph(index) => {
                let _pass = self.busy.enter();
                let filter = |key: u64| {
                    inner
                        .slots
                        .id(key as usize)
                        .is_some_and(|id| keep.is_none_or(|f| f(id)))
                };
                let filter: Option<&dyn Fn(u64) -> bool> = keep.map(|_| &filter as _);
                let widths = |count: usize| Widths {
                    probe: self.config.probe_width,
                    normal: self
                        .width
                        .load(std::sync::atomic::Ordering::Relaxed)
                        .max(count),
                    wide: self.config.wide_width.max(count),
                    widen_below: f32::from_bits(
                        self.widen_below.load(std::sync::atomic::Ordering::Relaxed),
                    ),
                };
                match &inner.rows {
                    None => {
                        graph_search(index, query, filter, &widths(k), &self.walked, |found| {
                            Ok(found
                                .keys
                                .iter()
                                .zip(&found.distances)
                                .take(k)
                                .map(|(key, d)| (1.0 - d, *key as usize))
                                .collect())
                        })?
                    }
                    Some(rows) => {
                        // The int8 graph's best candidates, ranked again on float16 rows.
                        // Half as many again as asked for at least, to rank exactly.
                        let wide = self
                            .rescore
                            .load(std::sync::atomic::Ordering::Relaxed)
                            .max(k + k / 2);
                        let mut buf = RowBuf::default();
                        let code = quantize(query);
                        graph_search(index, &code, filter, &widths(wide), &self.walked, |found| {
                            let mut scored = Vec::with_capacity(wide);
                            for &key in found.keys.iter().take(wide) {
                                let slot = key as usize;
                                scored.push((rows.dot(slot, query, &mut buf)?, slot));
                            }
                            Ok(top_k(scored.into_iter(), k))
                        })?
                    }
                }
            }
        };
        Ok(best
            .into_iter()
            .filter_map(|(s, slot)| inner.slots.id(slot).map(|id| (id.to_string(), s)))
            .collect())
    }

    /// Exhaustive search over the graph's stored vectors (for measuring recall).
    pub fn search_exact(&self, query: &[f32], k: usize) -> Result<Vec<(String, f32)>, SearchError> {
        let inner = self.read();
        match &inner.backend {
            Backend::Flat(_) => {
                drop(inner);
                self.search(query, k, None)
            }
            Backend::Graph(_) if inner.rows.is_some() => {
                let rows = inner
                    .rows
                    .as_ref()
                    .ok_or(SearchError::Vector("no rows".into()))?;
                let mut buf = RowBuf::default();
                let mut scored = Vec::with_capacity(inner.slots.len());
                for slot in 0..inner.slots.slot_count() {
                    if inner.slots.id(slot).is_some() {
                        scored.push((rows.dot(slot, query, &mut buf)?, slot));
                    }
                }
                Ok(top_k(scored.into_iter(), k)
                    .into_iter()
                    .filter_map(|(s, slot)| inner.slots.id(slot).map(|id| (id.to_string(), s)))
                    .collect())
            }
            Backend::Graph(index) => {
                let _pass = self.busy.enter();
                let found = index.exact_search(query, k).map_err(ffi)?;
                Ok(found
                    .keys
                    .iter()
                    .zip(&found.distances)
                    .filter_map(|(key, d)| {
                        inner
                            .slots
                            .id(*key as usize)
                            .map(|id| (id.to_string(), 1.0 - d))
                    })
                    .collect())
            }
        }
    }

    /// Changes how many candidates an int8 graph search ranks exactly (recall against speed).
    pub fn set_rescore(&self, n: usize) {
        self.rescore
            .store(n.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// Changes the similarity below which a graph search is run again wider (0: never).
    pub fn set_widen_below(&self, similarity: f32) {
        self.widen_below
            .store(similarity.to_bits(), std::sync::atomic::Ordering::Relaxed);
    }

    /// Changes how many candidates a graph search keeps (recall against speed).
    pub fn set_expansion_search(&self, n: usize) {
        self.width
            .store(n.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// The widths of every graph walk so far, added up: a search that probes and then walks
    /// the normal width adds [`VectorConfig::probe_width`] plus that width.
    pub fn walked(&self) -> usize {
        self.walked.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Bytes held in memory by the vectors, the graph and the ids (not a scratch file of rows:
    /// see [`VectorIndex::file_bytes`]).
    pub fn memory_bytes(&self) -> usize {
        let inner = self.read();
        inner.slots.memory_bytes()
            + inner.rows.as_ref().map_or(0, Rows::heap_bytes)
            + match &inner.backend {
                Backend::Flat(m) => m.len() * 4,
                Backend::Graph(index) => index.memory_usage(),
            }
    }

    /// Size of the scratch file of float16 rows (0 when there is none).
    pub fn file_bytes(&self) -> usize {
        self.read().rows.as_ref().map_or(0, Rows::file_bytes)
    }
}

fn remove_slot(inner: &mut Inner, dim: usize, slot: usize) -> Result<(), SearchError> {
    if inner.slots.id(slot).is_none() {
        return Ok(());
    }
    match &mut inner.backend {
        Backend::Flat(m) => {
            inner.slots.free(slot);
            // Move the last row into the hole.
            let last = inner.slots.slot_count() - 1;
            if slot != last {
                let (head, tail) = m.split_at_mut(last * dim);
                head[slot * dim..(slot + 1) * dim].copy_from_slice(&tail[..dim]);
                let moved = inner.slots.free(last).unwrap_or_default();
                inner.slots.pop_free();
                inner.slots.put(slot, &moved);
            } else {
                inner.slots.pop_free();
            }
            m.truncate(last * dim);
        }
        Backend::Graph(index) => {
            index.remove(slot as u64).map_err(ffi)?;
            inner.slots.free(slot);
            inner.free.push(slot);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
