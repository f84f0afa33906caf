//! The active-set method as an [`argmin`] solver.
//!
//! One iteration either
//! - takes a Newton step on the runs the working set leaves free: the Hessian reduced onto
//!   them (a run's row is the sum of its knots' rows) is tridiagonal, so the step costs
//!   `O(m)`; the step length is the minimiser of the model along it, cut short by the first
//!   constraint it would cross (a bound, a slope limit, or the end of a knot's segment of y),
//!   which then joins the working set; or
//! - at a minimiser on the working set, releases the constraint with the most negative
//!   release rate (see [`super::multipliers`]), moving knots that sit at a kink of y onto the
//!   segment in the direction of motion; or
//! - finds no negative rate: a KKT point, and the solver stops.
//!
//! With squared penalties and piecewise-linear y every piece is a convex quadratic, the step
//! lands exactly on the minimiser of the model, and the method ends in finitely many
//! iterations at an exact KKT point. There a step also carries the model and `f` over to the
//! new point ([`PieceModel::shift`]) rather than evaluating them again; releases, stalls and
//! the decision that a KKT point is reached are always made on a fresh evaluation. Other
//! (convex) penalties take the same steps with a line search for the zero of the directional
//! derivative. A cubic-spline y has no kinks (segment
//! ends are no constraints) but makes `f` nonconvex: negative pivots of the reduced Hessian
//! are replaced by their absolute values (so the step descends) and the step length
//! backtracks until `f` falls enough (Armijo).

use super::model::PieceModel;
use super::multipliers::{releases, Release};
use super::reduced::{pivot_floor, ReducedHessian};
use super::working_set::{tie_step, Hold, SlopeLimit, WorkingSet};
use crate::objective::{check_phi, objective, Tridiagonal};
use crate::penalty::{dot, FeaturePenalty, WarpPenalty};
use crate::problem::Problem;
use crate::{Error, Result};
use argmin::core::{
    CostFunction, IterState, Problem as ArgminProblem, Solver, TerminationReason,
    TerminationStatus, KV,
};
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};

/// The NLP of SPEC §3 as an argmin problem: its cost is `f`.
#[derive(Debug, Clone, Copy)]
pub struct Nlp<'a> {
    pub problem: &'a Problem,
}

impl CostFunction for Nlp<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, phi: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        Ok(objective(self.problem, phi)?)
    }
}

/// argmin's state for the polish: `φ` and `f(φ)`.
pub type PolishState = IterState<Vec<f64>, (), (), (), (), f64>;

/// The active-set solver (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveSetSolver {
    /// The current working set.
    pub working_set: WorkingSet,
    /// Relative tolerance of the stationarity and release tests.
    pub tolerance: f64,
    /// Set once a KKT point is reached.
    pub converged: bool,
    /// Set when a step could not lower `f` any more (rounding): the point is then treated
    /// as a minimiser on the working set.
    stalled: bool,
    quadratic: bool,
    fingerprint: u64,
    /// Whether the fingerprint was checked against the problem since this value was made
    /// (not saved: a solver restored from a checkpoint checks again).
    #[serde(skip)]
    checked: bool,
    /// The model at the current point, carried over from a step on quadratic pieces (see
    /// [`PieceModel::shift`]); `None` makes the next iteration evaluate it afresh (not saved).
    #[serde(skip)]
    carried: Option<PieceModel>,
}

/// What one iteration did (also reported to observers).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Action {
    /// A step of `length`, `blocked` by a constraint, to a point where `f = cost`.
    Step {
        length: f64,
        blocked: bool,
        cost: f64,
    },
    Release,
    Converged,
}

impl ActiveSetSolver {
    /// A solver started at the feasible point `phi` (see [`Problem::constraint_violation`]).
    pub fn new(problem: &Problem, phi: &[f64], tolerance: f64) -> Result<Self> {
        if !(tolerance > 0.0 && tolerance < 1.0) {
            return Err(Error::InvalidParameter {
                what: "polish tolerance".into(),
                reason: format!("must lie in (0, 1), got {tolerance}"),
            });
        }
        check_phi(problem, phi)?;
        let violation = problem.constraint_violation(phi);
        if violation > 10.0 * problem.tolerance() {
            return Err(Error::InvalidParameter {
                what: "polish start".into(),
                reason: format!("φ violates the constraints by {violation:e}"),
            });
        }
        let quadratic = problem.feature_penalty() == FeaturePenalty::SquaredEuclidean
            && problem.slope_penalty() == WarpPenalty::Squared
            && (problem.lambda_cum() == 0.0
                || problem.cumulative_penalty() == WarpPenalty::Squared)
            && problem.interpolation().has_kinks();
        Ok(Self {
            working_set: WorkingSet::at_start(problem, phi),
            tolerance,
            converged: false,
            stalled: false,
            quadratic,
            fingerprint: fingerprint(problem),
            checked: true,
            carried: None,
        })
    }

