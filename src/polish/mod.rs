//! Polishing the DP answer to an exact local optimum of the NLP (SPEC §3), with a KKT
//! certificate.
//!
//! The NLP: minimise `f(φ)` subject to `b_min ≤ φ ≤ b_max` and `s_min ≤ σ ≤ s_max`, all
//! linear. [`ActiveSetSolver`] is a primal active-set method written as an [`argmin`]
//! solver, so argmin's executor, observers ([`ProgressLog`]) and checkpointing work with it;
//! [`polish`] runs it with the usual settings. Every iteration costs `O(m)` because the
//! Hessian is tridiagonal and the working set only holds knots in place or ties neighbours.
//!
//! With piecewise-linear y, `f` restricted to one segment of y per knot is (for squared
//! penalties) a convex quadratic; the sample times of y act as extra constraints ("kinks"),
//! and a knot leaves its segment only when the one-sided derivative in that direction lowers
//! `f`. A knot whose one-sided derivatives both point back at a sample time stays there: it
//! is reported as held at a kink, like an active bound.
//!
//! The method adds one constraint per step, and a DP warp of rough signals has many knots
//! within a grid step of a sample time of y at which the optimum rests (a tenth of all knots
//! on the peers benchmark's pairs). [`kink_start`] moves such knots onto their sample time
//! before the first step and the start's working set holds the ones where `f` rises both ways
//! ([`WorkingSet::at_start`]): on those pairs the polish then takes 2 to 7 iterations instead
//! of 100 to 140. [`crate::solve`] does this with its last grid's spacing as the radius.

mod certificate;
mod model;
mod multipliers;
mod observer;
pub(crate) mod reduced;
mod solver;
mod working_set;

pub use certificate::{ActiveSummary, KktCertificate};
pub use multipliers::{Constraint, Multiplier};
pub use observer::ProgressLog;
pub use solver::{ActiveSetSolver, Nlp, PolishState};
pub use working_set::{kink_start, Hold, SlopeLimit, WorkingSet};

use crate::objective::objective;
use crate::problem::Problem;
use crate::{Error, Result};
use argmin::core::observers::ObserverMode;
use argmin::core::{Executor, State, TerminationReason};

/// Settings of the polish.
#[derive(Debug, Clone, PartialEq)]
pub struct PolishOptions {
    /// Relative tolerance of the stationarity and multiplier tests (default `1e-12`).
    pub tolerance: f64,
    /// Iteration limit (default `20 m + 100`).
    pub max_iterations: Option<u64>,
    /// Log every iteration to standard error.
    pub log: bool,
    /// Start from the given warp with its knots within this distance of an interior sample
    /// time of y moved onto it ([`kink_start`]: only if that keeps the warp feasible and does
    /// not raise `f`; default `None`: the warp as given). [`crate::solve`] uses the spacing of
    /// the grids that gave its warp (`Solution::grid_spacing`) when this is `None`.
    pub kink_radius: Option<f64>,
}

impl Default for PolishOptions {
    fn default() -> Self {
        Self {
            tolerance: 1e-12,
            max_iterations: None,
            log: false,
            kink_radius: None,
        }
    }
}

/// A polished solution.
#[derive(Debug, Clone, PartialEq)]
pub struct Polished {
    /// The warp at the knots.
    pub phi: Vec<f64>,
    /// `f(φ)`.
    pub objective: f64,
    /// The final working set: the active constraints and the segment of y of every knot.
    pub working_set: WorkingSet,
    /// The multipliers (release rates) of the active constraints.
    pub multipliers: Vec<Multiplier>,
    /// The KKT certificate.
    pub certificate: KktCertificate,
}

/// Polishes the feasible warp `start` (typically the DP's) to a KKT point of the NLP. The
/// objective never rises above `f(start)`. Check `certificate.converged`: `false` means the
/// iteration limit was reached, and the certificate says how far from KKT the result is.
pub fn polish(problem: &Problem, start: &[f64], options: &PolishOptions) -> Result<Polished> {
    let start = match options.kink_radius {
        Some(radius) => kink_start(problem, start, radius),
        None => start.to_vec(),
    };
    let solver = ActiveSetSolver::new(problem, &start, options.tolerance)?;
    let max_iterations = options
        .max_iterations
        .unwrap_or(20 * problem.num_knots() as u64 + 100);
    let mut executor = Executor::new(Nlp { problem }, solver)
        .configure(|state| state.param(start).max_iters(max_iterations));
    if options.log {
        executor = executor.add_observer(ProgressLog::stderr(), ObserverMode::Always);
    }
    let result = executor.run().map_err(|e| Error::Polish {
        reason: e.to_string(),
    })?;
    // The solver was made for `problem` just above: no fingerprint check.
    solution(problem, &result.solver, &result.state)
}

/// The [`Polished`] solution from a finished run of [`ActiveSetSolver`] (for callers that run
/// argmin's executor themselves, e.g. with checkpointing).
pub fn finish(
    problem: &Problem,
    solver: &ActiveSetSolver,
    state: &PolishState,
) -> Result<Polished> {
    if !solver.belongs_to(problem) {
        return Err(Error::Polish {
            reason: "the solver state was made for another problem".into(),
        });
    }
    solution(problem, solver, state)
}

/// [`finish`] for a solver known to belong to `problem`.
fn solution(problem: &Problem, solver: &ActiveSetSolver, state: &PolishState) -> Result<Polished> {
    let phi = state.get_param().cloned().ok_or(Error::Polish {
        reason: "the run has no final point".into(),
    })?;
    let converged = solver.converged
        && state.get_termination_reason() == Some(&TerminationReason::SolverConverged);
    let (certificate, multipliers) = certificate::certify(
        problem,
        &solver.working_set,
        &phi,
        state.get_iter(),
        converged,
    )?;
    Ok(Polished {
        objective: objective(problem, &phi)?,
        phi,
        working_set: solver.working_set.clone(),
        multipliers,
        certificate,
    })
}
