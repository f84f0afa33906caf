//! The DP over a run of knots, forwards (cost-to-come) or backwards (cost-to-go), and the two
//! joined at a middle knot.
//!
//! Forwards, `D_0 = n_0` and `D_{i+1}(k) = min_j D_i(j) + e_i(j, k) + n_{i+1}(k)`, with `n_i`
//! the node costs and `e_i` the edge cost of interval `i`. Backwards, `G_{m−1} = n_{m−1}` and
//! `G_i(j) = n_i(j) + min_k e_i(j, k) + G_{i+1}(k)`. A backward stage is a forward stage in
//! mirrored coordinates: with `w = −v` and the grids reversed, `v_k − v_j = w_j − w_k`, so the
//! same step and the same edge cost go from knot `i + 1` (now "previous") to knot `i`, and every
//! [`Kernel`] solves it unchanged.
//!
//! Joined at knot `h`, the optimum is `min_j D_h(j) + G_h(j) − n_h(j)`; the backward sweep
//! stops before adding `n_h`, so the sum needs no subtraction. The two halves are independent
//! and run on two threads with `rayon::join`.

use super::grid::Layer;
use super::kernel::{solve_stage, Kernel, Stage, StageScratch, UNREACHABLE};
use super::node_costs::{add_node_costs, NodeScratch};
use super::GridPath;
use crate::error::{Error, Result};
use crate::problem::Problem;

/// The result of a sweep over knots `first..=last`: the cost at its final knot (`last`
/// forwards, `first` backwards) and each knot's pointer to its neighbour on the way back.
struct Sweep {
    cost: Vec<f64>,
    /// Pointer block of knot `first + r` is `pointers[offsets[r]..offsets[r + 1]]`.
    pointers: Vec<u32>,
    offsets: Vec<usize>,
}

/// Pointer storage kept from pass to pass of a solve, so that each pass does not fault in
/// fresh pages (`Σ_i M_i` u32 per sweep).
#[derive(Debug, Default)]
pub(crate) struct PointerBuffers {
    forward: Vec<u32>,
    backward: Vec<u32>,
}

impl Sweep {
    /// A sweep over `layers` storing its pointers in `pointers` (old contents are overwritten:
    /// every stage writes all entries of its block, and the block without a stage is never
    /// read).
    fn new(layers: &[Layer], mut pointers: Vec<u32>) -> Self {
        let offsets: Vec<usize> = std::iter::once(0)
            .chain(layers.iter().scan(0, |acc, l| {
                *acc += l.len();
                Some(*acc)
            }))
            .collect();
        // Fresh memory is zeroed by the allocator, so growing needs no fill either.
        pointers.resize(offsets[layers.len()], 0);
        Self {
            cost: Vec::new(),
            pointers,
            offsets,
        }
    }

    fn block(&mut self, r: usize) -> &mut [u32] {
        &mut self.pointers[self.offsets[r]..self.offsets[r + 1]]
    }

    fn pointer(&self, r: usize, k: usize) -> usize {
        self.pointers[self.offsets[r] + k] as usize
    }

    /// Follows a forward sweep's pointers back from value `k` of knot `last` to knot 0,
    /// writing the path's indices into `indices[..=last]`.
    fn trace_back(&self, last: usize, mut k: usize, indices: &mut [usize]) {
        indices[last] = k;
        for i in (1..=last).rev() {
            k = self.pointer(i, k);
            indices[i - 1] = k;
        }
    }
}

/// The first index of the smallest value and the value (`(0, +∞)` if all are `+∞`).
fn leftmost_minimum(values: impl Iterator<Item = f64>) -> (usize, f64) {
    values.enumerate().fold(
        (0, f64::INFINITY),
        |acc, (k, c)| if c < acc.1 { (k, c) } else { acc },
    )
}

/// The error for a knot that no grid path reaches.
fn infeasible(problem: &Problem, knot: usize) -> Error {
    let (lower, upper) = problem.feasible_intervals()[knot];
    Error::Infeasible {
        knot,
        time: problem.knots()[knot],
        lower,
        upper,
    }
}

/// Forwards over knots `0..=last`: `D_last` and the pointers of knots `1..=last` to their
/// predecessors (block `i`).
fn forward(
    problem: &Problem,
    layers: &[Layer],
    last: usize,
    kernel: Kernel,
    pointers: Vec<u32>,
) -> Result<Sweep> {
    let layers = &layers[..=last];
    let mut sweep = Sweep::new(layers, pointers);
    let mut scratch = NodeScratch::new(problem);
    let mut stage_scratch = StageScratch::default();
    let (mut prev, mut next, mut best) = (Vec::new(), Vec::new(), Vec::new());
    layers[0].fill(&mut prev);
    let mut cost = vec![0.0; prev.len()];
    add_node_costs(problem, 0, &prev, &mut cost, &mut scratch);
    for i in 0..last {
        // `next` holds knot i − 1's grid from the stage before: refilled unless the same (the
        // first pass's interior knots all share one grid).
        if i == 0 || layers[i + 1] != layers[i - 1] {
            layers[i + 1].fill(&mut next);
        }
        best.resize(next.len(), 0.0);
        let stage = Stage::new(problem, i, &prev, &cost, &next);
        solve_stage(
            kernel,
            &stage,
            &mut stage_scratch,
            &mut best,
            sweep.block(i + 1),
        );
        if best.iter().all(|c| *c == f64::INFINITY) {
            return Err(infeasible(problem, i + 1));
        }
        // D_{i+1} = stage minimum + node cost, in place.
        add_node_costs(problem, i + 1, &next, &mut best, &mut scratch);
        std::mem::swap(&mut cost, &mut best);
        std::mem::swap(&mut prev, &mut next);
    }
    sweep.cost = cost;
    Ok(sweep)
}

