//! Node costs of one knot over its grid: `w_i L(x_i − y(v_j)) + λ_cum w_i R_cum(v_j − φ̄_i)`.
//!
//! For the squared Euclidean penalty the feature term is a polynomial in the position `α` on
//! each segment of y, whose coefficients cost `O(d)` once per segment the grid reaches; each
//! grid value then costs `O(1)`:
//! - linear y, with `D_j = ‖x_i − Y_j‖²` and `S_j = ‖Y_{j+1} − Y_j‖²`:
//!   `L = (1 − α) D_j + α D_{j+1} − α (1 − α) S_j = D_j + α (D_{j+1} − D_j − S_j) + α² S_j`
//!   (at a sample time, `α = 0`, it is `D_j` itself);
//! - a cubic spline, `y = Y_j + α b + α² c + α³ e` on the segment (see [`crate::interpolation`];
//!   `b = Y_{j+1} − Y_j − h²(2M_j + M_{j+1})/6`, `c = h² M_j/2`, `e = h²(M_{j+1} − M_j)/6`), with
//!   `u = x_i − Y_j`: `L = u·u − 2α u·b + α²(b·b − 2u·c) + α³(2b·c − 2u·e) + α⁴(c·c + 2b·e)
//!   + 2α⁵ c·e + α⁶ e·e`.
//!
//! With linear y the `D_j` of every sample the grid spans are computed at once, from a
//! feature-major copy of y, eight samples per vectorised block ([`squared_distances`]), unless
//! the grid is much coarser than y ([`tabulates`]). On grids much finer than y the values are
//! then evaluated a run per segment ([`add_by_runs`]); on grids about as fine as y the segment
//! and `α` of every value are found once per grid ([`Placement`]: the interior knots of the
//! first pass all have the same grid) and each value costs two table reads and no branch.
//! Cubic y and coarse grids walk the values through the segments ([`add_by_walk`]).
//!
//! Every other penalty goes through the generic [`node_cost`], which is also the oracle the
//! fast paths are tested against.

use super::cpu::avx2_dispatch;
use crate::interpolation::Interpolation;
use crate::objective::{node_cost, x_at_knot};
use crate::penalty::{dot, squared_distance, squared_distances, FeaturePenalty};
use crate::problem::Problem;
use crate::signal::{segment_of, Signal};

/// Reusable buffers for [`add_node_costs`], and per segment of y what the fast paths need.
pub(crate) struct NodeScratch {
    x_i: Vec<f64>,
    /// `x_i − y` for the generic penalties; `x_i − Y_j` for cubic y.
    diff: Vec<f64>,
    /// `1/(t_{j+1} − t_j)` per segment of y.
    inv_length: Vec<f64>,
    /// Linear y: `S_j = ‖Y_{j+1} − Y_j‖²` per segment.
    segment_sq: Vec<f64>,
    /// Linear y: Y feature-major ([`by_feature`]), and `D_j = ‖x_i − Y_j‖²` over the samples
    /// the knot's grid spans.
    y_by_feature: Vec<f64>,
    distances: Vec<f64>,
    /// Linear y: where the last grid walked through y lies on it (kept for the next knot with
    /// the same grid: every interior knot in the first pass).
    placement: Placement,
    /// Cubic y: `(b, c, e)` per segment (`3d` values each) and their products
    /// `[b·b, b·c, b·e, c·c, c·e, e·e]`.
    cubic: Vec<f64>,
    cubic_products: Vec<[f64; 6]>,
}

