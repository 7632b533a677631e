//! One error type for every handler: a stable code, an HTTP status, and a message that is safe
//! to show (internals are logged, never sent).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use dp_store::StoreError;

/// An error answered to a client, as JSON (`/api/...`) or as an HTML page.
#[derive(Debug, Clone)]
pub struct AppError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (`bad_request`, `not_found`, `unavailable`, `internal`).
    pub code: &'static str,
    /// Human-readable message, safe to show.
    pub message: String,
    /// Render as an HTML page rather than JSON.
    pub html: bool,
}

impl AppError {
    /// 400 with a message naming what was wrong.
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
            html: false,
        }
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
            html: false,
        }
    }

    /// The same error, rendered as an HTML page.
    pub fn page(mut self) -> AppError {
        self.html = true;
        self
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "database unavailable");
            AppError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "unavailable",
                message: "The database is unavailable; try again shortly.".into(),
                html: false,
            }
        } else {
            tracing::error!(error = %e, "store error");
            AppError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "internal",
                message: "Something went wrong on our side.".into(),
                html: false,
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.html {
            let body = crate::layout::error_page(self.status, &self.message);
            (self.status, body).into_response()
        } else {
            let body = serde_json::json!({ "error": self.message, "code": self.code });
            let mut resp = (self.status, axum::Json(body)).into_response();
            if self.status == StatusCode::SERVICE_UNAVAILABLE {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            }
            resp
        }
    }
}
