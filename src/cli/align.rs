//! `decdtw align`: solve the alignment of every pair in two files, write the JSON result and,
//! on request, the figure of the first solved pair.

use super::io::{first_non_finite, read_array, read_times, split_pairs, Pair};
use super::plot::{self, Figure};
use super::report::{self, PairResult, Report, Solved};
use super::settings::SolveArgs;
use super::Failure;
use clap::Args;
use decdtw::signal::uniform_times;
use decdtw::{solve, Problem, Signal, SolveOptions};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `decdtw align`.
#[derive(Debug, Args, Serialize)]
pub struct AlignArgs {
    /// Signal x (.npy or .csv): shape n, n×d, or B×n×d for a batch of B pairs.
    #[arg(long, value_name = "FILE")]
    pub x: PathBuf,
    /// Signal y (.npy or .csv), same d (and same B) as x.
    #[arg(long, value_name = "FILE")]
    pub y: PathBuf,
    /// Sample times of x (1-D .npy or .csv) [default: uniform on [0, 1]].
    #[arg(long, value_name = "FILE")]
    pub tx: Option<PathBuf>,
    /// Sample times of y [default: uniform on [0, 1]].
    #[arg(long, value_name = "FILE")]
    pub ty: Option<PathBuf>,
    /// Where to write the JSON result.
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Also draw the first pair's alignment into this .png or .svg file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Threads solving the pairs of a batch [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    #[command(flatten)]
    #[serde(flatten)]
    pub solve: SolveArgs,
}

/// Runs `decdtw align`.
pub fn run(args: &AlignArgs) -> Result<(), Failure> {
    if let Some(path) = &args.plot {
        plot::check_path(path).map_err(Failure::Usage)?;
    }
    let problems = read_problems(args).map_err(Failure::Usage)?;
    report::check_writable(&args.output).map_err(Failure::Usage)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.map_or(0, usize::from))
        .build()
        .map_err(|e| Failure::Runtime(format!("cannot start the worker threads: {e}")))?;

    let start = Instant::now();
    let options = args.solve.dp_options();
    // `decdtw::solve_batch`, except that a pair whose problem could not be built keeps its
    // error in its place.
    let results: Vec<PairResult> = pool.install(|| {
        problems
            .par_iter()
            .map(|problem| solve_pair(problem, &options))
            .collect()
    });
    let total_time = start.elapsed().as_secs_f64();

    let report = Report {
        results: &results,
        total_time_seconds: total_time,
        options: args,
    };
    report::write_json(&args.output, &report).map_err(Failure::Usage)?;

    let mut failed = 0;
    for (i, result) in results.iter().enumerate() {
        if let PairResult::Failed { error } = result {
            eprintln!("warning: pair {i} failed: {error}");
            failed += 1;
        }
    }
    if failed == results.len() {
        return Err(Failure::Runtime(format!(
            "every pair failed (see above); wrote {}",
            args.output.display()
        )));
    }
    println!(
        "aligned {} of {} pairs in {total_time:.3} s; wrote {}",
        results.len() - failed,
        results.len(),
        args.output.display()
    );

    if let Some(path) = &args.plot {
        draw_first_solved(path, &problems, &results)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Reads x, y and their times and builds one problem per pair; a pair whose signals or
/// problem are invalid keeps its error message. Errors that concern all pairs (unreadable
/// files, mismatched shapes, bad time files) end the command.
fn read_problems(args: &AlignArgs) -> Result<Vec<Result<Problem, String>>, String> {
    let x = read_array(&args.x)?;
    let y = read_array(&args.y)?;
    let (pairs, d) = split_pairs(&x, &y)?;
    let (nx, ny) = (pairs[0].0.len() / d, pairs[0].1.len() / d);
    let tx = times(args.tx.as_deref(), nx, "--tx")?;
    let ty = times(args.ty.as_deref(), ny, "--ty")?;
    let problem = |(xv, yv): Pair| -> Result<Problem, String> {
        let x = signal("x", tx.clone(), xv, d)?;
        let y = signal("y", ty.clone(), yv, d)?;
        args.solve.problem(x, y).map_err(|e| e.to_string())
    };
    Ok(pairs.into_iter().map(problem).collect())
}

/// Solves one pair, or passes on why its problem could not be built.
fn solve_pair(problem: &Result<Problem, String>, options: &SolveOptions) -> PairResult {
    let failed = |error: String| PairResult::Failed { error };
    match problem {
        Ok(problem) => match solve(problem, options) {
            Ok(solution) => PairResult::Solved(Box::new(Solved::new(problem, solution))),
            Err(e) => failed(e.to_string()),
        },
        Err(error) => failed(error.clone()),
    }
}

/// The times in `path`, or uniform times on `[0, 1]`.
fn times(path: Option<&Path>, n: usize, what: &str) -> Result<Vec<f64>, String> {
    match path {
        Some(path) => read_times(path, n, what),
        None => Ok(uniform_times(n)),
    }
}

/// A signal, with errors that name it (`x` or `y`) and the bad sample.
fn signal(name: &str, times: Vec<f64>, values: Vec<f64>, d: usize) -> Result<Signal, String> {
    if let Some(bad) = first_non_finite(&values, d) {
        return Err(format!("{name}: {bad}"));
    }
    Signal::new(times, values, d).map_err(|e| format!("{name}: {e}"))
}

fn draw_first_solved(
    path: &Path,
    problems: &[Result<Problem, String>],
    results: &[PairResult],
) -> Result<(), Failure> {
    let first = problems
        .iter()
        .zip(results)
        .enumerate()
        .find_map(|(i, pair)| match pair {
            (Ok(problem), PairResult::Solved(solved)) => Some((i, problem, solved)),
            _ => None,
        });
    // At least one pair was solved, or `run` has returned already.
    let Some((i, problem, solved)) = first else {
        return Ok(());
    };
    let figure = Figure {
        problem,
        phi: &solved.phi,
        truth: None,
        title: format!(
            "decdtw: pair {i}, n_x = {}, n_y = {}, d = {}, λ = {}, f(φ) = {:.6}",
            problem.x().len(),
            problem.y().len(),
            problem.x().dim(),
            problem.lambda(),
            solved.objective
        ),
    };
    plot::draw(path, &figure).map_err(Failure::Usage)
}
