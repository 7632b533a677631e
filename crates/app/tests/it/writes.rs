//! Writes go through one path: counted against the writer's limit, then done, then announced
//! to the change hook (pages drop what they rendered); a refused write announces nothing.

use dp_app::{App, Error, Rules};
use dp_store::Store;
use dp_testkit::db::TestStore;
use dp_testkit::{entry, paper, rec};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

async fn app(rules: Rules) -> Option<(App, Arc<AtomicUsize>, TestStore)> {
    let db = TestStore::new().await?;
    db.store
        .upsert_records(vec![rec(
            paper("2503.00001", "On the list"),
            Some(entry("2025-03-17", "2503.00001", 5)),
        )])
        .await
        .unwrap();
    let changes = Arc::new(AtomicUsize::new(0));
    let seen = changes.clone();
    let app = App::new(db.store.clone(), rules).on_change(move || {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    Some((app, changes, db))
}

async fn reader(store: &Arc<dyn Store>, name: &str) -> dp_core::User {
    let name = dp_core::Username::parse(name).unwrap();
    store
        .create_user(&name, "$argon2id$x", false)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_write_is_announced_once_and_a_refused_one_not_at_all() {
    let Some((app, changes, db)) = app(Rules::default()).await else {
        return;
    };
    let ada = reader(&db.store, "ada").await;
    let v = app
        .vote(&ada, &dp_testkit::id("2503.00001"), true)
        .await
        .unwrap();
    assert_eq!((v.voted, v.upvotes), (true, 6));
    assert_eq!(changes.load(Ordering::SeqCst), 1);
    let missing = app.vote(&ada, &dp_testkit::id("2503.09999"), true).await;
    assert!(matches!(missing, Err(Error::NotFound(_))), "{missing:?}");
    let empty = app
        .comment(&ada, &dp_testkit::id("2503.00001"), None, "   ")
        .await;
    assert!(matches!(empty, Err(Error::Invalid(_))), "{empty:?}");
    assert_eq!(changes.load(Ordering::SeqCst), 1, "refusals change nothing");
}

#[tokio::test]
async fn writes_past_the_limit_are_refused_with_a_retry_time() {
    let rules = Rules {
        writes_per_minute: 2,
        ..Rules::default()
    };
    let Some((app, changes, db)) = app(rules).await else {
        return;
    };
    let bob = reader(&db.store, "bob").await;
    let id = dp_testkit::id("2503.00001");
    for up in [true, false] {
        app.vote(&bob, &id, up).await.unwrap();
    }
    match app.vote(&bob, &id, true).await {
        Err(Error::RateLimited(secs)) => assert_eq!(secs, 60),
        other => panic!("{other:?}"),
    }
    assert_eq!(changes.load(Ordering::SeqCst), 2);
    // Another reader has a limit of their own.
    let carol = reader(&db.store, "carol").await;
    assert!(app.vote(&carol, &id, true).await.is_ok());
}
