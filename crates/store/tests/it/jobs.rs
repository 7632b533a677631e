//! The store suite: jobs. Every check runs on SQLite and on PostgreSQL.

use crate::prelude::*;

on_both!(
    watermarks,
    jobs_run_once,
    expired_leases_are_reclaimed,
    failed_jobs_back_off,
    leases_are_renewed_by_their_holder
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
    store.finish_job(&j, Ok(())).await.unwrap();
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
    store.finish_job(&j, Err("boom".into())).await.unwrap();
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
    store.finish_job(&a, Ok(())).await.unwrap();
    assert!(
        !store
            .renew_job(&a, "a", Duration::from_secs(60))
            .await
            .unwrap(),
        "finished jobs have no lease"
    );
}
