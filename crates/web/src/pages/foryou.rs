//! `/papers/for-you`: recent papers ranked for the signed-in reader, each with the reason that
//! weighs most; until they have given a few signals, what to do and the trending list meanwhile.

use crate::auth::Viewer;
use crate::error::OrPage;
use crate::layout::{frame, Frame};
use crate::render::with_math;
use crate::views::{paper_path, short_authors};
use crate::{AppError, AppState};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use dp_app::foryou::COLD_START_SIGNALS;
use dp_core::text::excerpt;
use maud::html;

/// Papers shown.
const SHOWN: usize = 50;

/// `GET /papers/for-you`.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let f = Frame::new(state.site_name(), &viewer);
    let Some(user) = viewer.user.as_ref() else {
        let body = html! {
            h1 { "For you" }
            p { a href="/login?next=/papers/for-you" { "Log in" } " or " a href="/signup" { "sign up" }
                " to get the newest papers ranked by what you upvote, save and follow." }
        };
        return Ok(frame(f, "For you", body).into_response());
    };
    let fy = state.app.for_you(user, SHOWN).await.or_page()?;
    let trending = if fy.cold {
        state.app.trending().await.or_page()?
    } else {
        Vec::new()
    };
    let body = html! {
        h1 { "For you" }
        @if fy.cold {
            div.notice.cold-start role="status" {
                p { strong { "Tell this site what you like." }
                    " Your ranking learns from " (fy.signals) " signal" @if fy.signals != 1 { "s" }
                    " so far; about " (COLD_START_SIGNALS) " make it useful:" }
                ul {
                    li { "follow a few authors or categories on " a href="/following" { "Following" } " (or from any paper's page);" }
                    li { "save or upvote papers you like;" }
                    li { "or import your reference manager's BibTeX or RIS file into a collection from " a href="/library" { "your library" } "." }
                }
                p { "Meanwhile, here is what is trending, because your own ranking has too little to go on." }
            }
            ol.papers.trending-fallback {
                @for t in trending.iter().take(20) {
                    li data-id=(t.item.paper.id) {
                        a href=(paper_path(&t.item.paper.id)) { (with_math(&t.item.paper.title)) }
                        span.meta { " · " (short_authors(&t.item.paper.authors)) }
                    }
                }
            }
            @if !fy.items.is_empty() { h2 { "Ranked for you so far" } }
        }
        ol.papers.for-you {
            @for (p, s) in &fy.items {
                li data-id=(p.id) {
                    a href=(paper_path(&p.id)) { (with_math(&p.title)) }
                    span.meta { " · " (short_authors(&p.authors))
                        @if let Some(t) = p.published { " · " (t.format("%Y-%m-%d")) } }
                    @if let Some(r) = &s.reason { p.reason.meta { (r.line()) } }
                    p.abstract { (with_math(&excerpt(&p.abstract_text, 240))) }
                }
            }
        }
    };
    Ok(frame(f, "For you", body).into_response())
}
