//! The embedded store: one SQLite file in WAL mode.

use crate::plan::{batch_ids, plan};
use crate::rows::{
    to_json_list, EntryRow, FeedRow, PaperRow, ENTRY_COLUMNS, FEED_PAPER_COLUMNS, PAPER_COLUMNS,
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
            .pragma("cache_size", "-16000")
            .pragma("wal_autocheckpoint", "8000")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// The connection pool, for consistent backups and maintenance.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

sql_store!(
    SqliteStore,
    Sqlite,
    seq_expr = None::<&str>,
    id_lock = None::<&str>,
    row_lock = "",
    claim_lock = "",
    backup = vacuum_into
);

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
