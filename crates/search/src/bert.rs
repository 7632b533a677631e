//! A BERT encoder forward pass on plain `f32` buffers, for sentence embeddings.
//!
//! candle's `BertModel` is exact but pays a fixed cost per tensor operation (allocation, a
//! thread hand-off, a copy for every reshape), which dominates short texts: a three-token query
//! took 10–19 ms. This pass does the same arithmetic with:
//! - no padding: the sequences of a batch are laid end to end as one `[tokens × hidden]` matrix
//!   for every linear layer, and attention runs per sequence, so nothing is spent on pad tokens
//!   and no mask is needed;
//! - query, key and value fused into one matrix product, weights transposed once at load, and
//!   the attention scale folded into the query weights;
//! - buffers reused per thread, bias, residual, GELU and layer norm applied in place;
//! - matrix products by the `gemm` crate (AVX-512 kernels picked at run time), single-threaded
//!   per call: a batch is split across threads by whole sequences instead; by default the
//!   linear layers run in bf16 on AMX tiles on CPUs with AMX-BF16 ([`crate::amx`]), else in
//!   fp16 on CPUs with AVX512-FP16 ([`crate::fp16`]), for batches and queries alike; in fp32,
//!   short inputs read `f16` weights into `f32` arithmetic (`small`).
//!
//! candle still reads the weights (any float dtype in `model.safetensors`), and its `BertModel`
//! remains the reference the tests compare this pass against, and the fallback for
//! configurations this pass does not cover.

use crate::embed::Precision;
use candle_core::{DType, Device, Tensor};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

/// The fields of a BERT `config.json` this pass needs.
#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct BertConfig {
    pub hidden_size: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub max_position_embeddings: usize,
    pub vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    #[serde(default)]
    pub position_embedding_type: Option<String>,
}

fn default_eps() -> f64 {
    1e-12
}

fn default_act() -> String {
    "gelu".into()
}

impl BertConfig {
    /// Whether this pass computes what the model was trained with: exact (erf) GELU and
    /// absolute position embeddings. Anything else goes to candle.
    pub fn supported(&self) -> bool {
        self.hidden_act == "gelu"
            && matches!(
                self.position_embedding_type.as_deref(),
                None | Some("absolute")
            )
            && self.num_attention_heads > 0
            && self.hidden_size.is_multiple_of(self.num_attention_heads)
    }
}

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Layer {
    /// `[hidden × 3·hidden]`: query (pre-scaled), key, value side by side.
    qkv_w: Linear,
    qkv_b: Vec<f32>,
    /// `[hidden × hidden]`.
    out_w: Linear,
    out_b: Vec<f32>,
    ln1: Norm,
    /// `[hidden × intermediate]`.
    up_w: Linear,
    up_b: Vec<f32>,
    /// `[intermediate × hidden]`.
    down_w: Linear,
    down_b: Vec<f32>,
    ln2: Norm,
}

/// A linear layer's weight `[k × n]` (input × output, row-major), kept in the forms its
/// kernels read:
/// - with [`Precision::Bf16`] on CPUs with AMX-BF16, [`crate::amx`]'s bf16 tiles, for every
///   input (about 1.5× the fp16 kernel's throughput on batches; then nothing else is kept);
/// - with [`Precision::Fp16`] (or `Bf16` without AMX) on CPUs with AVX512-FP16,
///   [`crate::fp16`]'s panels, for every
///   input (fp16 arithmetic: about 1.6× the throughput on batches, and a query in about half
///   the time of the short-input kernel; then nothing else is kept);
/// - otherwise, on CPUs with AVX-512, `f16` panels of 64 columns for short inputs (a query),
///   where reading the weights is most of the cost: half the bytes, read once, in order (`f32`
///   arithmetic);
/// - and `f32` for `gemm` for long inputs (a batch of abstracts), which packs it on every call
///   (cheap next to the arithmetic of a whole batch).
struct Linear {
    w: Vec<f32>,
    k: usize,
    n: usize,
    panels: Option<Vec<u16>>,
    /// The weight in [`crate::fp16`]'s panels, when that arithmetic was chosen and the CPU
    /// has AVX512-FP16 (then `w` is left empty and there are no `panels`: nothing reads them).
    half: Option<Vec<u16>>,
    /// The weight in [`crate::amx`]'s bf16 tiles, when bf16 was chosen and the CPU has
    /// AMX-BF16 (then nothing else is kept).
    tiles: Option<Vec<u16>>,
}

