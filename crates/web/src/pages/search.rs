//! `/search?q=...`: hybrid (keyword and semantic) search with filters, results as cards with
//! the matched words marked.

use crate::auth::Viewer;
use crate::layout::{frame, Frame};
use crate::params::{SearchForm, PAGE};
use crate::views::{is_http, paper_path, short_authors};
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dp_search::Piece;
use maud::{html, Markup};

/// Highlighted text: matched words in `<mark>`, everything escaped.
pub fn marked(pieces: &[Piece]) -> Markup {
    html! { @for p in pieces { @if p.highlight { mark { (p.text) } } @else { (p.text) } } }
}

/// `GET /search`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(form): Query<SearchForm>,
) -> Result<Response, AppError> {
    let raw = form.combined();
    let (results, error, status) = if raw.trim().is_empty() {
        (Vec::new(), None, StatusCode::OK)
    } else {
        let found = async {
            let mode = dp_app::search::parse_mode(&form.mode)?;
            state.app.search(&raw, PAGE, mode).await
        };
        match found.await.map_err(AppError::from) {
            Ok(r) => (r, None, StatusCode::OK),
            Err(e) if e.status.is_client_error() || e.status == StatusCode::SERVICE_UNAVAILABLE => {
                let status = e.status;
                (
                    Vec::new(),
                    Some(e.message.trim_start_matches("q: ").to_string()),
                    status,
                )
            }
            Err(e) => return Err(e.page()),
        }
    };
    let body = html! {
        h1 { "Search" }
        form.search method="get" action="/search" role="search" {
            label for="q" { "Search titles, abstracts and authors" }
            input type="search" id="q" name="q" value=(form.q) maxlength="250"
                placeholder="e.g. negative flips when updating a model, \"exact phrase\", author:Lovelace";
            div.picker {
                label for="category" { "Category" }
                input type="text" id="category" name="category" value=(form.category) placeholder="cs.CL" size="8";
                label for="from" { "From" }
                input type="date" id="from" name="from" value=(form.from);
                label for="to" { "To" }
                input type="date" id="to" name="to" value=(form.to);
                label for="mode" { "Ranking" }
                select id="mode" name="mode" {
                    @for (value, label) in [("hybrid", "Meaning and words"), ("keyword", "Words only"), ("semantic", "Meaning only")] {
                        option value=(value) selected[form.mode == value || (form.mode.is_empty() && value == "hybrid")] { (label) }
                    }
                }
                button.primary type="submit" { "Search" }
            }
        }
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        @if !raw.trim().is_empty() && error.is_none() {
            p.meta { (results.len()) " results" @if results.len() == PAGE { " (the best " (PAGE) ")" } }
            ol.papers {
                @for (i, (hit, p)) in results.iter().enumerate() {
                    li.card data-rank=(i + 1) data-id=(p.paper.id) {
                        div.votes { (p.upvotes) small { "upvotes" } }
                        div {
                            h2 { a href=(paper_path(&p.paper.id)) { (marked(&hit.title)) } }
                            p.meta {
                                (short_authors(&p.paper.authors))
                                @if let Some(t) = p.paper.published { " · " (t.format("%Y-%m-%d")) }
                                " · " (p.comments) " comments"
                            }
                            p.abstract { (marked(&hit.snippet)) }
                            p.links {
                                a href=(p.paper.abs_url()) { "arXiv " (p.paper.id) }
                                a href=(p.paper.pdf_url()) { "PDF" }
                                @if let Some(g) = &p.paper.github_repo { @if is_http(g) { a href=(g) rel="noopener" { "Code" } } }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = if raw.trim().is_empty() {
        "Search".to_string()
    } else {
        format!("{} · Search", form.q.chars().take(60).collect::<String>())
    };
    let feed_query = format!("?{}", form.query_string());
    let mut f = Frame::new(state.site_name(), &viewer);
    if !raw.trim().is_empty() {
        f = f.with_feed("/search/feed", &feed_query);
    }
    Ok((status, frame(f, &title, body)).into_response())
}
