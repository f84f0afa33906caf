//! One DP stage: for every value `v_k` of knot `i + 1`, the best predecessor `v_j` of knot `i`,
//!
//! `best[k] = min_j D_i(j) + λ Δt_i R((v_k − v_j)/Δt_i − s)`, over `j` whose slope is within
//! the limits. Three kernels compute the same minimum (the leftmost minimiser on ties, up to
//! rounding):
//! - [`Kernel::Plain`] scans every `j`: `O(M²)`, the test oracle;
//! - [`Kernel::Windowed`] scans only the slope-feasible window of each `k`, whose ends move
//!   monotonically with `k` (two pointers): `O(M · window)`;
//! - [`Kernel::Monge`] uses that the cost matrix is (staircase) Monge when `R` is convex, so the
//!   leftmost minimiser is non-decreasing in `k` over reachable rows; divide and conquer on `k`
//!   solves the stage exactly in `O(M log M)`;
//! - [`Kernel::Envelope`] reads, for `R(u) = u²`, the lower envelope of one parabola per
//!   predecessor ([`super::envelope`]) in `O(M)`; stages it does not apply to (another `R`,
//!   `λ = 0`, or an `s_max` that binds within the stage) are solved by the Monge kernel.
//!
//! The edge cost is specialised once per stage: for `R(u) = u²` it is `c (δ − b)²` with
//! `c = λ/Δt`, `b = s Δt`, so the inner loops do no division and no dispatch on the penalty.

use super::envelope::{self, Envelope};
use crate::objective::SlopeTerm;
use crate::penalty::WarpPenalty;
use crate::problem::Problem;

/// Marks a value of the next knot that no feasible predecessor reaches.
pub(crate) const UNREACHABLE: u32 = u32::MAX;

/// How one DP stage is solved (all give the same optimum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kernel {
    /// Every predecessor: `O(M²)` per stage.
    Plain,
    /// Only slope-feasible predecessors: `O(M · window)` per stage.
    Windowed,
    /// Monotone-argmin divide and conquer: `O(M log M)` per stage.
    Monge,
    /// Lower envelope of parabolas: `O(M)` per stage for the squared slope penalty where `s_max`
    /// does not bind, the Monge kernel elsewhere (the default).
    #[default]
    Envelope,
}

impl Kernel {
    /// All kernels, for tests and benchmarks.
    pub const ALL: [Kernel; 4] = [
        Kernel::Plain,
        Kernel::Windowed,
        Kernel::Monge,
        Kernel::Envelope,
    ];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Plain => "plain",
            Kernel::Windowed => "windowed",
            Kernel::Monge => "monge",
            Kernel::Envelope => "envelope",
        }
    }
}

impl std::str::FromStr for Kernel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Kernel::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!("unknown kernel {s:?} (expected plain, windowed, monge or envelope)")
            })
    }
}

/// The data of one stage, between knot `i` and knot `i + 1`.
pub(crate) struct Stage<'a> {
    slope_term: SlopeTerm,
    lambda: f64,
    /// Values `v_j` of knot `i` (non-decreasing).
    prev: &'a [f64],
    /// Cost-to-come `D_i(j)` (`+∞` where unreachable).
    prev_cost: &'a [f64],
    /// Values `v_k` of knot `i + 1` (non-decreasing).
    next: &'a [f64],
    /// Allowed range of `v_k − v_j` ([`Problem::step_range`]).
    step_min: f64,
    step_max: f64,
}

impl<'a> Stage<'a> {
    pub fn new(
        problem: &'a Problem,
        interval: usize,
        prev: &'a [f64],
        prev_cost: &'a [f64],
        next: &'a [f64],
    ) -> Self {
        let (step_min, step_max) = problem.step_range(interval);
        Self {
            slope_term: SlopeTerm::new(problem, interval),
            lambda: problem.lambda(),
            prev,
            prev_cost,
            next,
            step_min,
            step_max,
        }
    }

    /// Leftmost minimiser of row `k` over `j ∈ [from, to)`, all of whose slopes are allowed:
    /// `min_j D_i(j) + edge(v_k − v_j)` (`+∞` if no `j` is reachable).
    #[inline]
    fn scan_window(
        &self,
        edge: &impl Fn(f64) -> f64,
        k: usize,
        from: usize,
        to: usize,
    ) -> (f64, u32) {
        let v = self.next[k];
        let mut best = (f64::INFINITY, UNREACHABLE);
        for (j, (&cost, &u)) in self.prev_cost[from..to]
            .iter()
            .zip(&self.prev[from..to])
            .enumerate()
        {
            let c = cost + edge(v - u);
            if c < best.0 {
                best = (c, (from + j) as u32);
            }
        }
        best
    }

