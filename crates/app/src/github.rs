//! GitHub stars of the repositories listed papers link, kept fresh through GitHub's REST API
//! (`GET /repos/{owner}/{name}`): conditional requests with the last ETag (a `304` costs no
//! quota), an optional token, and GitHub's rate-limit headers obeyed: once
//! `X-RateLimit-Remaining` reaches 0, or GitHub answers 403/429 for the limit, nothing is asked
//! until `X-RateLimit-Reset` (or `Retry-After`).

use crate::config::Config;
use crate::Error;
use chrono::{DateTime, TimeZone, Utc};
use dp_core::GithubRepo;
use dp_ingest::fetch::{Fetcher, Reply, Request};
use dp_store::{GithubCheck, Store};
use std::collections::HashMap;

/// The watermark holding the time (ms) before which GitHub must not be asked again.
pub const PAUSE_WATERMARK: &str = "github:rate-limited-until";

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StarsRun {
    /// Repositories due.
    pub due: usize,
    /// Answered with new data (`200`).
    pub updated: usize,
    /// Answered `304 Not Modified`.
    pub not_modified: usize,
    /// Gone or hidden (`404`, `410`, `451`).
    pub gone: usize,
    /// Other answers (kept as they were; asked again next time).
    pub failed: usize,
    /// List entries whose star count changed.
    pub entries_changed: usize,
    /// When GitHub's limit is spent: the time before which nothing is asked.
    pub paused_until: Option<DateTime<Utc>>,
}

/// The repositories linked from list entries, newest list first, each with the links that
/// name it.
fn linked(links: Vec<(String, String)>) -> Vec<(GithubRepo, Vec<String>)> {
    let mut out: Vec<(GithubRepo, Vec<String>)> = Vec::new();
    let mut at: HashMap<GithubRepo, usize> = HashMap::new();
    for (url, _day) in links {
        let Some(repo) = GithubRepo::from_url(&url) else {
            continue;
        };
        match at.get(&repo) {
            Some(&i) => out[i].1.push(url),
            None => {
                at.insert(repo.clone(), out.len());
                out.push((repo, vec![url]));
            }
        }
    }
    out
}

/// When GitHub says to wait until: `X-RateLimit-Reset` (epoch seconds), else `Retry-After`
/// (seconds), else an hour.
fn pause_until(reply: &Reply, now: DateTime<Utc>) -> DateTime<Utc> {
    if let Some(t) = reply
        .header("x-ratelimit-reset")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .and_then(|s| Utc.timestamp_opt(s, 0).single())
    {
        return t.max(now);
    }
    let secs = reply
        .header("retry-after")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(3600);
    now + chrono::Duration::seconds(secs.clamp(1, 86_400))
}

/// Whether the reply says the limit is spent.
fn limit_spent(reply: &Reply) -> bool {
    reply.header("x-ratelimit-remaining").map(str::trim) == Some("0")
}

