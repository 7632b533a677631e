//! `dailypapers bench soak`: a long run of mixed load against a real `serve` process on the
//! configured store, with a table of the server's resident memory, open files, database size
//! and errors every minute, and a check at the end that every write the server acknowledged is
//! in the store.
//!
//! The load: anonymous readers of every page kind, feeds, searches and API reads; signed-in
//! readers (`--accounts` of them) voting, commenting and submitting; and the server's own
//! harvest, scheduled every minute against a local server that replays recorded arXiv OAI-PMH
//! and Hugging Face answers from the shared data. `scripts/soak.sh` prepares the store (SQLite
//! or PostgreSQL) and runs it.

use anyhow::{bail, Context, Result};
use dp_app::config::Config;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to run.
pub struct SoakOptions {
    /// Minutes of load.
    pub minutes: u64,
    /// Signed-in readers.
    pub accounts: usize,
    /// Concurrent anonymous readers.
    pub readers: usize,
    /// Where the shared data is.
    pub shared: PathBuf,
}

/// One row of the table: the server a minute into the run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sample {
    /// Minutes since the load started.
    pub minute: u64,
    /// Resident memory of the server, MiB.
    pub rss_mib: f64,
    /// Open file descriptors of the server.
    pub fds: usize,
    /// Database size, MiB.
    pub db_mib: f64,
    /// Requests answered so far.
    pub requests: u64,
    /// 5xx answers and failed requests so far.
    pub errors: u64,
}

/// Counters shared by the load tasks.
#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    errors: AtomicU64,
    refused: AtomicU64,
}

/// Writes the server acknowledged, to find in the store at the end.
#[derive(Default)]
struct Acked {
    /// (user name, paper) → the last vote state acknowledged.
    votes: HashMap<(String, String), bool>,
    /// (paper, body) of acknowledged comments.
    comments: Vec<(String, String)>,
    /// Papers whose submission was acknowledged.
    submissions: Vec<String>,
}

/// A tiny deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len().max(1) as u64) as usize]
    }
}

/// The replay server: OAI-PMH, the arXiv API and Hugging Face's daily papers, from recordings.
async fn replay_server(shared: &Path, day_file: &Path) -> Result<String> {
    use axum::routing::get;
    let oai = std::fs::read(
        shared.join("arxiv-fixtures/oai-pmh/hepcrawl_functional_arxiv-physics-hep-ex.xml"),
    )
    .context("the recorded OAI-PMH answer")?;
    let atom = std::fs::read(shared.join("arxiv-fixtures/atom-api/id_list_1111.2011v2.xml"))
        .context("the recorded arXiv API answer")?;
    let day = read_maybe_gz(day_file)?;
    let xml = |body: Vec<u8>| {
        move || {
            let body = body.clone();
            async move { ([("content-type", "application/xml")], body) }
        }
    };
    let app = axum::Router::new()
        .route("/oai", get(xml(oai)))
        .route("/api/query", get(xml(atom)))
        .route(
            "/api/daily_papers",
            get(move || {
                let body = day.clone();
                async move { ([("content-type", "application/json")], body) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}"))
}

fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let raw = std::fs::read(path).with_context(|| path.display().to_string())?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out)?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Starts `serve` on the configured store, harvesting from `replay` every minute, with the
/// write limits lifted (the load is many readers from one address).
fn start_server(config: &Config, port: u16, replay: &str, log: &Path) -> Result<Child> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.arg("--data-dir").arg(&config.data_dir);
    if let Some(url) = &config.database_url {
        cmd.arg("--database-url").arg(url);
    }
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DAILYPAPERS_HARVEST__OAI_URL", format!("{replay}/oai"))
        .env(
            "DAILYPAPERS_HARVEST__ARXIV_API_URL",
            format!("{replay}/api/query"),
        )
        .env("DAILYPAPERS_HARVEST__HF_URL", replay)
        .env("DAILYPAPERS_HARVEST__SCHEDULE_MINUTES", "1")
        // The recorded OAI-PMH answer is of hep-ex papers.
        .env("DAILYPAPERS_HARVEST__CATEGORIES", "[\"hep-ex\"]")
        .env("DAILYPAPERS_HARVEST__REQUEST_INTERVAL_SECS", "0")
        .env("DAILYPAPERS_COMMUNITY__WRITES_PER_MINUTE", "1000000")
        .env("DAILYPAPERS_COMMUNITY__LOGINS_PER_15MIN", "100000")
        .env("DAILYPAPERS_COMMUNITY__SIGNUPS_PER_HOUR", "100000")
        .env("DAILYPAPERS_COMMUNITY__SUBMISSIONS_PER_DAY", "100000")
        .env("DAILYPAPERS_COMMUNITY__SUBMIT_MAX_AGE_DAYS", "100000")
        .env("DAILYPAPERS_COMMUNITY__API_REQUESTS_PER_MINUTE", "0")
        .env("DAILYPAPERS_COMMUNITY__SEARCHES_PER_MINUTE", "0")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?);
    Ok(cmd.spawn()?)
}

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

