//! The Hessian reduced onto the runs a working set leaves free: with `P` the `m × R` matrix
//! whose column `r` is the indicator of free run `r`, `H_r = Pᵀ H P` is tridiagonal (a run's
//! row sums its knots' rows; neighbouring runs couple through the one Hessian entry between
//! them). The polish's Newton steps and the backward pass both solve with it.

use super::working_set::Run;
use crate::objective::Tridiagonal;

pub(crate) struct ReducedHessian<'a> {
    free: &'a [Run],
    diag: Vec<f64>,
    off: Vec<f64>,
}

impl<'a> ReducedHessian<'a> {
    pub fn new(free: &'a [Run], h: &Tridiagonal) -> Self {
        let mut diag = Vec::with_capacity(free.len());
        let mut off = Vec::with_capacity(free.len());
        for (r, run) in free.iter().enumerate() {
            let inner: f64 = (run.first..run.last).map(|k| h.off[k]).sum();
            diag.push(run.knots().map(|k| h.diag[k]).sum::<f64>() + 2.0 * inner);
            let coupled = free
                .get(r + 1)
                .is_some_and(|next| next.first == run.last + 1);
            off.push(if coupled { h.off[run.last] } else { 0.0 });
        }
        Self { free, diag, off }
    }

    /// `Pᵀ v`: the sums of `v` over the free runs.
    pub fn restrict(&self, v: &[f64]) -> Vec<f64> {
        self.free
            .iter()
            .map(|r| r.knots().map(|k| v[k]).sum())
            .collect()
    }

    /// `P δ`: `δ_r` on every knot of free run `r`, zero elsewhere.
    pub fn extend(&self, delta: &[f64], m: usize) -> Vec<f64> {
        let mut out = vec![0.0; m];
        for (run, &d) in self.free.iter().zip(delta) {
            out[run.knots()].fill(d);
        }
        out
    }

    /// Solves `H_r δ = rhs` by the LDLᵀ factorisation of the tridiagonal `H_r`. A pivot below
    /// `floor` (a flat or negatively curved direction) is replaced by `max(|pivot|, floor)`,
    /// which keeps the factorisation positive definite (a Newton step then still descends);
    /// the second value says whether that happened.
    pub fn solve(&self, mut rhs: Vec<f64>, floor: f64) -> (Vec<f64>, bool) {
        let n = self.diag.len();
        let mut pivots = self.diag.clone();
        let mut raised = false;
        for r in 0..n {
            if r > 0 {
                let factor = self.off[r - 1] / pivots[r - 1];
                pivots[r] -= factor * self.off[r - 1];
                rhs[r] -= factor * rhs[r - 1];
            }
            if pivots[r] < floor || pivots[r].is_nan() {
                pivots[r] = pivots[r].abs().max(floor);
                raised = true;
            }
        }
        let mut delta = vec![0.0; n];
        for r in (0..n).rev() {
            let next = if r + 1 < n {
                self.off[r] * delta[r + 1]
            } else {
                0.0
            };
            delta[r] = (rhs[r] - next) / pivots[r];
        }
        (delta, raised)
    }
}

/// The pivot floor for a Hessian: `relative` times its largest diagonal entry.
pub(crate) fn pivot_floor(h: &Tridiagonal, relative: f64) -> f64 {
    relative
        * h.diag
            .iter()
            .fold(0.0f64, |a, &b| a.max(b.abs()))
            .max(f64::MIN_POSITIVE)
}
