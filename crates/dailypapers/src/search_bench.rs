//! `dailypapers bench search`: retrieval quality on a BEIR set (`--beir DIR`), or query latency
//! over the shared corpus (default), with an exact id lookup as the baseline of the same run.

use anyhow::{bail, Context, Result};
use dp_core::{ArxivId, Paper, Record};
use dp_search::follow::Follower;
use dp_search::{parse, KeywordIndex};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn read_jsonl(path: &Path) -> Result<Vec<Value>> {
    let f = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let mut out = Vec::new();
    for line in std::io::BufReader::new(f).lines() {
        let line = line?;
        if !line.trim().is_empty() {
            out.push(serde_json::from_str(&line)?);
        }
    }
    Ok(out)
}

/// nDCG@10, Recall@100 and MRR@10 of one ranking against graded judgments.
fn scores(ranked: &[String], rel: &HashMap<String, i64>) -> (f64, f64, f64) {
    let gain = |g: i64| (2f64.powi(g as i32) - 1.0).max(0.0);
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, d)| gain(*rel.get(d).unwrap_or(&0)) / (i as f64 + 2.0).log2())
        .sum();
    let mut ideal: Vec<i64> = rel.values().copied().filter(|g| *g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, g)| gain(*g) / (i as f64 + 2.0).log2())
        .sum();
    let relevant: HashSet<&String> = rel
        .iter()
        .filter(|(_, g)| **g > 0)
        .map(|(d, _)| d)
        .collect();
    let found = ranked
        .iter()
        .take(100)
        .filter(|d| relevant.contains(d))
        .count();
    let recall = if relevant.is_empty() {
        0.0
    } else {
        found as f64 / relevant.len() as f64
    };
    let mrr = ranked
        .iter()
        .take(10)
        .position(|d| relevant.contains(d))
        .map_or(0.0, |i| 1.0 / (i as f64 + 1.0));
    (if idcg > 0.0 { dcg / idcg } else { 0.0 }, recall, mrr)
}

/// Quality on a BEIR set. Documents get stand-in arXiv ids (`2001.00001`, ...) so they can live
/// in a temporary store like real papers.
pub async fn beir(dir: &Path, split: &str, json_out: bool) -> Result<()> {
    let corpus = read_jsonl(&dir.join("corpus.jsonl"))?;
    let queries = read_jsonl(&dir.join("queries.jsonl"))?;
    let qrels_path = dir.join("qrels").join(format!("{split}.tsv"));
    let qrels_text = std::fs::read_to_string(&qrels_path)
        .with_context(|| format!("{}", qrels_path.display()))?;
    if corpus.len() >= 99_999 * 12 {
        bail!("corpus too large for stand-in ids");
    }
    let mut qrels: HashMap<String, HashMap<String, i64>> = HashMap::new();
    for line in qrels_text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() >= 3 {
            qrels
                .entry(f[0].to_string())
                .or_default()
                .insert(f[1].to_string(), f[2].trim().parse().unwrap_or(0));
        }
    }
    let tmp = tempfile::tempdir()?;
    let store = dp_store::open(&format!(
        "sqlite://{}",
        tmp.path().join("beir.sqlite").display()
    ))
    .await?;
    let mut to_doc = HashMap::new();
    let mut batch = Vec::new();
    for (i, d) in corpus.iter().enumerate() {
        let id = ArxivId::parse(&format!("20{:02}.{:05}", i / 99_999 + 1, i % 99_999 + 1))?;
        to_doc.insert(
            id.base().to_string(),
            d["_id"].as_str().unwrap_or_default().to_string(),
        );
        let title = d["title"].as_str().unwrap_or_default();
        let text = d["text"].as_str().unwrap_or_default();
        let title = if title.trim().is_empty() {
            "(untitled)"
        } else {
            title
        };
        batch.push(Record::from(Paper::new(&id, title, text)));
        if batch.len() == 2_000 {
            store.upsert_records(std::mem::take(&mut batch)).await?;
        }
    }
    store.upsert_records(batch).await?;
    let follower = Follower::new(Arc::new(KeywordIndex::open(None)?));
    follower.catch_up(store.as_ref(), &|_| {}).await?;
    let index = follower.index();
    let (mut n, mut r, mut m, mut lat, mut judged) = (0.0, 0.0, 0.0, Vec::new(), 0usize);
    for q in &queries {
        let qid = q["_id"].as_str().unwrap_or_default();
        let Some(rel) = qrels.get(qid) else { continue };
        let text = q["text"].as_str().unwrap_or_default();
        let t = Instant::now();
        let ranked: Vec<String> = match parse(&text.chars().take(250).collect::<String>()) {
            Ok(pq) => index
                .search(&pq, 100)?
                .into_iter()
                .filter_map(|h| to_doc.get(&h.id).cloned())
                .collect(),
            Err(_) => Vec::new(),
        };
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        let (a, b, c) = scores(&ranked, rel);
        n += a;
        r += b;
        m += c;
        judged += 1;
    }
    store.close().await;
    lat.sort_by(f64::total_cmp);
    let k = judged.max(1) as f64;
    let keyword = json!({"ndcg@10": n / k, "recall@100": r / k, "mrr@10": m / k, "p50_ms": percentile(&lat, 0.5), "p99_ms": percentile(&lat, 0.99), "queries": judged});
    let out = json!({"keyword": keyword, "semantic": null, "hybrid": null,
        "note": "semantic and hybrid ranking need the embedding model, which is not built yet"});
    if json_out {
        println!("{out}");
    } else {
        println!(
            "{} documents, {judged} judged queries ({split})",
            corpus.len()
        );
        println!(
            "{:<10} {:>8} {:>10} {:>8} {:>8} {:>8}",
            "mode", "nDCG@10", "Recall@100", "MRR@10", "p50 ms", "p99 ms"
        );
        let k = &out["keyword"];
        println!(
            "{:<10} {:>8.3} {:>10.3} {:>8.3} {:>8.2} {:>8.2}",
            "keyword",
            k["ndcg@10"].as_f64().unwrap_or(0.0),
            k["recall@100"].as_f64().unwrap_or(0.0),
            k["mrr@10"].as_f64().unwrap_or(0.0),
            k["p50_ms"].as_f64().unwrap_or(0.0),
            k["p99_ms"].as_f64().unwrap_or(0.0)
        );
        println!("semantic, hybrid: not built yet (needs the embedding model)");
    }
    Ok(())
}

