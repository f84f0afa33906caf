//! Forward pass (SPEC §2): discretised dynamic programming with iterative refinement.
//!
//! Each knot gets a grid of candidate values inside its feasible interval; the exact optimum
//! over the layered graph is a dynamic program over knots, one [`Kernel`] call per stage.
//! Refinement repeats the DP on ever tighter grids centred on the best warp so far: pass `r`
//! spans `η^r (u_i − l_i)`, each window `η` times the one before (as in Deriso & Boyd). The
//! best warp stays on the new grid, so the objective never increases from pass to pass.
//! Memory: the grid back-pointers (`Σ_i M_i` u32, kept from pass to pass) are the only `m × M`
//! array. With [`SolveOptions::split`] each pass runs as a forward DP over the first half of the
//! knots and a backward DP over the second, on two threads ([`solve_layers_split`]).

mod cpu;
mod envelope;
mod grid;
mod kernel;
mod node_costs;
mod sweep;

pub use grid::Layer;
pub use kernel::Kernel;

use crate::error::{Error, Result};
use crate::objective::objective;
use crate::polish::{polish, PolishOptions, Polished};
use crate::problem::Problem;
use node_costs::{add_node_costs, NodeScratch};
use rayon::prelude::*;
use std::time::{Duration, Instant};
use sweep::PointerBuffers;

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
    /// Solve each pass as two half DPs joined at the middle knot, on two threads of the current
    /// rayon pool ([`solve_layers_split`]): nearly twice as fast for one large problem on two
    /// cores, no faster (and a little slower) on one. Same optimum; the cost may differ by
    /// rounding (default: no).
    pub split: bool,
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
            split: false,
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
    /// The largest spacing of the grids of the pass whose warp the DP kept ([`grid_spacing`]):
    /// the DP's warp is the optimum over that pass's grids, and the polish's kink start (the
    /// default `PolishOptions::kink_radius`) moves knots within it of a sample time of y onto
    /// it.
    pub grid_spacing: f64,
    /// Wall time of the forward pass.
    pub elapsed: Duration,
    /// Wall time of the polish (zero without it).
    pub polish_elapsed: Duration,
}

/// The DP's node costs of knot `i` at the strictly increasing grid values `values`:
/// `w_i L(x_i − y(v)) + λ_cum w_i R_cum(v − φ̄_i)`, computed the way the forward pass does
/// (for the squared penalty, per-segment polynomial coefficients; see SPEC §2). Builds the
/// problem's tables on every call: use [`NodeCosts`] for many knots or grids.
pub fn node_costs(problem: &Problem, i: usize, values: &[f64]) -> Result<Vec<f64>> {
    let mut out = vec![0.0; values.len()];
    NodeCosts::new(problem).evaluate(i, values, &mut out)?;
    Ok(out)
}

/// [`node_costs()`] with the problem's tables (for linear y a feature-major copy of its samples
/// and `‖Y_{j+1} − Y_j‖²` per segment; for cubic y the segments' polynomial coefficients) built
/// once, as the forward pass builds them once per pass. A grid evaluated for one knot and
/// then for another (every interior knot of the first pass has the same grid) is placed on y
/// only once.
pub struct NodeCosts<'a> {
    problem: &'a Problem,
    scratch: NodeScratch,
}

impl std::fmt::Debug for NodeCosts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeCosts")
            .field("knots", &self.problem.num_knots())
            .field("y_samples", &self.problem.y().len())
            .finish_non_exhaustive()
    }
}

impl<'a> NodeCosts<'a> {
    /// The tables of `problem` (`O(n_y d)`).
    pub fn new(problem: &'a Problem) -> Self {
        Self {
            problem,
            scratch: NodeScratch::new(problem),
        }
    }

    /// Writes the node costs of knot `i` at the strictly increasing, finite `values` into
    /// `out` (of the same length).
    pub fn evaluate(&mut self, i: usize, values: &[f64], out: &mut [f64]) -> Result<()> {
        let problem = self.problem;
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
        if out.len() != values.len() {
            return Err(Error::DimensionMismatch {
                what: "node costs output (one per grid value)".into(),
                expected: values.len(),
                got: out.len(),
            });
        }
        crate::error::check_finite("grid values", values)?;
        crate::error::check_increasing("grid values", values)?;
        out.fill(0.0);
        add_node_costs(problem, i, values, out, &mut self.scratch);
        Ok(())
    }
}

