//! A paper's page (`/papers/{arxiv_id}`) and what readers do there: upvote, comment, reply,
//! edit and delete their comments, claim authorship; admins hide papers and delete comments.

use crate::auth::Viewer;
use crate::error::OrPage;
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::pages::{as_page, cached, done, safe_next, PageOut};
use crate::params::path_number;
use crate::render::{markdown, relative_time, with_math};
use crate::views::{is_http, paper_path, short_authors, vote_button};
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use dp_app::papers::{PaperPage, REPLIES_PER_THREAD};
use dp_core::{ArxivId, ClaimState, Comment, Paper, User};
use maud::{html, Markup};
use serde::Deserialize;

fn parse_id(raw: &str) -> Result<ArxivId, AppError> {
    ArxivId::parse(raw).map_err(|_| {
        AppError::not_found(format!(
            "{:?} is not an arXiv id, so there is no paper here.",
            raw.chars().take(80).collect::<String>()
        ))
        .page()
    })
}

/// What the query string of a paper's page may say.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    /// `1` after the reader submitted the paper.
    #[serde(default)]
    submitted: Option<String>,
    /// The day whose list already had the paper the reader tried to submit.
    #[serde(default)]
    duplicate: Option<String>,
    /// Show the comment threads after this comment id.
    #[serde(default)]
    after: Option<String>,
}

/// The notice at the top of a paper's page, from its query string.
#[derive(Clone, Copy, PartialEq)]
enum Notice {
    None,
    Submitted,
    Duplicate(chrono::NaiveDate),
}

/// `GET /papers/{arxiv_id}` (an unknown id answers 404 with the offer to fetch it).
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    // The Markdown twin, by extension or by `Accept` (Hugging Face serves both).
    if let Some(stem) = raw.strip_suffix(".md") {
        let id = parse_id(stem)?;
        return Ok(super::markdown::respond(&state, &headers, &id).await);
    }
    let id = parse_id(&raw)?;
    if super::markdown::wants_markdown(&headers) {
        return Ok(super::markdown::respond(&state, &headers, &id).await);
    }
    let notice = match (&q.submitted, &q.duplicate) {
        (Some(s), _) if s == "1" => Notice::Submitted,
        (_, Some(d)) => d.parse().map_or(Notice::None, Notice::Duplicate),
        _ => Notice::None,
    };
    let after: i64 = q
        .after
        .as_deref()
        .and_then(|a| a.parse().ok())
        .unwrap_or(0)
        .max(0);
    // The key names what the page depends on, and nothing else a client may add.
    let key = match notice {
        Notice::None => format!("/papers/{id}?after={after}"),
        Notice::Submitted => format!("/papers/{id}?after={after}&submitted=1"),
        Notice::Duplicate(d) => format!("/papers/{id}?after={after}&duplicate={d}"),
    };
    cached(&state, &viewer, key, || async {
        let page = state
            .app
            .paper_page(&id, viewer.user.as_ref(), after)
            .await
            .or_page()?;
        let f = Frame::new(state.site_name(), &viewer);
        let Some(page) = page else {
            let body = frame(f, &format!("arXiv:{id}"), unknown_paper(&id, &viewer));
            return Ok(PageOut::from((StatusCode::NOT_FOUND, body)));
        };
        let title = page.detail.paper.title.clone();
        // "Save" and "Follow" for a signed-in reader (their pages are never cached, so this is
        // theirs).
        let save = match viewer.user.as_ref() {
            Some(u) => {
                let collections = state.app.my_collections(u).await.or_page()?;
                let base = id.base().to_string();
                let saved = state
                    .app
                    .saved_among(Some(u), std::slice::from_ref(&base))
                    .await
                    .or_page()?;
                let follows = state.app.follows(u).await.or_page()?;
                let save = super::collections::save_control(
                    &id,
                    &collections,
                    saved.get(&base).map_or(&[][..], Vec::as_slice),
                    &viewer.csrf,
                    &paper_path(&id),
                );
                let follow = super::follows::follow_box(&page.detail.paper, &follows, &viewer.csrf);
                Some(maud::html! { (save) (follow) })
            }
            None => None,
        };
        let hub = page
            .detail
            .hub
            .as_ref()
            .filter(|h| !h.is_empty())
            .map(|h| hub_section(h, &page.detail.paper.id, &state.app.rules.hub_url));
        let thumb = state
            .app
            .thumbnails(&[page.detail.paper.id.base().to_string()])
            .await
            .or_page()?
            .remove(page.detail.paper.id.base());
        let extras = Extras { save, hub, thumb };
        let body = paper_page(&page, &viewer, state.app.now(), notice, after, extras);
        let head = citation_meta(&page.detail.paper);
        Ok(PageOut::from(frame(f.with_head(&head), &title, body)))
    })
    .await
    .map(|mut r| {
        r.headers_mut().insert(
            axum::http::header::VARY,
            axum::http::HeaderValue::from_static("Accept"),
        );
        r
    })
}

