//! "For you": `/papers/for-you` (recent papers ranked for the signed-in reader, each with the
//! reason that weighs most; until they have given a few signals, what to do and the trending
//! list meanwhile), the cold-start picks, the reset, and `/papers/new` (every paper arXiv
//! published on a day, by time or ranked for the reader).

use crate::auth::Viewer;
use crate::error::OrPage;
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::render::with_math;
use crate::views::{paper_path, short_authors};
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use dp_app::foryou::COLD_START_SIGNALS;
use dp_core::text::excerpt;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;

/// Papers shown.
const SHOWN: usize = 50;
/// Papers `/papers/new` shows per page.
const NEW_SHOWN: usize = 200;
/// Categories offered at the cold start.
const PICKS: &[(&str, &str)] = &[
    ("cs.CL", "Computation and language (NLP)"),
    ("cs.CV", "Computer vision"),
    ("cs.LG", "Machine learning"),
    ("cs.AI", "Artificial intelligence"),
    ("cs.RO", "Robotics"),
    ("cs.IR", "Information retrieval"),
    ("cs.SD", "Sound and speech"),
    ("cs.CR", "Security and cryptography"),
    ("cs.HC", "Human-computer interaction"),
    ("cs.SE", "Software engineering"),
    ("stat.ML", "Statistical machine learning"),
];
/// Authors one cold-start form may follow at most.
const MAX_PICKED_AUTHORS: usize = 20;

/// `GET /papers/for-you`.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let f = Frame::new(state.site_name(), &viewer);
    let Some(user) = viewer.user.as_ref() else {
        let body = html! {
            h1 { "For you" }
            p { a href="/login?next=/papers/for-you" { "Log in" } " or " a href="/signup" { "sign up" }
                " to get the newest papers ranked by what you upvote, save and follow." }
        };
        return Ok(frame(f, "For you", body).into_response());
    };
    let fy = state.app.for_you(user, SHOWN).await.or_page()?;
    let trending = if fy.cold {
        state.app.trending().await.or_page()?
    } else {
        Vec::new()
    };
    let body = html! {
        h1 { "For you" }
        p.meta { "Recent papers ranked by what you upvote, save, submit and follow. Every arXiv paper of a day, ranked for you: "
            a href="/papers/new?order=for-you" { "New on arXiv" } ". Any list can be ordered for you too." }
        @if fy.cold {
            div.notice.cold-start role="status" {
                p { strong { "Tell this site what you like." }
                    " Your ranking learns from " (fy.signals) " signal" @if fy.signals != 1 { "s" }
                    " so far; about " (COLD_START_SIGNALS) " make it useful:" }
                ul {
                    li { "pick a few topics or authors below;" }
                    li { "save or upvote papers you like;" }
                    li { "or import your reference manager's BibTeX or RIS file into a collection from " a href="/library" { "your library" } "." }
                }
                p { "Meanwhile, here is what is trending, because your own ranking has too little to go on." }
            }
            (picks(&viewer.csrf))
            ol.papers.trending-fallback {
                @for t in trending.iter().take(20) {
                    li data-id=(t.item.paper.id) {
                        a href=(paper_path(&t.item.paper.id)) { (with_math(&t.item.paper.title)) }
                        span.meta { " · " (short_authors(&t.item.paper.authors)) }
                    }
                }
            }
            @if !fy.items.is_empty() { h2 { "Ranked for you so far" } }
        }
        ol.papers.for-you {
            @for (p, s) in &fy.items {
                li data-id=(p.id) {
                    a href=(paper_path(&p.id)) { (with_math(&p.title)) }
                    span.meta { " · " (short_authors(&p.authors))
                        @if let Some(t) = p.published { " · " (t.format("%Y-%m-%d")) } }
                    @if let Some(r) = &s.reason { p.reason.meta { (r.line()) } }
                    p.abstract { (with_math(&excerpt(&p.abstract_text, 240))) }
                }
            }
        }
        (reset_form(&viewer.csrf))
    };
    Ok(frame(f, "For you", body).into_response())
}

