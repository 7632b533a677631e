//! `dailypapers import`: stream files into the store in batches, one transaction per batch.
//!
//! Parsing runs on a blocking thread and hands batches to the writer through a bounded channel,
//! so memory stays flat whatever the file size. Each batch is one transaction: a crash or kill
//! leaves every finished batch stored and nothing half-written, and running the same import again
//! completes it (upserts are idempotent).

use crate::formats::{read_file, Parsed, ReadOptions};
use crate::ImportRecord;
use dp_core::Outcome;
use dp_store::{Papers, StoreError};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// Records per transaction.
pub const DEFAULT_BATCH: usize = 2_000;
/// Problems kept in the report; more are counted but not kept.
const MAX_PROBLEMS_KEPT: usize = 1_000;

/// Errors that stop an import as a whole (bad input never does).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The store failed; batches written before it are kept.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A path does not exist or cannot be listed.
    #[error("{path}: {message}")]
    Path {
        /// The path given.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

/// A skipped record, a warning, or a file that could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file.
    pub file: String,
    /// Where in the file (`line 12`, `item 3`, `record 7`), when it concerns one record.
    pub location: Option<String>,
    /// What happened.
    pub message: String,
    /// `rejected`, `warning` or `file`.
    pub kind: &'static str,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Some(l) => write!(f, "{} {}: {}: {}", self.kind, self.file, l, self.message),
            None => write!(f, "{} {}: {}", self.kind, self.file, self.message),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Files read.
    pub files: u64,
    /// Records read (good and bad).
    pub read: u64,
    /// Records that created a paper or a feed entry.
    pub inserted: u64,
    /// Records that changed a stored paper or feed entry.
    pub updated: u64,
    /// Records that changed nothing.
    pub unchanged: u64,
    /// Records skipped as bad.
    pub rejected: u64,
    /// Records imported with a warning.
    pub warnings: u64,
    /// Files that ended in an error (their records before the error are imported).
    pub file_errors: u64,
    /// The first problems, in order.
    pub problems: Vec<Problem>,
}

impl ImportReport {
    fn problem(&mut self, p: Problem) {
        if self.problems.len() < MAX_PROBLEMS_KEPT {
            self.problems.push(p);
        }
    }
}

/// Where progress goes: a bar on a terminal, log lines otherwise, nothing in tests.
pub trait Progress: Send + Sync {
    /// Total input bytes (compressed, as on disk) of all files, known before reading.
    fn start(&self, total_bytes: u64);
    /// Bytes read so far and the running report, after each batch.
    fn advance(&self, bytes_read: u64, report: &ImportReport);
    /// A problem, as it happens.
    fn problem(&self, problem: &Problem);
    /// The import has ended.
    fn finish(&self, report: &ImportReport);
}

/// A progress sink that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64, _: &ImportReport) {}
    fn problem(&self, _: &Problem) {}
    fn finish(&self, _: &ImportReport) {}
}

/// Options for [`import_paths`].
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// How to read files.
    pub read: ReadOptions,
    /// Records per transaction.
    pub batch_size: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            read: ReadOptions::default(),
            batch_size: DEFAULT_BATCH,
        }
    }
}

