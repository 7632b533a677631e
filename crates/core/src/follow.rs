//! What a reader follows: an author (by name, or an account whose authorship claims were
//! approved), a category (`cs.CL`, or a whole archive such as `cs`), or a saved search.

use crate::{Category, Paper};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;

/// Longest author name or search followed, in characters.
pub const MAX_FOLLOW_CHARS: usize = 200;

/// What kind of thing is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowKind {
    /// An author's name as papers print it.
    Author,
    /// An account of this site: the names its approved claims confirm.
    Account,
    /// An arXiv category or archive.
    Category,
    /// A search query.
    Search,
}

impl FollowKind {
    /// As stored and in forms: `author`, `account`, `category`, `search`.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowKind::Author => "author",
            FollowKind::Account => "account",
            FollowKind::Category => "category",
            FollowKind::Search => "search",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<FollowKind> {
        match s {
            "author" => Some(FollowKind::Author),
            "account" => Some(FollowKind::Account),
            "category" => Some(FollowKind::Category),
            "search" => Some(FollowKind::Search),
            _ => None,
        }
    }
}

impl fmt::Display for FollowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a follow was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FollowError {
    /// Not one of the kinds.
    #[error("follow an author, an account, a category or a search")]
    Kind,
    /// Empty, too long, or with control characters.
    #[error("what you follow is 1 to 200 characters, without control characters")]
    Value,
    /// Not an arXiv category.
    #[error(transparent)]
    Category(#[from] crate::CategoryError),
}

/// A checked follow target: its kind and its value in canonical form (a category as arXiv
/// writes it, names and queries trimmed with single spaces).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The kind.
    pub kind: FollowKind,
    /// The value.
    pub value: String,
}

impl Target {
    /// Checks a target.
    pub fn parse(kind: &str, value: &str) -> Result<Target, FollowError> {
        let kind = FollowKind::parse(kind.trim()).ok_or(FollowError::Kind)?;
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        let n = value.chars().count();
        if n == 0 || n > MAX_FOLLOW_CHARS || value.chars().any(char::is_control) {
            return Err(FollowError::Value);
        }
        let value = match kind {
            FollowKind::Category => Category::parse(&value)?.to_string(),
            _ => value,
        };
        Ok(Target { kind, value })
    }

    /// The key two equal targets share (authors and accounts in any letter case).
    pub fn key(&self) -> String {
        match self.kind {
            FollowKind::Author | FollowKind::Account => self.value.to_lowercase(),
            _ => self.value.clone(),
        }
    }
}

/// A reader's follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Follow {
    /// Row id.
    pub id: i64,
    /// Its kind.
    pub kind: FollowKind,
    /// Its value.
    pub value: String,
    /// Since when.
    pub created_at: DateTime<Utc>,
}

impl Follow {
    /// How a page names it: `author Ada Lovelace`, `category cs.CL`, `search "diffusion"`.
    pub fn label(&self) -> String {
        match self.kind {
            FollowKind::Search => format!("search \"{}\"", self.value),
            k => format!("{k} {}", self.value),
        }
    }
}

/// Whether an author name on a paper is the followed name (any letter case, spaces collapsed).
pub fn same_author(followed: &str, on_paper: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(followed) == norm(on_paper)
}

/// Whether `p` is in the followed category (a whole archive covers its classes).
pub fn in_category(category: &str, p: &Paper) -> bool {
    Category::parse(category).is_ok_and(|c| p.categories.iter().any(|pc| c.covers(pc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_checked_and_made_canonical() {
        let t = Target::parse("author", "  Ada   Lovelace ").unwrap();
        assert_eq!(t.value, "Ada Lovelace");
        assert_eq!(t.key(), "ada lovelace");
        assert_eq!(Target::parse("category", " cs.CL ").unwrap().value, "cs.CL");
        assert!(matches!(
            Target::parse("category", "cooking"),
            Err(FollowError::Category(_))
        ));
        assert_eq!(Target::parse("band", "x"), Err(FollowError::Kind));
        assert_eq!(Target::parse("search", "  "), Err(FollowError::Value));
        assert_eq!(
            Target::parse("search", &"q".repeat(201)),
            Err(FollowError::Value)
        );
        assert_eq!(Target::parse("author", "a\u{0}b"), Err(FollowError::Value));
    }

    #[test]
    fn authors_and_categories_match_papers() {
        assert!(same_author("ada  lovelace", "Ada Lovelace"));
        assert!(!same_author("Ada", "Ada Lovelace"));
        let mut p = Paper::new(&crate::ArxivId::parse("2501.00001").unwrap(), "t", "a");
        p.categories = vec!["cs.CL".into(), "stat.ML".into()];
        assert!(in_category("cs", &p));
        assert!(in_category("stat.ML", &p));
        assert!(!in_category("cs.LG", &p));
    }
}