async fn db_mib(config: &Config, pg: Option<&sqlx::PgPool>) -> f64 {
    if let Some(pool) = pg {
        let size: Result<(i64,), _> = sqlx::query_as("SELECT pg_database_size(current_database())")
            .fetch_one(pool)
            .await;
        return size.map_or(0.0, |s| s.0 as f64 / 1_048_576.0);
    }
    let db = config.data_dir.join("dailypapers.sqlite");
    let size: u64 = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum();
    size as f64 / 1_048_576.0
}

/// The CSRF token of the first form of a page.
fn csrf_of(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")? + 19;
    let end = body[at..].find('"')?;
    Some(body[at..at + end].to_string())
}

/// A signed-in reader: a client with its cookies and its CSRF token.
struct Reader {
    name: String,
    client: reqwest::Client,
    csrf: String,
}

async fn sign_in(base: &str, name: &str) -> Result<Reader> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    for action in ["/signup", "/login"] {
        let page = client
            .get(format!("{base}{action}"))
            .send()
            .await?
            .text()
            .await?;
        let csrf = csrf_of(&page).context("a CSRF token on the form")?;
        let r = client
            .post(format!("{base}{action}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", name),
                ("password", "soak test password"),
                ("next", "/papers"),
            ])
            .send()
            .await?;
        if r.status().as_u16() == 303 {
            let page = client
                .get(format!("{base}/settings"))
                .send()
                .await?
                .text()
                .await?;
            let csrf = csrf_of(&page).context("a CSRF token when signed in")?;
            return Ok(Reader {
                name: name.to_string(),
                client,
                csrf,
            });
        }
    }
    bail!("{name} could neither sign up nor sign in")
}

/// What the load reads and writes.
struct Targets {
    base: String,
    days: Vec<String>,
    listed: Vec<String>,
    unlisted: Vec<String>,
    words: Vec<String>,
    users: Vec<String>,
}

