//! The store suite: changes. Every check runs on SQLite and on PostgreSQL.

use crate::community::user;
use crate::prelude::*;

on_both!(change_marker_rises, vectors_round_trip);

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
    let t = std::time::Instant::now();
    store.wait_for_change(Duration::from_millis(50)).await;
    assert!(t.elapsed() < Duration::from_secs(5));
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
