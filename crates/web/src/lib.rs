//! The HTTP face of dailypapers: server-rendered HTML pages and the JSON API, on axum.
//!
//! [`AppState`] is built in one place ([`AppState::new`]) and handed to [`router`]. Handlers are
//! thin: parse input, ask the store, render. One file per resource under `pages/` and `api/`.

pub mod api;
pub mod error;
pub mod layout;
pub mod metrics;
pub mod pages;

use axum::routing::get;
use axum::Router;
use dp_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::AppError;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Shown in page titles and the header.
    pub site_name: String,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            site_name: "Daily Papers".into(),
        }
    }
}

/// Everything a handler may use. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Settings.
    pub settings: Arc<WebSettings>,
}

impl AppState {
    /// Builds the state from its parts.
    pub fn new(store: Arc<dyn Store>, settings: WebSettings) -> AppState {
        AppState {
            store,
            settings: Arc::new(settings),
        }
    }
}

/// All routes of the application.
pub fn router(state: AppState) -> Router {
    metrics::init();
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    Router::new()
        .route("/", get(pages::daily::index))
        .route("/papers", get(pages::daily::latest))
        .route("/papers/date/{day}", get(pages::daily::by_day))
        .route("/api/daily_papers", get(api::daily_papers::list))
        .route("/healthz", get(api::health::healthz))
        .route("/readyz", get(api::health::readyz))
        .route("/static/style.css", get(layout::stylesheet))
        .route("/metrics", get(metrics::render))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .fallback(pages::not_found)
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        // Every request gets an id (or keeps the one a proxy sent), logged with its span and
        // returned in `x-request-id`.
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