/// Latency over the shared corpus: common words, phrases, filters, titles and authors, single
/// threaded, against exact id lookups in the same run.
pub async fn latency(shared: &Path, json_out: bool) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let store = dp_store::open(&format!(
        "sqlite://{}",
        tmp.path().join("s.sqlite").display()
    ))
    .await?;
    let paths = vec![
        shared.join("hf-daily/days"),
        shared.join("arxiv-bulk/daily_arxiv_cs_20250318_20260701.jsonl.gz"),
    ];
    dp_ingest::import::import_paths(
        store.clone(),
        &paths,
        &dp_ingest::import::ImportOptions::default(),
        &dp_ingest::import::NoProgress,
    )
    .await?;
    let index = Arc::new(KeywordIndex::open(Some(&tmp.path().join("index")))?);
    let follower = Follower::new(index.clone());
    let t = Instant::now();
    let n = follower.catch_up(store.as_ref(), &|_| {}).await?;
    let build = t.elapsed().as_secs_f64();
    let sample = store.papers_since(0, 400).await?;
    store.close().await;
    let mut sets: Vec<(&str, Vec<String>)> = vec![
        (
            "id lookup (baseline)",
            sample.iter().map(|c| c.paper.id.to_string()).collect(),
        ),
        (
            "common words",
            [
                "model",
                "learning",
                "models",
                "language model",
                "large language models",
                "data",
                "neural network",
                "diffusion",
                "reinforcement learning",
                "benchmark",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ),
        (
            "titles",
            sample
                .iter()
                .take(200)
                .map(|c| c.paper.title.chars().take(250).collect())
                .collect(),
        ),
        (
            "phrases and filters",
            [
                "\"graph neural network\"",
                "attention category:cs.CL",
                "agents from:2026-01-01",
                "\"in-context learning\" category:cs.LG",
                "robot to:2025-06-30",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ),
        (
            "authors",
            sample
                .iter()
                .filter_map(|c| c.paper.authors.first().cloned())
                .take(200)
                .collect(),
        ),
    ];
    let mut rows = Vec::new();
    for (name, queries) in sets.iter_mut() {
        let mut lat = Vec::new();
        for _ in 0..3 {
            for q in queries.iter() {
                let Ok(pq) = parse(q) else { continue };
                let t = Instant::now();
                let hits = index.search(&pq, 10)?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                std::hint::black_box(hits);
            }
        }
        lat.sort_by(f64::total_cmp);
        rows.push(json!({"set": name, "queries": lat.len(), "p50_ms": percentile(&lat, 0.5), "p99_ms": percentile(&lat, 0.99)}));
    }
    let base = rows[0]["p50_ms"].as_f64().unwrap_or(1.0).max(1e-6);
    for r in &mut rows {
        let p50 = r["p50_ms"].as_f64().unwrap_or(0.0);
        r["p50_vs_baseline"] = json!(p50 / base);
    }
    if json_out {
        println!(
            "{}",
            json!({"papers": n, "index_build_s": build, "keyword": rows})
        );
    } else {
        println!("{n} papers indexed in {build:.1} s; keyword search, top 10, single-threaded:");
        println!(
            "{:<22} {:>8} {:>8} {:>8} {:>12}",
            "queries", "count", "p50 ms", "p99 ms", "p50 vs base"
        );
        for r in &rows {
            println!(
                "{:<22} {:>8} {:>8.3} {:>8.3} {:>12.1}",
                r["set"].as_str().unwrap_or(""),
                r["queries"],
                r["p50_ms"].as_f64().unwrap_or(0.0),
                r["p99_ms"].as_f64().unwrap_or(0.0),
                r["p50_vs_baseline"].as_f64().unwrap_or(0.0)
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking_metrics() {
        let rel: HashMap<String, i64> = [("a".to_string(), 1), ("b".to_string(), 1)].into();
        let perfect = scores(&["a".into(), "b".into(), "c".into()], &rel);
        assert!((perfect.0 - 1.0).abs() < 1e-9 && perfect.1 == 1.0 && perfect.2 == 1.0);
        let late = scores(&["c".into(), "a".into()], &rel);
        assert!(late.0 < 1.0 && late.1 == 0.5 && late.2 == 0.5);
        assert_eq!(scores(&[], &rel), (0.0, 0.0, 0.0));
    }
}
