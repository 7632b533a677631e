//! A fresh `serve` fills itself with no other command: with both sources down it says on its
//! home page and on `/admin/jobs` which failed and when it retries; once they are back, the
//! next run mirrors the last 14 Hugging Face days and harvests the OAI-PMH set, the home page
//! showing where the harvest is meanwhile; and a restart fetches no day it holds. The CLI's
//! harvest fails in seconds on a name that does not resolve.

use crate::{bin, free_port, http_get, shared_data, wait_up, Session};
use dp_testkit::replay::{oai_chain, oai_reply, HfArchive, Mock, OAI_IDS};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn kill(mut c: Child) {
    let _ = c.kill();
    let _ = c.wait();
}

/// `serve` on `port` with the default schedule (the tests' "no harvest" variable removed).
fn serve(dir: &Path, config: &Path, port: u16) -> Child {
    let c = bin(dir)
        .env_remove("DAILYPAPERS_HARVEST__SCHEDULE_MINUTES")
        .env("DAILYPAPERS_METRICS_TOKEN", "metrics-secret")
        .arg("--config")
        .arg(config)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    assert!(wait_up(port), "the server answers");
    c
}

/// Polls `path` until `done` holds for its body; panics with the last body after `secs`.
fn until(port: u16, path: &str, secs: u64, what: &str, done: impl Fn(&str) -> bool) -> String {
    let t = Instant::now();
    let mut last = String::new();
    while t.elapsed() < Duration::from_secs(secs) {
        if let Some((200, body)) = http_get(port, path) {
            if done(&body) {
                return body;
            }
            last = body;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what}: not within {secs} s; last {path}:\n{last}");
}

/// The list's papers on a page, in order.
fn order(body: &str) -> Vec<String> {
    body.match_indices("data-id=\"")
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_string()
        })
        .collect()
}

