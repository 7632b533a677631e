//! Daily lists: which papers were put on which day's list, and in what order they rank.

use crate::arxiv_id::ArxivId;
use crate::paper::Paper;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A paper placed on the daily list of one day, with the counts its source gave for that day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedEntry {
    /// The list's day.
    pub day: NaiveDate,
    /// The paper (bare id).
    pub paper_id: ArxivId,
    /// Position in the source's list (0-based): the last tie-breaker of the ranking.
    pub position: i64,
    /// The entry's own timestamp (Hugging Face's top-level `publishedAt`).
    pub published_at: DateTime<Utc>,
    /// When the paper was put on the list (`paper.submittedOnDailyAt`).
    pub submitted_at: Option<DateTime<Utc>>,
    /// Who put it there (a user name).
    pub submitted_by: Option<String>,
    /// Upvotes the source reported for this day.
    pub upvotes: i64,
    /// Comments the source reported for this day.
    pub num_comments: i64,
    /// A one-sentence AI summary, when the source has one.
    pub ai_summary: Option<String>,
    /// AI-extracted keywords.
    pub ai_keywords: Vec<String>,
    /// Code repository, when known.
    pub github_repo: Option<String>,
    /// GitHub stars at the time of the source's snapshot.
    pub github_stars: Option<i64>,
    /// Project page, when known.
    pub project_page: Option<String>,
    /// Name of the organisation the paper was submitted for.
    pub organization: Option<String>,
    /// The source's item verbatim, kept for provenance and copies of a store: lists and pages
    /// read entries without it (`None`), since nothing answers from it.
    pub source_json: Option<String>,
    /// What a Hugging Face item knew beyond the paper, parsed when it was imported.
    #[serde(default)]
    pub hf: Option<crate::HfExtras>,
}

impl FeedEntry {
    /// Paper `paper_id` first on the list of `day`, with the entry's own timestamp and nothing
    /// else known yet (no counts, no submitter, no extras).
    pub fn new(day: NaiveDate, paper_id: ArxivId, published_at: DateTime<Utc>) -> FeedEntry {
        FeedEntry {
            day,
            paper_id,
            position: 0,
            published_at,
            submitted_at: None,
            submitted_by: None,
            upvotes: 0,
            num_comments: 0,
            ai_summary: None,
            ai_keywords: Vec::new(),
            github_repo: None,
            github_stars: None,
            project_page: None,
            organization: None,
            source_json: None,
            hf: None,
        }
    }
}

/// A feed entry joined with its paper and the upvotes cast on this server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedItem {
    /// The entry.
    pub entry: FeedEntry,
    /// The paper.
    pub paper: Paper,
    /// Upvotes cast on this server, added to the source's count.
    pub local_upvotes: i64,
    /// Live comments on this server, added to the source's count.
    #[serde(default)]
    pub local_comments: i64,
}

impl FeedItem {
    /// The upvotes a reader sees on this list: [`shown_count`] of this entry's source count.
    pub fn upvotes(&self) -> i64 {
        shown_count(Some(self.entry.upvotes), self.local_upvotes)
    }

    /// The comments a reader sees: [`shown_count`] of this entry's source count.
    pub fn comments(&self) -> i64 {
        shown_count(Some(self.entry.num_comments), self.local_comments)
    }

    /// The item's place by [`LIST_RANKING`]: sort ascending by this key. The store's SQL orders
    /// lists by the same definition (`dp-store`'s `ranking.rs` renders it).
    pub fn rank_key(&self) -> [i64; 3] {
        LIST_RANKING.map(|by| match by {
            RankBy::ShownUpvotes => -self.upvotes(),
            RankBy::Newest => -self.entry.published_at.timestamp_millis(),
            RankBy::SourcePosition => self.entry.position,
        })
    }
}

/// A count a reader sees (upvotes, comments): what the source reported on a list entry (the
/// entry shown, or the paper's newest one; none when the paper is on no list) plus what was
/// cast on this server.
///
/// ```
/// assert_eq!(dp_core::shown_count(Some(52), 3), 55);
/// assert_eq!(dp_core::shown_count(None, 2), 2);
/// ```
pub fn shown_count(source: Option<i64>, local: i64) -> i64 {
    source.unwrap_or(0) + local
}

