//! What a paper's page and a reader's profile show.

use crate::{App, Error};
use dp_core::{ArxivId, Claim, Comment, Paper, User};
use dp_store::{PaperDetail, PaperSummary};

/// Similar papers shown on a paper page.
pub const SIMILAR_ON_PAGE: usize = 6;

/// Everything a paper's page shows.
#[derive(Debug, Clone)]
pub struct PaperPage {
    /// The paper, its lists and counts.
    pub detail: PaperDetail,
    /// Its comments, oldest first.
    pub comments: Vec<Comment>,
    /// Its authorship claims.
    pub claims: Vec<Claim>,
    /// The reader upvoted it.
    pub voted: bool,
    /// The nearest papers by embedding, with their similarity.
    pub similar: Vec<(f32, PaperSummary)>,
}

/// Everything a profile shows.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The account.
    pub user: User,
    /// Papers it submitted, newest first.
    pub submitted: Vec<Paper>,
    /// Papers it upvoted, newest vote first.
    pub upvoted: Vec<Paper>,
    /// Its authorship claims.
    pub claims: Vec<Claim>,
}

impl App {
    /// A paper's page for `reader`; `None` when the store does not have the paper.
    pub async fn paper_page(
        &self,
        id: &ArxivId,
        reader: Option<&User>,
    ) -> Result<Option<PaperPage>, Error> {
        let store = &self.store;
        let Some(detail) = store.paper_detail(id).await? else {
            return Ok(None);
        };
        let (comments, claims) =
            tokio::try_join!(store.comments(id), store.claims(None, Some(id), None))?;
        let voted = !self
            .voted(reader, &[id.base().to_string()])
            .await?
            .is_empty();
        let similar = self.similar(id, SIMILAR_ON_PAGE).await?;
        Ok(Some(PaperPage {
            detail,
            comments,
            claims,
            voted,
            similar,
        }))
    }

    /// A paper that is not hidden, with its lists and counts.
    pub async fn visible_paper(&self, id: &ArxivId) -> Result<PaperDetail, Error> {
        self.store
            .paper_detail(id)
            .await?
            .filter(|d| !d.hidden)
            .ok_or_else(|| Error::NotFound("Paper not found".into()))
    }

    /// A reader's profile.
    pub async fn profile(&self, name: &str) -> Result<Profile, Error> {
        let store = &self.store;
        let user = store
            .user_by_name(name)
            .await?
            .ok_or_else(|| Error::NotFound("There is no user by that name.".into()))?;
        let (submitted, upvoted, claims) = tokio::try_join!(
            store.submitted_by(user.id, 100),
            store.upvoted_by(user.id, 100),
            store.claims(None, None, Some(user.id)),
        )?;
        Ok(Profile {
            user,
            submitted,
            upvoted,
            claims,
        })
    }
}
