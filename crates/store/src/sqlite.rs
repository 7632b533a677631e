//! The embedded store: one SQLite file in WAL mode.

use crate::community_sql::community_sql;
use crate::plan::{batch_ids, plan};
use crate::rows::{
    prefixed, to_json_list, EntryRow, FeedRow, PaperRow, ENTRY_COLUMNS, FEED_PAPER_COLUMNS,
    PAPER_COLUMNS,
};
use crate::sql::sql_store;
use crate::{millis, now_millis, Job, NewJob, Stats, Store, StoreError};
use async_trait::async_trait;
use chrono::NaiveDate;
use dp_core::{ArxivId, FeedEntry, FeedItem, Outcome, Paper, Record};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// Rows per multi-row statement; keeps bound parameters far below SQLite's limit.
const CHUNK: usize = 400;

/// The SQLite implementation of [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    _checkpointer: std::sync::Arc<Checkpointer>,
}

/// Copies the write-ahead log into the database file in the background, off the writers' path
/// (writers never checkpoint themselves: `wal_autocheckpoint` is 0). Stops with the store.
struct Checkpointer(tokio::task::JoinHandle<()>);

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Write-ahead log size (in 4 KiB pages) above which the checkpointer restarts the log.
const MAX_WAL_FRAMES: i64 = 65_536;

/// How often the background checkpointer runs.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

async fn checkpoint_loop(pool: SqlitePool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // PASSIVE never blocks readers or writers; what it cannot copy now it copies next time.
        let frames: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&pool)
            .await;
        match frames {
            // Under a steady stream of writes the log never empties by itself: once it is
            // large, a RESTART checkpoint (short, since PASSIVE just copied nearly everything)
            // makes writers start over at the beginning of the file, so it stays bounded.
            Ok((_, log_frames, _)) if log_frames > MAX_WAL_FRAMES => {
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(RESTART)")
                    .execute(&pool)
                    .await
                {
                    tracing::debug!(error = %e, "restart checkpoint failed; retrying");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "background checkpoint failed; retrying"),
        }
    }
}

impl SqliteStore {
    /// Opens (creating when missing) the database file at `path` and runs the migrations.
    pub async fn open(path: &str) -> Result<SqliteStore, StoreError> {
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
        let checkpointer = Checkpointer(tokio::spawn(checkpoint_loop(pool.clone())));
        Ok(SqliteStore {
            pool,
            _checkpointer: std::sync::Arc::new(checkpointer),
        })
    }

    /// The connection pool, for consistent backups and maintenance.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

sql_store!(
    SqliteStore,
    Sqlite,
    begin = Some("BEGIN IMMEDIATE"),
    seq_expr = None::<&str>,
    id_lock = None::<&str>,
    row_lock = "",
    claim_lock = "",
    backup = vacuum_into
);

community_sql!(
    SqliteStore,
    Sqlite,
    begin = Some("BEGIN IMMEDIATE"),
    next_seq = "(SELECT COALESCE(MAX(seq), 0) + 1 FROM papers)",
    wait = wait_sqlite,
    after_import = nothing_after_import
);

/// SQLite's `AUTOINCREMENT` keeps up with explicit ids by itself.
async fn nothing_after_import(_: &SqlitePool, _: &str) -> Result<(), StoreError> {
    Ok(())
}

/// One SQLite file has one server: changes made by other processes (a CLI import) are found by
/// comparing the change marker after the timeout.
async fn wait_sqlite(_: &SqliteStore, timeout: Duration) {
    tokio::time::sleep(timeout).await;
}

/// A consistent copy of the live database in one file (`VACUUM INTO`), readers and writers
/// carrying on meanwhile. Refuses to overwrite an existing file.
async fn vacuum_into(pool: &SqlitePool, dest: &std::path::Path) -> Result<(), StoreError> {
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
        .execute(pool)
        .await?;
    Ok(())
}
