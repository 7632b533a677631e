//! The digest ledger: one row per subscriber and run, so a digest run sends each subscriber's
//! digest once however often it is interrupted and run again.

use crate::backend::query;
use crate::rows::day_text;
use crate::rows::prefixed;
use crate::subscribers::{Cadence, Subscriber, SubscriberRow, SUB_COLUMNS};
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

/// A digest to send: an outbox row with its subscriber.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    /// Row id.
    pub id: i64,
    /// The run it belongs to.
    pub run_key: String,
    /// Failed attempts so far.
    pub attempts: i64,
    /// The subscriber (state as planned).
    pub subscriber: Subscriber,
}

/// What became of one outbox row.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// The SMTP server took it.
    Sent,
    /// Nothing new for this subscriber: no mail.
    Skipped,
    /// A temporary failure: try again at `retry_at`.
    Retry {
        /// What went wrong.
        error: String,
        /// When to try again.
        retry_at: DateTime<Utc>,
    },
    /// A permanent failure: the subscriber gets no more mail until they subscribe again.
    Failed {
        /// What went wrong.
        error: String,
    },
}

/// Counts of a run's outbox rows by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    /// Waiting (or waiting to be retried).
    pub queued: i64,
    /// Claimed by a sender that has not reported back.
    pub sending: i64,
    /// Taken by the SMTP server.
    pub sent: i64,
    /// Nothing new: no mail.
    pub skipped: i64,
    /// Failed permanently.
    pub failed: i64,
}

/// The digest ledger.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Adds a queued outbox row for each confirmed subscriber of `cadence` with an id after
    /// `after` (at most `limit` subscribers, in id order) under `run_key`; a subscriber already
    /// in the run is left alone. Returns the last subscriber id looked at, `None` when there
    /// were none left.
    async fn plan_run(
        &self,
        run_key: &str,
        cadence: Cadence,
        after: i64,
        limit: i64,
    ) -> Result<Option<i64>, StoreError>;

    /// Rows of `run_key` left `sending` by a sender that died go back to the queue (call it
    /// only when no other sender works on the run).
    async fn requeue_sending(&self, run_key: &str) -> Result<u64, StoreError>;

    /// Claims up to `limit` queued rows of `run_key` that are due (marking them `sending`), in
    /// id order, with their subscribers.
    async fn claim_outbox(&self, run_key: &str, limit: i64) -> Result<Vec<OutboxItem>, StoreError>;

    /// Records what became of a claimed row; `Sent` also notes `day` as the subscriber's last
    /// digest, `Failed` marks the subscriber failed with the error.
    async fn finish_outbox(
        &self,
        item: &OutboxItem,
        delivery: &Delivery,
        day: NaiveDate,
    ) -> Result<(), StoreError>;

    /// A run's rows by state.
    async fn outbox_counts(&self, run_key: &str) -> Result<OutboxCounts, StoreError>;
}

