//! `decdtw demo`: align a built-in pair whose true warp is known, report how well the warp
//! was recovered, and write the JSON result and the figure.
//!
//! x has three features made of sines and bumps, sampled at `N` uniform times on `[0, 1]`.
//! y is x seen through the smooth monotone time change `g(τ) = τ + A sin(2πτ)`, i.e.
//! `y(τ) = x(g(τ))`, plus Gaussian noise; the warp that matches x's time t to y's time is
//! therefore `φ_true = g⁻¹`.

use super::plot::{self, Figure};
use super::report::{self, PairResult, Report, Solved};
use super::settings::SolveArgs;
use super::Failure;
use clap::Args;
use decdtw::signal::uniform_times;
use decdtw::{solve, Signal};
use serde::Serialize;
use std::f64::consts::TAU;
use std::path::PathBuf;

/// Arguments of `decdtw demo`.
#[derive(Debug, Args, Serialize)]
pub struct DemoArgs {
    /// Directory to write demo.json and demo.png into (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub output_dir: PathBuf,
    #[command(flatten)]
    #[serde(flatten)]
    pub solve: SolveArgs,
}

/// Samples of each signal.
const N: usize = 200;
/// Features.
const D: usize = 3;
/// Amplitude `A` of the time change (its slope stays within `1 ± 2πA`).
const WARP_AMPLITUDE: f64 = 0.08;
/// Standard deviation of the noise added to y.
const NOISE: f64 = 0.05;
const SEED: u64 = 20230501;

/// Runs `decdtw demo`.
pub fn run(args: &DemoArgs) -> Result<(), Failure> {
    let dir = &args.output_dir;
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::Usage(format!("{}: cannot create: {e}", dir.display())))?;
    let (json_path, plot_path) = (dir.join("demo.json"), dir.join("demo.png"));

    let (x, y) = demo_pair().map_err(|e| Failure::Runtime(e.to_string()))?;
    let problem = args
        .solve
        .problem(x, y)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let options = args.solve.dp_options();
    let solution = solve(&problem, &options).map_err(|e| Failure::Runtime(e.to_string()))?;
    let solved = Solved::new(&problem, solution);

    let truth: Vec<f64> = problem.knots().iter().map(|&t| inverse_warp(t)).collect();
    let error = solved
        .phi
        .iter()
        .zip(&truth)
        .map(|(p, q)| (p - q).abs())
        .sum::<f64>()
        / truth.len() as f64;

    println!(
        "decdtw demo: x has n = {N} samples of d = {D} features on [0, 1]; y is x under the \
         time change τ + {WARP_AMPLITUDE}·sin(2πτ), plus noise of σ = {NOISE}"
    );
    println!(
        "solved with M = {} grid values per knot, {} refinements (η = {}), kernel {}, λ = {}",
        solved.levels,
        options.refinements,
        options.eta,
        options.kernel.name(),
        problem.lambda()
    );
    for (pass, f) in solved.pass_objectives.iter().enumerate() {
        println!("  pass {pass}: f = {f:.6}");
    }
    println!(
        "objective f(φ) = {:.6} in {:.1} ms",
        solved.objective,
        solved.time_seconds * 1e3
    );
    println!("mean |φ − φ_true| = {error:.5} (y's time range has length 1)");

    let title = format!(
        "decdtw demo: n = {N}, d = {D}, f(φ) = {:.5}, mean |φ − φ_true| = {error:.4}",
        solved.objective
    );
    let figure = Figure {
        problem: &problem,
        phi: &solved.phi,
        truth: Some(&truth),
        title,
    };
    plot::draw(&plot_path, &figure).map_err(Failure::Runtime)?;

    let total_time_seconds = solved.time_seconds;
    let results = [PairResult::Solved(Box::new(solved))];
    let report = Report {
        results: &results,
        total_time_seconds,
        options: args,
    };
    report::write_json(&json_path, &report).map_err(Failure::Runtime)?;
    println!("wrote {}", json_path.display());
    println!("wrote {}", plot_path.display());
    Ok(())
}

/// The demo's signals x and y (deterministic).
fn demo_pair() -> decdtw::Result<(Signal, Signal)> {
    let times = uniform_times(N);
    let x: Vec<f64> = times.iter().flat_map(|&t| features(t)).collect();
    let mut noise = Normal::new(SEED);
    let y: Vec<f64> = times
        .iter()
        .flat_map(|&tau| features(warp(tau)))
        .map(|v| v + NOISE * noise.sample())
        .collect();
    Ok((Signal::uniform(x, D)?, Signal::uniform(y, D)?))
}

/// The clean signal at time `t`: a sine, two bumps of opposite sign, a modulated sine.
fn features(t: f64) -> [f64; D] {
    let bump = |center: f64, width: f64| (-((t - center) / width).powi(2)).exp();
    [
        (TAU * 2.0 * t).sin(),
        1.5 * bump(0.3, 0.05) - bump(0.7, 0.1),
        (TAU * 5.0 * t).sin() * bump(0.5, 0.25),
    ]
}

/// The time change `g`: y's time τ shows x at time `g(τ)` (increasing, `g(0) = 0`,
/// `g(1) = 1`).
fn warp(tau: f64) -> f64 {
    tau + WARP_AMPLITUDE * (TAU * tau).sin()
}

/// `g⁻¹(t)` by bisection on `[0, 1]`: the true warp at x's time `t`.
fn inverse_warp(t: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if warp(mid) < t {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Standard normal samples: SplitMix64 uniforms through the Box–Muller transform.
struct Normal {
    state: u64,
}

impl Normal {
    fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A uniform sample in `(0, 1]`.
    fn uniform(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    fn sample(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (TAU * v).cos()
    }
}