/// Exact optimum of the DP over the given grids, one [`Layer`] per knot: one forward sweep.
///
/// Errors with [`Error::Infeasible`] naming the first knot that no grid path reaches. That
/// cannot happen on the grids [`solve`] builds: the first pass's grids contain the path of
/// lower bounds `(l_1, …, l_m)`, feasible because the intervals are propagated exactly, and
/// every refinement grid contains the previous path. Hand-made grids may have no path.
pub fn solve_layers(problem: &Problem, layers: &[Layer], kernel: Kernel) -> Result<GridPath> {
    check_layers(problem, layers)?;
    sweep::solve_sequential(problem, layers, kernel, &mut PointerBuffers::default())
}

/// [`solve_layers`] with the DP split at the middle knot: a forward sweep over the first half
/// and a backward sweep over the second, on two threads of the current rayon pool (see
/// [`SolveOptions::split`]). Same optimum; the path cost may differ from [`solve_layers`] by
/// rounding, and an exact tie may pick another optimal path. Errors name a knot that no grid
/// path reaches from its side of the middle.
pub fn solve_layers_split(problem: &Problem, layers: &[Layer], kernel: Kernel) -> Result<GridPath> {
    check_layers(problem, layers)?;
    split_or_sequential(problem, layers, kernel, &mut PointerBuffers::default())
}

fn split_or_sequential(
    problem: &Problem,
    layers: &[Layer],
    kernel: Kernel,
    buffers: &mut PointerBuffers,
) -> Result<GridPath> {
    match layers.len() {
        0..3 => sweep::solve_sequential(problem, layers, kernel, buffers),
        _ => sweep::solve_split(problem, layers, kernel, buffers),
    }
}

fn check_layers(problem: &Problem, layers: &[Layer]) -> Result<()> {
    let m = problem.num_knots();
    if layers.len() != m {
        return Err(Error::DimensionMismatch {
            what: "grid layers (one per knot)".into(),
            expected: m,
            got: layers.len(),
        });
    }
    Ok(())
}

