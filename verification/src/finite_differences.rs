//! Central finite differences of the whole solve (DP, then polish), the independent check of
//! the library's vector–Jacobian products.
//!
//! For an input `z`, a direction `δ` and a step `h`, the problem is rebuilt at `z ± hδ` and
//! solved again; the central difference `D(h) = vᵀ(φ(z + hδ) − φ(z − hδ)) / 2h`, extrapolated
//! as `(4 D(h/2) − D(h)) / 3` (Richardson: the `O(h²)` error cancels, which matters where the
//! solution map curves strongly, e.g. near the kink of a Huber penalty), must match
//! `Σ (vᵀDφ)_z δ`. The derivative exists only while the active set stays the same, so a
//! perturbed solve whose active set (held knots, tied intervals, segments of the free knots)
//! or whose Huber branches (which residuals lie inside the quadratic zone) differ from the
//! base one is reported as unstable and skipped, never compared.

use crate::jacobian::Input;
use decdtw::polish::WorkingSet;
use decdtw::{solve, FeaturePenalty, Problem, Signal, SolveOptions, Vjp, WarpPenalty};

/// The outcome of one directional check.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Compared {
        finite_difference: f64,
        analytic: f64,
        /// `|fd − analytic| / max(|analytic|, 1e-4 · natural)`, where `natural` is the size
        /// `vᵀDφ δ` has when it is not zero by structure (`Σ|v|` times the span of y's times,
        /// per unit of the relative change of `z`, times `Σ|δ|`): derivatives that vanish by
        /// structure are judged on that absolute scale.
        relative_error: f64,
    },
    /// The step changes the active set (or the perturbed problem is infeasible): the
    /// derivative does not describe the change, so nothing is compared.
    Unstable(String),
    /// The input cannot be perturbed here (no band, `λ_cum = 0`, infinite limits, …).
    NotApplicable(String),
}

/// `problem` with input `z` moved to `z + t δ`.
pub fn perturbed(
    problem: &Problem,
    input: Input,
    delta: &[f64],
    t: f64,
) -> decdtw::Result<Problem> {
    let moved =
        |values: &[f64]| -> Vec<f64> { values.iter().zip(delta).map(|(v, d)| v + t * d).collect() };
    let builder = problem.to_builder();
    match input {
        Input::X => {
            let x = problem.x();
            builder.x(Signal::new(x.times().to_vec(), moved(x.values()), x.dim())?)
        }
        Input::Y => {
            let y = problem.y();
            builder.y(Signal::new(y.times().to_vec(), moved(y.values()), y.dim())?)
        }
        Input::Lambda => builder.lambda(problem.lambda() + t * delta[0]),
        Input::LambdaCum => builder.lambda_cum(problem.lambda_cum() + t * delta[0]),
        Input::SlopeMin => builder.slope_min(moved(problem.slope_min())),
        Input::SlopeMax => builder.slope_max(moved(problem.slope_max())),
        Input::LowerBounds => builder.lower_bounds(moved(problem.user_lower_bounds())),
        Input::UpperBounds => builder.upper_bounds(moved(problem.user_upper_bounds())),
        Input::Band => builder.band(moved(problem.band_widths().unwrap_or(&[]))),
    }
    .build()
}

/// The step for input `z`: `1e-5` of its largest finite magnitude (or of 1): large enough
/// that the re-solves' rounding (about `1e-13` of y's time span) is small against it, small
/// enough that the `O(h²)` truncation error stays below `1e-7`.
pub fn step_for(problem: &Problem, input: Input) -> f64 {
    let values: Vec<f64> = match input {
        Input::X => problem.x().values().to_vec(),
        Input::Y => problem.y().values().to_vec(),
        Input::Lambda => vec![problem.lambda()],
        Input::LambdaCum => vec![problem.lambda_cum()],
        Input::SlopeMin => problem.slope_min().to_vec(),
        Input::SlopeMax => problem.slope_max().to_vec(),
        Input::LowerBounds => problem.user_lower_bounds().to_vec(),
        Input::UpperBounds => problem.user_upper_bounds().to_vec(),
        Input::Band => problem.band_widths().unwrap_or(&[]).to_vec(),
    };
    let scale = values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |a, v| a.max(v.abs()));
    1e-5 * scale
        .max(if input == Input::SlopeMin || input == Input::SlopeMax {
            problem.expected_slope().abs()
        } else {
            1.0
        })
        .max(1e-12)
}

