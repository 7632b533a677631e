//! PostgreSQL hands out `seq` values when a transaction writes and shows them when it commits,
//! so a paper can appear with a lower `seq` than one already indexed. The follower finds such
//! late papers by their `seq` alone and indexes only them.

use dp_search::follow::Follower;
use dp_search::{parse, KeywordIndex};
use dp_testkit::{id, paper, rec};
use std::sync::Arc;
use std::time::Duration;

fn found(f: &Follower, q: &str) -> Vec<String> {
    f.index()
        .search(&parse(q).unwrap(), 10)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[tokio::test]
async fn a_paper_committed_late_with_a_lower_seq_is_indexed_alone() {
    let Some(t) = dp_testkit::db::TestStore::postgres().await else {
        return;
    };
    let store = t.store.clone();
    let papers: Vec<_> = (1..=50)
        .map(|i| {
            rec(
                paper(&format!("2503.{i:05}"), &format!("Paper number {i}")),
                None,
            )
        })
        .collect();
    store.upsert_records(papers).await.unwrap();
    let f = Follower::new(Arc::new(KeywordIndex::open(None).unwrap()))
        .with_safety_margin(Duration::from_millis(300));
    assert_eq!(f.catch_up(store.as_ref(), &|_| {}).await.unwrap(), 50);
    // A writer takes its seq and stays open...
    let pool = sqlx::PgPool::connect(&t.url).await.unwrap();
    let mut slow = pool.begin().await.unwrap();
    sqlx::query(
        "UPDATE papers SET title = 'Zebrafinch song learning', seq = nextval('paper_seq') \
         WHERE id = '2503.00007'",
    )
    .execute(&mut *slow)
    .await
    .unwrap();
    // ...while another commits a higher one, which the follower indexes.
    store.set_hidden(&id("2503.00009"), true).await.unwrap();
    assert_eq!(f.catch_up(store.as_ref(), &|_| {}).await.unwrap(), 1);
    slow.commit().await.unwrap();
    assert!(found(&f, "zebrafinch").is_empty());
    // Its seq is below what was seen, so reading on from there passes it; the next look for
    // late papers finds it, and indexes it alone (not all 50 again).
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(f.catch_up(store.as_ref(), &|_| {}).await.unwrap(), 1);
    assert_eq!(found(&f, "zebrafinch"), ["2503.00007"]);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        f.catch_up(store.as_ref(), &|_| {}).await.unwrap(),
        0,
        "nothing twice"
    );
}
