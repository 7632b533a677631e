//! The embedded database: one SQLite file in WAL mode, a pool of 8 connections, `busy_timeout`
//! 10 s, foreign keys on, and a background task that folds the write-ahead log into the file.

use crate::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// An open SQLite database.
#[derive(Clone)]
pub(crate) struct SqliteDb {
    pub(super) pool: SqlitePool,
    _checkpointer: Arc<Checkpointer>,
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
        Ok(SqliteDb {
            pool,
            _checkpointer: Arc::new(checkpointer),
        })
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
