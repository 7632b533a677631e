//! Errors of the storage layer.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or answered with an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row could not be read back (a bug or a hand-edited database).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The write conflicts with what is stored (a taken name, a repeated claim); the message
    /// is safe to show.
    #[error("{0}")]
    Conflict(String),
    /// The URL names a database this build cannot use.
    #[error("{0}")]
    Unsupported(String),
}

impl StoreError {
    /// Whether the database is unreachable (as opposed to a bad query or bad data), so that a
    /// server can answer 503 and retry later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed,
            ) => true,
            // PostgreSQL: connection exceptions (class 08), shutdown and recovery (57P0x).
            // SQLite: the database stayed busy or locked past the busy timeout (result codes
            // 5 and 6, with their extended codes); a retry a moment later succeeds.
            StoreError::Database(sqlx::Error::Database(e)) => e.code().is_some_and(|c| {
                c.starts_with("08")
                    || c.starts_with("57P")
                    || (c.len() <= 4 && c.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6)))
            }),
            _ => false,
        }
    }
}