/// Up to this many rows (tokens) go to the `f16` panel kernel.
const SMALL_ROWS: usize = 48;

impl Linear {
    fn new(w: Vec<f32>, k: usize, n: usize, precision: Precision) -> Linear {
        // bf16 on AMX where asked for and present; else fp16 where asked for (or bf16 was,
        // and the CPU lacks AMX) and present; else fp32.
        let tiles = (precision == Precision::Bf16
            && crate::amx::available()
            && n.is_multiple_of(crate::amx::NT))
        .then(|| crate::amx::pack(&w, k, n));
        let half = (tiles.is_none()
            && precision != Precision::Fp32
            && crate::fp16::available()
            && n.is_multiple_of(crate::fp16::NT))
        .then(|| crate::fp16::pack(&w, k, n));
        // The fp16 kernel takes every input when it runs (short ones too: a whole title as a
        // query embedded in 0.47x the time of the short-input kernel); otherwise short inputs
        // go to the short-input kernel and long ones to `gemm` on `w`.
        let fast = half.is_some() || tiles.is_some();
        let panels = (!fast && small::available() && n.is_multiple_of(small::NT))
            .then(|| small::pack(&w, k, n));
        let w = if fast { Vec::new() } else { w };
        Linear {
            w,
            k,
            n,
            panels,
            half,
            tiles,
        }
    }

    /// `dst[m×n] += a[m×k]`·W, both row-major and dense.
    fn apply(&self, m: usize, a: &[f32], dst: &mut [f32]) {
        assert!(a.len() >= m * self.k && dst.len() >= m * self.n);
        if let Some(t) = &self.tiles {
            return crate::amx::matmul(m, self.k, self.n, a, t, dst);
        }
        match (&self.panels, &self.half) {
            (_, Some(h)) => crate::fp16::matmul(m, self.k, self.n, a, h, dst),
            (Some(p), _) if m <= SMALL_ROWS => small::matmul(m, self.k, self.n, a, p, dst),
            _ => matmul(m, self.k, self.n, a, self.k, &self.w, dst, self.n),
        }
    }
}

/// The loaded weights of a BERT encoder.
pub(crate) struct FastBert {
    hidden: usize,
    heads: usize,
    inter: usize,
    eps: f32,
    vocab: usize,
    max_positions: usize,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    emb_norm: Norm,
    layers: Vec<Layer>,
}

/// Reads named tensors from the safetensors file, with or without a `bert.` prefix.
struct Weights(HashMap<String, Tensor>);

impl Weights {
    fn get(&self, name: &str) -> candle_core::Result<Tensor> {
        self.0
            .get(name)
            .or_else(|| self.0.get(&format!("bert.{name}")))
            .cloned()
            .ok_or_else(|| candle_core::Error::Msg(format!("tensor {name} is missing")))
    }

    fn vec(&self, name: &str, len: usize) -> candle_core::Result<Vec<f32>> {
        let v = self
            .get(name)?
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        if v.len() != len {
            return Err(candle_core::Error::Msg(format!(
                "tensor {name} has {} values, expected {len}",
                v.len()
            )));
        }
        Ok(v)
    }

    /// A PyTorch linear weight `[out × in]`, returned transposed as `[in × out]`, times `scale`.
    fn linear(
        &self,
        name: &str,
        input: usize,
        output: usize,
        scale: f32,
    ) -> candle_core::Result<Vec<f32>> {
        let w = self.vec(name, input * output)?;
        let mut t = vec![0.0; input * output];
        for o in 0..output {
            for i in 0..input {
                t[i * output + o] = w[o * input + i] * scale;
            }
        }
        Ok(t)
    }

