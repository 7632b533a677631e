//! The binary as a user runs it: help texts, stats, the full shared import with its exact
//! counts, and a kill -9 in the middle of an import followed by a re-run.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::shared_data;

use crate::{bin, database_url, free_port, http_get, pg_script, replay_server, run_json};

#[test]
fn every_subcommand_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    for sub in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["import", "--help"],
        vec!["harvest", "--help"],
        vec!["stats", "--help"],
        vec!["bench", "import", "--help"],
    ] {
        let out = bin(dir.path()).args(&sub).output().unwrap();
        assert!(out.status.success(), "{sub:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage:"), "{sub:?}: {text}");
    }
}

#[test]
fn bad_input_gives_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .args(["import", "--date", "2025-13-40", "x.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid date"));
    let out = bin(dir.path())
        .args(["import", "/no/such/file.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file.json"));
    let out = bin(dir.path())
        .args(["harvest", "--source", "arxiv", "--id", "0000.0000"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an arXiv id"));
    let out = bin(dir.path())
        .args(["import", "--format", "yaml", "x"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format"));
    let out = Command::new(env!("CARGO_BIN_EXE_dailypapers"))
        .args(["--database-url", "mysql://x", "stats"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite://"));
}

#[test]
fn full_import_counts_and_survives_kill_9() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let days = data.join("hf-daily/days");
    let bulk = data.join("arxiv-bulk/daily_arxiv_cs_20250318_20260701.jsonl.gz");

    // Kill the import at a point that varies from run to run.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let delay = Duration::from_millis(500 + u64::from(nanos % 4000));
    let mut child = bin(dir.path())
        .arg("import")
        .arg(&days)
        .arg(&bulk)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let partial = run_json(bin(dir.path()).args(["stats", "--json"]));
    eprintln!("killed after {delay:?}: {partial}");
    assert!(partial["papers"].as_i64().unwrap() <= 80_317);

    let first = run_json(
        bin(dir.path())
            .arg("import")
            .arg("--json")
            .arg(&days)
            .arg(&bulk),
    );
    assert_eq!(first["file_errors"], 0);
    let stats = run_json(bin(dir.path()).args(["stats", "--json"]));
    assert_eq!(stats["papers"], 80_317, "{stats}");
    assert_eq!(stats["feed_entries"], 9_881, "{stats}");
    assert_eq!(stats["days"], 580, "{stats}");

    let second = run_json(
        bin(dir.path())
            .arg("import")
            .arg("--json")
            .arg(&days)
            .arg(&bulk),
    );
    assert_eq!(
        (second["inserted"].as_u64(), second["updated"].as_u64()),
        (Some(0), Some(0)),
        "{second}"
    );
    assert_eq!(second["read"], 9_881 + 74_728);
    assert_eq!(
        run_json(bin(dir.path()).args(["stats", "--json"]))["papers"],
        80_317
    );
}

#[test]
fn serve_answers_over_http_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = bin(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut body = String::new();
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(100));
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            s.write_all(b"GET /api/daily_papers?date=2025-03-17 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
            s.read_to_string(&mut body).unwrap();
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.ends_with("[]"), "{body}");
}

#[test]
fn scheduled_harvest_runs_once_for_two_servers_on_one_store() {
    let Some(data) = shared_data() else { return };
    let body = std::fs::read_to_string(
        data.join("arxiv-fixtures/oai-pmh/hepcrawl_functional_arxiv-physics-hep-ex.xml"),
    )
    .unwrap();
    let (oai_port, hits) = replay_server(body);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dailypapers.toml");
    std::fs::write(
        &config,
        format!(
            "[harvest]\noai_url = \"http://127.0.0.1:{oai_port}/oai\"\noai_sets = [\"physics:hep-ex\"]\nhf_mirror = false\nrequest_interval_secs = 0.0\n"
        ),
    )
    .unwrap();
    // Create the store first, then start two servers on it, both scheduling a harvest every hour.
    run_json(bin(dir.path()).args(["stats", "--json"]));
    let mut servers: Vec<_> = (0..2)
        .map(|_| crate::serve_harvesting(dir.path(), &config, 60))
        .collect();
    let mut papers = 0;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(200));
        papers = run_json(bin(dir.path()).args(["stats", "--json"]))["papers"]
            .as_i64()
            .unwrap_or(0);
        if papers == 3 {
            break;
        }
    }
    // Give the second server time to (wrongly) run the same slot again.
    std::thread::sleep(Duration::from_secs(6));
    for s in &mut servers {
        s.kill().unwrap();
        s.wait().unwrap();
    }
    assert_eq!(
        papers, 3,
        "the scheduled OAI-PMH harvest stored the fixture's records"
    );
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one harvest for the slot, not one per server"
    );
    let stats = run_json(bin(dir.path()).args(["stats", "--json"]));
    assert_eq!(stats["jobs_queued"], 0);
    assert_eq!(stats["jobs_failed"], 0);
}

