//! The write calls of Hugging Face's papers API, with tokens and the web forms' rules:
//! `POST /api/papers/index` (index a paper by arXiv id), `POST /api/papers/{id}/links` (a
//! paper's code and project page) and `POST /api/settings/papers/claim` (claim authorship).

use crate::api::model::{
    author_entries, ClaimBody, ClaimJson, ErrorJson, IndexBody, LinksBody, LinksJson,
};
use crate::api::params::parse_id;
use crate::api::token::ApiUser;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::Json;
use dp_app::links::LinksUpdate;
use dp_core::WebLink;

/// Whether `s` is a new-style arXiv id (`YYMM.NNNN` or `YYMM.NNNNN`), as Hugging Face's
/// `POST /api/papers/index` requires.
fn is_new_style_id(s: &str) -> bool {
    let Some((a, b)) = s.split_once('.') else {
        return false;
    };
    a.len() == 4
        && (4..=5).contains(&b.len())
        && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
}

/// Indexes a paper by its arXiv id: fetched from arXiv when this server lacks it, or again
/// for one of its approved authors or an admin. Answers `{}` like Hugging Face.
#[utoipa::path(
    post,
    path = "/api/papers/index",
    tag = "papers",
    request_body = IndexBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "Indexed (or known already)", body = serde_json::Value),
        (status = 400, description = "Not an arXiv id of the form YYMM.NNNNN", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token", body = ErrorJson),
        (status = 404, description = "arXiv has no such paper", body = ErrorJson),
        (status = 429, description = "Too many writes", body = ErrorJson),
        (status = 502, description = "arXiv could not be reached", body = ErrorJson),
    )
)]
pub async fn index(
    State(state): State<AppState>,
    who: ApiUser,
    Json(body): Json<IndexBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let user = who.writer()?;
    let raw = body.arxiv_id.trim();
    if !is_new_style_id(raw) {
        return Err(AppError::bad_request(
            "arxivId: expected an arXiv id like 2401.12345",
        ));
    }
    let id = parse_id(raw)?;
    state.app.index_paper(user, &id).await?;
    Ok(Json(serde_json::json!({})))
}

/// A link from the body: absent stays, `null` or `""` removes, anything else must be http(s).
fn link(field: &str, v: Option<Option<String>>) -> Result<Option<Option<WebLink>>, AppError> {
    match v {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(s)) if s.trim().is_empty() => Ok(Some(None)),
        Some(Some(s)) => WebLink::parse(&s)
            .map(|l| Some(Some(l)))
            .map_err(|e| AppError::bad_request(format!("{field}: {e}"))),
    }
}

/// Sets a paper's code repository and project page (an approved author of the paper, the
/// reader who submitted it here, or an admin).
#[utoipa::path(
    post,
    path = "/api/papers/{id}/links",
    tag = "papers",
    params(("id" = String, Path, description = "arXiv id")),
    request_body = LinksBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "The paper's links now", body = LinksJson),
        (status = 400, description = "Not an arXiv id, or a link that is not http(s)", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token, or not an author, the submitter or an admin", body = ErrorJson),
        (status = 404, description = "No such paper", body = ErrorJson),
        (status = 429, description = "Too many writes", body = ErrorJson),
    )
)]
pub async fn links(
    State(state): State<AppState>,
    who: ApiUser,
    Path(raw): Path<String>,
    Json(body): Json<LinksBody>,
) -> Result<Json<LinksJson>, AppError> {
    let user = who.writer()?;
    let id = parse_id(&raw)?;
    let update = LinksUpdate {
        github_repo: link("githubRepo", body.github_repo)?,
        project_page: link("projectPage", body.project_page)?,
    };
    let p = state.app.set_links(user, &id, update).await?;
    Ok(Json(LinksJson {
        id: p.id.to_string(),
        github_repo: p.github_repo,
        project_page: p.project_page,
    }))
}

/// Claims to be one of a paper's authors; an admin of this server approves or rejects it.
#[utoipa::path(
    post,
    path = "/api/settings/papers/claim",
    tag = "papers",
    request_body = ClaimBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "The claim, waiting for an admin", body = ClaimJson),
        (status = 400, description = "Not an arXiv id, no such author entry, or targetUserId", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token", body = ErrorJson),
        (status = 404, description = "No such paper", body = ErrorJson),
        (status = 409, description = "Claimed already", body = ErrorJson),
        (status = 429, description = "Too many writes", body = ErrorJson),
    )
)]
pub async fn claim(
    State(state): State<AppState>,
    who: ApiUser,
    Json(body): Json<ClaimBody>,
) -> Result<Json<ClaimJson>, AppError> {
    let user = who.writer()?;
    if body.target_user_id.is_some() {
        return Err(AppError::bad_request(
            "targetUserId: claiming for another account is not supported on this server",
        ));
    }
    let id = parse_id(&body.paper_id)?;
    let detail = state.app.visible_paper(&id).await?;
    let entries = author_entries(&detail);
    let name = match body.claim_author_id.as_deref() {
        Some(aid) => entries
            .into_iter()
            .find(|(eid, _)| eid == aid)
            .map(|(_, name)| name)
            .ok_or_else(|| {
                AppError::bad_request("claimAuthorId: not one of the paper's author entries")
            })?,
        None => entries
            .into_iter()
            .map(|(_, name)| name)
            .find(|name| name.eq_ignore_ascii_case(&user.name))
            .ok_or_else(|| {
                AppError::bad_request(
                    "claimAuthorId: required (the `_id` of your entry in the paper's authors)",
                )
            })?,
    };
    let c = state.app.claim(user, &id, &name).await?;
    Ok(Json(ClaimJson {
        id: c.id,
        paper_id: c.paper_id,
        author_name: c.author_name,
        status: c.state.as_str().to_string(),
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_new_style_ids_are_indexed() {
        assert!(super::is_new_style_id("2401.12345"));
        assert!(super::is_new_style_id("0704.0001"));
        assert!(!super::is_new_style_id("2401.123"));
        assert!(!super::is_new_style_id("hep-th/9901001"));
        assert!(!super::is_new_style_id("2401.12345v2"));
        assert!(!super::is_new_style_id("24a1.12345"));
    }
}
