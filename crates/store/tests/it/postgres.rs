//! What only PostgreSQL does: several servers' writers and job runners at once.

use crate::prelude::*;

async fn pg_store() -> Option<(Arc<dyn Store>, dp_testkit::db::TestStore)> {
    let t = dp_testkit::db::TestStore::postgres().await?;
    Some((t.store.clone(), t))
}

#[tokio::test]
async fn concurrent_claims_take_each_job_once() {
    let Some((store, _t)) = pg_store().await else {
        return;
    };
    for i in 0..20 {
        let job = dp_store::NewJob {
            kind: "k".into(),
            dedup_key: format!("job-{i}"),
            payload: "{}".into(),
            run_after: chrono::Utc::now() - chrono::Duration::seconds(1),
            max_attempts: 1,
        };
        assert!(store.enqueue_job(&job).await.unwrap());
    }
    let mut workers = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(j) = store
                .claim_job(&format!("w{w}"), Duration::from_secs(60))
                .await
                .unwrap()
            {
                got.push(j.id);
            }
            got
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!(
        (before, all.len()),
        (20, 20),
        "every job claimed exactly once"
    );
}

#[tokio::test]
async fn concurrent_upserts_of_the_same_papers_stay_consistent() {
    let Some((store, _t)) = pg_store().await else {
        return;
    };
    let mut tasks = Vec::new();
    for v in 1..=4u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let batch: Vec<_> = (0..50)
                .map(|i| {
                    rec(
                        paper(&format!("2501.{:05}v{v}", i + 1), &format!("v{v}")),
                        None,
                    )
                })
                .collect();
            store.upsert_records(batch).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.stats().await.unwrap().papers, 50);
    let p = store.paper(&id("2501.00007")).await.unwrap().unwrap();
    assert_eq!(
        (p.version, p.title.as_str()),
        (Some(4), "v4"),
        "the newest version wins whatever the order"
    );
}