impl NodeScratch {
    pub fn new(problem: &Problem) -> Self {
        let y = problem.y();
        let d = y.dim();
        let segments = 0..y.len() - 1;
        let (mut segment_sq, mut cubic, mut cubic_products) = (vec![], vec![], vec![]);
        let mut y_by_feature = vec![];
        match problem.interpolation() {
            Interpolation::Linear => {
                segment_sq = segments
                    .map(|j| squared_distance(y.row(j), y.row(j + 1)))
                    .collect();
                y_by_feature = by_feature(y);
            }
            Interpolation::CubicSpline(_) => {
                let moments = problem.interpolant().moments();
                for j in segments {
                    let h = y.times()[j + 1] - y.times()[j];
                    let (m0, m1) = (
                        &moments[j * d..(j + 1) * d],
                        &moments[(j + 1) * d..(j + 2) * d],
                    );
                    let (y0, y1) = (y.row(j), y.row(j + 1));
                    let b: Vec<f64> = (0..d)
                        .map(|k| y1[k] - y0[k] - h * h * (2.0 * m0[k] + m1[k]) / 6.0)
                        .collect();
                    let c: Vec<f64> = m0.iter().map(|m| h * h * m / 2.0).collect();
                    let e: Vec<f64> = (0..d).map(|k| h * h * (m1[k] - m0[k]) / 6.0).collect();
                    cubic_products.push([
                        dot(&b, &b),
                        dot(&b, &c),
                        dot(&b, &e),
                        dot(&c, &c),
                        dot(&c, &e),
                        dot(&e, &e),
                    ]);
                    cubic.extend(b.into_iter().chain(c).chain(e));
                }
            }
        }
        let inv_length = y.times().windows(2).map(|t| 1.0 / (t[1] - t[0])).collect();
        Self {
            x_i: vec![0.0; d],
            diff: vec![0.0; d],
            inv_length,
            segment_sq,
            y_by_feature,
            distances: vec![],
            placement: Placement::default(),
            cubic,
            cubic_products,
        }
    }
}

avx2_dispatch! {
/// Adds the node costs of knot `i` at the non-decreasing `values` to `out` (the DP adds them
/// to the stage's minima in place).
pub(crate) fn add_node_costs(
    problem: &Problem,
    i: usize,
    values: &[f64],
    out: &mut [f64],
    scratch: &mut NodeScratch,
) {
    x_at_knot(problem, i, problem.x().values(), &mut scratch.x_i);
    if problem.feature_penalty() != FeaturePenalty::SquaredEuclidean {
        let y = problem.y_curve();
        for (o, v) in out.iter_mut().zip(values) {
            *o += node_cost(
                problem,
                i,
                &scratch.x_i,
                v,
                &y,
                &problem.lambda_cum(),
                &mut scratch.diff,
            );
        }
        return;
    }
    let y = problem.y();
    let span = grid_span(y.times(), values);
    let NodeScratch {
        x_i, diff, inv_length, segment_sq, y_by_feature, distances, placement, cubic,
        cubic_products,
    } = scratch;
    match problem.interpolation() {
        Interpolation::Linear if tabulates(span, values.len()) => {
            tabulate(x_i, y_by_feature, y.len(), span, distances);
            let w = problem.weights()[i];
            if runs(values.len(), span) {
                let mut segments = TabulatedSegments { distances, first: span.0, segment_sq };
                add_by_runs(values, out, y.times(), inv_length, w, span, &mut segments);
            } else {
                placement.place(values, y.times(), inv_length, segment_sq, span);
                placement.add(distances, w, out);
            }
        }
        Interpolation::Linear => {
            let mut segments = LinearSegments { x_i, y, segment_sq };
            add_by_segment(problem, i, values, out, inv_length, span, &mut segments);
        }
        Interpolation::CubicSpline(_) => {
            let mut segments = CubicSegments { x_i, y, cubic, products: cubic_products, u: diff };
            add_by_segment(problem, i, values, out, inv_length, span, &mut segments);
        }
    }
    add_cumulative(problem, i, values, out);
}
}

/// The distance between the columns of [`by_feature`]: the samples and a cache line more, so
/// that the `d` values of a sample fall into different sets of the first-level cache (with a
/// stride of a power of two, 1024 samples, all 16 of them fell into one set of 12 ways; the
/// padding took about a tenth off the first pass's node costs).
#[inline(always)]
fn column_stride(samples: usize) -> usize {
    samples + 8
}

