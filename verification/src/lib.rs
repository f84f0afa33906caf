//! # decdtw-verification
//!
//! Independent checks of everything `decdtw` computes, usable on your own problems:
//! - [`derivatives`]: the hand-coded gradient, tridiagonal Hessian and mixed derivatives of
//!   `f` against exact dual-number derivatives (num-dual) of the same objective;
//! - [`enumeration`]: the DP optimum against exhaustive enumeration of every grid path;
//! - [`kernels`]: every fast DP kernel against the plain one;
//! - [`finite_differences`]: central differences of the whole solve, skipping (and counting)
//!   steps that change the active set;
//! - [`jacobian`]: the literal dense formula of the solution's Jacobian, the reference for
//!   the library's vector–Jacobian products;
//! - [`qp`]: a brute-force dense QP solver, the reference for the polish where `f` is quadratic;
//! - [`suite`]: all of the above over a set of problems, as a report (Markdown and JSON);
//!   the `decdtw-verify` command runs it;
//! - [`problem_file`]: problems from JSON files;
//! - [`random`]: reproducible random problems exercising every kind of constraint.

pub mod derivatives;
pub mod enumeration;
pub mod finite_differences;
pub mod jacobian;
pub mod kernels;
pub mod problem_file;
pub mod qp;
pub mod random;
pub mod suite;

/// `max |a − b| / max |b|` over paired entries (0 when both are all zero).
pub fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    relative_error_with_floor(a, b, 0.0)
}

/// `max |a − b| / max(max |b|, floor)`: a relative error whose scale never drops below
/// `floor`, so that a block which is exactly zero in theory is not judged by its rounding noise.
pub fn relative_error_with_floor(a: &[f64], b: &[f64], floor: f64) -> f64 {
    let scale = b.iter().fold(floor, |s, v| s.max(v.abs()));
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0_f64, |s, (x, y)| s.max((x - y).abs()));
    if diff == 0.0 {
        0.0
    } else {
        diff / scale.max(f64::MIN_POSITIVE)
    }
}
