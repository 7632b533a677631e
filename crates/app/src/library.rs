//! A reader's library. So far: papers a reader is not interested in, which their own lists
//! leave out until they undo it from their library page.

use crate::{App, Error};
use dp_core::{ArxivId, Paper, User};

/// The most papers a library page lists as "not interested".
pub const NOT_INTERESTED_SHOWN: i64 = 500;

impl App {
    /// Marks (`on`) or unmarks a paper as not interesting to `user`. A write (it counts against
    /// the write limit), though it changes only what `user` sees, so no shared page changes.
    pub async fn set_not_interested(
        &self,
        user: &User,
        paper: &ArxivId,
        on: bool,
    ) -> Result<(), Error> {
        self.write_limit(user).await?;
        if self.store.set_not_interested(user.id, paper, on).await? {
            Ok(())
        } else {
            Err(Error::NotFound("No such paper.".into()))
        }
    }

    /// Which of these papers (bare ids) `user` is not interested in (none when signed out).
    pub async fn not_interested_among(
        &self,
        user: Option<&User>,
        ids: &[String],
    ) -> Result<Vec<String>, Error> {
        match user {
            Some(u) if !ids.is_empty() => Ok(self.store.not_interested_among(u.id, ids).await?),
            _ => Ok(Vec::new()),
        }
    }

    /// The papers `user` is not interested in, newest mark first.
    pub async fn not_interested(&self, user: &User) -> Result<Vec<Paper>, Error> {
        Ok(self
            .store
            .not_interested(user.id, NOT_INTERESTED_SHOWN)
            .await?)
    }
}
