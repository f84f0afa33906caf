//! Sampled multivariate signals and their piecewise-linear interpolant.

use crate::error::{check_finite, check_increasing, Error, Result};
use num_dual::DualNum;

/// A signal: `n` samples of dimension `d` at strictly increasing times.
///
/// Values are stored row-major (`values[i * d + k]` is feature `k` of sample `i`).
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    times: Vec<f64>,
    values: Vec<f64>,
    dim: usize,
}

impl Signal {
    /// A signal with explicit sample times. Checks shapes, finiteness and that the times
    /// strictly increase; at least two samples are required.
    pub fn new(times: Vec<f64>, values: Vec<f64>, dim: usize) -> Result<Self> {
        if dim == 0 {
            return Err(Error::InvalidParameter {
                what: "signal dimension".into(),
                reason: "must be at least 1".into(),
            });
        }
        if values.len() % dim != 0 {
            return Err(Error::DimensionMismatch {
                what: format!("signal values (a multiple of dimension {dim})"),
                expected: values.len().div_ceil(dim) * dim,
                got: values.len(),
            });
        }
        let n = values.len() / dim;
        if n < 2 {
            return Err(Error::TooShort {
                what: "signal".into(),
                len: n,
                min: 2,
            });
        }
        if times.len() != n {
            return Err(Error::DimensionMismatch {
                what: "signal times (one per sample)".into(),
                expected: n,
                got: times.len(),
            });
        }
        check_finite("signal times", &times)?;
        check_finite("signal values", &values)?;
        check_increasing("signal times", &times)?;
        Ok(Self { times, values, dim })
    }

    /// A signal sampled uniformly on `[0, 1]` (the default time axis).
    pub fn uniform(values: Vec<f64>, dim: usize) -> Result<Self> {
        let n = values.len().checked_div(dim).unwrap_or(0);
        Self::new(uniform_times(n), values, dim)
    }

    /// Number of samples `n`.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Always false: a valid signal has at least two samples.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Feature dimension `d`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Sample times.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// All values, row-major `n × d`.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Sample `i` (a `d`-vector).
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    /// First sample time.
    pub fn start(&self) -> f64 {
        self.times[0]
    }

    /// Last sample time.
    pub fn end(&self) -> f64 {
        self.times[self.times.len() - 1]
    }

    /// The segment `j` with `t_j ≤ τ < t_{j+1}` that the interpolant uses at `τ`; times
    /// before the start use the first segment, times at or after the end the last one.
    /// At a sample time this is the right-hand segment (the left one at the very end).
    pub fn segment(&self, tau: f64) -> usize {
        segment_of(&self.times, tau)
    }

    /// The piecewise-linear interpolant `y(τ) = (1 − α) Y_j + α Y_{j+1}` at `τ` (extended
    /// linearly beyond the ends).
    pub fn value_at(&self, tau: f64) -> Vec<f64> {
        let mut out = vec![0.0; self.dim];
        interpolate(&self.times, &self.values, &tau, &mut out);
        out
    }
}

/// `n` uniform times on `[0, 1]`.
pub fn uniform_times(n: usize) -> Vec<f64> {
    if n < 2 {
        return vec![0.0; n];
    }
    let h = 1.0 / (n - 1) as f64;
    (0..n)
        .map(|i| if i + 1 == n { 1.0 } else { i as f64 * h })
        .collect()
}

/// The segment of the piecewise-linear interpolant on `times` used at `tau` (see
/// [`Signal::segment`]).
pub(crate) fn segment_of(times: &[f64], tau: f64) -> usize {
    let last = times.len() - 2;
    times
        .partition_point(|&t| t <= tau)
        .saturating_sub(1)
        .min(last)
}

/// Piecewise-linear interpolation of row-major samples `values` (`n × d`) at `tau`, written
/// into `out` (length `d`): `y(τ) = (1 − α) Y_j + α Y_{j+1}` with
/// `α = (τ − t_j)/(t_{j+1} − t_j)` (this form is exact at both sample times).
/// Generic over the scalar so that dual numbers flow through both `τ` and the values.
pub(crate) fn interpolate<D: DualNum<f64>>(times: &[f64], values: &[D], tau: &D, out: &mut [D]) {
    let j = segment_of(times, tau.re());
    let alpha = (tau.clone() - times[j]) / (times[j + 1] - times[j]);
    blend(values, j, alpha, out);
}

/// `out = (1 − α) V_j + α V_{j+1}` for row-major `values` with rows of length `out.len()`.
pub(crate) fn blend<D: DualNum<f64>>(values: &[D], j: usize, alpha: D, out: &mut [D]) {
    let d = out.len();
    let one_minus = -alpha.clone() + 1.0;
    for (k, o) in out.iter_mut().enumerate() {
        *o = one_minus.clone() * values[j * d + k].clone()
            + alpha.clone() * values[(j + 1) * d + k].clone();
    }
}
