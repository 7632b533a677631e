//! API tokens: stored as SHA-256 hashes only, scoped `read` or `write`, revocable.

use crate::accounts::{UserRow, USER_COLUMNS};
use crate::backend::query;
use crate::rows::{prefixed, time};
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use dp_core::{ApiToken, TokenScope, User};

/// API tokens.
#[async_trait]
pub trait Tokens: Send + Sync {
    /// Records a new API token of `user_id` (only its hash is kept).
    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        scope: TokenScope,
    ) -> Result<ApiToken, StoreError>;

    /// A user's API tokens, newest first, revoked ones included.
    async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError>;

    /// Revokes one of the user's live tokens. `false` when the user has no such live token.
    async fn revoke_api_token(&self, user_id: i64, token_id: i64) -> Result<bool, StoreError>;

    /// The owner and scope of a live token (not revoked, owner not banned), noting its use
    /// (at most once a minute).
    async fn api_token_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(User, TokenScope)>, StoreError>;
}

/// The columns of `api_tokens` a [`TokenRow`] reads.
const TOKEN_COLUMNS: &str = "id, user_id, name, scope, created_at, last_used_at, revoked_at";

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    user_id: i64,
    name: String,
    scope: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TokenRow {
    fn into_token(self) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            id: self.id,
            user_id: self.user_id,
            name: self.name,
            scope: scope(&self.scope)?,
            created_at: time(self.created_at)?,
            last_used_at: self.last_used_at.map(time).transpose()?,
            revoked_at: self.revoked_at.map(time).transpose()?,
        })
    }
}

/// A stored token scope.
fn scope(s: &str) -> Result<TokenScope, StoreError> {
    TokenScope::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown token scope {s:?}")))
}

#[async_trait]
impl Tokens for SqlStore {
    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        scope: TokenScope,
    ) -> Result<ApiToken, StoreError> {
        query(format!(
            "INSERT INTO api_tokens (user_id, name, token_hash, scope, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(scope.as_str())
        .bind(now_millis())
        .fetch_one::<TokenRow>(&self.db)
        .await?
        .into_token()
    }

    async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        query(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC"
        ))
        .bind(user_id)
        .fetch_all::<TokenRow>(&self.db)
        .await?
        .into_iter()
        .map(TokenRow::into_token)
        .collect()
    }

    async fn revoke_api_token(&self, user_id: i64, token_id: i64) -> Result<bool, StoreError> {
        let n = query(
            "UPDATE api_tokens SET revoked_at = $1 \
             WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now_millis())
        .bind(token_id)
        .bind(user_id)
        .execute(&self.db)
        .await?;
        Ok(n == 1)
    }

    async fn api_token_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(User, TokenScope)>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            token_id: i64,
            scope: String,
            last_used_at: Option<i64>,
        }
        let row: Option<Row> = query(format!(
            "SELECT {}, t.id AS token_id, t.scope, t.last_used_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.banned",
            prefixed(USER_COLUMNS, "u")
        ))
        .bind(token_hash)
        .fetch_optional(&self.db)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let now = now_millis();
        if row.last_used_at.is_none_or(|t| now - t > 60_000) {
            query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(row.token_id)
                .execute(&self.db)
                .await?;
        }
        Ok(Some((row.user.into_user()?, scope(&row.scope)?)))
    }
}
