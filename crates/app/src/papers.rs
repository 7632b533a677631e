//! What a paper's page and a reader's profile show.

use crate::{App, Error};
use dp_core::{ArxivId, Claim, Comment, Paper, User};
use dp_store::{PaperDetail, PaperSummary};

/// Similar papers shown on a paper page.
pub const SIMILAR_ON_PAGE: usize = 6;
/// Comment threads on one page of a paper.
pub const THREADS_PER_PAGE: i64 = 50;
/// Replies shown under one comment.
pub const REPLIES_PER_THREAD: i64 = 200;

/// Everything a paper's page shows.
#[derive(Debug, Clone)]
pub struct PaperPage {
    /// The paper, its lists and counts.
    pub detail: PaperDetail,
    /// One page of its comment threads, oldest first (at most [`THREADS_PER_PAGE`] threads,
    /// each with at most [`REPLIES_PER_THREAD`] replies).
    pub comments: Vec<Comment>,
    /// The id to start the next page of threads after, when there are more.
    pub more_comments: Option<i64>,
    /// Some thread on this page has more replies than are shown.
    pub replies_cut: bool,
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
    /// A paper's page for `reader`, with the comment threads after comment `after` (0: from
    /// the first); `None` when the store does not have the paper.
    pub async fn paper_page(
        &self,
        id: &ArxivId,
        reader: Option<&User>,
        after: i64,
    ) -> Result<Option<PaperPage>, Error> {
        let store = &self.store;
        let Some(detail) = store.paper_detail(id).await? else {
            return Ok(None);
        };
        let (mut comments, claims) = tokio::try_join!(
            store.comment_threads(id, after, THREADS_PER_PAGE + 1, REPLIES_PER_THREAD + 1),
            store.claims(None, Some(id), None)
        )?;
        let (more_comments, replies_cut) = trim_threads(&mut comments);
        let voted = !self
            .voted(reader, &[id.base().to_string()])
            .await?
            .is_empty();
        // A side section: if the vector index fails, the page still shows the paper.
        let similar = self.similar(id, SIMILAR_ON_PAGE).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, paper = %id, "similar papers unavailable");
            Vec::new()
        });
        Ok(Some(PaperPage {
            detail,
            comments,
            more_comments,
            replies_cut,
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

    /// The Hub repositories citing a paper this server shows (`None` for a paper it does not
    /// have or hides, or that the Hub was never asked about).
    pub async fn hub_repos(&self, id: &ArxivId) -> Result<Option<dp_core::HubRepos>, Error> {
        match self.visible_paper(id).await {
            Ok(d) => Ok(d.hub),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
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

/// Cuts a page of threads fetched one past the limits ([`THREADS_PER_PAGE`] + 1 threads,
/// [`REPLIES_PER_THREAD`] + 1 replies each) back to them: the id the next page starts after
/// when there was one thread more, and whether a thread had more replies.
fn trim_threads(comments: &mut Vec<Comment>) -> (Option<i64>, bool) {
    let tops: Vec<i64> = comments
        .iter()
        .filter(|c| c.parent_id.is_none())
        .map(|c| c.id)
        .collect();
    let more = usize::try_from(THREADS_PER_PAGE)
        .ok()
        .and_then(|n| (tops.len() > n).then(|| (tops[n - 1], tops[n])));
    if let Some((_, extra)) = more {
        comments.retain(|c| c.id != extra && c.parent_id != Some(extra));
    }
    let mut shown: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    let mut cut = false;
    comments.retain(|c| match c.parent_id {
        None => true,
        Some(p) => {
            let n = shown.entry(p).or_default();
            *n += 1;
            cut |= *n > REPLIES_PER_THREAD;
            *n <= REPLIES_PER_THREAD
        }
    });
    (more.map(|(last, _)| last), cut)
}
