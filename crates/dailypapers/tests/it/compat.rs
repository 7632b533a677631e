//! Real clients against a real server: Hugging Face's Python client `huggingface_hub` 2.4.0 and
//! its `hf papers` commands (`tests/compat/hf_client.py`), `feedparser` on every feed
//! (`tests/compat/feeds.py`), and a bounded `schemathesis` run against `/api/openapi.json`
//! (`tests/compat/schema.sh`), all pointed at `dailypapers serve` with the 580 saved Hugging Face
//! days imported. The clients live in a virtual environment made by `scripts/compat-venv.sh`
//! (`.ci/run` makes it): the test fails in CI when it is missing and skips with a notice elsewhere.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::shared_data;

use crate::{bin, free_port, wait_up};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The virtual environment with the clients, or why not.
fn venv() -> Option<PathBuf> {
    crate::venv("the client compatibility tests")
}

fn report(name: &str, out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("---- {name} ----\n{text}");
    text
}

#[test]
fn huggingface_hub_feedparser_and_schemathesis_against_a_served_archive() {
    let Some(data) = shared_data() else { return };
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .arg("import")
        .arg(data.join("hf-daily/days"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let mut server = bin(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DAILYPAPERS_COMMUNITY__API_REQUESTS_PER_MINUTE", "0")
        .env("DAILYPAPERS_COMMUNITY__SEARCHES_PER_MINUTE", "0")
        .env("DAILYPAPERS_METRICS_TOKEN", "compat-metrics")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let up = wait_up(port);
    // The keyword index is built from the store in the background at start: the clients'
    // search checks need it complete (9,877 papers), not just a listening server.
    let started = std::time::Instant::now();
    while up && started.elapsed() < std::time::Duration::from_secs(120) {
        let auth = [("Authorization", "Bearer compat-metrics")];
        let metrics = dp_testkit::replay::http_get_with(port, "/metrics", &auth)
            .map(|m| m.1)
            .unwrap_or_default();
        if metrics.contains("search_index_documents 9877") && metrics.contains("search_index_lag 0")
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let url = format!("http://127.0.0.1:{port}");
    let python = venv.join("bin/python");
    let run = |script: &str, args: &[&str]| -> Output {
        let mut c = if script.ends_with(".sh") {
            let mut c = Command::new("bash");
            c.arg(repo().join(script));
            c
        } else {
            let mut c = Command::new(&python);
            c.arg(repo().join(script));
            c
        };
        c.args(args)
            .env("COMPAT_VENV", &venv)
            .env("HF_HUB_DISABLE_TELEMETRY", "1")
            .env("HF_HUB_DISABLE_UPDATE_CHECK", "1")
            .env_remove("HF_TOKEN")
            .env_remove("HF_ENDPOINT")
            .env("HF_HOME", dir.path().join("hf-home"))
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let results = up.then(|| {
        let data_arg = data.to_string_lossy().to_string();
        [
            (
                "huggingface_hub",
                run(
                    "tests/compat/hf_client.py",
                    &["--url", &url, "--data", &data_arg],
                ),
            ),
            ("feedparser", run("tests/compat/feeds.py", &["--url", &url])),
            ("schemathesis", run("tests/compat/schema.sh", &[&url, "25"])),
        ]
    });
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(up, "the server did not start");
    let mut failed = Vec::new();
    for (name, out) in results.unwrap() {
        let text = report(name, &out);
        if !out.status.success() {
            failed.push(format!(
                "{name}:\n{}",
                text.chars()
                    .rev()
                    .take(4000)
                    .collect::<String>()
                    .chars()
                    .rev()
                    .collect::<String>()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// `huggingface_hub`'s collection calls and `whoami`, round trip (`tests/compat/hf_collections.py`),
/// the collection exports read back by bibtexparser, rispy and citeproc-py, and the paper
/// pages' Scholar metadata (`tests/compat/citations.py`), and the Hub repositories citing a
/// paper as `paper_info`, `read_paper` and `hf papers read` see them, fetched by
/// `harvest --source hub` from a replay of the Hub (`tests/compat/hf_hub_links.py`), against a
/// server holding one saved Hugging Face day, with tokens made by `dailypapers user token`.
#[test]
fn huggingface_hub_collections_round_trip() {
    let Some(data) = shared_data() else { return };
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let day = data.join("hf-daily/days/2024-05-28.json.gz");
    // Two arXiv records with a DOI, a journal reference, categories and LaTeX in names and
    // titles, for the exports.
    let kaggle =
        data.join("arxiv-fixtures/kaggle-snapshot/arxiv-metadata-oai-snapshot.first200.jsonl");
    let out = bin(dir.path())
        .arg("import")
        .arg(&day)
        .arg(&kaggle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    crate::create_user(dir.path(), "reader-1", false);
    let token = |scope: &str| {
        let out = bin(dir.path())
            .args(["user", "token", "reader-1", "--scope", scope])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let (write, read) = (token("write"), token("read"));
    assert_ne!(write, read);
    // The Hub repositories citing the listed papers, from a replay of the Hub.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let replay = dp_testkit::replay::HubReplay {
        cited: vec!["*".into()],
    };
    let hub = rt.block_on(dp_testkit::replay::Mock::start(move |hit| {
        replay.reply(hit)
    }));
    let out = bin(dir.path())
        .args(["harvest", "--source", "hub", "--json", "--url", &hub.base])
        .env("DAILYPAPERS_HARVEST__REQUEST_INTERVAL_SECS", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(run["checked"].as_u64().unwrap() > 0, "{run}");
    assert_eq!(run["checked"], run["due"], "{run}");
    let port = free_port();
    let mut server = bin(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DAILYPAPERS_COMMUNITY__API_REQUESTS_PER_MINUTE", "0")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let up = wait_up(port);
    let papers = up.then(|| {
        let (_, body) = crate::http_get(port, "/api/papers?limit=1").expect("papers");
        let list: serde_json::Value = serde_json::from_str(&body).unwrap();
        format!("{},0704.0001,0704.0159", list[0]["id"].as_str().unwrap())
    });
    let url = format!("http://127.0.0.1:{port}");
    let run = |script: &str, extra: &[&str], papers: &str| {
        Command::new(venv.join("bin/python"))
            .arg(repo().join(script))
            .args(["--url", &url, "--user", "reader-1", "--token", &write])
            .args(extra)
            .args(["--papers", papers])
            .env_remove("HF_TOKEN")
            .env("HF_HOME", dir.path().join("hf-home"))
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let outs = papers.as_ref().map(|papers| {
        [
            (
                "hf_collections",
                run(
                    "tests/compat/hf_collections.py",
                    &["--read-token", &read],
                    papers,
                ),
                "7/7 checks passed",
            ),
            (
                "citations",
                run(
                    "tests/compat/citations.py",
                    &["--kaggle", &kaggle.to_string_lossy()],
                    papers,
                ),
                "7/7 checks passed",
            ),
            (
                "hf_hub_links",
                Command::new(venv.join("bin/python"))
                    .arg(repo().join("tests/compat/hf_hub_links.py"))
                    .args(["--url", &url, "--paper", papers.split(',').next().unwrap()])
                    .arg("--fixtures")
                    .arg(repo().join("crates/testkit/fixtures/hub"))
                    .env_remove("HF_TOKEN")
                    .current_dir(dir.path())
                    .output()
                    .unwrap(),
                "4/4 checks passed",
            ),
        ]
    });
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(up, "the server did not start");
    for (name, out, all) in outs.unwrap() {
        let text = report(name, &out);
        assert!(out.status.success() && text.contains(all), "{name}: {text}");
    }
}
