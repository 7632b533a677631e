//! The community half of the store: accounts, sessions, votes, comments, submissions, claims,
//! moderation and shared rate limits. Part of [`crate::Store`] (a supertrait), implemented once
//! for both databases by `community_sql!`.

use crate::StoreError;
use async_trait::async_trait;
use chrono::NaiveDate;
use dp_core::{
    ApiToken, ArxivId, Claim, ClaimState, Comment, FeedEntry, FeedItem, Paper, TokenScope, User,
    Username,
};
use std::time::Duration;

/// A paper with everything its page shows from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperDetail {
    /// The metadata.
    pub paper: Paper,
    /// Hidden from the lists by an admin.
    pub hidden: bool,
    /// Upvotes cast on this server.
    pub local_upvotes: i64,
    /// Live comments on this server.
    pub local_comments: i64,
    /// The lists it is on, newest day first.
    pub entries: Vec<FeedEntry>,
}

impl PaperDetail {
    /// The upvotes a reader sees: the newest list entry's count from its source plus this
    /// server's votes.
    pub fn upvotes(&self) -> i64 {
        self.entries.first().map_or(0, |e| e.upvotes) + self.local_upvotes
    }

    /// Comments a reader sees: the source's count plus this server's.
    pub fn comments(&self) -> i64 {
        self.entries.first().map_or(0, |e| e.num_comments) + self.local_comments
    }
}

/// A paper as the search index follows it: its change-cursor position and visibility.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedPaper {
    /// The paper's `seq` (the change cursor) when read.
    pub seq: i64,
    /// The metadata.
    pub paper: Paper,
    /// Hidden from the lists (and from search) by an admin.
    pub hidden: bool,
}

/// A paper with the counts a reader sees, for search results.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperSummary {
    /// The metadata.
    pub paper: Paper,
    /// The newest list entry's count from its source plus this server's votes.
    pub upvotes: i64,
    /// The newest list entry's comment count plus this server's comments.
    pub comments: i64,
}

/// A column of a community table, as `export_rows`/`import_rows` carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// 64-bit integer.
    Int,
    /// Integer or NULL.
    OptInt,
    /// Text.
    Text,
    /// Text or NULL.
    OptText,
    /// Boolean.
    Bool,
}

/// A community table: its name, its columns, and the key it is ordered by.
pub type TableSpec = (
    &'static str,
    &'static [(&'static str, ColumnKind)],
    &'static str,
);

/// The community tables a store copy carries, in the order they must be written (rows refer to
/// rows of earlier tables), with their columns and the key they are ordered and deduplicated by.
/// `paper_flags` is not a table: it is `papers.hidden`, `local_upvotes` and `local_comments`,
/// which the paper copy does not carry.
pub const COMMUNITY_TABLES: &[TableSpec] = {
    use ColumnKind::*;
    &[
        (
            "users",
            &[
                ("id", Int),
                ("name", Text),
                ("name_key", Text),
                ("password_hash", Text),
                ("is_admin", Bool),
                ("banned", Bool),
                ("created_at", Int),
            ],
            "id",
        ),
        (
            "sessions",
            &[
                ("token_hash", Text),
                ("user_id", Int),
                ("created_at", Int),
                ("expires_at", Int),
            ],
            "token_hash",
        ),
        (
            "paper_flags",
            &[
                ("id", Text),
                ("hidden", Bool),
                ("local_upvotes", Int),
                ("local_comments", Int),
            ],
            "id",
        ),
        (
            "votes",
            &[("user_id", Int), ("paper_id", Text), ("created_at", Int)],
            "user_id, paper_id",
        ),
        (
            "submissions",
            &[
                ("paper_id", Text),
                ("user_id", Int),
                ("day", Text),
                ("created_at", Int),
            ],
            "paper_id",
        ),
        (
            "comments",
            &[
                ("id", Int),
                ("paper_id", Text),
                ("user_id", Int),
                ("parent_id", OptInt),
                ("body", Text),
                ("created_at", Int),
                ("edited_at", OptInt),
                ("deleted", Bool),
            ],
            "id",
        ),
        (
            "claims",
            &[
                ("id", Int),
                ("paper_id", Text),
                ("user_id", Int),
                ("author_name", Text),
                ("state", Text),
                ("created_at", Int),
                ("decided_at", OptInt),
                ("decided_by", OptInt),
            ],
            "id",
        ),
        (
            "api_tokens",
            &[
                ("id", Int),
                ("user_id", Int),
                ("name", Text),
                ("token_hash", Text),
                ("scope", Text),
                ("created_at", Int),
                ("last_used_at", OptInt),
                ("revoked_at", OptInt),
            ],
            "id",
        ),
        (
            "subscribers",
            &[
                ("id", Int),
                ("email", Text),
                ("email_key", Text),
                ("cadence", Text),
                ("state", Text),
                ("user_id", OptInt),
                ("searches", Text),
                ("created_at", Int),
                ("changed_at", Int),
                ("last_sent_day", OptText),
                ("last_error", OptText),
            ],
            "id",
        ),
    ]
};

/// After a vote: whether the user's vote now stands, and the paper's upvotes as shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteState {
    /// The user's upvote is recorded.
    pub voted: bool,
    /// The source's count on the paper's newest entry plus this server's votes.
    pub upvotes: i64,
}

/// What submitting a paper did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// It was put on the list of this day.
    Submitted(NaiveDate),
    /// It was already on the list of this day (the newest one it is on); nothing changed.
    Duplicate(NaiveDate),
    /// The user reached the number of submissions allowed in 24 hours.
    TooMany,
}

/// The community part of the storage interface. Every method is one transaction.
#[async_trait]
pub trait Community: Send + Sync {
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

