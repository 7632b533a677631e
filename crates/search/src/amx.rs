//! The linear layers' matrix product on AMX tiles in bf16, for CPUs with AMX-BF16.
//!
//! Intel's Advanced Matrix Extensions hold eight tile registers of up to 16 rows × 64 bytes, and
//! `tdpbf16ps` multiplies a 16 × 32 bf16 tile by a 32 × 16 one into a 16 × 16 `f32` tile: 16,384
//! floating-point operations in one instruction. Measured on one core of the 2-core machine of
//! 2026-12-08 (register-only loops): 3,250–3,400 GFLOP/s for `tdpbf16ps` alone, against about
//! 400 for AVX512-FP16's `vfmadd231ph` ([`crate::fp16`]) and 200 for fp32. But a `tileloadd`
//! costs about 35 cycles there, so a step that loads its four operand tiles (two of the input,
//! two of the weight) for four products runs at about 1,000 GFLOP/s; this kernel reaches 400–700
//! on the model's shapes, and the whole batch embedding about 2.2× the fp32 pass.
//!
//! Error: inputs and weights are rounded to bf16 (8 significant bits), every product is exact
//! in `f32` and every sum is kept in `f32` (unlike [`crate::fp16`], no partial sums in half
//! precision). Bias, residual, GELU, layer norm and attention stay in `f32` outside this kernel.
//!
//! Layout: the weight is cut into tiles of 16 columns; each holds, for each step of [`KT`] of
//! the inner dimension, 16 rows of pairs `w[2q][c], w[2q+1][c]` for its 16 columns `c` (what a
//! `tdpbf16ps` right-hand tile reads), 1 KiB, the steps one after another. The inner dimension
//! is padded with zeros to a multiple of [`KT`]. The input is converted to bf16 [`MC`] rows at
//! a time (in L2); then, for each block of [`NT`] output columns (two weight tiles, in L1 after
//! the first pass), each block of [`MB`] rows adds in its product: four accumulator tiles
//! loaded from the output (which holds the bias or the residual), fed by two input tiles and
//! two weight tiles per step, and stored back.
//!
//! The instructions are stable inline assembly (Rust's AMX intrinsics are not stable); Linux
//! gives a process the tiles' state only after `arch_prctl(ARCH_REQ_XCOMP_PERM)`, which
//! [`available`] asks for once.

use std::sync::OnceLock;

/// Output columns per block: two tiles of 16.
pub const NT: usize = 32;

/// Steps of the inner dimension per tile: 32 bf16 values, one 64-byte tile row.
const KT: usize = 32;

/// Input rows per block: two tiles of 16 rows.
const MB: usize = 32;

/// Input rows converted to bf16 at once (a multiple of [`MB`]): 256 rows of up to 1,536 values
/// (768 KiB) stay in L2 while each column block's weight tiles, in L1, meet every block of them.
const MC: usize = 8 * MB;

