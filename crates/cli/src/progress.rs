//! Import progress: an indicatif bar on a terminal, plain log lines otherwise.

use dp_ingest::import::{ImportReport, Problem, Progress};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shows import progress on stderr.
pub struct ImportProgress {
    bar: Option<ProgressBar>,
    last_log: Mutex<Instant>,
    total: Mutex<u64>,
}

impl ImportProgress {
    /// A bar when stderr is a terminal, log lines every few seconds otherwise.
    pub fn new() -> ImportProgress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        ImportProgress {
            bar,
            last_log: Mutex::new(Instant::now()),
            total: Mutex::new(0),
        }
    }
}

impl Default for ImportProgress {
    fn default() -> Self {
        ImportProgress::new()
    }
}

fn summary(r: &ImportReport) -> String {
    format!(
        "{} read, {} new, {} updated, {} rejected",
        r.read, r.inserted, r.updated, r.rejected
    )
}

impl Progress for ImportProgress {
    fn start(&self, total_bytes: u64) {
        if let Ok(mut t) = self.total.lock() {
            *t = total_bytes;
        }
        if let Some(b) = &self.bar {
            b.set_length(total_bytes);
        }
    }

    fn advance(&self, bytes_read: u64, report: &ImportReport) {
        if let Some(b) = &self.bar {
            b.set_position(bytes_read);
            b.set_message(summary(report));
        } else if let Ok(mut last) = self.last_log.lock() {
            if last.elapsed() >= Duration::from_secs(5) {
                *last = Instant::now();
                let total = self.total.lock().map(|t| *t).unwrap_or(0).max(1);
                tracing::info!(
                    "import {:.0}%: {}",
                    bytes_read as f64 * 100.0 / total as f64,
                    summary(report)
                );
            }
        }
    }

    fn problem(&self, problem: &Problem) {
        match &self.bar {
            Some(b) => b.println(problem.to_string()),
            None => tracing::warn!("{problem}"),
        }
    }

    fn finish(&self, _report: &ImportReport) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// A counting bar for long copies: a bar on a terminal, a log line every 5 s otherwise.
pub struct CountBar {
    bar: Option<ProgressBar>,
    label: &'static str,
    last_log: Mutex<Instant>,
}

impl CountBar {
    /// A new bar labelled `label`.
    pub fn new(label: &'static str) -> CountBar {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.set_message(label);
            b
        });
        CountBar {
            bar,
            label,
            last_log: Mutex::new(Instant::now()),
        }
    }

    /// Sets the position and the total.
    pub fn update(&self, done: u64, total: u64) {
        if let Some(b) = &self.bar {
            b.set_length(total);
            b.set_position(done);
        } else if let Ok(mut last) = self.last_log.lock() {
            if last.elapsed() >= Duration::from_secs(5) {
                *last = Instant::now();
                tracing::info!("{}: {done} of {total}", self.label);
            }
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Harvest progress: a spinner with where the harvest is and its counts on a terminal (a
/// harvest has no known total), log lines every few seconds otherwise.
pub struct HarvestProgress {
    bar: Option<ProgressBar>,
    last_log: Mutex<Instant>,
}

impl HarvestProgress {
    /// A spinner labelled `label` (`arXiv OAI-PMH cs`, `Hugging Face`).
    pub fn new(label: &str) -> HarvestProgress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {prefix}: {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.set_prefix(label.to_string());
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        HarvestProgress {
            bar,
            last_log: Mutex::new(Instant::now()),
        }
    }

    /// Shows the latest report.
    pub fn update(&self, r: &dp_ingest::harvest::HarvestReport) {
        let msg = format!(
            "{} · {} pages, {} read, {} new, {} updated, {} skipped",
            r.at, r.pages, r.read, r.inserted, r.updated, r.skipped
        );
        if let Some(b) = &self.bar {
            b.set_message(msg);
        } else if let Ok(mut last) = self.last_log.lock() {
            if last.elapsed() >= Duration::from_secs(5) {
                *last = Instant::now();
                tracing::info!("harvest: {msg}");
            }
        }
    }

    /// Removes the spinner.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