    /// Whether this solver belongs to `problem` (a checkpoint of another problem does not).
    pub fn belongs_to(&self, problem: &Problem) -> bool {
        self.fingerprint == fingerprint(problem)
    }

    /// One iteration from `phi`, where `f = cost`.
    fn iterate(&mut self, problem: &Problem, phi: &mut Vec<f64>, cost: f64) -> Result<Action> {
        let set = &self.working_set;
        let (model, fresh) = match self.carried.take() {
            Some(model) => (model, false),
            None => (PieceModel::evaluate(problem, phi, &set.segments), true),
        };
        let runs = set.runs();
        let free: Vec<_> = runs.iter().filter(|r| r.hold.is_none()).copied().collect();
        // Newton converges quadratically on non-quadratic pieces: aim 1e3 below the tolerance,
        // so that the warp (not only the certificate) is accurate to rounding. A step that
        // cannot move φ any more marks the point stalled, which ends the loop.
        let target = if self.quadratic {
            self.tolerance
        } else {
            1e-3 * self.tolerance
        };
        let stationary = free.iter().all(|r| {
            let (residual, scale) = model.run_residual(r.knots());
            residual.abs() <= target * scale
        });
        if !stationary && !self.stalled {
            return self.step(problem, phi, cost, model, fresh, &free);
        }
        if !fresh {
            // Releases and convergence are decided on the model evaluated at this point, not
            // on one carried over from the steps before.
            return self.iterate(problem, phi, cost);
        }
        let candidates = releases(set, &model, phi, problem);
        let worst = candidates
            .into_iter()
            .filter(|r| r.rate < -self.tolerance * r.scale)
            .min_by(|a, b| (a.rate / a.scale).total_cmp(&(b.rate / b.scale)));
        match worst {
            Some(release) => {
                self.release(problem, phi, &release);
                Ok(Action::Release)
            }
            None => {
                self.converged = true;
                Ok(Action::Converged)
            }
        }
    }

