//! Inputs and statistics shared by the benchmarks (each bench uses a part of them).
#![allow(dead_code)]

use decdtw::{Problem, Signal};
use std::time::Duration;

/// `n × d` random walk with uniform steps in `[−½, ½)` (a fixed LCG, so runs are repeatable).
pub fn random_walk(seed: &mut u64, n: usize, d: usize) -> Vec<f64> {
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

/// A random-walk pair of length `n` with `d` features and `λ = 0.1`, default constraints.
pub fn random_pair(seed: &mut u64, n: usize, d: usize) -> Problem {
    let x = Signal::uniform(random_walk(seed, n, d), d).unwrap();
    let y = Signal::uniform(random_walk(seed, n, d), d).unwrap();
    Problem::builder(x, y).lambda(0.1).build().unwrap()
}

/// A pair where y is x under a smooth time change plus noise (`τ + 0.08 sin(2πτ)`, noise
/// `σ = 0.05`), so that the optimal warp runs through the interior, like real alignments.
pub fn warped_pair(seed: &mut u64, n: usize, d: usize) -> Problem {
    let walk = random_walk(seed, n, d);
    let noise = random_walk(seed, n + 1, d);
    let noise = &noise;
    let x = Signal::uniform(walk.clone(), d).unwrap();
    let times = decdtw::signal::uniform_times(n);
    let warped: Vec<f64> = times
        .iter()
        .enumerate()
        .flat_map(|(i, &t)| {
            let tau = t + 0.08 * (std::f64::consts::TAU * t).sin();
            let at = x.value_at(tau);
            // Increments of the second walk are uniform on [−½, ½): scale to σ ≈ 0.05.
            (0..d).map(move |k| at[k] + 0.17 * (noise[(i + 1) * d + k] - noise[i * d + k]))
        })
        .collect();
    let y = Signal::uniform(warped, d).unwrap();
    Problem::builder(x, y).lambda(0.1).build().unwrap()
}

/// A comma-separated list of sizes from the environment, or `default`.
pub fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

pub fn median(mut t: Vec<Duration>) -> Duration {
    t.sort();
    t[t.len() / 2]
}
