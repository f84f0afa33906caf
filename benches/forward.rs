//! Forward-solve speed per DP kernel (issue: foundation benchmark).
//!
//! Single-threaded solve, M = n + 1, 3 refinements, η = 0.125, λ = 0.1, d = 16, on
//! random-walk pairs; median (and min) of repeated runs per size and kernel.
//!
//! `cargo bench --bench forward` (env: `DECDTW_BENCH_SIZES=64,128,...`, `DECDTW_BENCH_REPEATS=7`,
//! `DECDTW_BENCH_PLAIN_MAX=512`: largest n at which the O(M²) plain kernel is run).

mod common;

use common::{env_list, median, random_pair};
use decdtw::{solve, Kernel, SolveOptions};
use std::time::Instant;

fn main() {
    let sizes = env_list("DECDTW_BENCH_SIZES", &[64, 128, 256, 512, 1024]);
    let repeats = env_list("DECDTW_BENCH_REPEATS", &[7])[0].max(1);
    let plain_max = env_list("DECDTW_BENCH_PLAIN_MAX", &[512])[0];
    let d = 16;
    println!(
        "forward solve, 1 thread, d = {d}, M = n + 1, 3 refinements, eta = 0.125, lambda = 0.1"
    );
    println!("median (min) of {repeats} runs; ratio = kernel / envelope (the default)\n");
    println!(
        "{:>6} {:>10} {:>12} {:>12} {:>8}",
        "n", "kernel", "median ms", "min ms", "ratio"
    );
    let mut seed = 42u64;
    for &n in &sizes {
        let problem = random_pair(&mut seed, n, d);
        let kernels: Vec<Kernel> = Kernel::ALL
            .into_iter()
            .filter(|&k| k != Kernel::Plain || n <= plain_max)
            .collect();
        // Alternate kernels within each repeat so that machine noise hits all alike.
        let mut times = vec![Vec::new(); kernels.len()];
        let mut objectives = vec![0.0; kernels.len()];
        for _ in 0..repeats {
            for (slot, &kernel) in kernels.iter().enumerate() {
                let options = SolveOptions {
                    levels: Some(n + 1),
                    kernel,
                    ..SolveOptions::default()
                };
                let start = Instant::now();
                let solution = solve(&problem, &options).unwrap();
                times[slot].push(start.elapsed());
                objectives[slot] = solution.objective;
            }
        }
        let reference = kernels
            .iter()
            .position(|&k| k == Kernel::default())
            .unwrap();
        let reference_median = median(times[reference].clone());
        for (slot, kernel) in kernels.iter().enumerate() {
            let med = median(times[slot].clone());
            let min = *times[slot].iter().min().unwrap();
            assert!(
                (objectives[slot] - objectives[reference]).abs()
                    <= 1e-12 * objectives[reference].abs(),
                "kernels disagree at n = {n}"
            );
            println!(
                "{:>6} {:>10} {:>12.2} {:>12.2} {:>8.2}",
                n,
                kernel.name(),
                med.as_secs_f64() * 1e3,
                min.as_secs_f64() * 1e3,
                med.as_secs_f64() / reference_median.as_secs_f64()
            );
        }
    }
}
