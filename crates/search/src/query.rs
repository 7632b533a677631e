//! What a reader typed, taken apart: free text (with quoted phrases), filters (`author:`,
//! `category:`, `from:`, `to:`), or an arXiv id.

use chrono::NaiveDate;
use dp_core::ArxivId;

/// Longest query accepted, in characters (Hugging Face's limit too).
pub const MAX_QUERY_CHARS: usize = 250;

/// Why a query is refused. Messages are shown to readers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing to search for.
    #[error("the query is empty")]
    Empty,
    /// Over [`MAX_QUERY_CHARS`].
    #[error("the query is too long ({0} characters, at most 250)")]
    TooLong(usize),
    /// A `from:`/`to:` filter that is not a date.
    #[error("{0}: expected a date YYYY-MM-DD")]
    BadDate(String),
}

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Free text, cleaned of query-syntax characters; quoted phrases keep their quotes.
    pub text: String,
    /// `author:NAME` (quotes allow spaces).
    pub author: Option<String>,
    /// `category:cs.CL`.
    pub category: Option<String>,
    /// `from:YYYY-MM-DD`: published on or after.
    pub from: Option<NaiveDate>,
    /// `to:YYYY-MM-DD`: published on or before.
    pub to: Option<NaiveDate>,
    /// The whole query is an arXiv id or URL.
    pub id: Option<ArxivId>,
}

impl SearchQuery {
    /// Whether there is nothing but filters.
    pub fn only_filters(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// Splits the query into words and quoted groups (an unbalanced quote runs to the end).
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => {
                cur.push('"');
                if quoted {
                    out.push(std::mem::take(&mut cur));
                }
                quoted = !quoted;
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        if quoted {
            cur.push('"');
        }
        out.push(cur);
    }
    out
}

fn unquote(s: &str) -> String {
    s.trim_matches('"').trim().to_string()
}

/// Keeps letters, digits and a few joiners; everything the query language would read as syntax
/// becomes a space.
fn clean(word: &str) -> String {
    word.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' || c == '.' || c == '-' || c == '_' {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses a reader's query.
pub fn parse(raw: &str) -> Result<SearchQuery, QueryError> {
    let n = raw.chars().count();
    if n > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong(n));
    }
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(QueryError::Empty);
    }
    let mut q = SearchQuery::default();
    if let Ok(id) = ArxivId::parse(raw) {
        q.id = Some(id.unversioned());
        q.text = raw.to_string();
        return Ok(q);
    }
    let mut words = Vec::new();
    for t in tokens(raw) {
        let lower = t.to_ascii_lowercase();
        let filter = |name: &str| lower.strip_prefix(name).map(|_| unquote(&t[name.len()..]));
        if let Some(v) = filter("author:") {
            q.author = Some(v).filter(|v| !v.is_empty());
        } else if let Some(v) = filter("category:") {
            q.category = Some(v).filter(|v| !v.is_empty());
        } else if let Some(v) = filter("from:") {
            q.from =
                Some(dp_core::parse_day(&v).map_err(|_| QueryError::BadDate(format!("from:{v}")))?);
        } else if let Some(v) = filter("to:") {
            q.to =
                Some(dp_core::parse_day(&v).map_err(|_| QueryError::BadDate(format!("to:{v}")))?);
        } else if t.starts_with('"') {
            let inner = clean(&unquote(&t));
            if !inner.is_empty() {
                words.push(format!("\"{inner}\""));
            }
        } else {
            let w = clean(&t);
            if !w.is_empty() {
                words.push(w);
            }
        }
    }
    q.text = words.join(" ");
    if q.only_filters() && q.author.is_none() && q.category.is_none() {
        return Err(QueryError::Empty);
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_phrases_and_ids() {
        let q = parse(
            r#"negative flips author:"Ada Lovelace" category:cs.LG from:2025-01-01 "model update""#,
        )
        .unwrap();
        assert_eq!(q.text, r#"negative flips "model update""#);
        assert_eq!(q.author.as_deref(), Some("Ada Lovelace"));
        assert_eq!(q.category.as_deref(), Some("cs.LG"));
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2025, 1, 1));
        assert_eq!(
            parse("https://arxiv.org/abs/2501.01234v2")
                .unwrap()
                .id
                .unwrap()
                .to_string(),
            "2501.01234"
        );
    }

    #[test]
    fn hostile_queries_are_cleaned_or_refused() {
        assert_eq!(parse("").unwrap_err(), QueryError::Empty);
        assert_eq!(parse("   ").unwrap_err(), QueryError::Empty);
        assert!(matches!(
            parse(&"x".repeat(10_000)).unwrap_err(),
            QueryError::TooLong(10_000)
        ));
        assert_eq!(
            parse(r#"unbalanced "quote here"#).unwrap().text,
            r#"unbalanced "quote here""#
        );
        assert_eq!(
            parse("a:b* (c) ^2 ~ + -x || !y").unwrap().text,
            "a b c 2 -x y"
        );
        assert_eq!(parse("(((").unwrap_err(), QueryError::Empty);
        assert_eq!(
            parse("🙂 трансформер 注意力").unwrap().text,
            "трансформер 注意力"
        );
        assert!(matches!(
            parse("from:yesterday x").unwrap_err(),
            QueryError::BadDate(_)
        ));
        assert_eq!(
            parse("xyz:abc").unwrap().text,
            "xyz abc",
            "unknown filters are text"
        );
    }
}