async fn targets(base: &str, shared: &Path, store: &dyn dp_store::Store) -> Result<Targets> {
    let mut days: Vec<String> = std::fs::read_dir(shared.join("hf-daily/days"))?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let n = e.file_name().to_str()?.to_string();
            n.ends_with(".json.gz").then(|| n[..10].to_string())
        })
        .collect();
    days.sort();
    let recent: Vec<String> = days.iter().rev().take(30).cloned().collect();
    let client = reqwest::Client::new();
    let mut listed = Vec::new();
    for d in recent.iter().take(5) {
        let body = client
            .get(format!("{base}/api/daily_papers?date={d}&limit=100"))
            .send()
            .await?
            .bytes()
            .await?;
        let items: serde_json::Value = serde_json::from_slice(&body)?;
        for i in items.as_array().into_iter().flatten() {
            if let Some(id) = i["paper"]["id"].as_str() {
                listed.push(id.to_string());
            }
        }
    }
    if listed.is_empty() {
        bail!(
            "the store has no listed papers: import the shared data first (scripts/soak.sh does)"
        );
    }
    // Papers on no list, to submit: from the arXiv bulk file the store was filled with.
    let mut unlisted = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared.join("arxiv-bulk"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    let bulk = files
        .into_iter()
        .find(|p| p.to_string_lossy().contains(".jsonl"));
    if let Some(bulk) = bulk {
        let text = String::from_utf8(read_maybe_gz(&bulk)?)?;
        for line in text.lines().take(20_000) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            if let Some(id) = v["id"].as_str() {
                if let Ok(id) = dp_core::ArxivId::parse(id) {
                    if store.paper(&id).await?.is_some() && unlisted.len() < 5_000 {
                        unlisted.push(id.to_string());
                    }
                }
            }
        }
    }
    let words = [
        "diffusion",
        "language model",
        "reinforcement learning from human feedback",
        "graph neural network",
        "retrieval augmented generation",
        "author:Hinton",
        "\"vision transformer\"",
        "category:cs.CL speech",
        "protein structure",
        "robot manipulation",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    Ok(Targets {
        base: base.to_string(),
        days: recent,
        listed,
        unlisted,
        words,
        users: Vec::new(),
    })
}

fn anonymous_path(t: &Targets, rng: &mut Rng) -> String {
    let day = rng.pick(&t.days);
    let id = rng.pick(&t.listed);
    let q = rng.pick(&t.words).replace(' ', "+").replace('"', "%22");
    let week = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(|d| d.format("%G-W%V").to_string())
        .unwrap_or_default();
    match rng.next() % 18 {
        0 => "/papers".into(),
        1 => format!("/papers/date/{day}"),
        2 => format!("/papers/week/{week}"),
        3 => format!("/papers/month/{}", &day[..7]),
        4 => "/papers/trending".into(),
        5..=7 => format!("/papers/{id}"),
        8 => "/papers/feed.rss".into(),
        9 => "/papers/trending/feed.atom".into(),
        10 => format!("/search?q={q}"),
        11 => format!("/api/daily_papers?date={day}"),
        12 => format!("/api/papers/{id}"),
        13 => format!("/api/papers/search?q={q}"),
        14 => format!("/api/papers/{id}/comments"),
        15 => format!("/api/papers/{id}/similar"),
        16 => match t.users.is_empty() {
            true => "/about".into(),
            false => format!("/users/{}", rng.pick(&t.users)),
        },
        _ => "/api".into(),
    }
}

async fn count(counts: &Counts, r: reqwest::Result<reqwest::Response>) -> Option<(u16, String)> {
    counts.requests.fetch_add(1, Ordering::Relaxed);
    match r {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            if status >= 500 {
                counts.errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(status, "server error");
            } else if status == 429 {
                counts.refused.fetch_add(1, Ordering::Relaxed);
            }
            Some((status, body))
        }
        Err(e) => {
            counts.errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "request failed");
            None
        }
    }
}

