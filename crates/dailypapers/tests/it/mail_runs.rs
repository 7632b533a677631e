//! Digest runs against a real SMTP server: one killed midway and run again reaches everyone
//! once; STARTTLS and TLS with authentication.

use crate::mail::*;
use crate::{bin, database_url, shared_data};
use mail_parser::MessageParser;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_digest_run_killed_midway_then_run_again_reaches_everyone_once() {
    let Some(_) = shared_data() else { return };
    let Some(venv) = venv() else { return };
    with_runtime(|dir| killed_midway(venv, dir));
}

async fn killed_midway(venv: PathBuf, dir: tempfile::TempDir) {
    let mail_dir = dir.path().join("mail");
    // A slow server, so the kill lands in the middle of the run.
    let sink = start_sink(&venv, &mail_dir, 15);
    import_days(dir.path(), &["2025-03-17"]);
    const N: usize = 300;
    {
        let store = dp_store::open(&database_url(dir.path())).await.unwrap();
        for i in 0..N {
            let e = format!("reader{i:03}@example.org");
            let s = store
                .subscribe(&e, &e, dp_store::Cadence::Daily, None, &[])
                .await
                .unwrap();
            store
                .set_subscriber_state(s.id, dp_store::SubState::Confirmed)
                .await
                .unwrap();
        }
        store.close().await;
    }
    let public = "http://papers.test";
    let mut c = bin(dir.path());
    c.args(["digest", "--date", "2025-03-17", "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    mail_env(&mut c, sink.port, public);
    // At most this many messages are in flight, so at most this many can be taken by the
    // server and not yet recorded when the process dies.
    c.env("DAILYPAPERS_MAIL__CONCURRENCY", "8");
    let mut run = c.spawn().unwrap();
    let t = Instant::now();
    while received(&mail_dir).len() < N / 3 && t.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    run.kill().unwrap(); // SIGKILL: no clean-up of any kind
    run.wait().unwrap();
    let before = received(&mail_dir).len();
    assert!(
        (N / 3..N).contains(&before),
        "killed in the middle: {before} of {N} sent"
    );
    let report = digest(dir.path(), sink.port, public, "2025-03-17");
    let mails = received(&mail_dir);
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    for m in &mails {
        let parsed = MessageParser::default().parse(&m.raw).unwrap();
        ids.entry(m.to.clone())
            .or_default()
            .insert(parsed.message_id().unwrap().to_string());
    }
    assert_eq!(ids.len(), N, "every subscriber got a digest");
    assert!(
        ids.values().all(|s| s.len() == 1),
        "one digest each (one Message-ID per subscriber)"
    );
    // Only a message in flight at the moment of the kill can arrive twice (same Message-ID).
    let repeats = mails.len() - N;
    println!("sent before the kill {before}, after {}, repeated in flight {repeats}; second run {report}", mails.len() - before);
    assert!(repeats <= 8, "{repeats} repeats with 8 in flight");
    let resumed = report["resumed"].as_u64().unwrap() as usize;
    assert!(
        repeats <= resumed,
        "repeats {repeats} come only from rows left in flight ({resumed})"
    );
}

#[test]
fn smtp_over_starttls_or_tls_with_authentication() {
    use dp_mail::{Mailer, SendError, SmtpMailer, SmtpSecurity, SmtpSettings};
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ])
        .output()
        .expect("openssl, to make a test certificate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pem = std::fs::read(&cert).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (mode, security) in [
        ("starttls", SmtpSecurity::Starttls),
        ("tls", SmtpSecurity::Tls),
    ] {
        let mail_dir = dir.path().join(mode);
        let mut extra = vec![
            "--tls-cert".to_string(),
            cert.display().to_string(),
            "--tls-key".to_string(),
            key.display().to_string(),
            "--auth".to_string(),
            "digest:s3cret pass".to_string(),
        ];
        if mode == "tls" {
            extra.push("--implicit-tls".into());
        }
        let sink = start_sink_with(&venv, &mail_dir, 0, &extra);
        let settings = SmtpSettings {
            host: "127.0.0.1".into(),
            port: sink.port,
            security,
            username: Some("digest".into()),
            password: Some("s3cret pass".into()),
            pool_size: 2,
            timeout: Duration::from_secs(10),
            ca_pem: Some(pem.clone()),
        };
        let from = dp_mail::compose::mailbox("Daily Papers <digest@papers.test>").unwrap();
        let to = dp_mail::Email::parse("reader@example.org").unwrap();
        let message = dp_mail::compose::message(dp_mail::compose::Parts {
            from: &from,
            to: &to,
            subject: "over TLS",
            text: "hello".into(),
            html: "<p>hello</p>".into(),
            message_id: format!("{mode}@papers.test"),
            unsubscribe_url: None,
        })
        .unwrap();
        rt.block_on(async {
            let good = SmtpMailer::new(&settings).unwrap();
            good.send(&message)
                .await
                .unwrap_or_else(|e| panic!("{mode}: {e}"));
            // A wrong password is a permanent failure.
            let wrong = SmtpMailer::new(&SmtpSettings {
                password: Some("wrong".into()),
                ..settings.clone()
            })
            .unwrap();
            let e = wrong.send(&message).await.unwrap_err();
            assert!(matches!(e, SendError::Permanent(_)), "{mode}: {e}");
            // A certificate nobody vouches for is refused.
            let untrusted = SmtpMailer::new(&SmtpSettings {
                ca_pem: None,
                ..settings.clone()
            })
            .unwrap();
            assert!(
                untrusted.send(&message).await.is_err(),
                "{mode}: untrusted certificate"
            );
            if mode == "starttls" {
                // The server requires STARTTLS: a plain session gets nowhere.
                let plain = SmtpMailer::new(&SmtpSettings {
                    security: SmtpSecurity::Plain,
                    ..settings.clone()
                })
                .unwrap();
                assert!(
                    plain.send(&message).await.is_err(),
                    "plain session accepted"
                );
            }
        });
        let got = wait_for(&mail_dir, 1);
        assert_eq!(got.len(), 1, "{mode}: exactly the authenticated message");
        assert_eq!(got[0].to, "reader@example.org");
        drop(sink);
    }
}

