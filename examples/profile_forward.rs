//! Runs the n = 512, d = 16 forward solve repeatedly, for profiling (`perf record`):
//! `cargo run --release --example profile_forward -- [RUNS]` (env `DECDTW_PROFILE_N`, default 512;
//! `DECDTW_PROFILE_KERNEL`, default the library's).

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
    let kernel = std::env::var("DECDTW_PROFILE_KERNEL")
        .map(|k| k.parse().expect("a kernel name"))
        .unwrap_or_default();
    let options = SolveOptions {
        levels: Some(n + 1),
        kernel,
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
