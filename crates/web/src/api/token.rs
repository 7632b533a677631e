//! API tokens: `Authorization: Bearer TOKEN` for the write side of the API.
//!
//! Reads never need a token (and ignore one: Hugging Face's client sends the Hugging Face token
//! it has saved to whatever server it talks to). Writes need a live token with the `write` scope.

use crate::auth::token_hash;
use crate::{AppError, AppState};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use dp_core::{TokenScope, User};
use std::time::Duration;

/// Prefix of every token this server issues (so a leaked one is easy to recognise).
pub const TOKEN_PREFIX: &str = "dp_";

/// The owner of the request's token.
#[derive(Debug, Clone)]
pub struct ApiUser {
    /// The owner.
    pub user: User,
    /// What the token may do.
    pub scope: TokenScope,
}

impl ApiUser {
    /// The owner, when the token may write; 403 for a read-only token.
    pub fn writer(&self) -> Result<&User, AppError> {
        match self.scope {
            TokenScope::Write => Ok(&self.user),
            TokenScope::Read => Err(AppError::forbidden(
                "This token is read-only; create a token with the write scope on your settings page.",
            )),
        }
    }

    /// Counts a write against the owner's limit (shared with the web forms); 429 past it.
    pub async fn write_limit(&self, state: &AppState) -> Result<(), AppError> {
        state
            .rate_limit(
                &format!("write:{}", self.user.id),
                state.settings.writes_per_minute,
                Duration::from_secs(60),
            )
            .await
            .map_err(AppError::json)
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
        let invalid = || AppError::unauthorized("The API token is invalid or was revoked.");
        if token.len() > 200 || !token.starts_with(TOKEN_PREFIX) {
            return Err(invalid());
        }
        match state
            .store
            .api_token_user(&token_hash(token))
            .await
            .map_err(|e| AppError::from(e).json())?
        {
            Some((user, scope)) => Ok(ApiUser { user, scope }),
            None => Err(invalid()),
        }
    }
}

/// A new token's secret: the prefix and 32 random bytes.
pub fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", crate::auth::random_token())
}
