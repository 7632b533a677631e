//! Sign up, log in and log out.

use crate::auth::{anonymous_csrf, session_cookie, Viewer, SESSION_COOKIE};
use crate::error::OrPage;
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::pages::safe_next;
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use dp_app::Error;
use maud::{html, Markup};
use serde::Deserialize;

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
    let page = frame(Frame::new(state.site_name(), viewer), title, body);
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
    let w = Which::SignUp;
    render_form(&state, &viewer, w.action(), w.title(), &next, "", None).await
}

/// `GET /login`.
pub async fn login_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Next>,
) -> Response {
    let next = safe_next(q.next.as_deref(), "/papers");
    let w = Which::LogIn;
    render_form(&state, &viewer, w.action(), w.title(), &next, "", None).await
}

/// Form of sign-up and sign-in.
#[derive(Deserialize)]
pub struct Credentials {
    csrf: String,
    username: String,
    password: String,
    next: Option<String>,
}

/// Which form: sign-up or sign-in.
#[derive(Clone, Copy)]
enum Which {
    SignUp,
    LogIn,
}

impl Which {
    fn action(self) -> &'static str {
        match self {
            Which::SignUp => "/signup",
            Which::LogIn => "/login",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Which::SignUp => "Sign up",
            Which::LogIn => "Log in",
        }
    }

    /// Refusals said on the form itself (the rest get an error page).
    fn on_form(self, e: &Error) -> bool {
        match self {
            // A bad or taken name, a weak password.
            Which::SignUp => matches!(e, Error::Invalid(_) | Error::Conflict(_)),
            // A wrong name or password.
            Which::LogIn => matches!(e, Error::SignIn(_)),
        }
    }
}

/// Signs up or in with the form's credentials: the session cookie and a redirect to `next`,
/// or the form again with what was wrong.
async fn sign(
    state: AppState,
    viewer: Viewer,
    form: Credentials,
    which: Which,
) -> Result<Response, AppError> {
    viewer.check_csrf(&form.csrf)?;
    let next = safe_next(form.next.as_deref(), "/papers");
    let shown_name: String = form.username.chars().take(32).collect();
    let app = &state.app;
    let done = match which {
        Which::SignUp => app.sign_up(&viewer.ip, &form.username, form.password).await,
        Which::LogIn => app.log_in(&viewer.ip, &form.username, form.password).await,
    };
    match done {
        Ok(session) => {
            let cookie = session_cookie(&state, session);
            Ok((CookieJar::new().add(cookie), Redirect::to(&next)).into_response())
        }
        Err(e) if which.on_form(&e) => {
            let e = AppError::from(e);
            let (action, title) = (which.action(), which.title());
            let error = Some((e.status, e.message.as_str()));
            Ok(render_form(&state, &viewer, action, title, &next, &shown_name, error).await)
        }
        Err(e) => Err(AppError::from(e).page()),
    }
}

/// `POST /signup`: creates the account (the first one is an admin) and signs it in.
pub async fn signup(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<Credentials>,
) -> Result<Response, AppError> {
    sign(state, viewer, form, Which::SignUp).await
}

/// `POST /login`.
pub async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<Credentials>,
) -> Result<Response, AppError> {
    sign(state, viewer, form, Which::LogIn).await
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
    if let Some(token) = &viewer.session {
        state.app.log_out(token).await.or_page()?;
    }
    let jar = CookieJar::new().remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/papers")).into_response())
}
