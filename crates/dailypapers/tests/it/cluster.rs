//! Several app servers on one store: a job whose server is killed is finished by another, an
//! upvote through one server shows through the other, and a PostgreSQL outage under a steady
//! stream of reads and writes fails fast, loses nothing acknowledged and recovers by itself.

use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::shared_data;

use crate::{bin, free_port, pg_script, run_json, slow_first_replay_server, wait_up, Session};

fn kill(mut c: Child) {
    let _ = c.kill();
    let _ = c.wait();
}

#[test]
fn a_job_whose_server_dies_is_finished_by_another() {
    let Some(data) = shared_data() else { return };
    let body = std::fs::read_to_string(
        data.join("arxiv-fixtures/oai-pmh/hepcrawl_functional_arxiv-physics-hep-ex.xml"),
    )
    .unwrap();
    // The first request (server A's) hangs for 8 s; A is killed meanwhile.
    let (oai_port, hits) = slow_first_replay_server(body, Duration::from_secs(8));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dailypapers.toml");
    std::fs::write(
        &config,
        format!(
            "[harvest]\noai_url = \"http://127.0.0.1:{oai_port}/oai\"\noai_sets = [\"physics:hep-ex\"]\n\
             hf_mirror = false\nrequest_interval_secs = 0.0\ntimeout_secs = 30\njob_lease_secs = 2\n"
        ),
    )
    .unwrap();
    run_json(bin(dir.path()).args(["stats", "--json"]));
    let serve = || crate::serve_harvesting(dir.path(), &config, 1440);
    let a = serve();
    let t = Instant::now();
    while hits.load(std::sync::atomic::Ordering::SeqCst) == 0
        && t.elapsed() < Duration::from_secs(20)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "A started the job"
    );
    let b = serve();
    std::thread::sleep(Duration::from_millis(500));
    kill(a);
    let t = Instant::now();
    let mut papers = 0;
    while t.elapsed() < Duration::from_secs(40) {
        papers = run_json(bin(dir.path()).args(["stats", "--json"]))["papers"]
            .as_i64()
            .unwrap_or(0);
        if papers == 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let took = t.elapsed();
    std::thread::sleep(Duration::from_secs(1));
    kill(b);
    assert_eq!(papers, 3, "B finished the harvest A started");
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "A's attempt and B's, nothing more"
    );
    let stats = run_json(bin(dir.path()).args(["stats", "--json"]));
    assert_eq!(
        (stats["jobs_queued"].as_i64(), stats["jobs_failed"].as_i64()),
        (Some(0), Some(0))
    );
    println!("job taken over and finished {took:?} after its server died");
}

async fn anonymous_get(port: u16, path: &str) -> Option<(u16, String)> {
    let r = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    let s = r.status().as_u16();
    Some((s, r.text().await.ok()?))
}

