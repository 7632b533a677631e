//! A user's profile (`/users/{name}`): public collections, papers submitted, upvoted and
//! claimed; admins ban here.

use crate::auth::Viewer;
use crate::error::OrPage;
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::render::with_math;
use crate::views::paper_path;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use dp_app::papers::Profile;
use dp_core::{ClaimState, Paper};
use maud::{html, Markup};
use serde::Deserialize;

fn paper_list(papers: &[Paper], empty: &str) -> Markup {
    html! {
        @if papers.is_empty() { p.empty { (empty) } } @else {
            ul { @for p in papers { li { a href=(paper_path(&p.id)) { (with_math(&p.title)) } " " span.meta { "arXiv:" (p.id) } } } }
        }
    }
}

/// `GET /users/{name}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let Profile {
        user,
        submitted,
        upvoted,
        claims,
    } = state.app.profile(&name).await.or_page()?;
    let collections = state
        .app
        .collections_of(viewer.user.as_ref(), &user)
        .await
        .or_page()?;
    let own = viewer.user.as_ref().is_some_and(|u| u.id == user.id);
    let admin = viewer.user.as_ref().is_some_and(|u| u.is_admin);
    let approved: Vec<_> = claims
        .iter()
        .filter(|c| c.state == ClaimState::Approved)
        .collect();
    let body = html! {
        h1 { (user.name) }
        p.meta {
            "Member since " (user.created_at.format("%B %-d, %Y"))
            @if user.is_admin { " · admin" }
            @if user.banned { " · banned" }
        }
        h2 { "Authored (claims confirmed)" }
        @if approved.is_empty() { p.empty { "No confirmed authorship yet." } } @else {
            ul { @for c in &approved { li { a href={"/papers/" (c.paper_id)} { (with_math(&c.paper_title)) } " as " (c.author_name) } } }
        }
        @if own {
            @let pending: Vec<_> = claims.iter().filter(|c| c.state != ClaimState::Approved).collect();
            @if !pending.is_empty() {
                h2 { "Your other claims" }
                ul { @for c in &pending { li { a href={"/papers/" (c.paper_id)} { (c.paper_title) } " as " (c.author_name) ": " (c.state.as_str()) } } }
            }
        }
        h2 { "Collections" }
        @if collections.is_empty() { p.empty { "No public collections." } } @else {
            ul.collections {
                @for c in &collections {
                    li { a href=(c.path()) { (c.title) } span.meta { " · " (c.items) " papers" @if c.private { " · private" } } }
                }
            }
        }
        h2 { "Submitted" }
        (paper_list(&submitted, "No submissions yet."))
        h2 { "Upvoted" }
        (paper_list(&upvoted, "No upvotes yet."))
        @if admin && !own {
            form method="post" action={"/users/" (user.name) "/ban"} {
                (csrf_field(&viewer.csrf))
                input type="hidden" name="banned" value=(if user.banned { "0" } else { "1" });
                button type="submit" { @if user.banned { "Lift the ban" } @else { "Ban this account (admin)" } }
            }
        }
    };
    Ok(frame(Frame::new(state.site_name(), &viewer), &user.name, body).into_response())
}

/// Form of the ban button.
#[derive(Deserialize)]
pub struct BanForm {
    csrf: String,
    banned: String,
}

/// `POST /users/{name}/ban`: admins only; an admin cannot ban themselves.
pub async fn ban(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<BanForm>,
) -> Result<Response, AppError> {
    let admin = viewer.require_admin()?;
    viewer.check_csrf(&form.csrf)?;
    let user = state
        .app
        .ban(admin, &name, form.banned != "0")
        .await
        .or_page()?;
    Ok(Redirect::to(&format!("/users/{}", user.name)).into_response())
}
