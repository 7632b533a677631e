//! Times the embedder on one short query, one title and a batch of abstracts-sized texts:
//! `cargo run --release -p dp-bench --example embed_timing -- MODEL_DIR [candle|fp32|fp16|bf16]`.
use dp_search::embed::{Backend, Embedder};
use std::time::Instant;

fn p50(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "var/models/all-MiniLM-L6-v2".into());
    let backend = match std::env::args().nth(2).as_deref() {
        Some("candle") => Backend::Candle,
        Some("fp32") => Backend::Fp32,
        Some("fp16") => Backend::Fp16,
        Some("bf16") => Backend::Bf16,
        _ => Backend::Auto,
    };
    let e = Embedder::load_with(std::path::Path::new(&dir), backend).expect("model");
    for text in [
        "model",
        "reducing negative flips when updating a model",
        "MUSCLE: A Model Update Strategy for Compatible LLM Evolution with a long enough title to count",
    ] {
        let mut times = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            e.embed(&[text]).expect("embed");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!("{:>3} tokens: p50 {:.3} ms", e.token_count(text), p50(times));
    }
    // The same texts in turn, with 64 MB of other memory read between calls (as a search does).
    let junk = vec![1u8; 64 << 20];
    let texts3 = ["model", "reducing negative flips when updating a model", "MUSCLE: A Model Update Strategy for Compatible LLM Evolution with a long enough title to count"];
    let mut times = vec![Vec::new(); 3];
    for i in 0..300 {
        let t = Instant::now();
        e.embed(&[texts3[i % 3]]).expect("embed");
        times[i % 3].push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(junk.iter().map(|&b| b as u64).sum::<u64>());
    }
    for (t, v) in texts3.iter().zip(times) {
        println!("cold {:>3} tokens: p50 {:.3} ms", e.token_count(t), p50(v));
    }
    let abstract_ =
        "We study the problem of ranking papers by a mixture of keyword and semantic signals. "
            .repeat(16);
    let n: usize = std::env::var("EMBED_TIMING_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let texts: Vec<&str> = (0..n).map(|_| abstract_.as_str()).collect();
    let t = Instant::now();
    e.embed_many(&texts, 16, &|_| {}).expect("embed");
    let s = t.elapsed().as_secs_f64();
    println!(
        "{n} × {} tokens: {:.1} docs/s",
        e.token_count(&abstract_),
        n as f64 / s
    );
}