#[test]
fn backup_and_migrate_store_copy_everything() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let days = data.join("hf-daily/days");
    let files = [
        days.join("2026-08-20.json.gz"),
        days.join("2026-08-21.json.gz"),
    ];
    run_json(bin(dir.path()).arg("import").arg("--json").args(&files));
    let stats = run_json(bin(dir.path()).args(["stats", "--json"]));

    // migrate-store into a second store of the same backend.
    let dir2 = tempfile::tempdir().unwrap();
    let from = database_url(dir.path());
    let to = database_url(dir2.path());
    let report = run_json(Command::new(env!("CARGO_BIN_EXE_dailypapers")).args([
        "migrate-store",
        "--json",
        "--from",
        &from,
        "--to",
        &to,
    ]));
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(run_json(bin(dir2.path()).args(["stats", "--json"])), stats);

    // backup (SQLite only): a consistent copy that opens as a store.
    if from.starts_with("sqlite://") {
        let dest = dir.path().join("backup.sqlite");
        let out = bin(dir.path()).arg("backup").arg(&dest).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let copy = run_json(
            Command::new(env!("CARGO_BIN_EXE_dailypapers"))
                .arg("--database-url")
                .arg(format!("sqlite://{}", dest.display()))
                .args(["stats", "--json"]),
        );
        assert_eq!(copy, stats);
        let again = bin(dir.path()).arg("backup").arg(&dest).output().unwrap();
        assert!(!again.status.success(), "never overwrites");
        assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    }
}

#[test]
fn postgres_outage_answers_503_fast_and_recovers() {
    // Runs in the PostgreSQL pass of CI, on a cluster of its own that it stops and starts.
    if std::env::var("DAILYPAPERS_TEST_BACKEND").as_deref() != Ok("postgres") {
        eprintln!(
            "NOTICE: skipping the outage test: it runs with DAILYPAPERS_TEST_BACKEND=postgres"
        );
        return;
    }
    let Some(data) = shared_data() else { return };
    let pg_port = free_port();
    let pg_dir = tempfile::tempdir().unwrap();
    let pg_data = pg_dir.path().join("cluster");
    let url = pg_script(pg_port, &pg_data, "fresh");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".database_url"), &url).unwrap();
    run_json(
        bin(dir.path())
            .args(["import", "--json"])
            .arg(data.join("hf-daily/days/2026-08-20.json.gz")),
    );

    let port = free_port();
    let mut server = bin(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let path = "/api/daily_papers?date=2026-08-20";
    let mut before = None;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(100));
        if let Some((200, body)) = http_get(port, path) {
            before = Some(body);
            break;
        }
    }
    let before = before.expect("server up");

    pg_script(pg_port, &pg_data, "stop");
    // An answer the server has not cached needs the database (cached ones are served on).
    let uncached = "/api/daily_papers?date=2026-08-20&limit=7";
    let t = std::time::Instant::now();
    let (status, body) = http_get(port, uncached).expect("the server still answers");
    let took = t.elapsed();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("unavailable"), "{body}");
    assert!(took < Duration::from_secs(5), "failed fast: {took:?}");
    assert_eq!(http_get(port, "/readyz").map(|r| r.0), Some(503));
    assert_eq!(http_get(port, "/healthz").map(|r| r.0), Some(200));

    pg_script(pg_port, &pg_data, "start");
    let t = std::time::Instant::now();
    let mut after = None;
    while t.elapsed() < Duration::from_secs(10) {
        if let Some((200, body)) = http_get(port, path) {
            after = Some(body);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let recovered = t.elapsed();
    server.kill().unwrap();
    server.wait().unwrap();
    pg_script(pg_port, &pg_data, "stop");
    assert_eq!(
        after.as_deref(),
        Some(before.as_str()),
        "same data after the outage"
    );
    assert!(
        recovered < Duration::from_secs(5),
        "served again within 5 s: {recovered:?}"
    );
}

#[test]
fn bench_serve_reports_figures_for_each_url() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = bin(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        // A load test is one client far over the API's per-client budget.
        .env("DAILYPAPERS_COMMUNITY__API_REQUESTS_PER_MINUTE", "0")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/api/daily_papers?date=2025-03-17");
    let mut out = None;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        let o = bin(dir.path())
            .args([
                "bench",
                "serve",
                "--json",
                "--seconds",
                "1",
                "--connections",
                "4",
                "--spread",
                "--pid",
                &server.id().to_string(),
                &url,
                &format!("http://127.0.0.1:{port}/papers"),
            ])
            .output()
            .unwrap();
        if o.status.success() {
            out = Some(o);
            break;
        }
    }
    let bad = bin(dir.path())
        .args([
            "bench",
            "serve",
            "--seconds",
            "1",
            &format!("http://127.0.0.1:{port}/no/such/page"),
        ])
        .output()
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&out.expect("bench ran").stdout).unwrap();
    let results = &report["results"];
    assert!(
        results[0]["url"].as_str().unwrap().ends_with("/healthz"),
        "baseline first"
    );
    assert_eq!(results[1]["url"], url.as_str());
    assert_eq!(
        results.as_array().unwrap().len(),
        4,
        "baseline, two URLs, both at once"
    );
    assert!(results[3]["url"].as_str().unwrap().contains(" + "));
    let rss = report["memory"][0]["rss_mb"].as_f64().unwrap();
    assert!(rss > 1.0 && rss < 2000.0, "{rss}");
    for r in results.as_array().unwrap() {
        assert!(r["ok"].as_u64().unwrap() > 0, "{r}");
        assert_eq!(r["errors"], 0, "{r}");
        assert!(r["p99_ms"].as_f64().unwrap() >= r["p50_ms"].as_f64().unwrap());
    }
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("404"));
}

