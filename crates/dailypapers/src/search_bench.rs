//! `dailypapers bench search`: retrieval quality on a BEIR set (`--beir DIR`), or query latency
//! over the shared corpus (default), with an exact id lookup as the baseline of the same run.

use crate::config::Config;
use crate::progress::CountBar;
use anyhow::{bail, Context, Result};
use dp_core::{ArxivId, Paper, Record};
use dp_search::embed::{paper_text, Embedder};
use dp_search::follow::Follower;
use dp_search::vector::VectorIndex;
use dp_search::{parse, Candidate, Engine, Fusion, KeywordIndex, Mode, Semantic};
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

/// Embeds `texts` with a progress bar, or reads them from the cache in
/// `DATA_DIR/cache/embeddings`, keyed by the model's name and weights size and every text.
pub fn embed_cached(
    embedder: &Embedder,
    model_dir: &Path,
    texts: &[String],
    config: &Config,
    label: &'static str,
) -> Result<Vec<Vec<f32>>> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(embedder.name().as_bytes());
    let weights = std::fs::metadata(model_dir.join("model.safetensors"))?.len();
    h.update(weights.to_le_bytes());
    h.update((embedder.max_tokens() as u64).to_le_bytes());
    for t in texts {
        h.update((t.len() as u64).to_le_bytes());
        h.update(t.as_bytes());
    }
    let key: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let dir = config.data_dir.join("cache").join("embeddings");
    let path = dir.join(format!("{}-{}.f32", embedder.name(), &key[..32]));
    let dim = embedder.dim();
    if let Ok(bytes) = std::fs::read(&path) {
        if bytes.len() == texts.len() * dim * 4 {
            return Ok(bytes
                .chunks_exact(dim * 4)
                .map(|row| {
                    row.chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect()
                })
                .collect());
        }
    }
    let bar = CountBar::new(label);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let total = refs.len() as u64;
    let vectors = embedder.embed_many(&refs, 32, &|done| bar.update(done as u64, total))?;
    bar.finish();
    std::fs::create_dir_all(&dir)?;
    let bytes: Vec<u8> = vectors
        .iter()
        .flat_map(|v| v.iter().flat_map(|x| x.to_le_bytes()))
        .collect();
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)?;
    Ok(vectors)
}

/// Per-mode figures of one BEIR run.
#[derive(Default)]
struct Tally {
    ndcg: f64,
    recall: f64,
    mrr: f64,
    lat: Vec<f64>,
    n: usize,
}

impl Tally {
    fn add(&mut self, ranked: &[String], rel: &HashMap<String, i64>, ms: f64) {
        let (a, b, c) = scores(ranked, rel);
        self.ndcg += a;
        self.recall += b;
        self.mrr += c;
        self.lat.push(ms);
        self.n += 1;
    }

    fn json(&mut self) -> Value {
        self.lat.sort_by(f64::total_cmp);
        let k = self.n.max(1) as f64;
        json!({"ndcg@10": self.ndcg / k, "recall@100": self.recall / k, "mrr@10": self.mrr / k,
            "p50_ms": percentile(&self.lat, 0.5), "p99_ms": percentile(&self.lat, 0.99), "queries": self.n})
    }
}

/// Fusions compared on every run (the default is the first).
fn fusion_variants() -> Vec<(String, Fusion)> {
    let mut v = vec![(
        format!("default {:?}", Fusion::default()),
        Fusion::default(),
    )];
    v.push((
        "rrf k=60 (plain)".into(),
        Fusion::Rrf {
            k: 60.0,
            keyword_weight: 1.0,
        },
    ));
    for kw in [0.5f32, 2.0] {
        v.push((
            format!("rrf k=60 keyword x{kw}"),
            Fusion::Rrf {
                k: 60.0,
                keyword_weight: kw,
            },
        ));
    }
    for alpha in [0.1f32, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7] {
        v.push((format!("convex alpha={alpha}"), Fusion::Convex { alpha }));
    }
    v
}

