//! The ranking and the shown counts are defined once in `dp_core` (`LIST_RANKING`,
//! `shown_count`) and rendered as SQL by the store: both must agree on the same data.

use crate::prelude::*;

on_both!(lists_rank_in_sql_as_in_rust, shown_counts_agree_everywhere);

/// Ties on every rule, votes cast here, and a second day.
async fn seeded(store: &Arc<dyn Store>) -> Vec<ArxivId> {
    let mut batch = Vec::new();
    for i in 1..=12u32 {
        let pid = format!("2503.{i:05}");
        // Upvotes repeat (ties), hours repeat (ties), positions are a permutation.
        let e = dp_testkit::entry("2025-03-17", &pid, i64::from(i % 4))
            .at_hour(1 + i % 3)
            .position(i64::from((i * 7) % 12))
            .comments(i64::from(i % 2));
        batch.push(rec(paper(&pid, &format!("Paper {i}")), Some(e)));
        if i % 3 == 0 {
            let later = dp_testkit::entry("2025-03-18", &pid, i64::from(i)).position(i64::from(i));
            batch.push(rec(paper(&pid, &format!("Paper {i}")), Some(later)));
        }
    }
    store.upsert_records(batch).await.unwrap();
    let voter = store
        .create_user(&Username::parse("voter").unwrap(), "$argon2id$x", false)
        .await
        .unwrap();
    for i in [2u32, 5, 6, 11] {
        store
            .set_vote(voter.id, &id(&format!("2503.{i:05}")), true)
            .await
            .unwrap();
    }
    (1..=12).map(|i| id(&format!("2503.{i:05}"))).collect()
}

async fn lists_rank_in_sql_as_in_rust(store: Arc<dyn Store>) {
    seeded(&store).await;
    let ids = |items: &[dp_core::FeedItem]| -> Vec<String> {
        items.iter().map(|i| i.paper.id.to_string()).collect()
    };
    for feed in [
        store.day_feed(day("2025-03-17")).await.unwrap(),
        store
            .period_feed(day("2025-03-17"), day("2025-03-18"))
            .await
            .unwrap(),
    ] {
        let mut by_rust = feed.clone();
        by_rust.sort_by_key(|i| i.rank_key());
        assert_eq!(ids(&feed), ids(&by_rust));
        assert_eq!(feed.len(), 12);
    }
}

async fn shown_counts_agree_everywhere(store: Arc<dyn Store>) {
    let ids = seeded(&store).await;
    let bare: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    for summary in store.papers_by_ids(&bare).await.unwrap() {
        let detail = store
            .paper_detail(&summary.paper.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(summary.upvotes, detail.upvotes(), "{}", summary.paper.id);
        assert_eq!(summary.comments, detail.comments(), "{}", summary.paper.id);
        let newest = detail.entries.first().map(|e| e.upvotes);
        assert_eq!(
            detail.upvotes(),
            dp_core::shown_count(newest, detail.local_upvotes)
        );
    }
    // A vote answers the count a page then shows.
    let voter = store
        .create_user(&Username::parse("second").unwrap(), "$argon2id$x", false)
        .await
        .unwrap();
    let v = store
        .set_vote(voter.id, &ids[8], true)
        .await
        .unwrap()
        .unwrap();
    let detail = store.paper_detail(&ids[8]).await.unwrap().unwrap();
    assert_eq!(v.upvotes, detail.upvotes());
}
