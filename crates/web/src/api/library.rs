//! A reader's library over the token API (our addition): follows, the "Following" list,
//! "not interested" and exports. Every call is about the token's owner: reads need a token
//! (`read` or `write`), writes a `write` token. Collections are under `/api/collections`, in
//! Hugging Face's shape.

use crate::api::model::ErrorJson;
use crate::api::params::parse_id;
use crate::api::token::ApiUser;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dp_core::{Follow, Paper};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A follow.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FollowJson {
    /// Its id.
    pub id: i64,
    /// `author`, `account`, `category` or `search`.
    pub kind: String,
    /// The name, category or query.
    pub value: String,
    /// Since when (RFC 3339).
    pub created_at: String,
}

fn follow_json(f: &Follow) -> FollowJson {
    FollowJson {
        id: f.id,
        kind: f.kind.as_str().to_string(),
        value: f.value.clone(),
        created_at: f.created_at.to_rfc3339(),
    }
}

/// A paper, briefly.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaperBrief {
    /// arXiv id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Author names.
    pub authors: Vec<String>,
    /// When arXiv published it (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// arXiv categories, primary first.
    pub categories: Vec<String>,
}

fn brief(p: &Paper) -> PaperBrief {
    PaperBrief {
        id: p.id.base().to_string(),
        title: p.title.clone(),
        authors: p.authors.clone(),
        published_at: p.published.map(|t| t.to_rfc3339()),
        categories: p.categories.clone(),
    }
}

/// A paper of the "Following" list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowedPaperJson {
    /// The paper.
    pub paper: PaperBrief,
    /// The follows that bring it (`author Ada Lovelace`).
    pub because: Vec<String>,
}

/// Body of `POST /api/library/follows`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FollowBody {
    /// `author`, `account`, `category` or `search`.
    pub kind: String,
    /// The name, category (`cs.CL`) or query.
    pub value: String,
}

fn no_store<T: Serialize>(body: T) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// `GET /api/library/follows`: the token owner's follows, oldest first.
#[utoipa::path(
    get, path = "/api/library/follows", tag = "library",
    security(("token" = [])),
    responses(
        (status = 200, description = "Follows", body = [FollowJson]),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
    )
)]
pub async fn follows(State(state): State<AppState>, who: ApiUser) -> Result<Response, AppError> {
    let f = state.app.follows(&who.user).await?;
    Ok(no_store(f.iter().map(follow_json).collect::<Vec<_>>()))
}

/// `POST /api/library/follows`: follows an author, account, category or search (followed
/// already: the same follow, 200).
#[utoipa::path(
    post, path = "/api/library/follows", tag = "library",
    request_body = FollowBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "The follow", body = FollowJson),
        (status = 400, description = "Not a kind, not a category, or an empty or long value", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token", body = ErrorJson),
        (status = 404, description = "No such account", body = ErrorJson),
        (status = 422, description = "Following the most an account may", body = ErrorJson),
    )
)]
pub async fn follow(
    State(state): State<AppState>,
    who: ApiUser,
    Json(body): Json<FollowBody>,
) -> Result<Response, AppError> {
    let user = who.writer()?;
    let f = state.app.follow(user, &body.kind, &body.value).await?;
    Ok(no_store(follow_json(&f)))
}