    fn norm(&self, prefix: &str, len: usize) -> candle_core::Result<Norm> {
        Ok(Norm {
            gamma: self.vec(&format!("{prefix}.weight"), len)?,
            beta: self.vec(&format!("{prefix}.bias"), len)?,
        })
    }
}

impl FastBert {
    /// Loads the weights in `weights` (a `model.safetensors`) for `config`.
    pub fn load(
        weights: &Path,
        config: &BertConfig,
        precision: Precision,
    ) -> candle_core::Result<FastBert> {
        let w = Weights(candle_core::safetensors::load(weights, &Device::Cpu)?);
        let h = config.hidden_size;
        let i = config.intermediate_size;
        let heads = config.num_attention_heads;
        let scale = 1.0 / ((h / heads) as f32).sqrt();
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for l in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{l}");
            let q = w.linear(&format!("{p}.attention.self.query.weight"), h, h, scale)?;
            let k = w.linear(&format!("{p}.attention.self.key.weight"), h, h, 1.0)?;
            let v = w.linear(&format!("{p}.attention.self.value.weight"), h, h, 1.0)?;
            let mut qkv_w = vec![0.0; h * 3 * h];
            for row in 0..h {
                let dst = &mut qkv_w[row * 3 * h..(row + 1) * 3 * h];
                dst[..h].copy_from_slice(&q[row * h..(row + 1) * h]);
                dst[h..2 * h].copy_from_slice(&k[row * h..(row + 1) * h]);
                dst[2 * h..].copy_from_slice(&v[row * h..(row + 1) * h]);
            }
            let mut qkv_b = w.vec(&format!("{p}.attention.self.query.bias"), h)?;
            qkv_b.iter_mut().for_each(|b| *b *= scale);
            qkv_b.extend(w.vec(&format!("{p}.attention.self.key.bias"), h)?);
            qkv_b.extend(w.vec(&format!("{p}.attention.self.value.bias"), h)?);
            layers.push(Layer {
                qkv_w: Linear::new(qkv_w, h, 3 * h, precision),
                qkv_b,
                out_w: Linear::new(
                    w.linear(&format!("{p}.attention.output.dense.weight"), h, h, 1.0)?,
                    h,
                    h,
                    precision,
                ),
                out_b: w.vec(&format!("{p}.attention.output.dense.bias"), h)?,
                ln1: w.norm(&format!("{p}.attention.output.LayerNorm"), h)?,
                up_w: Linear::new(
                    w.linear(&format!("{p}.intermediate.dense.weight"), h, i, 1.0)?,
                    h,
                    i,
                    precision,
                ),
                up_b: w.vec(&format!("{p}.intermediate.dense.bias"), i)?,
                down_w: Linear::new(
                    w.linear(&format!("{p}.output.dense.weight"), i, h, 1.0)?,
                    i,
                    h,
                    precision,
                ),
                down_b: w.vec(&format!("{p}.output.dense.bias"), h)?,
                ln2: w.norm(&format!("{p}.output.LayerNorm"), h)?,
            });
        }
        let token_type = w.get("embeddings.token_type_embeddings.weight")?;
        let token_type = token_type
            .to_dtype(DType::F32)?
            .flatten_all()?
            .narrow(0, 0, h)?
            .to_vec1::<f32>()?;
        Ok(FastBert {
            hidden: h,
            heads,
            inter: i,
            eps: config.layer_norm_eps as f32,
            vocab: config.vocab_size,
            max_positions: config.max_position_embeddings,
            word: w.vec("embeddings.word_embeddings.weight", config.vocab_size * h)?,
            position: w.vec(
                "embeddings.position_embeddings.weight",
                config.max_position_embeddings * h,
            )?,
            token_type,
            emb_norm: w.norm("embeddings.LayerNorm", h)?,
            layers,
        })
    }

    /// The arithmetic of the linear layers: bf16 when they have [`crate::amx`]'s tiles (asked
    /// for, and the CPU has AMX-BF16), fp16 when they have [`crate::fp16`]'s panels (asked for,
    /// and the CPU has AVX512-FP16), else fp32.
    pub fn precision(&self) -> Precision {
        if self.layers.iter().any(|l| l.qkv_w.tiles.is_some()) {
            Precision::Bf16
        } else if self.layers.iter().any(|l| l.qkv_w.half.is_some()) {
            Precision::Fp16
        } else {
            Precision::Fp32
        }
    }

    /// Mean-pooled, L2-normalised embeddings of token sequences (each already truncated, with
    /// its special tokens), in order. Several sequences are split across rayon's threads; one
    /// sequence runs on the calling thread alone.
    pub fn embed(&self, sequences: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, String> {
        for s in sequences {
            if s.len() > self.max_positions {
                return Err(format!(
                    "a sequence of {} tokens is longer than the model's {} positions",
                    s.len(),
                    self.max_positions
                ));
            }
            if let Some(bad) = s.iter().find(|&&t| t as usize >= self.vocab) {
                return Err(format!("token id {bad} is outside the vocabulary"));
            }
        }
        let threads = rayon::current_num_threads().min(sequences.len()).max(1);
        if threads == 1 {
            return Ok(self.embed_group(sequences));
        }
        // Split by whole sequences into groups of about equal token counts, keeping order.
        let total: usize = sequences.iter().map(Vec::len).sum();
        let mut groups: Vec<&[Vec<u32>]> = Vec::with_capacity(threads);
        let mut start = 0;
        let mut acc = 0;
        for (n, s) in sequences.iter().enumerate() {
            acc += s.len();
            if acc * threads >= total * (groups.len() + 1) && groups.len() + 1 < threads {
                groups.push(&sequences[start..=n]);
                start = n + 1;
            }
        }
        groups.push(&sequences[start..]);
        use rayon::prelude::*;
        let parts: Vec<Vec<Vec<f32>>> = groups.par_iter().map(|g| self.embed_group(g)).collect();
        Ok(parts.into_iter().flatten().collect())
    }

    /// The forward pass for one group of sequences on the current thread.
    fn embed_group(&self, sequences: &[Vec<u32>]) -> Vec<Vec<f32>> {
        if sequences.is_empty() {
            return Vec::new();
        }
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            self.forward(sequences, &mut s)
        })
    }

    fn forward(&self, sequences: &[Vec<u32>], s: &mut Scratch) -> Vec<Vec<f32>> {
        let h = self.hidden;
        let t: usize = sequences.iter().map(Vec::len).sum();
        let longest = sequences.iter().map(Vec::len).max().unwrap_or(0);
        let x = grow(&mut s.x, t * h);
        let qkv = grow(&mut s.qkv, t * 3 * h);
        let ctx = grow(&mut s.ctx, t * h);
        let up = grow(&mut s.up, t * self.inter);
        let scores = grow(&mut s.scores, longest * longest);

        // Embeddings: word + position + token type 0, then layer norm.
        let mut row = 0;
        for seq in sequences {
            for (p, &id) in seq.iter().enumerate() {
                let dst = &mut x[row * h..(row + 1) * h];
                let word = &self.word[id as usize * h..(id as usize + 1) * h];
                let pos = &self.position[p * h..(p + 1) * h];
                for j in 0..h {
                    dst[j] = word[j] + pos[j] + self.token_type[j];
                }
                row += 1;
            }
        }
        layer_norm(x, h, &self.emb_norm, self.eps);

        for layer in &self.layers {
            // Query, key and value in one product, bias first.
            fill_rows(qkv, &layer.qkv_b);
            layer.qkv_w.apply(t, x, qkv);
            self.attention(sequences, qkv, ctx, scores);
            // x += ctx · Wo, then bias and layer norm.
            layer.out_w.apply(t, ctx, x);
            add_rows(x, &layer.out_b);
            layer_norm(x, h, &layer.ln1, self.eps);
            // Feed-forward: up with GELU, down added to x, bias and layer norm.
            fill_rows(up, &layer.up_b);
            layer.up_w.apply(t, x, up);
            gelu(up);
            layer.down_w.apply(t, up, x);
            add_rows(x, &layer.down_b);
            layer_norm(x, h, &layer.ln2, self.eps);
        }

        // Mean over each sequence's tokens, then unit length.
        let mut out = Vec::with_capacity(sequences.len());
        let mut row = 0;
        for seq in sequences {
            let mut v = vec![0.0f32; h];
            for r in row..row + seq.len() {
                for (acc, &val) in v.iter_mut().zip(&x[r * h..(r + 1) * h]) {
                    *acc += val;
                }
            }
            row += seq.len();
            let n = seq.len().max(1) as f32;
            v.iter_mut().for_each(|a| *a /= n);
            let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt().max(1e-12);
            v.iter_mut().for_each(|a| *a /= norm);
            out.push(v);
        }
        out
    }

    /// Self-attention per sequence and head: `ctx = softmax(Q·Kᵀ)·V` (Q is pre-scaled).
    fn attention(&self, sequences: &[Vec<u32>], qkv: &[f32], ctx: &mut [f32], scores: &mut [f32]) {
        let h = self.hidden;
        let d = h / self.heads;
        let stride = 3 * h;
        let mut first = 0;
        for seq in sequences {
            let l = seq.len();
            for head in 0..self.heads {
                let q = &qkv[first * stride + head * d..];
                let k = &qkv[first * stride + h + head * d..];
                let v = &qkv[first * stride + 2 * h + head * d..];
                let sc = &mut scores[..l * l];
                // Every view stays inside its slice: rows first..first+l of qkv (stride 3h,
                // columns below 3h), an l×l score block, rows of ctx.
                gemm_views(l, l, d, sc, l, false, (q, stride, 1), (k, 1, stride));
                softmax_rows(sc, l);
                let out = &mut ctx[first * h + head * d..];
                gemm_views(l, d, l, out, h, false, (sc, l, 1), (v, stride, 1));
            }
            first += l;
        }
    }
}

