//! The lists: `/papers` (the latest day with papers), `/papers/date/YYYY-MM-DD`,
//! `/papers/week/YYYY-Www`, `/papers/month/YYYY-MM` and `/papers/trending`.

use crate::auth::Viewer;
use crate::error::OrPage;
use crate::layout::{frame, Frame};
use crate::pages::cached;
use crate::render::with_math;
use crate::views::{is_http, paper_path, short_authors, vote_button};
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{Redirect, Response};
use chrono::NaiveDate;
use dp_app::lists::{DayList, TRENDING_MAX};
use dp_core::ranking::TRENDING_WINDOW_DAYS;
use dp_core::text::excerpt;
use dp_core::{FeedItem, Period};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashSet;

/// `/` sends readers to the daily list.
pub async fn index() -> Redirect {
    Redirect::to("/papers")
}

/// What a card needs to know about its reader.
pub struct CardCtx<'a> {
    /// CSRF token for vote forms; `None` when not signed in.
    pub csrf: Option<&'a str>,
    /// Papers the reader upvoted.
    pub voted: HashSet<String>,
    /// Papers the reader is not interested in: left out of their lists.
    pub not_interested: HashSet<String>,
    /// The reader's collections, for "Save".
    pub collections: Vec<dp_core::Collection>,
    /// For each paper, the reader's collections holding it.
    pub saved: std::collections::HashMap<String, Vec<i64>>,
    /// Where the vote form returns to.
    pub here: &'a str,
    /// Why each paper is where it is, when the list is ordered for the reader (bare id → line).
    pub reasons: std::collections::HashMap<String, String>,
    /// The thumbnails of the papers that have one (bare id).
    pub thumbs: std::collections::HashMap<String, dp_store::Thumb>,
}

impl<'a> CardCtx<'a> {
    /// The card context of `viewer` for `items`.
    pub async fn load(
        state: &AppState,
        viewer: &'a Viewer,
        items: &[FeedItem],
        here: &'a str,
    ) -> Result<CardCtx<'a>, AppError> {
        let ids: Vec<String> = items.iter().map(|i| i.paper.id.to_string()).collect();
        let voted = state
            .app
            .voted(viewer.user.as_ref(), &ids)
            .await
            .or_page()?
            .into_iter()
            .collect();
        let not_interested = state
            .app
            .not_interested_among(viewer.user.as_ref(), &ids)
            .await
            .or_page()?
            .into_iter()
            .collect();
        let thumbs = state.app.thumbnails(&ids).await.or_page()?;
        let (collections, saved) = match viewer.user.as_ref() {
            Some(u) => (
                state.app.my_collections(u).await.or_page()?,
                state.app.saved_among(Some(u), &ids).await.or_page()?,
            ),
            None => Default::default(),
        };
        Ok(CardCtx {
            csrf: viewer.user.as_ref().map(|_| viewer.csrf.as_str()),
            voted,
            not_interested,
            collections,
            saved,
            here,
            reasons: Default::default(),
            thumbs,
        })
    }
}

/// How a list is ordered: `?order=for-you` ranks it for the signed-in reader.
#[derive(Deserialize, Default)]
pub struct OrderQuery {
    order: Option<String>,
}

impl OrderQuery {
    /// Whether the reader asked for their own order (anything else: by upvotes).
    fn for_you(&self) -> bool {
        self.order.as_deref() == Some("for-you")
    }
}

/// A reader who is not signed in has no order of their own: the login page, then back here.
pub(crate) fn login_for_order(viewer: &Viewer, uri: &Uri) -> Option<Response> {
    use axum::response::IntoResponse;
    viewer.user.is_none().then(|| {
        let next = uri
            .path_and_query()
            .map_or_else(|| uri.path().to_string(), |p| p.to_string());
        let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
        Redirect::to(&format!("/login?next={next}")).into_response()
    })
}

