//! Collections over the API, in the shape of Hugging Face's collections API, so that
//! `huggingface_hub`'s `create_collection`, `get_collection`, `list_collections`,
//! `update_collection_metadata`, `add_collection_item`, `update_collection_item`,
//! `delete_collection_item` and `delete_collection` work unchanged against this server.
//!
//! A collection is named `owner/slug` (`ada/reading-list-12`). Public collections are read
//! without a token; private ones need their owner's token (any scope). Writes need the owner's
//! `write` token. Only papers can be collected here (`item.type == "paper"`).

use crate::api::model::ErrorJson;
use crate::api::token::ApiUser;
use crate::{AppError, AppState};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dp_app::collections::{EditRequest, Saved};
use dp_core::{ArxivId, Collection, CollectionItem, User};
use dp_store::CollectionSort;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How many items a listed collection shows (Hugging Face shows four).
const LISTED_ITEMS: usize = 4;

/// The owner of a collection.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OwnerJson {
    /// User name.
    pub name: String,
    /// Always `user`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Display name (the user name here).
    pub fullname: String,
}

/// A note on an item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoteJson {
    /// The note as written.
    pub text: String,
}

/// A paper in a collection.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollectionItemJson {
    /// The item's own id (`item_object_id` in `huggingface_hub`).
    #[serde(rename = "_id")]
    pub object_id: String,
    /// The paper's arXiv id.
    pub id: String,
    /// Always `paper`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Place in the collection, from 0.
    pub position: i64,
    /// The paper's title.
    pub title: String,
    /// When arXiv published it (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// The reader's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<NoteJson>,
}

/// A collection. `position` is left out of listings (the client numbers them itself).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollectionJson {
    /// `owner/slug`.
    pub slug: String,
    /// The title.
    pub title: String,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its owner.
    pub owner: OwnerJson,
    /// Its papers, in order (the first four in listings).
    pub items: Vec<CollectionItemJson>,
    /// When it last changed (`…Z`).
    pub last_updated: String,
    /// Place among its owner's collections (not in listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    /// Seen only by its owner.
    pub private: bool,
    /// Hugging Face's card colour; always `blue` here.
    pub theme: &'static str,
    /// Collections are not upvoted here: 0.
    pub upvotes: i64,
    /// How many papers it holds.
    pub num_items: i64,
}

/// `PATCH /api/collections/{owner}/{slug}` answers `{"data": collection}`, as Hugging Face does.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CollectionData {
    /// The collection after the change.
    pub data: CollectionJson,
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn item_json(i: &CollectionItem) -> CollectionItemJson {
    CollectionItemJson {
        object_id: i.id.to_string(),
        id: i.paper.id.base().to_string(),
        kind: "paper",
        position: i.position,
        title: i.paper.title.clone(),
        published_at: i.paper.published.map(stamp),
        note: i.note.clone().map(|text| NoteJson { text }),
    }
}

/// A collection as JSON, with `items` (all, or the first few when `listed`).
pub fn collection_json(c: &Collection, items: &[CollectionItem], listed: bool) -> CollectionJson {
    let shown = if listed {
        &items[..items.len().min(LISTED_ITEMS)]
    } else {
        items
    };
    CollectionJson {
        slug: c.full_slug(),
        title: c.title.clone(),
        description: c.description.clone(),
        owner: OwnerJson {
            name: c.owner.clone(),
            kind: "user",
            fullname: c.owner.clone(),
        },
        items: shown.iter().map(item_json).collect(),
        last_updated: stamp(c.updated_at),
        position: (!listed).then_some(0),
        private: c.private,
        theme: "blue",
        upvotes: 0,
        num_items: c.items,
    }
}

/// The token's owner when a valid token came with a read; anonymous otherwise (clients send
/// whatever Hugging Face token they hold, and public reads must not fail over it).
pub struct Reader(pub Option<User>);

impl FromRequestParts<AppState> for Reader {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(Reader(None));
        }
        Ok(Reader(
            ApiUser::from_request_parts(parts, state)
                .await
                .ok()
                .map(|a| a.user),
        ))
    }
}

async fn full(state: &AppState, c: &Collection) -> Result<CollectionJson, AppError> {
    let items = state.app.collection_items(c).await?;
    Ok(collection_json(c, &items, false))
}

