//! E-mail digest subscriptions: double opt-in states and saved searches.

use crate::backend::query;
use crate::rows::{parse_day_text, time};
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

/// How often a subscriber gets a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Whether its digest adds the newest papers of what its account follows.
    pub with_follows: bool,
}

/// Most saved searches per subscriber.
pub const MAX_SAVED_SEARCHES: usize = 5;

/// Subscriptions.
#[async_trait]
pub trait Subscribers: Send + Sync {
    /// Records a request to subscribe `email` (its lower-case `email_key` identifies it) with
    /// these settings; nothing else changes until the request is confirmed
    /// ([`Subscribers::confirm_request`]). Returns the request's id.
    async fn request_subscription(
        &self,
        email: &str,
        email_key: &str,
        cadence: Cadence,
        searches: &[String],
    ) -> Result<i64, StoreError>;

    /// Confirms a request (once: a used or unknown request is `None`): the address's
    /// subscription is created, or gets the request's settings, and is `Confirmed`. A
    /// `user_id` (the account the confirmation came from) attaches the subscription to that
    /// account; without one it keeps the account it had.
    async fn confirm_request(
        &self,
        request_id: i64,
        user_id: Option<i64>,
    ) -> Result<Option<Subscriber>, StoreError>;

    /// Subscribes `email` directly (imports, benchmarks and tests; readers go through
    /// requests). A new address, or one that unsubscribed or failed, starts `Pending` with the
    /// given cadence and searches; a pending one gets them too; a confirmed one is left as it
    /// is. An existing subscription keeps its account. Returns the subscription as it now is.
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

    /// The subscription of an address, by its lower-case key.
    async fn subscriber_by_key(&self, email_key: &str) -> Result<Option<Subscriber>, StoreError>;

    /// The subscriptions an account manages.
    async fn subscribers_of_user(&self, user_id: i64) -> Result<Vec<Subscriber>, StoreError>;

    /// Every subscription with an id after `after`, in id order, at most `limit` (for admins).
    async fn subscribers(&self, after: i64, limit: i64) -> Result<Vec<Subscriber>, StoreError>;

    /// Adds (or stops adding) the newest papers of what the account `user_id` follows to the
    /// digest of a subscription it manages. `false` when it manages no such subscription.
    async fn set_digest_follows(&self, id: i64, user_id: i64, on: bool)
        -> Result<bool, StoreError>;

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
}

/// The columns of `subscribers` a `SubscriberRow` reads.
pub(crate) const SUB_COLUMNS: &str =
    "id, email, cadence, state, user_id, searches, last_sent_day, last_error, created_at, with_follows";

#[derive(sqlx::FromRow)]
pub(crate) struct SubscriberRow {
    id: i64,
    email: String,
    cadence: String,
    state: String,
    user_id: Option<i64>,
    searches: String,
    last_sent_day: Option<String>,
    last_error: Option<String>,
    created_at: i64,
    with_follows: bool,
}

impl SubscriberRow {
    pub(crate) fn into_subscriber(self) -> Result<Subscriber, StoreError> {
        Ok(Subscriber {
            id: self.id,
            email: self.email,
            cadence: Cadence::parse(&self.cadence).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown cadence {:?}", self.cadence))
            })?,
            state: SubState::parse(&self.state).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown subscription state {:?}", self.state))
            })?,
            user_id: self.user_id,
            searches: serde_json::from_str(&self.searches).map_err(|e| {
                StoreError::Corrupt(format!("saved searches of subscriber {}: {e}", self.id))
            })?,
            last_sent_day: self
                .last_sent_day
                .as_deref()
                .map(parse_day_text)
                .transpose()?,
            last_error: self.last_error,
            created_at: time(self.created_at)?,
            with_follows: self.with_follows,
        })
    }
}

