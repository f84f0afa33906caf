//! A batch of problems laid out for the kernels (see the layout notes in `kernels.cu`): pairs
//! concatenated, per-knot and per-interval arrays, and offsets. The device solver uploads it;
//! the tests hand it to the host build of the same kernels.

use crate::dp::SolveOptions;
use crate::interpolation::Interpolation;
use crate::penalty::{FeaturePenalty, WarpPenalty};
use crate::problem::Problem;
use crate::{Error, Result};
use std::io::Write;

/// The arrays the kernels read, for one batch and one set of forward-pass settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub pairs: usize,
    /// Grid slots per knot (`M`).
    pub levels: usize,
    /// Feature dimension (the same for every pair of a batch).
    pub d: usize,
    /// Passes: the first and the refinements.
    pub passes: usize,
    pub eta: f64,
    /// Knots of pair `p`: `knot_start[p] .. knot_start[p + 1]`.
    pub knot_start: Vec<i64>,
    /// Samples of y of pair `p`: `y_start[p] .. y_start[p + 1]`.
    pub y_start: Vec<i64>,
    /// The pair of every knot.
    pub knot_pair: Vec<i64>,
    /// `x_i` at every knot (`d` values each).
    pub x_at_knots: Vec<f64>,
    pub weights: Vec<f64>,
    pub y_times: Vec<f64>,
    pub y_values: Vec<f64>,
    /// `[l_i, u_i]` of every knot.
    pub feasible: Vec<f64>,
    /// Per interval (`m_p − 1` of pair `p`): `Δt_i` and the allowed range of `φ_{i+1} − φ_i`.
    pub dt: Vec<f64>,
    pub step_min: Vec<f64>,
    pub step_max: Vec<f64>,
    /// Per pair: `λ` and the expected slope `s`.
    pub lambda: Vec<f64>,
    pub expected_slope: Vec<f64>,
}

/// Whether the kernels solve `problem`: squared Euclidean feature penalty, squared slope
/// penalty, piecewise-linear y, no cumulative term.
pub fn check_supported(problem: &Problem) -> Result<()> {
    let unsupported = |what: &str| {
        Err(Error::Device {
            reason: format!("{what} is not supported by the GPU kernels (use the CPU solver)"),
        })
    };
    if problem.feature_penalty() != FeaturePenalty::SquaredEuclidean {
        return unsupported("a feature penalty other than the squared Euclidean");
    }
    if problem.slope_penalty() != WarpPenalty::Squared {
        return unsupported("a slope penalty other than the square");
    }
    if problem.interpolation() != Interpolation::Linear {
        return unsupported("a cubic-spline y");
    }
    if problem.lambda_cum() != 0.0 {
        return unsupported("the cumulative penalty (λ_cum > 0)");
    }
    Ok(())
}

impl Batch {
    /// Lays out `problems` (all with the same `d`, each supported) for `options`.
    pub fn new(problems: &[Problem], options: &SolveOptions) -> Result<Self> {
        let first = problems.first().ok_or_else(|| Error::TooShort {
            what: "batch".into(),
            len: 0,
            min: 1,
        })?;
        let d = first.x().dim();
        let levels = problems
            .iter()
            .map(|p| options.levels_for(p))
            .max()
            .unwrap_or(2);
        if !(options.eta > 0.0 && options.eta <= 1.0) || levels < 2 {
            return Err(Error::InvalidParameter {
                what: "forward-pass settings".into(),
                reason: format!(
                    "need η in (0, 1] and M ≥ 2, got η = {}, M = {levels}",
                    options.eta
                ),
            });
        }
        let mut batch = Self {
            pairs: problems.len(),
            levels,
            d,
            passes: options.refinements + 1,
            eta: options.eta,
            knot_start: vec![0],
            y_start: vec![0],
            knot_pair: Vec::new(),
            x_at_knots: Vec::new(),
            weights: Vec::new(),
            y_times: Vec::new(),
            y_values: Vec::new(),
            feasible: Vec::new(),
            dt: Vec::new(),
            step_min: Vec::new(),
            step_max: Vec::new(),
            lambda: Vec::new(),
            expected_slope: Vec::new(),
        };
        for (p, problem) in problems.iter().enumerate() {
            check_supported(problem)?;
            if problem.x().dim() != d {
                return Err(Error::DimensionMismatch {
                    what: format!("feature dimension of pair {p} (a batch shares one d)"),
                    expected: d,
                    got: problem.x().dim(),
                });
            }
            if options.levels_for(problem) != levels {
                return Err(Error::InvalidParameter {
                    what: "levels".into(),
                    reason: "the pairs of a GPU batch share one grid size M: set it".into(),
                });
            }
            let m = problem.num_knots();
            for i in 0..m {
                batch.knot_pair.push(p as i64);
                batch.x_at_knots.extend(problem.x_at_knot(i));
                let (lo, hi) = problem.feasible_intervals()[i];
                batch.feasible.extend([lo, hi]);
            }
            batch.weights.extend_from_slice(problem.weights());
            for i in 0..m - 1 {
                let (lo, hi) = problem.step_range(i);
                batch.step_min.push(lo);
                batch.step_max.push(hi);
            }
            batch.dt.extend_from_slice(problem.dt());
            batch.y_times.extend_from_slice(problem.y().times());
            batch.y_values.extend_from_slice(problem.y().values());
            batch.lambda.push(problem.lambda());
            batch.expected_slope.push(problem.expected_slope());
            batch.knot_start.push(batch.knot_start[p] + m as i64);
            batch
                .y_start
                .push(batch.y_start[p] + problem.y().len() as i64);
        }
        Ok(batch)
    }

    /// Total knots of the batch.
    pub fn knots(&self) -> usize {
        self.knot_pair.len()
    }

    /// Longest pair's number of stages (knots − 1).
    pub fn stages(&self) -> usize {
        self.knot_start
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize - 1)
            .max()
            .unwrap_or(0)
    }

    /// The warp of every pair from the concatenated `phi`.
    pub fn split(&self, phi: &[f64]) -> Vec<Vec<f64>> {
        self.knot_start
            .windows(2)
            .map(|w| phi[w[0] as usize..w[1] as usize].to_vec())
            .collect()
    }

    /// Writes the batch in the host solver's input format: each array as its length (i64)
    /// and its values (i64 or f64), little-endian, in the order of the fields.
    pub fn write_to(&self, mut out: impl Write) -> std::io::Result<()> {
        let ints = |out: &mut dyn Write, values: &[i64]| -> std::io::Result<()> {
            out.write_all(&(values.len() as i64).to_le_bytes())?;
            values
                .iter()
                .try_for_each(|v| out.write_all(&v.to_le_bytes()))
        };
        let header = [self.pairs, self.levels, self.d, self.passes].map(|v| v as i64);
        ints(&mut out, &header)?;
        let floats = |out: &mut dyn Write, values: &[f64]| -> std::io::Result<()> {
            out.write_all(&(values.len() as i64).to_le_bytes())?;
            values
                .iter()
                .try_for_each(|v| out.write_all(&v.to_le_bytes()))
        };
        floats(&mut out, &[self.eta])?;
        for v in [&self.knot_start, &self.y_start, &self.knot_pair] {
            ints(&mut out, v)?;
        }
        for v in [
            &self.x_at_knots,
            &self.weights,
            &self.y_times,
            &self.y_values,
            &self.feasible,
            &self.dt,
            &self.step_min,
            &self.step_max,
            &self.lambda,
            &self.expected_slope,
        ] {
            floats(&mut out, v)?;
        }
        Ok(())
    }
}
