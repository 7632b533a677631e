//! The in-process embedder reproduces the reference sentence-transformers vectors in
//! `../shared/data/vectors/` (cosine ≥ 0.999 per row on the same text).

use dp_search::embed::{dot, reference_text, Backend, Embedder};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

const DIM: usize = 384;

/// Title and abstract per id, by the vectors README's recipe: the first hf-daily record of the
/// id, else the arxiv-bulk record (see [`reference_text`]).
fn texts_for(data: &Path, wanted: &HashMap<String, usize>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let open = |p: &Path| {
        std::io::BufReader::new(flate2::read::GzDecoder::new(
            std::fs::File::open(p).expect("open shared data"),
        ))
    };
    for line in open(&data.join("hf-daily/daily_papers.jsonl.gz")).lines() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let p = &v["paper"];
        let id = p["id"].as_str().unwrap().to_string();
        if wanted.contains_key(&id) && !out.contains_key(&id) {
            let text = reference_text(
                p["title"].as_str().unwrap_or(""),
                p["summary"].as_str().unwrap_or(""),
            );
            out.insert(id, text);
        }
    }
    for line in open(&data.join("arxiv-bulk/daily_arxiv_cs_20250318_20260701.jsonl.gz")).lines() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let id = v["id"].as_str().unwrap().to_string();
        if wanted.contains_key(&id) && !out.contains_key(&id) {
            let text = reference_text(
                v["title"].as_str().unwrap_or(""),
                v["summary"].as_str().unwrap_or(""),
            );
            out.insert(id, text);
        }
    }
    out
}

fn reference_row(matrix: &[u8], row: usize) -> Vec<f32> {
    matrix[row * DIM * 2..(row + 1) * DIM * 2]
        .chunks_exact(2)
        .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
        .collect()
}

