//! The HTTP face of dailypapers: server-rendered HTML pages and the JSON API, on axum.
//!
//! [`AppState`] is built in one place ([`AppState::new`]) and handed to [`router`]. Handlers are
//! thin: parse input, call a use case of [`dp_app`], render. One file per resource under
//! `pages/` and `api/`.

pub mod api;
pub mod auth;
pub mod cache;
pub mod error;
pub mod form;
pub mod layout;
pub mod metrics;
pub mod pages;
pub mod params;
pub mod render;
pub mod views;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method};
use axum::routing::{get, post};
use axum::Router;
use dp_app::App;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use dp_app::{Clock, SystemClock};
pub use error::AppError;

/// Settings of the HTTP layer (the use cases' rules are in [`dp_app::Rules`]).
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Mark cookies `Secure` (the site is served over TLS, usually by a proxy in front).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind proxies you run).
    pub trust_proxy_headers: bool,
    /// How many proxies you run in front of the server, each appending to `X-Forwarded-For`:
    /// the client is the entry that many from the right (the left part is the client's own
    /// writing and never trusted).
    pub proxy_hops: usize,
    /// API requests allowed per client address per minute on one server (0: no limit).
    pub api_requests_per_minute: u32,
    /// Searches and similar-paper lookups allowed per client address per minute on one server
    /// (0: no limit).
    pub searches_per_minute: u32,
    /// The bearer token that opens `/metrics`; `None` turns `/metrics` off.
    pub metrics_token: Option<String>,
    /// Send `Strict-Transport-Security` (the site is served over https).
    pub hsts: bool,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            secure_cookies: false,
            trust_proxy_headers: false,
            proxy_hops: 1,
            api_requests_per_minute: 600,
            searches_per_minute: 60,
            metrics_token: None,
            hsts: false,
        }
    }
}

/// Everything a handler may use: the use cases, and what only HTTP needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// Settings.
    pub settings: Arc<WebSettings>,
    /// Pages rendered for readers who are not signed in.
    pub cache: Arc<cache::PageCache>,
    /// The API's per-client request budget; `None` when unlimited.
    pub api_limiter: Option<Arc<api::limit::ApiLimiter>>,
    /// The per-client budget of searches; `None` when unlimited.
    pub search_limiter: Option<Arc<api::limit::ApiLimiter>>,
    /// A list day has been seen: `/papers` no longer asks the store whether it is empty.
    pub has_lists: Arc<std::sync::atomic::AtomicBool>,
}

impl AppState {
    /// The state of a server: every write through `app` drops the rendered pages.
    pub fn new(app: App, settings: WebSettings) -> AppState {
        let cache = Arc::new(cache::PageCache::default());
        let hook = cache.clone();
        AppState {
            app: app.on_change(move || hook.invalidate()),
            api_limiter: api::limit::ApiLimiter::new(settings.api_requests_per_minute)
                .map(Arc::new),
            search_limiter: api::limit::ApiLimiter::new(settings.searches_per_minute).map(Arc::new),
            settings: Arc::new(settings),
            cache,
            has_lists: Arc::default(),
        }
    }

    /// The site's address, for absolute links in feeds: the configured public address
    /// ([`dp_app::Rules::public_url`]), else the request's `Host` over http. (Mails never use
    /// the request's `Host`: their links need the configured address.)
    pub fn base_url(&self, headers: &axum::http::HeaderMap) -> String {
        if let Some(u) = &self.app.rules.public_url {
            return u.trim_end_matches('/').to_string();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                    })
            })
            .unwrap_or("localhost");
        format!("http://{host}")
    }

    /// The site's name.
    pub fn site_name(&self) -> &str {
        &self.app.rules.site_name
    }

    /// Starts the background task that keeps the page cache in step with the store (changes
    /// from other servers arrive through the change cursor) and the search indexes in step
    /// with it. Stops when the handle is aborted.
    pub fn spawn_background(&self) -> tokio::task::JoinHandle<()> {
        let (store, cache, search) = (
            self.app.store.clone(),
            self.cache.clone(),
            self.app.search.clone(),
        );
        tokio::spawn(async move {
            match search {
                Some(f) => {
                    // Until the load succeeds, semantic answers stay empty: retried with backoff.
                    let load = async {
                        let mut wait = std::time::Duration::from_secs(2);
                        loop {
                            match f.load_vectors(store.as_ref(), &|_| {}).await {
                                Ok(n) => {
                                    if n > 0 {
                                        tracing::info!(vectors = n, "vector index loaded");
                                    }
                                    break;
                                }
                                Err(e) => tracing::warn!(
                                    error = %e,
                                    retry_in_s = wait.as_secs(),
                                    "could not load the vector index"
                                ),
                            }
                            tokio::time::sleep(wait).await;
                            wait = (wait * 2).min(std::time::Duration::from_secs(120));
                        }
                    };
                    tokio::join!(
                        cache::watch_changes(store.clone(), cache),
                        load,
                        f.clone().run(store.clone())
                    );
                }
                None => cache::watch_changes(store, cache).await,
            }
        })
    }
}

