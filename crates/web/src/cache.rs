//! Rendered pages and API answers for readers who are not signed in, kept until anything
//! changes.
//!
//! Every write on this server bumps the generation at once; changes made elsewhere (another app
//! server, a CLI import) are found by [`watch_changes`] through the store's change cursor
//! (PostgreSQL wakes it with `LISTEN/NOTIFY`). Entries also expire after [`MAX_AGE`], so
//! relative times stay fresh.
//!
//! Memory is bounded by bytes, keys included: both caches are [`moka`] caches weighed by key and
//! body, keys longer than [`MAX_KEY_BYTES`] are never kept, and handlers build keys only from
//! the parameters they read (see [`crate::params::key`]), so junk in a query string neither
//! grows the cache nor makes a new entry. Requests for a missing entry are coalesced: one
//! renders, the others wait for it; a cancelled render (client gone, timeout) hands the turn to
//! a waiting request instead of leaving anything behind.

use crate::AppError;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode};
use dp_store::Store;
use moka::future::Cache;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Longest a page is served from the cache.
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// Bytes of HTML pages kept, keys and bookkeeping included.
pub const MAX_PAGE_BYTES: u64 = 48 << 20;
/// Bytes of API answers kept, keys and bookkeeping included.
pub const MAX_API_BYTES: u64 = 64 << 20;
/// Longest key kept: a request with a longer one is answered without being kept.
pub const MAX_KEY_BYTES: usize = 1_024;
/// Bytes counted for each entry beyond its key and body (the entry, the index, the clock).
pub const ENTRY_OVERHEAD: usize = 256;

/// A rendered page.
#[derive(Debug)]
pub struct PageEntry {
    /// Generation it was rendered at.
    pub generation: u64,
    /// Its status (a page saying "not here yet" is a 404).
    pub status: StatusCode,
    /// The HTML.
    pub body: Bytes,
}

/// A JSON answer of the API, kept with its validators.
#[derive(Debug)]
pub struct ApiEntry {
    /// Generation it was rendered at.
    pub generation: u64,
    /// When it was rendered.
    pub at: Instant,
    /// The JSON.
    pub body: Bytes,
    /// A `Link` header (the next page of a list).
    pub link: Option<HeaderValue>,
    /// Strong validator of the body.
    pub etag: HeaderValue,
}

/// What a cache entry weighs besides its key.
pub trait Weighed {
    /// The generation the entry was rendered at.
    fn generation(&self) -> u64;
    /// Bytes it holds.
    fn bytes(&self) -> usize;
}

impl Weighed for PageEntry {
    fn generation(&self) -> u64 {
        self.generation
    }
    fn bytes(&self) -> usize {
        self.body.len()
    }
}

impl Weighed for ApiEntry {
    fn generation(&self) -> u64 {
        self.generation
    }
    fn bytes(&self) -> usize {
        self.body.len() + self.link.as_ref().map_or(0, HeaderValue::len) + self.etag.len()
    }
}

/// A value derived from the store, with the generation it was computed at.
type Derived = (u64, Arc<dyn std::any::Any + Send + Sync>);

/// The page cache of one server.
pub struct PageCache {
    generation: AtomicU64,
    /// Unix seconds of the last change seen (the `Last-Modified` of every answer).
    changed_at: AtomicU64,
    pages: Cache<String, Arc<PageEntry>>,
    api: Cache<String, Arc<ApiEntry>>,
    /// Derived data kept for one generation (e.g. the approved authorship claims), by name.
    derived: Mutex<HashMap<&'static str, Derived>>,
}

