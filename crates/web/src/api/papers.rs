//! `GET /api/papers/{id}` (one paper, flat, with the Hub repositories citing it),
//! `GET /api/arxiv/{id}/repos` (those repositories alone) and `GET /api/papers` (every paper by
//! arXiv publication time, newest first, with a cursor).

use crate::api::daily_papers::claimed;
use crate::api::model::{detail, list_item, ErrorJson, PaperDetailJson, PaperListItem, ReposJson};
use crate::api::params::{number, parse_id};
use crate::api::respond::{cached_json, Rendered};
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use dp_core::ArxivId;
use serde::Deserialize;
use utoipa::IntoParams;

/// One paper with its list fields, counts and categories.
#[utoipa::path(
    get,
    path = "/api/papers/{id}",
    tag = "papers",
    params(("id" = String, Path, description = "arXiv id, e.g. 2407.09435 (a version suffix is ignored)")),
    responses(
        (status = 200, description = "The paper", body = PaperDetailJson),
        (status = 304, description = "Not modified (conditional request)"),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 404, description = "`{\"error\": \"Paper not found\"}`", body = ErrorJson),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&raw)?;
    let key = format!("/api/papers/{id}");
    cached_json(&state, &headers, key, || async {
        let d = state.app.visible_paper(&id).await?;
        let claimed = claimed(&state).await?;
        Rendered::json(&detail(&d, &claimed))
    })
    .await
}

/// The models, datasets and Spaces on the Hub that cite a paper, the call arXiv's abstract
/// pages make to Hugging Face. Empty lists for a paper this server does not have, or that the
/// Hub was not asked about yet.
#[utoipa::path(
    get,
    path = "/api/arxiv/{id}/repos",
    tag = "papers",
    params(("id" = String, Path, description = "arXiv id, e.g. 2407.09435")),
    responses(
        (status = 200, description = "The repositories", body = ReposJson),
        (status = 304, description = "Not modified (conditional request)"),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
    )
)]
pub async fn repos(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&raw)?;
    let key = format!("/api/arxiv/{id}/repos");
    cached_json(&state, &headers, key, || async {
        let hub = state.app.hub_repos(&id).await?;
        Rendered::json(&ReposJson::of(hub.as_ref()))
    })
    .await
}

/// Query of `GET /api/papers`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Where the previous page ended (from its `Link` header).
    #[param(value_type = Option<String>, pattern = r"^\d{1,15}_\S{1,40}$")]
    cursor: Option<String>,
    /// Items per page, 1 to 100 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

/// A cursor: the last paper's publication time (ms) and bare id.
fn parse_cursor(raw: &str) -> Result<(i64, String), AppError> {
    let bad = || AppError::bad_request("invalid cursor: use the one from the Link header");
    let (ms, id) = raw.split_once('_').ok_or_else(bad)?;
    let ms: i64 = ms.parse().map_err(|_| bad())?;
    let id = ArxivId::parse(id).map_err(|_| bad())?;
    Ok((ms, id.to_string()))
}

/// Every paper, by arXiv publication time, newest first.
#[utoipa::path(
    get,
    path = "/api/papers",
    tag = "papers",
    params(ListParams),
    responses(
        (status = 200, description = "A page of papers. `Link: <...>; rel=\"next\"` when another page exists.", body = [PaperListItem]),
        (status = 304, description = "Not modified (conditional request)"),
        (status = 400, description = "A parameter is invalid; the message names it", body = ErrorJson),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<ListParams>,
) -> Result<Response, AppError> {
    let limit = number("limit", q.limit.as_deref(), 50, 1, 100)?;
    let after = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(parse_cursor(c)?),
    };
    let st = state.clone();
    let key = crate::params::key(&uri, &["cursor", "limit"]);
    cached_json(&state, &headers, key, || async move {
        let state = st;
        let limit_i = i64::try_from(limit).unwrap_or(100);
        let mut page = state.app.papers_by_time(after, limit_i + 1).await?;
        let more = page.len() > limit;
        page.truncate(limit);
        let next = match page.last() {
            Some(last) if more => last.paper.published.map(|t| {
                format!(
                    "/api/papers?cursor={}_{}&limit={limit}",
                    t.timestamp_millis(),
                    last.paper.id
                )
            }),
            _ => None,
        };
        let items: Vec<PaperListItem> = page.iter().map(list_item).collect();
        Ok(Rendered::json(&items)?.with_next(next))
    })
    .await
}
