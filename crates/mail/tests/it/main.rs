//! The mail crate's integration tests, one binary.
//!
//! Digest runs through the outbox with a scripted mailer: exactly once across interrupted runs,
//! retries of temporary failures, permanent failures, nothing new means no mail, saved searches.
//! Runs on SQLite, or on PostgreSQL with DAILYPAPERS_TEST_BACKEND=postgres.

use async_trait::async_trait;
use chrono::{NaiveDate, TimeZone, Utc};
use dp_mail::run::{run_digest, Matcher, RunConfig};
use dp_mail::{Mailer, Message, SendError, Signer};
use dp_store::{Cadence, Store, SubState};
use dp_testkit::{day, entry, paper, rec, EntryExt, PaperExt};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Records what it is given; fails as scripted.
#[derive(Default)]
struct Scripted {
    sent: Mutex<Vec<(String, String, String)>>, // (to, message id, raw)
    /// Stop working (every send fails temporarily) after this many successes.
    fail_after: Option<usize>,
    ok: AtomicUsize,
}

#[async_trait]
impl Mailer for Scripted {
    async fn send(&self, m: &Message) -> Result<(), SendError> {
        let to = m.envelope().to()[0].to_string();
        if to.starts_with("bounce") {
            return Err(SendError::Permanent("550 no such user".into()));
        }
        if let Some(n) = self.fail_after {
            if self.ok.load(Ordering::SeqCst) >= n {
                return Err(SendError::Transient("421 shutting down".into()));
            }
        }
        self.ok.fetch_add(1, Ordering::SeqCst);
        let raw = String::from_utf8(m.formatted()).unwrap();
        let id = raw
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap()
            .to_string();
        self.sent.lock().unwrap().push((to, id, raw));
        Ok(())
    }
}

struct Words;

impl Matcher for Words {
    fn matches(&self, query: &str, _from: NaiveDate, _to: NaiveDate, _limit: usize) -> Vec<String> {
        // "zebra" matches the one paper about zebras; anything else matches nothing.
        if query == "zebra" {
            vec!["2503.00009".into()]
        } else {
            Vec::new()
        }
    }
}

async fn store(dir: &std::path::Path) -> Option<Arc<dyn Store>> {
    let url = dp_testkit::db::test_database_url(dir).await?;
    let store = dp_store::open(&url).await.unwrap();
    let mut records = Vec::new();
    for (i, title) in ["Attention <again> & more", "Bounds", "Zebras"]
        .iter()
        .enumerate()
    {
        let id = if i == 2 {
            "2503.00009".to_string()
        } else {
            format!("2503.0000{}", i + 1)
        };
        let p = paper(&id, title)
            .with_abstract("We study things $x<y$ carefully.")
            .with_authors(&["Ada Lovelace"])
            .published_at(Utc.with_ymd_and_hms(2025, 3, 16, 0, 0, 0).unwrap());
        let entry = (i < 2).then(|| entry("2025-03-17", &id, 10 - i as i64).position(i as i64));
        records.push(rec(p, entry));
    }
    store.upsert_records(records).await.unwrap();
    Some(store)
}

async fn subscribe(
    store: &Arc<dyn Store>,
    email: &str,
    cadence: Cadence,
    searches: &[&str],
) -> i64 {
    let searches: Vec<String> = searches.iter().map(|s| s.to_string()).collect();
    let s = store
        .subscribe(email, email, cadence, None, &searches)
        .await
        .unwrap();
    store
        .set_subscriber_state(s.id, SubState::Confirmed)
        .await
        .unwrap();
    s.id
}

fn config(d: &str) -> RunConfig {
    RunConfig {
        cadence: Cadence::Daily,
        day: day(d),
        site: "Daily Papers".into(),
        base_url: "http://papers.test".into(),
        from: dp_mail::compose::mailbox("Daily Papers <digest@papers.test>").unwrap(),
        top_n: 10,
        per_search: 5,
        concurrency: 4,
        batch: 7,
        max_attempts: 3,
        retry_wait: std::time::Duration::ZERO,
        link_days: 90,
        recommender: None,
    }
}

