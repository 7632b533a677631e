//! `GET /api/papers/search?q=&limit=`: Hugging Face's search-result shape.

use crate::api::daily_papers::ts;
use crate::pages::search::run;
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::Json;
use dp_search::Piece;
use serde::Deserialize;
use serde_json::{json, Value};

/// Query parameters.
#[derive(Deserialize)]
pub struct Params {
    q: Option<String>,
    limit: Option<String>,
    /// Our addition: `hybrid` (default), `keyword` or `semantic`.
    mode: Option<String>,
}

fn segments(pieces: &[Piece]) -> Value {
    Value::Array(
        pieces
            .iter()
            .map(
                |p| json!({"type": if p.highlight { "highlight" } else { "text" }, "text": p.text}),
            )
            .collect(),
    )
}

/// Most results per request (Hugging Face's limit).
pub const MAX_LIMIT: usize = 120;

/// `GET /api/papers/search`.
pub async fn search(
    State(state): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Json<Value>, AppError> {
    let q = p.q.unwrap_or_default();
    if q.chars().count() > dp_search::query::MAX_QUERY_CHARS {
        return Err(AppError::bad_request("q: at most 250 characters"));
    }
    let limit = match p.limit.as_deref() {
        None | Some("") => MAX_LIMIT,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(AppError::bad_request(
                    "limit: expected an integer from 1 to 120",
                ))
            }
        },
    };
    if q.trim().is_empty() {
        return Ok(Json(json!([])));
    }
    let mode = crate::pages::search::parse_mode(p.mode.as_deref().unwrap_or(""))?;
    let results = run(&state, &q, limit, mode).await?;
    let items: Vec<Value> = results
        .into_iter()
        .map(|(hit, s)| {
            let p = &s.paper;
            let authors: Vec<Value> = p
                .authors
                .iter()
                .map(|a| json!({"name": a, "hidden": false}))
                .collect();
            let published = p.published.map(ts);
            json!({
                "paper": {
                    "id": p.id.to_string(),
                    "authors": authors,
                    "publishedAt": published,
                    "title": p.title,
                    "summary": p.abstract_text,
                    "upvotes": s.upvotes,
                    "githubRepo": p.github_repo,
                    "projectPage": p.project_page,
                },
                "publishedAt": published,
                "title": p.title,
                "summary": p.abstract_text,
                "numComments": s.comments,
                "upvoted": false,
                "isAuthorParticipating": false,
                "highlightedTitle": segments(&hit.title),
                "highlightedSummary": segments(&hit.snippet),
            })
        })
        .collect();
    Ok(Json(Value::Array(items)))
}
