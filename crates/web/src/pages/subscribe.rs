//! E-mail subscriptions: `/subscribe` (double opt-in: only the confirmation mail is sent until
//! its link is followed), `/subscribe/confirm?token=`, and `/unsubscribe?token=` (a page with a
//! button, and the one-click `POST` of RFC 8058 that mail clients send). Links carry signed,
//! expiring tokens, so none of this needs an account.

use crate::auth::{anonymous_csrf, Viewer};
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use dp_mail::compose::{self, Parts};
use dp_mail::Mailbox;
use dp_mail::{Email, Mailer, Signer};
use dp_store::{Cadence, SubState};
use maud::{html, Markup};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// What the web needs to send confirmation mails and check links.
pub struct MailSetup {
    /// Delivers the confirmation mail.
    pub mailer: Arc<dyn Mailer>,
    /// Signs and checks confirmation and unsubscribe links.
    pub signer: Signer,
    /// The sender.
    pub from: Mailbox,
    /// Papers of the list in each digest (for previews).
    pub top_n: usize,
    /// New papers per saved search (for previews).
    pub per_search: usize,
}

/// Most saved searches per subscription, and characters per search.
const MAX_SEARCH_CHARS: usize = 200;
/// Confirmation mails per address per day, and subscribe requests per client per hour.
const CONFIRMATIONS_PER_ADDRESS_PER_DAY: i64 = 3;
const SUBSCRIBES_PER_CLIENT_PER_HOUR: i64 = 10;
/// Days a confirmation link is valid.
const CONFIRM_DAYS: i64 = 7;

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
            label for="sub-searches" { "Saved searches (optional, one per line, at most " (dp_store::mail::MAX_SAVED_SEARCHES) ")" }
            textarea id="sub-searches" name="searches" rows="3" maxlength="1100" placeholder="diffusion transformers\nauthor:\"Yann LeCun\"" {}
            button.primary type="submit" { "Subscribe" }
        }
    }
}

fn page(
    state: &AppState,
    viewer: &Viewer,
    title: &str,
    body: Markup,
    status: StatusCode,
) -> Response {
    (
        status,
        frame(Frame::new(&state.settings.site_name, viewer), title, body),
    )
        .into_response()
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

/// Checks saved searches: non-empty lines, at most five, each a valid query of at most 200
/// characters without control characters.
pub fn saved_searches(raw: &str) -> Result<Vec<String>, String> {
    let lines: Vec<String> = raw
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if lines.len() > dp_store::mail::MAX_SAVED_SEARCHES {
        return Err(format!(
            "At most {} saved searches.",
            dp_store::mail::MAX_SAVED_SEARCHES
        ));
    }
    for l in &lines {
        if l.chars().count() > MAX_SEARCH_CHARS || l.chars().any(char::is_control) {
            return Err(format!(
                "A saved search is at most {MAX_SEARCH_CHARS} characters on one line."
            ));
        }
        dp_search::parse(l).map_err(|e| format!("Saved search \"{l}\": {e}"))?;
    }
    Ok(lines)
}

/// `POST /subscribe`.
pub async fn subscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(f): Form<SubscribeForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&f.csrf)?;
    let shown: String = f
        .email
        .chars()
        .filter(|c| !c.is_control())
        .take(254)
        .collect();
    let refuse = |msg: &str| {
        Ok(page(
            &state,
            &viewer,
            "Subscribe",
            form_body(&viewer.csrf, &shown, Some(msg)),
            StatusCode::BAD_REQUEST,
        ))
    };
    let email = match Email::parse(&f.email) {
        Ok(e) => e,
        Err(e) => return refuse(&e.to_string()),
    };
    let Some(cadence) = Cadence::parse(if f.cadence.is_empty() {
        "daily"
    } else {
        &f.cadence
    }) else {
        return refuse("Choose daily or weekly.");
    };
    let searches = match saved_searches(&f.searches) {
        Ok(s) => s,
        Err(e) => return refuse(&e),
    };
    let Some(mail) = &state.mail else {
        return Err(AppError::unavailable("E-mail is not set up on this server.").page());
    };
    let ip = viewer.ip.clone();
    state
        .rate_limit(
            &format!("subscribe-ip:{ip}"),
            SUBSCRIBES_PER_CLIENT_PER_HOUR,
            Duration::from_secs(3600),
        )
        .await?;
    let sub = state
        .store
        .subscribe(
            email.as_str(),
            &email.key(),
            cadence,
            viewer.user.as_ref().map(|u| u.id),
            &searches,
        )
        .await
        .map_err(|e| AppError::from(e).page())?;
    // A confirmed address is left as it is (its owner changes it from their digest's links);
    // the answer is the same either way, so the form does not reveal who subscribed.
    if sub.state == SubState::Pending {
        let per_address = state
            .store
            .hit_rate_limit(
                &format!("confirm-mail:{}", email.key()),
                Duration::from_secs(86_400),
            )
            .await
            .map_err(|e| AppError::from(e).page())?;
        if per_address <= CONFIRMATIONS_PER_ADDRESS_PER_DAY {
            send_confirmation(&state, mail, &email, sub.id, &headers).await?;
        } else {
            tracing::info!(
                subscriber = sub.id,
                "confirmation mail not sent again today"
            );
        }
    }
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

