//! Import end to end: real fixtures, and hostile files that must give clear errors and lose
//! nothing else.

use dp_ingest::import::{import_paths, ImportOptions, ImportReport, NoProgress};
use dp_store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dp_testkit::env::shared_data;

async fn store(dir: &Path) -> Arc<dyn Store> {
    let url = dp_testkit::db::test_database_url(dir).await.expect(
        "a test database (DAILYPAPERS_TEST_POSTGRES_URL with DAILYPAPERS_TEST_BACKEND=postgres)",
    );
    dp_store::open(&url).await.unwrap()
}

async fn import(store: &Arc<dyn Store>, paths: &[PathBuf]) -> ImportReport {
    import_paths(store.clone(), paths, &ImportOptions::default(), &NoProgress)
        .await
        .unwrap()
}

fn listing_line(id: &str, title: &str) -> String {
    serde_json::json!({"id": id, "categories": ["cs.CL"], "pdf": "", "abs": "", "authors": ["A B"], "title": title, "comment": null, "summary": "An abstract."}).to_string()
}

#[tokio::test]
async fn every_fixture_imports() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    let r = import(&s, &[data.join("arxiv-fixtures")]).await;
    assert_eq!(r.file_errors, 0, "{:?}", r.problems);
    assert_eq!(r.rejected, 0, "{:?}", r.problems);
    assert_eq!(r.files, 16);
    // 200 Kaggle records, 100 + 10 search results, OAI-PMH and id lookups.
    assert!(r.read >= 330, "{r:?}");
    let kaggle = s
        .paper(&"0704.0001".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kaggle.version, Some(2));
    assert_eq!(kaggle.doi.as_deref(), Some("10.1103/PhysRevD.76.013009"));
    let old = s.paper(&"astro-ph/0601001".parse().unwrap()).await.unwrap();
    assert!(old.is_some(), "old-style id from the Atom fixture");
    // Importing again changes nothing.
    let again = import(&s, &[data.join("arxiv-fixtures")]).await;
    assert_eq!((again.inserted, again.updated), (0, 0), "{again:?}");
}

#[tokio::test]
async fn hf_day_files_take_their_day_from_the_name() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    let day = data.join("hf-daily/days/2024-06-03.json.gz");
    let r = import(&s, &[day]).await;
    assert_eq!(r.rejected, 0);
    assert!(r.inserted > 0);
    let stats = s.stats().await.unwrap();
    assert_eq!(stats.first_day.unwrap().to_string(), "2024-06-03");
    assert_eq!(stats.feed_entries as u64, r.inserted);
}

#[tokio::test]
async fn bad_records_are_skipped_with_their_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    let f = dir.path().join("mixed.jsonl");
    let mut file = std::fs::File::create(&f).unwrap();
    writeln!(file, "{}", listing_line("2501.00001", "Good one")).unwrap();
    // Invalid UTF-8 inside a string.
    file.write_all(b"{\"id\": \"2501.00002\", \"categories\": [], \"authors\": [], \"title\": \"bad \xff\xfe\", \"summary\": \"x\"}\n").unwrap();
    writeln!(file, "{}", listing_line("not-an-id", "Bad id")).unwrap();
    writeln!(
        file,
        "{}",
        listing_line("2501.00003", &"T".repeat(10 * 1024 * 1024))
    )
    .unwrap();
    writeln!(file, "{}{}", "[".repeat(10_000), "]".repeat(10_000)).unwrap();
    writeln!(file, "{{\"id\": \"2501.00004\", \"title\": \"Truncated").unwrap();
    writeln!(
        file,
        "{}",
        listing_line("2501.00005", "<script>alert(1)</script> & good")
    )
    .unwrap();
    drop(file);
    let r = import(&s, &[f]).await;
    assert_eq!(
        (r.read, r.inserted, r.rejected),
        (7, 2, 5),
        "{:?}",
        r.problems
    );
    let reasons: Vec<String> = r
        .problems
        .iter()
        .map(|p| format!("{} {}", p.location.clone().unwrap_or_default(), p.message))
        .collect();
    assert!(
        reasons[0].starts_with("line 2") && reasons[0].contains("UTF-8")
            || reasons[0].contains("unicode"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("line 3") && reasons[1].contains("not an arXiv id"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].starts_with("line 4") && reasons[2].contains("title is too long"),
        "{reasons:?}"
    );
    assert!(reasons[3].starts_with("line 5"), "{reasons:?}");
    assert!(reasons[4].starts_with("line 6"), "{reasons:?}");
    let p = s
        .paper(&"2501.00005".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        p.title, "<script>alert(1)</script> & good",
        "stored as text, escaped only when shown"
    );
}

