//! The local model of `f` on the current pieces: gradient, tridiagonal Hessian, the scale of
//! every gradient entry, and the one-sided derivatives at kinks of y.

use super::working_set::kink_on_segment;
use crate::objective::{local_derivatives, KnotLocal, Tridiagonal};
use crate::problem::Problem;

/// `f` near `φ` with knot `i` on y's segment `segments[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PieceModel {
    /// `g = ∇f` on the pieces.
    pub gradient: Vec<f64>,
    /// The scale of `g_i` that rounding is judged against: `Σ |summands of g_i|` plus
    /// `Σ_l |H_il| |φ_l|`, the change of `g_i` when `φ` moves by one unit in the last place.
    pub magnitude: Vec<f64>,
    /// `H = ∇²f` on the pieces.
    pub hessian: Tridiagonal,
    /// `Σ |summands of g_i|`, the first part of `magnitude`.
    summands: Vec<f64>,
    /// For knots exactly at an interior sample time of y: the partial derivative on the other
    /// side of it minus `g_i`, and whether that side is the left one.
    kinks: Vec<Option<(f64, bool)>>,
}

impl PieceModel {
    pub fn evaluate(problem: &Problem, phi: &[f64], segments: &[usize]) -> Self {
        let (terms, hessian) = local_derivatives(problem, phi, segments, true);
        let mut probe = KnotLocal::new(problem.x().dim());
        let kinks = (0..phi.len())
            .map(|i| {
                kink_jump(
                    problem,
                    i,
                    phi[i],
                    segments[i],
                    terms.feature[i],
                    &mut probe,
                )
            })
            .collect();
        let mut model = Self {
            gradient: terms.total(),
            magnitude: Vec::new(),
            hessian,
            summands: terms.magnitude(),
            kinks,
        };
        model.rescale(phi);
        model
    }

    /// The model after `φ` moved by `delta` to `new` on the same pieces, where every piece is
    /// quadratic (squared penalties, piecewise-linear y): `H` stays, `g` gains `H (new − old)`
    /// exactly, and only knots that moved need their kink looked up again (`O(1)` from the
    /// knot's segment, and `O(d)` more at a kink). The summands' scale is kept from the last
    /// evaluation (it only sets how much rounding is tolerated), so decisions that end the
    /// polish use a fresh [`Self::evaluate`].
    pub fn shift(&mut self, problem: &Problem, new: &[f64], delta: &[f64], segments: &[usize]) {
        for (g, change) in self.gradient.iter_mut().zip(self.hessian.times(delta)) {
            *g += change;
        }
        let mut probe = KnotLocal::new(problem.x().dim());
        for (i, &moved) in delta.iter().enumerate() {
            if moved != 0.0 {
                self.kinks[i] = kink_on_segment(problem, new[i], segments[i]).and_then(|_| {
                    let own = probe.feature_derivative(problem, i, new[i], segments[i]);
                    kink_jump(problem, i, new[i], segments[i], own, &mut probe)
                });
            }
        }
        self.rescale(new);
    }

    /// `magnitude = summands + Σ_l |H_il| |φ_l|` at `phi`.
    fn rescale(&mut self, phi: &[f64]) {
        let (h, m) = (&self.hessian, phi.len());
        self.magnitude.resize(m, 0.0);
        for (i, scale) in self.magnitude.iter_mut().enumerate() {
            *scale = self.summands[i] + h.diag[i].abs() * phi[i].abs();
            if i > 0 {
                *scale += h.off[i - 1].abs() * phi[i - 1].abs();
            }
            if i + 1 < m {
                *scale += h.off[i].abs() * phi[i + 1].abs();
            }
        }
    }

    /// `Σ_{k∈knots} g_k` and its scale `Σ magnitude_k`: the reduced gradient of a free run.
    pub fn run_residual(&self, knots: std::ops::RangeInclusive<usize>) -> (f64, f64) {
        knots.fold((0.0, 0.0), |(g, s), k| {
            (g + self.gradient[k], s + self.magnitude[k])
        })
    }

