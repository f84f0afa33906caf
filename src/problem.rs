//! The GDTW problem (SPEC §1): signals, knots, the objective's terms and the linear
//! constraints, validated, with the feasible interval of every knot.

use crate::error::{check_finite, check_increasing, check_non_negative, Error, Result};
use crate::interpolation::{Curve, Interpolant, Interpolation};
use crate::penalty::{FeaturePenalty, WarpPenalty};
use crate::signal::{segment_of, Signal};

/// How the warp's endpoints are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Endpoints {
    /// `φ_1 = ty_start`, `φ_m = ty_end` (the default).
    #[default]
    Pinned,
    /// Free endpoints: x is matched to a subsequence of y.
    Subsequence,
}

/// A parameter given once for all knots (or intervals), or once for each.
#[derive(Debug, Clone, PartialEq)]
pub enum PerItem {
    /// The same value everywhere.
    All(f64),
    /// One value per knot (or per interval between knots).
    Each(Vec<f64>),
}

impl From<f64> for PerItem {
    fn from(v: f64) -> Self {
        Self::All(v)
    }
}

impl From<Vec<f64>> for PerItem {
    fn from(v: Vec<f64>) -> Self {
        Self::Each(v)
    }
}

impl PerItem {
    /// The value for each of `n` items; NaN is always rejected, infinities only when
    /// `allow_infinite` is false.
    fn expand(&self, what: &str, n: usize, allow_infinite: bool) -> Result<Vec<f64>> {
        let values = match self {
            Self::All(v) => vec![*v; n],
            Self::Each(v) if v.len() == n => v.clone(),
            Self::Each(v) => {
                return Err(Error::DimensionMismatch {
                    what: what.to_string(),
                    expected: n,
                    got: v.len(),
                })
            }
        };
        let bad = values
            .iter()
            .position(|v| v.is_nan() || (!allow_infinite && v.is_infinite()));
        match bad {
            Some(index) => Err(Error::NonFinite {
                what: what.to_string(),
                index,
                value: values[index],
            }),
            None => Ok(values),
        }
    }
}

/// Where knot `i` reads x: `x_i = (1 − β) X_row + β X_{row+1}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnotSource {
    pub row: usize,
    pub beta: f64,
}

/// Builder for [`Problem`]; every setting has the SPEC's default.
#[derive(Debug, Clone)]
pub struct ProblemBuilder {
    x: Signal,
    y: Signal,
    knots: Option<Vec<f64>>,
    lambda: f64,
    lambda_cum: f64,
    feature_penalty: FeaturePenalty,
    slope_penalty: WarpPenalty,
    cumulative_penalty: WarpPenalty,
    interpolation: Interpolation,
    slope_min: PerItem,
    slope_max: PerItem,
    lower: PerItem,
    upper: PerItem,
    band: Option<PerItem>,
    endpoints: Endpoints,
    expected_slope: Option<f64>,
}

