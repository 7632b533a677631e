//! The page frame, the stylesheet, the page script and the error page.

use crate::auth::Viewer;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use dp_core::User;
use maud::{html, Markup, DOCTYPE};

/// Who a page is rendered for: the header shows their account and a sign-out form.
#[derive(Clone, Copy, Default)]
pub struct Frame<'a> {
    /// The site's name.
    pub site: &'a str,
    /// The signed-in account.
    pub user: Option<&'a User>,
    /// CSRF token for the sign-out form.
    pub csrf: &'a str,
    /// The page's feeds, for autodiscovery: `{base}.rss{query}` and `{base}.atom{query}`.
    pub feed: Option<FeedLinks<'a>>,
    /// Seconds after which the page reloads itself (a page showing work in progress).
    pub refresh: Option<u32>,
    /// More of the page's `<head>` (a paper's citation metadata).
    pub head: Option<&'a Markup>,
}

/// Where a page's feeds are.
#[derive(Clone, Copy, Default)]
pub struct FeedLinks<'a> {
    /// Path without the extension, e.g. `/papers/feed`.
    pub base: &'a str,
    /// Query string with its `?`, or empty.
    pub query: &'a str,
}

impl<'a> Frame<'a> {
    /// A frame for `viewer` on the site `site`.
    pub fn new(site: &'a str, viewer: &'a Viewer) -> Frame<'a> {
        Frame {
            site,
            user: viewer.user.as_ref(),
            csrf: &viewer.csrf,
            feed: None,
            refresh: None,
            head: None,
        }
    }

    /// The same frame, with more tags in the page's `<head>`.
    pub fn with_head(mut self, head: &'a Markup) -> Frame<'a> {
        self.head = Some(head);
        self
    }

    /// The same frame, reloading itself every `secs` seconds.
    pub fn refreshing(mut self, secs: u32) -> Frame<'a> {
        self.refresh = Some(secs);
        self
    }

    /// The same frame, pointing at the page's feeds.
    pub fn with_feed(mut self, base: &'a str, query: &'a str) -> Frame<'a> {
        self.feed = Some(FeedLinks { base, query });
        self
    }

    /// A frame for a reader who is not signed in (cacheable pages).
    pub fn anonymous(site: &'a str) -> Frame<'a> {
        Frame {
            site,
            ..Frame::default()
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A whole page of the site, answered with `status`.
pub fn page_with_status(
    state: &crate::AppState,
    viewer: &crate::auth::Viewer,
    title: &str,
    body: Markup,
    status: axum::http::StatusCode,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let f = Frame::new(state.site_name(), viewer);
    (status, frame(f, title, body)).into_response()
}

/// Wraps page content in the site's frame.
pub fn frame(f: Frame<'_>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · " (f.site) }
                @if let Some(secs) = f.refresh {
                    meta http-equiv="refresh" content=(secs);
                }
                link rel="stylesheet" href="/static/style.css";
                @if let Some(head) = f.head { (head) }
                @if let Some(feed) = f.feed {
                    link rel="alternate" type="application/rss+xml" title={(title) " (RSS)"} href={(feed.base) ".rss" (feed.query)};
                    link rel="alternate" type="application/atom+xml" title={(title) " (Atom)"} href={(feed.base) ".atom" (feed.query)};
                }
                script src="/static/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    a.brand href="/papers" { (f.site) }
                    nav aria-label="Lists" {
                        a href="/papers" { "Daily" }
                        a href="/papers/trending" { "Trending" }
                        a href="/papers/week/current" { "Weekly" }
                        a href="/papers/month/current" { "Monthly" }
                        a href="/papers/new" { "New on arXiv" }
                        a href="/submit" { "Submit" }
                        a href="/search" { "Search" }
                    }
                    nav.account aria-label="Account" {
                        @if let Some(u) = f.user {
                            a href={"/users/" (u.name)} { (u.name) }
                            a href="/papers/for-you" { "For you" }
                            a href="/following" { "Following" }
                            a href="/library" { "Library" }
                            a href="/settings" { "Settings" }
                            @if u.is_admin { a href="/admin" { "Admin" } }
                            form.inline method="post" action="/logout" {
                                (csrf_field(f.csrf))
                                button.link type="submit" { "Log out" }
                            }
                        } @else {
                            a href="/login" { "Log in" }
                            a href="/signup" { "Sign up" }
                        }
                    }
                }
                main id="main" { (body) }
                footer.site {
                    span { "dailypapers · self-hosted Daily Papers" }
                    a href="/about" { "How ranking works" }
                    a href="/api" { "API" }
                    a href="/papers/feed.rss" { "RSS" }
                }
            }
        }
    }
}