/// Orders `items` for the signed-in reader, with the reason of each in `ctx`.
async fn order_for_reader(
    state: &AppState,
    viewer: &Viewer,
    items: Vec<FeedItem>,
    ctx: &mut CardCtx<'_>,
) -> Result<Vec<FeedItem>, AppError> {
    let Some(user) = viewer.user.as_ref() else {
        return Ok(items);
    };
    let papers: Vec<dp_core::Paper> = items.iter().map(|i| i.paper.clone()).collect();
    let order = state
        .app
        .order_for(user, &papers, papers.len())
        .await
        .or_page()?;
    let mut slots: Vec<Option<FeedItem>> = items.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(slots.len());
    for (i, why) in order {
        if let Some(item) = slots.get_mut(i).and_then(Option::take) {
            if let Some(why) = why {
                ctx.reasons.insert(item.paper.id.base().to_string(), why);
            }
            out.push(item);
        }
    }
    Ok(out)
}

/// The "By upvotes · For you" switch of a list at `path`.
fn order_switch(path: &str, for_you: bool) -> Markup {
    html! {
        nav.order aria-label="Order" {
            "Order: "
            @if for_you { a href=(path) { "by upvotes" } } @else { strong aria-current="true" { "by upvotes" } }
            " · "
            @if for_you { strong aria-current="true" { "for you" } } @else { a href={(path) "?order=for-you"} rel="nofollow" { "for you" } }
        }
    }
}

/// `/papers`: the latest day that has papers; while there is none, what the harvest is doing.
pub async fn latest(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
    Query(order): Query<OrderQuery>,
) -> Result<Response, AppError> {
    if order.for_you() {
        if let Some(r) = login_for_order(&viewer, &uri) {
            return Ok(r);
        }
    }
    use std::sync::atomic::Ordering;
    let path = uri.path().to_string();
    let has_lists = state.has_lists.load(Ordering::Relaxed)
        || state.app.latest_day().await.or_page()?.is_some();
    match has_lists {
        true => {
            state.has_lists.store(true, Ordering::Relaxed);
            cached(&state, &viewer, path.clone(), || async {
                match state.app.latest_day().await.or_page()? {
                    Some(day) => day_page(&state, &viewer, day, &path, order.for_you()).await,
                    None => Err(AppError::not_found("There are no lists yet.").page()),
                }
            })
            .await
        }
        // Not cached: it changes with every page the harvest fetches.
        false => filling(&state, &viewer).await,
    }
}

