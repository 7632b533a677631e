//! Rate limits counted in the store, so every server on one database shares them.

use crate::backend::query;
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use std::time::Duration;

/// Fixed-window counters.
#[async_trait]
pub trait RateLimits: Send + Sync {
    /// Counts one event against `key` in the current fixed window of `window` and returns the
    /// count so far in that window. Shared by every server on the store.
    async fn hit_rate_limit(&self, key: &str, window: Duration) -> Result<i64, StoreError>;

    /// The count of `key` so far in the current window of `window`, counting nothing.
    async fn rate_limit_count(&self, key: &str, window: Duration) -> Result<i64, StoreError>;
}

/// The start of the current fixed window of `window`, in store time.
fn window_start(window: Duration) -> i64 {
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1);
    now_millis() / window_ms * window_ms
}

#[async_trait]
impl RateLimits for SqlStore {
    async fn hit_rate_limit(&self, key: &str, window: Duration) -> Result<i64, StoreError> {
        let start = window_start(window);
        query(
            "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             count = CASE WHEN rate_limits.window_start = excluded.window_start \
                          THEN rate_limits.count + 1 ELSE 1 END, \
             window_start = excluded.window_start \
             RETURNING count",
        )
        .bind(key)
        .bind(start)
        .scalar(&self.db)
        .await
    }

    async fn rate_limit_count(&self, key: &str, window: Duration) -> Result<i64, StoreError> {
        Ok(
            query("SELECT count FROM rate_limits WHERE key = $1 AND window_start = $2")
                .bind(key)
                .bind(window_start(window))
                .scalar_optional::<i64>(&self.db)
                .await?
                .unwrap_or(0),
        )
    }
}
