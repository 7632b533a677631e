//! What tests need from outside the repository: the shared data (`../shared/data`), the
//! embedding model (`scripts/fetch-model.sh`) and the Python clients (`scripts/compat-venv.sh`).
//! Missing in CI (`CI` set) is a failure with a clear message; elsewhere the test prints a
//! notice and skips.

use std::path::{Path, PathBuf};

/// The workspace's root folder.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `None` with a notice, or a panic in CI: `what` is missing, so `this` cannot run.
pub fn missing<T>(what: &str, fix: &str) -> Option<T> {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing: {fix}");
    }
    eprintln!("NOTICE: skipping, {what} is missing ({fix})");
    None
}

/// The shared data folder (`../shared/data` beside the repository).
pub fn shared_data() -> Option<PathBuf> {
    let p = workspace().join("../shared/data");
    if p.join("README.md").exists() {
        return Some(p);
    }
    missing(
        &format!("the shared data at {}", p.display()),
        "CI must run with ../shared beside the repository",
    )
}

/// The sentence-embedding model folder: `DAILYPAPERS_MODEL_DIR`, or
/// `var/models/all-MiniLM-L6-v2` in the workspace (where `scripts/fetch-model.sh` puts it).
pub fn model_dir() -> Option<PathBuf> {
    let p = match std::env::var_os("DAILYPAPERS_MODEL_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace().join("var/models/all-MiniLM-L6-v2"),
    };
    if p.join("model.safetensors").exists() {
        return Some(p);
    }
    missing(
        &format!("the embedding model at {}", p.display()),
        "run scripts/fetch-model.sh first (.ci/run does)",
    )
}

/// The Python virtual environment with the real clients and aiosmtpd
/// (`scripts/compat-venv.sh`, which `.ci/run` runs).
pub fn venv(what_for: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("DAILYPAPERS_COMPAT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("var/venv"));
    if dir.join("bin/python").exists() && dir.join("bin/schemathesis").exists() {
        return Some(dir);
    }
    missing(
        &format!("the client venv {} for {what_for}", dir.display()),
        "make it with: bash scripts/compat-venv.sh (.ci/run does)",
    )
}
