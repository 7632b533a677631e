//! `/admin/jobs` (admins only: schedules, run now, pause and resume, the last runs and their
//! errors), the empty home page that shows what the harvest is fetching, and the job figures of
//! `/metrics`.

use axum::http::StatusCode;
use dp_app::config::Config;
use dp_app::{App, Rules};
use dp_store::Store;
use dp_testkit::db::TestStore;
use dp_testkit::server::TestApp;
use dp_web::WebSettings;
use std::sync::Arc;
use std::time::Duration;

/// A server over an empty store that runs the default schedules.
async fn empty_site(settings: WebSettings) -> Option<(TestApp, Arc<dyn Store>, TestStore)> {
    let db = TestStore::new().await?;
    let store = db.store.clone();
    let schedules = dp_app::harvest::schedules(&Config::default(), None).unwrap();
    let app = App::new(store.clone(), Rules::default()).with_schedules(schedules);
    Some((TestApp::start(app, settings).await, store, db))
}

/// Claims the queued job whose key starts with `prefix`.
async fn claim(store: &Arc<dyn Store>, prefix: &str) -> dp_store::Job {
    let mut others = Vec::new();
    loop {
        let j = store
            .claim_job("test", Duration::from_secs(60))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("a queued {prefix} job"));
        if j.dedup_key.starts_with(prefix) {
            for o in others {
                store
                    .finish_job(&o, Ok(()), Duration::from_secs(1))
                    .await
                    .unwrap();
            }
            return j;
        }
        others.push(j);
    }
}

