//! A request budget per client address for the API (in memory, per server): past it, 429 with
//! `Retry-After`. Writes also count against the user's budget in the store (shared by servers).

use crate::auth::client_ip;
use crate::{AppError, AppState};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

/// Client addresses remembered before idle ones are forgotten.
const MAX_CLIENTS: usize = 100_000;

/// The API's per-client budget.
pub struct ApiLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl ApiLimiter {
    /// A budget of `per_minute` requests per client address (bursts up to that many); `None`
    /// for 0, which means no limit.
    pub fn new(per_minute: u32) -> Option<ApiLimiter> {
        NonZeroU32::new(per_minute).map(|n| ApiLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
        })
    }

    /// Counts one request of `client`; the seconds to wait when over budget.
    pub fn check(&self, client: &str) -> Result<(), u64> {
        if self.limiter.len() > MAX_CLIENTS {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&client.to_string())
            .map_err(|not_until| {
                not_until
                    .wait_time_from(DefaultClock::default().now())
                    .as_secs()
                    .max(1)
            })
    }
}

/// Charges the request's client against `limiter` (which the server may not have: no budget);
/// `Err` holds the seconds to wait.
fn charge(
    limiter: Option<&ApiLimiter>,
    state: &AppState,
    parts: &axum::http::request::Parts,
) -> Result<(), u64> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    let settings = &state.settings;
    limiter.check(&client_ip(
        parts,
        settings.trust_proxy_headers,
        settings.proxy_hops,
    ))
}

/// Middleware of the API routes.
pub async fn per_client(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match charge(state.api_limiter.as_deref(), &state, &parts) {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(wait) => AppError::too_many(wait).into_response(),
    }
}

/// Middleware of the search routes (pages, feeds and API): a budget of their own, since each
/// runs the embedding model and both indexes.
pub async fn searches(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match charge(state.search_limiter.as_deref(), &state, &parts) {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(wait) if parts.uri.path().starts_with("/api/") => {
            AppError::too_many(wait).into_response()
        }
        Err(wait) => AppError::too_many(wait).page().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_per_client() {
        let l = ApiLimiter::new(3).unwrap();
        for _ in 0..3 {
            assert!(l.check("10.0.0.1").is_ok());
        }
        let wait = l.check("10.0.0.1").unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(l.check("10.0.0.2").is_ok());
        assert!(ApiLimiter::new(0).is_none());
    }
}
