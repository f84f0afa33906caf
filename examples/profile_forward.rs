//! Runs the n = 512, d = 16 forward solve repeatedly, for profiling (`perf record`).
use decdtw::{solve, Problem, Signal, SolveOptions};
fn main() {
    let (n, d) = (512, 16);
    let mut s = 42u64;
    let mut walk = |n: usize| {
        let mut v = vec![0.0; n * d];
        for i in 1..n {
            for k in 0..d {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                v[i * d + k] = v[(i - 1) * d + k] + (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            }
        }
        v
    };
    let x = Signal::uniform(walk(n), d).unwrap();
    let y = Signal::uniform(walk(n), d).unwrap();
    let problem = Problem::builder(x, y).lambda(0.1).build().unwrap();
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
