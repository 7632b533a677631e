//! The benchmarks of dailypapers, out of the product: the `dailypapers bench` commands call
//! [`run`]. Each prints figures next to a baseline measured in the same run.
//!
//! * `bench import` (here): import throughput and peak memory, against parsing alone and a
//!   plain batched INSERT of the same rows into SQLite (and, with `--postgres`, the same into
//!   PostgreSQL against its own plain INSERT).
//! * `bench search` ([`search`], [`scale`]): retrieval quality on BEIR sets, query latency over
//!   the shared corpus, embedding throughput, and search over up to 4,320,000 papers.
//! * `bench embed` ([`embed`]): embedding throughput per arithmetic (fp32, fp16) with cosines
//!   to the reference vectors, against Python sentence-transformers in fp32 and bf16.
//! * `bench digest` ([`digest`]): a digest run against an SMTP server, against raw SMTP.
//! * `bench foryou` ([`foryou`]): "For you" on real readers' choices, against random and
//!   author overlap.
//! * `bench serve` ([`load`]): HTTP load on running servers, against `/healthz`.

pub mod asl;
pub mod digest;
pub mod embed;
pub mod foryou;
pub mod load;
pub mod scale;
pub mod search;
pub mod soak;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use dp_app::config::Config;
use dp_ingest::formats::{read_file, Parsed, ReadOptions};
use dp_ingest::import::{expand_paths, import_paths, ImportOptions, NoProgress};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, QueryBuilder, Sqlite};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

