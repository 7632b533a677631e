//! E-mail subscriptions: `/subscribe` (double opt-in: only the confirmation mail is sent until
//! its link is followed), `/subscribe/confirm?token=`, and `/unsubscribe?token=` (a page with a
//! button, and the one-click `POST` of RFC 8058 that mail clients send). Links carry signed,
//! expiring tokens, so none of this needs an account.

use crate::auth::{anonymous_csrf, Viewer};
use crate::error::OrPage;
use crate::form::Form;
use crate::layout::{csrf_field, page_with_status as page};
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use dp_app::subscriptions::CONFIRM_DAYS;
use dp_app::Error;
use maud::{html, Markup};
use serde::Deserialize;

/// Prefill from a list page's small form.
#[derive(Deserialize, Default)]
pub struct Prefill {
    #[serde(default)]
    email: String,
}

fn form_body(token: &str, email: &str, error: Option<&str>) -> Markup {
    html! {
        h1 { "Get the top papers by e-mail" }
        p { "Every weekday (or once a week) a short digest of the top papers by upvotes, each with its authors, the start of its abstract and a link. "
            "Add saved searches to also get the new papers that match them. No account needed; every mail has a one-click unsubscribe link." }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="/subscribe" {
            (csrf_field(token))
            label for="sub-email" { "E-mail address" }
            input type="email" id="sub-email" name="email" required maxlength="254" value=(email) autocomplete="email";
            fieldset {
                legend { "How often" }
                label { input type="radio" name="cadence" value="daily" checked; " Daily, on weekdays" }
                label { input type="radio" name="cadence" value="weekly"; " Weekly" }
            }
            label for="sub-searches" { "Saved searches (optional, one per line, at most " (dp_store::MAX_SAVED_SEARCHES) ")" }
            textarea id="sub-searches" name="searches" rows="3" maxlength="1100" placeholder="diffusion transformers\nauthor:\"Yann LeCun\"" {}
            button.primary type="submit" { "Subscribe" }
        }
    }
}

/// `GET /subscribe`.
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Prefill>,
) -> Response {
    let (token, cookie) = anonymous_csrf(&state, &viewer);
    let email: String = q.email.chars().take(254).collect();
    let jar = match cookie {
        Some(c) => CookieJar::new().add(c),
        None => CookieJar::new(),
    };
    (
        jar,
        page(
            &state,
            &viewer,
            "Subscribe",
            form_body(&token, &email, None),
            StatusCode::OK,
        ),
    )
        .into_response()
}

/// The subscribe form.
#[derive(Deserialize)]
pub struct SubscribeForm {
    csrf: String,
    email: String,
    #[serde(default)]
    cadence: String,
    #[serde(default)]
    searches: String,
}

/// `POST /subscribe`.
pub async fn subscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<SubscribeForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&f.csrf)?;
    let shown: String = f
        .email
        .chars()
        .filter(|c| !c.is_control())
        .take(254)
        .collect();
    let email = match state
        .app
        .subscribe(&viewer.ip, &f.email, &f.cadence, &f.searches)
        .await
    {
        Ok(email) => email,
        Err(Error::Invalid(msg)) => {
            return Ok(page(
                &state,
                &viewer,
                "Subscribe",
                form_body(&viewer.csrf, &shown, Some(&msg)),
                StatusCode::BAD_REQUEST,
            ))
        }
        Err(e) => return Err(AppError::from(e).page()),
    };
    let body = html! {
        h1 { "Check your inbox" }
        p { "If " strong { (email.as_str()) } " can receive mail, a message with a confirmation link is on its way. "
            "Nothing else is sent until the link in it is followed (it is valid for " (CONFIRM_DAYS) " days)." }
    };
    Ok(page(
        &state,
        &viewer,
        "Check your inbox",
        body,
        StatusCode::OK,
    ))
}

/// A link's token.
#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// `GET /subscribe/confirm?token=`: the link in the confirmation mail shows a button; only the
/// click confirms (mail scanners that follow links must not subscribe anyone).
pub async fn confirm_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    state.app.check_confirmation(&q.token).or_page()?;
    let (csrf, cookie) = anonymous_csrf(&state, &viewer);
    let body = html! {
        h1 { "Confirm your subscription" }
        @if let Some(u) = &viewer.user {
            p { "You are signed in as " strong { (u.name) } ": the subscription will be yours to manage from your settings." }
        }
        form method="post" action="/subscribe/confirm" {
            (csrf_field(&csrf))
            input type="hidden" name="token" value=(q.token);
            button.primary type="submit" { "Confirm my subscription" }
        }
    };
    let jar = match cookie {
        Some(c) => CookieJar::new().add(c),
        None => CookieJar::new(),
    };
    Ok((jar, page(&state, &viewer, "Confirm", body, StatusCode::OK)).into_response())
}

/// The confirmation button's form.
#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    #[serde(default)]
    token: String,
}

/// `POST /subscribe/confirm`: confirms the request the link named, once; signed in, the
/// subscription joins the reader's account.
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&f.csrf)?;
    let sub = state
        .app
        .confirm_subscription(&f.token, viewer.user.as_ref())
        .await
        .or_page()?;
    let body = html! {
        h1 { "Subscribed" }
        p { strong { (sub.email) } " will get the " (sub.cadence.as_str()) " digest. Every digest has a one-click unsubscribe link." }
        p { a href="/papers" { "Back to the papers" } }
    };
    Ok(page(&state, &viewer, "Subscribed", body, StatusCode::OK))
}

/// `GET /unsubscribe?token=`: a page with the button (mail scanners that follow links must not
/// unsubscribe anyone).
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    state.app.verify_link("unsubscribe", &q.token).or_page()?;
    let body = html! {
        h1 { "Unsubscribe" }
        form method="post" action={"/unsubscribe?token=" (q.token)} {
            button.primary type="submit" { "Stop sending me digests" }
        }
    };
    Ok(page(&state, &viewer, "Unsubscribe", body, StatusCode::OK))
}

/// `POST /unsubscribe?token=`: the button, and RFC 8058's one-click `POST` (body
/// `List-Unsubscribe=One-Click`). The signed token is the authority: no session, no CSRF form.
pub async fn unsubscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    state.app.unsubscribe(&q.token).await.or_page()?;
    let body = html! {
        h1 { "Unsubscribed" }
        p { "No more digests will be sent to this address. You can subscribe again at any time." }
    };
    Ok(page(&state, &viewer, "Unsubscribed", body, StatusCode::OK))
}
