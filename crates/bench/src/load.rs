//! `dailypapers bench serve`: a small HTTP load generator, so serving figures come from one
//! reproducible command (a C tool such as wrk spends less CPU of its own and reports more).

use anyhow::{bail, Result};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Figures for one URL.
#[derive(Debug, serde::Serialize)]
pub struct LoadResult {
    /// The URL loaded.
    pub url: String,
    /// Completed requests with a 2xx answer.
    pub ok: u64,
    /// Requests that failed or answered otherwise.
    pub errors: u64,
    /// Successful requests per second.
    pub requests_per_sec: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
}

/// Sends requests to `url` from `connections` concurrent keep-alive connections for `duration`.
pub async fn load(url: &str, connections: usize, duration: Duration) -> Result<LoadResult> {
    load_spread(&[url.to_string()], connections, duration).await
}

/// Spreads `connections` over `urls` (connection i loads `urls[i % n]`), all at the same time:
/// the same load over several servers. Figures are for all of them together.
pub async fn load_spread(
    urls: &[String],
    connections: usize,
    duration: Duration,
) -> Result<LoadResult> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(10))
        .build()?;
    // One request first, so a wrong URL fails clearly instead of producing figures.
    for url in urls {
        let first = client.get(url).send().await?;
        if !first.status().is_success() {
            bail!("{url} answered {}", first.status());
        }
    }
    let label = urls.join(" + ");
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::with_capacity(connections);
    for i in 0..connections {
        let client = client.clone();
        let url = Arc::new(urls[i % urls.len()].clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match client.get(url.as_str()).send().await {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(_) => lat.push(t.elapsed().as_micros() as u32),
                        Err(_) => errors += 1,
                    },
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let start = Instant::now();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await?;
        all.extend(lat);
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64().max(duration.as_secs_f64());
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return 0.0;
        }
        let i = ((all.len() as f64 - 1.0) * p).round() as usize;
        f64::from(all[i]) / 1000.0
    };
    Ok(LoadResult {
        url: label,
        ok: all.len() as u64,
        errors,
        requests_per_sec: all.len() as f64 / secs,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    })
}