#[tokio::test]
async fn oversized_lines_are_rejected_without_reading_them_whole() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    let f = dir.path().join("huge.jsonl");
    let mut file = std::fs::File::create(&f).unwrap();
    writeln!(
        file,
        "{}",
        listing_line("2501.00001", &"T".repeat(20 * 1024 * 1024))
    )
    .unwrap();
    writeln!(file, "{}", listing_line("2501.00002", "after the huge one")).unwrap();
    drop(file);
    let r = import(&s, &[f]).await;
    assert_eq!((r.read, r.inserted, r.rejected), (2, 1, 1));
    assert!(
        r.problems[0].message.contains("longer than"),
        "{:?}",
        r.problems
    );
}

#[tokio::test]
async fn truncated_gzip_keeps_what_came_before_and_says_so() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    let sample = std::fs::read(data.join("arxiv-bulk/sample_first1000.jsonl")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&sample).unwrap();
    let bytes = gz.finish().unwrap();
    let f = dir.path().join("cut.jsonl.gz");
    std::fs::write(&f, &bytes[..bytes.len() / 2]).unwrap();
    let r = import(&s, std::slice::from_ref(&f)).await;
    assert_eq!(r.file_errors, 1, "{:?}", r.problems);
    let err = r.problems.iter().find(|p| p.kind == "file").unwrap();
    assert!(err.message.contains("read error"), "{err:?}");
    assert!(r.inserted > 100 && r.inserted < 1000, "{r:?}");
    // The whole file afterwards completes the import.
    let full = dir.path().join("full.jsonl.gz");
    std::fs::write(&full, &bytes).unwrap();
    let r2 = import(&s, &[full]).await;
    assert_eq!(r2.file_errors, 0);
    assert_eq!(r2.inserted + r.inserted, 1000 - r.rejected - r2.rejected);
}

#[tokio::test]
async fn hostile_xml_and_json_never_crash() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    let xxe = dir.path().join("xxe.xml");
    std::fs::write(
        &xxe,
        r#"<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2501.00001v1</id><title>&xxe;</title><summary>x</summary></entry></feed>"#,
    )
    .unwrap();
    let deep = dir.path().join("deep.json");
    std::fs::write(
        &deep,
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
    )
    .unwrap();
    let truncated_xml = dir.path().join("cut.xml");
    std::fs::write(
        &truncated_xml,
        "<?xml version=\"1.0\"?><OAI-PMH><ListRecords><record><header>",
    )
    .unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let r = import(&s, &[xxe, deep, truncated_xml, empty]).await;
    assert_eq!(r.inserted, 0);
    assert_eq!(r.files, 4);
    assert!(r.file_errors + r.rejected >= 3, "{:?}", r.problems);
    let all = format!("{:?}", r.problems);
    assert!(!all.contains("root:"), "no file content leaked: {all}");
    assert_eq!(s.stats().await.unwrap().papers, 0);
}

#[tokio::test]
async fn explicit_format_and_date_flags() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    // The sample has submittedOnDailyAt; --date overrides it.
    let opts = ImportOptions {
        read: dp_ingest::formats::ReadOptions {
            format: Some("hf".parse().unwrap()),
            date: Some(dp_core::parse_day("2030-01-02").unwrap()),
        },
        ..Default::default()
    };
    let r = import_paths(
        s.clone(),
        &[data.join("hf-daily/sample_last5days.jsonl")],
        &opts,
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(r.read, 110);
    let st = s.stats().await.unwrap();
    assert_eq!(st.days, 1);
    assert_eq!(st.latest_day.unwrap().to_string(), "2030-01-02");
    assert!("yaml"
        .parse::<dp_ingest::formats::Format>()
        .unwrap_err()
        .contains("expected one of"));
}

/// Every paper of a store, by id, as (title, authors, categories).
async fn contents(s: &Arc<dyn Store>) -> Vec<(String, String, Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = s.papers_after(after.as_deref(), 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.id.base().to_string());
        out.extend(
            page.into_iter()
                .map(|p| (p.id.base().to_string(), p.title, p.authors, p.categories)),
        );
    }
    out
}