    /// [`Self::scan_window`] for long windows (the Monge kernel's first levels): four
    /// interleaved running minima, so that the comparisons do not wait on each other. Each
    /// lane keeps its leftmost minimiser and ties between lanes go to the smaller `j`, so the
    /// result is the same. Kept out of line: inlined, it slows the short scans down.
    #[inline(never)]
    fn scan_long_window(
        &self,
        edge: &impl Fn(f64) -> f64,
        k: usize,
        from: usize,
        to: usize,
    ) -> (f64, u32) {
        const LANES: usize = 4;
        let v = self.next[k];
        let (costs, values) = (&self.prev_cost[from..to], &self.prev[from..to]);
        let (cost_chunks, value_chunks) = (costs.chunks_exact(LANES), values.chunks_exact(LANES));
        let whole = costs.len() - cost_chunks.remainder().len();
        let mut lane_best = [f64::INFINITY; LANES];
        let mut lane_arg = [0usize; LANES];
        for (chunk, (cs, us)) in cost_chunks.zip(value_chunks).enumerate() {
            for lane in 0..LANES {
                let c = cs[lane] + edge(v - us[lane]);
                if c < lane_best[lane] {
                    (lane_best[lane], lane_arg[lane]) = (c, chunk * LANES + lane);
                }
            }
        }
        let mut best = self.scan_window(edge, k, from + whole, to);
        for lane in 0..LANES {
            let (c, j) = (lane_best[lane], (from + lane_arg[lane]) as u32);
            if c < best.0 || (c == best.0 && c < f64::INFINITY && j < best.1) {
                best = (c, j);
            }
        }
        best
    }

    /// Leftmost minimiser of row `k` over every `j`, checking each slope (the plain kernel).
    fn scan_all(&self, edge: &impl Fn(f64) -> f64, k: usize) -> (f64, u32) {
        let mut best = (f64::INFINITY, UNREACHABLE);
        for j in 0..self.prev.len() {
            let delta = self.next[k] - self.prev[j];
            if !(self.step_min <= delta && delta <= self.step_max) {
                continue;
            }
            let c = self.prev_cost[j] + edge(delta);
            if c < best.0 {
                best = (c, j as u32);
            }
        }
        best
    }

    /// For each `k`, the half-open range of `j` whose slope is within the limits. Since
    /// `v_k − v_j` falls with `j` and rises with `k`, both ends are non-decreasing in `k`.
    fn windows(&self, out: &mut Vec<(usize, usize)>) {
        out.clear();
        let (step_min, step_max) = (self.step_min, self.step_max);
        let m = self.prev.len();
        let (mut lo, mut hi) = (0, 0);
        for &v in self.next {
            while lo < m && v - self.prev[lo] > step_max {
                lo += 1;
            }
            hi = hi.max(lo);
            while hi < m && v - self.prev[hi] >= step_min {
                hi += 1;
            }
            out.push((lo, hi));
        }
    }
}

/// Buffers a stage reuses from the one before.
#[derive(Debug, Default)]
pub(crate) struct StageScratch {
    /// Slope-feasible window of every row.
    windows: Vec<(usize, usize)>,
    /// The envelope kernel's pieces.
    envelope: Envelope,
}

/// Solves one stage with `kernel`: `best[k]` and `arg[k]` (`UNREACHABLE` if `best[k] = +∞`).
pub(crate) fn solve_stage(
    kernel: Kernel,
    stage: &Stage,
    scratch: &mut StageScratch,
    best: &mut [f64],
    arg: &mut [u32],
) {
    let term = stage.slope_term;
    let windows = &mut scratch.windows;
    match term.penalty() {
        WarpPenalty::Squared => {
            let (c, b) = (stage.lambda / term.dt(), term.expected_slope() * term.dt());
            if kernel == Kernel::Envelope
                && c > 0.0
                && envelope::applies(stage.prev, stage.next, stage.step_max)
            {
                return envelope::envelope_rows(
                    stage.prev,
                    stage.prev_cost,
                    stage.next,
                    c,
                    b,
                    stage.step_min,
                    &mut scratch.envelope,
                    best,
                    arg,
                );
            }
            let edge = move |step: f64| {
                let u = step - b;
                c * u * u
            };
            solve_stage_with(kernel, stage, &edge, windows, best, arg)
        }
        _ => {
            let lambda = stage.lambda;
            let edge = move |step: f64| term.cost(&lambda, step);
            solve_stage_with(kernel, stage, &edge, windows, best, arg)
        }
    }
}