#[tokio::test]
async fn interrupted_runs_send_each_digest_once_and_failures_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let Some(store) = store(dir.path()).await else {
        return;
    };
    for i in 0..40 {
        subscribe(&store, &format!("r{i:02}@example.org"), Cadence::Daily, &[]).await;
    }
    let bounce = subscribe(&store, "bounce@example.org", Cadence::Daily, &[]).await;
    subscribe(&store, "weekly@example.org", Cadence::Weekly, &[]).await;
    let pending = store
        .subscribe(
            "pending@example.org",
            "pending@example.org",
            Cadence::Daily,
            None,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(pending.state, SubState::Pending);
    let signer = Signer::new(b"test secret, sixteen bytes+");
    let cfg = config("2025-03-17");
    // The SMTP server goes away after 15 messages: the rest are queued for a retry.
    let first = Scripted {
        fail_after: Some(15),
        ..Scripted::default()
    };
    let r1 = run_digest(store.as_ref(), &first, None, &signer, &cfg, &|_| {})
        .await
        .unwrap();
    assert_eq!((r1.sent, r1.failed), (15, 1), "{r1:?}");
    assert_eq!(r1.retried, 25);
    // The next run sends the rest once the retry is due (5 s backoff).
    tokio::time::sleep(std::time::Duration::from_millis(5200)).await;
    let second = Scripted::default();
    let r2 = run_digest(store.as_ref(), &second, None, &signer, &cfg, &|_| {})
        .await
        .unwrap();
    assert_eq!((r2.sent, r2.done_before), (25, 16), "{r2:?}");
    let mut by_to: HashMap<String, usize> = HashMap::new();
    for (to, _, _) in first
        .sent
        .lock()
        .unwrap()
        .iter()
        .chain(second.sent.lock().unwrap().iter())
    {
        *by_to.entry(to.clone()).or_default() += 1;
    }
    assert_eq!(by_to.len(), 40, "every confirmed daily subscriber");
    assert!(by_to.values().all(|n| *n == 1));
    assert!(
        !by_to.contains_key("pending@example.org") && !by_to.contains_key("weekly@example.org")
    );
    // A third run sends nothing.
    let third = Scripted::default();
    let r3 = run_digest(store.as_ref(), &third, None, &signer, &cfg, &|_| {})
        .await
        .unwrap();
    assert_eq!(r3.sent, 0);
    // The bounce is recorded and stops further mail.
    let b = store.subscriber(bounce).await.unwrap().unwrap();
    assert_eq!(b.state, SubState::Failed);
    assert!(b.last_error.unwrap().contains("550"));
    // What a digest says: the day's papers in order, escaped HTML, a signed unsubscribe link.
    let (_, id, raw) = &second.sent.lock().unwrap()[0];
    assert!(id.starts_with("<daily.2025-03-17."), "{id}");
    assert!(raw.contains("Top papers of Monday, March 17, 2025"));
    let unsubscribe = raw
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .unwrap()
        .trim_end_matches('>');
    let token = unsubscribe.split("token=").nth(1).unwrap();
    assert!(signer.verify("unsubscribe", token, Utc::now()).is_ok());
    assert!(signer.verify("confirm", token, Utc::now()).is_err());
}

#[tokio::test]
async fn saved_searches_add_new_papers_and_nothing_new_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let Some(store) = store(dir.path()).await else {
        return;
    };
    subscribe(&store, "zebra@example.org", Cadence::Daily, &["zebra"]).await;
    subscribe(
        &store,
        "plain@example.org",
        Cadence::Daily,
        &["nothing matches"],
    )
    .await;
    let signer = Signer::new(b"test secret, sixteen bytes+");
    let mailer = Scripted::default();
    // A day without a list: only the saved search has something new.
    let cfg = config("2025-03-18");
    let r = run_digest(
        store.as_ref(),
        &mailer,
        Some(&Words),
        &signer,
        &cfg,
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!((r.sent, r.skipped), (1, 1), "{r:?}");
    let sent = mailer.sent.lock().unwrap();
    assert_eq!(sent[0].0, "zebra@example.org");
    assert!(sent[0].2.contains("New papers for your search"));
    assert!(sent[0].2.contains("http://papers.test/papers/2503.00009"));
}