/// The cold-start form: topics to tick and authors to name.
fn picks(csrf: &str) -> Markup {
    html! {
        form.picks method="post" action="/papers/for-you/start" {
            (csrf_field(csrf))
            fieldset {
                legend { "Topics" }
                @for (c, label) in PICKS {
                    label.pick { input type="checkbox" name={"category:" (c)} value="1"; " " (label) " (" (c) ")" }
                }
            }
            label for="pick-authors" { "Authors you read (one per line or separated by semicolons)" }
            textarea id="pick-authors" name="authors" rows="3" maxlength="2000" {}
            button.primary type="submit" { "Follow these" }
        }
    }
}

/// The reset form.
fn reset_form(csrf: &str) -> Markup {
    html! {
        details.reset {
            summary { "Reset “For you”" }
            form method="post" action="/papers/for-you/reset" {
                (csrf_field(csrf))
                p { "This deletes what your ranking learns from: your follows, your “not interested” marks, and your upvotes (they leave the community counts). Export your library first if you want to keep a copy." }
                label { input type="checkbox" name="collections" value="1"; " Delete my collections too" }
                label { input type="checkbox" name="confirm" value="1" required; " I understand this cannot be undone" }
                button.danger type="submit" { "Reset" }
            }
        }
    }
}

/// `POST /papers/for-you/start`: follows the ticked topics and named authors.
pub async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(form.get("csrf").map_or("", String::as_str))?;
    let categories: Vec<&str> = PICKS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| form.contains_key(&format!("category:{c}")))
        .collect();
    let authors: Vec<&str> = form
        .get("authors")
        .map_or("", String::as_str)
        .split(['\n', ';'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    if authors.len() > MAX_PICKED_AUTHORS {
        return Err(AppError::bad_request(format!(
            "Name at most {MAX_PICKED_AUTHORS} authors at once."
        ))
        .page());
    }
    if categories.is_empty() && authors.is_empty() {
        return Err(AppError::bad_request("Tick a topic or name an author.").page());
    }
    for c in categories {
        state.app.follow(user, "category", c).await.or_page()?;
    }
    for a in authors {
        state.app.follow(user, "author", a).await.or_page()?;
    }
    Ok(Redirect::to("/papers/for-you").into_response())
}

/// The reset form's fields.
#[derive(Deserialize)]
pub struct ResetForm {
    csrf: String,
    confirm: Option<String>,
    collections: Option<String>,
}

/// `POST /papers/for-you/reset`.
pub async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    let user = viewer.require()?;
    viewer.check_csrf(&form.csrf)?;
    if form.confirm.is_none() {
        return Err(AppError::bad_request("Tick the box to confirm the reset.").page());
    }
    let done = state
        .app
        .reset_for_you(user, form.collections.is_some())
        .await
        .or_page()?;
    let body = html! {
        h1 { "“For you” is reset" }
        p.notice role="status" {
            "Deleted: " (done.follows) " follows, " (done.not_interested) " “not interested” marks, "
            (done.upvotes) " upvotes"
            @if form.collections.is_some() { ", " (done.collections) " collections" }
            "."
        }
        p { a href="/papers/for-you" { "Start again" } }
    };
    Ok(frame(Frame::new(state.site_name(), &viewer), "For you", body).into_response())
}

/// Query of `/papers/new`.
#[derive(Deserialize, Default)]
pub struct NewQuery {
    date: Option<String>,
    category: Option<String>,
    order: Option<String>,
}

