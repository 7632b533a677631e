//! A linear support vector machine over sparse vectors: what arxiv-sanity-lite trains per tag
//! (scikit-learn's `LinearSVC`: squared hinge loss, L2 penalty, an intercept, optionally
//! balanced class weights), solved by dual coordinate descent as liblinear does.
//!
//! Used by "For you" to learn which words separate a reader's liked papers from the rest, and
//! by `bench foryou` for the arxiv-sanity-lite baseline.

/// A sparse vector: (feature index, value), indexes ascending.
pub type Sparse = Vec<(u32, f32)>;

/// How to train.
#[derive(Debug, Clone, Copy)]
pub struct SvmOptions {
    /// Inverse regularisation strength (`C`).
    pub c: f32,
    /// Weigh each class by `n / (2 · n_class)`, as `class_weight="balanced"`.
    pub balanced: bool,
    /// Passes over the data at most.
    pub max_epochs: usize,
    /// Stop when the largest projected gradient of a pass falls below this.
    pub tol: f32,
}

impl Default for SvmOptions {
    fn default() -> Self {
        SvmOptions {
            c: 0.01,
            balanced: true,
            max_epochs: 100,
            tol: 1e-3,
        }
    }
}

/// A trained model: weights per feature and an intercept.
#[derive(Debug, Clone, Default)]
pub struct LinearModel {
    /// Weight of each feature.
    pub w: Vec<f32>,
    /// Intercept.
    pub bias: f32,
}

impl LinearModel {
    /// The decision value of a vector (positive: the liked side).
    pub fn decision(&self, x: &[(u32, f32)]) -> f32 {
        self.bias
            + x.iter()
                .map(|&(i, v)| self.w.get(i as usize).copied().unwrap_or(0.0) * v)
                .sum::<f32>()
    }
}

/// Trains on `positives` against `negatives` over `dim` features.
pub fn train_svm(
    positives: &[&[(u32, f32)]],
    negatives: &[&[(u32, f32)]],
    dim: usize,
    opts: SvmOptions,
) -> LinearModel {
    let n_pos = positives.len();
    let n_neg = negatives.len();
    let n = n_pos + n_neg;
    let mut model = LinearModel {
        w: vec![0.0; dim],
        bias: 0.0,
    };
    if n_pos == 0 || n_neg == 0 {
        return model;
    }
    let (c_pos, c_neg) = if opts.balanced {
        (
            opts.c * n as f32 / (2.0 * n_pos as f32),
            opts.c * n as f32 / (2.0 * n_neg as f32),
        )
    } else {
        (opts.c, opts.c)
    };
    let example = |i: usize| -> (&[(u32, f32)], f32, f32) {
        if i < n_pos {
            (positives[i], 1.0, c_pos)
        } else {
            (negatives[i - n_pos], -1.0, c_neg)
        }
    };
    // Squared hinge loss: the dual's diagonal gains 1 / (2C), with no upper bound.
    let diag: Vec<f32> = (0..n)
        .map(|i| {
            let (x, _, c) = example(i);
            x.iter().map(|(_, v)| v * v).sum::<f32>() + 1.0 + 0.5 / c
        })
        .collect();
    let mut alpha = vec![0.0f32; n];
    let mut order: Vec<usize> = (0..n).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..opts.max_epochs {
        // A fresh order each pass (xorshift, the same in every run).
        for i in (1..n).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            order.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        let mut max_pg = 0.0f32;
        for &i in &order {
            let (x, y, c) = example(i);
            let g = y * model.decision(x) - 1.0 + alpha[i] * 0.5 / c;
            let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
            max_pg = max_pg.max(pg.abs());
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / diag[i]).max(0.0);
                let d = (alpha[i] - old) * y;
                for &(j, v) in x {
                    if let Some(wj) = model.w.get_mut(j as usize) {
                        *wj += d * v;
                    }
                }
                model.bias += d;
            }
        }
        if max_pg < opts.tol {
            break;
        }
    }
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_two_topics_and_ranks_the_liked_side_first() {
        // Feature 0 and 1 mark the liked topic, 2 and 3 the other; 4 is everywhere.
        let pos: Vec<Sparse> = vec![
            vec![(0, 0.8), (1, 0.5), (4, 0.3)],
            vec![(0, 0.6), (4, 0.8)],
            vec![(1, 0.9), (4, 0.4)],
        ];
        let neg: Vec<Sparse> = (0..40)
            .map(|i| vec![(2 + (i % 2), 0.9), (4, 0.4)])
            .collect();
        let p: Vec<&[(u32, f32)]> = pos.iter().map(Vec::as_slice).collect();
        let n: Vec<&[(u32, f32)]> = neg.iter().map(Vec::as_slice).collect();
        let m = train_svm(
            &p,
            &n,
            5,
            SvmOptions {
                c: 1.0,
                ..Default::default()
            },
        );
        assert!(m.w[0] > 0.0 && m.w[1] > 0.0, "{:?}", m.w);
        assert!(m.w[2] < 0.0 && m.w[3] < 0.0, "{:?}", m.w);
        let liked_like = m.decision(&[(0, 0.7), (4, 0.7)]);
        let other = m.decision(&[(3, 0.7), (4, 0.7)]);
        assert!(liked_like > 0.0 && other < 0.0, "{liked_like} {other}");
    }

    #[test]
    fn one_class_alone_learns_nothing() {
        let pos: Vec<Sparse> = vec![vec![(0, 1.0)]];
        let p: Vec<&[(u32, f32)]> = pos.iter().map(Vec::as_slice).collect();
        let m = train_svm(&p, &[], 3, SvmOptions::default());
        assert_eq!(m.decision(&[(0, 1.0)]), 0.0);
    }
}