#[test]
fn a_subscriber_with_signals_gets_a_for_you_section_with_true_reasons() {
    let Some(venv) = venv() else { return };
    with_runtime(|dir| for_you_section(venv, dir));
}

async fn for_you_section(venv: PathBuf, dir: tempfile::TempDir) {
    use dp_testkit::{paper, PaperExt};
    let mail_dir = dir.path().join("mail");
    let sink = start_sink(&venv, &mail_dir, 0);
    let at =
        |h: u32| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 3, 18, h, 0, 0).unwrap();
    let papers = [
        (
            "2503.10001",
            "Speculative decoding for long contexts",
            "Grace Hopper",
            "cs.CL",
        ),
        (
            "2503.10002",
            "Faster speculative decoding with drafts",
            "Carl Sagan",
            "cs.CL",
        ),
        (
            "2503.10003",
            "Robot grasping from pixels",
            "Rodney Brooks",
            "cs.RO",
        ),
        (
            "2503.10004",
            "Galaxy rotation curves",
            "Vera Rubin",
            "astro-ph.GA",
        ),
        (
            "2503.10005",
            "Token pruning for language models",
            "Ken Thompson",
            "cs.CL",
        ),
        (
            "2503.10006",
            "Chromatic numbers of sparse graphs",
            "Paul Erdos",
            "math.CO",
        ),
        // Followed by nothing, but close to the upvoted paper: For you finds it.
        (
            "2503.10007",
            "Speculative decoding drafts on mobile chips",
            "Ada Lovelace",
            "cs.AR",
        ),
    ];
    {
        let store = dp_store::open(&database_url(dir.path())).await.unwrap();
        let records: Vec<dp_core::Record> = papers
            .iter()
            .enumerate()
            .map(|(i, (id, title, author, cat))| {
                let mut p = paper(id, title)
                    .with_abstract(&format!("{title}: we study {title}."))
                    .with_authors(&[author])
                    .published_at(at(8 + i as u32));
                p.categories = vec![cat.to_string()];
                dp_core::Record {
                    paper: p,
                    entry: None,
                }
            })
            .collect();
        store.upsert_records(records).await.unwrap();
        let user = store
            .create_user(&dp_core::Username::parse("reader").unwrap(), "h", false)
            .await
            .unwrap();
        // Five signals: an author, two categories, a turned-down paper, an upvote.
        for (kind, value) in [
            ("author", "Grace Hopper"),
            ("category", "cs.CL"),
            ("category", "math"),
        ] {
            let t = dp_core::follow::Target::parse(kind, value).unwrap();
            store.add_follow(user.id, &t, 10).await.unwrap();
        }
        store
            .set_not_interested(user.id, &dp_testkit::id("2503.10005"), true)
            .await
            .unwrap();
        store
            .set_vote(user.id, &dp_testkit::id("2503.10002"), true)
            .await
            .unwrap();
        for (email, with) in [("mine@example.org", true), ("plain@example.org", false)] {
            let s = store
                .subscribe(email, email, dp_store::Cadence::Daily, Some(user.id), &[])
                .await
                .unwrap();
            store
                .set_subscriber_state(s.id, dp_store::SubState::Confirmed)
                .await
                .unwrap();
            store.set_digest_follows(s.id, user.id, with).await.unwrap();
        }
        store.close().await;
    }
    let report = digest(dir.path(), sink.port, "http://papers.test", "2025-03-18");
    assert_eq!(report["sent"], 1, "{report}");
    let mails = wait_for(&mail_dir, 1);
    let mail = mails
        .iter()
        .find(|m| m.to.contains("mine@"))
        .expect("the digest");
    let msg = MessageParser::default().parse(&mail.raw).unwrap();
    let text = msg.body_text(0).unwrap().replace("\r\n", "\n");
    let html = msg.body_html(0).unwrap().to_string();
    let section = &text[text
        .find("For you\n-------")
        .unwrap_or_else(|| panic!("a For you section: {text}"))..];
    assert!(html.contains("For you"));
    let whys: Vec<&str> = section
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Why: "))
        .collect();
    assert!(!whys.is_empty(), "{section}");
    assert!(
        section.contains("/papers/2503.10007"),
        "found by topic: {section}"
    );
    for why in &whys {
        assert!(
            [
                "by Grace Hopper, whom you follow",
                "in cs.CL, which you follow",
                "in math, which you follow",
            ]
            .contains(why)
                || why.starts_with(
                    "close to \u{201c}Faster speculative decoding with drafts\u{201d}"
                ),
            "every reason is one of the reader's own signals: {why}"
        );
    }
    assert!(
        !section.contains("/papers/2503.10005"),
        "not interested: left out"
    );
    assert!(
        !section.contains("/papers/2503.10002"),
        "already liked: not offered again"
    );
    assert!(
        !section.contains("/papers/2503.10004"),
        "nothing of the reader's: no reason, not in the section"
    );
}
