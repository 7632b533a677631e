//! Search over the server's indexes (keyword, semantic, hybrid), similar papers, and the
//! matching of saved searches for digests.

use crate::{App, Error};
use chrono::NaiveDate;
use dp_core::ArxivId;
use dp_search::{Hit, Mode};
use dp_store::PaperSummary;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Bytes of recent results kept (keys included).
const HIT_CACHE_BYTES: u64 = 16 << 20;
/// Longest query whose results are kept.
const MAX_CACHED_QUERY: usize = 1_024;

/// Recent results of the search engine, keyed by the query and the state of the indexes (so a
/// result never outlives a change of the index): repeated queries skip the embedding model and
/// both indexes. Papers are read from the store on every answer, so counts stay current.
#[derive(Clone)]
pub struct ResultCache {
    hits: moka::sync::Cache<String, Arc<Vec<Hit>>>,
    similar: moka::sync::Cache<String, Arc<Vec<(String, f32)>>>,
}

impl Default for ResultCache {
    fn default() -> Self {
        ResultCache {
            hits: moka::sync::Cache::builder()
                .max_capacity(HIT_CACHE_BYTES)
                .weigher(|k: &String, v: &Arc<Vec<Hit>>| {
                    let hits: usize = v
                        .iter()
                        .map(|h| {
                            128 + h.id.len()
                                + h.title.iter().map(|p| p.text.len() + 16).sum::<usize>()
                                + h.snippet.iter().map(|p| p.text.len() + 16).sum::<usize>()
                        })
                        .sum();
                    u32::try_from(k.len() + hits).unwrap_or(u32::MAX)
                })
                .time_to_live(Duration::from_secs(600))
                .build(),
            similar: moka::sync::Cache::builder()
                .max_capacity(HIT_CACHE_BYTES / 4)
                .weigher(|k: &String, v: &Arc<Vec<(String, f32)>>| {
                    u32::try_from(k.len() + v.len() * 48).unwrap_or(u32::MAX)
                })
                .time_to_live(Duration::from_secs(600))
                .build(),
        }
    }
}

/// A ranking mode from its name; empty means hybrid.
pub fn parse_mode(s: &str) -> Result<Mode, Error> {
    match s.trim() {
        "" | "hybrid" => Ok(Mode::Hybrid),
        "keyword" => Ok(Mode::Keyword),
        "semantic" => Ok(Mode::Semantic),
        _ => Err(Error::Invalid(
            "mode: expected hybrid, keyword or semantic".into(),
        )),
    }
}

impl App {
    /// Runs a reader's query; the hits and their papers from the store, in rank order.
    pub async fn search(
        &self,
        raw: &str,
        limit: usize,
        mode: Mode,
    ) -> Result<Vec<(Hit, PaperSummary)>, Error> {
        let Some(search) = &self.search else {
            return Err(Error::Unavailable(
                "Search is not available on this server.".into(),
            ));
        };
        let q = dp_search::parse(raw).map_err(|e| Error::Invalid(format!("q: {e}")))?;
        let key = format!(
            "search|{mode:?}|{limit}|{}|{}|{raw}",
            search.seen(),
            search.vectors_loaded()
        );
        let hits = match self.results.hits.get(&key) {
            Some(hits) => hits,
            None => {
                let engine = search.engine();
                let hits = tokio::task::spawn_blocking(move || engine.search(&q, limit, mode))
                    .await
                    .map_err(Error::internal)?
                    .map_err(Error::internal)?;
                let hits = Arc::new(hits);
                if raw.len() <= MAX_CACHED_QUERY {
                    self.results.hits.insert(key, hits.clone());
                }
                hits
            }
        };
        let hits = hits.as_ref().clone();
        let ids: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
        let mut papers = self.summaries(&ids).await?;
        Ok(hits
            .into_iter()
            .filter_map(|h| papers.remove(&h.id).map(|p| (h, p)))
            .collect())
    }

    /// The `k` papers nearest to `id` by embedding, with their similarity, in order. Empty when
    /// search has no model or the paper has no vector yet.
    pub async fn similar(&self, id: &ArxivId, k: usize) -> Result<Vec<(f32, PaperSummary)>, Error> {
        let Some(search) = &self.search else {
            return Ok(Vec::new());
        };
        let bare = id.base().to_string();
        let key = format!(
            "similar|{k}|{}|{}|{bare}",
            search.seen(),
            search.vectors_loaded()
        );
        let found = match self.results.similar.get(&key) {
            Some(found) => found,
            None => {
                let engine = search.engine();
                let found = tokio::task::spawn_blocking(move || engine.similar(&bare, k))
                    .await
                    .map_err(Error::internal)?
                    .map_err(Error::internal)?;
                let found = Arc::new(found);
                self.results.similar.insert(key, found.clone());
                found
            }
        };
        let found = found.as_ref().clone();
        let ids: Vec<String> = found.iter().map(|f| f.0.clone()).collect();
        let mut papers = self.summaries(&ids).await?;
        Ok(found
            .into_iter()
            .filter_map(|(id, score)| papers.remove(&id).map(|p| (score, p)))
            .collect())
    }

    /// [`App::similar`] of a paper the store has; [`Error::NotFound`] otherwise.
    pub async fn similar_to_known(
        &self,
        id: &ArxivId,
        k: usize,
    ) -> Result<Vec<(f32, PaperSummary)>, Error> {
        if self.store.paper(id).await?.is_none() {
            return Err(Error::NotFound("Paper not found".into()));
        }
        self.similar(id, k).await
    }

    async fn summaries(&self, ids: &[String]) -> Result<HashMap<String, PaperSummary>, Error> {
        Ok(self
            .store
            .papers_by_ids(ids)
            .await?
            .into_iter()
            .map(|p| (p.paper.id.base().to_string(), p))
            .collect())
    }
}

/// Saved searches through a keyword index: the query's words, papers first published in the
/// window. Digests (sent by the worker or the CLI, previewed by admins) use it.
pub struct IndexMatcher(pub dp_search::Engine);

impl dp_mail::run::Matcher for IndexMatcher {
    fn matches(&self, query: &str, from: NaiveDate, to: NaiveDate, limit: usize) -> Vec<String> {
        let Ok(q) = dp_search::parse(&format!("{query} from:{from} to:{to}")) else {
            return Vec::new();
        };
        match self.0.search(&q, limit, Mode::Keyword) {
            Ok(hits) => hits.into_iter().map(|h| h.id).collect(),
            Err(e) => {
                tracing::warn!(error = %e, query, "saved search failed");
                Vec::new()
            }
        }
    }
}
