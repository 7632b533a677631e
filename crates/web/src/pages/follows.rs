//! Follows on the web: `/following` (what a reader follows, and the newest papers of all of
//! it), the follow forms (also on paper pages), and the private feeds reached with the reader's
//! secret key:
//!
//! | feed | RSS | Atom |
//! |---|---|---|
//! | everything followed | `/feeds/{key}/following.rss` | `/feeds/{key}/following.atom` |
//! | one follow | `/feeds/{key}/follows/{id}.rss` | `/feeds/{key}/follows/{id}.atom` |
//! | one of the reader's collections | `/feeds/{key}/collections/{id}.rss` | `.atom` |
//! | a public collection | `/collections/{owner}/{slug}/feed.rss` | `.../feed.atom` |
//!
//! A new key (from `/following`) replaces the old one, whose feeds then answer 404.

use crate::auth::Viewer;
use crate::error::OrPage;
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::pages::feeds::{self, Entry, Feed};
use crate::pages::safe_next;
use crate::params::path_number;
use crate::render::with_math;
use crate::views::{paper_path, short_authors};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::DateTime;
use dp_app::follows::FollowedPaper;
use dp_core::text::excerpt;
use dp_core::{Follow, FollowKind, Paper, User};
use maud::{html, Markup};
use serde::Deserialize;

/// A small form that follows `kind` `value`, returning to `next`.
pub fn follow_button(kind: FollowKind, value: &str, label: &str, csrf: &str, next: &str) -> Markup {
    html! {
        form.inline method="post" action="/follows" {
            (csrf_field(csrf))
            input type="hidden" name="kind" value=(kind.as_str());
            input type="hidden" name="value" value=(value);
            input type="hidden" name="next" value=(next);
            button.link type="submit" { (label) }
        }
    }
}

/// The "Follow" box of a paper page: its authors and categories.
pub fn follow_box(p: &Paper, follows: &[Follow], csrf: &str) -> Markup {
    let here = paper_path(&p.id);
    let followed = |kind: FollowKind, v: &str| {
        follows
            .iter()
            .any(|f| f.kind == kind && f.value.eq_ignore_ascii_case(v))
    };
    html! {
        details.follow {
            summary { "Follow the authors or categories" }
            ul {
                @for a in p.authors.iter().take(30) {
                    li {
                        @if followed(FollowKind::Author, a) { (a) " (followed)" }
                        @else { (follow_button(FollowKind::Author, a, &format!("Follow {a}"), csrf, &here)) }
                    }
                }
                @for c in &p.categories {
                    li {
                        @if followed(FollowKind::Category, c) { (c) " (followed)" }
                        @else { (follow_button(FollowKind::Category, c, &format!("Follow {c}"), csrf, &here)) }
                    }
                }
            }
        }
    }
}