#[test]
fn reindex_and_search_from_the_command_line() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    run_json(
        bin(dir.path())
            .args(["import", "--json"])
            .arg(data.join("hf-daily/days/2026-08-20.json.gz")),
    );
    let out = bin(dir.path()).arg("search").arg("model").output().unwrap();
    assert!(!out.status.success(), "no index yet");
    assert!(String::from_utf8_lossy(&out.stderr).contains("reindex"));
    let out = bin(dir.path()).arg("reindex").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let papers = run_json(bin(dir.path()).args(["stats", "--json"]))["papers"]
        .as_i64()
        .unwrap();
    assert!(text.contains(&format!("indexed {papers} papers")), "{text}");
    // The first paper of the day, found by its own title.
    let day: serde_json::Value = {
        let o = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(data.join("hf-daily/days/2026-08-20.json.gz"))
            .output()
            .unwrap();
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let title = day[0]["paper"]["title"].as_str().unwrap();
    let hits = run_json(bin(dir.path()).args(["search", "--json", title]));
    assert_eq!(hits[0]["id"], day[0]["paper"]["id"], "{hits}");
    let out = bin(dir.path())
        .args(["search", "from:nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a date"));
}

#[test]
fn bench_search_scores_a_beir_set() {
    let dir = tempfile::tempdir().unwrap();
    let beir = dir.path().join("beir");
    std::fs::create_dir_all(beir.join("qrels")).unwrap();
    std::fs::write(
        beir.join("corpus.jsonl"),
        "{\"_id\": \"d1\", \"title\": \"Zebrafish fin regeneration\", \"text\": \"Fins regrow.\"}\n\
         {\"_id\": \"d2\", \"title\": \"Graph networks\", \"text\": \"Message passing.\"}\n\
         {\"_id\": \"d3\", \"title\": \"Untitled\", \"text\": \"\"}\n",
    )
    .unwrap();
    std::fs::write(
        beir.join("queries.jsonl"),
        "{\"_id\": \"q1\", \"text\": \"how do zebrafish regrow fins\"}\n{\"_id\": \"q2\", \"text\": \"message passing\"}\n{\"_id\": \"q3\", \"text\": \"unjudged\"}\n",
    )
    .unwrap();
    std::fs::write(
        beir.join("qrels/test.tsv"),
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n",
    )
    .unwrap();
    let v = run_json(
        bin(dir.path())
            .args(["bench", "search", "--json", "--split", "test", "--beir"])
            .arg(&beir),
    );
    let k = &v["keyword"];
    assert_eq!(k["queries"], 2, "{v}");
    assert_eq!(k["ndcg@10"], 1.0, "{v}");
    assert_eq!(k["recall@100"], 1.0);
    assert_eq!(k["mrr@10"], 1.0);
    assert!(v["semantic"].is_null() && v["hybrid"].is_null());
}

/// `bench foryou` on a slice of the dev readers (the first four): "For you" beats random and
/// author overlap on both tasks, and every method of the issue is reported.
#[test]
fn bench_foryou_beats_random_and_author_overlap_on_a_slice() {
    let Some(data) = crate::shared_data() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let v = run_json(
        bin(dir.path())
            .args(["bench", "foryou", "--json", "--readers", "4", "--eval"])
            .arg(data.join("eval/foryou/foryou-dev.jsonl.gz"))
            .arg("--shared")
            .arg(&data),
    );
    let m = &v["methods"];
    for method in ["ours", "random", "author_overlap", "asl_tfidf_svm"] {
        for key in [
            "arxiv_mrr",
            "arxiv_recall@10",
            "arxiv_recall@50",
            "day_mrr",
            "day_recall@3",
            "new_authors_arxiv_mrr",
            "new_authors_day_mrr",
            "ms_per_reader",
        ] {
            assert!(m[method][key].is_number(), "{method}.{key}: {v}");
        }
    }
    assert_eq!(v["readers"], 4, "{v}");
    let f = |method: &str, key: &str| m[method][key].as_f64().unwrap();
    for key in ["arxiv_mrr", "day_mrr"] {
        assert!(f("ours", key) > f("random", key), "{key}: {v}");
        assert!(f("ours", key) > f("author_overlap", key), "{key}: {v}");
    }
}
