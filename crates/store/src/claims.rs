//! Authorship claims: a user claims to be one of a paper's authors; an admin approves or
//! rejects it.

use crate::backend::query;
use crate::changes::touch;
use crate::rows::time;
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use dp_core::{ArxivId, Claim, ClaimState};

/// Claims.
#[async_trait]
pub trait Claims: Send + Sync {
    /// Records a claim to be the author `author_name` of a paper. A repeated claim is a
    /// [`StoreError::Conflict`].
    async fn add_claim(
        &self,
        user_id: i64,
        paper: &ArxivId,
        author_name: &str,
    ) -> Result<Claim, StoreError>;

    /// Claims, newest first, filtered by state, paper and user when given.
    async fn claims(
        &self,
        state: Option<ClaimState>,
        paper: Option<&ArxivId>,
        user_id: Option<i64>,
    ) -> Result<Vec<Claim>, StoreError>;

    /// An admin's decision on a pending claim. `None` when no such pending claim exists.
    async fn decide_claim(
        &self,
        id: i64,
        approve: bool,
        admin_id: i64,
    ) -> Result<Option<Claim>, StoreError>;
}

/// A claim joined with its paper's title and its user's name.
const CLAIM_SELECT: &str = "SELECT c.id, c.paper_id, p.title AS paper_title, \
     c.user_id, u.name AS username, c.author_name, c.state, c.created_at \
     FROM claims c JOIN users u ON u.id = c.user_id JOIN papers p ON p.id = c.paper_id";

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    paper_id: String,
    paper_title: String,
    user_id: i64,
    username: String,
    author_name: String,
    state: String,
    created_at: i64,
}

impl ClaimRow {
    fn into_claim(self) -> Result<Claim, StoreError> {
        Ok(Claim {
            state: ClaimState::parse(&self.state)
                .ok_or_else(|| StoreError::Corrupt(format!("claim state {:?}", self.state)))?,
            id: self.id,
            paper_id: self.paper_id,
            paper_title: self.paper_title,
            user_id: self.user_id,
            username: self.username,
            author_name: self.author_name,
            created_at: time(self.created_at)?,
        })
    }
}

impl SqlStore {
    async fn claim_by_id(&self, id: i64) -> Result<Option<Claim>, StoreError> {
        query(format!("{CLAIM_SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional::<ClaimRow>(&self.db)
            .await?
            .map(ClaimRow::into_claim)
            .transpose()
    }
}

#[async_trait]
impl Claims for SqlStore {
    async fn add_claim(
        &self,
        user_id: i64,
        paper: &ArxivId,
        author_name: &str,
    ) -> Result<Claim, StoreError> {
        let id: Option<i64> = query(
            "INSERT INTO claims (paper_id, user_id, author_name, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (paper_id, user_id, author_name) DO NOTHING RETURNING id",
        )
        .bind(paper.base())
        .bind(user_id)
        .bind(author_name)
        .bind(now_millis())
        .scalar_optional(&self.db)
        .await?;
        let id =
            id.ok_or_else(|| StoreError::Conflict("you already claimed this author name".into()))?;
        self.claim_by_id(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("claim {id} vanished")))
    }

    async fn claims(
        &self,
        state: Option<ClaimState>,
        paper: Option<&ArxivId>,
        user_id: Option<i64>,
    ) -> Result<Vec<Claim>, StoreError> {
        let mut q = query(format!("{CLAIM_SELECT} WHERE 1 = 1"));
        if let Some(s) = state {
            q.push(" AND c.state = ").push_bind(s.as_str());
        }
        if let Some(p) = paper {
            q.push(" AND c.paper_id = ").push_bind(p.base());
        }
        if let Some(u) = user_id {
            q.push(" AND c.user_id = ").push_bind(u);
        }
        q.push(" ORDER BY c.id DESC LIMIT 500");
        q.fetch_all::<ClaimRow>(&self.db)
            .await?
            .into_iter()
            .map(ClaimRow::into_claim)
            .collect()
    }

    async fn decide_claim(
        &self,
        id: i64,
        approve: bool,
        admin_id: i64,
    ) -> Result<Option<Claim>, StoreError> {
        let state = if approve {
            ClaimState::Approved
        } else {
            ClaimState::Rejected
        };
        let mut tx = self.db.begin_write().await?;
        let paper: Option<String> = query(
            "UPDATE claims SET state = $1, decided_at = $2, decided_by = $3 \
             WHERE id = $4 AND state = 'pending' RETURNING paper_id",
        )
        .bind(state.as_str())
        .bind(now_millis())
        .bind(admin_id)
        .bind(id)
        .scalar_optional(&mut tx)
        .await?;
        let Some(paper) = paper else {
            return Ok(None);
        };
        touch(&mut tx, &paper).await?;
        tx.commit().await?;
        self.claim_by_id(id).await
    }
}
