//! Sign up, log in and log out.

use crate::auth::{
    anonymous_csrf, hash_password, start_session, verify_password, Viewer, SESSION_COOKIE,
};
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::pages::safe_next;
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use dp_core::community::check_password;
use dp_core::Username;
use maud::{html, Markup};
use serde::Deserialize;
use std::time::Duration;

/// `?next=` of the sign-in and sign-up pages.
#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

fn account_form(
    action: &str,
    title: &str,
    csrf: &str,
    next: &str,
    name: &str,
    error: Option<&str>,
) -> Markup {
    let signup = action == "/signup";
    html! {
        h1 { (title) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action=(action) {
            (csrf_field(csrf))
            input type="hidden" name="next" value=(next);
            label for="username" { "User name" }
            input type="text" id="username" name="username" value=(name) required minlength="3" maxlength="32"
                autocomplete="username" pattern="[A-Za-z0-9_\\-]{3,32}";
            label for="password" { "Password" }
            input type="password" id="password" name="password" required
                minlength=(if signup { "8" } else { "1" })
                autocomplete=(if signup { "new-password" } else { "current-password" });
            button.primary type="submit" { (title) }
        }
        @if signup {
            p { "Already have an account? " a href={"/login?next=" (next)} { "Log in" } }
        } @else {
            p { "New here? " a href={"/signup?next=" (next)} { "Sign up" } }
        }
    }
}

async fn render_form(
    state: &AppState,
    viewer: &Viewer,
    action: &str,
    title: &str,
    next: &str,
    name: &str,
    error: Option<(StatusCode, &str)>,
) -> Response {
    let (token, cookie) = anonymous_csrf(state, viewer);
    let body = account_form(action, title, &token, next, name, error.map(|e| e.1));
    let page = frame(Frame::new(&state.settings.site_name, viewer), title, body);
    let status = error.map_or(StatusCode::OK, |e| e.0);
    let jar = CookieJar::new();
    let jar = match cookie {
        Some(c) => jar.add(c),
        None => jar,
    };
    (status, jar, page).into_response()
}

/// `GET /signup`.
pub async fn signup_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Next>,
) -> Response {
    let next = safe_next(q.next.as_deref(), "/papers");
    render_form(&state, &viewer, "/signup", "Sign up", &next, "", None).await
}

/// `GET /login`.
pub async fn login_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Next>,
) -> Response {
    let next = safe_next(q.next.as_deref(), "/papers");
    render_form(&state, &viewer, "/login", "Log in", &next, "", None).await
}

/// Form of sign-up and sign-in.
#[derive(Deserialize)]
pub struct Credentials {
    csrf: String,
    username: String,
    password: String,
    next: Option<String>,
}

/// `POST /signup`: creates the account (the first one is an admin) and signs it in.
pub async fn signup(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<Credentials>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&form.csrf)?;
    state
        .rate_limit(
            &format!("signup:{}", viewer.ip),
            state.settings.signups_per_hour,
            Duration::from_secs(3600),
        )
        .await?;
    let next = safe_next(form.next.as_deref(), "/papers");
    let shown_name: String = form.username.chars().take(32).collect();
    let refuse = |status, msg: String| {
        let (state, viewer, next, shown_name) = (&state, &viewer, &next, &shown_name);
        async move {
            render_form(
                state,
                viewer,
                "/signup",
                "Sign up",
                next,
                shown_name,
                Some((status, &msg)),
            )
            .await
        }
    };
    let name = match Username::parse(&form.username) {
        Ok(n) => n,
        Err(e) => return Ok(refuse(StatusCode::BAD_REQUEST, e.to_string()).await),
    };
    if let Err(e) = check_password(&form.password) {
        return Ok(refuse(StatusCode::BAD_REQUEST, e.to_string()).await);
    }
    let hash = hash_password(form.password).await.map_err(AppError::page)?;
    let user = match state.store.create_user(&name, &hash, false).await {
        Ok(u) => u,
        Err(dp_store::StoreError::Conflict(m)) => return Ok(refuse(StatusCode::CONFLICT, m).await),
        Err(e) => return Err(AppError::from(e).page()),
    };
    tracing::info!(user = %user.name, admin = user.is_admin, "account created");
    let cookie = start_session(&state, &user).await?;
    Ok((CookieJar::new().add(cookie), Redirect::to(&next)).into_response())
}

/// `POST /login`.
pub async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<Credentials>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&form.csrf)?;
    let window = Duration::from_secs(15 * 60);
    state
        .rate_limit(
            &format!("login:ip:{}", viewer.ip),
            state.settings.logins_per_15min,
            window,
        )
        .await?;
    let name_key: String = form
        .username
        .trim()
        .to_lowercase()
        .chars()
        .take(64)
        .collect();
    state
        .rate_limit(
            &format!("login:user:{name_key}"),
            state.settings.logins_per_15min * 2,
            window,
        )
        .await?;
    let next = safe_next(form.next.as_deref(), "/papers");
    let found = state
        .store
        .user_credentials(&form.username)
        .await
        .map_err(|e| AppError::from(e).page())?;
    let (user, hash) = match found {
        Some((u, h)) => (Some(u), Some(h)),
        None => (None, None),
    };
    let shown_name: String = form.username.chars().take(32).collect();
    let ok = verify_password(form.password, hash).await;
    let user = match user {
        Some(u) if ok => u,
        _ => {
            return Ok(render_form(
                &state,
                &viewer,
                "/login",
                "Log in",
                &next,
                &shown_name,
                Some((StatusCode::UNAUTHORIZED, "Wrong user name or password.")),
            )
            .await)
        }
    };
    if user.banned {
        return Err(AppError::forbidden("This account is banned.").page());
    }
    let cookie = start_session(&state, &user).await?;
    Ok((CookieJar::new().add(cookie), Redirect::to(&next)).into_response())
}

/// Form with only the CSRF token.
#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<LogoutForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&form.csrf)?;
    if let Some(hash) = &viewer.session_hash {
        state
            .store
            .delete_session(hash)
            .await
            .map_err(|e| AppError::from(e).page())?;
    }
    let jar = CookieJar::new().remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/papers")).into_response())
}
