//! E-mail digests against a real SMTP server (aiosmtpd, `tests/compat/smtp_sink.py`, from the
//! virtual environment `scripts/compat-venv.sh` makes; `.ci/run` makes it): subscribe, confirm
//! through the link in the confirmation mail, a digest run, its headers, parts and papers, a run
//! again (nothing more), the one-click unsubscribe, and a digest run killed in the middle and run
//! again (everyone gets their digest once). Fails in CI when the venv is missing; skips with a
//! notice elsewhere.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::shared_data;
use mail_parser::MessageParser;

use crate::{bin, database_url, free_port, wait_up};

pub(crate) const SECRET: &str = "a test secret for signed links";

pub(crate) fn venv() -> Option<PathBuf> {
    crate::venv("the mail tests")
}

/// The SMTP server, killed on drop.
pub(crate) struct Sink {
    pub(crate) child: Child,
    pub(crate) port: u16,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_sink(venv: &Path, dir: &Path, delay_ms: u64) -> Sink {
    start_sink_with(venv, dir, delay_ms, &[])
}

pub(crate) fn start_sink_with(venv: &Path, dir: &Path, delay_ms: u64, extra: &[String]) -> Sink {
    let port = free_port();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/compat/smtp_sink.py");
    let mut child = Command::new(venv.join("bin/python"))
        .arg(script)
        .args(["--port", &port.to_string(), "--dir"])
        .arg(dir)
        .args(["--delay-ms", &delay_ms.to_string()])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("ready"),
        "the SMTP server did not start: {line}"
    );
    Sink { child, port }
}

/// A child process killed when the test ends, even by a failed assertion.
pub(crate) struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A received message: its SMTP recipients and raw bytes.
pub(crate) struct Received {
    pub(crate) to: String,
    pub(crate) raw: Vec<u8>,
}

pub(crate) fn received(dir: &Path) -> Vec<Received> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let first = text.lines().next().unwrap_or("");
            let to = first.trim_start_matches("X-Envelope-To: ").to_string();
            let raw = bytes[first.len() + 2..].to_vec();
            Received { to, raw }
        })
        .collect()
}