/// Content-Security-Policy of every response: nothing is loaded from elsewhere. The page script
/// sends forms with `fetch` to this site (`connect-src 'self'`; without it every in-place
/// update fell back to a full form submission).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// All routes of the application.
pub fn router(state: AppState) -> Router {
    use pages::{
        about, account, admin, api_docs, collections, daily, digests, feeds, follows, foryou, jobs,
        library, paper, password, profile, settings, submit, subscribe,
    };
    metrics::init();
    let hsts = state.settings.hsts;
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    // The API: open to other origins for reads (CORS), and a request budget per client.
    let cors = CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .expose_headers([
            header::LINK,
            header::ETAG,
            header::LAST_MODIFIED,
            header::RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(86_400));
    // Searches run the embedding model and both indexes: a budget per client of their own.
    let searches = axum::middleware::from_fn_with_state(state.clone(), api::limit::searches);
    let api_routes = Router::new()
        .route("/api/openapi.json", get(api::openapi::json))
        .route("/api/daily_papers", get(api::daily_papers::list))
        .route("/api/papers", get(api::papers::list))
        .route(
            "/api/papers/search",
            get(api::search::search).layer(searches.clone()),
        )
        .route("/api/papers/submit", post(api::submit::submit))
        .route("/api/papers/index", post(api::hub::index))
        .route("/api/papers/{id}/links", post(api::hub::links))
        .route("/api/settings/papers/claim", post(api::hub::claim))
        .route("/api/papers/{id}", get(api::papers::show))
        .route("/api/arxiv/{id}/repos", get(api::papers::repos))
        .route(
            "/api/papers/{id}/similar",
            get(api::similar::similar).layer(searches.clone()),
        )
        .route("/api/papers/{id}/comments", get(api::comments::list))
        .route("/api/papers/{id}/comment", post(api::comments::comment))
        .route(
            "/api/papers/{id}/comment/{comment_id}/reply",
            post(api::comments::reply),
        )
        .route("/api/whoami-v2", get(api::collections::whoami))
        .route(
            "/api/library/follows",
            get(api::library::follows).post(api::library::follow),
        )
        .route(
            "/api/library/follows/{id}",
            axum::routing::delete(api::library::unfollow),
        )
        .route("/api/library/following", get(api::library::following))
        .route("/api/papers/for-you", get(api::library::for_you))
        .route(
            "/api/library/not-interested",
            get(api::library::not_interested),
        )
        .route(
            "/api/library/not-interested/{id}",
            axum::routing::put(api::library::mark_not_interested)
                .delete(api::library::unmark_not_interested),
        )
        .route("/api/library/export/{format}", get(api::library::export))
        .route(
            "/api/collections",
            get(api::collections::list).post(api::collections::create),
        )
        .route(
            "/api/collections/{owner}/{slug}",
            get(api::collections::show)
                .patch(api::collections::update)
                .delete(api::collections::delete),
        )
        .route(
            "/api/collections/{owner}/{slug}/items",
            post(api::collections::add_item),
        )
        .route(
            "/api/collections/{owner}/{slug}/import",
            post(api::collections::import).layer(DefaultBodyLimit::max(
                dp_app::collections::MAX_IMPORT_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/api/collections/{owner}/{slug}/items/{item}",
            axum::routing::patch(api::collections::update_item)
                .delete(api::collections::delete_item),
        )
        .route(
            "/api/papers/{id}/upvote",
            post(api::votes::upvote).delete(api::votes::remove_upvote),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::limit::per_client,
        ))
        .layer(cors);
    Router::new()
        .route("/", get(daily::index))
        .route("/papers", get(daily::latest))
        .route("/papers/feed.rss", get(feeds::daily))
        .route("/papers/feed.xml", get(feeds::daily))
        .route("/papers/feed.atom", get(feeds::daily))
        .route("/papers/go", get(daily::go))
        .route("/papers/date/{day}", get(daily::by_day))
        .route("/papers/date/{day}/feed.rss", get(feeds::day))
        .route("/papers/date/{day}/feed.atom", get(feeds::day))
        .route("/papers/week/{week}/feed.rss", get(feeds::period))
        .route("/papers/week/{week}/feed.atom", get(feeds::period))
        .route("/papers/month/{month}/feed.rss", get(feeds::period))
        .route("/papers/month/{month}/feed.atom", get(feeds::period))
        .route("/papers/week/feed.rss", get(feeds::weekly))
        .route("/papers/week/feed.atom", get(feeds::weekly))
        .route("/papers/week/{week}", get(daily::by_week))
        .route("/papers/month/{month}", get(daily::by_month))
        .route("/papers/trending", get(daily::trending))
        .route("/papers/for-you", get(foryou::show))
        .route("/papers/for-you/start", post(foryou::start))
        .route("/papers/for-you/reset", post(foryou::reset))
        .route("/papers/new", get(foryou::new_papers))
        .route("/papers/trending/feed.rss", get(feeds::trending))
        .route("/papers/trending/feed.atom", get(feeds::trending))
        .route("/papers/{id}", get(paper::show))
        .route("/thumbnails/{file}", get(pages::thumbnails::show))
        .route("/papers/{id}/upvote", post(paper::upvote))
        .route("/papers/{id}/not-interested", post(paper::not_interested))
        .route("/library", get(library::show))
        .route("/papers/{id}/save", post(collections::save))
        .route("/collections", post(collections::create))
        .route("/collections/{owner}/{slug}", get(collections::show))
        .route(
            "/collections/{owner}/{slug}/export/{format}",
            get(collections::export),
        )
        .route("/library/export/{format}", get(collections::export_library))
        .route("/following", get(follows::show))
        .route("/follows", post(follows::follow))
        .route("/follows/{id}/delete", post(follows::unfollow))
        .route("/following/feed-key", post(follows::reset_key))
        .route("/feeds/{key}/following.rss", get(follows::following_feed))
        .route("/feeds/{key}/following.atom", get(follows::following_feed))
        .route("/feeds/{key}/for-you.rss", get(follows::for_you_feed))
        .route("/feeds/{key}/for-you.atom", get(follows::for_you_feed))
        .route("/feeds/{key}/follows/{file}", get(follows::follow_feed))
        .route("/feeds/{key}/collections/{file}", get(follows::collection_feed))
        .route(
            "/collections/{owner}/{slug}/feed.rss",
            get(follows::public_collection_feed),
        )
        .route(
            "/collections/{owner}/{slug}/feed.atom",
            get(follows::public_collection_feed),
        )
        .route(
            "/collections/{id}/import",
            post(collections::import).layer(DefaultBodyLimit::max(
                dp_app::collections::MAX_IMPORT_BYTES + 64 * 1024,
            )),
        )
        .route("/collections/{id}/edit", post(collections::edit))
        .route("/collections/{id}/delete", post(collections::delete))
        .route(
            "/collections/{id}/items/{item}/edit",
            post(collections::edit_item),
        )
        .route(
            "/collections/{id}/items/{item}/delete",
            post(collections::delete_item),
        )
        .route("/papers/{id}/comments", post(paper::comment))
        .route("/papers/{id}/claim", post(paper::claim))
        .route("/papers/{id}/hide", post(paper::hide))
        .route("/comments/{id}/edit", get(paper::edit_form).post(paper::edit))
        .route("/comments/{id}/delete", post(paper::delete))
        .route("/submit", get(submit::form).post(submit::submit))
        .route("/signup", get(account::signup_form).post(account::signup))
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/subscribe", get(subscribe::form).post(subscribe::subscribe))
        .route(
            "/subscribe/confirm",
            get(subscribe::confirm_page).post(subscribe::confirm),
        )
        .route(
            "/unsubscribe",
            get(subscribe::unsubscribe_page).post(subscribe::unsubscribe),
        )
        .route("/settings", get(settings::show))
        .route(
            "/settings/password",
            get(password::form).post(password::change),
        )
        .route("/settings/sessions/end", post(password::end_sessions))
        .route("/settings/delete", post(password::delete_account))
        .route("/settings/tokens", post(settings::create))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke))
        .route("/users/{name}", get(profile::show))
        .route("/users/{name}/ban", post(profile::ban))
        .route("/admin", get(admin::dashboard))
        .route("/admin/claims/{id}", post(admin::decide_claim))
        .route("/admin/jobs", get(jobs::board))
        .route("/admin/jobs/run", post(jobs::run_now))
        .route("/admin/jobs/pause", post(jobs::pause))
        .route("/admin/subscribers", get(digests::admin_list))
        .route("/admin/subscribers/{id}/preview", get(digests::admin_preview))
        .route("/settings/subscriptions/{id}", post(digests::update))
        .route("/about", get(about::show))
        .route("/api", get(api_docs::show))
        .route("/search", get(pages::search::show).layer(searches.clone()))
        .route("/search/feed.rss", get(feeds::search).layer(searches.clone()))
        .route("/search/feed.atom", get(feeds::search).layer(searches))
        .route("/healthz", get(api::health::healthz))
        .route("/readyz", get(api::health::readyz))
        .route("/static/style.css", get(layout::stylesheet))
        .route("/static/app.js", get(layout::script))
        .route("/metrics", get(metrics::render))
        .merge(api_routes)
        .route_layer(axum::middleware::from_fn(metrics::track))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(error::html_errors))
        .layer(CompressionLayer::new())
        .layer(DefaultBodyLimit::max(form::MAX_FORM_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // Over https, browsers are told to come back over https only (a year, subdomains too).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &axum::response::Response| {
                hsts.then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"))
            },
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