/// `out = reversed(−values)`: a grid in mirrored coordinates.
fn mirror(values: &[f64], out: &mut Vec<f64>) {
    out.clear();
    out.extend(values.iter().rev().map(|v| -v));
}

/// Backwards over knots `first..=m−1`: `G_first − n_first` (in the grid's own order) and the
/// pointers of knots `first..m−1` to their successors (block `i − first`).
fn backward(
    problem: &Problem,
    layers: &[Layer],
    first: usize,
    kernel: Kernel,
    pointers: Vec<u32>,
) -> Result<Sweep> {
    let m = layers.len();
    let mut sweep = Sweep::new(&layers[first..], pointers);
    let mut scratch = NodeScratch::new(problem);
    let mut stage_scratch = StageScratch::default();
    let (mut values, mut prev, mut next) = (Vec::new(), Vec::new(), Vec::new());
    let (mut best, mut arg) = (Vec::new(), Vec::new());
    layers[m - 1].fill(&mut values);
    let mut cost = vec![0.0; values.len()];
    add_node_costs(problem, m - 1, &values, &mut cost, &mut scratch);
    mirror(&values, &mut prev);
    // Cost-to-go of the knot after the stage, in mirrored order.
    let mut prev_cost: Vec<f64> = cost.iter().rev().copied().collect();
    for i in (first..m - 1).rev() {
        layers[i].fill(&mut values);
        mirror(&values, &mut next);
        best.resize(next.len(), 0.0);
        arg.resize(next.len(), 0);
        let stage = Stage::new(problem, i, &prev, &prev_cost, &next);
        solve_stage(kernel, &stage, &mut stage_scratch, &mut best, &mut arg);
        if best.iter().all(|c| *c == f64::INFINITY) {
            return Err(infeasible(problem, i));
        }
        // Back to the grids' own order: row `j` is mirrored row `len − 1 − j`, and so is the
        // successor index.
        let (len, len_after) = (next.len(), prev.len());
        for (pointer, &a) in sweep.block(i - first).iter_mut().zip(arg.iter().rev()) {
            *pointer = match a {
                UNREACHABLE => UNREACHABLE,
                a => (len_after - 1 - a as usize) as u32,
            };
        }
        cost.clear();
        cost.extend(best.iter().rev());
        if i > first {
            add_node_costs(problem, i, &values, &mut cost, &mut scratch);
        }
        debug_assert_eq!(cost.len(), len);
        prev_cost.clear();
        prev_cost.extend(cost.iter().rev());
        std::mem::swap(&mut prev, &mut next);
    }
    sweep.cost = cost;
    Ok(sweep)
}

/// The DP optimum over `layers` (at least 3 knots), its two halves solved on two threads and
/// joined at the middle knot.
pub(crate) fn solve_split(
    problem: &Problem,
    layers: &[Layer],
    kernel: Kernel,
    buffers: &mut PointerBuffers,
) -> Result<GridPath> {
    let m = layers.len();
    debug_assert!(m >= 3);
    let middle = (m - 1) / 2;
    let (forward_pointers, backward_pointers) = (
        std::mem::take(&mut buffers.forward),
        std::mem::take(&mut buffers.backward),
    );
    let (before, after) = rayon::join(
        || forward(problem, layers, middle, kernel, forward_pointers),
        || backward(problem, layers, middle, kernel, backward_pointers),
    );
    let (before, after) = (before?, after?);
    let (mut k, total) = leftmost_minimum(before.cost.iter().zip(&after.cost).map(|(a, b)| a + b));
    if total == f64::INFINITY {
        return Err(infeasible(problem, middle));
    }
    let mut indices = vec![0; m];
    before.trace_back(middle, k, &mut indices);
    for i in middle..m - 1 {
        k = after.pointer(i - middle, k);
        indices[i + 1] = k;
    }
    (buffers.forward, buffers.backward) = (before.pointers, after.pointers);
    Ok(GridPath::new(layers, indices, total))
}

/// The DP optimum over `layers`, one forward sweep.
pub(crate) fn solve_sequential(
    problem: &Problem,
    layers: &[Layer],
    kernel: Kernel,
    buffers: &mut PointerBuffers,
) -> Result<GridPath> {
    let m = layers.len();
    let pointers = std::mem::take(&mut buffers.forward);
    let sweep = forward(problem, layers, m - 1, kernel, pointers)?;
    let (k, total) = leftmost_minimum(sweep.cost.iter().copied());
    let mut indices = vec![0; m];
    sweep.trace_back(m - 1, k, &mut indices);
    buffers.forward = sweep.pointers;
    Ok(GridPath::new(layers, indices, total))
}
