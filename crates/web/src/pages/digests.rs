//! Digests on the site: admins list subscribers and preview anyone's next digest
//! (`/admin/subscribers`, `/admin/subscribers/{id}/preview`); signed-in readers manage the
//! subscriptions they made while signed in (`/settings`, `POST /settings/subscriptions/{id}`).

use crate::auth::Viewer;
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::pages::subscribe::saved_searches;
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use dp_mail::run::{preview as preview_digest, Matcher, RunConfig};
use dp_store::{Cadence, SubState, Subscriber};
use maud::{html, Markup};
use serde::Deserialize;

/// Saved searches through a keyword index: the query's words, papers first published in the
/// window. Used by the admin preview and by the digest runs of the binary.
pub struct IndexMatcher(pub dp_search::Engine);

impl Matcher for IndexMatcher {
    fn matches(&self, query: &str, from: NaiveDate, to: NaiveDate, limit: usize) -> Vec<String> {
        let Ok(q) = dp_search::parse(&format!("{query} from:{from} to:{to}")) else {
            return Vec::new();
        };
        match self.0.search(&q, limit, dp_search::Mode::Keyword) {
            Ok(hits) => hits.into_iter().map(|h| h.id).collect(),
            Err(e) => {
                tracing::warn!(error = %e, query, "saved search failed");
                Vec::new()
            }
        }
    }
}

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
    viewer.require_admin()?;
    let subs = state
        .store
        .subscribers(q.after, PAGE)
        .await
        .map_err(|e| AppError::from(e).page())?;
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
    Ok(frame(
        Frame::new(&state.settings.site_name, &viewer),
        "Subscribers",
        body,
    )
    .into_response())
}

/// `GET /admin/subscribers/{id}/preview`: the HTML part of the subscriber's next digest, as the
/// mail would show it (its own inline styles allowed; nothing else loads).
pub async fn admin_preview(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    viewer.require_admin()?;
    let Some(mail) = &state.mail else {
        return Err(AppError::unavailable("E-mail is not set up on this server.").page());
    };
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::not_found("No such subscriber.").page())?;
    let sub = state
        .store
        .subscriber(id)
        .await
        .map_err(|e| AppError::from(e).page())?
        .ok_or_else(|| AppError::not_found("No such subscriber.").page())?;
    let day = state
        .store
        .latest_day()
        .await
        .map_err(|e| AppError::from(e).page())?
        .unwrap_or_else(|| state.clock.now().date_naive());
    let cfg = RunConfig {
        cadence: sub.cadence,
        day,
        site: state.settings.site_name.clone(),
        base_url: crate::pages::feeds::base_url(&state, &headers),
        from: mail.from.clone(),
        top_n: mail.top_n,
        per_search: mail.per_search,
        concurrency: 1,
        batch: 1,
        max_attempts: 1,
        retry_wait: std::time::Duration::ZERO,
        link_days: 90,
    };
    let matcher = state.search.as_ref().map(|f| IndexMatcher(f.engine()));
    let content = preview_digest(
        state.store.as_ref(),
        matcher.as_ref().map(|m| m as &dyn Matcher),
        &mail.signer,
        &cfg,
        &sub,
    )
    .await
    .map_err(|e| AppError::internal(e).page())?;
    let html = match content {
        Some(c) => dp_mail::compose::html(&c),
        None => {
            "<!DOCTYPE html><p>Nothing new for this subscriber: no mail would be sent.</p>".into()
        }
    };
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

/// The settings page's section on the reader's subscriptions.
pub fn settings_section(subs: &[Subscriber], csrf: &str) -> Markup {
    html! {
        h2 id="digests" { "E-mail digests" }
        @if subs.is_empty() {
            p.empty { "No subscriptions made while signed in. " a href="/subscribe" { "Subscribe" } }
        }
        @for s in subs {
            form method="post" action={"/settings/subscriptions/" (s.id)} {
                (csrf_field(csrf))
                p { strong { (s.email) } " · " (s.state.as_str()) }
                fieldset {
                    legend { "How often" }
                    label { input type="radio" name="cadence" value="daily" checked[s.cadence == Cadence::Daily]; " Daily, on weekdays" }
                    label { input type="radio" name="cadence" value="weekly" checked[s.cadence == Cadence::Weekly]; " Weekly" }
                }
                label for={"searches-" (s.id)} { "Saved searches (one per line)" }
                textarea id={"searches-" (s.id)} name="searches" rows="3" maxlength="1100" { (s.searches.join("\n")) }
                button.primary type="submit" name="action" value="save" { "Save" }
                @if s.state == SubState::Confirmed || s.state == SubState::Pending {
                    button type="submit" name="action" value="unsubscribe" { "Unsubscribe" }
                }
            }
        }
    }
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
    let not_found = || AppError::not_found("No such subscription.").page();
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let own = state
        .store
        .subscribers_of_user(user.id)
        .await
        .map_err(|e| AppError::from(e).page())?
        .into_iter()
        .any(|s| s.id == id);
    if !own {
        return Err(not_found());
    }
    if f.action == "unsubscribe" {
        state
            .store
            .set_subscriber_state(id, SubState::Unsubscribed)
            .await
            .map_err(|e| AppError::from(e).page())?;
        return Ok(Redirect::to("/settings#digests").into_response());
    }
    let cadence = Cadence::parse(&f.cadence)
        .ok_or_else(|| AppError::bad_request("Choose daily or weekly.").page())?;
    let searches = saved_searches(&f.searches)
        .map_err(|e| AppError::status(StatusCode::BAD_REQUEST, e).page())?;
    state
        .store
        .update_subscription(id, user.id, cadence, &searches)
        .await
        .map_err(|e| AppError::from(e).page())?;
    Ok(Redirect::to("/settings#digests").into_response())
}
