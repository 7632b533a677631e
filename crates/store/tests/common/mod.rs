//! The store test-suite: every backend runs exactly these checks (see `store_suite!`).

#![allow(dead_code)]

use chrono::{NaiveDate, TimeZone, Utc};
use dp_core::{ArxivId, FeedEntry, Outcome, Paper, Record};
use dp_core::{ClaimState, Username};
use dp_store::{NewJob, Store, StoreError, SubmitOutcome};
use std::sync::Arc;
use std::time::Duration;

/// Generates one `#[tokio::test]` per suite check, each on a fresh store from `$make`.
#[macro_export]
macro_rules! store_suite {
    ($make:path) => {
        $crate::store_suite!(@tests $make;
            idempotent_upserts, newer_versions_win, batch_with_duplicates, day_feed_order,
            same_paper_on_two_days, adjacent_and_latest_days, watermarks, jobs_run_once,
            expired_leases_are_reclaimed, failed_jobs_back_off, stats_counts, hostile_text_round_trips,
            concurrent_writers_all_succeed, accounts_and_sessions, votes_are_exact_under_concurrency,
            comment_threads, hidden_papers_leave_lists, submissions_follow_the_rules, claims_flow,
            period_feed_dedups_and_ranks, rate_limits_count_per_window, change_marker_rises,
            leases_are_renewed_by_their_holder, vectors_round_trip, api_tokens_live_and_die,
            submitter_and_publication_lists, subscriptions_and_the_outbox);
    };
    (@tests $make:path; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some((store, _guard)) = $make().await else { return };
                common::$name(store).await;
            }
        )*
    };
}

pub fn id(s: &str) -> ArxivId {
    ArxivId::parse(s).unwrap()
}

pub fn paper(s: &str, title: &str) -> Paper {
    let mut p = Paper::new(&id(s), title, "An abstract with <b> & $x^2$.");
    p.authors = vec!["Ada Lovelace".into(), "Alan Turing".into()];
    p
}

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn entry(d: &str, pid: &str, upvotes: i64, hour: u32, position: i64) -> FeedEntry {
    FeedEntry {
        day: day(d),
        paper_id: id(pid),
        position,
        published_at: Utc.with_ymd_and_hms(2025, 3, 17, hour, 0, 0).unwrap(),
        submitted_at: None,
        submitted_by: Some("someone".into()),
        upvotes,
        num_comments: 1,
        ai_summary: None,
        ai_keywords: vec!["kw".into()],
        github_repo: None,
        github_stars: Some(3),
        project_page: None,
        organization: None,
        source_json: Some("{}".into()),
    }
}

pub fn rec(p: Paper, e: Option<FeedEntry>) -> Record {
    Record { paper: p, entry: e }
}

pub async fn idempotent_upserts(store: Arc<dyn Store>) {
    let batch = vec![
        rec(
            paper("2501.00001", "One"),
            Some(entry("2025-03-17", "2501.00001", 5, 1, 0)),
        ),
        rec(paper("2501.00002", "Two"), None),
    ];
    let first = store.upsert_records(batch.clone()).await.unwrap();
    assert_eq!(first, vec![Outcome::Inserted, Outcome::Inserted]);
    let second = store.upsert_records(batch.clone()).await.unwrap();
    assert_eq!(second, vec![Outcome::Unchanged, Outcome::Unchanged]);
    let got = store.paper(&id("2501.00001v7")).await.unwrap().unwrap();
    assert_eq!(got, batch[0].paper);
    assert!(store.paper(&id("2501.00003")).await.unwrap().is_none());
    // A changed count on the entry is an update.
    let changed = vec![rec(
        paper("2501.00001", "One"),
        Some(entry("2025-03-17", "2501.00001", 9, 1, 0)),
    )];
    assert_eq!(
        store.upsert_records(changed).await.unwrap(),
        vec![Outcome::Updated]
    );
}

pub async fn newer_versions_win(store: Arc<dyn Store>) {
    let v2 = paper("2501.00001v2", "Second version");
    let v1 = paper("2501.00001v1", "First version");
    store
        .upsert_records(vec![rec(v2.clone(), None)])
        .await
        .unwrap();
    assert_eq!(
        store.upsert_records(vec![rec(v1, None)]).await.unwrap(),
        vec![Outcome::Unchanged]
    );
    assert_eq!(
        store.paper(&id("2501.00001")).await.unwrap().unwrap().title,
        "Second version"
    );
    let v3 = paper("2501.00001v3", "Third version");
    assert_eq!(
        store.upsert_records(vec![rec(v3, None)]).await.unwrap(),
        vec![Outcome::Updated]
    );
    let got = store.paper(&id("2501.00001")).await.unwrap().unwrap();
    assert_eq!(
        (got.title.as_str(), got.version),
        ("Third version", Some(3))
    );
}

