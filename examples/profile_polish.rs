//! Polish one random-walk pair (for profiling): `cargo run --release --example profile_polish -- N [log]`.
use decdtw::{polish, solve, PolishOptions, Problem, Signal, SolveOptions};

fn main() {
    let n: usize = std::env::args().nth(1).map_or(512, |s| s.parse().unwrap());
    let log = std::env::args().nth(2).is_some();
    let d = 16;
    let mut seed = 7u64;
    let mut walk = |n: usize| {
        let mut v = vec![0.0; n * d];
        for i in 1..n {
            for k in 0..d {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                v[i * d + k] = v[(i - 1) * d + k] + (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            }
        }
        v
    };
    let x = Signal::uniform(walk(n), d).unwrap();
    let y = Signal::uniform(walk(n), d).unwrap();
    let problem = Problem::builder(x, y).lambda(0.1).build().unwrap();
    let dp = solve(
        &problem,
        &SolveOptions {
            levels: Some(n + 1),
            ..Default::default()
        },
    )
    .unwrap();
    let start = std::time::Instant::now();
    let mut iterations = 0;
    for _ in 0..if log { 1 } else { 200 } {
        let p = polish(
            &problem,
            &dp.phi,
            &PolishOptions {
                log,
                ..Default::default()
            },
        )
        .unwrap();
        iterations = p.certificate.iterations;
    }
    println!(
        "{iterations} iterations, {:?} per polish",
        start.elapsed() / if log { 1 } else { 200 }
    );
}
