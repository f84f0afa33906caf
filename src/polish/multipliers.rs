//! Multipliers of the working set, as release rates: for every active constraint, the rate at
//! which `f` changes when that constraint alone is released in the direction it allows
//! (keeping the others active). A KKT point has every rate `≥ 0`; a negative rate says which
//! constraint to drop. For smooth pieces the rate is the Lagrange multiplier `μ ≥ 0`; at a
//! kink of y it uses the one-sided derivative in the direction of motion, so the same test
//! decides whether a knot leaves a sample time of y, and to which side.

use super::model::PieceModel;
use super::working_set::{Hold, SlopeLimit, WorkingSet};
use crate::problem::Problem;
use serde::Serialize;

/// An active constraint of the NLP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Constraint {
    /// `φ_knot = b_min`.
    Lower { knot: usize },
    /// `φ_knot = b_max`.
    Upper { knot: usize },
    /// `b_min = φ_knot = b_max` (an equality, e.g. a pinned endpoint).
    Fixed { knot: usize },
    /// `φ_knot = ty_sample`, a kink of y.
    Kink { knot: usize, sample: usize },
    /// `σ_interval = s_min`.
    SlopeMin { interval: usize },
    /// `σ_interval = s_max`.
    SlopeMax { interval: usize },
}

/// A way to leave the working set: move `knots` together up or down.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    /// The constraint dropped (`None`: a free run crossing a kink of y).
    pub constraint: Option<Constraint>,
    pub knots: std::ops::RangeInclusive<usize>,
    pub up: bool,
    /// `∂f` along the move (negative: it lowers `f`).
    pub rate: f64,
    /// `Σ |summands|` of the gradient over `knots`, to judge the rate against.
    pub scale: f64,
}

/// The multiplier of one active constraint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Multiplier {
    pub constraint: Constraint,
    /// Release rate moving down (`None` where the constraint does not allow it).
    pub down: Option<f64>,
    /// Release rate moving up.
    pub up: Option<f64>,
    /// `Σ |summands|` of the gradient over the knots a release moves: the scale a rate is
    /// judged against.
    pub scale: f64,
}

impl Multiplier {
    /// The smallest release rate (`+∞` for an equality).
    pub fn value(&self) -> f64 {
        self.down
            .into_iter()
            .chain(self.up)
            .fold(f64::INFINITY, f64::min)
    }
}

/// Every release the working set allows at `φ` (one per direction; the releases of one
/// constraint next to each other). The rates of the knots before and after each tie are
/// accumulated from the run's ends, `O(m)` in all.
pub fn releases(
    set: &WorkingSet,
    model: &PieceModel,
    phi: &[f64],
    problem: &Problem,
) -> Vec<Release> {
    let mut out = Vec::new();
    for run in set.runs() {
        // before[s][i - first] = (rate, scale) of knots first..=i moving up (s = 1) or down (0);
        // after[s][i - first] likewise for knots i..=last.
        let accumulate = |up: bool, knots: &mut dyn Iterator<Item = usize>| -> Vec<(f64, f64)> {
            knots
                .scan((0.0, 0.0), |acc, k| {
                    let (rate, scale) = model.knot_rate(k, up);
                    *acc = (acc.0 + rate, acc.1 + scale);
                    Some(*acc)
                })
                .collect()
        };
        let before = [false, true].map(|up| accumulate(up, &mut run.knots()));
        let mut after = [false, true].map(|up| accumulate(up, &mut run.knots().rev()));
        after.iter_mut().for_each(|v| v.reverse());
        let mut push = |constraint, knots: std::ops::RangeInclusive<usize>, up: bool| {
            let (rate, scale) = if *knots.start() == run.first {
                before[up as usize][knots.end() - run.first]
            } else {
                after[up as usize][knots.start() - run.first]
            };
            out.push(Release {
                constraint,
                knots,
                up,
                rate,
                scale,
            })
        };
        match run.hold {
            Some(k) => {
                let hold = set.holds[k].expect("held knot");
                let (down, up) = match hold {
                    Hold::Lower => (false, true),
                    Hold::Upper => (true, false),
                    Hold::Fixed => (false, false),
                    Hold::Kink(_) => (true, true),
                };
                let c = hold_constraint(k, hold);
                if down {
                    push(Some(c), run.knots(), false);
                }
                if up {
                    push(Some(c), run.knots(), true);
                }
            }
            None => {
                if run
                    .knots()
                    .any(|k| super::working_set::kink_at(problem, phi[k]).is_some())
                {
                    push(None, run.knots(), false);
                    push(None, run.knots(), true);
                }
            }
        }
        for i in run.first..run.last {
            let limit = set.ties[i].expect("tied interval");
            let c = tie_constraint(i, limit);
            // Moving the knots after the tie up widens σ_i; moving those before it up narrows it.
            let widen = limit == SlopeLimit::Min;
            if run.hold.is_none_or(|k| k <= i) {
                push(Some(c), i + 1..=run.last, widen);
            }
            if run.hold.is_none_or(|k| k > i) {
                push(Some(c), run.first..=i, !widen);
            }
        }
    }
    out
}

/// The multipliers of the working set, from its releases ([`releases`] lists the one or two
/// releases of each constraint next to each other).
pub fn multipliers(set: &WorkingSet, releases: &[Release]) -> Vec<Multiplier> {
    let mut out: Vec<Multiplier> = Vec::new();
    let fixed = set
        .holds
        .iter()
        .enumerate()
        .filter(|(_, h)| **h == Some(Hold::Fixed))
        .map(|(k, _)| Multiplier {
            constraint: Constraint::Fixed { knot: k },
            down: None,
            up: None,
            scale: 0.0,
        });
    out.extend(fixed);
    for r in releases {
        let Some(c) = r.constraint else { continue };
        if out.last().is_none_or(|m| m.constraint != c) {
            out.push(Multiplier {
                constraint: c,
                down: None,
                up: None,
                scale: 0.0,
            });
        }
        let entry = out.last_mut().expect("pushed above");
        entry.scale = entry.scale.max(r.scale);
        let side = if r.up { &mut entry.up } else { &mut entry.down };
        *side = Some(side.map_or(r.rate, |v: f64| v.min(r.rate)));
    }
    debug_assert!(
        out.iter()
            .enumerate()
            .all(|(a, m)| out[..a].iter().all(|o| o.constraint != m.constraint)),
        "a constraint's releases were not next to each other"
    );
    out
}

pub fn hold_constraint(knot: usize, hold: Hold) -> Constraint {
    match hold {
        Hold::Lower => Constraint::Lower { knot },
        Hold::Upper => Constraint::Upper { knot },
        Hold::Fixed => Constraint::Fixed { knot },
        Hold::Kink(sample) => Constraint::Kink { knot, sample },
    }
}

pub fn tie_constraint(interval: usize, limit: SlopeLimit) -> Constraint {
    match limit {
        SlopeLimit::Min => Constraint::SlopeMin { interval },
        SlopeLimit::Max => Constraint::SlopeMax { interval },
    }
}
