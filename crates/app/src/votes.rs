//! Upvotes: one per reader and paper; clicking twice, or two requests at once, count once.

use crate::{App, Error};
use dp_core::{ArxivId, User};
use dp_store::VoteState;

impl App {
    /// Casts (`up`) or withdraws `user`'s upvote of a paper.
    pub async fn vote(&self, user: &User, paper: &ArxivId, up: bool) -> Result<VoteState, Error> {
        self.write(user, async {
            self.store
                .set_vote(user.id, paper, up)
                .await?
                .ok_or_else(|| Error::NotFound("No such paper.".into()))
        })
        .await
    }

    /// Which of these papers (bare ids) `user` upvoted.
    pub async fn voted(&self, user: Option<&User>, ids: &[String]) -> Result<Vec<String>, Error> {
        match user {
            Some(u) if !ids.is_empty() => Ok(self.store.voted_papers(u.id, ids).await?),
            _ => Ok(Vec::new()),
        }
    }
}
