//! The objective `f(φ)` of SPEC §1 and its derivatives.
//!
//! `f(φ) = Σ_i w_i L(x_i − y(φ_i)) + λ Σ_i Δt_i R(σ_i − s) + λ_cum Σ_i w_i R_cum(φ_i − φ̄_i)`
//! with `σ_i = (φ_{i+1} − φ_i)/Δt_i`.
//!
//! The terms are written once, generically over num-dual scalars ([`objective_generic`]); the
//! DP's generic node and edge costs and the dual-number checks use that definition, and so
//! does the f64 value except in the common case of piecewise-linear y with the squared
//! Euclidean penalty, where one loop over the features gives a knot's feature term and its
//! first two derivatives (`linear_squared_terms`, checked against the generic terms). The
//! gradient, the tridiagonal Hessian `H = ∇²_φφ f` and the mixed derivatives `∂²f/∂φ∂z` for
//! `z = X, Y, λ, λ_cum` are hand-coded for speed. At a sample time of y the
//! piecewise-linear interpolant has a kink; there [`gradient`], [`hessian`] and
//! [`mixed_derivatives`] use the segment [`Signal::segment`](crate::Signal::segment) picks
//! (the right-hand one), and the `*_on` variants take the segment of every knot explicitly
//! (the one-sided derivatives the polish and the backward pass need).

use crate::error::{check_finite, Error, Result};
use crate::interpolation::{combine, Curve, Interpolation, PieceWeights, SplineSystem};
use crate::penalty::{dot, FeaturePenalty, WarpPenalty};
use crate::problem::Problem;
use crate::signal::{blend, segment_of};
use nalgebra::DMatrix;
use num_dual::DualNum;

/// `f` with every input that derivatives may be taken with respect to given explicitly:
/// `phi` (`m`), x's samples `x_values` (`Nx × d`, row-major), y's samples `y_values`
/// (`Ny × d`), `λ` and `λ_cum`. Everything else comes from `problem`.
pub fn objective_generic<D: DualNum<f64>>(
    problem: &Problem,
    phi: &[D],
    x_values: &[D],
    y_values: &[D],
    lambda: D,
    lambda_cum: D,
) -> D {
    let d = problem.x().dim();
    let moments = problem.interpolant().moments_of(y_values, d);
    let y = Curve {
        times: problem.y().times(),
        values: y_values,
        moments: &moments,
    };
    let mut x_i = vec![D::from(0.0); d];
    let mut scratch = vec![D::from(0.0); d];
    sum_costs(problem, phi, &lambda, |i, tau| {
        x_at_knot(problem, i, x_values, &mut x_i);
        node_cost(problem, i, &x_i, tau, &y, &lambda_cum, &mut scratch)
    })
}

/// `Σ_i node(i, φ_i) + Σ_i e_i(φ_i, φ_{i+1})`, added up in that order, with the edge costs of
/// [`edge_cost`] and the node costs from `node`.
fn sum_costs<D: DualNum<f64>>(
    problem: &Problem,
    phi: &[D],
    lambda: &D,
    mut node: impl FnMut(usize, &D) -> D,
) -> D {
    let mut total = D::from(0.0);
    for (i, tau) in phi.iter().enumerate() {
        total += node(i, tau);
    }
    for (i, pair) in phi.windows(2).enumerate() {
        total += edge_cost(problem, i, &pair[0], &pair[1], lambda);
    }
    total
}

/// `f(φ)` in f64, after checking that `φ` has one finite value per knot. For piecewise-linear
/// y with the squared Euclidean penalty the feature terms come from `linear_squared_terms`
/// (the same value up to rounding, several times faster); otherwise from
/// [`objective_generic`].
pub fn objective(problem: &Problem, phi: &[f64]) -> Result<f64> {
    check_phi(problem, phi)?;
    if !is_linear_squared(problem) {
        return Ok(objective_generic(
            problem,
            phi,
            problem.x().values(),
            problem.y().values(),
            problem.lambda(),
            problem.lambda_cum(),
        ));
    }
    let times = problem.y().times();
    Ok(sum_costs(problem, phi, &problem.lambda(), |i, &tau| {
        let [feature, ..] = linear_squared_terms(problem, i, tau, segment_of(times, tau));
        knot_cost(problem, i, &tau, feature, &problem.lambda_cum())
    }))
}

