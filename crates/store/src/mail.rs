//! E-mail digests in the store: subscribers (double opt-in), their saved searches, and the
//! outbox, the ledger that makes a digest run send each subscriber's digest once however often
//! it is interrupted and run again. Part of [`crate::Store`] (a supertrait), implemented once for
//! both databases in `community_sql.rs`.

use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

/// How often a subscriber gets a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cadence {
    /// The day's top papers, every weekday.
    Daily,
    /// The week's top papers, once a week.
    Weekly,
}

impl Cadence {
    /// As stored and in forms.
    pub fn as_str(&self) -> &'static str {
        match self {
            Cadence::Daily => "daily",
            Cadence::Weekly => "weekly",
        }
    }

    /// From the stored or submitted text.
    pub fn parse(s: &str) -> Option<Cadence> {
        match s {
            "daily" => Some(Cadence::Daily),
            "weekly" => Some(Cadence::Weekly),
            _ => None,
        }
    }
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubState {
    /// Waiting for the confirmation link to be followed; nothing but that mail is sent.
    Pending,
    /// Gets digests.
    Confirmed,
    /// Asked to stop.
    Unsubscribed,
    /// Delivery failed permanently (the address does not exist, ...).
    Failed,
}

impl SubState {
    /// As stored.
    pub fn as_str(&self) -> &'static str {
        match self {
            SubState::Pending => "pending",
            SubState::Confirmed => "confirmed",
            SubState::Unsubscribed => "unsubscribed",
            SubState::Failed => "failed",
        }
    }

    /// From the stored text.
    pub fn parse(s: &str) -> Option<SubState> {
        match s {
            "pending" => Some(SubState::Pending),
            "confirmed" => Some(SubState::Confirmed),
            "unsubscribed" => Some(SubState::Unsubscribed),
            "failed" => Some(SubState::Failed),
            _ => None,
        }
    }
}

/// A subscription.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Subscriber {
    /// Row id.
    pub id: i64,
    /// The address as given (validated by the caller).
    pub email: String,
    /// How often.
    pub cadence: Cadence,
    /// Where it stands.
    pub state: SubState,
    /// The account that manages it, if any.
    pub user_id: Option<i64>,
    /// Saved searches: new papers matching them are listed in each digest.
    pub searches: Vec<String>,
    /// The list day of the last digest sent.
    pub last_sent_day: Option<NaiveDate>,
    /// The last permanent delivery error.
    pub last_error: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

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

/// Most saved searches per subscriber.
pub const MAX_SAVED_SEARCHES: usize = 5;

/// Subscriptions and the outbox.
#[async_trait]
pub trait Mail: Send + Sync {
    /// Subscribes `email` (its lower-case `email_key` identifies it). A new address, or one
    /// that unsubscribed or failed, starts `Pending` with the given cadence and searches; a
    /// pending one gets them too; a confirmed one is left as it is (its owner changes it from
    /// the settings page). Returns the subscription as it now is.
    async fn subscribe(
        &self,
        email: &str,
        email_key: &str,
        cadence: Cadence,
        user_id: Option<i64>,
        searches: &[String],
    ) -> Result<Subscriber, StoreError>;

    /// One subscription.
    async fn subscriber(&self, id: i64) -> Result<Option<Subscriber>, StoreError>;

    /// The subscriptions an account manages.
    async fn subscribers_of_user(&self, user_id: i64) -> Result<Vec<Subscriber>, StoreError>;

    /// Every subscription with an id after `after`, in id order, at most `limit` (for admins).
    async fn subscribers(&self, after: i64, limit: i64) -> Result<Vec<Subscriber>, StoreError>;

    /// Changes the cadence and saved searches of a subscription the account `user_id` manages.
    /// `false` when it has no such subscription.
    async fn update_subscription(
        &self,
        id: i64,
        user_id: i64,
        cadence: Cadence,
        searches: &[String],
    ) -> Result<bool, StoreError>;

    /// Moves a subscription to `state` (confirming, unsubscribing). `false` when it does not exist.
    async fn set_subscriber_state(&self, id: i64, state: SubState) -> Result<bool, StoreError>;

    /// Confirmed subscribers of a cadence with ids after `after`, in id order, at most `limit`.
    async fn confirmed_subscribers(
        &self,
        cadence: Cadence,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Subscriber>, StoreError>;

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