pub(crate) fn wait_for(dir: &Path, n: usize) -> Vec<Received> {
    let t = Instant::now();
    loop {
        let r = received(dir);
        if r.len() >= n || t.elapsed() > Duration::from_secs(30) {
            return r;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn mail_env(cmd: &mut Command, smtp_port: u16, public: &str) {
    cmd.env("DAILYPAPERS_MAIL__ENABLED", "true")
        .env("DAILYPAPERS_MAIL__SMTP_HOST", "127.0.0.1")
        .env("DAILYPAPERS_MAIL__SMTP_PORT", smtp_port.to_string())
        .env("DAILYPAPERS_MAIL__SECRET", SECRET)
        .env(
            "DAILYPAPERS_MAIL__FROM",
            "Daily Papers <digest@papers.test>",
        )
        .env("DAILYPAPERS_PUBLIC_URL", public);
}

pub(crate) fn digest(dir: &Path, smtp_port: u16, public: &str, date: &str) -> serde_json::Value {
    let mut c = bin(dir);
    c.args(["digest", "--date", date, "--json"]);
    mail_env(&mut c, smtp_port, public);
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "digest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or("{}")).unwrap()
}

pub(crate) fn import_days(dir: &Path, days: &[&str]) {
    let data = shared_data().unwrap();
    let mut c = bin(dir);
    c.arg("import");
    for d in days {
        c.arg(data.join(format!("hf-daily/days/{d}.json.gz")));
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn csrf_of(body: &str) -> String {
    let i = body.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    body[i..i + body[i..].find('"').unwrap()].to_string()
}

pub(crate) fn link_in(text: &str, path: &str) -> String {
    let i = text
        .find(path)
        .unwrap_or_else(|| panic!("no {path} link in {text}"));
    let start = text[..i].rfind("http").unwrap();
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .next()
        .unwrap()
        .to_string()
}

/// Runs an async test body on its own runtime, after the test database is made (making it
/// needs a runtime of its own, which cannot start inside another).
pub(crate) fn with_runtime<F: std::future::Future<Output = ()>>(
    f: impl FnOnce(tempfile::TempDir) -> F,
) {
    let dir = tempfile::tempdir().unwrap();
    database_url(dir.path());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f(dir));
}

#[test]
fn subscribe_confirm_digest_and_unsubscribe_over_real_smtp() {
    let Some(_) = shared_data() else { return };
    let Some(venv) = venv() else { return };
    with_runtime(|dir| subscribe_confirm_digest_and_unsubscribe(venv, dir));
}

async fn subscribe_confirm_digest_and_unsubscribe(venv: PathBuf, dir: tempfile::TempDir) {
    let mail_dir = dir.path().join("mail");
    let sink = start_sink(&venv, &mail_dir, 0);
    import_days(dir.path(), &["2025-03-17", "2025-03-18"]);
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let mut serve = bin(dir.path());
    serve
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::null());
    mail_env(&mut serve, sink.port, &public);
    let server = KillOnDrop(serve.spawn().unwrap());
    assert!(wait_up(port), "the server did not start");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http
        .get(format!("{public}/subscribe?email=reader%40example.org"))
        .send()
        .await
        .unwrap();
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("; ");
    let body = form.text().await.unwrap();
    assert!(
        body.contains("value=\"reader@example.org\""),
        "prefilled from the list pages' form"
    );
    let csrf = csrf_of(&body);
    let post = |fields: Vec<(&'static str, String)>| {
        let http = http.clone();
        let cookie = cookie.clone();
        let public = public.clone();
        async move {
            let r = http
                .post(format!("{public}/subscribe"))
                .header("cookie", cookie)
                .form(&fields)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // Hostile and invalid input: a clear 400, nothing sent.
    for bad in [
        "reader@example.org\r\nBcc: victim@example.org",
        "not-an-address",
        &"a".repeat(300),
    ] {
        let (s, b) = post(vec![
            ("csrf", csrf.clone()),
            ("email", bad.to_string()),
            ("cadence", "daily".into()),
        ])
        .await;
        assert_eq!(s, 400, "{bad}: {b}");
        assert!(
            !b.contains("\r\nBcc") && !b.contains("\nBcc"),
            "control characters are not echoed"
        );
    }
    let (s, _) = post(vec![
        ("csrf", "wrong".into()),
        ("email", "x@example.org".into()),
    ])
    .await;
    assert_eq!(s, 403, "CSRF");
    let (s, b) = post(vec![
        ("csrf", csrf.clone()),
        ("email", "reader@example.org".into()),
        ("cadence", "daily".into()),
        ("searches", "diffusion\nlanguage models".into()),
    ])
    .await;
    assert_eq!(s, 200, "{b}");
    assert!(b.contains("Check your inbox"));
    let (s, _) = post(vec![
        ("csrf", csrf.clone()),
        ("email", "pending@example.org".into()),
    ])
    .await;
    assert_eq!(s, 200);
    // Double opt-in: only the confirmation mails went out.
    let mails = wait_for(&mail_dir, 2);
    assert_eq!(mails.len(), 2);
    let confirm_mail = mails.iter().find(|m| m.to == "reader@example.org").unwrap();
    let parsed = MessageParser::default().parse(&confirm_mail.raw).unwrap();
    let text = parsed.body_text(0).unwrap().to_string();
    let confirm = link_in(&text, "/subscribe/confirm?token=");
    // A tampered link is refused.
    let tampered = format!("{}x", &confirm[..confirm.len() - 1]);
    let r = http.get(&tampered).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // The link shows a button (a mail scanner following it confirms nothing); the click does.
    let r = http.get(&confirm).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("Confirm my subscription"));
    let token = confirm.split("token=").nth(1).unwrap().to_string();
    let r = http
        .post(format!("{public}/subscribe/confirm"))
        .header("cookie", cookie.clone())
        .form(&[("csrf", csrf.clone()), ("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("Subscribed"));
    // Subscribing a confirmed address again sends nothing and changes nothing.
    let (s, _) = post(vec![
        ("csrf", csrf.clone()),
        ("email", "READER@example.org".into()),
        ("cadence", "weekly".into()),
    ])
    .await;
    assert_eq!(s, 200);

    let top: serde_json::Value = serde_json::from_str(
        &http
            .get(format!("{public}/api/daily_papers?date=2025-03-17&limit=3"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    // A dry run prints who would get what, and sends nothing.
    let mut dry = bin(dir.path());
    dry.args(["digest", "--date", "2025-03-17", "--dry-run"]);
    mail_env(&mut dry, sink.port, &public);
    let out = dry.output().unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        printed.contains("reader@example.org\tTop papers of Monday, March 17, 2025"),
        "{printed}"
    );
    assert!(
        printed.contains("1 of 1 confirmed subscribers would get a digest"),
        "{printed}"
    );
    assert_eq!(received(&mail_dir).len(), 2);
    let report = digest(dir.path(), sink.port, &public, "2025-03-17");
    assert_eq!(report["sent"], 1, "{report}");
    let mails = wait_for(&mail_dir, 3);
    assert_eq!(
        mails.len(),
        3,
        "one digest, to the confirmed subscriber only"
    );
    let d = &mails[2];
    assert_eq!(d.to, "reader@example.org");
    let m = MessageParser::default().parse(&d.raw).unwrap();
    assert_eq!(
        m.from().unwrap().first().unwrap().address().unwrap(),
        "digest@papers.test"
    );
    assert_eq!(
        m.to().unwrap().first().unwrap().address().unwrap(),
        "reader@example.org"
    );
    assert!(
        m.subject()
            .unwrap()
            .contains("Top papers of Monday, March 17, 2025"),
        "{:?}",
        m.subject()
    );
    assert!(m.message_id().unwrap().starts_with("daily.2025-03-17."));
    assert!(m.date().is_some());
    let raw = String::from_utf8_lossy(&d.raw);
    assert!(
        raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{raw}"
    );
    assert!(raw.to_ascii_lowercase().contains("multipart/alternative"));
    let unsubscribe = m
        .header_raw("List-Unsubscribe")
        .unwrap()
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string();
    assert!(
        unsubscribe.starts_with(&format!("{public}/unsubscribe?token=")),
        "{unsubscribe}"
    );
    let text = m.body_text(0).unwrap().to_string();
    let html = m.body_html(0).unwrap().to_string();
    for item in top.as_array().unwrap() {
        let id = item["paper"]["id"].as_str().unwrap();
        let title = item["paper"]["title"].as_str().unwrap();
        assert!(text.contains(title), "{title} in the text part:\n{text}");
        assert!(
            html.contains(&format!("{public}/papers/{id}")),
            "link to {id} in the HTML part"
        );
    }
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "no scripts or remote images"
    );
    assert!(html.contains("style="), "inline styles");
    // The same run again sends nothing.
    let again = digest(dir.path(), sink.port, &public, "2025-03-17");
    assert_eq!(
        (again["sent"].as_u64(), again["done_before"].as_u64()),
        (Some(0), Some(1)),
        "{again}"
    );
    assert_eq!(received(&mail_dir).len(), 3);
    // One-click unsubscribe (RFC 8058), then the next day's run sends nothing to that address.
    let r = http
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let next = digest(dir.path(), sink.port, &public, "2025-03-18");
    assert_eq!(next["sent"], 0, "{next}");
    assert_eq!(received(&mail_dir).len(), 3);
    drop(server);
}
