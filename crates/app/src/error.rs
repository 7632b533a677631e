//! What a use case refuses, and why, in words that are safe to show; callers (the web server,
//! the CLI) pick the status or exit code.

use dp_store::StoreError;

/// A use case's refusal or failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not acceptable (the message says which part and why).
    #[error("{0}")]
    Invalid(String),
    /// The input is well formed but the rules do not allow it (a paper too old to submit).
    #[error("{0}")]
    Refused(String),
    /// Only a signed-in reader may do this.
    #[error("{0}")]
    SignIn(String),
    /// This reader may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// What it is about does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It conflicts with what is stored (a taken user name, a repeated claim).
    #[error("{0}")]
    Conflict(String),
    /// Too many of these in a window; try again after this many seconds.
    #[error("too many requests; try again in {0} seconds")]
    RateLimited(u64),
    /// A quota with its own message (submissions per day).
    #[error("{0}")]
    Quota(String),
    /// A service this depends on (arXiv) could not be reached or answered badly.
    #[error("{0}")]
    Upstream(String),
    /// A part of this server is not set up or not available (search, mail).
    #[error("{0}")]
    Unavailable(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// A bug or an unexpected failure; the detail is for logs, not for readers.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => Error::Conflict(m),
            e => Error::Store(e),
        }
    }
}

impl From<dp_core::InputError> for Error {
    fn from(e: dp_core::InputError) -> Self {
        Error::Invalid(e.to_string())
    }
}

impl Error {
    /// An unexpected failure.
    pub fn internal(detail: impl std::fmt::Display) -> Error {
        Error::Internal(detail.to_string())
    }
}
