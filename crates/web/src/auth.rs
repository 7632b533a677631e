//! Who is asking: the session cookie (`dp_session`; the session itself and password checks are
//! `dp_app::accounts`), CSRF tokens, and the client's address.
//!
//! CSRF: a signed-in reader's token is derived from their session token (which only their
//! browser holds, in an `HttpOnly` cookie); before sign-in, forms carry the value of a random
//! `dp_csrf` cookie (double submit). Every POST compares the form's `csrf` field with it.

use crate::error::OrPage;
use crate::{AppError, AppState};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use dp_app::accounts::{Session, SESSION_DAYS};
use dp_app::tokens::random_token;
use dp_core::User;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// Session cookie name.
pub const SESSION_COOKIE: &str = "dp_session";
/// Pre-sign-in CSRF cookie name.
pub const CSRF_COOKIE: &str = "dp_csrf";
fn csrf_for_session(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(format!("csrf\0{token}").as_bytes()))
}

/// The reader of a request: their account when signed in, and the CSRF token their forms carry.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The signed-in account.
    pub user: Option<User>,
    /// The token forms must echo; empty before sign-in until a `dp_csrf` cookie is set.
    pub csrf: String,
    /// The session's secret, to end the session on sign-out.
    pub session: Option<String>,
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
        let ip = client_ip(
            parts,
            state.settings.trust_proxy_headers,
            state.settings.proxy_hops,
        );
        if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
            let user = state.app.session_user(&token).await.or_page()?;
            if let Some(user) = user {
                return Ok(Viewer {
                    user: Some(user),
                    csrf: csrf_for_session(&token),
                    session: Some(token),
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
            session: None,
            ip,
        })
    }
}

/// The client's address as rate limits count it: the socket's peer, or, behind proxies this
/// server trusts (`proxy_hops` of them, each appending the address it saw to
/// `X-Forwarded-For`), the hop the nearest trusted proxy recorded; never a part the client
/// wrote itself. IPv6 clients are counted by their /64 network, which one subscriber holds.
pub(crate) fn client_ip(parts: &Parts, trust_proxy: bool, proxy_hops: usize) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = trust_proxy
        .then(|| {
            let hops: Vec<&str> = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .collect();
            let i = hops.len().checked_sub(proxy_hops.max(1))?;
            hops.get(i)?.parse::<IpAddr>().ok()
        })
        .flatten();
    match forwarded.or(peer) {
        Some(ip) => client_key(ip),
        None => "local".into(),
    }
}

/// An address as a rate-limit key: IPv4 as it is, IPv6 by its /64 network.
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
    }
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

/// The cookie that carries a session just started.
pub fn session_cookie(state: &AppState, session: Session) -> Cookie<'static> {
    cookie(state, SESSION_COOKIE, session.token, SESSION_DAYS)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_network() {
        let key = |s: &str| client_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2::ffff"), key("2001:db8:1:2:abcd::1"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("203.0.113.5"), "203.0.113.5");
        assert_eq!(key("::ffff:203.0.113.5"), "203.0.113.5");
    }

    #[test]
    fn csrf_tokens_differ_from_the_stored_session_hash() {
        let a = random_token();
        assert_ne!(csrf_for_session(&a), dp_app::tokens::token_hash(&a));
        assert_eq!(csrf_for_session(&a), csrf_for_session(&a));
    }
}