/// Whether y is piecewise linear and the feature penalty squared Euclidean: then the feature
/// term of every knot is a quadratic in `φ_i` on each segment ([`linear_squared_terms`]).
pub(crate) fn is_linear_squared(problem: &Problem) -> bool {
    problem.interpolation() == Interpolation::Linear
        && problem.feature_penalty() == FeaturePenalty::SquaredEuclidean
}

/// For piecewise-linear y and the squared Euclidean penalty: `[L, ∂L/∂φ_i, ∂²L/∂φ_i²]` of
/// knot `i` at `φ_i` on y's segment `j` (its line extended beyond the segment's ends), in one
/// loop over the features. With `h = t_{j+1} − t_j`, `α = (φ_i − t_j)/h`, `ΔY = Y_{j+1} − Y_j`
/// and `r = x_i − Y_j − α ΔY`: `L = ‖r‖²`, `∂L/∂φ_i = −2 r·ΔY / h`,
/// `∂²L/∂φ_i² = 2 ‖ΔY‖² / h²`. The generic [`node_cost`] and [`KnotLocal`] are its oracle.
pub(crate) fn linear_squared_terms(problem: &Problem, i: usize, phi_i: f64, j: usize) -> [f64; 3] {
    let (x, y) = (problem.x(), problem.y());
    let d = x.dim();
    let source = problem.knot_sources()[i];
    let (x_rows, y_rows) = (
        &x.values()[source.row * d..(source.row + 2) * d],
        &y.values()[j * d..(j + 2) * d],
    );
    let (x0, x1) = x_rows.split_at(d);
    let (y0, y1) = y_rows.split_at(d);
    let (beta, times) = (source.beta, y.times());
    let h = times[j + 1] - times[j];
    let alpha = (phi_i - times[j]) / h;
    // `r·r`, `r·ΔY` and `ΔY·ΔY` in four lanes (features `k mod 4`), so that the loop
    // vectorises; a tail of fewer than four features goes into the first lanes.
    let mut sums = [[0.0; 4]; 3];
    let mut add = |lane: usize, a: f64, b: f64, p: f64, q: f64| {
        let x_k = (1.0 - beta) * a + beta * b;
        let step = q - p;
        let r = x_k - (p + alpha * step);
        sums[0][lane] += r * r;
        sums[1][lane] += r * step;
        sums[2][lane] += step * step;
    };
    let blocks = d / 4;
    for c in 0..blocks {
        let range = 4 * c..4 * c + 4;
        let (a, b, p, q) = (
            &x0[range.clone()],
            &x1[range.clone()],
            &y0[range.clone()],
            &y1[range],
        );
        for lane in 0..4 {
            add(lane, a[lane], b[lane], p[lane], q[lane]);
        }
    }
    for k in 4 * blocks..d {
        add(k - 4 * blocks, x0[k], x1[k], y0[k], y1[k]);
    }
    let [rr, rs, ss] = sums.map(|l| (l[0] + l[1]) + (l[2] + l[3]));
    [rr, -2.0 * rs / h, 2.0 * ss / (h * h)]
}

/// `x_i = (1 − β) X_row + β X_{row+1}`: x at knot `i`.
pub(crate) fn x_at_knot<D: DualNum<f64>>(
    problem: &Problem,
    i: usize,
    x_values: &[D],
    out: &mut [D],
) {
    let source = problem.knot_sources()[i];
    blend(x_values, source.row, D::from(source.beta), out);
}

/// Node cost of knot `i` at `φ_i = tau`: `w_i L(x_i − y(τ)) + λ_cum w_i R_cum(τ − φ̄_i)`.
/// `scratch` has length `d`.
pub(crate) fn node_cost<D: DualNum<f64>>(
    problem: &Problem,
    i: usize,
    x_i: &[D],
    tau: &D,
    y: &Curve<'_, D>,
    lambda_cum: &D,
    scratch: &mut [D],
) -> D {
    y.evaluate(tau, scratch);
    for (s, x) in scratch.iter_mut().zip(x_i) {
        *s = x.clone() - s.clone();
    }
    let feature = problem.feature_penalty().value(scratch);
    knot_cost(problem, i, tau, feature, lambda_cum)
}

