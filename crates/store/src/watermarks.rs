//! Harvest positions: how far each source has been read.

use crate::backend::query;
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;

/// Named positions.
#[async_trait]
pub trait Watermarks: Send + Sync {
    /// A named harvest position.
    async fn watermark(&self, name: &str) -> Result<Option<String>, StoreError>;

    /// Stores a named harvest position.
    async fn set_watermark(&self, name: &str, value: &str) -> Result<(), StoreError>;

    /// Every watermark, by name.
    async fn watermarks(&self) -> Result<Vec<(String, String)>, StoreError>;
}

#[async_trait]
impl Watermarks for SqlStore {
    async fn watermark(&self, name: &str) -> Result<Option<String>, StoreError> {
        query("SELECT value FROM watermarks WHERE name = $1")
            .bind(name)
            .scalar_optional(&self.db)
            .await
    }

    async fn set_watermark(&self, name: &str, value: &str) -> Result<(), StoreError> {
        query(
            "INSERT INTO watermarks (name, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(value)
        .bind(now_millis())
        .execute(&self.db)
        .await?;
        Ok(())
    }

    async fn watermarks(&self) -> Result<Vec<(String, String)>, StoreError> {
        query("SELECT name, value FROM watermarks ORDER BY name")
            .fetch_all(&self.db)
            .await
    }
}
