//! The embedded database: one SQLite file in WAL mode (16 KB pages when new), a pool of 8
//! connections, `busy_timeout` 10 s, foreign keys on, and a background task that watches the
//! write-ahead log (a commit by any process changes it) and folds it into the file.

use crate::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// An open SQLite database.
#[derive(Clone)]
pub(crate) struct SqliteDb {
    pub(super) pool: SqlitePool,
    /// Counts the changes seen in the write-ahead log (by any process).
    changes: tokio::sync::watch::Receiver<u64>,
    _watcher: Arc<Watcher>,
}

/// The background task that watches the write-ahead log and folds it into the database file
/// (writers never checkpoint themselves: `wal_autocheckpoint` is 0). Stops with the store.
struct Watcher(tokio::task::JoinHandle<()>);

impl Drop for Watcher {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Write-ahead log size (in 4 KiB pages) above which the checkpointer restarts the log.
const MAX_WAL_FRAMES: i64 = 65_536;

/// How often the watcher looks at the write-ahead log: a commit by any process is seen this
/// late at most. A look is one `stat`, so an idle server costs next to nothing.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// The least time between two checkpoints.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// What a commit changes in the write-ahead log: every commit in WAL mode appends frames to
/// it (or, after a restart, overwrites it from the start), so its length or time moves.
fn wal_state(wal: &Path) -> Option<(u64, SystemTime)> {
    let m = std::fs::metadata(wal).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// Signals each change of the write-ahead log, and checkpoints it when it holds frames that
/// have not been copied yet; does nothing (no query) while the database is idle.
async fn watch_loop(pool: SqlitePool, wal: PathBuf, tx: tokio::sync::watch::Sender<u64>) {
    let mut tick = tokio::time::interval(WATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = wal_state(&wal);
    // Unknown at start: a log left by another process is copied on the first look.
    let mut copied: Option<Option<(u64, SystemTime)>> = None;
    let mut last_checkpoint: Option<Instant> = None;
    loop {
        tick.tick().await;
        let now = wal_state(&wal);
        if now != seen {
            seen = now;
            tx.send_modify(|n| *n += 1);
        }
        if copied == Some(seen) || last_checkpoint.is_some_and(|t| t.elapsed() < CHECKPOINT_EVERY) {
            continue;
        }
        last_checkpoint = Some(Instant::now());
        if checkpoint(&pool).await {
            copied = Some(seen);
        }
    }
}

/// Copies the write-ahead log into the database file; true when all of it was copied.
async fn checkpoint(pool: &SqlitePool) -> bool {
    // PASSIVE never blocks readers or writers; what it cannot copy now it copies next time.
    let frames: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await;
    match frames {
        // Under a steady stream of writes the log never empties by itself: once it is large, a
        // RESTART checkpoint (short, since PASSIVE just copied nearly everything) makes writers
        // start over at the beginning of the file, so it stays bounded.
        Ok((_, log_frames, _)) if log_frames > MAX_WAL_FRAMES => restart_checkpoint(pool).await,
        Ok((busy, log_frames, copied)) => busy == 0 && copied >= log_frames,
        Err(e) => {
            tracing::debug!(error = %e, "background checkpoint failed; retrying");
            false
        }
    }
}

/// A RESTART checkpoint that gives way quickly. It blocks writers while it waits for readers
/// to leave the log, and with the pool's 10 s busy timeout a slow reader (a loaded machine)
/// made it hold every writer for 10 s, long enough for their own busy timeouts to expire
/// ("database is locked"). On its connection the wait is [`RESTART_WAIT_MS`]; when readers are
/// still there, it is tried again at the next checkpoint.
async fn restart_checkpoint(pool: &SqlitePool) -> bool {
    let Ok(mut conn) = pool.acquire().await else {
        return false;
    };
    let short = format!("PRAGMA busy_timeout = {RESTART_WAIT_MS}");
    let done = match sqlx::query(&short).execute(&mut *conn).await {
        Ok(_) => {
            let r: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(RESTART)")
                .fetch_one(&mut *conn)
                .await;
            match r {
                Ok((busy, _, _)) => busy == 0,
                Err(e) => {
                    tracing::debug!(error = %e, "restart checkpoint failed; retrying");
                    false
                }
            }
        }
        Err(_) => false,
    };
    // The connection goes back to the pool with the pool's busy timeout.
    if sqlx::query("PRAGMA busy_timeout = 10000")
        .execute(&mut *conn)
        .await
        .is_err()
    {
        conn.detach();
    }
    done
}

/// How long a RESTART checkpoint waits for readers (ms) before it gives up until next time.
const RESTART_WAIT_MS: u64 = 50;

impl SqliteDb {
    /// Opens (creating when missing) the database file at `path` and runs the migrations.
    pub(super) async fn open(path: &str) -> Result<SqliteDb, StoreError> {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Database(sqlx::Error::Io(std::io::Error::new(
                        e.kind(),
                        format!("cannot create {}: {e}", parent.display()),
                    )))
                })?;
            }
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            // New files get 16 KB pages: a fresh import wrote a quarter as many log frames (one
            // or two system calls each) and ran 13% faster, and a list entry's row (~7 KB with
            // its source item) fits on its page. A file that has pages keeps their size.
            .page_size(16384)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("cache_size", "-8000")
            .pragma("wal_autocheckpoint", "0")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let (tx, changes) = tokio::sync::watch::channel(0u64);
        let wal = PathBuf::from(format!("{path}-wal"));
        let watcher = Watcher(tokio::spawn(watch_loop(pool.clone(), wal, tx)));
        Ok(SqliteDb {
            pool,
            changes,
            _watcher: Arc::new(watcher),
        })
    }