/// What a daily list ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankBy {
    /// [`FeedItem::upvotes`], highest first.
    ShownUpvotes,
    /// The entry's `publishedAt`, newest first.
    Newest,
    /// The entry's position in its source's list, first first.
    SourcePosition,
}

/// How every list (a day, a week, a month, a submitter's) is ranked: the most important rule
/// first, each later one breaking the ties of those before.
pub const LIST_RANKING: [RankBy; 3] =
    [RankBy::ShownUpvotes, RankBy::Newest, RankBy::SourcePosition];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn item(upvotes: i64, local: i64, hour: u32, position: i64) -> FeedItem {
        let id = ArxivId::parse("2501.00001").unwrap();
        let mut entry = FeedEntry::new(
            NaiveDate::from_ymd_opt(2025, 3, 17).unwrap(),
            id.clone(),
            Utc.with_ymd_and_hms(2025, 3, 17, hour, 0, 0).unwrap(),
        );
        entry.upvotes = upvotes;
        entry.position = position;
        FeedItem {
            entry,
            paper: Paper::new(&id, "t", "a"),
            local_upvotes: local,
            local_comments: 0,
        }
    }

    #[test]
    fn ranks_by_shown_upvotes_then_newest_then_position() {
        let mut rows = [
            ("a", item(3, 0, 1, 0)),
            ("b", item(4, 1, 1, 1)),
            ("c", item(2, 1, 2, 2)),
            ("d", item(3, 0, 2, 3)),
        ];
        rows.sort_by_key(|r| r.1.rank_key());
        let ids: Vec<_> = rows.iter().map(|r| r.0).collect();
        assert_eq!(ids, ["b", "c", "d", "a"]);
    }
}

/// A paper's code and project links as readers see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Links<'a> {
    /// The code repository.
    pub github_repo: Option<&'a str>,
    /// Its stars, when known for that repository.
    pub github_stars: Option<i64>,
    /// The project page.
    pub project_page: Option<&'a str>,
}

impl<'a> Links<'a> {
    /// The links of `paper` shown with its list entry `entry`: the paper's own (set by its
    /// authors on this server, or first known from a source) over the entry's, and the entry's
    /// star count only when it is about the same repository.
    pub fn of(paper: &'a Paper, entry: Option<&'a FeedEntry>) -> Links<'a> {
        let github_repo = paper
            .github_repo
            .as_deref()
            .or_else(|| entry.and_then(|e| e.github_repo.as_deref()));
        let github_stars = entry
            .filter(|e| e.github_repo.as_deref() == github_repo)
            .and_then(|e| e.github_stars);
        Links {
            github_repo,
            github_stars,
            project_page: paper
                .project_page
                .as_deref()
                .or_else(|| entry.and_then(|e| e.project_page.as_deref())),
        }
    }
}

#[cfg(test)]
mod links_tests {
    use super::*;

    #[test]
    fn the_papers_own_links_win_and_stars_follow_their_repository() {
        let id = ArxivId::parse("2501.00001").unwrap();
        let mut p = Paper::new(&id, "T", "A");
        let mut e = FeedEntry::new(
            NaiveDate::from_ymd_opt(2025, 1, 2).unwrap(),
            id,
            DateTime::UNIX_EPOCH,
        );
        e.github_repo = Some("https://github.com/a/old".into());
        e.github_stars = Some(7);
        e.project_page = Some("https://a.example".into());
        let l = Links::of(&p, Some(&e));
        assert_eq!(l.github_repo, Some("https://github.com/a/old"));
        assert_eq!(l.github_stars, Some(7));
        assert_eq!(l.project_page, Some("https://a.example"));
        p.github_repo = Some("https://github.com/a/new".into());
        let l = Links::of(&p, Some(&e));
        assert_eq!(l.github_repo, Some("https://github.com/a/new"));
        assert_eq!(l.github_stars, None, "the stars were another repository's");
        assert_eq!(Links::of(&p, None).project_page, None);
    }
}
