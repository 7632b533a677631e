//! Harvesters: incremental OAI-PMH, the Hugging Face daily list, and single papers from the
//! arXiv API. Each writes through the store and keeps its position in a watermark, so a harvest
//! that stops anywhere continues where it stopped.

use crate::fetch::{FetchError, Fetcher};
use crate::formats::hf;
use crate::{atom, oai, ImportRecord};
use chrono::{DateTime, Days, NaiveDate, Utc};
use dp_core::{ArxivId, CategoryFilter, Outcome};
use dp_store::{Papers, StoreError, Watermarks};
use serde::Serialize;
use serde_json::value::RawValue;

/// Why a harvest stopped.
#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    /// The source could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The source answered with something we cannot read.
    #[error("{url}: {message}")]
    BadResponse {
        /// The URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a harvest did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HarvestReport {
    /// Requests that returned a page.
    pub pages: u64,
    /// Records received.
    pub read: u64,
    /// New papers or entries.
    pub inserted: u64,
    /// Changed papers or entries.
    pub updated: u64,
    /// Records that changed nothing.
    pub unchanged: u64,
    /// Records rejected as bad.
    pub rejected: u64,
    /// Records the source marked deleted (kept in the store; arXiv never removes papers).
    pub deleted: u64,
    /// Records received outside the harvested categories (counted in `read`, not stored).
    pub skipped: u64,
    /// Where the harvest is (`day 2025-03-14`, `page 3`), for progress displays.
    pub at: String,
    /// Reasons for rejections, first ones only.
    pub problems: Vec<String>,
}

impl HarvestReport {
    /// Adds the counts of `other` (a run of another set) to these.
    pub fn add(&mut self, other: HarvestReport) {
        self.pages += other.pages;
        self.read += other.read;
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.rejected += other.rejected;
        self.deleted += other.deleted;
        self.skipped += other.skipped;
        self.problems.extend(other.problems);
        self.problems.truncate(100);
        self.at = other.at;
    }