#[tokio::test]
async fn the_job_board_is_for_admins_who_run_pause_and_resume_schedules() {
    let Some((app, store, _db)) = empty_site(WebSettings::default()).await else {
        return;
    };
    let mut admin = app.browser();
    let ta = admin.signup("admin").await;
    let mut bob = app.browser();
    let tb = bob.signup("bob").await;
    assert_eq!(bob.get("/admin/jobs").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.browser().get("/admin/jobs").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        bob.post(
            "/admin/jobs/run",
            &[("csrf", &tb), ("schedule", "harvest-hf")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    let page = admin.get("/admin/jobs").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Hugging Face daily lists",
        "harvest-oai:cs",
        "every 1 h",
        "every 6 h",
        "never run",
    ] {
        assert!(page.body.contains(text), "{text} in {}", page.body);
    }

    // Run now: a job of its own, queued at once; refused without the form's token.
    assert_eq!(
        admin
            .post(
                "/admin/jobs/run",
                &[("csrf", "forged"), ("schedule", "harvest-hf")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(store.job_runs("harvest-hf:", 5).await.unwrap().is_empty());
    let r = admin
        .post(
            "/admin/jobs/run",
            &[("csrf", &ta), ("schedule", "harvest-hf")],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/admin/jobs")
    );
    let runs = store.job_runs("harvest-hf:", 5).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert!(runs[0].dedup_key.starts_with("harvest-hf:now-") && runs[0].state == "queued");
    assert_eq!(
        admin
            .post("/admin/jobs/run", &[("csrf", &ta), ("schedule", "nothing")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A failed attempt shows its error (escaped) and when it runs again.
    let job = claim(&store, "harvest-hf:").await;
    store
        .set_job_progress(&job, r#"{"at":"day 2026-12-01","read":42,"inserted":40}"#)
        .await
        .unwrap();
    let page = admin.get("/admin/jobs").await.body;
    assert!(page.contains("42 read, 40 new (day 2026-12-01)"), "{page}");
    assert!(
        page.contains("http-equiv=\"refresh\""),
        "a running job refreshes the board"
    );
    store
        .finish_job(
            &job,
            Err("cannot reach <b>hf</b>: refused".into()),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let page = admin.get("/admin/jobs").await.body;
    assert!(
        page.contains("cannot reach &lt;b&gt;hf&lt;/b&gt;: refused"),
        "{page}"
    );
    assert!(!page.contains("<b>hf</b>"));

    // Pause and resume.
    let r = admin
        .post(
            "/admin/jobs/pause",
            &[
                ("csrf", &ta),
                ("schedule", "harvest-oai:cs"),
                ("paused", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(store.paused_schedules().await.unwrap(), ["harvest-oai:cs"]);
    let page = admin.get("/admin/jobs").await.body;
    assert!(
        page.contains("data-paused=\"true\"") && page.contains("Resume"),
        "{page}"
    );
    admin
        .post(
            "/admin/jobs/pause",
            &[
                ("csrf", &ta),
                ("schedule", "harvest-oai:cs"),
                ("paused", "false"),
            ],
        )
        .await;
    assert!(store.paused_schedules().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_empty_site_shows_what_the_harvest_fetches_and_why_it_failed() {
    let settings = WebSettings {
        metrics_token: Some("metrics-secret".into()),
        ..WebSettings::default()
    };
    let Some((app, store, _db)) = empty_site(settings).await else {
        return;
    };
    let page = app.get("/papers").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(
        page.body.contains("fetching its first papers"),
        "{}",
        page.body
    );
    assert!(page.body.contains("http-equiv=\"refresh\""));
    assert!(
        page.body
            .contains("Hugging Face daily lists</strong>: starting."),
        "{}",
        page.body
    );

    // Running: where it is and how many records so far.
    let now = chrono::Utc::now();
    let schedules = dp_app::harvest::schedules(&Config::default(), None).unwrap();
    for s in &schedules[..2] {
        store
            .enqueue_job(&dp_app::harvest::job_for(s, now, false))
            .await
            .unwrap();
    }
    let hf = claim(&store, "harvest-hf:").await;
    store
        .set_job_progress(&hf, r#"{"at":"day 2026-12-01","read":42}"#)
        .await
        .unwrap();
    let body = app.get("/papers").await.body;
    assert!(
        body.contains("fetching day 2026-12-01, 42 records so far."),
        "{body}"
    );
    assert!(
        body.contains("arXiv OAI-PMH, set cs</strong>: waiting to start"),
        "{body}"
    );

    // Failed: which source, why (when it is the source's own failure), and when it retries.
    store
        .finish_job(
            &hf,
            Err("cannot reach huggingface.co: dns error (is the network up?)".into()),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let oai = claim(&store, "harvest-oai:cs:").await;
    store
        .finish_job(
            &oai,
            Err("database error: secret detail".into()),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let body = app.get("/papers").await.body;
    assert!(
        body.contains("failed: <span class=\"error\">cannot reach huggingface.co: dns error (is the network up?)</span>. Retrying at "),
        "{body}"
    );
    assert!(
        !body.contains("secret detail") && body.contains("/admin/jobs"),
        "{body}"
    );
    assert!(
        body.contains("dailypapers import PATH"),
        "how to import files instead"
    );

    // The job figures on /metrics.
    let m = app
        .get_with("/metrics", &[("authorization", "Bearer metrics-secret")])
        .await
        .body;
    assert!(
        m.contains("jobs{kind=\"harvest-hf\",state=\"queued\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("job_last_success_timestamp_seconds{schedule=\"harvest-hf\"} 0"),
        "{m}"
    );

    // A run by hand fills the first list: the home page is the list, no longer refreshing.
    store
        .enqueue_job(&dp_app::harvest::job_for(&schedules[0], now, true))
        .await
        .unwrap();
    let hf = claim(&store, "harvest-hf:now-").await;
    store
        .upsert_records(vec![dp_testkit::rec(
            dp_testkit::paper("2503.00001", "A listed paper"),
            Some(dp_testkit::entry("2025-03-17", "2503.00001", 3)),
        )])
        .await
        .unwrap();
    store
        .finish_job(&hf, Ok(()), Duration::from_secs(30))
        .await
        .unwrap();
    let page = app.get("/papers").await;
    assert!(page.body.contains("A listed paper"), "{}", page.body);
    assert!(!page.body.contains("http-equiv=\"refresh\""));
    let m = app
        .get_with("/metrics", &[("authorization", "Bearer metrics-secret")])
        .await
        .body;
    assert!(
        m.contains("jobs{kind=\"harvest-hf\",state=\"done\"} 1"),
        "{m}"
    );
    assert!(
        !m.contains("job_last_success_timestamp_seconds{schedule=\"harvest-hf\"} 0\n"),
        "{m}"
    );
}

#[tokio::test]
async fn an_empty_site_without_a_schedule_says_so_and_does_not_reload() {
    let Some(db) = TestStore::new().await else {
        return;
    };
    let mut config = Config::default();
    config.harvest.schedule_minutes = Some(0);
    let schedules = dp_app::harvest::schedules(&config, None).unwrap();
    let app = App::new(db.store.clone(), Rules::default()).with_schedules(schedules);
    let app = TestApp::start(app, WebSettings::default()).await;
    let body = app.get("/papers").await.body;
    assert!(
        body.contains("Hugging Face daily lists</strong>: not scheduled; an admin can run it from"),
        "{body}"
    );
    assert!(!body.contains("http-equiv=\"refresh\""), "{body}");
}
