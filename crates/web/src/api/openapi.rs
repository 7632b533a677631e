//! `GET /api/openapi.json`: an OpenAPI 3.1 description of every endpoint, generated from the
//! handlers' annotations and the response types, so it follows the code.

use crate::api::{
    collections, comments, daily_papers, hub, library, model, papers, search, similar, submit,
    votes,
};
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The description of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "dailypapers API",
        description = "Daily lists of papers ranked by upvotes, paper details, search and comments, \
in the shape of Hugging Face's papers API (its Python client works against it unchanged). \
Reads are anonymous; writes need `Authorization: Bearer TOKEN` with a token from your settings page. \
Errors are `{\"error\": \"...\", \"code\": \"...\"}`.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        daily_papers::list,
        papers::show,
        papers::repos,
        papers::list,
        search::search,
        similar::similar,
        comments::list,
        comments::comment,
        comments::reply,
        votes::upvote,
        votes::remove_upvote,
        submit::submit,
        hub::index,
        hub::links,
        hub::claim,
        collections::whoami,
        collections::list,
        collections::show,
        collections::create,
        collections::update,
        collections::delete,
        collections::add_item,
        collections::update_item,
        collections::delete_item,
        collections::import,
        library::follows,
        library::follow,
        library::unfollow,
        library::following,
        library::not_interested,
        library::mark_not_interested,
        library::unmark_not_interested,
        library::export,
        library::for_you,
    ),
    components(schemas(
        model::DailyItem,
        model::PaperJson,
        model::PaperDetailJson,
        model::PaperListItem,
        model::SearchItem,
        model::SimilarItem,
        model::Segment,
        model::AuthorJson,
        model::UserJson,
        model::OrganizationJson,
        model::CommentJson,
        model::CommentData,
        model::CommentText,
        model::CommentBody,
        model::SubmitBody,
        model::ReposJson,
        model::IndexBody,
        model::LinksBody,
        model::LinksJson,
        model::ClaimBody,
        model::ClaimJson,
        model::SubmitJson,
        model::VoteJson,
        model::ErrorJson,
        collections::CollectionJson,
        collections::CollectionItemJson,
        collections::CollectionData,
        collections::OwnerJson,
        collections::NoteJson,
        collections::CreateBody,
        collections::UpdateBody,
        collections::AddItemBody,
        collections::ItemRef,
        collections::UpdateItemBody,
        collections::WhoamiJson,
        collections::ImportJson,
        collections::UnmatchedJson,
        library::FollowJson,
        library::FollowBody,
        library::FollowedPaperJson,
        library::PaperBrief,
        library::ForYouJson,
    )),
    modifiers(&TokenAuth),
    tags(
        (name = "papers", description = "Daily lists and papers"),
        (name = "search", description = "Keyword and semantic search, similar papers"),
        (name = "comments", description = "Discussion of a paper"),
        (name = "votes", description = "Upvotes"),
        (name = "library", description = "A reader's follows, Following list, not-interested marks and exports (token's owner; reads need a token, writes a write token)"),
        (name = "collections", description = "A reader's collections of papers, as Hugging Face's collections API; whoami"),
    )
)]
pub struct ApiDoc;

struct TokenAuth;

impl Modify for TokenAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "token",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

/// The description as JSON.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /api/openapi.json`.
pub async fn json() -> impl IntoResponse {
    let body = document().to_json().unwrap_or_else(|_| "{}".into());
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
}
