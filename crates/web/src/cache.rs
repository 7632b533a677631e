//! Rendered pages for readers who are not signed in, kept until anything changes.
//!
//! Every write on this server bumps the generation at once; changes made elsewhere (another app
//! server, a CLI import) are found by [`watch_changes`] through the store's change cursor
//! (PostgreSQL wakes it with `LISTEN/NOTIFY`). Entries also expire after [`MAX_AGE`], so
//! relative times stay fresh.

use axum::body::Bytes;
use dp_store::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Longest a page is served from the cache.
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// Most pages kept; the cache is cleared when full.
pub const MAX_ENTRIES: usize = 4_096;

struct Entry {
    generation: u64,
    at: Instant,
    body: Bytes,
}

/// The page cache of one server.
#[derive(Default)]
pub struct PageCache {
    generation: AtomicU64,
    pages: RwLock<HashMap<String, Entry>>,
    /// Pages being rendered: later requests for the same page wait for the first one instead
    /// of rendering it again (after every change, all readers miss at once).
    inflight: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
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
        self.generation.fetch_add(1, Ordering::AcqRel);
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
}
