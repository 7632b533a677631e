//! Papers: arXiv metadata, one row per bare id, written by the merging upsert that every
//! importer and harvester goes through.

use crate::backend::{query, Arg, CopyRows, Tx, CHUNK};
use crate::plan::{batch_ids, plan};
use crate::ranking::{PAPER_COMMENTS, PAPER_UPVOTES};
use crate::rows::{
    hf_json, prefixed, to_json_list, EntryRow, PaperRow, ENTRY_COLUMNS, PAPER_COLUMNS,
};
use crate::{millis, SqlStore, StoreError};
use async_trait::async_trait;
use dp_core::{ArxivId, FeedEntry, Outcome, Paper, Record};
use std::collections::HashSet;

/// A paper with the counts a reader sees, for search results and the publication-time list.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperSummary {
    /// The metadata.
    pub paper: Paper,
    /// [`dp_core::shown_count`] of the upvotes on the newest list entry.
    pub upvotes: i64,
    /// [`dp_core::shown_count`] of the comments on the newest list entry.
    pub comments: i64,
}

/// Papers and the upsert of imported records.
#[async_trait]
pub trait Papers: Send + Sync {
    /// Inserts or merges a batch of records in one transaction and says, per record, what happened.
    ///
    /// Papers merge by [`Paper::merged_with`] (newer versions win; nothing else overwrites);
    /// feed entries are keyed by (day, paper) and replaced when they differ. Writing the same
    /// batch twice reports [`Outcome::Unchanged`] for every record the second time.
    async fn upsert_records(&self, records: Vec<Record>) -> Result<Vec<Outcome>, StoreError>;

    /// How many [`Papers::upsert_records`] calls on batches with no paper in common pay to
    /// run at once: 1 where writes are serialised anyway (SQLite), more where the database
    /// works on each transaction in a process of its own (PostgreSQL).
    fn concurrent_writers(&self) -> usize {
        1
    }

    /// A paper by its bare id (any version in `id` is ignored).
    async fn paper(&self, id: &ArxivId) -> Result<Option<Paper>, StoreError>;

    /// The papers with these bare ids (in no particular order; missing ids are left out).
    async fn papers_by_ids(&self, ids: &[String]) -> Result<Vec<PaperSummary>, StoreError>;

    /// Papers not hidden, by arXiv publication time, newest first, starting after the cursor
    /// `(published_at in ms, bare id)` when given, at most `limit`. Papers without a publication
    /// time are not listed.
    async fn papers_page(
        &self,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<PaperSummary>, StoreError>;

    /// Papers in id order, after `after` (exclusive), at most `limit`: for copying a store.
    async fn papers_after(&self, after: Option<&str>, limit: i64)
        -> Result<Vec<Paper>, StoreError>;
}

/// The columns of a [`SummaryRow`] after the paper's.
fn summary_columns() -> String {
    format!(
        "{}, {PAPER_UPVOTES} AS shown_upvotes, {PAPER_COMMENTS} AS shown_comments",
        prefixed(PAPER_COLUMNS, "p")
    )
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    #[sqlx(flatten)]
    paper: PaperRow,
    shown_upvotes: i64,
    shown_comments: i64,
}

impl SummaryRow {
    fn into_summary(self) -> Result<PaperSummary, StoreError> {
        Ok(PaperSummary {
            upvotes: self.shown_upvotes,
            comments: self.shown_comments,
            paper: self.paper.into_paper()?,
        })
    }
}

/// Whether the store has paper `id` (a bare id), inside a transaction.
pub(crate) async fn paper_exists(tx: &mut Tx, id: &str) -> Result<bool, StoreError> {
    let n: i64 = query("SELECT COUNT(*) FROM papers WHERE id = $1")
        .bind(id)
        .scalar(tx)
        .await?;
    Ok(n > 0)
}

/// The stored papers of a batch, locked for the rest of the transaction where the database
/// locks rows.
async fn load_papers(tx: &mut Tx, ids: &[String]) -> Result<Vec<Paper>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut q = query(format!("SELECT {PAPER_COLUMNS} FROM papers WHERE id IN ("));
        q.push_binds(chunk.iter().map(String::as_str)).push(")");
        q.push(tx.for_update());
        for row in q.fetch_all::<PaperRow>(&mut *tx).await? {
            out.push(row.into_paper()?);
        }
    }
    Ok(out)
}

async fn load_entries(tx: &mut Tx, ids: &[String]) -> Result<Vec<FeedEntry>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let mut q = query(format!(
            "SELECT {ENTRY_COLUMNS} FROM feed_entries WHERE paper_id IN ("
        ));
        q.push_binds(chunk.iter().map(String::as_str)).push(")");
        for row in q.fetch_all::<EntryRow>(&mut *tx).await? {
            out.push(row.into_entry()?);
        }
    }
    Ok(out)
}