    /// Casts (`up`) or withdraws a user's upvote. Idempotent: voting twice counts once.
    /// `None` when the paper does not exist.
    async fn set_vote(
        &self,
        user_id: i64,
        paper: &ArxivId,
        up: bool,
    ) -> Result<Option<VoteState>, StoreError>;

    /// Which of `paper_ids` the user has upvoted.
    async fn voted_papers(
        &self,
        user_id: i64,
        paper_ids: &[String],
    ) -> Result<Vec<String>, StoreError>;

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

    /// A paper's comments, oldest first.
    async fn comments(&self, paper: &ArxivId) -> Result<Vec<Comment>, StoreError>;

    /// A paper with its lists and local counts.
    async fn paper_detail(&self, paper: &ArxivId) -> Result<Option<PaperDetail>, StoreError>;

    /// Hides a paper from (or shows it again on) every list. `false` when it does not exist.
    async fn set_hidden(&self, paper: &ArxivId, hidden: bool) -> Result<bool, StoreError>;

    /// Every entry from `from` to `to` (inclusive) of papers not hidden, a paper once (its
    /// entry with the most upvotes), ranked by upvotes then newest.
    async fn period_feed(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<FeedItem>, StoreError>;

    /// Puts a paper on the list of `day` for `user`, unless it is on a list already or the
    /// user submitted `max_per_day` papers in the last 24 hours.
    async fn submit_paper(
        &self,
        user: &User,
        paper: &ArxivId,
        day: NaiveDate,
        max_per_day: i64,
    ) -> Result<SubmitOutcome, StoreError>;

    /// Records a claim to be the author `author_name` of a paper. A repeated claim is a
    /// [`StoreError::Conflict`].
    async fn add_claim(
        &self,
        user_id: i64,
        paper: &ArxivId,
        author_name: &str,
    ) -> Result<Claim, StoreError>;

    /// Claims, newest first, filtered by state, paper and user when given.
    async fn claims(
        &self,
        state: Option<ClaimState>,
        paper: Option<&ArxivId>,
        user_id: Option<i64>,
    ) -> Result<Vec<Claim>, StoreError>;

    /// An admin's decision on a pending claim. `None` when no such pending claim exists.
    async fn decide_claim(
        &self,
        id: i64,
        approve: bool,
        admin_id: i64,
    ) -> Result<Option<Claim>, StoreError>;

    /// Papers the user submitted, newest first.
    async fn submitted_by(&self, user_id: i64, limit: i64) -> Result<Vec<Paper>, StoreError>;

    /// Papers the user upvoted, newest vote first.
    async fn upvoted_by(&self, user_id: i64, limit: i64) -> Result<Vec<Paper>, StoreError>;

    /// Counts one event against `key` in the current fixed window of `window` and returns the
    /// count so far in that window. Shared by every server on the store.
    async fn hit_rate_limit(&self, key: &str, window: Duration) -> Result<i64, StoreError>;

    /// Records a new API token of `user_id` (only its hash is kept).
    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        scope: TokenScope,
    ) -> Result<ApiToken, StoreError>;

    /// A user's API tokens, newest first, revoked ones included.
    async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError>;

    /// Revokes one of the user's live tokens. `false` when the user has no such live token.
    async fn revoke_api_token(&self, user_id: i64, token_id: i64) -> Result<bool, StoreError>;

    /// The owner and scope of a live token (not revoked, owner not banned), noting its use
    /// (at most once a minute).
    async fn api_token_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(User, TokenScope)>, StoreError>;

    /// List entries put there by `submitter` (a user name, exact), of papers not hidden, newest
    /// day first (then as a daily list is ranked), at most `limit`.
    async fn submitter_feed(
        &self,
        submitter: &str,
        limit: i64,
    ) -> Result<Vec<FeedItem>, StoreError>;

    /// Papers not hidden, by arXiv publication time, newest first, starting after the cursor
    /// `(published_at in ms, bare id)` when given, at most `limit`. Papers without a publication
    /// time are not listed.
    async fn papers_page(
        &self,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<PaperSummary>, StoreError>;

    /// Removes expired sessions and rate-limit windows older than a day.
    async fn purge_expired(&self) -> Result<(), StoreError>;

    /// The papers with these bare ids (in no particular order; missing ids are left out).
    async fn papers_by_ids(&self, ids: &[String]) -> Result<Vec<PaperSummary>, StoreError>;

    /// Rows of one of [`COMMUNITY_TABLES`] in key order, skipping `offset`, at most `limit`;
    /// each row is its columns as JSON values. For copying a store.
    async fn export_rows(
        &self,
        table: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Vec<serde_json::Value>>, StoreError>;

    /// Writes rows exported by [`Community::export_rows`] (rows already present are kept),
    /// in one transaction.
    async fn import_rows(
        &self,
        table: &str,
        rows: &[Vec<serde_json::Value>],
    ) -> Result<(), StoreError>;

    /// Papers whose change cursor is above `after`, in cursor order, at most `limit`: what a
    /// search index must (re)index to catch up.
    async fn papers_since(&self, after: i64, limit: i64) -> Result<Vec<ChangedPaper>, StoreError>;

    /// The change cursor: the highest `seq` of any paper. It rises whenever a paper, its lists,
    /// votes, comments or visibility change.
    async fn change_marker(&self) -> Result<i64, StoreError>;

    /// Waits until another process may have changed papers, or `timeout` passes (PostgreSQL:
    /// `LISTEN`; SQLite: the timeout, callers then compare [`Community::change_marker`]).
    async fn wait_for_change(&self, timeout: Duration);
}
