//! API tokens: `Authorization: Bearer TOKEN` for the write side of the API.
//!
//! Reads never need a token (and ignore one: Hugging Face's client sends the Hugging Face token
//! it has saved to whatever server it talks to). Writes need a live token with the `write` scope.

use crate::{AppError, AppState};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use dp_core::{TokenScope, User};

/// The owner of the request's token.
#[derive(Debug, Clone)]
pub struct ApiUser {
    /// The owner.
    pub user: User,
    /// What the token may do.
    pub scope: TokenScope,
}

impl ApiUser {
    /// The account, when the token may write (403 for a read-only token).
    pub fn writer(&self) -> Result<&User, AppError> {
        Ok(dp_app::tokens::writer(&self.user, self.scope)?)
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(AppError::unauthorized(
                "This needs an API token: send Authorization: Bearer TOKEN (create one on your settings page).",
            ));
        };
        let (user, scope) = state
            .app
            .authenticate_token(token)
            .await
            .map_err(|e| AppError::from(e).json())?;
        Ok(ApiUser { user, scope })
    }
}