    async fn store(
        &mut self,
        store: &(impl Papers + ?Sized),
        records: Vec<Result<ImportRecord, String>>,
    ) -> Result<(), StoreError> {
        let mut good = Vec::with_capacity(records.len());
        for r in records {
            self.read += 1;
            match r {
                Ok(r) => good.push(r),
                Err(e) => {
                    self.rejected += 1;
                    if self.problems.len() < 100 {
                        self.problems.push(e);
                    }
                }
            }
        }
        for o in store.upsert_records(good).await? {
            match o {
                Outcome::Inserted => self.inserted += 1,
                Outcome::Updated => self.updated += 1,
                Outcome::Unchanged => self.unchanged += 1,
            }
        }
        Ok(())
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Watermark names.
fn oai_from_key(set: &str) -> String {
    format!("oai:{set}:from")
}
fn oai_token_key(set: &str) -> String {
    format!("oai:{set}:token")
}
/// The day of the first response of the chain the stored token belongs to.
fn oai_started_key(set: &str) -> String {
    format!("oai:{set}:started")
}

/// What an OAI-PMH harvest of one set fetches.
#[derive(Debug, Clone, Default)]
pub struct OaiPlan<'a> {
    /// The set (`cs`, `physics:hep-th`, ...).
    pub set: &'a str,
    /// First day; default: the stored watermark.
    pub from: Option<NaiveDate>,
    /// Last day; default: everything up to now.
    pub until: Option<NaiveDate>,
    /// The first day of a set never harvested before (no watermark); `None`: everything.
    pub first_from: Option<NaiveDate>,
    /// Which of the set's records to keep (by their categories); `None`: all.
    pub filter: Option<&'a CategoryFilter>,
}

/// Incremental OAI-PMH harvest of one set (`cs`, `physics:hep-th`, ...) in the `arXiv` format.
///
/// Starts from `plan.from` if given, else from the stored watermark, else from
/// `plan.first_from` (else everything). Records outside `plan.filter` are counted as skipped. Follows
/// `resumptionToken` pages; the token is stored after each page so an interrupted harvest resumes
/// from it. At the end, the watermark moves to the day of the chain's first response (a resumed
/// chain keeps the day it started, stored as `oai:SET:started`).
pub async fn harvest_oai(
    store: &(impl Papers + Watermarks + ?Sized),
    fetcher: &dyn Fetcher,
    base_url: &str,
    plan: &OaiPlan<'_>,
    on_page: &(dyn Fn(&HarvestReport) + Send + Sync),
) -> Result<HarvestReport, HarvestError> {
    let mut report = HarvestReport::default();
    let set = plan.set;
    let until = plan.until;
    let from = match plan.from {
        Some(d) => Some(d),
        None => store
            .watermark(&oai_from_key(set))
            .await?
            .and_then(|s| dp_core::parse_day(&s).ok())
            .or(plan.first_from),
    };
    // A chain interrupted by a crash or an error resumes from its stored token.
    let mut resume = store
        .watermark(&oai_token_key(set))
        .await?
        .filter(|t| !t.is_empty());
    let first_url = |from: Option<NaiveDate>| {
        let mut url = format!(
            "{base_url}?verb=ListRecords&metadataPrefix=arXiv&set={}",
            encode(set)
        );
        if let Some(f) = from {
            url.push_str(&format!("&from={f}"));
        }
        if let Some(u) = until {
            url.push_str(&format!("&until={u}"));
        }
        url
    };
    let mut url = match &resume {
        Some(token) => format!(
            "{base_url}?verb=ListRecords&resumptionToken={}",
            encode(token)
        ),
        None => first_url(from),
    };
    // A resumed chain keeps the day it started, so the next window misses nothing.
    let mut first_day: Option<String> = match &resume {
        Some(_) => store
            .watermark(&oai_started_key(set))
            .await?
            .filter(|d| !d.is_empty()),
        None => None,
    };
    loop {
        let body = match fetcher.get(&url).await {
            Ok(b) => b,
            Err(FetchError::Status {
                status: 400 | 422, ..
            }) if resume.is_some() && report.pages == 0 => {
                // An expired token: start the window again from the watermark.
                tracing::warn!(%url, "stored resumption token refused; starting over from the watermark");
                store.set_watermark(&oai_token_key(set), "").await?;
                url = first_url(from);
                resume = None;
                first_day = None;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let page = match oai::parse_oai(&body) {
            Ok(p) => p,
            Err(crate::xml::XmlError::Oai { code, .. })
                if code == "badResumptionToken" && report.pages == 0 && resume.is_some() =>
            {
                store.set_watermark(&oai_token_key(set), "").await?;
                url = first_url(from);
                resume = None;
                first_day = None;
                continue;
            }
            Err(e) => {
                return Err(HarvestError::BadResponse {
                    url,
                    message: e.to_string(),
                })
            }
        };
        report.pages += 1;
        if first_day.is_none() {
            first_day = page
                .response_date
                .as_deref()
                .and_then(|d| d.get(..10))
                .map(str::to_string);
        }
        report.deleted += page.deleted.len() as u64;
        let mut records = Vec::with_capacity(page.records.len());
        for r in page.records {
            match r {
                Ok(p) if plan.filter.is_some_and(|f| !f.keeps(&p.categories)) => {
                    report.read += 1;
                    report.skipped += 1;
                }
                r => records.push(r.map(ImportRecord::from)),
            }
        }
        report.store(store, records).await?;
        report.at = format!("page {}", report.pages);
        on_page(&report);
        match page.resumption_token.filter(|t| !t.is_empty()) {
            Some(token) => {
                if let Some(d) = &first_day {
                    store.set_watermark(&oai_started_key(set), d).await?;
                }
                store.set_watermark(&oai_token_key(set), &token).await?;
                url = format!(
                    "{base_url}?verb=ListRecords&resumptionToken={}",
                    encode(&token)
                );
            }
            None => break,
        }
    }
    store.set_watermark(&oai_token_key(set), "").await?;
    let day = first_day.unwrap_or_else(|| chrono::Utc::now().date_naive().to_string());
    store.set_watermark(&oai_from_key(set), &day).await?;
    Ok(report)
}

/// Days before `until` whose lists are still changing (upvotes, late submissions): a mirror
/// fetches them again, at most once per [`HfPlan::refresh_after`].
pub const HF_REFRESH_DAYS: u64 = 2;

/// What a Hugging Face mirror run fetches.
#[derive(Debug, Clone)]
pub struct HfPlan {
    /// First day, fetched whatever the store holds (a reader's explicit `--since`); `None`: the
    /// days after the stored watermark, and the recent days, skipping days already held.
    pub since: Option<NaiveDate>,
    /// Last day (today).
    pub until: NaiveDate,
    /// Days up to `until` a first run fetches (and the recent days any run looks at).
    pub backfill_days: u64,
    /// A day still changing is fetched again once its last fetch is older than this.
    pub refresh_after: chrono::Duration,
    /// The time now (for the fetch times kept per day).
    pub now: DateTime<Utc>,
}

impl HfPlan {
    /// The plan of a run up to `until` at `now`, with `backfill_days` and `refresh_after`.
    pub fn new(until: NaiveDate, backfill_days: u64, refresh_after: chrono::Duration) -> HfPlan {
        HfPlan {
            since: None,
            until,
            backfill_days: backfill_days.max(1),
            refresh_after,
            now: Utc::now(),
        }
    }

    /// Whether a day last fetched at `fetched` is held: its list had settled by then, or the
    /// fetch is recent.
    fn holds(&self, day: NaiveDate, fetched: DateTime<Utc>) -> bool {
        let settled = day
            .checked_add_days(Days::new(HF_REFRESH_DAYS))
            .is_some_and(|d| fetched.date_naive() > d);
        settled || self.now - fetched < self.refresh_after
    }
}

/// The watermark that keeps when a day's list was last fetched.
fn hf_fetched_key(day: NaiveDate) -> String {
    format!("hf:fetched:{day}")
}

/// Mirrors the Hugging Face daily lists of `plan` (see [`HfPlan`]), oldest day first.
///
/// Weekends and empty days are fetched too (they answer `[]`). After each day, the day's fetch
/// time and the `hf:last_day` watermark are stored, so a run that stops anywhere (or a
/// restart) fetches no day again that it holds.
pub async fn harvest_hf(
    store: &(impl Papers + Watermarks + ?Sized),
    fetcher: &dyn Fetcher,
    base_url: &str,
    plan: &HfPlan,
    on_page: &(dyn Fn(&HarvestReport) + Send + Sync),
) -> Result<HarvestReport, HarvestError> {
    let mut report = HarvestReport::default();
    let until = plan.until;
    let window = until - Days::new(plan.backfill_days - 1);
    let since = match plan.since {
        Some(d) => d,
        None => store
            .watermark("hf:last_day")
            .await?
            .and_then(|s| dp_core::parse_day(&s).ok())
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .map_or(window, |next| next.min(window)),
    };
    let mut day = since;
    while day <= until {
        let next = day.checked_add_days(Days::new(1));
        if plan.since.is_none() {
            let fetched = store
                .watermark(&hf_fetched_key(day))
                .await?
                .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|t| t.with_timezone(&Utc));
            if fetched.is_some_and(|t| plan.holds(day, t)) {
                match next {
                    Some(d) => {
                        day = d;
                        continue;
                    }
                    None => break,
                }
            }
        }
        report.at = format!("day {day}");
        on_page(&report);
        let url = format!(
            "{}/api/daily_papers?date={day}&limit=100",
            base_url.trim_end_matches('/')
        );
        let body = fetcher.get(&url).await?;
        let items: Vec<Box<RawValue>> =
            serde_json::from_slice(&body).map_err(|e| HarvestError::BadResponse {
                url: url.clone(),
                message: format!("not a JSON array of daily papers: {e}"),
            })?;
        report.pages += 1;
        let records = items
            .iter()
            .enumerate()
            .map(|(i, raw)| hf::parse_item(raw.get(), Some(day), i as i64).map(|(r, _)| r))
            .collect();
        report.store(store, records).await?;
        store
            .set_watermark(&hf_fetched_key(day), &plan.now.to_rfc3339())
            .await?;
        store.set_watermark("hf:last_day", &day.to_string()).await?;
        on_page(&report);
        day = match next {
            Some(d) => d,
            None => break,
        };
    }
    Ok(report)
}

/// Fetches papers by id from the arXiv API (`/api/query?id_list=...`), up to 100 per request.
pub async fn fetch_ids(
    store: &(impl Papers + ?Sized),
    fetcher: &dyn Fetcher,
    api_url: &str,
    ids: &[ArxivId],
) -> Result<HarvestReport, HarvestError> {
    let mut report = HarvestReport::default();
    for chunk in ids.chunks(100) {
        let list: Vec<String> = chunk.iter().map(|i| i.to_string()).collect();
        let url = format!(
            "{api_url}?id_list={}&max_results={}",
            encode(&list.join(",")),
            chunk.len()
        );
        let body = fetcher.get(&url).await?;
        let feed = atom::parse_atom(&body).map_err(|e| HarvestError::BadResponse {
            url: url.clone(),
            message: e.to_string(),
        })?;
        report.pages += 1;
        let records = feed
            .records
            .into_iter()
            .map(|r| r.map(ImportRecord::from))
            .collect();
        report.store(store, records).await?;
    }
    Ok(report)
}
