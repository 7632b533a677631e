//! arXiv subject categories as a reader names them (`cs.CL`, `stat.ML`, `hep-th`, or a whole
//! archive such as `cs`), the OAI-PMH set that holds each, and whether a paper falls under one.

use std::fmt;

/// Archives whose OAI-PMH set sits under `physics:` (arXiv's set layout).
const PHYSICS: &[&str] = &[
    "astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nlin",
    "nucl-ex", "nucl-th", "physics", "quant-ph",
];

/// Archives that are OAI-PMH sets of their own.
const TOP: &[&str] = &["cs", "econ", "eess", "math", "q-bio", "q-fin", "stat"];

/// A harvested category: a whole archive (`cs`, `hep-th`) or one subject class (`cs.CL`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Category {
    archive: String,
    class: Option<String>,
}

/// Why a category name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an arXiv category (e.g. cs, cs.CL, stat.ML, hep-th)")]
pub struct CategoryError(pub String);

impl Category {
    /// Parses `cs`, `cs.CL`, `stat.ML`, `hep-th`, `astro-ph.GA`, ... (an archive arXiv has,
    /// then optionally a dot and a subject class of letters).
    pub fn parse(raw: &str) -> Result<Category, CategoryError> {
        let bad = || CategoryError(raw.chars().take(40).collect());
        let s = raw.trim();
        let (archive, class) = match s.split_once('.') {
            Some((a, c)) => (a, Some(c)),
            None => (s, None),
        };
        if !PHYSICS.contains(&archive) && !TOP.contains(&archive) {
            return Err(bad());
        }
        if let Some(c) = class {
            if c.is_empty()
                || c.len() > 8
                || !c.chars().all(|ch| ch.is_ascii_alphabetic() || ch == '-')
            {
                return Err(bad());
            }
        }
        Ok(Category {
            archive: archive.to_string(),
            class: class.map(str::to_string),
        })
    }

    /// The OAI-PMH set that holds this category's papers (`cs`, `stat`, `physics:hep-th`).
    pub fn oai_set(&self) -> String {
        if PHYSICS.contains(&self.archive.as_str()) {
            format!("physics:{}", self.archive)
        } else {
            self.archive.clone()
        }
    }

    /// Whether a paper listed under `category` (e.g. `cs.CL`) falls under this one.
    pub fn covers(&self, category: &str) -> bool {
        let (archive, class) = match category.split_once('.') {
            Some((a, c)) => (a, Some(c)),
            None => (category, None),
        };
        archive == self.archive
            && match &self.class {
                None => true,
                Some(mine) => class.is_some_and(|c| c.eq_ignore_ascii_case(mine)),
            }
    }

    /// Whether this is a whole archive (every paper of its set is wanted).
    pub fn is_archive(&self) -> bool {
        self.class.is_none()
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.class {
            Some(c) => write!(f, "{}.{c}", self.archive),
            None => f.write_str(&self.archive),
        }
    }
}

/// The categories a server harvests: which OAI-PMH sets to ask for, and which of their records
/// to keep.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CategoryFilter {
    categories: Vec<Category>,
}

impl CategoryFilter {
    /// The filter of `names` (each parsed with [`Category::parse`]).
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<CategoryFilter, CategoryError> {
        let mut categories = names
            .iter()
            .map(|n| Category::parse(n.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        categories.sort();
        categories.dedup();
        Ok(CategoryFilter { categories })
    }

    /// The OAI-PMH sets to harvest, each once, in order.
    pub fn oai_sets(&self) -> Vec<String> {
        let mut sets: Vec<String> = self.categories.iter().map(Category::oai_set).collect();
        sets.sort();
        sets.dedup();
        sets
    }

    /// Whether a record listed under `categories` is kept: at least one of them falls under an
    /// asked-for category (an empty filter keeps everything).
    pub fn keeps(&self, categories: &[String]) -> bool {
        self.categories.is_empty()
            || categories
                .iter()
                .any(|rc| self.categories.iter().any(|c| c.covers(rc)))
    }

    /// The categories, sorted.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_parse_and_name_their_sets() {
        let cases = [
            ("cs", "cs"),
            ("cs.CL", "cs"),
            ("stat.ML", "stat"),
            ("hep-th", "physics:hep-th"),
            ("astro-ph.GA", "physics:astro-ph"),
            ("q-bio.NC", "q-bio"),
            (" math.AG ", "math"),
        ];
        for (raw, set) in cases {
            let c = Category::parse(raw).unwrap();
            assert_eq!(c.oai_set(), set, "{raw}");
            assert_eq!(c.to_string(), raw.trim());
        }
        for bad in [
            "",
            "cs.",
            "compsci",
            "cs.C L",
            "cs.CL.x",
            "physics:hep-th",
            "cs.<b>",
        ] {
            assert!(Category::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_filter_keeps_records_of_the_asked_classes_only() {
        let f = CategoryFilter::parse(&["cs.CL", "cs.LG", "stat.ML", "cs.CL"]).unwrap();
        assert_eq!(f.oai_sets(), ["cs", "stat"]);
        assert_eq!(f.categories().len(), 3);
        let cats = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(f.keeps(&cats(&["cs.CL"])));
        assert!(f.keeps(&cats(&["cs.CV", "cs.LG"])), "a cross-list counts");
        assert!(f.keeps(&cats(&["math.ST", "stat.ML"])));
        assert!(!f.keeps(&cats(&["cs.CV"])));
        assert!(!f.keeps(&cats(&["cs.CLX"])));
        assert!(!f.keeps(&cats(&["stat.ME"])));
        assert!(!f.keeps(&[]));
        let whole = CategoryFilter::parse(&["cs", "cs.CL"]).unwrap();
        assert!(whole.keeps(&cats(&["cs.CV"])), "the whole archive");
        assert!(
            CategoryFilter::default().keeps(&cats(&["math.AG"])),
            "no filter"
        );
    }
}