/// PostgreSQL writes a batch as two concurrent transactions split by paper: the result must be
/// the one sequential writer (SQLite) gives, also where a paper appears several times in one
/// batch and the first record's fields win.
#[tokio::test]
async fn concurrent_writers_give_the_sequential_result() {
    let Some(pg) = dp_testkit::db::TestStore::postgres().await else {
        return;
    };
    let sqlite = dp_testkit::db::TestStore::sqlite().await.unwrap();
    assert_eq!(pg.store.concurrent_writers(), 2);
    assert_eq!(sqlite.store.concurrent_writers(), 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listing.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    // 5,000 lines (more than two batches): 4,000 papers, every fourth one repeated later in
    // the same batch with another title, and then once more in the next file section.
    for i in 0..4000 {
        writeln!(
            f,
            "{}",
            listing_line(&format!("2501.{i:05}"), &format!("First {i}"))
        )
        .unwrap();
        if i % 4 == 0 {
            writeln!(
                f,
                "{}",
                listing_line(&format!("2501.{i:05}"), &format!("Second {i}"))
            )
            .unwrap();
        }
    }
    drop(f);
    let a = import(&pg.store, std::slice::from_ref(&path)).await;
    let b = import(&sqlite.store, std::slice::from_ref(&path)).await;
    assert_eq!(a.read, 5000);
    assert_eq!(
        (a.inserted, a.updated, a.unchanged),
        (b.inserted, b.updated, b.unchanged)
    );
    let on_pg = contents(&pg.store).await;
    assert_eq!(on_pg.len(), 4000);
    assert_eq!(on_pg, contents(&sqlite.store).await);
    assert!(on_pg
        .iter()
        .all(|(_, title, _, _)| title.starts_with("First")));
    // Again: nothing changes, on either.
    let again = import(&pg.store, &[path]).await;
    assert_eq!(again.unchanged, 5000, "{again:?}");
}

/// A store whose `fail_at`-th batch write (counting from 0) fails; every other call goes to a
/// real store. It stands for a database that goes away in the middle of an import.
struct FailingWrites {
    inner: Arc<dyn Store>,
    writers: usize,
    calls: std::sync::atomic::AtomicUsize,
    fail_at: usize,
}

#[async_trait::async_trait]
impl dp_store::Papers for FailingWrites {
    async fn upsert_records(
        &self,
        records: Vec<dp_core::Record>,
    ) -> Result<Vec<dp_core::Outcome>, dp_store::StoreError> {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n == self.fail_at {
            return Err(dp_store::StoreError::Unsupported(
                "the disk went away".into(),
            ));
        }
        self.inner.upsert_records(records).await
    }
    fn concurrent_writers(&self) -> usize {
        self.writers
    }
    async fn paper(
        &self,
        id: &dp_core::ArxivId,
    ) -> Result<Option<dp_core::Paper>, dp_store::StoreError> {
        self.inner.paper(id).await
    }
    async fn papers_by_ids(
        &self,
        ids: &[String],
    ) -> Result<Vec<dp_store::PaperSummary>, dp_store::StoreError> {
        self.inner.papers_by_ids(ids).await
    }
    async fn papers_page(
        &self,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<dp_store::PaperSummary>, dp_store::StoreError> {
        self.inner.papers_page(after, limit).await
    }
    async fn papers_after(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<dp_core::Paper>, dp_store::StoreError> {
        self.inner.papers_after(after, limit).await
    }
}

/// A store error in the middle of an import ends it with that error, and keeps every batch
/// written before it: with one writer, exactly the batches before the failed one; with two
/// (PostgreSQL's way), at least the whole first batch. Importing again completes it.
#[tokio::test]
async fn a_store_error_ends_the_import_and_keeps_the_batches_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listing.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    // 10,000 papers: five batches of 2,000.
    for i in 0..10_000 {
        writeln!(f, "{}", listing_line(&format!("2501.{i:05}"), "A title")).unwrap();
    }
    drop(f);
    for (writers, fail_at) in [(1, 2), (2, 3)] {
        let sub = tempfile::tempdir().unwrap();
        let inner = store(sub.path()).await;
        let failing = Arc::new(FailingWrites {
            inner: inner.clone(),
            writers,
            calls: Default::default(),
            fail_at,
        });
        let err = import_paths(
            failing.clone(),
            std::slice::from_ref(&path),
            &ImportOptions::default(),
            &NoProgress,
        )
        .await
        .expect_err("the import must fail");
        assert!(
            err.to_string().contains("the disk went away"),
            "{writers} writers: {err}"
        );
        let stored: Vec<String> = contents(&inner).await.into_iter().map(|c| c.0).collect();
        let first_batch = (0..2000).map(|i| format!("2501.{i:05}"));
        let have: std::collections::HashSet<&str> = stored.iter().map(String::as_str).collect();
        assert!(
            first_batch.clone().all(|id| have.contains(id.as_str())),
            "{writers} writers: the first batch is kept"
        );
        if writers == 1 {
            // Batches 1 and 2 written, the third failed, nothing after it.
            assert_eq!(stored.len(), 4000, "one writer");
            assert!(stored.iter().all(|id| id.as_str() < "2501.04000"));
        } else {
            assert!(
                stored.len() < 10_000,
                "two writers: {} stored",
                stored.len()
            );
        }
        // The failed store's writer stopped: running the import again on the real store
        // completes it.
        let again = import(&inner, std::slice::from_ref(&path)).await;
        assert_eq!(again.inserted as usize, 10_000 - stored.len());
        assert_eq!(contents(&inner).await.len(), 10_000);
    }
}