/// `DELETE /api/library/follows/{id}`.
#[utoipa::path(
    delete, path = "/api/library/follows/{id}", tag = "library",
    params(("id" = i64, Path, description = "The follow's id")),
    security(("token" = [])),
    responses(
        (status = 204, description = "No longer followed"),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token", body = ErrorJson),
        (status = 404, description = "No such follow of yours", body = ErrorJson),
    )
)]
pub async fn unfollow(
    State(state): State<AppState>,
    who: ApiUser,
    Path(raw): Path<String>,
) -> Result<StatusCode, AppError> {
    let user = who.writer()?;
    let id: i64 = raw
        .parse()
        .map_err(|_| AppError::not_found("You do not follow that."))?;
    state.app.unfollow(user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/library/following`: the newest papers of what the token owner follows (100),
/// newest first, each with the follows that bring it; "not interested" papers left out.
#[utoipa::path(
    get, path = "/api/library/following", tag = "library",
    security(("token" = [])),
    responses(
        (status = 200, description = "Papers", body = [FollowedPaperJson]),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
    )
)]
pub async fn following(State(state): State<AppState>, who: ApiUser) -> Result<Response, AppError> {
    let papers = state.app.following(&who.user).await?;
    Ok(no_store(
        papers
            .iter()
            .map(|f| FollowedPaperJson {
                paper: brief(&f.paper),
                because: f.because.clone(),
            })
            .collect::<Vec<_>>(),
    ))
}

/// `GET /api/library/not-interested`: the papers the token owner marked, newest mark first.
#[utoipa::path(
    get, path = "/api/library/not-interested", tag = "library",
    security(("token" = [])),
    responses(
        (status = 200, description = "Papers", body = [PaperBrief]),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
    )
)]
pub async fn not_interested(
    State(state): State<AppState>,
    who: ApiUser,
) -> Result<Response, AppError> {
    let papers = state.app.not_interested(&who.user).await?;
    Ok(no_store(papers.iter().map(brief).collect::<Vec<_>>()))
}

async fn mark(
    state: &AppState,
    who: &ApiUser,
    raw: &str,
    on: bool,
) -> Result<StatusCode, AppError> {
    let user = who.writer()?;
    let id = parse_id(raw)?;
    state.app.set_not_interested(user, &id, on).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/library/not-interested/{id}`: leaves a paper out of the owner's lists and feeds.
#[utoipa::path(
    put, path = "/api/library/not-interested/{id}", tag = "library",
    params(("id" = String, Path, description = "arXiv id")),
    security(("token" = [])),
    responses(
        (status = 204, description = "Marked"),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token", body = ErrorJson),
        (status = 404, description = "No such paper", body = ErrorJson),
    )
)]
pub async fn mark_not_interested(
    State(state): State<AppState>,
    who: ApiUser,
    Path(raw): Path<String>,
) -> Result<StatusCode, AppError> {
    mark(&state, &who, &raw, true).await
}

/// `DELETE /api/library/not-interested/{id}`: brings it back.
#[utoipa::path(
    delete, path = "/api/library/not-interested/{id}", tag = "library",
    params(("id" = String, Path, description = "arXiv id")),
    security(("token" = [])),
    responses(
        (status = 204, description = "Unmarked"),
        (status = 400, description = "Not an arXiv id", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token", body = ErrorJson),
        (status = 404, description = "No such paper", body = ErrorJson),
    )
)]
pub async fn unmark_not_interested(
    State(state): State<AppState>,
    who: ApiUser,
    Path(raw): Path<String>,
) -> Result<StatusCode, AppError> {
    mark(&state, &who, &raw, false).await
}

/// `GET /api/library/export/{format}`: the whole library (every collection's papers with
/// notes, then upvoted papers, once each) as `bib`, `ris` or `json` (CSL-JSON).
#[utoipa::path(
    get, path = "/api/library/export/{format}", tag = "library",
    params(("format" = String, Path, description = "bib, ris or json")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The file", body = String),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 404, description = "Not a format", body = ErrorJson),
    )
)]
pub async fn export(
    State(state): State<AppState>,
    who: ApiUser,
    Path(format): Path<String>,
) -> Result<Response, AppError> {
    let format = dp_core::cite::Format::from_extension(&format)
        .ok_or_else(|| AppError::not_found("Export as bib, ris or json."))?;
    let body = state.app.export_library(&who.user, format).await?;
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type()),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// A paper ranked for the token's owner.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ForYouJson {
    /// The paper.
    pub paper: PaperBrief,
    /// Its score (higher first; comparable within one answer only).
    pub score: f32,
    /// The reason that weighs most, in words (absent when none of the reader's signals match).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `GET /api/papers/for-you`: recent papers ranked for the token's owner (50), with reasons;
/// `X-Signals` says how many signals the ranking learnt from (below 5 it knows little).
#[utoipa::path(
    get, path = "/api/papers/for-you", tag = "library",
    security(("token" = [])),
    responses(
        (status = 200, description = "Papers, best first", body = [ForYouJson]),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
    )
)]
pub async fn for_you(State(state): State<AppState>, who: ApiUser) -> Result<Response, AppError> {
    let fy = state.app.for_you(&who.user, 50).await?;
    let body: Vec<ForYouJson> = fy
        .items
        .iter()
        .map(|(p, s)| ForYouJson {
            paper: brief(p),
            score: s.score,
            reason: s.reason.as_ref().map(|r| r.line()),
        })
        .collect();
    let mut resp = no_store(body);
    if let Ok(v) = axum::http::HeaderValue::from_str(&fy.signals.to_string()) {
        resp.headers_mut().insert("x-signals", v);
    }
    Ok(resp)
}