impl ProblemBuilder {
    /// Replace the signal x.
    pub fn x(mut self, x: Signal) -> Self {
        self.x = x;
        self
    }
    /// Replace the signal y.
    pub fn y(mut self, y: Signal) -> Self {
        self.y = y;
        self
    }
    /// Knot times `t_1 < … < t_m` on x's axis, inside x's time range (default: x's sample times).
    pub fn knots(mut self, knots: Vec<f64>) -> Self {
        self.knots = Some(knots);
        self
    }
    /// Weight `λ ≥ 0` of the slope penalty (default 0.1).
    pub fn lambda(mut self, lambda: f64) -> Self {
        self.lambda = lambda;
        self
    }
    /// Weight `λ_cum ≥ 0` of the cumulative penalty (default 0: off).
    pub fn lambda_cum(mut self, lambda_cum: f64) -> Self {
        self.lambda_cum = lambda_cum;
        self
    }
    /// Feature penalty `L` (default squared Euclidean).
    pub fn feature_penalty(mut self, penalty: FeaturePenalty) -> Self {
        self.feature_penalty = penalty;
        self
    }
    /// Slope penalty `R` (default `u²`).
    pub fn slope_penalty(mut self, penalty: WarpPenalty) -> Self {
        self.slope_penalty = penalty;
        self
    }
    /// Cumulative penalty `R_cum` (default `u²`).
    pub fn cumulative_penalty(mut self, penalty: WarpPenalty) -> Self {
        self.cumulative_penalty = penalty;
        self
    }
    /// Lower slope limit `s_min`, constant or per interval (`m − 1` values; default 0).
    pub fn slope_min(mut self, s_min: impl Into<PerItem>) -> Self {
        self.slope_min = s_min.into();
        self
    }
    /// Upper slope limit `s_max`, constant or per interval (default `+∞`).
    pub fn slope_max(mut self, s_max: impl Into<PerItem>) -> Self {
        self.slope_max = s_max.into();
        self
    }
    /// Lower bound `b_min` on `φ`, constant or per knot (default `−∞`; y's range always applies).
    pub fn lower_bounds(mut self, b_min: impl Into<PerItem>) -> Self {
        self.lower = b_min.into();
        self
    }
    /// Upper bound `b_max` on `φ`, constant or per knot (default `+∞`).
    pub fn upper_bounds(mut self, b_max: impl Into<PerItem>) -> Self {
        self.upper = b_max.into();
        self
    }
    /// Sakoe–Chiba band: `|φ_i − φ̄(t_i)| ≤ w_i`, width constant or per knot, in y's time units.
    pub fn band(mut self, width: impl Into<PerItem>) -> Self {
        self.band = Some(width.into());
        self
    }
    /// How y is read between its samples (default: piecewise-linear).
    pub fn interpolation(mut self, kind: Interpolation) -> Self {
        self.interpolation = kind;
        self
    }
    /// Pinned endpoints (default) or subsequence mode.
    pub fn endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = endpoints;
        self
    }
    /// Override the expected slope `s` of the slope penalty and of `φ̄`.
    pub fn expected_slope(mut self, s: f64) -> Self {
        self.expected_slope = Some(s);
        self
    }

    /// Validates everything and propagates the bounds through the slope limits.
    pub fn build(self) -> Result<Problem> {
        let x = self.x;
        let y = self.y;
        if x.dim() != y.dim() {
            return Err(Error::DimensionMismatch {
                what: "feature dimension of y (must equal x's)".into(),
                expected: x.dim(),
                got: y.dim(),
            });
        }
        let knots = self.knots.unwrap_or_else(|| x.times().to_vec());
        if knots.len() < 2 {
            return Err(Error::TooShort {
                what: "knots".into(),
                len: knots.len(),
                min: 2,
            });
        }
        check_finite("knots", &knots)?;
        check_increasing("knots", &knots)?;
        if let Some(i) = knots.iter().position(|&t| t < x.start() || t > x.end()) {
            return Err(Error::InvalidParameter {
                what: format!("knot {i}"),
                reason: format!(
                    "t = {} lies outside x's time range [{}, {}]",
                    knots[i],
                    x.start(),
                    x.end()
                ),
            });
        }
        check_non_negative("lambda", self.lambda)?;
        check_non_negative("lambda_cum", self.lambda_cum)?;
        self.feature_penalty.validate()?;
        self.slope_penalty.validate("slope penalty")?;
        self.cumulative_penalty.validate("cumulative penalty")?;

        let m = knots.len();
        let dt: Vec<f64> = knots.windows(2).map(|w| w[1] - w[0]).collect();
        let weights: Vec<f64> = (0..m)
            .map(|i| {
                let left = if i > 0 { dt[i - 1] } else { 0.0 };
                let right = if i + 1 < m { dt[i] } else { 0.0 };
                0.5 * (left + right)
            })
            .collect();
        let knot_sources = knots
            .iter()
            .map(|&t| {
                let row = segment_of(x.times(), t);
                let (t0, t1) = (x.times()[row], x.times()[row + 1]);
                KnotSource {
                    row,
                    beta: (t - t0) / (t1 - t0),
                }
            })
            .collect();

        let expected_slope = match (self.expected_slope, self.endpoints) {
            (Some(s), _) => {
                check_finite("expected slope", &[s])?;
                s
            }
            (None, Endpoints::Pinned) => (y.end() - y.start()) / (knots[m - 1] - knots[0]),
            (None, Endpoints::Subsequence) => 1.0,
        };

        let slope_min = self
            .slope_min
            .expand("slope_min (one per interval)", m - 1, true)?;
        let slope_max = self
            .slope_max
            .expand("slope_max (one per interval)", m - 1, true)?;
        for (i, (&lo, &hi)) in slope_min.iter().zip(&slope_max).enumerate() {
            if lo > hi || lo == f64::INFINITY || hi == f64::NEG_INFINITY {
                return Err(Error::InconsistentBounds {
                    what: "slope limits".into(),
                    index: i,
                    lower: lo,
                    upper: hi,
                });
            }
        }
        let user_lower = self.lower.expand("lower bounds (one per knot)", m, true)?;
        let user_upper = self.upper.expand("upper bounds (one per knot)", m, true)?;
        let (mut lower, mut upper) = (user_lower.clone(), user_upper.clone());
        for i in 0..m {
            if lower[i] > upper[i] {
                return Err(Error::InconsistentBounds {
                    what: "bounds".into(),
                    index: i,
                    lower: lower[i],
                    upper: upper[i],
                });
            }
        }
        check_cost_scale(&x, &y, &dt, expected_slope, self.lambda, self.lambda_cum)?;
        let reference: Vec<f64> = knots
            .iter()
            .map(|&t| y.start() + expected_slope * (t - knots[0]))
            .collect();
        let band = match &self.band {
            Some(band) => Some(band.expand("band width (one per knot)", m, true)?),
            None => None,
        };
        if let Some(widths) = &band {
            for (i, &w) in widths.iter().enumerate() {
                check_non_negative(&format!("band width[{i}]"), w)?;
                lower[i] = lower[i].max(reference[i] - w);
                upper[i] = upper[i].min(reference[i] + w);
            }
        }
        for i in 0..m {
            lower[i] = lower[i].max(y.start());
            upper[i] = upper[i].min(y.end());
        }
        if self.endpoints == Endpoints::Pinned {
            lower[0] = lower[0].max(y.start());
            upper[0] = upper[0].min(y.start());
            lower[m - 1] = lower[m - 1].max(y.end());
            upper[m - 1] = upper[m - 1].min(y.end());
        }
        let tolerance = 1e-11 * y.start().abs().max(y.end().abs()).max(y.end() - y.start());
        let feasible = propagate(
            &knots, &dt, &lower, &upper, &slope_min, &slope_max, tolerance,
        )?;

        let interpolant = Interpolant::new(self.interpolation, y.times(), y.values(), y.dim());
        Ok(Problem {
            x,
            y,
            knots,
            dt,
            weights,
            knot_sources,
            lambda: self.lambda,
            lambda_cum: self.lambda_cum,
            feature_penalty: self.feature_penalty,
            slope_penalty: self.slope_penalty,
            cumulative_penalty: self.cumulative_penalty,
            interpolant,
            slope_min,
            slope_max,
            lower,
            upper,
            user_lower,
            user_upper,
            band,
            expected_slope_given: self.expected_slope,
            reference,
            expected_slope,
            endpoints: self.endpoints,
            feasible,
            tolerance,
        })
    }
}