/// One request of the load, for the checks afterwards.
#[derive(Debug, Clone)]
struct Sample {
    server: usize,
    write: bool,
    start: Instant,
    end: Instant,
    status: u16,
    comment_id: Option<i64>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_votes_and_survive_a_postgres_outage() {
    // Runs in the PostgreSQL pass of CI, on a cluster of its own that it stops and starts.
    if std::env::var("DAILYPAPERS_TEST_BACKEND").as_deref() != Ok("postgres") {
        eprintln!("NOTICE: skipping the two-server outage test: it runs with DAILYPAPERS_TEST_BACKEND=postgres");
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
    for i in 0..4 {
        crate::create_user(dir.path(), &format!("user{i}"), false);
    }
    let ports = [free_port(), free_port()];
    let servers: Vec<Child> = ports
        .iter()
        .map(|p| {
            bin(dir.path())
                .args(["serve", "--listen", &format!("127.0.0.1:{p}")])
                .env("DAILYPAPERS_COMMUNITY__WRITES_PER_MINUTE", "1000000")
                .env("DAILYPAPERS_COMMUNITY__LOGINS_PER_15MIN", "1000")
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    assert!(ports.iter().all(|p| wait_up(*p)), "both servers up");
    let api = "/api/daily_papers?date=2026-08-20";
    let (_, list) = anonymous_get(ports[0], api).await.unwrap();
    let items: serde_json::Value = serde_json::from_str(&list).unwrap();
    let paper = items[0]["paper"]["id"].as_str().unwrap().to_string();
    let page = format!("/papers/{paper}");

    // An upvote through A shows through B (whose page was cached before the vote).
    let before = anonymous_get(ports[1], &page).await.unwrap().1;
    let s0 = Session::login(ports[0], "user0").await;
    let r = s0
        .post(&format!("{page}/upvote"), &[("up", "1")])
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let voted = Instant::now();
    let count = |body: &str| {
        body.split("<span class=\"count\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .map(str::to_string)
    };
    let old = count(&before).unwrap();
    let mut lag = None;
    while voted.elapsed() < Duration::from_secs(2) {
        let now = anonymous_get(ports[1], &page).await.unwrap().1;
        if count(&now) != Some(old.clone()) {
            assert_eq!(
                count(&now).unwrap().parse::<i64>().unwrap(),
                old.parse::<i64>().unwrap() + 1
            );
            lag = Some(voted.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let lag = lag.expect("the vote shows through the other server");
    println!("vote through A visible through B after {lag:?}");
    assert!(lag < Duration::from_secs(1), "{lag:?}");

    // A steady stream of writes (comments) and reads on both servers; PostgreSQL stops for 10 s.
    let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for i in 0..4 {
        let server = i % 2;
        let s = Session::login(ports[server], &format!("user{i}")).await;
        let (samples, stop, path) = (samples.clone(), stop.clone(), format!("{page}/comments"));
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                let start = Instant::now();
                let body = format!("user{i} comment {n}");
                let (status, comment_id) = match s.post(&path, &[("body", &body)]).await {
                    Ok(r) => {
                        let id = r
                            .headers()
                            .get("location")
                            .and_then(|l| l.to_str().ok())
                            .and_then(|l| l.rsplit("#comment-").next())
                            .and_then(|x| x.parse().ok());
                        (r.status().as_u16(), id)
                    }
                    Err(_) => (0, None),
                };
                samples.lock().unwrap().push(Sample {
                    server,
                    write: true,
                    start,
                    end: Instant::now(),
                    status,
                    comment_id,
                });
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    for (server, port) in ports.into_iter().enumerate() {
        let (samples, stop) = (samples.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            // Every read asks for a page no one asked for before: an answer cached before the
            // stop is served on during an outage (by design, up to the cache's 30 s), and this
            // checks what the database itself answers.
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                let url = format!("{api}&limit={}&p={}", 1 + n % 100, (n / 100) % 100);
                let start = Instant::now();
                let status = anonymous_get(port, &url).await.map_or(0, |r| r.0);
                samples.lock().unwrap().push(Sample {
                    server,
                    write: false,
                    start,
                    end: Instant::now(),
                    status,
                    comment_id: None,
                });
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pg = (pg_port, pg_data.clone());
    tokio::task::spawn_blocking(move || pg_script(pg.0, &pg.1, "stop"))
        .await
        .unwrap();
    let stopped = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let restarting = Instant::now();
    let pg = (pg_port, pg_data.clone());
    tokio::task::spawn_blocking(move || pg_script(pg.0, &pg.1, "start"))
        .await
        .unwrap();
    let restarted = Instant::now();
    tokio::time::sleep(Duration::from_secs(7)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    let samples = samples.lock().unwrap().clone();

    // During the outage: every request answered, fast, with 503.
    let during: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.start > stopped + Duration::from_millis(500) && s.end < restarting)
        .collect();
    assert!(
        during.len() >= 10,
        "requests kept coming during the outage: {}",
        during.len()
    );
    for s in &during {
        assert_eq!(
            s.status,
            503,
            "{s:?}: started {:?} after the stop, ended {:?} before the restart",
            s.start - stopped,
            restarting - s.end
        );
        assert!(
            s.end - s.start < Duration::from_secs(3),
            "failed fast: {s:?}"
        );
    }
    // After: both servers serve reads and writes again within 5 s of the restart.
    for server in 0..2 {
        for write in [false, true] {
            let first_ok = samples
                .iter()
                .filter(|s| {
                    s.server == server
                        && s.write == write
                        && s.start > restarted
                        && s.status == if write { 303 } else { 200 }
                })
                .map(|s| s.end - restarted)
                .min()
                .unwrap_or_else(|| panic!("server {server} write={write} never recovered"));
            println!(
                "server {server} {} again {first_ok:?} after the restart",
                if write { "writes" } else { "reads" }
            );
            assert!(first_ok < Duration::from_secs(5), "{first_ok:?}");
        }
    }
    let tail: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.start > restarted + Duration::from_secs(5))
        .collect();
    assert!(
        tail.iter().all(|s| s.status == 200 || s.status == 303),
        "all well at the end: {:?}",
        tail.iter().find(|s| s.status != 200 && s.status != 303)
    );

    // Every acknowledged write is there; nothing is half-written.
    let store = dp_store::open(&url).await.unwrap();
    let id = dp_core::ArxivId::parse(&paper).unwrap();
    let comments = store.comments(&id).await.unwrap();
    let stored: std::collections::HashSet<i64> = comments.iter().map(|c| c.id).collect();
    let acked: Vec<i64> = samples
        .iter()
        .filter(|s| s.status == 303)
        .filter_map(|s| s.comment_id)
        .collect();
    assert!(
        acked.len() > 20,
        "writes were acknowledged: {}",
        acked.len()
    );
    for a in &acked {
        assert!(stored.contains(a), "acknowledged comment {a} is stored");
    }
    let detail = store.paper_detail(&id).await.unwrap().unwrap();
    assert_eq!(
        detail.local_comments as usize,
        comments.iter().filter(|c| !c.deleted).count(),
        "the count matches the rows"
    );
    println!(
        "{} requests, {} during the outage (all 503), {} acknowledged writes all stored",
        samples.len(),
        during.len(),
        acked.len()
    );
    store.close().await;
    for s in servers {
        kill(s);
    }
    pg_script(pg_port, &pg_data, "stop");
}
