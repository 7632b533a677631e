//! The job dispatcher runs stored jobs by their kind and payload, refuses what it does not
//! know, and housekeeping removes expired sessions.

use chrono::Utc;
use dp_app::config::Config;
use dp_app::jobs::{new_job, Housekeeping, Worker};
use dp_app::{App, Rules};
use dp_store::{Job, NewJob};
use dp_testkit::db::TestStore;
use std::time::Duration;

fn stored(job: NewJob) -> Job {
    Job {
        id: 1,
        kind: job.kind,
        dedup_key: job.dedup_key,
        payload: job.payload,
        attempts: 1,
    }
}

#[tokio::test]
async fn the_dispatcher_runs_known_kinds_and_refuses_the_rest() {
    let Some(db) = TestStore::new().await else {
        return;
    };
    let app = App::new(db.store.clone(), Rules::default());
    let worker = Worker::new(app, Config::default(), None).unwrap();
    let name = dp_core::Username::parse("ada").unwrap();
    let ada = db
        .store
        .create_user(&name, "$argon2id$x", false)
        .await
        .unwrap();
    db.store
        .create_session("gone", ada.id, Duration::from_millis(1))
        .await
        .unwrap();
    db.store
        .create_session("live", ada.id, Duration::from_secs(3600))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let housekeeping = stored(new_job(&Housekeeping {}, Utc::now(), 3600));
    worker.execute(&housekeeping).await.unwrap();
    let sessions = db.store.export_rows("sessions", 0, 10).await.unwrap();
    assert_eq!(
        sessions.len(),
        1,
        "the expired session is gone: {sessions:?}"
    );

    let mut unknown = housekeeping.clone();
    unknown.kind = "mystery".into();
    let e = worker.execute(&unknown).await.unwrap_err();
    assert!(e.to_string().contains("mystery"), "{e}");
    let mut bad = housekeeping;
    bad.kind = "digest".into();
    let e = worker.execute(&bad).await.unwrap_err();
    assert!(e.to_string().contains("digest"), "{e}");
}
