//! The penalties of the objective: the feature penalty `L` and the warp penalties `R`, `R_cum`.
//!
//! Values are generic over num-dual scalars (the single definition the objective and the
//! dual-number checks share); first and second derivatives are hand-coded for speed.

use crate::error::{Error, Result};
use num_dual::DualNum;

/// Feature penalty `L(r)` on the residual `r = x_i − y(φ_i) ∈ R^d`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum FeaturePenalty {
    /// `L(r) = ‖r‖²` (the paper's default).
    #[default]
    SquaredEuclidean,
    /// Isotropic Huber on the norm, on the same scale as `‖r‖²`:
    /// `L(r) = ‖r‖²` for `‖r‖ ≤ δ`, `2δ‖r‖ − δ²` beyond (continuous first derivative).
    Huber { delta: f64 },
}

/// Warp penalty `R(u)`, applied to the deviation `u = σ − s` of the slope from the expected
/// slope (and, as `R_cum`, to `φ − φ̄`). Both variants are convex, which the Monge DP
/// kernel relies on.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum WarpPenalty {
    /// `R(u) = u²` (the default).
    #[default]
    Squared,
    /// `R(u) = u²` for `|u| ≤ δ`, `2δ|u| − δ²` beyond.
    Huber { delta: f64 },
}

fn check_delta(what: &str, delta: f64) -> Result<()> {
    if delta.is_finite() && delta > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            what: what.into(),
            reason: format!("Huber threshold must be finite and positive, got {delta}"),
        })
    }
}

impl FeaturePenalty {
    pub(crate) fn validate(&self) -> Result<()> {
        match *self {
            Self::SquaredEuclidean => Ok(()),
            Self::Huber { delta } => check_delta("feature penalty", delta),
        }
    }

    /// `L(r)`.
    pub fn value<D: DualNum<f64>>(&self, r: &[D]) -> D {
        let sq: D = r.iter().map(|v| v.clone() * v.clone()).sum();
        match *self {
            Self::SquaredEuclidean => sq,
            Self::Huber { delta } => {
                if sq.re() <= delta * delta {
                    sq
                } else {
                    sq.sqrt() * (2.0 * delta) - delta * delta
                }
            }
        }
    }

    /// `∇L(r)`, written into `out`.
    pub fn gradient(&self, r: &[f64], out: &mut [f64]) {
        let scale = match *self {
            Self::SquaredEuclidean => 2.0,
            Self::Huber { delta } => {
                let norm = norm(r);
                if norm <= delta {
                    2.0
                } else {
                    2.0 * delta / norm
                }
            }
        };
        for (o, v) in out.iter_mut().zip(r) {
            *o = scale * v;
        }
    }

    /// `∇²L(r) · v`, written into `out`.
    pub fn hessian_times(&self, r: &[f64], v: &[f64], out: &mut [f64]) {
        match *self {
            Self::Huber { delta } if norm(r) > delta => {
                let norm = norm(r);
                let rv = dot(r, v) / (norm * norm);
                for ((o, vi), ri) in out.iter_mut().zip(v).zip(r) {
                    *o = 2.0 * delta / norm * (vi - ri * rv);
                }
            }
            _ => {
                for (o, vi) in out.iter_mut().zip(v) {
                    *o = 2.0 * vi;
                }
            }
        }
    }
}

impl WarpPenalty {
    pub(crate) fn validate(&self, what: &str) -> Result<()> {
        match *self {
            Self::Squared => Ok(()),
            Self::Huber { delta } => check_delta(what, delta),
        }
    }

    /// `R(u)`.
    pub fn value<D: DualNum<f64>>(&self, u: D) -> D {
        match *self {
            Self::Squared => u.clone() * u,
            Self::Huber { delta } => {
                if u.re().abs() <= delta {
                    u.clone() * u
                } else {
                    u.abs() * (2.0 * delta) - delta * delta
                }
            }
        }
    }

    /// `R'(u)`.
    pub fn derivative(&self, u: f64) -> f64 {
        match *self {
            Self::Squared => 2.0 * u,
            Self::Huber { delta } => 2.0 * u.clamp(-delta, delta),
        }
    }

