//! Server-rendered HTML pages, one file per resource.

pub mod about;
pub mod account;
pub mod admin;
pub mod api_docs;
pub mod collections;
pub mod daily;
pub mod digests;
pub mod feeds;
pub mod follows;
pub mod foryou;
pub mod jobs;
pub mod library;
pub mod markdown;
pub mod paper;
pub mod password;
pub mod profile;
pub mod search;
pub mod settings;
pub mod submit;
pub mod subscribe;
pub mod thumbnails;

use crate::auth::Viewer;
use crate::cache::PageEntry;
use crate::form::wants_json;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::Markup;
use std::future::Future;

/// Any path we do not serve (a JSON error under `/api/`).
pub async fn not_found(uri: axum::http::Uri) -> AppError {
    if uri.path().starts_with("/api/") {
        AppError::not_found("There is no endpoint at this address; see /api/openapi.json.")
    } else {
        AppError::not_found("There is no page at this address.").page()
    }
}

/// A rendered page and its status (a page offering to fetch a paper not here yet is a 404).
pub struct PageOut {
    /// The status.
    pub status: StatusCode,
    /// The page.
    pub markup: Markup,
}

impl From<Markup> for PageOut {
    fn from(markup: Markup) -> Self {
        PageOut {
            status: StatusCode::OK,
            markup,
        }
    }
}

impl From<(StatusCode, Markup)> for PageOut {
    fn from((status, markup): (StatusCode, Markup)) -> Self {
        PageOut { status, markup }
    }
}

fn html_response(status: StatusCode, body: Bytes) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Serves a page from the cache for readers who are not signed in (rendering and keeping it on
/// a miss); signed-in readers always get a fresh page with their own state. `key` must name
/// everything the page depends on, and nothing else (see [`crate::params::key`]).
pub async fn cached<F, Fut, P>(
    state: &AppState,
    viewer: &Viewer,
    key: String,
    render: F,
) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<P, AppError>>,
    P: Into<PageOut>,
{
    if viewer.user.is_some() {
        let out: PageOut = render().await?.into();
        return Ok(html_response(
            out.status,
            Bytes::from(out.markup.into_string()),
        ));
    }
    let entry = state
        .cache
        .page(key, |generation| async move {
            let out: PageOut = render().await?.into();
            Ok(PageEntry {
                generation,
                status: out.status,
                body: Bytes::from(out.markup.into_string()),
            })
        })
        .await?;
    Ok(html_response(entry.status, entry.body.clone()))
}

/// A local path to go back to after a form (never another site): it starts with one `/`, and
/// has no backslash and no control character (browsers drop tabs and line breaks, so
/// `/\t/evil.example` would be read as `//evil.example`).
pub fn safe_next(next: Option<&str>, fallback: &str) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && n.len() < 512 =>
        {
            n.to_string()
        }
        _ => fallback.to_string(),
    }
}

/// The answer to a form: JSON for the page script, a redirect (303) otherwise.
pub fn done(headers: &HeaderMap, json: serde_json::Value, to: &str) -> Response {
    if wants_json(headers) {
        axum::Json(json).into_response()
    } else {
        Redirect::to(to).into_response()
    }
}

/// Errors of a form handler: JSON for the page script, a page otherwise.
pub fn as_page(headers: &HeaderMap) -> impl Fn(AppError) -> AppError + '_ {
    move |e| {
        let mut e = e;
        e.html = !wants_json(headers);
        e
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next(Some("/papers/2501.00001"), "/"),
            "/papers/2501.00001"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\u{7f}/evil",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(Some(bad), "/papers"), "/papers", "{bad}");
        }
    }
}