/// Per-thread buffers, grown as needed and reused across calls.
#[derive(Default)]
struct Scratch {
    x: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    up: Vec<f32>,
    scores: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The first `len` values of `buf`, growing it if needed. Callers overwrite before reading.
fn grow(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    &mut buf[..len]
}

/// `dst[m×n] += a[m×k] · w[k×n]`, all row-major; `lda`/`ldd` are row strides.
#[allow(clippy::too_many_arguments)]
fn matmul(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    lda: usize,
    w: &[f32],
    dst: &mut [f32],
    ldd: usize,
) {
    gemm_views(m, n, k, dst, ldd, true, (a, lda, 1), (w, n, 1));
}

/// `dst[m×n] (+)= lhs[m×k] · rhs[k×n]` on strided views: `dst` has row stride `ldd` (columns
/// contiguous), each operand is `(slice, row stride, column stride)`; `accumulate` adds to
/// `dst` instead of overwriting it. Single-threaded. Panics if a view reaches past its slice.
#[allow(clippy::too_many_arguments)]
fn gemm_views(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    ldd: usize,
    accumulate: bool,
    lhs: (&[f32], usize, usize),
    rhs: (&[f32], usize, usize),
) {
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| {
        (rows.max(1) - 1) * rs + (cols.max(1) - 1) * cs
    };
    if m == 0 || n == 0 {
        return;
    }
    assert!(dst.len() > last(m, n, ldd, 1));
    assert!(k == 0 || lhs.0.len() > last(m, k, lhs.1, lhs.2));
    assert!(k == 0 || rhs.0.len() > last(k, n, rhs.1, rhs.2));
    // SAFETY: the asserts above bound the last element of every view, and strides are
    // non-negative, so every element gemm reads or writes lies inside its slice.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            ldd as isize,
            accumulate,
            lhs.0.as_ptr(),
            lhs.2 as isize,
            lhs.1 as isize,
            rhs.0.as_ptr(),
            rhs.2 as isize,
            rhs.1 as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

fn fill_rows(dst: &mut [f32], bias: &[f32]) {
    for row in dst.chunks_exact_mut(bias.len()) {
        row.copy_from_slice(bias);
    }
}

/// Compiles `$generic` (an `#[inline(always)]` function) a second time with AVX-512 enabled and
/// picks that copy at run time when the CPU has it. The loops are written so the compiler
/// vectorises them (no early exits, reductions over 16 lanes), so the wider copy runs 4× the
/// lanes of the SSE2 baseline.
macro_rules! wide {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) => $generic:ident) => {
        $(#[$doc])*
        fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
                fn wide($($arg: $ty),*) {
                    $generic($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU has every feature `wide` was compiled for.
                    return unsafe { wide($($arg),*) };
                }
            }
            $generic($($arg),*)
        }
    };
}