/// `bench` arguments.
#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchWhat,
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Import the shared data into a fresh store and print records/s and peak memory.
    Import {
        /// Files or folders to import (default: the shared HF days and arXiv bulk file).
        paths: Vec<PathBuf>,
        /// Where the shared data is.
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
        /// Also import into PostgreSQL (a server URL such as `postgres://u@host/db`; a fresh
        /// database is made and dropped for each phase), next to its own plain-INSERT
        /// baseline.
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Search: quality on a BEIR set (`--beir DIR`: nDCG@10, Recall@100, MRR@10, latency), or
    /// keyword query latency over the shared corpus (default).
    Search {
        /// A retrieval set in BEIR layout (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv).
        #[arg(long, value_name = "DIR")]
        beir: Option<PathBuf>,
        /// The qrels split.
        #[arg(long, default_value = "test")]
        split: String,
        /// Where the shared data is (latency mode).
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
        /// The embedding model folder (default: `search.model_dir` of the configuration).
        #[arg(long, value_name = "DIR")]
        model_dir: Option<PathBuf>,
        /// A Python interpreter with sentence-transformers, to compare embedding throughput.
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        /// Instead: search over N papers built from the shared ones (synthetic ids, mixed
        /// vectors; at most 4,320,000), with build times, recall against exact search, latency and memory.
        #[arg(long, value_name = "N")]
        scale: Option<usize>,
        /// With `--scale`: keep the built keyword index and vector graph in DIR and reuse them
        /// on a later run with the same N and configuration (a 3,000,000-paper graph takes
        /// about an hour to build), so that search changes can be measured again in minutes.
        #[arg(long, value_name = "DIR", requires = "scale")]
        index_dir: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Embedding arithmetic: corpus throughput of fp32 and (on CPUs with AVX512-FP16) fp16,
    /// every vector's cosine to the shared reference vectors, query latency, and Python
    /// sentence-transformers in fp32 and bf16 on the same texts.
    Embed {
        /// Where the shared data is.
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
        /// The embedding model folder (default: `search.model_dir` of the configuration).
        #[arg(long, value_name = "DIR")]
        model_dir: Option<PathBuf>,
        /// Papers to embed, spread over the reference matrix.
        #[arg(long, default_value_t = 500)]
        docs: usize,
        /// Measure only these arithmetics (`fp32`, `fp16`, `bf16`; default: every one this CPU
        /// runs). Without fp32 there are no ratios.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// A Python interpreter with sentence-transformers, for the same-run comparison.
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// "For you" on real readers' choices (`eval/foryou/`): MRR and recall of ours and of the
    /// baselines (random, author overlap, arxiv-sanity-lite's tf-idf SVM), side by side, and
    /// time per ranking.
    Foryou {
        /// The eval file (`.jsonl` or `.jsonl.gz`).
        #[arg(long, value_name = "FILE")]
        eval: PathBuf,
        /// Where the shared data is.
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
        /// Only the first N readers.
        #[arg(long)]
        readers: Option<usize>,
        /// Other weights to measure: authors,topic,category,disliked,followed_author[,svm].
        #[arg(long)]
        weights: Option<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// E-mail digests: a full digest run to N confirmed subscribers (one or two saved searches
    /// each) against a running SMTP server (`scripts/bench-digest.sh` starts one), with raw
    /// SMTP sending of the same number of messages as the baseline; messages/s and peak memory.
    Digest {
        /// SMTP port on 127.0.0.1.
        #[arg(long)]
        smtp_port: u16,
        /// Subscribers, comma-separated sizes (memory should not grow with them).
        #[arg(long, default_value = "2000,10000")]
        subscribers: String,
        /// Where the shared data is.
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// A long mixed load (anonymous reads, searches, API, and signed-in votes, comments and
    /// submissions, with a replayed harvest every minute) against a `serve` process it starts on
    /// the configured store; a table of the server's memory, open files, database size and
    /// errors every minute, then a check that every acknowledged write is stored.
    /// `scripts/soak.sh` prepares a store and runs it.
    Soak {
        /// Minutes of load.
        #[arg(long, default_value_t = 30)]
        minutes: u64,
        /// Signed-in readers writing.
        #[arg(long, default_value_t = 50)]
        accounts: usize,
        /// Concurrent anonymous readers.
        #[arg(long, default_value_t = 8)]
        readers: usize,
        /// Where the shared data is.
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
    },
    /// Load running servers over HTTP and print requests/s and latency percentiles per URL,
    /// next to `/healthz` of the first URL's server (no database) as the baseline.
    Serve {
        /// Full URLs to load, e.g. http://127.0.0.1:8080/api/daily_papers?date=2026-08-19
        #[arg(required = true)]
        urls: Vec<String>,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Seconds per URL.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Also load all URLs at once, the connections spread over them (e.g. the same page
        /// on two app servers), and report the total.
        #[arg(long)]
        spread: bool,
        /// Server processes whose memory (current and peak RSS) to report after the run.
        #[arg(long, value_name = "PID")]
        pid: Vec<u32>,
        /// Print one JSON array.
        #[arg(long)]
        json: bool,
    },
}

/// Fields of a process's `/proc/PID/status` (Linux) in MiB: `VmRSS:`, `VmHWM:`, ... (0 when
/// missing).
pub fn status_mib(pid: &str, fields: &[&str]) -> Vec<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    fields
        .iter()
        .map(|name| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        })
        .collect()
}

/// Peak resident memory since the last reset, in bytes (Linux).
pub fn peak_rss() -> u64 {
    (status_mib("self", &["VmHWM:"])[0] * 1_048_576.0) as u64
}

/// Resets the peak so each phase is measured on its own (Linux `clear_refs`).
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[derive(serde::Serialize)]
struct Phase {
    name: &'static str,
    records: u64,
    seconds: f64,
    records_per_sec: f64,
    peak_rss_mb: f64,
}

fn phase(name: &'static str, records: u64, start: Instant) -> Phase {
    let seconds = start.elapsed().as_secs_f64();
    Phase {
        name,
        records,
        seconds,
        records_per_sec: records as f64 / seconds.max(1e-9),
        peak_rss_mb: peak_rss() as f64 / 1_048_576.0,
    }
}

fn parse_all(files: &[PathBuf], mut each: impl FnMut(dp_core::Record)) -> u64 {
    let mut n = 0;
    for f in files {
        let _ = read_file(
            f,
            &ReadOptions::default(),
            Arc::new(AtomicU64::new(0)),
            &mut |p| {
                if let Parsed::Record(r, _) = p {
                    n += 1;
                    each(*r);
                }
                true
            },
        );
    }
    n
}

/// The records of `files` in batches of 2,000, parsed on a blocking thread (which returns how
/// many records it read) and handed over on a channel of 4 batches, as the import does.
fn parsed_batches(
    files: Vec<PathBuf>,
) -> (
    tokio::sync::mpsc::Receiver<Vec<dp_core::Record>>,
    tokio::task::JoinHandle<u64>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<dp_core::Record>>(4);
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(2000);
        let n = parse_all(&files, |r| {
            batch.push(r);
            if batch.len() == 2000 {
                let _ = tx.blocking_send(std::mem::take(&mut batch));
            }
        });
        let _ = tx.blocking_send(batch);
        n
    });
    (rx, reader)
}

/// The baseline: the same rows, plain multi-row INSERTs in 2,000-row transactions, no merging.
async fn plain_insert(files: Vec<PathBuf>, db: PathBuf) -> Result<u64> {
    let mut conn = SqliteConnectOptions::new()
        .filename(&db)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .connect()
        .await?;
    sqlx::query(
        "CREATE TABLE papers (id TEXT PRIMARY KEY, title TEXT, abstract TEXT, authors TEXT, categories TEXT, published_at INTEGER)",
    )
    .execute(&mut conn)
    .await?;
    let (mut rx, reader) = parsed_batches(files);
    while let Some(batch) = rx.recv().await {
        let mut t = sqlx::Connection::begin(&mut conn).await?;
        for chunk in batch.chunks(400) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT OR REPLACE INTO papers ");
            q.push_values(chunk, |mut b, r| {
                let p = &r.paper;
                b.push_bind(p.id.to_string())
                    .push_bind(p.title.clone())
                    .push_bind(p.abstract_text.clone())
                    .push_bind(serde_json::to_string(&p.authors).unwrap_or_default())
                    .push_bind(serde_json::to_string(&p.categories).unwrap_or_default())
                    .push_bind(p.published.map(|t| t.timestamp_millis()));
            });
            q.build().execute(&mut *t).await?;
        }
        t.commit().await?;
    }
    Ok(reader.await?)
}