/// Node cost of knot `i` at `φ_i = tau` from its feature term `feature = L(x_i − y(τ))`:
/// `w_i L + λ_cum w_i R_cum(τ − φ̄_i)`.
fn knot_cost<D: DualNum<f64>>(
    problem: &Problem,
    i: usize,
    tau: &D,
    feature: D,
    lambda_cum: &D,
) -> D {
    let w = problem.weights()[i];
    let deviation = tau.clone() - problem.reference_warp()[i];
    feature * w + lambda_cum.clone() * w * problem.cumulative_penalty().value(deviation)
}

/// Edge cost of interval `i`: `λ Δt_i R((φ_{i+1} − φ_i)/Δt_i − s)`. Slope limits are not
/// checked here (see [`Problem::slope_feasible`]).
pub(crate) fn edge_cost<D: DualNum<f64>>(
    problem: &Problem,
    i: usize,
    phi_i: &D,
    phi_next: &D,
    lambda: &D,
) -> D {
    SlopeTerm::new(problem, i).cost(lambda, phi_next.clone() - phi_i.clone())
}

/// The constants of one interval's slope term, so that the DP can evaluate edge costs
/// without reloading them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlopeTerm {
    dt: f64,
    expected_slope: f64,
    penalty: WarpPenalty,
}

impl SlopeTerm {
    pub fn new(problem: &Problem, i: usize) -> Self {
        Self {
            dt: problem.dt()[i],
            expected_slope: problem.expected_slope(),
            penalty: problem.slope_penalty(),
        }
    }

    pub fn dt(&self) -> f64 {
        self.dt
    }

    pub fn expected_slope(&self) -> f64 {
        self.expected_slope
    }

    pub fn penalty(&self) -> WarpPenalty {
        self.penalty
    }

    /// `λ Δt R(δ/Δt − s)` for the step `δ = φ_{i+1} − φ_i`.
    #[inline]
    pub fn cost<D: DualNum<f64>>(&self, lambda: &D, step: D) -> D {
        lambda.clone() * self.dt * self.penalty.value(step / self.dt - self.expected_slope)
    }
}

/// Errors unless `phi` has one finite value per knot.
pub(crate) fn check_phi(problem: &Problem, phi: &[f64]) -> Result<()> {
    if phi.len() != problem.num_knots() {
        return Err(Error::DimensionMismatch {
            what: "phi (one value per knot)".into(),
            expected: problem.num_knots(),
            got: phi.len(),
        });
    }
    check_finite("phi", phi)
}

/// A symmetric tridiagonal matrix: `diag[i] = H_ii`, `off[i] = H_{i,i+1} = H_{i+1,i}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tridiagonal {
    pub diag: Vec<f64>,
    pub off: Vec<f64>,
}

impl Tridiagonal {
    /// `H v`.
    pub fn times(&self, v: &[f64]) -> Vec<f64> {
        (0..v.len())
            .map(|i| {
                let mut out = self.diag[i] * v[i];
                if i > 0 {
                    out += self.off[i - 1] * v[i - 1];
                }
                if i + 1 < v.len() {
                    out += self.off[i] * v[i + 1];
                }
                out
            })
            .collect()
    }

    /// The dense matrix (for tests and reference computations).
    pub fn to_dense(&self) -> DMatrix<f64> {
        let m = self.diag.len();
        DMatrix::from_fn(m, m, |r, c| match r.abs_diff(c) {
            0 => self.diag[r],
            1 => self.off[r.min(c)],
            _ => 0.0,
        })
    }
}

/// A sparse matrix in compressed-row form: row `r` holds `cols[row_start[r]..row_start[r+1]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseRows {
    pub ncols: usize,
    pub row_start: Vec<usize>,
    pub cols: Vec<usize>,
    pub values: Vec<f64>,
}