/// What a paper page shows beyond its data: "Save" (signed-in readers), the Hub section and the
/// thumbnail.
struct Extras {
    save: Option<Markup>,
    hub: Option<Markup>,
    thumb: Option<dp_store::Thumb>,
}

/// The models, datasets and Spaces on the Hub that cite the paper, most liked first, each with
/// its likes and downloads when the Hub gave them, and a link to all of them on the Hub.
fn hub_section(hub: &dp_core::HubRepos, id: &ArxivId, hub_url: &str) -> Markup {
    use dp_core::HubKind;
    let count = |v: &serde_json::Value, k: &str| v.get(k).and_then(serde_json::Value::as_i64);
    html! {
        section.hub aria-labelledby="hub-heading" {
            h2 id="hub-heading" { "On the Hugging Face Hub" }
            @for kind in HubKind::ALL {
                @let total = hub.total(kind);
                @if total > 0 {
                    @let label = match kind { HubKind::Model => "Models", HubKind::Dataset => "Datasets", HubKind::Space => "Spaces" };
                    h3 { (label) " citing this paper " span.meta { "(" (total) ")" } }
                    ul class={"hub-" (kind.plural())} {
                        @for r in hub.of(kind) {
                            @let v: serde_json::Value = serde_json::from_str(&r.json).unwrap_or_default();
                            li {
                                a href=(kind.page(hub_url, &r.id)) rel="noopener" { (r.id) }
                                @if let Some(n) = count(&v, "likes") { span.meta { " · ♥ " (n) } }
                                @if let Some(n) = count(&v, "downloads") { span.meta { " · ↓ " (n) } }
                            }
                        }
                    }
                    @if total > hub.of(kind).len() as i64 {
                        p.meta { a href={(hub_url.trim_end_matches('/')) "/" (kind.plural()) "?other=arxiv:" (id.base())} rel="noopener" { "All " (total) " on the Hub" } }
                    }
                }
            }
        }
    }
}

/// The `citation_*` tags Google Scholar asks for and reference managers read (Zotero's
/// "Embedded Metadata" translator): title, one tag per author in order, the date of the first
/// version as `YYYY/MM/DD`, the arXiv id, the PDF and the abstract page.
fn citation_meta(p: &Paper) -> Markup {
    html! {
        meta name="citation_title" content=(p.title);
        @for a in &p.authors { meta name="citation_author" content=(a); }
        @if let Some(t) = p.published {
            meta name="citation_date" content=(t.format("%Y/%m/%d"));
            meta name="citation_publication_date" content=(t.format("%Y/%m/%d"));
        }
        meta name="citation_arxiv_id" content=(p.id);
        meta name="citation_pdf_url" content=(p.pdf_url());
        meta name="citation_abstract_html_url" content=(p.abs_url());
        @if let Some(doi) = &p.doi { meta name="citation_doi" content=(doi); }
        meta name="description" content=(dp_core::text::excerpt(&p.abstract_text, 300));
    }
}