/// The PostgreSQL baseline: the same rows as [`plain_insert`], plain multi-row INSERTs of 400
/// rows in 2,000-row transactions, no merging, into a table with the same primary key.
async fn plain_insert_pg(files: Vec<PathBuf>, url: &str) -> Result<u64> {
    use sqlx::{Connection, PgConnection, Postgres};
    let mut conn = PgConnection::connect(url).await?;
    sqlx::query(
        "CREATE TABLE plain_papers (id TEXT PRIMARY KEY, title TEXT, abstract TEXT, authors TEXT, categories TEXT, published_at BIGINT)",
    )
    .execute(&mut conn)
    .await?;
    let (mut rx, reader) = parsed_batches(files);
    while let Some(mut batch) = rx.recv().await {
        // One row per id in a statement (PostgreSQL refuses to update a row twice in one).
        batch.sort_by(|a, b| a.paper.id.base().cmp(b.paper.id.base()));
        batch.dedup_by(|a, b| a.paper.id.base() == b.paper.id.base());
        let mut t = conn.begin().await?;
        for chunk in batch.chunks(400) {
            let mut q = QueryBuilder::<Postgres>::new("INSERT INTO plain_papers ");
            q.push_values(chunk, |mut b, r| {
                let p = &r.paper;
                b.push_bind(p.id.to_string())
                    .push_bind(p.title.clone())
                    .push_bind(p.abstract_text.clone())
                    .push_bind(serde_json::to_string(&p.authors).unwrap_or_default())
                    .push_bind(serde_json::to_string(&p.categories).unwrap_or_default())
                    .push_bind(p.published.map(|t| t.timestamp_millis()));
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET title = excluded.title, \
                 abstract = excluded.abstract, authors = excluded.authors, \
                 categories = excluded.categories, published_at = excluded.published_at",
            );
            q.build().execute(&mut *t).await?;
        }
        t.commit().await?;
    }
    Ok(reader.await?)
}

/// A fresh database on the PostgreSQL server `url` names; returns its URL. Dropped by
/// [`drop_pg_database`].
async fn fresh_pg_database(url: &str, name: &str) -> Result<String> {
    use sqlx::{Connection, PgConnection};
    let mut admin = PgConnection::connect(url).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    // The URL of the new database: the server's, with its path (database name) replaced.
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let root = url[after_scheme..]
        .find(['/', '?'])
        .map_or(url, |i| &url[..after_scheme + i]);
    Ok(format!("{root}/{name}"))
}

async fn drop_pg_database(url: &str, name: &str) -> Result<()> {
    use sqlx::{Connection, PgConnection};
    let mut admin = PgConnection::connect(url).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    Ok(())
}

/// Runs a benchmark and prints its figures.
pub async fn run(args: &BenchArgs, config: &Config) -> Result<()> {
    let (paths, shared, postgres, json) = match &args.what {
        BenchWhat::Import {
            paths,
            shared,
            postgres,
            json,
        } => (paths, shared, postgres, json),
        BenchWhat::Serve {
            urls,
            spread,
            pid,
            connections,
            seconds,
            json,
        } => {
            return serve_bench(urls, *connections, *seconds, *spread, pid, *json).await;
        }
        BenchWhat::Soak {
            minutes,
            accounts,
            readers,
            shared,
        } => {
            let opts = crate::soak::SoakOptions {
                minutes: *minutes,
                accounts: *accounts,
                readers: *readers,
                shared: shared.clone(),
            };
            return crate::soak::run(config, &opts).await;
        }
        BenchWhat::Foryou {
            eval,
            shared,
            readers,
            weights,
            json,
        } => return crate::foryou::run(eval, shared, *readers, weights.as_deref(), *json).await,
        BenchWhat::Digest {
            smtp_port,
            subscribers,
            shared,
            json,
        } => {
            let sizes: Vec<usize> = subscribers
                .split(',')
                .map(|s| s.trim().parse())
                .collect::<Result<_, _>>()
                .context("--subscribers: comma-separated numbers")?;
            return crate::digest::run(*smtp_port, &sizes, shared, config, *json).await;
        }
        BenchWhat::Embed {
            shared,
            model_dir,
            docs,
            only,
            python,
            json,
        } => {
            let model = model_dir.clone().unwrap_or_else(|| config.model_dir());
            return crate::embed::run(shared, &model, *docs, only, python.as_deref(), *json);
        }
        BenchWhat::Search {
            beir,
            split,
            shared,
            model_dir,
            python,
            scale,
            index_dir,
            json,
        } => {
            let model = model_dir.clone().unwrap_or_else(|| config.model_dir());
            if let Some(n) = scale {
                return crate::scale::run(shared, &model, config, *n, index_dir.as_deref(), *json)
                    .await;
            }
            return match beir {
                Some(dir) => crate::search::beir(dir, split, &model, config, *json).await,
                None => {
                    crate::search::latency(shared, &model, config, python.as_deref(), *json).await
                }
            };
        }
    };
    let paths = if paths.is_empty() {
        vec![
            shared.join("hf-daily/days"),
            shared.join("arxiv-bulk/daily_arxiv_cs_20250318_20260701.jsonl.gz"),
        ]
    } else {
        paths.clone()
    };
    for p in &paths {
        if !p.exists() {
            bail!("{} not found (pass --shared DIR or paths)", p.display());
        }
    }
    let files = expand_paths(&paths)?;
    let dir = tempfile::tempdir().context("temporary directory")?;
    let mut phases = Vec::new();

    reset_peak();
    let t = Instant::now();
    let files2 = files.clone();
    let n = tokio::task::spawn_blocking(move || parse_all(&files2, |_| {})).await?;
    phases.push(phase("parse only (no database)", n, t));

    reset_peak();
    let t = Instant::now();
    let n = plain_insert(files.clone(), dir.path().join("plain.sqlite")).await?;
    phases.push(phase("baseline: plain batched INSERT", n, t));

    reset_peak();
    let store = dp_store::open(&format!(
        "sqlite://{}",
        dir.path().join("store.sqlite").display()
    ))
    .await?;
    let t = Instant::now();
    let first = import_paths(
        store.clone(),
        &paths,
        &ImportOptions::default(),
        &NoProgress,
    )
    .await?;
    phases.push(phase("dailypapers import (fresh store)", first.read, t));

    reset_peak();
    let t = Instant::now();
    let second = import_paths(
        store.clone(),
        &paths,
        &ImportOptions::default(),
        &NoProgress,
    )
    .await?;
    phases.push(phase(
        "dailypapers import again (all unchanged)",
        second.read,
        t,
    ));
    let stats = store.stats().await?;

    let mut pg_ratio = None;
    if let Some(url) = postgres {
        let db = format!("dp_bench_import_{}", std::process::id());
        reset_peak();
        let plain_url = fresh_pg_database(url, &db).await?;
        let t = Instant::now();
        let n = plain_insert_pg(files.clone(), &plain_url).await?;
        phases.push(phase("PostgreSQL baseline: plain batched INSERT", n, t));
        let store_url = fresh_pg_database(url, &db).await?;
        reset_peak();
        // Opening runs the migrations: done before the clock starts, as for SQLite.
        let pg = dp_store::open(&store_url).await?;
        let t = Instant::now();
        let first =
            import_paths(pg.clone(), &paths, &ImportOptions::default(), &NoProgress).await?;
        phases.push(phase("PostgreSQL: dailypapers import", first.read, t));
        reset_peak();
        let t = Instant::now();
        let again =
            import_paths(pg.clone(), &paths, &ImportOptions::default(), &NoProgress).await?;
        phases.push(phase(
            "PostgreSQL: import again (all unchanged)",
            again.read,
            t,
        ));
        drop(pg);
        drop_pg_database(url, &db).await?;
        pg_ratio = Some(phases[5].records_per_sec / phases[4].records_per_sec);
    }

    let import_rate = phases[2].records_per_sec;
    let baseline_rate = phases[1].records_per_sec;
    if *json {
        println!(
            "{}",
            serde_json::json!({
                "phases": phases,
                "import_vs_baseline": import_rate / baseline_rate,
                "postgres_import_vs_baseline": pg_ratio,
                "papers": stats.papers,
                "feed_entries": stats.feed_entries,
                "second_import": { "inserted": second.inserted, "updated": second.updated },
            })
        );
    } else {
        println!(
            "{:<44} {:>9} {:>8} {:>11} {:>10}",
            "phase", "records", "seconds", "records/s", "peak MB"
        );
        for p in &phases {
            println!(
                "{:<44} {:>9} {:>8.2} {:>11.0} {:>10.1}",
                p.name, p.records, p.seconds, p.records_per_sec, p.peak_rss_mb
            );
        }
        println!(
            "import runs at {:.2}x the plain-INSERT baseline; store holds {} papers, {} feed entries; second import: {} inserted, {} updated",
            import_rate / baseline_rate,
            stats.papers,
            stats.feed_entries,
            second.inserted,
            second.updated
        );
        if let Some(r) = pg_ratio {
            println!("PostgreSQL import runs at {r:.2}x its plain-INSERT baseline");
        }
    }
    Ok(())
}

/// Current and peak resident memory of a process, in MiB (Linux `/proc`).
fn process_rss(pid: u32) -> Option<(f64, f64)> {
    let m = status_mib(&pid.to_string(), &["VmRSS:", "VmHWM:"]);
    (m[0] > 0.0).then_some((m[0], m[1]))
}

async fn serve_bench(
    urls: &[String],
    connections: usize,
    seconds: u64,
    spread: bool,
    pids: &[u32],
    json: bool,
) -> Result<()> {
    let first = reqwest::Url::parse(&urls[0])?;
    let mut baseline = first.clone();
    baseline.set_path("/healthz");
    baseline.set_query(None);
    let mut all = vec![baseline.to_string()];
    all.extend(urls.iter().cloned());
    let mut results = Vec::new();
    let duration = std::time::Duration::from_secs(seconds);
    for url in &all {
        results.push(crate::load::load(url, connections, duration).await?);
    }
    if spread && urls.len() > 1 {
        results.push(crate::load::load_spread(urls, connections, duration).await?);
    }
    let memory: Vec<serde_json::Value> = pids
        .iter()
        .map(|p| match process_rss(*p) {
            Some((rss, peak)) => serde_json::json!({"pid": p, "rss_mb": rss, "peak_rss_mb": peak}),
            None => serde_json::json!({"pid": p, "error": "no such process"}),
        })
        .collect();
    if json {
        println!(
            "{}",
            serde_json::json!({"results": results, "memory": memory})
        );
    } else {
        println!(
            "{:<60} {:>10} {:>8} {:>8} {:>7}",
            "url (first: baseline, no database)", "req/s", "p50 ms", "p99 ms", "errors"
        );
        for r in &results {
            println!(
                "{:<60} {:>10.0} {:>8.2} {:>8.2} {:>7}",
                r.url, r.requests_per_sec, r.p50_ms, r.p99_ms, r.errors
            );
        }
        for m in &memory {
            println!(
                "server pid {}: {}",
                m["pid"],
                match (m["rss_mb"].as_f64(), m["peak_rss_mb"].as_f64()) {
                    (Some(r), Some(p)) => format!("RSS {r:.0} MiB, peak {p:.0} MiB"),
                    _ => "not found".into(),
                }
            );
        }
    }
    Ok(())
}
