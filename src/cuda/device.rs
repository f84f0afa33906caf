//! The device solver: compiles the kernels with NVRTC, uploads a [`Batch`] and runs every pass
//! of the forward pass on the GPU, one launch per stage for all pairs.

use super::layout::Batch;
use super::{ENTRY_POINTS, KERNELS};
use crate::dp::{grid_spacing, Solution, SolveOptions};
use crate::objective::objective;
use crate::problem::Problem;
use crate::{Error, Result};
use cudarc::driver::{
    CudaContext, CudaFunction, CudaSlice, CudaStream, DeviceRepr, LaunchConfig, PushKernelArg,
    ValidAsZeroBits,
};
use cudarc::nvrtc::{compile_ptx_with_opts, CompileOptions};
use std::sync::Arc;
use std::time::Instant;

/// The floating-point type the kernels compute in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F32,
    F64,
}

impl Precision {
    fn define(self) -> &'static str {
        match self {
            Precision::F32 => "-DREAL=float",
            Precision::F64 => "-DREAL=double",
        }
    }
}

/// Threads per block of every launch.
const BLOCK: u32 = 128;

/// A GPU, its stream and the compiled kernels.
pub struct CudaSolver {
    stream: Arc<CudaStream>,
    functions: Vec<CudaFunction>,
    precision: Precision,
}

fn device_error(what: &str) -> impl Fn(cudarc::driver::DriverError) -> Error + '_ {
    move |e| Error::Device {
        reason: format!("{what}: {e}"),
    }
}

/// Compiles the kernels to PTX for `arch` (e.g. `"sm_80"`) with NVRTC. Contractions into fused
/// multiply-adds are off, so that `f64` results match the CPU solver's.
pub fn compile(precision: Precision, arch: &str) -> Result<String> {
    // SAFETY: only probes whether the shared library can be loaded.
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return Err(Error::Device {
            reason:
                "NVRTC (libnvrtc) was not found: install the CUDA toolkit, or \
                     `pip install nvidia-cuda-nvrtc-cu12` and add its lib folder to LD_LIBRARY_PATH"
                    .into(),
        });
    }
    let options = CompileOptions {
        fmad: Some(false),
        options: vec![
            precision.define().into(),
            format!("--gpu-architecture={arch}"),
        ],
        ..CompileOptions::default()
    };
    compile_ptx_with_opts(KERNELS, options)
        .map(|ptx| ptx.to_src())
        .map_err(|e| Error::Device {
            reason: format!("the kernels do not compile for {arch}: {e}"),
        })
}

impl CudaSolver {
    /// Opens GPU `ordinal` and compiles the kernels. A clean [`Error::Device`] (never a panic)
    /// when there is no driver, no such device or no NVRTC.
    pub fn new(ordinal: usize, precision: Precision) -> Result<Self> {
        // SAFETY: only probes whether the shared library can be loaded.
        if !unsafe { cudarc::driver::sys::is_culib_present() } {
            return Err(Error::Device {
                reason: "no CUDA driver (libcuda) on this machine".into(),
            });
        }
        let ctx = CudaContext::new(ordinal).map_err(device_error("opening the GPU"))?;
        let (major, minor) = ctx
            .compute_capability()
            .map_err(device_error("reading the compute capability"))?;
        let ptx = compile(precision, &format!("sm_{major}{minor}"))?;
        let module = ctx
            .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
            .map_err(device_error("loading the kernels"))?;
        let functions = ENTRY_POINTS
            .iter()
            .map(|name| {
                module
                    .load_function(name)
                    .map_err(device_error("finding a kernel"))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            stream: ctx.default_stream(),
            functions,
            precision,
        })
    }