/// Exact feasible intervals `[l_i, u_i]` of a chain of difference constraints
/// `s_min_i Δt_i ≤ φ_{i+1} − φ_i ≤ s_max_i Δt_i` with box bounds: one forward and one backward
/// pass. Gaps below `tolerance` (rounding) collapse to a point; larger ones are an error that
/// names the first knot found empty.
fn propagate(
    knots: &[f64],
    dt: &[f64],
    lower: &[f64],
    upper: &[f64],
    slope_min: &[f64],
    slope_max: &[f64],
    tolerance: f64,
) -> Result<Vec<(f64, f64)>> {
    let m = knots.len();
    let mut l = lower.to_vec();
    let mut u = upper.to_vec();
    let check = |i: usize, l: &mut [f64], u: &mut [f64]| -> Result<()> {
        if l[i] > u[i] + tolerance {
            return Err(Error::Infeasible {
                knot: i,
                time: knots[i],
                lower: l[i],
                upper: u[i],
            });
        }
        if l[i] > u[i] {
            let mid = 0.5 * (l[i] + u[i]);
            l[i] = mid;
            u[i] = mid;
        }
        Ok(())
    };
    check(0, &mut l, &mut u)?;
    for i in 0..m - 1 {
        l[i + 1] = l[i + 1].max(l[i] + slope_min[i] * dt[i]);
        u[i + 1] = u[i + 1].min(u[i] + slope_max[i] * dt[i]);
        check(i + 1, &mut l, &mut u)?;
    }
    for i in (0..m - 1).rev() {
        l[i] = l[i].max(l[i + 1] - slope_max[i] * dt[i]);
        u[i] = u[i].min(u[i + 1] - slope_min[i] * dt[i]);
        check(i, &mut l, &mut u)?;
    }
    Ok(l.into_iter().zip(u).collect())
}

