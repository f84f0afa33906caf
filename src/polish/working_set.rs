//! The working set of the active-set method: which knots are held in place, which intervals
//! sit at a slope limit, and which segment of y every knot's quadratic model uses.

use crate::problem::Problem;
use serde::{Deserialize, Serialize};

/// What holds a knot in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hold {
    /// At its lower bound `b_min_i`.
    Lower,
    /// At its upper bound `b_max_i`.
    Upper,
    /// `b_min_i = b_max_i` (a pinned endpoint): an equality.
    Fixed,
    /// At the sample time `ty_j` of y, where the piecewise-linear interpolant has a kink.
    Kink(usize),
}

/// Which slope limit of an interval is active: `σ_i = s_min_i` or `σ_i = s_max_i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlopeLimit {
    Min,
    Max,
}

/// The active constraints (linearly independent by construction) and the pieces of `f`.
///
/// Intervals at a slope limit tie neighbouring knots into *runs* that move together; a run
/// holds at most one [`Hold`], which fixes all of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkingSet {
    /// Per knot: what holds it, if anything.
    pub holds: Vec<Option<Hold>>,
    /// Per interval: the active slope limit, if any.
    pub ties: Vec<Option<SlopeLimit>>,
    /// Per knot: the segment `j` of y (`ty_j ≤ φ_i ≤ ty_{j+1}`) whose model of `f` is used.
    pub segments: Vec<usize>,
}

/// Knots `first..=last`, tied by active slope limits, held by knot `hold` if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub first: usize,
    pub last: usize,
    pub hold: Option<usize>,
}

impl Run {
    pub fn knots(&self) -> std::ops::RangeInclusive<usize> {
        self.first..=self.last
    }
}

impl WorkingSet {
    /// The working set at a feasible start `φ`: pinned knots are held; exactly active slope
    /// limits tie knots as long as that keeps one hold per run; then every run without a
    /// hold that has a knot exactly at a bound is held there. (Ties before bounds: a flat
    /// stretch of the warp at a bound is then one run, not many held knots, which saves the
    /// method from swapping them one by one.) Segments follow the right-hand rule.
    pub fn at_start(problem: &Problem, phi: &[f64]) -> Self {
        let m = phi.len();
        let (lower, upper) = (problem.lower_bounds(), problem.upper_bounds());
        let holds = (0..m)
            .map(|i| (lower[i] == upper[i]).then_some(Hold::Fixed))
            .collect();
        let mut set = Self {
            holds,
            ties: vec![None; m - 1],
            segments: crate::objective::right_segments(problem, phi),
        };
        let mut run_held = set.holds[0].is_some();
        for i in 0..m - 1 {
            let next_held = set.holds[i + 1].is_some();
            let delta = phi[i + 1] - phi[i];
            let limit = [SlopeLimit::Min, SlopeLimit::Max]
                .into_iter()
                .find(|&l| (delta - tie_step(problem, i, l)).abs() <= problem.tolerance());
            if let (Some(limit), false) = (limit, run_held && next_held) {
                set.ties[i] = Some(limit);
                run_held |= next_held;
            } else {
                run_held = next_held;
            }
        }
        for run in set.runs() {
            if run.hold.is_some() {
                continue;
            }
            let at_bound = run.knots().find_map(|k| {
                if phi[k] <= lower[k] {
                    Some((k, Hold::Lower))
                } else if phi[k] >= upper[k] {
                    Some((k, Hold::Upper))
                } else {
                    None
                }
            });
            if let Some((k, hold)) = at_bound {
                set.holds[k] = Some(hold);
            }
        }
        set
    }

    /// The runs, in order.
    pub fn runs(&self) -> Vec<Run> {
        let mut runs = Vec::new();
        let mut first = 0;
        for i in 0..self.holds.len() {
            if i + 1 == self.holds.len() || self.ties[i].is_none() {
                let hold = (first..=i).find(|&k| self.holds[k].is_some());
                runs.push(Run {
                    first,
                    last: i,
                    hold,
                });
                first = i + 1;
            }
        }
        runs
    }

    /// The value a hold fixes knot `k` at.
    pub fn hold_value(&self, problem: &Problem, k: usize, hold: Hold) -> f64 {
        match hold {
            Hold::Lower | Hold::Fixed => problem.lower_bounds()[k],
            Hold::Upper => problem.upper_bounds()[k],
            Hold::Kink(j) => problem.y().times()[j],
        }
    }

