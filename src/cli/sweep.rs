//! `decdtw sweep`: accuracy versus speed of the forward pass.
//!
//! For synthetic problems (half random-walk pairs, half warped pairs), every combination of
//! grid size `M`, refinements, `η` and kernel is timed (median of repeated runs), and its DP
//! objective compared with the polished optimum (the polish started from a much finer DP):
//! the relative gap `(f_DP − f*)/|f*|`. A second run times the default settings against `n`.
//! Writes `sweep.csv`, `scaling.csv` and the plots `frontier.{png,svg}` (gap against time,
//! with each kernel's Pareto frontier) and `scaling.{png,svg}` (time against n, log-log, with
//! fitted slopes).

use super::chart::{draw_png_and_svg, Chart, Series};
use super::progress;
use super::Failure;
use clap::Args;
use decdtw::synthetic::{random_pair, warped_pair};
use decdtw::{polish, solve, Kernel, PolishOptions, Problem, SolveOptions};
use indicatif::ProgressBar;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Folder for the CSV files and plots.
    #[arg(long, value_name = "DIR", default_value = "sweep")]
    pub out: PathBuf,
    /// Signal length n of the accuracy sweep.
    #[arg(long, default_value_t = 256)]
    pub n: usize,
    /// Feature dimension d.
    #[arg(long, default_value_t = 16)]
    pub d: usize,
    /// Number of problems (alternately random-walk and warped pairs).
    #[arg(long, default_value_t = 4)]
    pub problems: usize,
    /// Timed runs per setting; the median is kept.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Grid sizes, as multiples of n (M = max(2, round(factor · n))).
    #[arg(long, value_delimiter = ',', default_value = "0.125,0.25,0.5,1,2")]
    pub levels: Vec<f64>,
    /// Refinement passes after the first.
    #[arg(long, value_delimiter = ',', default_value = "0,1,2,3,4")]
    pub refinements: Vec<usize>,
    /// Refinement shrink factors η.
    #[arg(long, value_delimiter = ',', default_value = "0.0625,0.125,0.25,0.5")]
    pub etas: Vec<f64>,
    /// DP stage kernels.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "plain,windowed,monge,envelope"
    )]
    pub kernels: Vec<Kernel>,
    /// Sizes n of the scaling run (M = n + 1, 3 refinements, η = 0.125).
    #[arg(long, value_delimiter = ',', default_value = "64,128,256,512,1024")]
    pub sizes: Vec<usize>,
    /// Largest n at which the O(M²) plain kernel is run in the scaling run.
    #[arg(long, default_value_t = 512)]
    pub plain_max: usize,
}

/// One setting of the forward pass.
#[derive(Debug, Clone, Copy)]
struct Setting {
    kernel: Kernel,
    levels: usize,
    refinements: usize,
    eta: f64,
}

impl Setting {
    fn options(&self) -> SolveOptions {
        SolveOptions {
            levels: Some(self.levels),
            refinements: self.refinements,
            eta: self.eta,
            kernel: self.kernel,
            ..SolveOptions::default()
        }
    }
}

/// A setting's results over all problems: median time and median and worst gap.
struct Measured {
    setting: Setting,
    median_ms: f64,
    median_gap: f64,
    worst_gap: f64,
}

pub fn run(args: &SweepArgs) -> Result<(), Failure> {
    check(args).map_err(Failure::Usage)?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Failure::Runtime(format!("{}: {e}", args.out.display())))?;
    let solve_err = |e: decdtw::Error| Failure::Runtime(e.to_string());
    let mut seed = 2024u64;
    let problems: Vec<Problem> = (0..args.problems)
        .map(|p| {
            let make = if p % 2 == 0 { random_pair } else { warped_pair };
            make(&mut seed, args.n, args.d)
        })
        .collect::<decdtw::Result<_>>()
        .map_err(solve_err)?;
    let settings = settings(args);
    let scaling_runs: usize = scaling_plan(args).len();
    let bar = progress(
        (settings.len() * problems.len() * args.repeats + scaling_runs * args.repeats) as u64,
        "solves",
    );

    bar.set_message("reference optima");
    let optima: Vec<f64> = problems
        .iter()
        .map(|p| optimum(p, args.n))
        .collect::<decdtw::Result<_>>()
        .map_err(solve_err)?;
    bar.set_message("accuracy sweep");
    let mut measured = Vec::with_capacity(settings.len());
    for setting in &settings {
        let mut times = Vec::new();
        let mut gaps = Vec::new();
        for (problem, &best) in problems.iter().zip(&optima) {
            let (ms, objective) =
                timed(problem, &setting.options(), args.repeats, &bar).map_err(solve_err)?;
            times.push(ms);
            gaps.push((objective - best) / best.abs());
        }
        measured.push(Measured {
            setting: *setting,
            median_ms: median(&times),
            median_gap: median(&gaps),
            worst_gap: gaps.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        });
    }
    bar.set_message("scaling");
    let mut scaling = Vec::new();
    for (kernel, n) in scaling_plan(args) {
        let problem = random_pair(&mut seed, n, args.d).map_err(solve_err)?;
        let setting = Setting {
            kernel,
            levels: n + 1,
            refinements: 3,
            eta: 0.125,
        };
        let (ms, _) = timed(&problem, &setting.options(), args.repeats, &bar).map_err(solve_err)?;
        scaling.push((kernel, n, ms));
    }
    bar.finish_and_clear();
    write_outputs(args, &measured, &scaling).map_err(Failure::Runtime)?;
    println!("{}", summary(args, &measured, &scaling));
    Ok(())
}