/// The count of done `harvest-hf` jobs on `/metrics`.
fn hf_done(port: u16) -> u64 {
    let body = dp_testkit::replay::http_get_with(
        port,
        "/metrics",
        &[("authorization", "Bearer metrics-secret")],
    )
    .map(|r| r.1)
    .unwrap_or_default();
    body.lines()
        .find_map(|l| l.strip_prefix("jobs{kind=\"harvest-hf\",state=\"done\"} "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_fresh_server_fills_itself_shows_its_progress_and_failures_and_fetches_nothing_twice() {
    let Some(data) = shared_data() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let today = chrono::Utc::now().date_naive();
    let hf = Arc::new(HfArchive::recent(&data, 14, today));
    // The first day the mirror gets is answered after 3 s, so its progress can be seen.
    let slow_first = Arc::new(AtomicBool::new(true));
    let (h, slow) = (hf.clone(), slow_first.clone());
    let hf_mock = rt.block_on(Mock::start(move |hit| {
        if hit.param("date").is_some() && slow.swap(false, Ordering::SeqCst) {
            std::thread::sleep(Duration::from_secs(3));
        }
        h.reply(hit)
    }));
    let chain = Arc::new(oai_chain(&data));
    let c = chain.clone();
    let oai_mock = rt.block_on(Mock::start(move |hit| oai_reply(&c, hit)));
    // Hugging Face is unreachable from the start.
    hf_mock.stop();

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dailypapers.toml");
    std::fs::write(
        &config,
        format!(
            "[harvest]\nhf_url = \"{}\"\noai_url = \"{}/oai\"\noai_sets = [\"physics:hep-ex\"]\n\
             request_interval_secs = 1.0\nmax_retries = 0\ntimeout_secs = 10\njob_retry_secs = 3\nhub_every_minutes = 0\ngithub_every_minutes = 0\nthumbnails_every_minutes = 0\n",
            hf_mock.base, oai_mock.base
        ),
    )
    .unwrap();
    crate::create_user(dir.path(), "root", true);
    let port = free_port();
    let server = serve(dir.path(), &config, port);

    // OAI-PMH's first page arrives; then that source goes away too (requests are 1 s apart).
    let t = Instant::now();
    while oai_mock.hits().is_empty() {
        assert!(t.elapsed() < Duration::from_secs(30), "no OAI request");
        std::thread::sleep(Duration::from_millis(10));
    }
    oai_mock.stop();

    // The home page names each failed source, why, and when it retries.
    let body = until(port, "/papers", 30, "both failures shown", |b| {
        b.contains("Hugging Face daily lists</strong>: failed: ")
            && b.contains("arXiv OAI-PMH, set physics:hep-ex</strong>: failed: ")
    });
    assert!(body.contains("cannot reach 127.0.0.1"), "{body}");
    assert!(
        body.contains("Retrying at") || body.contains("next scheduled time"),
        "{body}"
    );
    assert!(body.contains("http-equiv=\"refresh\""), "{body}");
    let admin = rt.block_on(Session::login(port, "root"));
    let board = rt.block_on(async {
        admin
            .http
            .get(format!("{}/admin/jobs", admin.base))
            .header("cookie", &admin.cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert!(board.contains("cannot reach 127.0.0.1"), "{board}");

    // Both come back; the admin runs each now, and the next run finishes the job.
    rt.block_on(hf_mock.resume());
    rt.block_on(oai_mock.resume());
    let back = Instant::now();
    for schedule in ["harvest-hf", "harvest-oai:physics:hep-ex"] {
        let r = rt
            .block_on(admin.post("/admin/jobs/run", &[("schedule", schedule)]))
            .unwrap();
        assert_eq!(r.status(), 303, "run now {schedule}");
    }
    // While the first day is on its way, the home page says so.
    let first = format!(
        "Hugging Face daily lists</strong>: fetching day {}",
        hf.first
    );
    until(port, "/papers", 30, "the first day's progress", |b| {
        b.contains(&first)
    });

    // Filled: the newest replayed day, in Hugging Face's order, and the OAI-PMH records.
    let newest = (0..14)
        .map(|i| today - chrono::Days::new(i))
        .find(|d| !hf.ids(*d).is_empty())
        .expect("a day with papers");
    let expected = hf.ids(newest);
    until(port, "/papers", 90, "the newest day listed", |b| {
        let shown = order(b);
        !shown.is_empty()
            && shown.len() <= expected.len()
            && shown == expected[..shown.len()]
            && b.contains(&newest.to_string())
    });
    // The recorded OAI-PMH papers are from 2014–2017, so they sort far past the first page
    // of the newest-first list: ask for each one.
    for id in OAI_IDS {
        until(
            port,
            &format!("/api/papers/{id}"),
            60,
            "an OAI-PMH record in /api/papers",
            |b| b.contains(&format!("\"id\":\"{id}\"")),
        );
    }
    let filled = back.elapsed();
    println!(
        "filled in {:.1} s after the sources came back",
        filled.as_secs_f64()
    );
    assert!(filled < Duration::from_secs(90), "{filled:?}");
    let days: Vec<String> = hf_mock
        .hits()
        .iter()
        .filter_map(|h| h.param("date"))
        .collect();
    assert_eq!(days.len(), 14, "each of the 14 days once: {days:?}");
    assert_eq!(days[0], hf.first.to_string());

    // A restart, then a run by hand: no request for a day the store holds.
    let done = hf_done(port);
    assert!(done >= 1);
    kill(server);
    let before = hf_mock.hits().len();
    let server = serve(dir.path(), &config, port);
    let admin = rt.block_on(Session::login(port, "root"));
    let r = rt
        .block_on(admin.post("/admin/jobs/run", &[("schedule", "harvest-hf")]))
        .unwrap();
    assert_eq!(r.status(), 303);
    let t = Instant::now();
    while hf_done(port) <= done {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the run by hand did not finish"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        hf_mock.hits().len(),
        before,
        "{:?}",
        &hf_mock.hits()[before..]
    );
    kill(server);
    drop(rt);
}

#[test]
fn a_cli_harvest_fails_in_seconds_when_a_name_does_not_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let out = bin(dir.path())
        .args(["harvest", "--source", "hf", "--url", "http://hf.invalid"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("cannot reach hf.invalid"), "{err}");
    // The default policy retries 4 times with 5 s, 10 s, 20 s and 40 s between: not for a name.
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
}
