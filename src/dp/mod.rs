//! Forward pass (SPEC §2): discretised dynamic programming with iterative refinement.
//!
//! Each knot gets a grid of candidate values inside its feasible interval; the exact optimum
//! over the layered graph is a dynamic program over knots, one [`Kernel`] call per stage.
//! Refinement repeats the DP on ever tighter grids centred on the best warp so far: pass `r`
//! spans `η^r (u_i − l_i)`, each window `η` times the one before (as in Deriso & Boyd). The
//! best warp stays on the new grid, so the objective never increases from pass to pass.
//! Memory: the grid back-pointers (`Σ_i M_i` u32) are the only `m × M` array.

mod cpu;
mod envelope;
mod grid;
mod kernel;
mod node_costs;

pub use grid::Layer;
pub use kernel::Kernel;

use crate::error::{Error, Result};
use crate::objective::objective;
use crate::polish::{polish, PolishOptions, Polished};
use crate::problem::Problem;
use kernel::{solve_stage, Stage, StageScratch};
use node_costs::{add_node_costs, NodeScratch};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// Settings of the solve: the forward pass and, optionally, the polish.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveOptions {
    /// Grid values per knot `M` (default `max(50, Ny + 1)`).
    pub levels: Option<usize>,
    /// Refinement passes after the first (default 3).
    pub refinements: usize,
    /// Shrink factor `η` of the refinement windows: pass `r` spans `η^r (u_i − l_i)` (default 0.125).
    pub eta: f64,
    /// Stage kernel (default [`Kernel::Envelope`]).
    pub kernel: Kernel,
    /// Largest memory the back-pointers may take, in bytes (default 4 GiB).
    pub max_memory_bytes: u64,
    /// Polish the DP answer to a KKT point of the NLP (default: no, return the DP answer).
    pub polish: Option<PolishOptions>,
}

impl Default for SolveOptions {
    fn default() -> Self {
        Self {
            levels: None,
            refinements: 3,
            eta: 0.125,
            kernel: Kernel::default(),
            max_memory_bytes: 4 << 30,
            polish: None,
        }
    }
}

impl SolveOptions {
    /// `M` for `problem`: the given value, or `max(50, Ny + 1)`.
    pub fn levels_for(&self, problem: &Problem) -> usize {
        self.levels.unwrap_or_else(|| 50.max(problem.y().len() + 1))
    }

    fn validate(&self, problem: &Problem) -> Result<()> {
        let levels = self.levels_for(problem);
        if levels < 2 {
            return Err(Error::InvalidParameter {
                what: "levels".into(),
                reason: format!("need at least 2 grid values per knot, got {levels}"),
            });
        }
        if !(self.eta > 0.0 && self.eta <= 1.0) {
            return Err(Error::InvalidParameter {
                what: "eta".into(),
                reason: format!("refinement width must lie in (0, 1], got {}", self.eta),
            });
        }
        let bytes = problem.num_knots() as u128 * levels as u128 * 4;
        if bytes > self.max_memory_bytes as u128 || levels > u32::MAX as usize {
            return Err(Error::TooLarge {
                what: format!(
                    "back-pointers for {} knots × {levels} levels",
                    problem.num_knots()
                ),
                bytes,
                limit: self.max_memory_bytes as u128,
            });
        }
        Ok(())
    }
}

/// The optimum of the DP over one set of grids.
#[derive(Debug, Clone, PartialEq)]
pub struct GridPath {
    /// `φ_i`, the chosen grid value of every knot.
    pub phi: Vec<f64>,
    /// Index of the chosen value in each knot's grid.
    pub indices: Vec<usize>,
    /// Path cost accumulated by the DP (equals `f(φ)` up to rounding).
    pub cost: f64,
}

/// Result of a solve.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The warp at the knots (polished when the polish was asked for).
    pub phi: Vec<f64>,
    /// `f(φ)`, recomputed in float64.
    pub objective: f64,
    /// `f` at the DP's warp (equal to `objective` without the polish).
    pub dp_objective: f64,
    /// The polish's working set, multipliers and KKT certificate, when asked for.
    pub polish: Option<Polished>,
    /// `f` of each pass's own optimum (the first pass, then each refinement).
    pub pass_objectives: Vec<f64>,
    /// `M` used.
    pub levels: usize,
    /// Wall time of the forward pass.
    pub elapsed: Duration,
    /// Wall time of the polish (zero without it).
    pub polish_elapsed: Duration,
}

