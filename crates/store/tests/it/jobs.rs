//! The store suite: jobs. Every check runs on SQLite and on PostgreSQL.

use crate::prelude::*;

on_both!(
    watermarks,
    jobs_run_once,
    expired_leases_are_reclaimed,
    failed_jobs_back_off,
    leases_are_renewed_by_their_holder,
    runs_show_their_progress_errors_and_last_success,
    schedules_pause_and_resume
);

async fn watermarks(store: Arc<dyn Store>) {
    assert_eq!(store.watermark("oai:cs").await.unwrap(), None);
    store.set_watermark("oai:cs", "2025-03-17").await.unwrap();
    store.set_watermark("oai:cs", "2025-03-18").await.unwrap();
    assert_eq!(
        store.watermark("oai:cs").await.unwrap().as_deref(),
        Some("2025-03-18")
    );
}

fn job(key: &str) -> NewJob {
    NewJob {
        kind: "harvest-oai".into(),
        dedup_key: key.into(),
        payload: "{}".into(),
        run_after: Utc::now() - chrono::Duration::seconds(1),
        max_attempts: 2,
    }
}

async fn jobs_run_once(store: Arc<dyn Store>) {
    assert!(store.enqueue_job(&job("slot-1")).await.unwrap());
    assert!(
        !store.enqueue_job(&job("slot-1")).await.unwrap(),
        "same key twice"
    );
    let j = store
        .claim_job("a", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((j.kind.as_str(), j.attempts), ("harvest-oai", 1));
    assert!(store
        .claim_job("b", Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
    store
        .finish_job(&j, Ok(()), Duration::from_secs(30))
        .await
        .unwrap();
    assert!(store
        .claim_job("b", Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
    assert!(
        !store.enqueue_job(&job("slot-1")).await.unwrap(),
        "done jobs keep their key"
    );
}

async fn expired_leases_are_reclaimed(store: Arc<dyn Store>) {
    store.enqueue_job(&job("k")).await.unwrap();
    let a = store
        .claim_job("a", Duration::from_millis(1))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let b = store
        .claim_job("b", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(b.attempts, 2);
}

async fn failed_jobs_back_off(store: Arc<dyn Store>) {
    store.enqueue_job(&job("k")).await.unwrap();
    let j = store
        .claim_job("a", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    store
        .finish_job(&j, Err("boom".into()), Duration::from_secs(30))
        .await
        .unwrap();
    // Backed off: not runnable now.
    assert!(store
        .claim_job("a", Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
    let s = store.stats().await.unwrap();
    assert_eq!((s.jobs_queued, s.jobs_failed), (1, 0));
}

async fn leases_are_renewed_by_their_holder(store: Arc<dyn Store>) {
    store.enqueue_job(&job("k")).await.unwrap();
    let a = store
        .claim_job("a", Duration::from_millis(200))
        .await
        .unwrap()
        .unwrap();
    assert!(store
        .renew_job(&a, "a", Duration::from_secs(60))
        .await
        .unwrap());
    assert!(
        !store
            .renew_job(&a, "b", Duration::from_secs(60))
            .await
            .unwrap(),
        "only the holder renews"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        store
            .claim_job("b", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none(),
        "a renewed lease keeps the job with its worker"
    );
    store
        .finish_job(&a, Ok(()), Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        !store
            .renew_job(&a, "a", Duration::from_secs(60))
            .await
            .unwrap(),
        "finished jobs have no lease"
    );
}

async fn runs_show_their_progress_errors_and_last_success(store: Arc<dyn Store>) {
    assert!(store.enqueue_job(&job("harvest-hf:1")).await.unwrap());
    assert!(store.enqueue_job(&job("harvest-h_:2")).await.unwrap());
    let j = store
        .claim_job("a", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.dedup_key, "harvest-hf:1");
    store
        .set_job_progress(&j, r#"{"at":"day 2025-03-14","read":12}"#)
        .await
        .unwrap();
    // `_` in a prefix is a character, not LIKE's wildcard.
    let runs = store.job_runs("harvest-hf:", 10).await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!((run.state.as_str(), run.attempts), ("running", 1));
    assert!(run.started_at.is_some() && run.finished_at.is_none());
    assert_eq!(
        run.progress.as_deref(),
        Some(r#"{"at":"day 2025-03-14","read":12}"#)
    );
    assert_eq!(store.last_success("harvest-hf:").await.unwrap(), None);

    // A failed attempt: queued again after the given backoff, with its error shown.
    store
        .finish_job(&j, Err("cannot reach hf".into()), Duration::from_secs(2))
        .await
        .unwrap();
    let run = store.job_runs("harvest-hf:", 10).await.unwrap().remove(0);
    assert_eq!(run.state, "queued");
    assert_eq!(run.last_error.as_deref(), Some("cannot reach hf"));
    let wait = run.run_after - Utc::now();
    assert!(
        wait > chrono::Duration::zero() && wait <= chrono::Duration::seconds(2),
        "{wait:?}"
    );
    let counts = store.job_counts().await.unwrap();
    assert!(
        counts.contains(&("harvest-oai".into(), "queued".into(), 2)),
        "{counts:?}"
    );

    // The retry succeeds: the run ends done, its error cleared, and the last success moves.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let mut claimed = Vec::new();
    while let Some(j) = store.claim_job("a", Duration::from_secs(60)).await.unwrap() {
        claimed.push(j);
    }
    let j = claimed
        .into_iter()
        .find(|j| j.dedup_key == "harvest-hf:1")
        .unwrap();
    assert_eq!(j.attempts, 2);
    store
        .finish_job(&j, Ok(()), Duration::from_secs(2))
        .await
        .unwrap();
    let run = store.job_runs("harvest-hf:", 10).await.unwrap().remove(0);
    assert_eq!((run.state.as_str(), run.last_error), ("done", None));
    let done = store.last_success("harvest-hf:").await.unwrap().unwrap();
    assert_eq!(Some(done), run.finished_at);
    assert_eq!(store.last_success("harvest-h_:").await.unwrap(), None);

    // Ended runs are pruned; others stay.
    assert_eq!(
        store
            .prune_jobs(Utc::now() + chrono::Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    assert!(store.job_runs("harvest-hf:", 10).await.unwrap().is_empty());
    assert_eq!(store.job_runs("harvest-h_:", 10).await.unwrap().len(), 1);
}

async fn schedules_pause_and_resume(store: Arc<dyn Store>) {
    assert!(store.paused_schedules().await.unwrap().is_empty());
    store
        .set_schedule_paused("harvest-hf", Some("admin"))
        .await
        .unwrap();
    store
        .set_schedule_paused("harvest-hf", Some("admin"))
        .await
        .unwrap();
    store
        .set_schedule_paused("harvest-oai:cs", Some("ada"))
        .await
        .unwrap();
    assert_eq!(
        store.paused_schedules().await.unwrap(),
        ["harvest-hf", "harvest-oai:cs"]
    );
    store.set_schedule_paused("harvest-hf", None).await.unwrap();
    assert_eq!(store.paused_schedules().await.unwrap(), ["harvest-oai:cs"]);
}