/// A validated GDTW problem. Build one with [`Problem::builder`].
#[derive(Debug, Clone)]
pub struct Problem {
    x: Signal,
    y: Signal,
    knots: Vec<f64>,
    dt: Vec<f64>,
    weights: Vec<f64>,
    knot_sources: Vec<KnotSource>,
    lambda: f64,
    lambda_cum: f64,
    feature_penalty: FeaturePenalty,
    slope_penalty: WarpPenalty,
    cumulative_penalty: WarpPenalty,
    interpolant: Interpolant,
    slope_min: Vec<f64>,
    slope_max: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    user_lower: Vec<f64>,
    user_upper: Vec<f64>,
    band: Option<Vec<f64>>,
    expected_slope_given: Option<f64>,
    reference: Vec<f64>,
    expected_slope: f64,
    endpoints: Endpoints,
    feasible: Vec<(f64, f64)>,
    tolerance: f64,
}

impl Problem {
    /// Start building the problem of warping x onto y, with every default of SPEC §1.
    pub fn builder(x: Signal, y: Signal) -> ProblemBuilder {
        ProblemBuilder {
            x,
            y,
            knots: None,
            lambda: 0.1,
            lambda_cum: 0.0,
            feature_penalty: FeaturePenalty::default(),
            slope_penalty: WarpPenalty::default(),
            cumulative_penalty: WarpPenalty::default(),
            interpolation: Interpolation::default(),
            slope_min: PerItem::All(0.0),
            slope_max: PerItem::All(f64::INFINITY),
            lower: PerItem::All(f64::NEG_INFINITY),
            upper: PerItem::All(f64::INFINITY),
            band: None,
            endpoints: Endpoints::Pinned,
            expected_slope: None,
        }
    }