/// The DP's node costs of knot `i` at the strictly increasing grid values `values`:
/// `w_i L(x_i − y(v)) + λ_cum w_i R_cum(v − φ̄_i)`, computed the way the forward pass does
/// (for the squared penalty, per-segment polynomial coefficients; see SPEC §2).
pub fn node_costs(problem: &Problem, i: usize, values: &[f64]) -> Result<Vec<f64>> {
    if i >= problem.num_knots() {
        return Err(Error::InvalidParameter {
            what: "knot index".into(),
            reason: format!("{i} is not below the {} knots", problem.num_knots()),
        });
    }
    if values.is_empty() {
        return Err(Error::TooShort {
            what: "grid values".into(),
            len: 0,
            min: 1,
        });
    }
    crate::error::check_finite("grid values", values)?;
    crate::error::check_increasing("grid values", values)?;
    let mut out = vec![0.0; values.len()];
    add_node_costs(problem, i, values, &mut out, &mut NodeScratch::new(problem));
    Ok(out)
}

/// Exact optimum of the DP over the given grids, one [`Layer`] per knot.
///
/// Errors with [`Error::Infeasible`] naming the first knot that no grid path reaches. That
/// cannot happen on the grids [`solve`] builds: the first pass's grids contain the path of
/// lower bounds `(l_1, …, l_m)`, feasible because the intervals are propagated exactly, and
/// every refinement grid contains the previous path. Hand-made grids may have no path.
pub fn solve_layers(problem: &Problem, layers: &[Layer], kernel: Kernel) -> Result<GridPath> {
    let m = problem.num_knots();
    if layers.len() != m {
        return Err(Error::DimensionMismatch {
            what: "grid layers (one per knot)".into(),
            expected: m,
            got: layers.len(),
        });
    }
    let mut scratch = NodeScratch::new(problem);
    let offsets: Vec<usize> = std::iter::once(0)
        .chain(layers.iter().scan(0, |acc, l| {
            *acc += l.len();
            Some(*acc)
        }))
        .collect();
    // Every stage writes all its entries; zeroed memory needs no fill from the allocator.
    let mut back = vec![0u32; offsets[m]];
    let (mut prev, mut next) = (Vec::new(), Vec::new());
    let mut cost = vec![0.0; layers[0].len()];
    let mut best = Vec::new();
    let mut stage_scratch = StageScratch::default();
    layers[0].fill(&mut prev);
    add_node_costs(problem, 0, &prev, &mut cost, &mut scratch);
    for i in 0..m - 1 {
        layers[i + 1].fill(&mut next);
        best.resize(next.len(), 0.0);
        let stage = Stage::new(problem, i, &prev, &cost, &next);
        let arg = &mut back[offsets[i + 1]..offsets[i + 2]];
        solve_stage(kernel, &stage, &mut stage_scratch, &mut best, arg);
        if best.iter().all(|c| *c == f64::INFINITY) {
            let (lower, upper) = problem.feasible_intervals()[i + 1];
            return Err(Error::Infeasible {
                knot: i + 1,
                time: problem.knots()[i + 1],
                lower,
                upper,
            });
        }
        // D_{i+1} = stage minimum + node cost, in place.
        add_node_costs(problem, i + 1, &next, &mut best, &mut scratch);
        std::mem::swap(&mut cost, &mut best);
        std::mem::swap(&mut prev, &mut next);
    }
    let (mut k, total) =
        cost.iter().enumerate().fold(
            (0, f64::INFINITY),
            |acc, (k, &c)| if c < acc.1 { (k, c) } else { acc },
        );
    let mut indices = vec![0; m];
    for i in (0..m).rev() {
        indices[i] = k;
        if i > 0 {
            k = back[offsets[i] + k] as usize;
        }
    }
    let phi = indices
        .iter()
        .zip(layers)
        .map(|(&j, l)| l.value(j))
        .collect();
    Ok(GridPath {
        phi,
        indices,
        cost: total,
    })
}

