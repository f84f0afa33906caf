//! Cost of the NLP polish and of one vector–Jacobian product next to the DP forward solve
//! (issues: polish; implicit gradients).
//!
//! Single-threaded, M = n + 1, 3 refinements, η = 0.125, λ = 0.1, d = 16, on random-walk pairs
//! (whose optimal warps hug the bounds) and on warped pairs (y = x under a smooth time change,
//! plus noise: interior warps); medians of repeated runs of `solve` with the polish (which
//! starts it from the DP's warp moved onto nearby kinks of y, `PolishOptions::kink_radius`)
//! and of the VJP. Also reports the objective gained, the polish's iterations (and those of a
//! polish from the DP's warp as given) and its KKT residuals.
//!
//! `cargo bench --bench polish` (env: `DECDTW_BENCH_SIZES=128,256,...`, `DECDTW_BENCH_REPEATS=7`).

mod common;

use common::{env_list, median, random_pair, warped_pair};
use decdtw::{polish, solve, vjp, PolishOptions, SolveOptions};
use std::time::Instant;

/// Makes a problem of size `n` with `d` features from a seed.
type MakePair = fn(&mut u64, usize, usize) -> decdtw::Problem;

fn main() {
    let sizes = env_list("DECDTW_BENCH_SIZES", &[128, 256, 512, 1024]);
    let repeats = env_list("DECDTW_BENCH_REPEATS", &[7])[0].max(1);
    let d = 16;
    println!("DP forward solve vs polish, 1 thread, d = {d}, M = n + 1, 3 refinements, eta = 0.125, lambda = 0.1");
    println!("median of {repeats} runs\n");
    println!(
        "{:>8} {:>6} {:>10} {:>11} {:>8} {:>9} {:>9} {:>14} {:>6} {:>8} {:>10} {:>10}",
        "pair",
        "n",
        "DP ms",
        "polish ms",
        "ratio",
        "VJP ms",
        "VJP/DP",
        "f gain (rel)",
        "iters",
        "as given",
        "stationar.",
        "min mult."
    );
    let mut seed = 7u64;
    let kinds: [(&str, MakePair); 2] = [("random", random_pair), ("warped", warped_pair)];
    for (&n, (kind, make)) in sizes.iter().flat_map(|n| kinds.iter().map(move |k| (n, k))) {
        let problem = make(&mut seed, n, d);
        let options = SolveOptions {
            levels: Some(n + 1),
            polish: Some(PolishOptions::default()),
            ..SolveOptions::default()
        };
        let (mut dp_times, mut polish_times, mut vjp_times) = (Vec::new(), Vec::new(), Vec::new());
        let v: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut last = None;
        for _ in 0..repeats {
            let solved = solve(&problem, &options).unwrap();
            dp_times.push(solved.elapsed);
            polish_times.push(solved.polish_elapsed);
            let polished = solved.polish.as_ref().expect("polished");
            let start = Instant::now();
            let gradient = vjp(&problem, polished, &v).unwrap();
            vjp_times.push(start.elapsed());
            assert!(gradient.lambda.is_finite());
            last = Some(solved);
        }
        let solved = last.unwrap();
        let polished = solved.polish.as_ref().expect("polished");
        let dp = solve(
            &problem,
            &SolveOptions {
                polish: None,
                ..options.clone()
            },
        )
        .unwrap();
        let as_given = polish(&problem, &dp.phi, &PolishOptions::default()).unwrap();
        let c = &polished.certificate;
        assert!(c.holds(1e-9), "polish at n = {n} is not a KKT point: {c:?}");
        let (dp_ms, polish_ms, vjp_ms) = (
            median(dp_times).as_secs_f64() * 1e3,
            median(polish_times).as_secs_f64() * 1e3,
            median(vjp_times).as_secs_f64() * 1e3,
        );
        println!(
            "{:>8} {:>6} {:>10.2} {:>11.3} {:>8.3} {:>9.3} {:>9.4} {:>14.2e} {:>6} {:>8} {:>10.1e} {:>10.1e}",
            kind,
            n,
            dp_ms,
            polish_ms,
            polish_ms / dp_ms,
            vjp_ms,
            vjp_ms / dp_ms,
            (solved.dp_objective - polished.objective) / solved.dp_objective,
            c.iterations,
            as_given.certificate.iterations,
            c.stationarity,
            c.min_multiplier.unwrap_or(f64::NAN)
        );
    }
}