/// Expands paths: files as given, folders to their files (sorted, not recursive into hidden ones).
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ImportError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| ImportError::Path {
            path: p.display().to_string(),
            message: e.to_string(),
        })?;
        if meta.is_dir() {
            let mut files = Vec::new();
            collect_dir(p, &mut files).map_err(|e| ImportError::Path {
                path: p.display().to_string(),
                message: e.to_string(),
            })?;
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_dir(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

enum Msg {
    Batch(Vec<ImportRecord>, Vec<Problem>, u64),
    FileDone(Option<Problem>),
}

/// What a writer says after each of its batches: records inserted, updated and unchanged.
type Written = Result<[u64; 3], StoreError>;

/// The writers of one import: one task per part of the papers (a hash of the id) where the
/// store takes concurrent writers, one otherwise. Every record of a paper goes to the same part,
/// in its order, so parts never wait on each other's locks; and since each part works through
/// its own queue, no part waits for another to finish a batch (a barrier per batch left a core
/// idle whenever one part's transaction ran longer than the other's).
struct Writers {
    parts: Vec<tokio::sync::mpsc::Sender<Vec<ImportRecord>>>,
    written: tokio::sync::mpsc::UnboundedReceiver<Written>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Writers {
    /// Starts the writers; each holds up to two batches waiting.
    fn start(store: &Arc<dyn Papers>) -> Writers {
        let n = store.concurrent_writers().clamp(1, 8);
        let (done, written) = tokio::sync::mpsc::unbounded_channel();
        let mut parts = Vec::with_capacity(n);
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ImportRecord>>(2);
            let store = store.clone();
            let done = done.clone();
            tasks.push(tokio::spawn(async move {
                while let Some(records) = rx.recv().await {
                    let result = store.upsert_records(records).await.map(|outcomes| {
                        let mut counts = [0u64; 3];
                        for o in outcomes {
                            counts[match o {
                                Outcome::Inserted => 0,
                                Outcome::Updated => 1,
                                Outcome::Unchanged => 2,
                            }] += 1;
                        }
                        counts
                    });
                    let failed = result.is_err();
                    // A failed writer stops: the import ends with its error, and later
                    // batches of its part must not be written without this one.
                    if done.send(result).is_err() || failed {
                        return;
                    }
                }
            }));
            parts.push(tx);
        }
        Writers {
            parts,
            written,
            tasks,
        }
    }

    /// Hands a batch to the writers, each record to its paper's part. `false` when a writer has
    /// stopped (its error is waiting in `written`).
    async fn send(&self, records: Vec<ImportRecord>) -> bool {
        let n = self.parts.len();
        let mut split: Vec<Vec<ImportRecord>> = (0..n).map(|_| Vec::new()).collect();
        if n == 1 {
            split[0] = records;
        } else {
            for r in records {
                let h = r
                    .paper
                    .id
                    .base()
                    .bytes()
                    .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                    });
                split[(h % n as u64) as usize].push(r);
            }
        }
        for (tx, part) in self.parts.iter().zip(split) {
            if !part.is_empty() && tx.send(part).await.is_err() {
                return false;
            }
        }
        true
    }

    /// Adds what the writers have finished so far to `report`, without waiting.
    fn collect(&mut self, report: &mut ImportReport) -> Result<(), ImportError> {
        while let Ok(w) = self.written.try_recv() {
            add(report, w?);
        }
        Ok(())
    }

    /// Lets the writers finish their queues and adds what they did to `report`.
    async fn finish(mut self, report: &mut ImportReport) -> Result<(), ImportError> {
        self.parts.clear();
        let mut first_error = None;
        while let Some(w) = self.written.recv().await {
            match w {
                Ok(counts) => add(report, counts),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        for t in self.tasks {
            if let Err(e) = t.await {
                if e.is_panic() {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
        }
        first_error.map_or(Ok(()), |e| Err(e.into()))
    }
}

fn add(report: &mut ImportReport, [inserted, updated, unchanged]: [u64; 3]) {
    report.inserted += inserted;
    report.updated += updated;
    report.unchanged += unchanged;
}

/// Imports files and folders into the store and reports what happened.
pub async fn import_paths(
    store: Arc<dyn Papers>,
    paths: &[PathBuf],
    opts: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    let files = expand_paths(paths)?;
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    progress.start(total);
    let counter = Arc::new(AtomicU64::new(0));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Msg>(4);
    let batch_size = opts.batch_size.max(1);
    let read_opts = opts.read.clone();
    let reader_counter = counter.clone();
    // Batches run across files: the Hugging Face archive is one small file per day, and a
    // transaction per file would cost more in round trips than the rows themselves.
    let reader = tokio::task::spawn_blocking(move || {
        let mut records = Vec::with_capacity(batch_size);
        let mut problems = Vec::new();
        let mut n = 0u64;
        for file in files {
            let name = file.display().to_string();
            let mut open = true;
            let mut in_file = 0u64;
            let result = read_file(&file, &read_opts, reader_counter.clone(), &mut |parsed| {
                n += 1;
                in_file += 1;
                match parsed {
                    Parsed::Record(r, warning) => {
                        if let Some(w) = warning {
                            problems.push(Problem {
                                file: name.clone(),
                                location: Some(format!("record {in_file}")),
                                message: w,
                                kind: "warning",
                            });
                        }
                        records.push(*r);
                    }
                    Parsed::Rejected { location, reason } => problems.push(Problem {
                        file: name.clone(),
                        location: Some(location),
                        message: reason,
                        kind: "rejected",
                    }),
                }
                if records.len() >= batch_size {
                    let msg = Msg::Batch(
                        std::mem::take(&mut records),
                        std::mem::take(&mut problems),
                        n,
                    );
                    n = 0;
                    open = tx.blocking_send(msg).is_ok();
                }
                open
            });
            if !open {
                return;
            }
            let end = result.err().map(|message| Problem {
                file: name.clone(),
                location: None,
                message,
                kind: "file",
            });
            if tx.blocking_send(Msg::FileDone(end)).is_err() {
                return;
            }
        }
        let _ = tx.blocking_send(Msg::Batch(records, problems, n));
    });

    let mut report = ImportReport::default();
    let mut writers = Writers::start(&store);
    let written: Result<(), ImportError> = async {
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Batch(records, problems, n) => {
                    report.read += n;
                    for p in problems {
                        match p.kind {
                            "warning" => report.warnings += 1,
                            _ => report.rejected += 1,
                        }
                        progress.problem(&p);
                        report.problem(p);
                    }
                    if !writers.send(records).await {
                        // A writer stopped on an error: `finish` returns it.
                        break;
                    }
                    writers.collect(&mut report)?;
                    progress.advance(counter.load(std::sync::atomic::Ordering::Relaxed), &report);
                }
                Msg::FileDone(problem) => {
                    report.files += 1;
                    if let Some(p) = problem {
                        report.file_errors += 1;
                        progress.problem(&p);
                        report.problem(p);
                    }
                }
            }
        }
        Ok(())
    }
    .await;
    drop(rx);
    let _ = reader.await;
    let finished = writers.finish(&mut report).await;
    written?;
    finished?;
    progress.finish(&report);
    Ok(report)
}
