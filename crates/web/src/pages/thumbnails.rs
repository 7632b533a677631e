//! `GET /thumbnails/{hash}.{ext}`: a stored picture, by the SHA-256 of its bytes, so it never
//! changes and is cached for a year.

use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// Serves a picture with its stored type (never sniffed).
pub async fn show(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let missing = || AppError::not_found("No such picture.");
    let (hash, ext) = file.split_once('.').ok_or_else(missing)?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(missing());
    }
    let Some((mime, bytes)) = state.app.image(&hash.to_ascii_lowercase()).await? else {
        return Err(missing());
    };
    if dp_store::thumbnails::ext_of(&mime) != ext {
        return Err(missing());
    }
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&mime).map_err(|_| missing())?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    Ok(r)
}

/// The address of a thumbnail on this site.
pub fn path(t: &dp_store::Thumb) -> String {
    format!("/thumbnails/{}.{}", t.hash, t.ext())
}

/// `width` and `height` attributes of a thumbnail shown `width` pixels wide, so nothing moves
/// when it arrives.
pub fn shown_size(t: &dp_store::Thumb, width: i64) -> (i64, i64) {
    let h = (t.height * width + t.width / 2) / t.width.max(1);
    (width, h.max(1))
}
