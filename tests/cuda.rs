//! The GPU kernels without a GPU: their host build against the Rust solver (always), their
//! NVRTC compile for sm_80 and sm_90 and `ptxas` assembly (feature `cuda`, where NVRTC is
//! installed; `.ci/run` installs it), and the device solver itself (ignored unless a GPU is
//! there: run `cargo test --features cuda --test cuda -- --ignored` on one).

use decdtw::cuda::layout::Batch;
use decdtw::{objective, solve, Endpoints, Error, FeaturePenalty, Kernel, Problem, SolveOptions};
use decdtw::{synthetic, Signal};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The host solver built from the kernel source with the system C++ compiler (`$CXX`, or
/// `c++`), once per precision, without floating-point contractions (like Rust).
fn host_solver(real: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cuda-host");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    });
    let exe = dir.join(format!("host_solver_{real}"));
    let source_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cuda");
    let compiler = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    let status = Command::new(&compiler)
        .args(["-std=c++20", "-O2", "-ffp-contract=off", "-pthread"])
        .arg(format!("-DREAL={real}"))
        .arg(format!("-I{}", source_dir.display()))
        .arg(source_dir.join("host_main.cpp"))
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap_or_else(|e| {
            panic!("cannot run the C++ compiler {compiler:?} ({e}): install g++ (.ci/run does)")
        });
    assert!(status.success(), "the kernels do not build for the host");
    exe
}

/// Runs the host build of the kernels on `problems`: every pair's warp.
fn host_solve(real: &str, problems: &[Problem], options: &SolveOptions) -> Vec<Vec<f64>> {
    let batch = Batch::new(problems, options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.bin"), dir.path().join("out.bin"));
    batch
        .write_to(std::io::BufWriter::new(
            std::fs::File::create(&input).unwrap(),
        ))
        .unwrap();
    let status = Command::new(host_solver(real))
        .arg(&input)
        .arg(&output)
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&output).unwrap();
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(values.len(), batch.knots() + batch.pairs);
    batch.split(&values[..batch.knots()])
}

/// A batch of pairs of different lengths and constraints, all with `d = 3`.
fn batch_problems() -> Vec<Problem> {
    let mut seed = 11u64;
    let mut problems = Vec::new();
    for (k, n) in [12usize, 20, 9, 31, 16, 25].into_iter().enumerate() {
        let pair = if k % 2 == 0 {
            synthetic::random_pair(&mut seed, n, 3)
        } else {
            synthetic::warped_pair(&mut seed, n, 3)
        }
        .unwrap();
        let mut builder = pair.to_builder().lambda(0.05 + 0.1 * k as f64);
        match k % 3 {
            0 => builder = builder.band(0.3),
            1 => builder = builder.slope_min(0.2).slope_max(3.0),
            _ => builder = builder.endpoints(Endpoints::Subsequence),
        }
        problems.push(builder.build().unwrap());
    }
    problems
}

fn options() -> SolveOptions {
    SolveOptions {
        levels: Some(24),
        refinements: 3,
        kernel: Kernel::Plain,
        ..SolveOptions::default()
    }
}

#[test]
fn host_kernels_f64_give_the_cpu_solver_s_warps() {
    let problems = batch_problems();
    let host = host_solve("double", &problems, &options());
    for (k, (problem, phi)) in problems.iter().zip(&host).enumerate() {
        let cpu = solve(problem, &options()).unwrap();
        let f = objective(problem, phi).unwrap();
        assert!(
            (f - cpu.objective).abs() <= 1e-12 * cpu.objective.abs(),
            "pair {k}: objective {f} vs CPU {}",
            cpu.objective
        );
        assert_eq!(phi, &cpu.phi, "pair {k}: another path");
    }
}

#[test]
fn host_kernels_f32_stay_within_1e_5_of_f64() {
    let problems = batch_problems();
    let host = host_solve("float", &problems, &options());
    for (k, (problem, phi)) in problems.iter().zip(&host).enumerate() {
        let cpu = solve(problem, &options()).unwrap().objective;
        let f = objective(problem, phi).unwrap();
        assert!(
            (f - cpu).abs() <= 1e-5 * cpu.abs(),
            "pair {k}: f32 objective {f} vs f64 {cpu}"
        );
    }
}

#[test]
fn the_layout_refuses_what_the_kernels_do_not_solve() {
    let problems = batch_problems();
    let huber = problems[0]
        .to_builder()
        .feature_penalty(FeaturePenalty::Huber { delta: 1.0 })
        .build()
        .unwrap();
    let err = Batch::new(&[problems[1].clone(), huber], &options()).unwrap_err();
    assert!(matches!(err, Error::Device { .. }), "{err}");
    let other_d = Problem::builder(
        Signal::uniform(vec![0.0, 1.0, 2.0, 3.0], 2).unwrap(),
        Signal::uniform(vec![0.0, 1.0, 2.0, 3.0], 2).unwrap(),
    )
    .build()
    .unwrap();
    assert!(matches!(
        Batch::new(&[problems[0].clone(), other_d], &options()),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(Batch::new(&[], &options()).is_err());
}

#[cfg(feature = "cuda")]
mod device {
    use super::*;
    use decdtw::cuda::{CudaSolver, Precision};

    /// `DECDTW_REQUIRE_NVRTC=1` (set by `.ci/run`) turns a missing NVRTC into a failure.
    fn nvrtc_required() -> bool {
        std::env::var("DECDTW_REQUIRE_NVRTC").is_ok_and(|v| v == "1")
    }

    #[test]
    fn kernels_compile_to_ptx_and_assemble_for_sm80_and_sm90() {
        for precision in [Precision::F64, Precision::F32] {
            for arch in ["sm_80", "sm_90"] {
                let ptx = match decdtw::cuda::compile(precision, arch) {
                    Ok(ptx) => ptx,
                    Err(e) if !nvrtc_required() && e.to_string().contains("not found") => {
                        eprintln!("SKIPPED (not passed): {e}");
                        return;
                    }
                    Err(e) => panic!("{e}"),
                };
                for entry in decdtw::cuda::ENTRY_POINTS {
                    assert!(ptx.contains(&format!(".entry {entry}")), "{entry} missing");
                }
                // ptxas (from nvidia-cuda-nvcc-cu12) must accept the PTX too.
                let Ok(ptxas) = std::env::var("DECDTW_PTXAS") else {
                    assert!(!nvrtc_required(), "DECDTW_PTXAS is not set");
                    eprintln!("ptxas not checked: DECDTW_PTXAS is not set");
                    continue;
                };
                let dir = tempfile::tempdir().unwrap();
                let file = dir.path().join("kernels.ptx");
                std::fs::write(&file, &ptx).unwrap();
                let out = Command::new(&ptxas)
                    .arg(format!("--gpu-name={arch}"))
                    .arg(&file)
                    .arg("-o")
                    .arg(dir.path().join("kernels.cubin"))
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "ptxas rejects the {precision:?} kernels for {arch}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }

    #[test]
    fn without_a_gpu_the_solver_reports_an_error_not_a_panic() {
        // SAFETY: only probes whether the driver library can be loaded.
        let driver = unsafe { cudarc::driver::sys::is_culib_present() };
        match CudaSolver::new(0, Precision::F64) {
            Ok(_) => assert!(driver),
            Err(e) => {
                assert!(matches!(e, Error::Device { .. }));
                if !driver {
                    assert!(e.to_string().contains("no CUDA driver"), "{e}");
                }
            }
        }
    }

    #[test]
    #[ignore = "needs an NVIDIA GPU: run with --ignored on a machine with one"]
    fn gpu_matches_the_cpu_solver() {
        let problems = batch_problems();
        let gpu = CudaSolver::new(0, Precision::F64).unwrap();
        let single = CudaSolver::new(0, Precision::F32).unwrap();
        let f64_solutions = gpu.solve_batch(&problems, &options()).unwrap();
        let f32_solutions = single.solve_batch(&problems, &options()).unwrap();
        for (k, problem) in problems.iter().enumerate() {
            let cpu = solve(problem, &options()).unwrap();
            let ours = &f64_solutions[k];
            assert!((ours.objective - cpu.objective).abs() <= 1e-12 * cpu.objective);
            assert_eq!(ours.phi, cpu.phi, "pair {k}");
            let single = f32_solutions[k].objective;
            assert!((single - cpu.objective).abs() <= 1e-5 * cpu.objective);
        }
    }
}
