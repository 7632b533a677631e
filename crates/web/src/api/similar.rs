//! `GET /api/papers/{arxiv_id}/similar?limit=`: the papers nearest to one by embedding.

use crate::api::model::{list_item, ErrorJson, SimilarItem};
use crate::api::params::number;
use crate::api::params::parse_id;
use crate::api::respond::{cached_json, search_key, Rendered};
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// Most papers returned, 1 to 50 (default 10).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 50)]
    limit: Option<String>,
}

/// Most results per request.
pub const MAX_LIMIT: usize = 50;

/// The papers most similar to one (cosine similarity of their embeddings), best first; `[]`
/// while the paper has no embedding yet.
#[utoipa::path(
    get,
    path = "/api/papers/{id}/similar",
    tag = "search",
    params(("id" = String, Path, description = "arXiv id"), Params),
    responses(
        (status = 200, description = "Similar papers, best first", body = [SimilarItem]),
        (status = 304, description = "Not modified (conditional request)"),
        (status = 400, description = "A parameter is invalid; the message names it", body = ErrorJson),
        (status = 404, description = "No such paper", body = ErrorJson),
    )
)]
pub async fn similar(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(raw): Path<String>,
    Query(p): Query<Params>,
) -> Result<Response, AppError> {
    let id = parse_id(&raw)?;
    let limit = number("limit", p.limit.as_deref(), 10, 1, MAX_LIMIT)?;
    cached_json(
        &state,
        &headers,
        search_key(&state, &uri, &["limit"]),
        || async {
            let items: Vec<SimilarItem> = state
                .app
                .similar_to_known(&id, limit)
                .await?
                .into_iter()
                .map(|(score, s)| SimilarItem {
                    paper: list_item(&s),
                    num_comments: s.comments,
                    similarity: score,
                })
                .collect();
            Rendered::json(&items)
        },
    )
    .await
}