fn check(args: &SweepArgs) -> Result<(), String> {
    if args.n < 2 || args.d == 0 || args.problems == 0 || args.repeats == 0 {
        return Err("n ≥ 2, d ≥ 1, problems ≥ 1 and repeats ≥ 1 are needed".into());
    }
    if let Some(f) = args.levels.iter().find(|f| !(**f > 0.0 && f.is_finite())) {
        return Err(format!("grid size factors must be positive, got {f}"));
    }
    if let Some(e) = args.etas.iter().find(|e| !(**e > 0.0 && **e <= 1.0)) {
        return Err(format!("η must lie in (0, 1], got {e}"));
    }
    if let Some(n) = args.sizes.iter().find(|n| **n < 2) {
        return Err(format!("scaling sizes must be at least 2, got {n}"));
    }
    if args.levels.is_empty() || args.refinements.is_empty() || args.kernels.is_empty() {
        return Err("give at least one grid size, refinement count and kernel".into());
    }
    Ok(())
}

/// Every combination (η only matters with refinements).
fn settings(args: &SweepArgs) -> Vec<Setting> {
    let mut out = Vec::new();
    for &kernel in &args.kernels {
        for &factor in &args.levels {
            let levels = ((factor * args.n as f64).round() as usize).max(2);
            for &refinements in &args.refinements {
                let etas: &[f64] = if refinements == 0 {
                    &args.etas[..1]
                } else {
                    &args.etas
                };
                for &eta in etas {
                    out.push(Setting {
                        kernel,
                        levels,
                        refinements,
                        eta,
                    });
                }
            }
        }
    }
    out
}

fn scaling_plan(args: &SweepArgs) -> Vec<(Kernel, usize)> {
    let mut plan = Vec::new();
    for &kernel in &args.kernels {
        for &n in &args.sizes {
            if kernel != Kernel::Plain || n <= args.plain_max {
                plan.push((kernel, n));
            }
        }
    }
    plan
}

/// The optimum the gaps are measured against: the polish started from a DP with `M = 4n + 1`
/// and four refinements.
fn optimum(problem: &Problem, n: usize) -> decdtw::Result<f64> {
    let fine = SolveOptions {
        levels: Some(4 * n + 1),
        refinements: 4,
        ..SolveOptions::default()
    };
    let dp = solve(problem, &fine)?;
    Ok(polish(problem, &dp.phi, &PolishOptions::default())?
        .objective
        .min(dp.objective))
}

/// Median wall time (ms) of `repeats` solves, and the DP objective.
fn timed(
    problem: &Problem,
    options: &SolveOptions,
    repeats: usize,
    bar: &ProgressBar,
) -> decdtw::Result<(f64, f64)> {
    let mut times = Vec::with_capacity(repeats);
    let mut objective = f64::NAN;
    for _ in 0..repeats {
        let start = Instant::now();
        objective = solve(problem, options)?.objective;
        times.push(start.elapsed().as_secs_f64() * 1e3);
        bar.inc(1);
    }
    Ok((median(&times), objective))
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        0.5 * (v[mid - 1] + v[mid])
    }
}

/// The points no other point beats in both time and gap, by increasing time.
fn pareto(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut front: Vec<(f64, f64)> = Vec::new();
    for p in sorted {
        if front.last().is_none_or(|last| p.1 < last.1) {
            front.push(p);
        }
    }
    front
}

/// Least-squares slope and intercept of `ln y` against `ln x`.
fn log_log_fit(points: &[(f64, f64)]) -> (f64, f64) {
    let logs: Vec<(f64, f64)> = points.iter().map(|(x, y)| (x.ln(), y.ln())).collect();
    let count = logs.len() as f64;
    let (mx, my) = logs
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / count, b + y / count));
    let (sxy, sxx) = logs.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    let slope = if sxx > 0.0 { sxy / sxx } else { f64::NAN };
    (slope, my - slope * mx)
}

/// `(n, ms)` of one kernel's scaling runs.
fn scaling_points(scaling: &[(Kernel, usize, f64)], kernel: Kernel) -> Vec<(f64, f64)> {
    scaling
        .iter()
        .filter(|s| s.0 == kernel)
        .map(|&(_, n, ms)| (n as f64, ms))
        .collect()
}

/// Gaps are drawn on a log axis: a gap at or below rounding is drawn at 1e-16.
fn drawable_gap(gap: f64) -> f64 {
    gap.max(1e-16)
}

