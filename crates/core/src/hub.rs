//! Repositories on the Hugging Face Hub that cite a paper: models, datasets and Spaces whose
//! cards link it (the Hub tags them `arxiv:ID`).

use chrono::{DateTime, Utc};

/// The three kinds of Hub repositories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HubKind {
    /// A model.
    Model,
    /// A dataset.
    Dataset,
    /// A Space (a demo app).
    Space,
}

impl HubKind {
    /// Every kind, in the order pages show them.
    pub const ALL: [HubKind; 3] = [HubKind::Model, HubKind::Dataset, HubKind::Space];

    /// As stored: `model`, `dataset`, `space`.
    pub fn as_str(self) -> &'static str {
        match self {
            HubKind::Model => "model",
            HubKind::Dataset => "dataset",
            HubKind::Space => "space",
        }
    }

    /// The Hub's path segment for the kind: `models`, `datasets`, `spaces`.
    pub fn plural(self) -> &'static str {
        match self {
            HubKind::Model => "models",
            HubKind::Dataset => "datasets",
            HubKind::Space => "spaces",
        }
    }

    /// Parses [`HubKind::as_str`].
    pub fn parse(s: &str) -> Option<HubKind> {
        HubKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The repository's page on a Hub at `hub` (`https://huggingface.co`): models live at the
    /// root, the others under their kind.
    pub fn page(self, hub: &str, repo_id: &str) -> String {
        let hub = hub.trim_end_matches('/');
        match self {
            HubKind::Model => format!("{hub}/{repo_id}"),
            _ => format!("{hub}/{}/{repo_id}", self.plural()),
        }
    }
}

/// One repository as the Hub described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRepo {
    /// `owner/name`.
    pub id: String,
    /// The Hub's JSON object for it, verbatim (it has `id`; `likes`, `downloads`, `tags`,
    /// `pipeline_tag` and more when the Hub sent them).
    pub json: String,
}

/// What the Hub said cites a paper, when it was last asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRepos {
    /// When the Hub was asked.
    pub checked_at: DateTime<Utc>,
    /// Models, the Hub's order.
    pub models: Vec<HubRepo>,
    /// Datasets.
    pub datasets: Vec<HubRepo>,
    /// Spaces.
    pub spaces: Vec<HubRepo>,
    /// How many models the Hub named (more than `models` keeps when there are many).
    pub num_models: i64,
    /// How many datasets.
    pub num_datasets: i64,
    /// How many Spaces.
    pub num_spaces: i64,
}

impl HubRepos {
    /// Nothing cites the paper (as of `checked_at`).
    pub fn none(checked_at: DateTime<Utc>) -> HubRepos {
        HubRepos {
            checked_at,
            models: Vec::new(),
            datasets: Vec::new(),
            spaces: Vec::new(),
            num_models: 0,
            num_datasets: 0,
            num_spaces: 0,
        }
    }

    /// The repositories kept of one kind.
    pub fn of(&self, kind: HubKind) -> &[HubRepo] {
        match kind {
            HubKind::Model => &self.models,
            HubKind::Dataset => &self.datasets,
            HubKind::Space => &self.spaces,
        }
    }

    /// The repositories kept of one kind, to fill.
    pub fn of_mut(&mut self, kind: HubKind) -> &mut Vec<HubRepo> {
        match kind {
            HubKind::Model => &mut self.models,
            HubKind::Dataset => &mut self.datasets,
            HubKind::Space => &mut self.spaces,
        }
    }

    /// How many of one kind the Hub named.
    pub fn total(&self, kind: HubKind) -> i64 {
        match kind {
            HubKind::Model => self.num_models,
            HubKind::Dataset => self.num_datasets,
            HubKind::Space => self.num_spaces,
        }
    }

    /// Sets how many of one kind the Hub named.
    pub fn set_total(&mut self, kind: HubKind, n: i64) {
        match kind {
            HubKind::Model => self.num_models = n,
            HubKind::Dataset => self.num_datasets = n,
            HubKind::Space => self.num_spaces = n,
        }
    }

    /// Whether the Hub named nothing at all.
    pub fn is_empty(&self) -> bool {
        self.num_models == 0 && self.num_datasets == 0 && self.num_spaces == 0
    }

    /// Whether `other` says the same (the check time aside).
    pub fn same_as(&self, other: &HubRepos) -> bool {
        HubKind::ALL
            .into_iter()
            .all(|k| self.of(k) == other.of(k) && self.total(k) == other.total(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_on_the_hub() {
        let hub = "https://huggingface.co/";
        assert_eq!(
            HubKind::Model.page(hub, "a/b"),
            "https://huggingface.co/a/b"
        );
        assert_eq!(
            HubKind::Dataset.page(hub, "a/b"),
            "https://huggingface.co/datasets/a/b"
        );
        assert_eq!(
            HubKind::Space.page(hub, "a/b"),
            "https://huggingface.co/spaces/a/b"
        );
        for k in HubKind::ALL {
            assert_eq!(HubKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(HubKind::parse("models"), None);
    }
}
