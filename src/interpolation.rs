//! How y is read between its samples: piecewise-linear (the default) or a C² cubic spline.
//!
//! On segment `j` (`ty_j ≤ τ ≤ ty_{j+1}`, `h = ty_{j+1} − ty_j`, `α = (τ − ty_j)/h`):
//! - linear: `y(τ) = (1 − α) Y_j + α Y_{j+1}`, with kinks at the interior sample times;
//! - cubic spline with moments `M_j = y''(ty_j)`:
//!   `y(τ) = (1 − α) Y_j + α Y_{j+1} + h²/6 [(−2α + 3α² − α³) M_j + (α³ − α) M_{j+1}]`.
//!
//! The moments make `y'` continuous at the interior samples,
//! `h_{j−1} M_{j−1} + 2(h_{j−1} + h_j) M_j + h_j M_{j+1} = 6(Δ_j − Δ_{j−1})` with
//! `Δ_j = (Y_{j+1} − Y_j)/h_j`, closed by `M_0 = M_{n−1} = 0` ([`SplineEnds::Natural`]) or by a
//! continuous `y'''` at `ty_1` and `ty_{n−2}` ([`SplineEnds::NotAKnot`]; with three samples,
//! the parabola through them). They are linear in the samples, `M = S Y` channel by channel;
//! `S` is applied by a tridiagonal solve and never formed. Both interpolants extend their end
//! pieces beyond `[ty_0, ty_{n−1}]`.

use crate::error::{Error, Result};
use crate::signal::segment_of;
use num_dual::DualNum;
use std::fmt;
use std::str::FromStr;

/// How y is interpolated between its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interpolation {
    /// Piecewise-linear: cheap, but with kinks at the sample times (the polish holds knots
    /// there as active constraints).
    #[default]
    Linear,
    /// A C² cubic spline: no kinks, so derivatives are classical everywhere; `f` is then not
    /// convex on any piece.
    CubicSpline(SplineEnds),
}

/// The end conditions of a cubic spline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplineEnds {
    /// `y'' = 0` at both ends.
    Natural,
    /// `y'''` continuous at the second and the second-to-last sample.
    NotAKnot,
}

impl Interpolation {
    /// Whether y has kinks at its interior sample times.
    pub fn has_kinks(self) -> bool {
        self == Interpolation::Linear
    }
}

impl fmt::Display for Interpolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Interpolation::Linear => "linear",
            Interpolation::CubicSpline(SplineEnds::Natural) => "natural",
            Interpolation::CubicSpline(SplineEnds::NotAKnot) => "not-a-knot",
        })
    }
}

impl FromStr for Interpolation {
    type Err = Error;

    /// `linear`, `natural` or `not-a-knot`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "linear" => Ok(Interpolation::Linear),
            "natural" => Ok(Interpolation::CubicSpline(SplineEnds::Natural)),
            "not-a-knot" => Ok(Interpolation::CubicSpline(SplineEnds::NotAKnot)),
            _ => Err(Error::InvalidParameter {
                what: "interpolation".into(),
                reason: format!("expected linear, natural or not-a-knot, got {s:?}"),
            }),
        }
    }
}

/// How the end moments follow from the interior ones.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Closure {
    /// `M_0 = M_{n−1} = 0` (natural, and every spline on two samples).
    Zero,
    /// `M_0 = (1 + h_0/h_1) M_1 − (h_0/h_1) M_2`, and mirrored at the end (not-a-knot).
    Extrapolate,
    /// All moments equal the one interior moment (not-a-knot on three samples: a parabola).
    Constant,
}

/// The moment system of a spline on fixed sample times: the tridiagonal matrix `K` of the
/// interior moments (after eliminating the end moments), factorised once.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SplineSystem {
    h: Vec<f64>,
    closure: Closure,
    /// `K`'s sub-diagonal (`lower[0]` unused).
    lower: Vec<f64>,
    /// The pivots of `K = L U` (`L` lower bidiagonal with these pivots and `lower`).
    pivots: Vec<f64>,
    /// `U`'s super-diagonal (`U` unit upper bidiagonal).
    upper_factor: Vec<f64>,
}