/// The home page of a store with no list yet: each harvest source's progress, or failure and
/// next retry, and how to import files instead. Reloads itself while a harvest runs or waits.
async fn filling(state: &AppState, viewer: &Viewer) -> Result<Response, AppError> {
    use axum::response::IntoResponse;
    let sources = state.app.harvest_progress().await.or_page()?;
    let busy = sources
        .iter()
        .any(|s| matches!(s.state.as_str(), "running" | "waiting" | "failed" | "idle"));
    let time = |t: &chrono::DateTime<chrono::Utc>| t.format("%H:%M:%S UTC").to_string();
    let body = html! {
        h1 { "Daily Papers" }
        @if sources.is_empty() {
            p.empty { "No papers yet, and no harvest is scheduled. Import some with " code { "dailypapers import" } ", run " code { "dailypapers harvest" } ", or " a href="/submit" { "submit one" } "." }
        } @else {
            section.filling aria-live="polite" {
                p { "This server is fetching its first papers. The list appears as soon as the first day is in"
                    @if busy { "; this page refreshes itself" } "." }
                ul.sources {
                    @for s in &sources {
                        li data-state=(s.state) {
                            strong { (s.label) } ": "
                            @match s.state.as_str() {
                                "running" => {
                                    "fetching"
                                    @if let Some(at) = &s.at { " " (at) }
                                    ", " (s.records) " records so far."
                                }
                                "waiting" => {
                                    "waiting to start"
                                    @if let Some(t) = &s.retry_at { " (at " (time(t)) ")" }
                                    "."
                                }
                                "failed" => {
                                    "failed: " span.error { (s.error.as_deref().unwrap_or("unknown error")) } ". "
                                    @match &s.retry_at {
                                        Some(t) => { "Retrying at " (time(t)) "." }
                                        None => { "It runs again at its next scheduled time." }
                                    }
                                }
                                "done" => { "done, " (s.records) " records." }
                                "off" => { "not scheduled; an admin can run it from " a href="/admin/jobs" { "/admin/jobs" } ", or run " code { "dailypapers harvest" } "." }
                                _ => { "starting." }
                            }
                        }
                    }
                }
                p.meta { "No network, or rather start from files? Stop the server and run "
                    code { "dailypapers import PATH" } " with Hugging Face daily-papers JSON, arXiv OAI-PMH or Atom responses, or a Kaggle arXiv snapshot; "
                    code { "dailypapers harvest --help" } " fetches by hand." }
            }
        }
    };
    let mut f = Frame::new(state.site_name(), viewer);
    if busy {
        f = f.refreshing(5);
    }
    let mut r = frame(f, "Daily Papers", body).into_response();
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

/// Query of the date picker.
#[derive(Deserialize)]
pub struct Go {
    date: Option<String>,
}

/// `/papers/go?date=YYYY-MM-DD`: the date picker's target.
pub async fn go(Query(q): Query<Go>) -> Result<Redirect, AppError> {
    let day = dp_core::parse_day(q.date.as_deref().unwrap_or(""))
        .map_err(|e| AppError::bad_request(e.to_string()).page())?;
    Ok(Redirect::to(&format!("/papers/date/{day}")))
}

/// `/papers/date/{day}`.
pub async fn by_day(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(day): Path<String>,
    uri: Uri,
    Query(order): Query<OrderQuery>,
) -> Result<Response, AppError> {
    let day = dp_core::parse_day(&day).map_err(|e| AppError::bad_request(e.to_string()).page())?;
    if order.for_you() {
        if let Some(r) = login_for_order(&viewer, &uri) {
            return Ok(r);
        }
    }
    let path = uri.path();
    cached(&state, &viewer, path.to_string(), || {
        day_page(&state, &viewer, day, path, order.for_you())
    })
    .await
}

async fn day_page(
    state: &AppState,
    viewer: &Viewer,
    day: NaiveDate,
    path: &str,
    for_you: bool,
) -> Result<Markup, AppError> {
    {
        let DayList {
            items, prev, next, ..
        } = state.app.day_list(day).await.or_page()?;
        let mut ctx = CardCtx::load(state, viewer, &items, path).await?;
        let items = if for_you {
            order_for_reader(state, viewer, items, &mut ctx).await?
        } else {
            items
        };
        let heading = day.format("%A, %B %-d, %Y").to_string();
        let body = html! {
            div.daynav {
                @if let Some(p) = prev { a rel="prev" href={"/papers/date/" (p)} { "← " (p) } } @else { span {} }
                h1 { time datetime=(day) { (heading) } }
                @if let Some(n) = next { a rel="next" href={"/papers/date/" (n)} { (n) " →" } } @else { span {} }
            }
            (picker(day))
            (order_switch(path, for_you))
            (list(&items, &ctx, "No papers on this day.", None))
        };
        // The latest list's page points at the feed of the latest list; a dated page at its day's.
        let feed = if path == "/papers" {
            "/papers/feed".to_string()
        } else {
            format!("/papers/date/{day}/feed")
        };
        Ok(frame(
            Frame::new(state.site_name(), viewer).with_feed(&feed, ""),
            &format!("Daily Papers · {heading}"),
            body,
        ))
    }
}

fn picker(day: NaiveDate) -> Markup {
    html! {
        form.picker method="get" action="/papers/go" {
            label for="date" { "Go to day" }
            input type="date" id="date" name="date" value=(day) required;
            button type="submit" { "Go" }
            a href=(Period::week_of(day).path()) { "This week" }
            a href=(Period::month_of(day).path()) { "This month" }
        }
    }
}

/// `/papers/week/{YYYY-Www | current}`.
pub async fn by_week(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(week): Path<String>,
    uri: Uri,
    Query(order): Query<OrderQuery>,
) -> Result<Response, AppError> {
    if order.for_you() {
        if let Some(r) = login_for_order(&viewer, &uri) {
            return Ok(r);
        }
    }
    let period = if week == "current" {
        Period::week_of(current_day(&state).await?)
    } else {
        Period::parse_week(&week).map_err(|e| AppError::bad_request(e.to_string()).page())?
    };
    render_period(&state, &viewer, period, uri.path(), order.for_you()).await
}

/// `/papers/month/{YYYY-MM | current}`.
pub async fn by_month(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(month): Path<String>,
    uri: Uri,
    Query(order): Query<OrderQuery>,
) -> Result<Response, AppError> {
    if order.for_you() {
        if let Some(r) = login_for_order(&viewer, &uri) {
            return Ok(r);
        }
    }
    let period = if month == "current" {
        Period::month_of(current_day(&state).await?)
    } else {
        Period::parse_month(&month).map_err(|e| AppError::bad_request(e.to_string()).page())?
    };
    render_period(&state, &viewer, period, uri.path(), order.for_you()).await
}

/// The latest day with papers, or today.
async fn current_day(state: &AppState) -> Result<NaiveDate, AppError> {
    state.app.current_day().await.or_page()
}

async fn render_period(
    state: &AppState,
    viewer: &Viewer,
    period: Period,
    path: &str,
    for_you: bool,
) -> Result<Response, AppError> {
    cached(state, viewer, path.to_string(), || async move {
        let (from, to) = period.days();
        let items = state.app.period_list(period).await.or_page()?;
        let mut ctx = CardCtx::load(state, viewer, &items, path).await?;
        let items = if for_you {
            order_for_reader(state, viewer, items, &mut ctx).await?
        } else {
            items
        };
        let label = period.label();
        let body = html! {
            div.daynav {
                a rel="prev" href=(period.prev().path()) { "← " (period.prev()) }
                h1 { (label) }
                a rel="next" href=(period.next().path()) { (period.next()) " →" }
            }
            p.meta { "Papers added from " (from) " to " (to) ", ranked "
                @if for_you { "for you." } @else { "by upvotes." } }
            (order_switch(path, for_you))
            (list(&items, &ctx, "No papers in this period.", None))
        };
        let feed = format!("{}/feed", period.path());
        Ok(frame(
            Frame::new(state.site_name(), viewer).with_feed(&feed, ""),
            &label,
            body,
        ))
    })
    .await
}

/// `/papers/trending`.
pub async fn trending(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
) -> Result<Response, AppError> {
    let path = uri.path().to_string();
    cached(&state, &viewer, path.clone(), || async {
        let ranked = state
            .app
            .trending()
            .await
            .or_page()?;
        let scores: Vec<(f64, f64)> = ranked.iter().map(|t| (t.score, t.age_hours)).collect();
        let items: Vec<FeedItem> = ranked.into_iter().map(|t| t.item).collect();
        let ctx = CardCtx::load(&state, &viewer, &items, &path).await?;
        let body = html! {
            h1 { "Trending papers" }
            p.meta {
                "The top " (TRENDING_MAX) " papers of the last " (TRENDING_WINDOW_DAYS) " days, ranked by upvotes (plus log₂(1 + GitHub stars)) divided by (age in hours + 2)^1.5. "
                a href="/about#trending" { "Why this order?" }
            }
            (list(&items, &ctx, "Nothing trending yet.", Some(&scores)))
        };
        Ok(frame(
            Frame::new(state.site_name(), &viewer).with_feed("/papers/trending/feed", ""),
            "Trending papers",
            body,
        ))
    })
    .await
}

/// A ranked list of cards.
pub fn list(
    items: &[FeedItem],
    ctx: &CardCtx<'_>,
    empty: &str,
    scores: Option<&[(f64, f64)]>,
) -> Markup {
    let hidden = items
        .iter()
        .filter(|i| ctx.not_interested.contains(i.paper.id.base()))
        .count();
    html! {
        @if items.is_empty() {
            p.empty { (empty) }
        } @else {
            p.meta {
                (items.len() - hidden) " papers"
                @if hidden > 0 { " (" (hidden) " you are not interested in left out; " a href="/library" { "your library" } ")" }
            }
            ol.papers {
                @for (i, item) in items.iter().enumerate() {
                    @if !ctx.not_interested.contains(item.paper.id.base()) {
                        (card(i + 1, item, ctx, scores.and_then(|s| s.get(i).copied())))
                    }
                }
            }
        }
        form.picker method="get" action="/subscribe" {
            label for="sub-inline" { "Get the top papers by e-mail" }
            input type="email" id="sub-inline" name="email" placeholder="you@example.org" maxlength="254";
            button type="submit" { "Subscribe" }
        }
    }
}

/// The form that marks a paper as not interesting to the reader (`on`), or undoes that.
pub fn not_interested_button(id: &dp_core::ArxivId, csrf: &str, here: &str, on: bool) -> Markup {
    html! {
        form.inline method="post" action={(paper_path(id)) "/not-interested"} {
            (crate::layout::csrf_field(csrf))
            input type="hidden" name="on" value=(if on { "1" } else { "0" });
            input type="hidden" name="next" value=(here);
            button.link type="submit" { @if on { "Not interested" } @else { "Undo: show it again" } }
        }
    }
}

fn card(rank: usize, item: &FeedItem, ctx: &CardCtx<'_>, score: Option<(f64, f64)>) -> Markup {
    let p = &item.paper;
    let e = &item.entry;
    let links = dp_core::Links::of(p, Some(e));
    let path = paper_path(&p.id);
    let voted = ctx.voted.contains(p.id.base());
    html! {
        li.card id={"paper-" (p.id)} data-rank=(rank) data-id=(p.id) {
            (vote_button(&p.id, item.upvotes(), voted, ctx.csrf, ctx.here))
            div {
                h2 { a href=(path) { (with_math(&p.title)) } }
                p.meta {
                    (short_authors(&p.authors))
                    @if let Some(by) = &e.submitted_by { " · submitted by " (by) }
                    " · " a href={(path) "#comments"} { (item.comments()) " comments" }
                    @if let Some((s, age)) = score { " · score " (format!("{s:.3}")) " at " (format!("{age:.0}")) " h" }
                }
                @if let Some(why) = ctx.reasons.get(p.id.base()) { p.reason.meta { (why) } }
                p.abstract { (with_math(&excerpt(&p.abstract_text, 280))) }
                p.links {
                    a href=(p.abs_url()) { "arXiv " (p.id) }
                    a href=(p.pdf_url()) { "PDF" }
                    @if let Some(g) = links.github_repo { @if is_http(g) {
                        a href=(g) rel="noopener" { "Code" @if let Some(n) = links.github_stars { " ★ " (n) } }
                    } }
                    @if let Some(pp) = links.project_page { @if is_http(pp) { a href=(pp) rel="noopener" { "Project page" } } }
                    @if let Some(token) = ctx.csrf {
                        (not_interested_button(&p.id, token, ctx.here, true))
                    }
                }
                @if let Some(token) = ctx.csrf {
                    (super::collections::save_control(
                        &p.id,
                        &ctx.collections,
                        ctx.saved.get(p.id.base()).map_or(&[][..], Vec::as_slice),
                        token,
                        ctx.here,
                    ))
                }
            }
            @match ctx.thumbs.get(p.id.base()) {
                Some(t) => {
                    @let (w, h) = super::thumbnails::shown_size(t, 160);
                    a.thumb href=(path) tabindex="-1" aria-hidden="true" {
                        img src=(super::thumbnails::path(t)) width=(w) height=(h) loading="lazy" decoding="async" alt="";
                    }
                }
                None => { span.thumb.placeholder aria-hidden="true" {} }
            }
        }
    }
}