/// Whether this CPU and its operating system run the kernel: CPUID says AMX-TILE and AMX-BF16
/// (with AVX-512 for the conversions), and Linux granted the tile data state.
pub fn available() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(detect)
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn detect() -> bool {
    use std::arch::x86_64::__cpuid_count;
    if !(std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw"))
    {
        return false;
    }
    // CPUID leaf 7, sub-leaf 0, EDX: bit 22 AMX-BF16, bit 24 AMX-TILE.
    let leaf = __cpuid_count(7, 0);
    if leaf.edx & (1 << 22) == 0 || leaf.edx & (1 << 24) == 0 {
        return false;
    }
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: a plain system call with integer arguments; it changes only which state the
    // kernel saves for this process's threads.
    unsafe {
        libc::syscall(
            libc::SYS_arch_prctl,
            ARCH_REQ_XCOMP_PERM,
            XFEATURE_XTILEDATA,
        ) == 0
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn detect() -> bool {
    false
}

/// `w[k×n]` (row-major `f32`) as the kernel's bf16 tiles (see the module comment); the inner
/// dimension is padded with zero rows to a multiple of [`KT`]. `n` must be a multiple of [`NT`].
pub fn pack(w: &[f32], k: usize, n: usize) -> Vec<u16> {
    assert!(n.is_multiple_of(NT) && w.len() >= k * n);
    let steps = k.div_ceil(KT);
    let at = |row: usize, col: usize| {
        if row < k {
            half::bf16::from_f32(w[row * n + col]).to_bits()
        } else {
            0
        }
    };
    let mut out = Vec::with_capacity(steps * KT * n);
    for block in 0..n / 16 {
        for pair in 0..steps * KT / 2 {
            for c in block * 16..(block + 1) * 16 {
                out.push(at(2 * pair, c));
                out.push(at(2 * pair + 1, c));
            }
        }
    }
    out
}

/// `dst[m×n] += a[m×k] · W`, W packed by [`pack`], with bf16 products summed in `f32`.
/// Panics if [`available`] is false, if `n % NT != 0`, or if a slice is too short.
pub fn matmul(m: usize, k: usize, n: usize, a: &[f32], panels: &[u16], dst: &mut [f32]) {
    assert!(available(), "the AMX kernel needs AMX-BF16");
    let kp = k.div_ceil(KT) * KT;
    assert!(
        a.len() >= m * k && dst.len() >= m * n && panels.len() >= kp * n && n.is_multiple_of(NT)
    );
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the CPU has the features and the process the tile state (first assert); the
    // second bounds every access: rows 0..m of `a` and `dst`, panels of `kp` steps.
    unsafe {
        x86::matmul(m, k, n, a, panels, dst)
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{KT, MB, MC, NT};
    use std::arch::asm;
    use std::arch::x86_64::*;
    use std::cell::RefCell;

    /// The input block in bf16 (`MB` rows of stride `kp`) and an output block for the last,
    /// partly filled rows (`MB` × 32 `f32`), reused across calls.
    struct Buffers {
        rows: Vec<u16>,
        partial: Vec<f32>,
    }

    thread_local! {
        static BUFFERS: RefCell<Buffers> =
            const { RefCell::new(Buffers { rows: Vec::new(), partial: Vec::new() }) };
    }

    /// The tile configuration: palette 1, all eight tiles 16 rows × 64 bytes.
    #[repr(C, align(64))]
    struct TileConfig([u8; 64]);

    const CONFIG: TileConfig = {
        let mut c = [0u8; 64];
        c[0] = 1;
        let mut t = 0;
        while t < 8 {
            c[16 + 2 * t] = 64;
            c[48 + t] = 16;
            t += 1;
        }
        TileConfig(c)
    };

    #[target_feature(enable = "avx512f,avx512bw")]
    pub unsafe fn matmul(m: usize, k: usize, n: usize, a: &[f32], panels: &[u16], dst: &mut [f32]) {
        let kp = k.div_ceil(KT) * KT;
        BUFFERS.with(|b| {
            let mut b = b.borrow_mut();
            let Buffers { rows, partial } = &mut *b;
            partial.resize(MB * NT, 0.0);
            // SAFETY: the configuration is 64 aligned bytes; the tiles are this thread's.
            unsafe { asm!("ldtilecfg [{}]", in(reg) CONFIG.0.as_ptr(), options(nostack)) };
            let mut start = 0;
            while start < m {
                // A chunk of up to MC rows in bf16, padded with zero rows to whole blocks.
                let len = (m - start).min(MC);
                let padded = len.div_ceil(MB) * MB;
                rows.resize(padded * kp, 0);
                for r in 0..len {
                    let src = &a[(start + r) * k..(start + r + 1) * k];
                    let row = &mut rows[r * kp..(r + 1) * kp];
                    // SAFETY: the features were checked by the caller.
                    unsafe { to_bf16(src, &mut row[..k]) };
                    row[k..].fill(0);
                }
                rows[len * kp..padded * kp].fill(0);
                // Column block by column block, so its weight tiles (kp × NT) stay in L1
                // while the chunk's blocks of rows pass over them.
                for col in (0..n).step_by(NT) {
                    // Tiles of 16 columns `col / 16` and the next, each `kp` steps long.
                    let weights = panels[col * kp..].as_ptr();
                    for first in (0..len).step_by(MB) {
                        let live = (len - first).min(MB);
                        let input = rows[first * kp..].as_ptr();
                        let at = (start + first) * n + col;
                        if live == MB {
                            // SAFETY: rows start+first.. +MB and columns col..col+NT of
                            // `dst`; `kp` steps of MB rows of the chunk and of both tiles.
                            unsafe {
                                block(kp / KT, input, kp, weights, dst.as_mut_ptr().add(at), n)
                            };
                        } else {
                            partial.fill(0.0);
                            for r in 0..live {
                                partial[r * NT..(r + 1) * NT]
                                    .copy_from_slice(&dst[at + r * n..at + r * n + NT]);
                            }
                            // SAFETY: as above, with the output in `partial` (MB × NT).
                            unsafe { block(kp / KT, input, kp, weights, partial.as_mut_ptr(), NT) };
                            for r in 0..live {
                                dst[at + r * n..at + r * n + NT]
                                    .copy_from_slice(&partial[r * NT..(r + 1) * NT]);
                            }
                        }
                    }
                }
                start += len;
            }
            // SAFETY: gives the tiles back, so a context switch need not save them.
            unsafe { asm!("tilerelease", options(nostack, nomem)) };
        })
    }

    /// `src` (`f32`) to `dst` (bf16 bits, round to nearest even), same length.
    #[target_feature(enable = "avx512f,avx512bw")]
    unsafe fn to_bf16(src: &[f32], dst: &mut [u16]) {
        let whole = src.len() / 16 * 16;
        let one = _mm512_set1_epi32(1);
        let half_ulp = _mm512_set1_epi32(0x7fff);
        for i in (0..whole).step_by(16) {
            // SAFETY: i + 16 <= whole <= both lengths.
            unsafe {
                let bits = _mm512_castps_si512(_mm512_loadu_ps(src.as_ptr().add(i)));
                let odd = _mm512_and_si512(_mm512_srli_epi32::<16>(bits), one);
                let rounded = _mm512_add_epi32(bits, _mm512_add_epi32(odd, half_ulp));
                let h = _mm512_cvtepi32_epi16(_mm512_srli_epi32::<16>(rounded));
                _mm256_storeu_si256(dst.as_mut_ptr().add(i) as *mut __m256i, h);
            }
        }
        for i in whole..src.len() {
            dst[i] = half::bf16::from_f32(src[i]).to_bits();
        }
    }

    /// One output block of 32 rows × 32 columns at `c` (row stride `ldc` values), plus the
    /// product of the input block (32 rows of stride `kp` bf16) and `steps` steps of the two
    /// weight tiles at `b` and `b + 16·kp` (see the module comment). Each operand tile is
    /// loaded just before its first product: tiles are not renamed, so a load waits for the
    /// products still reading the register.
    #[target_feature(enable = "avx512f")]
    unsafe fn block(
        steps: usize,
        a: *const u16,
        kp: usize,
        b: *const u16,
        c: *mut f32,
        ldc: usize,
    ) {
        let a_stride = kp * 2;
        let c_stride = ldc * 4;
        // SAFETY: the caller's bounds: 32 rows of `c`, 32 rows × `steps`·32 of `a`, and
        // `steps` × 16 row pairs of the panel.
        unsafe {
            asm!(
                "tileloadd tmm0, [{c} + {cs}*1]",
                "tileloadd tmm1, [{c} + {cs}*1 + 64]",
                "tileloadd tmm2, [{c2} + {cs}*1]",
                "tileloadd tmm3, [{c2} + {cs}*1 + 64]",
                "2:",
                "tileloadd tmm4, [{a} + {astr}*1]",
                "tileloadd tmm6, [{b} + {bs}*1]",
                "tdpbf16ps tmm0, tmm4, tmm6",
                "tileloadd tmm7, [{b2} + {bs}*1]",
                "tdpbf16ps tmm1, tmm4, tmm7",
                "tileloadd tmm5, [{a2} + {astr}*1]",
                "tdpbf16ps tmm2, tmm5, tmm6",
                "tdpbf16ps tmm3, tmm5, tmm7",
                "add {a}, 64",
                "add {a2}, 64",
                "add {b}, 1024",
                "add {b2}, 1024",
                "dec {steps}",
                "jnz 2b",
                "tilestored [{c} + {cs}*1], tmm0",
                "tilestored [{c} + {cs}*1 + 64], tmm1",
                "tilestored [{c2} + {cs}*1], tmm2",
                "tilestored [{c2} + {cs}*1 + 64], tmm3",
                c = in(reg) c,
                c2 = in(reg) c.add(16 * ldc),
                cs = in(reg) c_stride,
                a = inout(reg) a => _,
                a2 = inout(reg) a.add(16 * kp) => _,
                astr = in(reg) a_stride,
                b = inout(reg) b => _,
                b2 = inout(reg) b.add(16 * kp) => _,
                bs = in(reg) 64usize,
                steps = inout(reg) steps => _,
                options(nostack),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel_check::{errors, values};

    #[test]
    fn packs_whole_tiles_of_16_columns() {
        // k = 3: one step of 32, rows 3..32 zeros; n = 32: two tiles of 16 columns.
        let (k, n) = (3, NT);
        let w: Vec<f32> = (0..k * n).map(|i| i as f32).collect();
        let p = pack(&w, k, n);
        assert_eq!(p.len(), 32 * n);
        let v = |i: usize| half::bf16::from_bits(p[i]).to_f32();
        // Tile 0, pair 0, column 1: w[0][1], w[1][1].
        assert_eq!((v(2), v(3)), (1.0, 33.0));
        // Tile 0, pair 1, column 0: w[2][0] and a zero row.
        assert_eq!((v(32), v(33)), (64.0, 0.0));
        // Tile 1 (columns 16..32) starts after tile 0's 16 pairs × 16 columns × 2.
        assert_eq!((v(512), v(513)), (16.0, 48.0));
        // Pairs 2..16 of each tile are zero rows.
        assert!(p[64..512].iter().chain(&p[512 + 64..]).all(|&b| b == 0));
    }

    #[test]
    fn matches_f32_products_over_odd_shapes() {
        if !available() {
            eprintln!("skipped: this CPU (or its kernel) has no AMX-BF16; the AMX kernel is not used here");
            return;
        }
        // Rows below, at and past a block of 32 (whole and partial), odd inner sizes, several
        // panels and column pairs.
        for (m, k, n) in [
            (1, 5, 64),
            (13, 71, 128),
            (64, 384, 192),
            (75, 1536, 64),
            (32, 40, 384),
        ] {
            let (worst, mean) =
                errors(m, k, n, |a, w, dst| matmul(m, k, n, a, &pack(w, k, n), dst));
            // bf16 rounding of both inputs (2^-9 relative each) with exact f32 sums: about
            // three thousandths of the sum's scale on average, 2% at worst. A wrong index,
            // pair or tile gives errors near 1.
            assert!(
                worst < 2e-2,
                "({m}, {k}, {n}): worst error {worst} of the sum's scale"
            );
            assert!(
                mean < 4e-3,
                "({m}, {k}, {n}): mean error {mean} of the sum's scale"
            );
        }
    }

    #[test]
    fn rows_past_the_input_are_left_alone() {
        if !available() {
            eprintln!("skipped: this CPU (or its kernel) has no AMX-BF16; the AMX kernel is not used here");
            return;
        }
        for m in [5, 32, 37] {
            let (k, n) = (16, 64);
            let a = values(m * k, 4);
            let w = values(k * n, 5);
            let mut dst = vec![7.0f32; (m + 3) * n];
            matmul(m, k, n, &a, &pack(&w, k, n), &mut dst);
            assert!(dst[m * n..].iter().all(|&v| v == 7.0), "m = {m}");
            assert!(dst[..m * n].iter().all(|&v| v != 7.0), "m = {m}");
        }
    }
}
