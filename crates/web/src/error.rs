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
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl AppError {
    /// 400 with a message naming what was wrong.
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
            html: false,
            retry_after: None,
        }
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
            html: false,
            retry_after: None,
        }
    }

    fn with(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError {
            status,
            code,
            message: message.into(),
            html: false,
            retry_after: None,
        }
    }

    /// An error with any status; the code follows from the status.
    pub fn status(status: StatusCode, message: impl Into<String>) -> AppError {
        let code = match status.as_u16() {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            409 => "conflict",
            413 => "too_large",
            429 => "rate_limited",
            502 | 503 => "unavailable",
            s if s >= 500 => "internal",
            _ => "bad_request",
        };
        AppError::with(status, code, message)
    }

    /// The same error as JSON (for the API), whatever it was built for.
    pub fn json(mut self) -> AppError {
        self.html = false;
        self
    }

    /// 401: sign in first.
    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::with(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: not allowed (or a CSRF token mismatch).
    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::with(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 503: a part of the service is not available.
    pub fn unavailable(message: impl Into<String>) -> AppError {
        AppError::with(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 409: conflicts with what is stored.
    pub fn conflict(message: impl Into<String>) -> AppError {
        AppError::with(StatusCode::CONFLICT, "conflict", message)
    }

    /// 413: the body is over the limit.
    pub fn too_large(message: impl Into<String>) -> AppError {
        AppError::with(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    /// 429 with `Retry-After`.
    pub fn too_many(retry_after_secs: u64) -> AppError {
        let mut e = AppError::with(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("Too many requests; try again in {retry_after_secs} seconds."),
        );
        e.retry_after = Some(retry_after_secs);
        e
    }

    /// 500; the detail is logged, the client sees a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %detail, "internal error");
        AppError::with(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side.",
        )
    }

    /// The same error, rendered as an HTML page.
    pub fn page(mut self) -> AppError {
        self.html = true;
        self
    }
}

/// Errors of page handlers: shown as an HTML page.
pub trait OrPage<T> {
    /// The error, as a page.
    fn or_page(self) -> Result<T, AppError>;
}

impl<T, E: Into<AppError>> OrPage<T> for Result<T, E> {
    fn or_page(self) -> Result<T, AppError> {
        self.map_err(|e| e.into().page())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if let StoreError::Conflict(message) = e {
            return AppError::conflict(message);
        }
        if e.is_unavailable() {
            tracing::warn!(error = %e, "database unavailable");
            AppError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "unavailable",
                message: "The database is unavailable; try again shortly.".into(),
                html: false,
                retry_after: Some(5),
            }
        } else {
            tracing::error!(error = %e, "store error");
            AppError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "internal",
                message: "Something went wrong on our side.".into(),
                html: false,
                retry_after: None,
            }
        }
    }
}

impl From<dp_app::Error> for AppError {
    fn from(e: dp_app::Error) -> Self {
        use dp_app::Error as E;
        match e {
            E::Invalid(m) => AppError::bad_request(m),
            E::Refused(m) => AppError::status(StatusCode::UNPROCESSABLE_ENTITY, m),
            E::SignIn(m) => AppError::unauthorized(m),
            E::Forbidden(m) => AppError::forbidden(m),
            E::NotFound(m) => AppError::not_found(m),
            E::Conflict(m) => AppError::conflict(m),
            E::RateLimited(secs) => AppError::too_many(secs),
            E::Quota(m) => AppError::status(StatusCode::TOO_MANY_REQUESTS, m),
            E::Upstream(m) => AppError::status(StatusCode::BAD_GATEWAY, m),
            E::Unavailable(m) => AppError::unavailable(m),
            E::Store(e) => AppError::from(e),
            E::Internal(detail) => AppError::internal(detail),
        }
    }
}

impl From<dp_core::InputError> for AppError {
    fn from(e: dp_core::InputError) -> Self {
        AppError::bad_request(e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut resp = if self.html {
            let body = crate::layout::error_page(self.status, &self.message);
            (self.status, body).into_response()
        } else {
            let body = serde_json::json!({ "error": self.message, "code": self.code });
            (self.status, axum::Json(body)).into_response()
        };
        if let Some(secs) = self.retry_after {
            if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

/// Turns the plain-text or empty error answers of extractors and the router (a malformed query
/// string, a wrong method) into real pages, or JSON errors under `/api/`, so no client ever sees
/// a bare rejection message.
pub async fn html_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let plain = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !plain {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let message = match String::from_utf8_lossy(&text).trim() {
        "" => status.canonical_reason().unwrap_or("Error").to_string(),
        t => t.chars().take(300).collect(),
    };
    let e = AppError {
        status,
        code: if status.is_client_error() {
            "bad_request"
        } else {
            "internal"
        },
        message,
        html: !api,
        retry_after: None,
    };
    let mut out = e.into_response();
    for (k, v) in parts.headers.iter() {
        if k == header::ALLOW || k == header::RETRY_AFTER {
            out.headers_mut().insert(k, v.clone());
        }
    }
    out
}
