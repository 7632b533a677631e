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
