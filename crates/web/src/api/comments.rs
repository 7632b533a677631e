//! A paper's comments: `GET /api/papers/{id}/comments` (our addition: Hugging Face has none),
//! and writing them with a token: `POST /api/papers/{id}/comment` and
//! `POST /api/papers/{id}/comment/{comment_id}/reply`.

use crate::api::model::{CommentBody, CommentJson, ErrorJson};
use crate::api::params::{number, parse_id};
use crate::api::respond::{cached_json, Rendered};
use crate::api::token::ApiUser;
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dp_app::comments::MAX_COMMENTS_PER_READ;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query of `GET /api/papers/{id}/comments`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only comments with ids above this one (the last id of the previous page; the `Link`
    /// header names the next page).
    #[param(value_type = Option<u64>, minimum = 0)]
    after: Option<String>,
    /// Comments per page, 1 to 100 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

/// A paper's comments and replies, oldest first (a reply names its comment in `parentId`), a
/// page at a time.
#[utoipa::path(
    get,
    path = "/api/papers/{id}/comments",
    tag = "comments",
    params(("id" = String, Path, description = "arXiv id"), ListParams),
    responses(
        (status = 200, description = "A page of comments. `Link: <...>; rel=\"next\"` when another page exists.", body = [CommentJson]),
        (status = 304, description = "Not modified (conditional request)"),
        (status = 400, description = "Not an arXiv id, or a parameter is invalid", body = ErrorJson),
        (status = 404, description = "No such paper", body = ErrorJson),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Query(q): Query<ListParams>,
) -> Result<Response, AppError> {
    let id = parse_id(&raw)?;
    let max = usize::try_from(MAX_COMMENTS_PER_READ).unwrap_or(100);
    let limit = number("limit", q.limit.as_deref(), max, 1, max)?;
    let after = number("after", q.after.as_deref(), 0, 0, i64::MAX as usize)?;
    let key = format!("/api/papers/{id}/comments?after={after}&limit={limit}");
    cached_json(&state, &headers, key, || async {
        let page = state
            .app
            .comments(
                &id,
                i64::try_from(after).unwrap_or(i64::MAX),
                i64::try_from(limit).unwrap_or(1),
            )
            .await?;
        let next = match page.last() {
            Some(last) if page.len() == limit => Some(format!(
                "/api/papers/{id}/comments?after={}&limit={limit}",
                last.id
            )),
            _ => None,
        };
        let comments: Vec<CommentJson> = page.iter().map(CommentJson::of).collect();
        Ok(Rendered::json(&comments)?.with_next(next))
    })
    .await
}

async fn post(
    state: &AppState,
    who: &ApiUser,
    raw: &str,
    parent: Option<i64>,
    body: &str,
) -> Result<Response, AppError> {
    let user = who.writer()?;
    let id = parse_id(raw)?;
    let (c, _) = state
        .app
        .comment(user, &id, parent, body)
        .await
        .map_err(|e| match e {
            dp_app::Error::NotFound(_) => {
                AppError::not_found("No such paper, or no such comment on it.")
            }
            e => e.into(),
        })?;
    Ok((StatusCode::CREATED, Json(CommentJson::of(&c))).into_response())
}

/// Comments on a paper.
#[utoipa::path(
    post,
    path = "/api/papers/{id}/comment",
    tag = "comments",
    params(("id" = String, Path, description = "arXiv id")),
    request_body = CommentBody,
    security(("token" = [])),
    responses(
        (status = 201, description = "The new comment", body = CommentJson),
        (status = 400, description = "Empty or too long, or not an arXiv id", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token", body = ErrorJson),
        (status = 404, description = "No such paper", body = ErrorJson),
        (status = 429, description = "Too many writes", body = ErrorJson),
    )
)]
pub async fn comment(
    State(state): State<AppState>,
    who: ApiUser,
    Path(raw): Path<String>,
    Json(body): Json<CommentBody>,
) -> Result<Response, AppError> {
    post(&state, &who, &raw, None, &body.comment).await
}

/// Replies to a comment (replies are one level deep: a reply to a reply joins its thread).
#[utoipa::path(
    post,
    path = "/api/papers/{id}/comment/{comment_id}/reply",
    tag = "comments",
    params(
        ("id" = String, Path, description = "arXiv id"),
        ("comment_id" = String, Path, description = "The comment replied to"),
    ),
    request_body = CommentBody,
    security(("token" = [])),
    responses(
        (status = 201, description = "The new reply", body = CommentJson),
        (status = 400, description = "Empty or too long, or a malformed id", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token", body = ErrorJson),
        (status = 404, description = "No such paper or comment", body = ErrorJson),
        (status = 429, description = "Too many writes", body = ErrorJson),
    )
)]
pub async fn reply(
    State(state): State<AppState>,
    who: ApiUser,
    Path((raw, comment_id)): Path<(String, String)>,
    Json(body): Json<CommentBody>,
) -> Result<Response, AppError> {
    let parent: i64 = comment_id
        .parse()
        .map_err(|_| AppError::bad_request("invalid comment_id: expected a comment's id"))?;
    post(&state, &who, &raw, Some(parent), &body.comment).await
}
