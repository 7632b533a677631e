//! Form input: a `Form` extractor whose refusals are real pages (or JSON for scripts), and the
//! body-size limit.

use crate::AppError;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

/// Largest form body accepted, in bytes (a 10,000-character comment fits several times over).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// `application/x-www-form-urlencoded` input; malformed or oversized bodies get a clear page.
pub struct Form<T>(pub T);

impl<S, T> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let json = wants_json(req.headers());
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(Form(v)),
            Err(rejection) => {
                let e = refusal(&rejection);
                Err(if json { e } else { e.page() })
            }
        }
    }
}

fn refusal(r: &FormRejection) -> AppError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::too_large(format!(
            "The form is too large: at most {} KB are accepted.",
            MAX_FORM_BYTES / 1024
        ))
    } else {
        AppError::bad_request(format!("The form could not be read: {}", r.body_text()))
    }
}

/// Whether the client (the page's own script) asked for JSON instead of a redirect.
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}
