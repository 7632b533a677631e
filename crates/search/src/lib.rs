//! Search for dailypapers.
//!
//! * [`query`]: what a reader typed, taken apart (free text, phrases, filters, arXiv ids).
//! * [`keyword`]: the tantivy keyword index (BM25 over title, abstract and authors as one text, stemming, snippets).
//! * [`pread`]: the directory searches read the keyword index through (document stores by position, the rest mapped).
//! * [`stem`]: English stemming that remembers words (the analyzer of the keyword index).
//! * [`follow`]: keeps an index in step with the store through the change cursor.
//!
//! Indexes are derived data: each server keeps its own and can rebuild it from the store at
//! any time (`dailypapers reindex`).

mod amx;
mod bert;
pub mod embed;
pub mod engine;
pub mod follow;
mod fp16;
pub mod huge;
pub mod jobs;
#[cfg(test)]
mod kernel_check;
pub mod keyword;
pub mod pread;
pub mod query;
pub mod stem;
pub mod vector;

pub use engine::{Engine, Feedback, Fusion, Mode, Semantic};
pub use keyword::{Candidate, Hit, KeywordIndex, LongUnions, Piece};
pub use query::{parse, QueryError, SearchQuery};

/// What can go wrong in search.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The index library failed.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// Reading or writing the index folder failed.
    #[error("search index: {0}")]
    Io(String),
    /// Another process holds the index folder.
    #[error("another process is using this search index folder; give each server its own search.index_dir")]
    Locked,
    /// The store failed while catching up.
    #[error(transparent)]
    Store(#[from] dp_store::StoreError),
    /// An input file is unusable; the message says why.
    #[error("{0}")]
    Input(String),
    /// The vector index failed.
    #[error("vector index: {0}")]
    Vector(String),
    /// The embedding model failed.
    #[error(transparent)]
    Embed(#[from] embed::EmbedError),
    /// A background task died.
    #[error("search task: {0}")]
    Task(String),
}
