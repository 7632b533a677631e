//! Helpers shared by the binary's integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The database URL of a test's store: SQLite in `data_dir`, or a fresh PostgreSQL database
/// when `DAILYPAPERS_TEST_BACKEND=postgres`. Made once per data directory.
pub fn database_url(data_dir: &Path) -> String {
    let marker = data_dir.join(".database_url");
    if let Ok(url) = std::fs::read_to_string(&marker) {
        return url;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = rt
        .block_on(dp_store::testing::test_database_url(data_dir))
        .expect(
        "a test database (DAILYPAPERS_TEST_POSTGRES_URL with DAILYPAPERS_TEST_BACKEND=postgres)",
    );
    std::fs::write(&marker, &url).unwrap();
    url
}

pub fn bin(data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dailypapers"));
    c.arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(database_url(data_dir))
        .env_remove("DAILYPAPERS_DATABASE_URL")
        .env("DAILYPAPERS_LOG", "warn");
    c
}

pub fn run_json(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A one-route HTTP server on a thread: answers every request with `body` and counts requests.
pub fn replay_server(body: String) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                body.len(),
                body
            );
        }
    });
    (port, hits)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET over a fresh connection: (status, body), or None when nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.get(9..12)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// Like [`replay_server`], but the first request is answered only after `first_delay` (a job
/// that is still running when its server is killed).
pub fn slow_first_replay_server(
    body: String,
    first_delay: Duration,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let body = body.clone();
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                    line.clear();
                }
                if n == 0 {
                    std::thread::sleep(first_delay);
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    body.len(),
                    body
                );
            });
        }
    });
    (port, hits)
}

/// Waits until the server on `port` answers `/healthz`.
pub fn wait_up(port: u16) -> bool {
    for _ in 0..150 {
        if http_get(port, "/healthz").is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Runs `.ci/postgres.sh` for a test's own cluster.
pub fn pg_script(port: u16, data: &Path, mode: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/postgres.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(mode)
        .env("PGPORT", port.to_string())
        .env("PGDATA_DIR", data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The Python virtual environment with the real clients and aiosmtpd (`scripts/compat-venv.sh`,
/// which `.ci/run` runs), or `None` with a notice. Missing in CI is a failure.
pub fn venv(what_for: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("DAILYPAPERS_COMPAT_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../var/venv"));
    if dir.join("bin/python").exists() && dir.join("bin/schemathesis").exists() {
        return Some(dir);
    }
    let what = format!(
        "the client venv {} (make it with: bash scripts/compat-venv.sh)",
        dir.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing: CI must run {what_for} (.ci/run makes it)");
    }
    eprintln!("NOTICE: skipping {what_for}: {what} is missing");
    None
}