/// The first pass's grids: `M` values over each knot's feasible interval.
pub fn initial_layers(problem: &Problem, levels: usize) -> Vec<Layer> {
    problem
        .feasible_intervals()
        .iter()
        .map(|&(lo, hi)| Layer::uniform(lo, hi, levels))
        .collect()
}

/// A refinement pass's grids: width `fraction · (u_i − l_i)` centred on `phi`.
pub fn refined_layers(problem: &Problem, phi: &[f64], levels: usize, fraction: f64) -> Vec<Layer> {
    problem
        .feasible_intervals()
        .iter()
        .zip(phi)
        .map(|(&(lo, hi), &center)| Layer::around(center, fraction * (hi - lo), lo, hi, levels))
        .collect()
}

/// The forward pass: a DP over uniform grids, then `refinements` DPs on narrower grids around
/// the best warp so far; then, if asked for, the polish (see [`crate::polish()`]). Returns the
/// best warp found.
pub fn solve(problem: &Problem, options: &SolveOptions) -> Result<Solution> {
    let start = Instant::now();
    options.validate(problem)?;
    let levels = options.levels_for(problem);
    let first = solve_layers(problem, &initial_layers(problem, levels), options.kernel)?;
    let mut best_objective = objective(problem, &first.phi)?;
    let mut best_phi = first.phi;
    let mut pass_objectives = vec![best_objective];
    let mut fraction = 1.0;
    for _ in 0..options.refinements {
        fraction *= options.eta;
        let layers = refined_layers(problem, &best_phi, levels, fraction);
        let path = solve_layers(problem, &layers, options.kernel)?;
        let value = objective(problem, &path.phi)?;
        pass_objectives.push(value);
        if value < best_objective {
            best_objective = value;
            best_phi = path.phi;
        }
    }
    let elapsed = start.elapsed();
    let polish_start = Instant::now();
    let polished = match &options.polish {
        Some(polish_options) => Some(polish(problem, &best_phi, polish_options)?),
        None => None,
    };
    let (phi, objective) = match &polished {
        Some(p) => (p.phi.clone(), p.objective),
        None => (best_phi, best_objective),
    };
    Ok(Solution {
        phi,
        objective,
        dp_objective: best_objective,
        polish: polished,
        pass_objectives,
        levels,
        elapsed,
        polish_elapsed: if options.polish.is_some() {
            polish_start.elapsed()
        } else {
            Duration::ZERO
        },
    })
}

/// [`solve`] for many problems (of any lengths) in parallel on the current rayon pool; run it
/// inside `ThreadPool::install` to choose the number of threads.
pub fn solve_batch(problems: &[Problem], options: &SolveOptions) -> Vec<Result<Solution>> {
    problems.par_iter().map(|p| solve(p, options)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{synthetic, Interpolation, SplineEnds};

    /// The AVX2 copies of the hot loops (see [`cpu`]) return exactly what the baseline copies
    /// do: every grid value, index and path cost bit for bit. (Where the CPU lacks AVX2 both
    /// runs take the baseline and the test checks only determinism.)
    #[test]
    fn avx2_copy_is_bit_identical() {
        let mut seed = 5;
        for (n, d) in [(40, 1), (60, 3), (80, 16)] {
            let pair = synthetic::warped_pair(&mut seed, n, d).unwrap();
            for kind in [
                Interpolation::Linear,
                Interpolation::CubicSpline(SplineEnds::Natural),
            ] {
                let problem = Problem::builder(pair.x().clone(), pair.y().clone())
                    .lambda(0.1)
                    .lambda_cum(0.05)
                    .interpolation(kind)
                    .build()
                    .unwrap();
                for kernel in [Kernel::Envelope, Kernel::Monge] {
                    let options = SolveOptions {
                        levels: Some(n + 1),
                        kernel,
                        ..SolveOptions::default()
                    };
                    let fast = solve(&problem, &options).unwrap();
                    let baseline = cpu::with_baseline(|| solve(&problem, &options).unwrap());
                    let bits = |s: &Solution| -> Vec<u64> {
                        s.phi
                            .iter()
                            .chain(&s.pass_objectives)
                            .map(|v| v.to_bits())
                            .collect()
                    };
                    assert_eq!(bits(&fast), bits(&baseline), "n = {n}, {kind}, {kernel:?}");
                }
            }
        }
    }
}
