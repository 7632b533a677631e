//! Hub repositories that cite a paper, as the Hugging Face Hub last said (derived data: the
//! `hub-repos` job fetches it again on a schedule, and a store copy leaves it out).

use crate::backend::query;
use crate::changes::touch;
use crate::{millis, SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use dp_core::{ArxivId, HubKind, HubRepo, HubRepos};

/// Models, datasets and Spaces citing papers.
#[async_trait]
pub trait HubLinks: Send + Sync {
    /// Stores what the Hub said of `paper` now, replacing what it said before. `true` when that
    /// changed what readers see (the paper is then marked changed for caches and indexes).
    async fn set_hub_repos(&self, paper: &ArxivId, repos: &HubRepos) -> Result<bool, StoreError>;

    /// What the Hub last said of `paper`; `None` when it was never asked.
    async fn hub_repos(&self, paper: &ArxivId) -> Result<Option<HubRepos>, StoreError>;

    /// Papers on a list whose Hub repositories were never fetched or were fetched before
    /// `checked_before`: the newest list day first, at most `limit`.
    async fn papers_due_for_hub(
        &self,
        checked_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ArxivId>, StoreError>;
}

#[derive(sqlx::FromRow)]
struct CheckRow {
    checked_at: i64,
    num_models: i64,
    num_datasets: i64,
    num_spaces: i64,
}

#[derive(sqlx::FromRow)]
struct RepoRow {
    kind: String,
    repo_id: String,
    data: String,
}

#[async_trait]
impl HubLinks for SqlStore {
    async fn set_hub_repos(&self, paper: &ArxivId, repos: &HubRepos) -> Result<bool, StoreError> {
        let id = paper.base();
        let before = self.hub_repos(paper).await?;
        let changed = before.as_ref().is_none_or(|b| !b.same_as(repos));
        let mut tx = self.db.begin_write().await?;
        query(
            "INSERT INTO hub_checks (paper_id, checked_at, num_models, num_datasets, num_spaces) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (paper_id) DO UPDATE SET \
             checked_at = excluded.checked_at, num_models = excluded.num_models, \
             num_datasets = excluded.num_datasets, num_spaces = excluded.num_spaces",
        )
        .bind(id)
        .bind(millis(repos.checked_at))
        .bind(repos.num_models)
        .bind(repos.num_datasets)
        .bind(repos.num_spaces)
        .execute(&mut tx)
        .await?;
        if changed {
            query("DELETE FROM hub_repos WHERE paper_id = $1")
                .bind(id)
                .execute(&mut tx)
                .await?;
            for kind in HubKind::ALL {
                for (i, r) in repos.of(kind).iter().enumerate() {
                    query(
                        "INSERT INTO hub_repos (paper_id, kind, position, repo_id, data) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(id)
                    .bind(kind.as_str())
                    .bind(i as i64)
                    .bind(r.id.as_str())
                    .bind(r.json.as_str())
                    .execute(&mut tx)
                    .await?;
                }
            }
            // A first check that found nothing changes nothing a reader sees.
            if before.is_some() || !repos.is_empty() {
                touch(&mut tx, id).await?;
            }
        }
        tx.commit().await?;
        Ok(changed && (before.is_some() || !repos.is_empty()))
    }

    async fn hub_repos(&self, paper: &ArxivId) -> Result<Option<HubRepos>, StoreError> {
        let check: Option<CheckRow> = query(
            "SELECT checked_at, num_models, num_datasets, num_spaces FROM hub_checks \
             WHERE paper_id = $1",
        )
        .bind(paper.base())
        .fetch_optional(&self.db)
        .await?;
        let Some(c) = check else {
            return Ok(None);
        };
        let checked_at = Utc
            .timestamp_millis_opt(c.checked_at)
            .single()
            .ok_or_else(|| StoreError::Corrupt(format!("hub check time {}", c.checked_at)))?;
        let mut out = HubRepos::none(checked_at);
        out.num_models = c.num_models;
        out.num_datasets = c.num_datasets;
        out.num_spaces = c.num_spaces;
        let rows: Vec<RepoRow> = query(
            "SELECT kind, repo_id, data FROM hub_repos WHERE paper_id = $1 \
             ORDER BY kind, position",
        )
        .bind(paper.base())
        .fetch_all(&self.db)
        .await?;
        for r in rows {
            let kind = HubKind::parse(&r.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("hub repo kind {:?}", r.kind)))?;
            out.of_mut(kind).push(HubRepo {
                id: r.repo_id,
                json: r.data,
            });
        }
        Ok(Some(out))
    }

    async fn papers_due_for_hub(
        &self,
        checked_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ArxivId>, StoreError> {
        let ids: Vec<String> = query(
            "SELECT e.paper_id FROM feed_entries e \
             LEFT JOIN hub_checks c ON c.paper_id = e.paper_id \
             WHERE c.paper_id IS NULL OR c.checked_at < $1 \
             GROUP BY e.paper_id ORDER BY MAX(e.day) DESC, e.paper_id LIMIT $2",
        )
        .bind(millis(checked_before))
        .bind(limit)
        .scalars(&self.db)
        .await?;
        crate::rows::parse_ids(&ids)
    }
}