impl SparseRows {
    fn new(ncols: usize) -> Self {
        Self {
            ncols,
            row_start: vec![0],
            cols: Vec::new(),
            values: Vec::new(),
        }
    }

    fn push(&mut self, col: usize, value: f64) {
        self.cols.push(col);
        self.values.push(value);
    }

    fn end_row(&mut self) {
        self.row_start.push(self.cols.len());
    }

    /// `Σ_r u_r · row_r`, i.e. `uᵀ B` (length `ncols`).
    pub fn transpose_times(&self, u: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.ncols];
        for (r, &ur) in u.iter().enumerate() {
            for e in self.row_start[r]..self.row_start[r + 1] {
                out[self.cols[e]] += ur * self.values[e];
            }
        }
        out
    }

    /// The dense matrix (for tests and reference computations).
    pub fn to_dense(&self) -> DMatrix<f64> {
        let mut out = DMatrix::zeros(self.row_start.len() - 1, self.ncols);
        for r in 0..self.row_start.len() - 1 {
            for e in self.row_start[r]..self.row_start[r + 1] {
                out[(r, self.cols[e])] += self.values[e];
            }
        }
        out
    }
}

/// `∂²f/∂φ∂Y`: through the two samples each knot's piece reads and, for a spline, through
/// that piece's two moments `M = S Y`, which depend on every sample (`S` is applied by a
/// tridiagonal solve, so products with it cost `O(Ny·d)`).
#[derive(Debug, Clone, PartialEq)]
pub struct SampleDerivatives {
    /// `∂g/∂Y` with the moments held fixed (`m × Ny·d`).
    pub samples: SparseRows,
    moments: Option<(SparseRows, SplineSystem)>,
}

impl SampleDerivatives {
    /// `uᵀ ∂g/∂Y` (length `Ny·d`).
    pub fn transpose_times(&self, u: &[f64]) -> Vec<f64> {
        let mut out = self.samples.transpose_times(u);
        if let Some((rows, system)) = &self.moments {
            let through = system.moments_adjoint(&rows.transpose_times(u), self.dim());
            out.iter_mut().zip(through).for_each(|(o, t)| *o += t);
        }
        out
    }

    /// The dense matrix (for tests and reference computations).
    pub fn to_dense(&self) -> DMatrix<f64> {
        let mut out = self.samples.to_dense();
        if let Some((rows, system)) = &self.moments {
            let direct = rows.to_dense();
            for r in 0..out.nrows() {
                let row: Vec<f64> = direct.row(r).iter().copied().collect();
                for (c, v) in system
                    .moments_adjoint(&row, self.dim())
                    .into_iter()
                    .enumerate()
                {
                    out[(r, c)] += v;
                }
            }
        }
        out
    }

    fn dim(&self) -> usize {
        self.moments
            .as_ref()
            .map_or(1, |(_, s)| self.samples.ncols / s.len())
    }
}

/// `∂²f/∂φ∂z` for each input `z`: row `i` is `∂/∂z (∂f/∂φ_i)`.
#[derive(Debug, Clone, PartialEq)]
pub struct MixedDerivatives {
    /// With respect to x's samples (`m × Nx·d`, columns row-major like the samples).
    pub x: SparseRows,
    /// With respect to y's samples (`m × Ny·d`).
    pub y: SampleDerivatives,
    /// With respect to `λ` (`m`).
    pub lambda: Vec<f64>,
    /// With respect to `λ_cum` (`m`).
    pub lambda_cum: Vec<f64>,
}

/// What knot `i` contributes locally at `φ_i`: the y segment `j`, the weights of y and its
/// derivatives there (see [`PieceWeights`]), `y'`, `y''`, the residual `r = x_i − y(φ_i)`,
/// `∇L(r)` and `∇²L(r) y'`.
pub(crate) struct KnotLocal {
    j: usize,
    weights: PieceWeights<f64>,
    y: Vec<f64>,
    dy: Vec<f64>,
    ddy: Vec<f64>,
    residual: Vec<f64>,
    grad_l: Vec<f64>,
    hess_dy: Vec<f64>,
}

