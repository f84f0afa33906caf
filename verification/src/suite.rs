//! The verification suite as one run: every check of this crate over a set of problems (the
//! built-in ones, or the user's own), summarised per check as the worst relative error, where
//! it occurred, and pass/fail against a stated tolerance; as a Markdown table and as JSON.

use crate::derivatives::check_derivatives;
use crate::enumeration::dp_gap;
use crate::finite_differences::{check_direction, Outcome};
use crate::jacobian::{dense_jacobian, Input};
use crate::kernels::compare_kernels;
use crate::random::{random_problem, Config, Rng};
use crate::relative_error_with_floor;
use decdtw::{solve, vjp, PolishOptions, Problem, SolveOptions};
use serde::Serialize;

/// A problem with a name for the report.
#[derive(Debug, Clone)]
pub struct NamedProblem {
    pub name: String,
    pub problem: Problem,
}

/// One check's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckSummary {
    pub check: &'static str,
    pub tolerance: f64,
    /// Worst relative error over all comparisons (0 if none).
    pub worst: f64,
    /// Where the worst error occurred.
    pub worst_at: String,
    pub compared: usize,
    /// Comparisons that could not be made, e.g. steps that change the active set.
    pub skipped: usize,
    pub passed: bool,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub problems: usize,
    pub checks: Vec<CheckSummary>,
    pub seconds: f64,
}

impl Report {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The report as a Markdown table.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "{} problems, {:.1} s\n\n| check | tolerance | worst | where | compared | skipped | result |\n| --- | ---: | ---: | --- | ---: | ---: | --- |\n",
            self.problems, self.seconds
        );
        for c in &self.checks {
            out += &format!(
                "| {} | {:.0e} | {:.1e} | {} | {} | {} | {} |\n",
                c.check,
                c.tolerance,
                c.worst,
                c.worst_at,
                c.compared,
                c.skipped,
                if c.passed { "pass" } else { "**FAIL**" }
            );
        }
        out
    }
}

/// A running summary of one check.
struct Tally(CheckSummary);

impl Tally {
    fn new(check: &'static str, tolerance: f64) -> Self {
        Tally(CheckSummary {
            check,
            tolerance,
            worst: 0.0,
            worst_at: String::new(),
            compared: 0,
            skipped: 0,
            passed: true,
        })
    }

    fn record(&mut self, error: f64, at: impl FnOnce() -> String) {
        self.0.compared += 1;
        // NaN counts as the worst possible error.
        let error = if error.is_nan() { f64::INFINITY } else { error };
        if error > self.0.worst || self.0.worst_at.is_empty() {
            self.0.worst = self.0.worst.max(error);
            self.0.worst_at = at();
        }
        self.0.passed &= error <= self.0.tolerance;
    }

    fn skip(&mut self) {
        self.0.skipped += 1;
    }
}

/// The built-in problems: random problems exercising every kind of constraint (both modes,
/// bands, bounds, slope limits, Huber penalties, non-uniform times, linear and spline y), and tiny ones for the
/// exhaustive enumeration. `full` makes more and larger ones.
pub fn builtin_problems(full: bool) -> Vec<NamedProblem> {
    let (count, largest) = if full { (240, 80) } else { (30, 30) };
    let configs = [
        Config::default(),
        Config {
            nx: (8, largest),
            ny: (8, largest),
            d: (1, 4),
            p_feature: 0.5,
            ..Config::default()
        },
    ];
    (0..count as u64)
        .map(|seed| {
            let case = random_problem(seed, &configs[seed as usize % 2]);
            let interpolation = case.problem.interpolation();
            NamedProblem {
                name: format!("random {} ({interpolation} y)", case.seed),
                problem: case.problem,
            }
        })
        .collect()
}

