//! HTTP fetching behind a small trait, so harvesters can be tested against a local server and
//! the politeness rules live in one place.

use async_trait::async_trait;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Why a fetch failed for good (after retries).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No connection could be made (DNS, refused, unreachable network).
    #[error("cannot reach {host}: {message} (is the network up?)")]
    Unreachable {
        /// The host we tried.
        host: String,
        /// The underlying error.
        message: String,
    },
    /// The server did not answer in time.
    #[error("{url} timed out after {millis} ms")]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout, in milliseconds.
        millis: u128,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body was larger than allowed.
    #[error("{url}: response larger than {max} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        max: usize,
    },
    /// Any other transport error.
    #[error("{url}: {message}")]
    Other {
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
}

/// A GET with request headers (conditional requests, tokens), for APIs whose every answer
/// matters: `304 Not Modified`, and rate limits told in headers.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The URL.
    pub url: String,
    /// Headers to send, `(name, value)`.
    pub headers: Vec<(String, String)>,
    /// The largest body accepted, below the fetcher's own cap (`None`: the fetcher's cap).
    pub max_body: Option<usize>,
}

/// Any answer to a [`Request`], whatever its status.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body (empty for `304`).
    pub body: Vec<u8>,
}

impl Reply {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Gets a URL's body. Implementations retry and pace themselves.
#[async_trait]
pub trait Fetcher: Send + Sync {
    /// The body of a successful (2xx) response.
    async fn get(&self, url: &str) -> Result<Vec<u8>, FetchError>;

    /// One paced request with headers, answered whatever its status and never retried: the
    /// caller reads `304` and rate-limit headers itself. Only failures to get any answer
    /// (connection, time-out, a body over the limit) are errors. The default sends no headers
    /// and knows only success: `get`'s body as a `200`.
    async fn request(&self, req: &Request) -> Result<Reply, FetchError> {
        let body = self.get(&req.url).await?;
        if let Some(max) = req.max_body.filter(|m| body.len() > *m) {
            return Err(FetchError::TooLarge {
                url: req.url.clone(),
                max,
            });
        }
        Ok(Reply {
            status: 200,
            headers: Vec::new(),
            body,
        })
    }
}

/// Politeness and robustness settings.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Sent with every request; arXiv asks for a real one with a contact.
    pub user_agent: String,
    /// At least this long between the starts of two requests (arXiv asks for 3 s).
    pub min_interval: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries after the first attempt, on timeouts, connection errors, 429 and 5xx.
    pub max_retries: u32,
    /// First backoff; doubled on each retry.
    pub backoff: Duration,
    /// The longest `Retry-After` we honour; longer waits fail instead.
    pub max_retry_after: Duration,
    /// The largest body accepted.
    pub max_body: usize,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            user_agent: format!(
                "dailypapers/{} (self-hosted Daily Papers; +https://github.com/dailypapers/dailypapers)",
                env!("CARGO_PKG_VERSION")
            ),
            min_interval: Duration::from_secs(3),
            timeout: Duration::from_secs(60),
            max_retries: 4,
            backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(600),
            max_body: 256 * 1024 * 1024,
        }
    }
}

/// The real fetcher: reqwest with rustls.
pub struct HttpFetcher {
    client: reqwest::Client,
    policy: FetchPolicy,
    last_start: Mutex<Option<Instant>>,
}

