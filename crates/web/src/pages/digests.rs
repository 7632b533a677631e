//! Digests on the site: admins list subscribers and preview anyone's next digest
//! (`/admin/subscribers`, `/admin/subscribers/{id}/preview`); signed-in readers manage the
//! subscriptions they made while signed in (`/settings`, `POST /settings/subscriptions/{id}`).

use crate::auth::Viewer;
use crate::error::OrPage;
use crate::form::Form;
use crate::layout::{frame, Frame};
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

/// Subscribers shown per admin page.
const PAGE: i64 = 100;

/// `?after=` of the admin list.
#[derive(Deserialize, Default)]
pub struct After {
    #[serde(default)]
    after: i64,
}

/// `GET /admin/subscribers`.
pub async fn admin_list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<After>,
) -> Result<Response, AppError> {
    let admin = viewer.require_admin()?;
    let subs = state
        .app
        .subscribers(admin, q.after, PAGE)
        .await
        .or_page()?;
    let body = html! {
        h1 { "Subscribers" }
        @if subs.is_empty() { p.empty { "No subscribers." } } @else {
            table {
                thead { tr { th { "Address" } th { "State" } th { "Cadence" } th { "Saved searches" } th { "Last digest" } th { "Last error" } th { "" } } }
                tbody {
                    @for s in &subs {
                        tr {
                            td { (s.email) }
                            td { (s.state.as_str()) }
                            td { (s.cadence.as_str()) }
                            td { (s.searches.join("; ")) }
                            td { (s.last_sent_day.map(|d| d.to_string()).unwrap_or_default()) }
                            td { (s.last_error.clone().unwrap_or_default()) }
                            td { a href={"/admin/subscribers/" (s.id) "/preview"} { "Preview next digest" } }
                        }
                    }
                }
            }
            @if subs.len() as i64 == PAGE {
                @if let Some(last) = subs.last() { p { a href={"/admin/subscribers?after=" (last.id)} { "More →" } } }
            }
        }
    };
    Ok(frame(Frame::new(state.site_name(), &viewer), "Subscribers", body).into_response())
}

/// `GET /admin/subscribers/{id}/preview`: the HTML part of the subscriber's next digest, as the
/// mail would show it (its own inline styles allowed; nothing else loads).
pub async fn admin_preview(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let admin = viewer.require_admin()?;
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::not_found("No such subscriber.").page())?;
    let base = state.base_url(&headers);
    let content = state.app.preview_digest(admin, id, &base).await.or_page()?;
    let html = content.unwrap_or_else(|| {
        "<!DOCTYPE html><p>Nothing new for this subscriber: no mail would be sent.</p>".into()
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ],
        html,
    )
        .into_response())
}

/// Form of a subscription on the settings page.
#[derive(Deserialize)]
pub struct SubscriptionForm {
    csrf: String,
    #[serde(default)]
    cadence: String,
    #[serde(default)]
    searches: String,
    #[serde(default)]
    action: String,
    /// `1` when "add what I follow" is ticked.
    #[serde(default)]
    follows: Option<String>,
}

/// `POST /settings/subscriptions/{id}`.
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(f): Form<SubscriptionForm>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&f.csrf)?;
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::not_found("No such subscription.").page())?;
    state
        .app
        .update_subscription(
            user,
            id,
            f.action == "unsubscribe",
            &f.cadence,
            &f.searches,
            f.follows.is_some(),
        )
        .await
        .or_page()?;
    Ok(Redirect::to("/settings#digests").into_response())
}
