//! `dailypapers bench search --scale N`: search over a corpus of N papers built from the real
//! ones, with the structures a server holds (the keyword index on disk, the vector index and
//! the model in memory), reporting build times, hybrid and keyword latency, and memory.
//!
//! Paper `i` is real paper `i mod P` (P = 80,317 shared papers) under a synthetic arXiv id
//! (`YYMM.NNNNN`, months 1501 to 1812). The first P keep their reference vectors; every later
//! one gets the normalised mixture `0.75·v(i mod P) + 0.25·v(j)` of its own paper's vector and
//! another paper's, `j` depending on `i mod P` and on which copy `i / P` it is, so the vectors
//! are realistic without hours of embedding and no two copies of a paper are equal. (Before
//! 2026-12-07 `j` depended on `i mod P` alone: every copy after the second repeated a vector
//! exactly, which left ties in the exact top 10 and duplicates in the graph.)

use anyhow::{bail, Context, Result};
use dp_app::config::Config;
use dp_cli::progress::CountBar;
use dp_core::ArxivId;
use dp_search::embed::Embedder;
use dp_search::vector::VectorIndex;
use dp_search::{parse, Engine, KeywordIndex, LongUnions, Mode, Semantic};
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

/// Months of synthetic ids: 1501 to 1812.
const MONTHS: usize = 48;

/// The most papers `--scale` builds: 90,000 numbers in each of [`MONTHS`] months.
pub const MAX_PAPERS: usize = MONTHS * 90_000;

/// The synthetic id of paper `i`: months 1501..1812, numbers 10000..99999 (4,320,000 ids).
fn synthetic_id(i: usize) -> Result<ArxivId> {
    let m = i / 90_000;
    if m >= MONTHS {
        bail!("at most {MAX_PAPERS} synthetic papers");
    }
    Ok(ArxivId::parse(&format!(
        "{}{:02}.{:05}",
        15 + m / 12,
        m % 12 + 1,
        10_000 + i % 90_000
    ))?)
}

/// The vector of paper `i`: the reference vector of its base paper for the first `p`, then a
/// normalised mixture with another paper's, a different one for each copy.
fn synthetic_vector(base: &[Vec<f32>], i: usize) -> Vec<f32> {
    let p = base.len();
    let own = &base[i % p];
    if i < p {
        return own.clone();
    }
    let other = &base[(i.wrapping_mul(7919) + 17 + (i / p) * 104_729) % p];
    normalised(
        own.iter()
            .zip(other)
            .map(|(a, b)| 0.75 * a + 0.25 * b)
            .collect(),
    )
}

/// Exact top 10 (score, paper number) of each probe, kept up to date batch by batch.
struct ExactTop {
    probes: Vec<Vec<f32>>,
    best: Vec<Vec<(f32, usize)>>,
}

impl ExactTop {
    fn new(probes: Vec<Vec<f32>>) -> ExactTop {
        let best = vec![Vec::new(); probes.len()];
        ExactTop { probes, best }
    }

