//! The daily list: `/papers` (the latest day with papers) and `/papers/date/YYYY-MM-DD`.

use crate::layout::page;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use dp_core::text::excerpt;
use dp_core::FeedItem;
use maud::{html, Markup};

/// `/` sends readers to the daily list.
pub async fn index() -> Redirect {
    Redirect::to("/papers")
}

/// `/papers`: the latest day that has papers.
pub async fn latest(State(state): State<AppState>) -> Result<Response, AppError> {
    let day = state
        .store
        .latest_day()
        .await
        .map_err(|e| AppError::from(e).page())?;
    match day {
        Some(day) => render_day(&state, day).await,
        None => Ok(page(
            &state.settings.site_name,
            "Daily Papers",
            html! {
                h1 { "Daily Papers" }
                p.empty { "No papers yet. Import some with " code { "dailypapers import" } " or start a harvest." }
            },
        )
        .into_response()),
    }
}

/// `/papers/date/{day}`.
pub async fn by_day(
    State(state): State<AppState>,
    Path(day): Path<String>,
) -> Result<Response, AppError> {
    let day = dp_core::parse_day(&day).map_err(|e| AppError::bad_request(e.to_string()).page())?;
    render_day(&state, day).await
}

async fn render_day(state: &AppState, day: NaiveDate) -> Result<Response, AppError> {
    let store = &state.store;
    let (items, (prev, next)) = tokio::try_join!(store.day_feed(day), store.adjacent_days(day))
        .map_err(|e| AppError::from(e).page())?;
    let title = format!("Daily Papers · {}", day.format("%A, %B %-d, %Y"));
    let body = html! {
        div.daynav {
            @if let Some(p) = prev { a rel="prev" href={"/papers/date/" (p)} { "← " (p) } } @else { span {} }
            h1 { time datetime=(day) { (day.format("%A, %B %-d, %Y")) } }
            @if let Some(n) = next { a rel="next" href={"/papers/date/" (n)} { (n) " →" } } @else { span {} }
        }
        @if items.is_empty() {
            p.empty { "No papers on this day." }
        } @else {
            p.meta { (items.len()) " papers, ranked by upvotes" }
            ol.papers { @for (i, item) in items.iter().enumerate() { (card(i + 1, item)) } }
        }
    };
    Ok(page(&state.settings.site_name, &title, body).into_response())
}

/// Authors as a reader scans them: up to three names, then "et al.".
pub fn short_authors(authors: &[String]) -> String {
    match authors.len() {
        0 => String::new(),
        1..=3 => authors.join(", "),
        n => format!("{}, {}, … and {} more", authors[0], authors[1], n - 2),
    }
}

fn card(rank: usize, item: &FeedItem) -> Markup {
    let p = &item.paper;
    let e = &item.entry;
    let github = e.github_repo.as_ref().or(p.github_repo.as_ref());
    let project = e.project_page.as_ref().or(p.project_page.as_ref());
    html! {
        li.card id={"paper-" (p.id)} data-rank=(rank) {
            div.votes aria-label={(item.upvotes()) " upvotes"} { (item.upvotes()) small { "upvotes" } }
            div {
                h2 { a href=(p.abs_url()) { (p.title) } }
                p.meta {
                    (short_authors(&p.authors))
                    @if let Some(by) = &e.submitted_by { " · submitted by " (by) }
                    " · " (e.num_comments) " comments"
                }
                p.abstract { (excerpt(&p.abstract_text, 280)) }
                p.links {
                    a href=(p.abs_url()) { "arXiv " (p.id) }
                    a href=(p.pdf_url()) { "PDF" }
                    @if let Some(g) = github { @if is_http(g) { a href=(g) { "Code" } } }
                    @if let Some(pp) = project { @if is_http(pp) { a href=(pp) { "Project page" } } }
                }
            }
        }
    }
}

/// Only http(s) links are ever put in an `href` (no `javascript:`).
fn is_http(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_long_author_lists() {
        let a: Vec<String> = ["A", "B", "C", "D", "E"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(short_authors(&a[..2]), "A, B");
        assert_eq!(short_authors(&a), "A, B, … and 3 more");
    }

    #[test]
    fn only_http_links() {
        assert!(is_http("https://github.com/x"));
        assert!(!is_http("javascript:alert(1)"));
    }
}
