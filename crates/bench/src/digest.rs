//! `dailypapers bench digest`: a full digest run against a real SMTP server, next to raw SMTP
//! sending of as many messages (the baseline: what the server and lettre manage without the
//! store, composing or saved searches), for several numbers of subscribers.

use crate::{peak_rss, reset_peak};
use anyhow::{bail, Result};
use dp_app::config::Config;
use dp_mail::run::{run_digest, RunConfig};
use dp_mail::{Mailer, SmtpMailer};
use dp_store::{Cadence, Store, SubState};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Saved searches the subscribers pick from (shared topics, as real readers have).
const QUERIES: &[&str] = &[
    "diffusion",
    "language models",
    "reinforcement learning",
    "agents",
    "video generation",
    "retrieval",
    "reasoning",
    "multimodal",
    "benchmark",
    "robotics",
    "speech",
    "code generation",
    "quantization",
    "mixture of experts",
    "alignment",
    "3D",
    "medical",
    "graph neural networks",
    "vision transformer",
    "tokenizer",
    "long context",
    "distillation",
    "safety",
    "evaluation",
];

#[derive(serde::Serialize)]
struct Row {
    subscribers: usize,
    baseline_msgs_per_sec: f64,
    digest_msgs_per_sec: f64,
    ratio: f64,
    digest_seconds: f64,
    sent: u64,
    peak_rss_mb: f64,
}

async fn raw_smtp(mailer: &SmtpMailer, n: usize, concurrency: usize) -> Result<f64> {
    use futures::stream::{self, StreamExt};
    let from = dp_mail::compose::mailbox("Bench <bench@papers.test>")?;
    let to = dp_mail::Email::parse("baseline@example.org")?;
    let message = dp_mail::compose::message(dp_mail::compose::Parts {
        from: &from,
        to: &to,
        subject: "baseline",
        text: "x".repeat(3000),
        html: format!("<p>{}</p>", "x".repeat(6000)),
        message_id: "baseline@papers.test".into(),
        unsubscribe_url: None,
    })?;
    let t = Instant::now();
    let errors = stream::iter(0..n)
        .map(|_| mailer.send(&message))
        .buffer_unordered(concurrency)
        .filter(|r| std::future::ready(r.is_err()))
        .count()
        .await;
    if errors > 0 {
        bail!("{errors} baseline messages failed");
    }
    Ok(n as f64 / t.elapsed().as_secs_f64())
}

/// Runs the benchmark.
pub async fn run(
    smtp_port: u16,
    sizes: &[usize],
    shared: &Path,
    config: &Config,
    json: bool,
) -> Result<()> {
    let days = shared.join("hf-daily/days");
    if !days.exists() {
        bail!("{} not found (pass --shared DIR)", days.display());
    }
    let mut rows = Vec::new();
    for &n in sizes {
        let dir = tempfile::tempdir()?;
        let store: Arc<dyn Store> = dp_store::open(&format!(
            "sqlite://{}",
            dir.path().join("bench.sqlite").display()
        ))
        .await?;
        let files: Vec<_> = [
            "2025-03-10",
            "2025-03-11",
            "2025-03-12",
            "2025-03-13",
            "2025-03-14",
        ]
        .iter()
        .map(|d| days.join(format!("{d}.json.gz")))
        .collect();
        dp_ingest::import::import_paths(
            store.clone(),
            &files,
            &dp_ingest::import::ImportOptions::default(),
            &dp_ingest::import::NoProgress,
        )
        .await?;
        for i in 0..n {
            let e = format!("reader{i}@example.org");
            let searches: Vec<String> = (0..1 + i % 2)
                .map(|k| QUERIES[(i * 7 + k * 13) % QUERIES.len()].to_string())
                .collect();
            let s = store
                .subscribe(&e, &e, Cadence::Daily, None, &searches)
                .await?;
            store
                .set_subscriber_state(s.id, SubState::Confirmed)
                .await?;
        }
        let mut mail = config.mail.clone();
        mail.smtp_host = "127.0.0.1".into();
        mail.smtp_port = smtp_port;
        mail.smtp_security = dp_mail::SmtpSecurity::Plain;
        let mailer = SmtpMailer::new(&mail.smtp()?)?;
        let baseline = raw_smtp(&mailer, n, config.mail.concurrency).await?;
        let matcher = dp_app::digests::matcher(store.as_ref(), config).await?;
        let mut cfg: RunConfig =
            dp_app::digests::run_config(config, Cadence::Daily, dp_core::parse_day("2025-03-14")?)?;
        cfg.from = dp_mail::compose::mailbox("Daily Papers <digest@papers.test>")?;
        let signer = dp_mail::Signer::new(b"bench secret, not for production");
        reset_peak();
        let t = Instant::now();
        let report = run_digest(
            store.as_ref(),
            &mailer,
            Some(&matcher),
            &signer,
            &cfg,
            &|_| {},
        )
        .await?;
        let secs = t.elapsed().as_secs_f64();
        let rate = report.sent as f64 / secs;
        rows.push(Row {
            subscribers: n,
            baseline_msgs_per_sec: baseline,
            digest_msgs_per_sec: rate,
            ratio: rate / baseline,
            digest_seconds: secs,
            sent: report.sent,
            peak_rss_mb: peak_rss() as f64 / 1_048_576.0,
        });
        store.close().await;
    }
    if json {
        println!("{}", serde_json::to_string(&rows)?);
    } else {
        println!(
            "{:>11} {:>16} {:>14} {:>7} {:>9} {:>7} {:>13}",
            "subscribers",
            "raw SMTP msg/s",
            "digest msg/s",
            "ratio",
            "seconds",
            "sent",
            "peak RSS MiB"
        );
        for r in &rows {
            println!(
                "{:>11} {:>16.0} {:>14.0} {:>7.2} {:>9.1} {:>7} {:>13.0}",
                r.subscribers,
                r.baseline_msgs_per_sec,
                r.digest_msgs_per_sec,
                r.ratio,
                r.digest_seconds,
                r.sent,
                r.peak_rss_mb
            );
        }
    }
    Ok(())
}