/// Wraps page content in the frame of a reader who is not signed in.
pub fn page(site: &str, title: &str, body: Markup) -> Markup {
    frame(Frame::anonymous(site), title, body)
}

/// A real page for an error, never a stack trace.
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let reason = status.canonical_reason().unwrap_or("Error");
    page(
        "Daily Papers",
        reason,
        html! {
            h1 { (status.as_u16()) " " (reason) }
            p.error role="alert" { (message) }
            @if status == StatusCode::UNAUTHORIZED {
                p { a href="/login" { "Log in" } " or " a href="/signup" { "sign up" } "." }
            }
            p { a href="/papers" { "Back to today's papers" } }
        },
    )
}

const CSS: &str = r#"
:root { --fg:#1b1f24; --muted:#5b6470; --bg:#fff; --card:#f6f7f9; --accent:#c2410c; --accent-fg:#fff; --border:#d9dde2; --ok:#166534; --bad:#b91c1c; }
@media (prefers-color-scheme: dark) { :root { --fg:#e6e8eb; --muted:#a3acb6; --bg:#111418; --card:#1a1f25; --accent:#fb923c; --accent-fg:#111; --border:#2f3640; --ok:#4ade80; --bad:#f87171; } }
* { box-sizing: border-box; }
body { margin:0; font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
a { color:inherit; } a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible { outline:2px solid var(--accent); outline-offset:2px; }
.skip { position:absolute; left:-999px; } .skip:focus { left:1rem; top:.5rem; background:var(--bg); padding:.25rem .5rem; }
header.site, footer.site { display:flex; gap:1rem; align-items:center; padding:.75rem 1rem; border-bottom:1px solid var(--border); flex-wrap:wrap; }
header.site nav { display:flex; gap:.75rem; flex-wrap:wrap; } header.site nav.account { margin-left:auto; align-items:center; }
footer.site { border-top:1px solid var(--border); border-bottom:0; color:var(--muted); font-size:.85rem; margin-top:2rem; }
.brand { font-weight:700; text-decoration:none; }
main { max-width:62rem; margin:0 auto; padding:1rem; }
.daynav { display:flex; justify-content:space-between; align-items:center; gap:1rem; flex-wrap:wrap; }
.daynav h1 { margin:.25rem 0; font-size:1.5rem; }
nav.pager { display:flex; gap:1rem; margin:1rem 0; }
.picker { display:flex; gap:.5rem; align-items:center; flex-wrap:wrap; margin:.5rem 0; }
ol.papers { list-style:none; padding:0; margin:1rem 0; display:grid; gap:.75rem; }
.card { background:var(--card); border:1px solid var(--border); border-radius:.5rem; padding:.75rem 1rem; display:grid; grid-template-columns:4rem 1fr 160px; gap:.75rem; }
.thumb img, .thumb.placeholder { display:block; width:160px; height:auto; border-radius:.35rem; border:1px solid var(--border); background:var(--bg); }
.thumb.placeholder { aspect-ratio:16/9; } .paper-thumb img { max-width:100%; height:auto; border-radius:.35rem; border:1px solid var(--border); }
.votes { text-align:center; font-weight:700; font-size:1.1rem; } .votes small { display:block; font-weight:400; color:var(--muted); font-size:.75rem; }
.vote { display:inline-flex; flex-direction:column; align-items:center; border:1px solid var(--border); background:var(--bg); color:var(--fg); border-radius:.5rem; padding:.25rem .6rem; font:inherit; font-weight:700; cursor:pointer; text-decoration:none; min-width:3.2rem; }
.vote[aria-pressed="true"] { background:var(--accent); color:var(--accent-fg); border-color:var(--accent); }
.card h2 { font-size:1.05rem; margin:0 0 .25rem; }
.card h2 a { text-decoration:none; } .card h2 a:hover { text-decoration:underline; }
.meta, .links { color:var(--muted); font-size:.875rem; } .links a { margin-right:.75rem; }
.abstract { margin:.35rem 0; font-size:.925rem; overflow-wrap:anywhere; }
.empty, .error { color:var(--muted); } .error { color:var(--bad); } .notice { border-left:4px solid var(--ok); padding:.5rem .75rem; background:var(--card); }
form.inline { display:inline; } button.link { background:none; border:0; padding:0; color:inherit; text-decoration:underline; cursor:pointer; font:inherit; }
label { display:block; margin:.5rem 0 .25rem; font-weight:600; }
input[type=text], input[type=password], input[type=date], input[type=search], textarea, select { width:100%; max-width:36rem; padding:.45rem .5rem; border:1px solid var(--border); border-radius:.35rem; background:var(--bg); color:var(--fg); font:inherit; }
input[type=date] { width:auto; }
textarea { min-height:6rem; }
button.primary { background:var(--accent); color:var(--accent-fg); border:0; border-radius:.35rem; padding:.45rem .9rem; font:inherit; font-weight:600; cursor:pointer; margin-top:.5rem; }
.paper h1 { font-size:1.5rem; line-height:1.3; } .paper .abstract { font-size:1rem; }
.authors a { margin-right:.25rem; } .claimed { font-size:.75rem; border:1px solid var(--ok); color:var(--ok); border-radius:.25rem; padding:0 .25rem; }
pre.bibtex { background:var(--card); border:1px solid var(--border); padding:.75rem; overflow-x:auto; font-size:.85rem; }
.comments { list-style:none; padding:0; } .comments li { border-top:1px solid var(--border); padding:.5rem 0; }
.comments .replies { margin-left:1.5rem; } .comment-meta { color:var(--muted); font-size:.85rem; }
.tag { display:inline-block; border:1px solid var(--border); border-radius:.25rem; padding:0 .35rem; margin:0 .25rem .25rem 0; font-size:.8rem; }
table { border-collapse:collapse; } td, th { padding:.25rem .5rem; border-bottom:1px solid var(--border); text-align:left; }
table.jobs, table.runs { display:block; overflow-x:auto; max-width:100%; font-size:.9rem; } td.error { max-width:28rem; overflow-wrap:anywhere; }
ul.sources { list-style:none; padding:0; } ul.sources li { padding:.4rem 0; border-bottom:1px solid var(--border); } ul.sources li[data-state="failed"] { border-left:4px solid var(--bad); padding-left:.5rem; } ul.sources li[data-state="running"] { border-left:4px solid var(--ok); padding-left:.5rem; }
math { font-size:1.05em; }
details.save { margin:.25rem 0; } details.save summary { cursor:pointer; color:var(--accent); font-size:.9rem; }
details.save form { display:flex; flex-wrap:wrap; gap:.35rem; align-items:center; margin-top:.35rem; } details.save form label { font-size:.85rem; }
p.note { white-space:pre-wrap; border-left:3px solid var(--border); padding-left:.5rem; margin:.25rem 0; }
.item-controls { display:flex; flex-wrap:wrap; gap:.5rem; align-items:flex-end; margin:.25rem 0 .75rem; } ol.collection-items li { padding:.4rem 0; border-bottom:1px solid var(--border); }
@media (max-width: 34rem) { .card { grid-template-columns:1fr; } .card .thumb { display:none; } .votes { text-align:left; } header.site nav.account { margin-left:0; } }
"#;

/// `/static/style.css`.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

/// The page script: upvotes and comments update in place. Everything works without it (plain
/// forms and redirects); with it, forms marked `data-enhance` are sent with `fetch`.
const JS: &str = r#"
document.addEventListener('submit', async (ev) => {
  const form = ev.target;
  const kind = form.dataset && form.dataset.enhance;
  if (!kind) return;
  ev.preventDefault();
  const body = new URLSearchParams(new FormData(form));
  let res;
  try {
    res = await fetch(form.action, { method: 'POST', body, headers: { 'Accept': 'application/json' }, credentials: 'same-origin' });
  } catch (e) { form.submit(); return; }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) { alert(data.error || 'Something went wrong.'); return; }
  if (kind === 'vote') {
    const button = form.querySelector('button');
    const count = form.querySelector('.count');
    if (count) count.textContent = data.upvotes;
    if (button) button.setAttribute('aria-pressed', data.voted ? 'true' : 'false');
    const up = form.querySelector('input[name=up]');
    if (up) up.value = data.voted ? '0' : '1';
  } else if (kind === 'save') {
    const box = form.closest('details');
    const summary = box && box.querySelector('summary');
    if (summary) summary.textContent = 'Saved';
    const select = form.querySelector('select[name=collection]');
    if (select && typeof data.id === 'number' && !select.querySelector('option[value="' + data.id + '"]')) {
      const opt = document.createElement('option');
      opt.value = String(data.id);
      opt.textContent = data.collection;
      select.insertBefore(opt, select.firstChild);
      select.value = String(data.id);
    }
    let status = form.querySelector('.saved-status');
    if (!status) {
      status = document.createElement('p');
      status.className = 'meta saved-status';
      status.setAttribute('role', 'status');
      form.appendChild(status);
    }
    status.textContent = (data.new ? 'Saved to ' : 'Already in ') + data.collection + '.';
  } else if (kind === 'comment') {
    const list = document.getElementById(form.dataset.target);
    if (list) { list.insertAdjacentHTML('beforeend', data.html); }
    form.reset();
    const n = document.getElementById('comment-count');
    if (n && typeof data.comments === 'number') n.textContent = data.comments;
  }
});
"#;

/// `/static/app.js`.
pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        JS,
    )
}
