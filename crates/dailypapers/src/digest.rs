//! `dailypapers digest`: sends (or, with `--dry-run`, prints) the digest run of a day through
//! the store's outbox, so a killed run started again sends each subscriber's digest once.

use anyhow::{bail, Context, Result};
use clap::Args;
use dp_app::config::Config;
use dp_app::digests::{matcher, run_config};
use dp_cli::progress::CountBar;
use dp_mail::run::{dry_run, run_digest};
use dp_store::{Cadence, Store};
use std::sync::Arc;

/// Arguments of `digest`.
#[derive(Args)]
pub struct DigestArgs {
    /// `daily` (the day's top papers) or `weekly` (the week's).
    #[arg(long, default_value = "daily")]
    cadence: String,
    /// The list day the digest is about (default: the latest day with papers).
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<String>,
    /// Print what would be sent to whom; send and record nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print one JSON object at the end.
    #[arg(long)]
    json: bool,
}

/// Runs `digest`.
pub async fn run(store: Arc<dyn Store>, config: &Config, args: DigestArgs) -> Result<()> {
    let Some(cadence) = Cadence::parse(&args.cadence) else {
        bail!(
            "--cadence: expected daily or weekly, not {:?}",
            args.cadence
        );
    };
    let day = match &args.date {
        Some(d) => dp_core::parse_day(d).map_err(|e| anyhow::anyhow!("--date: {e}"))?,
        None => store
            .latest_day()
            .await?
            .context("the store has no daily list yet; nothing to send")?,
    };
    let mut cfg = run_config(config, cadence, day)?;
    // "For you" sections, ranked by the same use case the pages call.
    cfg.recommender = Some(Arc::new(dp_app::App::new(
        store.clone(),
        dp_app::Rules::default(),
    )));
    let signer =
        dp_mail::installation_signer(store.as_ref(), config.mail.secret.as_deref()).await?;
    let matcher = matcher(store.as_ref(), config).await?;
    if args.dry_run {
        let mut mails = 0u64;
        let n = dry_run(
            store.as_ref(),
            Some(&matcher),
            &signer,
            &cfg,
            &mut |sub, content| match content {
                Some(c) => {
                    mails += 1;
                    let searches: Vec<String> = c
                        .searches
                        .iter()
                        .map(|(q, p)| format!("\"{q}\": {}", p.len()))
                        .collect();
                    println!(
                        "{}\t{}\t{} papers\t{}",
                        sub.email,
                        c.heading,
                        c.paper_count(),
                        searches.join(", ")
                    );
                }
                None => println!("{}\t(nothing new: no mail)", sub.email),
            },
        )
        .await?;
        println!(
            "dry run of {}: {mails} of {n} confirmed subscribers would get a digest",
            cfg.run_key()
        );
        return Ok(());
    }
    let mailer = dp_mail::SmtpMailer::new(&config.mail.smtp()?)?;
    let bar = CountBar::new("sending");
    let started = std::time::Instant::now();
    let report = run_digest(
        store.as_ref(),
        &mailer,
        Some(&matcher),
        &signer,
        &cfg,
        &|r| bar.update(r.done_before + r.sent + r.skipped + r.failed, r.planned),
    )
    .await?;
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    if args.json {
        let mut v = serde_json::to_value(&report)?;
        v["seconds"] = serde_json::json!(secs);
        println!("{v}");
    } else {
        println!(
            "{}: sent {}, nothing new {}, retry later {}, failed {}, resumed {} ({:.1} s)",
            report.run_key,
            report.sent,
            report.skipped,
            report.retried,
            report.failed,
            report.resumed,
            secs
        );
    }
    Ok(())
}
