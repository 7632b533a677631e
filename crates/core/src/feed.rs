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
    /// The source's item verbatim (compact JSON), kept so the API can return every field it had.
    pub source_json: Option<String>,
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
    /// The upvotes a reader sees: the source's count plus this server's.
    pub fn upvotes(&self) -> i64 {
        self.entry.upvotes + self.local_upvotes
    }

    /// The comments a reader sees: the source's count plus this server's.
    pub fn comments(&self) -> i64 {
        self.entry.num_comments + self.local_comments
    }
}

/// The sort key of a daily list: upvotes (highest first), then the entry's `publishedAt`
/// (newest first), then the source's position. Sort ascending by this key.
pub fn order_key(upvotes: i64, published_at: DateTime<Utc>, position: i64) -> (i64, i64, i64) {
    (-upvotes, -published_at.timestamp_millis(), position)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ranks_by_upvotes_then_newest_then_position() {
        let t = |h| Utc.with_ymd_and_hms(2025, 3, 17, h, 0, 0).unwrap();
        let mut rows = [
            ("a", order_key(3, t(1), 0)),
            ("b", order_key(5, t(1), 1)),
            ("c", order_key(3, t(2), 2)),
            ("d", order_key(3, t(2), 3)),
        ];
        rows.sort_by_key(|r| r.1);
        let ids: Vec<_> = rows.iter().map(|r| r.0).collect();
        assert_eq!(ids, ["b", "c", "d", "a"]);
    }
}
