//! `POST /api/papers/submit`: puts a paper on today's list, by the same rules as the web form.

use crate::api::model::{ErrorJson, SubmitBody, SubmitJson};
use crate::api::token::ApiUser;
use crate::{AppError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use dp_app::submit::Submitted;
use dp_core::ArxivId;

/// Submits a paper to today's list.
#[utoipa::path(
    post,
    path = "/api/papers/submit",
    tag = "papers",
    request_body = SubmitBody,
    security(("token" = [])),
    responses(
        (status = 201, description = "Put on today's list", body = SubmitJson),
        (status = 200, description = "Already on a list (`duplicate: true`); nothing changed", body = SubmitJson),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token", body = ErrorJson),
        (status = 404, description = "arXiv has no such paper", body = ErrorJson),
        (status = 422, description = "Too old to submit", body = ErrorJson),
        (status = 429, description = "Too many submissions or writes", body = ErrorJson),
        (status = 502, description = "arXiv could not be reached", body = ErrorJson),
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    who: ApiUser,
    Json(body): Json<SubmitBody>,
) -> Result<Response, AppError> {
    let user = who.writer()?;
    let id = ArxivId::parse(&body.paper_id)
        .map(|id| id.unversioned())
        .map_err(|e| AppError::bad_request(format!("invalid paper_id: {e}")))?;
    match state.app.submit(user, &id).await? {
        Submitted::New(day) => Ok((
            StatusCode::CREATED,
            Json(SubmitJson {
                id: id.to_string(),
                date: day.format("%Y-%m-%d").to_string(),
                duplicate: false,
            }),
        )
            .into_response()),
        Submitted::Duplicate(day) => Ok(Json(SubmitJson {
            id: id.to_string(),
            date: day.format("%Y-%m-%d").to_string(),
            duplicate: true,
        })
        .into_response()),
    }
}
