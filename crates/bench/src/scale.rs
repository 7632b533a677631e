//! `dailypapers bench search --scale N`: search over a corpus of N papers built from the real
//! ones, with the structures a server holds (the keyword index on disk, the vector index and
//! the model in memory), reporting build times, hybrid and keyword latency, and memory.
//!
//! Paper `i` is real paper `i mod P` (P = 80,317 shared papers) under a synthetic arXiv id
//! (`15MM.NNNNN`). The first P keep their reference vectors; every later one gets the
//! normalised mixture `0.75·v(i mod P) + 0.25·v(j)` of its own paper's vector and another
//! paper's, so the vectors are realistic without hours of embedding and no two are equal.

use anyhow::{bail, Context, Result};
use dp_app::config::Config;
use dp_cli::progress::CountBar;
use dp_core::ArxivId;
use dp_search::embed::Embedder;
use dp_search::vector::VectorIndex;
use dp_search::{parse, Engine, KeywordIndex, Mode, Semantic};
use dp_store::ChangedPaper;
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const BATCH: usize = 10_000;

/// Memory of this process in MiB: resident, peak resident, anonymous (heap) and file-backed
/// (memory-mapped index files, which the kernel can drop and re-read) parts of the resident.
fn memory_mib() -> (f64, f64, f64, f64) {
    let m = crate::status_mib("self", &["VmRSS:", "VmHWM:", "RssAnon:", "RssFile:"]);
    (m[0], m[1], m[2], m[3])
}

/// The synthetic id of paper `i`: months 1501..1512, numbers 10000..99999 (1,080,000 ids).
fn synthetic_id(i: usize) -> Result<ArxivId> {
    let month = i / 90_000 + 1;
    if month > 12 {
        bail!("at most 1,080,000 synthetic papers");
    }
    Ok(ArxivId::parse(&format!(
        "15{month:02}.{:05}",
        10_000 + i % 90_000
    ))?)
}

/// Resident file-backed memory in MiB per kind of mapped file (extension; index files are
/// named `SEGMENT.EXT`), largest first, from `/proc/self/smaps`.
fn mapped_by_kind() -> Vec<(String, f64)> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
    let mut by: HashMap<String, f64> = HashMap::new();
    let mut current: Option<String> = None;
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            // A mapping's header: ADDRESS PERMS OFFSET DEV INODE [PATH].
            current = words.nth(4).map(|path| {
                Path::new(path)
                    .extension()
                    .map_or("other", |e| e.to_str().unwrap_or("other"))
                    .to_string()
            });
        } else if first == "Rss:" {
            if let (Some(kind), Some(kb)) =
                (&current, words.next().and_then(|k| k.parse::<f64>().ok()))
            {
                *by.entry(kind.clone()).or_default() += kb / 1024.0;
            }
        }
    }
    let mut out: Vec<(String, f64)> = by.into_iter().filter(|(_, m)| *m >= 1.0).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// Runs the benchmark over `n` papers.
