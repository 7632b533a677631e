//! The Hub repositories that cite a paper, from a Hugging Face-compatible Hub:
//! `GET {hub}/api/models?filter=arxiv:ID` and the same for datasets and Spaces, as Hugging
//! Face's own paper pages and arXiv's abstract pages find them.

use crate::fetch::{FetchError, Fetcher};
use chrono::{DateTime, Utc};
use dp_core::{ArxivId, HubKind, HubRepo, HubRepos};

/// How many repositories of each kind the Hub is asked for (and counted up to).
pub const ASK_LIMIT: usize = 1000;

/// Why the Hub's answer could not be used.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The Hub could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The Hub answered with something other than a list of repositories.
    #[error("{url}: {message}")]
    BadResponse {
        /// The URL.
        url: String,
        /// What was wrong.
        message: String,
    },
}

/// The address listing the repositories of `kind` that cite `paper`, most liked first.
pub fn url(hub: &str, kind: HubKind, paper: &ArxivId) -> String {
    format!(
        "{}/api/{}?filter=arxiv:{}&sort=likes&direction=-1&limit={ASK_LIMIT}",
        hub.trim_end_matches('/'),
        kind.plural(),
        paper.base()
    )
}

/// Reads one answer: a JSON array of objects, each with a string `id`. Objects without one
/// are skipped (Hugging Face's client cannot read them); at most `keep` are kept, all are
/// counted.
pub fn parse(url: &str, body: &[u8], keep: usize) -> Result<(Vec<HubRepo>, i64), HubError> {
    let bad = |message: String| HubError::BadResponse {
        url: url.to_string(),
        message,
    };
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("not JSON: {e}")))?;
    let serde_json::Value::Array(items) = value else {
        return Err(bad("expected a JSON array of repositories".into()));
    };
    let mut kept = Vec::new();
    let mut total = 0;
    for item in items {
        let Some(id) = item.get("id").and_then(|v| v.as_str()) else {
            continue;
        };
        let id = id.trim();
        if id.is_empty() || id.len() > 200 || id.chars().any(char::is_control) {
            continue;
        }
        total += 1;
        if kept.len() < keep {
            kept.push(HubRepo {
                id: id.to_string(),
                json: item.to_string(),
            });
        }
    }
    Ok((kept, total))
}

/// Asks the Hub at `hub` which models, datasets and Spaces cite `paper`, keeping at most
/// `keep` of each kind.
pub async fn linked_repos(
    fetcher: &dyn Fetcher,
    hub: &str,
    paper: &ArxivId,
    keep: usize,
    now: DateTime<Utc>,
) -> Result<HubRepos, HubError> {
    let mut out = HubRepos::none(now);
    for kind in HubKind::ALL {
        let url = url(hub, kind, paper);
        let body = fetcher.get(&url).await?;
        let (kept, total) = parse(&url, &body, keep)?;
        *out.of_mut(kind) = kept;
        out.set_total(kind, total);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_need_an_id_and_are_counted_past_what_is_kept() {
        let body =
            br#"[{"id":"a/one","likes":3},{"likes":1},{"id":""},{"id":"b/two"},{"id":"c/three"}]"#;
        let (kept, total) = parse("u", body, 2).unwrap();
        assert_eq!(total, 3);
        assert_eq!(
            kept.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["a/one", "b/two"]
        );
        assert!(kept[0].json.contains("\"likes\":3"));
        assert!(parse("u", b"{\"error\":\"x\"}", 2).is_err());
        assert!(parse("u", b"<html>", 2).is_err());
    }

    #[test]
    fn asks_by_arxiv_tag() {
        let id = ArxivId::parse("2401.12345v2").unwrap();
        assert_eq!(
            url("http://hub/", HubKind::Space, &id),
            "http://hub/api/spaces?filter=arxiv:2401.12345&sort=likes&direction=-1&limit=1000"
        );
    }
}
