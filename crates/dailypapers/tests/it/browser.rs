//! The web UI in a real browser: `e2e/web.test.mjs` drives Debian's Chromium with Playwright
//! against `dailypapers serve` on seeded data, with the arXiv API replayed from recorded
//! responses. Needs node, npm and /usr/bin/chromium (`.ci/run` installs them): fails in CI when
//! they are missing, skips with a notice elsewhere.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::shared_data;

use crate::{bin, free_port, replay_server};

fn missing(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing: CI must run the browser tests (.ci/run installs it)");
    }
    eprintln!("NOTICE: skipping the browser tests: {what} is missing");
}

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

/// node, Chromium and the e2e packages, or why not.
fn prerequisites() -> bool {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        missing(&format!("Chromium ({chromium}; apt-get install chromium)"));
        return false;
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing("node");
        return false;
    }
    let dir = e2e_dir();
    if !dir.join("node_modules/playwright-core").exists() {
        let ok = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            missing("e2e/node_modules (npm ci in e2e/ failed)");
            return false;
        }
    }
    true
}

/// One day with three papers at 3, 3 and 2 upvotes; the second has math in its abstract and
/// markup in its title. The day before, four papers on other topics by other authors, for
/// "For you".
fn seed(dir: &Path) -> Vec<PathBuf> {
    let paper_by = |id: &str, title: &str, summary: &str, upvotes: i64, authors: &[&str]| {
        let authors: Vec<serde_json::Value> = authors
            .iter()
            .map(|a| serde_json::json!({ "name": a }))
            .collect();
        serde_json::json!({
            "paper": {"id": id, "title": title, "summary": summary, "upvotes": upvotes,
                      "authors": authors,
                      "publishedAt": "2026-01-02T00:00:00.000Z"},
            "publishedAt": "2026-01-02T00:00:00.000Z", "title": title, "numComments": 0
        })
    };
    let paper = |id: &str, title: &str, summary: &str, upvotes: i64| {
        paper_by(
            id,
            title,
            summary,
            upvotes,
            &["Ada Lovelace", "Alan Turing"],
        )
    };
    let items = serde_json::json!([
        paper(
            "2601.00001",
            "Attention for everyone",
            "We study attention & memory.",
            3
        ),
        paper(
            "2601.00002",
            "Bounds with <b>not bold</b> titles",
            "We prove $O(n \\log n)$ bounds when $a<b$.",
            3
        ),
        paper("2601.00003", "A paper to hide", "Spam.", 2),
    ]);
    let f = dir.join("2026-01-05.json");
    std::fs::write(&f, items.to_string()).unwrap();
    let before = serde_json::json!([
        paper_by(
            "2601.00013",
            "Galaxy rotation curves",
            "Dark matter halos and galaxy rotation curves.",
            5,
            &["Vera Rubin"]
        ),
        paper_by(
            "2601.00014",
            "Robot grasping from pixels",
            "Robot hands learn grasping from camera pixels.",
            2,
            &["Rodney Brooks"]
        ),
        paper_by(
            "2601.00011",
            "Speculative decoding for language models",
            "Speculative decoding drafts tokens for language models.",
            1,
            &["Grace Hopper"]
        ),
        paper_by(
            "2601.00012",
            "Faster speculative decoding with draft models",
            "Draft models make speculative decoding of language models faster.",
            1,
            &["Carl Sagan"]
        ),
    ]);
    let g = dir.join("2026-01-04.json");
    std::fs::write(&g, before.to_string()).unwrap();
    vec![f, g]
}

#[test]
fn the_web_ui_in_chromium() {
    let Some(data) = shared_data() else { return };
    if !prerequisites() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let seed_files = seed(dir.path());
    let out = bin(dir.path())
        .arg("import")
        .args(&seed_files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let atom =
        std::fs::read_to_string(data.join("arxiv-fixtures/atom-api/id_list_1111.2011v2.xml"))
            .unwrap();
    let (arxiv_port, arxiv_hits) = replay_server(atom);
    let port = free_port();
    let mut serve = bin(dir.path());
    serve
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env(
            "DAILYPAPERS_HARVEST__ARXIV_API_URL",
            format!("http://127.0.0.1:{arxiv_port}/api/query"),
        )
        .env("DAILYPAPERS_HARVEST__REQUEST_INTERVAL_SECS", "0")
        // The recorded paper is from 2011.
        .env("DAILYPAPERS_COMMUNITY__SUBMIT_MAX_AGE_DAYS", "100000");
    serve_and_run(&mut serve, port, "web.test.mjs", 15);
    assert_eq!(
        arxiv_hits.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the submission fetched arXiv once"
    );
}

/// Starts `serve` (listening on `port`), runs `file` (in e2e/) with node against it, stops it,
/// and asserts that all `tests` browser tests ran and passed.
fn serve_and_run(serve: &mut Command, port: u16, file: &str, tests: usize) {
    let mut server = serve.stderr(Stdio::null()).spawn().unwrap();
    let up = crate::wait_up(port);
    let out = up.then(|| {
        Command::new("node")
            .arg("--test-reporter=spec")
            .arg(file)
            .current_dir(e2e_dir())
            .env("BASE_URL", format!("http://127.0.0.1:{port}"))
            .output()
            .unwrap()
    });
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(up, "the server did not start");
    let out = out.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "browser tests failed:\n{text}");
    assert!(
        text.contains(&format!("ℹ pass {tests}")) && text.contains("ℹ fail 0"),
        "all {tests} browser tests of {file} ran:\n{text}"
    );
}

#[test]
fn the_harvest_pages_in_chromium() {
    let Some(data) = shared_data() else { return };
    if !prerequisites() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Hugging Face: nothing listens there. OAI-PMH: one recorded page of three papers.
    let hf_port = free_port();
    let page = std::fs::read_to_string(
        data.join("arxiv-fixtures/oai-pmh/hepcrawl_functional_arxiv-physics-hep-ex.xml"),
    )
    .unwrap();
    let (oai_port, _) = replay_server(page);
    let port = free_port();
    let mut serve = bin(dir.path());
    serve
        .env_remove("DAILYPAPERS_HARVEST__SCHEDULE_MINUTES")
        .env(
            "DAILYPAPERS_HARVEST__HF_URL",
            format!("http://127.0.0.1:{hf_port}"),
        )
        .env(
            "DAILYPAPERS_HARVEST__OAI_URL",
            format!("http://127.0.0.1:{oai_port}/oai"),
        )
        .env("DAILYPAPERS_HARVEST__OAI_SETS", "[\"physics:hep-ex\"]")
        .env("DAILYPAPERS_HARVEST__REQUEST_INTERVAL_SECS", "0")
        .env("DAILYPAPERS_HARVEST__MAX_RETRIES", "0")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")]);
    serve_and_run(&mut serve, port, "jobs.test.mjs", 2);
}
