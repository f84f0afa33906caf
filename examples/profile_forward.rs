//! Runs the n = 512, d = 16 forward solve repeatedly, for profiling (`perf record`):
//! `cargo run --release --example profile_forward -- [RUNS]`.

#[path = "../benches/common/mod.rs"]
mod common;

use decdtw::{solve, SolveOptions};

fn main() {
    let n: usize = std::env::var("DECDTW_PROFILE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    let d = 16;
    let problem = common::random_pair(&mut 42, n, d);
    let options = SolveOptions {
        levels: Some(n + 1),
        ..SolveOptions::default()
    };
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    for _ in 0..runs {
        std::hint::black_box(solve(&problem, &options).unwrap());
    }
}
