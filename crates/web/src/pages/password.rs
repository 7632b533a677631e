//! A signed-in reader's password and sessions: `/settings/password` changes the password (and
//! ends every other session), `POST /settings/sessions/end` signs out everywhere,
//! `POST /settings/delete` deletes the account.

use crate::auth::{session_cookie, Viewer, SESSION_COOKIE};
use crate::error::OrPage;
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::{AppError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use dp_app::Error;
use maud::html;
use serde::Deserialize;

fn form_page(state: &AppState, viewer: &Viewer, error: Option<&str>) -> maud::Markup {
    let body = html! {
        h1 { "Change your password" }
        p { "Every other browser signed in to your account is signed out. API tokens keep working; revoke them in "
            a href="/settings" { "settings" } "." }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="/settings/password" {
            (csrf_field(&viewer.csrf))
            label for="current" { "Current password" }
            input type="password" id="current" name="current" required maxlength="256" autocomplete="current-password";
            label for="new" { "New password (at least 8 characters)" }
            input type="password" id="new" name="new" required minlength="8" maxlength="256" autocomplete="new-password";
            button.primary type="submit" { "Change password" }
        }
    };
    frame(
        Frame::new(state.site_name(), viewer),
        "Change your password",
        body,
    )
}

/// `GET /settings/password`.
pub async fn form(State(state): State<AppState>, viewer: Viewer) -> Response {
    if viewer.user.is_none() {
        return Redirect::to("/login?next=/settings/password").into_response();
    }
    form_page(&state, &viewer, None).into_response()
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
}

/// `POST /settings/password`: checks the current password, sets the new one, ends every
/// session of the account and starts a new one for this browser.
pub async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&form.csrf)?;
    match state
        .app
        .change_password(user, form.current, form.new)
        .await
    {
        Ok(session) => {
            let jar = CookieJar::new().add(session_cookie(&state, session));
            Ok((jar, Redirect::to("/settings?password=changed")).into_response())
        }
        Err(e @ (Error::SignIn(_) | Error::Invalid(_))) => {
            let e = AppError::from(e);
            let status = if e.status == StatusCode::UNAUTHORIZED {
                StatusCode::BAD_REQUEST
            } else {
                e.status
            };
            Ok((status, form_page(&state, &viewer, Some(&e.message))).into_response())
        }
        Err(e) => Err(AppError::from(e).page()),
    }
}

/// Form with only the CSRF token.
#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// `POST /settings/sessions/end`: signs the account out of every browser, this one too.
pub async fn end_sessions(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&form.csrf)?;
    state.app.log_out_everywhere(user).await.or_page()?;
    let jar = CookieJar::new().remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login?next=/settings")).into_response())
}

/// Form of the account deletion.
#[derive(Deserialize)]
pub struct DeleteForm {
    csrf: String,
    password: String,
    confirm: Option<String>,
}

/// `POST /settings/delete`: deletes the account after checking its password; signed out.
pub async fn delete_account(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&form.csrf)?;
    if form.confirm.as_deref() != Some("1") {
        return Err(AppError::bad_request("Tick the box to confirm.").page());
    }
    state
        .app
        .delete_account(user, form.password)
        .await
        .or_page()?;
    let jar = CookieJar::new().remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/papers")).into_response())
}
