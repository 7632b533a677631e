//! `/about`: how the lists rank papers.

use crate::auth::Viewer;
use crate::layout::{frame, Frame};
use crate::AppState;
use axum::extract::State;
use dp_core::ranking::{TRENDING_AGE_OFFSET_HOURS, TRENDING_GRAVITY, TRENDING_WINDOW_DAYS};
use maud::{html, Markup};

/// `GET /about`.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Markup {
    let body = html! {
        h1 { "How the lists are ranked" }
        h2 { "Daily, weekly and monthly lists" }
        p { "A paper's upvotes are the count its source reported (for papers mirrored from Hugging Face) plus the upvotes cast on this server. "
            "Lists are ordered by upvotes, highest first; ties go to the entry published most recently, then to the source's own order. "
            "Weekly (ISO weeks, Monday to Sunday) and monthly lists take every paper added in the period once, with its best day's count." }
        h2 id="trending" { "Trending" }
        p { "Trending looks at papers added in the last " (TRENDING_WINDOW_DAYS) " days and ranks them by" }
        pre { "score = (upvotes + log2(1 + github_stars)) / (age_in_hours + " (TRENDING_AGE_OFFSET_HOURS) ") ^ " (TRENDING_GRAVITY) }
        p { "Age counts from when the paper was put on a list. A paper twice as old needs about 2.8 times the points to keep its place; "
            "GitHub stars help a little (100 stars are worth about 6.7 upvotes, 10,000 about 13). When the newest list is more than a day old "
            "(an archive that is not updated), ages count to a day after its last arrival instead of now." }
        h2 { "Moderation" }
        p { "Admins can hide a paper from every list (its page stays reachable), delete comments, ban accounts and confirm authorship claims." }
    };
    frame(
        Frame::new(state.site_name(), &viewer),
        "About the ranking",
        body,
    )
}