/// `GET /api/collections`: public collections (and the token owner's private ones), filtered
/// by `owner` (repeatable), `item` (`papers/ID`) and `q` (in the title); `sort` is
/// `lastModified` (the default; `trending` and `upvotes` sort the same here) or `created`;
/// `limit` 1–100 (default 100).
#[utoipa::path(
    get,
    path = "/api/collections",
    tag = "collections",
    params(
        ("owner" = Option<String>, Query, description = "Owner's user name; repeat for several"),
        ("item" = Option<String>, Query, description = "Only collections holding this paper: `papers/2307.09288`"),
        ("q" = Option<String>, Query, description = "Words in the title"),
        ("sort" = Option<String>, Query, description = "`lastModified` (default), `trending`, `upvotes` or `created`"),
        ("limit" = Option<u32>, Query, description = "At least 1; more than 100 gives 100 (the default)"),
    ),
    responses(
        (status = 200, description = "Collections (no `position`; four items each)", body = [CollectionJson]),
        (status = 400, description = "A bad parameter", body = ErrorJson),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    uri: Uri,
) -> Result<Response, AppError> {
    let mut owners = Vec::new();
    let mut paper = None;
    let mut title = None;
    let mut sort = CollectionSort::LastModified;
    let mut limit = dp_app::collections::MAX_LISTED;
    let mut no_match = false;
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match &*k {
            "owner" if owners.len() < 20 => owners.push(v.into_owned()),
            "owner" => return Err(AppError::bad_request("at most 20 owners")),
            "item" => match v.strip_prefix("papers/") {
                Some(id) => {
                    paper = Some(ArxivId::parse(id).map_err(|e| {
                        AppError::bad_request(format!("item: not an arXiv id: {e}"))
                    })?)
                }
                // Models, datasets and Spaces are never in collections here.
                None => no_match = true,
            },
            "q" => title = Some(v.chars().take(100).collect::<String>()),
            "sort" => {
                sort = match &*v {
                    "lastModified" | "trending" | "upvotes" => CollectionSort::LastModified,
                    "created" => CollectionSort::Created,
                    _ => {
                        return Err(AppError::bad_request(
                            "sort: one of lastModified, trending, upvotes, created",
                        ))
                    }
                }
            }
            // Above the most a listing returns is that most (as Hugging Face clamps).
            "limit" => {
                limit = v
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| AppError::bad_request("limit: a positive number"))?
                    .min(dp_app::collections::MAX_LISTED)
            }
            _ => {}
        }
    }
    let mut found: Vec<Collection> = Vec::new();
    if !no_match {
        let names: Vec<Option<&str>> = if owners.is_empty() {
            vec![None]
        } else {
            owners.iter().map(|o| Some(o.as_str())).collect()
        };
        for owner in names {
            found.extend(
                state
                    .app
                    .find_collections(
                        viewer.as_ref(),
                        owner,
                        paper.as_ref(),
                        title.as_deref(),
                        sort,
                        limit,
                    )
                    .await?,
            );
        }
        match sort {
            CollectionSort::LastModified => {
                found.sort_by_key(|c| std::cmp::Reverse((c.updated_at, c.id)))
            }
            CollectionSort::Created => {
                found.sort_by_key(|c| std::cmp::Reverse((c.created_at, c.id)))
            }
        }
        found.truncate(usize::try_from(limit).unwrap_or(0));
    }
    let mut out = Vec::with_capacity(found.len());
    for c in &found {
        let items = state
            .app
            .collection_items_head(c, LISTED_ITEMS as i64)
            .await?;
        out.push(collection_json(c, &items, true));
    }
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(out)).into_response())
}

/// `GET /api/collections/{owner}/{slug}`.
#[utoipa::path(
    get,
    path = "/api/collections/{owner}/{slug}",
    tag = "collections",
    params(
        ("owner" = String, Path, description = "Owner's user name"),
        ("slug" = String, Path, description = "The collection's slug, e.g. reading-list-12"),
    ),
    responses(
        (status = 200, description = "The collection and all its papers", body = CollectionJson),
        (status = 404, description = "No such collection, or a private one of someone else", body = ErrorJson),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    Path((owner, slug)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let c = state
        .app
        .collection_by_slug(viewer.as_ref(), &owner, &slug)
        .await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(full(&state, &c).await?),
    )
        .into_response())
}

