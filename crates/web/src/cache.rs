//! Rendered pages for readers who are not signed in, kept until anything changes.
//!
//! Every write on this server bumps the generation at once; changes made elsewhere (another app
//! server, a CLI import) are found by [`watch_changes`] through the store's change cursor
//! (PostgreSQL wakes it with `LISTEN/NOTIFY`). Entries also expire after [`MAX_AGE`], so
//! relative times stay fresh.

use axum::body::Bytes;
use axum::http::HeaderValue;
use dp_store::Store;
use lru::LruCache;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Longest a page is served from the cache.
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// Most pages kept; the cache is cleared when full.
pub const MAX_ENTRIES: usize = 4_096;

struct Entry {
    generation: u64,
    at: Instant,
    body: Bytes,
}

/// Most API responses kept (least recently used ones leave first).
pub const MAX_API_ENTRIES: usize = 20_000;
/// Most bytes of API responses kept: a client asking for many distinct large pages cannot make
/// the cache grow past this.
pub const MAX_API_BYTES: usize = 64 << 20;

/// The API answers and the bytes their bodies take.
struct ApiLru {
    entries: LruCache<String, Arc<ApiEntry>>,
    bytes: usize,
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

/// A value derived from the store, with the generation it was computed at.
type Derived = (u64, Arc<dyn std::any::Any + Send + Sync>);

/// The page cache of one server.
pub struct PageCache {
    generation: AtomicU64,
    /// Unix seconds of the last change seen (the `Last-Modified` of every answer).
    changed_at: AtomicU64,
    pages: RwLock<HashMap<String, Entry>>,
    /// API answers (many small ones: every paper), least recently used leaving first.
    api: Mutex<ApiLru>,
    /// Derived data kept for one generation (e.g. the approved authorship claims), by name.
    derived: Mutex<HashMap<&'static str, Derived>>,
    /// Pages being rendered: later requests for the same page wait for the first one instead
    /// of rendering it again (after every change, all readers miss at once).
    inflight: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache {
            generation: AtomicU64::new(0),
            changed_at: AtomicU64::new(unix_now()),
            pages: RwLock::default(),
            api: Mutex::new(ApiLru {
                entries: LruCache::new(
                    NonZeroUsize::new(MAX_API_ENTRIES).unwrap_or(NonZeroUsize::MIN),
                ),
                bytes: 0,
            }),
            derived: Mutex::default(),
            inflight: std::sync::Mutex::default(),
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl PageCache {
    /// The page cached under `key`, if still current.
    pub fn get(&self, key: &str) -> Option<Bytes> {
        let g = self.generation.load(Ordering::Acquire);
        let pages = self.pages.read().ok()?;
        let e = pages.get(key)?;
        (e.generation == g && e.at.elapsed() < MAX_AGE).then(|| e.body.clone())
    }

    /// The generation a page is being rendered for; pass it back to [`PageCache::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps a page rendered at `generation` (dropped if something changed meanwhile).
    pub fn put(&self, key: String, generation: u64, body: Bytes) {
        if generation != self.generation() {
            return;
        }
        if let Ok(mut pages) = self.pages.write() {
            if pages.len() >= MAX_ENTRIES {
                pages.clear();
            }
            pages.insert(
                key,
                Entry {
                    generation,
                    at: Instant::now(),
                    body,
                },
            );
        }
    }

    /// The lock that lets one request render `key` while others for it wait.
    pub fn flight(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.inflight.lock() {
            Ok(mut m) => m.entry(key.to_string()).or_default().clone(),
            Err(_) => Arc::default(),
        }
    }

    /// The rendering of `key` is over (waiting requests then find the page cached).
    pub fn landed(&self, key: &str) {
        if let Ok(mut m) = self.inflight.lock() {
            m.remove(key);
        }
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
    }

    /// Unix seconds of the last change seen: the `Last-Modified` of every answer.
    pub fn changed_at(&self) -> u64 {
        self.changed_at.load(Ordering::Acquire)
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

    /// The API answer cached under `key`, if still current.
    pub fn get_api(&self, key: &str) -> Option<Arc<ApiEntry>> {
        let g = self.generation();
        let mut api = self.api.lock().ok()?;
        let e = api.entries.get(key)?;
        (e.generation == g && e.at.elapsed() < MAX_AGE).then(|| e.clone())
    }

    /// Keeps an API answer rendered at `entry.generation` (dropped if something changed
    /// meanwhile).
    pub fn put_api(&self, key: String, entry: Arc<ApiEntry>) {
        if entry.generation != self.generation() {
            return;
        }
        if entry.body.len() > MAX_API_BYTES / 8 {
            return;
        }
        if let Ok(mut api) = self.api.lock() {
            let api = &mut *api;
            api.bytes += entry.body.len();
            if let Some((_, old)) = api.entries.push(key, entry) {
                api.bytes -= old.body.len();
            }
            while api.bytes > MAX_API_BYTES {
                match api.entries.pop_lru() {
                    Some((_, old)) => api.bytes -= old.body.len(),
                    None => break,
                }
            }
        }
    }
}

/// Follows the store's change cursor and invalidates the cache when it moves; purges expired
/// sessions every ten minutes. Runs until the task is dropped.
pub async fn watch_changes(store: Arc<dyn Store>, cache: Arc<PageCache>) {
    let mut last = store.change_marker().await.ok();
    let mut last_purge = Instant::now();
    loop {
        store.wait_for_change(Duration::from_secs(1)).await;
        match store.change_marker().await {
            Ok(m) if Some(m) != last => {
                last = Some(m);
                cache.invalidate();
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "change cursor unavailable"),
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

    #[test]
    fn pages_go_stale_when_anything_changes() {
        let c = PageCache::default();
        let g = c.generation();
        c.put("/papers".into(), g, Bytes::from_static(b"v1"));
        assert_eq!(c.get("/papers").as_deref(), Some(&b"v1"[..]));
        c.invalidate();
        assert!(c.get("/papers").is_none());
        // A page rendered before a change is not kept.
        c.put("/papers".into(), g, Bytes::from_static(b"old"));
        assert!(c.get("/papers").is_none());
    }

    #[test]
    fn api_answers_stay_within_the_byte_budget() {
        let c = PageCache::default();
        let entry = |n: usize| {
            Arc::new(ApiEntry {
                generation: c.generation(),
                at: Instant::now(),
                body: Bytes::from(vec![b'x'; n]),
                link: None,
                etag: HeaderValue::from_static("\"e\""),
            })
        };
        let big = MAX_API_BYTES / 10;
        for i in 0..25 {
            c.put_api(format!("/api/{i}"), entry(big));
        }
        let kept = (0..25)
            .filter(|i| c.get_api(&format!("/api/{i}")).is_some())
            .count();
        assert_eq!(kept, 10, "the newest ten fit");
        assert!(c.get_api("/api/24").is_some() && c.get_api("/api/0").is_none());
        // Replacing an entry does not count it twice.
        for _ in 0..5 {
            c.put_api("/api/24".into(), entry(big));
        }
        assert!(c.get_api("/api/23").is_some());
        // An answer too large to keep is simply not kept.
        c.put_api("/api/huge".into(), entry(MAX_API_BYTES / 4));
        assert!(c.get_api("/api/huge").is_none());
    }
}