/// `GET /following`: what the reader follows, and the newest papers of all of it.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let user = viewer.require()?;
    page(&state, &viewer, user, None).await
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    user: &User,
    new_key: Option<(String, String)>,
) -> Result<Response, AppError> {
    let follows = state.app.follows(user).await.or_page()?;
    let papers = state
        .app
        .papers_of_follows(user, &follows, dp_app::follows::FOLLOWING_SHOWN)
        .await
        .or_page()?;
    let has_key = state.app.has_feed_key(user).await.or_page()?;
    let collections = state.app.my_collections(user).await.or_page()?;
    let body = html! {
        h1 { "Following" }
        @if follows.is_empty() {
            p.empty { "You follow nothing yet. Follow authors or categories from a paper's page, or add one here." }
        } @else {
            ul.follows {
                @for f in &follows {
                    li data-follow=(f.id) {
                        span.tag { (f.kind.as_str()) } " " (f.value)
                        form.inline method="post" action={"/follows/" (f.id) "/delete"} {
                            (csrf_field(&viewer.csrf))
                            button.link type="submit" { "Stop following" }
                        }
                    }
                }
            }
        }
        form.follow-new method="post" action="/follows" {
            (csrf_field(&viewer.csrf))
            input type="hidden" name="next" value="/following";
            label for="follow-kind" { "Follow" }
            select id="follow-kind" name="kind" {
                option value="author" { "an author (name as printed)" }
                option value="account" { "an account of this site" }
                option value="category" { "a category (cs.CL, stat.ML, cs)" }
                option value="search" { "a search" }
            }
            label for="follow-value" { "Name, category or query" }
            input type="text" id="follow-value" name="value" maxlength="200" required;
            button.primary type="submit" { "Follow" }
        }
        section id="feeds" aria-labelledby="feeds-h" {
            h2 id="feeds-h" { "Private feeds" }
            @if let Some((base, key)) = &new_key {
                p.notice role="status" { "Your new feed addresses (shown once: copy them now; the old ones no longer work):" }
                ul.feed-links {
                    li { "Following: " code { (base) "/feeds/" (key) "/following.atom" } " · " code { (base) "/feeds/" (key) "/following.rss" } }
                    li { "For you: " code { (base) "/feeds/" (key) "/for-you.atom" } " · " code { (base) "/feeds/" (key) "/for-you.rss" } }
                    @for f in &follows {
                        li { (f.label()) ": " code { (base) "/feeds/" (key) "/follows/" (f.id) ".atom" } }
                    }
                    @for c in &collections {
                        li { "Collection " (c.title) ": " code { (base) "/feeds/" (key) "/collections/" (c.id) ".atom" } }
                    }
                }
            } @else if has_key {
                p.meta { "Your feed addresses were shown when you made them. Make new ones to see them again; the old ones then stop working." }
            } @else {
                p.meta { "Feed readers can follow what you follow, and your private collections, through addresses that hold a secret key." }
            }
            form method="post" action="/following/feed-key" {
                (csrf_field(&viewer.csrf))
                button type="submit" { @if has_key { "Make new feed addresses" } @else { "Make feed addresses" } }
            }
        }
        h2 { "Newest papers of what you follow" }
        @if papers.is_empty() {
            p.empty { "No papers yet." }
        } @else {
            ol.papers.following {
                @for fp in &papers {
                    li data-id=(fp.paper.id) {
                        a href=(paper_path(&fp.paper.id)) { (with_math(&fp.paper.title)) }
                        span.meta { " · " (short_authors(&fp.paper.authors))
                            @if let Some(t) = fp.paper.published { " · " (t.format("%Y-%m-%d")) } }
                        p.because.meta { "Because you follow " (fp.because.join(", ")) }
                        p.abstract { (with_math(&excerpt(&fp.paper.abstract_text, 240))) }
                    }
                }
            }
        }
    };
    Ok(frame(Frame::new(state.site_name(), viewer), "Following", body).into_response())
}

/// Form of a follow.
#[derive(Deserialize)]
pub struct FollowForm {
    csrf: String,
    kind: String,
    value: String,
    next: Option<String>,
}

/// `POST /follows`.
pub async fn follow(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<FollowForm>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&form.csrf)?;
    state
        .app
        .follow(user, &form.kind, &form.value)
        .await
        .or_page()?;
    Ok(Redirect::to(&safe_next(form.next.as_deref(), "/following")).into_response())
}

/// Form with only the CSRF token.
#[derive(Deserialize)]
pub struct TokenForm {
    csrf: String,
}

/// `POST /follows/{id}/delete`.
pub async fn unfollow(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&form.csrf)?;
    state
        .app
        .unfollow(user, path_number(&raw)?)
        .await
        .or_page()?;
    Ok(Redirect::to("/following").into_response())
}

/// `POST /following/feed-key`: a new private-feed key, shown once in the feed addresses.
pub async fn reset_key(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&form.csrf)?;
    let key = state.app.reset_feed_key(user).await.or_page()?;
    let mut resp = page(&state, &viewer, user, Some((state.base_url(&headers), key))).await?;
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

/// The feed file's id and format: `12.atom` → (12, Atom).
fn id_and_format(file: &str) -> Result<(i64, feeds::Format), AppError> {
    let nf = || AppError::not_found("There is no feed at this address.");
    let (id, ext) = file.rsplit_once('.').ok_or_else(nf)?;
    let format = match ext {
        "rss" | "xml" => feeds::Format::Rss,
        "atom" => feeds::Format::Atom,
        _ => return Err(nf()),
    };
    Ok((id.parse().map_err(|_| nf())?, format))
}

