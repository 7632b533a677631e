//! A reader's library: the papers a reader said they are not interested in, which their own
//! lists leave out.

use crate::backend::{query, CHUNK};
use crate::papers::paper_exists;
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use dp_core::{ArxivId, Paper};

/// A reader's library.
#[async_trait]
pub trait Library: Send + Sync {
    /// Marks (`on`) or unmarks a paper as not interesting to `user_id`. `false` when the paper
    /// does not exist.
    async fn set_not_interested(
        &self,
        user_id: i64,
        paper: &ArxivId,
        on: bool,
    ) -> Result<bool, StoreError>;

    /// Which of `paper_ids` the user is not interested in.
    async fn not_interested_among(
        &self,
        user_id: i64,
        paper_ids: &[String],
    ) -> Result<Vec<String>, StoreError>;

    /// The papers the user is not interested in, newest mark first.
    async fn not_interested(&self, user_id: i64, limit: i64) -> Result<Vec<Paper>, StoreError>;
}

#[async_trait]
impl Library for SqlStore {
    async fn set_not_interested(
        &self,
        user_id: i64,
        paper: &ArxivId,
        on: bool,
    ) -> Result<bool, StoreError> {
        let id = paper.base().to_string();
        let mut tx = self.db.begin_write().await?;
        if !paper_exists(&mut tx, &id).await? {
            return Ok(false);
        }
        if on {
            query(
                "INSERT INTO not_interested (user_id, paper_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, paper_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(&id)
            .bind(now_millis())
            .execute(&mut tx)
            .await?;
        } else {
            query("DELETE FROM not_interested WHERE user_id = $1 AND paper_id = $2")
                .bind(user_id)
                .bind(&id)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn not_interested_among(
        &self,
        user_id: i64,
        paper_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for chunk in paper_ids.chunks(CHUNK) {
            let mut q =
                query("SELECT paper_id FROM not_interested WHERE user_id = $1 AND paper_id IN (")
                    .bind(user_id);
            q.push_binds(chunk.iter().map(String::as_str)).push(")");
            out.extend(q.scalars::<String>(&self.db).await?);
        }
        Ok(out)
    }

    async fn not_interested(&self, user_id: i64, limit: i64) -> Result<Vec<Paper>, StoreError> {
        self.papers_of_user("not_interested", user_id, limit).await
    }
}
