//! E-mail for dailypapers: validated addresses, signed links, digests composed as
//! `multipart/alternative` messages, SMTP sending through `lettre`, and digest runs that go
//! through the store's outbox so that each subscriber gets a run's digest once, however often
//! the run is interrupted and started again.

pub mod address;
pub mod compose;
pub mod run;
pub mod send;
pub mod token;

pub use address::{Email, EmailError};
pub use compose::{DigestContent, DigestPaper};
/// A sender or recipient with an optional display name (from lettre).
pub use lettre::message::Mailbox;
/// A composed message (from lettre).
pub use lettre::Message;
pub use run::{run_digest, Matcher, RunConfig, RunReport};
pub use send::{Mailer, SendError, SmtpMailer, SmtpSecurity, SmtpSettings};
pub use token::{installation_signer, Signer, TokenError};

/// Why mail work failed.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] dp_store::StoreError),
    /// A message could not be built (a configuration value such as `From` is invalid).
    #[error("could not build a message: {0}")]
    Build(String),
    /// The configuration is unusable.
    #[error("mail configuration: {0}")]
    Config(String),
}