    /// The rate of `f` (and its scale) when knot `k` moves up or down: `g_k⁺` or `−g_k⁻`,
    /// the one-sided derivatives (both `g_k` away from kinks).
    pub fn knot_rate(&self, k: usize, up: bool) -> (f64, f64) {
        let g = self.gradient[k];
        let (left, right) = match self.kinks[k] {
            Some((jump, true)) => (g + jump, g),
            Some((jump, false)) => (g, g + jump),
            None => (g, g),
        };
        (if up { right } else { -left }, self.magnitude[k])
    }
}

/// For knot `i` at `τ` on segment `segment`, whose feature term has the derivative `own`
/// there: if `τ` is an interior sample time of y, the feature derivative on the segment on the
/// other side of it minus `own`, and whether that side is the left one.
fn kink_jump(
    problem: &Problem,
    i: usize,
    tau: f64,
    segment: usize,
    own: f64,
    probe: &mut KnotLocal,
) -> Option<(f64, bool)> {
    let j = kink_on_segment(problem, tau, segment)?;
    let other = if segment == j { j - 1 } else { j };
    Some((
        probe.feature_derivative(problem, i, tau, other) - own,
        other < j,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::polish::WorkingSet;
    use crate::{Problem, Signal};

    /// A pair whose y has many samples, so that knots land on kinks.
    fn problem() -> Problem {
        let xs: Vec<f64> = (0..40).map(|i| (i as f64 * 0.3).sin()).collect();
        let ys: Vec<f64> = (0..25)
            .map(|i| (i as f64 * 0.45).sin() + 0.02 * i as f64)
            .collect();
        let x = Signal::uniform(xs, 1).unwrap();
        let y = Signal::uniform(ys, 1).unwrap();
        Problem::builder(x, y).lambda(0.05).build().unwrap()
    }

    #[test]
    fn shifted_model_equals_a_fresh_one_on_the_same_pieces() {
        let problem = problem();
        let m = problem.num_knots();
        let times = problem.y().times().to_vec();
        // Start inside segments, then move some knots within their segment and put others
        // exactly on the segment's right end (a kink), as steps and snaps do.
        let old: Vec<f64> = (0..m)
            .map(|i| 0.2 + 0.6 * i as f64 / (m - 1) as f64)
            .collect();
        let segments = WorkingSet::at_start(&problem, &old).segments;
        let new: Vec<f64> = (0..m)
            .map(|i| match i % 3 {
                0 => old[i],
                1 => times[segments[i] + 1],
                _ => 0.5 * (old[i] + times[segments[i] + 1]),
            })
            .collect();
        let mut shifted = PieceModel::evaluate(&problem, &old, &segments);
        let delta: Vec<f64> = new.iter().zip(&old).map(|(a, b)| a - b).collect();
        shifted.shift(&problem, &new, &delta, &segments);
        let fresh = PieceModel::evaluate(&problem, &new, &segments);
        let mut at_kinks = 0;
        for i in 0..m {
            let scale = fresh.magnitude[i];
            assert!(
                (shifted.gradient[i] - fresh.gradient[i]).abs() <= 1e-13 * scale,
                "g_{i}"
            );
            assert_eq!(shifted.hessian, fresh.hessian);
            for up in [false, true] {
                let (a, b) = (shifted.knot_rate(i, up).0, fresh.knot_rate(i, up).0);
                assert!(
                    (a - b).abs() <= 1e-13 * scale,
                    "knot {i}, up = {up}: {a} vs {b}"
                );
            }
            at_kinks += usize::from(fresh.kinks[i].is_some());
            assert_eq!(
                shifted.kinks[i].is_some(),
                fresh.kinks[i].is_some(),
                "knot {i}"
            );
        }
        assert!(at_kinks >= 5, "knots at kinks: {at_kinks}");
    }
}
