//! Reproducible synthetic pairs, for benchmarks, sweeps and examples: random walks, and pairs
//! related by a known smooth warp.

use crate::{Problem, Result, Signal};

/// `n × d` random walk from the origin with uniform steps in `[−½, ½)`, row-major; `seed`
/// drives a fixed linear congruential generator and is advanced, so runs are repeatable.
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

/// Two independent random walks of length `n` (`n ≥ 2`) with `d` features, `λ = 0.1` and
/// default constraints.
pub fn random_pair(seed: &mut u64, n: usize, d: usize) -> Result<Problem> {
    let x = Signal::uniform(random_walk(seed, n, d), d)?;
    let y = Signal::uniform(random_walk(seed, n, d), d)?;
    Problem::builder(x, y).lambda(0.1).build()
}

/// A pair where y is x under the smooth time change `τ = t + 0.08 sin(2πt)` plus noise
/// (`σ ≈ 0.05`), so that the optimal warp runs through the interior, like real alignments;
/// `λ = 0.1`.
pub fn warped_pair(seed: &mut u64, n: usize, d: usize) -> Result<Problem> {
    let walk = random_walk(seed, n, d);
    let noise = random_walk(seed, n + 1, d);
    let noise = &noise;
    let x = Signal::uniform(walk, d)?;
    let times = crate::signal::uniform_times(n);
    let warped: Vec<f64> = times
        .iter()
        .enumerate()
        .flat_map(|(i, &t)| {
            let at = x.value_at(t + 0.08 * (std::f64::consts::TAU * t).sin());
            // Increments of the second walk are uniform on [−½, ½): scale to σ ≈ 0.05.
            (0..d).map(move |k| at[k] + 0.17 * (noise[(i + 1) * d + k] - noise[i * d + k]))
        })
        .collect();
    let y = Signal::uniform(warped, d)?;
    Problem::builder(x, y).lambda(0.1).build()
}
