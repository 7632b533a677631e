//! The store suite: community. Every check runs on SQLite and on PostgreSQL.

use crate::prelude::*;

on_both!(
    accounts_and_sessions,
    votes_are_exact_under_concurrency,
    comment_threads,
    hidden_papers_leave_lists,
    submissions_follow_the_rules,
    claims_flow,
    rate_limits_count_per_window,
    api_tokens_live_and_die
);

pub async fn user(store: &Arc<dyn Store>, name: &str) -> dp_core::User {
    store
        .create_user(&Username::parse(name).unwrap(), "$argon2id$fake", false)
        .await
        .unwrap()
}

async fn accounts_and_sessions(store: Arc<dyn Store>) {
    let first = user(&store, "Alice").await;
    assert!(first.is_admin, "the first account is an admin");
    let second = user(&store, "bob").await;
    assert!(!second.is_admin);
    let dup = store
        .create_user(&Username::parse("ALICE").unwrap(), "h", false)
        .await;
    assert!(
        matches!(dup, Err(StoreError::Conflict(_))),
        "names are unique in any case"
    );
    let (u, hash) = store.user_credentials("alice").await.unwrap().unwrap();
    assert_eq!(
        (u.name.as_str(), hash.as_str()),
        ("Alice", "$argon2id$fake")
    );
    assert!(store.user_credentials("nobody").await.unwrap().is_none());

    let later = Duration::from_secs(3600);
    store.create_session("h1", second.id, later).await.unwrap();
    store
        .create_session("old", second.id, Duration::from_millis(1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(store.session_user("h1").await.unwrap().unwrap().name, "bob");
    assert!(
        store.session_user("old").await.unwrap().is_none(),
        "expired"
    );
    store.set_banned(second.id, true).await.unwrap();
    assert!(
        store.session_user("h1").await.unwrap().is_none(),
        "a ban ends sessions"
    );
    store.set_banned(second.id, false).await.unwrap();
    store.create_session("h2", second.id, later).await.unwrap();
    store.delete_session("h2").await.unwrap();
    assert!(store.session_user("h2").await.unwrap().is_none());
    store.set_admin(second.id, true).await.unwrap();
    assert!(store.user_by_name("BOB").await.unwrap().unwrap().is_admin);
    store.purge_expired().await.unwrap();
}

async fn votes_are_exact_under_concurrency(store: Arc<dyn Store>) {
    store
        .upsert_records(vec![rec(
            paper("2503.00001", "p"),
            Some(entry("2025-03-17", "2503.00001", 5, 1, 0)),
        )])
        .await
        .unwrap();
    let mut users = Vec::new();
    for i in 0..8 {
        users.push(user(&store, &format!("voter{i}")).await);
    }
    // Every user clicks three times at once: each counts once.
    let mut tasks = Vec::new();
    for u in &users {
        for _ in 0..3 {
            let (s, uid) = (store.clone(), u.id);
            tasks.push(tokio::spawn(async move {
                s.set_vote(uid, &id("2503.00001"), true).await.unwrap()
            }));
        }
    }
    for t in tasks {
        assert!(t.await.unwrap().unwrap().voted);
    }
    let d = store
        .paper_detail(&id("2503.00001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((d.local_upvotes, d.upvotes()), (8, 13));
    let feed = store.day_feed(day("2025-03-17")).await.unwrap();
    assert_eq!(feed[0].upvotes(), 13);
    let v = store
        .set_vote(users[0].id, &id("2503.00001"), false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((v.voted, v.upvotes), (false, 12));
    let v = store
        .set_vote(users[0].id, &id("2503.00001"), false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.upvotes, 12, "removing twice removes once");
    assert!(store
        .set_vote(users[0].id, &id("2503.99999"), true)
        .await
        .unwrap()
        .is_none());
    let voted = store
        .voted_papers(users[1].id, &["2503.00001".into(), "2503.00002".into()])
        .await
        .unwrap();
    assert_eq!(voted, vec!["2503.00001".to_string()]);
    let up = store.upvoted_by(users[1].id, 10).await.unwrap();
    assert_eq!(up[0].id, id("2503.00001"));
}

async fn comment_threads(store: Arc<dyn Store>) {
    store
        .upsert_records(vec![
            rec(paper("2503.00001", "p"), None),
            rec(paper("2503.00002", "q"), None),
        ])
        .await
        .unwrap();
    let u = user(&store, "carol").await;
    let p = id("2503.00001");
    let top = store
        .add_comment(&p, u.id, None, "<script>x</script> **hi**")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        top.body, "<script>x</script> **hi**",
        "stored as written, escaped when shown"
    );
    let reply = store
        .add_comment(&p, u.id, Some(top.id), "reply")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reply.parent_id, Some(top.id));
    let deeper = store
        .add_comment(&p, u.id, Some(reply.id), "deeper")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deeper.parent_id, Some(top.id), "one level of replies");
    assert!(
        store
            .add_comment(&id("2503.00002"), u.id, Some(top.id), "x")
            .await
            .unwrap()
            .is_none(),
        "a parent on another paper"
    );
    assert!(store
        .add_comment(&id("2503.99999"), u.id, None, "x")
        .await
        .unwrap()
        .is_none());
    assert!(store.edit_comment(reply.id, "edited").await.unwrap());
    let r = store.comment(reply.id).await.unwrap().unwrap();
    assert_eq!(r.body, "edited");
    assert!(r.edited_at.is_some());
    assert!(store.delete_comment(reply.id).await.unwrap());
    assert!(
        !store.delete_comment(reply.id).await.unwrap(),
        "deleting twice"
    );
    assert!(
        !store.edit_comment(reply.id, "again").await.unwrap(),
        "deleted comments stay deleted"
    );
    let all = store.comments(&p).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all[1].deleted && all[1].body.is_empty());
    assert_eq!(
        store
            .paper_detail(&p)
            .await
            .unwrap()
            .unwrap()
            .local_comments,
        2
    );
}

async fn hidden_papers_leave_lists(store: Arc<dyn Store>) {
    store
        .upsert_records(vec![
            rec(
                paper("2503.00001", "a"),
                Some(entry("2025-03-17", "2503.00001", 5, 1, 0)),
            ),
            rec(
                paper("2503.00002", "b"),
                Some(entry("2025-03-17", "2503.00002", 3, 1, 1)),
            ),
        ])
        .await
        .unwrap();
    assert!(store.set_hidden(&id("2503.00001"), true).await.unwrap());
    let ids = |f: Vec<dp_core::FeedItem>| {
        f.into_iter()
            .map(|i| i.paper.id.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.day_feed(day("2025-03-17")).await.unwrap()),
        ["2503.00002"]
    );
    assert_eq!(
        ids(store
            .period_feed(day("2025-03-01"), day("2025-03-31"))
            .await
            .unwrap()),
        ["2503.00002"]
    );
    assert!(
        store
            .paper_detail(&id("2503.00001"))
            .await
            .unwrap()
            .unwrap()
            .hidden
    );
    assert!(store.set_hidden(&id("2503.00001"), false).await.unwrap());
    assert_eq!(store.day_feed(day("2025-03-17")).await.unwrap().len(), 2);
    assert!(!store.set_hidden(&id("2503.99999"), true).await.unwrap());
}

async fn submissions_follow_the_rules(store: Arc<dyn Store>) {
    store
        .upsert_records(vec![
            rec(
                paper("2503.00001", "listed"),
                Some(entry("2025-03-17", "2503.00001", 5, 1, 0)),
            ),
            rec(paper("2503.00002", "new"), None),
            rec(paper("2503.00003", "new"), None),
        ])
        .await
        .unwrap();
    let u = user(&store, "dave").await;
    let today = day("2025-03-20");
    assert_eq!(
        store
            .submit_paper(&u, &id("2503.00001"), today, 5)
            .await
            .unwrap(),
        SubmitOutcome::Duplicate(day("2025-03-17"))
    );
    assert_eq!(
        store
            .submit_paper(&u, &id("2503.00002"), today, 1)
            .await
            .unwrap(),
        SubmitOutcome::Submitted(today)
    );
    assert_eq!(
        store
            .submit_paper(&u, &id("2503.00002"), today, 5)
            .await
            .unwrap(),
        SubmitOutcome::Duplicate(today)
    );
    assert_eq!(
        store
            .submit_paper(&u, &id("2503.00003"), today, 1)
            .await
            .unwrap(),
        SubmitOutcome::TooMany
    );
    let feed = store.day_feed(today).await.unwrap();
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].entry.submitted_by.as_deref(), Some("dave"));
    assert_eq!(
        store.submitted_by(u.id, 10).await.unwrap()[0].id,
        id("2503.00002")
    );
}

