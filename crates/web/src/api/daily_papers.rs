//! `GET /api/daily_papers`: a day's list in the Hugging Face shape.

use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dp_core::FeedItem;
use serde::Deserialize;
use serde_json::{json, Value};

/// Query parameters. Strings, so that a bad value gets our own clear 400.
#[derive(Debug, Deserialize)]
pub struct Params {
    date: Option<String>,
    p: Option<String>,
    limit: Option<String>,
}

fn number(name: &str, v: &Option<String>, default: usize, max: usize) -> Result<usize, AppError> {
    match v {
        None => Ok(default),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(AppError::bad_request(format!(
                "invalid {name}: expected an integer from 0 to {max}"
            ))),
        },
    }
}

/// The list of `date` (default: the latest day), paged by `p` and `limit` (1..100, default 50).
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    let day = match &q.date {
        Some(d) => dp_core::parse_day(d).map_err(|e| AppError::bad_request(e.to_string()))?,
        None => match state.store.latest_day().await? {
            Some(d) => d,
            None => return Ok(Json(Vec::<Value>::new()).into_response()),
        },
    };
    let page = number("p", &q.p, 0, 100_000)?;
    let limit = number("limit", &q.limit, 50, 100)?;
    if limit == 0 {
        return Err(AppError::bad_request(
            "invalid limit: expected an integer from 1 to 100",
        ));
    }
    let items = state.store.day_feed(day).await?;
    let start = page.saturating_mul(limit);
    let body: Vec<Value> = items
        .iter()
        .skip(start)
        .take(limit)
        .map(item_json)
        .collect();
    let mut headers = HeaderMap::new();
    if items.len() > start + limit {
        let next = format!(
            "</api/daily_papers?date={day}&p={}&limit={limit}>; rel=\"next\"",
            page + 1
        );
        if let Ok(v) = HeaderValue::from_str(&next) {
            headers.insert(header::LINK, v);
        }
    }
    Ok((headers, Json(body)).into_response())
}

/// One list item: the source's item as it was, with this server's counts, or one built from our
/// own fields for papers that arrived some other way.
pub fn item_json(item: &FeedItem) -> Value {
    let source: Option<Value> = item
        .entry
        .source_json
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    match source {
        Some(mut v) => {
            if let Some(paper) = v.get_mut("paper").and_then(Value::as_object_mut) {
                paper.insert("upvotes".into(), json!(item.upvotes()));
            }
            v
        }
        None => built_item(item),
    }
}

/// A time as the Hugging Face API writes it: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn built_item(item: &FeedItem) -> Value {
    let p = &item.paper;
    let e = &item.entry;
    let authors: Vec<Value> = p
        .authors
        .iter()
        .map(|a| json!({ "name": a, "hidden": false }))
        .collect();
    let mut paper = json!({
        "id": p.id.to_string(),
        "authors": authors,
        "publishedAt": ts(p.published.unwrap_or(e.published_at)),
        "title": p.title,
        "summary": p.abstract_text,
        "upvotes": item.upvotes(),
    });
    if let Some(obj) = paper.as_object_mut() {
        if let Some(t) = e.submitted_at {
            obj.insert("submittedOnDailyAt".into(), json!(ts(t)));
        }
        if let Some(s) = &e.ai_summary {
            obj.insert("ai_summary".into(), json!(s));
        }
        if !e.ai_keywords.is_empty() {
            obj.insert("ai_keywords".into(), json!(e.ai_keywords));
        }
        if let Some(g) = e.github_repo.as_ref().or(p.github_repo.as_ref()) {
            obj.insert("githubRepo".into(), json!(g));
        }
        if let Some(s) = e.github_stars {
            obj.insert("githubStars".into(), json!(s));
        }
        if let Some(pp) = e.project_page.as_ref().or(p.project_page.as_ref()) {
            obj.insert("projectPage".into(), json!(pp));
        }
    }
    json!({
        "paper": paper,
        "publishedAt": ts(e.published_at),
        "title": p.title,
        "summary": p.abstract_text,
        "numComments": e.num_comments,
        "isAuthorParticipating": false,
    })
}