/// The samples of y feature-major: `Y_{j,k}` at `k · column_stride(Ny) + j` (zeros between
/// the columns).
fn by_feature(y: &Signal) -> Vec<f64> {
    let (samples, stride) = (y.len(), column_stride(y.len()));
    (0..y.dim())
        .flat_map(|k| (0..stride).map(move |j| if j < samples { y.row(j)[k] } else { 0.0 }))
        .collect()
}

/// Adds `λ_cum w_i R_cum(v − φ̄_i)` to `out` for each value.
fn add_cumulative(problem: &Problem, i: usize, values: &[f64], out: &mut [f64]) {
    let w = problem.weights()[i];
    let lambda_cum = problem.lambda_cum();
    if lambda_cum != 0.0 {
        let (reference, cumulative) = (problem.reference_warp()[i], problem.cumulative_penalty());
        for (o, &v) in out.iter_mut().zip(values) {
            *o += lambda_cum * w * cumulative.value(v - reference);
        }
    }
}

/// The squared feature term `L(x_i − y(v))` on one segment of y, a polynomial in the segment's
/// position `α`.
trait SegmentPolynomial {
    type Coefficients;
    /// The coefficients on segment `j`.
    fn enter(&mut self, j: usize) -> Self::Coefficients;
    /// The polynomial at `α`.
    fn eval(coefficients: &Self::Coefficients, alpha: f64) -> f64;
}

/// Whether the distances `D_j = ‖x_i − Y_j‖²` of the samples a grid of `count` values over
/// segments `span` of y reaches are tabulated all at once ([`TabulatedSegments`]): unless the
/// grid has fewer than half as many values as segments, so that it skips most samples.
#[inline(always)]
fn tabulates((first, last): (usize, usize), count: usize) -> bool {
    2 * count > last - first
}

/// Writes `D_j` for the samples `j` of segments `span` (and the sample after them) into
/// `distances`, from the `samples` of y stored feature-major ([`by_feature`]).
#[inline(always)]
fn tabulate(
    x_i: &[f64],
    y_by_feature: &[f64],
    samples: usize,
    (first, last): (usize, usize),
    distances: &mut Vec<f64>,
) {
    assert!(
        last + 2 <= samples,
        "segments {first}..={last} of {samples} samples"
    );
    distances.resize(last - first + 2, 0.0);
    squared_distances(x_i, y_by_feature, column_stride(samples), first, distances);
}

/// Linear y: `L = D_j + α (D_{j+1} − D_j − S_j) + α² S_j`, from the distances `D` tabulated for
/// the samples `first..` (see [`squared_distances`]).
struct TabulatedSegments<'a> {
    distances: &'a [f64],
    first: usize,
    segment_sq: &'a [f64],
}

impl SegmentPolynomial for TabulatedSegments<'_> {
    type Coefficients = [f64; 3];
    #[inline(always)]
    fn enter(&mut self, j: usize) -> [f64; 3] {
        let d = &self.distances[j - self.first..];
        linear_coefficients(d[0], d[1], self.segment_sq[j])
    }
    #[inline(always)]
    fn eval(&c: &[f64; 3], alpha: f64) -> f64 {
        linear_eval(c, alpha)
    }
}

/// Linear y, with the distances computed per segment entered (grids much coarser than y).
struct LinearSegments<'a> {
    x_i: &'a [f64],
    y: &'a Signal,
    segment_sq: &'a [f64],
}

impl SegmentPolynomial for LinearSegments<'_> {
    type Coefficients = [f64; 3];
    #[inline(always)]
    fn enter(&mut self, j: usize) -> [f64; 3] {
        let (x, y) = (self.x_i, self.y);
        let (d_left, d_right) = (
            squared_distance(x, y.row(j)),
            squared_distance(x, y.row(j + 1)),
        );
        linear_coefficients(d_left, d_right, self.segment_sq[j])
    }
    #[inline(always)]
    fn eval(&c: &[f64; 3], alpha: f64) -> f64 {
        linear_eval(c, alpha)
    }
}