    /// A builder with every setting of this problem, to change some and build again.
    pub fn to_builder(&self) -> ProblemBuilder {
        let mut builder = Problem::builder(self.x.clone(), self.y.clone())
            .knots(self.knots.clone())
            .lambda(self.lambda)
            .lambda_cum(self.lambda_cum)
            .feature_penalty(self.feature_penalty)
            .slope_penalty(self.slope_penalty)
            .cumulative_penalty(self.cumulative_penalty)
            .interpolation(self.interpolation())
            .slope_min(self.slope_min.clone())
            .slope_max(self.slope_max.clone())
            .lower_bounds(self.user_lower.clone())
            .upper_bounds(self.user_upper.clone())
            .endpoints(self.endpoints);
        if let Some(widths) = &self.band {
            builder = builder.band(widths.clone());
        }
        if let Some(s) = self.expected_slope_given {
            builder = builder.expected_slope(s);
        }
        builder
    }

    /// The lower bounds given by the user (before the band, y's range and pinning).
    pub fn user_lower_bounds(&self) -> &[f64] {
        &self.user_lower
    }
    /// The upper bounds given by the user.
    pub fn user_upper_bounds(&self) -> &[f64] {
        &self.user_upper
    }
    /// The band width of every knot, if a band was given.
    pub fn band_widths(&self) -> Option<&[f64]> {
        self.band.as_deref()
    }

    /// `x_i = (1 − β) X_row + β X_{row+1}`: the value of x at knot `i` (knots that are not
    /// sample times of x read the interpolant).
    pub fn x_at_knot(&self, i: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.x.dim()];
        crate::objective::x_at_knot(self, i, self.x.values(), &mut out);
        out
    }

    /// How y is read between its samples.
    pub fn interpolation(&self) -> Interpolation {
        self.interpolant.kind()
    }

    pub(crate) fn interpolant(&self) -> &Interpolant {
        &self.interpolant
    }

    /// `y(τ)` under the problem's interpolation (see [`Interpolation`]).
    pub fn y_at(&self, tau: f64) -> Vec<f64> {
        let mut out = vec![0.0; self.y.dim()];
        self.y_curve().evaluate(&tau, &mut out);
        out
    }

    /// y as a function of time (f64).
    pub(crate) fn y_curve(&self) -> Curve<'_, f64> {
        Curve {
            times: self.y.times(),
            values: self.y.values(),
            moments: self.interpolant.moments(),
        }
    }

    /// The signal x (the warp is defined on its time axis).
    pub fn x(&self) -> &Signal {
        &self.x
    }
    /// The warped signal y.
    pub fn y(&self) -> &Signal {
        &self.y
    }
    /// Number of knots `m`.
    pub fn num_knots(&self) -> usize {
        self.knots.len()
    }
    /// Knot times `t_i`.
    pub fn knots(&self) -> &[f64] {
        &self.knots
    }
    /// Interval lengths `Δt_i = t_{i+1} − t_i`.
    pub fn dt(&self) -> &[f64] {
        &self.dt
    }
    /// Trapezoid weights `w_i = (Δt_{i−1} + Δt_i)/2`.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
    /// Where each knot reads x.
    pub fn knot_sources(&self) -> &[KnotSource] {
        &self.knot_sources
    }
    /// `λ`.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
    /// `λ_cum`.
    pub fn lambda_cum(&self) -> f64 {
        self.lambda_cum
    }
    /// `L`.
    pub fn feature_penalty(&self) -> FeaturePenalty {
        self.feature_penalty
    }
    /// `R`.
    pub fn slope_penalty(&self) -> WarpPenalty {
        self.slope_penalty
    }
    /// `R_cum`.
    pub fn cumulative_penalty(&self) -> WarpPenalty {
        self.cumulative_penalty
    }
    /// `s_min_i`, one per interval.
    pub fn slope_min(&self) -> &[f64] {
        &self.slope_min
    }
    /// `s_max_i`, one per interval.
    pub fn slope_max(&self) -> &[f64] {
        &self.slope_max
    }
    /// `b_min_i`: the given bounds intersected with the band, y's range and pinned ends.
    pub fn lower_bounds(&self) -> &[f64] {
        &self.lower
    }
    /// `b_max_i`, likewise.
    pub fn upper_bounds(&self) -> &[f64] {
        &self.upper
    }
    /// The expected slope `s`.
    pub fn expected_slope(&self) -> f64 {
        self.expected_slope
    }
    /// `φ̄(t_i) = ty_start + s (t_i − t_1)`: the straight warp with the expected slope.
    pub fn reference_warp(&self) -> &[f64] {
        &self.reference
    }
    /// Pinned or subsequence.
    pub fn endpoints(&self) -> Endpoints {
        self.endpoints
    }
    /// The exact feasible interval `[l_i, u_i]` of every knot.
    pub fn feasible_intervals(&self) -> &[(f64, f64)] {
        &self.feasible
    }
    /// Absolute tolerance to which constraints are enforced (`1e-11` of y's time scale).
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }
    /// The range `[s_min_i Δt_i − tol, s_max_i Δt_i + tol]` that `φ_{i+1} − φ_i` must lie in.
    pub fn step_range(&self, i: usize) -> (f64, f64) {
        (
            self.slope_min[i] * self.dt[i] - self.tolerance,
            self.slope_max[i] * self.dt[i] + self.tolerance,
        )
    }
    /// Whether `φ_{i+1} − φ_i = delta` satisfies interval `i`'s slope limits (within tolerance).
    pub fn slope_feasible(&self, i: usize, delta: f64) -> bool {
        let (lo, hi) = self.step_range(i);
        lo <= delta && delta <= hi
    }
    /// Largest violation of any constraint by `φ` (0 when feasible).
    pub fn constraint_violation(&self, phi: &[f64]) -> f64 {
        let bounds = phi
            .iter()
            .zip(self.lower.iter().zip(&self.upper))
            .map(|(&p, (&lo, &hi))| (lo - p).max(p - hi).max(0.0));
        let slopes = (0..self.dt.len()).map(|i| {
            let delta = phi[i + 1] - phi[i];
            (self.slope_min[i] * self.dt[i] - delta)
                .max(delta - self.slope_max[i] * self.dt[i])
                .max(0.0)
        });
        bounds.chain(slopes).fold(0.0, f64::max)
    }
}