#[async_trait]
impl Outbox for SqlStore {
    async fn plan_run(
        &self,
        run_key: &str,
        cadence: Cadence,
        after: i64,
        limit: i64,
    ) -> Result<Option<i64>, StoreError> {
        let now = now_millis();
        let mut tx = self.db.begin_write().await?;
        let ids: Vec<i64> = query(
            "SELECT id FROM subscribers WHERE state = 'confirmed' AND cadence = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(cadence.as_str())
        .bind(after)
        .bind(limit)
        .scalars(&mut tx)
        .await?;
        let Some(last) = ids.last().copied() else {
            return Ok(None);
        };
        let mut q = query(
            "INSERT INTO outbox (subscriber_id, run_key, state, next_attempt, created_at) \
             SELECT id, $1, 'queued', $2, $2 FROM subscribers WHERE id IN (",
        )
        .bind(run_key)
        .bind(now);
        q.push_binds(ids.iter().copied())
            .push(") ON CONFLICT (subscriber_id, run_key) DO NOTHING");
        q.execute(&mut tx).await?;
        tx.commit().await?;
        Ok(Some(last))
    }

    async fn requeue_sending(&self, run_key: &str) -> Result<u64, StoreError> {
        let r =
            query("UPDATE outbox SET state = 'queued' WHERE run_key = $1 AND state = 'sending'")
                .bind(run_key)
                .execute(&self.db)
                .await?;
        Ok(r)
    }

    async fn claim_outbox(&self, run_key: &str, limit: i64) -> Result<Vec<OutboxItem>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            outbox_id: i64,
            attempts: i64,
            #[sqlx(flatten)]
            sub: SubscriberRow,
        }
        let now = now_millis();
        let mut tx = self.db.begin_write().await?;
        let ids: Vec<i64> = query(
            "SELECT id FROM outbox WHERE run_key = $1 AND state = 'queued' AND next_attempt <= $2 \
             ORDER BY id LIMIT $3",
        )
        .bind(run_key)
        .bind(now)
        .bind(limit)
        .scalars(&mut tx)
        .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = query("UPDATE outbox SET state = 'sending' WHERE state = 'queued' AND id IN (");
        q.push_binds(ids.iter().copied()).push(")");
        q.execute(&mut tx).await?;
        let mut q = query(format!(
            "SELECT o.id AS outbox_id, o.attempts, {} FROM outbox o JOIN subscribers s ON s.id = o.subscriber_id \
             WHERE o.id IN (",
            prefixed(SUB_COLUMNS, "s")
        ));
        q.push_binds(ids.iter().copied()).push(") ORDER BY o.id");
        let rows: Vec<Row> = q.fetch_all(&mut tx).await?;
        tx.commit().await?;
        rows.into_iter()
            .map(|r| {
                Ok(OutboxItem {
                    id: r.outbox_id,
                    run_key: run_key.to_string(),
                    attempts: r.attempts,
                    subscriber: r.sub.into_subscriber()?,
                })
            })
            .collect()
    }

    async fn finish_outbox(
        &self,
        item: &OutboxItem,
        delivery: &Delivery,
        day: NaiveDate,
    ) -> Result<(), StoreError> {
        use Delivery;
        let now = now_millis();
        let mut tx = self.db.begin_write().await?;
        match delivery {
            Delivery::Sent | Delivery::Skipped => {
                let state = if matches!(delivery, Delivery::Sent) {
                    "sent"
                } else {
                    "skipped"
                };
                query("UPDATE outbox SET state = $1, finished_at = $2 WHERE id = $3")
                    .bind(state)
                    .bind(now)
                    .bind(item.id)
                    .execute(&mut tx)
                    .await?;
                query("UPDATE subscribers SET last_sent_day = $1 WHERE id = $2")
                    .bind(day_text(day))
                    .bind(item.subscriber.id)
                    .execute(&mut tx)
                    .await?;
            }
            Delivery::Retry { error, retry_at } => {
                query(
                    "UPDATE outbox SET state = 'queued', attempts = attempts + 1, last_error = $1, next_attempt = $2 WHERE id = $3",
                )
                .bind(error)
                .bind(retry_at.timestamp_millis())
                .bind(item.id)
                .execute(&mut tx)
                .await?;
            }
            Delivery::Failed { error } => {
                query(
                    "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $1, finished_at = $2 WHERE id = $3",
                )
                .bind(error)
                .bind(now)
                .bind(item.id)
                .execute(&mut tx)
                .await?;
                query(
                    "UPDATE subscribers SET state = 'failed', last_error = $1, changed_at = $2 WHERE id = $3",
                )
                .bind(error)
                .bind(now)
                .bind(item.subscriber.id)
                .execute(&mut tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn outbox_counts(&self, run_key: &str) -> Result<OutboxCounts, StoreError> {
        let rows: Vec<(String, i64)> =
            query("SELECT state, COUNT(*) FROM outbox WHERE run_key = $1 GROUP BY state")
                .bind(run_key)
                .fetch_all(&self.db)
                .await?;
        let mut c = OutboxCounts::default();
        for (state, n) in rows {
            match state.as_str() {
                "queued" => c.queued = n,
                "sending" => c.sending = n,
                "sent" => c.sent = n,
                "skipped" => c.skipped = n,
                "failed" => c.failed = n,
                _ => {}
            }
        }
        Ok(c)
    }
}
