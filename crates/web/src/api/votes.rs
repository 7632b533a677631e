//! Upvotes with a token: `POST /api/papers/{id}/upvote` casts one, `DELETE` withdraws it.

use crate::api::model::{ErrorJson, VoteJson};
use crate::api::params::parse_id;
use crate::api::token::ApiUser;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::Json;

async fn vote(
    state: &AppState,
    who: &ApiUser,
    raw: &str,
    up: bool,
) -> Result<Json<VoteJson>, AppError> {
    let user = who.writer()?;
    let id = parse_id(raw)?;
    let v = state.app.vote(user, &id, up).await.map_err(|e| match e {
        dp_app::Error::NotFound(_) => AppError::not_found("Paper not found"),
        e => e.into(),
    })?;
    Ok(Json(VoteJson {
        upvoted: v.voted,
        upvotes: v.upvotes,
    }))
}

/// Upvotes a paper (again: no change).
#[utoipa::path(
    post,
    path = "/api/papers/{id}/upvote",
    tag = "votes",
    params(("id" = String, Path, description = "arXiv id")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The vote stands", body = VoteJson),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token", body = ErrorJson),
        (status = 404, description = "No such paper", body = ErrorJson),
        (status = 429, description = "Too many writes", body = ErrorJson),
    )
)]
pub async fn upvote(
    State(state): State<AppState>,
    who: ApiUser,
    Path(raw): Path<String>,
) -> Result<Json<VoteJson>, AppError> {
    vote(&state, &who, &raw, true).await
}

/// Withdraws an upvote (none: no change).
#[utoipa::path(
    delete,
    path = "/api/papers/{id}/upvote",
    tag = "votes",
    params(("id" = String, Path, description = "arXiv id")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The vote is gone", body = VoteJson),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token", body = ErrorJson),
        (status = 404, description = "No such paper", body = ErrorJson),
        (status = 429, description = "Too many writes", body = ErrorJson),
    )
)]
pub async fn remove_upvote(
    State(state): State<AppState>,
    who: ApiUser,
    Path(raw): Path<String>,
) -> Result<Json<VoteJson>, AppError> {
    vote(&state, &who, &raw, false).await
}