    /// Scores papers `first..` (their vectors `rows`) against every probe, on every core.
    fn add(&mut self, first: usize, rows: &[(String, Vec<f32>)]) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = self.probes.len().div_ceil(cores).max(1);
        std::thread::scope(|s| {
            for (probes, best) in self.probes.chunks(chunk).zip(self.best.chunks_mut(chunk)) {
                s.spawn(move || {
                    for (q, best) in probes.iter().zip(best) {
                        let scores = rows
                            .iter()
                            .enumerate()
                            .map(|(j, (_, v))| (dp_search::vector::dot(q, v), first + j));
                        *best = dp_search::vector::top_k(best.drain(..).chain(scores), 10);
                    }
                });
            }
        });
    }
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
    index_dir: Option<&Path>,
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
    let keyword_dir = index_dir.map_or_else(|| tmp.path().join("index"), |d| d.join("keyword"));
    let keyword = Arc::new(KeywordIndex::open(Some(&keyword_dir))?);
    // A keyword index kept by an earlier run is reused when it was built from the same base
    // papers for these n.
    let base_papers = base.len();
    let keyword_key = format!("n={n} base={base_papers}");
    let keyword_key_file = index_dir.map(|d| d.join("keyword.txt"));
    let keyword_reused = keyword.cursor() == n as i64
        && keyword.len() == n as u64
        && keyword_key_file
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .is_some_and(|k| k == keyword_key);
    if !keyword_reused && !keyword.is_empty() {
        keyword.clear()?;
    }
    let bar = CountBar::new("keyword index");
    let t = Instant::now();
    for start in (0..n).step_by(BATCH).filter(|_| !keyword_reused) {
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
    if let (Some(file), false) = (&keyword_key_file, keyword_reused) {
        std::fs::write(file, &keyword_key)?;
    }
    bar.finish();
    let keyword_s = t.elapsed().as_secs_f64();
    drop(base);
    let (rss_keyword, ..) = memory_mib();

    // Probes for recall against exact search: every text query embedded as the engine embeds
    // it, and the vectors of 100 papers spread over the corpus (as "similar papers" asks).
    let sets: Vec<(&str, Vec<String>)> = vec![
        (
            "common words",
            crate::search::owned(&crate::search::COMMON_WORDS),
        ),
        ("questions", crate::search::owned(&crate::search::QUESTIONS)),
        ("titles", titles),
        ("authors", authors),
    ];
    let mut probe_kinds: Vec<&str> = Vec::new();
    let mut probes: Vec<Vec<f32>> = Vec::new();
    for (name, queries) in &sets {
        for q in queries {
            let Ok(pq) = parse(q) else { continue };
            let text = pq.text.replace('"', " ");
            if let Some(v) = embedder.embed(&[text.trim()])?.into_iter().next() {
                probe_kinds.push(name);
                probes.push(v);
            }
        }
    }
    for k in 0..100 {
        probe_kinds.push("paper vectors");
        probes.push(synthetic_vector(&base_vectors, k * (n / 100) + n / 200));
    }
    let mut exact = ExactTop::new(probes);

    // The vector index, in memory as a server keeps it (HNSW above the threshold; an int8
    // graph's float16 rows in a scratch file).
    let template =
        VectorIndex::new(dim, config.vector_config()).with_scratch_dir(&tmp.path().join("vectors"));
    // A graph saved by an earlier run, for these n papers and this configuration.
    let graph_dir = index_dir.map(|d| d.join("graph"));
    // Saved under a name that holds everything that shapes the graph (not the search width or
    // rescore count, which the run sweeps); a graph that cannot be loaded is built again.
    let vc = config.vector_config();
    let saved_as = format!(
        "bench-scale n={n} base={base_papers} threshold={} connectivity={} expansion_add={} quantization={:?}",
        vc.hnsw_threshold, vc.connectivity, vc.expansion_add, vc.quantization
    );
    let loaded = match &graph_dir {
        Some(dir) => template
            .load_like(dir, &saved_as)
            .ok()
            .flatten()
            .filter(|(_, cursor)| *cursor == n as i64),
        None => None,
    };
    let vectors_reused = loaded.is_some();
    let vectors = Arc::new(loaded.map_or(template, |(v, _)| v));
    let bar = CountBar::new(if vectors_reused {
        "exact top 10"
    } else {
        "vector index"
    });
    let (mut vector_s, mut exact_s) = (0.0, 0.0);
    for start in (0..n).step_by(BATCH) {
        let rows: Vec<(String, Vec<f32>)> = (start..(start + BATCH).min(n))
            .map(|i| {
                Ok((
                    synthetic_id(i)?.base().to_string(),
                    synthetic_vector(&base_vectors, i),
                ))
            })
            .collect::<Result<_>>()?;
        if !vectors_reused {
            let t = Instant::now();
            vectors.upsert(&rows)?;
            vector_s += t.elapsed().as_secs_f64();
        }
        let t = Instant::now();
        exact.add(start, &rows);
        exact_s += t.elapsed().as_secs_f64();
        bar.update((start + rows.len()) as u64, n as u64);
    }
    bar.finish();
    if let (Some(dir), false) = (&graph_dir, vectors_reused) {
        vectors.save(dir, &saved_as, n as i64)?;
    }
    // As the server does once its graph is built or loaded.
    let huge = (vc.huge_pages && vectors.is_approximate()).then(|| {
        let t = Instant::now();
        let done = dp_search::huge::collapse_resident(dp_search::huge::MIN_MAPPING);
        (done, t.elapsed().as_secs_f64())
    });
    let (rss_vectors, ..) = memory_mib();
    drop(base_vectors);

    // Recall@10 of the index against exact search over the float32 vectors, and the vector
    // search's own latency: over all probes at a few search widths (and, for an int8 graph,
    // numbers of candidates ranked exactly), then per probe kind at the configured ones.
    let quantized = vc.quantization == dp_search::vector::Quantization::I8;
    let widths: Vec<(usize, usize)> = if quantized {
        vec![
            (512, 100),
            (1024, 100),
            (1024, 300),
            (2048, 100),
            (4096, 100),
        ]
    } else {
        vec![(512, 0), (1024, 0), (2048, 0), (4096, 0)]
    };
    let mut sweep = Vec::new();
    let swept = widths.len();
    for (i, (width, rescore)) in widths
        .into_iter()
        .chain([(vc.expansion_search, vc.rescore)])
        .enumerate()
    {
        vectors.set_expansion_search(width);
        vectors.set_rescore(rescore.max(1));
        // The sweep without widening; the configured row (last) as configured.
        vectors.set_widen_below(if i == swept { vc.widen_below } else { 0.0 });
        let by_kind = recall_by_kind(&vectors, &probe_kinds, &exact)?;
        let all: Vec<f64> = by_kind.iter().flat_map(|k| k.recall.clone()).collect();
        let mut ms: Vec<f64> = by_kind.iter().flat_map(|k| k.ms.clone()).collect();
        ms.sort_by(f64::total_cmp);
        sweep.push((
            width,
            rescore,
            mean(&all),
            crate::search::percentile(&ms, 0.5),
            by_kind,
        ));
    }
    let widening = widen_rows(&vectors, &probe_kinds, &exact, &vc)?;
    let Some((_, _, recall_all, _, by_kind)) = sweep.pop() else {
        bail!("no recall measured");
    };
    let recall_rows: Vec<serde_json::Value> = by_kind
        .into_iter()
        .map(|mut k| {
            k.ms.sort_by(f64::total_cmp);
            json!({"probes": k.kind, "count": k.recall.len(), "recall@10": mean(&k.recall),
                   "vector_p50_ms": crate::search::percentile(&k.ms, 0.5),
                   "vector_p99_ms": crate::search::percentile(&k.ms, 0.99),
                   "mean_width_walked": mean(&k.walked)})
        })
        .collect();
    let sweep_rows: Vec<serde_json::Value> = sweep
        .iter()
        .map(|(width, rescore, recall, p50, _)| {
            json!({"search_width": width, "rescore": rescore, "recall@10": recall, "vector_p50_ms": p50})
        })
        .collect();
    drop(exact);

    let engine = Engine {
        keyword,
        semantic: Some(Semantic {
            embedder: embedder.clone(),
            vectors: vectors.clone(),
        }),
        fusion: Default::default(),
        feedback: None,
    };
    let (before_collect, ..) = memory_mib();
    dp_cli::release_free_memory();
    let (after_collect, ..) = memory_mib();
    let unions = long_union_rows(&engine.keyword, &sets)?;
    let (rows, all_hybrid) = latency_rows(&engine, &sets)?;
    // The same queries once more with every segment walked whole on one thread (the way before
    // large segments were cut into parts), for a same-run comparison.
    engine
        .keyword
        .set_long_unions(LongUnions::WalkWholeSegments);
    let all_whole = hybrid_times(&engine, &sets)?;
    engine.keyword.set_long_unions(LongUnions::Walk);
    let (rss, peak, anon, file) = memory_mib();
    let mapped = mapped_by_kind();
    let quantization = match config.vector_config().quantization {
        dp_search::vector::Quantization::F16 => "f16",
        dp_search::vector::Quantization::I8 => "i8",
    };
    let out = json!({
        "papers": n,
        "quantization": quantization,
        "keyword_index_s": keyword_s,
        "keyword_index_reused": keyword_reused,
        "vector_index_s": vector_s,
        "vector_index_reused": vectors_reused,
        "exact_scoring_s": exact_s,
        "vector_index_mib": vectors.memory_bytes() as f64 / 1048576.0,
        "vector_rows_file_mib": vectors.file_bytes() as f64 / 1048576.0,
        "approximate": vectors.is_approximate(),
        "recall@10": recall_all,
        "recall": recall_rows,
        "recall_by_width": sweep_rows,
        "widening": widening,
        "latency": rows,
        "long_unions": unions,
        "hybrid_all": {"p50_ms": crate::search::percentile(&all_hybrid, 0.5), "p99_ms": crate::search::percentile(&all_hybrid, 0.99)},
        "hybrid_all_whole_segments": {"p50_ms": crate::search::percentile(&all_whole, 0.5), "p99_ms": crate::search::percentile(&all_whole, 0.99)},
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
        "huge_pages": huge.map(|(done, s)| json!({"asked_mib": done.asked >> 20, "collapsed_mib": done.collapsed >> 20, "s": s})),
    });
    if json_out {
        println!("{out}");
        return Ok(());
    }
    if let Some((done, s)) = huge {
        println!(
            "huge pages: {} MiB of the {} MiB resident in large anonymous mappings moved into 2 MB pages, in {s:.1} s (search.vector_huge_pages)",
            done.collapsed >> 20,
            done.asked >> 20
        );
    }
    let built = |reused: bool, s: f64| {
        if reused {
            "reused from --index-dir".to_string()
        } else {
            format!("built in {s:.0} s")
        }
    };
    println!(
        "{n} papers: keyword index {}, vector index ({}, {quantization}) {}, {:.0} MiB in memory and {:.0} MiB of float16 rows in a scratch file (page cache)",
        built(keyword_reused, keyword_s),
        if vectors.is_approximate() { "HNSW" } else { "exact" },
        built(vectors_reused, vector_s),
        vectors.memory_bytes() as f64 / 1048576.0,
        vectors.file_bytes() as f64 / 1048576.0,
    );
    println!(
        "recall@10 against exact search over the float32 vectors: {recall_all:.4} over {} probes at search width {}{}{} (exact scoring took {exact_s:.0} s, not counted above)",
        probe_kinds.len(),
        vc.expansion_search,
        if quantized { format!(", {} candidates ranked exactly", vc.rescore) } else { String::new() },
        if vc.widen_below > 0.0 { format!(", {} wide below a best similarity of {} (probed {} wide first)", vc.wide_width, vc.widen_below, vc.probe_width) } else { String::new() },
    );
    for (width, rescore, recall, p50, _) in &sweep {
        println!(
            "  search width {width}{}: recall@10 {recall:.4}, vector search p50 {p50:.2} ms",
            if quantized {
                format!(", {rescore} ranked exactly")
            } else {
                String::new()
            },
        );
    }
    println!(
        "{:<14} {:>7} {:>10} {:>18} {:>13}",
        "probes", "count", "recall@10", "vector p50/p99", "width walked"
    );
    for r in &recall_rows {
        println!(
            "{:<14} {:>7} {:>10.4} {:>18} {:>13.0}",
            r["probes"].as_str().unwrap_or(""),
            r["count"],
            r["recall@10"].as_f64().unwrap_or(0.0),
            format!(
                "{:.2} / {:.2}",
                r["vector_p50_ms"].as_f64().unwrap_or(0.0),
                r["vector_p99_ms"].as_f64().unwrap_or(0.0)
            ),
            r["mean_width_walked"].as_f64().unwrap_or(0.0)
        );
    }
    println!(
        "{:<14} {:>7} {:>18} {:>18} {:>22} {:>16} {:>16} {:>16} {:>16}",
        "queries",
        "count",
        "keyword p50/p99",
        "hybrid p50/p99",
        "its keyword side alone",
        "embedding alone",
        "semantic alone",
        "hybrid ranking",
        "highlights"
    );
    for r in &rows {
        let f = |m: &str| crate::search::p50_p99(&r[m]);
        println!(
            "{:<14} {:>7} {:>18} {:>18} {:>22} {:>16} {:>16} {:>16} {:>16}",
            r["set"].as_str().unwrap_or(""),
            r["queries"],
            f("keyword"),
            f("hybrid"),
            f("keyword_side"),
            f("embed"),
            f("semantic"),
            f("hybrid_rank"),
            f("render")
        );
    }
    println!(
        "long unions (queries of 5 words or more), the keyword side's top 100 scored each way, ms:"
    );
    let threads = dp_search::keyword::search_threads();
    println!(
        "{:<14} {:>7} {:>16} {:>16} {:>24} {:>18}",
        "postings",
        "queries",
        "walk p50/p99",
        "WAND p50/p99",
        format!("walk, {threads} threads, whole"),
        format!("walk, {threads} threads")
    );
    for r in &unions {
        let f = |m: &str| crate::search::p50_p99(&r[m]);
        println!(
            "{:<14} {:>7} {:>16} {:>16} {:>24} {:>18}",
            r["postings"].as_str().unwrap_or(""),
            r["queries"],
            f("walk"),
            f("wand"),
            f("walk_whole_threads"),
            f("walk_threads")
        );
    }
    println!(
        "hybrid over all {} queries: p50 {:.2} ms, p99 {:.2} ms",
        all_hybrid.len(),
        crate::search::percentile(&all_hybrid, 0.5),
        crate::search::percentile(&all_hybrid, 0.99)
    );
    println!(
        "  the same with each segment walked whole: p50 {:.2} ms, p99 {:.2} ms",
        crate::search::percentile(&all_whole, 0.5),
        crate::search::percentile(&all_whole, 0.99)
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

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The bare ids of an exact top list.
fn wanted_ids(best: &[(f32, usize)]) -> Result<Vec<String>> {
    best.iter()
        .map(|(_, i)| synthetic_id(*i).map(|id| id.base().to_string()))
        .collect()
}

/// The share of `want` that `found` holds.
fn recall_of(found: &[(String, f32)], want: &[String]) -> f64 {
    found.iter().filter(|(id, _)| want.contains(id)).count() as f64 / want.len().max(1) as f64
}

/// One probe kind's searches: recall@10 of each against its exact top 10, its time in ms, and
/// the graph widths it walked, added up (probe, normal and wide walks).
struct KindRuns<'a> {
    kind: &'a str,
    recall: Vec<f64>,
    ms: Vec<f64>,
    walked: Vec<f64>,
}

/// Each probe kind's searches (a first round warms up).
fn recall_by_kind<'a>(
    vectors: &VectorIndex,
    kinds: &[&'a str],
    exact: &ExactTop,
) -> Result<Vec<KindRuns<'a>>> {
    let mut by_kind: Vec<KindRuns> = Vec::new();
    for round in 0..2 {
        for ((kind, probe), best) in kinds.iter().zip(&exact.probes).zip(&exact.best) {
            let walked = vectors.walked();
            let t = Instant::now();
            let found = vectors.search(probe, 10, None)?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let walked = (vectors.walked() - walked) as f64;
            if round == 0 {
                continue;
            }
            let want = wanted_ids(best)?;
            let recall = recall_of(&found, &want);
            let runs = match by_kind.iter_mut().position(|k| k.kind == *kind) {
                Some(i) => &mut by_kind[i],
                None => {
                    by_kind.push(KindRuns {
                        kind,
                        recall: Vec::new(),
                        ms: Vec::new(),
                        walked: Vec::new(),
                    });
                    by_kind
                        .last_mut()
                        .ok_or_else(|| anyhow::anyhow!("no kind"))?
                }
            };
            runs.recall.push(recall);
            runs.ms.push(ms);
            runs.walked.push(walked);
        }
    }
    Ok(by_kind)
}

