//! The objective `f(φ)` of SPEC §1 and its derivatives.
//!
//! `f(φ) = Σ_i w_i L(x_i − y(φ_i)) + λ Σ_i Δt_i R(σ_i − s) + λ_cum Σ_i w_i R_cum(φ_i − φ̄_i)`
//! with `σ_i = (φ_{i+1} − φ_i)/Δt_i`.
//!
//! The terms are written once, generically over num-dual scalars ([`objective_generic`]); the
//! f64 value, the DP's node and edge costs and the dual-number checks all use that one
//! definition. The gradient, the tridiagonal Hessian `H = ∇²_φφ f` and the mixed derivatives
//! `∂²f/∂φ∂z` for `z = X, Y, λ, λ_cum` are hand-coded for speed. At a sample time of y the
//! piecewise-linear interpolant has a kink; there [`gradient`], [`hessian`] and
//! [`mixed_derivatives`] use the segment [`Signal::segment`](crate::Signal::segment) picks
//! (the right-hand one), and the `*_on` variants take the segment of every knot explicitly
//! (the one-sided derivatives the polish and the backward pass need).

use crate::error::{check_finite, Error, Result};
use crate::interpolation::{combine, Curve, PieceWeights, SplineSystem};
use crate::penalty::{dot, WarpPenalty};
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
    let mut total = D::from(0.0);
    for (i, tau) in phi.iter().enumerate() {
        x_at_knot(problem, i, x_values, &mut x_i);
        total += node_cost(problem, i, &x_i, tau, &y, &lambda_cum, &mut scratch);
    }
    for (i, pair) in phi.windows(2).enumerate() {
        total += edge_cost(problem, i, &pair[0], &pair[1], &lambda);
    }
    total
}

/// `f(φ)` in f64, after checking that `φ` has one finite value per knot.
pub fn objective(problem: &Problem, phi: &[f64]) -> Result<f64> {
    check_phi(problem, phi)?;
    Ok(objective_generic(
        problem,
        phi,
        problem.x().values(),
        problem.y().values(),
        problem.lambda(),
        problem.lambda_cum(),
    ))
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
    let w = problem.weights()[i];
    let feature = problem.feature_penalty().value(scratch) * w;
    let deviation = tau.clone() - problem.reference_warp()[i];
    feature + lambda_cum.clone() * w * problem.cumulative_penalty().value(deviation)
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

fn check_phi(problem: &Problem, phi: &[f64]) -> Result<()> {
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
        self.evaluate(problem, i, phi_i, j);
        -problem.weights()[i] * dot(&self.grad_l, &self.dy)
    }

    /// `∇²L(r) · y'` into `hess_dy`.
    fn hessian_times_dy(&mut self, problem: &Problem) {
        problem
            .feature_penalty()
            .hessian_times(&self.residual, &self.dy, &mut self.hess_dy);
    }

    /// `∂²/∂φ_i²` of the feature term divided by `w_i`: `y'ᵀ∇²L(r) y' − ∇L(r)·y''`.
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
        terms
            .feature
            .push(local.feature_derivative(problem, i, phi[i], segments[i]));
        terms
            .cumulative
            .push(lambda_cum * w[i] * cum.derivative(deviation));
        if with_hessian {
            diag.push(
                w[i] * local.feature_curvature(problem)
                    + lambda_cum * w[i] * cum.second_derivative(deviation),
            );
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
