//! `GET /api/papers/{arxiv_id}/similar?limit=`: the papers nearest to one by embedding.

use crate::api::daily_papers::ts;
use crate::pages::search::similar as nearest;
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::Json;
use dp_core::ArxivId;
use serde::Deserialize;
use serde_json::{json, Value};

/// Query parameters.
#[derive(Deserialize)]
pub struct Params {
    limit: Option<String>,
}

/// Most results per request.
pub const MAX_LIMIT: usize = 50;

/// `GET /api/papers/{arxiv_id}/similar`: an array of `{paper, similarity}` items, best first;
/// 404 for an unknown paper, `[]` when the paper has no vector yet.
pub async fn similar(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(p): Query<Params>,
) -> Result<Json<Value>, AppError> {
    let id = ArxivId::parse(&raw).map_err(|_| AppError::bad_request("id: not an arXiv id"))?;
    let limit = match p.limit.as_deref() {
        None | Some("") => 10,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(AppError::bad_request(
                    "limit: expected an integer from 1 to 50",
                ))
            }
        },
    };
    if state.store.paper(&id).await?.is_none() {
        return Err(AppError::not_found("Paper not found"));
    }
    let items: Vec<Value> = nearest(&state, &id, limit)
        .await?
        .into_iter()
        .map(|(score, s)| {
            let p = &s.paper;
            json!({
                "paper": {
                    "id": p.id.to_string(),
                    "title": p.title,
                    "summary": p.abstract_text,
                    "authors": p.authors.iter().map(|a| json!({"name": a})).collect::<Vec<_>>(),
                    "publishedAt": p.published.map(ts),
                    "upvotes": s.upvotes,
                },
                "numComments": s.comments,
                "similarity": score,
            })
        })
        .collect();
    Ok(Json(Value::Array(items)))
}