impl KnotLocal {
    pub fn new(d: usize) -> Self {
        Self {
            j: 0,
            weights: PieceWeights::new(1.0, 0.0, false),
            y: vec![0.0; d],
            dy: vec![0.0; d],
            ddy: vec![0.0; d],
            residual: vec![0.0; d],
            grad_l: vec![0.0; d],
            hess_dy: vec![0.0; d],
        }
    }

    /// Knot `i` at `φ_i`, using y's segment `j` (its piece extended beyond its ends).
    fn evaluate(&mut self, problem: &Problem, i: usize, phi_i: f64, j: usize) {
        let curve = problem.y_curve();
        let h = curve.times[j + 1] - curve.times[j];
        let alpha = (phi_i - curve.times[j]) / h;
        self.j = j;
        self.weights = PieceWeights::new(h, alpha, !curve.moments.is_empty());
        let (values, moments) = (curve.values, curve.moments);
        combine(&self.weights.value, values, moments, j, &mut self.y);
        combine(&self.weights.slope, values, moments, j, &mut self.dy);
        // Piecewise-linear y has no curvature: `ddy` stays at its initial zero (a `KnotLocal`
        // serves one problem, so its interpolation does not change).
        if !moments.is_empty() {
            combine(&self.weights.curvature, values, moments, j, &mut self.ddy);
        }
        x_at_knot(problem, i, problem.x().values(), &mut self.residual);
        for (r, y_k) in self.residual.iter_mut().zip(&self.y) {
            *r -= y_k;
        }
        problem
            .feature_penalty()
            .gradient(&self.residual, &mut self.grad_l);
    }

    /// `∂/∂φ_i` of the feature term `w_i L(x_i − y(φ_i))` with y on segment `j`:
    /// `−w_i ∇L(r)·y'`.
    pub fn feature_derivative(&mut self, problem: &Problem, i: usize, phi_i: f64, j: usize) -> f64 {
        self.feature_terms(problem, i, phi_i, j, false).0
    }

    /// `∂/∂φ_i` of the feature term `w_i L(x_i − y(φ_i))` with y on segment `j`, and, with
    /// `with_curvature`, `∂²L/∂φ_i²` (the curvature divided by `w_i`; 0 without). For
    /// piecewise-linear y with the squared penalty both come from [`linear_squared_terms`],
    /// otherwise from the generic terms.
    pub(crate) fn feature_terms(
        &mut self,
        problem: &Problem,
        i: usize,
        phi_i: f64,
        j: usize,
        with_curvature: bool,
    ) -> (f64, f64) {
        let w = problem.weights()[i];
        if is_linear_squared(problem) {
            let [_, slope, curvature] = linear_squared_terms(problem, i, phi_i, j);
            return (w * slope, if with_curvature { curvature } else { 0.0 });
        }
        self.evaluate(problem, i, phi_i, j);
        let slope = -w * dot(&self.grad_l, &self.dy);
        let curvature = if with_curvature {
            self.feature_curvature(problem)
        } else {
            0.0
        };
        (slope, curvature)
    }

    /// `∇²L(r) · y'` into `hess_dy`.
    fn hessian_times_dy(&mut self, problem: &Problem) {
        problem
            .feature_penalty()
            .hessian_times(&self.residual, &self.dy, &mut self.hess_dy);
    }

    /// `∂²/∂φ_i²` of the feature term divided by `w_i`: `y'ᵀ∇²L(r) y' − ∇L(r)·y''`, at the
    /// knot of the last [`Self::evaluate`].
    fn feature_curvature(&mut self, problem: &Problem) -> f64 {
        self.hessian_times_dy(problem);
        dot(&self.dy, &self.hess_dy) - dot(&self.grad_l, &self.ddy)
    }
}

/// Derivative of the slope term of interval `i` with respect to `φ_{i+1}` (it is the negative
/// of that with respect to `φ_i`), divided by `λ`: `R'(σ_i − s)`.
fn slope_term_derivative(problem: &Problem, phi: &[f64], i: usize) -> f64 {
    let sigma = (phi[i + 1] - phi[i]) / problem.dt()[i];
    problem
        .slope_penalty()
        .derivative(sigma - problem.expected_slope())
}

