//! Daily lists: the entries that put papers on days' lists, and the lists ranked by
//! [`dp_core::LIST_RANKING`] (rendered as SQL by `ranking.rs`).

use crate::backend::{query, Db};
use crate::ranking::list_order;
use crate::rows::{
    day_text, parse_day_text, prefixed, shown_entry_columns, FeedRow, ENTRY_COLUMNS,
    FEED_PAPER_COLUMNS,
};
use crate::{SqlStore, StoreError};
use async_trait::async_trait;
use chrono::NaiveDate;
use dp_core::FeedItem;

/// The daily lists.
#[async_trait]
pub trait Feeds: Send + Sync {
    /// The list of one day without hidden papers, ranked by [`dp_core::LIST_RANKING`].
    async fn day_feed(&self, day: NaiveDate) -> Result<Vec<FeedItem>, StoreError>;

    /// The latest day that has entries.
    async fn latest_day(&self) -> Result<Option<NaiveDate>, StoreError>;

    /// The nearest days before and after `day` that have entries.
    async fn adjacent_days(
        &self,
        day: NaiveDate,
    ) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError>;

    /// Every entry from `from` to `to` (inclusive) of papers not hidden, a paper once (its
    /// entry with the most upvotes), ranked as a day's list.
    async fn period_feed(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<FeedItem>, StoreError>;

    /// List entries put there by `submitter` (a user name, exact), of papers not hidden, newest
    /// day first (then as a daily list is ranked), at most `limit`.
    async fn submitter_feed(
        &self,
        submitter: &str,
        limit: i64,
    ) -> Result<Vec<FeedItem>, StoreError>;

    /// Feed entries with their papers in (day, paper id) order, after `after` (exclusive): for
    /// copying a store.
    async fn entries_after(
        &self,
        after: Option<(NaiveDate, &str)>,
        limit: i64,
    ) -> Result<Vec<FeedItem>, StoreError>;
}

/// `SELECT` of entries `e` joined with their papers `p`, as [`FeedRow`] reads them; `full`
/// keeps the source's item text (for copies), lists leave it out.
fn select_items(full: bool) -> String {
    let entry = if full {
        prefixed(ENTRY_COLUMNS, "e")
    } else {
        shown_entry_columns("e")
    };
    format!(
        "SELECT {entry}, {FEED_PAPER_COLUMNS} FROM feed_entries e JOIN papers p ON p.id = e.paper_id"
    )
}

fn items(rows: Vec<FeedRow>) -> Result<Vec<FeedItem>, StoreError> {
    rows.into_iter().map(FeedRow::into_item).collect()
}

#[async_trait]
impl Feeds for SqlStore {
    async fn day_feed(&self, day: NaiveDate) -> Result<Vec<FeedItem>, StoreError> {
        let rows = query(format!(
            "{} WHERE e.day = $1 AND NOT p.hidden ORDER BY {}",
            select_items(false),
            list_order()
        ))
        .bind(day_text(day))
        .fetch_all(&self.db)
        .await?;
        items(rows)
    }

    async fn latest_day(&self) -> Result<Option<NaiveDate>, StoreError> {
        query("SELECT MAX(day) FROM feed_entries")
            .scalar::<Option<String>>(&self.db)
            .await?
            .as_deref()
            .map(parse_day_text)
            .transpose()
    }

    async fn adjacent_days(
        &self,
        day: NaiveDate,
    ) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError> {
        let d = day_text(day);
        let prev: Option<String> = query("SELECT MAX(day) FROM feed_entries WHERE day < $1")
            .bind(&d)
            .scalar(&self.db)
            .await?;
        let next: Option<String> = query("SELECT MIN(day) FROM feed_entries WHERE day > $1")
            .bind(&d)
            .scalar(&self.db)
            .await?;
        Ok((
            prev.as_deref().map(parse_day_text).transpose()?,
            next.as_deref().map(parse_day_text).transpose()?,
        ))
    }

    async fn period_feed(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<FeedItem>, StoreError> {
        let rows: Vec<FeedRow> = query(format!(
            "{} WHERE e.day >= $1 AND e.day <= $2 AND NOT p.hidden ORDER BY {}",
            select_items(false),
            list_order()
        ))
        .bind(day_text(from))
        .bind(day_text(to))
        .fetch_all(&self.db)
        .await?;
        // Ranked first, so the first entry of each paper is its best.
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for row in rows {
            if seen.insert(row.entry.paper_id.clone()) {
                out.push(row.into_item()?);
            }
        }
        Ok(out)
    }

    async fn submitter_feed(
        &self,
        submitter: &str,
        limit: i64,
    ) -> Result<Vec<FeedItem>, StoreError> {
        let rows = query(format!(
            "{} WHERE e.submitted_by = $1 AND NOT p.hidden ORDER BY e.day DESC, {} LIMIT $2",
            select_items(false),
            list_order()
        ))
        .bind(submitter)
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        items(rows)
    }

    async fn entries_after(
        &self,
        after: Option<(NaiveDate, &str)>,
        limit: i64,
    ) -> Result<Vec<FeedItem>, StoreError> {
        let (day, id) = match after {
            Some((d, id)) => (day_text(d), id.to_string()),
            None => (String::new(), String::new()),
        };
        let rows = query(format!(
            "{} WHERE e.day > $1 OR (e.day = $1 AND e.paper_id > $2) \
             ORDER BY e.day, e.paper_id LIMIT $3",
            select_items(true)
        ))
        .bind(day)
        .bind(id)
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        items(rows)
    }
}

/// Entries stored before the Hugging Face extras had a column of their own get them from their
/// stored item (once: filled rows are not read again). Runs when a store opens.
pub(crate) async fn fill_hf_extras(db: &Db) -> Result<u64, StoreError> {
    let mut filled = 0;
    loop {
        let rows: Vec<(String, String, String)> = query(
            "SELECT day, paper_id, source_json FROM feed_entries \
             WHERE hf_extras IS NULL AND source_json IS NOT NULL ORDER BY day, paper_id LIMIT 500",
        )
        .fetch_all(db)
        .await?;
        if rows.is_empty() {
            return Ok(filled);
        }
        let mut tx = db.begin_write().await?;
        for (day, paper_id, source) in &rows {
            // Text that is no daily-papers item (other sources) is marked as having no extras.
            let extras = dp_core::hf::HfItem::parse(source)
                .ok()
                .map(dp_core::hf::HfItem::extras);
            let stored = crate::rows::hf_json(extras.as_ref()).unwrap_or_else(|| "null".into());
            query("UPDATE feed_entries SET hf_extras = $1 WHERE day = $2 AND paper_id = $3")
                .bind(stored)
                .bind(day.as_str())
                .bind(paper_id.as_str())
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        filled += rows.len() as u64;
    }
}
