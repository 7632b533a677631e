//! The shared database for several app servers: PostgreSQL, a pool of 16 with a 2 s acquire
//! timeout (fail fast), migrations under sqlx's advisory lock, and a listener that counts the
//! `dp_papers` notifications a trigger sends on every committed change to papers.

use crate::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// An open PostgreSQL database.
#[derive(Clone)]
pub(crate) struct PgDb {
    pub(super) pool: PgPool,
    /// Counts `dp_papers` notifications; fed by one listener task per store, started on first
    /// use, so every waiter (page cache, search index, job runner) wakes on each change.
    changes: Arc<tokio::sync::OnceCell<ChangeFeed>>,
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

impl PgDb {
    /// Connects to the database `url` names and runs the migrations (serialised across servers
    /// by an advisory lock).
    pub(super) async fn open(url: &str) -> Result<PgDb, StoreError> {
        let options = PgConnectOptions::from_str(url)?.application_name("dailypapers");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(1)
            // Fail fast when the database is away, so requests answer 503 instead of hanging.
            .acquire_timeout(Duration::from_secs(2))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgDb {
            pool,
            changes: Default::default(),
        })
    }

    /// A watch on `dp_papers` notifications (sent by a trigger when any server commits a
    /// change to papers).
    pub(super) async fn change_watch(&self) -> crate::ChangeWatch {
        let feed = self
            .changes
            .get_or_init(|| async {
                let (tx, rx) = tokio::sync::watch::channel(0u64);
                ChangeFeed {
                    rx,
                    task: tokio::spawn(listen_loop(self.pool.clone(), tx)),
                }
            })
            .await;
        let mut rx = feed.rx.clone();
        rx.mark_unchanged();
        crate::ChangeWatch::new(rx, false)
    }

    /// Rows copied with their ids leave PostgreSQL's identity sequences behind; move them past
    /// the highest id so new rows get fresh ones.
    pub(super) async fn advance_identity(&self, table: &str) -> Result<(), StoreError> {
        if matches!(
            table,
            "users" | "comments" | "claims" | "api_tokens" | "subscribers"
        ) {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
            ))
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }
}