impl SplineSystem {
    pub fn new(times: &[f64], ends: SplineEnds) -> Self {
        let n = times.len();
        let h: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        let interior = n.saturating_sub(2);
        let closure = match (ends, n) {
            (_, 2) | (SplineEnds::Natural, _) => Closure::Zero,
            (SplineEnds::NotAKnot, 3) => Closure::Constant,
            (SplineEnds::NotAKnot, _) => Closure::Extrapolate,
        };
        let mut lower = vec![0.0; interior];
        let mut diag = vec![0.0; interior];
        let mut upper = vec![0.0; interior];
        for k in 0..interior {
            lower[k] = h[k];
            diag[k] = 2.0 * (h[k] + h[k + 1]);
            upper[k] = h[k + 1];
        }
        match closure {
            Closure::Zero => {}
            Closure::Constant => diag[0] = 3.0 * (h[0] + h[1]),
            Closure::Extrapolate => {
                // Substituting the extrapolated end moments into the first and last rows.
                let (a, b) = (h[0], h[1]);
                diag[0] = (a + b) * (a + 2.0 * b) / b;
                upper[0] = (b * b - a * a) / b;
                let (a, b) = (h[n - 3], h[n - 2]);
                let last = interior - 1;
                lower[last] = (a * a - b * b) / a;
                diag[last] = (a + b) * (2.0 * a + b) / a;
            }
        }
        // K is strictly diagonally dominant in every case: no pivoting needed.
        let mut pivots = vec![0.0; interior];
        let mut upper_factor = vec![0.0; interior];
        for k in 0..interior {
            pivots[k] = diag[k]
                - if k > 0 {
                    lower[k] * upper_factor[k - 1]
                } else {
                    0.0
                };
            upper_factor[k] = upper[k] / pivots[k];
        }
        Self {
            h,
            closure,
            lower,
            pivots,
            upper_factor,
        }
    }

    /// The number of samples `n`.
    pub fn len(&self) -> usize {
        self.h.len() + 1
    }

    /// The moments `M = S Y` (row-major `n × d`) of the samples `values`.
    pub fn moments<D: DualNum<f64>>(&self, values: &[D], d: usize) -> Vec<D> {
        let n = self.h.len() + 1;
        let mut out = vec![D::from(0.0); n * d];
        let mut column = vec![D::from(0.0); n.saturating_sub(2)];
        for k in 0..d {
            let y = |j: usize| values[j * d + k].clone();
            for (r, c) in column.iter_mut().enumerate() {
                let j = r + 1;
                *c = ((y(j + 1) - y(j)) / self.h[j] - (y(j) - y(j - 1)) / self.h[j - 1]) * 6.0;
            }
            self.solve(&mut column);
            let full = self.expand(&column);
            for (j, v) in full.into_iter().enumerate() {
                out[j * d + k] = v;
            }
        }
        out
    }

    /// `Sᵀ μ`: the gradient with respect to the samples of `μ · M` (both row-major `n × d`).
    pub fn moments_adjoint(&self, mu: &[f64], d: usize) -> Vec<f64> {
        let n = self.h.len() + 1;
        let mut out = vec![0.0; n * d];
        for k in 0..d {
            let column: Vec<f64> = (0..n).map(|j| mu[j * d + k]).collect();
            let mut rho = self.expand_adjoint(&column);
            self.solve_transposed(&mut rho);
            for (r, &p) in rho.iter().enumerate() {
                let j = r + 1;
                let (right, left) = (6.0 * p / self.h[j], 6.0 * p / self.h[j - 1]);
                out[(j + 1) * d + k] += right;
                out[j * d + k] -= right + left;
                out[(j - 1) * d + k] += left;
            }
        }
        out
    }

    /// `K x = r` in place (`r` may hold dual numbers; `K` is real).
    fn solve<D: DualNum<f64>>(&self, r: &mut [D]) {
        for k in 0..r.len() {
            if k > 0 {
                let previous = r[k - 1].clone();
                r[k] -= previous * self.lower[k];
            }
            r[k] = r[k].clone() / self.pivots[k];
        }
        for k in (0..r.len().saturating_sub(1)).rev() {
            let next = r[k + 1].clone();
            r[k] -= next * self.upper_factor[k];
        }
    }

    /// `Kᵀ z = s` in place: `Uᵀ w = s`, then `Lᵀ z = w`.
    fn solve_transposed(&self, s: &mut [f64]) {
        for k in 1..s.len() {
            s[k] -= self.upper_factor[k - 1] * s[k - 1];
        }
        for k in (0..s.len()).rev() {
            if k + 1 < s.len() {
                s[k] -= self.lower[k + 1] * s[k + 1];
            }
            s[k] /= self.pivots[k];
        }
    }

