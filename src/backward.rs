//! The backward pass (SPEC §4): vector–Jacobian products `vᵀ Dφ(z)` of the polished warp.
//!
//! At a KKT point the working set `W` of the polish (knots held at bounds or at kinks of y,
//! intervals tied at slope limits) stays active under small changes of the inputs `z`, so
//! `φ(z) = P ψ(z) + e(z)`: each free run moves as one (`P`, its indicator), and held runs and
//! tied offsets follow the constraint values `e(z)`. Stationarity on the free runs,
//! `Pᵀ ∇f(φ(z), z) = 0`, differentiates to `Pᵀ(H (P ψ' + E) + B) = 0`, with `H = ∇²_φφ f`,
//! `B = ∂²f/∂φ∂z` and `E = ∂e/∂z`. Hence `Dφ = E − P H_r⁻¹ Pᵀ (H E + B)` with the
//! tridiagonal `H_r = Pᵀ H P`, which is Gould et al.'s Prop. 4.6 written in the null space of
//! the active constraints, and
//!
//! `vᵀ Dφ = (v − H u)ᵀ E − uᵀ B`, where `u = P H_r⁻¹ Pᵀ v`:
//!
//! one tridiagonal solve, one product with `H`, one with the sparse `B`: `O(m + size of z)`.
//!
//! **Kinks.** A knot held at a sample time `ty_j` of y sits where `f` is not differentiable;
//! its one-sided derivatives point back at `ty_j` (that is why the polish holds it there), so
//! under small changes of `z` it stays at `ty_j`: it is an active constraint `φ_i = ty_j`
//! whose value does not depend on `X`, `Y`, `λ`, or the constraint parameters. The reference
//! implementation instead differentiates the right-hand segment's formula there, which is
//! wrong whenever the knot does not move.
//!
//! **Degenerate cases**, each with a rule and a report in [`Diagnostics`]:
//! - a multiplier that is zero (to `1e-9` of its scale): the constraint is kept active, so
//!   the result is the one-sided derivative for perturbations that keep it active;
//! - constraints that are active but not in the working set (dependent on it) get no weight;
//! - a bound attained by two sources at once (e.g. the user bound and the band) is credited to
//!   the user bound, then the band;
//! - a singular reduced Hessian (a flat direction of `f` on the free runs): pivots are raised
//!   to `1e-12` of the Hessian's scale, which returns the derivative of the solution that
//!   does not move along the flat direction; a negative pivot (with a spline, a point that
//!   is not a strict local minimum) is replaced by its absolute value and reported the same
//!   way.

use crate::objective::{hessian_on, mixed_derivatives_on};
use crate::polish::reduced::{pivot_floor, ReducedHessian};
use crate::polish::{Constraint, Hold, Polished, SlopeLimit};
use crate::problem::Problem;
use crate::{Error, Result};
use serde::Serialize;

/// `vᵀ Dφ(z)` for every input `z`, each with the shape of that input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vjp {
    /// With respect to x's samples (`Nx × d`, row-major).
    pub x: Vec<f64>,
    /// With respect to y's samples (`Ny × d`, row-major).
    pub y: Vec<f64>,
    /// With respect to `λ`.
    pub lambda: f64,
    /// With respect to `λ_cum`.
    pub lambda_cum: f64,
    /// With respect to `s_min` of every interval.
    pub slope_min: Vec<f64>,
    /// With respect to `s_max` of every interval.
    pub slope_max: Vec<f64>,
    /// With respect to the user's lower bound `b_min` of every knot.
    pub lower_bounds: Vec<f64>,
    /// With respect to the user's upper bound `b_max` of every knot.
    pub upper_bounds: Vec<f64>,
    /// With respect to the band width of every knot (all zero without a band; for a
    /// constant band the derivative is their sum).
    pub band: Vec<f64>,
    /// How degenerate cases were handled.
    pub diagnostics: Diagnostics,
}

/// What the backward pass met and how it handled it (see the module documentation).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Diagnostics {
    /// Knots held at a sample time of y (`(knot, j)`), treated as fixed.
    pub kinks: Vec<(usize, usize)>,
    /// Active constraints whose multiplier is zero to `1e-9` of its scale, kept active.
    pub weakly_active: Vec<Constraint>,
    /// Knots whose active bound is attained by more than one source.
    pub shared_bounds: Vec<usize>,
    /// Whether the reduced Hessian was singular and regularised.
    pub singular_hessian: bool,
}