    fn step(
        &mut self,
        problem: &Problem,
        phi: &mut Vec<f64>,
        f_before: f64,
        mut model: PieceModel,
        fresh: bool,
        free: &[super::working_set::Run],
    ) -> Result<Action> {
        let p = newton_direction(free, &model, phi.len());
        let slope: f64 = p.iter().zip(&model.gradient).map(|(a, b)| a * b).sum();
        if slope >= 0.0 {
            // Not a descent direction: the gradient is zero to rounding (on a carried model,
            // perhaps only to its rounding: the next iteration looks again on a fresh one).
            self.stalled = fresh;
            return Ok(Action::Step {
                length: 0.0,
                blocked: false,
                cost: f_before,
            });
        }
        let curvature = quadratic_form(&model.hessian, &p);
        let model_length = if curvature > 0.0 {
            -slope / curvature
        } else {
            f64::INFINITY
        };
        let (block_length, block) = ratio_test(problem, &self.working_set, phi, &p);
        let convex = problem.interpolation().has_kinks();
        // Nonconvex pieces: a direction of negative curvature starts from the full step.
        let trial_length = if convex || curvature > 0.0 {
            model_length
        } else {
            1.0
        };
        let mut length = trial_length.min(block_length);
        if !length.is_finite() {
            return Err(Error::Polish {
                reason: "the model is unbounded along a free direction".into(),
            });
        }
        let mut blocked = block.is_some() && block_length <= trial_length;
        if !convex {
            let accepted = backtrack(problem, phi, f_before, &p, slope, length)?;
            blocked &= accepted == length;
            length = accepted;
        } else if !self.quadratic {
            // f is convex along p within the pieces, so its directional derivative rises
            // with the step: bisect for its zero (derivatives, unlike values of f, stay
            // accurate near the minimum).
            let segments = &self.working_set.segments;
            let directional = |length: f64| -> Result<f64> {
                let trial: Vec<f64> = phi.iter().zip(&p).map(|(a, b)| a + length * b).collect();
                let g = crate::objective::gradient_on(problem, &trial, segments)?;
                Ok(g.iter().zip(&p).map(|(a, b)| a * b).sum())
            };
            if directional(length)? > 0.0 {
                let (mut lo, mut hi) = (0.0, length);
                while hi - lo > 1e-15 * hi {
                    let mid = 0.5 * (lo + hi);
                    if directional(mid)? <= 0.0 {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                length = lo;
                blocked = false;
            }
        }
        let before = phi.clone();
        for (x, d) in phi.iter_mut().zip(&p) {
            *x += length * d;
        }
        if blocked {
            let (knot_or_interval, what) = block.expect("blocking constraint");
            match what {
                Blocker::Hold(hold) => self.working_set.holds[knot_or_interval] = Some(hold),
                Blocker::Tie(limit) => self.working_set.ties[knot_or_interval] = Some(limit),
            }
        }
        self.working_set.snap(problem, phi);
        let cost = if self.quadratic {
            // f is quadratic on the pieces: its change is exactly gᵀΔ + ΔᵀHΔ/2, and the model
            // at the new point is the old one shifted.
            let delta: Vec<f64> = phi.iter().zip(&before).map(|(a, b)| a - b).collect();
            let change =
                dot(&model.gradient, &delta) + 0.5 * quadratic_form(&model.hessian, &delta);
            model.shift(problem, phi, &delta, &self.working_set.segments);
            self.carried = Some(model);
            f_before + change
        } else {
            objective(problem, phi)?
        };
        // A step that adds no constraint and does not lower f: no decrease is left to
        // rounding (steps at that level may flip a knot between two neighbouring floats).
        self.stalled = !blocked && (*phi == before || cost >= f_before);
        Ok(Action::Step {
            length,
            blocked,
            cost,
        })
    }

    fn release(&mut self, problem: &Problem, phi: &mut [f64], release: &Release) {
        use super::multipliers::Constraint as C;
        self.stalled = false;
        let set = &mut self.working_set;
        match release.constraint {
            Some(C::Lower { knot } | C::Upper { knot } | C::Kink { knot, .. }) => {
                set.holds[knot] = None
            }
            Some(C::SlopeMin { interval } | C::SlopeMax { interval }) => set.ties[interval] = None,
            Some(C::Fixed { .. }) | None => {}
        }
        set.move_off_kinks(problem, phi, release);
        set.snap(problem, phi);
    }
}

impl Solver<Nlp<'_>, PolishState> for ActiveSetSolver {
    fn name(&self) -> &str {
        "decdtw active set"
    }

    fn init(
        &mut self,
        problem: &mut ArgminProblem<Nlp<'_>>,
        state: PolishState,
    ) -> std::result::Result<(PolishState, Option<KV>), argmin::core::Error> {
        let mut state = state;
        let mut phi = state.take_param().ok_or(Error::Polish {
            reason: "no start point given".into(),
        })?;
        let nlp = *problem.problem.as_ref().expect("argmin problem");
        self.working_set.snap(nlp.problem, &mut phi);
        let cost = problem.cost(&phi)?;
        Ok((state.param(phi).cost(cost), None))
    }

    fn next_iter(
        &mut self,
        problem: &mut ArgminProblem<Nlp<'_>>,
        state: PolishState,
    ) -> std::result::Result<(PolishState, Option<KV>), argmin::core::Error> {
        let mut state = state;
        let nlp = *problem.problem.as_ref().expect("argmin problem");
        if !self.checked {
            if !self.belongs_to(nlp.problem) {
                return Err(Error::Polish {
                    reason: "this solver state (a checkpoint?) was made for another problem".into(),
                }
                .into());
            }
            self.checked = true;
        }
        let mut phi = state.take_param().ok_or(Error::Polish {
            reason: "no current point".into(),
        })?;
        let previous = state.get_cost();
        let action = self.iterate(nlp.problem, &mut phi, previous)?;
        let cost = match action {
            Action::Step { cost, .. } => cost,
            Action::Release => problem.cost(&phi)?,
            Action::Converged => previous,
        };
        let held = self.working_set.holds.iter().flatten().count() as u64;
        let tied = self.working_set.ties.iter().flatten().count() as u64;
        let mut kv = argmin::kv!("held" => held; "tied" => tied;);
        match action {
            Action::Step {
                length, blocked, ..
            } => {
                kv.insert("step", length.into());
                kv.insert("blocked", blocked.into());
            }
            Action::Release => {
                kv.insert("release", true.into());
            }
            Action::Converged => {
                kv.insert("kkt", true.into());
            }
        }
        Ok((state.param(phi).cost(cost), Some(kv)))
    }

    fn terminate(&mut self, _state: &PolishState) -> TerminationStatus {
        if self.converged {
            TerminationStatus::Terminated(TerminationReason::SolverConverged)
        } else {
            TerminationStatus::NotTerminated
        }
    }
}

/// A constraint that stops a step.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Blocker {
    Hold(Hold),
    Tie(SlopeLimit),
}