/// `[D_j, D_{j+1} − D_j − S_j, S_j]`.
#[inline(always)]
fn linear_coefficients(d_left: f64, d_right: f64, sq: f64) -> [f64; 3] {
    [d_left, d_right - d_left - sq, sq]
}

#[inline(always)]
fn linear_eval([c0, c1, c2]: [f64; 3], alpha: f64) -> f64 {
    c0 + alpha * (c1 + alpha * c2)
}

/// Cubic y: the degree-6 polynomial of the module documentation.
struct CubicSegments<'a> {
    x_i: &'a [f64],
    y: &'a Signal,
    cubic: &'a [f64],
    products: &'a [[f64; 6]],
    /// `x_i − Y_j`.
    u: &'a mut [f64],
}

impl SegmentPolynomial for CubicSegments<'_> {
    type Coefficients = [f64; 7];
    #[inline(always)]
    fn enter(&mut self, j: usize) -> [f64; 7] {
        let (d, u) = (self.u.len(), &mut *self.u);
        for ((u_k, x_k), y_k) in u.iter_mut().zip(self.x_i).zip(self.y.row(j)) {
            *u_k = x_k - y_k;
        }
        let bce = &self.cubic[3 * d * j..3 * d * (j + 1)];
        let [bb, bc, be, cc, ce, ee] = self.products[j];
        let (ub, uc, ue) = (
            dot(u, &bce[..d]),
            dot(u, &bce[d..2 * d]),
            dot(u, &bce[2 * d..]),
        );
        [
            dot(u, u),
            -2.0 * ub,
            bb - 2.0 * uc,
            2.0 * (bc - ue),
            cc + 2.0 * be,
            2.0 * ce,
            ee,
        ]
    }
    #[inline(always)]
    fn eval(p: &[f64; 7], alpha: f64) -> f64 {
        p.iter().rev().fold(0.0, |acc, &c| acc * alpha + c)
    }
}

/// Walks the non-decreasing `values` through y's segments (entering each segment reached, as
/// [`segment_of`] would pick it) and adds `w_i max(L, 0)` to `out` for each value, at
/// `α = (v − t_j)/(t_{j+1} − t_j)` (`inv_length[j]` is the reciprocal length).
#[inline(always)]
fn add_by_segment<P: SegmentPolynomial>(
    problem: &Problem,
    i: usize,
    values: &[f64],
    out: &mut [f64],
    inv_length: &[f64],
    span: (usize, usize),
    segments: &mut P,
) {
    let times = problem.y().times();
    let w = problem.weights()[i];
    match runs(values.len(), span) {
        true => add_by_runs(values, out, times, inv_length, w, span, segments),
        false => add_by_walk(values, out, times, inv_length, w, span, segments),
    }
}

/// The segments of y (with sample times `times`) holding the first and the last of the
/// non-decreasing `values`.
#[inline(always)]
fn grid_span(times: &[f64], values: &[f64]) -> (usize, usize) {
    (
        segment_of(times, values[0]),
        segment_of(times, values[values.len() - 1]),
    )
}

/// [`add_by_segment`] one value at a time, entering the next segment when a value passes its
/// end (grids about as fine as y: the first pass).
#[inline(always)]
fn add_by_walk<P: SegmentPolynomial>(
    values: &[f64],
    out: &mut [f64],
    times: &[f64],
    inv_length: &[f64],
    w: f64,
    (mut j, last): (usize, usize),
    segments: &mut P,
) {
    let times = &times[..=last + 1];
    let end_of = |j: usize| segment_end(times, last, j);
    let (mut coefficients, mut t0, mut inv_h) = (segments.enter(j), times[j], inv_length[j]);
    let mut end = end_of(j);
    for (o, &v) in out.iter_mut().zip(values) {
        if v >= end {
            loop {
                j += 1;
                end = end_of(j);
                if v < end {
                    break;
                }
            }
            (coefficients, t0, inv_h) = (segments.enter(j), times[j], inv_length[j]);
        }
        *o += w * P::eval(&coefficients, (v - t0) * inv_h).max(0.0);
    }
}

