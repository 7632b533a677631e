//! A fresh database for each test: a file in a temporary folder on SQLite, or a new database
//! on the test PostgreSQL server. `DAILYPAPERS_TEST_BACKEND=postgres` makes every test that asks
//! for "the backend" use PostgreSQL; CI runs the suites once with each.

use dp_store::Store;
use sqlx::Connection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The environment variable naming a PostgreSQL server for tests (an admin URL, e.g.
/// `postgres://postgres@127.0.0.1:54329/postgres`; `.ci/postgres.sh` starts one).
pub const POSTGRES_URL_VAR: &str = "DAILYPAPERS_TEST_POSTGRES_URL";

/// The environment variable choosing the backend of tests: `sqlite` (default) or `postgres`.
pub const BACKEND_VAR: &str = "DAILYPAPERS_TEST_BACKEND";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates an empty database on the test PostgreSQL server and returns its URL; without
/// [`POSTGRES_URL_VAR`], `None` with a notice (a panic in CI).
pub async fn fresh_postgres_url() -> Option<String> {
    let Ok(admin) = std::env::var(POSTGRES_URL_VAR) else {
        return crate::env::missing(
            POSTGRES_URL_VAR,
            "CI must run the PostgreSQL tests (see .ci/postgres.sh)",
        );
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = format!(
        "dp_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {admin}: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    Some(format!("{base}/{name}"))
}

/// Whether tests that follow [`BACKEND_VAR`] run on PostgreSQL.
pub fn on_postgres() -> bool {
    match std::env::var(BACKEND_VAR).as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("{BACKEND_VAR}={other:?}: expected sqlite or postgres"),
    }
}

/// A database URL for one test that follows [`BACKEND_VAR`]: a file in `dir` on SQLite.
pub async fn test_database_url(dir: &std::path::Path) -> Option<String> {
    if on_postgres() {
        fresh_postgres_url().await
    } else {
        Some(format!("sqlite://{}", dir.join("test.sqlite").display()))
    }
}

/// A test's store and the folder it (and anything else the test writes) lives in.
pub struct TestStore {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Its database URL.
    pub url: String,
    /// A temporary folder, removed when the test ends.
    pub dir: tempfile::TempDir,
}

impl TestStore {
    /// A fresh store on the backend [`BACKEND_VAR`] chooses (`None`: skip, see
    /// [`fresh_postgres_url`]).
    pub async fn new() -> Option<TestStore> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = test_database_url(dir.path()).await?;
        Self::open(url, dir).await
    }

    /// A fresh SQLite store.
    pub async fn sqlite() -> Option<TestStore> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}", dir.path().join("test.sqlite").display());
        Self::open(url, dir).await
    }

    /// A fresh PostgreSQL store (`None`: skip).
    pub async fn postgres() -> Option<TestStore> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = fresh_postgres_url().await?;
        Self::open(url, dir).await
    }

    async fn open(url: String, dir: tempfile::TempDir) -> Option<TestStore> {
        let store = dp_store::open(&url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
        Some(TestStore { store, url, dir })
    }
}

/// Runs `.ci/postgres.sh MODE` for a test's own cluster on `port` with its data in `data`
/// (`fresh` prints the cluster's URL; `stop` and `start` stop and start it again).
pub fn pg_cluster(port: u16, data: &std::path::Path, mode: &str) -> String {
    let script = crate::env::workspace().join(".ci/postgres.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg(mode)
        .env("PGPORT", port.to_string())
        .env("PGDATA_DIR", data)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