fn write_outputs(
    args: &SweepArgs,
    measured: &[Measured],
    scaling: &[(Kernel, usize, f64)],
) -> Result<(), String> {
    let write = |name: &str, text: String| {
        let path = args.out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let mut csv =
        String::from("kernel,n,d,problems,levels,refinements,eta,median_ms,median_gap,worst_gap\n");
    for m in measured {
        let s = m.setting;
        writeln!(
            csv,
            "{},{},{},{},{},{},{},{:.6},{:.6e},{:.6e}",
            s.kernel.name(),
            args.n,
            args.d,
            args.problems,
            s.levels,
            s.refinements,
            s.eta,
            m.median_ms,
            m.median_gap,
            m.worst_gap
        )
        .expect("writing to a string");
    }
    write("sweep.csv", csv)?;
    let mut csv = String::from("kernel,n,d,levels,refinements,eta,median_ms\n");
    for (kernel, n, ms) in scaling {
        writeln!(
            csv,
            "{},{n},{},{},3,0.125,{ms:.6}",
            kernel.name(),
            args.d,
            n + 1
        )
        .expect("writing to a string");
    }
    write("scaling.csv", csv)?;

    let frontier: Vec<Series> = args
        .kernels
        .iter()
        .map(|&kernel| {
            let points: Vec<(f64, f64)> = measured
                .iter()
                .filter(|m| m.setting.kernel == kernel)
                .map(|m| (m.median_ms, drawable_gap(m.median_gap)))
                .collect();
            Series {
                name: kernel.name().to_string(),
                line: pareto(&points),
                points,
            }
        })
        .collect();
    let title = format!(
        "DP accuracy vs time (n = {}, d = {}, median of {} problems)",
        args.n, args.d, args.problems
    );
    draw_png_and_svg(
        &args.out.join("frontier"),
        &Chart {
            title: &title,
            x_label: "forward solve time (ms, one thread)",
            y_label: "relative gap to the polished optimum",
            series: &frontier,
        },
    )?;
    let scaling_series: Vec<Series> = args
        .kernels
        .iter()
        .map(|&kernel| {
            let points = scaling_points(scaling, kernel);
            let (slope, intercept) = log_log_fit(&points);
            Series {
                name: format!("{} (slope {slope:.2})", kernel.name()),
                line: points
                    .iter()
                    .map(|&(n, _)| (n, (intercept + slope * n.ln()).exp()))
                    .collect(),
                points,
            }
        })
        .collect();
    let title = format!(
        "forward solve time vs n (M = n + 1, 3 refinements, d = {})",
        args.d
    );
    draw_png_and_svg(
        &args.out.join("scaling"),
        &Chart {
            title: &title,
            x_label: "n",
            y_label: "time (ms, one thread)",
            series: &scaling_series,
        },
    )
}

/// A short text summary: per kernel the fastest setting within each gap level, and the slopes.
fn summary(args: &SweepArgs, measured: &[Measured], scaling: &[(Kernel, usize, f64)]) -> String {
    let mut out = format!(
        "wrote {} (sweep.csv, scaling.csv, frontier.png/svg, scaling.png/svg)\n\n\
         fastest setting reaching each median gap:\n\
         | kernel | gap ≤ | M | refinements | η | ms |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
        args.out.display()
    );
    for &kernel in &args.kernels {
        for target in [1e-2, 1e-3, 1e-4, 1e-6] {
            let fastest = measured
                .iter()
                .filter(|m| m.setting.kernel == kernel && m.median_gap <= target)
                .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms));
            if let Some(m) = fastest {
                let s = m.setting;
                writeln!(
                    out,
                    "| {} | {target:.0e} | {} | {} | {} | {:.2} |",
                    kernel.name(),
                    s.levels,
                    s.refinements,
                    s.eta,
                    m.median_ms
                )
                .expect("writing to a string");
            }
        }
    }
    out.push_str("\ntime-versus-n slopes (log-log fit):");
    for &kernel in &args.kernels {
        let points = scaling_points(scaling, kernel);
        if points.len() > 1 {
            write!(out, " {} {:.2};", kernel.name(), log_log_fit(&points).0)
                .expect("writing to a string");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pareto_keeps_only_undominated_points() {
        let points = [(1.0, 0.5), (2.0, 0.6), (3.0, 0.1), (0.5, 0.9), (4.0, 0.1)];
        assert_eq!(pareto(&points), vec![(0.5, 0.9), (1.0, 0.5), (3.0, 0.1)]);
    }

    #[test]
    fn log_log_fit_recovers_a_power_law() {
        let points: Vec<(f64, f64)> = [64.0, 128.0, 256.0, 512.0]
            .iter()
            .map(|&n: &f64| (n, 3e-4 * n.powf(2.1)))
            .collect();
        let (slope, intercept) = log_log_fit(&points);
        assert!((slope - 2.1).abs() < 1e-12 && (intercept - 3e-4f64.ln()).abs() < 1e-10);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
