//! The store suite: changes. Every check runs on SQLite and on PostgreSQL.

use crate::community::user;
use crate::prelude::*;

on_both!(
    change_marker_rises,
    vectors_round_trip,
    late_papers_are_found_by_seq,
    comments_come_in_pages
);

async fn change_marker_rises(store: Arc<dyn Store>) {
    store
        .upsert_records(vec![rec(paper("2503.00001", "p"), None)])
        .await
        .unwrap();
    let u = user(&store, "erin").await;
    let m0 = store.change_marker().await.unwrap();
    store.set_vote(u.id, &id("2503.00001"), true).await.unwrap();
    let m1 = store.change_marker().await.unwrap();
    assert!(m1 > m0, "a vote moves the cursor");
    store.set_hidden(&id("2503.00001"), true).await.unwrap();
    assert!(store.change_marker().await.unwrap() > m1);
}

/// A write by another process (here another handle on the same database, with its own pool)
/// wakes a follower's watch, also when it came while the follower was busy; an idle SQLite
/// store lets followers sleep without a query, PostgreSQL still says "look" on each timeout.
mod writes_elsewhere_wake_a_watch {
    #[tokio::test]
    async fn sqlite() {
        let Some(t) = dp_testkit::db::TestStore::sqlite().await else {
            return;
        };
        super::writes_elsewhere_wake_a_watch(t, true).await;
    }

    #[tokio::test]
    async fn postgres() {
        let Some(t) = dp_testkit::db::TestStore::postgres().await else {
            return;
        };
        super::writes_elsewhere_wake_a_watch(t, false).await;
    }
}

async fn writes_elsewhere_wake_a_watch(t: dp_testkit::db::TestStore, quiet_when_idle: bool) {
    use std::time::Instant;
    let mut watch = t.store.change_watch().await;
    // The migrations just wrote: let that signal pass.
    let mut idle = !watch.wait(Duration::from_millis(700)).await;
    for _ in 0..10 {
        if idle {
            break;
        }
        idle = !watch.wait(Duration::from_millis(700)).await;
    }
    assert_eq!(
        idle, quiet_when_idle,
        "what a timeout says on an idle store"
    );

    let other = dp_store::open(&t.url).await.unwrap();
    other
        .upsert_records(vec![rec(paper("2503.00007", "elsewhere"), None)])
        .await
        .unwrap();
    let woke = Instant::now();
    assert!(watch.wait(Duration::from_secs(10)).await);
    assert!(
        woke.elapsed() < Duration::from_secs(5),
        "woken by the write, not by the timeout: {:?}",
        woke.elapsed()
    );

    // Written while the follower was busy elsewhere: its next wait returns at once.
    other
        .upsert_records(vec![rec(paper("2503.00008", "while busy"), None)])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let woke = Instant::now();
    assert!(watch.wait(Duration::from_secs(10)).await);
    assert!(
        woke.elapsed() < Duration::from_secs(5),
        "{:?}",
        woke.elapsed()
    );
}

async fn vectors_round_trip(store: Arc<dyn Store>) {
    store
        .upsert_records(vec![
            rec(
                paper("2503.00001", "old"),
                Some(entry("2025-03-17", "2503.00001", 5, 9, 0)),
            ),
            rec(
                paper("2503.00002", "new, few votes"),
                Some(entry("2025-03-18", "2503.00002", 1, 9, 1)),
            ),
            rec(
                paper("2503.00003", "new, many votes"),
                Some(entry("2025-03-18", "2503.00003", 9, 9, 0)),
            ),
            rec(paper("2503.00004", "hidden"), None),
        ])
        .await
        .unwrap();
    store.set_hidden(&id("2503.00004"), true).await.unwrap();
    let todo: Vec<String> = store
        .unembedded("m", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id.to_string())
        .collect();
    assert_eq!(
        todo,
        ["2503.00003", "2503.00002", "2503.00001"],
        "newest day first, then votes; hidden left out"
    );
    let unit = |x: f32| {
        let v = vec![x, (1.0 - x * x).sqrt(), 0.0];
        v
    };
    let m0 = store.change_marker().await.unwrap();
    let n = store
        .put_vectors(
            "m",
            &[
                ("2503.00003".into(), unit(0.6)),
                ("2503.00001".into(), unit(0.8)),
                ("9999.99999".into(), unit(0.1)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(n, 2, "a vector for an unknown paper is skipped");
    assert!(
        store.change_marker().await.unwrap() > m0,
        "new vectors move the change cursor"
    );
    assert_eq!(store.vector_stats("m").await.unwrap(), (2, Some(3)));
    assert_eq!(store.vector_stats("other").await.unwrap(), (0, None));
    let todo = store.unembedded("m", 10).await.unwrap();
    assert_eq!(todo.len(), 1);
    assert_eq!(todo[0].id.to_string(), "2503.00002");
    let got = store
        .vectors_for("m", &["2503.00003".into(), "2503.00002".into()])
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert!((got[0].1[0] - 0.6).abs() < 1e-3 && (got[0].1[1] - 0.8).abs() < 1e-3);
    let page = store.vectors_after("m", None, 1).await.unwrap();
    assert_eq!(page[0].0, "2503.00001");
    let page = store
        .vectors_after("m", Some("2503.00001"), 10)
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].0, "2503.00003");
    // Replacing keeps one row; another dimension for the same model is refused.
    store
        .put_vectors("m", &[("2503.00003".into(), unit(0.0))])
        .await
        .unwrap();
    assert_eq!(store.vector_stats("m").await.unwrap().0, 2);
    let err = store
        .put_vectors("m", &[("2503.00002".into(), vec![1.0, 0.0])])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("refusing 2-dimensional"), "{err}");
}

