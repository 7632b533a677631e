//! Search over the server's indexes (keyword, semantic, hybrid), similar papers, and the
//! matching of saved searches for digests.

use crate::{App, Error};
use chrono::NaiveDate;
use dp_core::ArxivId;
use dp_search::{Hit, Mode};
use dp_store::PaperSummary;
use std::collections::HashMap;

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
        let engine = search.engine();
        let hits = tokio::task::spawn_blocking(move || engine.search(&q, limit, mode))
            .await
            .map_err(Error::internal)?
            .map_err(Error::internal)?;
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
        let engine = search.engine();
        let bare = id.base().to_string();
        let found = tokio::task::spawn_blocking(move || engine.similar(&bare, k))
            .await
            .map_err(Error::internal)?
            .map_err(Error::internal)?;
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