/// Widening a graph search when its best match is far: for each probe, a search at the
/// configured width and one at the wide width, both without widening; then, for thresholds on
/// the first search's best similarity, the recall and vector-search time of widening only below
/// it (the second search's time added to the first's). Prints the best similarity per probe
/// kind and one row per threshold; leaves the index as configured.
fn widen_rows(
    vectors: &VectorIndex,
    kinds: &[&str],
    exact: &ExactTop,
    vc: &dp_search::vector::VectorConfig,
) -> Result<Vec<serde_json::Value>> {
    vectors.set_widen_below(0.0);
    // (kind, [(recall, ms, best similarity) at the configured width, then the wide one])
    let mut per_probe = Vec::new();
    for ((kind, probe), best) in kinds.iter().zip(&exact.probes).zip(&exact.best) {
        let want = wanted_ids(best)?;
        let mut runs = Vec::new();
        for width in [vc.expansion_search, vc.wide_width] {
            vectors.set_expansion_search(width);
            // Second of two runs, as elsewhere.
            let _ = vectors.search(probe, 10, None)?;
            let t = Instant::now();
            let found = vectors.search(probe, 10, None)?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let recall = recall_of(&found, &want);
            runs.push((recall, ms, found.first().map_or(0.0, |f| f.1)));
        }
        per_probe.push((*kind, runs[0], runs[1]));
    }
    vectors.set_expansion_search(vc.expansion_search);
    vectors.set_widen_below(vc.widen_below);

    println!(
        "widening: best similarity of a search {} wide, per probe kind (p10 / p50 / p90), and its recall@10",
        vc.expansion_search
    );
    let mut seen: Vec<&str> = Vec::new();
    for (kind, ..) in &per_probe {
        if seen.contains(kind) {
            continue;
        }
        seen.push(kind);
        let mine: Vec<_> = per_probe.iter().filter(|p| p.0 == *kind).collect();
        let mut tops: Vec<f64> = mine.iter().map(|p| f64::from(p.1 .2)).collect();
        tops.sort_by(f64::total_cmp);
        let recall: Vec<f64> = mine.iter().map(|p| p.1 .0).collect();
        println!(
            "  {kind:<14} {:.3} / {:.3} / {:.3}   recall@10 {:.4}",
            crate::search::percentile(&tops, 0.1),
            crate::search::percentile(&tops, 0.5),
            crate::search::percentile(&tops, 0.9),
            mean(&recall)
        );
    }
    println!(
        "widening to {} below a best similarity of (each probe's two searches timed apart, added):",
        vc.wide_width
    );
    let mut out = Vec::new();
    for below in [0.0f32, 0.3, 0.4, 0.5, 0.6, 0.7, 1.1] {
        let mut recall = Vec::new();
        let mut ms = Vec::new();
        let mut widened = 0;
        for (_, first, wide) in &per_probe {
            if first.2 < below {
                widened += 1;
                recall.push(wide.0);
                ms.push(first.1 + wide.1);
            } else {
                recall.push(first.0);
                ms.push(first.1);
            }
        }
        ms.sort_by(f64::total_cmp);
        let (p50, p99) = (
            crate::search::percentile(&ms, 0.5),
            crate::search::percentile(&ms, 0.99),
        );
        let mark = if below == vc.widen_below {
            "  (configured)"
        } else {
            ""
        };
        println!(
            "  below {below:.1}: {widened:>3} of {} widened, recall@10 {:.4}, vector p50 {p50:.2} / p99 {p99:.2} ms{mark}",
            per_probe.len(),
            mean(&recall),
        );
        out.push(
            json!({"below": below, "widened": widened, "recall@10": mean(&recall),
                        "vector_p50_ms": p50, "vector_p99_ms": p99}),
        );
    }
    Ok(out)
}

