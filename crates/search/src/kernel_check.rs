//! Test helpers shared by the matrix-product kernels' tests (`fp16.rs`, `amx.rs`).

/// Deterministic values in about [-1, 1].
pub fn values(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Runs `multiply(a, w, dst)` (`dst[m×n] += a[m×k] · w[k×n]`, `dst` holding a bias) on
/// deterministic values and returns the worst and the mean error against the exact sum in
/// `f64`, relative to the typical size of a sum of `k` terms in [-1, 1].
pub fn errors(
    m: usize,
    k: usize,
    n: usize,
    multiply: impl Fn(&[f32], &[f32], &mut [f32]),
) -> (f64, f64) {
    let a = values(m * k, 1);
    let w = values(k * n, 2);
    let bias = values(m * n, 3);
    let mut got = bias.clone();
    multiply(&a, &w, &mut got);
    let scale = (k as f64).sqrt() / 3.0;
    let (mut worst, mut total) = (0.0f64, 0.0f64);
    for i in 0..m {
        for j in 0..n {
            let exact: f64 = bias[i * n + j] as f64
                + (0..k)
                    .map(|t| a[i * k + t] as f64 * w[t * n + j] as f64)
                    .sum::<f64>();
            let error = (got[i * n + j] as f64 - exact).abs() / scale;
            worst = worst.max(error);
            total += error;
        }
    }
    (worst, total / (m * n) as f64)
}
