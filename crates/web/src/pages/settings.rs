//! `/settings`: a signed-in reader's API tokens (create, see, revoke), digests, and links to
//! their password and sessions ([`crate::pages::password`]).

use crate::auth::Viewer;
use crate::error::OrPage;
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dp_app::Error;
use dp_core::ApiToken;
use dp_store::{Cadence, SubState, Subscriber};
use maud::{html, Markup};
use serde::Deserialize;

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(
        || "never".into(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn page(
    state: &AppState,
    viewer: &Viewer,
    tokens: &[ApiToken],
    subs: &[Subscriber],
    created: Option<(&str, &ApiToken)>,
    error: Option<&str>,
) -> Markup {
    let body = html! {
        h1 { "Settings" }
        h2 { "Password and sessions" }
        p { a href="/settings/password" { "Change your password" } " (signs out every other browser)." }
        form.inline method="post" action="/settings/sessions/end" {
            (csrf_field(&viewer.csrf))
            button type="submit" { "Sign out everywhere" }
        }
        (digests_section(subs, &viewer.csrf))
        (delete_section(&viewer.csrf))
        h2 { "API tokens" }
        p { "Scripts and bots use a token to comment, reply, upvote and submit through the "
            a href="/api" { "API" } " (" code { "Authorization: Bearer TOKEN" } "). Reads need no token. "
            "A read token can do nothing a visitor cannot; a write token acts as you. Revoke a token you no longer use." }
        @if let Some((secret, t)) = created {
            div.notice role="status" {
                p { "Your new token " strong { (t.name) } " (" (t.scope.as_str()) "). Copy it now: it is shown only once." }
                pre { code id="new-token" { (secret) } }
            }
        }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if tokens.is_empty() {
            p.empty { "No tokens yet." }
        } @else {
            table.tokens {
                thead { tr { th { "Name" } th { "Scope" } th { "Created" } th { "Last used" } th { "" } } }
                tbody {
                    @for t in tokens {
                        tr {
                            td { (t.name) }
                            td { (t.scope.as_str()) }
                            td { (when(Some(t.created_at))) }
                            td { (when(t.last_used_at)) }
                            td {
                                @if let Some(r) = t.revoked_at {
                                    "revoked " (when(Some(r)))
                                } @else {
                                    form.inline method="post" action={"/settings/tokens/" (t.id) "/revoke"} {
                                        (csrf_field(&viewer.csrf))
                                        button type="submit" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h3 { "New token" }
        form method="post" action="/settings/tokens" {
            (csrf_field(&viewer.csrf))
            label for="token-name" { "Name" }
            input type="text" id="token-name" name="name" required maxlength="60" placeholder="laptop script";
            label for="token-scope" { "Scope" }
            select id="token-scope" name="scope" {
                option value="read" { "read" }
                option value="write" selected { "write" }
            }
            button.primary type="submit" { "Create token" }
        }
    };
    frame(Frame::new(state.site_name(), viewer), "Settings", body)
}

/// `GET /settings`.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let Some(user) = &viewer.user else {
        return Ok(Redirect::to("/login?next=/settings").into_response());
    };
    let (tokens, subs) =
        tokio::try_join!(state.app.api_tokens(user), state.app.subscriptions_of(user)).or_page()?;
    Ok(page(&state, &viewer, &tokens, &subs, None, None).into_response())
}

/// Form of a new token.
#[derive(Deserialize)]
pub struct NewToken {
    csrf: String,
    name: String,
    scope: String,
}

/// `POST /settings/tokens`: creates a token and shows its secret once.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<NewToken>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&form.csrf)?;
    let created = state
        .app
        .create_api_token(user, &form.name, &form.scope)
        .await;
    let (tokens, subs) =
        tokio::try_join!(state.app.api_tokens(user), state.app.subscriptions_of(user)).or_page()?;
    match created {
        Ok((secret, token)) => Ok(page(
            &state,
            &viewer,
            &tokens,
            &subs,
            Some((&secret, &token)),
            None,
        )
        .into_response()),
        Err(Error::Invalid(msg)) => Ok((
            StatusCode::BAD_REQUEST,
            page(&state, &viewer, &tokens, &subs, None, Some(&msg)),
        )
            .into_response()),
        Err(e) => Err(AppError::from(e).page()),
    }
}

/// The CSRF token alone.
#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// `POST /settings/tokens/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&form.csrf)?;
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::bad_request("No such token.").page())?;
    state.app.revoke_api_token(user, id).await.or_page()?;
    Ok(Redirect::to("/settings").into_response())
}

/// Deleting the account.
fn delete_section(csrf: &str) -> Markup {
    html! {
        h2 id="delete" { "Delete your account" }
        p { "Your private collections, follows, feed addresses, \"not interested\" marks, claims, API tokens and sessions are deleted. "
            "Your comments, votes and public collections stay, under the name deleted-N. Digests you subscribe to keep coming until you unsubscribe." }
        form method="post" action="/settings/delete" {
            (csrf_field(csrf))
            label for="delete-password" { "Your password" }
            input type="password" id="delete-password" name="password" autocomplete="current-password" required;
            label { input type="checkbox" name="confirm" value="1" required; " Delete my account; this cannot be undone" }
            button type="submit" { "Delete my account" }
        }
    }
}

/// The settings page's section on the reader's subscriptions.
fn digests_section(subs: &[Subscriber], csrf: &str) -> Markup {
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
                label {
                    input type="checkbox" name="follows" value="1" checked[s.with_follows];
                    " Add my own sections: the newest papers of what I follow (" a href="/following" { "Following" } ") and those ranked " a href="/papers/for-you" { "for you" }
                }
                button.primary type="submit" name="action" value="save" { "Save" }
                @if s.state == SubState::Confirmed || s.state == SubState::Pending {
                    button type="submit" name="action" value="unsubscribe" { "Unsubscribe" }
                }
            }
        }
    }
}
