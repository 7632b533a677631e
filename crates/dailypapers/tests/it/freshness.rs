//! A paper imported by the CLI, a separate process, is found by keyword search through every
//! running server within 2 seconds: on PostgreSQL through two servers with their own indexes
//! (woken by `NOTIFY`), on SQLite through its one server.

use crate::{bin, free_port, shared_data, wait_up};
use dp_testkit::replay::http_get_with;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "freshness-metrics";

fn metric(port: u16, name: &str) -> Option<i64> {
    let auth = format!("Bearer {TOKEN}");
    let (_, body) = http_get_with(port, "/metrics", &[("Authorization", &auth)])?;
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as i64)
}

struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn a_paper_imported_by_the_cli_is_searchable_through_every_server_within_two_seconds() {
    let Some(data) = shared_data() else { return };
    let postgres = std::env::var("DAILYPAPERS_TEST_BACKEND").as_deref() == Ok("postgres");
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .arg("import")
        .arg(data.join("hf-daily/days/2026-08-20.json.gz"))
        .arg(data.join("hf-daily/days/2026-08-19.json.gz"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ports: Vec<u16> = (0..if postgres { 2 } else { 1 })
        .map(|_| free_port())
        .collect();
    let servers = Servers(
        ports
            .iter()
            .map(|p| {
                bin(dir.path())
                    .args(["serve", "--listen", &format!("127.0.0.1:{p}")])
                    .env("DAILYPAPERS_METRICS_TOKEN", TOKEN)
                    .env("DAILYPAPERS_COMMUNITY__SEARCHES_PER_MINUTE", "0")
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect(),
    );
    assert!(ports.iter().all(|p| wait_up(*p)), "servers up");
    // Both indexes built from the store before the import.
    let built = Instant::now();
    let docs = || {
        ports
            .iter()
            .map(|p| metric(*p, "search_index_documents"))
            .collect::<Vec<_>>()
    };
    while !docs().iter().all(|d| d.is_some_and(|n| n > 0))
        || ports
            .iter()
            .any(|p| metric(*p, "search_index_lag") != Some(0))
    {
        assert!(
            built.elapsed() < Duration::from_secs(60),
            "indexes built: {:?}",
            docs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let file = dir.path().join("new.jsonl");
    std::fs::write(
        &file,
        r#"{"id":"2608.99001","categories":["cs.IR"],"pdf":"https://arxiv.org/pdf/2608.99001","abs":"https://arxiv.org/abs/2608.99001","authors":["Ada Lovelace"],"title":"Quokka lattices for zanzibarine retrieval","comment":"","summary":"We index quokkas."}"#,
    )
    .unwrap();
    let report = crate::run_json(bin(dir.path()).args(["import", "--json"]).arg(&file));
    assert_eq!(report["inserted"], 1, "{report}");
    let imported = Instant::now();
    let mut lags = Vec::new();
    for port in &ports {
        loop {
            let found = crate::http_get(*port, "/api/papers/search?q=zanzibarine&mode=keyword")
                .is_some_and(|(s, body)| s == 200 && body.contains("2608.99001"));
            if found {
                lags.push(imported.elapsed());
                break;
            }
            assert!(
                imported.elapsed() < Duration::from_secs(30),
                "never found through 127.0.0.1:{port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    println!("found through {} server(s) after {lags:?}", ports.len());
    assert!(lags.iter().all(|l| *l < Duration::from_secs(2)), "{lags:?}");
    drop(servers);
}