/// `∇f(φ)`.
pub fn gradient(problem: &Problem, phi: &[f64]) -> Result<Vec<f64>> {
    check_phi(problem, phi)?;
    gradient_on(problem, phi, &right_segments(problem, phi))
}

/// `∇f(φ)` with knot `i` on y's segment `segments[i]` (one-sided at sample times of y).
pub fn gradient_on(problem: &Problem, phi: &[f64], segments: &[usize]) -> Result<Vec<f64>> {
    check_phi(problem, phi)?;
    check_segments(problem, segments)?;
    Ok(GradientTerms::evaluate(problem, phi, segments).total())
}

/// The summands of `∇f`: per knot the feature term `−w_i ∇L(r_i)·y'(φ_i)` and the
/// cumulative term, per interval the slope term `λ R'(σ_i − s)` (which enters `g_{i+1}` with
/// a plus and `g_i` with a minus sign).
pub(crate) struct GradientTerms {
    pub feature: Vec<f64>,
    pub cumulative: Vec<f64>,
    pub slope: Vec<f64>,
}

impl GradientTerms {
    pub fn evaluate(problem: &Problem, phi: &[f64], segments: &[usize]) -> Self {
        local_derivatives(problem, phi, segments, false).0
    }

    /// `g = ∇f`.
    pub fn total(&self) -> Vec<f64> {
        self.combine(|a, b| a + b)
    }

    /// `Σ |summand|` per knot: the scale against which rounding in `g_i` is judged.
    pub fn magnitude(&self) -> Vec<f64> {
        self.combine(|a, b| a.abs() + b.abs())
    }

    fn combine(&self, add: impl Fn(f64, f64) -> f64) -> Vec<f64> {
        let m = self.feature.len();
        (0..m)
            .map(|i| {
                let mut g = add(self.feature[i], self.cumulative[i]);
                if i > 0 {
                    g = add(g, self.slope[i - 1]);
                }
                if i + 1 < m {
                    g = add(g, -self.slope[i]);
                }
                g
            })
            .collect()
    }
}

/// The segment of y the right-hand rule picks for every knot.
pub fn right_segments(problem: &Problem, phi: &[f64]) -> Vec<usize> {
    phi.iter()
        .map(|&t| segment_of(problem.y().times(), t))
        .collect()
}

fn check_segments(problem: &Problem, segments: &[usize]) -> Result<()> {
    if segments.len() != problem.num_knots() {
        return Err(Error::DimensionMismatch {
            what: "segments (one per knot)".into(),
            expected: problem.num_knots(),
            got: segments.len(),
        });
    }
    let last = problem.y().len() - 2;
    match segments.iter().position(|&j| j > last) {
        Some(i) => Err(Error::InvalidParameter {
            what: format!("segment of knot {i}"),
            reason: format!("y has segments 0..={last}, got {}", segments[i]),
        }),
        None => Ok(()),
    }
}

/// `H = ∇²_φφ f(φ)`, tridiagonal.
pub fn hessian(problem: &Problem, phi: &[f64]) -> Result<Tridiagonal> {
    check_phi(problem, phi)?;
    hessian_on(problem, phi, &right_segments(problem, phi))
}

/// `H = ∇²_φφ f(φ)` with knot `i` on y's segment `segments[i]`.
pub fn hessian_on(problem: &Problem, phi: &[f64], segments: &[usize]) -> Result<Tridiagonal> {
    check_phi(problem, phi)?;
    check_segments(problem, segments)?;
    Ok(local_derivatives(problem, phi, segments, true).1)
}

