//! One search over both indexes: keyword (BM25), semantic (embedding similarity) and their
//! fusion, plus similar papers.
//!
//! Hybrid ranking takes the top [`DEPTH`] of each side, gives every candidate its real cosine
//! similarity, standardises each list (z-scores: mean 0, deviation 1) and adds them:
//! `α · z(keyword) + (1 − α) · z(semantic)`, where a paper missing from the keyword list gets
//! that list's lowest score. The default α and the choice of this over min-max scaling and
//! reciprocal-rank fusion come from `dailypapers bench search --beir` (see [`Fusion`]).
//! Shortcuts (an arXiv id, an exact title, an author's full name, a method name in capitals)
//! skip fusion and come first.

use crate::embed::Embedder;
use crate::keyword::Candidate;
use crate::query::SearchQuery;
use crate::vector::VectorIndex;
use crate::{Hit, KeywordIndex, SearchError};
use std::collections::HashMap;
use std::sync::Arc;

/// Candidates taken from each side before fusing.
pub const DEPTH: usize = 100;

/// How results are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// BM25 only.
    Keyword,
    /// Embedding similarity only.
    Semantic,
    /// Both, fused.
    Hybrid,
}

/// How keyword and semantic lists are fused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    /// `α · minmax(bm25) + (1 − α) · minmax(cosine)`.
    Convex {
        /// Weight of the keyword side.
        alpha: f32,
    },
    /// `α · z(bm25) + (1 − α) · z(cosine)`, each list standardised (mean 0, deviation 1).
    ZScore {
        /// Weight of the keyword side.
        alpha: f32,
    },
    /// Reciprocal-rank fusion: `Σ w / (k + rank)`, the keyword side weighted `keyword_weight`.
    Rrf {
        /// The rank offset (60 in the original paper).
        k: f32,
        /// Weight of the keyword list (the semantic list has weight 1).
        keyword_weight: f32,
    },
}

impl Default for Fusion {
    /// Tuned on SciFact train and CACM test (`bench search --beir`), see the README: z-score
    /// fusion with α = 0.3 gave nDCG@10 0.733 and 0.557, min-max (convex) fusion with α = 0.3
    /// 0.730 and 0.560, plain reciprocal-rank fusion 0.710 and 0.542.
    fn default() -> Self {
        Fusion::ZScore { alpha: 0.3 }
    }
}

/// The semantic side: the model for queries and the index of paper vectors.
#[derive(Clone)]
pub struct Semantic {
    /// Embeds queries.
    pub embedder: Arc<Embedder>,
    /// Paper vectors.
    pub vectors: Arc<VectorIndex>,
}

/// Keyword, semantic and hybrid search.
#[derive(Clone)]
pub struct Engine {
    /// The keyword index.
    pub keyword: Arc<KeywordIndex>,
    /// The semantic side, when a model is configured.
    pub semantic: Option<Semantic>,
    /// How hybrid ranking fuses.
    pub fusion: Fusion,
    /// Pseudo-relevance feedback for the semantic side of hybrid ranking: after a first fusion,
    /// the query vector moves towards the mean vector of the top `docs` results by `weight`,
    /// and the semantic list is searched again. `None`: off.
    pub feedback: Option<Feedback>,
}

/// Pseudo-relevance feedback settings (see [`Engine::feedback`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feedback {
    /// How many top results feed back.
    pub docs: usize,
    /// How far the query vector moves towards their mean.
    pub weight: f32,
}

fn minmax(scores: impl Iterator<Item = (String, f32)>) -> HashMap<String, f32> {
    let v: Vec<(String, f32)> = scores.collect();
    let lo = v.iter().map(|x| x.1).fold(f32::INFINITY, f32::min);
    let hi = v.iter().map(|x| x.1).fold(f32::NEG_INFINITY, f32::max);
    let span = hi - lo;
    v.into_iter()
        .map(|(id, s)| (id, if span > 0.0 { (s - lo) / span } else { 1.0 }))
        .collect()
}

