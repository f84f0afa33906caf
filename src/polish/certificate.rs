//! The KKT certificate of a polished solution.

use super::model::PieceModel;
use super::multipliers::{multipliers, releases, Constraint, Multiplier};
use super::working_set::{Hold, SlopeLimit, WorkingSet};
use crate::problem::Problem;
use serde::Serialize;

/// Evidence that `φ` is a KKT point of the NLP, each residual relative to the scale it is
/// made of (so that `1e-9` means the same on every problem).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KktCertificate {
    /// `max_r |Σ_{i∈r} g_i| / Σ_{i∈r} Σ|summands of g_i|` over the runs the working set leaves
    /// free (held runs satisfy stationarity through their multipliers exactly).
    pub stationarity: f64,
    /// Largest constraint violation divided by the length of y's time range.
    pub primal_infeasibility: f64,
    /// `max |slack · multiplier|` over the active constraints, relative like the others.
    pub complementarity: f64,
    /// Smallest release rate of an active inequality (a Lagrange multiplier, or a one-sided
    /// derivative at a kink of y) divided by its scale: `≥ 0` (to rounding) at a KKT point.
    /// `None` when no inequality is active.
    pub min_multiplier: Option<f64>,
    /// The active set.
    pub active: ActiveSummary,
    /// Iterations of the active-set method.
    pub iterations: u64,
    /// Whether the method stopped at a KKT point (not at its iteration limit).
    pub converged: bool,
}

/// Which constraints are active at the solution.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ActiveSummary {
    /// Knots at their lower bound.
    pub lower: Vec<usize>,
    /// Knots at their upper bound.
    pub upper: Vec<usize>,
    /// Knots fixed by an equality (pinned endpoints).
    pub fixed: Vec<usize>,
    /// Intervals at their smallest slope.
    pub slope_min: Vec<usize>,
    /// Intervals at their largest slope.
    pub slope_max: Vec<usize>,
    /// `(knot, j)`: knots held at the sample time `ty_j` of y (a kink of the interpolant).
    pub kinks: Vec<(usize, usize)>,
}

impl KktCertificate {
    /// Whether every residual is within `tolerance` and the method converged.
    pub fn holds(&self, tolerance: f64) -> bool {
        self.converged
            && self.stationarity <= tolerance
            && self.primal_infeasibility <= tolerance
            && self.complementarity <= tolerance
            && self.min_multiplier.is_none_or(|v| v >= -tolerance)
    }
}

/// The certificate and the multipliers at `φ` for the working set `set`.
pub fn certify(
    problem: &Problem,
    set: &WorkingSet,
    phi: &[f64],
    iterations: u64,
    converged: bool,
) -> crate::Result<(KktCertificate, Vec<Multiplier>)> {
    let model = PieceModel::evaluate(problem, phi, &set.segments);
    let runs = set.runs();
    let stationarity = runs
        .iter()
        .filter(|r| r.hold.is_none())
        .map(|r| {
            let (residual, scale) = model.run_residual(r.knots());
            relative(residual, scale)
        })
        .fold(0.0, f64::max);
    let y = problem.y();
    let span = y.end() - y.start();
    let all_releases = releases(set, &model, phi, problem);
    let min_multiplier = all_releases
        .iter()
        .map(|r| relative(r.rate, r.scale).copysign(r.rate))
        .reduce(f64::min);
    let multipliers = multipliers(set, &all_releases);
    let complementarity = all_releases
        .iter()
        .filter_map(|r| Some((r.constraint?, relative(r.rate, r.scale))))
        .map(|(c, rate)| slack(problem, phi, c) / span * rate)
        .fold(0.0, f64::max);
    let mut active = ActiveSummary::default();
    for (k, hold) in set.holds.iter().enumerate() {
        match hold {
            Some(Hold::Lower) => active.lower.push(k),
            Some(Hold::Upper) => active.upper.push(k),
            Some(Hold::Fixed) => active.fixed.push(k),
            Some(Hold::Kink(j)) => active.kinks.push((k, *j)),
            None => {}
        }
    }
    for (i, tie) in set.ties.iter().enumerate() {
        match tie {
            Some(SlopeLimit::Min) => active.slope_min.push(i),
            Some(SlopeLimit::Max) => active.slope_max.push(i),
            None => {}
        }
    }
    let certificate = KktCertificate {
        stationarity,
        primal_infeasibility: problem.constraint_violation(phi) / span,
        complementarity,
        min_multiplier,
        active,
        iterations,
        converged,
    };
    Ok((certificate, multipliers))
}

/// `|value| / scale`, with `0/0 = 0`.
fn relative(value: f64, scale: f64) -> f64 {
    if value == 0.0 {
        0.0
    } else {
        value.abs() / scale
    }
}

/// How far `φ` is from making constraint `c` hold with equality.
fn slack(problem: &Problem, phi: &[f64], c: Constraint) -> f64 {
    let step = |i: usize, slope: &[f64]| (phi[i + 1] - phi[i] - slope[i] * problem.dt()[i]).abs();
    match c {
        Constraint::Lower { knot } | Constraint::Fixed { knot } => {
            (phi[knot] - problem.lower_bounds()[knot]).abs()
        }
        Constraint::Upper { knot } => (phi[knot] - problem.upper_bounds()[knot]).abs(),
        Constraint::Kink { knot, sample } => (phi[knot] - problem.y().times()[sample]).abs(),
        Constraint::SlopeMin { interval } => step(interval, problem.slope_min()),
        Constraint::SlopeMax { interval } => step(interval, problem.slope_max()),
    }
}