/// The largest step length `α ≥ 0` that keeps `φ + α p` feasible for every constraint outside
/// the working set (bounds, slope limits, the ends of each knot's segment of y), and the
/// constraint that attains it (bounds before slope limits before segment ends on ties).
fn ratio_test(
    problem: &Problem,
    set: &WorkingSet,
    phi: &[f64],
    p: &[f64],
) -> (f64, Option<(usize, Blocker)>) {
    let mut best = (f64::INFINITY, None);
    let mut consider = |limit: f64, at: usize, what: Blocker| {
        let limit = limit.max(0.0);
        if limit < best.0 {
            best = (limit, Some((at, what)));
        }
    };
    let (lower, upper) = (problem.lower_bounds(), problem.upper_bounds());
    for (k, (&x, &d)) in phi.iter().zip(p).enumerate() {
        if d < 0.0 && lower[k].is_finite() {
            consider((lower[k] - x) / d, k, Blocker::Hold(Hold::Lower));
        } else if d > 0.0 && upper[k].is_finite() {
            consider((upper[k] - x) / d, k, Blocker::Hold(Hold::Upper));
        }
    }
    for i in 0..phi.len() - 1 {
        let change = p[i + 1] - p[i];
        if set.ties[i].is_some() || change == 0.0 {
            continue;
        }
        let delta = phi[i + 1] - phi[i];
        let limit = if change < 0.0 {
            SlopeLimit::Min
        } else {
            SlopeLimit::Max
        };
        let target = tie_step(problem, i, limit);
        if target.is_finite() {
            consider((target - delta) / change, i, Blocker::Tie(limit));
        }
    }
    if !problem.interpolation().has_kinks() {
        return best;
    }
    let times = problem.y().times();
    let last = times.len() - 1;
    for (k, (&x, &d)) in phi.iter().zip(p).enumerate() {
        let j = set.segments[k];
        if d < 0.0 && j > 0 {
            consider((times[j] - x) / d, k, Blocker::Hold(Hold::Kink(j)));
        } else if d > 0.0 && j + 1 < last {
            consider((times[j + 1] - x) / d, k, Blocker::Hold(Hold::Kink(j + 1)));
        }
    }
    best
}

/// Armijo backtracking from `length` along the descent direction `p` (`slope = ∇f·p < 0`):
/// halves the step until `f` falls by at least `10⁻⁴ · length · |slope|`. Once `f` can no
/// longer resolve the decrease (the change is at its rounding level), a step that halves the
/// directional derivative is accepted instead. Returns 0 if no step helps.
/// `f0 = f(φ)`.
fn backtrack(
    problem: &Problem,
    phi: &[f64],
    f0: f64,
    p: &[f64],
    slope: f64,
    length: f64,
) -> Result<f64> {
    let largest = p.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    let span = problem.y().end() - problem.y().start();
    let mut t = length;
    loop {
        if t * largest <= 1e-15 * span {
            // Too short for f to judge: a first step that short only adds its blocking
            // constraint and is taken; a backtracked one is not.
            return Ok(if t == length { t } else { 0.0 });
        }
        let trial: Vec<f64> = phi.iter().zip(p).map(|(a, b)| a + t * b).collect();
        let f = objective(problem, &trial)?;
        if f <= f0 + 1e-4 * t * slope {
            return Ok(t);
        }
        if (f - f0).abs() <= 1e-14 * f0.abs() {
            let g = crate::objective::gradient(problem, &trial)?;
            let directional: f64 = g.iter().zip(p).map(|(a, b)| a * b).sum();
            if directional.abs() <= 0.5 * slope.abs() {
                return Ok(t);
            }
        }
        t *= 0.5;
    }
}

