//! Collections on the web: "Save" on paper cards and pages, a collection's page
//! (`/collections/{owner}/{slug}`), and its owner's forms (create, rename, make public or
//! private, delete; per paper: note, move, remove). Every form works without the page script;
//! "Save" also works in place with it.

use crate::auth::Viewer;
use crate::error::OrPage;
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::pages::{as_page, cached, done, safe_next, PageOut};
use crate::params::path_number;
use crate::render::with_math;
use crate::views::{paper_path, short_authors};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use dp_app::collections::Saved;
use dp_core::{ArxivId, Collection, CollectionItem};
use maud::{html, Markup};
use serde::Deserialize;

/// The title of the collection a first "Save" makes.
pub const DEFAULT_COLLECTION: &str = "Reading list";

/// The "Save" control of a paper: a choice of the reader's collections (or a new one) in a
/// `<details>`, so it stays small on cards and needs no script.
pub fn save_control(
    id: &ArxivId,
    collections: &[Collection],
    saved_in: &[i64],
    csrf: &str,
    here: &str,
) -> Markup {
    let saved = !saved_in.is_empty();
    html! {
        details.save {
            summary { @if saved { "Saved" } @else { "Save" } }
            form method="post" action={(paper_path(id)) "/save"} data-enhance="save" {
                (csrf_field(csrf))
                input type="hidden" name="next" value=(here);
                label for={"save-" (id)} { "Save to" }
                select id={"save-" (id)} name="collection" {
                    @for c in collections {
                        option value=(c.id) {
                            (c.title)
                            @if saved_in.contains(&c.id) { " (saved)" }
                        }
                    }
                    option value="new" { "A new collection…" }
                }
                label for={"save-title-" (id)} { "New collection's name" }
                input type="text" id={"save-title-" (id)} name="title" maxlength="60"
                    placeholder=(DEFAULT_COLLECTION);
                button type="submit" { "Save" }
                @if saved {
                    p.meta { "In: "
                        @for (i, c) in collections.iter().filter(|c| saved_in.contains(&c.id)).enumerate() {
                            @if i > 0 { ", " }
                            a href=(c.path()) { (c.title) }
                        }
                    }
                }
            }
        }
    }
}

/// Form of "Save".
#[derive(Deserialize)]
pub struct SaveForm {
    csrf: String,
    /// A collection id, or `new`.
    collection: Option<String>,
    /// The new collection's title (default "Reading list").
    title: Option<String>,
    note: Option<String>,
    next: Option<String>,
}

/// `POST /papers/{id}/save`: saves the paper into one of the reader's collections, or into a
/// new one.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<SaveForm>,
) -> Result<Response, AppError> {
    let fail = as_page(&headers);
    let user = viewer.require().map_err(&fail)?;
    viewer.check_csrf(&form.csrf).map_err(&fail)?;
    let id = ArxivId::parse(&raw)
        .map_err(|e| fail(AppError::bad_request(format!("Not an arXiv id: {e}"))))?;
    let note = form.note.as_deref().unwrap_or("");
    let (c, saved) = match form.collection.as_deref() {
        None | Some("new") | Some("") => {
            let title = form
                .title
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .unwrap_or(DEFAULT_COLLECTION);
            state
                .app
                .save_paper_to_new(user, title, &id)
                .await
                .map_err(|e| fail(e.into()))?
        }
        Some(n) => {
            let cid = n
                .parse::<i64>()
                .map_err(|_| fail(AppError::bad_request("Choose one of your collections.")))?;
            let c = state
                .app
                .owned_collection(user, cid)
                .await
                .map_err(|e| fail(e.into()))?;
            let saved = state
                .app
                .save_paper(user, &c, &id, note)
                .await
                .map_err(|e| fail(e.into()))?;
            (c, saved)
        }
    };
    let back = safe_next(form.next.as_deref(), &c.path());
    Ok(done(
        &headers,
        serde_json::json!({
            "saved": true,
            "new": matches!(saved, Saved::New(_)),
            "id": c.id,
            "collection": c.title,
            "path": c.path(),
        }),
        &back,
    ))
}