impl GridPath {
    /// The path through `layers` at `indices`, with DP cost `cost`.
    fn new(layers: &[Layer], indices: Vec<usize>, cost: f64) -> Self {
        let phi = indices
            .iter()
            .zip(layers)
            .map(|(&j, l)| l.value(j))
            .collect();
        Self { phi, indices, cost }
    }
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

/// The largest spacing of the grids [`refined_layers`] builds with `fraction` (and, with
/// `fraction = 1`, of the first pass's): `fraction · (u_i − l_i) / (M − 1)` over the knots.
pub fn grid_spacing(problem: &Problem, levels: usize, fraction: f64) -> f64 {
    let steps = levels.saturating_sub(1).max(1) as f64;
    problem
        .feasible_intervals()
        .iter()
        .map(|&(lo, hi)| fraction * (hi - lo) / steps)
        .fold(0.0, f64::max)
}

/// The forward pass: a DP over uniform grids, then `refinements` DPs on narrower grids around
/// the best warp so far; then, if asked for, the polish (see [`crate::polish()`]). Returns the
/// best warp found.
pub fn solve(problem: &Problem, options: &SolveOptions) -> Result<Solution> {
    let start = Instant::now();
    options.validate(problem)?;
    let levels = options.levels_for(problem);
    // One set of pointer buffers for all passes (the layers always have one per knot).
    let mut buffers = PointerBuffers::default();
    let mut solve_grids = |layers: &[Layer]| match options.split {
        true => split_or_sequential(problem, layers, options.kernel, &mut buffers),
        false => sweep::solve_sequential(problem, layers, options.kernel, &mut buffers),
    };
    let first = solve_grids(&initial_layers(problem, levels))?;
    let mut best_objective = objective(problem, &first.phi)?;
    let mut best_phi = first.phi;
    let mut pass_objectives = vec![best_objective];
    let (mut fraction, mut best_fraction) = (1.0, 1.0);
    for _ in 0..options.refinements {
        fraction *= options.eta;
        let layers = refined_layers(problem, &best_phi, levels, fraction);
        let path = solve_grids(&layers)?;
        let value = objective(problem, &path.phi)?;
        pass_objectives.push(value);
        if value < best_objective {
            (best_objective, best_phi, best_fraction) = (value, path.phi, fraction);
        }
    }
    let elapsed = start.elapsed();
    let grid_step = grid_spacing(problem, levels, best_fraction);
    let polish_start = Instant::now();
    let polished = match &options.polish {
        Some(polish_options) => {
            // The polish starts from the DP's warp with its knots within a grid step of a
            // sample time of y moved onto it (see `PolishOptions::kink_radius`).
            let polish_options = PolishOptions {
                kink_radius: polish_options.kink_radius.or(Some(grid_step)),
                ..polish_options.clone()
            };
            Some(polish(problem, &best_phi, &polish_options)?)
        }
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
        grid_spacing: grid_step,
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
    use crate::{synthetic, Endpoints, FeaturePenalty, Interpolation, SplineEnds, WarpPenalty};

    /// `grid_spacing` is the largest gap between neighbouring values of the grids the passes
    /// build, on a problem whose knots have feasible intervals of different widths.
    #[test]
    fn grid_spacing_is_the_largest_step_of_the_grids() {
        let pair = crate::synthetic::warped_pair(&mut 3, 30, 2).unwrap();
        let problem = Problem::builder(pair.x().clone(), pair.y().clone())
            .slope_max(2.0)
            .build()
            .unwrap();
        let levels = 17;
        let phi = solve(&problem, &SolveOptions::default()).unwrap().phi;
        for (fraction, layers) in [
            (1.0, initial_layers(&problem, levels)),
            (0.25, refined_layers(&problem, &phi, levels, 0.25)),
        ] {
            let mut values = Vec::new();
            let largest = layers.iter().fold(0.0f64, |largest, layer| {
                layer.fill(&mut values);
                values.windows(2).fold(largest, |a, w| a.max(w[1] - w[0]))
            });
            let spacing = grid_spacing(&problem, levels, fraction);
            assert!(largest > 0.0);
            assert!((spacing - largest).abs() <= 1e-12, "{spacing} vs {largest}");
        }
    }

    /// `Solution::grid_spacing` is the spacing of the pass whose warp `solve` kept: the first
    /// pass that reached the lowest of `pass_objectives` (a refinement keeps the warp it
    /// started from unless it improves on it).
    #[test]
    fn solution_reports_the_grid_spacing_of_its_best_pass() {
        let mut seed = 5;
        // (n, refinements, y = x): with y = x and `M = n`, the identity, the optimum, lies on
        // the first grid, and no refinement improves on it.
        for (n, refinements, same) in [
            (12, 3, false),
            (40, 2, true),
            (40, 4, false),
            (80, 3, false),
        ] {
            let pair = synthetic::warped_pair(&mut seed, n, 2).unwrap();
            let y = if same { pair.x() } else { pair.y() };
            let problem = Problem::builder(pair.x().clone(), y.clone())
                .lambda(0.05)
                .build()
                .unwrap();
            let options = SolveOptions {
                levels: Some(if same { n } else { n / 2 }),
                refinements,
                ..SolveOptions::default()
            };
            let solution = solve(&problem, &options).unwrap();
            let lowest = solution
                .pass_objectives
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            let best = solution
                .pass_objectives
                .iter()
                .position(|&f| f == lowest)
                .unwrap();
            let fraction = options.eta.powi(best as i32);
            assert_eq!(
                solution.grid_spacing,
                grid_spacing(&problem, solution.levels, fraction),
                "n = {n}, best pass {best}"
            );
            assert_eq!(best < refinements, same, "n = {n}: best pass {best}");
        }
    }

    /// The DP split at the middle knot finds the sequential DP's optimum: the same path cost up
    /// to rounding, on pinned and subsequence problems, with slope limits and a band, for every
    /// kernel, on first-pass and refinement grids; and `solve` with `split` gives the same
    /// objective in every pass.
    #[test]
    fn split_dp_equals_sequential_dp() {
        let mut seed = 17;
        let mut cases = 0;
        for (n, d) in [(3, 1), (4, 2), (25, 1), (60, 3), (90, 2)] {
            let pair = synthetic::warped_pair(&mut seed, n, d).unwrap();
            let builders = [
                Problem::builder(pair.x().clone(), pair.y().clone()).lambda(0.1),
                Problem::builder(pair.x().clone(), pair.y().clone())
                    .lambda(0.05)
                    .slope_min(0.3)
                    .slope_max(2.5)
                    .band(0.3),
                Problem::builder(pair.x().clone(), pair.y().clone())
                    .lambda(0.2)
                    .lambda_cum(0.05)
                    .endpoints(Endpoints::Subsequence),
                Problem::builder(pair.x().clone(), pair.y().clone())
                    .lambda(0.1)
                    .slope_penalty(WarpPenalty::Huber { delta: 0.5 }),
                Problem::builder(pair.x().clone(), pair.y().clone())
                    .lambda(0.1)
                    .interpolation(Interpolation::CubicSpline(SplineEnds::Natural))
                    .feature_penalty(FeaturePenalty::Huber { delta: 0.3 }),
            ];
            for builder in builders {
                let problem = builder.build().unwrap();
                let levels = n + 1;
                let first = initial_layers(&problem, levels);
                for kernel in Kernel::ALL {
                    let sequential = solve_layers(&problem, &first, kernel).unwrap();
                    let split = solve_layers_split(&problem, &first, kernel).unwrap();
                    let scale = sequential.cost.abs().max(1.0);
                    assert!(
                        (split.cost - sequential.cost).abs() <= 1e-12 * scale,
                        "n = {n}, {kernel:?}: {} vs {}",
                        split.cost,
                        sequential.cost
                    );
                    let f = |phi: &[f64]| objective(&problem, phi).unwrap();
                    assert!((f(&split.phi) - f(&sequential.phi)).abs() <= 1e-12 * scale);
                    let refined = refined_layers(&problem, &sequential.phi, levels, 0.2);
                    let (a, b) = (
                        solve_layers(&problem, &refined, kernel).unwrap(),
                        solve_layers_split(&problem, &refined, kernel).unwrap(),
                    );
                    assert!((a.cost - b.cost).abs() <= 1e-12 * a.cost.abs().max(1.0));
                    cases += 1;
                }
                let options = |split| SolveOptions {
                    levels: Some(levels),
                    split,
                    ..SolveOptions::default()
                };
                let (a, b) = (
                    solve(&problem, &options(false)).unwrap(),
                    solve(&problem, &options(true)).unwrap(),
                );
                for (x, y) in a.pass_objectives.iter().zip(&b.pass_objectives) {
                    assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{x} vs {y}");
                }
            }
        }
        assert_eq!(cases, 5 * 5 * 4);
    }

    /// A knot that no grid path reaches is named from either side of the middle.
    #[test]
    fn split_dp_names_an_unreachable_knot() {
        let pair = synthetic::warped_pair(&mut 3, 9, 1).unwrap();
        let problem = Problem::builder(pair.x().clone(), pair.y().clone())
            .slope_max(1.5)
            .build()
            .unwrap();
        let mut layers = initial_layers(&problem, 10);
        // Knot 6 (after the middle knot 4) only at its upper bound, knot 7 only at its lower.
        let intervals = problem.feasible_intervals();
        layers[6] = Layer::uniform(intervals[6].1, intervals[6].1, 1);
        layers[7] = Layer::uniform(intervals[7].0, intervals[7].0, 1);
        for solver in [solve_layers, solve_layers_split] {
            match solver(&problem, &layers, Kernel::Envelope) {
                Err(Error::Infeasible { knot, .. }) => assert!(knot == 6 || knot == 7, "{knot}"),
                other => panic!("expected an infeasible knot, got {other:?}"),
            }
        }
    }

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