impl HttpFetcher {
    /// A fetcher with the given policy.
    pub fn new(policy: FetchPolicy) -> Result<HttpFetcher, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(policy.user_agent.clone())
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout.min(Duration::from_secs(20)))
            .build()
            .map_err(|e| FetchError::Other {
                url: String::new(),
                message: e.to_string(),
            })?;
        Ok(HttpFetcher {
            client,
            policy,
            last_start: Mutex::new(None),
        })
    }

    async fn pace(&self) {
        let mut last = self.last_start.lock().await;
        if let Some(t) = *last {
            let due = t + self.policy.min_interval;
            let now = Instant::now();
            if due > now {
                tokio::time::sleep(due - now).await;
            }
        }
        *last = Some(Instant::now());
    }

    async fn attempt(&self, url: &str) -> Result<Vec<u8>, (FetchError, Option<Duration>, bool)> {
        self.pace().await;
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let resp = self.client.get(url).send().await.map_err(|e| {
            if e.is_timeout() {
                (
                    FetchError::Timeout {
                        url: url.into(),
                        millis: self.policy.timeout.as_millis(),
                    },
                    None,
                    true,
                )
            } else if e.is_connect() {
                let message = root_cause(&e);
                // A name that does not resolve will not resolve in a minute either: fail now
                // (the job table retries a scheduled harvest later, with its own backoff).
                let retry = !is_name_error(&message);
                (
                    FetchError::Unreachable {
                        host: host.clone(),
                        message,
                    },
                    None,
                    retry,
                )
            } else {
                (
                    FetchError::Other {
                        url: url.into(),
                        message: root_cause(&e),
                    },
                    None,
                    true,
                )
            }
        })?;
        let status = resp.status();
        if !status.is_success() {
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let retryable = status.as_u16() == 429 || status.is_server_error();
            return Err((
                FetchError::Status {
                    url: url.into(),
                    status: status.as_u16(),
                },
                retry_after,
                retryable,
            ));
        }
        let mut body = Vec::new();
        let mut resp = resp;
        while let Some(chunk) = resp.chunk().await.map_err(|e| {
            let err = if e.is_timeout() {
                FetchError::Timeout {
                    url: url.into(),
                    millis: self.policy.timeout.as_millis(),
                }
            } else {
                FetchError::Other {
                    url: url.into(),
                    message: root_cause(&e),
                }
            };
            (err, None, true)
        })? {
            if body.len() + chunk.len() > self.policy.max_body {
                return Err((
                    FetchError::TooLarge {
                        url: url.into(),
                        max: self.policy.max_body,
                    },
                    None,
                    false,
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// `Retry-After` as seconds or as an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Whether a connection error's text says the host name did not resolve.
fn is_name_error(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "no address associated",
        "temporary failure in name resolution",
        "nodename nor servname",
    ]
    .iter()
    .any(|p| m.contains(p))
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    msg
}

#[async_trait]
impl Fetcher for HttpFetcher {
    async fn request(&self, req: &Request) -> Result<Reply, FetchError> {
        self.pace().await;
        let url = req.url.as_str();
        let mut r = self.client.get(url);
        for (k, v) in &req.headers {
            r = r.header(k.as_str(), v.as_str());
        }
        let mut resp = r.send().await.map_err(|e| {
            if e.is_timeout() {
                FetchError::Timeout {
                    url: url.into(),
                    millis: self.policy.timeout.as_millis(),
                }
            } else if e.is_connect() {
                FetchError::Unreachable {
                    host: reqwest::Url::parse(url)
                        .ok()
                        .and_then(|u| u.host_str().map(str::to_string))
                        .unwrap_or_default(),
                    message: root_cause(&e),
                }
            } else {
                FetchError::Other {
                    url: url.into(),
                    message: root_cause(&e),
                }
            }
        })?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let max = req
            .max_body
            .map_or(self.policy.max_body, |m| m.min(self.policy.max_body));
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| FetchError::Other {
            url: url.into(),
            message: root_cause(&e),
        })? {
            if body.len() + chunk.len() > max {
                return Err(FetchError::TooLarge {
                    url: url.into(),
                    max,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let mut backoff = self.policy.backoff;
        let mut attempt = 0;
        loop {
            match self.attempt(url).await {
                Ok(body) => return Ok(body),
                Err((err, retry_after, retryable)) => {
                    if !retryable || attempt >= self.policy.max_retries {
                        return Err(err);
                    }
                    let wait = match retry_after {
                        Some(w) if w > self.policy.max_retry_after => return Err(err),
                        Some(w) => w,
                        None => backoff,
                    };
                    tracing::warn!(%url, error = %err, wait_secs = wait.as_secs_f64(), "retrying");
                    tokio::time::sleep(wait).await;
                    backoff = backoff.saturating_mul(2);
                    attempt += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_name_that_does_not_resolve_fails_at_once_without_retries() {
        let fetcher = HttpFetcher::new(FetchPolicy {
            min_interval: Duration::ZERO,
            backoff: Duration::from_secs(30),
            max_retries: 4,
            ..FetchPolicy::default()
        })
        .unwrap();
        let t = Instant::now();
        // `.invalid` never resolves (RFC 6761), with or without a network.
        let e = fetcher
            .get("http://export.arxiv.invalid/api/query")
            .await
            .unwrap_err();
        assert!(matches!(e, FetchError::Unreachable { .. }), "{e}");
        assert!(
            t.elapsed() < Duration::from_secs(25),
            "retried a name error: {:?}",
            t.elapsed()
        );
    }

    #[test]
    fn name_errors_are_told_from_other_connection_errors() {
        assert!(is_name_error(
            "error sending request: client error (Connect): dns error: failed to lookup address information: Name or service not known"
        ));
        assert!(!is_name_error(
            "error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)"
        ));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = (chrono::Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
        let d = parse_retry_after(&later).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