/// The keyword side of hybrid search (top 100) for every query that is a long union of plain
/// words, timed with each way of scoring it (second of two rounds), grouped by the postings
/// its words have together; the last row is all of them. Walk and WAND on one thread, then the
/// walk on the server's search threads; leaves the server's way set.
fn long_union_rows(
    keyword: &KeywordIndex,
    sets: &[(&str, Vec<String>)],
) -> Result<Vec<serde_json::Value>> {
    let threads = dp_search::keyword::search_threads();
    let ways = [
        ("walk", LongUnions::Walk, 1),
        ("wand", LongUnions::Wand, 1),
        ("walk_whole_threads", LongUnions::WalkWholeSegments, threads),
        ("walk_threads", LongUnions::Walk, threads),
    ];
    let queries: Vec<(u64, dp_search::SearchQuery)> = sets
        .iter()
        .flat_map(|(_, qs)| qs)
        .filter_map(|q| parse(q).ok())
        .filter_map(|pq| keyword.union_postings(&pq).map(|n| (n, pq)))
        .collect();
    // ms per way, per query (same order as `queries`).
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); ways.len()];
    for (w, (_, how, threads)) in ways.iter().enumerate() {
        keyword.set_long_unions(*how);
        keyword.set_search_threads(*threads);
        for round in 0..2 {
            for (_, pq) in &queries {
                let t = Instant::now();
                std::hint::black_box(keyword.candidates(pq, dp_search::engine::DEPTH)?);
                if round == 1 {
                    times[w].push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }
    }
    keyword.set_long_unions(LongUnions::default());
    keyword.set_search_threads(threads);
    let buckets: [(&str, u64, u64); 5] = [
        ("under 250k", 0, 250_000),
        ("250k to 1M", 250_000, 1_000_000),
        ("1M to 4M", 1_000_000, 4_000_000),
        ("4M and more", 4_000_000, u64::MAX),
        ("all", 0, u64::MAX),
    ];
    let mut rows = Vec::new();
    for (name, lo, hi) in buckets {
        let picked: Vec<usize> = (0..queries.len())
            .filter(|&i| (lo..hi).contains(&queries[i].0))
            .collect();
        if picked.is_empty() {
            continue;
        }
        let mut row = json!({"postings": name, "queries": picked.len()});
        for (w, (way, ..)) in ways.iter().enumerate() {
            let mut v: Vec<f64> = picked.iter().map(|&i| times[w][i]).collect();
            v.sort_by(f64::total_cmp);
            row[*way] = json!({"p50_ms": crate::search::percentile(&v, 0.5), "p99_ms": crate::search::percentile(&v, 0.99)});
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Every query's hybrid search time, sorted, timed as [`latency_rows`] times it (per set, the
/// second of two rounds, each right after the same query's keyword search) but without the
/// parts it also times: only what comparing two ways of walking needs.
fn hybrid_times(engine: &Engine, sets: &[(&str, Vec<String>)]) -> Result<Vec<f64>> {
    let mut times = Vec::new();
    for (_, queries) in sets {
        for round in 0..2 {
            for pq in queries.iter().filter_map(|q| parse(q).ok()) {
                std::hint::black_box(engine.search(&pq, 10, Mode::Keyword)?);
                let t = Instant::now();
                std::hint::black_box(engine.search(&pq, 10, Mode::Hybrid)?);
                if round == 1 {
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times)
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
                // Hybrid's parts, each alone: its keyword side (the top 100, ids read for all)
                // and the query's embedding.
                let t = Instant::now();
                std::hint::black_box(engine.keyword.candidates(&pq, 100)?);
                let side = t.elapsed().as_secs_f64() * 1000.0;
                let t = Instant::now();
                std::hint::black_box(engine.embed_query(&pq)?);
                let embed = t.elapsed().as_secs_f64() * 1000.0;
                // Hybrid without its highlights, and the semantic side alone (embedding and
                // vector search): what fusion and the keyword side add is the difference.
                let t = Instant::now();
                let ranked = std::hint::black_box(engine.rank(&pq, 10, Mode::Hybrid, None)?);
                let rank = t.elapsed().as_secs_f64() * 1000.0;
                let t = Instant::now();
                std::hint::black_box(engine.keyword.render(&pq, &ranked)?);
                let render = t.elapsed().as_secs_f64() * 1000.0;
                let t = Instant::now();
                std::hint::black_box(engine.rank(&pq, 10, Mode::Semantic, None)?);
                let semantic = t.elapsed().as_secs_f64() * 1000.0;
                if round == 1 {
                    lat.entry("hybrid_rank").or_default().push(rank);
                    lat.entry("render").or_default().push(render);
                    lat.entry("semantic").or_default().push(semantic);
                    lat.entry("keyword").or_default().push(kw);
                    lat.entry("hybrid").or_default().push(hy);
                    lat.entry("keyword_side").or_default().push(side);
                    lat.entry("embed").or_default().push(embed);
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
        for i in (0..MAX_PAPERS).step_by(997) {
            assert!(
                seen.insert(synthetic_id(i).unwrap().base().to_string()),
                "{i}"
            );
        }
        assert_eq!(synthetic_id(0).unwrap().base(), "1501.10000");
        assert_eq!(synthetic_id(1_079_999).unwrap().base(), "1512.99999");
        assert_eq!(synthetic_id(1_080_000).unwrap().base(), "1601.10000");
        assert_eq!(synthetic_id(MAX_PAPERS - 1).unwrap().base(), "1812.99999");
        assert_ne!(synthetic_id(89_999).unwrap(), synthetic_id(90_000).unwrap());
        const { assert!(MAX_PAPERS >= 3_000_000) };
        assert!(synthetic_id(MAX_PAPERS).is_err());
    }

    #[test]
    fn exact_top_keeps_the_ten_best_across_batches() {
        let probes = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.6, 0.8]];
        let mut exact = ExactTop::new(probes.clone());
        let papers: Vec<Vec<f32>> = (0..40)
            .map(|i| normalised(vec![(i as f32 * 0.37).cos(), (i as f32 * 0.37).sin()]))
            .collect();
        for (b, chunk) in papers.chunks(7).enumerate() {
            let rows: Vec<(String, Vec<f32>)> =
                chunk.iter().map(|v| (String::new(), v.clone())).collect();
            exact.add(b * 7, &rows);
        }
        for (q, best) in probes.iter().zip(&exact.best) {
            let mut want: Vec<(f32, usize)> = papers
                .iter()
                .enumerate()
                .map(|(i, v)| (dp_search::vector::dot(q, v), i))
                .collect();
            want.sort_by(|a, b| b.0.total_cmp(&a.0));
            want.truncate(10);
            assert_eq!(
                best.iter().map(|b| b.1).collect::<Vec<_>>(),
                want.iter().map(|b| b.1).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn mixtures_are_unit_length() {
        let base = vec![normalised(vec![1.0, 2.0]), normalised(vec![-3.0, 1.0])];
        for i in 0..10 {
            let v = synthetic_vector(&base, i);
            assert!((dp_search::vector::dot(&v, &v) - 1.0).abs() < 1e-5, "{i}");
        }
        assert_eq!(synthetic_vector(&base, 1), base[1]);
        // Copies of a paper get different partners: no vector repeats across copies.
        let base: Vec<Vec<f32>> = (0..7)
            .map(|k| normalised((0..7).map(|d| if d == k { 1.0 } else { 0.01 }).collect()))
            .collect();
        let copies: Vec<Vec<f32>> = (1..6).map(|c| synthetic_vector(&base, 3 + c * 7)).collect();
        for (a, x) in copies.iter().enumerate() {
            for y in &copies[a + 1..] {
                assert_ne!(x, y, "copy {a} repeats");
            }
        }
        let v = normalised(vec![3.0, 4.0]);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
    }
}