fn zscore(scores: impl Iterator<Item = (String, f32)>) -> HashMap<String, f32> {
    let v: Vec<(String, f32)> = scores.collect();
    let n = v.len().max(1) as f32;
    let mean = v.iter().map(|x| x.1).sum::<f32>() / n;
    let sd = (v.iter().map(|x| (x.1 - mean).powi(2)).sum::<f32>() / n).sqrt();
    v.into_iter()
        .map(|(id, s)| (id, if sd > 0.0 { (s - mean) / sd } else { 0.0 }))
        .collect()
}

/// Fuses a keyword list and a semantic list (each best first) into one, best first.
pub fn fuse(keyword: &[Candidate], semantic: &[(String, f32)], fusion: Fusion) -> Vec<Candidate> {
    let mut score: HashMap<String, f32> = HashMap::new();
    match fusion {
        Fusion::Convex { alpha } => {
            let plain = keyword.iter().filter(|c| !c.shortcut);
            for (id, s) in minmax(plain.map(|c| (c.id.clone(), c.score))) {
                *score.entry(id).or_default() += alpha * s;
            }
            for (id, s) in minmax(semantic.iter().cloned()) {
                *score.entry(id).or_default() += (1.0 - alpha) * s;
            }
        }
        Fusion::ZScore { alpha } => {
            let plain = keyword.iter().filter(|c| !c.shortcut);
            let kw = zscore(plain.map(|c| (c.id.clone(), c.score)));
            let sem = zscore(semantic.iter().cloned());
            // A paper missing from a list gets that list's lowest standardised score.
            let kw_floor = kw.values().copied().fold(0.0f32, f32::min);
            let sem_floor = sem.values().copied().fold(0.0f32, f32::min);
            let ids: std::collections::HashSet<&String> = kw.keys().chain(sem.keys()).collect();
            for id in ids {
                let k = kw.get(id).copied().unwrap_or(kw_floor);
                let s = sem.get(id).copied().unwrap_or(sem_floor);
                score.insert(id.clone(), alpha * k + (1.0 - alpha) * s);
            }
        }
        Fusion::Rrf { k, keyword_weight } => {
            for (rank, c) in keyword.iter().filter(|c| !c.shortcut).enumerate() {
                *score.entry(c.id.clone()).or_default() += keyword_weight / (k + rank as f32 + 1.0);
            }
            for (rank, (id, _)) in semantic.iter().enumerate() {
                *score.entry(id.clone()).or_default() += 1.0 / (k + rank as f32 + 1.0);
            }
        }
    }
    let mut out: Vec<Candidate> = keyword.iter().filter(|c| c.shortcut).cloned().collect();
    for c in &out {
        score.remove(&c.id);
    }
    let mut rest: Vec<Candidate> = score
        .into_iter()
        .map(|(id, score)| Candidate {
            id,
            score,
            shortcut: false,
        })
        .collect();
    rest.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    out.extend(rest);
    out
}

impl Engine {
    /// Keyword search only.
    pub fn keyword_only(keyword: Arc<KeywordIndex>) -> Engine {
        Engine {
            keyword,
            semantic: None,
            fusion: Fusion::default(),
            feedback: None,
        }
    }

    /// The mode a query actually gets: without a model, or for an id or filters alone, keyword.
    pub fn effective_mode(&self, q: &SearchQuery, mode: Mode) -> Mode {
        if self.semantic.is_none() || q.id.is_some() || q.only_filters() {
            Mode::Keyword
        } else {
            mode
        }
    }

    /// Embeds the free text of `q` (quotes dropped).
    pub fn embed_query(&self, q: &SearchQuery) -> Result<Option<Vec<f32>>, SearchError> {
        let Some(sem) = &self.semantic else {
            return Ok(None);
        };
        let text = q.text.replace('"', " ");
        Ok(sem.embedder.embed(&[text.trim()])?.into_iter().next())
    }

