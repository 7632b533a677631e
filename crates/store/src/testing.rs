//! Helpers for tests that run against every backend (used by this and other crates' tests).

use sqlx::Connection;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming a PostgreSQL server for tests (an admin URL, e.g.
/// `postgres://postgres@127.0.0.1:54329/postgres`; `.ci/postgres.sh` starts one).
pub const POSTGRES_URL_VAR: &str = "DAILYPAPERS_TEST_POSTGRES_URL";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates an empty database on the test PostgreSQL server and returns its URL.
///
/// Without [`POSTGRES_URL_VAR`]: panics when `CI` is set (CI must test both backends), and
/// otherwise prints a notice and returns `None` so the caller can skip.
pub async fn fresh_postgres_url() -> Option<String> {
    let Ok(admin) = std::env::var(POSTGRES_URL_VAR) else {
        if std::env::var_os("CI").is_some() {
            panic!("{POSTGRES_URL_VAR} is not set: CI must run the PostgreSQL tests (see .ci/postgres.sh)");
        }
        eprintln!(
            "NOTICE: skipping a PostgreSQL test: set {POSTGRES_URL_VAR} (see .ci/postgres.sh)"
        );
        return None;
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

/// The environment variable choosing the backend of integration tests: `sqlite` (default) or
/// `postgres`. CI runs the suites once with each.
pub const BACKEND_VAR: &str = "DAILYPAPERS_TEST_BACKEND";

/// A database URL for one test: a file in `dir` on SQLite, or a fresh database on PostgreSQL
/// when [`BACKEND_VAR`] says `postgres` (then `None` means: skip, see [`fresh_postgres_url`]).
pub async fn test_database_url(dir: &std::path::Path) -> Option<String> {
    match std::env::var(BACKEND_VAR).as_deref() {
        Ok("postgres") => fresh_postgres_url().await,
        Ok("sqlite") | Err(_) => Some(format!("sqlite://{}", dir.join("test.sqlite").display())),
        Ok(other) => panic!("{BACKEND_VAR}={other:?}: expected sqlite or postgres"),
    }
}

/// The shared data folder (`../shared/data` beside the repository), for tests.
///
/// Missing: panics with a clear message when `CI` is set, and otherwise prints a notice and
/// returns `None` so the caller can skip.
pub fn shared_data() -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if p.join("README.md").exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "shared data not found at {}: CI must run with ../shared beside the repository",
            p.display()
        );
    }
    eprintln!("NOTICE: skipping, shared data not found at {}", p.display());
    None
}

/// The sentence-embedding model folder for tests: `DAILYPAPERS_MODEL_DIR`, or
/// `var/models/all-MiniLM-L6-v2` in the workspace (where `scripts/fetch-model.sh` puts it).
///
/// Missing: panics with a clear message when `CI` is set, and otherwise prints a notice and
/// returns `None` so the caller can skip.
pub fn model_dir() -> Option<std::path::PathBuf> {
    let p = match std::env::var_os("DAILYPAPERS_MODEL_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../var/models/all-MiniLM-L6-v2"),
    };
    if p.join("model.safetensors").exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "embedding model not found at {}: run scripts/fetch-model.sh first (.ci/run does)",
            p.display()
        );
    }
    eprintln!(
        "NOTICE: skipping, embedding model not found at {} (run scripts/fetch-model.sh)",
        p.display()
    );
    None
}