/// Body of `POST /api/collections`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    /// The title (1–60 characters).
    pub title: String,
    /// The owner: the token's user.
    pub namespace: String,
    /// Private (default false, as in Hugging Face's client).
    #[serde(default)]
    pub private: bool,
    /// A description (at most 150 characters).
    #[serde(default)]
    pub description: Option<String>,
}

/// `POST /api/collections`: creates a collection of the token's user. A second one with the
/// same title is a 409 whose body names the existing one's `slug`.
#[utoipa::path(
    post,
    path = "/api/collections",
    tag = "collections",
    request_body = CreateBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "Created", body = CollectionJson),
        (status = 400, description = "A bad title or description", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token, or another user's namespace", body = ErrorJson),
        (status = 409, description = "The same title exists: `{\"error\", \"slug\"}`", body = ErrorJson),
        (status = 422, description = "The account holds the most collections it may", body = ErrorJson),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    who: ApiUser,
    Json(body): Json<CreateBody>,
) -> Result<Response, AppError> {
    let user = who.writer()?;
    if !body.namespace.trim().eq_ignore_ascii_case(&user.name) {
        return Err(AppError::forbidden(
            "You can only create collections in your own namespace.",
        ));
    }
    if let Some(same) = state.app.collection_titled(user, &body.title).await? {
        let body = serde_json::json!({
            "error": "You already created this collection.",
            "code": "conflict",
            "slug": same.full_slug(),
        });
        return Ok((StatusCode::CONFLICT, Json(body)).into_response());
    }
    let c = state
        .app
        .create_collection(
            user,
            &body.title,
            body.description.as_deref().unwrap_or(""),
            body.private,
        )
        .await?;
    Ok(Json(full(&state, &c).await?).into_response())
}

/// Body of `PATCH /api/collections/{owner}/{slug}` (each field optional).
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateBody {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// Private or public.
    pub private: Option<bool>,
    /// Accepted and ignored (collections are ordered by last change).
    pub position: Option<i64>,
    /// Accepted and ignored.
    pub theme: Option<String>,
}

async fn owned(
    state: &AppState,
    who: &ApiUser,
    owner: &str,
    slug: &str,
) -> Result<(User, Collection), AppError> {
    let user = who.writer()?.clone();
    let c = state
        .app
        .owned_collection_by_slug(&user, owner, slug)
        .await?;
    Ok((user, c))
}

/// `PATCH /api/collections/{owner}/{slug}`: title, description, visibility.
#[utoipa::path(
    patch,
    path = "/api/collections/{owner}/{slug}",
    tag = "collections",
    params(("owner" = String, Path, description = "Owner"), ("slug" = String, Path, description = "Slug")),
    request_body = UpdateBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "`{\"data\": collection}`", body = CollectionData),
        (status = 400, description = "A bad title or description", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token, or someone else's public collection", body = ErrorJson),
        (status = 404, description = "No such collection", body = ErrorJson),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    who: ApiUser,
    Path((owner, slug)): Path<(String, String)>,
    Json(body): Json<UpdateBody>,
) -> Result<Response, AppError> {
    let (user, c) = owned(&state, &who, &owner, &slug).await?;
    state
        .app
        .edit_collection(
            &user,
            &c,
            EditRequest {
                title: body.title.as_deref(),
                description: body.description.as_deref(),
                private: body.private,
            },
        )
        .await?;
    let c = state.app.owned_collection(&user, c.id).await?;
    Ok(Json(CollectionData {
        data: full(&state, &c).await?,
    })
    .into_response())
}

