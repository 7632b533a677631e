//! Secrets handed to readers (session cookies, API tokens) and API tokens themselves. Only
//! SHA-256 hashes of secrets are stored, so a stolen database yields no live session or token.

use crate::{App, Error};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use dp_core::{ApiToken, TokenScope, User};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every API token starts with this, so tokens are easy to recognise (and to scan for in
/// leaked code).
pub const TOKEN_PREFIX: &str = "dp_";

/// Most live API tokens per account.
pub const MAX_TOKENS: usize = 20;

/// A random secret: 32 bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// SHA-256 of a secret, as stored.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// A new API token's secret.
pub fn new_api_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_token())
}

impl App {
    /// A user's tokens, newest first.
    pub async fn api_tokens(&self, user: &User) -> Result<Vec<ApiToken>, Error> {
        Ok(self.store.api_tokens(user.id).await?)
    }

    /// Creates an API token for `user`: its secret (shown once, never stored) and its record.
    pub async fn create_api_token(
        &self,
        user: &User,
        name: &str,
        scope: &str,
    ) -> Result<(String, ApiToken), Error> {
        self.write_limit(user).await?;
        let name = dp_core::community::token_name(name)?;
        let scope = TokenScope::parse(scope)
            .ok_or_else(|| Error::Invalid("The scope is read or write.".into()))?;
        let live = self
            .store
            .api_tokens(user.id)
            .await?
            .iter()
            .filter(|t| t.revoked_at.is_none())
            .count();
        if live >= MAX_TOKENS {
            return Err(Error::Invalid(format!(
                "You have {MAX_TOKENS} live tokens; revoke one first."
            )));
        }
        let secret = new_api_token();
        let token = self
            .store
            .create_api_token(user.id, &name, &token_hash(&secret), scope)
            .await?;
        Ok((secret, token))
    }

    /// Revokes one of `user`'s live tokens.
    pub async fn revoke_api_token(&self, user: &User, token_id: i64) -> Result<(), Error> {
        if self.store.revoke_api_token(user.id, token_id).await? {
            Ok(())
        } else {
            Err(Error::NotFound("No such token.".into()))
        }
    }

    /// The account and scope of a token sent with a request.
    pub async fn authenticate_token(&self, token: &str) -> Result<(User, TokenScope), Error> {
        let invalid = || Error::SignIn("The API token is invalid or was revoked.".into());
        if token.len() > 200 || !token.starts_with(TOKEN_PREFIX) {
            return Err(invalid());
        }
        self.store
            .api_token_user(&token_hash(token))
            .await?
            .ok_or_else(invalid)
    }
}

/// The account behind a token, when the token may write.
pub fn writer(user: &User, scope: TokenScope) -> Result<&User, Error> {
    match scope {
        TokenScope::Write => Ok(user),
        TokenScope::Read => Err(Error::Forbidden(
            "This token is read-only; create a token with the write scope on your settings page."
                .into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_stored_hashed() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(token_hash(&a), a);
        assert!(new_api_token().starts_with(TOKEN_PREFIX));
    }
}
