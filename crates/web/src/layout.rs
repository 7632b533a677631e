//! The page frame, the stylesheet and the error page.

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use maud::{html, Markup, DOCTYPE};

/// Wraps page content in the site's frame.
pub fn page(site: &str, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · " (site) }
                link rel="stylesheet" href="/static/style.css";
            }
            body {
                header.site {
                    a.brand href="/papers" { (site) }
                    nav { a href="/papers" { "Today" } }
                }
                main { (body) }
                footer.site { "dailypapers · self-hosted Daily Papers" }
            }
        }
    }
}

/// A real page for an error, never a stack trace.
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let reason = status.canonical_reason().unwrap_or("Error");
    page(
        "Daily Papers",
        reason,
        html! {
            h1 { (status.as_u16()) " " (reason) }
            p.error { (message) }
            p { a href="/papers" { "Back to today's papers" } }
        },
    )
}

const CSS: &str = r#"
:root { --fg:#1b1f24; --muted:#5b6470; --bg:#fff; --card:#f6f7f9; --accent:#d9480f; --border:#e3e6ea; }
@media (prefers-color-scheme: dark) { :root { --fg:#e6e8eb; --muted:#9aa3ad; --bg:#111418; --card:#1a1f25; --accent:#ff8a4c; --border:#2a3038; } }
* { box-sizing: border-box; }
body { margin:0; font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
a { color:inherit; } a:focus-visible { outline:2px solid var(--accent); outline-offset:2px; }
header.site, footer.site { display:flex; gap:1rem; align-items:center; padding:.75rem 1rem; border-bottom:1px solid var(--border); }
footer.site { border-top:1px solid var(--border); border-bottom:0; color:var(--muted); font-size:.85rem; margin-top:2rem; }
.brand { font-weight:700; text-decoration:none; }
main { max-width:60rem; margin:0 auto; padding:1rem; }
.daynav { display:flex; justify-content:space-between; align-items:center; gap:1rem; flex-wrap:wrap; }
.daynav h1 { margin:.25rem 0; font-size:1.5rem; }
ol.papers { list-style:none; padding:0; margin:1rem 0; display:grid; gap:.75rem; }
.card { background:var(--card); border:1px solid var(--border); border-radius:.5rem; padding:.75rem 1rem; display:grid; grid-template-columns:3.5rem 1fr; gap:.75rem; }
.votes { text-align:center; font-weight:700; font-size:1.1rem; } .votes small { display:block; font-weight:400; color:var(--muted); font-size:.75rem; }
.card h2 { font-size:1.05rem; margin:0 0 .25rem; }
.card h2 a { text-decoration:none; } .card h2 a:hover { text-decoration:underline; }
.meta, .links { color:var(--muted); font-size:.875rem; } .links a { margin-right:.75rem; }
.abstract { margin:.35rem 0; font-size:.925rem; }
.empty, .error { color:var(--muted); }
@media (max-width: 30rem) { .card { grid-template-columns:1fr; } .votes { text-align:left; } }
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
