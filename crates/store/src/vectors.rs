//! Sentence embeddings of papers, kept in the store so that a restart or a new server never
//! re-embeds. Part of [`crate::Store`] (a supertrait), implemented once for both databases in
//! `community_sql.rs`.
//!
//! Vectors are stored as little-endian float16: half the space of float32, and the rounding
//! (relative error below 1e-3 per component) changes cosine similarities by less than 1e-5.

use crate::StoreError;
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

    /// Visible papers without a vector of `model`, newest first and, within a day, the most
    /// upvoted first; at most `limit`.
    async fn unembedded(&self, model: &str, limit: i64) -> Result<Vec<Unembedded>, StoreError>;
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
