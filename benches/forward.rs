//! Forward-solve speed per DP kernel (issue: foundation benchmark).
//!
//! Single-threaded solve, M = n + 1, 3 refinements, η = 0.125, λ = 0.1, d = 16, on
//! random-walk pairs; median (and min) of repeated runs per size and kernel.
//!
//! `cargo bench --bench forward` (env: `DECDTW_BENCH_SIZES=64,128,...`, `DECDTW_BENCH_REPEATS=7`,
//! `DECDTW_BENCH_PLAIN_MAX=512`: largest n at which the O(M²) plain kernel is run).

use decdtw::{solve, DpOptions, Kernel, Problem, Signal};
use std::time::{Duration, Instant};

fn random_walk(seed: &mut u64, n: usize, d: usize) -> Vec<f64> {
    let mut next = || {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut v = vec![0.0; n * d];
    for i in 1..n {
        for k in 0..d {
            v[i * d + k] = v[(i - 1) * d + k] + next();
        }
    }
    v
}

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn median(mut t: Vec<Duration>) -> Duration {
    t.sort();
    t[t.len() / 2]
}

fn main() {
    let sizes = env_list("DECDTW_BENCH_SIZES", &[64, 128, 256, 512, 1024]);
    let repeats = env_list("DECDTW_BENCH_REPEATS", &[7])[0].max(1);
    let plain_max = env_list("DECDTW_BENCH_PLAIN_MAX", &[512])[0];
    let d = 16;
    println!(
        "forward solve, 1 thread, d = {d}, M = n + 1, 3 refinements, eta = 0.125, lambda = 0.1"
    );
    println!("median (min) of {repeats} runs; ratio = kernel / monge\n");
    println!(
        "{:>6} {:>10} {:>12} {:>12} {:>8}",
        "n", "kernel", "median ms", "min ms", "ratio"
    );
    let mut seed = 42u64;
    for &n in &sizes {
        let x = Signal::uniform(random_walk(&mut seed, n, d), d).unwrap();
        let y = Signal::uniform(random_walk(&mut seed, n, d), d).unwrap();
        let problem = Problem::builder(x, y).lambda(0.1).build().unwrap();
        let kernels: Vec<Kernel> = Kernel::ALL
            .into_iter()
            .filter(|&k| k != Kernel::Plain || n <= plain_max)
            .collect();
        // Alternate kernels within each repeat so that machine noise hits all alike.
        let mut times = vec![Vec::new(); kernels.len()];
        let mut objectives = vec![0.0; kernels.len()];
        for _ in 0..repeats {
            for (slot, &kernel) in kernels.iter().enumerate() {
                let options = DpOptions {
                    levels: Some(n + 1),
                    kernel,
                    ..DpOptions::default()
                };
                let start = Instant::now();
                let solution = solve(&problem, &options).unwrap();
                times[slot].push(start.elapsed());
                objectives[slot] = solution.objective;
            }
        }
        let monge = kernels.iter().position(|&k| k == Kernel::Monge).unwrap();
        let monge_median = median(times[monge].clone());
        for (slot, kernel) in kernels.iter().enumerate() {
            let med = median(times[slot].clone());
            let min = *times[slot].iter().min().unwrap();
            assert!(
                (objectives[slot] - objectives[monge]).abs() <= 1e-12 * objectives[monge].abs(),
                "kernels disagree at n = {n}"
            );
            println!(
                "{:>6} {:>10} {:>12.2} {:>12.2} {:>8.2}",
                n,
                kernel.name(),
                med.as_secs_f64() * 1e3,
                min.as_secs_f64() * 1e3,
                med.as_secs_f64() / monge_median.as_secs_f64()
            );
        }
    }
}