    /// A watch on commits by any process, seen in the write-ahead log.
    pub(super) fn change_watch(&self) -> crate::ChangeWatch {
        let mut rx = self.changes.clone();
        rx.mark_unchanged();
        crate::ChangeWatch::new(rx, true)
    }

    /// A consistent copy of the live database in one file (`VACUUM INTO`), readers and writers
    /// carrying on meanwhile. Refuses to overwrite an existing file.
    pub(super) async fn vacuum_into(&self, dest: &std::path::Path) -> Result<(), StoreError> {
        if dest.exists() {
            return Err(StoreError::Unsupported(format!(
                "{} exists; choose a new file for the backup",
                dest.display()
            )));
        }
        let path = dest.to_str().ok_or_else(|| {
            StoreError::Unsupported(format!("backup path {} is not UTF-8", dest.display()))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_restart_checkpoint_gives_way_to_a_reader_at_once_and_succeeds_after() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteDb::open(&dir.path().join("c.sqlite").display().to_string())
            .await
            .unwrap();
        let pool = db.pool.clone();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&pool)
            .await
            .unwrap();
        // A reader inside a read transaction keeps the log in use.
        let mut reader = pool.acquire().await.unwrap();
        sqlx::query("BEGIN").execute(&mut *reader).await.unwrap();
        sqlx::query("SELECT COUNT(*) FROM t")
            .execute(&mut *reader)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&pool)
            .await
            .unwrap();
        let t = Instant::now();
        assert!(
            !restart_checkpoint(&pool).await,
            "the reader is still there"
        );
        // It gave up after its short wait, not the pool's 10 s busy timeout that held writers.
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        sqlx::query("COMMIT").execute(&mut *reader).await.unwrap();
        drop(reader);
        // Once the reader is gone it succeeds (on a loaded machine, perhaps at the next
        // attempt: the connection goes back to the pool in the background).
        let mut done = false;
        for _ in 0..40 {
            if restart_checkpoint(&pool).await {
                done = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(done, "the checkpoint succeeds once the reader is gone");
        // Connections keep the pool's busy timeout afterwards.
        let (ms,): (i64,) = sqlx::query_as("PRAGMA busy_timeout")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(ms, 10_000);
    }
}
