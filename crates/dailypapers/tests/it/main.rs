//! The binary's integration tests, one binary: the CLI (imports, harvests, kill -9 recovery),
//! several servers on one PostgreSQL, the real Hugging Face and feed clients against a served
//! archive, e-mail over a real SMTP server, semantic search with the real model, and the web UI
//! in a real browser. They drive the `dailypapers` executable.

mod browser;
mod cli;
mod cluster;
mod compat;
mod fills;
mod freshness;
mod mail;
mod mail_runs;
mod semantic;

pub use dp_testkit::db::pg_cluster as pg_script;
pub use dp_testkit::env::{model_dir, shared_data, venv};
pub use dp_testkit::replay::{free_port, http_get, wait_up};
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
        .block_on(dp_testkit::db::test_database_url(data_dir))
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
        .env("DAILYPAPERS_LOG", "warn")
        // No test reaches huggingface.co or arXiv: harvests run only where a test points them
        // at a replay server (`--harvest-every`, or removing this variable).
        .env("DAILYPAPERS_HARVEST__SCHEDULE_MINUTES", "0");
    c
}

/// Creates the account `name` with the CLI (password `correct horse`, given on stdin).
pub fn create_user(data_dir: &Path, name: &str, admin: bool) {
    use std::io::Write;
    let mut cmd = bin(data_dir);
    cmd.args(["user", "create", name]);
    if admin {
        cmd.arg("--admin");
    }
    let mut c = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(b"correct horse\n")
        .unwrap();
    assert!(c.wait().unwrap().success(), "user create {name}");
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

/// A server that answers every request with `body` (see [`dp_testkit::replay::fixed`]).
pub fn replay_server(body: String) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    dp_testkit::replay::fixed(body, Duration::ZERO)
}

/// Like [`replay_server`], the first request answered only after `first_delay`.
pub fn slow_first_replay_server(
    body: String,
    first_delay: Duration,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    dp_testkit::replay::fixed(body, first_delay)
}

/// `dailypapers serve` with the configuration file `config` on a free port, harvesting every
/// `minutes` minutes (its log dropped).
pub fn serve_harvesting(dir: &Path, config: &Path, minutes: u32) -> std::process::Child {
    bin(dir)
        .arg("--config")
        .arg(config)
        .args([
            "serve",
            "--harvest-every",
            &minutes.to_string(),
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server starts")
}

/// A signed-in HTTP client of one server.
pub struct Session {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: String,
    pub csrf: String,
}

pub fn token_in(body: &str) -> String {
    let i = body.find("name=\"csrf\" value=\"").expect("a form") + 19;
    body[i..i + body[i..].find('"').unwrap()].to_string()
}

pub fn cookie_of(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
}

impl Session {
    /// Signs in as `name` (password `correct horse`).
    pub async fn login(port: u16, name: &str) -> Session {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let r = http.get(format!("{base}/login")).send().await.unwrap();
        let pre = cookie_of(&r, "dp_csrf").unwrap();
        let token = token_in(&r.text().await.unwrap());
        let r = http
            .post(format!("{base}/login"))
            .header("cookie", &pre)
            .form(&[
                ("csrf", token.as_str()),
                ("username", name),
                ("password", "correct horse"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "login {name}");
        let cookie = cookie_of(&r, "dp_session").unwrap();
        let page = http
            .get(format!("{base}/papers"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        let csrf = token_in(&page.text().await.unwrap());
        Session {
            http,
            base,
            cookie,
            csrf,
        }
    }

    /// POSTs `form` with the session's CSRF token.
    pub async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut f = vec![("csrf", self.csrf.as_str())];
        f.extend_from_slice(form);
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(&f)
            .send()
            .await
    }
}
