//! Batch throughput: 64 random-walk pairs solved by `solve_batch` on a rayon pool of 1 and of 2
//! threads, alternating, medians of repeated runs (issue: speed). Also times the node costs
//! alone (every knot over one `M = n + 1` grid spanning y's range, with the problem's tables
//! built once: `dp::NodeCosts`), at d = 1 and 16.
//! Then one pair at a time: the sequential DP on 1 thread against the DP split at the middle
//! knot (`SolveOptions::split`) on 2.
//!
//! Each pool runs every batch twice in a row: the first run starts with the pool's threads
//! asleep (the other pool ran meanwhile), the second with them awake. On a virtual machine a
//! sleeping thread can take milliseconds to wake (2.7 ms median on this project's development
//! machine after 10 ms idle), which a 2-thread pool pays once per batch and a 1-thread pool
//! hides. Both are reported: "busy" is the throughput of a pool that is kept working, "woken"
//! of one called after a pause. Speedups are medians of the ratios of each 1-thread run to the
//! 2-thread run right after it, which cancels drift slower than one pair of runs.
//!
//! Each row alternates until both pools have run at least `DECDTW_BENCH_REPEATS` times and for
//! `DECDTW_BENCH_MIN_SECONDS` each (small batches take milliseconds).
//!
//! `cargo bench --bench batch` (env: `DECDTW_BENCH_SIZES=64,256,...`, `DECDTW_BENCH_REPEATS=5`,
//! `DECDTW_BENCH_MIN_SECONDS=2`, `DECDTW_BENCH_DIMS=1,16`, `DECDTW_BENCH_PAIRS=64`,
//! `DECDTW_BENCH_SPLIT_SIZES=256,512,1024`).

mod common;

use common::{env_list, median, random_pair};
use decdtw::{dp::NodeCosts, solve, solve_batch, SolveOptions};
use std::time::{Duration, Instant};

/// Times of one configuration: right after the pool woke, and with it busy.
#[derive(Default)]
struct Runs {
    woken: Vec<Duration>,
    busy: Vec<Duration>,
}

impl Runs {
    /// Runs `work` twice on `pool`, timing each.
    fn push<R: Send>(&mut self, pool: &rayon::ThreadPool, work: impl Fn() -> R + Send + Sync) -> R {
        let time = || {
            let start = Instant::now();
            let out = pool.install(&work);
            (start.elapsed(), out)
        };
        self.woken.push(time().0);
        let (busy, out) = time();
        self.busy.push(busy);
        out
    }
}

/// Median over the repeats of `one[r] / two[r]`.
fn paired_ratio(one: &[Duration], two: &[Duration]) -> f64 {
    let mut ratios: Vec<f64> = one
        .iter()
        .zip(two)
        .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn main() {
    let sizes = env_list("DECDTW_BENCH_SIZES", &[64, 128, 256, 512, 1024]);
    let repeats = env_list("DECDTW_BENCH_REPEATS", &[5])[0].max(1);
    let dims = env_list("DECDTW_BENCH_DIMS", &[1, 16]);
    let pairs = env_list("DECDTW_BENCH_PAIRS", &[64])[0].max(1);
    let min_seconds = env_list("DECDTW_BENCH_MIN_SECONDS", &[2])[0] as f64;
    let pools: Vec<rayon::ThreadPool> = [1, 2]
        .iter()
        .map(|&t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
        })
        .collect();
    println!(
        "batch of {pairs} pairs, M = n + 1, 3 refinements; at least {repeats} runs and \
         {min_seconds} s per pool; pairs/s of the busy pools (medians)"
    );
    println!(
        "{:>4} {:>6} {:>6} {:>14} {:>14} {:>13} {:>13} {:>14}",
        "d",
        "n",
        "runs",
        "1 thread pairs/s",
        "2 threads pairs/s",
        "speedup busy",
        "speedup woken",
        "node costs ms"
    );
    for &d in &dims {
        for &n in &sizes {
            let mut seed = 7u64;
            let problems: Vec<_> = (0..pairs).map(|_| random_pair(&mut seed, n, d)).collect();
            let options = SolveOptions {
                levels: Some(n + 1),
                ..SolveOptions::default()
            };
            let mut runs = [Runs::default(), Runs::default()];
            while runs[0].busy.len() < repeats
                || runs[0].busy.iter().sum::<Duration>().as_secs_f64() < min_seconds
            {
                for (slot, pool) in pools.iter().enumerate() {
                    let solutions = runs[slot].push(pool, || solve_batch(&problems, &options));
                    assert!(solutions.iter().all(|s| s.is_ok()));
                }
            }
            let throughput = |t: &[Duration]| pairs as f64 / median(t.to_vec()).as_secs_f64();
            let grid: Vec<f64> = (0..=n).map(|k| k as f64 / n as f64).collect();
            let mut out = vec![0.0; grid.len()];
            let node_times: Vec<Duration> = (0..repeats)
                .map(|_| {
                    let start = Instant::now();
                    let mut costs = NodeCosts::new(&problems[0]);
                    for i in 0..problems[0].num_knots() {
                        costs.evaluate(i, &grid, &mut out).unwrap();
                        std::hint::black_box(&out);
                    }
                    start.elapsed()
                })
                .collect();
            let [one, two] = &runs;
            println!(
                "{:>4} {:>6} {:>6} {:>14.1} {:>14.1} {:>13.2} {:>13.2} {:>14.3}",
                d,
                n,
                one.busy.len(),
                throughput(&one.busy),
                throughput(&two.busy),
                paired_ratio(&one.busy, &two.busy),
                paired_ratio(&one.woken, &two.woken),
                median(node_times).as_secs_f64() * 1e3
            );
        }
    }
    split_table(&pools, repeats);
    wake_latency(&pools[1]);
}

