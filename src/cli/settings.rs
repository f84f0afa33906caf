//! The solver settings shared by `align` and `demo`: command-line options, turned into a
//! [`Problem`] and [`SolveOptions`].

use clap::Args;
use decdtw::{
    Endpoints, FeaturePenalty, Interpolation, Kernel, PolishOptions, Problem, Signal, SolveOptions,
};
use serde::{Serialize, Serializer};

/// Options of the GDTW problem and of the forward pass (library defaults unless given).
#[derive(Debug, Clone, Args, Serialize)]
pub struct SolveArgs {
    /// Weight λ of the slope penalty.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true, value_parser = non_negative)]
    pub lambda: f64,
    /// Weight λ_cum of the cumulative penalty (0: off).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true, value_parser = non_negative)]
    pub lambda_cum: f64,
    /// Grid values per knot M [default: max(50, Ny + 1)].
    #[arg(long, value_name = "M", value_parser = at_least_two)]
    pub levels: Option<usize>,
    /// Refinement passes after the first.
    #[arg(long, default_value_t = 3)]
    pub refinements: usize,
    /// Shrink factor η of the refinement windows, in (0, 1].
    #[arg(long, default_value_t = 0.125, allow_negative_numbers = true, value_parser = unit_interval)]
    pub eta: f64,
    /// DP stage kernel: plain, windowed, monge or envelope.
    #[arg(long, value_name = "NAME", default_value = "envelope")]
    #[serde(serialize_with = "kernel_name")]
    pub kernel: Kernel,
    /// Solve each pass as two half DPs joined at the middle knot, on two of the threads: for
    /// one large pair on two or more cores.
    #[arg(long)]
    pub split: bool,
    /// Free endpoints: match x to a subsequence of y.
    #[arg(long)]
    pub subsequence: bool,
    /// Sakoe–Chiba band: |φ(t) − φ̄(t)| ≤ WIDTH, in y's time units.
    #[arg(long, value_name = "WIDTH", allow_negative_numbers = true, value_parser = non_negative)]
    pub band: Option<f64>,
    /// Smallest allowed slope of the warp [default: 0].
    #[arg(long, allow_negative_numbers = true, value_parser = not_nan)]
    pub slope_min: Option<f64>,
    /// Largest allowed slope of the warp [default: inf].
    #[arg(long, allow_negative_numbers = true, value_parser = not_nan)]
    pub slope_max: Option<f64>,
    /// Use the Huber feature penalty with threshold DELTA instead of ‖·‖².
    #[arg(long, value_name = "DELTA", allow_negative_numbers = true, value_parser = positive)]
    pub huber: Option<f64>,
    /// How y is read between its samples: linear, natural or not-a-knot (cubic splines).
    #[arg(long, value_name = "KIND", default_value = "linear", value_parser = |s: &str| s.parse::<Interpolation>())]
    #[serde(serialize_with = "as_text")]
    pub interpolation: Interpolation,
    /// Polish the DP answer to an exact KKT point of the NLP (adds `dp_objective` and `kkt`).
    #[arg(long)]
    pub polish: bool,
    /// Log the polish's iterations to standard error.
    #[arg(long, requires = "polish")]
    pub polish_log: bool,
}

impl SolveArgs {
    /// The problem of warping `x` onto `y` with these settings.
    pub fn problem(&self, x: Signal, y: Signal) -> decdtw::Result<Problem> {
        let mut builder = Problem::builder(x, y)
            .lambda(self.lambda)
            .lambda_cum(self.lambda_cum)
            .interpolation(self.interpolation);
        if self.subsequence {
            builder = builder.endpoints(Endpoints::Subsequence);
        }
        if let Some(width) = self.band {
            builder = builder.band(width);
        }
        if let Some(s) = self.slope_min {
            builder = builder.slope_min(s);
        }
        if let Some(s) = self.slope_max {
            builder = builder.slope_max(s);
        }
        if let Some(delta) = self.huber {
            builder = builder.feature_penalty(FeaturePenalty::Huber { delta });
        }
        builder.build()
    }

    /// The forward pass's settings.
    pub fn dp_options(&self) -> SolveOptions {
        SolveOptions {
            levels: self.levels,
            refinements: self.refinements,
            eta: self.eta,
            kernel: self.kernel,
            split: self.split,
            polish: self.polish.then(|| PolishOptions {
                log: self.polish_log,
                ..PolishOptions::default()
            }),
            ..SolveOptions::default()
        }
    }
}

fn kernel_name<S: Serializer>(kernel: &Kernel, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(kernel.name())
}

fn as_text<S: Serializer>(value: &Interpolation, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

fn not_nan(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if !v.is_nan() => Ok(v),
        _ => Err(format!("expected a number, got {s:?}")),
    }
}

fn non_negative(s: &str) -> Result<f64, String> {
    match not_nan(s)? {
        v if v.is_finite() && v >= 0.0 => Ok(v),
        v => Err(format!("must be finite and non-negative, got {v}")),
    }
}

fn positive(s: &str) -> Result<f64, String> {
    match non_negative(s)? {
        v if v > 0.0 => Ok(v),
        v => Err(format!("must be positive, got {v}")),
    }
}

fn unit_interval(s: &str) -> Result<f64, String> {
    match positive(s)? {
        v if v <= 1.0 => Ok(v),
        v => Err(format!("must lie in (0, 1], got {v}")),
    }
}

fn at_least_two(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(v) if v >= 2 => Ok(v),
        _ => Err(format!("expected an integer of at least 2, got {s:?}")),
    }
}