/// The gradient's summands and (when `with_hessian`; otherwise an empty one) the Hessian,
/// from one pass over the knots on the given segments. Inputs are not checked.
pub(crate) fn local_derivatives(
    problem: &Problem,
    phi: &[f64],
    segments: &[usize],
    with_hessian: bool,
) -> (GradientTerms, Tridiagonal) {
    let m = phi.len();
    let mut local = KnotLocal::new(problem.x().dim());
    let (w, reference) = (problem.weights(), problem.reference_warp());
    let (lambda, lambda_cum) = (problem.lambda(), problem.lambda_cum());
    let cum = problem.cumulative_penalty();
    let mut terms = GradientTerms {
        feature: Vec::with_capacity(m),
        cumulative: Vec::with_capacity(m),
        slope: Vec::with_capacity(m - 1),
    };
    let mut diag = Vec::with_capacity(if with_hessian { m } else { 0 });
    for i in 0..m {
        let deviation = phi[i] - reference[i];
        let (slope, curvature) = local.feature_terms(problem, i, phi[i], segments[i], with_hessian);
        terms.feature.push(slope);
        terms
            .cumulative
            .push(lambda_cum * w[i] * cum.derivative(deviation));
        if with_hessian {
            diag.push(w[i] * curvature + lambda_cum * w[i] * cum.second_derivative(deviation));
        }
    }
    let mut off = Vec::with_capacity(if with_hessian { m - 1 } else { 0 });
    for i in 0..m - 1 {
        let dt = problem.dt()[i];
        let u = (phi[i + 1] - phi[i]) / dt - problem.expected_slope();
        terms
            .slope
            .push(lambda * problem.slope_penalty().derivative(u));
        if with_hessian {
            let c = lambda / dt * problem.slope_penalty().second_derivative(u);
            diag[i] += c;
            diag[i + 1] += c;
            off.push(-c);
        }
    }
    (terms, Tridiagonal { diag, off })
}

/// The mixed second derivatives `∂²f/∂φ∂z` for `z = X, Y, λ, λ_cum`.
pub fn mixed_derivatives(problem: &Problem, phi: &[f64]) -> Result<MixedDerivatives> {
    check_phi(problem, phi)?;
    mixed_derivatives_on(problem, phi, &right_segments(problem, phi))
}

