//! Input from paths and query strings that several handlers read alike: numbers in paths,
//! and the search form (the search page and its feeds).

use crate::AppError;
use axum::http::Uri;
use serde::Deserialize;

/// The cache key of a request: its path and, in a fixed order, only the query parameters its
/// handler reads (`known`). Junk in a query string (`?x=<60 KB>`) then shares the entry of the
/// clean request instead of making a new one.
pub fn key(uri: &Uri, known: &[&str]) -> String {
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .filter(|(k, _)| known.contains(&k.as_ref()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    if pairs.is_empty() {
        return uri.path().to_string();
    }
    pairs.sort();
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.extend_pairs(pairs);
    format!("{}?{}", uri.path(), q.finish())
}

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
