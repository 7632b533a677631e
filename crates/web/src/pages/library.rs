//! `/library`: a reader's library: their collections (and a form for a new one), and the
//! papers they are not interested in, each with an undo.

use crate::auth::Viewer;
use crate::error::OrPage;
use crate::layout::{frame, Frame};
use crate::render::with_math;
use crate::views::{paper_path, short_authors};
use crate::{AppError, AppState};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

/// `GET /library`.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let user = viewer.require()?;
    let papers = state.app.not_interested(user).await.or_page()?;
    let collections = state.app.my_collections(user).await.or_page()?;
    let body = html! {
        h1 { "Your library" }
        (super::collections::library_section(&collections, &viewer.csrf))
        h2 { "Not interested" }
        p.meta { "Papers you marked \"Not interested\" are left out of your lists." }
        @if papers.is_empty() {
            p.empty { "None. Use \"Not interested\" on a paper card to leave a paper out of your lists." }
        } @else {
            ul.papers.not-interested {
                @for p in &papers {
                    li data-id=(p.id) {
                        a href=(paper_path(&p.id)) { (with_math(&p.title)) }
                        span.meta { " · " (short_authors(&p.authors)) " " }
                        (super::daily::not_interested_button(&p.id, &viewer.csrf, "/library", false))
                    }
                }
            }
        }
    };
    Ok(frame(Frame::new(state.site_name(), &viewer), "Your library", body).into_response())
}