async fn claims_flow(store: Arc<dyn Store>) {
    store
        .upsert_records(vec![rec(paper("2503.00001", "p"), None)])
        .await
        .unwrap();
    let admin = user(&store, "admin").await;
    let u = user(&store, "ada").await;
    let c = store
        .add_claim(u.id, &id("2503.00001"), "Ada Lovelace")
        .await
        .unwrap();
    assert_eq!(c.state, ClaimState::Pending);
    assert!(matches!(
        store
            .add_claim(u.id, &id("2503.00001"), "Ada Lovelace")
            .await,
        Err(StoreError::Conflict(_))
    ));
    let pending = store
        .claims(Some(ClaimState::Pending), None, None)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    let decided = store
        .decide_claim(c.id, true, admin.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(decided.state, ClaimState::Approved);
    assert!(
        store
            .decide_claim(c.id, false, admin.id)
            .await
            .unwrap()
            .is_none(),
        "decided once"
    );
    let mine = store
        .claims(Some(ClaimState::Approved), None, Some(u.id))
        .await
        .unwrap();
    assert_eq!(mine[0].author_name, "Ada Lovelace");
    assert_eq!(
        store
            .claims(None, Some(&id("2503.00001")), None)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn rate_limits_count_per_window(store: Arc<dyn Store>) {
    let w = Duration::from_secs(3600);
    assert_eq!(store.hit_rate_limit("login:1.2.3.4", w).await.unwrap(), 1);
    assert_eq!(store.hit_rate_limit("login:1.2.3.4", w).await.unwrap(), 2);
    assert_eq!(store.hit_rate_limit("login:5.6.7.8", w).await.unwrap(), 1);
    // A window of one millisecond starts over almost at once.
    store
        .hit_rate_limit("fast", Duration::from_millis(1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        store
            .hit_rate_limit("fast", Duration::from_millis(1))
            .await
            .unwrap(),
        1
    );
}

async fn api_tokens_live_and_die(store: Arc<dyn Store>) {
    use dp_core::TokenScope;
    let u = user(&store, "erin").await;
    let other = user(&store, "frank").await;
    let t = store
        .create_api_token(u.id, "laptop", "hash-1", TokenScope::Write)
        .await
        .unwrap();
    assert_eq!((t.name.as_str(), t.scope), ("laptop", TokenScope::Write));
    assert!(t.revoked_at.is_none() && t.last_used_at.is_none());
    store
        .create_api_token(u.id, "bot", "hash-2", TokenScope::Read)
        .await
        .unwrap();
    // The same hash twice is refused (tokens are random, so this only guards the index).
    assert!(store
        .create_api_token(other.id, "x", "hash-1", TokenScope::Read)
        .await
        .is_err());
    let (who, scope) = store.api_token_user("hash-1").await.unwrap().unwrap();
    assert_eq!((who.id, scope), (u.id, TokenScope::Write));
    assert!(store.api_token_user("nope").await.unwrap().is_none());
    let listed = store.api_tokens(u.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["bot", "laptop"]
    );
    assert!(listed[1].last_used_at.is_some(), "use is noted");
    // Only the owner revokes, once.
    assert!(!store.revoke_api_token(other.id, t.id).await.unwrap());
    assert!(store.revoke_api_token(u.id, t.id).await.unwrap());
    assert!(!store.revoke_api_token(u.id, t.id).await.unwrap());
    assert!(store.api_token_user("hash-1").await.unwrap().is_none());
    // A banned owner's tokens stop working.
    assert!(store.api_token_user("hash-2").await.unwrap().is_some());
    store.set_banned(u.id, true).await.unwrap();
    assert!(store.api_token_user("hash-2").await.unwrap().is_none());
}