/// How long the 2-thread pool's second thread takes to pick up work after the pool sat idle
/// for 10 ms (the cost a 2-thread batch pays once, and a 1-thread batch does not).
fn wake_latency(pool: &rayon::ThreadPool) {
    let mut lags: Vec<Duration> = (0..21)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(10));
            let start = Instant::now();
            let (_, stolen) = pool.install(|| {
                rayon::join(
                    || {
                        let busy = Instant::now();
                        while busy.elapsed() < Duration::from_millis(5) {}
                    },
                    Instant::now,
                )
            });
            stolen - start
        })
        .collect();
    lags.sort();
    println!(
        "after 10 ms idle, the 2-thread pool's second thread starts work {:.0} µs after the call \
         (median of 21; min {:.0} µs, max {:.0} µs)",
        lags[10].as_secs_f64() * 1e6,
        lags[0].as_secs_f64() * 1e6,
        lags[20].as_secs_f64() * 1e6
    );
}

/// One pair at a time, d = 16: the sequential DP on 1 thread and the split DP on 2.
fn split_table(pools: &[rayon::ThreadPool], repeats: usize) {
    let sizes = env_list("DECDTW_BENCH_SPLIT_SIZES", &[256, 512, 1024]);
    println!(
        "one pair, d = 16, M = n + 1, 3 refinements; {repeats} pairs, each solved both ways \
         (twice on each pool, as above); ms of the busy pools (medians)"
    );
    println!(
        "{:>6} {:>12} {:>19} {:>13} {:>13}",
        "n", "1 thread ms", "2 threads split ms", "speedup busy", "speedup woken"
    );
    for &n in &sizes {
        let mut seed = 11u64;
        let mut runs = [Runs::default(), Runs::default()];
        for _ in 0..repeats {
            let problem = random_pair(&mut seed, n, 16);
            let options = |split| SolveOptions {
                levels: Some(n + 1),
                split,
                ..SolveOptions::default()
            };
            let f1 = runs[0].push(&pools[0], || solve(&problem, &options(false)).unwrap());
            let f2 = runs[1].push(&pools[1], || solve(&problem, &options(true)).unwrap());
            let (f1, f2) = (f1.objective, f2.objective);
            assert!((f1 - f2).abs() <= 1e-12 * f1.abs().max(1.0), "{f1} vs {f2}");
        }
        let [one, two] = &runs;
        let ms = |t: &[Duration]| median(t.to_vec()).as_secs_f64() * 1e3;
        println!(
            "{:>6} {:>12.2} {:>19.2} {:>13.2} {:>13.2}",
            n,
            ms(&one.busy),
            ms(&two.busy),
            paired_ratio(&one.busy, &two.busy),
            paired_ratio(&one.woken, &two.woken)
        );
    }
}
