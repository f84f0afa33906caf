//! The batched forward pass on an NVIDIA GPU (feature `cuda`).
//!
//! The kernels ([`KERNELS`], CUDA C) compute the node costs, one DP stage for all pairs of a
//! batch (one thread per pair and grid value, scanning the slope-feasible predecessors), the
//! back-tracking and the next pass's grids, so that the refinement loop runs on the device
//! with no host round trip per knot. They are compiled at run time with NVRTC, in `f64` or
//! `f32`. Supported problems: squared Euclidean feature penalty, squared slope penalty,
//! piecewise-linear y, no cumulative term ([`layout::check_supported`]); the batch layout
//! ([`layout::Batch`]) is plain Rust and built without the feature.
//!
//! The same kernel source builds for the host (`host_shim.h`, `host_main.cpp`): the tests run
//! it against the Rust solver on every CI run, and compile it to PTX with NVRTC for sm_80 and
//! sm_90 where NVRTC is installed, so a kernel that does not compile fails CI without a GPU.

pub mod layout;

#[cfg(feature = "cuda")]
mod device;
#[cfg(feature = "cuda")]
pub use device::{compile, CudaSolver, Precision};

/// The CUDA C source of the kernels; `REAL` must be defined as `float` or `double`.
pub const KERNELS: &str = include_str!("kernels.cu");
/// The host shim that turns blocks into loops and CUDA threads into host threads.
pub const HOST_SHIM: &str = include_str!("host_shim.h");
/// The host driver of the kernels, for tests.
pub const HOST_MAIN: &str = include_str!("host_main.cpp");

/// The kernels' entry points.
pub const ENTRY_POINTS: [&str; 5] = [
    "fill_layers",
    "node_costs",
    "dp_start",
    "dp_stage",
    "backtrack",
];
