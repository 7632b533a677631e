//! `bench embed`: corpus-embedding throughput of every arithmetic this CPU runs (fp32 always,
//! fp16 where it has AVX512-FP16), each vector's cosine to the reference vectors of
//! `../shared/data/vectors/`, query-embedding latency, and Python sentence-transformers (fp32
//! and bf16) on the same texts in the same run, when `--python` names an interpreter with it.

use anyhow::{bail, Context, Result};
use dp_search::embed::{dot, reference_text, Backend, Embedder};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::time::Instant;

/// Title and abstract per wanted id, by the vectors README's recipe: the first hf-daily record
/// of the id, else the arxiv-bulk record.
fn texts_for(shared: &Path, wanted: &HashMap<String, usize>) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    let files = [
        ("hf-daily/daily_papers.jsonl.gz", true),
        (
            "arxiv-bulk/daily_arxiv_cs_20250318_20260701.jsonl.gz",
            false,
        ),
    ];
    for (file, nested) in files {
        let path = shared.join(file);
        let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(
            std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?,
        ));
        for line in reader.lines() {
            let v: Value = serde_json::from_str(&line?)?;
            let p = if nested { &v["paper"] } else { &v };
            let Some(id) = p["id"].as_str() else { continue };
            if wanted.contains_key(id) && !out.contains_key(id) {
                let text = reference_text(
                    p["title"].as_str().unwrap_or(""),
                    p["summary"].as_str().unwrap_or(""),
                );
                out.insert(id.to_string(), text);
            }
        }
    }
    Ok(out)
}

/// One arithmetic's figures.
struct Measured {
    arithmetic: &'static str,
    docs_per_s: f64,
    min_cos: f64,
    /// Index in the sample of the paper with the lowest cosine to its reference vector.
    worst: usize,
    /// Papers whose cosine to their reference vector is below issue 21's 0.998.
    below_goal: usize,
    mean_cos: f64,
    query_p50_ms: f64,
    query_p99_ms: f64,
    /// Whole titles as queries (20 to 30 tokens, against 2 to 15 for the other queries).
    title_p50_ms: f64,
    title_p99_ms: f64,
    vectors: Vec<Vec<f32>>,
}

