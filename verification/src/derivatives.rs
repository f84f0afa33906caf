//! Hand-coded derivatives of `f` against exact dual-number derivatives of the same objective.
//!
//! All inputs the derivatives concern are stacked into `z = [φ, X, Y, λ, λ_cum]`, and num-dual's
//! second-order dual numbers give `∇f(z)` and `∇²f(z)` exactly (to rounding); the blocks of
//! that Hessian are compared with [`decdtw::objective::hessian`] and
//! [`decdtw::objective::mixed_derivatives`].
//!
//! Each block's error is relative to the block's largest entry, but never to less than
//! `1e-3` of the largest entry of the whole dual gradient or Hessian (a block that is zero in
//! theory, such as the Huber penalty's curvature in one dimension, holds only rounding noise).

use crate::relative_error_with_floor;
use decdtw::objective::{gradient, hessian, mixed_derivatives, objective_generic};
use decdtw::Problem;
use nalgebra::{DMatrix, DVector};
use num_dual::{hessian as dual_hessian, Dual2DVec64};

/// Worst relative error of each hand-coded derivative (see [`relative_error_with_floor`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DerivativeErrors {
    /// `f` itself: the f64 path against the dual path's real part.
    pub value: f64,
    pub gradient: f64,
    pub hessian: f64,
    pub mixed_x: f64,
    pub mixed_y: f64,
    pub mixed_lambda: f64,
    pub mixed_lambda_cum: f64,
}

impl DerivativeErrors {
    /// The largest of all errors.
    pub fn worst(&self) -> f64 {
        [
            self.value,
            self.gradient,
            self.hessian,
            self.mixed_x,
            self.mixed_y,
            self.mixed_lambda,
            self.mixed_lambda_cum,
        ]
        .into_iter()
        .fold(0.0, f64::max)
    }
}

fn block(h: &DMatrix<f64>, rows: usize, cols: std::ops::Range<usize>) -> Vec<f64> {
    h.view((0, cols.start), (rows, cols.len()))
        .iter()
        .copied()
        .collect()
}

fn flat(m: &DMatrix<f64>) -> Vec<f64> {
    m.iter().copied().collect()
}

/// Compares every hand-coded derivative at `phi` with the dual-number ones.
pub fn check_derivatives(problem: &Problem, phi: &[f64]) -> decdtw::Result<DerivativeErrors> {
    let (x, y) = (problem.x().values(), problem.y().values());
    let m = phi.len();
    let (nx, ny) = (x.len(), y.len());
    let z = DVector::from_iterator(
        m + nx + ny + 2,
        phi.iter()
            .chain(x)
            .chain(y)
            .copied()
            .chain([problem.lambda(), problem.lambda_cum()]),
    );
    let (value, grad, hess) = dual_hessian(
        |z: DVector<Dual2DVec64>| {
            let z = z.as_slice();
            let (phi, rest) = z.split_at(m);
            let (xv, rest) = rest.split_at(nx);
            let (yv, rest) = rest.split_at(ny);
            objective_generic(problem, phi, xv, yv, rest[0].clone(), rest[1].clone())
        },
        &z,
    );
    let f = decdtw::objective(problem, phi)?;
    let g = gradient(problem, phi)?;
    let h = hessian(problem, phi)?.to_dense();
    let mixed = mixed_derivatives(problem, phi)?;
    let lambda_col = m + nx + ny;
    let max_abs = |v: &[f64]| v.iter().fold(0.0_f64, |s, x| s.max(x.abs()));
    let (g_floor, h_floor) = (
        1e-3 * max_abs(grad.as_slice()),
        1e-3 * max_abs(hess.as_slice()),
    );
    let gradient_error = |a: &[f64], b: &[f64]| relative_error_with_floor(a, b, g_floor);
    let relative_error = |a: &[f64], b: &[f64]| relative_error_with_floor(a, b, h_floor);
    Ok(DerivativeErrors {
        value: relative_error_with_floor(&[f], &[value], 0.0),
        gradient: gradient_error(&g, &grad.as_slice()[..m]),
        hessian: relative_error(&flat(&h), &block(&hess, m, 0..m)),
        mixed_x: relative_error(&flat(&mixed.x.to_dense()), &block(&hess, m, m..m + nx)),
        mixed_y: relative_error(
            &flat(&mixed.y.to_dense()),
            &block(&hess, m, m + nx..m + nx + ny),
        ),
        mixed_lambda: relative_error(&mixed.lambda, &block(&hess, m, lambda_col..lambda_col + 1)),
        mixed_lambda_cum: relative_error(
            &mixed.lambda_cum,
            &block(&hess, m, lambda_col + 1..lambda_col + 2),
        ),
    })
}
