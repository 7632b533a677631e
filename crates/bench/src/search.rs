//! `dailypapers bench search`: retrieval quality on a BEIR set (`--beir DIR`), or query latency
//! over the shared corpus (default), with an exact id lookup as the baseline of the same run.

use anyhow::{bail, Context, Result};
use dp_app::config::Config;
use dp_cli::progress::CountBar;
use dp_core::{ArxivId, Paper, Record};
use dp_search::embed::{paper_text, Embedder};
use dp_search::follow::Follower;
use dp_search::vector::VectorIndex;
use dp_search::{parse, Candidate, Engine, Feedback, Fusion, KeywordIndex, Mode, Semantic};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Very common words: the worst case of a keyword index (long posting lists).
pub const COMMON_WORDS: [&str; 10] = [
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
];

/// Questions in a reader's words, sharing few words with the papers that answer them.
pub const QUESTIONS: [&str; 8] = [
    "reducing negative flips when updating a model",
    "how to make transformers faster on long documents",
    "robots that learn from watching videos",
    "detecting hallucinations in chatbots",
    "compressing neural networks for phones",
    "privacy attacks on federated learning",
    "generating 3d scenes from text",
    "evaluating code generation by language models",
];

/// Imports the shared corpus (hf-daily days and the arXiv bulk file) into a new SQLite store
/// in `dir`.
pub async fn import_shared(shared: &Path, dir: &Path) -> Result<Arc<dyn dp_store::Store>> {
    let store = dp_store::open(&format!("sqlite://{}", dir.join("s.sqlite").display())).await?;
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
    Ok(store)
}

/// `"p50 / p99"` of a `{"p50_ms": .., "p99_ms": ..}` object, for the benches' tables.
pub fn p50_p99(v: &Value) -> String {
    format!(
        "{:.2} / {:.2}",
        v["p50_ms"].as_f64().unwrap_or(0.0),
        v["p99_ms"].as_f64().unwrap_or(0.0)
    )
}

