//! `decdtw align`: solve the alignment of every pair in two files, write the JSON result and,
//! on request, the figure of the first solved pair.

use super::io::{first_non_finite, read_array, read_times, split_pairs, Pair};
use super::plot::{self, Figure};
use super::report::{self, gradient_json, PairResult, Report, Solved};
use super::settings::SolveArgs;
use super::Failure;
use clap::Args;
use decdtw::signal::uniform_times;
use decdtw::{solve, vjp, Problem, Signal, Solution, SolveOptions};
use indicatif::ProgressBar;
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
    /// Vector v (.npy or .csv) for the vector–Jacobian product vᵀDφ: one value per knot, or
    /// B × m for a batch; adds `grad` (w.r.t. x, y, λ, λ_cum and the constraints) to each result.
    #[arg(long, value_name = "FILE", requires = "polish")]
    pub vjp: Option<PathBuf>,
    /// Threads solving the pairs of a batch [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Solve each pair R times and report the run of median time (for benchmarks: the runs
    /// after the first find the caches and the allocator warm, as in a long-running caller).
    #[arg(long, value_name = "R", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub repeats: u16,
    #[command(flatten)]
    #[serde(flatten)]
    pub solve: SolveArgs,
}

/// Runs `decdtw align`.
pub fn run(args: &AlignArgs) -> Result<(), Failure> {
    if let Some(path) = &args.plot {
        plot::check_path(path).map_err(Failure::Usage)?;
    }
    let (problems, shape) = read_problems(args).map_err(Failure::Usage)?;
    let vectors = match &args.vjp {
        Some(path) => Some(read_vectors(path, &problems).map_err(Failure::Usage)?),
        None => None,
    };
    report::check_writable(&args.output).map_err(Failure::Usage)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.map_or(0, usize::from))
        .build()
        .map_err(|e| Failure::Runtime(format!("cannot start the worker threads: {e}")))?;

    let start = Instant::now();
    let options = args.solve.dp_options();
    // A batch shows its progress; a single pair does not need it.
    let bar = match problems.len() {
        1 => ProgressBar::hidden(),
        n => super::progress(n as u64, "pairs"),
    };
    bar.set_message("aligning");
    // `decdtw::solve_batch`, except that a pair whose problem could not be built keeps its
    // error in its place.
    let results: Vec<PairResult> = pool.install(|| {
        problems
            .par_iter()
            .enumerate()
            .map(|(i, problem)| {
                let v = vectors.as_ref().map(|v| v[i].as_slice());
                let result = solve_pair(problem, &options, args.repeats, v, shape);
                bar.inc(1);
                result
            })
            .collect()
    });
    bar.finish_and_clear();
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

/// Whether the signals were given as 1-D arrays (gradients then come back 1-D too).
#[derive(Debug, Clone, Copy)]
pub struct InputShape {
    pub one_dimensional: bool,
}

/// Reads x, y and their times and builds one problem per pair; a pair whose signals or
/// problem are invalid keeps its error message. Errors that concern all pairs (unreadable
/// files, mismatched shapes, bad time files) end the command.
fn read_problems(args: &AlignArgs) -> Result<(Vec<Result<Problem, String>>, InputShape), String> {
    let x = read_array(&args.x)?;
    let y = read_array(&args.y)?;
    let shape = InputShape {
        one_dimensional: x.shape.len() == 1,
    };
    let (pairs, d) = split_pairs(&x, &y)?;
    let (nx, ny) = (pairs[0].0.len() / d, pairs[0].1.len() / d);
    let tx = times(args.tx.as_deref(), nx, "--tx")?;
    let ty = times(args.ty.as_deref(), ny, "--ty")?;
    let problem = |(xv, yv): Pair| -> Result<Problem, String> {
        let x = signal("x", tx.clone(), xv, d)?;
        let y = signal("y", ty.clone(), yv, d)?;
        args.solve.problem(x, y).map_err(|e| e.to_string())
    };
    Ok((pairs.into_iter().map(problem).collect(), shape))
}

/// The vectors v of `--vjp`: shape `m` (one pair) or `B × m`, one value per knot, finite.
fn read_vectors(
    path: &Path,
    problems: &[Result<Problem, String>],
) -> Result<Vec<Vec<f64>>, String> {
    let array = read_array(path)?;
    let name = format!("--vjp {}", path.display());
    let b = problems.len();
    let m = array.values.len() / b.max(1);
    let fits = match array.shape[..] {
        [n] => b == 1 && n == m,
        [rows, n] => (rows == b && n == m) || (b == 1 && (rows == 1 || n == 1)),
        _ => false,
    };
    if !fits || array.values.len() != b * m {
        return Err(format!(
            "{name}: expected one value per knot for each of the {b} pairs (shape m or B×m), got shape {:?}",
            array.shape
        ));
    }
    if let Some(bad) = first_non_finite(&array.values, m.max(1)) {
        return Err(format!("{name}: {bad}"));
    }
    let knots = problems
        .iter()
        .find_map(|p| p.as_ref().ok())
        .map_or(m, Problem::num_knots);
    if knots != m {
        return Err(format!(
            "{name}: holds {m} values per pair but the warp has {knots} knots"
        ));
    }
    Ok(array.values.chunks(m.max(1)).map(<[f64]>::to_vec).collect())
}

/// Solves one pair (and, given `v`, its vector–Jacobian product), or passes on why its
/// problem could not be built.
fn solve_pair(
    problem: &Result<Problem, String>,
    options: &SolveOptions,
    repeats: u16,
    v: Option<&[f64]>,
    shape: InputShape,
) -> PairResult {
    let failed = |error: String| PairResult::Failed { error };
    let problem = match problem {
        Ok(problem) => problem,
        Err(error) => return failed(error.clone()),
    };
    let solution = match solve_repeated(problem, options, repeats) {
        Ok(solution) => solution,
        Err(e) => return failed(e.to_string()),
    };
    let gradient = match (v, &solution.polish) {
        (Some(v), Some(polished)) => match vjp(problem, polished, v) {
            Ok(g) => Some(gradient_json(problem, &g, shape.one_dimensional)),
            Err(e) => return failed(format!("gradient: {e}")),
        },
        _ => None,
    };
    let mut solved = Solved::new(problem, solution);
    solved.grad = gradient;
    PairResult::Solved(Box::new(solved))
}

/// `solve` run `repeats` times: the run whose forward pass and polish together took the
/// median time (every run returns the same warp: the solve is deterministic).
fn solve_repeated(
    problem: &Problem,
    options: &SolveOptions,
    repeats: u16,
) -> decdtw::Result<Solution> {
    let mut runs = (0..repeats.max(1))
        .map(|_| solve(problem, options))
        .collect::<decdtw::Result<Vec<_>>>()?;
    runs.sort_by_key(|s| s.elapsed + s.polish_elapsed);
    Ok(runs.swap_remove(runs.len() / 2))
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