    /// All `n` moments from the interior ones (`E x`).
    fn expand<D: DualNum<f64>>(&self, interior: &[D]) -> Vec<D> {
        let n = self.h.len() + 1;
        if interior.is_empty() {
            return vec![D::from(0.0); n];
        }
        let (first, last) = match self.closure {
            Closure::Zero => (D::from(0.0), D::from(0.0)),
            Closure::Constant => (interior[0].clone(), interior[0].clone()),
            Closure::Extrapolate => {
                let [(c1, c2), (e1, e2)] = self.extrapolation();
                let r = interior.len();
                (
                    interior[0].clone() * c1 + interior[1].clone() * c2,
                    interior[r - 1].clone() * e1 + interior[r - 2].clone() * e2,
                )
            }
        };
        let mut out = Vec::with_capacity(n);
        out.push(first);
        out.extend_from_slice(interior);
        out.push(last);
        out
    }

    /// `Eᵀ μ`: the interior part of `μ` plus what the end moments pass back.
    fn expand_adjoint(&self, mu: &[f64]) -> Vec<f64> {
        let n = mu.len();
        let mut out = mu[1..n - 1].to_vec();
        let r = out.len();
        match self.closure {
            Closure::Zero => {}
            Closure::Constant => out[0] += mu[0] + mu[n - 1],
            Closure::Extrapolate => {
                let [(c1, c2), (e1, e2)] = self.extrapolation();
                out[0] += c1 * mu[0];
                out[1] += c2 * mu[0];
                out[r - 1] += e1 * mu[n - 1];
                out[r - 2] += e2 * mu[n - 1];
            }
        }
        out
    }

    /// Not-a-knot: `M_0 = c1 M_1 + c2 M_2` and `M_{n−1} = e1 M_{n−2} + e2 M_{n−3}`.
    fn extrapolation(&self) -> [(f64, f64); 2] {
        let n = self.h.len() + 1;
        let (a, b) = (self.h[0], self.h[1]);
        let (p, q) = (self.h[n - 2], self.h[n - 3]);
        [(1.0 + a / b, -a / b), (1.0 + p / q, -p / q)]
    }
}

/// The weights of `y(τ)`, `y'(τ)` and `y''(τ)` on segment `j` with respect to
/// `(Y_j, Y_{j+1}, M_j, M_{j+1})` at `α` (the moment weights vanish for linear y).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PieceWeights<D> {
    pub value: [D; 4],
    pub slope: [D; 4],
    pub curvature: [D; 4],
}

impl<D: DualNum<f64>> PieceWeights<D> {
    pub fn new(h: f64, alpha: D, cubic: bool) -> Self {
        let zero = D::from(0.0);
        let one_minus = -alpha.clone() + 1.0;
        if !cubic {
            return Self {
                value: [one_minus, alpha, zero.clone(), zero.clone()],
                slope: [
                    D::from(-1.0 / h),
                    D::from(1.0 / h),
                    zero.clone(),
                    zero.clone(),
                ],
                curvature: [zero.clone(), zero.clone(), zero.clone(), zero],
            };
        }
        let a2 = alpha.clone() * alpha.clone();
        let a3 = a2.clone() * alpha.clone();
        let hh = h * h / 6.0;
        Self {
            value: [
                one_minus.clone(),
                alpha.clone(),
                (alpha.clone() * -2.0 + a2.clone() * 3.0 - a3.clone()) * hh,
                (a3 - alpha.clone()) * hh,
            ],
            slope: [
                D::from(-1.0 / h),
                D::from(1.0 / h),
                (alpha.clone() * 6.0 - a2.clone() * 3.0 - 2.0) * (h / 6.0),
                (a2 * 3.0 - 1.0) * (h / 6.0),
            ],
            curvature: [zero.clone(), zero, one_minus, alpha],
        }
    }
}

/// y as a function of time: its samples, and its moments for a spline (empty for linear y).
pub(crate) struct Curve<'a, D> {
    pub times: &'a [f64],
    pub values: &'a [D],
    pub moments: &'a [D],
}

impl<D: DualNum<f64>> Curve<'_, D> {
    /// `y(τ)` into `out` (length `d`).
    pub fn evaluate(&self, tau: &D, out: &mut [D]) {
        let j = segment_of(self.times, tau.re());
        let h = self.times[j + 1] - self.times[j];
        let alpha = (tau.clone() - self.times[j]) / h;
        let w = PieceWeights::new(h, alpha, !self.moments.is_empty()).value;
        combine(&w, self.values, self.moments, j, out);
    }
}

