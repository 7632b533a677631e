//! The long-input matrix product in half precision, for CPUs with AVX512-FP16.
//!
//! Embedding a corpus is compute-bound: a 241-token abstract is about 5.7 GFLOP through
//! all-MiniLM-L6-v2, nearly all of it in the four linear layers of each block. Measured on one
//! core of this project's 2-core reference machine (an Intel Xeon with AVX-512 BF16 and FP16 but
//! no AMX exposed; `README.md`, "Embedding arithmetic"), register-only loops retire:
//!
//! | instruction | FLOP/s, one core |
//! |---|---|
//! | `vfmadd231ps` (fp32, 16 lanes) | 171 G |
//! | `vdpbf16ps` (bf16 pairs into fp32, AVX512-BF16) | 84 G |
//! | `vfmadd231ph` (fp16, 32 lanes, AVX512-FP16) | 360–376 G |
//!
//! so on this CPU the bf16 dot-product instruction is *slower* than fp32, and fp16 has twice
//! fp32's rate. This kernel multiplies in fp16 and keeps the error small:
//! - inputs are rounded to fp16 (11 significant bits, against bf16's 8);
//! - each fp16 lane sums at most [`CHUNK`]` / 2` products before the partial sums are added
//!   into the `f32` output, so rounding error does not grow with the inner dimension.
//!
//! Layout (as in BLIS): the inner dimension `k` is taken in pairs. A weight panel holds [`NT`]
//! columns; for each pair `(2q, 2q+1)` of rows it stores, column by column, `w[2q][c]`,
//! `w[2q+1][c]`: 128 values, four vectors. A row of the input contributes one 32-bit broadcast
//! per pair (`a[r][2q]`, `a[r][2q+1]` in every lane pair), a pure load on x86, so a step of
//! 24 multiply-adds needs 10 loads and no shuffles. Lane `2j` then sums the even steps of
//! column `j` and lane `2j+1` the odd ones; the two are added when the block is written out.
//! Blocks of [`CHUNK`] steps keep a panel's slice (24 KiB) in L1 while 6-row tiles of the
//! input (converted to fp16 [`MC`] rows at a time, in L2) pass over it.
//!
//! AVX512-FP16 intrinsics are not stable in Rust; the inner loop is stable inline assembly,
//! everything else stable AVX-512F intrinsics.

/// Columns per weight panel: four vectors of 16 columns × 2 steps.
pub const NT: usize = 64;

/// Rows (tokens) per register tile: 6 rows × 4 vectors = 24 accumulators, plus four weight
/// vectors and two broadcasts, in the 32 vector registers.
const R: usize = 6;

/// Steps of the inner dimension per block (even): at most `CHUNK / 2` products are summed in
/// an fp16 lane before they go into `f32`. 192 measured fastest of 32–384 on the shapes of
/// all-MiniLM-L6-v2; `bench embed` reports the resulting cosines.
pub const CHUNK: usize = 192;

/// Input rows converted to fp16 at once (a multiple of [`R`]): 96 rows of up to 1,536 values
/// (288 KiB) stay in L2 while every panel passes over them; 8–32 tiles measured alike.
const MC: usize = 16 * R;

/// Whether this CPU (and its operating system) runs the kernel.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512fp16")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `w[k×n]` (row-major `f32`) as the kernel's `f16` panels (see the module comment); an odd
/// `k` gets a zero row. `n` must be a multiple of [`NT`].
pub fn pack(w: &[f32], k: usize, n: usize) -> Vec<u16> {
    pack_pairs(w, k, n, k.div_ceil(2), |x| half::f16::from_f32(x).to_bits())
}

/// The panel layout of [`pack`] with `pairs` pairs of rows (rows from `k` on are zeros) and
/// each value stored as `convert` gives it; [`crate::amx`] packs bf16 the same way.
pub(crate) fn pack_pairs(
    w: &[f32],
    k: usize,
    n: usize,
    pairs: usize,
    convert: impl Fn(f32) -> u16,
) -> Vec<u16> {
    assert!(n.is_multiple_of(NT) && w.len() >= k * n && 2 * pairs >= k);
    let at = |row: usize, col: usize| {
        if row < k {
            convert(w[row * n + col])
        } else {
            0
        }
    };
    let mut out = Vec::with_capacity(pairs * 2 * n);
    for p in 0..n / NT {
        for q in 0..pairs {
            for c in p * NT..(p + 1) * NT {
                out.push(at(2 * q, c));
                out.push(at(2 * q + 1, c));
            }
        }
    }
    out
}

