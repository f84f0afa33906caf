//! The local model of `f` on the current pieces: gradient, tridiagonal Hessian, the scale of
//! every gradient entry, and the one-sided derivatives at kinks of y.

use super::working_set::kink_at;
use crate::objective::{local_derivatives, KnotLocal, Tridiagonal};
use crate::problem::Problem;

/// `f` near `φ` with knot `i` on y's segment `segments[i]`.
pub struct PieceModel {
    /// `g = ∇f` on the pieces.
    pub gradient: Vec<f64>,
    /// The scale of `g_i` that rounding is judged against: `Σ |summands of g_i|` plus
    /// `Σ_l |H_il| |φ_l|`, the change of `g_i` when `φ` moves by one unit in the last place.
    pub magnitude: Vec<f64>,
    /// `H = ∇²f` on the pieces.
    pub hessian: Tridiagonal,
    /// `(g_i⁻, g_i⁺)`, the left and right partial derivatives, for knots exactly at an
    /// interior sample time of y; elsewhere both equal `g_i`.
    pub one_sided: Vec<(f64, f64)>,
}

impl PieceModel {
    pub fn evaluate(problem: &Problem, phi: &[f64], segments: &[usize]) -> Self {
        let (terms, hessian) = local_derivatives(problem, phi, segments, true);
        let gradient = terms.total();
        let mut probe = KnotLocal::new(problem.x().dim());
        let one_sided: Vec<(f64, f64)> = phi
            .iter()
            .enumerate()
            .map(|(i, &tau)| match kink_at(problem, tau) {
                Some(j) => {
                    // The piece's own segment gives one side; the other is evaluated here.
                    let other = if segments[i] == j { j - 1 } else { j };
                    let g_other = gradient[i] - terms.feature[i]
                        + probe.feature_derivative(problem, i, tau, other);
                    if other < j {
                        (g_other, gradient[i])
                    } else {
                        (gradient[i], g_other)
                    }
                }
                None => (gradient[i], gradient[i]),
            })
            .collect();
        let mut magnitude = terms.magnitude();
        for (i, m) in magnitude.iter_mut().enumerate() {
            *m += hessian.diag[i].abs() * phi[i].abs();
            if i > 0 {
                *m += hessian.off[i - 1].abs() * phi[i - 1].abs();
            }
            if i + 1 < phi.len() {
                *m += hessian.off[i].abs() * phi[i + 1].abs();
            }
        }
        Self {
            magnitude,
            hessian,
            gradient,
            one_sided,
        }
    }

    /// `Σ_{k∈knots} g_k` and its scale `Σ magnitude_k`: the reduced gradient of a free run.
    pub fn run_residual(&self, knots: std::ops::RangeInclusive<usize>) -> (f64, f64) {
        knots.fold((0.0, 0.0), |(g, s), k| {
            (g + self.gradient[k], s + self.magnitude[k])
        })
    }

    /// The rate of `f` (and its scale) when knot `k` moves up or down: `g_k⁺` or `−g_k⁻`.
    pub fn knot_rate(&self, k: usize, up: bool) -> (f64, f64) {
        let rate = if up {
            self.one_sided[k].1
        } else {
            -self.one_sided[k].0
        };
        (rate, self.magnitude[k])
    }
}
