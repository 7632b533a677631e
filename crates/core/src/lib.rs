//! Domain types of dailypapers, free of I/O.
//!
//! * [`ArxivId`]: a validated, normalised arXiv identifier.
//! * [`category`]: harvested arXiv categories, their OAI-PMH sets and the record filter.
//! * [`Paper`]: arXiv metadata of one paper, with the rules for merging a newer record into an older one.
//! * [`FeedEntry`]: a paper placed on the daily list of one day.
//! * [`day`]: strict parsing of list days (`YYYY-MM-DD`).
//! * [`text`]: display normalisation of titles and abstracts.
//! * [`period`]: ISO weeks and months of the weekly and monthly lists.
//! * [`ranking`]: the trending formula.
//! * [`community`]: user names, comments and authorship claims.
//! * [`cite`]: BibTeX, RIS and CSL-JSON of papers.
//! * [`follow`]: what a reader follows (authors, accounts, categories, searches).
//! * [`foryou`]: a reader's interests from their signals, and scores with reasons.
//! * [`library`]: collections of papers and their rules.
//! * [`linear`]: a linear SVM over sparse vectors (a reader's words against the rest).
//! * [`hf`]: Hugging Face daily-papers items, and what they know beyond the paper ([`HfExtras`]).

pub mod arxiv_id;
pub mod category;
pub mod cite;
pub mod community;
pub mod day;
pub mod feed;
pub mod follow;
pub mod foryou;
pub mod hf;
pub mod hub;
pub mod library;
pub mod linear;
pub mod link;
pub mod paper;
pub mod period;
pub mod ranking;
pub mod text;

pub use arxiv_id::{ArxivId, ArxivIdError};
pub use category::{Category, CategoryError, CategoryFilter};
pub use community::{ApiToken, Claim, ClaimState, Comment, InputError, TokenScope, User, Username};
pub use day::{parse_day, DayError};
pub use feed::{shown_count, FeedEntry, FeedItem, Links, RankBy, LIST_RANKING};
pub use follow::{Follow, FollowKind};
pub use hf::HfExtras;
pub use hub::{HubKind, HubRepo, HubRepos};
pub use library::{Collection, CollectionItem, CollectionTitle, LibraryInputError};
pub use link::{GithubRepo, LinkError, WebLink};
pub use paper::{Paper, PaperError};
pub use period::{Period, PeriodError};

/// One imported record: a paper and, for daily-list sources, its place on a day's list.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The paper's metadata.
    pub paper: Paper,
    /// The paper's place on a daily list, when the source is a daily list.
    pub entry: Option<FeedEntry>,
}

impl From<Paper> for Record {
    fn from(paper: Paper) -> Self {
        Record { paper, entry: None }
    }
}

/// What an upsert did to a stored row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The row did not exist and was created.
    Inserted,
    /// The row existed and changed.
    Updated,
    /// The row existed and the incoming record changed nothing.
    Unchanged,
}

impl Outcome {
    /// Combines the outcomes of two rows written for one record: the strongest effect wins.
    pub fn combine(self, other: Outcome) -> Outcome {
        use Outcome::*;
        match (self, other) {
            (Inserted, _) | (_, Inserted) => Inserted,
            (Updated, _) | (_, Updated) => Updated,
            _ => Unchanged,
        }
    }
}
