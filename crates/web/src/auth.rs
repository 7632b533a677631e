//! Who is asking: sessions (cookie `dp_session`, stored hashed), CSRF tokens, argon2 password
//! hashes, and rate limits.
//!
//! CSRF: a signed-in reader's token is derived from their session token (which only their
//! browser holds, in an `HttpOnly` cookie); before sign-in, forms carry the value of a random
//! `dp_csrf` cookie (double submit). Every POST compares the form's `csrf` field with it.

use crate::{AppError, AppState};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use dp_core::User;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

/// Session cookie name.
pub const SESSION_COOKIE: &str = "dp_session";
/// Pre-sign-in CSRF cookie name.
pub const CSRF_COOKIE: &str = "dp_csrf";
/// How long a session lasts.
pub const SESSION_DAYS: i64 = 30;

/// A random token: 32 bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// SHA-256 of a token, as stored (a stolen database does not yield live sessions).
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

fn csrf_for_session(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(format!("csrf\0{token}").as_bytes()))
}

/// An argon2id hash (PHC string) of a password, computed off the async threads.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::internal(format!("hashing task: {e}")))?
    .map_err(|e| AppError::internal(format!("hashing: {e}")))
}

/// Checks a password against a stored hash (or against a dummy hash when there is no account,
/// so that answering takes as long either way).
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let dummy = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3xNQ5xO1Sbe3P3zQ0bV1+8HvWMfM4xq6Oi8v8kVnVMk";
        let known = hash.is_some();
        let h = hash.unwrap_or_else(|| dummy.to_string());
        let ok = PasswordHash::new(&h)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        ok && known
    })
    .await
    .unwrap_or(false)
}

/// The reader of a request: their account when signed in, and the CSRF token their forms carry.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The signed-in account.
    pub user: Option<User>,
    /// The token forms must echo; empty before sign-in until a `dp_csrf` cookie is set.
    pub csrf: String,
    /// Hash of the session token, to end the session on sign-out.
    pub session_hash: Option<String>,
    /// The client's address, for rate limits.
    pub ip: String,
}

impl Viewer {
    /// The account, or 401 with a page that links to sign-in.
    pub fn require(&self) -> Result<&User, AppError> {
        self.user
            .as_ref()
            .ok_or_else(|| AppError::unauthorized("Sign in to do that.").page())
    }

    /// The account when it is an admin's, else 403.
    pub fn require_admin(&self) -> Result<&User, AppError> {
        let u = self.require()?;
        if u.is_admin {
            Ok(u)
        } else {
            Err(AppError::forbidden("Only admins can do that.").page())
        }
    }

    /// Checks a form's CSRF token (constant time); 403 when it does not match.
    pub fn check_csrf(&self, sent: &str) -> Result<(), AppError> {
        let a = self.csrf.as_bytes();
        let b = sent.as_bytes();
        let same = !a.is_empty()
            && a.len() == b.len()
            && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
        if same {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "The form expired or did not come from this site (CSRF token mismatch). Reload the page and try again.",
            )
            .page())
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let ip = client_ip(parts, state.settings.trust_proxy_headers);
        if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
            let hash = token_hash(&token);
            let user = state
                .store
                .session_user(&hash)
                .await
                .map_err(|e| AppError::from(e).page())?;
            if let Some(user) = user {
                return Ok(Viewer {
                    user: Some(user),
                    csrf: csrf_for_session(&token),
                    session_hash: Some(hash),
                    ip,
                });
            }
        }
        Ok(Viewer {
            user: None,
            csrf: jar
                .get(CSRF_COOKIE)
                .map(|c| c.value().to_string())
                .unwrap_or_default(),
            session_hash: None,
            ip,
        })
    }
}

/// The client's address: the socket's peer, or the first `X-Forwarded-For` hop when the server
/// is configured to trust its proxy.
pub(crate) fn client_ip(parts: &Parts, trust_proxy: bool) -> String {
    if trust_proxy {
        if let Some(first) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
        {
            return first.trim().chars().take(64).collect();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// A cookie with the site's attributes: `HttpOnly`, `SameSite=Lax`, path `/`, `Secure` when
/// the site is served over TLS.
pub fn cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    max_age_days: i64,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .path("/")
        .max_age(cookie::time::Duration::days(max_age_days))
        .build()
}

/// Starts a session for `user`: stores its hash and returns the cookie to set.
pub async fn start_session(state: &AppState, user: &User) -> Result<Cookie<'static>, AppError> {
    let token = random_token();
    let ttl = std::time::Duration::from_secs(SESSION_DAYS as u64 * 86_400);
    state
        .store
        .create_session(&token_hash(&token), user.id, ttl)
        .await
        .map_err(|e| AppError::from(e).page())?;
    Ok(cookie(state, SESSION_COOKIE, token, SESSION_DAYS))
}

/// The CSRF token for a page with forms shown before sign-in, and the cookie to set when the
/// reader has none yet.
pub fn anonymous_csrf(state: &AppState, viewer: &Viewer) -> (String, Option<Cookie<'static>>) {
    if !viewer.csrf.is_empty() {
        return (viewer.csrf.clone(), None);
    }
    let token = random_token();
    (token.clone(), Some(cookie(state, CSRF_COOKIE, token, 1)))
}

impl AppState {
    /// Counts one event against `key` and refuses with 429 once `max` is passed within
    /// `window` (counters live in the store, so every server shares them).
    pub async fn rate_limit(
        &self,
        key: &str,
        max: i64,
        window: std::time::Duration,
    ) -> Result<(), AppError> {
        let n = self
            .store
            .hit_rate_limit(key, window)
            .await
            .map_err(|e| AppError::from(e).page())?;
        if n > max {
            Err(AppError::too_many(window.as_secs().max(1)).page())
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse".into(), Some(h.clone())).await);
        assert!(!verify_password("wrong horse".into(), Some(h)).await);
        assert!(!verify_password("correct horse".into(), None).await);
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(token_hash(&a), a);
        assert_ne!(csrf_for_session(&a), token_hash(&a));
    }
}