    /// Solves every problem of the batch like [`crate::solve`] (without the polish): the same
    /// grids, passes and kernels' arithmetic, so with `f64` the same warps.
    pub fn solve_batch(
        &self,
        problems: &[Problem],
        options: &SolveOptions,
    ) -> Result<Vec<Solution>> {
        let start = Instant::now();
        let batch = Batch::new(problems, options)?;
        let (phi, fractions) = match self.precision {
            Precision::F64 => self.run::<f64>(&batch, |v| v)?,
            Precision::F32 => self.run::<f32>(&batch, |v| v as f32)?,
        };
        let elapsed = start.elapsed();
        problems
            .iter()
            .zip(batch.split(&phi))
            .zip(fractions)
            .map(|((problem, phi), fraction)| {
                let value = objective(problem, &phi)?;
                Ok(Solution {
                    phi,
                    objective: value,
                    dp_objective: value,
                    polish: None,
                    pass_objectives: vec![value],
                    levels: batch.levels,
                    grid_spacing: grid_spacing(problem, batch.levels, fraction),
                    elapsed,
                    polish_elapsed: Default::default(),
                })
            })
            .collect()
    }

    /// Runs the passes; returns the best warps (all pairs' knots in a row) and, per pair, the
    /// fraction of the feasible intervals its best pass's grids span (1 for the first pass).
    fn run<T>(&self, batch: &Batch, cast: impl Fn(f64) -> T) -> Result<(Vec<f64>, Vec<f64>)>
    where
        T: DeviceRepr + ValidAsZeroBits + Copy + Into<f64> + PartialOrd,
    {
        let s = &self.stream;
        let upload = |v: &[f64]| -> Result<CudaSlice<T>> {
            let host: Vec<T> = v.iter().map(|&x| cast(x)).collect();
            s.clone_htod(&host).map_err(device_error("uploading"))
        };
        let ints = |v: &[i64]| -> Result<CudaSlice<i64>> {
            s.clone_htod(v).map_err(device_error("uploading"))
        };
        let zeros = |n: usize| -> Result<CudaSlice<T>> {
            s.alloc_zeros::<T>(n.max(1))
                .map_err(device_error("allocating"))
        };
        let (knots, levels) = (batch.knots() as i64, batch.levels as i64);
        let (pairs, d) = (batch.pairs as i64, batch.d as i64);
        let knot_start = ints(&batch.knot_start)?;
        let y_start = ints(&batch.y_start)?;
        let knot_pair = ints(&batch.knot_pair)?;
        let x_at_knots = upload(&batch.x_at_knots)?;
        let weights = upload(&batch.weights)?;
        let y_times = upload(&batch.y_times)?;
        let y_values = upload(&batch.y_values)?;
        let feasible = upload(&batch.feasible)?;
        let dt = upload(&batch.dt)?;
        let step_min = upload(&batch.step_min)?;
        let step_max = upload(&batch.step_max)?;
        let lambda = upload(&batch.lambda)?;
        let slope = upload(&batch.expected_slope)?;
        let cells = batch.knots() * batch.levels;
        let mut layers = zeros(6 * batch.knots())?;
        let mut node = zeros(cells)?;
        let mut cost = zeros(cells)?;
        let mut back = s
            .alloc_zeros::<u32>(cells.max(1))
            .map_err(device_error("allocating"))?;
        let mut phi = zeros(batch.knots())?;
        let mut path_cost = zeros(batch.pairs)?;
        let mut best_phi = zeros(batch.knots())?;
        let mut best_cost = vec![f64::INFINITY; batch.pairs];
        let mut best_fraction = vec![1.0; batch.pairs];
        let inf = cast(f64::INFINITY);
        let slack = cast(match self.precision {
            Precision::F64 => 0.0,
            Precision::F32 => {
                8.0 * f32::EPSILON as f64 * batch.y_times.iter().fold(0.0f64, |a, t| a.max(t.abs()))
            }
        });
        let cfg = |threads: i64| LaunchConfig {
            grid_dim: ((threads as u32).div_ceil(BLOCK).max(1), 1, 1),
            block_dim: (BLOCK, 1, 1),
            shared_mem_bytes: 0,
        };
        let [fill_layers, node_costs, dp_start, dp_stage, backtrack] = &self.functions[..] else {
            unreachable!("five entry points");
        };
        let launch = device_error("launching a kernel");
        let mut fraction = 0.0;
        for _ in 0..batch.passes {
            let width = cast(fraction);
            // SAFETY: every argument matches the kernel's signature in kernels.cu, and every
            // buffer has the length the layout notes there require.
            unsafe {
                s.launch_builder(fill_layers)
                    .arg(&knots)
                    .arg(&levels)
                    .arg(&width)
                    .arg(&feasible)
                    .arg(&best_phi)
                    .arg(&mut layers)
                    .launch(cfg(knots))
                    .map_err(&launch)?;
                s.launch_builder(node_costs)
                    .arg(&knots)
                    .arg(&levels)
                    .arg(&d)
                    .arg(&knot_pair)
                    .arg(&y_start)
                    .arg(&x_at_knots)
                    .arg(&weights)
                    .arg(&y_times)
                    .arg(&y_values)
                    .arg(&layers)
                    .arg(&mut node)
                    .launch(cfg(knots * levels))
                    .map_err(&launch)?;
                s.launch_builder(dp_start)
                    .arg(&pairs)
                    .arg(&levels)
                    .arg(&knot_start)
                    .arg(&layers)
                    .arg(&node)
                    .arg(&mut cost)
                    .launch(cfg(pairs * levels))
                    .map_err(&launch)?;
                for stage in 0..batch.stages() as i64 {
                    s.launch_builder(dp_stage)
                        .arg(&pairs)
                        .arg(&stage)
                        .arg(&levels)
                        .arg(&knot_start)
                        .arg(&layers)
                        .arg(&node)
                        .arg(&dt)
                        .arg(&step_min)
                        .arg(&step_max)
                        .arg(&lambda)
                        .arg(&slope)
                        .arg(&slack)
                        .arg(&inf)
                        .arg(&mut cost)
                        .arg(&mut back)
                        .launch(cfg(pairs * levels))
                        .map_err(&launch)?;
                }
                s.launch_builder(backtrack)
                    .arg(&pairs)
                    .arg(&levels)
                    .arg(&knot_start)
                    .arg(&layers)
                    .arg(&cost)
                    .arg(&back)
                    .arg(&inf)
                    .arg(&mut phi)
                    .arg(&mut path_cost)
                    .launch(cfg(pairs))
                    .map_err(&launch)?;
            }
            // Keep each pair's best pass (one small copy per pass, not per knot).
            let costs: Vec<T> = s
                .clone_dtoh(&path_cost)
                .map_err(device_error("downloading"))?;
            let improved: Vec<bool> = costs
                .iter()
                .zip(&best_cost)
                .map(|(&c, &b)| c.into() < b)
                .collect();
            if improved.iter().any(|&i| i) {
                let mut host_best: Vec<T> = s
                    .clone_dtoh(&best_phi)
                    .map_err(device_error("downloading"))?;
                let host_phi: Vec<T> = s.clone_dtoh(&phi).map_err(device_error("downloading"))?;
                for (p, w) in batch.knot_start.windows(2).enumerate() {
                    if improved[p] {
                        best_cost[p] = costs[p].into();
                        best_fraction[p] = if fraction == 0.0 { 1.0 } else { fraction };
                        let range = w[0] as usize..w[1] as usize;
                        host_best[range.clone()].copy_from_slice(&host_phi[range]);
                    }
                }
                best_phi = s
                    .clone_htod(&host_best)
                    .map_err(device_error("uploading"))?;
            }
            fraction = if fraction == 0.0 {
                batch.eta
            } else {
                fraction * batch.eta
            };
        }
        let host: Vec<T> = s
            .clone_dtoh(&best_phi)
            .map_err(device_error("downloading"))?;
        Ok((host.into_iter().map(Into::into).collect(), best_fraction))
    }
}
