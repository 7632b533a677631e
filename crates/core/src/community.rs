//! Accounts and what people write: user names, comments, authorship claims.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;

/// Longest comment accepted, in characters.
pub const MAX_COMMENT_CHARS: usize = 10_000;
/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, in bytes (hashing cost grows with length).
pub const MAX_PASSWORD_BYTES: usize = 1_024;

/// Why input from a person is refused. Messages are shown to them as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// A user name outside the rules.
    #[error("user names are 3 to 32 characters: letters, digits, '-' and '_'")]
    Username,
    /// A password too short or too long.
    #[error("passwords are at least 8 characters and at most 1024 bytes")]
    Password,
    /// An empty comment.
    #[error("the comment is empty")]
    EmptyComment,
    /// A comment over the limit.
    #[error("the comment is too long ({0} characters, at most 10000)")]
    LongComment(usize),
    /// A name kept for deleted accounts.
    #[error("user names starting with \"deleted-\" are kept for deleted accounts")]
    ReservedName,
    /// A token name outside the rules.
    #[error("token names are 1 to 60 characters, without control characters")]
    TokenName,
}

/// A validated user name: 3–32 ASCII letters, digits, `-` and `_`. Compared case-insensitively
/// by the store (`Alice` and `alice` are one account).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Checks a user name.
    pub fn parse(s: &str) -> Result<Username, InputError> {
        let s = s.trim();
        let ok = (3..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            Err(InputError::Username)
        } else if s.to_ascii_lowercase().starts_with("deleted-") {
            Err(InputError::ReservedName)
        } else {
            Ok(Username(s.to_string()))
        }
    }

    /// The name as typed at sign-up.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a new password's length.
pub fn check_password(p: &str) -> Result<(), InputError> {
    if p.chars().count() < MIN_PASSWORD_CHARS || p.len() > MAX_PASSWORD_BYTES {
        Err(InputError::Password)
    } else {
        Ok(())
    }
}

/// A comment's text, trimmed and within the limits (Markdown source; rendered safely by the web layer).
pub fn comment_body(s: &str) -> Result<String, InputError> {
    let s = s.trim();
    let n = s.chars().count();
    if n == 0 {
        Err(InputError::EmptyComment)
    } else if n > MAX_COMMENT_CHARS {
        Err(InputError::LongComment(n))
    } else {
        Ok(s.replace("\r\n", "\n"))
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// The name shown everywhere.
    pub name: String,
    /// Admins hide papers, delete comments, ban accounts and decide claims.
    pub is_admin: bool,
    /// Banned accounts cannot sign in or write.
    pub banned: bool,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// A comment on a paper (or a reply to one: one level deep).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    /// Row id.
    pub id: i64,
    /// The paper (bare arXiv id).
    pub paper_id: String,
    /// The author's account.
    pub user_id: i64,
    /// The author's name.
    pub author: String,
    /// The top-level comment this replies to.
    pub parent_id: Option<i64>,
    /// Markdown source; empty once deleted.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Deleted comments keep their place in a thread, without text.
    pub deleted: bool,
}

/// Where an authorship claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimState {
    /// Waiting for an admin.
    Pending,
    /// An admin confirmed it.
    Approved,
    /// An admin refused it.
    Rejected,
}

impl ClaimState {
    /// As stored.
    pub fn as_str(&self) -> &'static str {
        match self {
            ClaimState::Pending => "pending",
            ClaimState::Approved => "approved",
            ClaimState::Rejected => "rejected",
        }
    }

    /// From the stored text.
    pub fn parse(s: &str) -> Option<ClaimState> {
        match s {
            "pending" => Some(ClaimState::Pending),
            "approved" => Some(ClaimState::Approved),
            "rejected" => Some(ClaimState::Rejected),
            _ => None,
        }
    }
}

/// A user's claim to be one of a paper's authors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    /// Row id.
    pub id: i64,
    /// The paper.
    pub paper_id: String,
    /// The paper's title, for lists of claims.
    pub paper_title: String,
    /// Who claims.
    pub user_id: i64,
    /// Their user name.
    pub username: String,
    /// The author name on the paper they say is theirs.
    pub author_name: String,
    /// Where it stands.
    pub state: ClaimState,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    /// Reads only (the reads are public anyway; useful for per-user rate limits).
    Read,
    /// Reads and writes: comments, replies, upvotes, submissions.
    Write,
}

impl TokenScope {
    /// As stored.
    pub fn as_str(&self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    /// From the stored or submitted text.
    pub fn parse(s: &str) -> Option<TokenScope> {
        match s {
            "read" => Some(TokenScope::Read),
            "write" => Some(TokenScope::Write),
            _ => None,
        }
    }
}

/// An API token as its owner sees it (the secret itself is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Row id.
    pub id: i64,
    /// The owner.
    pub user_id: i64,
    /// A label the owner chose.
    pub name: String,
    /// What it may do.
    pub scope: TokenScope,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used, if ever.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Checks an API token's label: 1 to 60 characters, no control characters.
pub fn token_name(raw: &str) -> Result<String, InputError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(InputError::TokenName);
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names() {
        assert_eq!(Username::parse(" alice_1 ").unwrap().as_str(), "alice_1");
        assert_eq!(Username::parse("Deleted-12"), Err(InputError::ReservedName));
        for bad in [
            "al",
            "a b c",
            "<script>",
            "ålice",
            &"x".repeat(33),
            "a\r\nb",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_names_and_scopes() {
        assert_eq!(token_name("  laptop ").unwrap(), "laptop");
        assert!(token_name("").is_err());
        assert!(token_name("a\nb").is_err());
        assert!(token_name(&"x".repeat(61)).is_err());
        assert_eq!(TokenScope::parse("write"), Some(TokenScope::Write));
        assert_eq!(
            TokenScope::parse(TokenScope::Read.as_str()),
            Some(TokenScope::Read)
        );
        assert_eq!(TokenScope::parse("admin"), None);
    }

    #[test]
    fn passwords_and_comments() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough").is_ok());
        assert!(check_password(&"x".repeat(2000)).is_err());
        assert_eq!(comment_body("  hi\r\nthere ").unwrap(), "hi\nthere");
        assert_eq!(comment_body(" \n "), Err(InputError::EmptyComment));
        assert!(matches!(
            comment_body(&"x".repeat(10_001)),
            Err(InputError::LongComment(10_001))
        ));
    }
}