/// The value at fraction `p` of a sorted list.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
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
fn fusion_variants() -> Vec<(String, Fusion, Option<Feedback>)> {
    let mut v = vec![(
        format!("default {:?}", Fusion::default()),
        Fusion::default(),
        None,
    )];
    v.push((
        "rrf k=60 (plain)".into(),
        Fusion::Rrf {
            k: 60.0,
            keyword_weight: 1.0,
        },
        None,
    ));
    for alpha in [0.3f32, 0.4, 0.5, 0.6] {
        v.push((
            format!("convex alpha={alpha}"),
            Fusion::Convex { alpha },
            None,
        ));
    }
    for alpha in [0.2f32, 0.3, 0.4, 0.5] {
        v.push((
            format!("zscore alpha={alpha}"),
            Fusion::ZScore { alpha },
            None,
        ));
    }
    for k in [10.0f32, 20.0, 40.0] {
        v.push((
            format!("rrf k={k}"),
            Fusion::Rrf {
                k,
                keyword_weight: 1.0,
            },
            None,
        ));
    }
    v.push((
        "default + prf 3x0.5".into(),
        Fusion::default(),
        Some(Feedback {
            docs: 3,
            weight: 0.5,
        }),
    ));
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
        for ((_, fusion, feedback), tally) in variants.iter().zip(tuned.iter_mut()) {
            let mut e = engine.clone();
            e.fusion = *fusion;
            e.feedback = *feedback;
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
            variants.iter().zip(tuned.iter_mut()).map(|((name, _, _), t)| {
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
    model_dir: &Path,
    config: &Config,
    python: Option<&Path>,
    json_out: bool,
) -> Result<()> {
    latency_keyword(shared, json_out).await?;
    if !model_dir.join("model.safetensors").exists() {
        println!(
            "semantic and hybrid: no embedding model in {} (run scripts/fetch-model.sh)",
            model_dir.display()
        );
        return Ok(());
    }
    latency_semantic(shared, model_dir, config, python, json_out).await
}

/// A fixed query set, owned.
pub(crate) fn owned(queries: &[&str]) -> Vec<String> {
    queries.iter().map(|s| s.to_string()).collect()
}

/// The titles of the first `n` sampled papers, as queries (at most 250 characters).
fn titles(sample: &[dp_store::ChangedPaper], n: usize) -> Vec<String> {
    sample
        .iter()
        .take(n)
        .map(|c| c.paper.title.chars().take(250).collect())
        .collect()
}

/// The first authors of the first `n` sampled papers that have one, as queries.
fn first_authors(sample: &[dp_store::ChangedPaper], n: usize) -> Vec<String> {
    sample
        .iter()
        .filter_map(|c| c.paper.authors.first().cloned())
        .take(n)
        .collect()
}

fn rss_mib() -> f64 {
    crate::status_mib("self", &["VmRSS:"])[0]
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed().as_secs_f64() * 1000.0)
}

/// Semantic and hybrid latency over the shared corpus with the shared reference vectors
/// (HNSW above the threshold), recall@10 of the graph against exact search, and embedding
/// throughput on 500 shared papers against Python sentence-transformers when `python` names
/// an interpreter that has it.
async fn latency_semantic(
    shared: &Path,
    model_dir: &Path,
    config: &Config,
    python: Option<&Path>,
    json_out: bool,
) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let store = import_shared(shared, tmp.path()).await?;
    let (report, import_ms) = {
        let t = Instant::now();
        let r = dp_search::jobs::import_vectors(
            store.as_ref(),
            &shared.join("vectors/all-MiniLM-L6-v2.f16"),
            None,
            None,
            model_dir,
            &|_, _| {},
        )
        .await?;
        (r, t.elapsed().as_secs_f64() * 1000.0)
    };
    let embedder = Arc::new(Embedder::load(model_dir)?);
    let rss_before = rss_mib();
    let vectors = Arc::new(VectorIndex::new(embedder.dim(), config.vector_config()));
    let follower = Follower::new(Arc::new(KeywordIndex::open(Some(
        &tmp.path().join("index"),
    ))?))
    .with_semantic(Semantic {
        embedder: embedder.clone(),
        vectors: vectors.clone(),
    });
    follower.catch_up(store.as_ref(), &|_| {}).await?;
    let t = Instant::now();
    let loaded = follower.load_vectors(store.as_ref(), &|_| {}).await?;
    let load_s = t.elapsed().as_secs_f64();
    let rss_after = rss_mib();
    // Exact ground truth: the same vectors in a flat index.
    let exact = VectorIndex::new(
        embedder.dim(),
        dp_search::vector::VectorConfig {
            hnsw_threshold: usize::MAX,
            ..Default::default()
        },
    );
    let mut after: Option<String> = None;
    loop {
        let rows = store
            .vectors_after(embedder.name(), after.as_deref(), 10_000)
            .await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.0.clone());
        exact.upsert(&rows)?;
    }
    let sample = store.papers_since(0, 600).await?;
    let texts: Vec<String> = sample
        .iter()
        .take(500)
        .map(|c| paper_text(&c.paper.title, &c.paper.abstract_text))
        .collect();
    store.close().await;
    let engine = follower.engine();

    // Query sets (as in the keyword run).
    let sets: Vec<(&str, Vec<String>)> = vec![
        ("common words", owned(&COMMON_WORDS)),
        ("questions", owned(&QUESTIONS)),
        ("titles", titles(&sample, 100)),
        ("authors", first_authors(&sample, 100)),
    ];
    let mut rows = Vec::new();
    let (mut agree, mut total) = (0usize, 0usize);
    for (name, queries) in &sets {
        let mut lat: HashMap<&str, Vec<f64>> = HashMap::new();
        for round in 0..2 {
            for q in queries {
                let Ok(pq) = parse(q) else { continue };
                let (qv, embed_ms) = timed(|| engine.embed_query(&pq));
                let qv = qv?.unwrap_or_default();
                let (k, kw_ms) = timed(|| engine.rank(&pq, 10, Mode::Keyword, None));
                std::hint::black_box(k?);
                let (s, sem_ms) = timed(|| engine.rank(&pq, 10, Mode::Semantic, Some(&qv)));
                std::hint::black_box(s?);
                let (h, hy_ms) = timed(|| engine.search(&pq, 10, Mode::Hybrid));
                std::hint::black_box(h?);
                if round == 1 {
                    lat.entry("embed").or_default().push(embed_ms);
                    lat.entry("keyword").or_default().push(kw_ms);
                    lat.entry("semantic").or_default().push(embed_ms + sem_ms);
                    lat.entry("hybrid").or_default().push(hy_ms);
                    let approx = vectors.search(&qv, 10, None)?;
                    let truth: HashSet<String> = exact
                        .search(&qv, 10, None)?
                        .into_iter()
                        .map(|h| h.0)
                        .collect();
                    agree += approx.iter().filter(|h| truth.contains(&h.0)).count();
                    total += truth.len();
                }
            }
        }
        let mut row = json!({"set": name, "queries": queries.len()});
        for (mode, mut v) in lat {
            v.sort_by(f64::total_cmp);
            row[mode] = json!({"p50_ms": percentile(&v, 0.5), "p99_ms": percentile(&v, 0.99)});
        }
        rows.push(row);
    }
    let recall = agree as f64 / total.max(1) as f64;
    // Recall and speed of the graph against exact search for other search widths, with the
    // query sets' vectors and 300 papers' own vectors as queries.
    // Probes by kind: each query set's text, and 300 papers' own vectors (similar papers).
    let mut probes: Vec<(&str, Vec<f32>)> = Vec::new();
    for (name, queries) in &sets {
        for q in queries {
            if let Ok(pq) = parse(q) {
                probes.push((*name, engine.embed_query(&pq)?.unwrap_or_default()));
            }
        }
    }
    probes.extend(
        sample
            .iter()
            .take(300)
            .filter_map(|c| exact.get(c.paper.id.base()))
            .map(|v| ("paper vectors", v)),
    );
    let truths: Vec<HashSet<String>> = probes
        .iter()
        .map(|(_, p)| {
            Ok(exact
                .search(p, 10, None)?
                .into_iter()
                .map(|h| h.0)
                .collect())
        })
        .collect::<Result<_>>()?;
    let mut sweep = Vec::new();
    for ef in [64usize, 128, 256, 512, 1024] {
        vectors.set_expansion_search(ef);
        let mut lat = Vec::new();
        // kind -> (found, of)
        let mut by_kind: Vec<(&str, usize, usize)> = Vec::new();
        for ((kind, p), truth) in probes.iter().zip(&truths) {
            let (approx, ms) = timed(|| vectors.search(p, 10, None));
            lat.push(ms);
            let hit = approx?.iter().filter(|h| truth.contains(&h.0)).count();
            match by_kind.iter_mut().find(|k| k.0 == *kind) {
                Some(k) => {
                    k.1 += hit;
                    k.2 += truth.len();
                }
                None => by_kind.push((kind, hit, truth.len())),
            }
        }
        lat.sort_by(f64::total_cmp);
        let (_, exact_ms) = timed(|| exact.search(&probes[0].1, 10, None));
        let (hit, all) = by_kind.iter().fold((0, 0), |a, k| (a.0 + k.1, a.1 + k.2));
        let kinds: serde_json::Map<String, Value> = by_kind
            .iter()
            .map(|k| (k.0.to_string(), json!(k.1 as f64 / k.2.max(1) as f64)))
            .collect();
        sweep.push(json!({"expansion_search": ef,
            "recall@10": hit as f64 / all.max(1) as f64, "recall@10_by_kind": kinds,
            "p50_ms": percentile(&lat, 0.5), "p99_ms": percentile(&lat, 0.99), "exact_one_query_ms": exact_ms}));
    }
    vectors.set_expansion_search(config.vector_config().expansion_search);

    // Embedding throughput on 500 shared papers (batches of 32), both cores.
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let t = Instant::now();
    embedder.embed_many(&refs, 32, &|_| {})?;
    let rust_docs_s = refs.len() as f64 / t.elapsed().as_secs_f64();
    let tokens: usize = refs.iter().map(|t| embedder.token_count(t)).sum::<usize>();
    let python_docs_s = match python {
        Some(py) => python_throughput(py, model_dir, &texts, tmp.path(), "fp32")?,
        None => None,
    };
    let out = json!({
        "papers": loaded,
        "vectors_import_s": import_ms / 1000.0,
        "vectors_import_report": report,
        "vector_index": {
            "approximate": vectors.is_approximate(),
            "load_s": load_s,
            "memory_mib": vectors.memory_bytes() as f64 / 1048576.0,
            "rss_growth_mib": rss_after - rss_before,
            "recall@10_vs_exact": recall,
            "sweep": sweep,
        },
        "latency": rows,
        "embedding": {
            "docs": refs.len(),
            "mean_tokens": tokens as f64 / refs.len().max(1) as f64,
            "rust_docs_per_s": rust_docs_s,
            "python_docs_per_s": python_docs_s,
            "rust_vs_python": python_docs_s.map(|p| rust_docs_s / p),
        },
    });
    if json_out {
        println!("{out}");
        return Ok(());
    }
    println!(
        "\n{loaded} vectors loaded in {load_s:.1} s ({}; {:.0} MiB in the index); recall@10 of the index against exact search: {recall:.3}",
        if vectors.is_approximate() { "HNSW" } else { "exact" },
        vectors.memory_bytes() as f64 / 1048576.0
    );
    for w in &sweep {
        let kinds: Vec<String> = w["recall@10_by_kind"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k} {:.3}", v.as_f64().unwrap_or(0.0)))
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "  search width {:>4}: recall@10 {:.3} ({}), p50 {:.3} ms, p99 {:.3} ms (exact search: {:.2} ms)",
            w["expansion_search"],
            w["recall@10"].as_f64().unwrap_or(0.0),
            kinds.join(", "),
            w["p50_ms"].as_f64().unwrap_or(0.0),
            w["p99_ms"].as_f64().unwrap_or(0.0),
            w["exact_one_query_ms"].as_f64().unwrap_or(0.0)
        );
    }
    println!(
        "{:<14} {:>7} {:>18} {:>18} {:>18} {:>18}",
        "queries",
        "count",
        "embed p50/p99",
        "keyword p50/p99",
        "semantic p50/p99",
        "hybrid p50/p99"
    );
    for r in &rows {
        let f = |m: &str| p50_p99(&r[m]);
        println!(
            "{:<14} {:>7} {:>18} {:>18} {:>18} {:>18}",
            r["set"].as_str().unwrap_or(""),
            r["queries"],
            f("embed"),
            f("keyword"),
            f("semantic"),
            f("hybrid")
        );
    }
    println!(
        "embedding 500 shared papers (mean {:.0} tokens): {rust_docs_s:.1} docs/s in Rust{}",
        tokens as f64 / refs.len().max(1) as f64,
        match python_docs_s {
            Some(p) => format!(
                ", {p:.1} docs/s in Python sentence-transformers (ratio {:.2})",
                rust_docs_s / p
            ),
            None => " (pass --python PATH for the sentence-transformers comparison)".into(),
        }
    );
    Ok(())
}

