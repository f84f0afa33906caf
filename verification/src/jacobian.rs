//! The literal dense formula of the solution's Jacobian (Gould et al. 2021, Prop. 4.6):
//!
//! `Dφ = H⁻¹Aᵀ(AH⁻¹Aᵀ)⁻¹(AH⁻¹B − C) − H⁻¹B`, with `A = D_φ h` and `C = D_z h` for the
//! active constraints `h(z, φ) = Aφ − c(z) = 0`, `B = D²_{zφ} f` and `H = D²_{φφ} f`,
//!
//! built with nalgebra from the working set of a polished solution: the reference the
//! library's `O(m)` vector–Jacobian products are checked against. `O(m³)`; tests only.

use decdtw::objective::{hessian_on, mixed_derivatives_on};
use decdtw::polish::{Hold, Polished, SlopeLimit};
use decdtw::Problem;
use nalgebra::DMatrix;

/// An input `z` of the solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    X,
    Y,
    Lambda,
    LambdaCum,
    SlopeMin,
    SlopeMax,
    LowerBounds,
    UpperBounds,
    Band,
}

impl Input {
    pub const ALL: [Input; 9] = [
        Input::X,
        Input::Y,
        Input::Lambda,
        Input::LambdaCum,
        Input::SlopeMin,
        Input::SlopeMax,
        Input::LowerBounds,
        Input::UpperBounds,
        Input::Band,
    ];

    /// How many numbers the input has.
    pub fn len(self, problem: &Problem) -> usize {
        let m = problem.num_knots();
        match self {
            Input::X => problem.x().values().len(),
            Input::Y => problem.y().values().len(),
            Input::Lambda | Input::LambdaCum => 1,
            Input::SlopeMin | Input::SlopeMax => m - 1,
            Input::LowerBounds | Input::UpperBounds | Input::Band => m,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Input::X => "X",
            Input::Y => "Y",
            Input::Lambda => "lambda",
            Input::LambdaCum => "lambda_cum",
            Input::SlopeMin => "s_min",
            Input::SlopeMax => "s_max",
            Input::LowerBounds => "b_min",
            Input::UpperBounds => "b_max",
            Input::Band => "band",
        }
    }

    /// This input's part of a [`decdtw::Vjp`].
    pub fn of(self, vjp: &decdtw::Vjp) -> Vec<f64> {
        match self {
            Input::X => vjp.x.clone(),
            Input::Y => vjp.y.clone(),
            Input::Lambda => vec![vjp.lambda],
            Input::LambdaCum => vec![vjp.lambda_cum],
            Input::SlopeMin => vjp.slope_min.clone(),
            Input::SlopeMax => vjp.slope_max.clone(),
            Input::LowerBounds => vjp.lower_bounds.clone(),
            Input::UpperBounds => vjp.upper_bounds.clone(),
            Input::Band => vjp.band.clone(),
        }
    }
}

/// `Dφ(z)` (`m × len(z)`), or `None` if `H` or `AH⁻¹Aᵀ` is singular or `H` is so badly
/// conditioned (condition number above `1e5`) that the formula's cancellations would swamp a
/// `1e-10` comparison: it inverts the whole `H`, where the structured product only needs the
/// Hessian on the free runs.
pub fn dense_jacobian(
    problem: &Problem,
    polished: &Polished,
    input: Input,
) -> Option<DMatrix<f64>> {
    let (phi, set) = (&polished.phi, &polished.working_set);
    let m = phi.len();
    let n = input.len(problem);
    let h = hessian_on(problem, phi, &set.segments).ok()?.to_dense();
    let mixed = mixed_derivatives_on(problem, phi, &set.segments).ok()?;
    let b = match input {
        Input::X => mixed.x.to_dense(),
        Input::Y => mixed.y.to_dense(),
        Input::Lambda => DMatrix::from_column_slice(m, 1, &mixed.lambda),
        Input::LambdaCum => DMatrix::from_column_slice(m, 1, &mixed.lambda_cum),
        _ => DMatrix::zeros(m, n),
    };
    // Active constraints: rows of A and C.
    let mut a_rows: Vec<Vec<f64>> = Vec::new();
    let mut c_rows: Vec<Vec<f64>> = Vec::new();
    for (k, hold) in set.holds.iter().enumerate() {
        let Some(hold) = *hold else { continue };
        let mut a = vec![0.0; m];
        a[k] = 1.0;
        let mut c = vec![0.0; n];
        // h = φ_k − value(z): C = −∂value/∂z.
        let band = problem.band_widths().map(|w| w[k]);
        let reference = problem.reference_warp()[k];
        match (hold, input) {
            (Hold::Lower | Hold::Fixed, Input::LowerBounds)
                if problem.user_lower_bounds()[k] == problem.lower_bounds()[k] =>
            {
                c[k] = -1.0
            }
            (Hold::Lower | Hold::Fixed, Input::Band)
                if problem.user_lower_bounds()[k] != problem.lower_bounds()[k]
                    && band.map(|w| reference - w) == Some(problem.lower_bounds()[k]) =>
            {
                c[k] = 1.0
            }
            (Hold::Upper, Input::UpperBounds)
                if problem.user_upper_bounds()[k] == problem.upper_bounds()[k] =>
            {
                c[k] = -1.0
            }
            (Hold::Upper, Input::Band)
                if problem.user_upper_bounds()[k] != problem.upper_bounds()[k]
                    && band.map(|w| reference + w) == Some(problem.upper_bounds()[k]) =>
            {
                c[k] = -1.0
            }
            _ => {}
        }
        a_rows.push(a);
        c_rows.push(c);
    }
    for (i, tie) in set.ties.iter().enumerate() {
        let Some(limit) = *tie else { continue };
        let mut a = vec![0.0; m];
        a[i] = -1.0;
        a[i + 1] = 1.0;
        let mut c = vec![0.0; n];
        // h = φ_{i+1} − φ_i − s_i Δt_i.
        if matches!(
            (limit, input),
            (SlopeLimit::Min, Input::SlopeMin) | (SlopeLimit::Max, Input::SlopeMax)
        ) {
            c[i] = -problem.dt()[i];
        }
        a_rows.push(a);
        c_rows.push(c);
    }
    let singular_values = h.clone().singular_values();
    if singular_values.max() > 1e5 * singular_values.min() {
        return None;
    }
    let h_inv = h.clone().try_inverse()?;
    let h_inv_b = &h_inv * &b;
    if a_rows.is_empty() {
        return Some(-h_inv_b);
    }
    let p = a_rows.len();
    let a = DMatrix::from_fn(p, m, |r, c| a_rows[r][c]);
    let c = DMatrix::from_fn(p, n, |r, col| c_rows[r][col]);
    let schur_inv = (&a * &h_inv * a.transpose()).try_inverse()?;
    Some(&h_inv * a.transpose() * schur_inv * (&a * &h_inv_b - c) - h_inv_b)
}