wide! {
    /// `dst[r] += bias` for every row `r`.
    fn add_rows(dst: &mut [f32], bias: &[f32]) => add_rows_generic
}

wide! {
    /// Layer norm of every `h`-wide row of `x`, in place.
    fn layer_norm(x: &mut [f32], h: usize, norm: &Norm, eps: f32) => layer_norm_generic
}

wide! {
    /// Exact GELU, `x · Φ(x) = x/2 · (1 + erf(x/√2))`, as BERT's `"gelu"`, in place.
    fn gelu(x: &mut [f32]) => gelu_generic
}

wide! {
    /// Softmax of every `width`-wide row of `rows`, in place.
    fn softmax_rows(rows: &mut [f32], width: usize) => softmax_rows_generic
}

const LANES: usize = 16;

/// Sum over 16 independent lanes (a plain fold is a serial chain the compiler keeps scalar).
#[inline(always)]
fn sum(v: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = v.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for i in 0..LANES {
            acc[i] += c[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn max(v: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = v.chunks_exact(LANES);
    let tail = chunks
        .remainder()
        .iter()
        .copied()
        .fold(f32::NEG_INFINITY, f32::max);
    for c in chunks {
        for i in 0..LANES {
            acc[i] = if c[i] > acc[i] { c[i] } else { acc[i] };
        }
    }
    acc.iter().copied().fold(tail, f32::max)
}

#[inline(always)]
fn add_rows_generic(dst: &mut [f32], bias: &[f32]) {
    for row in dst.chunks_exact_mut(bias.len()) {
        for (d, b) in row.iter_mut().zip(bias) {
            *d += b;
        }
    }
}

#[inline(always)]
fn layer_norm_generic(x: &mut [f32], h: usize, norm: &Norm, eps: f32) {
    let mut centred = vec![0.0f32; h];
    for row in x.chunks_exact_mut(h) {
        let mean = sum(row) / h as f32;
        for (c, v) in centred.iter_mut().zip(row.iter()) {
            *c = (v - mean) * (v - mean);
        }
        let inv = 1.0 / (sum(&centred) / h as f32 + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(&norm.gamma).zip(&norm.beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

#[inline(always)]
fn gelu_generic(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

#[inline(always)]
fn softmax_rows_generic(rows: &mut [f32], width: usize) {
    for row in rows.chunks_exact_mut(width) {
        let top = max(row);
        for v in row.iter_mut() {
            *v = exp_neg(*v - top);
        }
        let inv = 1.0 / sum(row);
        row.iter_mut().for_each(|v| *v *= inv);
    }
}

/// erf as a rational approximation on [-4, 4] (outside it erf is ±1 in f32); absolute error
/// below 1e-6, branch-free so loops over it vectorise. Coefficients as in Eigen's `perf`.
#[inline(always)]
fn erf(x: f32) -> f32 {
    const A1: f32 = -1.609_603_332_624_15e-2_f64 as f32;
    const A3: f32 = -2.954_599_808_540_25e-3_f64 as f32;
    const A5: f32 = -7.349_906_303_268_55e-4_f64 as f32;
    const A7: f32 = -5.692_506_394_623_46e-5_f64 as f32;
    const A9: f32 = -2.101_024_020_825_08e-6_f64 as f32;
    const A11: f32 = 2.770_681_424_959_02e-8_f64 as f32;
    const A13: f32 = -2.726_142_258_013_06e-10_f64 as f32;
    const B0: f32 = -1.426_473_905_141_89e-2_f64 as f32;
    const B2: f32 = -7.373_329_167_204_68e-3_f64 as f32;
    const B4: f32 = -1.682_826_974_382_03e-3_f64 as f32;
    const B6: f32 = -2.133_740_552_789_05e-4_f64 as f32;
    const B8: f32 = -1.456_607_184_649_96e-5_f64 as f32;
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let p = x * (((((((x2 * A13 + A11) * x2 + A9) * x2 + A7) * x2 + A5) * x2 + A3) * x2) + A1);
    let q = (((x2 * B8 + B6) * x2 + B4) * x2 + B2) * x2 + B0;
    p / q
}

/// e^x for x ≤ 0 (softmax after subtracting the row's maximum), branch-free.
#[inline(always)]
fn exp_neg(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23: adding it rounds to an integer
    let x = x.max(-87.0);
    let shifted = x * std::f32::consts::LOG2_E + MAGIC;
    let n = shifted - MAGIC;
    let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // 2^n from the integer the rounding left in the low mantissa bits of `shifted` (no
    // float-to-int conversion, whose saturation rules keep the loop scalar).
    let k = shifted.to_bits().wrapping_sub(MAGIC.to_bits());
    p * f32::from_bits(k.wrapping_add(127) << 23)
}

/// The short-input kernel: `f16` weights in panels of [`small::NT`] columns, multiplied by a
/// few rows at a time with all accumulators in AVX-512 registers.
mod small {
    /// Columns per panel: four 16-lane vectors.
    pub const NT: usize = 64;

    /// Whether this CPU runs the kernel.
    pub fn available() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// `w[k×n]` as `f16` bits, panel by panel: columns `p·NT..(p+1)·NT` of every row, row after
    /// row, so the kernel reads each panel front to back.
    pub fn pack(w: &[f32], k: usize, n: usize) -> Vec<u16> {
        let mut out = Vec::with_capacity(k * n);
        for p in 0..n / NT {
            for row in 0..k {
                out.extend(
                    w[row * n + p * NT..row * n + (p + 1) * NT]
                        .iter()
                        .map(|&v| half::f16::from_f32(v).to_bits()),
                );
            }
        }
        out
    }

    /// `dst[m×n] += a[m×k] · W`, with W packed by [`pack`]. Callers check [`available`],
    /// `n % NT == 0` and the slice lengths.
    pub fn matmul(m: usize, k: usize, n: usize, a: &[f32], panels: &[u16], dst: &mut [f32]) {
        assert!(
            a.len() >= m * k && dst.len() >= m * n && panels.len() >= k * n && n.is_multiple_of(NT)
        );
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: `available()` was true when the panels were made (the only way to get
            // them), and the assert above bounds every read and write.
            unsafe { x86::matmul(m, k, n, a, panels, dst) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("the panels exist only on x86_64")
    }

    #[cfg(target_arch = "x86_64")]
    mod x86 {
        use super::NT;
        use std::arch::x86_64::*;

        #[target_feature(enable = "avx512f")]
        pub unsafe fn matmul(
            m: usize,
            k: usize,
            n: usize,
            a: &[f32],
            panels: &[u16],
            dst: &mut [f32],
        ) {
            for p in 0..n / NT {
                let panel = panels.as_ptr().add(p * k * NT);
                let mut t0 = 0;
                while t0 < m {
                    let a0 = a.as_ptr().add(t0 * k);
                    let d0 = dst.as_mut_ptr().add(t0 * n + p * NT);
                    match m - t0 {
                        1 => tile::<1>(k, n, a0, panel, d0),
                        2 => tile::<2>(k, n, a0, panel, d0),
                        3 => tile::<3>(k, n, a0, panel, d0),
                        _ => tile::<4>(k, n, a0, panel, d0),
                    }
                    t0 += 4;
                }
            }
        }

        /// Rows `0..R` of `a` (row stride `k`) times one panel, added into `dst` (row stride
        /// `n`): 4·R accumulators stay in registers for the whole `k` loop.
        #[target_feature(enable = "avx512f")]
        #[inline]
        unsafe fn tile<const R: usize>(
            k: usize,
            n: usize,
            a: *const f32,
            panel: *const u16,
            dst: *mut f32,
        ) {
            let mut acc = [[_mm512_setzero_ps(); 4]; R];
            for kk in 0..k {
                let row = panel.add(kk * NT);
                let w = [
                    _mm512_cvtph_ps(_mm256_loadu_si256(row as *const __m256i)),
                    _mm512_cvtph_ps(_mm256_loadu_si256(row.add(16) as *const __m256i)),
                    _mm512_cvtph_ps(_mm256_loadu_si256(row.add(32) as *const __m256i)),
                    _mm512_cvtph_ps(_mm256_loadu_si256(row.add(48) as *const __m256i)),
                ];
                for (r, acc) in acc.iter_mut().enumerate() {
                    let x = _mm512_set1_ps(*a.add(r * k + kk));
                    for v in 0..4 {
                        acc[v] = _mm512_fmadd_ps(x, w[v], acc[v]);
                    }
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                for (v, sum) in acc.iter().enumerate() {
                    let out = dst.add(r * n + v * 16);
                    _mm512_storeu_ps(out, _mm512_add_ps(_mm512_loadu_ps(out), *sum));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_the_series_to_a_millionth() {
        // erf by its Taylor series in f64 (converges well on [-4, 4] with enough terms).
        fn erf64(x: f64) -> f64 {
            let mut term = x;
            let mut sum = x;
            let mut n = 0.0;
            while term.abs() > 1e-17 * sum.abs().max(1e-300) || n < 5.0 {
                n += 1.0;
                term *= -x * x / n;
                sum += term / (2.0 * n + 1.0);
                if n > 400.0 {
                    break;
                }
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        }
        let mut worst: f64 = 0.0;
        for i in -3000..=3000 {
            let x = i as f64 / 1000.0;
            worst = worst.max((erf(x as f32) as f64 - erf64(x)).abs());
        }
        assert!(worst < 1e-6, "worst error {worst}");
        assert_eq!(erf(9.0), erf(4.0));
        assert!((erf(4.0) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn exp_matches_std() {
        let mut worst: f32 = 0.0;
        // Down to -85, where e^x is still a normal float; below -87 it is clamped near zero.
        for i in 0..=17_000 {
            let x = -(i as f32) / 200.0;
            let rel = ((exp_neg(x) - x.exp()) / x.exp()).abs();
            worst = worst.max(rel);
        }
        assert!(worst < 1e-6, "worst relative error {worst}");
        assert!(exp_neg(-1000.0) >= 0.0 && exp_neg(-1000.0) < 1e-37);
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut row = vec![1.0, 2.0, 3.0, -50.0];
        softmax_rows(&mut row, 4);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(row[2] > row[1] && row[1] > row[0] && row[3] < 1e-20);
    }

    #[test]
    fn the_short_input_kernel_matches_gemm() {
        if !small::available() {
            eprintln!("no AVX-512 here: the short-input kernel is not used");
            return;
        }
        let (k, n) = (96, 128);
        let w: Vec<f32> = (0..k * n)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 64.0)
            .collect();
        let lin = Linear::new(w.clone(), k, n, Precision::Fp32);
        assert!(lin.panels.is_some());
        for m in [1, 3, 4, 7] {
            let a: Vec<f32> = (0..m * k)
                .map(|i| ((i * 13 % 29) as f32 - 14.0) / 8.0)
                .collect();
            let mut fast = vec![0.5; m * n];
            lin.apply(m, &a, &mut fast);
            let mut slow = vec![0.5; m * n];
            matmul(m, k, n, &a, k, &w, &mut slow, n);
            for (f, s) in fast.iter().zip(&slow) {
                // The weights are exact in f16 here (multiples of 1/64 below 1), so only the
                // order of additions differs.
                assert!((f - s).abs() < 1e-3, "{m} rows: {f} vs {s}");
            }
        }
    }

    #[test]
    fn matmul_with_strides() {
        // [2×3]·[3×2] into a destination with row stride 3, accumulating.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let w = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let mut dst = [10.0, 10.0, 99.0, 10.0, 10.0, 99.0];
        matmul(2, 3, 2, &a, 3, &w, &mut dst, 3);
        assert_eq!(dst, [14.0, 15.0, 99.0, 20.0, 21.0, 99.0]);
    }
}