/// The Newton direction on the free runs: `p = −P H_r⁻¹ Pᵀ g` (zero on held runs). A pivot
/// that vanishes (a flat direction, e.g. `λ = 0` on a constant stretch of y) is raised to
/// `1e-14` of the Hessian's scale, which turns the step into a long move along the flat
/// direction that the ratio test then cuts.
fn newton_direction(free: &[super::working_set::Run], model: &PieceModel, m: usize) -> Vec<f64> {
    let reduced = ReducedHessian::new(free, &model.hessian);
    let rhs = reduced
        .restrict(&model.gradient)
        .iter()
        .map(|g| -g)
        .collect();
    let (delta, _) = reduced.solve(rhs, pivot_floor(&model.hessian, 1e-14));
    reduced.extend(&delta, m)
}

/// `pᵀ H p` for a tridiagonal `H`.
fn quadratic_form(h: &Tridiagonal, p: &[f64]) -> f64 {
    let diag: f64 = h.diag.iter().zip(p).map(|(d, x)| d * x * x).sum();
    let off: f64 = h
        .off
        .iter()
        .enumerate()
        .map(|(i, o)| 2.0 * o * p[i] * p[i + 1])
        .sum();
    diag + off
}

/// FNV-1a over 64-bit words: the fingerprint is an identity check, not a defence, and the
/// standard SipHash took about a millisecond per polish on the `m · d` values of a large problem.
struct Fnv1a(u64);

impl Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(0x0000_0100_0000_01b3);
    }
    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A hash of everything that defines `problem`, so that solver states (checkpoints) are only
/// used with the problem they were made for.
fn fingerprint(problem: &Problem) -> u64 {
    let mut hasher = Fnv1a(0xcbf2_9ce4_8422_2325);
    let slices: [&[f64]; 9] = [
        problem.x().times(),
        problem.x().values(),
        problem.y().times(),
        problem.y().values(),
        problem.knots(),
        problem.lower_bounds(),
        problem.upper_bounds(),
        problem.slope_min(),
        problem.slope_max(),
    ];
    for s in slices {
        s.len().hash(&mut hasher);
        s.iter().for_each(|v| v.to_bits().hash(&mut hasher));
    }
    for v in [
        problem.lambda(),
        problem.lambda_cum(),
        problem.expected_slope(),
    ] {
        v.to_bits().hash(&mut hasher);
    }
    format!(
        "{:?}{:?}{:?}{:?}",
        problem.feature_penalty(),
        problem.slope_penalty(),
        problem.cumulative_penalty(),
        problem.interpolation()
    )
    .hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Signal;

    /// The fingerprint changes with any single value that defines the problem, and only then.
    #[test]
    fn fingerprint_tells_problems_apart() {
        let xs: Vec<f64> = (0..20).map(|i| (i as f64 * 0.3).sin()).collect();
        let ys: Vec<f64> = (0..24).map(|i| (i as f64 * 0.25).cos()).collect();
        let build = |xs: &[f64], ys: &[f64], lambda: f64| {
            Problem::builder(
                Signal::uniform(xs.to_vec(), 2).unwrap(),
                Signal::uniform(ys.to_vec(), 2).unwrap(),
            )
            .lambda(lambda)
            .build()
            .unwrap()
        };
        let base = fingerprint(&build(&xs, &ys, 0.1));
        assert_eq!(base, fingerprint(&build(&xs, &ys, 0.1)));
        assert_ne!(base, fingerprint(&build(&xs, &ys, 0.1000000001)));
        for k in [0, 7, 19] {
            let mut changed = xs.clone();
            changed[k] = f64::from_bits(changed[k].to_bits() ^ 1);
            assert_ne!(base, fingerprint(&build(&changed, &ys, 0.1)), "x[{k}]");
            let mut changed = ys.clone();
            changed[k] += 1e-9;
            assert_ne!(base, fingerprint(&build(&xs, &changed, 0.1)), "y[{k}]");
        }
    }
}
