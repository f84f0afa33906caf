//! Per-operation timings with divan (medians over many samples): the forward solve per kernel,
//! the node costs of one knot, the polish and one vector–Jacobian product, at n = 64 … 1024 and
//! d = 1 and 16 (random-walk pairs, M = n + 1, 3 refinements). `cargo bench --bench micro`;
//! the side-by-side ratio tables come from the `forward`, `polish` and `batch` benches.

mod common;

use decdtw::dp::{node_costs, NodeCosts};
use decdtw::{polish, solve, vjp, Kernel, PolishOptions, Problem, SolveOptions};
use divan::{black_box, Bencher};

const SIZES: [usize; 5] = [64, 128, 256, 512, 1024];
const DIMS: [usize; 2] = [1, 16];

fn main() {
    divan::main();
}

fn pair(n: usize, d: usize) -> Problem {
    common::random_pair(&mut 42, n, d)
}

fn options(n: usize, kernel: Kernel) -> SolveOptions {
    SolveOptions {
        levels: Some(n + 1),
        kernel,
        ..SolveOptions::default()
    }
}

#[divan::bench(args = SIZES, consts = DIMS, sample_count = 10)]
fn forward_envelope<const D: usize>(bencher: Bencher, n: usize) {
    let problem = pair(n, D);
    bencher.bench(|| solve(black_box(&problem), &options(n, Kernel::Envelope)).unwrap());
}

#[divan::bench(args = SIZES, consts = DIMS, sample_count = 10)]
fn forward_monge<const D: usize>(bencher: Bencher, n: usize) {
    let problem = pair(n, D);
    bencher.bench(|| solve(black_box(&problem), &options(n, Kernel::Monge)).unwrap());
}

#[divan::bench(args = [64, 128, 256, 512], consts = DIMS, sample_count = 5)]
fn forward_windowed<const D: usize>(bencher: Bencher, n: usize) {
    let problem = pair(n, D);
    bencher.bench(|| solve(black_box(&problem), &options(n, Kernel::Windowed)).unwrap());
}

#[divan::bench(args = [64, 128, 256], consts = DIMS, sample_count = 5)]
fn forward_plain<const D: usize>(bencher: Bencher, n: usize) {
    let problem = pair(n, D);
    bencher.bench(|| solve(black_box(&problem), &options(n, Kernel::Plain)).unwrap());
}

/// One knot (the middle one) over an `M = n + 1` grid spanning y's range, with the problem's
/// tables built on every call (`dp::node_costs`).
#[divan::bench(args = SIZES, consts = DIMS)]
fn node_costs_one_knot<const D: usize>(bencher: Bencher, n: usize) {
    let problem = pair(n, D);
    let grid: Vec<f64> = (0..=n).map(|k| k as f64 / n as f64).collect();
    bencher.bench(|| node_costs(black_box(&problem), n / 2, &grid).unwrap());
}

/// The same with the tables built once (`dp::NodeCosts`), as inside a pass: what each
/// interior knot of the first pass costs (its grid placed on y once, by the first knot).
#[divan::bench(args = SIZES, consts = DIMS)]
fn node_costs_one_knot_tables_built<const D: usize>(bencher: Bencher, n: usize) {
    let problem = pair(n, D);
    let grid: Vec<f64> = (0..=n).map(|k| k as f64 / n as f64).collect();
    let mut costs = NodeCosts::new(&problem);
    let mut out = vec![0.0; grid.len()];
    bencher.bench_local(|| costs.evaluate(black_box(n / 2), &grid, &mut out).unwrap());
}

/// The polish as `solve` runs it: from the DP's warp, with the kink start at its grid's
/// spacing.
#[divan::bench(args = SIZES, consts = DIMS, sample_count = 10)]
fn polish_from_dp<const D: usize>(bencher: Bencher, n: usize) {
    let problem = pair(n, D);
    let settings = options(n, Kernel::default());
    let dp = solve(&problem, &settings).unwrap();
    let polish_options = PolishOptions {
        kink_radius: Some(dp.grid_spacing),
        ..PolishOptions::default()
    };
    bencher.bench(|| polish(black_box(&problem), &dp.phi, &polish_options).unwrap());
}

#[divan::bench(args = SIZES, consts = DIMS)]
fn vjp_of_polished<const D: usize>(bencher: Bencher, n: usize) {
    let problem = pair(n, D);
    let start = solve(&problem, &options(n, Kernel::default())).unwrap().phi;
    let polished = polish(&problem, &start, &PolishOptions::default()).unwrap();
    let v = vec![1.0; problem.num_knots()];
    bencher.bench(|| vjp(black_box(&problem), &polished, &v).unwrap());
}