async fn late_papers_are_found_by_seq(store: Arc<dyn Store>) {
    assert_eq!(store.change_marker().await.unwrap(), 0, "an empty store");
    store
        .upsert_records(vec![
            rec(paper("2503.00001", "one"), None),
            rec(paper("2503.00002", "two"), None),
            rec(paper("2503.00003", "three"), None),
        ])
        .await
        .unwrap();
    let all = store.papers_since(0, 10).await.unwrap();
    let seqs: Vec<i64> = all.iter().map(|c| c.seq).collect();
    let top = *seqs.last().unwrap();
    assert_eq!(store.change_marker().await.unwrap(), top);
    assert_eq!(store.seqs_between(0, top).await.unwrap(), seqs);
    assert_eq!(
        store.seqs_between(seqs[0], seqs[1]).await.unwrap(),
        [seqs[1]]
    );
    let picked = store.papers_with_seqs(&[seqs[2], seqs[0]]).await.unwrap();
    let ids: Vec<&str> = picked.iter().map(|c| c.paper.id.base()).collect();
    assert_eq!(ids, ["2503.00001", "2503.00003"]);
    // A paper changed since has a new seq: the old one names nothing.
    store.set_hidden(&id("2503.00001"), true).await.unwrap();
    assert!(store.papers_with_seqs(&[seqs[0]]).await.unwrap().is_empty());
    let many: Vec<i64> = (0..1_200).collect();
    assert_eq!(
        store.papers_with_seqs(&many).await.unwrap().len(),
        3,
        "in chunks of 500"
    );
}

async fn comments_come_in_pages(store: Arc<dyn Store>) {
    store
        .upsert_records(vec![rec(paper("2503.00001", "p"), None)])
        .await
        .unwrap();
    let p = id("2503.00001");
    let u = user(&store, "talker").await;
    let mut tops = Vec::new();
    for i in 0..4 {
        let c = store
            .add_comment(&p, u.id, None, &format!("top {i}"))
            .await
            .unwrap()
            .unwrap();
        tops.push(c.id);
        for j in 0..3 {
            store
                .add_comment(&p, u.id, Some(c.id), &format!("reply {i}.{j}"))
                .await
                .unwrap();
        }
    }
    // Two threads, two replies each.
    let page = store.comment_threads(&p, 0, 2, 2).await.unwrap();
    let bodies: Vec<&str> = page.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "top 0",
            "reply 0.0",
            "reply 0.1",
            "top 1",
            "reply 1.0",
            "reply 1.1"
        ]
    );
    let next = store.comment_threads(&p, tops[1], 2, 5).await.unwrap();
    assert_eq!(next.iter().filter(|c| c.parent_id.is_none()).count(), 2);
    assert_eq!(next.len(), 8);
    // Flat pages for the API.
    let first = store.comments_after(&p, 0, 5).await.unwrap();
    assert_eq!(first.len(), 5);
    let rest = store.comments_after(&p, first[4].id, 100).await.unwrap();
    assert_eq!(first.len() + rest.len(), 16);
    assert!(store
        .comments_after(&p, rest.last().unwrap().id, 5)
        .await
        .unwrap()
        .is_empty());
}