fn unknown_paper(id: &ArxivId, viewer: &Viewer) -> Markup {
    html! {
        h1 { "arXiv:" (id) " is not here yet" }
        p { "This server does not have that paper. It can fetch its metadata from arXiv and put it on today's list." }
        @if viewer.user.is_some() {
            form method="post" action="/submit" {
                (csrf_field(&viewer.csrf))
                input type="hidden" name="paper" value=(id);
                button.primary type="submit" { "Fetch and submit arXiv:" (id) }
            }
        } @else {
            p { a href={"/login?next=/submit%3Fpaper%3D" (id)} { "Log in" } " to fetch and submit it." }
        }
        p { a href=(id.abs_url()) { "See it on arXiv" } }
    }
}

fn paper_page(
    page: &PaperPage,
    viewer: &Viewer,
    now: DateTime<Utc>,
    notice: Notice,
    after: i64,
    extras: Extras,
) -> Markup {
    let Extras { save, hub, thumb } = extras;
    let PaperPage {
        detail: d,
        comments,
        claims,
        voted,
        similar,
        ..
    } = page;
    let voted = *voted;
    let p = &d.paper;
    let path = paper_path(&p.id);
    let entry = d.entries.first();
    let links = dp_core::Links::of(p, entry);
    let approved: Vec<_> = claims
        .iter()
        .filter(|c| c.state == ClaimState::Approved)
        .collect();
    let user = viewer.user.as_ref();
    let csrf = user.map(|_| viewer.csrf.as_str());
    let tops: Vec<&Comment> = comments.iter().filter(|c| c.parent_id.is_none()).collect();
    html! {
        article.paper {
            @if notice == Notice::Submitted { p.notice role="status" { "Submitted: the paper is on today's list." } }
            @if let Notice::Duplicate(day) = notice { p.notice role="status" { "Already on the list of " (day) ": here it is." } }
            @if d.hidden { p.notice role="status" { "An admin hid this paper from the lists." } }
            div.daynav {
                h1 { (with_math(&p.title)) }
                (vote_button(&p.id, d.upvotes(), voted, csrf, &path))
            }
            p.authors {
                @for (i, a) in p.authors.iter().enumerate() {
                    @if i > 0 { ", " }
                    span { (a) }
                    @for c in approved.iter().filter(|c| &c.author_name == a) {
                        " " a.claimed href={"/users/" (c.username)} title="Authorship confirmed by an admin" { "@" (c.username) }
                    }
                }
            }
            p.meta {
                @if let Some(e) = entry {
                    "On the list of " a href={"/papers/date/" (e.day)} { (e.day) }
                    @if let Some(by) = &e.submitted_by { ", submitted by " a href={"/users/" (by)} { (by) } }
                    " · "
                }
                @if let Some(t) = p.published { "published " time datetime=(t.to_rfc3339()) { (t.format("%B %-d, %Y")) } " · " }
                span id="comment-count" { (d.comments()) } " comments"
            }
            @if let Some(t) = &thumb {
                @let (w, h) = super::thumbnails::shown_size(t, 480.min(t.width));
                figure.paper-thumb {
                    img src=(super::thumbnails::path(t)) width=(w) height=(h) loading="lazy" decoding="async" alt="";
                }
            }
            h2 { "Abstract" }
            p.abstract { (with_math(&p.abstract_text)) }
            @if let Some(s) = entry.and_then(|e| e.ai_summary.as_ref()) { p.meta { "AI summary: " (s) } }
            p.links {
                a href=(p.abs_url()) { "arXiv abstract" }
                a href=(p.pdf_url()) { "PDF" }
                @if let Some(g) = links.github_repo { @if is_http(g) {
                    a href=(g) rel="noopener" { "GitHub repository" }
                    @if let Some(n) = links.github_stars { " " span.stars title="GitHub stars" { "★ " (n) } }
                } }
                @if let Some(pp) = links.project_page { @if is_http(pp) { a href=(pp) rel="noopener" { "Project page" } } }
            }
            @if let Some(save) = save { (save) }
            p { @for c in &p.categories { span.tag { (c) } } }
            @if let Some(hub) = hub { (hub) }
            details {
                summary { "Cite" }
                pre.bibtex { (bibtex(p)) }
            }
            @if !similar.is_empty() {
                section.similar aria-labelledby="similar-heading" {
                    h2 id="similar-heading" { "Similar papers" }
                    ol {
                        @for (score, s) in similar {
                            li data-id=(s.paper.id) {
                                a href=(paper_path(&s.paper.id)) { (s.paper.title) }
                                span.meta { " · " (short_authors(&s.paper.authors)) " · " (s.upvotes) " upvotes" }
                                span.meta title="Cosine similarity of the abstracts' embeddings" { " · " (format!("{:.0}%", score * 100.0)) " similar" }
                            }
                        }
                    }
                }
            }
            @if let Some(u) = user {
                (claim_form(p, u, claims, &viewer.csrf))
                @if u.is_admin {
                    form method="post" action={(path) "/hide"} {
                        (csrf_field(&viewer.csrf))
                        input type="hidden" name="hidden" value=(if d.hidden { "0" } else { "1" });
                        button type="submit" { @if d.hidden { "Show on lists again" } @else { "Hide from lists (admin)" } }
                    }
                }
            }
            section id="comments" aria-labelledby="comments-h" {
                h2 id="comments-h" { "Comments" }
                ul.comments id="thread" {
                    @for c in &tops {
                        (comment_item(c, comments, viewer, now, &path))
                    }
                }
                @if tops.is_empty() && after == 0 { p.empty { "No comments yet." } }
                @if page.replies_cut { p.meta { "Only the first " (REPLIES_PER_THREAD) " replies of a comment are shown here; the API has them all." } }
                @if after > 0 || page.more_comments.is_some() {
                    nav.pager aria-label="More comments" {
                        @if after > 0 { a href={(path) "#comments"} { "First comments" } }
                        @if let Some(next) = page.more_comments { a href={(path) "?after=" (next) "#comments"} rel="next" { "More comments" } }
                    }
                }
                @if user.is_some() {
                    form method="post" action={(path) "/comments"} data-enhance="comment" data-target="thread" {
                        (csrf_field(&viewer.csrf))
                        label for="comment-body" { "Add a comment" }
                        textarea id="comment-body" name="body" maxlength="10000" required {}
                        p.meta { "Markdown: links, `code`, *emphasis*, lists." }
                        button.primary type="submit" { "Comment" }
                    }
                } @else {
                    p { a href={"/login?next=" (path)} { "Log in" } " to comment." }
                }
            }
        }
    }
}