/// A matcher that starts another task of the runtime and returns only once it has run: with a
/// single worker thread, that task can run only if the search does not hold the worker.
struct WaitsForAnotherTask;

impl Matcher for WaitsForAnotherTask {
    fn matches(&self, query: &str, from: NaiveDate, to: NaiveDate, limit: usize) -> Vec<String> {
        let (tx, rx) = std::sync::mpsc::channel();
        tokio::runtime::Handle::current().spawn(async move {
            let _ = tx.send(());
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_secs(10)).is_ok(),
            "the runtime's other task never ran while the search ran"
        );
        Words.matches(query, from, to, limit)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_saved_search_does_not_hold_the_runtime_while_it_searches() {
    let dir = tempfile::tempdir().unwrap();
    let Some(store) = store(dir.path()).await else {
        return;
    };
    subscribe(&store, "zebra@example.org", Cadence::Daily, &["zebra"]).await;
    // On the runtime's one worker, as a server runs its digest job.
    let r = tokio::spawn(async move {
        let signer = Signer::new(b"test secret, sixteen bytes+");
        let mailer = Scripted::default();
        run_digest(
            store.as_ref(),
            &mailer,
            Some(&WaitsForAnotherTask),
            &signer,
            &config("2025-03-18"),
            &|_| {},
        )
        .await
        .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
}

#[tokio::test]
async fn a_signed_in_subscriber_gets_the_new_papers_of_what_they_follow() {
    let dir = tempfile::tempdir().unwrap();
    let Some(store) = store(dir.path()).await else {
        return;
    };
    let ada = store
        .create_user(&dp_core::Username::parse("reader").unwrap(), "h", false)
        .await
        .unwrap();
    let target = dp_core::follow::Target::parse("author", "ada lovelace").unwrap();
    store.add_follow(ada.id, &target, 10).await.unwrap();
    let zebra = dp_core::follow::Target::parse("search", "zebra").unwrap();
    store.add_follow(ada.id, &zebra, 10).await.unwrap();
    store
        .set_not_interested(ada.id, &dp_testkit::id("2503.00002"), true)
        .await
        .unwrap();
    let with = store
        .subscribe(
            "follows@example.org",
            "follows@example.org",
            Cadence::Daily,
            Some(ada.id),
            &[],
        )
        .await
        .unwrap();
    store
        .set_subscriber_state(with.id, SubState::Confirmed)
        .await
        .unwrap();
    assert!(store
        .set_digest_follows(with.id, ada.id, true)
        .await
        .unwrap());
    assert!(
        !store
            .set_digest_follows(with.id, ada.id + 1, true)
            .await
            .unwrap(),
        "only the account that manages it"
    );
    // Same account, follows not asked for: nothing new for it on a day without a list.
    let without = store
        .subscribe(
            "plain@example.org",
            "plain@example.org",
            Cadence::Daily,
            Some(ada.id),
            &[],
        )
        .await
        .unwrap();
    store
        .set_subscriber_state(without.id, SubState::Confirmed)
        .await
        .unwrap();

    let signer = Signer::new(b"test secret, sixteen bytes+");
    let mailer = Scripted::default();
    // The papers were first published on 2025-03-16, a day without a list.
    let r = run_digest(
        store.as_ref(),
        &mailer,
        Some(&Words),
        &signer,
        &config("2025-03-16"),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!((r.sent, r.skipped), (1, 1), "{r:?}");
    let sent = mailer.sent.lock().unwrap();
    assert_eq!(sent[0].0, "follows@example.org");
    let raw = &sent[0].2;
    assert!(raw.contains("New papers of what you follow"), "{raw}");
    for (id, shown) in [
        ("2503.00001", true),
        ("2503.00009", true),
        ("2503.00002", false),
    ] {
        assert_eq!(
            raw.contains(&format!("http://papers.test/papers/{id}")),
            shown,
            "{id} (2503.00002 is marked not interested)"
        );
    }
}
