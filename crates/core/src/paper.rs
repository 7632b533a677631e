//! A paper's arXiv metadata, and how records from several sources merge into one paper.

use crate::arxiv_id::ArxivId;
use crate::text::normalize;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// Longest abstract accepted, in characters.
pub const MAX_ABSTRACT_CHARS: usize = 20_000;
/// Most authors accepted on one paper (large collaborations list a few thousand).
pub const MAX_AUTHORS: usize = 10_000;
/// Longest author name, comment, DOI, journal reference or link accepted, in characters.
pub const MAX_FIELD_CHARS: usize = 2_000;

/// Why a record cannot be a paper.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaperError {
    /// A required field is missing or empty.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A field is longer than the limit.
    #[error("{field} is too long ({len} characters, at most {max})")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// arXiv metadata of one paper, as the store keeps it.
///
/// `id` carries no version; `version` is the newest version any source told us about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paper {
    /// The bare arXiv id.
    pub id: ArxivId,
    /// Newest known version, when a source gave one.
    pub version: Option<u32>,
    /// Title, normalised for display.
    pub title: String,
    /// Abstract, normalised for display.
    pub abstract_text: String,
    /// Author names in the paper's order.
    pub authors: Vec<String>,
    /// arXiv categories, primary first.
    pub categories: Vec<String>,
    /// When the first version appeared on arXiv.
    pub published: Option<DateTime<Utc>>,
    /// When the newest known version appeared.
    pub updated: Option<DateTime<Utc>>,
    /// The authors' comment (pages, venue).
    pub comment: Option<String>,
    /// DOI of the published version.
    pub doi: Option<String>,
    /// Journal reference.
    pub journal_ref: Option<String>,
    /// Code repository (usually GitHub).
    pub github_repo: Option<String>,
    /// Project page.
    pub project_page: Option<String>,
}

impl Paper {
    /// A paper with the given id, title and abstract (normalised) and nothing else known.
    pub fn new(id: &ArxivId, title: &str, abstract_text: &str) -> Paper {
        Paper {
            id: id.unversioned(),
            version: id.version(),
            title: normalize(title),
            abstract_text: normalize(abstract_text),
            authors: Vec::new(),
            categories: Vec::new(),
            published: None,
            updated: None,
            comment: None,
            doi: None,
            journal_ref: None,
            github_repo: None,
            project_page: None,
        }
    }

    /// Checks required fields and size limits; importers call it before storing.
    pub fn validate(&self) -> Result<(), PaperError> {
        if self.title.is_empty() {
            return Err(PaperError::Missing("title"));
        }
        check_len("title", &self.title, MAX_TITLE_CHARS)?;
        check_len("abstract", &self.abstract_text, MAX_ABSTRACT_CHARS)?;
        if self.authors.len() > MAX_AUTHORS {
            return Err(PaperError::TooLong {
                field: "authors",
                len: self.authors.len(),
                max: MAX_AUTHORS,
            });
        }
        for a in &self.authors {
            check_len("author name", a, MAX_FIELD_CHARS)?;
        }
        for c in &self.categories {
            check_len("category", c, MAX_FIELD_CHARS)?;
        }
        for (field, v) in [
            ("comment", &self.comment),
            ("doi", &self.doi),
            ("journal reference", &self.journal_ref),
            ("GitHub repository", &self.github_repo),
            ("project page", &self.project_page),
        ] {
            if let Some(v) = v {
                check_len(field, v, MAX_FIELD_CHARS)?;
            }
        }
        Ok(())
    }

    /// Link to the abstract page on arXiv.
    pub fn abs_url(&self) -> String {
        self.id.abs_url()
    }

    /// Link to the PDF on arXiv (newest known version).
    pub fn pdf_url(&self) -> String {
        self.id.with_version(self.version).pdf_url()
    }

    /// The primary category, when known.
    pub fn primary_category(&self) -> Option<&str> {
        self.categories.first().map(String::as_str)
    }

    /// Merges an incoming record for the same paper into this one.
    ///
    /// Returns `None` when the incoming record changes nothing. The rules make imports
    /// idempotent whatever the order of sources:
    /// * a record of a newer version (or, versions equal or unknown, a newer `updated` time)
    ///   replaces every field it carries, keeping ours where it has none;
    /// * any other record (same, older or unknown version) only fills fields we do not know yet,
    ///   so an older version never overwrites a newer one.
    pub fn merged_with(&self, incoming: &Paper) -> Option<Paper> {
        let newer = match (incoming.version, self.version) {
            (Some(a), Some(b)) if a != b => a > b,
            _ => matches!((incoming.updated, self.updated), (Some(a), Some(b)) if a > b),
        };
        let mut m = self.clone();
        if newer {
            m.version = incoming.version.or(m.version);
            replace_text(&mut m.title, &incoming.title);
            replace_text(&mut m.abstract_text, &incoming.abstract_text);
            replace_vec(&mut m.authors, &incoming.authors);
            replace_vec(&mut m.categories, &incoming.categories);
            m.published = incoming.published.or(m.published);
            m.updated = incoming.updated.or(m.updated);
            for (mine, theirs) in m
                .optional_fields_mut()
                .into_iter()
                .zip(incoming.optional_fields())
            {
                if theirs.is_some() {
                    mine.clone_from(theirs);
                }
            }
        } else {
            if m.version.is_none() {
                m.version = incoming.version;
            }
            fill_text(&mut m.title, &incoming.title);
            fill_text(&mut m.abstract_text, &incoming.abstract_text);
            fill_vec(&mut m.authors, &incoming.authors);
            fill_vec(&mut m.categories, &incoming.categories);
            // The first version's date can only move earlier.
            m.published = match (m.published, incoming.published) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            m.updated = m.updated.or(incoming.updated);
            for (mine, theirs) in m
                .optional_fields_mut()
                .into_iter()
                .zip(incoming.optional_fields())
            {
                if mine.is_none() {
                    mine.clone_from(theirs);
                }
            }
        }
        (m != *self).then_some(m)
    }

