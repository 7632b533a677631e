//! What readers do to papers and what a paper's page shows: votes (one per user and paper,
//! counted once however often it is clicked), submissions to today's list, hiding by admins,
//! and the lists on a profile.

use crate::backend::{query, CHUNK};
use crate::changes::touch;
use crate::papers::paper_exists;
use crate::ranking::PAPER_UPVOTES;
use crate::rows::{
    day_text, parse_day_text, prefixed, shown_entry_columns, EntryRow, PaperRow, PAPER_COLUMNS,
};
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use chrono::NaiveDate;
use dp_core::{shown_count, ArxivId, FeedEntry, Paper, User};

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
    /// Hub repositories citing it, when the Hub was asked.
    pub hub: Option<dp_core::HubRepos>,
}

impl PaperDetail {
    /// The upvotes a reader sees: [`shown_count`] of the newest list entry.
    pub fn upvotes(&self) -> i64 {
        shown_count(self.entries.first().map(|e| e.upvotes), self.local_upvotes)
    }

    /// The comments a reader sees: [`shown_count`] of the newest list entry.
    pub fn comments(&self) -> i64 {
        shown_count(
            self.entries.first().map(|e| e.num_comments),
            self.local_comments,
        )
    }
}

/// After a vote: whether the user's vote now stands, and the paper's upvotes as shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteState {
    /// The user's upvote is recorded.
    pub voted: bool,
    /// [`PaperDetail::upvotes`] after the vote.
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

/// Votes, submissions, hiding and the paper page's data.
#[async_trait]
pub trait Community: Send + Sync {
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

    /// A paper with its lists and local counts.
    async fn paper_detail(&self, paper: &ArxivId) -> Result<Option<PaperDetail>, StoreError>;

    /// Hides a paper from (or shows it again on) every list. `false` when it does not exist.
    async fn set_hidden(&self, paper: &ArxivId, hidden: bool) -> Result<bool, StoreError>;

    /// Sets a paper's own code repository and project page (`None` clears one); they are shown
    /// over what a list entry carries. `false` when the paper does not exist.
    async fn set_links(
        &self,
        paper: &ArxivId,
        github_repo: Option<&str>,
        project_page: Option<&str>,
    ) -> Result<bool, StoreError>;

    /// The local user who submitted the paper to a list on this server, if one did.
    async fn submitter_of(&self, paper: &ArxivId) -> Result<Option<i64>, StoreError>;

    /// Puts a paper on the list of `day` for `user`, unless it is on a list already or the
    /// user submitted `max_per_day` papers in the last 24 hours.
    async fn submit_paper(
        &self,
        user: &User,
        paper: &ArxivId,
        day: NaiveDate,
        max_per_day: i64,
    ) -> Result<SubmitOutcome, StoreError>;

    /// How many papers the user submitted in the last 24 hours.
    async fn submissions_last_day(&self, user_id: i64) -> Result<i64, StoreError>;

    /// Papers the user submitted, newest first.
    async fn submitted_by(&self, user_id: i64, limit: i64) -> Result<Vec<Paper>, StoreError>;

    /// Papers the user upvoted, newest vote first.
    async fn upvoted_by(&self, user_id: i64, limit: i64) -> Result<Vec<Paper>, StoreError>;
}

impl SqlStore {
    /// The papers a user acted on through `table` (`submissions`, `votes`: rows with
    /// `user_id`, `paper_id` and `created_at`), newest first.
    pub(crate) async fn papers_of_user(
        &self,
        table: &'static str,
        user_id: i64,
        limit: i64,
    ) -> Result<Vec<Paper>, StoreError> {
        query(format!(
            "SELECT {} FROM {table} x JOIN papers p ON p.id = x.paper_id \
             WHERE x.user_id = $1 ORDER BY x.created_at DESC LIMIT $2",
            prefixed(PAPER_COLUMNS, "p")
        ))
        .bind(user_id)
        .bind(limit)
        .fetch_all::<PaperRow>(&self.db)
        .await?
        .into_iter()
        .map(PaperRow::into_paper)
        .collect()
    }
}