/// Refuses weights and signals whose costs could overflow `f64`, which would otherwise surface
/// as a misleading "infeasible" (every DP path at `+∞`) or as NaN. The bounds are the largest
/// terms `f` can have on the feasible set: a slope term `λ/Δt_i (δ − sΔt_i)²` with
/// `|δ| ≤` y's time span, a cumulative term `λ_cum w_i (φ_i − φ̄_i)²`, and a feature term
/// `w_i ‖x_i − y(φ_i)‖² ≤ w_i d (max|X| + max|Y|)²`, each times the number of knots.
fn check_cost_scale(
    x: &Signal,
    y: &Signal,
    dt: &[f64],
    expected_slope: f64,
    lambda: f64,
    lambda_cum: f64,
) -> Result<()> {
    let span = y.end() - y.start();
    let (dt_min, dt_max) = dt.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &d| {
        (lo.min(d), hi.max(d))
    });
    let terms = (dt.len() + 1) as f64;
    let reach = span + expected_slope.abs() * dt_max * terms;
    let largest = |a: &[f64]| a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let feature = x.dim() as f64 * (largest(x.values()) + largest(y.values())).powi(2);
    let checks = [
        (
            "lambda",
            lambda / dt_min * (span + expected_slope.abs() * dt_max).powi(2),
        ),
        ("lambda_cum", lambda_cum * dt_max * reach * reach),
        ("signal values", dt_max * feature),
    ];
    for (what, worst) in checks {
        // Headroom for sums over the knots and the DP's additions.
        if !(worst * terms * 16.0).is_finite() {
            return Err(Error::InvalidParameter {
                what: what.into(),
                reason: format!(
                    "the costs could overflow f64 (a single term can reach {worst:e}); \
                     rescale the signals, the time axes or the weights"
                ),
            });
        }
    }
    Ok(())
}
