//! Copying a whole store into another (`dailypapers migrate-store`): resumable, verified.

use crate::{Store, StoreError};
use chrono::NaiveDate;
use dp_core::{FeedItem, Paper, Record};
use serde::Serialize;

/// How far a copy has come, reported after each batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    /// Papers written to the target in this run.
    pub papers: u64,
    /// Feed entries written to the target in this run.
    pub entries: u64,
    /// Watermarks copied.
    pub watermarks: u64,
    /// Community rows copied (accounts, sessions, votes, comments, submissions, claims, and
    /// the papers' hidden flags and local counts).
    pub community_rows: u64,
    /// Papers and entries in the source, for progress.
    pub source_papers: i64,
    /// Entries in the source.
    pub source_entries: i64,
    /// Whether counts and checksums of both stores matched at the end.
    pub verified: bool,
    /// Checksum of every paper and entry (the same in both stores when verified).
    pub checksum: String,
}

const PAPERS_MARK: &str = "migrate:papers";
const ENTRIES_MARK: &str = "migrate:entries";

/// A page of papers after `after`, in id order, with the id of its last one; `None` at the end.
async fn papers_page(
    store: &dyn Store,
    after: &Option<String>,
    batch: i64,
) -> Result<Option<(Vec<Paper>, String)>, StoreError> {
    let papers = store.papers_after(after.as_deref(), batch).await?;
    Ok(papers
        .last()
        .map(|p| p.id.base().to_string())
        .map(|last| (papers, last)))
}

/// A page of feed entries after `after`, in (day, id) order, with the key of its last one;
/// `None` at the end.
async fn entries_page(
    store: &dyn Store,
    after: &Option<(NaiveDate, String)>,
    batch: i64,
) -> Result<Option<(Vec<FeedItem>, (NaiveDate, String))>, StoreError> {
    let items = store
        .entries_after(after.as_ref().map(|(d, id)| (*d, id.as_str())), batch)
        .await?;
    Ok(items
        .last()
        .map(|i| (i.entry.day, i.entry.paper_id.base().to_string()))
        .map(|last| (items, last)))
}

/// Calls `each` with every row of every community table, a page at a time, tables in
/// dependency order.
async fn each_community_page(
    store: &dyn Store,
    batch: i64,
    mut each: impl AsyncFnMut(&'static str, Vec<Vec<serde_json::Value>>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    for (table, _, _) in crate::transfer::COMMUNITY_TABLES {
        let mut offset = 0;
        loop {
            let rows = store.export_rows(table, offset, batch).await?;
            if rows.is_empty() {
                break;
            }
            offset += rows.len() as i64;
            each(table, rows).await?;
        }
    }
    Ok(())
}

/// Copies papers, feed entries, harvest watermarks and the community tables from `from` into
/// `to`, in batches of `batch`, then checks that both hold the same counts and checksums.
///
/// Progress is kept in the target's watermarks, so a copy that is interrupted and run again
/// continues where it stopped (writes are idempotent upserts, so overlap is harmless). Jobs are
/// not copied: they are transient and the schedule re-creates them.
pub async fn copy_store(
    from: &dyn Store,
    to: &dyn Store,
    batch: i64,
    progress: &(dyn Fn(&CopyReport) + Send + Sync),
) -> Result<CopyReport, StoreError> {
    let batch = batch.max(1);
    let src = from.stats().await?;
    let mut report = CopyReport {
        source_papers: src.papers,
        source_entries: src.feed_entries,
        ..Default::default()
    };

    let mut after = to.watermark(PAPERS_MARK).await?.filter(|s| !s.is_empty());
    while let Some((papers, last)) = papers_page(from, &after, batch).await? {
        report.papers += papers.len() as u64;
        to.upsert_records(papers.into_iter().map(Record::from).collect())
            .await?;
        to.set_watermark(PAPERS_MARK, &last).await?;
        after = Some(last);
        progress(&report);
    }

    let mut after_entry = to.watermark(ENTRIES_MARK).await?.and_then(|s| {
        let (d, id) = s.split_once('|')?;
        Some((dp_core::parse_day(d).ok()?, id.to_string()))
    });
    while let Some((items, last)) = entries_page(from, &after_entry, batch).await? {
        report.entries += items.len() as u64;
        let records = items
            .into_iter()
            .map(|i| Record {
                paper: i.paper,
                entry: Some(i.entry),
            })
            .collect();
        to.upsert_records(records).await?;
        to.set_watermark(ENTRIES_MARK, &format!("{}|{}", last.0, last.1))
            .await?;
        after_entry = Some(last);
        progress(&report);
    }

    for (name, value) in from.watermarks().await? {
        if !name.starts_with("migrate:") {
            to.set_watermark(&name, &value).await?;
            report.watermarks += 1;
        }
    }

    // Community tables, in dependency order. Re-running copies again from the start of each
    // table; rows already present are kept, so that is harmless.
    each_community_page(from, batch, async |table, rows| {
        report.community_rows += rows.len() as u64;
        to.import_rows(table, &rows).await?;
        progress(&report);
        Ok(())
    })
    .await?;

    let (a, b) = (checksum(from, batch).await?, checksum(to, batch).await?);
    let dst = to.stats().await?;
    report.verified = a == b && src.papers == dst.papers && src.feed_entries == dst.feed_entries;
    report.checksum = format!("{a:016x}");
    if report.verified {
        to.set_watermark(PAPERS_MARK, "").await?;
        to.set_watermark(ENTRIES_MARK, "").await?;
    }
    progress(&report);
    Ok(report)
}

/// FNV-1a over the JSON of every paper (in id order), every entry (in day, id order) and every
/// community row (in key order).
pub async fn checksum(store: &dyn Store, batch: i64) -> Result<u64, StoreError> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |value: &dyn erased::Json| -> Result<(), StoreError> {
        let bytes = value
            .json()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        for b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Ok(())
    };
    let mut after = None;
    while let Some((papers, last)) = papers_page(store, &after, batch).await? {
        for p in &papers {
            feed(p)?;
        }
        after = Some(last);
    }
    let mut after = None;
    while let Some((items, last)) = entries_page(store, &after, batch).await? {
        for i in &items {
            feed(&i.entry)?;
        }
        after = Some(last);
    }
    each_community_page(store, batch, async |_, rows| {
        rows.iter().try_for_each(|r| feed(r))
    })
    .await?;
    Ok(h)
}

/// Values the checksum reads as JSON.
mod erased {
    /// A value serialised to JSON bytes.
    pub trait Json {
        fn json(&self) -> Result<Vec<u8>, serde_json::Error>;
    }

    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Result<Vec<u8>, serde_json::Error> {
            serde_json::to_vec(self)
        }
    }
}