/// `dst[m×n] += a[m×k] · W`, W packed by [`pack`], in fp16 arithmetic with `f32` partial
/// sums. Panics if [`available`] is false, if `n % NT != 0`, or if a slice is too short.
pub fn matmul(m: usize, k: usize, n: usize, a: &[f32], panels: &[u16], dst: &mut [f32]) {
    assert!(available(), "the fp16 kernel needs AVX512-FP16");
    assert!(
        a.len() >= m * k
            && dst.len() >= m * n
            && panels.len() >= k.div_ceil(2) * 2 * n
            && n.is_multiple_of(NT)
    );
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the CPU has the features (first assert), and the second bounds every access the
    // kernel makes: rows 0..m of `a` and `dst`, panels 0..n/NT of `k.div_ceil(2)` pairs.
    unsafe {
        x86::matmul(m, k, n, a, panels, dst)
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{CHUNK, MC, NT, R};
    use std::arch::asm;
    use std::arch::x86_64::*;
    use std::cell::RefCell;

    thread_local! {
        /// The fp16 copy of the input rows being multiplied (row stride `k` rounded up to
        /// even), reused across calls.
        static ROWS: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
    }

    #[target_feature(enable = "avx512f,avx512bw")]
    pub unsafe fn matmul(m: usize, k: usize, n: usize, a: &[f32], panels: &[u16], dst: &mut [f32]) {
        let kp = k.div_ceil(2) * 2;
        ROWS.with(|rows| {
            let mut rows = rows.borrow_mut();
            let mut start = 0;
            while start < m {
                let len = (m - start).min(MC);
                let padded = len.div_ceil(R) * R;
                if rows.len() < padded * kp {
                    rows.resize(padded * kp, 0);
                }
                for r in 0..len {
                    let src = &a[(start + r) * k..(start + r + 1) * k];
                    // SAFETY: the features were checked by the caller.
                    unsafe { to_f16(src, &mut rows[r * kp..r * kp + k]) };
                    if kp > k {
                        rows[r * kp + k] = 0;
                    }
                }
                rows[len * kp..padded * kp].fill(0);
                // Panel by panel, so a panel's output rows (MC × NT f32) stay in cache while
                // its blocks of CHUNK steps are added in.
                for p in 0..n / NT {
                    for kc in (0..kp).step_by(CHUNK) {
                        let pairs = (kp - kc).min(CHUNK) / 2;
                        for block in (0..len).step_by(R) {
                            let live = (len - block).min(R);
                            // SAFETY: rows block..block+R of the copy (it holds `padded`),
                            // steps kc..kc+2·pairs of them and of panel p (`kp` steps each),
                            // and rows start+block.. +live of `dst`, columns p·NT.. +NT of n.
                            unsafe {
                                tile(
                                    kp,
                                    pairs,
                                    rows.as_ptr().add(block * kp + kc),
                                    panels.as_ptr().add((p * kp + kc) * NT),
                                    dst.as_mut_ptr().add((start + block) * n + p * NT),
                                    n,
                                    live,
                                );
                            }
                        }
                    }
                }
                start += len;
            }
        })
    }

    /// `src` (`f32`) to `dst` (`f16` bits, round to nearest even), same length.
    #[target_feature(enable = "avx512f")]
    unsafe fn to_f16(src: &[f32], dst: &mut [u16]) {
        let whole = src.len() / 16 * 16;
        for i in (0..whole).step_by(16) {
            // SAFETY: i + 16 <= whole <= both lengths.
            unsafe {
                let v = _mm512_loadu_ps(src.as_ptr().add(i));
                let h = _mm512_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(v);
                _mm256_storeu_si256(dst.as_mut_ptr().add(i) as *mut __m256i, h);
            }
        }
        for i in whole..src.len() {
            dst[i] = half::f16::from_f32(src[i]).to_bits();
        }
    }

    /// One block: rows `0..R` of the fp16 copy (row stride `kp`) times `pairs` steps of a
    /// panel, added into the first `live` rows of `dst` (row stride `n`).
    #[target_feature(enable = "avx512f,avx512bw")]
    unsafe fn tile(
        kp: usize,
        pairs: usize,
        rows: *const u16,
        panel: *const u16,
        dst: *mut f32,
        n: usize,
        live: usize,
    ) {
        let mut c = [_mm512_setzero_si512(); 4 * R];
        // SAFETY: the caller's bounds: R rows of stride kp from `rows`.
        let mut b: [*const u16; R] = std::array::from_fn(|r| unsafe { rows.add(r * kp) });
        let mut w = panel;
        for _ in 0..pairs {
            // SAFETY: reads one pair (4 bytes) of each row and 128 f16 of the panel, inside
            // the caller's bounds; advances every pointer by one pair.
            unsafe {
                asm!(
                    "vmovups {w0}, zmmword ptr [{w} + 0]",
                    "vmovups {w1}, zmmword ptr [{w} + 64]",
                    "vmovups {w2}, zmmword ptr [{w} + 128]",
                    "vmovups {w3}, zmmword ptr [{w} + 192]",
                    "vpbroadcastd {t0}, dword ptr [{b0}]",
                    "vfmadd231ph {c0}, {w0}, {t0}",
                    "vfmadd231ph {c1}, {w1}, {t0}",
                    "vfmadd231ph {c2}, {w2}, {t0}",
                    "vfmadd231ph {c3}, {w3}, {t0}",
                    "vpbroadcastd {t1}, dword ptr [{b1}]",
                    "vfmadd231ph {c4}, {w0}, {t1}",
                    "vfmadd231ph {c5}, {w1}, {t1}",
                    "vfmadd231ph {c6}, {w2}, {t1}",
                    "vfmadd231ph {c7}, {w3}, {t1}",
                    "vpbroadcastd {t0}, dword ptr [{b2}]",
                    "vfmadd231ph {c8}, {w0}, {t0}",
                    "vfmadd231ph {c9}, {w1}, {t0}",
                    "vfmadd231ph {c10}, {w2}, {t0}",
                    "vfmadd231ph {c11}, {w3}, {t0}",
                    "vpbroadcastd {t1}, dword ptr [{b3}]",
                    "vfmadd231ph {c12}, {w0}, {t1}",
                    "vfmadd231ph {c13}, {w1}, {t1}",
                    "vfmadd231ph {c14}, {w2}, {t1}",
                    "vfmadd231ph {c15}, {w3}, {t1}",
                    "vpbroadcastd {t0}, dword ptr [{b4}]",
                    "vfmadd231ph {c16}, {w0}, {t0}",
                    "vfmadd231ph {c17}, {w1}, {t0}",
                    "vfmadd231ph {c18}, {w2}, {t0}",
                    "vfmadd231ph {c19}, {w3}, {t0}",
                    "vpbroadcastd {t1}, dword ptr [{b5}]",
                    "vfmadd231ph {c20}, {w0}, {t1}",
                    "vfmadd231ph {c21}, {w1}, {t1}",
                    "vfmadd231ph {c22}, {w2}, {t1}",
                    "vfmadd231ph {c23}, {w3}, {t1}",
                    "add {b0}, 4",
                    "add {b1}, 4",
                    "add {b2}, 4",
                    "add {b3}, 4",
                    "add {b4}, 4",
                    "add {b5}, 4",
                    "add {w}, 256",
                    w = inout(reg) w,
                    b0 = inout(reg) b[0],
                    b1 = inout(reg) b[1],
                    b2 = inout(reg) b[2],
                    b3 = inout(reg) b[3],
                    b4 = inout(reg) b[4],
                    b5 = inout(reg) b[5],
                    w0 = out(zmm_reg) _,
                    w1 = out(zmm_reg) _,
                    w2 = out(zmm_reg) _,
                    w3 = out(zmm_reg) _,
                    t0 = out(zmm_reg) _,
                    t1 = out(zmm_reg) _,
                    c0 = inout(zmm_reg) c[0],
                    c1 = inout(zmm_reg) c[1],
                    c2 = inout(zmm_reg) c[2],
                    c3 = inout(zmm_reg) c[3],
                    c4 = inout(zmm_reg) c[4],
                    c5 = inout(zmm_reg) c[5],
                    c6 = inout(zmm_reg) c[6],
                    c7 = inout(zmm_reg) c[7],
                    c8 = inout(zmm_reg) c[8],
                    c9 = inout(zmm_reg) c[9],
                    c10 = inout(zmm_reg) c[10],
                    c11 = inout(zmm_reg) c[11],
                    c12 = inout(zmm_reg) c[12],
                    c13 = inout(zmm_reg) c[13],
                    c14 = inout(zmm_reg) c[14],
                    c15 = inout(zmm_reg) c[15],
                    c16 = inout(zmm_reg) c[16],
                    c17 = inout(zmm_reg) c[17],
                    c18 = inout(zmm_reg) c[18],
                    c19 = inout(zmm_reg) c[19],
                    c20 = inout(zmm_reg) c[20],
                    c21 = inout(zmm_reg) c[21],
                    c22 = inout(zmm_reg) c[22],
                    c23 = inout(zmm_reg) c[23],
                    options(nostack, readonly),
                );
            }
        }
        // SAFETY: `live` rows of `dst` from the caller.
        unsafe { add_into(&c, dst, n, live) };
    }

    /// Adds the fp16 partial sums of a tile (row r in `c[4r..4r+4]`, lanes interleaved by the
    /// parity of the step) into `dst`. Out of line: inlined into `tile`, its conversions left
    /// the assembly block short of vector registers.
    #[target_feature(enable = "avx512f")]
    #[inline(never)]
    unsafe fn add_into(c: &[__m512i; 4 * R], dst: *mut f32, n: usize, live: usize) {
        let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        for r in 0..live {
            for v in 0..4 {
                let h = c[4 * r + v];
                let lo = _mm512_cvtph_ps(_mm512_castsi512_si256(h));
                let hi = _mm512_cvtph_ps(_mm512_extracti64x4_epi64::<1>(h));
                let sum = _mm512_add_ps(
                    _mm512_permutex2var_ps(lo, even, hi),
                    _mm512_permutex2var_ps(lo, odd, hi),
                );
                // SAFETY: row r < live, columns v·16..v·16+16 < NT of the caller's block.
                unsafe {
                    let out = dst.add(r * n + v * 16);
                    _mm512_storeu_ps(out, _mm512_add_ps(_mm512_loadu_ps(out), sum));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel_check::{errors, values};

    #[test]
    fn packs_pairs_of_rows_column_by_column() {
        // k = 3 (odd: a zero row is added), n = 64.
        let (k, n) = (3, NT);
        let w: Vec<f32> = (0..k * n).map(|i| i as f32).collect();
        let p = pack(&w, k, n);
        assert_eq!(p.len(), 4 * n);
        let f = |bits: u16| half::f16::from_bits(bits).to_f32();
        // Pair 0, column 1: w[0][1], w[1][1].
        assert_eq!((f(p[2]), f(p[3])), (1.0, 65.0));
        // Pair 1, column 0: w[2][0], then the zero row.
        assert_eq!((f(p[2 * n]), f(p[2 * n + 1])), (128.0, 0.0));
    }

    #[test]
    fn matches_f32_products_over_odd_shapes() {
        if !available() {
            eprintln!("skipped: this CPU has no AVX512-FP16; the fp16 kernel is not used here");
            return;
        }
        // Rows not a multiple of the tile or of MC, odd inner sizes, several blocks of CHUNK.
        for (m, k, n) in [(1, 5, 64), (13, 71, 128), (200, 384, 192), (37, 1536, 64)] {
            let (worst, mean) =
                errors(m, k, n, |a, w, dst| matmul(m, k, n, a, &pack(w, k, n), dst));
            // fp16 rounding of inputs and of partial sums of up to 96 terms: a few thousandths
            // at worst, a thousandth on average. A wrong index or pair gives errors near 1.
            assert!(
                worst < 1e-2,
                "({m}, {k}, {n}): worst error {worst} of the sum's scale"
            );
            assert!(
                mean < 2e-3,
                "({m}, {k}, {n}): mean error {mean} of the sum's scale"
            );
        }
    }

    #[test]
    fn rows_past_the_input_are_left_alone() {
        if !available() {
            eprintln!("skipped: this CPU has no AVX512-FP16; the fp16 kernel is not used here");
            return;
        }
        let (m, k, n) = (5, 16, 64);
        let a = values(m * k, 4);
        let w = values(k * n, 5);
        let mut dst = vec![7.0f32; (m + 3) * n];
        matmul(m, k, n, &a, &pack(&w, k, n), &mut dst);
        assert!(dst[m * n..].iter().all(|&v| v == 7.0));
        assert!(dst[..m * n].iter().any(|&v| v != 7.0));
    }
}