async fn send_confirmation(
    state: &AppState,
    mail: &MailSetup,
    to: &Email,
    id: i64,
    headers: &HeaderMap,
) -> Result<(), AppError> {
    let token = mail.signer.sign(
        "confirm",
        id,
        state.clock.now() + chrono::Duration::days(CONFIRM_DAYS),
    );
    let base = crate::pages::feeds::base_url(state, headers);
    let url = format!(
        "{}/subscribe/confirm?token={token}",
        base.trim_end_matches('/')
    );
    let (subject, text, html) = compose::confirmation(&state.settings.site_name, &url);
    let message = compose::message(Parts {
        from: &mail.from,
        to,
        subject: &subject,
        text,
        html,
        message_id: format!(
            "confirm.{id}.{}@{}",
            state.clock.now().timestamp(),
            mail.from.email.domain()
        ),
        unsubscribe_url: None,
    })
    .map_err(AppError::internal)?;
    mail.mailer.send(&message).await.map_err(|e| {
        tracing::warn!(error = %e, "confirmation mail not sent");
        AppError::unavailable(
            "The confirmation mail could not be sent; try again in a few minutes.",
        )
        .page()
    })
}

/// A link's token.
#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn verify(state: &AppState, purpose: &str, token: &str) -> Result<i64, AppError> {
    let Some(mail) = &state.mail else {
        return Err(AppError::unavailable("E-mail is not set up on this server.").page());
    };
    mail.signer
        .verify(purpose, token, state.clock.now())
        .map_err(|e| AppError::bad_request(format!("{}.", capitalised(&e.to_string()))).page())
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// `GET /subscribe/confirm?token=`.
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let id = verify(&state, "confirm", &q.token)?;
    let sub = state
        .store
        .subscriber(id)
        .await
        .map_err(|e| AppError::from(e).page())?
        .ok_or_else(|| AppError::not_found("This subscription no longer exists.").page())?;
    if sub.state != SubState::Confirmed {
        state
            .store
            .set_subscriber_state(id, SubState::Confirmed)
            .await
            .map_err(|e| AppError::from(e).page())?;
    }
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
    verify(&state, "unsubscribe", &q.token)?;
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
    let id = verify(&state, "unsubscribe", &q.token)?;
    state
        .store
        .set_subscriber_state(id, SubState::Unsubscribed)
        .await
        .map_err(|e| AppError::from(e).page())?;
    let body = html! {
        h1 { "Unsubscribed" }
        p { "No more digests will be sent to this address. You can subscribe again at any time." }
    };
    Ok(page(&state, &viewer, "Unsubscribed", body, StatusCode::OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_searches_are_checked() {
        assert_eq!(
            saved_searches(" diffusion \n\n author:\"Ada Lovelace\" \n").unwrap(),
            ["diffusion", "author:\"Ada Lovelace\""]
        );
        assert!(saved_searches("a\nb\nc\nd\ne\nf").is_err());
        assert!(saved_searches(&"x".repeat(201)).is_err());
        assert!(saved_searches("").unwrap().is_empty());
    }
}
