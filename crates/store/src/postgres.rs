//! The shared store for several app servers: PostgreSQL.

use crate::community_sql::community_sql;
use crate::plan::{batch_ids, plan};
use crate::rows::{
    to_json_list, EntryRow, FeedRow, PaperRow, ENTRY_COLUMNS, FEED_PAPER_COLUMNS, PAPER_COLUMNS,
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
    /// A dedicated connection listening on `dp_papers`, opened on first use.
    listener: std::sync::Arc<tokio::sync::Mutex<Option<sqlx::postgres::PgListener>>>,
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
            listener: Default::default(),
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
    wait = wait_pg
);

/// Waits for a `dp_papers` notification (sent by a trigger when any server commits a change to
/// papers) or the timeout. Without a listener connection (the database is away) it sleeps.
async fn wait_pg(store: &PgStore, timeout: Duration) {
    let mut guard = store.listener.lock().await;
    if guard.is_none() {
        match sqlx::postgres::PgListener::connect_with(&store.pool).await {
            Ok(mut l) => match l.listen("dp_papers").await {
                Ok(()) => *guard = Some(l),
                Err(e) => tracing::debug!(error = %e, "LISTEN failed"),
            },
            Err(e) => tracing::debug!(error = %e, "no listener connection"),
        }
    }
    match guard.as_mut() {
        Some(listener) => match tokio::time::timeout(timeout, listener.recv()).await {
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "listener lost; reconnecting later");
                *guard = None;
                drop(guard);
                tokio::time::sleep(timeout).await;
            }
        },
        None => {
            drop(guard);
            tokio::time::sleep(timeout).await;
        }
    }
}

async fn no_backup(_: &PgPool, _: &std::path::Path) -> Result<(), StoreError> {
    Err(StoreError::Unsupported(
        "backup copies SQLite stores; for PostgreSQL use pg_dump (see the README)".into(),
    ))
}
