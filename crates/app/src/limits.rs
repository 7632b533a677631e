//! Rate limits, counted in the store so every server on one database shares them. Every key a
//! limit is counted under is named here.

use crate::Error;
use dp_store::RateLimits;
use std::time::Duration;

/// One minute.
pub const MINUTE: Duration = Duration::from_secs(60);
/// Fifteen minutes: the sign-in window.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// One hour.
pub const HOUR: Duration = Duration::from_secs(3600);
/// One day.
pub const DAY: Duration = Duration::from_secs(86_400);

/// What a limit counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// Writes (votes, comments, claims, submissions, tokens, moderation) of one user.
    Writes(i64),
    /// Sign-ups from one client address.
    Signups(String),
    /// Sign-in attempts from one client address.
    LoginsFrom(String),
    /// Failed sign-ins for one user name (lower case), from any address.
    LoginFailuresOf(String),
    /// Failed sign-ins for one user name (lower case) from one client address.
    LoginFailures {
        /// The user name, lower case.
        name: String,
        /// The client's address.
        client: String,
    },
    /// Subscription forms sent from one client address.
    SubscribesFrom(String),
    /// Confirmation mails to one address (its key).
    ConfirmationsTo(String),
}

impl Key {
    /// The key as stored.
    pub fn as_string(&self) -> String {
        match self {
            Key::Writes(id) => format!("write:{id}"),
            Key::Signups(ip) => format!("signup:{ip}"),
            Key::LoginsFrom(ip) => format!("login:ip:{ip}"),
            Key::LoginFailuresOf(name) => format!("login:fail:{name}"),
            Key::LoginFailures { name, client } => format!("login:fail:{name}:{client}"),
            Key::SubscribesFrom(ip) => format!("subscribe-ip:{ip}"),
            Key::ConfirmationsTo(key) => format!("confirm-mail:{key}"),
        }
    }
}

/// Counts one event against `key` and refuses ([`Error::RateLimited`]) once `max` is passed
/// within `window`.
pub async fn hit(
    store: &(impl RateLimits + ?Sized),
    key: &Key,
    max: i64,
    window: Duration,
) -> Result<(), Error> {
    if count(store, key, window).await? > max {
        Err(Error::RateLimited(window.as_secs().max(1)))
    } else {
        Ok(())
    }
}

/// The count of `key` so far in the current window, counting nothing.
pub async fn peek(
    store: &(impl RateLimits + ?Sized),
    key: &Key,
    window: Duration,
) -> Result<i64, Error> {
    Ok(store.rate_limit_count(&key.as_string(), window).await?)
}

/// Counts one event against `key` and returns the count so far in the current window.
pub async fn count(
    store: &(impl RateLimits + ?Sized),
    key: &Key,
    window: Duration,
) -> Result<i64, Error> {
    Ok(store.hit_rate_limit(&key.as_string(), window).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_stored_names() {
        assert_eq!(Key::Writes(7).as_string(), "write:7");
        let failures = Key::LoginFailures {
            name: "ada".into(),
            client: "203.0.113.5".into(),
        };
        assert_eq!(failures.as_string(), "login:fail:ada:203.0.113.5");
        assert_eq!(
            Key::ConfirmationsTo("a@b.c".into()).as_string(),
            "confirm-mail:a@b.c"
        );
    }
}