fn weighed_cache<V: Weighed + Send + Sync + 'static>(budget: u64) -> Cache<String, Arc<V>> {
    Cache::builder()
        .max_capacity(budget)
        .weigher(|k: &String, v: &Arc<V>| {
            u32::try_from(k.len() + v.bytes() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
        })
        .time_to_live(MAX_AGE)
        .build()
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache {
            generation: AtomicU64::new(0),
            changed_at: AtomicU64::new(unix_now()),
            pages: weighed_cache(MAX_PAGE_BYTES),
            api: weighed_cache(MAX_API_BYTES),
            derived: Mutex::default(),
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The entry under `key`, rendering it on a miss (one render per key at a time; the others
/// wait for it). An entry rendered before a change is answered once but not kept.
async fn through<V, F, Fut>(
    cache: &Cache<String, Arc<V>>,
    current: &AtomicU64,
    key: String,
    render: F,
) -> Result<Arc<V>, AppError>
where
    V: Weighed + Send + Sync + 'static,
    F: FnOnce(u64) -> Fut,
    Fut: Future<Output = Result<V, AppError>>,
{
    let generation = current.load(Ordering::Acquire);
    if key.len() > MAX_KEY_BYTES {
        return render(generation).await.map(Arc::new);
    }
    if let Some(e) = cache.get(&key).await {
        if e.generation() == generation {
            return Ok(e);
        }
        cache.invalidate(&key).await;
    }
    let entry = cache
        .try_get_with(key.clone(), async move {
            render(generation).await.map(Arc::new)
        })
        .await
        .map_err(|e| (*e).clone())?;
    if entry.generation() != current.load(Ordering::Acquire) {
        cache.invalidate(&key).await;
    }
    Ok(entry)
}

impl PageCache {
    /// The generation now (it moves at every change).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The page under `key`, rendered by `render` on a miss.
    pub async fn page<F, Fut>(&self, key: String, render: F) -> Result<Arc<PageEntry>, AppError>
    where
        F: FnOnce(u64) -> Fut,
        Fut: Future<Output = Result<PageEntry, AppError>>,
    {
        through(&self.pages, &self.generation, key, render).await
    }

    /// The API answer under `key`, rendered by `render` on a miss.
    pub async fn api<F, Fut>(&self, key: String, render: F) -> Result<Arc<ApiEntry>, AppError>
    where
        F: FnOnce(u64) -> Fut,
        Fut: Future<Output = Result<ApiEntry, AppError>>,
    {
        through(&self.api, &self.generation, key, render).await
    }

    /// Something changed: every cached page is stale.
    pub fn invalidate(&self) {
        // Last-Modified has whole seconds: a second change within one second still moves it,
        // so a conditional request never gets a 304 for something that changed.
        let now = unix_now();
        let _ = self
            .changed_at
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |prev| {
                Some(now.max(prev + 1))
            });
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.pages.invalidate_all();
        self.api.invalidate_all();
    }

    /// Unix seconds of the last change seen: the `Last-Modified` of every answer.
    pub fn changed_at(&self) -> u64 {
        self.changed_at.load(Ordering::Acquire)
    }

    /// Bytes the cache holds now, keys and bookkeeping included (after pending evictions).
    pub async fn weight(&self) -> u64 {
        self.pages.run_pending_tasks().await;
        self.api.run_pending_tasks().await;
        self.pages.weighted_size() + self.api.weighted_size()
    }

    /// Most bytes the cache may hold.
    pub fn budget(&self) -> u64 {
        MAX_PAGE_BYTES + MAX_API_BYTES
    }

    /// A value derived from the store under `name`, if computed at the current generation.
    pub fn derived<T: Send + Sync + 'static>(&self, name: &'static str) -> Option<Arc<T>> {
        let g = self.generation();
        let map = self.derived.lock().ok()?;
        let (at, v) = map.get(name)?;
        if *at != g {
            return None;
        }
        v.clone().downcast::<T>().ok()
    }

    /// Keeps a value derived from the store at `generation` under `name`.
    pub fn keep_derived<T: Send + Sync + 'static>(
        &self,
        name: &'static str,
        generation: u64,
        value: Arc<T>,
    ) {
        if let Ok(mut map) = self.derived.lock() {
            map.insert(name, (generation, value));
        }
    }
}

/// The longest [`watch_changes`] waits between two looks at the change cursor when the store
/// cannot rule out a change (PostgreSQL; SQLite says when nothing was written).
pub const CHANGE_POLL: Duration = Duration::from_secs(1);