fn claim_form(p: &Paper, u: &User, claims: &[dp_core::Claim], csrf: &str) -> Markup {
    let mine: Vec<_> = claims.iter().filter(|c| c.user_id == u.id).collect();
    html! {
        @for c in &mine {
            p.meta { "Your claim to be " (c.author_name) ": " (c.state.as_str()) "." }
        }
        @if !p.authors.is_empty() && mine.iter().all(|c| c.state == ClaimState::Rejected) {
            details {
                summary { "Are you an author? Claim this paper" }
                form method="post" action={(paper_path(&p.id)) "/claim"} {
                    (csrf_field(csrf))
                    label for="claim-author" { "I am" }
                    select id="claim-author" name="author" {
                        @for a in &p.authors { option value=(a) { (a) } }
                    }
                    button.primary type="submit" { "Claim authorship" }
                }
            }
        }
    }
}

/// One comment with its replies and the controls its reader may use.
pub fn comment_item(
    c: &Comment,
    all: &[Comment],
    viewer: &Viewer,
    now: DateTime<Utc>,
    path: &str,
) -> Markup {
    let replies: Vec<&Comment> = all.iter().filter(|r| r.parent_id == Some(c.id)).collect();
    html! {
        li id={"comment-" (c.id)} {
            (comment_body(c, viewer, now))
            @if !replies.is_empty() || (viewer.user.is_some() && c.parent_id.is_none()) {
                ul.comments.replies id={"replies-" (c.id)} {
                    @for r in &replies { li id={"comment-" (r.id)} { (comment_body(r, viewer, now)) } }
                }
            }
            @if viewer.user.is_some() && c.parent_id.is_none() {
                details {
                    summary { "Reply" }
                    form method="post" action={(path) "/comments"} data-enhance="comment" data-target={"replies-" (c.id)} {
                        (csrf_field(&viewer.csrf))
                        input type="hidden" name="parent" value=(c.id);
                        label for={"reply-" (c.id)} { "Reply to " (c.author) }
                        textarea id={"reply-" (c.id)} name="body" maxlength="10000" required {}
                        button.primary type="submit" { "Reply" }
                    }
                }
            }
        }
    }
}