pub async fn batch_with_duplicates(store: Arc<dyn Store>) {
    let batch = vec![
        rec(paper("2501.00001v1", "v1"), None),
        rec(paper("2501.00001v2", "v2"), None),
        rec(paper("2501.00001v1", "v1"), None),
    ];
    let out = store.upsert_records(batch.clone()).await.unwrap();
    assert_eq!(
        out,
        vec![Outcome::Inserted, Outcome::Inserted, Outcome::Inserted]
    );
    assert_eq!(
        store.paper(&id("2501.00001")).await.unwrap().unwrap().title,
        "v2"
    );
    assert_eq!(store.stats().await.unwrap().papers, 1);
}

pub async fn day_feed_order(store: Arc<dyn Store>) {
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

pub async fn same_paper_on_two_days(store: Arc<dyn Store>) {
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

pub async fn adjacent_and_latest_days(store: Arc<dyn Store>) {
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

pub async fn watermarks(store: Arc<dyn Store>) {
    assert_eq!(store.watermark("oai:cs").await.unwrap(), None);
    store.set_watermark("oai:cs", "2025-03-17").await.unwrap();
    store.set_watermark("oai:cs", "2025-03-18").await.unwrap();
    assert_eq!(
        store.watermark("oai:cs").await.unwrap().as_deref(),
        Some("2025-03-18")
    );
}

fn job(key: &str) -> NewJob {
    NewJob {
        kind: "harvest-oai".into(),
        dedup_key: key.into(),
        payload: "{}".into(),
        run_after: Utc::now() - chrono::Duration::seconds(1),
        max_attempts: 2,
    }
}

pub async fn jobs_run_once(store: Arc<dyn Store>) {
    assert!(store.enqueue_job(&job("slot-1")).await.unwrap());
    assert!(
        !store.enqueue_job(&job("slot-1")).await.unwrap(),
        "same key twice"
    );
    let j = store
        .claim_job("a", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((j.kind.as_str(), j.attempts), ("harvest-oai", 1));
    assert!(store
        .claim_job("b", Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
    store.finish_job(&j, Ok(())).await.unwrap();
    assert!(store
        .claim_job("b", Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
    assert!(
        !store.enqueue_job(&job("slot-1")).await.unwrap(),
        "done jobs keep their key"
    );
}

pub async fn expired_leases_are_reclaimed(store: Arc<dyn Store>) {
    store.enqueue_job(&job("k")).await.unwrap();
    let a = store
        .claim_job("a", Duration::from_millis(1))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let b = store
        .claim_job("b", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(b.attempts, 2);
}

pub async fn failed_jobs_back_off(store: Arc<dyn Store>) {
    store.enqueue_job(&job("k")).await.unwrap();
    let j = store
        .claim_job("a", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    store.finish_job(&j, Err("boom".into())).await.unwrap();
    // Backed off: not runnable now.
    assert!(store
        .claim_job("a", Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
    let s = store.stats().await.unwrap();
    assert_eq!((s.jobs_queued, s.jobs_failed), (1, 0));
}

pub async fn stats_counts(store: Arc<dyn Store>) {
    let s = store.stats().await.unwrap();
    assert_eq!((s.papers, s.feed_entries, s.days), (0, 0, 0));
    store
        .upsert_records(vec![
            rec(
                paper("2501.00001", "a"),
                Some(entry("2025-03-17", "2501.00001", 1, 1, 0)),
            ),
            rec(paper("hep-th/9901001", "b"), None),
        ])
        .await
        .unwrap();
    let s = store.stats().await.unwrap();
    assert_eq!((s.papers, s.feed_entries, s.days), (2, 1, 1));
    assert_eq!(s.first_day, Some(day("2025-03-17")));
    store.ping().await.unwrap();
}

pub async fn hostile_text_round_trips(store: Arc<dyn Store>) {
    let mut p = paper(
        "2501.00001",
        "'); DROP TABLE papers; -- <script>alert(1)</script> 🧪 数学",
    );
    p.abstract_text = "NUL-free but odd: \u{202e} ' \" \\ % _ $\\frac{a}{b}$".into();
    store
        .upsert_records(vec![rec(p.clone(), None)])
        .await
        .unwrap();
    assert_eq!(store.paper(&p.id).await.unwrap().unwrap(), p);
    assert_eq!(store.stats().await.unwrap().papers, 1);
}

pub async fn concurrent_writers_all_succeed(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for t in 0..4u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for b in 0..5u32 {
                let batch: Vec<Record> = (0..40u32)
                    .map(|i| {
                        // Overlapping ids across tasks, so writers contend for the same rows.
                        let n = (t * 20 + b * 40 + i) % 300 + 1;
                        rec(paper(&format!("2501.{n:05}"), &format!("t{t}")), None)
                    })
                    .collect();
                store.upsert_records(batch).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // t * 20 + b * 40 + i ranges over 0..=259.
    assert_eq!(store.stats().await.unwrap().papers, 260);
}

async fn user(store: &Arc<dyn Store>, name: &str) -> dp_core::User {
    store
        .create_user(&Username::parse(name).unwrap(), "$argon2id$fake", false)
        .await
        .unwrap()
}

pub async fn accounts_and_sessions(store: Arc<dyn Store>) {
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

pub async fn votes_are_exact_under_concurrency(store: Arc<dyn Store>) {
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

pub async fn comment_threads(store: Arc<dyn Store>) {
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

pub async fn hidden_papers_leave_lists(store: Arc<dyn Store>) {
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

pub async fn submissions_follow_the_rules(store: Arc<dyn Store>) {
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

pub async fn claims_flow(store: Arc<dyn Store>) {
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

pub async fn period_feed_dedups_and_ranks(store: Arc<dyn Store>) {
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

pub async fn rate_limits_count_per_window(store: Arc<dyn Store>) {
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

pub async fn change_marker_rises(store: Arc<dyn Store>) {
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

pub async fn leases_are_renewed_by_their_holder(store: Arc<dyn Store>) {
    store.enqueue_job(&job("k")).await.unwrap();
    let a = store
        .claim_job("a", Duration::from_millis(200))
        .await
        .unwrap()
        .unwrap();
    assert!(store
        .renew_job(&a, "a", Duration::from_secs(60))
        .await
        .unwrap());
    assert!(
        !store
            .renew_job(&a, "b", Duration::from_secs(60))
            .await
            .unwrap(),
        "only the holder renews"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        store
            .claim_job("b", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none(),
        "a renewed lease keeps the job with its worker"
    );
    store.finish_job(&a, Ok(())).await.unwrap();
    assert!(
        !store
            .renew_job(&a, "a", Duration::from_secs(60))
            .await
            .unwrap(),
        "finished jobs have no lease"
    );
}

pub async fn vectors_round_trip(store: Arc<dyn Store>) {
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

pub async fn api_tokens_live_and_die(store: Arc<dyn Store>) {
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

pub async fn submitter_and_publication_lists(store: Arc<dyn Store>) {
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

pub async fn subscriptions_and_the_outbox(store: Arc<dyn Store>) {
    use dp_store::{Cadence, Delivery, SubState};
    let a = store
        .subscribe(
            "Ada@Example.org",
            "ada@example.org",
            Cadence::Daily,
            None,
            &["diffusion".into()],
        )
        .await
        .unwrap();
    assert_eq!((a.state, a.cadence), (SubState::Pending, Cadence::Daily));
    assert_eq!(a.searches, ["diffusion"]);
    // Subscribing again while pending changes the settings; once confirmed, nothing changes.
    let again = store
        .subscribe(
            "ada@example.org",
            "ada@example.org",
            Cadence::Weekly,
            None,
            &[],
        )
        .await
        .unwrap();
    assert_eq!((again.id, again.cadence), (a.id, Cadence::Weekly));
    assert!(store
        .set_subscriber_state(a.id, SubState::Confirmed)
        .await
        .unwrap());
    let confirmed = store
        .subscribe(
            "ada@example.org",
            "ada@example.org",
            Cadence::Daily,
            None,
            &["x".into()],
        )
        .await
        .unwrap();
    assert_eq!(
        (confirmed.state, confirmed.cadence, confirmed.searches.len()),
        (SubState::Confirmed, Cadence::Weekly, 0)
    );
    store
        .set_subscriber_state(a.id, SubState::Unsubscribed)
        .await
        .unwrap();
    let back = store
        .subscribe(
            "ada@example.org",
            "ada@example.org",
            Cadence::Daily,
            None,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        back.state,
        SubState::Pending,
        "subscribing after leaving starts over"
    );
    store
        .set_subscriber_state(a.id, SubState::Confirmed)
        .await
        .unwrap();
    // Ten confirmed daily subscribers in all, one pending, one weekly.
    let mut ids = vec![a.id];
    for i in 0..9 {
        let e = format!("r{i}@example.org");
        let s = store
            .subscribe(&e, &e, Cadence::Daily, None, &[])
            .await
            .unwrap();
        store
            .set_subscriber_state(s.id, SubState::Confirmed)
            .await
            .unwrap();
        ids.push(s.id);
    }
    store
        .subscribe("p@example.org", "p@example.org", Cadence::Daily, None, &[])
        .await
        .unwrap();
    let w = store
        .subscribe("w@example.org", "w@example.org", Cadence::Weekly, None, &[])
        .await
        .unwrap();
    store
        .set_subscriber_state(w.id, SubState::Confirmed)
        .await
        .unwrap();
    let run = "daily:2025-03-17";
    // Planning in batches, twice: ten rows.
    for _ in 0..2 {
        let mut after = 0;
        while let Some(last) = store.plan_run(run, Cadence::Daily, after, 4).await.unwrap() {
            after = last;
        }
    }
    assert_eq!(store.outbox_counts(run).await.unwrap().queued, 10);
    // Claimed rows are not claimed twice; a dead sender's rows are queued again.
    let first = store.claim_outbox(run, 4).await.unwrap();
    assert_eq!(first.len(), 4);
    assert_eq!(first[0].subscriber.email, "ada@example.org");
    let second = store.claim_outbox(run, 100).await.unwrap();
    assert_eq!(second.len(), 6);
    assert!(store.claim_outbox(run, 100).await.unwrap().is_empty());
    assert_eq!(store.requeue_sending(run).await.unwrap(), 10);
    let batch = store.claim_outbox(run, 100).await.unwrap();
    let day = day("2025-03-17");
    let soon = Utc::now() + chrono::Duration::seconds(1);
    store
        .finish_outbox(&batch[0], &Delivery::Sent, day)
        .await
        .unwrap();
    store
        .finish_outbox(&batch[1], &Delivery::Skipped, day)
        .await
        .unwrap();
    store
        .finish_outbox(
            &batch[2],
            &Delivery::Retry {
                error: "421 busy".into(),
                retry_at: soon,
            },
            day,
        )
        .await
        .unwrap();
    store
        .finish_outbox(
            &batch[3],
            &Delivery::Failed {
                error: "550 no such user".into(),
            },
            day,
        )
        .await
        .unwrap();
    for item in &batch[4..] {
        store
            .finish_outbox(item, &Delivery::Sent, day)
            .await
            .unwrap();
    }
    let c = store.outbox_counts(run).await.unwrap();
    assert_eq!(
        (c.sent, c.skipped, c.queued, c.failed, c.sending),
        (7, 1, 1, 1, 0)
    );
    // The retry is not due yet; later it is, with its attempt counted.
    assert!(store.claim_outbox(run, 10).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let retry = store.claim_outbox(run, 10).await.unwrap();
    assert_eq!((retry.len(), retry[0].attempts), (1, 1));
    // A permanent failure marks the subscriber; a sent digest notes the day.
    let failed = store
        .subscriber(batch[3].subscriber.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.state, SubState::Failed);
    assert!(failed.last_error.unwrap().contains("550"));
    let sent = store
        .subscriber(batch[0].subscriber.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.last_sent_day, Some(day));
    // Planning the run again adds nothing, even for rows that finished.
    store.plan_run(run, Cadence::Daily, 0, 100).await.unwrap();
    let c = store.outbox_counts(run).await.unwrap();
    assert_eq!(c.sent + c.skipped + c.queued + c.failed + c.sending, 10);
    assert_eq!(
        store
            .confirmed_subscribers(Cadence::Daily, 0, 100)
            .await
            .unwrap()
            .len(),
        9,
        "the failed one is no longer confirmed"
    );
}
