//! GPU against CPU (2 threads) throughput for batches of 1, 16, 64 and 256 random-walk pairs at
//! n = 256 and 512 (d = 16, M = n + 1, 3 refinements), with the agreement checks of issue 6:
//! `cargo run --release --features cuda --example gpu_bench` on a machine with a GPU.

#[path = "../benches/common/mod.rs"]
mod common;

use decdtw::cuda::{CudaSolver, Precision};
use decdtw::{objective, solve_batch, SolveOptions};
use std::time::Instant;

fn main() -> Result<(), decdtw::Error> {
    let gpu64 = CudaSolver::new(0, Precision::F64)?;
    let gpu32 = CudaSolver::new(0, Precision::F32)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    println!("| n | pairs | CPU 2 threads (pairs/s) | GPU f64 (pairs/s) | GPU f32 (pairs/s) | worst f64 rel. diff | worst f32 rel. diff |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for n in [256, 512] {
        for pairs in [1, 16, 64, 256] {
            let mut seed = 3u64;
            let problems: Vec<_> = (0..pairs)
                .map(|_| common::random_pair(&mut seed, n, 16))
                .collect();
            let options = SolveOptions {
                levels: Some(n + 1),
                ..SolveOptions::default()
            };
            let time = |f: &mut dyn FnMut()| {
                let mut times: Vec<f64> = (0..5)
                    .map(|_| {
                        let start = Instant::now();
                        f();
                        start.elapsed().as_secs_f64()
                    })
                    .collect();
                times.sort_by(f64::total_cmp);
                pairs as f64 / times[2]
            };
            let mut cpu = Vec::new();
            let cpu_rate = time(&mut || cpu = pool.install(|| solve_batch(&problems, &options)));
            let (mut g64, mut g32) = (Vec::new(), Vec::new());
            let rate64 = time(&mut || g64 = gpu64.solve_batch(&problems, &options).unwrap());
            let rate32 = time(&mut || g32 = gpu32.solve_batch(&problems, &options).unwrap());
            let worst = |gpu: &[decdtw::Solution]| {
                cpu.iter()
                    .zip(gpu)
                    .zip(&problems)
                    .fold(0.0f64, |w, ((c, g), p)| {
                        let c = c.as_ref().unwrap().objective;
                        w.max((objective(p, &g.phi).unwrap() - c).abs() / c)
                    })
            };
            println!(
                "| {n} | {pairs} | {cpu_rate:.1} | {rate64:.1} | {rate32:.1} | {:.1e} | {:.1e} |",
                worst(&g64),
                worst(&g32)
            );
        }
    }
    Ok(())
}
