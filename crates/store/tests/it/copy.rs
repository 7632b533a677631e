//! `copy_store`: SQLite to SQLite, and SQLite to PostgreSQL when one is configured; resuming.

use crate::prelude::*;
use dp_store::copy::{checksum, copy_store};

async fn source(dir: &std::path::Path) -> Arc<dyn Store> {
    let s = dp_store::open(&format!("sqlite://{}", dir.join("src.sqlite").display()))
        .await
        .unwrap();
    let mut batch = Vec::new();
    for i in 1..=120 {
        let id = format!("2501.{i:05}");
        let entry = (i % 3 == 0).then(|| {
            entry(
                if i % 2 == 0 {
                    "2025-03-17"
                } else {
                    "2025-03-18"
                },
                &id,
                i,
                1,
                i,
            )
        });
        batch.push(rec(paper(&id, &format!("Paper {i} <&>")), entry));
    }
    s.upsert_records(batch).await.unwrap();
    s.set_watermark("oai:cs:from", "2025-03-18").await.unwrap();
    // A community: accounts, a session, votes, a thread, a submission, a claim, a hidden paper.
    let name = |n: &str| dp_core::Username::parse(n).unwrap();
    let ada = s
        .create_user(&name("ada"), "$argon2id$h1", false)
        .await
        .unwrap();
    let bob = s
        .create_user(&name("bob"), "$argon2id$h2", false)
        .await
        .unwrap();
    s.create_session("tok", bob.id, std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    let p = |i: u32| dp_core::ArxivId::parse(&format!("2501.{i:05}")).unwrap();
    s.set_vote(ada.id, &p(1), true).await.unwrap();
    s.set_vote(bob.id, &p(1), true).await.unwrap();
    let c = s
        .add_comment(&p(2), ada.id, None, "first <b>")
        .await
        .unwrap()
        .unwrap();
    s.add_comment(&p(2), bob.id, Some(c.id), "reply")
        .await
        .unwrap();
    s.submit_paper(&bob, &p(4), day("2025-03-19"), 5)
        .await
        .unwrap();
    let claim = s.add_claim(ada.id, &p(5), "Ada Lovelace").await.unwrap();
    s.decide_claim(claim.id, true, ada.id).await.unwrap();
    s.set_hidden(&p(7), true).await.unwrap();
    s
}

async fn check_copy(target_url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let from = source(dir.path()).await;
    let to = dp_store::open(target_url).await.unwrap();
    let report = copy_store(&*from, &*to, 7, &|_| {}).await.unwrap();
    assert!(report.verified, "{report:?}");
    assert_eq!(
        (report.papers, report.entries, report.watermarks),
        (120, 41, 1)
    );
    // 2 users, 1 session, 120 paper flags, 2 votes, 1 submission, 2 comments, 1 claim.
    assert_eq!(report.community_rows, 129);
    assert_eq!(to.stats().await.unwrap(), from.stats().await.unwrap());
    assert_eq!(
        to.watermark("oai:cs:from").await.unwrap().as_deref(),
        Some("2025-03-18")
    );
    assert_eq!(
        checksum(&*from, 50).await.unwrap(),
        checksum(&*to, 13).await.unwrap()
    );
    let p = |i: u32| dp_core::ArxivId::parse(&format!("2501.{i:05}")).unwrap();
    assert_eq!(
        to.paper_detail(&p(1)).await.unwrap().unwrap().local_upvotes,
        2
    );
    assert!(to.paper_detail(&p(7)).await.unwrap().unwrap().hidden);
    assert_eq!(to.comments(&p(2)).await.unwrap().len(), 2);
    assert_eq!(to.session_user("tok").await.unwrap().unwrap().name, "bob");
    assert_eq!(
        to.claims(Some(dp_core::ClaimState::Approved), None, None)
            .await
            .unwrap()
            .len(),
        1
    );
    // A second run copies again harmlessly and still verifies.
    assert!(
        copy_store(&*from, &*to, 50, &|_| {})
            .await
            .unwrap()
            .verified
    );
    // New rows in the target get fresh ids (PostgreSQL's identity sequences were moved on).
    let carol = to
        .create_user(&dp_core::Username::parse("carol").unwrap(), "h", false)
        .await
        .unwrap();
    assert!(carol.id > 2, "{}", carol.id);
    assert!(!carol.is_admin, "the copied store has its admin already");
    let c = to
        .add_comment(&p(3), carol.id, None, "new")
        .await
        .unwrap()
        .unwrap();
    assert!(c.id > 2, "{}", c.id);
}

#[tokio::test]
async fn copies_sqlite_to_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check_copy(&format!(
        "sqlite://{}",
        dir.path().join("dst.sqlite").display()
    ))
    .await;
}

#[tokio::test]
async fn copies_sqlite_to_postgres() {
    let Some(url) = dp_testkit::db::fresh_postgres_url().await else {
        return;
    };
    check_copy(&url).await;
}

#[tokio::test]
async fn an_interrupted_copy_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let from = source(dir.path()).await;
    let to = dp_store::open(&format!(
        "sqlite://{}",
        dir.path().join("dst.sqlite").display()
    ))
    .await
    .unwrap();
    // What a copy killed after its first 50 papers leaves behind.
    let first = from.papers_after(None, 50).await.unwrap();
    let last = first.last().unwrap().id.to_string();
    to.upsert_records(first.into_iter().map(Into::into).collect())
        .await
        .unwrap();
    to.set_watermark("migrate:papers", &last).await.unwrap();
    let report = copy_store(&*from, &*to, 25, &|_| {}).await.unwrap();
    assert_eq!(report.papers, 70, "only the papers after the watermark");
    assert!(report.verified);
    // A damaged target does not verify.
    to.upsert_records(vec![rec(paper("2601.00001", "extra"), None)])
        .await
        .unwrap();
    let report = copy_store(&*from, &*to, 25, &|_| {}).await.unwrap();
    assert!(!report.verified);
}
