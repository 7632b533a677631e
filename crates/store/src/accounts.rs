//! Accounts and their sessions. Sessions are stored by the hash of their token only.

use crate::backend::query;
use crate::rows::{prefixed, time};
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use dp_core::{User, Username};
use std::time::Duration;

/// Users and sessions.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Creates an account. The first account of a store is an admin, as is any created with
    /// `admin`. A name taken in any letter case is a [`StoreError::Conflict`].
    async fn create_user(
        &self,
        name: &Username,
        password_hash: &str,
        admin: bool,
    ) -> Result<User, StoreError>;

    /// An account and its password hash, by name (any letter case).
    async fn user_credentials(&self, name: &str) -> Result<Option<(User, String)>, StoreError>;

    /// An account by name (any letter case).
    async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError>;

    /// An account by id.
    async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError>;

    /// Deletes an account: its sessions, tokens, private collections, follows, feed key,
    /// "not interested" marks and claims go; its subscriptions stay but are no longer managed
    /// by it; its name becomes `deleted-ID` (free to take again) and it can never sign in.
    /// What it wrote in public (comments, votes, public collections) stays, under that name.
    /// Returns the new name, or `None` when there is no such account.
    async fn delete_account(&self, user_id: i64) -> Result<Option<String>, StoreError>;

    /// How many admins there are (banned ones not counted).
    async fn admin_count(&self) -> Result<i64, StoreError>;

    /// Grants or removes admin rights.
    async fn set_admin(&self, user_id: i64, admin: bool) -> Result<(), StoreError>;

    /// Bans or unbans an account; a ban also ends all its sessions.
    async fn set_banned(&self, user_id: i64, banned: bool) -> Result<(), StoreError>;

    /// Records a session by the hash of its token, valid for `ttl` from now.
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        ttl: Duration,
    ) -> Result<(), StoreError>;

    /// The account of a live session (unexpired, account not banned).
    async fn session_user(&self, token_hash: &str) -> Result<Option<User>, StoreError>;

    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Ends every session of a user; returns how many there were.
    async fn delete_sessions_of(&self, user_id: i64) -> Result<u64, StoreError>;

    /// Replaces a user's password hash.
    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<(), StoreError>;
}

/// The columns of `users` a [`UserRow`] reads.
pub(crate) const USER_COLUMNS: &str = "id, name, is_admin, banned, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: i64,
    pub name: String,
    pub is_admin: bool,
    pub banned: bool,
    pub created_at: i64,
}

impl UserRow {
    pub fn into_user(self) -> Result<User, StoreError> {
        Ok(User {
            id: self.id,
            name: self.name,
            is_admin: self.is_admin,
            banned: self.banned,
            created_at: time(self.created_at)?,
        })
    }
}

/// The key a user name is unique by: any letter case is the same name.
fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[async_trait]
impl Accounts for SqlStore {
    async fn create_user(
        &self,
        name: &Username,
        password_hash: &str,
        admin: bool,
    ) -> Result<User, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let existing: i64 = query("SELECT COUNT(*) FROM users").scalar(&mut tx).await?;
        let row: Option<UserRow> = query(format!(
            "INSERT INTO users (name, name_key, password_hash, is_admin, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name_key) DO NOTHING RETURNING {USER_COLUMNS}"
        ))
        .bind(name.as_str())
        .bind(name_key(name.as_str()))
        .bind(password_hash)
        .bind(admin || existing == 0)
        .bind(now_millis())
        .fetch_optional(&mut tx)
        .await?;
        let row =
            row.ok_or_else(|| StoreError::Conflict(format!("the user name {name} is taken")))?;
        tx.commit().await?;
        row.into_user()
    }

    async fn user_credentials(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            password_hash: String,
        }
        query(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE name_key = $1"
        ))
        .bind(name_key(name))
        .fetch_optional::<Row>(&self.db)
        .await?
        .map(|r| Ok((r.user.into_user()?, r.password_hash)))
        .transpose()
    }

    async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        query(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE name_key = $1"
        ))
        .bind(name_key(name))
        .fetch_optional::<UserRow>(&self.db)
        .await?
        .map(UserRow::into_user)
        .transpose()
    }

    async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        query(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional::<UserRow>(&self.db)
            .await?
            .map(UserRow::into_user)
            .transpose()
    }

    async fn delete_account(&self, user_id: i64) -> Result<Option<String>, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let name = format!("deleted-{user_id}");
        let Some(old_key) = query("SELECT name_key FROM users WHERE id = $1")
            .bind(user_id)
            .scalar_optional::<String>(&mut tx)
            .await?
        else {
            return Ok(None);
        };
        // Follows of this account are by name, and the name is free again: they end here, so
        // they do not pass to whoever takes the name next.
        query("DELETE FROM follows WHERE kind = 'account' AND value_key = $1")
            .bind(old_key.as_str())
            .execute(&mut tx)
            .await?;
        let n = query(
            "UPDATE users SET name = $1, name_key = $1, password_hash = '!', is_admin = $2, \
             banned = $3 WHERE id = $4",
        )
        .bind(name.as_str())
        .bind(false)
        .bind(true)
        .bind(user_id)
        .execute(&mut tx)
        .await?;
        if n == 0 {
            return Ok(None);
        }
        for sql in [
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM api_tokens WHERE user_id = $1",
            "DELETE FROM collection_items WHERE collection_id IN \
             (SELECT id FROM collections WHERE owner_id = $1 AND private)",
            "DELETE FROM collections WHERE owner_id = $1 AND private",
            "DELETE FROM follows WHERE user_id = $1",
            "DELETE FROM feed_keys WHERE user_id = $1",
            "DELETE FROM not_interested WHERE user_id = $1",
            "DELETE FROM claims WHERE user_id = $1",
            "UPDATE subscribers SET user_id = NULL, with_follows = FALSE WHERE user_id = $1",
        ] {
            query(sql).bind(user_id).execute(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(Some(name))
    }

    async fn admin_count(&self) -> Result<i64, StoreError> {
        query("SELECT COUNT(*) FROM users WHERE is_admin AND NOT banned")
            .scalar(&self.db)
            .await
    }

    async fn set_admin(&self, user_id: i64, admin: bool) -> Result<(), StoreError> {
        query("UPDATE users SET is_admin = $1 WHERE id = $2")
            .bind(admin)
            .bind(user_id)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    async fn set_banned(&self, user_id: i64, banned: bool) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        query("UPDATE users SET banned = $1 WHERE id = $2")
            .bind(banned)
            .bind(user_id)
            .execute(&mut tx)
            .await?;
        if banned {
            query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let now = now_millis();
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4);
        query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(now.saturating_add(ttl_ms))
        .execute(&self.db)
        .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        query(format!(
            "SELECT {} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.banned",
            prefixed(USER_COLUMNS, "u")
        ))
        .bind(token_hash)
        .bind(now_millis())
        .fetch_optional::<UserRow>(&self.db)
        .await?
        .map(UserRow::into_user)
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    async fn delete_sessions_of(&self, user_id: i64) -> Result<u64, StoreError> {
        query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.db)
            .await
    }

    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<(), StoreError> {
        query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&self.db)
            .await?;
        Ok(())
    }
}
