//! Papers, list entries and records for tests, built one way: a plain value from a function,
//! then extension methods for whatever a test needs to be different.
//!
//! ```
//! use dp_testkit::{entry, paper, rec, EntryExt, PaperExt};
//! let r = rec(
//!     paper("2501.00001", "A title").with_abstract("About $x$."),
//!     Some(entry("2025-03-17", "2501.00001", 5).position(2)),
//! );
//! assert_eq!(r.entry.unwrap().upvotes, 5);
//! ```

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use dp_core::{ArxivId, FeedEntry, Paper, Record};

/// An arXiv id (panics on a bad one: fixtures are written by hand).
pub fn id(s: &str) -> ArxivId {
    ArxivId::parse(s).unwrap_or_else(|e| panic!("fixture id {s:?}: {e}"))
}

/// A list day, `YYYY-MM-DD`.
pub fn day(s: &str) -> NaiveDate {
    dp_core::parse_day(s).unwrap_or_else(|e| panic!("fixture day {s:?}: {e}"))
}

/// A paper by Ada Lovelace and Alan Turing whose abstract needs escaping and has math.
pub fn paper(id_: &str, title: &str) -> Paper {
    let mut p = Paper::new(&id(id_), title, "An abstract with <b> & $x^2$.");
    p.authors = vec!["Ada Lovelace".into(), "Alan Turing".into()];
    p
}

/// A paper's place on a day's list, with `upvotes` from its source: published at 08:00 UTC of
/// the day, first on the list, no comments, nothing else known.
pub fn entry(day_: &str, paper_id: &str, upvotes: i64) -> FeedEntry {
    let d = day(day_);
    let at = Utc.from_utc_datetime(&d.and_hms_opt(8, 0, 0).unwrap_or_default());
    let mut e = FeedEntry::new(d, id(paper_id), at);
    e.upvotes = upvotes;
    e
}

/// A record.
pub fn rec(p: Paper, e: Option<FeedEntry>) -> Record {
    Record { paper: p, entry: e }
}

/// Changes to a fixture paper.
pub trait PaperExt {
    /// Another abstract.
    fn with_abstract(self, text: &str) -> Paper;
    /// Other authors.
    fn with_authors(self, authors: &[&str]) -> Paper;
    /// First published at `t`.
    fn published_at(self, t: DateTime<Utc>) -> Paper;
    /// In these categories (primary first).
    fn in_categories(self, categories: &[&str]) -> Paper;
}

impl PaperExt for Paper {
    fn with_abstract(mut self, text: &str) -> Paper {
        self.abstract_text = text.to_string();
        self
    }
    fn with_authors(mut self, authors: &[&str]) -> Paper {
        self.authors = authors.iter().map(|a| a.to_string()).collect();
        self
    }
    fn published_at(mut self, t: DateTime<Utc>) -> Paper {
        self.published = Some(t);
        self
    }
    fn in_categories(mut self, categories: &[&str]) -> Paper {
        self.categories = categories.iter().map(|c| c.to_string()).collect();
        self
    }
}

/// Changes to a fixture entry.
pub trait EntryExt {
    /// Its place in the source's list.
    fn position(self, p: i64) -> FeedEntry;
    /// Published on the list at this hour (UTC) of its day.
    fn at_hour(self, h: u32) -> FeedEntry;
    /// Put there by this user.
    fn submitted_by(self, name: &str) -> FeedEntry;
    /// With this many comments from its source.
    fn comments(self, n: i64) -> FeedEntry;
    /// With this code repository and its stars.
    fn with_code(self, repo: &str, stars: i64) -> FeedEntry;
    /// With the source's item text.
    fn with_source(self, json: &str) -> FeedEntry;
}

impl EntryExt for FeedEntry {
    fn position(mut self, p: i64) -> FeedEntry {
        self.position = p;
        self
    }
    fn at_hour(mut self, h: u32) -> FeedEntry {
        self.published_at =
            Utc.from_utc_datetime(&self.day.and_hms_opt(h, 0, 0).unwrap_or_default());
        self
    }
    fn submitted_by(mut self, name: &str) -> FeedEntry {
        self.submitted_by = Some(name.to_string());
        self
    }
    fn comments(mut self, n: i64) -> FeedEntry {
        self.num_comments = n;
        self
    }
    fn with_code(mut self, repo: &str, stars: i64) -> FeedEntry {
        self.github_repo = Some(repo.to_string());
        self.github_stars = Some(stars);
        self
    }
    fn with_source(mut self, json: &str) -> FeedEntry {
        self.source_json = Some(json.to_string());
        self
    }
}