/// Saved searches as stored (a JSON array).
fn searches_json(searches: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(searches).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl Subscribers for SqlStore {
    async fn subscriber_by_key(&self, email_key: &str) -> Result<Option<Subscriber>, StoreError> {
        let row: Option<SubscriberRow> = query(format!(
            "SELECT {SUB_COLUMNS} FROM subscribers WHERE email_key = $1"
        ))
        .bind(email_key)
        .fetch_optional(&self.db)
        .await?;
        row.map(SubscriberRow::into_subscriber).transpose()
    }

    async fn request_subscription(
        &self,
        email: &str,
        email_key: &str,
        cadence: Cadence,
        searches: &[String],
    ) -> Result<i64, StoreError> {
        query(
            "INSERT INTO subscription_requests (email, email_key, cadence, searches, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(email)
        .bind(email_key)
        .bind(cadence.as_str())
        .bind(searches_json(searches)?)
        .bind(now_millis())
        .scalar(&self.db)
        .await
    }

    async fn confirm_request(
        &self,
        request_id: i64,
        user_id: Option<i64>,
    ) -> Result<Option<Subscriber>, StoreError> {
        let now = now_millis();
        let mut tx = self.db.begin_write().await?;
        // Used once: the update claims the request.
        let request: Option<(String, String, String, String)> = query(
            "UPDATE subscription_requests SET used_at = $1 WHERE id = $2 AND used_at IS NULL \
             RETURNING email, email_key, cadence, searches",
        )
        .bind(now)
        .bind(request_id)
        .fetch_optional(&mut tx)
        .await?;
        let Some((email, email_key, cadence, searches)) = request else {
            return Ok(None);
        };
        let row: SubscriberRow = query(format!(
            "INSERT INTO subscribers (email, email_key, cadence, state, user_id, searches, created_at, changed_at) \
             VALUES ($1, $2, $3, 'confirmed', $4, $5, $6, $6) \
             ON CONFLICT (email_key) DO UPDATE SET email = excluded.email, cadence = excluded.cadence, \
               searches = excluded.searches, state = 'confirmed', last_error = NULL, \
               user_id = COALESCE(excluded.user_id, subscribers.user_id), changed_at = excluded.changed_at \
             RETURNING {SUB_COLUMNS}"
        ))
        .bind(email)
        .bind(email_key)
        .bind(cadence)
        .bind(user_id)
        .bind(searches)
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        row.into_subscriber().map(Some)
    }

    async fn subscribe(
        &self,
        email: &str,
        email_key: &str,
        cadence: Cadence,
        user_id: Option<i64>,
        searches: &[String],
    ) -> Result<Subscriber, StoreError> {
        let now = now_millis();
        let searches = searches_json(searches)?;
        let row: SubscriberRow = query(format!(
            "INSERT INTO subscribers (email, email_key, cadence, state, user_id, searches, created_at, changed_at) \
             VALUES ($1, $2, $3, 'pending', $4, $5, $6, $6) \
             ON CONFLICT (email_key) DO UPDATE SET \
               email = CASE WHEN subscribers.state = 'confirmed' THEN subscribers.email ELSE excluded.email END, \
               cadence = CASE WHEN subscribers.state = 'confirmed' THEN subscribers.cadence ELSE excluded.cadence END, \
               searches = CASE WHEN subscribers.state = 'confirmed' THEN subscribers.searches ELSE excluded.searches END, \
               user_id = subscribers.user_id, \
               state = CASE WHEN subscribers.state IN ('unsubscribed', 'failed') THEN 'pending' ELSE subscribers.state END, \
               changed_at = excluded.changed_at \
             RETURNING {SUB_COLUMNS}"
        ))
        .bind(email)
        .bind(email_key)
        .bind(cadence.as_str())
        .bind(user_id)
        .bind(searches)
        .bind(now)
        .fetch_one(&self.db)
        .await?;
        row.into_subscriber()
    }

    async fn subscriber(&self, id: i64) -> Result<Option<Subscriber>, StoreError> {
        let row: Option<SubscriberRow> = query(format!(
            "SELECT {SUB_COLUMNS} FROM subscribers WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.db)
        .await?;
        row.map(SubscriberRow::into_subscriber).transpose()
    }

    async fn subscribers_of_user(&self, user_id: i64) -> Result<Vec<Subscriber>, StoreError> {
        let rows: Vec<SubscriberRow> = query(format!(
            "SELECT {SUB_COLUMNS} FROM subscribers WHERE user_id = $1 ORDER BY id"
        ))
        .bind(user_id)
        .fetch_all(&self.db)
        .await?;
        rows.into_iter()
            .map(SubscriberRow::into_subscriber)
            .collect()
    }

    async fn subscribers(&self, after: i64, limit: i64) -> Result<Vec<Subscriber>, StoreError> {
        let rows: Vec<SubscriberRow> = query(format!(
            "SELECT {SUB_COLUMNS} FROM subscribers WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        rows.into_iter()
            .map(SubscriberRow::into_subscriber)
            .collect()
    }

    async fn update_subscription(
        &self,
        id: i64,
        user_id: i64,
        cadence: Cadence,
        searches: &[String],
    ) -> Result<bool, StoreError> {
        let searches = searches_json(searches)?;
        let r = query(
            "UPDATE subscribers SET cadence = $1, searches = $2, changed_at = $3 WHERE id = $4 AND user_id = $5",
        )
        .bind(cadence.as_str())
        .bind(searches)
        .bind(now_millis())
        .bind(id)
        .bind(user_id)
        .execute(&self.db)
        .await?;
        Ok(r == 1)
    }

    async fn set_digest_follows(
        &self,
        id: i64,
        user_id: i64,
        on: bool,
    ) -> Result<bool, StoreError> {
        let r = query(
            "UPDATE subscribers SET with_follows = $1, changed_at = $2 WHERE id = $3 AND user_id = $4",
        )
        .bind(on)
        .bind(now_millis())
        .bind(id)
        .bind(user_id)
        .execute(&self.db)
        .await?;
        Ok(r == 1)
    }

    async fn set_subscriber_state(&self, id: i64, state: SubState) -> Result<bool, StoreError> {
        let r = query(
            "UPDATE subscribers SET state = $1, changed_at = $2, \
             last_error = CASE WHEN $1 = 'confirmed' THEN NULL ELSE last_error END WHERE id = $3",
        )
        .bind(state.as_str())
        .bind(now_millis())
        .bind(id)
        .execute(&self.db)
        .await?;
        Ok(r == 1)
    }

    async fn confirmed_subscribers(
        &self,
        cadence: Cadence,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Subscriber>, StoreError> {
        let rows: Vec<SubscriberRow> = query(format!(
            "SELECT {SUB_COLUMNS} FROM subscribers WHERE state = 'confirmed' AND cadence = $1 AND id > $2 \
             ORDER BY id LIMIT $3"
        ))
        .bind(cadence.as_str())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        rows.into_iter()
            .map(SubscriberRow::into_subscriber)
            .collect()
    }
}