#[async_trait]
impl Community for SqlStore {
    async fn set_vote(
        &self,
        user_id: i64,
        paper: &ArxivId,
        up: bool,
    ) -> Result<Option<VoteState>, StoreError> {
        let id = paper.base();
        let mut tx = self.db.begin_write().await?;
        if !paper_exists(&mut tx, id).await? {
            return Ok(None);
        }
        // The count moves only when the vote row really appears or disappears, so double
        // clicks and concurrent requests never count twice.
        let changed = if up {
            query(
                "INSERT INTO votes (user_id, paper_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, paper_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(id)
            .bind(now_millis())
            .execute(&mut tx)
            .await?
        } else {
            query("DELETE FROM votes WHERE user_id = $1 AND paper_id = $2")
                .bind(user_id)
                .bind(id)
                .execute(&mut tx)
                .await?
        };
        if changed == 1 {
            query("UPDATE papers SET local_upvotes = local_upvotes + $1 WHERE id = $2")
                .bind(if up { 1i64 } else { -1i64 })
                .bind(id)
                .execute(&mut tx)
                .await?;
            touch(&mut tx, id).await?;
        }
        let upvotes: i64 = query(format!(
            "SELECT {PAPER_UPVOTES} FROM papers p WHERE p.id = $1"
        ))
        .bind(id)
        .scalar(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(Some(VoteState { voted: up, upvotes }))
    }

    async fn voted_papers(
        &self,
        user_id: i64,
        paper_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for chunk in paper_ids.chunks(CHUNK) {
            let mut q = query("SELECT paper_id FROM votes WHERE user_id = $1 AND paper_id IN (")
                .bind(user_id);
            q.push_binds(chunk.iter().map(String::as_str)).push(")");
            out.extend(q.scalars::<String>(&self.db).await?);
        }
        Ok(out)
    }

    async fn paper_detail(&self, paper: &ArxivId) -> Result<Option<PaperDetail>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            paper: PaperRow,
            hidden: bool,
            local_upvotes: i64,
            local_comments: i64,
        }
        let row: Option<Row> = query(format!(
            "SELECT {PAPER_COLUMNS}, hidden, local_upvotes, local_comments FROM papers WHERE id = $1"
        ))
        .bind(paper.base())
        .fetch_optional(&self.db)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let entries: Vec<EntryRow> = query(format!(
            "SELECT {} FROM feed_entries e WHERE e.paper_id = $1 ORDER BY e.day DESC",
            shown_entry_columns("e")
        ))
        .bind(paper.base())
        .fetch_all(&self.db)
        .await?;
        let hub = crate::HubLinks::hub_repos(self, paper).await?;
        Ok(Some(PaperDetail {
            hub,
            paper: row.paper.into_paper()?,
            hidden: row.hidden,
            local_upvotes: row.local_upvotes,
            local_comments: row.local_comments,
            entries: entries
                .into_iter()
                .map(EntryRow::into_entry)
                .collect::<Result<_, _>>()?,
        }))
    }

    async fn set_hidden(&self, paper: &ArxivId, hidden: bool) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let n = query("UPDATE papers SET hidden = $1 WHERE id = $2")
            .bind(hidden)
            .bind(paper.base())
            .execute(&mut tx)
            .await?;
        if n == 1 {
            touch(&mut tx, paper.base()).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn set_links(
        &self,
        paper: &ArxivId,
        github_repo: Option<&str>,
        project_page: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let n = query("UPDATE papers SET github_repo = $1, project_page = $2 WHERE id = $3")
            .bind(github_repo)
            .bind(project_page)
            .bind(paper.base())
            .execute(&mut tx)
            .await?;
        if n == 1 {
            touch(&mut tx, paper.base()).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn submitter_of(&self, paper: &ArxivId) -> Result<Option<i64>, StoreError> {
        query("SELECT user_id FROM submissions WHERE paper_id = $1")
            .bind(paper.base())
            .scalar_optional(&self.db)
            .await
    }

    async fn submissions_last_day(&self, user_id: i64) -> Result<i64, StoreError> {
        query("SELECT COUNT(*) FROM submissions WHERE user_id = $1 AND created_at > $2")
            .bind(user_id)
            .bind(now_millis() - 86_400_000)
            .scalar(&self.db)
            .await
    }

    async fn submit_paper(
        &self,
        user: &User,
        paper: &ArxivId,
        day: NaiveDate,
        max_per_day: i64,
    ) -> Result<SubmitOutcome, StoreError> {
        let id = paper.base();
        let now = now_millis();
        let mut tx = self.db.begin_write().await?;
        let on_list: Option<String> =
            query("SELECT MAX(day) FROM feed_entries WHERE paper_id = $1")
                .bind(id)
                .scalar(&mut tx)
                .await?;
        if let Some(d) = on_list {
            return Ok(SubmitOutcome::Duplicate(parse_day_text(&d)?));
        }
        let recent: i64 =
            query("SELECT COUNT(*) FROM submissions WHERE user_id = $1 AND created_at > $2")
                .bind(user.id)
                .bind(now - 86_400_000)
                .scalar(&mut tx)
                .await?;
        if recent >= max_per_day {
            return Ok(SubmitOutcome::TooMany);
        }
        let d = day_text(day);
        // Two people submitting the same paper at once: the second finds the row.
        let inserted = query(
            "INSERT INTO submissions (paper_id, user_id, day, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (paper_id) DO NOTHING",
        )
        .bind(id)
        .bind(user.id)
        .bind(&d)
        .bind(now)
        .execute(&mut tx)
        .await?;
        if inserted == 0 {
            let existing: String = query("SELECT day FROM submissions WHERE paper_id = $1")
                .bind(id)
                .scalar(&mut tx)
                .await?;
            return Ok(SubmitOutcome::Duplicate(parse_day_text(&existing)?));
        }
        query(
            "INSERT INTO feed_entries (day, paper_id, position, published_at, submitted_at, \
             submitted_by, upvotes, num_comments, ai_keywords) \
             VALUES ($1, $2, (SELECT COALESCE(MAX(position), -1) + 1 FROM feed_entries WHERE day = $1), \
             $3, $4, $5, 0, 0, '[]')",
        )
        .bind(&d)
        .bind(id)
        .bind(now)
        .bind(now)
        .bind(&user.name)
        .execute(&mut tx)
        .await?;
        touch(&mut tx, id).await?;
        tx.commit().await?;
        Ok(SubmitOutcome::Submitted(day))
    }

    async fn submitted_by(&self, user_id: i64, limit: i64) -> Result<Vec<Paper>, StoreError> {
        self.papers_of_user("submissions", user_id, limit).await
    }

    async fn upvoted_by(&self, user_id: i64, limit: i64) -> Result<Vec<Paper>, StoreError> {
        self.papers_of_user("votes", user_id, limit).await
    }
}
