//! Polishes one random-walk pair repeatedly, for profiling (`perf record`):
//! `cargo run --release --example profile_polish -- [N] [log]` (`log`: one run, logged).

#[path = "../benches/common/mod.rs"]
mod common;

use decdtw::{polish, solve, PolishOptions, SolveOptions};

fn main() {
    let n: usize = std::env::args().nth(1).map_or(512, |s| s.parse().unwrap());
    let log = std::env::args().nth(2).is_some();
    let problem = common::random_pair(&mut 7, n, 16);
    let dp = solve(
        &problem,
        &SolveOptions {
            levels: Some(n + 1),
            ..SolveOptions::default()
        },
    )
    .unwrap();
    let runs = if log { 1 } else { 200 };
    let start = std::time::Instant::now();
    let mut iterations = 0;
    for _ in 0..runs {
        let options = PolishOptions {
            log,
            ..PolishOptions::default()
        };
        iterations = polish(&problem, &dp.phi, &options)
            .unwrap()
            .certificate
            .iterations;
    }
    println!(
        "{iterations} iterations, {:?} per polish",
        start.elapsed() / runs
    );
}
