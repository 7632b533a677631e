//! Server-rendered HTML pages.

pub mod daily;

use crate::AppError;

/// Any path we do not serve.
pub async fn not_found() -> AppError {
    AppError::not_found("There is no page at this address.").page()
}