async fn write_once(
    reader: &Reader,
    t: &Targets,
    rng: &mut Rng,
    counts: &Counts,
    acked: &Mutex<Acked>,
    seq: u64,
) {
    let base = &t.base;
    let c = &reader.client;
    match rng.next() % 10 {
        0..=4 => {
            let id = rng.pick(&t.listed).clone();
            let up = !rng.next().is_multiple_of(3);
            let r = c
                .post(format!("{base}/papers/{id}/upvote"))
                .header("accept", "application/json")
                .form(&[
                    ("csrf", reader.csrf.as_str()),
                    ("up", if up { "1" } else { "0" }),
                ])
                .send()
                .await;
            if let Some((200, _)) = count(counts, r).await {
                if let Ok(mut a) = acked.lock() {
                    a.votes.insert((reader.name.clone(), id), up);
                }
            }
        }
        5..=8 => {
            let id = rng.pick(&t.listed).clone();
            let body = format!(
                "Soak comment {seq} by {}: see $x^2$ & <b>this</b> [link](https://example.org/{seq}).",
                reader.name
            );
            let r = c
                .post(format!("{base}/papers/{id}/comments"))
                .header("accept", "application/json")
                .form(&[("csrf", reader.csrf.as_str()), ("body", body.as_str())])
                .send()
                .await;
            if let Some((200, _)) = count(counts, r).await {
                if let Ok(mut a) = acked.lock() {
                    a.comments.push((id, body));
                }
            }
        }
        _ => {
            if t.unlisted.is_empty() {
                return;
            }
            let id = rng.pick(&t.unlisted).clone();
            let r = c
                .post(format!("{base}/submit"))
                .form(&[("csrf", reader.csrf.as_str()), ("paper", id.as_str())])
                .send()
                .await;
            if let Some((303, _)) = count(counts, r).await {
                if let Ok(mut a) = acked.lock() {
                    a.submissions.push(id);
                }
            }
        }
    }
}

