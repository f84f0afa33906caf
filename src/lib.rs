//! # decdtw
//!
//! Differentiable dynamic time warping that returns the *optimal* alignment path of a
//! continuous-time DTW problem (GDTW, Deriso & Boyd) and exact gradients of that path
//! (DecDTW, Xu et al., ICLR 2023):
//! - [`problem`]: signals, knots, penalties and constraints, validated, with exact feasible
//!   intervals; [`interpolation`]: how y is read between samples (linear or a cubic spline);
//!   [`mod@objective`]: `f` and its derivatives;
//! - [`dp`]: the forward pass (dynamic programming with refinement); [`mod@polish`]: an
//!   active-set solve of the NLP to an exact KKT point, with a certificate;
//! - [`backward`]: vector–Jacobian products of the polished warp;
//! - [`cuda`]: the batched forward pass on a GPU (feature `cuda`); [`synthetic`]: reproducible
//!   example pairs.
//!
//! ```
//! use decdtw::{solve, vjp, PolishOptions, Problem, Signal, SolveOptions};
//!
//! let xs: Vec<f64> = (0..40).map(|i| (i as f64 / 6.0).sin()).collect();
//! let ys: Vec<f64> = (0..40).map(|i| ((i as f64 / 39.0).powf(1.3) * 39.0 / 6.0).sin()).collect();
//! let problem = Problem::builder(Signal::uniform(xs, 1)?, Signal::uniform(ys, 1)?)
//!     .lambda(0.1)
//!     .band(0.3)
//!     .build()?;
//! let options = SolveOptions { polish: Some(PolishOptions::default()), ..SolveOptions::default() };
//! let solution = solve(&problem, &options)?;
//! assert_eq!(solution.phi.len(), 40);
//! assert!(solution.objective <= solution.dp_objective);
//! let polished = solution.polish.as_ref().unwrap();
//! assert!(polished.certificate.holds(1e-9));
//! let grad = vjp(&problem, polished, &vec![1.0; 40])?; // d(Σ φ_i)/d(X, Y, λ, …)
//! assert_eq!(grad.y.len(), 40);
//! # Ok::<(), decdtw::Error>(())
//! ```

pub mod backward;
pub mod cuda;
pub mod dp;
mod error;
pub mod interpolation;
pub mod objective;
pub mod penalty;
pub mod polish;
pub mod problem;
pub mod signal;
pub mod synthetic;

pub use backward::{vjp, Vjp};
pub use dp::{solve, solve_batch, Kernel, Solution, SolveOptions};
pub use error::{Error, Result};
pub use interpolation::{Interpolation, SplineEnds};
pub use objective::objective;
pub use penalty::{FeaturePenalty, WarpPenalty};
pub use polish::{polish, PolishOptions, Polished};
pub use problem::{Endpoints, PerItem, Problem, ProblemBuilder};
pub use signal::Signal;