    /// `R''(u)` (for Huber at `|u| = δ`, the inside value `2`, as in [`Self::value`]).
    pub fn second_derivative(&self, u: f64) -> f64 {
        match *self {
            Self::Squared => 2.0,
            Self::Huber { delta } => {
                if u.abs() <= delta {
                    2.0
                } else {
                    0.0
                }
            }
        }
    }
}

#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    lanes_sum(a, b, |x, y| x * y)
}

/// `‖a − b‖²`.
#[inline(always)]
pub(crate) fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    lanes_sum(a, b, |x, y| (x - y) * (x - y))
}

/// `out[r] = ‖x − Y_{first + r}‖²` for every `r < out.len()`, with Y stored feature-major
/// (`by_feature[k · stride + j] = Y_{j,k}`, columns `stride` apart). Each sum runs in the order
/// of [`squared_distance`], so the results are the same bit for bit; eight rows go through the
/// loop together, so that it vectorises across rows rather than along the short feature axis.
#[inline(always)]
pub(crate) fn squared_distances(
    x: &[f64],
    by_feature: &[f64],
    stride: usize,
    first: usize,
    out: &mut [f64],
) {
    // Every block below reads `by_feature[k · stride + r]` for `k < d`, `first ≤ r < first +
    // out.len()`: checked once here rather than per block and feature.
    let d = x.len();
    assert!(
        d == 0
            || ((d - 1) * stride + first + out.len() <= by_feature.len()
                && first + out.len() <= stride)
    );
    let mut blocks = out.chunks_exact_mut(8);
    let mut row = first;
    for block in &mut blocks {
        distance_block::<8>(x, by_feature, stride, row, block);
        row += 8;
    }
    for (r, o) in blocks.into_remainder().iter_mut().enumerate() {
        distance_block::<1>(x, by_feature, stride, row + r, std::slice::from_mut(o));
    }
}

/// [`squared_distances`] for the `B` rows from `row` on. The caller has checked that
/// `row + B ≤ stride` and that `by_feature` holds `x.len()` columns `stride` apart.
#[inline(always)]
fn distance_block<const B: usize>(
    x: &[f64],
    by_feature: &[f64],
    stride: usize,
    row: usize,
    out: &mut [f64],
) {
    let column = |k: usize| -> &[f64] {
        debug_assert!(k * stride + row + B <= by_feature.len());
        // SAFETY: in bounds by the caller's check (`k < x.len()`, `row + B ≤ stride`).
        unsafe { by_feature.get_unchecked(k * stride + row..k * stride + row + B) }
    };
    let full = x.len() - x.len() % 4;
    let mut acc = [[0.0; B]; 4];
    for (k0, x4) in x.chunks_exact(4).enumerate() {
        for (l, (lane, &x_k)) in acc.iter_mut().zip(x4).enumerate() {
            for (a, &y) in lane.iter_mut().zip(column(4 * k0 + l)) {
                *a += (x_k - y) * (x_k - y);
            }
        }
    }
    let mut tail = [0.0; B];
    for (k, &x_k) in x.iter().enumerate().skip(full) {
        for (t, &y) in tail.iter_mut().zip(column(k)) {
            *t += (x_k - y) * (x_k - y);
        }
    }
    for (b, o) in out.iter_mut().enumerate() {
        *o = (acc[0][b] + acc[1][b]) + (acc[2][b] + acc[3][b]) + tail[b];
    }
}

/// `Σ_k term(a_k, b_k)` with four interleaved partial sums, so that the additions do not wait
/// on each other (and can be vectorised); the order of summation is fixed.
#[inline(always)]
fn lanes_sum(a: &[f64], b: &[f64], term: impl Fn(f64, f64) -> f64) -> f64 {
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(&x, &y)| term(x, y))
        .sum();
    let mut acc = [0.0; 4];
    for (x, y) in ca.zip(cb) {
        for l in 0..4 {
            acc[l] += term(x[l], y[l]);
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

fn norm(r: &[f64]) -> f64 {
    dot(r, r).sqrt()
}
