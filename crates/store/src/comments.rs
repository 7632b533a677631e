//! Comment threads: comments with one level of replies. A deleted comment keeps its place in
//! its thread, without text.

use crate::backend::query;
use crate::changes::touch;
use crate::papers::paper_exists;
use crate::rows::{opt_time, time};
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use dp_core::{ArxivId, Comment};

/// Comments.
#[async_trait]
pub trait Comments: Send + Sync {
    /// Adds a comment, or a reply when `parent` is given (a reply to a reply joins the
    /// top-level comment's thread). `None` when the paper or the parent on that paper is missing.
    async fn add_comment(
        &self,
        paper: &ArxivId,
        user_id: i64,
        parent: Option<i64>,
        body: &str,
    ) -> Result<Option<Comment>, StoreError>;

    /// One comment.
    async fn comment(&self, id: i64) -> Result<Option<Comment>, StoreError>;

    /// Replaces a live comment's text.
    async fn edit_comment(&self, id: i64, body: &str) -> Result<bool, StoreError>;

    /// Deletes a comment (it keeps its place in the thread, without text).
    async fn delete_comment(&self, id: i64) -> Result<bool, StoreError>;

    /// A paper's comments, oldest first (every one: for tools and tests; readers page with
    /// [`Comments::comments_after`] and [`Comments::comment_threads`]).
    async fn comments(&self, paper: &ArxivId) -> Result<Vec<Comment>, StoreError>;

    /// At most `limit` of a paper's comments and replies with ids above `after`, oldest first.
    async fn comments_after(
        &self,
        paper: &ArxivId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Comment>, StoreError>;

    /// A page of a paper's threads: at most `threads` top-level comments with ids above
    /// `after`, oldest first, each followed by at most `replies` of its replies.
    async fn comment_threads(
        &self,
        paper: &ArxivId,
        after: i64,
        threads: i64,
        replies: i64,
    ) -> Result<Vec<Comment>, StoreError>;
}

/// A comment joined with its author's name.
const COMMENT_SELECT: &str = "SELECT c.id, c.paper_id, c.user_id, u.name AS author, \
     c.parent_id, c.body, c.created_at, c.edited_at, c.deleted \
     FROM comments c JOIN users u ON u.id = c.user_id";

#[derive(sqlx::FromRow)]
struct CommentRow {
    id: i64,
    paper_id: String,
    user_id: i64,
    author: String,
    parent_id: Option<i64>,
    body: String,
    created_at: i64,
    edited_at: Option<i64>,
    deleted: bool,
}

impl CommentRow {
    fn into_comment(self) -> Result<Comment, StoreError> {
        Ok(Comment {
            id: self.id,
            paper_id: self.paper_id,
            user_id: self.user_id,
            author: self.author,
            parent_id: self.parent_id,
            body: if self.deleted {
                String::new()
            } else {
                self.body
            },
            created_at: time(self.created_at)?,
            edited_at: opt_time(self.edited_at)?,
            deleted: self.deleted,
        })
    }
}

#[async_trait]
impl Comments for SqlStore {
    async fn add_comment(
        &self,
        paper: &ArxivId,
        user_id: i64,
        parent: Option<i64>,
        body: &str,
    ) -> Result<Option<Comment>, StoreError> {
        let id = paper.base();
        let mut tx = self.db.begin_write().await?;
        if !paper_exists(&mut tx, id).await? {
            return Ok(None);
        }
        let parent = match parent {
            None => None,
            Some(p) => {
                let grand: Option<Option<i64>> =
                    query("SELECT parent_id FROM comments WHERE id = $1 AND paper_id = $2")
                        .bind(p)
                        .bind(id)
                        .scalar_optional(&mut tx)
                        .await?;
                match grand {
                    None => return Ok(None),
                    // One level of replies: a reply to a reply joins the thread.
                    Some(grand) => Some(grand.unwrap_or(p)),
                }
            }
        };
        let new_id: i64 = query(
            "INSERT INTO comments (paper_id, user_id, parent_id, body, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(id)
        .bind(user_id)
        .bind(parent)
        .bind(body)
        .bind(now_millis())
        .scalar(&mut tx)
        .await?;
        query("UPDATE papers SET local_comments = local_comments + 1 WHERE id = $1")
            .bind(id)
            .execute(&mut tx)
            .await?;
        touch(&mut tx, id).await?;
        tx.commit().await?;
        self.comment(new_id).await
    }

    async fn comment(&self, id: i64) -> Result<Option<Comment>, StoreError> {
        query(format!("{COMMENT_SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional::<CommentRow>(&self.db)
            .await?
            .map(CommentRow::into_comment)
            .transpose()
    }

    async fn edit_comment(&self, id: i64, body: &str) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let paper: Option<String> = query(
            "UPDATE comments SET body = $1, edited_at = $2 WHERE id = $3 AND NOT deleted RETURNING paper_id",
        )
        .bind(body)
        .bind(now_millis())
        .bind(id)
        .scalar_optional(&mut tx)
        .await?;
        if let Some(p) = &paper {
            touch(&mut tx, p).await?;
        }
        tx.commit().await?;
        Ok(paper.is_some())
    }

    async fn delete_comment(&self, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let paper: Option<String> = query(
            "UPDATE comments SET deleted = $1, body = '' WHERE id = $2 AND NOT deleted RETURNING paper_id",
        )
        .bind(true)
        .bind(id)
        .scalar_optional(&mut tx)
        .await?;
        if let Some(p) = &paper {
            query("UPDATE papers SET local_comments = local_comments - 1 WHERE id = $1")
                .bind(p)
                .execute(&mut tx)
                .await?;
            touch(&mut tx, p).await?;
        }
        tx.commit().await?;
        Ok(paper.is_some())
    }

    async fn comments(&self, paper: &ArxivId) -> Result<Vec<Comment>, StoreError> {
        query(format!(
            "{COMMENT_SELECT} WHERE c.paper_id = $1 ORDER BY c.id"
        ))
        .bind(paper.base())
        .fetch_all::<CommentRow>(&self.db)
        .await?
        .into_iter()
        .map(CommentRow::into_comment)
        .collect()
    }

    async fn comments_after(
        &self,
        paper: &ArxivId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Comment>, StoreError> {
        query(format!(
            "{COMMENT_SELECT} WHERE c.paper_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3"
        ))
        .bind(paper.base())
        .bind(after)
        .bind(limit)
        .fetch_all::<CommentRow>(&self.db)
        .await?
        .into_iter()
        .map(CommentRow::into_comment)
        .collect()
    }

    async fn comment_threads(
        &self,
        paper: &ArxivId,
        after: i64,
        threads: i64,
        replies: i64,
    ) -> Result<Vec<Comment>, StoreError> {
        query(format!(
            "WITH tops AS (SELECT id FROM comments \
               WHERE paper_id = $1 AND parent_id IS NULL AND id > $2 ORDER BY id LIMIT $3), \
             answers AS (SELECT r.id, ROW_NUMBER() OVER (PARTITION BY r.parent_id ORDER BY r.id) AS n \
               FROM comments r WHERE r.parent_id IN (SELECT id FROM tops)) \
             {COMMENT_SELECT} WHERE c.id IN (SELECT id FROM tops) \
               OR c.id IN (SELECT id FROM answers WHERE n <= $4) ORDER BY c.id"
        ))
        .bind(paper.base())
        .bind(after)
        .bind(threads)
        .bind(replies)
        .fetch_all::<CommentRow>(&self.db)
        .await?
        .into_iter()
        .map(CommentRow::into_comment)
        .collect()
    }
}