/// `out = w_0 Y_j + w_1 Y_{j+1} + w_2 M_j + w_3 M_{j+1}` (no moment terms when `moments` is
/// empty), for row-major rows of length `out.len()`.
pub(crate) fn combine<D: DualNum<f64>>(
    w: &[D; 4],
    values: &[D],
    moments: &[D],
    j: usize,
    out: &mut [D],
) {
    let d = out.len();
    let (left, right) = (
        &values[j * d..(j + 1) * d],
        &values[(j + 1) * d..(j + 2) * d],
    );
    for ((o, a), b) in out.iter_mut().zip(left).zip(right) {
        *o = w[0].clone() * a.clone() + w[1].clone() * b.clone();
    }
    if !moments.is_empty() {
        let (left, right) = (
            &moments[j * d..(j + 1) * d],
            &moments[(j + 1) * d..(j + 2) * d],
        );
        for ((o, a), b) in out.iter_mut().zip(left).zip(right) {
            *o += w[2].clone() * a.clone() + w[3].clone() * b.clone();
        }
    }
}

/// The interpolation of a problem's y, with the moments of its samples precomputed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Interpolant {
    kind: Interpolation,
    system: Option<SplineSystem>,
    moments: Vec<f64>,
}

impl Interpolant {
    pub fn new(kind: Interpolation, times: &[f64], values: &[f64], d: usize) -> Self {
        let system = match kind {
            Interpolation::Linear => None,
            Interpolation::CubicSpline(ends) => Some(SplineSystem::new(times, ends)),
        };
        let moments = system
            .as_ref()
            .map_or_else(Vec::new, |s| s.moments(values, d));
        Self {
            kind,
            system,
            moments,
        }
    }

    pub fn kind(&self) -> Interpolation {
        self.kind
    }

    /// The spline's moment system (`None` for linear y).
    pub fn system(&self) -> Option<&SplineSystem> {
        self.system.as_ref()
    }

    /// The moments of y's own samples (empty for linear y).
    pub fn moments(&self) -> &[f64] {
        &self.moments
    }