pub async fn run(
    shared: &Path,
    model_dir: &Path,
    config: &Config,
    n: usize,
    json_out: bool,
) -> Result<()> {
    let (rss_start, ..) = memory_mib();
    let tmp = tempfile::tempdir()?;
    let store = crate::search::import_shared(shared, tmp.path()).await?;
    let base: Vec<ChangedPaper> = store.papers_since(0, i64::MAX).await?;
    store.close().await;
    // Reference vectors of the base papers, as f32 rows in base order.
    let ids_txt = std::fs::read_to_string(shared.join("vectors/ids.txt"))
        .context("reading vectors/ids.txt")?;
    let matrix = std::fs::read(shared.join("vectors/all-MiniLM-L6-v2.f16"))
        .context("reading vectors/all-MiniLM-L6-v2.f16")?;
    let (rss_data, ..) = memory_mib();
    let embedder = Arc::new(Embedder::load(model_dir)?);
    let (rss_model, ..) = memory_mib();
    let dim = embedder.dim();
    let row_of: HashMap<&str, usize> = ids_txt.lines().enumerate().map(|(i, id)| (id, i)).collect();
    let mut base_vectors: Vec<Vec<f32>> = Vec::with_capacity(base.len());
    for c in &base {
        let Some(&row) = row_of.get(c.paper.id.base()) else {
            bail!("paper {} has no reference vector", c.paper.id);
        };
        base_vectors.push(
            matrix[row * dim * 2..(row + 1) * dim * 2]
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
        );
    }
    drop(matrix);
    let p = base.len();
    if p < 100 {
        bail!("the shared data gave only {p} papers");
    }
    // Queries: common words, questions, 100 titles and 100 authors of the base papers.
    let titles: Vec<String> = base
        .iter()
        .step_by(p / 100)
        .take(100)
        .map(|c| c.paper.title.chars().take(250).collect())
        .collect();
    let authors: Vec<String> = base
        .iter()
        .step_by(p / 100)
        .filter_map(|c| c.paper.authors.first().cloned())
        .take(100)
        .collect();

    // The keyword index, on disk as a server keeps it.
    let keyword = Arc::new(KeywordIndex::open(Some(&tmp.path().join("index")))?);
    let bar = CountBar::new("keyword index");
    let t = Instant::now();
    for start in (0..n).step_by(BATCH) {
        let batch: Vec<ChangedPaper> = (start..(start + BATCH).min(n))
            .map(|i| {
                let mut c = base[i % p].clone();
                c.paper.id = synthetic_id(i)?;
                c.seq = i as i64;
                Ok(c)
            })
            .collect::<Result<_>>()?;
        keyword.upsert(&batch)?;
        bar.update((start + batch.len()) as u64, n as u64);
    }
    keyword.commit(n as i64)?;
    bar.finish();
    let keyword_s = t.elapsed().as_secs_f64();
    drop(base);
    let (rss_keyword, ..) = memory_mib();

    // The vector index, in memory as a server keeps it (HNSW above the threshold).
    let vectors = Arc::new(VectorIndex::new(dim, config.vector_config()));
    let bar = CountBar::new("vector index");
    let t = Instant::now();
    for start in (0..n).step_by(BATCH) {
        let rows: Vec<(String, Vec<f32>)> = (start..(start + BATCH).min(n))
            .map(|i| {
                let own = &base_vectors[i % p];
                let v = if i < p {
                    own.clone()
                } else {
                    let other = &base_vectors[(i.wrapping_mul(7919) + 17) % p];
                    normalised(
                        own.iter()
                            .zip(other)
                            .map(|(a, b)| 0.75 * a + 0.25 * b)
                            .collect(),
                    )
                };
                Ok((synthetic_id(i)?.base().to_string(), v))
            })
            .collect::<Result<_>>()?;
        vectors.upsert(&rows)?;
        bar.update((start + rows.len()) as u64, n as u64);
    }
    bar.finish();
    let vector_s = t.elapsed().as_secs_f64();
    let (rss_vectors, ..) = memory_mib();

    drop(base_vectors);
    let engine = Engine {
        keyword,
        semantic: Some(Semantic {
            embedder: embedder.clone(),
            vectors: vectors.clone(),
        }),
        fusion: Default::default(),
        feedback: None,
    };
    let sets: Vec<(&str, Vec<String>)> = vec![
        (
            "common words",
            crate::search::owned(&crate::search::COMMON_WORDS),
        ),
        ("questions", crate::search::owned(&crate::search::QUESTIONS)),
        ("titles", titles),
        ("authors", authors),
    ];
    let (before_collect, ..) = memory_mib();
    dp_cli::release_free_memory();
    let (after_collect, ..) = memory_mib();
    let (rows, all_hybrid) = latency_rows(&engine, &sets)?;
    let (rss, peak, anon, file) = memory_mib();
    let mapped = mapped_by_kind();
    let out = json!({
        "papers": n,
        "keyword_index_s": keyword_s,
        "vector_index_s": vector_s,
        "vector_index_mib": vectors.memory_bytes() as f64 / 1048576.0,
        "approximate": vectors.is_approximate(),
        "latency": rows,
        "hybrid_all": {"p50_ms": crate::search::percentile(&all_hybrid, 0.5), "p99_ms": crate::search::percentile(&all_hybrid, 0.99)},
        "rss_mib": rss,
        "rss_anon_mib": anon,
        "rss_file_mib": file,
        "peak_rss_mib": peak,
        "rss_at_start_mib": rss_start,
        "rss_with_data_mib": rss_data,
        "rss_with_model_mib": rss_model,
        "rss_with_keyword_index_mib": rss_keyword,
        "rss_with_vector_index_mib": rss_vectors,
        "rss_built_mib": before_collect,
        "rss_collected_mib": after_collect,
        "rss_file_by_kind_mib": mapped.iter().cloned().collect::<HashMap<String, f64>>(),
    });
    if json_out {
        println!("{out}");
        return Ok(());
    }
    println!(
        "{n} papers: keyword index built in {keyword_s:.0} s, vector index ({}) in {vector_s:.0} s, {:.0} MiB",
        if vectors.is_approximate() { "HNSW" } else { "exact" },
        vectors.memory_bytes() as f64 / 1048576.0
    );
    println!(
        "{:<14} {:>7} {:>18} {:>18}",
        "queries", "count", "keyword p50/p99", "hybrid p50/p99"
    );
    for r in &rows {
        let f = |m: &str| crate::search::p50_p99(&r[m]);
        println!(
            "{:<14} {:>7} {:>18} {:>18}",
            r["set"].as_str().unwrap_or(""),
            r["queries"],
            f("keyword"),
            f("hybrid")
        );
    }
    println!(
        "hybrid over all {} queries: p50 {:.2} ms, p99 {:.2} ms",
        all_hybrid.len(),
        crate::search::percentile(&all_hybrid, 0.5),
        crate::search::percentile(&all_hybrid, 0.99)
    );
    println!(
        "memory: {rss:.0} MiB resident while answering ({anon:.0} MiB heap, {file:.0} MiB mapped files; peak {peak:.0} MiB, {rss_start:.0} MiB at start, {before_collect:.0} MiB after building and {after_collect:.0} MiB once freed memory went back to the kernel)"
    );
    println!(
        "resident while building: {rss_data:.0} MiB with the shared papers and vectors read, {rss_model:.0} MiB with the model, {rss_keyword:.0} MiB with the keyword index, {rss_vectors:.0} MiB with the vector index"
    );
    println!(
        "mapped files resident: {}",
        mapped
            .iter()
            .map(|(kind, mib)| format!("{kind} {mib:.0} MiB"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// Keyword and hybrid latency per query set (second of two rounds), and every hybrid time.
fn latency_rows(
    engine: &Engine,
    sets: &[(&str, Vec<String>)],
) -> Result<(Vec<serde_json::Value>, Vec<f64>)> {
    let mut rows = Vec::new();
    let mut all_hybrid = Vec::new();
    for (name, queries) in sets {
        let mut lat: HashMap<&str, Vec<f64>> = HashMap::new();
        for round in 0..2 {
            for q in queries {
                let Ok(pq) = parse(q) else { continue };
                let t = Instant::now();
                std::hint::black_box(engine.search(&pq, 10, Mode::Keyword)?);
                let kw = t.elapsed().as_secs_f64() * 1000.0;
                let t = Instant::now();
                std::hint::black_box(engine.search(&pq, 10, Mode::Hybrid)?);
                let hy = t.elapsed().as_secs_f64() * 1000.0;
                if round == 1 {
                    lat.entry("keyword").or_default().push(kw);
                    lat.entry("hybrid").or_default().push(hy);
                    all_hybrid.push(hy);
                }
            }
        }
        let mut row = json!({"set": name, "queries": queries.len()});
        for (mode, mut v) in lat {
            v.sort_by(f64::total_cmp);
            row[mode] = json!({"p50_ms": crate::search::percentile(&v, 0.5), "p99_ms": crate::search::percentile(&v, 0.99)});
        }
        rows.push(row);
    }
    all_hybrid.sort_by(f64::total_cmp);
    Ok((rows, all_hybrid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_ids_are_valid_distinct_and_bounded() {
        let mut seen = std::collections::HashSet::new();
        for i in (0..1_080_000).step_by(997) {
            assert!(
                seen.insert(synthetic_id(i).unwrap().base().to_string()),
                "{i}"
            );
        }
        assert_eq!(synthetic_id(0).unwrap().base(), "1501.10000");
        assert_eq!(synthetic_id(1_079_999).unwrap().base(), "1512.99999");
        assert_ne!(synthetic_id(89_999).unwrap(), synthetic_id(90_000).unwrap());
        assert!(synthetic_id(1_080_000).is_err());
    }

    #[test]
    fn mixtures_are_unit_length() {
        let v = normalised(vec![3.0, 4.0]);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
    }
}