/// Checks `vjp` for `input` along `delta` by central differences of [`solve`] with `options`
/// (which must polish). `base` is the polished solution at `problem`.
pub fn check_direction(
    problem: &Problem,
    options: &SolveOptions,
    base: &decdtw::Polished,
    v: &[f64],
    vjp: &Vjp,
    input: Input,
    delta: &[f64],
) -> Outcome {
    if input == Input::Band && problem.band_widths().is_none() {
        return Outcome::NotApplicable("no band".into());
    }
    if input == Input::LambdaCum && problem.lambda_cum() == 0.0 {
        return Outcome::NotApplicable("λ_cum = 0 lies on the edge of its domain".into());
    }
    if delta.iter().all(|&d| d == 0.0) {
        return Outcome::NotApplicable(
            "the direction is zero (e.g. infinite limits cannot move)".into(),
        );
    }
    // Steps along delta scaled so that its largest entry moves by step_for: a short delta
    // must not shrink the perturbation into the re-solves' rounding.
    let unit = step_for(problem, input);
    let h = unit / delta.iter().fold(0.0f64, |a, d| a.max(d.abs()));
    let mut quotients = Vec::with_capacity(2);
    for step in [h, h / 2.0] {
        let mut warps = Vec::with_capacity(2);
        for t in [step, -step] {
            let moved = match perturbed(problem, input, delta, t) {
                Ok(p) => p,
                Err(e) => return Outcome::Unstable(format!("perturbed problem invalid: {e}")),
            };
            let solution = match solve(&moved, options) {
                Ok(s) => s,
                Err(e) => return Outcome::Unstable(format!("perturbed solve failed: {e}")),
            };
            let Some(polished) = solution.polish else {
                return Outcome::NotApplicable("the options do not polish".into());
            };
            if !same_active_set(&polished.working_set, &base.working_set) {
                return Outcome::Unstable("the active set changes under the step".into());
            }
            if huber_branches(&moved, &polished.phi) != huber_branches(problem, &base.phi) {
                return Outcome::Unstable("a Huber penalty changes branch under the step".into());
            }
            warps.push(polished.phi);
        }
        quotients.push(
            v.iter()
                .zip(warps[0].iter().zip(&warps[1]))
                .map(|(vi, (p, m))| vi * (p - m) / (2.0 * step))
                .sum::<f64>(),
        );
    }
    let finite_difference = (4.0 * quotients[1] - quotients[0]) / 3.0;
    let analytic: f64 = input.of(vjp).iter().zip(delta).map(|(g, d)| g * d).sum();
    let span = problem.y().end() - problem.y().start();
    // unit is 1e-5 of the input's scale, so span / (unit / 1e-5) is "φ per unit relative change".
    let natural = v.iter().map(|x| x.abs()).sum::<f64>()
        * (span * 1e-5 / unit)
        * delta.iter().map(|x| x.abs()).sum::<f64>();
    Outcome::Compared {
        finite_difference,
        analytic,
        relative_error: (finite_difference - analytic).abs() / analytic.abs().max(1e-4 * natural),
    }
}

/// Whether two working sets hold the same constraints: the same holds and ties, and the same
/// segments of y for the knots that are free (a knot held at a sample time may be labelled
/// with the segment on either side).
pub fn same_active_set(a: &WorkingSet, b: &WorkingSet) -> bool {
    a.holds == b.holds
        && a.ties == b.ties
        && a.runs()
            .iter()
            .filter(|run| run.hold.is_none())
            .all(|run| run.knots().all(|k| a.segments[k] == b.segments[k]))
}

/// For every Huber term of `f` (feature, slope, cumulative), whether its argument lies in the
/// quadratic zone at `φ`: `f` is smooth only while none of these changes.
pub fn huber_branches(problem: &Problem, phi: &[f64]) -> Vec<bool> {
    let mut out = Vec::new();
    if let FeaturePenalty::Huber { delta } = problem.feature_penalty() {
        for (i, &tau) in phi.iter().enumerate() {
            let (x, y) = (problem.x_at_knot(i), problem.y_at(tau));
            let norm = x
                .iter()
                .zip(&y)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt();
            out.push(norm <= delta);
        }
    }
    if let WarpPenalty::Huber { delta } = problem.slope_penalty() {
        for (i, w) in phi.windows(2).enumerate() {
            let u = (w[1] - w[0]) / problem.dt()[i] - problem.expected_slope();
            out.push(u.abs() <= delta);
        }
    }
    if let (WarpPenalty::Huber { delta }, true) =
        (problem.cumulative_penalty(), problem.lambda_cum() > 0.0)
    {
        for (tau, reference) in phi.iter().zip(problem.reference_warp()) {
            out.push((tau - reference).abs() <= delta);
        }
    }
    out
}