/// Refreshes the stars of the repositories that are due (never asked, or asked more than
/// `github_refresh_hours` ago; the newest lists first, at most `github_repos_per_run`).
/// `on_repo(done, due)` follows the run. A GitHub that cannot be reached or answers 5xx stops
/// the run with an error, after storing what it did.
pub async fn refresh(
    store: &dyn Store,
    fetcher: &dyn Fetcher,
    config: &Config,
    now: DateTime<Utc>,
    on_repo: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<StarsRun, (StarsRun, Error)> {
    let mut run = StarsRun::default();
    match paused(store, now).await {
        Ok(Some(until)) => {
            run.paused_until = Some(until);
            return Ok(run);
        }
        Ok(None) => {}
        Err(e) => return Err((run, e)),
    }
    let h = &config.harvest;
    let (links, checks) = match (store.github_links().await, store.github_checks().await) {
        (Ok(l), Ok(c)) => (l, c),
        (Err(e), _) | (_, Err(e)) => return Err((run, e.into())),
    };
    let checks: HashMap<String, GithubCheck> =
        checks.into_iter().map(|c| (c.repo.clone(), c)).collect();
    let due_before = now - chrono::Duration::hours(h.github_refresh_hours as i64);
    let due: Vec<(GithubRepo, Vec<String>)> = linked(links)
        .into_iter()
        .filter(|(r, _)| {
            checks
                .get(&r.key())
                .is_none_or(|c| c.checked_at < due_before)
        })
        .take(h.github_repos_per_run as usize)
        .collect();
    run.due = due.len();
    let api = h.github_api_url.trim_end_matches('/');
    for (i, (repo, urls)) in due.iter().enumerate() {
        on_repo(i, run.due);
        let key = repo.key();
        let before = checks.get(&key);
        let mut headers = vec![
            (
                "Accept".to_string(),
                "application/vnd.github+json".to_string(),
            ),
            ("X-GitHub-Api-Version".to_string(), "2022-11-28".to_string()),
        ];
        if let Some(etag) = before.and_then(|c| c.etag.clone()) {
            headers.push(("If-None-Match".to_string(), etag));
        }
        if let Some(token) = h.github_token.as_deref().filter(|t| !t.trim().is_empty()) {
            headers.push((
                "Authorization".to_string(),
                format!("Bearer {}", token.trim()),
            ));
        }
        let req = Request {
            url: format!("{api}/repos/{key}"),
            headers,
            max_body: Some(1024 * 1024),
        };
        let reply = match fetcher.request(&req).await {
            Ok(r) => r,
            Err(e) => return Err((run, Error::Upstream(format!("GitHub: {e}")))),
        };
        let check = match reply.status {
            200 => {
                let stars = serde_json::from_slice::<serde_json::Value>(&reply.body)
                    .ok()
                    .and_then(|v| v.get("stargazers_count").and_then(|s| s.as_i64()));
                match stars {
                    Some(stars) => {
                        run.updated += 1;
                        Some(GithubCheck {
                            repo: key.clone(),
                            stars: Some(stars),
                            etag: reply.header("etag").map(str::to_string),
                            checked_at: now,
                        })
                    }
                    None => {
                        tracing::warn!(repo = %key, "GitHub: an answer without stargazers_count");
                        run.failed += 1;
                        None
                    }
                }
            }
            304 => {
                run.not_modified += 1;
                before.map(|b| GithubCheck {
                    checked_at: now,
                    ..b.clone()
                })
            }
            404 | 410 | 451 => {
                run.gone += 1;
                Some(GithubCheck {
                    repo: key.clone(),
                    stars: None,
                    etag: None,
                    checked_at: now,
                })
            }
            403 | 429
                if reply.status == 429
                    || limit_spent(&reply)
                    || reply.header("retry-after").is_some() =>
            {
                let until = pause_until(&reply, now);
                if let Err(e) = pause(store, until).await {
                    return Err((run, e));
                }
                run.paused_until = Some(until);
                tracing::info!(%until, "GitHub's rate limit is spent; waiting");
                break;
            }
            s if s >= 500 => {
                return Err((run, Error::Upstream(format!("GitHub answered HTTP {s}"))));
            }
            s => {
                tracing::warn!(repo = %key, status = s, "GitHub refused");
                run.failed += 1;
                None
            }
        };
        if let Some(check) = check {
            match store.set_github_check(&check, urls).await {
                Ok(n) => run.entries_changed += n,
                Err(e) => return Err((run, e.into())),
            }
        }
        // The last request the limit allowed: wait for the reset before the next.
        if limit_spent(&reply) {
            let until = pause_until(&reply, now);
            if let Err(e) = pause(store, until).await {
                return Err((run, e));
            }
            run.paused_until = Some(until);
            break;
        }
    }
    on_repo(run.due, run.due);
    Ok(run)
}

/// The pause GitHub asked for, when it is not over.
async fn paused(store: &dyn Store, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, Error> {
    let until = store
        .watermark(PAUSE_WATERMARK)
        .await?
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single());
    Ok(until.filter(|t| *t > now))
}

async fn pause(store: &dyn Store, until: DateTime<Utc>) -> Result<(), Error> {
    store
        .set_watermark(PAUSE_WATERMARK, &until.timestamp_millis().to_string())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_group_by_repository_in_list_order() {
        let got = linked(vec![
            ("https://github.com/A/b".into(), "2025-03-02".into()),
            ("https://gitlab.com/x/y".into(), "2025-03-02".into()),
            ("https://github.com/c/d".into(), "2025-03-01".into()),
            ("https://github.com/a/b.git".into(), "2025-02-01".into()),
        ]);
        let keys: Vec<String> = got.iter().map(|(r, _)| r.key()).collect();
        assert_eq!(keys, ["a/b", "c/d"]);
        assert_eq!(got[0].1.len(), 2);
    }

    #[test]
    fn the_reset_time_wins_over_retry_after() {
        let now = Utc.timestamp_opt(1_000_000, 0).unwrap();
        let reply = |h: &[(&str, &str)]| Reply {
            status: 403,
            headers: h
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
        };
        assert_eq!(
            pause_until(
                &reply(&[("x-ratelimit-reset", "1000600"), ("retry-after", "5")]),
                now
            ),
            Utc.timestamp_opt(1_000_600, 0).unwrap()
        );
        assert_eq!(
            pause_until(&reply(&[("retry-after", "30")]), now),
            now + chrono::Duration::seconds(30)
        );
        assert_eq!(
            pause_until(&reply(&[]), now),
            now + chrono::Duration::hours(1)
        );
        assert!(limit_spent(&reply(&[("X-RateLimit-Remaining", "0")])));
        assert!(!limit_spent(&reply(&[("x-ratelimit-remaining", "12")])));
    }
}
