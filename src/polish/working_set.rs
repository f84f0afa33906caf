//! The working set of the active-set method: which knots are held in place, which intervals
//! sit at a slope limit, and which segment of y every knot's quadratic model uses.

use super::model::PieceModel;
use super::multipliers::{releases, Constraint, Release};
use crate::objective::objective;
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
    /// method from swapping them one by one.) Segments follow the right-hand rule. Last, every
    /// run still free with a knot exactly at an interior sample time of y is held there,
    /// unless `f` falls when it leaves (a negative release rate): then it starts on the
    /// segment on that side. (Otherwise such a run costs the method a step of length zero.)
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
        set.hold_at_kinks(problem, phi);
        set
    }

    /// The last step of [`Self::at_start`]: free runs at a kink of y held there, or moved onto
    /// the segment on the side where `f` falls fastest.
    fn hold_at_kinks(&mut self, problem: &Problem, phi: &[f64]) {
        let at_kinks: Vec<(usize, usize)> = self
            .runs()
            .iter()
            .filter(|run| run.hold.is_none())
            .filter_map(|run| {
                run.knots()
                    .find_map(|k| kink_at(problem, phi[k]).map(|j| (k, j)))
            })
            .collect();
        if at_kinks.is_empty() {
            return;
        }
        let mut new = vec![false; phi.len()];
        for &(k, j) in &at_kinks {
            self.holds[k] = Some(Hold::Kink(j));
            new[k] = true;
        }
        let model = PieceModel::evaluate(problem, phi, &self.segments);
        // The steepest way off each new hold, if any lowers f.
        let mut leave: Vec<Option<Release>> = vec![None; phi.len()];
        for release in releases(self, &model, phi, problem) {
            if let Some(Constraint::Kink { knot, .. }) = release.constraint {
                let steeper = leave[knot].as_ref().is_none_or(|r| release.rate < r.rate);
                if new[knot] && release.rate < 0.0 && steeper {
                    leave[knot] = Some(release);
                }
            }
        }
        for (knot, release) in leave.into_iter().enumerate() {
            if let Some(release) = release {
                self.holds[knot] = None;
                self.move_off_kinks(problem, phi, &release);
            }
        }
    }

    /// Puts the knots of `release` that sit at a kink of y onto the segment on the side it
    /// moves them to.
    pub(crate) fn move_off_kinks(&mut self, problem: &Problem, phi: &[f64], release: &Release) {
        for k in release.knots.clone() {
            if let Some(j) = kink_at(problem, phi[k]) {
                self.segments[k] = if release.up { j } else { j - 1 };
            }
        }
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

/// A start for the polish from `phi`: every knot within `radius` of an interior sample time
/// of y (and inside its bounds) moves onto it, unless the result violates a constraint or has
/// a higher `f` than `phi`; then `phi` itself. The start's working set
/// ([`WorkingSet::at_start`]) then holds the runs at a sample time where `f` rises both ways
/// and lets the others leave it on the side where `f` falls. A DP's warp has many knots within
/// a grid step of a sample time of y at which the optimum rests; from the warp as given, the
/// active-set method would reach each with a step of its own.
pub fn kink_start(problem: &Problem, phi: &[f64], radius: f64) -> Vec<f64> {
    let usable = phi.len() == problem.num_knots() && phi.iter().all(|v| v.is_finite());
    let positive = radius > 0.0; // and not NaN
    if !problem.interpolation().has_kinks() || !positive || !usable {
        return phi.to_vec();
    }
    let times = problem.y().times();
    let interior = 1..times.len().saturating_sub(1);
    let (lower, upper) = (problem.lower_bounds(), problem.upper_bounds());
    let mut start = phi.to_vec();
    for (k, tau) in start.iter_mut().enumerate() {
        let after = times.partition_point(|&t| t < *tau);
        let nearest = [after.wrapping_sub(1), after]
            .into_iter()
            .filter(|j| interior.contains(j))
            .min_by(|&a, &b| (times[a] - *tau).abs().total_cmp(&(times[b] - *tau).abs()));
        if let Some(j) = nearest {
            if (times[j] - *tau).abs() <= radius && lower[k] <= times[j] && times[j] <= upper[k] {
                *tau = times[j];
            }
        }
    }
    let no_worse = match (objective(problem, &start), objective(problem, phi)) {
        (Ok(new), Ok(old)) => new <= old,
        _ => false,
    };
    if no_worse && problem.constraint_violation(&start) <= problem.tolerance() {
        start
    } else {
        phi.to_vec()
    }
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

    /// A random-walk pair: rough signals, whose optimal warp rests at many sample times of y.
    fn walk_problem() -> Problem {
        crate::synthetic::random_pair(&mut 5, 100, 2).unwrap()
    }

    /// A pair of two-channel waves: smooth signals, whose optimal warp rests at no sample time.
    fn wave_problem() -> Problem {
        let xs: Vec<f64> = (0..120).map(|i| (i as f64 * 0.21).sin()).collect();
        let ys: Vec<f64> = (0..140).map(|i| (i as f64 * 0.17).cos() * 1.3).collect();
        let x = Signal::uniform(xs, 2).unwrap();
        let y = Signal::uniform(ys, 2).unwrap();
        Problem::builder(x, y).lambda(0.05).build().unwrap()
    }

    /// The DP's warp at the default settings and the spacing of its grid.
    fn dp_warp(problem: &Problem) -> (Vec<f64>, f64) {
        let solution = crate::solve(problem, &crate::SolveOptions::default()).unwrap();
        (solution.phi, solution.grid_spacing)
    }

    /// The kink start moves knots exactly onto interior sample times within the radius, keeps
    /// the warp feasible and lowers `f`; the start's working set holds the knots at a kink
    /// where `f` rises both ways, and puts the others on the segment where it falls.
    #[test]
    fn kink_start_moves_knots_onto_kinks_and_at_start_holds_the_minimisers() {
        let problem = walk_problem();
        let (phi, spacing) = dp_warp(&problem);
        let start = kink_start(&problem, &phi, spacing);
        let times = problem.y().times();
        let interior = &times[1..times.len() - 1];
        let moved: Vec<usize> = (0..phi.len()).filter(|&k| start[k] != phi[k]).collect();
        assert!(moved.len() >= 10, "moved {} knots", moved.len());
        for &k in &moved {
            assert!(interior.contains(&start[k]), "knot {k} at {}", start[k]);
            assert!((start[k] - phi[k]).abs() <= spacing, "knot {k}");
        }
        assert!(objective(&problem, &start).unwrap() <= objective(&problem, &phi).unwrap());
        assert!(problem.constraint_violation(&start) <= problem.tolerance());
    }

    /// At the start, a run at a kink of y is held there where `f` rises both ways along it,
    /// and otherwise starts on the segment where `f` falls. Checked on the kink start of a DP
    /// warp of a random-walk pair (knots the optimum holds) and on the polished warp of a
    /// smooth pair with free knots moved onto their nearest sample time (they must leave it
    /// towards where they were).
    #[test]
    fn at_start_holds_runs_at_kinks_only_where_f_rises_both_ways() {
        let walk = walk_problem();
        let (phi, spacing) = dp_warp(&walk);
        let wave = wave_problem();
        let (wave_phi, _) = dp_warp(&wave);
        let polished = crate::polish(&wave, &wave_phi, &crate::PolishOptions::default()).unwrap();
        let times = wave.y().times();
        let mut moved_free = polished.phi.clone();
        let mut expected_side = vec![];
        for k in (2..wave_phi.len() - 2).step_by(5) {
            let (tau, prev, next) = (moved_free[k], moved_free[k - 1], moved_free[k + 1]);
            let j = times.partition_point(|&t| t < tau);
            let free = polished.working_set.holds[k].is_none() && kink_at(&wave, tau).is_none();
            // The nearest sample time, if moving there keeps the warp increasing.
            let target = [j.saturating_sub(1), j.min(times.len() - 1)]
                .into_iter()
                .min_by(|&a, &b| (times[a] - tau).abs().total_cmp(&(times[b] - tau).abs()))
                .filter(|&t| free && 0 < t && t + 1 < times.len())
                .filter(|&t| prev < times[t] && times[t] < next);
            if let Some(t) = target {
                moved_free[k] = times[t];
                expected_side.push((k, t, tau > times[t]));
            }
        }
        assert!(expected_side.len() >= 5, "moved {}", expected_side.len());
        let (mut held, mut left) = (0, 0);
        for (problem, start) in [
            (&walk, kink_start(&walk, &phi, spacing)),
            (&wave, moved_free),
        ] {
            let set = WorkingSet::at_start(problem, &start);
            let model = PieceModel::evaluate(problem, &start, &set.segments);
            for run in set.runs() {
                let Some((k, j)) = run
                    .knots()
                    .find_map(|k| kink_at(problem, start[k]).map(|j| (k, j)))
                else {
                    continue;
                };
                let rate = |up| run.knots().map(|i| model.knot_rate(i, up).0).sum::<f64>();
                let (up, down) = (rate(true), rate(false));
                match run.hold.map(|h| (h, set.holds[h])) {
                    Some((h, Some(Hold::Kink(at)))) => {
                        assert_eq!((h, at), (k, j));
                        assert!(up >= 0.0 && down >= 0.0, "knot {k}: {up}, {down}");
                        held += 1;
                    }
                    None => {
                        let up_side = set.segments[k] == j;
                        let rate = if up_side { up } else { down };
                        assert!(rate < 0.0, "knot {k} leaves its kink at rate {rate}");
                        if let Some(&(_, _, up)) = expected_side.iter().find(|e| e.0 == k) {
                            assert_eq!(up_side, up, "knot {k} leaves to the wrong side");
                        }
                        left += 1;
                    }
                    _ => {}
                }
            }
        }
        assert!(held >= 5 && left >= 5, "held {held}, left {left}");
    }

    /// Where it cannot help, the kink start returns the warp as given: no radius, a spline y
    /// (no kinks), a warp of the wrong length or with a NaN, or a move that would break a
    /// slope limit.
    #[test]
    fn kink_start_keeps_the_warp_where_it_cannot_help() {
        let problem = walk_problem();
        let (phi, spacing) = dp_warp(&problem);
        assert_eq!(kink_start(&problem, &phi, 0.0), phi);
        assert_eq!(kink_start(&problem, &phi, f64::NAN), phi);
        assert_eq!(kink_start(&problem, &phi[1..], spacing), &phi[1..]);
        let mut bad = phi.clone();
        bad[3] = f64::NAN;
        let kept = kink_start(&problem, &bad, spacing);
        assert!(kept[3].is_nan() && kept[..3] == phi[..3]);
        let spline = Problem::builder(problem.x().clone(), problem.y().clone())
            .interpolation(Interpolation::CubicSpline(SplineEnds::Natural))
            .build()
            .unwrap();
        assert_eq!(kink_start(&spline, &phi, spacing), phi);
        // Three knots at 0, 1/2, 1 with slopes of at least 0.99: φ_1 ∈ [0.495, 0.505]; the
        // nearest sample time of y, 6/11, is within the radius but out of that range.
        let x = Signal::uniform(vec![0.0, 1.0, 0.0], 1).unwrap();
        let y = Signal::uniform((0..12).map(|j| (j as f64 * 0.7).sin()).collect(), 1).unwrap();
        let tight = Problem::builder(x, y).slope_min(0.99).build().unwrap();
        let phi = vec![0.0, 0.503, 1.0];
        assert!(tight.constraint_violation(&phi) <= tight.tolerance());
        assert_eq!(kink_start(&tight, &phi, 0.05), phi);
    }
}
