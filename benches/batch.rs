//! Batch throughput: 64 random-walk pairs solved by `solve_batch` on a rayon pool of 1 and of 2
//! threads, alternating, median of repeated runs (issue: speed). Also times the node costs alone
//! (one knot over an `M = n + 1` grid spanning y's range, every knot), at d = 1 and 16. Then one
//! pair at a time: the sequential DP on 1 thread against the DP split at the middle knot
//! (`SolveOptions::split`) on 2, alternating, median of the per-pair ratios.
//!
//! `cargo bench --bench batch` (env: `DECDTW_BENCH_SIZES=64,256,...`, `DECDTW_BENCH_REPEATS=5`,
//! `DECDTW_BENCH_DIMS=1,16`, `DECDTW_BENCH_PAIRS=64`, `DECDTW_BENCH_SPLIT_SIZES=256,512,1024`).

mod common;

use common::{env_list, median, random_pair};
use decdtw::{dp::node_costs, solve, solve_batch, SolveOptions};
use std::time::{Duration, Instant};

fn main() {
    let sizes = env_list("DECDTW_BENCH_SIZES", &[64, 128, 256, 512]);
    let repeats = env_list("DECDTW_BENCH_REPEATS", &[5])[0].max(1);
    let dims = env_list("DECDTW_BENCH_DIMS", &[1, 16]);
    let pairs = env_list("DECDTW_BENCH_PAIRS", &[64])[0].max(1);
    let pools: Vec<rayon::ThreadPool> = [1, 2]
        .iter()
        .map(|&t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
        })
        .collect();
    println!("batch of {pairs} pairs, M = n + 1, 3 refinements; median of {repeats} runs");
    println!(
        "{:>4} {:>6} {:>14} {:>14} {:>10} {:>16}",
        "d", "n", "1 thread pairs/s", "2 threads pairs/s", "speedup", "node costs ms"
    );
    for &d in &dims {
        for &n in &sizes {
            let mut seed = 7u64;
            let problems: Vec<_> = (0..pairs).map(|_| random_pair(&mut seed, n, d)).collect();
            let options = SolveOptions {
                levels: Some(n + 1),
                ..SolveOptions::default()
            };
            let mut times = [Vec::new(), Vec::new()];
            for _ in 0..repeats {
                for (slot, pool) in pools.iter().enumerate() {
                    let start = Instant::now();
                    let solutions = pool.install(|| solve_batch(&problems, &options));
                    times[slot].push(start.elapsed());
                    assert!(solutions.iter().all(|s| s.is_ok()));
                }
            }
            let [one, two] = times.map(median);
            let throughput = |t: Duration| pairs as f64 / t.as_secs_f64();
            let grid: Vec<f64> = (0..=n).map(|k| k as f64 / n as f64).collect();
            let node_times: Vec<Duration> = (0..repeats)
                .map(|_| {
                    let start = Instant::now();
                    for i in 0..problems[0].num_knots() {
                        std::hint::black_box(node_costs(&problems[0], i, &grid).unwrap());
                    }
                    start.elapsed()
                })
                .collect();
            println!(
                "{:>4} {:>6} {:>14.1} {:>14.1} {:>10.2} {:>16.3}",
                d,
                n,
                throughput(one),
                throughput(two),
                one.as_secs_f64() / two.as_secs_f64(),
                median(node_times).as_secs_f64() * 1e3
            );
        }
    }
    split_table(&pools, repeats);
}

/// One pair at a time, d = 16: the sequential DP on 1 thread and the split DP on 2.
fn split_table(pools: &[rayon::ThreadPool], repeats: usize) {
    let sizes = env_list("DECDTW_BENCH_SPLIT_SIZES", &[256, 512, 1024]);
    println!("one pair, d = 16, M = n + 1, 3 refinements; {repeats} pairs, each solved both ways");
    println!(
        "{:>6} {:>16} {:>18} {:>22}",
        "n", "1 thread ms", "2 threads split ms", "speedup (median ratio)"
    );
    for &n in &sizes {
        let mut seed = 11u64;
        let (mut one, mut two, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..repeats {
            let problem = random_pair(&mut seed, n, 16);
            let options = |split| SolveOptions {
                levels: Some(n + 1),
                split,
                ..SolveOptions::default()
            };
            let time = |pool: &rayon::ThreadPool, split| {
                let start = Instant::now();
                let solution = pool.install(|| solve(&problem, &options(split)).unwrap());
                (start.elapsed(), solution.objective)
            };
            let (t1, f1) = time(&pools[0], false);
            let (t2, f2) = time(&pools[1], true);
            assert!((f1 - f2).abs() <= 1e-12 * f1.abs().max(1.0), "{f1} vs {f2}");
            ratios.push(t1.as_secs_f64() / t2.as_secs_f64());
            one.push(t1);
            two.push(t2);
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "{:>6} {:>16.2} {:>18.2} {:>22.2}",
            n,
            median(one).as_secs_f64() * 1e3,
            median(two).as_secs_f64() * 1e3,
            ratios[ratios.len() / 2]
        );
    }
}