    fn optional_fields(&self) -> [&Option<String>; 5] {
        [
            &self.comment,
            &self.doi,
            &self.journal_ref,
            &self.github_repo,
            &self.project_page,
        ]
    }

    fn optional_fields_mut(&mut self) -> [&mut Option<String>; 5] {
        [
            &mut self.comment,
            &mut self.doi,
            &mut self.journal_ref,
            &mut self.github_repo,
            &mut self.project_page,
        ]
    }
}

fn check_len(field: &'static str, s: &str, max: usize) -> Result<(), PaperError> {
    // Byte length bounds the character count from above: only count when it might matter.
    if s.len() > max {
        let len = s.chars().count();
        if len > max {
            return Err(PaperError::TooLong { field, len, max });
        }
    }
    Ok(())
}

fn replace_text(mine: &mut String, theirs: &str) {
    if !theirs.is_empty() {
        theirs.clone_into(mine);
    }
}

fn fill_text(mine: &mut String, theirs: &str) {
    if mine.is_empty() {
        theirs.clone_into(mine);
    }
}

fn replace_vec(mine: &mut Vec<String>, theirs: &[String]) {
    if !theirs.is_empty() {
        theirs.clone_into(mine);
    }
}

fn fill_vec(mine: &mut Vec<String>, theirs: &[String]) {
    if mine.is_empty() {
        theirs.clone_into(mine);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn paper(id: &str, title: &str) -> Paper {
        Paper::new(&ArxivId::parse(id).unwrap(), title, "abstract")
    }

    #[test]
    fn new_normalises_and_drops_the_version_from_the_id() {
        let p = Paper::new(
            &ArxivId::parse("2401.12345v2").unwrap(),
            "A\n  title",
            " x ",
        );
        assert_eq!(p.id.to_string(), "2401.12345");
        assert_eq!(p.version, Some(2));
        assert_eq!(p.title, "A title");
        assert_eq!(p.pdf_url(), "https://arxiv.org/pdf/2401.12345v2");
    }

    #[test]
    fn identical_record_changes_nothing() {
        let p = paper("2401.12345v1", "T");
        assert_eq!(p.merged_with(&p.clone()), None);
    }

    #[test]
    fn newer_version_replaces_older_does_not() {
        let v1 = paper("2401.12345v1", "Old title");
        let v2 = paper("2401.12345v2", "New title");
        let m = v1.merged_with(&v2).expect("v2 updates v1");
        assert_eq!(m.title, "New title");
        assert_eq!(m.version, Some(2));
        assert_eq!(m.merged_with(&v1), None, "v1 must not overwrite v2");
    }

    #[test]
    fn unversioned_sources_fill_gaps_and_are_idempotent() {
        let mut hf = paper("2401.12345", "From HF");
        hf.github_repo = Some("https://github.com/a/b".into());
        let mut listing = paper("2401.12345", "From listing");
        listing.categories = vec!["cs.CL".into(), "cs.AI".into()];
        listing.comment = Some("9 pages".into());
        let m = hf.merged_with(&listing).expect("fills categories");
        assert_eq!(m.title, "From HF");
        assert_eq!(m.categories, ["cs.CL", "cs.AI"]);
        assert_eq!(m.comment.as_deref(), Some("9 pages"));
        assert_eq!(m.github_repo.as_deref(), Some("https://github.com/a/b"));
        assert_eq!(m.merged_with(&hf), None);
        assert_eq!(m.merged_with(&listing), None);
    }

    #[test]
    fn newer_updated_time_replaces_with_equal_versions() {
        let mut a = paper("2401.12345", "A");
        a.updated = Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
        let mut b = paper("2401.12345", "B");
        b.updated = Some(Utc.with_ymd_and_hms(2024, 2, 1, 0, 0, 0).unwrap());
        b.journal_ref = Some("J. Foo 1 (2024)".into());
        let m = a.merged_with(&b).unwrap();
        assert_eq!(m.title, "B");
        assert_eq!(m.merged_with(&a), None);
    }

    #[test]
    fn validation_names_the_field() {
        let mut p = paper("2401.12345", "T");
        p.title = "x".repeat(MAX_TITLE_CHARS + 1);
        assert!(p
            .validate()
            .unwrap_err()
            .to_string()
            .contains("title is too long"));
        p.title.clear();
        assert_eq!(p.validate(), Err(PaperError::Missing("title")));
    }
}
