//! `GET /api/papers/search?q=&limit=`: Hugging Face's search-result shape.

use crate::api::model::{summary_item, ErrorJson, SearchItem, Segment};
use crate::api::params::number;
use crate::api::respond::{cached_json, search_key, Rendered};
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use dp_search::Piece;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// The query, at most 250 characters: words, `"phrases"`, `author:`, `category:`,
    /// `from:YYYY-MM-DD`, `to:YYYY-MM-DD`, or an arXiv id.
    #[param(value_type = Option<String>, max_length = 250)]
    q: Option<String>,
    /// Most results, 1 to 120 (default 120).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 120)]
    limit: Option<String>,
    /// Our addition: `hybrid` (default), `keyword` or `semantic`.
    #[param(value_type = Option<String>, pattern = "^(hybrid|keyword|semantic)$")]
    mode: Option<String>,
}

fn segments(pieces: &[Piece]) -> Vec<Segment> {
    pieces
        .iter()
        .map(|p| Segment {
            kind: if p.highlight { "highlight" } else { "text" }.into(),
            text: p.text.clone(),
        })
        .collect()
}

/// Most results per request (Hugging Face's limit).
pub const MAX_LIMIT: usize = 120;

/// Searches titles, abstracts and authors: keywords and meaning together.
#[utoipa::path(
    get,
    path = "/api/papers/search",
    tag = "search",
    params(Params),
    responses(
        (status = 200, description = "Results, best first ([] for an empty query)", body = [SearchItem]),
        (status = 304, description = "Not modified (conditional request)"),
        (status = 400, description = "A parameter is invalid; the message names it", body = ErrorJson),
        (status = 503, description = "Search is not available on this server", body = ErrorJson),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(p): Query<Params>,
) -> Result<Response, AppError> {
    let q = p.q.unwrap_or_default();
    if q.chars().count() > dp_search::query::MAX_QUERY_CHARS {
        return Err(AppError::bad_request("invalid q: at most 250 characters"));
    }
    let limit = number("limit", p.limit.as_deref(), MAX_LIMIT, 1, MAX_LIMIT)?;
    let mode = dp_app::search::parse_mode(p.mode.as_deref().unwrap_or(""))?;
    let st = state.clone();
    let base = state.base_url(&headers);
    cached_json(
        &state,
        &headers,
        search_key(&state, &uri, &["q", "limit", "mode"]),
        || async move {
            let state = st;
            if q.trim().is_empty() {
                return Rendered::json(&Vec::<SearchItem>::new());
            }
            let results = state.app.search(&q, limit, mode).await?;
            let mut items: Vec<SearchItem> = results
                .into_iter()
                .map(|(hit, s)| SearchItem {
                    item: summary_item(&s),
                    upvoted: false,
                    highlighted_title: segments(&hit.title),
                    highlighted_summary: segments(&hit.snippet),
                })
                .collect();
            crate::api::daily_papers::with_thumbnails(
                &state,
                &base,
                items.iter_mut().map(|i| &mut i.item),
            )
            .await?;
            Rendered::json(&items)
        },
    )
    .await
}
