//! Comments: a safe Markdown subset (rendered by the web layer), one level of replies,
//! authors edit and delete their own, admins delete any.

use crate::{App, Error};
use dp_core::{ArxivId, Comment, User};

/// Most comments one read returns.
pub const MAX_COMMENTS_PER_READ: i64 = 100;

impl App {
    /// Adds `user`'s comment to a paper, or a reply to comment `parent` of it. Returns the
    /// comment and the paper's comment count as shown after it.
    pub async fn comment(
        &self,
        user: &User,
        paper: &ArxivId,
        parent: Option<i64>,
        body: &str,
    ) -> Result<(Comment, i64), Error> {
        let body = dp_core::community::comment_body(body)?;
        let c = self
            .write(user, async {
                self.store
                    .add_comment(paper, user.id, parent, &body)
                    .await?
                    .ok_or_else(|| Error::NotFound("No such paper or comment to reply to.".into()))
            })
            .await?;
        let count = self
            .store
            .paper_detail(paper)
            .await?
            .map_or(0, |d| d.comments());
        Ok((c, count))
    }

    /// At most `limit` (1 to [`MAX_COMMENTS_PER_READ`]) of a paper's comments and replies
    /// with ids above `after`, oldest first.
    pub async fn comments(
        &self,
        paper: &ArxivId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Comment>, Error> {
        if self.store.paper(paper).await?.is_none() {
            return Err(Error::NotFound("Paper not found".into()));
        }
        let limit = limit.clamp(1, MAX_COMMENTS_PER_READ);
        Ok(self.store.comments_after(paper, after, limit).await?)
    }

    /// A live comment `user` may change: their own, or (when `admin_may` and they are an
    /// admin) anyone's.
    pub async fn own_comment(
        &self,
        user: &User,
        id: i64,
        admin_may: bool,
    ) -> Result<Comment, Error> {
        let c = self
            .store
            .comment(id)
            .await?
            .filter(|c| !c.deleted)
            .ok_or_else(|| Error::NotFound("No such comment.".into()))?;
        if c.user_id != user.id && !(admin_may && user.is_admin) {
            return Err(Error::Forbidden("That is someone else's comment.".into()));
        }
        Ok(c)
    }

    /// Replaces the text of `user`'s own comment; returns it as it was.
    pub async fn edit_comment(&self, user: &User, id: i64, body: &str) -> Result<Comment, Error> {
        let c = self.own_comment(user, id, false).await?;
        let body = dp_core::community::comment_body(body)?;
        self.write(user, async {
            Ok(self.store.edit_comment(id, &body).await?)
        })
        .await?;
        Ok(c)
    }

    /// Deletes a comment: its author's, or any as an admin; returns it as it was.
    pub async fn delete_comment(&self, user: &User, id: i64) -> Result<Comment, Error> {
        let c = self.own_comment(user, id, true).await?;
        self.write(user, async { Ok(self.store.delete_comment(id).await?) })
            .await?;
        Ok(c)
    }
}