/// Follows the store's change cursor and invalidates the cache when it moves; purges expired
/// sessions every ten minutes. Runs until the task is dropped.
pub async fn watch_changes(store: Arc<dyn Store>, cache: Arc<PageCache>) {
    // Watch first, then read: a write in between still wakes the first wait.
    let mut changes = store.change_watch().await;
    let mut last = store.change_marker().await.ok();
    let mut look = last.is_none();
    let mut last_purge = Instant::now();
    loop {
        look |= changes.wait(CHANGE_POLL).await;
        if look {
            match store.change_marker().await {
                Ok(m) => {
                    look = false;
                    if Some(m) != last {
                        last = Some(m);
                        cache.invalidate();
                    }
                }
                Err(e) => tracing::debug!(error = %e, "change cursor unavailable"),
            }
        }
        if last_purge.elapsed() > Duration::from_secs(600) {
            last_purge = Instant::now();
            if let Err(e) = store.purge_expired().await {
                tracing::debug!(error = %e, "purge failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn page(generation: u64, body: &'static [u8]) -> PageEntry {
        PageEntry {
            generation,
            status: StatusCode::OK,
            body: Bytes::from_static(body),
        }
    }

    #[tokio::test]
    async fn pages_go_stale_when_anything_changes() {
        let c = PageCache::default();
        let v1 = c
            .page("/papers".into(), |g| async move { Ok(page(g, b"v1")) })
            .await
            .unwrap();
        assert_eq!(&v1.body[..], b"v1");
        let again = c
            .page("/papers".into(), |g| async move { Ok(page(g, b"v2")) })
            .await
            .unwrap();
        assert_eq!(&again.body[..], b"v1", "kept");
        c.invalidate();
        let fresh = c
            .page("/papers".into(), |g| async move { Ok(page(g, b"v3")) })
            .await
            .unwrap();
        assert_eq!(&fresh.body[..], b"v3");
    }

    #[tokio::test]
    async fn a_page_rendered_across_a_change_is_not_kept() {
        let c = Arc::new(PageCache::default());
        let c2 = c.clone();
        let old = c
            .page("/p".into(), |g| async move {
                c2.invalidate();
                Ok(page(g, b"old"))
            })
            .await
            .unwrap();
        assert_eq!(&old.body[..], b"old", "answered once");
        let next = c
            .page("/p".into(), |g| async move { Ok(page(g, b"new")) })
            .await
            .unwrap();
        assert_eq!(&next.body[..], b"new");
    }

    #[tokio::test]
    async fn a_cancelled_render_leaves_nothing_behind() {
        let c = Arc::new(PageCache::default());
        let slow = {
            let c = c.clone();
            tokio::spawn(async move {
                c.page("/slow".into(), |g| async move {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(page(g, b"never"))
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        slow.abort();
        let renders = AtomicUsize::new(0);
        let got = tokio::time::timeout(
            Duration::from_secs(5),
            c.page("/slow".into(), |g| {
                renders.fetch_add(1, Ordering::SeqCst);
                async move { Ok(page(g, b"now")) }
            }),
        )
        .await
        .expect("a later request is not stuck behind the cancelled one")
        .unwrap();
        assert_eq!(&got.body[..], b"now");
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn keys_count_in_the_budget_and_long_keys_are_not_kept() {
        let c = PageCache::default();
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        c.page(long, |g| async move { Ok(page(g, b"x")) })
            .await
            .unwrap();
        assert_eq!(c.weight().await, 0, "a key past the limit is not kept");
        let key = "k".repeat(1_000);
        c.page(key, |g| async move { Ok(page(g, b"xy")) })
            .await
            .unwrap();
        assert_eq!(c.weight().await, (1_000 + 2 + ENTRY_OVERHEAD) as u64);
    }

    #[tokio::test]
    async fn errors_are_not_kept() {
        let c = PageCache::default();
        let err = c
            .page("/e".into(), |_| async { Err(AppError::not_found("no")) })
            .await
            .unwrap_err();
        assert_eq!(err.status, StatusCode::NOT_FOUND);
        let ok = c
            .page("/e".into(), |g| async move { Ok(page(g, b"ok")) })
            .await
            .unwrap();
        assert_eq!(&ok.body[..], b"ok");
    }
}
