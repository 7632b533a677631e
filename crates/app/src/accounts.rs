//! Accounts: signing up and in (argon2id password hashes, rate limits per client address and
//! per user name), sessions (random tokens, stored hashed), and accounts made from the CLI.

use crate::limits::{self, Key};
use crate::tokens::{random_token, token_hash};
use crate::{App, Error};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use dp_core::community::check_password;
use dp_core::{User, Username};
use std::time::Duration;

/// How long a session lasts.
pub const SESSION_DAYS: i64 = 30;

/// A session just started: the secret for the reader's cookie (never stored) and its account.
#[derive(Debug, Clone)]
pub struct Session {
    /// The secret the reader's browser keeps.
    pub token: String,
    /// The account.
    pub user: User,
}

/// An argon2id hash (PHC string) of a password, computed off the async threads.
pub async fn hash_password(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| Error::internal(format!("hashing task: {e}")))?
    .map_err(|e| Error::internal(format!("hashing: {e}")))
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

impl App {
    /// Creates an account from the sign-up form and starts its session. `client` is the
    /// client's address (sign-ups are limited per address); a bad name or password is
    /// [`Error::Invalid`], a taken name [`Error::Conflict`].
    pub async fn sign_up(
        &self,
        client: &str,
        name: &str,
        password: String,
    ) -> Result<Session, Error> {
        limits::hit(
            self.store.as_ref(),
            &Key::Signups(client.to_string()),
            self.rules.signups_per_hour,
            limits::HOUR,
        )
        .await?;
        let name = Username::parse(name)?;
        check_password(&password)?;
        let hash = hash_password(password).await?;
        let user = self.store.create_user(&name, &hash, false).await?;
        tracing::info!(user = %user.name, admin = user.is_admin, "account created");
        self.start_session(user).await
    }

    /// Signs in with a name and password. Attempts are limited per client address. Only
    /// failures count against a user name: once a name has had twice the limit of failures,
    /// addresses that failed for it are refused, while an address that did not (its owner's,
    /// with the right password) still gets in. A wrong name or password is [`Error::SignIn`],
    /// a banned account [`Error::Forbidden`].
    pub async fn log_in(
        &self,
        client: &str,
        name: &str,
        password: String,
    ) -> Result<Session, Error> {
        let store = self.store.as_ref();
        let max = self.rules.logins_per_15min;
        limits::hit(
            store,
            &Key::LoginsFrom(client.to_string()),
            max,
            limits::LOGIN_WINDOW,
        )
        .await?;
        let name_key: String = name.trim().to_lowercase().chars().take(64).collect();
        let of_name = Key::LoginFailuresOf(name_key.clone());
        let from_here = Key::LoginFailures {
            name: name_key,
            client: client.to_string(),
        };
        let window = limits::LOGIN_WINDOW;
        if limits::peek(store, &of_name, window).await? >= max.saturating_mul(2)
            && limits::peek(store, &from_here, window).await? > 0
        {
            return Err(Error::RateLimited(window.as_secs()));
        }
        let (user, hash) = match self.store.user_credentials(name).await? {
            Some((u, h)) => (Some(u), Some(h)),
            None => (None, None),
        };
        let ok = verify_password(password, hash).await;
        let user = match user {
            Some(u) if ok => u,
            _ => {
                limits::count(store, &of_name, window).await?;
                limits::count(store, &from_here, window).await?;
                return Err(Error::SignIn("Wrong user name or password.".into()));
            }
        };
        if user.banned {
            return Err(Error::Forbidden("This account is banned.".into()));
        }
        self.start_session(user).await
    }

    /// Starts a session for `user`.
    pub async fn start_session(&self, user: User) -> Result<Session, Error> {
        let token = random_token();
        let ttl = Duration::from_secs(SESSION_DAYS as u64 * 86_400);
        self.store
            .create_session(&token_hash(&token), user.id, ttl)
            .await?;
        Ok(Session { token, user })
    }

    /// The account of a session secret from a cookie, if the session is live.
    pub async fn session_user(&self, token: &str) -> Result<Option<User>, Error> {
        Ok(self.store.session_user(&token_hash(token)).await?)
    }

    /// Ends the session with this secret.
    pub async fn log_out(&self, token: &str) -> Result<(), Error> {
        Ok(self.store.delete_session(&token_hash(token)).await?)
    }

    /// Ends every session of `user` (sign out everywhere); returns how many there were.
    pub async fn log_out_everywhere(&self, user: &User) -> Result<u64, Error> {
        Ok(self.store.delete_sessions_of(user.id).await?)
    }

    /// Changes `user`'s password after checking the current one, ends every other session,
    /// and starts a new one for the browser that asked (its old session ends too).
    pub async fn change_password(
        &self,
        user: &User,
        current: String,
        new: String,
    ) -> Result<Session, Error> {
        self.write_limit(user).await?;
        let hash = self
            .store
            .user_credentials(&user.name)
            .await?
            .map(|(_, h)| h);
        if !verify_password(current, hash).await {
            return Err(Error::SignIn("The current password is wrong.".into()));
        }
        check_password(&new)?;
        let hash = hash_password(new).await?;
        self.store.set_password(user.id, &hash).await?;
        self.store.delete_sessions_of(user.id).await?;
        tracing::info!(user = %user.name, "password changed; every session ended");
        self.start_session(user.clone()).await
    }

    /// Deletes `user`'s account after checking its password (see
    /// [`dp_store::Accounts::delete_account`] for what goes and what stays). The last admin
    /// cannot delete their account.
    pub async fn delete_account(&self, user: &User, password: String) -> Result<(), Error> {
        self.write_limit(user).await?;
        let hash = self
            .store
            .user_credentials(&user.name)
            .await?
            .map(|(_, h)| h);
        if !verify_password(password, hash).await {
            return Err(Error::SignIn("The password is wrong.".into()));
        }
        if user.is_admin && self.store.admin_count().await? <= 1 {
            return Err(Error::Refused(
                "You are the only admin: make another account an admin first.".into(),
            ));
        }
        self.store
            .delete_account(user.id)
            .await?
            .ok_or_else(|| Error::NotFound("No such account.".into()))?;
        tracing::info!(user = %user.name, "account deleted");
        self.changed();
        Ok(())
    }

    /// Sets an account's password from the command line (`dailypapers user password`) and ends
    /// all its sessions.
    pub async fn reset_password(&self, name: &str, password: String) -> Result<User, Error> {
        let user = self
            .store
            .user_by_name(name)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no user named {name}")))?;
        check_password(&password)?;
        let hash = hash_password(password).await?;
        self.store.set_password(user.id, &hash).await?;
        self.store.delete_sessions_of(user.id).await?;
        Ok(user)
    }

    /// Creates an account from the command line (`dailypapers user create`).
    pub async fn create_user(
        &self,
        name: &str,
        password: String,
        admin: bool,
    ) -> Result<User, Error> {
        let name = Username::parse(name)?;
        check_password(&password)?;
        let hash = hash_password(password).await?;
        Ok(self.store.create_user(&name, &hash, admin).await?)
    }

    /// Grants or removes admin rights (`dailypapers user admin`).
    pub async fn set_admin(&self, name: &str, admin: bool) -> Result<User, Error> {
        let user = self
            .store
            .user_by_name(name)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no user named {name}")))?;
        self.store.set_admin(user.id, admin).await?;
        Ok(user)
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
}
