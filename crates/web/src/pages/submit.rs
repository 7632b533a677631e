//! `/submit`: put a paper on today's list by arXiv id or URL. Metadata comes from the store,
//! or from the arXiv API when the store does not have the paper yet.

use crate::auth::Viewer;
use crate::form::Form;
use crate::layout::{csrf_field, page_with_status as page};
use crate::views::paper_path;
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dp_app::submit::Submitted;
use dp_app::Error;
use dp_core::ArxivId;
use maud::html;
use serde::Deserialize;

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
    let s = &state.app.rules;
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
    page(state, viewer, "Submit a paper", body, status)
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
    Ok(match state.app.submit(user, &id).await {
        Ok(Submitted::New(_)) => {
            Redirect::to(&format!("{}?submitted=1", paper_path(&id))).into_response()
        }
        Ok(Submitted::Duplicate(day)) => {
            Redirect::to(&format!("{}?duplicate={day}", paper_path(&id))).into_response()
        }
        // What the rules refused is said on the form, with the status that fits.
        Err(
            e @ (Error::Upstream(_) | Error::NotFound(_) | Error::Refused(_) | Error::Quota(_)),
        ) => {
            let e = AppError::from(e);
            form_page(&state, &viewer, &shown, Some(&e.message), e.status)
        }
        Err(e) => return Err(AppError::from(e).page()),
    })
}