/// Least-squares slope of `ys` over `xs`.
pub fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let num: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let den: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// Runs the soak and prints the table; fails when a 5xx was answered or an acknowledged
/// write is missing.
pub async fn run(config: &Config, opts: &SoakOptions) -> Result<()> {
    let url = config.database_url();
    let store = dp_store::open(&url).await.context("opening the store")?;
    let pg = if url.starts_with("postgres") {
        Some(sqlx::PgPool::connect(&url).await?)
    } else {
        None
    };
    let mut days: Vec<PathBuf> = std::fs::read_dir(opts.shared.join("hf-daily/days"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    days.sort();
    let last_day = days.last().context("the shared HF days")?;
    let replay = replay_server(&opts.shared, last_day).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log = config.data_dir.join("soak-server.log");
    let mut server = start_server(config, port, &replay, &log)?;
    let pid = server.id();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let up = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        if up.elapsed() > Duration::from_secs(120) {
            let _ = server.kill();
            bail!("the server did not come up; see {}", log.display());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let outcome = soak(config, opts, &base, pid, store.as_ref(), pg.as_ref()).await;
    let _ = server.kill();
    let _ = server.wait();
    outcome
}

async fn soak(
    config: &Config,
    opts: &SoakOptions,
    base: &str,
    pid: u32,
    store: &dyn dp_store::Store,
    pg: Option<&sqlx::PgPool>,
) -> Result<()> {
    let mut t = targets(base, &opts.shared, store).await?;
    let mut readers = Vec::new();
    for i in 0..opts.accounts {
        readers.push(sign_in(base, &format!("soak{i:02}")).await?);
    }
    t.users = readers.iter().map(|r| r.name.clone()).collect();
    let t = Arc::new(t);
    let counts = Arc::new(Counts::default());
    let acked = Arc::new(Mutex::new(Acked::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let anon = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(opts.readers)
        .build()?;
    let mut tasks = Vec::new();
    for i in 0..opts.readers {
        let (t, counts, stop, anon) = (t.clone(), counts.clone(), stop.clone(), anon.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1));
            while !stop.load(Ordering::Relaxed) {
                let path = anonymous_path(&t, &mut rng);
                let r = anon.get(format!("{}{path}", t.base)).send().await;
                count(&counts, r).await;
            }
        }));
    }
    let seq = Arc::new(AtomicU64::new(0));
    for (i, reader) in readers.into_iter().enumerate() {
        let (t, counts, stop, acked, seq) = (
            t.clone(),
            counts.clone(),
            stop.clone(),
            acked.clone(),
            seq.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (i as u64 + 1));
            while !stop.load(Ordering::Relaxed) {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                write_once(&reader, &t, &mut rng, &counts, &acked, n).await;
                // A reader writes now and then, not as fast as possible.
                tokio::time::sleep(Duration::from_millis(200 + rng.next() % 800)).await;
            }
        }));
    }
    let start = Instant::now();
    let mut samples = Vec::new();
    println!("| minute | RSS MiB | open fds | database MiB | requests | errors |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for minute in 0..=opts.minutes {
        let due = start + Duration::from_secs(60 * minute);
        tokio::time::sleep_until(due.into()).await;
        let s = Sample {
            minute,
            rss_mib: crate::status_mib(&pid.to_string(), &["VmRSS:"])[0],
            fds: fds(pid),
            db_mib: db_mib(config, pg).await,
            requests: counts.requests.load(Ordering::Relaxed),
            errors: counts.errors.load(Ordering::Relaxed),
        };
        println!(
            "| {} | {:.1} | {} | {:.1} | {} | {} |",
            s.minute, s.rss_mib, s.fds, s.db_mib, s.requests, s.errors
        );
        samples.push(s);
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    // Every acknowledged write is in the store.
    let acked = std::mem::take(&mut *acked.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    let mut missing = Vec::new();
    let mut user_ids = HashMap::new();
    for ((name, paper), up) in &acked.votes {
        let id = match user_ids.get(name) {
            Some(id) => *id,
            None => {
                let u = store.user_by_name(name).await?.context("a soak account")?;
                user_ids.insert(name.clone(), u.id);
                u.id
            }
        };
        let voted = !store
            .voted_papers(id, std::slice::from_ref(paper))
            .await?
            .is_empty();
        if voted != *up {
            missing.push(format!("vote of {name} on {paper}"));
        }
    }
    let mut by_paper: HashMap<&str, Vec<String>> = HashMap::new();
    for (paper, _) in &acked.comments {
        if !by_paper.contains_key(paper.as_str()) {
            let id = dp_core::ArxivId::parse(paper)?;
            let bodies = store
                .comments(&id)
                .await?
                .into_iter()
                .map(|c| c.body)
                .collect();
            by_paper.insert(paper, bodies);
        }
    }
    for (paper, body) in &acked.comments {
        if !by_paper
            .get(paper.as_str())
            .is_some_and(|b| b.contains(body))
        {
            missing.push(format!("comment on {paper}"));
        }
    }
    for paper in &acked.submissions {
        let id = dp_core::ArxivId::parse(paper)?;
        let listed = store
            .paper_detail(&id)
            .await?
            .is_some_and(|d| !d.entries.is_empty());
        if !listed {
            missing.push(format!("submission of {paper}"));
        }
    }
    let warm = (opts.minutes / 3).max(1);
    let points: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.minute >= warm)
        .map(|s| (s.minute as f64, s.rss_mib))
        .collect();
    let rss_slope = slope(&points);
    let errors = counts.errors.load(Ordering::Relaxed);
    println!(
        "\nrequests {} in {} min ({:.0}/s); 5xx and failures {}; refused (429) {}",
        counts.requests.load(Ordering::Relaxed),
        opts.minutes,
        counts.requests.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64(),
        errors,
        counts.refused.load(Ordering::Relaxed)
    );
    println!(
        "acknowledged writes: {} vote states, {} comments, {} submissions; missing {}",
        acked.votes.len(),
        acked.comments.len(),
        acked.submissions.len(),
        missing.len()
    );
    println!("RSS slope after minute {warm}: {rss_slope:+.3} MiB/min");
    if errors > 0 || !missing.is_empty() {
        bail!(
            "soak failed: {errors} errors; missing writes: {:?}",
            missing.iter().take(10).collect::<Vec<_>>()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::slope;

    #[test]
    fn slope_of_a_line() {
        let pts: Vec<(f64, f64)> = (0..10).map(|x| (x as f64, 3.0 + 0.5 * x as f64)).collect();
        assert!((slope(&pts) - 0.5).abs() < 1e-9);
        assert_eq!(slope(&[(1.0, 2.0)]), 0.0);
    }
}
