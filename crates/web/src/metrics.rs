//! Prometheus metrics at `/metrics`: requests and latency per route, the job queue, and the
//! database pool.

use crate::{AppError, AppState};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use std::time::Instant;

/// Latency buckets in seconds: fine-grained where a healthy server answers.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process-wide recorder (installed once, on first use).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    BUCKETS,
                )
                .ok()?
                .install_recorder()
                .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
                .ok()
        })
        .as_ref()
}

/// Installs the recorder; call once when the server starts.
pub fn init() {
    let _ = handle();
}

/// Middleware: counts requests and records their latency, labelled by route pattern (so ids
/// in paths do not explode the label set).
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route)
        .record(start.elapsed().as_secs_f64());
    resp
}

/// `GET /metrics` in the Prometheus text format, for a scraper that sends the configured token
/// as `Authorization: Bearer <token>`; 404 when no token is configured, 401 without the token.
pub async fn render(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.settings.metrics_token else {
        return AppError::not_found("There is no page at this address.")
            .page()
            .into_response();
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compared by digest, so the time taken says nothing about the token.
    if Sha256::digest(sent.as_bytes()) != Sha256::digest(token.as_bytes()) {
        let mut r = AppError::status(
            StatusCode::UNAUTHORIZED,
            "Metrics need the configured token: Authorization: Bearer <metrics_token>.",
        )
        .into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        return r;
    }
    let status = state.app.status().await;
    let pool = status.pool;
    metrics::gauge!("db_pool_connections", "state" => "open").set(f64::from(pool.size));
    metrics::gauge!("db_pool_connections", "state" => "idle").set(pool.idle as f64);
    match status.stats {
        Some(s) => {
            metrics::gauge!("jobs_queued").set(s.jobs_queued as f64);
            metrics::gauge!("jobs_failed").set(s.jobs_failed as f64);
            metrics::gauge!("papers").set(s.papers as f64);
            metrics::gauge!("database_up").set(1.0);
        }
        None => metrics::gauge!("database_up").set(0.0),
    }
    // The job table by kind and state, and when each schedule last finished well.
    if let Ok((counts, last)) = state.app.job_metrics().await {
        let mut kinds: Vec<&str> = counts.iter().map(|c| c.0.as_str()).collect();
        kinds.dedup();
        for kind in kinds {
            for st in ["queued", "running", "done", "failed"] {
                let n = counts
                    .iter()
                    .find(|c| c.0 == kind && c.1 == st)
                    .map_or(0, |c| c.2);
                metrics::gauge!("jobs", "kind" => kind.to_string(), "state" => st).set(n as f64);
            }
        }
        for (schedule, at) in last {
            metrics::gauge!("job_last_success_timestamp_seconds", "schedule" => schedule)
                .set(at.map_or(0.0, |t| t.timestamp() as f64));
        }
    }
    // How many change-cursor steps the index is behind the store (0 when caught up).
    if let Some(lag) = status.search_lag {
        metrics::gauge!("search_index_lag").set(lag as f64);
    }
    if let Some(n) = status.search_documents {
        metrics::gauge!("search_index_documents").set(n as f64);
    }
    let body = handle().map(|h| h.render()).unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
