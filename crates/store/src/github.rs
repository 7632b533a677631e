//! GitHub repositories linked from listed papers: their stars as GitHub's API last gave them,
//! kept on the list entries that link them (trending reads them there), with the ETag for
//! conditional requests.

use crate::backend::query;
use crate::changes::touch;
use crate::{millis, SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};

/// What GitHub last said of one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubCheck {
    /// `owner/name`, lower case.
    pub repo: String,
    /// Its stars (`None`: GitHub did not say, e.g. the repository is gone).
    pub stars: Option<i64>,
    /// The ETag of GitHub's answer, for the next conditional request.
    pub etag: Option<String>,
    /// When GitHub was asked.
    pub checked_at: DateTime<Utc>,
}

/// Stars of linked GitHub repositories.
#[async_trait]
pub trait GithubStars: Send + Sync {
    /// Every code link of a list entry, with the newest day (`YYYY-MM-DD`) it is linked on,
    /// newest first.
    async fn github_links(&self) -> Result<Vec<(String, String)>, StoreError>;

    /// Every repository asked about so far.
    async fn github_checks(&self) -> Result<Vec<GithubCheck>, StoreError>;

    /// Records a check of a repository. With stars, they are copied onto the list entries
    /// whose code link is one of `links`, and papers whose count changed are marked changed.
    /// Returns how many entries changed.
    async fn set_github_check(
        &self,
        check: &GithubCheck,
        links: &[String],
    ) -> Result<usize, StoreError>;
}

#[derive(sqlx::FromRow)]
struct CheckRow {
    repo: String,
    stars: Option<i64>,
    etag: Option<String>,
    checked_at: i64,
}

#[async_trait]
impl GithubStars for SqlStore {
    async fn github_links(&self) -> Result<Vec<(String, String)>, StoreError> {
        query(
            "SELECT github_repo, MAX(day) AS day FROM feed_entries \
             WHERE github_repo IS NOT NULL AND github_repo <> '' \
             GROUP BY github_repo ORDER BY MAX(day) DESC, github_repo",
        )
        .fetch_all(&self.db)
        .await
    }

    async fn github_checks(&self) -> Result<Vec<GithubCheck>, StoreError> {
        let rows: Vec<CheckRow> =
            query("SELECT repo, stars, etag, checked_at FROM github_repos ORDER BY repo")
                .fetch_all(&self.db)
                .await?;
        rows.into_iter()
            .map(|r| {
                let checked_at = Utc
                    .timestamp_millis_opt(r.checked_at)
                    .single()
                    .ok_or_else(|| StoreError::Corrupt(format!("check time {}", r.checked_at)))?;
                Ok(GithubCheck {
                    repo: r.repo,
                    stars: r.stars,
                    etag: r.etag,
                    checked_at,
                })
            })
            .collect()
    }

    async fn set_github_check(
        &self,
        check: &GithubCheck,
        links: &[String],
    ) -> Result<usize, StoreError> {
        let mut tx = self.db.begin_write().await?;
        query(
            "INSERT INTO github_repos (repo, stars, etag, checked_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (repo) DO UPDATE SET stars = excluded.stars, etag = excluded.etag, \
             checked_at = excluded.checked_at",
        )
        .bind(check.repo.as_str())
        .bind(check.stars)
        .bind(check.etag.as_deref())
        .bind(millis(check.checked_at))
        .execute(&mut tx)
        .await?;
        let mut changed = 0;
        if let Some(stars) = check.stars {
            for link in links {
                let papers: Vec<String> = query(
                    "SELECT DISTINCT paper_id FROM feed_entries WHERE github_repo = $1 \
                     AND (github_stars IS NULL OR github_stars <> $2)",
                )
                .bind(link.as_str())
                .bind(stars)
                .scalars(&mut tx)
                .await?;
                if papers.is_empty() {
                    continue;
                }
                changed += query(
                    "UPDATE feed_entries SET github_stars = $1 WHERE github_repo = $2 \
                     AND (github_stars IS NULL OR github_stars <> $1)",
                )
                .bind(stars)
                .bind(link.as_str())
                .execute(&mut tx)
                .await? as usize;
                for p in &papers {
                    touch(&mut tx, p).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(changed)
    }
}