async fn key_owner(state: &AppState, key: &str) -> Result<User, AppError> {
    state
        .app
        .feed_key_user(key)
        .await?
        .ok_or_else(|| AppError::not_found("There is no feed at this address (a replaced key?)."))
}

/// A feed of followed papers, mirroring `/following`.
fn followed_feed(title: String, uri: &Uri, papers: Vec<FollowedPaper>) -> Feed {
    Feed {
        title,
        page: "/following".into(),
        path: uri.path().to_string(),
        entries: entries(papers.into_iter().map(|f| f.paper).collect()),
    }
}

fn entries(papers: Vec<Paper>) -> Vec<Entry> {
    papers
        .into_iter()
        .map(|p| Entry {
            at: p.published.or(p.updated).unwrap_or(DateTime::UNIX_EPOCH),
            upvotes: 0,
            paper: p,
        })
        .collect()
}

/// `/feeds/{key}/following.{rss,atom}`.
pub async fn following_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let user = key_owner(&state, &key).await?;
    let (format, _) = feeds::Format::of(&uri);
    let papers = state.app.following(&user).await?;
    let feed = followed_feed(format!("Following ({})", user.name), &uri, papers);
    feeds::respond_private(&state, &headers, format, feed).await
}

/// `/feeds/{key}/for-you.{rss,atom}`: the key owner's "For you" list.
pub async fn for_you_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let user = key_owner(&state, &key).await?;
    let (format, _) = feeds::Format::of(&uri);
    let fy = state
        .app
        .for_you(&user, dp_app::follows::FOLLOWING_SHOWN)
        .await?;
    let feed = Feed {
        title: format!("For you ({})", user.name),
        page: "/papers/for-you".into(),
        path: uri.path().to_string(),
        entries: entries(fy.items.into_iter().map(|(p, _)| p).collect()),
    };
    feeds::respond_private(&state, &headers, format, feed).await
}

/// `/feeds/{key}/follows/{id}.{rss,atom}`.
pub async fn follow_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path((key, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let user = key_owner(&state, &key).await?;
    let (id, format) = id_and_format(&file)?;
    let follow = state.app.follow_of(&user, id).await?;
    let papers = state
        .app
        .papers_of_follows(
            &user,
            std::slice::from_ref(&follow),
            dp_app::follows::FOLLOWING_SHOWN,
        )
        .await?;
    let feed = followed_feed(format!("Following {}", follow.label()), &uri, papers);
    feeds::respond_private(&state, &headers, format, feed).await
}

/// `/feeds/{key}/collections/{id}.{rss,atom}`: any collection of the key's owner.
pub async fn collection_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path((key, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let user = key_owner(&state, &key).await?;
    let (id, format) = id_and_format(&file)?;
    let c = state
        .app
        .owned_collection(&user, id)
        .await
        .map_err(|e| match e {
            dp_app::Error::Forbidden(_) => AppError::not_found("There is no feed at this address."),
            e => e.into(),
        })?;
    let feed = collection_feed_of(&state, &c, uri.path()).await?;
    feeds::respond_private(&state, &headers, format, feed).await
}

async fn collection_feed_of(
    state: &AppState,
    c: &dp_core::Collection,
    path: &str,
) -> Result<Feed, AppError> {
    let items = state.app.collection_items(c).await?;
    Ok(Feed {
        title: format!("{} (a collection by {})", c.title, c.owner),
        page: c.path(),
        path: path.to_string(),
        entries: items
            .into_iter()
            .rev()
            .map(|i| Entry {
                at: i.added_at,
                upvotes: 0,
                paper: i.paper,
            })
            .collect(),
    })
}

/// `/collections/{owner}/{slug}/feed.{rss,atom}`: a public collection's papers, newest
/// addition first.
pub async fn public_collection_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path((owner, slug)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (format, _) = feeds::Format::of(&uri);
    let c = state.app.collection_by_slug(None, &owner, &slug).await?;
    let feed = collection_feed_of(&state, &c, uri.path()).await?;
    feeds::respond_private(&state, &headers, format, feed).await
}