/// `vᵀ Dφ(z)` at a polished solution of `problem` (`v` has one entry per knot).
///
/// Errors if `polished` is not a converged KKT point of `problem` (the derivative is only
/// defined there) or `v` has the wrong length or non-finite values.
pub fn vjp(problem: &Problem, polished: &Polished, v: &[f64]) -> Result<Vjp> {
    let m = problem.num_knots();
    if v.len() != m {
        return Err(Error::DimensionMismatch {
            what: "v (one value per knot)".into(),
            expected: m,
            got: v.len(),
        });
    }
    crate::error::check_finite("v", v)?;
    if !polished.certificate.converged || polished.phi.len() != m {
        return Err(Error::InvalidParameter {
            what: "polished solution".into(),
            reason: "gradients need a converged polish of this problem (a KKT point)".into(),
        });
    }
    let (phi, set) = (&polished.phi, &polished.working_set);
    let h = hessian_on(problem, phi, &set.segments)?;
    let runs = set.runs();
    let free: Vec<_> = runs.iter().filter(|r| r.hold.is_none()).copied().collect();
    let reduced = ReducedHessian::new(&free, &h);
    let (w, singular) = reduced.solve(reduced.restrict(v), pivot_floor(&h, 1e-12));
    let u = reduced.extend(&w, m);
    let hu = h.times(&u);
    let q: Vec<f64> = v.iter().zip(&hu).map(|(a, b)| a - b).collect();

    // −uᵀB for the inputs of f.
    let mixed = mixed_derivatives_on(problem, phi, &set.segments)?;
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let negate = |v: Vec<f64>| v.into_iter().map(|x| -x).collect::<Vec<f64>>();
    let mut out = Vjp {
        x: negate(mixed.x.transpose_times(&u)),
        y: negate(mixed.y.transpose_times(&u)),
        lambda: -dot(&u, &mixed.lambda),
        lambda_cum: -dot(&u, &mixed.lambda_cum),
        slope_min: vec![0.0; m - 1],
        slope_max: vec![0.0; m - 1],
        lower_bounds: vec![0.0; m],
        upper_bounds: vec![0.0; m],
        band: vec![0.0; m],
        diagnostics: Diagnostics {
            singular_hessian: singular,
            ..Diagnostics::default()
        },
    };

    // (v − H u)ᵀ E for the constraint parameters: every constraint value moves a set of knots.
    for run in &runs {
        let anchor = run.hold.unwrap_or(run.first);
        if let Some(k) = run.hold {
            let moved: f64 = q[run.knots()].iter().sum();
            credit_hold(
                problem,
                k,
                set.holds[k].expect("held knot"),
                moved,
                &mut out,
            );
        }
        for i in run.first..run.last {
            // Raising the limit of tie i by 1 moves the knots on the far side of it from the
            // anchor by ±Δt_i.
            let dt = problem.dt()[i];
            let moved = if anchor <= i {
                dt * q[i + 1..=run.last].iter().sum::<f64>()
            } else {
                -dt * q[run.first..=i].iter().sum::<f64>()
            };
            match set.ties[i].expect("tied interval") {
                SlopeLimit::Min => out.slope_min[i] += moved,
                SlopeLimit::Max => out.slope_max[i] += moved,
            }
        }
    }
    for multiplier in &polished.multipliers {
        let value = multiplier.value();
        if value.is_finite() && value.abs() <= 1e-9 * multiplier.scale {
            out.diagnostics.weakly_active.push(multiplier.constraint);
        }
    }
    Ok(out)
}

/// Credits `moved` (the VJP of the hold's value) to the input that sets the held value.
fn credit_hold(problem: &Problem, k: usize, hold: Hold, moved: f64, out: &mut Vjp) {
    let reference = problem.reference_warp()[k];
    let band = problem.band_widths().map(|w| w[k]);
    let (value, user, band_value, sign, user_slot) = match hold {
        Hold::Lower | Hold::Fixed => (
            problem.lower_bounds()[k],
            problem.user_lower_bounds()[k],
            band.map(|w| reference - w),
            -1.0,
            &mut out.lower_bounds,
        ),
        Hold::Upper => (
            problem.upper_bounds()[k],
            problem.user_upper_bounds()[k],
            band.map(|w| reference + w),
            1.0,
            &mut out.upper_bounds,
        ),
        Hold::Kink(j) => {
            out.diagnostics.kinks.push((k, j));
            return;
        }
    };
    let from_user = user == value;
    let from_band = band_value == Some(value);
    if from_user {
        user_slot[k] += moved;
    } else if from_band {
        // b_min = φ̄ − w, b_max = φ̄ + w.
        out.band[k] += sign * moved;
    }
    let y = problem.y();
    let from_range = value == y.start() || value == y.end();
    if [from_user, from_band, from_range]
        .iter()
        .filter(|&&b| b)
        .count()
        > 1
    {
        out.diagnostics.shared_bounds.push(k);
    }
}
