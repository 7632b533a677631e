//! `/settings`: a signed-in reader's API tokens (create, see, revoke).

use crate::api::token::new_token;
use crate::auth::{token_hash, Viewer};
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::pages::paper::write_limit;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dp_core::{ApiToken, TokenScope};
use maud::{html, Markup};
use serde::Deserialize;

/// Most live tokens per user.
pub const MAX_TOKENS: usize = 20;

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
    subs: &[dp_store::Subscriber],
    created: Option<(&str, &ApiToken)>,
    error: Option<&str>,
) -> Markup {
    let body = html! {
        h1 { "Settings" }
        (crate::pages::digests::settings_section(subs, &viewer.csrf))
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
    frame(
        Frame::new(&state.settings.site_name, viewer),
        "Settings",
        body,
    )
}

/// `GET /settings`.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let Some(user) = &viewer.user else {
        return Ok(Redirect::to("/login?next=/settings").into_response());
    };
    let tokens = state
        .store
        .api_tokens(user.id)
        .await
        .map_err(|e| AppError::from(e).page())?;
    let subs = state
        .store
        .subscribers_of_user(user.id)
        .await
        .map_err(|e| AppError::from(e).page())?;
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
    write_limit(&state, user).await?;
    let store = &state.store;
    let subs = store
        .subscribers_of_user(user.id)
        .await
        .map_err(|e| AppError::from(e).page())?;
    let tokens = store
        .api_tokens(user.id)
        .await
        .map_err(|e| AppError::from(e).page())?;
    let refuse = |msg: &str| {
        Ok((
            StatusCode::BAD_REQUEST,
            page(&state, &viewer, &tokens, &subs, None, Some(msg)),
        )
            .into_response())
    };
    let name = match dp_core::community::token_name(&form.name) {
        Ok(n) => n,
        Err(e) => return refuse(&e.to_string()),
    };
    let Some(scope) = TokenScope::parse(&form.scope) else {
        return refuse("The scope is read or write.");
    };
    if tokens.iter().filter(|t| t.revoked_at.is_none()).count() >= MAX_TOKENS {
        return refuse(&format!(
            "You have {MAX_TOKENS} live tokens; revoke one first."
        ));
    }
    let secret = new_token();
    let token = store
        .create_api_token(user.id, &name, &token_hash(&secret), scope)
        .await
        .map_err(|e| AppError::from(e).page())?;
    let tokens = store
        .api_tokens(user.id)
        .await
        .map_err(|e| AppError::from(e).page())?;
    Ok(page(
        &state,
        &viewer,
        &tokens,
        &subs,
        Some((&secret, &token)),
        None,
    )
    .into_response())
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
    if !state
        .store
        .revoke_api_token(user.id, id)
        .await
        .map_err(|e| AppError::from(e).page())?
    {
        return Err(AppError::not_found("No such token.").page());
    }
    Ok(Redirect::to("/settings").into_response())
}