/// Where a walk through segments `..=last` of y leaves segment `j`: segment `j` takes the values
/// below the next sample time, the last segment every value beyond.
#[inline(always)]
fn segment_end(times: &[f64], last: usize, j: usize) -> f64 {
    if j < last {
        times[j + 1]
    } else {
        f64::INFINITY
    }
}

/// Values per segment, on average, from which [`add_by_runs`] takes over from [`add_by_walk`]
/// and the [`Placement`]: three, so that a first refinement pass with `η = 1/4` (about four
/// values per segment where `M ≈ Ny`, a new grid at every knot) goes by runs (the solve 4 %
/// faster than placing every grid, on scaled random walks like the peers benchmark's at
/// n = 1024, d = 16), while grids about as fine as y, which
/// the first pass shares between all interior knots, are placed once.
const RUN_LENGTH: usize = 3;

/// Whether `count` values over the segments `span` go by runs ([`RUN_LENGTH`]).
#[inline(always)]
fn runs(count: usize, (first, last): (usize, usize)) -> bool {
    count >= RUN_LENGTH * (last - first + 1)
}

/// Where each value of a grid lies on y, as [`add_by_walk`] finds it: its segment `j`
/// (counted from the grid's first segment), `α` and `S_j`. Linear y with tabulated distances
/// then needs per value only `D_j` and `D_{j+1}`, and no branch; the placement is kept for the
/// next knot with the same grid.
#[derive(Debug, Default)]
struct Placement {
    values: Vec<f64>,
    segment: Vec<u32>,
    alpha: Vec<f64>,
    sq: Vec<f64>,
    /// The values split into diagonals `from..to`, on each of which the segment grows by one
    /// from value to value (a grid with one value more than y has samples is one diagonal, or
    /// two): there `D_j` and `D_{j+1}` are read as two shifted slices, a loop the compiler
    /// vectorises, where each value on its own needs two indexed reads.
    diagonals: Vec<(usize, usize)>,
}

/// Whether `a` and `b` (of the same length) hold the same values bit for bit, compared eight
/// at a time (one branch per eight values; a value-by-value loop took a tenth of the first
/// pass's node costs).
#[inline(always)]
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tails = a8.remainder().iter().zip(b8.remainder());
    let same = |(x, y): (&f64, &f64)| x.to_bits() == y.to_bits();
    a8.zip(b8)
        .all(|(x, y)| x.iter().zip(y).fold(true, |all, pair| all & same(pair)))
        && tails.into_iter().all(same)
}

impl Placement {
    /// Places `values` over the segments `span` of y (sample times `times`), unless they are
    /// the values placed last (bit for bit; the span is a function of the values).
    #[inline(always)]
    fn place(
        &mut self,
        values: &[f64],
        times: &[f64],
        inv_length: &[f64],
        segment_sq: &[f64],
        (first, last): (usize, usize),
    ) {
        let placed = self.values.len() == values.len() && same_bits(&self.values, values);
        if placed {
            return;
        }
        self.values.clear();
        self.values.extend_from_slice(values);
        self.segment.clear();
        self.alpha.clear();
        self.sq.clear();
        // The walk of `add_by_walk`.
        let times = &times[..=last + 1];
        let end_of = |j: usize| segment_end(times, last, j);
        let (mut j, mut end) = (first, end_of(first));
        for &v in values {
            while v >= end {
                j += 1;
                end = end_of(j);
            }
            self.segment.push((j - first) as u32);
            self.alpha.push((v - times[j]) * inv_length[j]);
            self.sq.push(segment_sq[j]);
        }
        self.diagonals.clear();
        let mut from = 0;
        for (k, pair) in self.segment.windows(2).enumerate() {
            if pair[1] != pair[0] + 1 {
                self.diagonals.push((from, k + 1));
                from = k + 1;
            }
        }
        self.diagonals.push((from, self.segment.len()));
    }

