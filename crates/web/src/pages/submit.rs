//! `/submit`: put a paper on today's list by arXiv id or URL. Metadata comes from the store,
//! or from the arXiv API when the store does not have the paper yet.

use crate::auth::Viewer;
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::pages::daily::paper_path;
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use dp_core::{ArxivId, User};
use dp_store::SubmitOutcome;
use maud::html;
use serde::Deserialize;
use std::time::Duration;

/// `?paper=` prefill.
#[derive(Deserialize)]
pub struct Prefill {
    paper: Option<String>,
}

fn form_page(
    state: &AppState,
    viewer: &Viewer,
    value: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let s = &state.settings;
    let body = html! {
        h1 { "Submit a paper" }
        p { "Put a paper on today's list by its arXiv id or URL. Rules: first published on arXiv in the last "
            (s.submit_max_age_days) " days, at most " (s.submissions_per_day) " submissions per day, and each paper once (a paper already on a list takes you to it)." }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="/submit" {
            (csrf_field(&viewer.csrf))
            label for="paper" { "arXiv id or URL" }
            input type="text" id="paper" name="paper" value=(value) required maxlength="200"
                placeholder="2501.01234 or https://arxiv.org/abs/2501.01234";
            button.primary type="submit" { "Submit" }
        }
    };
    (
        status,
        frame(Frame::new(&s.site_name, viewer), "Submit a paper", body),
    )
        .into_response()
}

/// `GET /submit`.
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Prefill>,
) -> Response {
    if viewer.user.is_none() {
        return Redirect::to("/login?next=/submit").into_response();
    }
    let value: String = q.paper.unwrap_or_default().chars().take(200).collect();
    form_page(&state, &viewer, &value, None, StatusCode::OK)
}

/// Form of a submission.
#[derive(Deserialize)]
pub struct SubmitForm {
    csrf: String,
    paper: String,
}

/// Why a submission was refused: a message for the submitter and the status that fits.
#[derive(Debug)]
pub struct Refusal {
    /// What to tell the submitter.
    pub message: String,
    /// The HTTP status.
    pub status: StatusCode,
}

fn refusal(message: impl Into<String>, status: StatusCode) -> Refusal {
    Refusal {
        message: message.into(),
        status,
    }
}

/// What a submission did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// Put on the list of that day.
    New(NaiveDate),
    /// It was on the list of that day already; nothing changed.
    Duplicate(NaiveDate),
}

/// Submits paper `id` for `user` by the site's rules, fetching its metadata from arXiv when
/// the store lacks it. The web form and the API both come here.
pub async fn submit_paper(
    state: &AppState,
    user: &User,
    id: &ArxivId,
) -> Result<Result<Submitted, Refusal>, AppError> {
    let store = &state.store;
    if store.paper(id).await?.is_none() {
        let Some(fetcher) = &state.fetcher else {
            return Ok(Err(refusal(
                "This server cannot reach arXiv, and it does not have that paper.",
                StatusCode::BAD_GATEWAY,
            )));
        };
        if let Err(e) = dp_ingest::harvest::fetch_ids(
            store.as_ref(),
            fetcher.as_ref(),
            &state.settings.arxiv_api_url,
            std::slice::from_ref(id),
        )
        .await
        {
            tracing::warn!(error = %e, id = %id, "arXiv lookup failed");
            return Ok(Err(refusal(
                "arXiv could not be reached; try again in a minute.",
                StatusCode::BAD_GATEWAY,
            )));
        }
    }
    let Some(detail) = store.paper_detail(id).await? else {
        return Ok(Err(refusal(
            format!("arXiv has no paper {id}."),
            StatusCode::NOT_FOUND,
        )));
    };
    if let Some(e) = detail.entries.first() {
        return Ok(Ok(Submitted::Duplicate(e.day)));
    }
    let now = state.clock.now();
    if let Some(published) = detail.paper.published {
        let age = (now - published).num_days();
        if age > state.settings.submit_max_age_days {
            return Ok(Err(refusal(
                format!(
                    "Only papers first published in the last {} days can be submitted; this one appeared on {}.",
                    state.settings.submit_max_age_days,
                    published.format("%Y-%m-%d")
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
            )));
        }
    }
    let outcome = store
        .submit_paper(
            user,
            id,
            now.date_naive(),
            state.settings.submissions_per_day,
        )
        .await?;
    state.cache.invalidate();
    Ok(match outcome {
        SubmitOutcome::Submitted(day) => Ok(Submitted::New(day)),
        SubmitOutcome::Duplicate(day) => Ok(Submitted::Duplicate(day)),
        SubmitOutcome::TooMany => Err(refusal(
            format!(
                "You reached {} submissions in 24 hours; try again tomorrow.",
                state.settings.submissions_per_day
            ),
            StatusCode::TOO_MANY_REQUESTS,
        )),
    })
}

/// `POST /submit`.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SubmitForm>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&form.csrf)?;
    let shown: String = form.paper.chars().take(200).collect();
    let id = match ArxivId::parse(&form.paper) {
        Ok(id) => id.unversioned(),
        Err(e) => {
            return Ok(form_page(
                &state,
                &viewer,
                &shown,
                Some(&e.to_string()),
                StatusCode::BAD_REQUEST,
            ))
        }
    };
    state
        .rate_limit(
            &format!("write:{}", user.id),
            state.settings.writes_per_minute,
            Duration::from_secs(60),
        )
        .await?;
    let done = submit_paper(&state, user, &id)
        .await
        .map_err(AppError::page)?;
    Ok(match done {
        Ok(Submitted::New(_)) => {
            Redirect::to(&format!("{}?submitted=1", paper_path(&id))).into_response()
        }
        Ok(Submitted::Duplicate(day)) => {
            Redirect::to(&format!("{}?duplicate={day}", paper_path(&id))).into_response()
        }
        Err(r) => form_page(&state, &viewer, &shown, Some(&r.message), r.status),
    })
}
