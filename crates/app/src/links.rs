//! A paper's code repository and project page, set by the people who may speak for it (the
//! same rule as Hugging Face's `POST /api/papers/{id}/links`): an author whose claim an admin
//! approved, the reader who submitted the paper to a list here, or an admin.

use crate::{App, Error};
use dp_core::{ArxivId, ClaimState, Paper, User, WebLink};

/// A change of links: `None` leaves a link as it is, `Some(None)` removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinksUpdate {
    /// The code repository.
    pub github_repo: Option<Option<WebLink>>,
    /// The project page.
    pub project_page: Option<Option<WebLink>>,
}

impl App {
    /// Whether `user` may set the links of `paper`.
    pub async fn may_set_links(&self, user: &User, paper: &ArxivId) -> Result<bool, Error> {
        if user.is_admin {
            return Ok(true);
        }
        if self.store.submitter_of(paper).await? == Some(user.id) {
            return Ok(true);
        }
        let approved = self
            .store
            .claims(Some(ClaimState::Approved), Some(paper), Some(user.id))
            .await?;
        Ok(!approved.is_empty())
    }

    /// Sets the links of `paper` for `user`, and returns the paper as it is now.
    pub async fn set_links(
        &self,
        user: &User,
        paper: &ArxivId,
        update: LinksUpdate,
    ) -> Result<Paper, Error> {
        let paper = paper.unversioned();
        let Some(current) = self.store.paper(&paper).await? else {
            return Err(Error::NotFound("Paper not found".into()));
        };
        if !self.may_set_links(user, &paper).await? {
            return Err(Error::Forbidden(
                "Only the paper's approved authors, the reader who submitted it, or an admin can set its links."
                    .into(),
            ));
        }
        self.write(user, async {
            let pick = |change: &Option<Option<WebLink>>, now: &Option<String>| match change {
                None => now.clone(),
                Some(v) => v.as_ref().map(|l| l.as_str().to_string()),
            };
            let github = pick(&update.github_repo, &current.github_repo);
            let project = pick(&update.project_page, &current.project_page);
            self.store
                .set_links(&paper, github.as_deref(), project.as_deref())
                .await?;
            self.store
                .paper(&paper)
                .await?
                .ok_or_else(|| Error::NotFound("Paper not found".into()))
        })
        .await
    }
}