/// The mixed second derivatives with knot `i` on y's segment `segments[i]`.
pub fn mixed_derivatives_on(
    problem: &Problem,
    phi: &[f64],
    segments: &[usize],
) -> Result<MixedDerivatives> {
    check_phi(problem, phi)?;
    check_segments(problem, segments)?;
    let (x, y) = (problem.x(), problem.y());
    let d = x.dim();
    let m = phi.len();
    let mut local = KnotLocal::new(d);
    let mut wrt_x = SparseRows::new(x.values().len());
    let mut wrt_y = SparseRows::new(y.values().len());
    let system = problem.interpolant().system();
    let mut wrt_moments = SparseRows::new(if system.is_some() {
        y.values().len()
    } else {
        0
    });
    let mut wrt_lambda_cum = Vec::with_capacity(m);
    for (i, &phi_i) in phi.iter().enumerate() {
        let w = problem.weights()[i];
        local.evaluate(problem, i, phi_i, segments[i]);
        local.hessian_times_dy(problem);
        let (j, weights) = (local.j, local.weights);
        let (grad_l, hdy) = (&local.grad_l, &local.hess_dy);
        // ∂g_i/∂x_i = −w_i ∇²L(r) y', spread over the two samples knot i reads.
        let source = problem.knot_sources()[i];
        for (row, weight) in [
            (source.row, 1.0 - source.beta),
            (source.row + 1, source.beta),
        ] {
            if weight != 0.0 {
                for (k, &hdy_k) in hdy.iter().enumerate() {
                    wrt_x.push(row * d + k, -w * weight * hdy_k);
                }
            }
        }
        wrt_x.end_row();
        // For θ ∈ (Y_j, Y_{j+1}, M_j, M_{j+1}) with weights a_θ in y and b_θ in y':
        // ∂g_i/∂θ = w_i (a_θ ∇²L(r) y' − b_θ ∇L(r)).
        let push = |rows: &mut SparseRows, slot: usize, sample: usize| {
            let (a, b) = (weights.value[slot], weights.slope[slot]);
            for (k, (&hdy_k, &gl_k)) in hdy.iter().zip(grad_l).enumerate() {
                rows.push(sample * d + k, w * (a * hdy_k - b * gl_k));
            }
        };
        push(&mut wrt_y, 0, j);
        push(&mut wrt_y, 1, j + 1);
        wrt_y.end_row();
        if system.is_some() {
            push(&mut wrt_moments, 2, j);
            push(&mut wrt_moments, 3, j + 1);
            wrt_moments.end_row();
        }
        let deviation = phi_i - problem.reference_warp()[i];
        wrt_lambda_cum.push(w * problem.cumulative_penalty().derivative(deviation));
    }
    let mut wrt_lambda = vec![0.0; m];
    for i in 0..m - 1 {
        let e = slope_term_derivative(problem, phi, i);
        wrt_lambda[i] -= e;
        wrt_lambda[i + 1] += e;
    }
    Ok(MixedDerivatives {
        x: wrt_x,
        y: SampleDerivatives {
            samples: wrt_y,
            moments: system.map(|s| (wrt_moments, s.clone())),
        },
        lambda: wrt_lambda,
        lambda_cum: wrt_lambda_cum,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic;

    /// The linear-squared fast path equals the generic terms: the node cost (`node_cost`), and
    /// the derivative and curvature of `KnotLocal`, for knots between x's samples (β ≠ 0),
    /// feature counts with and without a tail of four, `φ_i` on, inside and beyond its
    /// segment; and `objective` equals `objective_generic`.
    #[test]
    fn linear_squared_terms_equal_generic_terms() {
        let mut seed = 21;
        let mut checked = 0;
        for d in [1, 3, 4, 5, 16] {
            let pair = synthetic::warped_pair(&mut seed, 30, d).unwrap();
            let knots: Vec<f64> = (0..23).map(|i| (i as f64 / 22.0).powf(1.3)).collect();
            let problem = Problem::builder(pair.x().clone(), pair.y().clone())
                .knots(knots)
                .lambda(0.1)
                .lambda_cum(0.02)
                .build()
                .unwrap();
            assert!(is_linear_squared(&problem));
            assert!(problem.knot_sources().iter().any(|s| s.beta != 0.0));
            let times = problem.y().times().to_vec();
            let curve = problem.y_curve();
            let mut local = KnotLocal::new(d);
            let (mut x_i, mut scratch) = (vec![0.0; d], vec![0.0; d]);
            for i in 0..problem.num_knots() {
                for j in [0, 7, times.len() - 2] {
                    let h = times[j + 1] - times[j];
                    for alpha in [0.0, 0.3, 1.0, -0.4, 1.7] {
                        let phi_i = times[j] + alpha * h;
                        let [value, slope, curvature] = linear_squared_terms(&problem, i, phi_i, j);
                        local.evaluate(&problem, i, phi_i, j);
                        let w = problem.weights()[i];
                        let generic_slope = -dot(&local.grad_l, &local.dy);
                        let generic_curvature = local.feature_curvature(&problem);
                        let close = |a: f64, b: f64, scale: f64| (a - b).abs() <= 1e-13 * scale;
                        assert!(close(slope, generic_slope, generic_slope.abs().max(1.0)));
                        assert!(close(
                            curvature,
                            generic_curvature,
                            generic_curvature.max(1.0)
                        ));
                        if (0.0..=1.0).contains(&alpha) && (alpha < 1.0 || j == times.len() - 2) {
                            // `node_cost` picks the segment itself: only where that is `j`.
                            x_at_knot(&problem, i, problem.x().values(), &mut x_i);
                            let generic =
                                node_cost(&problem, i, &x_i, &phi_i, &curve, &0.0, &mut scratch);
                            assert!(
                                close(w * value, generic, generic.max(1.0)),
                                "{value} vs {generic}"
                            );
                        }
                        checked += 1;
                    }
                }
            }
            let phi: Vec<f64> = (0..problem.num_knots())
                .map(|i| (i as f64 / 22.0).powf(0.8))
                .collect();
            let fast = objective(&problem, &phi).unwrap();
            let generic = objective_generic(
                &problem,
                &phi,
                problem.x().values(),
                problem.y().values(),
                problem.lambda(),
                problem.lambda_cum(),
            );
            assert!(
                (fast - generic).abs() <= 1e-14 * generic,
                "{fast} vs {generic}"
            );
        }
        assert_eq!(checked, 5 * 23 * 3 * 5);
    }
}
