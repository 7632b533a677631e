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

#[tokio::test]
async fn a_reader_past_the_submission_quota_makes_no_arxiv_request() {
    let Some((app, _, db)) = app(Rules {
        submissions_per_day: 1,
        ..Rules::default()
    })
    .await
    else {
        return;
    };
    let arxiv = Arc::new(dp_testkit::fakes::RecordedArxiv::default());
    let app = app.with_fetcher(arxiv.clone());
    let ada = reader(&db.store, "ada").await;
    // The quota is used up by a paper the store has (no fetch needed).
    db.store
        .upsert_records(vec![rec(paper("2503.00002", "Not listed"), None)])
        .await
        .unwrap();
    let first = app.submit(&ada, &dp_testkit::id("2503.00002")).await;
    assert!(first.is_ok(), "{first:?}");
    let calls = || arxiv.calls.lock().unwrap().len();
    assert_eq!(calls(), 0);
    let second = app.submit(&ada, &dp_testkit::id("2501.99999")).await;
    assert!(matches!(second, Err(Error::Quota(_))), "{second:?}");
    assert_eq!(calls(), 0, "refused before asking arXiv");
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let Some((app, _, _db)) = app(Rules::default()).await else {
        return;
    };
    let first = app
        .sign_up("203.0.113.1", "ada", "correct horse".into())
        .await
        .unwrap();
    let other = app
        .log_in("203.0.113.2", "ada", "correct horse".into())
        .await
        .unwrap();
    let wrong = app
        .change_password(&first.user, "not it".into(), "battery staple".into())
        .await;
    assert!(matches!(wrong, Err(Error::SignIn(_))), "{wrong:?}");
    assert!(app.session_user(&other.token).await.unwrap().is_some());
    let short = app
        .change_password(&first.user, "correct horse".into(), "short".into())
        .await;
    assert!(matches!(short, Err(Error::Invalid(_))), "{short:?}");
    let fresh = app
        .change_password(&first.user, "correct horse".into(), "battery staple".into())
        .await
        .unwrap();
    for old in [&first.token, &other.token] {
        assert!(app.session_user(old).await.unwrap().is_none());
    }
    assert!(app.session_user(&fresh.token).await.unwrap().is_some());
    let old_password = app
        .log_in("203.0.113.3", "ada", "correct horse".into())
        .await;
    assert!(matches!(old_password, Err(Error::SignIn(_))));
    assert!(app
        .log_in("203.0.113.3", "ada", "battery staple".into())
        .await
        .is_ok());
    // Signing out everywhere, and an admin's reset from the command line.
    assert_eq!(app.log_out_everywhere(&fresh.user).await.unwrap(), 2);
    assert!(app.session_user(&fresh.token).await.unwrap().is_none());
    let s = app
        .log_in("203.0.113.3", "ada", "battery staple".into())
        .await
        .unwrap();
    app.reset_password("ADA", "new and long".into())
        .await
        .unwrap();
    assert!(app.session_user(&s.token).await.unwrap().is_none());
    assert!(app
        .log_in("203.0.113.3", "ada", "new and long".into())
        .await
        .is_ok());
    assert!(matches!(
        app.reset_password("nobody", "new and long".into()).await,
        Err(Error::NotFound(_))
    ));
}