fn solve_stage_with(
    kernel: Kernel,
    stage: &Stage,
    edge: &impl Fn(f64) -> f64,
    windows: &mut Vec<(usize, usize)>,
    best: &mut [f64],
    arg: &mut [u32],
) {
    match kernel {
        Kernel::Plain => {
            for k in 0..stage.next.len() {
                (best[k], arg[k]) = stage.scan_all(edge, k);
            }
        }
        Kernel::Windowed => {
            stage.windows(windows);
            for (k, &(lo, hi)) in windows.iter().enumerate() {
                (best[k], arg[k]) = stage.scan_window(edge, k, lo, hi);
            }
        }
        Kernel::Monge | Kernel::Envelope => {
            stage.windows(windows);
            monge_rows(
                stage,
                edge,
                windows,
                0,
                stage.next.len(),
                0,
                stage.prev.len(),
                best,
                arg,
            );
        }
    }
}

/// Rows `k ∈ [k0, k1)`, whose leftmost minimisers are known to lie in `[j0, j1)`.
///
/// The middle row is scanned; if it is reachable its minimiser splits the column range
/// (monotonicity). If not, rows above can only use columns before its window's end and rows
/// below only columns from its window's start on.
#[allow(clippy::too_many_arguments)]
fn monge_rows(
    stage: &Stage,
    edge: &impl Fn(f64) -> f64,
    windows: &[(usize, usize)],
    k0: usize,
    k1: usize,
    j0: usize,
    j1: usize,
    best: &mut [f64],
    arg: &mut [u32],
) {
    if k0 >= k1 {
        return;
    }
    let mid = (k0 + k1) / 2;
    let (lo, hi) = windows[mid];
    let (from, to) = (lo.max(j0), hi.min(j1));
    // Below this length the lanes' set-up costs more than it saves.
    const LONG_WINDOW: usize = 32;
    (best[mid], arg[mid]) = if to >= from + LONG_WINDOW {
        stage.scan_long_window(edge, mid, from, to)
    } else {
        stage.scan_window(edge, mid, from, to.max(from))
    };
    let (upper_end, lower_start) = if arg[mid] == UNREACHABLE {
        (hi.min(j1), lo.max(j0))
    } else {
        (arg[mid] as usize + 1, arg[mid] as usize)
    };
    monge_rows(stage, edge, windows, k0, mid, j0, upper_end, best, arg);
    monge_rows(
        stage,
        edge,
        windows,
        mid + 1,
        k1,
        lower_start,
        j1,
        best,
        arg,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Problem, Signal};

    #[test]
    fn lane_scan_equals_plain_scan_with_ties_and_unreachable_values() {
        let signal = || Signal::uniform(vec![0.0, 1.0, 0.5, 0.2], 1).unwrap();
        let problem = Problem::builder(signal(), signal()).build().unwrap();
        let m = 203;
        let prev: Vec<f64> = (0..m).map(|j| (j / 3) as f64 / m as f64).collect();
        let mut seed = 7u64;
        let prev_cost: Vec<f64> = (0..m)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                match seed >> 61 {
                    0 => f64::INFINITY,
                    // Few distinct costs, so that exact ties between lanes occur.
                    r => r as f64 * 0.25,
                }
            })
            .collect();
        let next: Vec<f64> = (0..m).map(|k| k as f64 / m as f64).collect();
        let stage = Stage {
            slope_term: SlopeTerm::new(&problem, 0),
            lambda: 0.0,
            prev: &prev,
            prev_cost: &prev_cost,
            next: &next,
            step_min: f64::NEG_INFINITY,
            step_max: f64::INFINITY,
        };
        let edge = |_: f64| 0.0;
        let mut compared = 0;
        for k in (0..m).step_by(17) {
            for (from, to) in [(0, m), (3, 150), (40, 77), (100, 203), (5, 9)] {
                let long = stage.scan_long_window(&edge, k, from, to);
                assert_eq!(long, stage.scan_window(&edge, k, from, to), "{from}..{to}");
                compared += 1;
            }
        }
        assert!(compared > 50);
    }
}