/// `GET /collections/{owner}/{slug}`: a public collection for anyone, a private one for its
/// owner (404 for anyone else).
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((owner, slug)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let key = format!("/collections/{}/{}", owner.to_lowercase(), slug);
    cached(&state, &viewer, key, || async {
        let c = state
            .app
            .collection_by_slug(viewer.user.as_ref(), &owner, &slug)
            .await
            .or_page()?;
        let items = state.app.collection_items(&c).await.or_page()?;
        let own = viewer.user.as_ref().is_some_and(|u| u.id == c.owner_id);
        let body = collection_page(&c, &items, own.then_some(viewer.csrf.as_str()));
        Ok(PageOut::from(frame(
            Frame::new(state.site_name(), &viewer),
            &c.title,
            body,
        )))
    })
    .await
}

fn collection_page(c: &Collection, items: &[CollectionItem], owner_csrf: Option<&str>) -> Markup {
    let here = c.path();
    let last = items.len().saturating_sub(1);
    html! {
        article.collection data-id=(c.id) {
            h1 { (c.title) }
            p.meta {
                "A collection by " a href={"/users/" (c.owner)} { (c.owner) }
                " · " (c.items) " papers · "
                @if c.private { span.tag { "private" } } @else { span.tag { "public" } }
                " · updated " (c.updated_at.format("%B %-d, %Y"))
            }
            @if let Some(d) = &c.description { p.description { (d) } }
            @if !items.is_empty() { (export_links(&here)) }
            @if items.is_empty() {
                p.empty { "No papers yet. Use \"Save\" on a paper to add it here." }
            } @else {
                ol.papers.collection-items {
                    @for (i, item) in items.iter().enumerate() {
                        li data-id=(item.paper.id) data-item=(item.id) {
                            a href=(paper_path(&item.paper.id)) { (with_math(&item.paper.title)) }
                            span.meta { " · " (short_authors(&item.paper.authors)) " · arXiv:" (item.paper.id) }
                            @if let Some(n) = &item.note { p.note { (n) } }
                            @if let Some(csrf) = owner_csrf {
                                div.item-controls {
                                    form method="post" action={"/collections/" (c.id) "/items/" (item.id) "/edit"} {
                                        (csrf_field(csrf))
                                        label for={"note-" (item.id)} { "Note" }
                                        textarea id={"note-" (item.id)} name="note" maxlength="500" rows="2" {
                                            (item.note.as_deref().unwrap_or(""))
                                        }
                                        button type="submit" { "Save note" }
                                    }
                                    @if i > 0 { (move_button(c, item, i - 1, "Move up", csrf)) }
                                    @if i < last { (move_button(c, item, i + 1, "Move down", csrf)) }
                                    form.inline method="post" action={"/collections/" (c.id) "/items/" (item.id) "/delete"} {
                                        (csrf_field(csrf))
                                        button.link type="submit" { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(csrf) = owner_csrf {
                section.owner aria-labelledby="edit-h" {
                    (import_form(c, csrf))
                    h2 id="edit-h" { "Edit this collection" }
                    form method="post" action={"/collections/" (c.id) "/edit"} {
                        (csrf_field(csrf))
                        input type="hidden" name="next" value=(here);
                        label for="c-title" { "Title" }
                        input type="text" id="c-title" name="title" value=(c.title) maxlength="60" required;
                        label for="c-desc" { "Description" }
                        input type="text" id="c-desc" name="description" value=(c.description.as_deref().unwrap_or("")) maxlength="150";
                        label {
                            input type="checkbox" name="public" value="1" checked[!c.private];
                            " Public: anyone with the link can see it"
                        }
                        button.primary type="submit" { "Save changes" }
                    }
                    form method="post" action={"/collections/" (c.id) "/delete"} {
                        (csrf_field(csrf))
                        label {
                            input type="checkbox" name="confirm" value="1" required;
                            " Delete this collection and its notes"
                        }
                        button type="submit" { "Delete" }
                    }
                }
            }
        }
    }
}

fn move_button(
    c: &Collection,
    item: &CollectionItem,
    to: usize,
    label: &str,
    csrf: &str,
) -> Markup {
    html! {
        form.inline method="post" action={"/collections/" (c.id) "/items/" (item.id) "/edit"} {
            (csrf_field(csrf))
            input type="hidden" name="position" value=(to);
            button.link type="submit" { (label) }
        }
    }
}

fn format_of(raw: &str) -> Result<dp_core::cite::Format, AppError> {
    dp_core::cite::Format::from_extension(raw).ok_or_else(|| {
        AppError::not_found("Export as bib (BibTeX), ris (RIS) or json (CSL-JSON).").page()
    })
}

fn attachment(format: dp_core::cite::Format, name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{}\"", format.extension()),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// Links to a list's exports under `base` (`…/export/bib` and so on).
pub fn export_links(base: &str) -> Markup {
    html! {
        p.links.export {
            "Export: "
            a href={(base) "/export/bib"} download { "BibTeX" }
            a href={(base) "/export/ris"} download { "RIS" }
            a href={(base) "/export/json"} download { "CSL-JSON" }
        }
    }
}

/// `GET /collections/{owner}/{slug}/export/{format}`: the collection as BibTeX, RIS or
/// CSL-JSON, with notes (whoever may see the collection may export it).
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((owner, slug, format)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let format = format_of(&format)?;
    let c = state
        .app
        .collection_by_slug(viewer.user.as_ref(), &owner, &slug)
        .await
        .or_page()?;
    let body = state.app.export_collection(&c, format).await.or_page()?;
    Ok(attachment(format, &c.slug, body))
}

/// `GET /library/export/{format}`: every paper of the reader's collections, and those they
/// upvoted, once each.
pub async fn export_library(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(format): Path<String>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    if format == "signals" {
        // What "For you" learns from, as JSON.
        let signals = state.app.export_signals(user).await.or_page()?;
        let body = serde_json::to_string_pretty(&signals).map_err(AppError::internal)?;
        return Ok((
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}-signals.json\"", user.name),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
            ],
            body,
        )
            .into_response());
    }
    let format = format_of(&format)?;
    let body = state.app.export_library(user, format).await.or_page()?;
    Ok(attachment(format, &format!("{}-library", user.name), body))
}

/// The library page's part on collections: each with its size, and a form for a new one.
pub fn library_section(collections: &[Collection], csrf: &str) -> Markup {
    html! {
        h2 { "Collections" }
        p.meta { "Your whole library (every collection, and the papers you upvoted):" }
        (export_links("/library"))
        p.meta { "What " a href="/papers/for-you" { "For you" } " learns from (liked papers, follows, “not interested”): "
            a href="/library/export/signals" download { "signals as JSON" } }
        @if collections.is_empty() {
            p.empty { "No collections yet. \"Save\" on a paper makes your first one, or create one here." }
        } @else {
            ul.collections {
                @for c in collections {
                    li data-id=(c.id) {
                        a href=(c.path()) { (c.title) }
                        span.meta { " · " (c.items) " papers · " @if c.private { "private" } @else { "public" } }
                    }
                }
            }
        }
        form method="post" action="/collections" {
            (csrf_field(csrf))
            label for="new-title" { "New collection" }
            input type="text" id="new-title" name="title" maxlength="60" required placeholder=(DEFAULT_COLLECTION);
            label for="new-desc" { "Description (optional)" }
            input type="text" id="new-desc" name="description" maxlength="150";
            label { input type="checkbox" name="public" value="1"; " Public" }
            button.primary type="submit" { "Create" }
        }
    }
}

/// What every owner form of a collection checks first: a signed-in reader, the form's CSRF
/// token, and that the collection `raw` names is theirs.
async fn own_form<'v>(
    state: &AppState,
    viewer: &'v Viewer,
    csrf: &str,
    raw: &str,
) -> Result<(&'v dp_core::User, Collection), AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(csrf)?;
    let c = state
        .app
        .owned_collection(user, path_number(raw)?)
        .await
        .or_page()?;
    Ok((user, c))
}

/// Form of a new collection, and of a collection's edit.
#[derive(Deserialize)]
pub struct CollectionForm {
    csrf: String,
    title: Option<String>,
    description: Option<String>,
    /// `1` when the box is ticked (absent otherwise).
    public: Option<String>,
    next: Option<String>,
}

/// `POST /collections`: creates a collection and shows it.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CollectionForm>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&form.csrf)?;
    let c = state
        .app
        .create_collection(
            user,
            form.title.as_deref().unwrap_or(""),
            form.description.as_deref().unwrap_or(""),
            form.public.is_none(),
        )
        .await
        .or_page()?;
    Ok(Redirect::to(&c.path()).into_response())
}

/// `POST /collections/{id}/edit`: title, description and visibility.
pub async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(form): Form<CollectionForm>,
) -> Result<Response, AppError> {
    let (user, c) = own_form(&state, &viewer, &form.csrf, &raw).await?;
    state
        .app
        .edit_collection(
            user,
            &c,
            dp_app::collections::EditRequest {
                title: form.title.as_deref(),
                description: form.description.as_deref(),
                private: Some(form.public.is_none()),
            },
        )
        .await
        .or_page()?;
    Ok(Redirect::to(&safe_next(form.next.as_deref(), &c.path())).into_response())
}

/// Form of a delete button.
#[derive(Deserialize)]
pub struct DeleteForm {
    csrf: String,
}

/// `POST /collections/{id}/delete`: back to the library.
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let (user, c) = own_form(&state, &viewer, &form.csrf, &raw).await?;
    state.app.delete_collection(user, &c).await.or_page()?;
    Ok(Redirect::to("/library").into_response())
}

/// Form of an item's note or move.
#[derive(Deserialize)]
pub struct ItemForm {
    csrf: String,
    note: Option<String>,
    position: Option<String>,
}

/// `POST /collections/{id}/items/{item}/edit`: a note, or a new place.
pub async fn edit_item(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((raw, item)): Path<(String, String)>,
    Form(form): Form<ItemForm>,
) -> Result<Response, AppError> {
    let (user, c) = own_form(&state, &viewer, &form.csrf, &raw).await?;
    let position = match form.position.as_deref() {
        None | Some("") => None,
        Some(p) => Some(
            p.parse::<i64>()
                .map_err(|_| AppError::bad_request("A position is a number.").page())?,
        ),
    };
    state
        .app
        .edit_item(
            user,
            &c,
            path_number(&item)?,
            form.note.as_deref(),
            position,
        )
        .await
        .or_page()?;
    Ok(Redirect::to(&c.path()).into_response())
}

/// `POST /collections/{id}/items/{item}/delete`.
pub async fn delete_item(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((raw, item)): Path<(String, String)>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let (user, c) = own_form(&state, &viewer, &form.csrf, &raw).await?;
    state
        .app
        .remove_item(user, &c, path_number(&item)?)
        .await
        .or_page()?;
    Ok(Redirect::to(&c.path()).into_response())
}

/// The import form of a collection page.
fn import_form(c: &Collection, csrf: &str) -> Markup {
    html! {
        form method="post" action={"/collections/" (c.id) "/import?csrf=" (csrf)} enctype="multipart/form-data" {
            label for="import-file" { "Import a BibTeX or RIS file (a Zotero export, say)" }
            input type="file" id="import-file" name="file" accept=".bib,.ris,.txt,text/plain" required;
            p.meta { "Each entry is matched by arXiv id, then DOI, then exact title. Entries that match no paper here are listed and change nothing." }
            button type="submit" { "Import" }
        }
    }
}

/// `POST /collections/{id}/import` (multipart, field `file`; the CSRF token in the query, as
/// the form is not URL-encoded): matches the file's entries and adds them, then shows what
/// happened.
pub async fn import(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    axum::extract::Query(q): axum::extract::Query<CsrfQuery>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&q.csrf)?;
    let c = state
        .app
        .owned_collection(user, path_number(&raw)?)
        .await
        .or_page()?;
    let bad = |e: axum::extract::multipart::MultipartError| {
        AppError::status(
            e.status(),
            format!("The upload could not be read: {}", e.body_text()),
        )
        .page()
    };
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        if field.name() == Some("file") {
            file = Some(field.bytes().await.map_err(bad)?);
        }
    }
    let file = file.ok_or_else(|| AppError::bad_request("Choose a file to import.").page())?;
    let report = state
        .app
        .import_references(user, &c, &file)
        .await
        .or_page()?;
    let body = html! {
        h1 { "Imported into " a href=(c.path()) { (c.title) } }
        p.notice role="status" {
            (report.entries) " entries read: " (report.added) " papers added, "
            (report.already) " already there; matched by arXiv id " (report.by_id)
            ", by DOI " (report.by_doi) ", by title " (report.by_title) "."
        }
        @if report.unmatched.is_empty() {
            p { "Every entry matched." }
        } @else {
            h2 { (report.unmatched.len()) " entries not imported" }
            p.meta { "Nothing was changed for these." }
            ul.unmatched {
                @for (label, why) in report.unmatched.iter().take(1000) {
                    li { strong { (label) } ": " (why) }
                }
            }
            @if report.unmatched.len() > 1000 { p.meta { "… and " (report.unmatched.len() - 1000) " more." } }
        }
        p { a href=(c.path()) { "Back to the collection" } }
    };
    Ok(frame(Frame::new(state.site_name(), &viewer), "Import", body).into_response())
}

/// The CSRF token of a multipart form, sent in its action's query.
#[derive(Deserialize)]
pub struct CsrfQuery {
    csrf: String,
}