fn comment_body(c: &Comment, viewer: &Viewer, now: DateTime<Utc>) -> Markup {
    let user = viewer.user.as_ref();
    let own = user.is_some_and(|u| u.id == c.user_id);
    let admin = user.is_some_and(|u| u.is_admin);
    html! {
        div.comment-meta {
            a href={"/users/" (c.author)} { (c.author) } " · "
            time datetime=(c.created_at.to_rfc3339()) title=(c.created_at.format("%Y-%m-%d %H:%M UTC")) { (relative_time(c.created_at, now)) }
            @if c.edited_at.is_some() { " · edited" }
        }
        @if c.deleted {
            p.empty { "[deleted]" }
        } @else {
            div.comment-text { (markdown(&c.body)) }
            @if own || admin {
                div.comment-meta {
                    @if own { a href={"/comments/" (c.id) "/edit"} { "Edit" } " " }
                    form.inline method="post" action={"/comments/" (c.id) "/delete"} {
                        (csrf_field(&viewer.csrf))
                        button.link type="submit" { "Delete" }
                    }
                }
            }
        }
    }
}

/// A paper's BibTeX (for the "Cite" box).
pub fn bibtex(p: &Paper) -> String {
    dp_core::cite::bibtex(p)
}

/// Form of the upvote button.
#[derive(Deserialize)]
pub struct VoteForm {
    csrf: String,
    up: Option<String>,
    next: Option<String>,
}

/// `POST /papers/{id}/upvote` (`up=1` casts, `up=0` withdraws).
pub async fn upvote(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<VoteForm>,
) -> Result<Response, AppError> {
    let fail = as_page(&headers);
    let user = viewer.require().map_err(&fail)?;
    viewer.check_csrf(&form.csrf).map_err(&fail)?;
    let id = parse_id(&raw).map_err(&fail)?;
    let up = form.up.as_deref() != Some("0");
    let v = state
        .app
        .vote(user, &id, up)
        .await
        .map_err(|e| fail(e.into()))?;
    let back = safe_next(form.next.as_deref(), &paper_path(&id));
    Ok(done(
        &headers,
        serde_json::json!({ "voted": v.voted, "upvotes": v.upvotes }),
        &back,
    ))
}

/// Form of "not interested" (`on=1` marks, `on=0` undoes).
#[derive(Deserialize)]
pub struct NotInterestedForm {
    csrf: String,
    on: Option<String>,
    next: Option<String>,
}

/// `POST /papers/{id}/not-interested`: leaves the paper out of the reader's own lists (or
/// brings it back).
pub async fn not_interested(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<NotInterestedForm>,
) -> Result<Response, AppError> {
    let fail = as_page(&headers);
    let user = viewer.require().map_err(&fail)?;
    viewer.check_csrf(&form.csrf).map_err(&fail)?;
    let id = parse_id(&raw).map_err(&fail)?;
    let on = form.on.as_deref() != Some("0");
    state
        .app
        .set_not_interested(user, &id, on)
        .await
        .map_err(|e| fail(e.into()))?;
    let back = safe_next(form.next.as_deref(), "/library");
    Ok(done(
        &headers,
        serde_json::json!({ "notInterested": on }),
        &back,
    ))
}

/// Form of a comment or reply.
#[derive(Deserialize)]
pub struct CommentForm {
    csrf: String,
    body: String,
    parent: Option<i64>,
}

