//! `GET /api/daily_papers`: the daily lists in the Hugging Face shape, by day, week or month,
//! by submitter, or trending; paged with `p` and `limit` and a `Link` to the next page.

use crate::api::model::{daily_item, Claimed, DailyItem, ErrorJson};
use crate::api::params::number;
use crate::api::respond::{cached_json, Rendered};
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use dp_app::lists::ListSource;
use dp_core::Period;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::IntoParams;

/// Query parameters. All strings, so that a bad value gets a 400 naming the parameter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// Page number, 0-based.
    #[param(value_type = Option<u32>)]
    p: Option<String>,
    /// Items per page, 1 to 100 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The day the papers were put on the list (`YYYY-MM-DD`), ranked by upvotes.
    #[param(value_type = Option<String>, format = Date)]
    date: Option<String>,
    /// An ISO week (`YYYY-Www`): every paper listed in it, once, ranked by upvotes.
    #[param(value_type = Option<String>, pattern = r"^\d{4}-W\d{2}$")]
    week: Option<String>,
    /// A month (`YYYY-MM`): every paper listed in it, once, ranked by upvotes.
    #[param(value_type = Option<String>, pattern = r"^\d{4}-\d{2}$")]
    month: Option<String>,
    /// Only papers put on a list by this user name.
    submitter: Option<String>,
    /// `publishedAt` (default: newest list first, each day ranked) or `trending`.
    #[param(value_type = Option<String>, pattern = "^(publishedAt|trending)$")]
    sort: Option<String>,
}

/// Most items one request can reach by paging (`p * limit`), so a deep page stays cheap.
pub const MAX_OFFSET: usize = 10_000;

/// Approved claims of this server, for the authors' `user` objects (read once per change of
/// the store).
pub async fn claimed(state: &AppState) -> Result<Arc<Claimed>, AppError> {
    if let Some(c) = state.cache.derived::<Claimed>("approved_claims") {
        return Ok(c);
    }
    let generation = state.cache.generation();
    let map: Claimed = state.app.approved_claims().await?;
    let map = Arc::new(map);
    state
        .cache
        .keep_derived("approved_claims", generation, map.clone());
    Ok(map)
}

/// Lists papers of the daily lists.
#[utoipa::path(
    get,
    path = "/api/daily_papers",
    tag = "papers",
    params(Params),
    responses(
        (status = 200, description = "A page of list items ([] past the end). `Link: <...>; rel=\"next\"` when another page exists.", body = [DailyItem]),
        (status = 304, description = "Not modified (conditional request)"),
        (status = 400, description = "A parameter is invalid; the message names it", body = ErrorJson),
        (status = 429, description = "Too many requests", body = ErrorJson),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    let page = number("p", q.p.as_deref(), 0, 0, MAX_OFFSET)?;
    let limit = number("limit", q.limit.as_deref(), 50, 1, 100)?;
    let start = page.saturating_mul(limit);
    if start > MAX_OFFSET {
        return Err(AppError::bad_request(format!(
            "invalid p: pages reach at most {MAX_OFFSET} items (p * limit)"
        )));
    }
    let chosen = [&q.date, &q.week, &q.month]
        .iter()
        .filter(|v| v.is_some())
        .count();
    if chosen > 1 {
        return Err(AppError::bad_request(
            "use only one of the parameters date, week and month",
        ));
    }
    let trending = match q.sort.as_deref() {
        None | Some("") | Some("publishedAt") => false,
        Some("trending") => true,
        Some(_) => {
            return Err(AppError::bad_request(
                "invalid sort: expected publishedAt or trending",
            ))
        }
    };
    let today = state.app.now().date_naive();
    let source = if trending {
        ListSource::Trending
    } else if let Some(d) = &q.date {
        let day = dp_core::parse_day(d).map_err(|e| AppError::bad_request(e.to_string()))?;
        if day > today {
            return Err(AppError::bad_request("invalid date: it is in the future"));
        }
        ListSource::Day(day)
    } else if let Some(w) = &q.week {
        ListSource::Period(Period::parse_week(w).map_err(|e| AppError::bad_request(e.to_string()))?)
    } else if let Some(m) = &q.month {
        ListSource::Period(
            Period::parse_month(m).map_err(|e| AppError::bad_request(e.to_string()))?,
        )
    } else {
        ListSource::Recent
    };
    let submitter = match q.submitter.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) if s.chars().count() > 100 || s.chars().any(char::is_control) => {
            return Err(AppError::bad_request(
                "invalid submitter: expected a user name",
            ))
        }
        Some(s) => Some(s.to_string()),
    };
    let key = crate::params::key(
        &uri,
        &["p", "limit", "date", "week", "month", "submitter", "sort"],
    );
    let st = state.clone();
    let base = state.base_url(&headers);
    cached_json(&state, &headers, key, || async move {
        let state = st;
        let items = state
            .app
            .list(source, submitter.as_deref(), start + limit + 1)
            .await?;
        let claimed = claimed(&state).await?;
        let mut body: Vec<DailyItem> = items
            .iter()
            .skip(start)
            .take(limit)
            .map(|i| daily_item(i, &claimed))
            .collect();
        with_thumbnails(&state, &base, body.iter_mut()).await?;
        let next = (items.len() > start + limit).then(|| next_url(&q, page + 1, limit));
        Ok(Rendered::json(&body)?.with_next(next))
    })
    .await
}

/// Points the `thumbnail` of each item at this site where the paper has a stored one (else it
/// stays the mirrored address, as it came).
pub async fn with_thumbnails<'a>(
    state: &AppState,
    base: &str,
    items: impl Iterator<Item = &'a mut DailyItem>,
) -> Result<(), AppError> {
    let items: Vec<&mut DailyItem> = items.collect();
    let ids: Vec<String> = items.iter().map(|i| i.paper.id.clone()).collect();
    let thumbs = state.app.thumbnails(&ids).await?;
    for item in items {
        if let Some(t) = thumbs.get(&item.paper.id) {
            item.thumbnail = format!("{base}{}", crate::pages::thumbnails::path(t));
        }
    }
    Ok(())
}

/// The address of page `p` of the same list.
fn next_url(q: &Params, p: usize, limit: usize) -> String {
    let mut url = form_urlencoded::Serializer::new(String::new());
    url.append_pair("p", &p.to_string());
    url.append_pair("limit", &limit.to_string());
    for (name, value) in [
        ("sort", &q.sort),
        ("date", &q.date),
        ("week", &q.week),
        ("month", &q.month),
        ("submitter", &q.submitter),
    ] {
        if let Some(v) = value {
            url.append_pair(name, v);
        }
    }
    format!("/api/daily_papers?{}", url.finish())
}