/// Quality on a BEIR set. Documents get stand-in arXiv ids (`2001.00001`, ...) so they can live
/// in a temporary store like real papers.
pub async fn beir(
    dir: &Path,
    split: &str,
    model_dir: &Path,
    config: &Config,
    json_out: bool,
) -> Result<()> {
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
    let embedder = if model_dir.join("model.safetensors").exists() {
        Some(Arc::new(Embedder::load(model_dir)?))
    } else {
        eprintln!(
            "no embedding model in {} (run scripts/fetch-model.sh): keyword mode only",
            model_dir.display()
        );
        None
    };
    let tmp = tempfile::tempdir()?;
    let store = dp_store::open(&format!(
        "sqlite://{}",
        tmp.path().join("beir.sqlite").display()
    ))
    .await?;
    let mut to_doc = HashMap::new();
    let mut batch = Vec::new();
    let mut ids = Vec::new();
    let mut texts = Vec::new();
    for (i, d) in corpus.iter().enumerate() {
        let id = ArxivId::parse(&format!("20{:02}.{:05}", i / 99_999 + 1, i % 99_999 + 1))?;
        to_doc.insert(
            id.base().to_string(),
            d["_id"].as_str().unwrap_or_default().to_string(),
        );
        let title = d["title"].as_str().unwrap_or_default();
        let text = d["text"].as_str().unwrap_or_default();
        texts.push(paper_text(title, text));
        ids.push(id.base().to_string());
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
    store.close().await;
    let mut engine = Engine::keyword_only(follower.index().clone());
    if let Some(embedder) = &embedder {
        let vectors = embed_cached(embedder, model_dir, &texts, config, "embedding corpus")?;
        let index = VectorIndex::new(embedder.dim(), config.vector_config());
        index.upsert(&ids.iter().cloned().zip(vectors).collect::<Vec<_>>())?;
        engine.semantic = Some(Semantic {
            embedder: embedder.clone(),
            vectors: Arc::new(index),
        });
    }
    let variants = fusion_variants();
    let mut keyword = Tally::default();
    let mut semantic = Tally::default();
    let mut hybrid = Tally::default();
    let mut tuned: Vec<Tally> = variants.iter().map(|_| Tally::default()).collect();
    let docs = |c: Vec<Candidate>| -> Vec<String> {
        c.into_iter()
            .filter_map(|h| to_doc.get(&h.id).cloned())
            .collect()
    };
    for q in &queries {
        let qid = q["_id"].as_str().unwrap_or_default();
        let Some(rel) = qrels.get(qid) else { continue };
        let text: String = q["text"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(250)
            .collect();
        let Ok(pq) = parse(&text) else {
            for t in [&mut keyword, &mut semantic, &mut hybrid] {
                t.add(&[], rel, 0.0);
            }
            continue;
        };
        let t = Instant::now();
        let ranked = docs(engine.rank(&pq, 100, Mode::Keyword, None)?);
        keyword.add(&ranked, rel, t.elapsed().as_secs_f64() * 1000.0);
        if engine.semantic.is_none() {
            continue;
        }
        // Semantic and hybrid latency include embedding the query.
        let t = Instant::now();
        let qv = engine.embed_query(&pq)?.unwrap_or_default();
        let embed_ms = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let ranked = docs(engine.rank(&pq, 100, Mode::Semantic, Some(&qv))?);
        semantic.add(&ranked, rel, embed_ms + t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let ranked = docs(engine.rank(&pq, 100, Mode::Hybrid, Some(&qv))?);
        hybrid.add(&ranked, rel, embed_ms + t.elapsed().as_secs_f64() * 1000.0);
        for ((_, fusion), tally) in variants.iter().zip(tuned.iter_mut()) {
            let mut e = engine.clone();
            e.fusion = *fusion;
            let t = Instant::now();
            let ranked = docs(e.rank(&pq, 100, Mode::Hybrid, Some(&qv))?);
            tally.add(&ranked, rel, embed_ms + t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let has_semantic = engine.semantic.is_some();
    let out = json!({
        "keyword": keyword.json(),
        "semantic": if has_semantic { semantic.json() } else { Value::Null },
        "hybrid": if has_semantic { hybrid.json() } else { Value::Null },
        "fusion": format!("{:?}", Fusion::default()),
        "fusion_variants": if has_semantic {
            variants.iter().zip(tuned.iter_mut()).map(|((name, _), t)| {
                let mut j = t.json();
                j["fusion"] = json!(name);
                j
            }).collect::<Vec<_>>()
        } else { Vec::new() },
    });
    if json_out {
        println!("{out}");
        return Ok(());
    }
    println!(
        "{} documents, {} judged queries ({split})",
        corpus.len(),
        keyword.n
    );
    println!(
        "{:<28} {:>8} {:>10} {:>8} {:>8} {:>8}",
        "mode", "nDCG@10", "Recall@100", "MRR@10", "p50 ms", "p99 ms"
    );
    let row = |name: &str, k: &Value| {
        println!(
            "{:<28} {:>8.3} {:>10.3} {:>8.3} {:>8.2} {:>8.2}",
            name,
            k["ndcg@10"].as_f64().unwrap_or(0.0),
            k["recall@100"].as_f64().unwrap_or(0.0),
            k["mrr@10"].as_f64().unwrap_or(0.0),
            k["p50_ms"].as_f64().unwrap_or(0.0),
            k["p99_ms"].as_f64().unwrap_or(0.0)
        );
    };
    for mode in ["keyword", "semantic", "hybrid"] {
        if out[mode].is_null() {
            println!("{mode}: no embedding model");
        } else {
            row(mode, &out[mode]);
        }
    }
    if has_semantic {
        println!("hybrid fusions compared:");
        for v in out["fusion_variants"].as_array().into_iter().flatten() {
            row(&format!("  {}", v["fusion"].as_str().unwrap_or("")), v);
        }
    }
    Ok(())
}

/// Latency over the shared corpus: common words, phrases, filters, titles and authors, single
/// threaded, against exact id lookups in the same run.
pub async fn latency(
    shared: &Path,
    _model_dir: &Path,
    _config: &Config,
    json_out: bool,
) -> Result<()> {
    latency_keyword(shared, json_out).await
}

async fn latency_keyword(shared: &Path, json_out: bool) -> Result<()> {
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
