//! The shared store for several app servers: PostgreSQL.

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
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use std::str::FromStr;
use std::time::Duration;

/// Rows per multi-row statement; keeps bound parameters far below PostgreSQL's 65,535.
const CHUNK: usize = 400;

/// The PostgreSQL implementation of [`Store`].
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Counts `dp_papers` notifications; fed by one listener task per store, started on first
    /// use, so every waiter (page cache, search index) wakes on each change.
    changes: std::sync::Arc<tokio::sync::OnceCell<ChangeFeed>>,
}

/// The listener task and its channel; the task stops when the store is dropped.
struct ChangeFeed {
    rx: tokio::sync::watch::Receiver<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ChangeFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Listens on `dp_papers` over a dedicated connection and counts notifications; reconnects
/// after losing the database (and counts that too, since changes may have been missed).
async fn listen_loop(pool: PgPool, tx: tokio::sync::watch::Sender<u64>) {
    loop {
        match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut l) => {
                if let Err(e) = l.listen("dp_papers").await {
                    tracing::debug!(error = %e, "LISTEN failed");
                } else {
                    tx.send_modify(|n| *n += 1);
                    while l.recv().await.is_ok() {
                        tx.send_modify(|n| *n += 1);
                    }
                    tracing::debug!("change listener lost its connection; reconnecting");
                }
            }
            Err(e) => tracing::debug!(error = %e, "no listener connection yet"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

impl PgStore {
    /// Connects to the database `url` names and runs the migrations (serialised across servers
    /// by an advisory lock).
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?.application_name("dailypapers");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(1)
            // Fail fast when the database is away, so requests answer 503 instead of hanging.
            .acquire_timeout(Duration::from_secs(2))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore {
            pool,
            changes: Default::default(),
        })
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

sql_store!(
    PgStore,
    Postgres,
    begin = None::<&str>,
    seq_expr = Some("nextval('paper_seq')"),
    id_lock = Some("pg_advisory_xact_lock(hashtext(x))"),
    row_lock = " FOR UPDATE",
    claim_lock = " FOR UPDATE SKIP LOCKED",
    backup = no_backup
);

community_sql!(
    PgStore,
    Postgres,
    begin = None::<&str>,
    next_seq = "nextval('paper_seq')",
    wait = wait_pg,
    after_import = advance_identity
);

/// Rows copied with their ids leave PostgreSQL's identity sequences behind; move them past the
/// highest id so new rows get fresh ones.
async fn advance_identity(pool: &PgPool, table: &str) -> Result<(), StoreError> {
    if matches!(
        table,
        "users" | "comments" | "claims" | "api_tokens" | "subscribers"
    ) {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
        ))
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Waits for a `dp_papers` notification (sent by a trigger when any server commits a change to
/// papers) or the timeout.
async fn wait_pg(store: &PgStore, timeout: Duration) {
    let feed = store
        .changes
        .get_or_init(|| async {
            let (tx, rx) = tokio::sync::watch::channel(0u64);
            ChangeFeed {
                rx,
                task: tokio::spawn(listen_loop(store.pool.clone(), tx)),
            }
        })
        .await;
    let mut rx = feed.rx.clone();
    rx.mark_unchanged();
    if let Ok(Err(_)) = tokio::time::timeout(timeout, rx.changed()).await {
        // The listener task is gone: wait out the timeout instead of spinning.
        tokio::time::sleep(timeout).await;
    }
}

async fn no_backup(_: &PgPool, _: &std::path::Path) -> Result<(), StoreError> {
    Err(StoreError::Unsupported(
        "backup copies SQLite stores; for PostgreSQL use pg_dump (see the README)".into(),
    ))
}
