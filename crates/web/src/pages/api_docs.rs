//! `/api`: the API described for people, rendered from the same OpenAPI document as
//! `/api/openapi.json` (so the two always agree).

use crate::api::openapi::document;
use crate::auth::Viewer;
use crate::layout::{frame, Frame};
use crate::AppState;
use axum::extract::State;
use maud::{html, Markup};
use serde_json::Value;

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `GET /api`.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Markup {
    let doc = serde_json::to_value(document()).unwrap_or(Value::Null);
    let empty = serde_json::Map::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let body = html! {
        h1 { "API" }
        p { (text(&doc["info"], "description")) }
        p { "Machine-readable description: " a href="/api/openapi.json" { "/api/openapi.json" } " (OpenAPI 3.1). "
            "Hugging Face's Python client works against this server: "
            code { "HfApi(endpoint=\"" (state.app.rules.public_url.as_deref().unwrap_or("http://this-server")) "\")" }
            " or " code { "HF_ENDPOINT=... hf papers ls" } ". Feeds: "
            a href="/papers/feed.rss" { "daily (RSS)" } ", " a href="/papers/feed.atom" { "daily (Atom)" } ", "
            a href="/papers/week/feed.rss" { "weekly" } ", " a href="/papers/trending/feed.rss" { "trending" }
            ", and " code { "/search/feed.rss?q=..." } " for any search." }
        p { "Reads: CORS is open, answers carry " code { "ETag" } ", " code { "Last-Modified" } " and " code { "Cache-Control" }
            " (conditional requests get 304), and are compressed when asked (gzip, br). Each client address has a request budget per minute; past it, 429 with " code { "Retry-After" } "." }
        @for (path, item) in paths {
            @if let Some(ops) = item.as_object() {
                @for (method, op) in ops {
                    @if ["get", "post", "delete", "put", "patch"].contains(&method.as_str()) {
                        section.endpoint {
                            h2 { code { (method.to_uppercase()) " " (path) } }
                            @let summary = text(op, "summary");
                            @let description = text(op, "description");
                            @if !summary.is_empty() { p { (summary) } }
                            @if !description.is_empty() && description != summary { p { (description) } }
                            @if op.get("security").is_some() { p.meta { "Needs a write token: " code { "Authorization: Bearer TOKEN" } " (create one in " a href="/settings" { "Settings" } ")." } }
                            @if let Some(params) = op.get("parameters").and_then(Value::as_array) {
                                @if !params.is_empty() {
                                    table {
                                        thead { tr { th { "Parameter" } th { "In" } th { "Description" } } }
                                        tbody {
                                            @for p in params {
                                                tr {
                                                    td { code { (text(p, "name")) } @if p.get("required").and_then(Value::as_bool) == Some(true) { " (required)" } }
                                                    td { (text(p, "in")) }
                                                    td { (text(p, "description")) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                            @if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                                ul.responses {
                                    @for (status, r) in responses {
                                        li { strong { (status) } " " (text(r, "description")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    frame(Frame::new(state.site_name(), &viewer), "API", body)
}