/// `POST /papers/{id}/comments`.
pub async fn comment(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CommentForm>,
) -> Result<Response, AppError> {
    let fail = as_page(&headers);
    let user = viewer.require().map_err(&fail)?;
    viewer.check_csrf(&form.csrf).map_err(&fail)?;
    let id = parse_id(&raw).map_err(&fail)?;
    let (c, count) = state
        .app
        .comment(user, &id, form.parent, &form.body)
        .await
        .map_err(|e| fail(e.into()))?;
    let path = paper_path(&id);
    let html = html! { li id={"comment-" (c.id)} { (comment_body(&c, &viewer, state.app.now())) } };
    Ok(done(
        &headers,
        serde_json::json!({ "id": c.id, "html": html.into_string(), "comments": count }),
        &format!("{path}#comment-{}", c.id),
    ))
}

/// The CSRF token alone.
#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `GET /comments/{id}/edit`: the author's edit form.
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_number(&id)?;
    let user = viewer.require()?;
    let c = state.app.own_comment(user, id, false).await.or_page()?;
    let paper = ArxivId::parse(&c.paper_id).map_err(AppError::internal)?;
    let body = html! {
        h1 { "Edit your comment" }
        form method="post" action={"/comments/" (c.id) "/edit"} {
            (csrf_field(&viewer.csrf))
            label for="edit-body" { "Comment" }
            textarea id="edit-body" name="body" maxlength="10000" required { (c.body) }
            button.primary type="submit" { "Save" }
        }
        p { a href=(paper_path(&paper)) { "Back to the paper" } }
    };
    Ok(frame(Frame::new(state.site_name(), &viewer), "Edit comment", body).into_response())
}

/// Form of a comment edit.
#[derive(Deserialize)]
pub struct EditForm {
    csrf: String,
    body: String,
}

/// `POST /comments/{id}/edit`: only the author may edit.
pub async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path_number(&id)?;
    let user = viewer.require()?;
    let c = state
        .app
        .edit_comment(user, id, &form.body)
        .await
        .or_page()?;
    let paper = ArxivId::parse(&c.paper_id).map_err(AppError::internal)?;
    Ok(Redirect::to(&format!("{}#comment-{id}", paper_path(&paper))).into_response())
}

/// `POST /comments/{id}/delete`: the author or an admin.
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path_number(&id)?;
    let user = viewer.require()?;
    let c = state.app.delete_comment(user, id).await.or_page()?;
    let paper = ArxivId::parse(&c.paper_id).map_err(AppError::internal)?;
    Ok(Redirect::to(&format!("{}#comments", paper_path(&paper))).into_response())
}

/// Form of an authorship claim.
#[derive(Deserialize)]
pub struct ClaimForm {
    csrf: String,
    author: String,
}

/// `POST /papers/{id}/claim`: claim one of the paper's author names.
pub async fn claim(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(form): Form<ClaimForm>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&form.csrf)?;
    let id = parse_id(&raw)?;
    state.app.claim(user, &id, &form.author).await.or_page()?;
    Ok(Redirect::to(&paper_path(&id)).into_response())
}

/// Form of the admin's hide button.
#[derive(Deserialize)]
pub struct HideForm {
    csrf: String,
    hidden: String,
}

/// `POST /papers/{id}/hide`: admins only.
pub async fn hide(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(form): Form<HideForm>,
) -> Result<Response, AppError> {
    let admin = viewer.require_admin()?;
    viewer.check_csrf(&form.csrf)?;
    let id = parse_id(&raw)?;
    state
        .app
        .hide_paper(admin, &id, form.hidden != "0")
        .await
        .or_page()?;
    Ok(Redirect::to(&paper_path(&id)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bibtex_has_the_essentials() {
        let mut p = Paper::new(
            &ArxivId::parse("2501.01234").unwrap(),
            "Attention {Is} All",
            "x",
        );
        p.authors = vec!["Ada Lovelace".into(), "Alan Turing".into()];
        p.categories = vec!["cs.CL".into()];
        let b = bibtex(&p);
        assert!(b.starts_with("@misc{lovelaceattention,"), "{b}");
        assert!(b.contains("author = {Ada Lovelace and Alan Turing}"), "{b}");
        assert!(
            b.contains("title = {Attention {Is} All}"),
            "balanced braces kept: {b}"
        );
        assert!(
            b.contains("eprint = {2501.01234}") && b.contains("primaryClass = {cs.CL}"),
            "{b}"
        );
    }
}
