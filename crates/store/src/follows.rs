//! Follows (authors, accounts, categories, searches), the recent papers of followed authors and
//! categories, and each reader's private-feed key.

use crate::accounts::{UserRow, USER_COLUMNS};
use crate::backend::query;
use crate::rows::{prefixed, PaperRow, PAPER_COLUMNS};
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use chrono::DateTime;
use dp_core::follow::Target;
use dp_core::{Category, Follow, FollowKind, Paper, User};

/// What following did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followed {
    /// A new follow.
    New(Follow),
    /// Followed already (unchanged).
    Exists(Follow),
    /// The account follows its limit already.
    Full,
}

/// A reader's follows and private-feed key.
#[async_trait]
pub trait Follows: Send + Sync {
    /// Follows `target` unless the account follows `max` things already.
    async fn add_follow(
        &self,
        user_id: i64,
        target: &Target,
        max: i64,
    ) -> Result<Followed, StoreError>;

    /// Stops a follow. `false` when the account has no such follow.
    async fn remove_follow(&self, user_id: i64, follow_id: i64) -> Result<bool, StoreError>;

    /// An account's follows, oldest first.
    async fn follows_of(&self, user_id: i64) -> Result<Vec<Follow>, StoreError>;

    /// Papers (not hidden) by any of these authors (names as printed, any letter case) or in
    /// any of these categories, newest first; only those first published in `[from, to)`
    /// (milliseconds) when given.
    async fn recent_papers_by(
        &self,
        authors: &[String],
        categories: &[String],
        published: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<Paper>, StoreError>;

    /// Sets the hash of an account's private-feed key (the old key stops working).
    async fn set_feed_key(&self, user_id: i64, key_hash: &str) -> Result<(), StoreError>;

    /// The account (not banned) whose private-feed key hashes to this.
    async fn user_by_feed_key(&self, key_hash: &str) -> Result<Option<User>, StoreError>;

    /// Whether the account has a private-feed key.
    async fn has_feed_key(&self, user_id: i64) -> Result<bool, StoreError>;
}

type FollowRow = (i64, String, String, i64);

fn to_follow((id, kind, value, created): FollowRow) -> Result<Follow, StoreError> {
    Ok(Follow {
        id,
        kind: FollowKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("follow kind {kind:?}")))?,
        value,
        created_at: DateTime::from_timestamp_millis(created).unwrap_or_default(),
    })
}

/// `s` for a LIKE pattern with `\` as the escape.
fn like_escaped(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[async_trait]
impl Follows for SqlStore {
    async fn add_follow(
        &self,
        user_id: i64,
        target: &Target,
        max: i64,
    ) -> Result<Followed, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let lock = format!("SELECT id FROM users WHERE id = $1{}", tx.for_update());
        query(lock)
            .bind(user_id)
            .scalar_optional::<i64>(&mut tx)
            .await?;
        let select = "SELECT id, kind, value, created_at FROM follows \
                      WHERE user_id = $1 AND kind = $2 AND value_key = $3";
        if let Some(row) = query(select)
            .bind(user_id)
            .bind(target.kind.as_str())
            .bind(target.key())
            .fetch_optional::<FollowRow>(&mut tx)
            .await?
        {
            return Ok(Followed::Exists(to_follow(row)?));
        }
        let held: i64 = query("SELECT COUNT(*) FROM follows WHERE user_id = $1")
            .bind(user_id)
            .scalar(&mut tx)
            .await?;
        if held >= max {
            return Ok(Followed::Full);
        }
        let row = query(
            "INSERT INTO follows (user_id, kind, value, value_key, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, kind, value, created_at",
        )
        .bind(user_id)
        .bind(target.kind.as_str())
        .bind(target.value.as_str())
        .bind(target.key())
        .bind(now_millis())
        .fetch_one::<FollowRow>(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(Followed::New(to_follow(row)?))
    }

    async fn remove_follow(&self, user_id: i64, follow_id: i64) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let n = query("DELETE FROM follows WHERE id = $1 AND user_id = $2")
            .bind(follow_id)
            .bind(user_id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn follows_of(&self, user_id: i64) -> Result<Vec<Follow>, StoreError> {
        query("SELECT id, kind, value, created_at FROM follows WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all::<FollowRow>(&self.db)
            .await?
            .into_iter()
            .map(to_follow)
            .collect()
    }

    async fn recent_papers_by(
        &self,
        authors: &[String],
        categories: &[String],
        published: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<Paper>, StoreError> {
        // Names and categories are JSON arrays of strings: match whole elements.
        let mut patterns: Vec<(&str, String)> = Vec::new();
        for a in authors {
            let name = a.split_whitespace().collect::<Vec<_>>().join(" ");
            let quoted = serde_json::to_string(&name).unwrap_or_default();
            patterns.push(("LOWER(p.authors)", format!("%{}%", like_escaped(&quoted))));
        }
        for c in categories {
            let Ok(cat) = Category::parse(c) else {
                continue;
            };
            let name = cat.to_string();
            patterns.push(("p.categories", format!("%\"{}\"%", like_escaped(&name))));
            if cat.is_archive() {
                patterns.push(("p.categories", format!("%\"{}.%", like_escaped(&name))));
            }
        }
        if patterns.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = query(format!(
            "SELECT {} FROM papers p WHERE NOT p.hidden AND ",
            prefixed(PAPER_COLUMNS, "p")
        ));
        if let Some((from, to)) = published {
            q.push("p.published_at >= ")
                .push_bind(from)
                .push(" AND p.published_at < ")
                .push_bind(to)
                .push(" AND ");
        }
        q.push("(");
        for (i, (column, pattern)) in patterns.into_iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            q.push(column).push(" LIKE ");
            if column.starts_with("LOWER") {
                q.push("LOWER(").push_bind(pattern).push(")");
            } else {
                q.push_bind(pattern);
            }
            q.push(" ESCAPE '\\'");
        }
        q.push(") ORDER BY p.published_at DESC, p.id DESC LIMIT ")
            .push_bind(limit);
        q.fetch_all::<PaperRow>(&self.db)
            .await?
            .into_iter()
            .map(PaperRow::into_paper)
            .collect()
    }

    async fn set_feed_key(&self, user_id: i64, key_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        query(
            "INSERT INTO feed_keys (user_id, key_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET key_hash = excluded.key_hash, created_at = excluded.created_at",
        )
        .bind(user_id)
        .bind(key_hash)
        .bind(now_millis())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user_by_feed_key(&self, key_hash: &str) -> Result<Option<User>, StoreError> {
        query(format!(
            "SELECT {} FROM feed_keys k JOIN users u ON u.id = k.user_id \
             WHERE k.key_hash = $1 AND NOT u.banned",
            prefixed(USER_COLUMNS, "u")
        ))
        .bind(key_hash)
        .fetch_optional::<UserRow>(&self.db)
        .await?
        .map(UserRow::into_user)
        .transpose()
    }

    async fn has_feed_key(&self, user_id: i64) -> Result<bool, StoreError> {
        let n: i64 = query("SELECT COUNT(*) FROM feed_keys WHERE user_id = $1")
            .bind(user_id)
            .scalar(&self.db)
            .await?;
        Ok(n > 0)
    }
}
