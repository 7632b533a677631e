//! Authorship claims: a reader claims one of a paper's author names; an admin approves or
//! rejects it; approved claims show on the paper and the profile.

use crate::{App, Error};
use dp_core::{ArxivId, Claim, ClaimState, User};

impl App {
    /// `user` claims to be the author `author_name` of a paper.
    pub async fn claim(
        &self,
        user: &User,
        paper: &ArxivId,
        author_name: &str,
    ) -> Result<Claim, Error> {
        self.write(user, async {
            let p = self
                .store
                .paper(paper)
                .await?
                .ok_or_else(|| Error::NotFound("No such paper.".into()))?;
            if !p.authors.iter().any(|a| a == author_name) {
                return Err(Error::Invalid(
                    "That name is not among the paper's authors.".into(),
                ));
            }
            Ok(self.store.add_claim(user.id, paper, author_name).await?)
        })
        .await
    }

    /// Claims waiting for an admin's decision.
    pub async fn pending_claims(&self, admin: &User) -> Result<Vec<Claim>, Error> {
        require_admin(admin)?;
        Ok(self
            .store
            .claims(Some(ClaimState::Pending), None, None)
            .await?)
    }

    /// An admin approves or rejects a pending claim.
    pub async fn decide_claim(&self, admin: &User, id: i64, approve: bool) -> Result<Claim, Error> {
        require_admin(admin)?;
        self.write(admin, async {
            self.store
                .decide_claim(id, approve, admin.id)
                .await?
                .ok_or_else(|| Error::NotFound("No such pending claim.".into()))
        })
        .await
    }

    /// Approved claims: (bare paper id, author name) to user name.
    pub async fn approved_claims(
        &self,
    ) -> Result<std::collections::HashMap<(String, String), String>, Error> {
        Ok(self
            .store
            .claims(Some(ClaimState::Approved), None, None)
            .await?
            .into_iter()
            .map(|c| ((c.paper_id, c.author_name), c.username))
            .collect())
    }
}

/// `user` when an admin, else [`Error::Forbidden`].
pub fn require_admin(user: &User) -> Result<&User, Error> {
    if user.is_admin {
        Ok(user)
    } else {
        Err(Error::Forbidden("Only admins can do that.".into()))
    }
}