/// `DELETE /api/collections/{owner}/{slug}`.
#[utoipa::path(
    delete,
    path = "/api/collections/{owner}/{slug}",
    tag = "collections",
    params(("owner" = String, Path, description = "Owner"), ("slug" = String, Path, description = "Slug")),
    security(("token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token, or someone else's public collection", body = ErrorJson),
        (status = 404, description = "No such collection", body = ErrorJson),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    who: ApiUser,
    Path((owner, slug)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let (user, c) = owned(&state, &who, &owner, &slug).await?;
    state.app.delete_collection(&user, &c).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What to add.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemRef {
    /// The paper's arXiv id.
    pub id: String,
    /// `paper` (the only kind collected here).
    #[serde(rename = "type")]
    pub kind: String,
}

/// Body of `POST /api/collections/{owner}/{slug}/items`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddItemBody {
    /// The paper.
    pub item: ItemRef,
    /// A note (at most 500 characters).
    pub note: Option<String>,
}

/// `POST /api/collections/{owner}/{slug}/items`: adds a paper at the end; answers the whole
/// collection. A paper already there is a 409 (the client's `exists_ok` then reads it).
#[utoipa::path(
    post,
    path = "/api/collections/{owner}/{slug}/items",
    tag = "collections",
    params(("owner" = String, Path, description = "Owner"), ("slug" = String, Path, description = "Slug")),
    request_body = AddItemBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "The collection with the paper added", body = CollectionJson),
        (status = 400, description = "Not a paper, not an arXiv id, or a note too long", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token, or someone else's public collection", body = ErrorJson),
        (status = 404, description = "No such collection or paper", body = ErrorJson),
        (status = 409, description = "Already in the collection", body = ErrorJson),
        (status = 422, description = "The collection holds the most papers it may", body = ErrorJson),
    )
)]
pub async fn add_item(
    State(state): State<AppState>,
    who: ApiUser,
    Path((owner, slug)): Path<(String, String)>,
    Json(body): Json<AddItemBody>,
) -> Result<Response, AppError> {
    let (user, c) = owned(&state, &who, &owner, &slug).await?;
    if body.item.kind != "paper" {
        return Err(AppError::bad_request(
            "Only papers can be collected on this server (item.type \"paper\").",
        ));
    }
    let id = ArxivId::parse(&body.item.id)
        .map_err(|e| AppError::bad_request(format!("item.id: not an arXiv id: {e}")))?;
    let saved = state
        .app
        .save_paper(&user, &c, &id, body.note.as_deref().unwrap_or(""))
        .await
        .map_err(|e| match e {
            dp_app::Error::NotFound(m) if m.contains("paper") => {
                AppError::not_found(format!("Paper {id} is not on this server."))
            }
            e => e.into(),
        })?;
    if let Saved::Already(_) = saved {
        return Err(AppError::conflict(
            "This paper is already in the collection.",
        ));
    }
    let c = state.app.owned_collection(&user, c.id).await?;
    Ok(Json(full(&state, &c).await?).into_response())
}

/// Body of `PATCH /api/collections/{owner}/{slug}/items/{item}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateItemBody {
    /// A new note (empty clears it).
    pub note: Option<String>,
    /// A new place, from 0 (the others shift).
    pub position: Option<i64>,
}

fn item_number(raw: &str) -> Result<i64, AppError> {
    raw.parse()
        .map_err(|_| AppError::not_found("No such item in this collection."))
}

/// `PATCH /api/collections/{owner}/{slug}/items/{item}`: a note or a new place.
#[utoipa::path(
    patch,
    path = "/api/collections/{owner}/{slug}/items/{item}",
    tag = "collections",
    params(
        ("owner" = String, Path, description = "Owner"),
        ("slug" = String, Path, description = "Slug"),
        ("item" = String, Path, description = "The item's `_id`"),
    ),
    request_body = UpdateItemBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "The collection after the change", body = CollectionJson),
        (status = 400, description = "A note too long", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token, or someone else's public collection", body = ErrorJson),
        (status = 404, description = "No such collection or item", body = ErrorJson),
    )
)]
pub async fn update_item(
    State(state): State<AppState>,
    who: ApiUser,
    Path((owner, slug, item)): Path<(String, String, String)>,
    Json(body): Json<UpdateItemBody>,
) -> Result<Response, AppError> {
    let (user, c) = owned(&state, &who, &owner, &slug).await?;
    state
        .app
        .edit_item(
            &user,
            &c,
            item_number(&item)?,
            body.note.as_deref(),
            body.position,
        )
        .await?;
    let c = state.app.owned_collection(&user, c.id).await?;
    Ok(Json(full(&state, &c).await?).into_response())
}