/// Docs/s of Python sentence-transformers on the same texts and CPU, with the model's
/// weights and arithmetic in `dtype` (`"fp32"`, or `"bf16"`: PyTorch's bfloat16 path).
pub(crate) fn python_throughput(
    python: &Path,
    model_dir: &Path,
    texts: &[String],
    tmp: &Path,
    dtype: &str,
) -> Result<Option<f64>> {
    let input = tmp.join("texts.json");
    std::fs::write(&input, serde_json::to_vec(texts)?)?;
    let script = r#"
import json, sys, time
from sentence_transformers import SentenceTransformer
texts = json.load(open(sys.argv[2]))
m = SentenceTransformer(sys.argv[1], device="cpu")
if sys.argv[3] == "bf16":
    import torch
    m = m.to(torch.bfloat16)
m.max_seq_length = 256
m.encode(texts[:32], batch_size=32)
t = time.perf_counter()
m.encode(texts, batch_size=32)
print(json.dumps({"docs_per_s": len(texts) / (time.perf_counter() - t)}))
"#;
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(model_dir)
        .arg(&input)
        .arg(dtype)
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    if !out.status.success() {
        eprintln!(
            "python comparison failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return Ok(None);
    }
    let v: Value = serde_json::from_slice(
        out.stdout
            .split(|b| *b == b'\n')
            .rfind(|l| !l.is_empty())
            .unwrap_or_default(),
    )?;
    Ok(v["docs_per_s"].as_f64())
}

async fn latency_keyword(shared: &Path, json_out: bool) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let store = import_shared(shared, tmp.path()).await?;
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
        ("common words", owned(&COMMON_WORDS)),
        ("titles", titles(&sample, 200)),
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
        ("authors", first_authors(&sample, 200)),
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
        println!(
            "{n} papers indexed in {build:.1} s; keyword search, top 10, one query at a time:"
        );
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
