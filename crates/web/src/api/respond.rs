//! How the API answers reads: JSON from the cache, with `ETag`, `Last-Modified`,
//! `Cache-Control`, and `304 Not Modified` for conditional requests.

use crate::cache::ApiEntry;
use crate::{AppError, AppState};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::time::{Duration, Instant, UNIX_EPOCH};

/// A rendered JSON answer and the `Link` of its next page.
pub struct Rendered {
    /// The JSON.
    pub body: Bytes,
    /// `Link: <...>; rel="next"` when another page exists.
    pub link: Option<String>,
}

impl Rendered {
    /// Serialises `value`.
    pub fn json<T: Serialize>(value: &T) -> Result<Rendered, AppError> {
        Ok(Rendered {
            body: Bytes::from(serde_json::to_vec(value).map_err(AppError::internal)?),
            link: None,
        })
    }

    /// The same answer with a `Link` to the next page.
    pub fn with_next(mut self, next: Option<String>) -> Rendered {
        self.link = next.map(|url| format!("<{url}>; rel=\"next\""));
        self
    }
}

/// How long clients and proxies may reuse a read, in seconds.
pub const MAX_AGE_SECS: u32 = 60;

fn etag_of(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Whether the client's copy (named by `If-None-Match`, else dated by `If-Modified-Since`) is
/// still the current one.
fn not_modified(headers: &HeaderMap, etag: &HeaderValue, modified: u64) -> bool {
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let mine = etag.to_str().unwrap_or("");
        return inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == mine);
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .is_some_and(|since| modified <= since.as_secs())
}

fn answer(entry: &ApiEntry, headers: &HeaderMap, modified: u64) -> Response {
    let last_modified = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(modified));
    let mut resp = if not_modified(headers, &entry.etag, modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(entry.body.clone()));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(link) = &entry.link {
            r.headers_mut().insert(header::LINK, link.clone());
        }
        r
    };
    let h = resp.headers_mut();
    h.insert(header::ETAG, entry.etag.clone());
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    resp
}

/// Answers a read of the API from the cache under `key` (the path and query), rendering and
/// keeping it on a miss. Every reader gets the same answer (reads are anonymous).
pub async fn cached_json<F, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    key: String,
    render: F,
) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Rendered, AppError>>,
{
    let modified = state.cache.changed_at();
    let entry = state
        .cache
        .api(key, |generation| async move {
            let rendered = render().await?;
            Ok(ApiEntry {
                generation,
                at: Instant::now(),
                etag: etag_of(&rendered.body),
                link: rendered
                    .link
                    .as_deref()
                    .and_then(|l| HeaderValue::from_str(l).ok()),
                body: rendered.body,
            })
        })
        .await?;
    Ok(answer(&entry, headers, modified))
}

/// The cache key of a search-backed request: its path and the parameters it reads
/// ([`crate::params::key`]), and how far the search index has followed the store (the index
/// catches up after the store changes, so an answer cached in between must not outlive the
/// catching up).
pub fn search_key(state: &AppState, uri: &axum::http::Uri, known: &[&str]) -> String {
    let key = crate::params::key(uri, known);
    match &state.app.search {
        Some(f) => format!("{key}#{}#{}", f.seen(), f.vectors_loaded()),
        None => key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditional_requests() {
        let etag = etag_of(b"[1,2,3]");
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, &etag, 100));
        h.insert(header::IF_NONE_MATCH, etag.clone());
        assert!(not_modified(&h, &etag, 100));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"other\", W/\"x\""),
        );
        assert!(!not_modified(&h, &etag, 100));
        let mut h = HeaderMap::new();
        let at = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(100));
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_str(&at).unwrap(),
        );
        assert!(not_modified(&h, &etag, 100));
        assert!(!not_modified(&h, &etag, 101));
    }
}
