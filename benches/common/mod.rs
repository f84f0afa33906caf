//! Inputs and statistics shared by the benchmarks (each bench uses a part of them).
#![allow(dead_code)]

use decdtw::Problem;
use std::time::Duration;

/// A random-walk pair (see [`decdtw::synthetic::random_pair`]).
pub fn random_pair(seed: &mut u64, n: usize, d: usize) -> Problem {
    decdtw::synthetic::random_pair(seed, n, d).unwrap()
}

/// A warped pair (see [`decdtw::synthetic::warped_pair`]).
pub fn warped_pair(seed: &mut u64, n: usize, d: usize) -> Problem {
    decdtw::synthetic::warped_pair(seed, n, d).unwrap()
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