    /// Puts every run exactly on its constraints: a held run at its hold, and every tied
    /// interval at its slope limit, propagated outwards from the held (or the first) knot.
    /// For a spline (no kinks) every knot's segment then follows the right-hand rule.
    pub fn snap(&mut self, problem: &Problem, phi: &mut [f64]) {
        for run in self.runs() {
            let anchor = match run.hold {
                Some(k) => {
                    phi[k] = self.hold_value(problem, k, self.holds[k].expect("held knot"));
                    k
                }
                None => run.first,
            };
            for i in anchor..run.last {
                phi[i + 1] = phi[i] + tie_step(problem, i, self.ties[i].expect("tied interval"));
            }
            for i in (run.first..anchor).rev() {
                phi[i] = phi[i + 1] - tie_step(problem, i, self.ties[i].expect("tied interval"));
            }
        }
        if !problem.interpolation().has_kinks() {
            self.segments = crate::objective::right_segments(problem, phi);
        }
    }
}

/// `φ_{i+1} − φ_i` when interval `i` sits at `limit`: `s_min_i Δt_i` or `s_max_i Δt_i`.
pub fn tie_step(problem: &Problem, i: usize, limit: SlopeLimit) -> f64 {
    let slope = match limit {
        SlopeLimit::Min => problem.slope_min()[i],
        SlopeLimit::Max => problem.slope_max()[i],
    };
    slope * problem.dt()[i]
}

/// The interior sample time `ty_j` (`0 < j < Ny − 1`) that `τ` equals exactly, if y is
/// piecewise-linear (a kink of the interpolant; a spline has none).
pub fn kink_at(problem: &Problem, tau: f64) -> Option<usize> {
    if !problem.interpolation().has_kinks() {
        return None;
    }
    let times = problem.y().times();
    let j = times.partition_point(|&t| t < tau);
    (j > 0 && j + 1 < times.len() && times[j] == tau).then_some(j)
}

/// [`kink_at`] for `τ` on segment `segment` of y (`ty_j ≤ τ ≤ ty_{j+1}`, as every knot's is in
/// the polish): only the segment's two ends can equal `τ`, so no search is needed. Falls back
/// to [`kink_at`] for `τ` off the segment.
pub fn kink_on_segment(problem: &Problem, tau: f64, segment: usize) -> Option<usize> {
    if !problem.interpolation().has_kinks() {
        return None;
    }
    let times = problem.y().times();
    let (start, end) = (times[segment], times[segment + 1]);
    let j = if tau == start {
        segment
    } else if tau == end {
        segment + 1
    } else if start < tau && tau < end {
        return None;
    } else {
        return kink_at(problem, tau);
    };
    (j > 0 && j + 1 < times.len()).then_some(j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Interpolation, Signal, SplineEnds};

    /// The kink found from a knot's segment is the one the search finds, at sample times
    /// (interior and end), inside segments, and for values off the segment given.
    #[test]
    fn kink_on_segment_equals_kink_at() {
        let x = Signal::uniform((0..9).map(|i| i as f64).collect(), 1).unwrap();
        let y = Signal::uniform((0..6).map(|i| (i * i) as f64).collect(), 1).unwrap();
        let linear = Problem::builder(x.clone(), y.clone()).build().unwrap();
        let spline = Problem::builder(x, y)
            .interpolation(Interpolation::CubicSpline(SplineEnds::Natural))
            .build()
            .unwrap();
        let times = linear.y().times().to_vec();
        let mut taus = times.clone();
        taus.extend(times.windows(2).map(|w| 0.5 * (w[0] + w[1])));
        taus.extend([f64::from_bits(times[1].to_bits() + 1), times[3] - 1e-12]);
        let mut found = 0;
        for &tau in &taus {
            for segment in 0..times.len() - 1 {
                let expected = kink_at(&linear, tau);
                assert_eq!(
                    kink_on_segment(&linear, tau, segment),
                    expected,
                    "{tau} on {segment}"
                );
                assert_eq!(kink_on_segment(&spline, tau, segment), None);
                found += usize::from(expected.is_some());
            }
        }
        assert_eq!(
            found,
            4 * (times.len() - 1),
            "interior sample times × segments"
        );
    }
}