    /// Adds `w max(L, 0)` to `out` for the values placed, with `distances` tabulated from the
    /// grid's first segment on (the same operations as the walk's).
    #[inline(always)]
    fn add(&self, distances: &[f64], w: f64, out: &mut [f64]) {
        let value = |o: &mut f64, (d_left, d_right): (f64, f64), alpha: f64, sq: f64| {
            *o += w * linear_eval(linear_coefficients(d_left, d_right, sq), alpha).max(0.0);
        };
        let out = &mut out[..self.segment.len()];
        // Diagonals of four values or more on average (a vector): by diagonal; else value by
        // value.
        if 4 * self.diagonals.len() > out.len() {
            let placed = self.segment.iter().zip(&self.alpha).zip(&self.sq);
            for (o, ((&j, &alpha), &sq)) in out.iter_mut().zip(placed) {
                let j = j as usize;
                value(o, (distances[j], distances[j + 1]), alpha, sq);
            }
            return;
        }
        for &(from, to) in &self.diagonals {
            let first = self.segment[from] as usize;
            let d = &distances[first..=first + (to - from)];
            let ends = d.iter().zip(&d[1..]).map(|(&left, &right)| (left, right));
            let placed = self.alpha[from..to].iter().zip(&self.sq[from..to]);
            for ((o, ends), (&alpha, &sq)) in out[from..to].iter_mut().zip(ends).zip(placed) {
                value(o, ends, alpha, sq);
            }
        }
    }
}

/// [`add_by_segment`] for grids much finer than y (the refinement passes): the run of values on
/// each segment is found by [`run_end`] and evaluated in one loop that the compiler vectorises.
/// Each value goes through the same operations as in the walk, so the result is the same.
#[inline(always)]
fn add_by_runs<P: SegmentPolynomial>(
    values: &[f64],
    out: &mut [f64],
    times: &[f64],
    inv_length: &[f64],
    w: f64,
    (mut j, last): (usize, usize),
    segments: &mut P,
) {
    let (mut from, mut run) = (0, 0);
    while from < values.len() {
        while j < last && values[from] >= times[j + 1] {
            j += 1;
        }
        let to = match j == last {
            true => values.len(),
            false => run_end(values, from, from + run, times[j + 1]),
        };
        run = to - from;
        let (coefficients, t0, inv_h) = (segments.enter(j), times[j], inv_length[j]);
        for (o, &v) in out[from..to].iter_mut().zip(&values[from..to]) {
            *o += w * P::eval(&coefficients, (v - t0) * inv_h).max(0.0);
        }
        from = to;
    }
}