/// `GET /papers/new`: every stored paper arXiv first published on a day (the newest by
/// default), in one category if asked, newest first or ranked for the reader.
pub async fn new_papers(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    let for_you = q.order.as_deref() == Some("for-you");
    if for_you {
        if let Some(r) = super::daily::login_for_order(&viewer, &uri) {
            return Ok(r);
        }
    }
    let category = match q.category.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => Some(
            dp_core::Category::parse(c)
                .map_err(|e| AppError::bad_request(format!("category: {e}")).page())?,
        ),
    };
    let day = match q.date.as_deref() {
        Some(d) if !d.is_empty() => {
            Some(dp_core::parse_day(d).map_err(|e| AppError::bad_request(e.to_string()).page())?)
        }
        _ => state.app.newest_arxiv_day().await.or_page()?,
    };
    let f = Frame::new(state.site_name(), &viewer);
    let Some(day) = day else {
        let body = html! { h1 { "New on arXiv" } p.empty { "No arXiv papers are stored yet." } };
        return Ok(frame(f, "New on arXiv", body).into_response());
    };
    let papers = state
        .app
        .new_papers(day, category.as_ref())
        .await
        .or_page()?;
    let total = papers.len();
    let mut reasons: HashMap<usize, String> = HashMap::new();
    let order: Vec<usize> = match viewer.user.as_ref() {
        Some(user) if for_you => {
            let ranked = state
                .app
                .order_for(user, &papers, NEW_SHOWN)
                .await
                .or_page()?;
            ranked
                .into_iter()
                .map(|(i, why)| {
                    if let Some(w) = why {
                        reasons.insert(i, w);
                    }
                    i
                })
                .collect()
        }
        _ => (0..papers.len()).collect(),
    };
    let cat = category.as_ref().map(|c| c.to_string()).unwrap_or_default();
    let link = |d: chrono::NaiveDate, for_you: bool| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("date", &d.to_string());
        if !cat.is_empty() {
            s.append_pair("category", &cat);
        }
        if for_you {
            s.append_pair("order", "for-you");
        }
        format!("/papers/new?{}", s.finish())
    };
    let body = html! {
        div.daynav {
            @if let Some(p) = day.pred_opt() { a rel="prev" href=(link(p, for_you)) { "← " (p) } } @else { span {} }
            h1 { "New on arXiv · " time datetime=(day) { (day.format("%A, %B %-d, %Y")) } }
            @if let Some(n) = day.succ_opt() { a rel="next" href=(link(n, for_you)) { (n) " →" } } @else { span {} }
        }
        form.picker method="get" action="/papers/new" {
            label for="new-date" { "Day" }
            input type="date" id="new-date" name="date" value=(day);
            label for="new-cat" { "Category" }
            input type="text" id="new-cat" name="category" value=(cat) placeholder="cs.CL, or cs" maxlength="40";
            @if for_you { input type="hidden" name="order" value="for-you"; }
            button type="submit" { "Show" }
        }
        nav.order aria-label="Order" {
            "Order: "
            @if for_you { a href=(link(day, false)) { "newest first" } } @else { strong aria-current="true" { "newest first" } }
            " · "
            @if for_you { strong aria-current="true" { "for you" } } @else { a href=(link(day, true)) rel="nofollow" { "for you" } }
        }
        p.meta { (total) " papers arXiv first published that day"
            @if !cat.is_empty() { " in " (cat) }
            @if total > NEW_SHOWN { "; the first " (NEW_SHOWN) " are shown" } "." }
        @if papers.is_empty() {
            p.empty { "No papers on this day." }
        } @else {
            ol.papers.new-papers {
                @for &i in order.iter().take(NEW_SHOWN) {
                    @let p = &papers[i];
                    li data-id=(p.id) {
                        a href=(paper_path(&p.id)) { (with_math(&p.title)) }
                        span.meta { " · " (short_authors(&p.authors)) " · " (p.categories.join(" ")) }
                        @if let Some(w) = reasons.get(&i) { p.reason.meta { (w) } }
                        p.abstract { (with_math(&excerpt(&p.abstract_text, 240))) }
                    }
                }
            }
        }
    };
    Ok(frame(f, "New on arXiv", body).into_response())
}