/// Runs every check on every problem.
pub fn run(problems: &[NamedProblem], progress: &mut dyn FnMut(usize, usize)) -> Report {
    let start = std::time::Instant::now();
    let mut derivatives = Tally::new("f: hand-coded derivatives vs dual numbers", 1e-10);
    let mut kernels = Tally::new("DP: windowed, Monge and envelope kernels vs plain", 1e-12);
    let mut enumeration = Tally::new(
        "DP: optimum vs exhaustive enumeration (M = 4, m ≤ 6)",
        1e-12,
    );
    let mut descent = Tally::new("polish: f never above the DP's (relative rise)", 1e-12);
    let mut kkt = Tally::new("polish: KKT certificate (worst residual)", 1e-9);
    let mut dense = Tally::new("VJP vs dense Prop. 4.6 formula", 1e-10);
    let mut fd = Tally::new("VJP vs central differences of the solve", 1e-5);
    let options = SolveOptions {
        polish: Some(PolishOptions::default()),
        ..SolveOptions::default()
    };
    let mut rng = Rng::new(2023);
    for (index, named) in problems.iter().enumerate() {
        progress(index, problems.len());
        let (p, name) = (&named.problem, &named.name);
        let solution = match solve(p, &options) {
            Ok(s) => s,
            Err(e) => {
                kkt.record(f64::INFINITY, || format!("{name}: solve failed: {e}"));
                continue;
            }
        };
        let polished = solution.polish.clone().expect("polish asked for");
        match check_derivatives(p, &polished.phi) {
            Ok(errors) => derivatives.record(errors.worst(), || name.clone()),
            Err(e) => derivatives.record(f64::INFINITY, || format!("{name}: {e}")),
        }
        if p.num_knots() * options.levels_for(p).pow(2) <= 4_000_000 {
            for agreement in compare_kernels(p, &SolveOptions::default()) {
                kernels.record(agreement.relative_gap(), || {
                    format!("{name}, {}", agreement.kernel.name())
                });
            }
        } else {
            kernels.skip();
        }
        match dp_gap(p, 4) {
            Some(gap) => enumeration.record(gap, || name.clone()),
            None => enumeration.skip(),
        }
        let rise =
            (polished.objective - solution.dp_objective) / solution.dp_objective.abs().max(1e-300);
        descent.record(rise.max(0.0), || name.clone());
        let c = &polished.certificate;
        let residual = if c.converged {
            [
                c.stationarity,
                c.primal_infeasibility,
                c.complementarity,
                -c.min_multiplier.unwrap_or(0.0),
            ]
            .into_iter()
            .fold(0.0, f64::max)
        } else {
            f64::INFINITY
        };
        kkt.record(residual, || name.clone());
        let v: Vec<f64> = (0..p.num_knots()).map(|_| rng.normal()).collect();
        let gradient = match vjp(p, &polished, &v) {
            Ok(g) => g,
            Err(e) => {
                dense.record(f64::INFINITY, || format!("{name}: {e}"));
                continue;
            }
        };
        for input in Input::ALL {
            match dense_jacobian(p, &polished, input) {
                Some(j) => {
                    let reference: Vec<f64> = (0..j.ncols())
                        .map(|c| (0..j.nrows()).map(|r| v[r] * j[(r, c)]).sum())
                        .collect();
                    let floor = natural_vjp_scale(p, &polished, &v, input);
                    let error = relative_error_with_floor(&input.of(&gradient), &reference, floor);
                    dense.record(error, || format!("{name}, {}", input.name()));
                }
                None => dense.skip(),
            }
            let delta = random_direction(&mut rng, p, input);
            match check_direction(p, &options, &polished, &v, &gradient, input, &delta) {
                Outcome::Compared { relative_error, .. } => {
                    fd.record(relative_error, || format!("{name}, {}", input.name()))
                }
                Outcome::Unstable(_) => fd.skip(),
                Outcome::NotApplicable(_) => {}
            }
        }
    }
    progress(problems.len(), problems.len());
    Report {
        problems: problems.len(),
        checks: [derivatives, kernels, enumeration, descent, kkt, dense, fd]
            .into_iter()
            .map(|t| t.0)
            .collect(),
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The size `vᵀDφ` has when it is not zero by structure: `Σ|v|` times `max|B| ‖H⁻¹‖` for the
/// inputs of `f`, times the unit move of a constraint value for the constraint parameters
/// (1 for bounds, `Δt` for slopes). Errors are judged relative to at least this.
pub fn natural_vjp_scale(p: &Problem, polished: &decdtw::Polished, v: &[f64], input: Input) -> f64 {
    use decdtw::objective::{hessian_on, mixed_derivatives_on};
    let (phi, segments) = (&polished.phi, &polished.working_set.segments);
    let smallest = hessian_on(p, phi, segments)
        .map(|h| h.to_dense().singular_values().min())
        .unwrap_or(f64::NAN);
    let max = |x: &[f64]| x.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    let unit = match (input, mixed_derivatives_on(p, phi, segments)) {
        (Input::X, Ok(b)) => max(&b.x.values) / smallest,
        (Input::Y, Ok(b)) => max(&b.y.samples.values) / smallest,
        (Input::Lambda, Ok(b)) => max(&b.lambda) / smallest,
        (Input::LambdaCum, Ok(b)) => max(&b.lambda_cum) / smallest,
        (Input::SlopeMin | Input::SlopeMax, _) => max(p.dt()),
        (Input::LowerBounds | Input::UpperBounds | Input::Band, _) => 1.0,
        (_, Err(_)) => f64::NAN,
    };
    v.iter().map(|x| x.abs()).sum::<f64>() * unit
}

/// A random direction for `input` (zero where the input is infinite: it cannot move).
pub fn random_direction(rng: &mut Rng, problem: &Problem, input: Input) -> Vec<f64> {
    let values: Vec<f64> = match input {
        Input::SlopeMin => problem.slope_min().to_vec(),
        Input::SlopeMax => problem.slope_max().to_vec(),
        Input::LowerBounds => problem.user_lower_bounds().to_vec(),
        Input::UpperBounds => problem.user_upper_bounds().to_vec(),
        _ => vec![0.0; input.len(problem)],
    };
    values
        .iter()
        .map(|v| if v.is_finite() { rng.normal() } else { 0.0 })
        .collect()
}
