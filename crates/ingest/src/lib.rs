//! Getting papers in: importers for saved files and harvesters for live sources.
//!
//! Every source format is parsed into [`ImportRecord`]s (a [`Paper`] plus, for daily-list
//! sources, a [`FeedEntry`]); a bad record becomes a [`RecordError`] that names where it was and
//! why it was rejected, and never stops the rest of the import.

pub mod atom;
pub mod oai;

use dp_core::{FeedEntry, Paper};

/// One parsed record, ready for the store.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRecord {
    /// The paper's metadata.
    pub paper: Paper,
    /// The paper's place on a daily list, for daily-list sources.
    pub entry: Option<FeedEntry>,
}

impl From<Paper> for ImportRecord {
    fn from(paper: Paper) -> Self {
        ImportRecord { paper, entry: None }
    }
}