/// The first index from `from` on whose value is at least `end` (`values.len()` if none), for
/// non-decreasing `values` with `values[from] < end`, found by stepping from the guess (the
/// previous run's length: on uniform grids and samples runs differ by at most one value, so
/// this costs a step or two where a bisection over the rest of the grid would cost ten).
#[inline(always)]
fn run_end(values: &[f64], from: usize, guess: usize, end: f64) -> usize {
    let mut to = guess.clamp(from + 1, values.len());
    while to > from + 1 && values[to - 1] >= end {
        to -= 1;
    }
    while to < values.len() && values[to] < end {
        to += 1;
    }
    to
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Problem, Signal, SplineEnds};

    /// The guided run end is the partition point, from every start and for guesses short of,
    /// at and past it.
    #[test]
    fn run_end_is_the_partition_point() {
        let values = [0.0, 0.1, 0.1, 0.1, 0.4, 0.5, 0.5, 0.9, 1.0, 1.0];
        for from in 0..values.len() {
            for end in [0.05, 0.1, 0.15, 0.5, 0.95, 1.0, 2.0] {
                if values[from] >= end {
                    continue;
                }
                let truth = from + values[from..].partition_point(|&v| v < end);
                for guess in 0..values.len() + 3 {
                    assert_eq!(
                        run_end(&values, from, guess, end),
                        truth,
                        "{from} {end} {guess}"
                    );
                }
            }
        }
    }

    /// A pair of `dim`-channel waves on uniform times: x with `nx` values `cos(0.9 k)`, y with
    /// `ny` values `2 sin(0.3 k)`.
    fn wave_problem(nx: usize, ny: usize, dim: usize) -> Problem {
        let xs: Vec<f64> = (0..nx).map(|k| (k as f64 * 0.9).cos()).collect();
        let ys: Vec<f64> = (0..ny).map(|k| (k as f64 * 0.3).sin() * 2.0).collect();
        let signal = |values, dim| Signal::uniform(values, dim).unwrap();
        Problem::builder(signal(xs, dim), signal(ys, dim))
            .build()
            .unwrap()
    }

    /// The run-wise evaluation and the placed values (placed afresh and reused) return the
    /// walk's node costs bit for bit, on grids finer and coarser than y and with values clamped
    /// onto its ends.
    #[test]
    fn runs_and_placement_equal_walk_bit_for_bit() {
        let problem = wave_problem(12, 40, 2);
        let times = problem.y().times();
        for (count, lo, hi) in [
            (500, 0.0, 1.0),
            (30, 0.0, 1.0),
            (21, 0.0, 1.0),
            (23, 0.0, 1.0),
            (41, 0.0, 1.0),
            (300, 0.31, 0.33),
            (64, 0.9, 1.0),
        ] {
            let mut values: Vec<f64> = (0..count)
                .map(|k| lo + (hi - lo) * k as f64 / (count - 1) as f64)
                .collect();
            values.extend([1.0, 1.0]);
            let span = (segment_of(times, values[0]), segment_of(times, 1.0));
            let mut scratch = NodeScratch::new(&problem);
            let NodeScratch {
                x_i,
                inv_length,
                segment_sq,
                y_by_feature,
                distances,
                placement,
                ..
            } = &mut scratch;
            x_at_knot(&problem, 5, problem.x().values(), x_i);
            let y = problem.y();
            assert!(
                tabulates(span, values.len()),
                "{count} values over {span:?}"
            );
            tabulate(x_i, y_by_feature, y.len(), span, distances);
            let run = |walk: bool| {
                let mut segments = TabulatedSegments {
                    distances,
                    first: span.0,
                    segment_sq,
                };
                let mut out = vec![0.5; values.len()];
                match walk {
                    true => add_by_walk(
                        &values,
                        &mut out,
                        times,
                        inv_length,
                        0.7,
                        span,
                        &mut segments,
                    ),
                    false => add_by_runs(
                        &values,
                        &mut out,
                        times,
                        inv_length,
                        0.7,
                        span,
                        &mut segments,
                    ),
                }
                out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            };
            let walked = run(true);
            assert_eq!(walked, run(false), "{count} values on [{lo}, {hi}]");
            // Another grid placed before must not be reused.
            let other = &values[1..];
            placement.place(
                other,
                times,
                inv_length,
                segment_sq,
                grid_span(times, other),
            );
            for _ in 0..2 {
                placement.place(&values, times, inv_length, segment_sq, span);
                let mut out = vec![0.5; values.len()];
                placement.add(distances, 0.7, &mut out);
                let placed: Vec<u64> = out.iter().map(|v| v.to_bits()).collect();
                assert_eq!(walked, placed, "{count} values on [{lo}, {hi}], placed");
            }
        }
    }

    /// Two grids are the same only bit for bit: a change in any one value (in the blocks of
    /// eight or in the remainder, `−0` for `0` included) is seen.
    #[test]
    fn same_bits_sees_any_changed_value() {
        for len in [0, 1, 7, 8, 9, 17, 24] {
            let a: Vec<f64> = (0..len).map(|k| k as f64 * 0.25).collect();
            assert!(same_bits(&a, &a.clone()), "length {len}");
            for k in 0..len {
                for changed in [f64::from_bits(a[k].to_bits() ^ 1), -a[k], f64::NAN] {
                    let mut b = a.clone();
                    b[k] = changed;
                    if b[k].to_bits() != a[k].to_bits() {
                        assert!(!same_bits(&a, &b), "length {len}, value {k} → {changed}");
                    }
                }
            }
        }
    }

    /// The feature-major batch of distances equals `squared_distance` row by row, bit for bit,
    /// for feature counts with and without a remainder of four and row counts with and without
    /// a remainder of eight.
    #[test]
    fn batched_distances_equal_row_distances_bit_for_bit() {
        for (d, rows, first) in [(1, 5, 0), (3, 17, 2), (4, 8, 0), (16, 41, 7), (19, 30, 1)] {
            let values: Vec<f64> = (0..rows * d)
                .map(|k| (k as f64 * 0.37).sin() * 3.0)
                .collect();
            let y = Signal::uniform(values, d).unwrap();
            let x: Vec<f64> = (0..d).map(|k| (k as f64 * 1.3).cos()).collect();
            let by_feature = by_feature(&y);
            let mut out = vec![f64::NAN; rows - first];
            squared_distances(&x, &by_feature, column_stride(rows), first, &mut out);
            for (r, o) in out.iter().enumerate() {
                let row = squared_distance(&x, y.row(first + r));
                assert_eq!(o.to_bits(), row.to_bits(), "d = {d}, row {}", first + r);
            }
        }
    }

    /// A grid much coarser than y computes the distances of the segments it enters instead of
    /// tabulating all of them, with the same node costs.
    #[test]
    fn coarse_grids_skip_the_table_with_the_same_costs() {
        let problem = wave_problem(10, 400, 1);
        let mut scratch = NodeScratch::new(&problem);
        let coarse: Vec<f64> = (0..20).map(|k| k as f64 / 19.0).collect();
        let span = grid_span(problem.y().times(), &coarse);
        let x_i = problem.x_at_knot(3);
        assert!(!tabulates(span, coarse.len()));
        let mut fast = vec![0.0; coarse.len()];
        add_node_costs(&problem, 3, &coarse, &mut fast, &mut scratch);
        for (v, f) in coarse.iter().zip(&fast) {
            let mut diff = vec![0.0; 1];
            let generic = node_cost(&problem, 3, &x_i, v, &problem.y_curve(), &0.0, &mut diff);
            assert!(
                (f - generic).abs() <= 1e-13 * (1.0 + generic.abs()),
                "{f} vs {generic}"
            );
        }
    }

    #[test]
    fn fast_squared_paths_match_generic_node_cost() {
        let xs: Vec<f64> = (0..24).map(|i| (i as f64 * 0.7).sin()).collect();
        let ys: Vec<f64> = (0..30)
            .map(|i| (i as f64 * 0.5).cos() + 0.1 * i as f64)
            .collect();
        let x = Signal::uniform(xs, 2).unwrap();
        let y = Signal::uniform(ys, 2).unwrap();
        for kind in [
            Interpolation::Linear,
            Interpolation::CubicSpline(SplineEnds::Natural),
            Interpolation::CubicSpline(SplineEnds::NotAKnot),
        ] {
            let problem = Problem::builder(x.clone(), y.clone())
                .lambda_cum(0.3)
                .interpolation(kind)
                .build()
                .unwrap();
            let values: Vec<f64> = (0..200).map(|j| j as f64 / 199.0).collect();
            let mut scratch = NodeScratch::new(&problem);
            let mut fast = vec![0.0; values.len()];
            for i in 0..problem.num_knots() {
                fast.fill(0.0);
                add_node_costs(&problem, i, &values, &mut fast, &mut scratch);
                let x_i = problem.x_at_knot(i);
                for (v, f) in values.iter().zip(&fast) {
                    let mut diff = vec![0.0; 2];
                    let generic =
                        node_cost(&problem, i, &x_i, v, &problem.y_curve(), &0.3, &mut diff);
                    assert!(
                        (f - generic).abs() <= 1e-13 * (1.0 + generic.abs()),
                        "{kind}: {f} vs {generic}"
                    );
                }
            }
        }
    }
}
