//! The vector index follows the store, and its HNSW graph is saved and loaded between runs:
//! a restarted follower loads the save and reads only what changed since.

use chrono::{TimeZone, Utc};
use dp_core::{ArxivId, Record};
use dp_search::follow::Follower;
use dp_search::vector::{VectorConfig, VectorIndex};
use dp_search::{KeywordIndex, Semantic};
use dp_testkit::PaperExt;
use std::sync::Arc;

fn paper(n: u32) -> Record {
    Record::from(
        dp_testkit::paper(&format!("2503.{n:05}"), &format!("Paper number {n}"))
            .with_abstract("An abstract.")
            .published_at(Utc.with_ymd_and_hms(2025, 3, 3, 0, 0, 0).unwrap()),
    )
}

/// A unit vector that points mostly along axis `n`.
fn vector(n: u32, dim: usize) -> Vec<f32> {
    let mut v = vec![0.01f32; dim];
    v[n as usize % dim] = 1.0;
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

fn follower(
    embedder: &Arc<dp_search::embed::Embedder>,
    dir: &std::path::Path,
    run: &str,
) -> (Follower, Arc<VectorIndex>) {
    let config = VectorConfig {
        hnsw_threshold: 10,
        ..VectorConfig::default()
    };
    let vectors = Arc::new(VectorIndex::new(embedder.dim(), config));
    let f = Follower::new(Arc::new(
        KeywordIndex::open(Some(&dir.join(format!("keyword-{run}")))).unwrap(),
    ))
    .with_semantic(Semantic {
        embedder: embedder.clone(),
        vectors: vectors.clone(),
    })
    .with_vector_dir(dir.join("vectors"));
    (f, vectors)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_follower_loads_the_saved_graph_and_reads_what_changed_since() {
    let Some(model) = dp_testkit::env::model_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = dp_testkit::db::test_database_url(dir.path()).await else {
        return;
    };
    let store = dp_store::open(&url).await.unwrap();
    let embedder = Arc::new(dp_search::embed::Embedder::load(&model).unwrap());
    let (name, dim) = (embedder.name().to_string(), embedder.dim());
    store
        .upsert_records((1..=30).map(paper).collect())
        .await
        .unwrap();
    let rows: Vec<(String, Vec<f32>)> = (1..=30)
        .map(|n| (format!("2503.{n:05}"), vector(n, dim)))
        .collect();
    store.put_vectors(&name, &rows).await.unwrap();

    // First run: built from the store, saved once the keyword index's stored cursor (which
    // trails what it has seen by the follower's safety margin) has passed the load.
    let (first, vectors) = follower(&embedder, dir.path(), "a");
    assert_eq!(
        first.load_vectors(store.as_ref(), &|_| {}).await.unwrap(),
        30
    );
    assert!(vectors.is_approximate());
    first.catch_up(store.as_ref(), &|_| {}).await.unwrap();
    assert!(
        !first.save_vectors_if_due().await.unwrap(),
        "not before the stored cursor covers the load"
    );
    let t = std::time::Instant::now();
    loop {
        first.catch_up(store.as_ref(), &|_| {}).await.unwrap();
        if first.save_vectors_if_due().await.unwrap() {
            break;
        }
        assert!(
            t.elapsed() < std::time::Duration::from_secs(30),
            "never saved"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let meta = std::fs::read_to_string(dir.path().join("vectors/meta.json")).unwrap();
    let marker = store.change_marker().await.unwrap();
    assert!(
        meta.contains(&format!("\"cursor\":{marker}")),
        "the save records the cursor it is complete up to: {meta}"
    );
    assert!(
        !first.save_vectors_if_due().await.unwrap(),
        "not again while nothing changed"
    );
    assert!(dir.path().join("vectors/meta.json").is_file());

    // While no server runs: a new paper with its vector, and a hidden paper.
    store.upsert_records(vec![paper(31)]).await.unwrap();
    store
        .put_vectors(&name, &[("2503.00031".into(), vector(31, dim))])
        .await
        .unwrap();
    store
        .set_hidden(&ArxivId::parse("2503.00005").unwrap(), true)
        .await
        .unwrap();

    // Second run, with a keyword index of its own that starts from nothing: the graph comes
    // from the save (30 vectors), and the catch-up applies what changed since.
    let (second, vectors) = follower(&embedder, dir.path(), "b");
    assert_eq!(
        second.load_vectors(store.as_ref(), &|_| {}).await.unwrap(),
        30
    );
    assert!(vectors.contains("2503.00005") && !vectors.contains("2503.00031"));
    second.catch_up(store.as_ref(), &|_| {}).await.unwrap();
    assert!(
        vectors.contains("2503.00031"),
        "the vector stored after the save"
    );
    assert!(
        !vectors.contains("2503.00005"),
        "the paper hidden after the save"
    );
    assert_eq!(vectors.len(), 30);
    let near = vectors.search(&vector(31, dim), 1, None).unwrap();
    assert_eq!(near[0].0, "2503.00031");

    // A save of another model is not loaded: the third run rebuilds from the store.
    std::fs::write(
        dir.path().join("vectors/meta.json"),
        std::fs::read_to_string(dir.path().join("vectors/meta.json"))
            .unwrap()
            .replace(&name, "another-model"),
    )
    .unwrap();
    let (third, vectors) = follower(&embedder, dir.path(), "c");
    assert_eq!(
        third.load_vectors(store.as_ref(), &|_| {}).await.unwrap(),
        30
    );
    assert!(vectors.contains("2503.00031") && !vectors.contains("2503.00005"));
}

#[tokio::test(flavor = "multi_thread")]
async fn catch_ups_while_the_graph_loads_leave_the_served_index_alone_and_lose_nothing() {
    let Some(model) = dp_testkit::env::model_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = dp_testkit::db::test_database_url(dir.path()).await else {
        return;
    };
    let store = dp_store::open(&url).await.unwrap();
    let embedder = Arc::new(dp_search::embed::Embedder::load(&model).unwrap());
    let (name, dim) = (embedder.name().to_string(), embedder.dim());
    let stored = 2_000;
    store
        .upsert_records((1..=stored).map(paper).collect())
        .await
        .unwrap();
    let rows: Vec<(String, Vec<f32>)> = (1..=stored)
        .map(|n| (format!("2503.{n:05}"), vector(n, dim)))
        .collect();
    store.put_vectors(&name, &rows).await.unwrap();

    // A first catch-up before the load indexes the words and leaves the vectors to the load.
    let (f, vectors) = follower(&embedder, dir.path(), "a");
    assert_eq!(f.catch_up(store.as_ref(), &|_| {}).await.unwrap(), 2_000);
    assert!(!f.vectors_loaded() && vectors.is_empty());

    // Papers and vectors keep arriving while the graph is built on the side; catch-ups in
    // between never write into the index that queries read.
    let writes = async {
        for n in stored + 1..=stored + 40 {
            store.upsert_records(vec![paper(n)]).await.unwrap();
            store
                .put_vectors(&name, &[(format!("2503.{n:05}"), vector(n, dim))])
                .await
                .unwrap();
            let loaded_before = f.vectors_loaded();
            f.catch_up(store.as_ref(), &|_| {}).await.unwrap();
            if !loaded_before && !f.vectors_loaded() {
                assert!(vectors.is_empty(), "written into while loading");
            }
            tokio::task::yield_now().await;
        }
    };
    let (loaded, ()) = tokio::join!(f.load_vectors(store.as_ref(), &|_| {}), writes);
    assert!(loaded.unwrap() >= u64::from(stored));
    assert!(f.vectors_loaded());
    // The follower's next catch-up reads what changed since the load began once more.
    f.catch_up(store.as_ref(), &|_| {}).await.unwrap();
    assert_eq!(vectors.len(), 2_040);
    for n in [1, stored, stored + 1, stored + 20, stored + 40] {
        assert!(vectors.contains(&format!("2503.{n:05}")), "2503.{n:05}");
    }
}
