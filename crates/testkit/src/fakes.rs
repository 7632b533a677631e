//! Stand-ins for the services a server talks to, for tests that do not run the real ones: a
//! fixed clock, an arXiv fetcher that answers from recorded responses, and a mailer that keeps
//! what it is given. (Tests of the real parts use real ones: a local HTTP server, aiosmtpd.)

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dp_ingest::fetch::{FetchError, Fetcher};
use std::sync::{Arc, Mutex};

/// A clock that always says the same time.
pub struct FixedClock(pub DateTime<Utc>);

impl dp_app::Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Answers arXiv API lookups from the recorded responses in the shared data: `1111.2011`
/// and `2501.99999` (an empty feed: arXiv has no such paper); anything else is unreachable.
#[derive(Default)]
pub struct RecordedArxiv {
    /// Every URL asked for.
    pub calls: Mutex<Vec<String>>,
}

#[async_trait]
impl Fetcher for RecordedArxiv {
    async fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(url.to_string());
        }
        let Some(data) = crate::env::shared_data() else {
            return Err(FetchError::Unreachable {
                host: "export.arxiv.org".into(),
                message: "no shared data".into(),
            });
        };
        let dir = data.join("arxiv-fixtures/atom-api");
        let file = if url.contains("1111.2011") {
            "id_list_1111.2011v2.xml"
        } else if url.contains("2501.99999") {
            "recorded_id_0000.0000_s0_m100_8b51d9633a68.atom.xml"
        } else {
            return Err(FetchError::Unreachable {
                host: "export.arxiv.org".into(),
                message: "offline".into(),
            });
        };
        std::fs::read(dir.join(file)).map_err(|e| FetchError::Unreachable {
            host: "export.arxiv.org".into(),
            message: e.to_string(),
        })
    }
}

/// Mail a [`RecordingMailer`] was given: (recipient, the raw message).
pub type Outbox = Arc<Mutex<Vec<(String, String)>>>;

/// Keeps the messages instead of sending them.
#[derive(Default, Clone)]
pub struct RecordingMailer(pub Outbox);

#[async_trait]
impl dp_mail::Mailer for RecordingMailer {
    async fn send(&self, m: &dp_mail::Message) -> Result<(), dp_mail::SendError> {
        let to = m
            .envelope()
            .to()
            .first()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let raw = String::from_utf8_lossy(&m.formatted()).into_owned();
        if let Ok(mut sent) = self.0.lock() {
            sent.push((to, raw));
        }
        Ok(())
    }
}

/// Mail set up with a [`RecordingMailer`] and a fixed link secret.
pub fn recording_mail() -> (dp_app::MailSetup, Outbox) {
    let mailer = RecordingMailer::default();
    let sent = mailer.0.clone();
    let setup = dp_app::MailSetup {
        mailer: Arc::new(mailer),
        signer: dp_mail::Signer::new(b"test secret for the web tests"),
        from: "Daily Papers <digest@papers.test>"
            .parse()
            .expect("a valid sender"),
        top_n: 10,
        per_search: 5,
    };
    (setup, sent)
}
