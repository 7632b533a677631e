//! The keyword index: ranking, phrases, filters, id/title/author shortcuts, highlights, hidden
//! papers, hostile queries; following the store; and the real shared data ("MUSCLE").

use chrono::{TimeZone, Utc};
use dp_core::{ArxivId, Paper, Record};
use dp_search::follow::Follower;
use dp_search::{parse, KeywordIndex};
use dp_store::ChangedPaper;
use dp_testkit::PaperExt;
use std::sync::Arc;

fn paper(id: &str, title: &str, abs: &str, authors: &[&str], cat: &str, day: u32) -> Paper {
    dp_testkit::paper(id, title)
        .with_abstract(abs)
        .with_authors(authors)
        .in_categories(&[cat])
        .published_at(Utc.with_ymd_and_hms(2025, 3, day, 12, 0, 0).unwrap())
}

fn corpus() -> Vec<Paper> {
    vec![
        paper(
            "2503.00001",
            "Compatible model updates without negative flips",
            "We reduce regression when updating a model.",
            &["Ada Lovelace", "Alan Turing"],
            "cs.LG",
            1,
        ),
        paper(
            "2503.00002",
            "Attention is all you need again",
            "Transformers with attention for translation; models and modeling.",
            &["Grace Hopper"],
            "cs.CL",
            5,
        ),
        paper(
            "2503.00003",
            "A survey of graph neural networks",
            "Graph models, message passing and updates of node states.",
            &["Ada Lovelace"],
            "cs.LG",
            10,
        ),
        paper(
            "2503.00004",
            "Negative results in model compression",
            "Flips in predictions after pruning <b>models</b> & distillation.",
            &["Edsger Dijkstra"],
            "cs.CV",
            20,
        ),
    ]
}

fn index_with(papers: &[Paper]) -> KeywordIndex {
    let idx = KeywordIndex::open(None).unwrap();
    let rows: Vec<ChangedPaper> = papers
        .iter()
        .enumerate()
        .map(|(i, p)| ChangedPaper {
            seq: i as i64 + 1,
            paper: p.clone(),
            hidden: false,
        })
        .collect();
    idx.upsert(&rows).unwrap();
    idx.commit(rows.len() as i64).unwrap();
    idx
}