/// What a merge of papers changes on a stored paper: everything the record says, and its
/// change cursor.
const PAPER_MERGE: &str = " ON CONFLICT (id) DO UPDATE SET version = excluded.version, \
     title = excluded.title, abstract = excluded.abstract, authors = excluded.authors, \
     categories = excluded.categories, published_at = excluded.published_at, \
     updated_at = excluded.updated_at, comment = excluded.comment, doi = excluded.doi, \
     journal_ref = excluded.journal_ref, github_repo = excluded.github_repo, \
     project_page = excluded.project_page, seq = excluded.seq";

/// What a merge of list entries changes on a stored entry.
const ENTRY_MERGE: &str = " ON CONFLICT (day, paper_id) DO UPDATE SET \
     position = excluded.position, published_at = excluded.published_at, \
     submitted_at = excluded.submitted_at, submitted_by = excluded.submitted_by, \
     upvotes = excluded.upvotes, num_comments = excluded.num_comments, \
     ai_summary = excluded.ai_summary, ai_keywords = excluded.ai_keywords, \
     github_repo = excluded.github_repo, github_stars = excluded.github_stars, \
     project_page = excluded.project_page, organization = excluded.organization, \
     source_json = excluded.source_json, hf_extras = excluded.hf_extras";

/// A paper's [`PAPER_COLUMNS`] values.
fn paper_args(p: &Paper) -> [Arg<'_>; 13] {
    [
        p.id.base().into(),
        p.version.map(i64::from).into(),
        p.title.as_str().into(),
        p.abstract_text.as_str().into(),
        to_json_list(&p.authors).into(),
        to_json_list(&p.categories).into(),
        p.published.map(millis).into(),
        p.updated.map(millis).into(),
        p.comment.as_deref().into(),
        p.doi.as_deref().into(),
        p.journal_ref.as_deref().into(),
        p.github_repo.as_deref().into(),
        p.project_page.as_deref().into(),
    ]
}

/// An entry's [`ENTRY_COLUMNS`] values.
fn entry_args(e: &FeedEntry) -> [Arg<'_>; 16] {
    [
        crate::rows::day_text(e.day).into(),
        e.paper_id.base().into(),
        e.position.into(),
        millis(e.published_at).into(),
        e.submitted_at.map(millis).into(),
        e.submitted_by.as_deref().into(),
        e.upvotes.into(),
        e.num_comments.into(),
        e.ai_summary.as_deref().into(),
        to_json_list(&e.ai_keywords).into(),
        e.github_repo.as_deref().into(),
        e.github_stars.into(),
        e.project_page.as_deref().into(),
        e.organization.as_deref().into(),
        e.source_json.as_deref().into(),
        hf_json(e.hf.as_ref()).into(),
    ]
}