/// 24 papers spread over the whole reference list (hf-daily papers first, arxiv-bulk ones
/// later) and one with a literal backslash-n: (id, text, reference row), in a fixed order.
fn sample(data: &Path) -> Vec<(String, String, Vec<f32>)> {
    let ids: Vec<String> = std::fs::read_to_string(data.join("vectors/ids.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let matrix = std::fs::read(data.join("vectors/all-MiniLM-L6-v2.f16")).unwrap();
    assert_eq!(matrix.len(), ids.len() * DIM * 2);
    let step = ids.len() / 24;
    let mut wanted: HashMap<String, usize> =
        (0..24).map(|k| (ids[k * step].clone(), k * step)).collect();
    // One of the papers whose abstract has a literal backslash-n (`\name`): 0.976 against
    // the reference with the product's text, 1.0 with the reference's (see `reference_text`).
    let odd = "2505.16994";
    let row = ids
        .iter()
        .position(|id| id == odd)
        .expect("2505.16994 in ids.txt");
    wanted.insert(odd.to_string(), row);
    let texts = texts_for(data, &wanted);
    assert_eq!(texts.len(), wanted.len(), "every sampled id has a text");
    let mut out: Vec<(String, String, Vec<f32>)> = texts
        .into_iter()
        .map(|(id, text)| {
            let row = reference_row(&matrix, wanted[&id]);
            (id, text, row)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn embeddings_match_the_reference_vectors() {
    let (Some(data), Some(model)) = (dp_testkit::env::shared_data(), dp_testkit::env::model_dir())
    else {
        return;
    };
    // The fp32 pass: the fallback on every CPU, held to the reference's own tolerance.
    let embedder = Embedder::load_with(&model, Backend::Fp32).unwrap();
    assert_eq!(embedder.arithmetic(), "fp32");
    assert_eq!(embedder.dim(), DIM);
    assert_eq!(embedder.max_tokens(), 256);
    let sample = sample(&data);
    let inputs: Vec<&str> = sample.iter().map(|(_, t, _)| t.as_str()).collect();
    let vectors = embedder.embed_many(&inputs, 8, &|_| {}).unwrap();
    let mut worst = 1.0f32;
    for ((id, _, reference), v) in sample.iter().zip(&vectors) {
        let norm = dot(v, v).sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{id}: not unit length ({norm})");
        let cos = dot(v, reference);
        worst = worst.min(cos);
        assert!(cos >= 0.999, "{id}: cosine {cos} with the reference row");
    }
    eprintln!("worst cosine over {} papers: {worst:.6}", vectors.len());
    // Batching must not change a vector: padding is masked out.
    let alone = embedder.embed(&inputs[..1]).unwrap();
    assert!(dot(&alone[0], &vectors[0]) > 0.99999);

    // The fast pass and candle's BertModel compute the same vectors, alone and in batches of
    // mixed lengths (from 3 tokens to the 256-token limit).
    let reference = Embedder::load_with(&model, Backend::Candle).unwrap();
    let long = inputs
        .iter()
        .copied()
        .max_by_key(|t| t.len())
        .unwrap()
        .repeat(3);
    let mixed: Vec<&str> = vec![
        "model",
        inputs[0],
        "reducing negative flips",
        long.as_str(),
        inputs[5],
    ];
    let fast = embedder.embed(&mixed).unwrap();
    let slow = reference.embed(&mixed).unwrap();
    for (text, (f, s)) in mixed.iter().zip(fast.iter().zip(&slow)) {
        let cos = dot(f, s);
        assert!(
            cos > 0.99999,
            "{:.40}: fast and candle differ (cosine {cos})",
            text
        );
    }
    for text in &mixed {
        let f = embedder.embed(&[text]).unwrap();
        let s = reference.embed(&[text]).unwrap();
        assert!(dot(&f[0], &s[0]) > 0.99999, "{:.40}: alone", text);
    }
}

/// fp16 products (`fp16.rs`, on CPUs with AVX512-FP16): every vector stays within cosine
/// 0.998 of the reference (the goal) and 0.999 of the fp32 pass, alone or in a batch. Skipped,
/// with a notice, on CPUs without the instructions; the test above covers the fp32 pass they
/// use.
#[test]
fn fp16_products_keep_every_vector_close() {
    reduced_precision_keeps_every_vector_close(Backend::Fp16, "fp16", "AVX512-FP16");
}

/// bf16 products on AMX tiles (`amx.rs`, on CPUs with AMX-BF16, the default there): the same
/// bounds as fp16. Skipped, with a notice, where the CPU or its kernel has no AMX.
#[test]
fn bf16_products_on_amx_keep_every_vector_close() {
    reduced_precision_keeps_every_vector_close(Backend::Bf16, "bf16", "AMX-BF16");
}

fn reduced_precision_keeps_every_vector_close(backend: Backend, name: &str, needs: &str) {
    let (Some(data), Some(model)) = (dp_testkit::env::shared_data(), dp_testkit::env::model_dir())
    else {
        return;
    };
    let reduced = Embedder::load_with(&model, backend).unwrap();
    if reduced.arithmetic() != name {
        eprintln!(
            "skipped: this CPU has no {needs}, so {name} embeddings fall back to {}",
            reduced.arithmetic()
        );
        return;
    }
    let fp32 = Embedder::load_with(&model, Backend::Fp32).unwrap();
    let sample = sample(&data);
    let inputs: Vec<&str> = sample.iter().map(|(_, t, _)| t.as_str()).collect();
    let half = reduced.embed_many(&inputs, 8, &|_| {}).unwrap();
    let full = fp32.embed_many(&inputs, 8, &|_| {}).unwrap();
    let mut worst = (1.0f32, 1.0f32);
    for (((id, _, reference), h), f) in sample.iter().zip(&half).zip(&full) {
        let to_reference = dot(h, reference);
        let to_fp32 = dot(h, f);
        assert!(
            to_reference >= 0.998,
            "{id}: cosine {to_reference} with the reference"
        );
        assert!(
            to_fp32 >= 0.999,
            "{id}: cosine {to_fp32} with the fp32 pass"
        );
        worst = (worst.0.min(to_reference), worst.1.min(to_fp32));
        // Not the fp32 vector itself: the reduced-precision products ran.
        assert!(
            h != f,
            "{id}: the {name} pass gave the fp32 vector bit for bit"
        );
    }
    eprintln!(
        "{name}: worst cosine {:.6} to the reference, {:.6} to fp32, over {} papers",
        worst.0,
        worst.1,
        half.len()
    );
    // One long text alone (more tokens than the short-input kernel takes) agrees with its
    // batched vector.
    let alone = reduced.embed(&inputs[..1]).unwrap();
    assert!(dot(&alone[0], &half[0]) > 0.9999);
    // Queries (a few words, whole titles) are short inputs, embedded one at a time: in the
    // same arithmetic, and as close to the fp32 pass.
    let queries = ["attention", "graph neural networks", "how do LLMs reason?"]
        .into_iter()
        .chain(inputs.iter().filter_map(|t| t.split('\n').next()));
    for q in queries {
        let h = reduced.embed(&[q]).unwrap().remove(0);
        let f = fp32.embed(&[q]).unwrap().remove(0);
        assert!(
            dot(&h, &f) >= 0.999,
            "{q}: cosine {} with fp32",
            dot(&h, &f)
        );
        assert!(
            h != f,
            "{q}: the {name} pass gave the fp32 vector bit for bit"
        );
    }
}
