//! A reader's library: collections of papers with a note per paper.
//!
//! A collection is named by its owner and a slug made once, at creation, from its title and its
//! row id (`reading-list-12`), as Hugging Face names its collections (`owner/title-<id>`). The
//! slug does not change when the collection is renamed, so links keep working.

use crate::Paper;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;

/// Longest collection title, in characters (Hugging Face's limit too).
pub const MAX_TITLE_CHARS: usize = 60;
/// Longest collection description, in characters (Hugging Face's limit too).
pub const MAX_DESCRIPTION_CHARS: usize = 150;
/// Longest note on a collection item, in characters (Hugging Face's limit too).
pub const MAX_NOTE_CHARS: usize = 500;

/// Library input outside the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LibraryInputError {
    /// An empty or too long title, or one with control characters.
    #[error("collection titles are 1 to 60 characters, without control characters")]
    Title,
    /// A description over the limit.
    #[error("collection descriptions are at most 150 characters")]
    Description,
    /// A note over the limit.
    #[error("notes are at most 500 characters")]
    Note,
    /// A slug that names no collection.
    #[error("not a collection slug (title-words-ID)")]
    Slug,
}

/// A validated collection title: trimmed, 1–60 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CollectionTitle(String);

impl CollectionTitle {
    /// Checks a title.
    pub fn parse(s: &str) -> Result<CollectionTitle, LibraryInputError> {
        let s = s.trim();
        let n = s.chars().count();
        if n == 0 || n > MAX_TITLE_CHARS || s.chars().any(char::is_control) {
            Err(LibraryInputError::Title)
        } else {
            Ok(CollectionTitle(s.to_string()))
        }
    }

    /// The title.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CollectionTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A description: trimmed, at most 150 characters; empty is none.
pub fn description(s: &str) -> Result<Option<String>, LibraryInputError> {
    bounded(s, MAX_DESCRIPTION_CHARS, LibraryInputError::Description)
}

/// A note on an item: trimmed, at most 500 characters; empty is none.
pub fn note(s: &str) -> Result<Option<String>, LibraryInputError> {
    bounded(s, MAX_NOTE_CHARS, LibraryInputError::Note)
}

fn bounded(
    s: &str,
    max: usize,
    err: LibraryInputError,
) -> Result<Option<String>, LibraryInputError> {
    let s = s.trim();
    if s.chars().count() > max {
        Err(err)
    } else if s.is_empty() {
        Ok(None)
    } else {
        // Line breaks and tabs are kept; other control characters go.
        Ok(Some(
            s.chars()
                .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
                .collect(),
        ))
    }
}

/// The slug of a new collection: its title in lower-case ASCII words joined by `-` (at most 40
/// characters), then its id. `"Diffusion & LLMs!"`, 7 → `diffusion-llms-7`.
pub fn slug(title: &str, id: i64) -> String {
    let mut out = String::new();
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if out.len() + word.len() + 1 > 40 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    if out.is_empty() {
        out.push_str("collection");
    }
    format!("{out}-{id}")
}

/// The collection id a slug ends with (`reading-list-12` → 12).
pub fn slug_id(slug: &str) -> Result<i64, LibraryInputError> {
    let (_, id) = slug.rsplit_once('-').ok_or(LibraryInputError::Slug)?;
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LibraryInputError::Slug);
    }
    id.parse().map_err(|_| LibraryInputError::Slug)
}

/// A named list of papers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Collection {
    /// Row id (the end of the slug).
    pub id: i64,
    /// The owner's account.
    pub owner_id: i64,
    /// The owner's name.
    pub owner: String,
    /// Made at creation from the title and the id; never changes.
    pub slug: String,
    /// The title.
    pub title: String,
    /// An optional description.
    pub description: Option<String>,
    /// Private collections are seen only by their owner.
    pub private: bool,
    /// How many papers it holds.
    pub items: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it or its items last changed.
    pub updated_at: DateTime<Utc>,
}

impl Collection {
    /// Its page: `/collections/{owner}/{slug}`.
    pub fn path(&self) -> String {
        format!("/collections/{}/{}", self.owner, self.slug)
    }

    /// Hugging Face's name for it: `owner/slug`.
    pub fn full_slug(&self) -> String {
        format!("{}/{}", self.owner, self.slug)
    }
}

/// A paper in a collection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionItem {
    /// Row id (Hugging Face's `item_object_id`).
    pub id: i64,
    /// The paper.
    pub paper: Paper,
    /// The reader's note.
    pub note: Option<String>,
    /// Place in the collection, from 0.
    pub position: i64,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_checked() {
        assert_eq!(
            CollectionTitle::parse("  Reading list ").unwrap().as_str(),
            "Reading list"
        );
        assert!(CollectionTitle::parse("   ").is_err());
        assert!(CollectionTitle::parse(&"x".repeat(61)).is_err());
        assert!(CollectionTitle::parse(&"é".repeat(60)).is_ok());
        assert!(CollectionTitle::parse("a\u{0}b").is_err());
    }

    #[test]
    fn notes_and_descriptions_are_bounded() {
        assert_eq!(note("  ").unwrap(), None);
        assert_eq!(note(" a\nb\u{7} ").unwrap().as_deref(), Some("a\nb"));
        assert!(note(&"n".repeat(501)).is_err());
        assert!(description(&"d".repeat(151)).is_err());
    }

    #[test]
    fn slugs_carry_the_id_and_read_back() {
        assert_eq!(slug("Diffusion & LLMs!", 7), "diffusion-llms-7");
        assert_eq!(slug("Über ∑", 3), "ber-3");
        assert_eq!(slug("!!!", 9), "collection-9");
        let long = slug(&"word ".repeat(30), 12);
        assert!(long.len() <= 40 + 3, "{long}");
        assert_eq!(slug_id("diffusion-llms-7").unwrap(), 7);
        assert_eq!(slug_id(&long).unwrap(), 12);
        assert!(slug_id("nothing").is_err());
        assert!(slug_id("a-").is_err());
        assert!(slug_id("a-1x").is_err());
        assert!(slug_id("a-99999999999999999999").is_err());
    }
}
