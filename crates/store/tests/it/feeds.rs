//! The store suite: feeds. Every check runs on SQLite and on PostgreSQL.

use crate::prelude::*;

on_both!(
    day_feed_order,
    same_paper_on_two_days,
    adjacent_and_latest_days,
    period_feed_dedups_and_ranks,
    submitter_and_publication_lists
);

async fn day_feed_order(store: Arc<dyn Store>) {
    let d = "2025-03-17";
    let batch = vec![
        rec(
            paper("2501.00001", "a"),
            Some(entry(d, "2501.00001", 3, 1, 0)),
        ),
        rec(
            paper("2501.00002", "b"),
            Some(entry(d, "2501.00002", 5, 1, 1)),
        ),
        rec(
            paper("2501.00003", "c"),
            Some(entry(d, "2501.00003", 3, 2, 2)),
        ),
        rec(
            paper("2501.00004", "d"),
            Some(entry(d, "2501.00004", 3, 2, 3)),
        ),
        rec(
            paper("2501.00005", "e"),
            Some(entry("2025-03-18", "2501.00005", 99, 2, 0)),
        ),
    ];
    store.upsert_records(batch.clone()).await.unwrap();
    let feed = store.day_feed(day(d)).await.unwrap();
    let ids: Vec<String> = feed.iter().map(|i| i.paper.id.to_string()).collect();
    assert_eq!(
        ids,
        ["2501.00002", "2501.00003", "2501.00004", "2501.00001"]
    );
    assert_eq!(feed[0].upvotes(), 5);
    assert_eq!(feed[0].entry.ai_keywords, ["kw"]);
    assert!(store.day_feed(day("2024-01-01")).await.unwrap().is_empty());
}

async fn same_paper_on_two_days(store: Arc<dyn Store>) {
    let p = paper("2501.00001", "twice");
    store
        .upsert_records(vec![
            rec(p.clone(), Some(entry("2025-03-17", "2501.00001", 4, 1, 0))),
            rec(p.clone(), Some(entry("2025-03-18", "2501.00001", 11, 1, 0))),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.day_feed(day("2025-03-17")).await.unwrap()[0].upvotes(),
        4
    );
    assert_eq!(
        store.day_feed(day("2025-03-18")).await.unwrap()[0].upvotes(),
        11
    );
    let s = store.stats().await.unwrap();
    assert_eq!((s.papers, s.feed_entries, s.days), (1, 2, 2));
}

async fn adjacent_and_latest_days(store: Arc<dyn Store>) {
    assert_eq!(store.latest_day().await.unwrap(), None);
    for (i, d) in ["2025-03-14", "2025-03-17", "2025-03-19"]
        .iter()
        .enumerate()
    {
        let pid = format!("2501.0000{}", i + 1);
        store
            .upsert_records(vec![rec(paper(&pid, "x"), Some(entry(d, &pid, 1, 1, 0)))])
            .await
            .unwrap();
    }
    assert_eq!(store.latest_day().await.unwrap(), Some(day("2025-03-19")));
    assert_eq!(
        store.adjacent_days(day("2025-03-17")).await.unwrap(),
        (Some(day("2025-03-14")), Some(day("2025-03-19")))
    );
    assert_eq!(
        store.adjacent_days(day("2025-03-14")).await.unwrap().0,
        None
    );
}

async fn period_feed_dedups_and_ranks(store: Arc<dyn Store>) {
    store
        .upsert_records(vec![
            rec(
                paper("2503.00001", "a"),
                Some(entry("2025-03-17", "2503.00001", 5, 1, 0)),
            ),
            rec(
                paper("2503.00001", "a"),
                Some(entry("2025-03-18", "2503.00001", 9, 1, 0)),
            ),
            rec(
                paper("2503.00002", "b"),
                Some(entry("2025-03-18", "2503.00002", 7, 1, 1)),
            ),
            rec(
                paper("2503.00003", "c"),
                Some(entry("2025-03-25", "2503.00003", 50, 1, 0)),
            ),
        ])
        .await
        .unwrap();
    let f = store
        .period_feed(day("2025-03-17"), day("2025-03-23"))
        .await
        .unwrap();
    let got: Vec<_> = f
        .iter()
        .map(|i| (i.paper.id.to_string(), i.upvotes()))
        .collect();
    assert_eq!(
        got,
        [("2503.00001".to_string(), 9), ("2503.00002".to_string(), 7)]
    );
}

async fn submitter_and_publication_lists(store: Arc<dyn Store>) {
    let mut records = Vec::new();
    for (i, (d, by)) in [
        ("2025-03-17", "amy"),
        ("2025-03-18", "amy"),
        ("2025-03-18", "bob"),
    ]
    .iter()
    .enumerate()
    {
        let pid = format!("2503.0000{}", i + 1);
        let mut p = paper(&pid, "t");
        p.published = Some(
            Utc.with_ymd_and_hms(2025, 3, 10 + i as u32, 0, 0, 0)
                .unwrap(),
        );
        let mut e = entry(d, &pid, i as i64, 1, i as i64);
        e.submitted_by = Some(by.to_string());
        records.push(rec(p, Some(e)));
    }
    // Same publication time as 2503.00003: the id breaks the tie.
    let mut p = paper("2503.00009", "tie");
    p.published = Some(Utc.with_ymd_and_hms(2025, 3, 12, 0, 0, 0).unwrap());
    records.push(rec(p, None));
    records.push(rec(paper("2503.00010", "no date"), None));
    store.upsert_records(records).await.unwrap();

    let amy = store.submitter_feed("amy", 10).await.unwrap();
    let ids: Vec<String> = amy.iter().map(|i| i.paper.id.to_string()).collect();
    assert_eq!(ids, ["2503.00002", "2503.00001"], "newest day first");
    assert_eq!(store.submitter_feed("amy", 1).await.unwrap().len(), 1);
    assert!(store.submitter_feed("nobody", 10).await.unwrap().is_empty());
    store.set_hidden(&id("2503.00002"), true).await.unwrap();
    assert_eq!(store.submitter_feed("amy", 10).await.unwrap().len(), 1);

    // Publication order with a cursor, two at a time; hidden and undated papers are left out.
    let first = store.papers_page(None, 2).await.unwrap();
    let ids: Vec<String> = first.iter().map(|s| s.paper.id.to_string()).collect();
    assert_eq!(ids, ["2503.00009", "2503.00003"]);
    assert_eq!(first[1].upvotes, 2);
    let last = &first[1].paper;
    let cursor = (
        last.published.unwrap().timestamp_millis(),
        last.id.to_string(),
    );
    let rest = store.papers_page(Some(cursor), 2).await.unwrap();
    let ids: Vec<String> = rest.iter().map(|s| s.paper.id.to_string()).collect();
    assert_eq!(ids, ["2503.00001"]);
}