/// `DELETE /api/collections/{owner}/{slug}/items/{item}`.
#[utoipa::path(
    delete,
    path = "/api/collections/{owner}/{slug}/items/{item}",
    tag = "collections",
    params(
        ("owner" = String, Path, description = "Owner"),
        ("slug" = String, Path, description = "Slug"),
        ("item" = String, Path, description = "The item's `_id`"),
    ),
    security(("token" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token, or someone else's public collection", body = ErrorJson),
        (status = 404, description = "No such collection or item", body = ErrorJson),
    )
)]
pub async fn delete_item(
    State(state): State<AppState>,
    who: ApiUser,
    Path((owner, slug, item)): Path<(String, String, String)>,
) -> Result<StatusCode, AppError> {
    let (user, c) = owned(&state, &who, &owner, &slug).await?;
    state
        .app
        .remove_item(&user, &c, item_number(&item)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an import did (our addition to Hugging Face's API).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportJson {
    /// Entries read from the file.
    pub entries: usize,
    /// Papers added.
    pub added: usize,
    /// Matched papers the collection held already.
    pub already: usize,
    /// Matched by arXiv id.
    pub by_id: usize,
    /// Matched by DOI.
    pub by_doi: usize,
    /// Matched by exact title.
    pub by_title: usize,
    /// Entries not imported, and why (nothing changed for them).
    pub unmatched: Vec<UnmatchedJson>,
}

/// An entry not imported.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnmatchedJson {
    /// Its key or title.
    pub entry: String,
    /// Why.
    pub reason: String,
}

/// `POST /api/collections/{owner}/{slug}/import`: a BibTeX or RIS file as the body. Entries are
/// matched by arXiv id, then DOI, then exact title; the matched papers are added all at once
/// or not at all.
#[utoipa::path(
    post,
    path = "/api/collections/{owner}/{slug}/import",
    tag = "collections",
    params(("owner" = String, Path, description = "Owner"), ("slug" = String, Path, description = "Slug")),
    request_body(content = String, content_type = "text/plain", description = "A BibTeX or RIS file, at most 16 MB"),
    security(("token" = [])),
    responses(
        (status = 200, description = "What was imported, and what not", body = ImportJson),
        (status = 400, description = "Not a BibTeX or RIS file", body = ErrorJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
        (status = 403, description = "A read-only token, or someone else's public collection", body = ErrorJson),
        (status = 404, description = "No such collection", body = ErrorJson),
        (status = 413, description = "Over 16 MB", body = ErrorJson),
        (status = 422, description = "The matches would not fit in the collection; nothing imported", body = ErrorJson),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    who: ApiUser,
    Path((owner, slug)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let (user, c) = owned(&state, &who, &owner, &slug).await?;
    let r = state.app.import_references(&user, &c, &body).await?;
    Ok(Json(ImportJson {
        entries: r.entries,
        added: r.added,
        already: r.already,
        by_id: r.by_id,
        by_doi: r.by_doi,
        by_title: r.by_title,
        unmatched: r
            .unmatched
            .into_iter()
            .map(|(entry, reason)| UnmatchedJson { entry, reason })
            .collect(),
    })
    .into_response())
}

/// What `GET /api/whoami-v2` says of the token's user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhoamiJson {
    /// Always `user`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The account's id.
    pub id: String,
    /// User name.
    pub name: String,
    /// Display name (the user name here).
    pub fullname: String,
    /// Whether the account is an admin here.
    #[serde(rename = "isAdmin")]
    pub is_admin: bool,
    /// Organisations: none here.
    pub orgs: Vec<serde_json::Value>,
    /// The token: `{"type": "access_token", "accessToken": {"role": "read" | "write"}}`.
    pub auth: serde_json::Value,
}

/// `GET /api/whoami-v2`: the token's user, as Hugging Face answers it (`HfApi.whoami()`).
#[utoipa::path(
    get,
    path = "/api/whoami-v2",
    tag = "collections",
    security(("token" = [])),
    responses(
        (status = 200, description = "The token's user", body = WhoamiJson),
        (status = 401, description = "No token, or an invalid one", body = ErrorJson),
    )
)]
pub async fn whoami(who: ApiUser) -> Result<Response, AppError> {
    let body = WhoamiJson {
        kind: "user",
        id: who.user.id.to_string(),
        name: who.user.name.clone(),
        fullname: who.user.name.clone(),
        is_admin: who.user.is_admin,
        orgs: Vec::new(),
        auth: serde_json::json!({
            "type": "access_token",
            "accessToken": { "role": who.scope.as_str(), "displayName": "dailypapers token" },
        }),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}