/// Writes the planned papers. `stored`: the ids the store held when the batch locked them.
///
/// On PostgreSQL, papers new to the store go in by one binary `COPY` (their change-cursor
/// numbers drawn from the sequence in one statement first); no other writer can add them
/// meanwhile, since every writer holds the batch's advisory locks. Stored papers, and every
/// paper on SQLite, are merged by multi-row `INSERT … ON CONFLICT`.
async fn write_papers(
    tx: &mut Tx,
    papers: &[Paper],
    stored: &HashSet<&str>,
) -> Result<(), StoreError> {
    let (new, merged): (Vec<&Paper>, Vec<&Paper>) = if tx.is_postgres() {
        papers.iter().partition(|p| !stored.contains(p.id.base()))
    } else {
        (Vec::new(), papers.iter().collect())
    };
    if !new.is_empty() {
        let seqs: Vec<i64> = query("SELECT nextval('paper_seq') FROM generate_series(1, $1)")
            .bind(new.len() as i64)
            .scalars(&mut *tx)
            .await?;
        let mut rows = CopyRows::new(PAPER_COLUMNS.split(", ").count() + 1);
        for (p, seq) in new.iter().zip(seqs) {
            let mut row = paper_args(p).to_vec();
            row.push(Arg::Int(seq));
            rows.push(&row)?;
        }
        tx.copy_in(
            &format!("COPY papers ({PAPER_COLUMNS}, seq) FROM STDIN (FORMAT binary)"),
            rows,
        )
        .await?;
    }
    for chunk in merged.chunks(CHUNK) {
        let mut q = query(format!("INSERT INTO papers ({PAPER_COLUMNS}, seq) VALUES "));
        for (i, p) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.push_binds::<Arg>(paper_args(p));
            q.push(", ");
            tx.push_next_seq(&mut q).await?;
            q.push(")");
        }
        q.push(PAPER_MERGE);
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Writes the planned list entries; `stored`: the (day, paper) keys the store held. New
/// entries go in by `COPY` on PostgreSQL, as in [`write_papers`].
async fn write_entries(
    tx: &mut Tx,
    entries: &[FeedEntry],
    stored: &HashSet<(chrono::NaiveDate, &str)>,
) -> Result<(), StoreError> {
    let (new, merged): (Vec<&FeedEntry>, Vec<&FeedEntry>) = if tx.is_postgres() {
        entries
            .iter()
            .partition(|e| !stored.contains(&(e.day, e.paper_id.base())))
    } else {
        (Vec::new(), entries.iter().collect())
    };
    if !new.is_empty() {
        let mut rows = CopyRows::new(ENTRY_COLUMNS.split(", ").count());
        for e in &new {
            rows.push(&entry_args(e))?;
        }
        tx.copy_in(
            &format!("COPY feed_entries ({ENTRY_COLUMNS}) FROM STDIN (FORMAT binary)"),
            rows,
        )
        .await?;
    }
    for chunk in merged.chunks(CHUNK) {
        let mut q = query(format!(
            "INSERT INTO feed_entries ({ENTRY_COLUMNS}) VALUES "
        ));
        for (i, e) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.push_binds::<Arg>(entry_args(e));
            q.push(")");
        }
        q.push(ENTRY_MERGE);
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

#[async_trait]
impl Papers for SqlStore {
    async fn upsert_records(&self, records: Vec<Record>) -> Result<Vec<Outcome>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids = batch_ids(&records);
        let mut tx = self.db.begin_write().await?;
        tx.widen_cache().await?;
        // Writers that touch the same papers take turns, so concurrent merges never lose a
        // newer version.
        tx.lock_papers(&ids).await?;
        let stored_papers = load_papers(&mut tx, &ids).await?;
        let stored_entries = if records.iter().any(|r| r.entry.is_some()) {
            load_entries(&mut tx, &ids).await?
        } else {
            Vec::new()
        };
        let stored_ids: Vec<String> = stored_papers
            .iter()
            .map(|p| p.id.base().to_string())
            .collect();
        let stored_keys: Vec<(chrono::NaiveDate, String)> = stored_entries
            .iter()
            .map(|e| (e.day, e.paper_id.base().to_string()))
            .collect();
        let plan = plan(records, stored_papers, stored_entries);
        let stored: HashSet<&str> = stored_ids.iter().map(String::as_str).collect();
        write_papers(&mut tx, &plan.papers, &stored).await?;
        let stored: HashSet<(chrono::NaiveDate, &str)> =
            stored_keys.iter().map(|(d, p)| (*d, p.as_str())).collect();
        write_entries(&mut tx, &plan.entries, &stored).await?;
        tx.commit().await?;
        Ok(plan.outcomes)
    }

    fn concurrent_writers(&self) -> usize {
        match self.db {
            crate::backend::Db::Sqlite(_) => 1,
            crate::backend::Db::Postgres(_) => 2,
        }
    }

    async fn paper(&self, id: &ArxivId) -> Result<Option<Paper>, StoreError> {
        query(format!("SELECT {PAPER_COLUMNS} FROM papers WHERE id = $1"))
            .bind(id.base())
            .fetch_optional::<PaperRow>(&self.db)
            .await?
            .map(PaperRow::into_paper)
            .transpose()
    }

    async fn papers_by_ids(&self, ids: &[String]) -> Result<Vec<PaperSummary>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let mut q = query(format!(
                "SELECT {} FROM papers p WHERE p.id IN (",
                summary_columns()
            ));
            q.push_binds(chunk.iter().map(String::as_str)).push(")");
            for r in q.fetch_all::<SummaryRow>(&self.db).await? {
                out.push(r.into_summary()?);
            }
        }
        Ok(out)
    }

    async fn papers_page(
        &self,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<PaperSummary>, StoreError> {
        let (at, id) = after.unwrap_or((i64::MAX, String::new()));
        // Without a cursor every paper is after (MAX, ""): the time test decides.
        query(format!(
            "SELECT {} FROM papers p \
             WHERE p.published_at IS NOT NULL AND NOT p.hidden \
             AND (p.published_at < $1 OR (p.published_at = $1 AND p.id < $2)) \
             ORDER BY p.published_at DESC, p.id DESC LIMIT $3",
            summary_columns()
        ))
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all::<SummaryRow>(&self.db)
        .await?
        .into_iter()
        .map(SummaryRow::into_summary)
        .collect()
    }

    async fn papers_after(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Paper>, StoreError> {
        query(format!(
            "SELECT {PAPER_COLUMNS} FROM papers WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all::<PaperRow>(&self.db)
        .await?
        .into_iter()
        .map(PaperRow::into_paper)
        .collect()
    }
}
