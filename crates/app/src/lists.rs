//! The lists readers browse: a day's, a week's or a month's papers ranked by upvotes
//! ([`dp_core::LIST_RANKING`]), the trending list, the newest lists, a submitter's list.

use crate::{App, Error};
use chrono::{DateTime, Days, NaiveDate, Utc};
use dp_core::ranking::{trending_points, trending_score, TRENDING_WINDOW_DAYS};
use dp_core::{FeedItem, Period};

/// Most papers on the trending list.
pub const TRENDING_MAX: usize = 50;

/// Most entries of one submitter's list.
const MAX_SUBMITTER_ITEMS: i64 = 2_000;

/// A trending paper with its score.
#[derive(Debug, Clone)]
pub struct Trending {
    /// The entry.
    pub item: FeedItem,
    /// `trending_score(points, age_hours)`.
    pub score: f64,
    /// Hours between the paper's arrival on a list and the reference time.
    pub age_hours: f64,
}

/// One day's list with its neighbours.
#[derive(Debug, Clone)]
pub struct DayList {
    /// The day.
    pub day: NaiveDate,
    /// Its papers, ranked.
    pub items: Vec<FeedItem>,
    /// The nearest earlier day with papers.
    pub prev: Option<NaiveDate>,
    /// The nearest later day with papers.
    pub next: Option<NaiveDate>,
}

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSource {
    /// The newest lists, newest day first.
    Recent,
    /// One day.
    Day(NaiveDate),
    /// A week or a month.
    Period(Period),
    /// The trending list.
    Trending,
}

impl App {
    /// The latest day that has papers.
    pub async fn latest_day(&self) -> Result<Option<NaiveDate>, Error> {
        Ok(self.store.latest_day().await?)
    }

    /// The latest day that has papers, or today.
    pub async fn current_day(&self) -> Result<NaiveDate, Error> {
        Ok(self
            .latest_day()
            .await?
            .unwrap_or_else(|| self.now().date_naive()))
    }

    /// One day's list and the days around it.
    pub async fn day_list(&self, day: NaiveDate) -> Result<DayList, Error> {
        let (items, (prev, next)) =
            tokio::try_join!(self.store.day_feed(day), self.store.adjacent_days(day))?;
        Ok(DayList {
            day,
            items,
            prev,
            next,
        })
    }

    /// The papers added in a week or a month, a paper once, ranked.
    pub async fn period_list(&self, period: Period) -> Result<Vec<FeedItem>, Error> {
        let (from, to) = period.days();
        Ok(self.store.period_feed(from, to).await?)
    }

    /// The papers of the last [`TRENDING_WINDOW_DAYS`] days (up to the newest list) ranked by
    /// the trending score. Ages count to now, or to a day after the newest arrival when that is
    /// earlier, so an archive that stopped updating still has a meaningful trending list.
    pub async fn trending(&self) -> Result<Vec<Trending>, Error> {
        let Some(last) = self.store.latest_day().await? else {
            return Ok(Vec::new());
        };
        let first = last
            .checked_sub_days(Days::new(TRENDING_WINDOW_DAYS - 1))
            .unwrap_or(last);
        let items = self.store.period_feed(first, last).await?;
        let arrived = |i: &FeedItem| i.entry.submitted_at.unwrap_or(i.entry.published_at);
        let now = self.now();
        let newest: DateTime<Utc> = items.iter().map(arrived).max().unwrap_or(now);
        // Live lists age with the clock; a stale archive ages from a day after its last arrival.
        let reference = now.min(newest + chrono::Duration::hours(24));
        let mut out: Vec<Trending> = items
            .into_iter()
            .map(|item| {
                let age_hours = (reference - arrived(&item)).num_seconds() as f64 / 3600.0;
                let points = trending_points(item.upvotes(), item.entry.github_stars);
                Trending {
                    score: trending_score(points, age_hours),
                    age_hours,
                    item,
                }
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out.truncate(TRENDING_MAX);
        Ok(out)
    }

    /// The newest lists, newest day first, until at least `want` entries.
    pub async fn recent(&self, want: usize) -> Result<Vec<FeedItem>, Error> {
        let mut out = Vec::new();
        let mut day = self.store.latest_day().await?;
        while let Some(d) = day {
            if out.len() >= want {
                break;
            }
            out.extend(self.store.day_feed(d).await?);
            day = self.store.adjacent_days(d).await?.0;
        }
        Ok(out)
    }

    /// A list, filtered to one submitter's entries (any letter case) when given. `want` is how
    /// many entries of the newest lists are needed at least.
    pub async fn list(
        &self,
        source: ListSource,
        submitter: Option<&str>,
        want: usize,
    ) -> Result<Vec<FeedItem>, Error> {
        let mut items = match (source, submitter) {
            (ListSource::Recent, Some(name)) => {
                self.store.submitter_feed(name, MAX_SUBMITTER_ITEMS).await?
            }
            (ListSource::Recent, None) => self.recent(want).await?,
            (ListSource::Day(d), _) => self.store.day_feed(d).await?,
            (ListSource::Period(p), _) => self.period_list(p).await?,
            (ListSource::Trending, _) => {
                self.trending().await?.into_iter().map(|t| t.item).collect()
            }
        };
        if let Some(name) = submitter {
            items.retain(|i| {
                i.entry
                    .submitted_by
                    .as_deref()
                    .is_some_and(|by| by.eq_ignore_ascii_case(name))
            });
        }
        Ok(items)
    }

    /// Every paper by arXiv publication time, newest first, after a cursor.
    pub async fn papers_by_time(
        &self,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<dp_store::PaperSummary>, Error> {
        Ok(self.store.papers_page(after, limit).await?)
    }
}
