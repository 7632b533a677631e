//! Row shapes shared by the SQL implementations, and their conversion to domain types.

use crate::StoreError;
use chrono::{DateTime, NaiveDate, Utc};
use dp_core::{ArxivId, FeedEntry, FeedItem, Paper};

/// The columns of `papers`, in the order the SQL uses them.
pub(crate) const PAPER_COLUMNS: &str = "id, version, title, abstract, authors, categories, \
     published_at, updated_at, comment, doi, journal_ref, github_repo, project_page";

/// `columns` (a comma-separated list) with every name prefixed by `alias.`.
pub(crate) fn prefixed(columns: &str, alias: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The columns of `feed_entries`, in the order the SQL uses them.
pub(crate) const ENTRY_COLUMNS: &str = "day, paper_id, position, published_at, submitted_at, \
     submitted_by, upvotes, num_comments, ai_summary, ai_keywords, github_repo, github_stars, \
     project_page, organization, source_json, hf_extras";

#[derive(sqlx::FromRow)]
pub(crate) struct PaperRow {
    pub id: String,
    pub version: Option<i64>,
    pub title: String,
    #[sqlx(rename = "abstract")]
    pub abstract_text: String,
    pub authors: String,
    pub categories: String,
    pub published_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub comment: Option<String>,
    pub doi: Option<String>,
    pub journal_ref: Option<String>,
    pub github_repo: Option<String>,
    pub project_page: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct EntryRow {
    pub day: String,
    pub paper_id: String,
    pub position: i64,
    pub published_at: i64,
    pub submitted_at: Option<i64>,
    pub submitted_by: Option<String>,
    pub upvotes: i64,
    pub num_comments: i64,
    pub ai_summary: Option<String>,
    pub ai_keywords: String,
    pub github_repo: Option<String>,
    pub github_stars: Option<i64>,
    pub project_page: Option<String>,
    pub organization: Option<String>,
    pub source_json: Option<String>,
    pub hf_extras: Option<String>,
}

/// [`ENTRY_COLUMNS`] of entries `alias` for showing them: the source's item text (only kept for
/// provenance and copies) is left out, as `NULL`.
pub(crate) fn shown_entry_columns(alias: &str) -> String {
    prefixed(ENTRY_COLUMNS, alias).replace(&format!("{alias}.source_json"), "NULL AS source_json")
}

/// A feed entry joined with its paper, as `day_feed` selects it.
#[derive(sqlx::FromRow)]
pub(crate) struct FeedRow {
    #[sqlx(flatten)]
    pub entry: EntryRow,
    pub p_version: Option<i64>,
    pub p_title: String,
    pub p_abstract: String,
    pub p_authors: String,
    pub p_categories: String,
    pub p_published_at: Option<i64>,
    pub p_updated_at: Option<i64>,
    pub p_comment: Option<String>,
    pub p_doi: Option<String>,
    pub p_journal_ref: Option<String>,
    pub p_github_repo: Option<String>,
    pub p_project_page: Option<String>,
    pub p_local_upvotes: i64,
    pub p_local_comments: i64,
}

/// The paper columns of a `FeedRow`, aliased.
pub(crate) const FEED_PAPER_COLUMNS: &str = "p.version AS p_version, p.title AS p_title, \
     p.abstract AS p_abstract, p.authors AS p_authors, p.categories AS p_categories, \
     p.published_at AS p_published_at, p.updated_at AS p_updated_at, p.comment AS p_comment, \
     p.doi AS p_doi, p.journal_ref AS p_journal_ref, p.github_repo AS p_github_repo, \
     p.project_page AS p_project_page, p.local_upvotes AS p_local_upvotes, \
     p.local_comments AS p_local_comments";

/// A day as stored: `YYYY-MM-DD` text.
pub(crate) fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// A stored day.
pub(crate) fn parse_day_text(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("day {s:?}: {e}")))
}

/// A stored time (epoch milliseconds).
pub(crate) fn time(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Corrupt(format!("time {ms}")))
}

pub(crate) fn opt_time(ms: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    ms.map(time).transpose()
}

fn json_list(s: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("list {s:?}: {e}")))
}

/// An entry's Hugging Face extras as stored.
pub(crate) fn hf_json(hf: Option<&dp_core::HfExtras>) -> Option<String> {
    // Serialising plain strings, lists and flags cannot fail.
    hf.and_then(|x| serde_json::to_string(x).ok())
}

pub(crate) fn to_json_list(v: &[String]) -> String {
    // Serialising a list of strings cannot fail.
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn id(s: &str) -> Result<ArxivId, StoreError> {
    ArxivId::parse(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn version(v: Option<i64>) -> Option<u32> {
    v.and_then(|v| u32::try_from(v).ok())
}

impl PaperRow {
    pub fn into_paper(self) -> Result<Paper, StoreError> {
        Ok(Paper {
            id: id(&self.id)?,
            version: version(self.version),
            title: self.title,
            abstract_text: self.abstract_text,
            authors: json_list(&self.authors)?,
            categories: json_list(&self.categories)?,
            published: opt_time(self.published_at)?,
            updated: opt_time(self.updated_at)?,
            comment: self.comment,
            doi: self.doi,
            journal_ref: self.journal_ref,
            github_repo: self.github_repo,
            project_page: self.project_page,
        })
    }
}

impl EntryRow {
    pub fn into_entry(self) -> Result<FeedEntry, StoreError> {
        Ok(FeedEntry {
            day: parse_day_text(&self.day)?,
            paper_id: id(&self.paper_id)?,
            position: self.position,
            published_at: time(self.published_at)?,
            submitted_at: opt_time(self.submitted_at)?,
            submitted_by: self.submitted_by,
            upvotes: self.upvotes,
            num_comments: self.num_comments,
            ai_summary: self.ai_summary,
            ai_keywords: json_list(&self.ai_keywords)?,
            github_repo: self.github_repo,
            github_stars: self.github_stars,
            project_page: self.project_page,
            organization: self.organization,
            source_json: self.source_json,
            // NULL: not filled yet; `null`: no extras.
            hf: match self.hf_extras.as_deref() {
                None => None,
                Some(text) => serde_json::from_str(text)
                    .map_err(|e| StoreError::Corrupt(format!("hf_extras: {e}")))?,
            },
        })
    }
}

impl FeedRow {
    pub fn into_item(self) -> Result<FeedItem, StoreError> {
        let paper = PaperRow {
            id: self.entry.paper_id.clone(),
            version: self.p_version,
            title: self.p_title,
            abstract_text: self.p_abstract,
            authors: self.p_authors,
            categories: self.p_categories,
            published_at: self.p_published_at,
            updated_at: self.p_updated_at,
            comment: self.p_comment,
            doi: self.p_doi,
            journal_ref: self.p_journal_ref,
            github_repo: self.p_github_repo,
            project_page: self.p_project_page,
        }
        .into_paper()?;
        Ok(FeedItem {
            entry: self.entry.into_entry()?,
            paper,
            local_upvotes: self.p_local_upvotes,
            local_comments: self.p_local_comments,
        })
    }
}

/// Stored bare ids as [`dp_core::ArxivId`]s (a bad one is corruption).
pub(crate) fn parse_ids(ids: &[String]) -> Result<Vec<dp_core::ArxivId>, StoreError> {
    ids.iter()
        .map(|s| {
            dp_core::ArxivId::parse(s)
                .map_err(|e| StoreError::Corrupt(format!("paper id {s:?}: {e}")))
        })
        .collect()
}