fn measure(
    embedder: &Embedder,
    texts: &[&str],
    reference: &[Vec<f32>],
    queries: &[String],
) -> Result<Measured> {
    // Warm up: threads, scratch buffers.
    embedder.embed_many(&texts[..texts.len().min(32)], 32, &|_| {})?;
    let t = Instant::now();
    let vectors = embedder.embed_many(texts, 32, &|_| {})?;
    let docs_per_s = texts.len() as f64 / t.elapsed().as_secs_f64();
    let cos: Vec<f64> = vectors
        .iter()
        .zip(reference)
        .map(|(v, r)| dot(v, r) as f64)
        .collect();
    let latency = |queries: &[&str]| -> Result<Vec<f64>> {
        let mut lat = Vec::new();
        for round in 0..3 {
            for q in queries {
                let t = Instant::now();
                std::hint::black_box(embedder.embed(&[*q])?);
                if round > 0 {
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }
        lat.sort_by(f64::total_cmp);
        Ok(lat)
    };
    let short: Vec<&str> = queries.iter().map(String::as_str).collect();
    let lat = latency(&short)?;
    // A paper's text is its title, a newline, its abstract.
    let titles: Vec<&str> = texts
        .iter()
        .take(100)
        .filter_map(|t| t.split('\n').next())
        .collect();
    let titles = latency(&titles)?;
    Ok(Measured {
        arithmetic: embedder.arithmetic(),
        docs_per_s,
        min_cos: cos.iter().copied().fold(1.0, f64::min),
        worst: (0..cos.len())
            .min_by(|&a, &b| cos[a].total_cmp(&cos[b]))
            .unwrap_or(0),
        below_goal: cos.iter().filter(|&&c| c < 0.998).count(),
        mean_cos: cos.iter().sum::<f64>() / cos.len().max(1) as f64,
        query_p50_ms: crate::search::percentile(&lat, 0.5),
        query_p99_ms: crate::search::percentile(&lat, 0.99),
        title_p50_ms: crate::search::percentile(&titles, 0.5),
        title_p99_ms: crate::search::percentile(&titles, 0.99),
        vectors,
    })
}

/// Runs the benchmark over `docs` papers spread over the reference matrix.
pub fn run(
    shared: &Path,
    model_dir: &Path,
    docs: usize,
    only: &[String],
    python: Option<&Path>,
    json_out: bool,
) -> Result<()> {
    const DIM: usize = 384;
    let ids_path = shared.join("vectors/ids.txt");
    let ids: Vec<String> = std::fs::read_to_string(&ids_path)
        .with_context(|| format!("reading {}", ids_path.display()))?
        .lines()
        .map(str::to_string)
        .collect();
    let matrix = std::fs::read(shared.join("vectors/all-MiniLM-L6-v2.f16"))?;
    if matrix.len() != ids.len() * DIM * 2 || ids.is_empty() {
        bail!("the reference matrix does not match ids.txt");
    }
    let docs = docs.clamp(1, ids.len());
    let step = ids.len() / docs;
    let wanted: HashMap<String, usize> = (0..docs)
        .map(|k| (ids[k * step].clone(), k * step))
        .collect();
    let texts = texts_for(shared, &wanted)?;
    let mut sample: Vec<(&String, &String)> = texts.iter().collect();
    sample.sort();
    let inputs: Vec<&str> = sample.iter().map(|(_, t)| t.as_str()).collect();
    let reference: Vec<Vec<f32>> = sample
        .iter()
        .map(|(id, _)| {
            let row = wanted[*id];
            matrix[row * DIM * 2..(row + 1) * DIM * 2]
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect()
        })
        .collect();
    let queries: Vec<String> = crate::search::COMMON_WORDS
        .iter()
        .chain(crate::search::QUESTIONS.iter())
        .map(|q| q.to_string())
        .collect();

    // fp32 always (the baseline of the ratios), fp16 and bf16 where this CPU runs them (else
    // their pass falls back to another arithmetic, measured on its own row); `only` narrows
    // the run to the named ones (a whole-corpus check of one arithmetic).
    let mut rows = Vec::new();
    let mut here = Vec::new();
    for (backend, name) in [
        (Backend::Fp32, "fp32"),
        (Backend::Fp16, "fp16"),
        (Backend::Bf16, "bf16"),
    ] {
        let embedder = Embedder::load_with(model_dir, backend)?;
        if embedder.arithmetic() == name {
            here.push(name);
            if only.is_empty() || only.iter().any(|o| o == name) {
                rows.push(measure(&embedder, &inputs, &reference, &queries)?);
            }
        }
    }
    if rows.is_empty() {
        bail!("none of {only:?} runs on this CPU (it runs {here:?})");
    }
    let fp16_here = here.contains(&"fp16");
    let bf16_here = here.contains(&"bf16");
    let default = Embedder::load_with(model_dir, Backend::Auto)?.arithmetic();
    let tmp = tempfile::tempdir()?;
    let owned: Vec<String> = inputs.iter().map(|t| t.to_string()).collect();
    let python_fp32 = match python {
        Some(py) => crate::search::python_throughput(py, model_dir, &owned, tmp.path(), "fp32")?,
        None => None,
    };
    let python_bf16 = match python {
        Some(py) => crate::search::python_throughput(py, model_dir, &owned, tmp.path(), "bf16")?,
        None => None,
    };
    let rates = instruction_rates();
    // The fp32 row, when it ran: the ratios' baseline.
    let base = rows.iter().find(|m| m.arithmetic == "fp32");
    let fp32 = base.map_or(f64::NAN, |b| b.docs_per_s);
    // How far each arithmetic's vectors are from the fp32 pass's, paper by paper.
    let to_fp32: Vec<f64> = rows
        .iter()
        .map(|m| match base {
            Some(b) => m
                .vectors
                .iter()
                .zip(&b.vectors)
                .map(|(a, b)| dot(a, b) as f64)
                .fold(1.0, f64::min),
            None => f64::NAN,
        })
        .collect();
    let out = json!({
        "docs": inputs.len(),
        "cores": cores(),
        "fp16_available": fp16_here,
        "bf16_amx_available": bf16_here,
        "default_arithmetic": default,
        "arithmetic": rows.iter().zip(&to_fp32).map(|(m, f)| json!({
            "arithmetic": m.arithmetic,
            "docs_per_s": m.docs_per_s,
            "vs_fp32": m.docs_per_s / fp32,
            "min_cosine_to_reference": m.min_cos,
            "min_cosine_paper": sample.get(m.worst).map(|(id, _)| id.as_str()),
            "papers_below_0_998": m.below_goal,
            "mean_cosine_to_reference": m.mean_cos,
            "min_cosine_to_fp32": f,
            "query_p50_ms": m.query_p50_ms,
            "query_p99_ms": m.query_p99_ms,
            "title_query_p50_ms": m.title_p50_ms,
            "title_query_p99_ms": m.title_p99_ms,
        })).collect::<Vec<_>>(),
        "one_core_gflops": rates.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "python_fp32_docs_per_s": python_fp32,
        "python_bf16_docs_per_s": python_bf16,
    });
    if json_out {
        println!("{out}");
        return Ok(());
    }
    println!(
        "embedding {} shared papers (batches of 32, {} cores); cosine to the reference vectors",
        inputs.len(),
        cores()
    );
    println!(
        "{:<34} {:>9} {:>8} {:>10} {:>10} {:>12} {:>16} {:>16}",
        "arithmetic",
        "docs/s",
        "vs fp32",
        "min cos",
        "mean cos",
        "min to fp32",
        "query p50/p99",
        "title p50/p99"
    );
    // Without the fp32 row (`--only`), its columns print a dash.
    let or_dash = |v: f64, digits: usize| {
        if v.is_nan() {
            "-".to_string()
        } else {
            format!("{v:.digits$}")
        }
    };
    for (m, f) in rows.iter().zip(&to_fp32) {
        println!(
            "{:<34} {:>9.1} {:>8} {:>10.5} {:>10.5} {:>12} {:>9.2}/{:.2} ms {:>9.2}/{:.2} ms",
            format!("ours, {}", m.arithmetic),
            m.docs_per_s,
            or_dash(m.docs_per_s / fp32, 2),
            m.min_cos,
            m.mean_cos,
            or_dash(*f, 6),
            m.query_p50_ms,
            m.query_p99_ms,
            m.title_p50_ms,
            m.title_p99_ms
        );
    }
    for m in &rows {
        if let Some((id, _)) = sample.get(m.worst) {
            println!(
                "{}: lowest cosine to the reference {id}; {} of {} papers below 0.998",
                m.arithmetic,
                m.below_goal,
                inputs.len()
            );
        }
    }
    if !fp16_here {
        println!("(this CPU has no AVX512-FP16: the fp16 pass does not run here)");
    }
    if !bf16_here {
        println!("(this CPU or its kernel has no AMX-BF16: the bf16 pass does not run here)");
    }
    println!("default arithmetic here (search.embedding = \"auto\"): {default}");
    for (name, v) in [
        ("sentence-transformers, fp32", python_fp32),
        ("sentence-transformers, bf16", python_bf16),
    ] {
        match v {
            Some(d) => println!("{name:<34} {d:>9.1} {:>8}", or_dash(d / fp32, 2)),
            None if python.is_none() => {}
            None => println!("{name:<34} (failed; see above)"),
        }
    }
    let rates: Vec<String> = rates
        .iter()
        .map(|(name, v)| match v {
            Some(g) => format!("{name} {g:.0}"),
            None => format!("{name} (not on this CPU)"),
        })
        .collect();
    println!(
        "one core, register-only multiply-adds, GFLOP/s: {}",
        rates.join(", ")
    );
    if python.is_none() {
        println!(
            "(pass --python PATH for sentence-transformers in fp32 and bf16 on the same texts)"
        );
    }
    Ok(())
}

/// The CPUs this process may use (the embedder's thread pool uses them all).
fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Multiply-add rates of one core in register-only loops (GFLOP/s): fp32 `vfmadd231ps`,
/// AVX-512 BF16 `vdpbf16ps`, AVX512-FP16 `vfmadd231ph`; `None` where the CPU lacks the
/// instruction. Twelve independent accumulators hide each instruction's latency.
pub fn instruction_rates() -> [(&'static str, Option<f64>); 3] {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let avx512 = has!("avx512f");
        let time = |f: &dyn Fn(usize), flops_per_iter: f64| {
            f(1000);
            let n = 20_000_000;
            let t = Instant::now();
            f(n);
            flops_per_iter * n as f64 / t.elapsed().as_secs_f64() / 1e9
        };
        [
            (
                "fp32 vfmadd231ps",
                // SAFETY: only run when the CPU has the instruction.
                avx512.then(|| time(&|n| unsafe { x86::fp32(n) }, 12.0 * 32.0)),
            ),
            (
                "bf16 vdpbf16ps",
                (avx512 && has!("avx512bf16"))
                    .then(|| time(&|n| unsafe { x86::bf16(n) }, 12.0 * 64.0)),
            ),
            (
                "fp16 vfmadd231ph",
                (avx512 && has!("avx512fp16"))
                    .then(|| time(&|n| unsafe { x86::fp16(n) }, 12.0 * 64.0)),
            ),
        ]
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        [
            ("fp32 vfmadd231ps", None),
            ("bf16 vdpbf16ps", None),
            ("fp16 vfmadd231ph", None),
        ]
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::asm;
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f")]
    pub unsafe fn fp32(n: usize) {
        let mut acc = [_mm512_setzero_ps(); 12];
        let (x, y) = (_mm512_set1_ps(0.5), _mm512_set1_ps(0.25));
        for _ in 0..n {
            for a in acc.iter_mut() {
                *a = _mm512_fmadd_ps(x, y, *a);
            }
        }
        std::hint::black_box(acc);
    }

    #[target_feature(enable = "avx512f,avx512bf16")]
    pub unsafe fn bf16(n: usize) {
        let mut acc = [_mm512_setzero_ps(); 12];
        let x = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5), _mm512_set1_ps(0.5));
        let y = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.25), _mm512_set1_ps(0.25));
        for _ in 0..n {
            for a in acc.iter_mut() {
                *a = _mm512_dpbf16_ps(*a, x, y);
            }
        }
        std::hint::black_box(acc);
    }

    #[target_feature(enable = "avx512f")]
    pub unsafe fn fp16(n: usize) {
        let mut acc = [_mm512_setzero_si512(); 12];
        // 1.0 and 2^-11 in fp16: sums stay finite and normal.
        let (x, y) = (_mm512_set1_epi16(0x3c00), _mm512_set1_epi16(0x1000));
        for _ in 0..n {
            for a in acc.iter_mut() {
                // SAFETY: register-only; the caller checked AVX512-FP16.
                unsafe {
                    asm!("vfmadd231ph {a}, {x}, {y}", a = inout(zmm_reg) *a, x = in(zmm_reg) x,
                        y = in(zmm_reg) y, options(pure, nomem, nostack));
                }
            }
        }
        std::hint::black_box(acc);
    }
}
