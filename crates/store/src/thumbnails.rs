//! Thumbnails: pictures this site serves itself, stored by content hash, and which one each
//! listed paper shows.

use crate::backend::{query, CHUNK};
use crate::changes::touch;
use crate::{millis, SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dp_core::ArxivId;
use std::collections::HashMap;

/// A paper's thumbnail as pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumb {
    /// SHA-256 of the picture, hex.
    pub hash: String,
    /// Its type.
    pub mime: String,
    /// Width in pixels.
    pub width: i64,
    /// Height in pixels.
    pub height: i64,
}

impl Thumb {
    /// The file extension of its type.
    pub fn ext(&self) -> &'static str {
        ext_of(&self.mime)
    }
}

/// The file extension of a stored picture type (`png`, `jpg`, `webp`, `gif`).
pub fn ext_of(mime: &str) -> &'static str {
    match mime {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "gif",
    }
}

/// A checked picture to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImage<'a> {
    /// SHA-256 of `bytes`, hex.
    pub hash: &'a str,
    /// Its type.
    pub mime: &'a str,
    /// Width in pixels.
    pub width: i64,
    /// Height in pixels.
    pub height: i64,
    /// The picture.
    pub bytes: &'a [u8],
}

/// Thumbnails of papers.
#[async_trait]
pub trait Thumbnails: Send + Sync {
    /// Listed papers without a thumbnail: never tried, or failed before `retry_before`; the
    /// newest list day first, at most `limit`.
    async fn papers_due_for_thumbnail(
        &self,
        retry_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ArxivId>, StoreError>;

    /// Records a paper's thumbnail (`Ok`) or why it has none (`Err`), from `source`.
    async fn set_thumbnail(
        &self,
        paper: &ArxivId,
        result: Result<NewImage<'_>, &str>,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The thumbnails of these papers (bare ids), where they have one.
    async fn thumbnails_of(&self, papers: &[String]) -> Result<HashMap<String, Thumb>, StoreError>;

    /// A stored picture: its type and bytes.
    async fn image(&self, hash: &str) -> Result<Option<(String, Vec<u8>)>, StoreError>;
}

#[derive(sqlx::FromRow)]
struct ThumbRow {
    paper_id: String,
    hash: String,
    mime: String,
    width: i64,
    height: i64,
}

#[async_trait]
impl Thumbnails for SqlStore {
    async fn papers_due_for_thumbnail(
        &self,
        retry_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ArxivId>, StoreError> {
        let ids: Vec<String> = query(
            "SELECT e.paper_id FROM feed_entries e \
             LEFT JOIN thumbnails t ON t.paper_id = e.paper_id \
             WHERE t.paper_id IS NULL OR (t.hash IS NULL AND t.checked_at < $1) \
             GROUP BY e.paper_id ORDER BY MAX(e.day) DESC, e.paper_id LIMIT $2",
        )
        .bind(millis(retry_before))
        .bind(limit)
        .scalars(&self.db)
        .await?;
        crate::rows::parse_ids(&ids)
    }

    async fn set_thumbnail(
        &self,
        paper: &ArxivId,
        result: Result<NewImage<'_>, &str>,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        let (hash, error) = match &result {
            Ok(img) => {
                query(
                    "INSERT INTO images (hash, mime, width, height, bytes, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING",
                )
                .bind(img.hash)
                .bind(img.mime)
                .bind(img.width)
                .bind(img.height)
                .bind(img.bytes.to_vec())
                .bind(millis(now))
                .execute(&mut tx)
                .await?;
                (Some(img.hash), None)
            }
            Err(why) => (None, Some(*why)),
        };
        query(
            "INSERT INTO thumbnails (paper_id, hash, source, error, checked_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (paper_id) DO UPDATE SET \
             hash = excluded.hash, source = excluded.source, error = excluded.error, \
             checked_at = excluded.checked_at",
        )
        .bind(paper.base())
        .bind(hash)
        .bind(source)
        .bind(error)
        .bind(millis(now))
        .execute(&mut tx)
        .await?;
        if hash.is_some() {
            touch(&mut tx, paper.base()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn thumbnails_of(&self, papers: &[String]) -> Result<HashMap<String, Thumb>, StoreError> {
        let mut out = HashMap::new();
        for chunk in papers.chunks(CHUNK) {
            let mut q = query(
                "SELECT t.paper_id, t.hash, i.mime, i.width, i.height FROM thumbnails t \
                 JOIN images i ON i.hash = t.hash WHERE t.paper_id IN (",
            );
            q.push_binds(chunk.iter().map(String::as_str)).push(")");
            let rows: Vec<ThumbRow> = q.fetch_all(&self.db).await?;
            for r in rows {
                out.insert(
                    r.paper_id,
                    Thumb {
                        hash: r.hash,
                        mime: r.mime,
                        width: r.width,
                        height: r.height,
                    },
                );
            }
        }
        Ok(out)
    }

    async fn image(&self, hash: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        query("SELECT mime, bytes FROM images WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.db)
            .await
    }
}
