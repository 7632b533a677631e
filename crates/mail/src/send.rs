//! Sending: the `Mailer` trait (so tests and dry runs can swap it) and `SmtpMailer`, SMTP through
//! lettre with a connection pool, plain, STARTTLS or TLS, with or without authentication.

use async_trait::async_trait;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (connection refused, 4xx answers, timeouts).
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Will not work (5xx answers: no such mailbox, refused sender).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// Something that delivers messages.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers one message to its `To` recipients.
    async fn send(&self, message: &Message) -> Result<(), SendError>;
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// No TLS (a relay on the same machine or network).
    Plain,
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the start (port 465).
    Tls,
}

/// SMTP settings.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// Server host name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Connection security.
    pub security: SmtpSecurity,
    /// User name, when the server wants authentication.
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Connections kept open.
    pub pool_size: u32,
    /// Timeout of each SMTP command.
    pub timeout: Duration,
    /// Extra root certificates (PEM) to trust for TLS, e.g. a private CA's.
    pub ca_pem: Option<Vec<u8>>,
}

/// SMTP through lettre's pooled async transport.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpMailer {
    /// A mailer for `s` (connections are opened when the first message goes out).
    pub fn new(s: &SmtpSettings) -> Result<SmtpMailer, crate::MailError> {
        let tls = || {
            let mut b = TlsParameters::builder(s.host.clone());
            if let Some(pem) = &s.ca_pem {
                let cert = Certificate::from_pem(pem)
                    .map_err(|e| crate::MailError::Config(format!("mail.smtp_ca_file: {e}")))?;
                b = b.add_root_certificate(cert);
            }
            b.build()
                .map_err(|e| crate::MailError::Config(format!("TLS for {}: {e}", s.host)))
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.as_str())
            .port(s.port)
            .timeout(Some(s.timeout))
            .pool_config(PoolConfig::new().max_size(s.pool_size.max(1)));
        b = match s.security {
            SmtpSecurity::Plain => b.tls(Tls::None),
            SmtpSecurity::Starttls => b.tls(Tls::Required(tls()?)),
            SmtpSecurity::Tls => b.tls(Tls::Wrapper(tls()?)),
        };
        if let (Some(u), Some(p)) = (&s.username, &s.password) {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(SmtpMailer {
            transport: b.build(),
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: &Message) -> Result<(), SendError> {
        match self.transport.send(message.clone()).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}
