//! Input from paths and query strings that several handlers read alike: numbers in paths,
//! and the search form (the search page and its feeds).

use crate::AppError;
use serde::Deserialize;

/// A comment id from the path; anything else is a 400 page.
pub fn path_number(raw: &str) -> Result<i64, AppError> {
    raw.parse()
        .map_err(|_| AppError::bad_request("That is not a comment or claim number.").page())
}

/// Results per page.
pub const PAGE: usize = 25;

/// The search form's fields.
#[derive(Deserialize, Default)]
pub struct SearchForm {
    /// Free text (may contain `author:`, `category:`, `from:`, `to:`).
    #[serde(default)]
    pub q: String,
    /// Category filter from the form.
    #[serde(default)]
    pub category: String,
    /// First day (YYYY-MM-DD).
    #[serde(default)]
    pub from: String,
    /// Last day (YYYY-MM-DD).
    #[serde(default)]
    pub to: String,
    /// Ranking: `hybrid` (default), `keyword` or `semantic`.
    #[serde(default)]
    pub mode: String,
}

impl SearchForm {
    /// The form's non-empty fields as a URL query string (for links to the same search).
    pub fn query_string(&self) -> String {
        let mut url = form_urlencoded::Serializer::new(String::new());
        for (name, v) in [
            ("q", &self.q),
            ("category", &self.category),
            ("from", &self.from),
            ("to", &self.to),
            ("mode", &self.mode),
        ] {
            if !v.trim().is_empty() {
                url.append_pair(name, v.trim());
            }
        }
        url.finish()
    }

    /// The form's fields as one query string of the query language.
    pub fn combined(&self) -> String {
        let mut q = self.q.trim().to_string();
        for (name, v) in [
            ("category", &self.category),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            let v = v.trim();
            if !v.is_empty() {
                q.push_str(&format!(" {name}:{}", v.replace(char::is_whitespace, "")));
            }
        }
        q
    }
}