fn ids(idx: &KeywordIndex, q: &str) -> Vec<String> {
    idx.search(&parse(q).unwrap(), 10)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn bm25_with_stemming_and_a_title_boost() {
    let idx = index_with(&corpus());
    assert_eq!(idx.len(), 4);
    let got = ids(&idx, "updating models");
    assert_eq!(
        got[0], "2503.00001",
        "stemmed words in the title rank first: {got:?}"
    );
    assert!(got.contains(&"2503.00003".to_string()));
    // A phrase must match in order.
    assert_eq!(ids(&idx, "\"negative flips\""), ["2503.00001"]);
    assert_eq!(ids(&idx, "attention"), ["2503.00002"]);
    assert!(ids(&idx, "zyzzyva").is_empty());
}

#[test]
fn filters_narrow_results() {
    let idx = index_with(&corpus());
    assert_eq!(ids(&idx, "models category:cs.LG").len(), 2);
    assert_eq!(ids(&idx, "models author:\"Ada Lovelace\"").len(), 2);
    assert_eq!(ids(&idx, "author:Hopper"), ["2503.00002"]);
    let dated = ids(&idx, "models from:2025-03-04 to:2025-03-12");
    assert!(
        dated.iter().all(|i| i == "2503.00002" || i == "2503.00003"),
        "{dated:?}"
    );
    assert!(!dated.is_empty());
    assert!(ids(&idx, "models category:math.AG").is_empty());
}

#[test]
fn ids_titles_and_authors_go_straight_there() {
    let idx = index_with(&corpus());
    assert_eq!(ids(&idx, "arXiv:2503.00003v2"), ["2503.00003"]);
    assert_eq!(
        ids(&idx, "https://arxiv.org/abs/2503.00004"),
        ["2503.00004"]
    );
    assert!(ids(&idx, "2599.99999").is_empty());
    assert_eq!(
        ids(&idx, "A survey of graph neural networks")[0],
        "2503.00003"
    );
    let by_author = ids(&idx, "Edsger Dijkstra");
    assert_eq!(by_author[0], "2503.00004");
}

#[test]
fn highlights_mark_matched_words_only() {
    let idx = index_with(&corpus());
    let hits = idx
        .search(&parse("pruning distillation").unwrap(), 5)
        .unwrap();
    let h = &hits[0];
    assert_eq!(h.id, "2503.00004");
    let marked: Vec<&str> = h
        .snippet
        .iter()
        .filter(|p| p.highlight)
        .map(|p| p.text.as_str())
        .collect();
    assert_eq!(marked, ["pruning", "distillation"]);
    let whole: String = h.snippet.iter().map(|p| p.text.as_str()).collect();
    assert!(
        whole.contains("<b>models</b> &"),
        "the text is returned raw; the web layer escapes it: {whole}"
    );
}

#[test]
fn hidden_papers_leave_and_replaced_papers_change() {
    let idx = index_with(&corpus());
    let mut p = corpus()[1].clone();
    p.title = "Recurrence is all you need".into();
    idx.upsert(&[
        ChangedPaper {
            seq: 10,
            paper: p,
            hidden: false,
        },
        ChangedPaper {
            seq: 11,
            paper: corpus()[0].clone(),
            hidden: true,
        },
    ])
    .unwrap();
    idx.commit(11).unwrap();
    assert_eq!(idx.len(), 3);
    assert_eq!(ids(&idx, "recurrence"), ["2503.00002"]);
    assert!(ids(&idx, "\"negative flips\"").is_empty(), "hidden");
    assert_eq!(idx.cursor(), 11);
}

#[test]
fn hostile_queries_never_fail() {
    let idx = index_with(&corpus());
    for q in [
        "\"unbalanced",
        "a:b:c",
        "title:(x OR y",
        "*",
        "**",
        "(",
        "\\",
        "'\"'",
        "模型 更新",
        "🙂 models",
        "AND OR NOT",
        "-models",
        "+models",
        "models~2^3",
        "[1 TO 5]",
        "author: ",
        "category:\"\"",
    ] {
        match parse(q) {
            Ok(parsed) => {
                idx.search(&parsed, 10)
                    .unwrap_or_else(|e| panic!("{q}: {e}"));
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

#[test]
fn a_reopened_index_keeps_its_documents_and_cursor() {
    let dir = tempfile::tempdir().unwrap();
    {
        let idx = KeywordIndex::open(Some(dir.path())).unwrap();
        idx.upsert(&[ChangedPaper {
            seq: 7,
            paper: corpus()[0].clone(),
            hidden: false,
        }])
        .unwrap();
        idx.commit(7).unwrap();
        assert!(
            matches!(
                KeywordIndex::open(Some(dir.path())),
                Err(dp_search::SearchError::Locked)
            ),
            "one writer per folder"
        );
    }
    let idx = KeywordIndex::open(Some(dir.path())).unwrap();
    assert_eq!((idx.len(), idx.cursor()), (1, 7));
    // A broken index folder is rebuilt empty rather than failing the server.
    drop(idx);
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap() == "meta.json" {
            std::fs::write(&p, b"{ not json").unwrap();
        }
    }
    let idx = KeywordIndex::open(Some(dir.path())).unwrap();
    assert_eq!((idx.len(), idx.cursor()), (0, 0));
}

#[tokio::test]
async fn the_follower_catches_up_with_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = dp_testkit::db::test_database_url(dir.path()).await else {
        return;
    };
    let store = dp_store::open(&url).await.unwrap();
    store
        .upsert_records(corpus().into_iter().map(Record::from).collect())
        .await
        .unwrap();
    let f = Follower::new(Arc::new(
        KeywordIndex::open(Some(&dir.path().join("idx"))).unwrap(),
    ));
    assert_eq!(f.catch_up(store.as_ref(), &|_| {}).await.unwrap(), 4);
    assert_eq!(f.index().len(), 4);
    assert_eq!(f.seen(), store.change_marker().await.unwrap());
    // A new paper, and a hidden one.
    store
        .upsert_records(vec![Record::from(paper(
            "2503.00005",
            "Quantum widgets",
            "Widgets.",
            &["Q"],
            "quant-ph",
            2,
        ))])
        .await
        .unwrap();
    store
        .set_hidden(&ArxivId::parse("2503.00002").unwrap(), true)
        .await
        .unwrap();
    assert_eq!(f.catch_up(store.as_ref(), &|_| {}).await.unwrap(), 2);
    assert_eq!(ids(f.index(), "widgets"), ["2503.00005"]);
    assert!(ids(f.index(), "attention").is_empty());
    assert_eq!(
        f.catch_up(store.as_ref(), &|_| {}).await.unwrap(),
        0,
        "nothing new"
    );
}

#[tokio::test]
async fn muscle_and_meaningful_words_find_the_real_paper() {
    let Some(data) = dp_testkit::env::shared_data() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = dp_store::open(&format!(
        "sqlite://{}",
        dir.path().join("s.sqlite").display()
    ))
    .await
    .unwrap();
    let day = data.join("hf-daily/daily_papers.jsonl.gz");
    // Import the HF archive through the store's own API (the importer lives in dp-ingest).
    let mut text = String::new();
    {
        use std::io::Read;
        flate2::read::GzDecoder::new(std::fs::File::open(&day).unwrap())
            .read_to_string(&mut text)
            .unwrap();
    }
    let mut batch = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let p = &v["paper"];
        let Ok(id) = ArxivId::parse(p["id"].as_str().unwrap()) else {
            continue;
        };
        let mut paper = Paper::new(
            &id,
            p["title"].as_str().unwrap_or(""),
            p["summary"].as_str().unwrap_or(""),
        );
        paper.authors = p["authors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["name"].as_str().map(String::from))
            .collect();
        if paper.validate().is_ok() {
            batch.push(Record::from(paper));
        }
    }
    for chunk in batch.chunks(2000) {
        store.upsert_records(chunk.to_vec()).await.unwrap();
    }
    let f = Follower::new(Arc::new(KeywordIndex::open(None).unwrap()));
    let n = f.catch_up(store.as_ref(), &|_| {}).await.unwrap();
    assert!(n > 9_000, "{n}");
    assert_eq!(ids(f.index(), "MUSCLE")[0], "2407.09435");
    assert_eq!(
        ids(
            f.index(),
            "MUSCLE: A Model Update Strategy for Compatible LLM Evolution"
        )[0],
        "2407.09435"
    );
    assert!(
        ids(f.index(), "compatible model update negative flips")[..5]
            .contains(&"2407.09435".to_string())
    );
    assert_eq!(ids(f.index(), "Jessica Echterhoff")[0], "2407.09435");
}

#[test]
fn very_common_words_neither_rank_nor_highlight_beside_rarer_ones() {
    // 1,200 papers that all say "the"; three of them are about graphs.
    let papers: Vec<Paper> = (0..1_200)
        .map(|i| {
            let topic = if i % 400 == 7 { "graph" } else { "tensor" };
            paper(
                &format!("2503.{:05}", 10_000 + i),
                &format!("On the {topic} number {i}"),
                &format!("We study the {topic} problem from the start."),
                &["Ada Lovelace"],
                "cs.LG",
                1,
            )
        })
        .collect();
    let idx = index_with(&papers);
    let hits = idx.search(&parse("the graph").unwrap(), 10).unwrap();
    assert_eq!(
        hits.len(),
        3,
        "papers with only \"the\" are not results: {:?}",
        hits.iter().map(|h| &h.id).collect::<Vec<_>>()
    );
    let marked: Vec<String> = hits[0]
        .snippet
        .iter()
        .chain(&hits[0].title)
        .filter(|p| p.highlight)
        .map(|p| p.text.to_lowercase())
        .collect();
    assert!(marked.contains(&"graph".to_string()), "{marked:?}");
    assert!(!marked.contains(&"the".to_string()), "{marked:?}");
    // A query of common words only keeps them.
    assert_eq!(ids(&idx, "the").len(), 10);
    assert_eq!(ids(&idx, "from the start").len(), 10);
    // Quoted, they are a phrase like any other.
    assert_eq!(ids(&idx, "\"the graph problem\"").len(), 3);
}