    /// Ranked candidates for `q` without highlights. `query_vector` may be given when already
    /// computed (benchmarks); otherwise it is embedded here when the mode needs it.
    pub fn rank(
        &self,
        q: &SearchQuery,
        limit: usize,
        mode: Mode,
        query_vector: Option<&[f32]>,
    ) -> Result<Vec<Candidate>, SearchError> {
        let mode = self.effective_mode(q, mode);
        let depth = DEPTH.max(limit);
        let sem = match &self.semantic {
            Some(sem) if mode != Mode::Keyword => sem,
            // Keyword only: re-rank the top `depth`, read ids for the `limit` shown.
            _ => {
                let mut k = self.keyword.candidates_kept(q, depth, limit)?;
                k.truncate(limit);
                return Ok(k);
            }
        };
        let has_filters =
            q.category.is_some() || q.author.is_some() || q.from.is_some() || q.to.is_some();
        let semantic_list = |v: &[f32]| -> Result<Vec<(String, f32)>, SearchError> {
            let mut found =
                sem.vectors
                    .search(v, if has_filters { depth * 4 } else { depth }, None)?;
            if has_filters {
                let ids: Vec<String> = found.iter().map(|s| s.0.clone()).collect();
                let pass = self.keyword.passing(q, &ids)?;
                found.retain(|s| pass.contains(&s.0));
                found.truncate(depth);
            }
            Ok(found)
        };
        // Hybrid: the keyword side runs on another thread while this one embeds the query and
        // searches the vectors, so a query costs the slower side, not the sum of both (over
        // 3,000,000 papers either side can take tens of milliseconds).
        let (keyword, vector, semantic) = std::thread::scope(|s| {
            // When no thread can be started (the system's limit under load), the keyword side
            // runs on this one afterwards.
            let keyword = (mode == Mode::Hybrid).then(|| {
                std::thread::Builder::new()
                    .name("keyword-side".into())
                    .spawn_scoped(s, || self.keyword.candidates(q, depth))
                    .map_err(|_| ())
            });
            let side = (|| {
                let vector: std::borrow::Cow<'_, [f32]> = match query_vector {
                    Some(v) => v.into(),
                    None => self.embed_query(q)?.unwrap_or_default().into(),
                };
                let semantic = semantic_list(&vector)?;
                Ok::<_, SearchError>((vector, semantic))
            })();
            let keyword = match keyword {
                Some(Ok(handle)) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?,
                Some(Err(())) => self.keyword.candidates(q, depth)?,
                None => Vec::new(),
            };
            let (vector, semantic) = side?;
            Ok::<_, SearchError>((keyword, vector, semantic))
        })?;
        let vector = &*vector;
        let mut out = match mode {
            Mode::Semantic => semantic
                .into_iter()
                .map(|(id, score)| Candidate {
                    id,
                    score,
                    shortcut: false,
                })
                .collect(),
            _ => {
                let first = self.fuse_full(&keyword, &semantic, vector);
                match self.feedback {
                    Some(fb) if fb.docs > 0 => {
                        let moved = self.feedback_vector(vector, &first, fb);
                        let semantic = semantic_list(&moved)?;
                        self.fuse_full(&keyword, &semantic, &moved)
                    }
                    _ => first,
                }
            }
        };
        out.truncate(limit);
        Ok(out)
    }

    /// Fuses after giving every candidate of either list its real cosine similarity (a paper
    /// the semantic list missed still has a vector), so that fusion never treats "not in the
    /// top 100" as "unrelated".
    fn fuse_full(
        &self,
        keyword: &[Candidate],
        semantic: &[(String, f32)],
        vector: &[f32],
    ) -> Vec<Candidate> {
        let Some(sem) = &self.semantic else {
            return keyword.to_vec();
        };
        if let Fusion::Rrf { .. } = self.fusion {
            return fuse(keyword, semantic, self.fusion);
        }
        let mut full: Vec<(String, f32)> = semantic.to_vec();
        let known: std::collections::HashSet<&str> =
            semantic.iter().map(|s| s.0.as_str()).collect();
        for c in keyword.iter().filter(|c| !c.shortcut) {
            if !known.contains(c.id.as_str()) {
                if let Some(v) = sem.vectors.get(&c.id) {
                    full.push((c.id.clone(), crate::vector::dot(&v, vector)));
                }
            }
        }
        fuse(keyword, &full, self.fusion)
    }

    /// The query vector moved towards the mean of the top results' vectors, renormalised.
    fn feedback_vector(&self, vector: &[f32], ranked: &[Candidate], fb: Feedback) -> Vec<f32> {
        let Some(sem) = &self.semantic else {
            return vector.to_vec();
        };
        let mut moved = vector.to_vec();
        let tops: Vec<Vec<f32>> = ranked
            .iter()
            .take(fb.docs)
            .filter_map(|c| sem.vectors.get(&c.id))
            .collect();
        if tops.is_empty() {
            return moved;
        }
        let w = fb.weight / tops.len() as f32;
        for t in &tops {
            for (m, x) in moved.iter_mut().zip(t) {
                *m += w * x;
            }
        }
        let n = crate::vector::dot(&moved, &moved).sqrt().max(1e-12);
        moved.iter_mut().for_each(|m| *m /= n);
        moved
    }

    /// The best `limit` papers for `q`, with highlights.
    pub fn search(
        &self,
        q: &SearchQuery,
        limit: usize,
        mode: Mode,
    ) -> Result<Vec<Hit>, SearchError> {
        let limit = limit.clamp(1, 1000);
        let ranked = self.rank(q, limit, mode, None)?;
        self.keyword.render(q, &ranked)
    }

    /// The `k` papers nearest to paper `id` by embedding (itself left out); empty when it has
    /// no vector or there is no model.
    pub fn similar(&self, id: &str, k: usize) -> Result<Vec<(String, f32)>, SearchError> {
        let Some(sem) = &self.semantic else {
            return Ok(Vec::new());
        };
        let Some(v) = sem.vectors.get(id) else {
            return Ok(Vec::new());
        };
        let mut found = sem.vectors.search(&v, k + 1, None)?;
        found.retain(|(other, _)| other != id);
        found.truncate(k);
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, score: f32, shortcut: bool) -> Candidate {
        Candidate {
            id: id.into(),
            score,
            shortcut,
        }
    }

    #[test]
    fn convex_fusion_adds_scaled_scores() {
        let kw = [c("a", 10.0, false), c("b", 5.0, false), c("c", 0.0, false)];
        let sem = [
            ("c".to_string(), 0.9),
            ("b".to_string(), 0.8),
            ("d".to_string(), 0.1),
        ];
        let out = fuse(&kw, &sem, Fusion::Convex { alpha: 0.5 });
        let ids: Vec<&str> = out.iter().map(|c| c.id.as_str()).collect();
        // a: 0.5, b: 0.25 + 0.4375 = 0.6875, c: 0 + 0.5, d: 0.
        assert_eq!(ids, ["b", "a", "c", "d"]);
    }

    #[test]
    fn shortcuts_stay_first() {
        let kw = [c("exact", 1005.0, true), c("a", 10.0, false)];
        let sem = [("z".to_string(), 0.99), ("a".to_string(), 0.5)];
        for fusion in [
            Fusion::default(),
            Fusion::Rrf {
                k: 60.0,
                keyword_weight: 1.0,
            },
        ] {
            let out = fuse(&kw, &sem, fusion);
            assert_eq!(out[0].id, "exact");
            assert_eq!(out.len(), 3);
        }
    }

    #[test]
    fn rrf_rewards_agreement() {
        let kw = [c("a", 3.0, false), c("b", 2.0, false)];
        let sem = [("b".to_string(), 0.9), ("c".to_string(), 0.8)];
        let out = fuse(
            &kw,
            &sem,
            Fusion::Rrf {
                k: 60.0,
                keyword_weight: 1.0,
            },
        );
        assert_eq!(out[0].id, "b");
    }
}
