//! Sentence embeddings of papers, kept in the store so that a restart or a new server never
//! re-embeds.
//!
//! Vectors are stored as little-endian float16: half the space of float32, and the rounding
//! (relative error below 1e-3 per component) changes cosine similarities by less than 1e-5.

use crate::backend::query;
use crate::changes::touch;
use crate::ranking::PAPER_UPVOTES;
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use dp_core::ArxivId;

/// A paper that has no vector yet, with the text to embed.
#[derive(Debug, Clone, PartialEq)]
pub struct Unembedded {
    /// The paper.
    pub id: ArxivId,
    /// Its title.
    pub title: String,
    /// Its abstract.
    pub abstract_text: String,
}

/// A stored vector: the paper's bare id and its components.
pub type StoredVector = (String, Vec<f32>);

/// Embeddings in the store.
#[async_trait]
pub trait Vectors: Send + Sync {
    /// Stores (or replaces) vectors of `model`, all of the same length, and raises the papers'
    /// change cursor so that every server's vector index picks them up. Vectors of papers the
    /// store lacks are skipped; returns how many were stored. Refuses vectors whose length
    /// differs from vectors of `model` already stored.
    async fn put_vectors(&self, model: &str, rows: &[StoredVector]) -> Result<usize, StoreError>;

    /// The vectors of `model` for these bare ids (missing ones left out).
    async fn vectors_for(
        &self,
        model: &str,
        ids: &[String],
    ) -> Result<Vec<StoredVector>, StoreError>;

    /// Vectors of `model` of visible papers in id order after `after`, at most `limit`: for
    /// loading an index.
    async fn vectors_after(
        &self,
        model: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredVector>, StoreError>;

    /// How many papers have a vector of `model`, and its dimension (if any is stored).
    async fn vector_stats(&self, model: &str) -> Result<(i64, Option<i64>), StoreError>;

    /// Visible papers without a vector of `model`: those on the newest lists first and, within
    /// a day, the most upvoted (as shown) first; at most `limit`.
    async fn unembedded(&self, model: &str, limit: i64) -> Result<Vec<Unembedded>, StoreError>;
}

#[async_trait]
impl Vectors for SqlStore {
    async fn put_vectors(&self, model: &str, rows: &[StoredVector]) -> Result<usize, StoreError> {
        let Some(first) = rows.first() else {
            return Ok(0);
        };
        let dim = first.1.len();
        if rows.iter().any(|(_, v)| v.len() != dim) {
            return Err(StoreError::Conflict(
                "vectors of different lengths in one batch".into(),
            ));
        }
        let mut tx = self.db.begin_write().await?;
        let stored: Option<i64> = query("SELECT dim FROM paper_vectors WHERE model = $1 LIMIT 1")
            .bind(model)
            .scalar_optional(&mut tx)
            .await?;
        if let Some(stored) = stored {
            if stored != dim as i64 {
                return Err(StoreError::Conflict(format!(
                    "model {model} has {stored}-dimensional vectors in the store; refusing {dim}-dimensional ones"
                )));
            }
        }
        let now = now_millis();
        let mut n = 0;
        for (id, v) in rows {
            let exists: Option<String> = query("SELECT id FROM papers WHERE id = $1")
                .bind(id)
                .scalar_optional(&mut tx)
                .await?;
            if exists.is_none() {
                continue;
            }
            query(
                "INSERT INTO paper_vectors (paper_id, model, dim, vector, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (model, paper_id) DO UPDATE \
                 SET dim = excluded.dim, vector = excluded.vector, created_at = excluded.created_at",
            )
            .bind(id)
            .bind(model)
            .bind(dim as i64)
            .bind(encode(v))
            .bind(now)
            .execute(&mut tx)
            .await?;
            touch(&mut tx, id).await?;
            n += 1;
        }
        tx.commit().await?;
        Ok(n)
    }

    async fn vectors_for(
        &self,
        model: &str,
        ids: &[String],
    ) -> Result<Vec<StoredVector>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut q = query(
                "SELECT paper_id, vector FROM paper_vectors WHERE model = $1 AND paper_id IN (",
            )
            .bind(model);
            q.push_binds(chunk.iter().map(String::as_str)).push(")");
            let rows: Vec<(String, Vec<u8>)> = q.fetch_all(&self.db).await?;
            out.extend(rows.into_iter().map(|(id, b)| (id, decode(&b))));
        }
        Ok(out)
    }

    async fn vectors_after(
        &self,
        model: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredVector>, StoreError> {
        let rows: Vec<(String, Vec<u8>)> = query(
            "SELECT v.paper_id, v.vector FROM paper_vectors v JOIN papers p ON p.id = v.paper_id \
             WHERE v.model = $1 AND v.paper_id > $2 AND NOT p.hidden ORDER BY v.paper_id LIMIT $3",
        )
        .bind(model)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        Ok(rows.into_iter().map(|(id, b)| (id, decode(&b))).collect())
    }

    async fn vector_stats(&self, model: &str) -> Result<(i64, Option<i64>), StoreError> {
        query("SELECT COUNT(*), MAX(dim) FROM paper_vectors WHERE model = $1")
            .bind(model)
            .fetch_one(&self.db)
            .await
    }

    async fn unembedded(&self, model: &str, limit: i64) -> Result<Vec<Unembedded>, StoreError> {
        let rows: Vec<(String, String, String)> = query(format!(
            "SELECT p.id, p.title, p.abstract FROM papers p \
             WHERE NOT p.hidden AND NOT EXISTS (SELECT 1 FROM paper_vectors v \
             WHERE v.model = $1 AND v.paper_id = p.id) \
             ORDER BY COALESCE((SELECT MAX(e.day) FROM feed_entries e WHERE e.paper_id = p.id), '') DESC, \
             {PAPER_UPVOTES} DESC, COALESCE(p.published_at, 0) DESC, p.id DESC LIMIT $2"
        ))
        .bind(model)
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        rows.into_iter()
            .map(|(id, title, abstract_text)| {
                Ok(Unembedded {
                    id: ArxivId::parse(&id)
                        .map_err(|e| StoreError::Corrupt(format!("stored id {id}: {e}")))?,
                    title,
                    abstract_text,
                })
            })
            .collect()
    }
}

/// Encodes unit-length components as little-endian float16.
pub fn encode(v: &[f32]) -> Vec<u8> {
    v.iter()
        .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
        .collect()
}

/// Decodes [`encode`]'s bytes.
pub fn decode(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(2)
        .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float16_round_trip_keeps_direction() {
        let v: Vec<f32> = (0..384).map(|i| ((i as f32) * 0.37).sin() / 11.0).collect();
        let back = decode(&encode(&v));
        assert_eq!(back.len(), 384);
        let dot: f32 = v.iter().zip(&back).map(|(a, b)| a * b).sum();
        let n1: f32 = v.iter().map(|a| a * a).sum::<f32>().sqrt();
        let n2: f32 = back.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!(dot / (n1 * n2) > 0.99999);
    }
}