    /// The moments of other samples `values` on the same times (e.g. dual numbers).
    pub fn moments_of<D: DualNum<f64>>(&self, values: &[D], d: usize) -> Vec<D> {
        self.system
            .as_ref()
            .map_or_else(Vec::new, |s| s.moments(values, d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{DMatrix, DVector};

    fn times() -> Vec<f64> {
        vec![0.0, 0.1, 0.35, 0.4, 0.7, 0.85, 1.0]
    }

    fn eval(times: &[f64], values: &[f64], moments: &[f64], tau: f64) -> f64 {
        let curve = Curve {
            times,
            values,
            moments,
        };
        let mut out = [0.0];
        curve.evaluate(&tau, &mut out);
        out[0]
    }

    /// The full `n × n` moment system, solved densely: an independent reference.
    fn dense_moments(t: &[f64], y: &[f64], ends: SplineEnds) -> Vec<f64> {
        let n = t.len();
        let h: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
        let mut a = DMatrix::zeros(n, n);
        let mut b = DVector::zeros(n);
        for j in 1..n - 1 {
            a[(j, j - 1)] = h[j - 1];
            a[(j, j)] = 2.0 * (h[j - 1] + h[j]);
            a[(j, j + 1)] = h[j];
            b[j] = 6.0 * ((y[j + 1] - y[j]) / h[j] - (y[j] - y[j - 1]) / h[j - 1]);
        }
        match ends {
            SplineEnds::Natural => {
                a[(0, 0)] = 1.0;
                a[(n - 1, n - 1)] = 1.0;
            }
            SplineEnds::NotAKnot => {
                // (M_1 − M_0)/h_0 = (M_2 − M_1)/h_1, and the same at the end.
                a[(0, 0)] = -1.0 / h[0];
                a[(0, 1)] = 1.0 / h[0] + 1.0 / h[1];
                a[(0, 2)] = -1.0 / h[1];
                a[(n - 1, n - 1)] = -1.0 / h[n - 2];
                a[(n - 1, n - 2)] = 1.0 / h[n - 2] + 1.0 / h[n - 3];
                a[(n - 1, n - 3)] = -1.0 / h[n - 3];
            }
        }
        a.lu().solve(&b).unwrap().iter().copied().collect()
    }

    #[test]
    fn moments_match_a_dense_solve_of_the_full_system() {
        let t = times();
        let y: Vec<f64> = t.iter().map(|&s| (5.0 * s).sin() + s * s).collect();
        for ends in [SplineEnds::Natural, SplineEnds::NotAKnot] {
            let fast = SplineSystem::new(&t, ends).moments(&y, 1);
            let dense = dense_moments(&t, &y, ends);
            for (a, b) in fast.iter().zip(&dense) {
                assert!(
                    (a - b).abs() < 1e-10 * (1.0 + b.abs()),
                    "{ends:?}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn not_a_knot_reproduces_cubics_and_natural_reproduces_lines() {
        let t = times();
        let cubic = |s: f64| 1.0 - 2.0 * s + 0.5 * s * s + 3.0 * s * s * s;
        let line = |s: f64| 0.3 - 1.7 * s;
        for (ends, f) in [
            (SplineEnds::NotAKnot, &cubic as &dyn Fn(f64) -> f64),
            (SplineEnds::Natural, &line),
        ] {
            let y: Vec<f64> = t.iter().map(|&s| f(s)).collect();
            let m = SplineSystem::new(&t, ends).moments(&y, 1);
            for k in 0..=100 {
                let s = -0.1 + 1.2 * k as f64 / 100.0;
                assert!(
                    (eval(&t, &y, &m, s) - f(s)).abs() < 1e-12,
                    "{ends:?} at {s}"
                );
            }
        }
        // Four samples: one cubic; three: one parabola.
        for n in [3, 4] {
            let t: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).powf(1.2)).collect();
            let f = |s: f64| if n == 3 { 2.0 * s * s - s } else { cubic(s) };
            let y: Vec<f64> = t.iter().map(|&s| f(s)).collect();
            let m = SplineSystem::new(&t, SplineEnds::NotAKnot).moments(&y, 1);
            for s in [0.05, 0.3, 0.9] {
                assert!((eval(&t, &y, &m, s) - f(s)).abs() < 1e-12, "n = {n} at {s}");
            }
        }
    }

    #[test]
    fn spline_is_c2_and_interpolates() {
        let t = times();
        let y: Vec<f64> = t.iter().map(|&s| (7.0 * s).cos()).collect();
        for ends in [SplineEnds::Natural, SplineEnds::NotAKnot] {
            let m = SplineSystem::new(&t, ends).moments(&y, 1);
            for j in 0..t.len() {
                assert!((eval(&t, &y, &m, t[j]) - y[j]).abs() < 1e-14);
            }
            // One-sided first and second derivatives agree at every interior sample.
            for j in 1..t.len() - 1 {
                let side = |seg: usize| {
                    let h = t[seg + 1] - t[seg];
                    let alpha = (t[j] - t[seg]) / h;
                    let w = PieceWeights::new(h, alpha, true);
                    let mut out = [[0.0]; 2];
                    combine(&w.slope, &y, &m, seg, &mut out[0]);
                    combine(&w.curvature, &y, &m, seg, &mut out[1]);
                    [out[0][0], out[1][0]]
                };
                let (l, r) = (side(j - 1), side(j));
                assert!((l[0] - r[0]).abs() < 1e-10, "y' jumps at {j}");
                assert!((l[1] - r[1]).abs() < 1e-9, "y'' jumps at {j}");
            }
            if ends == SplineEnds::Natural {
                assert_eq!((m[0], m[t.len() - 1]), (0.0, 0.0));
            }
        }
    }

    #[test]
    fn adjoint_is_the_transpose() {
        // ⟨S Y, μ⟩ = ⟨Y, Sᵀ μ⟩ for random Y, μ (d = 2, every closure).
        for (t, ends) in [
            (times(), SplineEnds::Natural),
            (times(), SplineEnds::NotAKnot),
            (vec![0.0, 0.3, 1.0], SplineEnds::NotAKnot),
            (vec![0.0, 0.2, 0.5, 1.0], SplineEnds::NotAKnot),
            (vec![0.0, 1.0], SplineEnds::Natural),
        ] {
            let n = t.len();
            let y: Vec<f64> = (0..2 * n).map(|i| (i as f64 * 1.3).sin()).collect();
            let mu: Vec<f64> = (0..2 * n).map(|i| (i as f64 * 0.7).cos()).collect();
            let s = SplineSystem::new(&t, ends);
            let sy = s.moments(&y, 2);
            let stm = s.moments_adjoint(&mu, 2);
            let lhs: f64 = sy.iter().zip(&mu).map(|(a, b)| a * b).sum();
            let rhs: f64 = y.iter().zip(&stm).map(|(a, b)| a * b).sum();
            assert!(
                (lhs - rhs).abs() < 1e-10 * (1.0 + lhs.abs()),
                "{lhs} vs {rhs}"
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for kind in [
            Interpolation::Linear,
            Interpolation::CubicSpline(SplineEnds::Natural),
            Interpolation::CubicSpline(SplineEnds::NotAKnot),
        ] {
            assert_eq!(kind.to_string().parse::<Interpolation>().unwrap(), kind);
        }
        assert!("cubic".parse::<Interpolation>().is_err());
    }
}
