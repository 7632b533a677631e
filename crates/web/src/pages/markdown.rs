//! A paper as Markdown (`/papers/{id}.md`, and `/papers/{id}` asked for `text/markdown`), the
//! shape Hugging Face serves to `hf papers read` and to language-model tools: the title, the
//! authors, the links, and the abstract (this server keeps no full text).

use crate::AppState;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use dp_core::ArxivId;
use dp_store::PaperDetail;
use std::fmt::Write;

/// Whether the request prefers Markdown to HTML (`Accept: text/markdown` ranked above
/// `text/html`; a browser's `text/html,...,*/*` never is).
pub fn wants_markdown(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut markdown = None;
    let mut html = None;
    for part in accept.split(',') {
        let mut bits = part.split(';');
        let kind = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = bits
            .filter_map(|b| b.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match kind.as_str() {
            "text/markdown" | "text/x-markdown" => markdown = Some(q),
            "text/html" => html = Some(q),
            _ => {}
        }
    }
    match (markdown, html) {
        (Some(m), Some(h)) => m > 0.0 && m >= h,
        (Some(m), None) => m > 0.0,
        _ => false,
    }
}

/// The Markdown of a paper. `page` is this server's address of the paper's page, `hub_url`
/// the Hub whose repositories cite it.
pub fn paper_markdown(d: &PaperDetail, page: &str, hub_url: &str) -> String {
    let p = &d.paper;
    let links = dp_core::Links::of(p, d.entries.first());
    let mut md = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(md, "# {}\n", one_line(&p.title));
    if !p.authors.is_empty() {
        let _ = writeln!(md, "**Authors:** {}\n", one_line(&p.authors.join(", ")));
    }
    if let Some(t) = p.published {
        let _ = writeln!(md, "**Published:** {}\n", t.format("%Y-%m-%d"));
    }
    if !p.categories.is_empty() {
        let _ = writeln!(md, "**Categories:** {}\n", p.categories.join(", "));
    }
    let _ = writeln!(
        md,
        "**Upvotes:** {} · **Comments:** {}\n",
        d.upvotes(),
        d.comments()
    );
    let _ = writeln!(md, "## Links\n");
    let _ = writeln!(md, "- Paper page: {page}");
    let _ = writeln!(md, "- arXiv: {}", p.abs_url());
    let _ = writeln!(md, "- PDF: {}", p.pdf_url());
    if let Some(g) = links.github_repo {
        match links.github_stars {
            Some(s) => {
                let _ = writeln!(md, "- Code: {} ({s} stars)", one_line(g));
            }
            None => {
                let _ = writeln!(md, "- Code: {}", one_line(g));
            }
        }
    }
    if let Some(pp) = links.project_page {
        let _ = writeln!(md, "- Project page: {}", one_line(pp));
    }
    if let Some(doi) = &p.doi {
        let _ = writeln!(md, "- DOI: https://doi.org/{}", one_line(doi));
    }
    let _ = writeln!(md, "\n## Abstract\n\n{}", p.abstract_text.trim());
    if let Some(hub) = d.hub.as_ref().filter(|h| !h.is_empty()) {
        let _ = writeln!(md, "\n## On the Hugging Face Hub\n");
        for kind in dp_core::HubKind::ALL {
            if hub.total(kind) == 0 {
                continue;
            }
            let _ = writeln!(
                md,
                "- {} citing this paper: {}",
                kind.plural(),
                hub.total(kind)
            );
            for r in hub.of(kind) {
                let _ = writeln!(
                    md,
                    "  - [{}]({})",
                    one_line(&r.id),
                    kind.page(hub_url, &r.id)
                );
            }
        }
    }
    if let Some(c) = &p.comment {
        let _ = writeln!(md, "\n**Comment:** {}", one_line(c));
    }
    if let Some(j) = &p.journal_ref {
        let _ = writeln!(md, "\n**Journal reference:** {}", one_line(j));
    }
    md
}

/// Line breaks inside a field would end a Markdown line early.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The response: the paper as `text/markdown`, or a 404 in words.
pub async fn respond(state: &AppState, headers: &HeaderMap, id: &ArxivId) -> Response {
    let id = id.unversioned();
    match state.app.visible_paper(&id).await {
        Ok(d) => {
            let page = format!("{}/papers/{id}", state.base_url(headers));
            markdown_response(
                StatusCode::OK,
                paper_markdown(&d, &page, &state.app.rules.hub_url),
            )
        }
        Err(dp_app::Error::NotFound(_)) => {
            let mut r = markdown_response(
                StatusCode::NOT_FOUND,
                format!("# Paper not found\n\nThis server has no paper arXiv:{id}.\n"),
            );
            // Hugging Face's client shows this header's text when the body is not JSON.
            r.headers_mut().insert(
                "x-error-message",
                HeaderValue::from_static("Paper not found"),
            );
            r
        }
        Err(e) => crate::AppError::from(e).into_response(),
    }
}

fn markdown_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/markdown; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(accept: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        m
    }

    #[test]
    fn markdown_is_chosen_only_when_preferred() {
        assert!(wants_markdown(&h("text/markdown")));
        assert!(wants_markdown(&h("text/markdown, text/html;q=0.5")));
        assert!(!wants_markdown(&h(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(!wants_markdown(&h("text/html, text/markdown;q=0.1")));
        assert!(!wants_markdown(&h("text/markdown;q=0")));
        assert!(!wants_markdown(&HeaderMap::new()));
    }
}
