//! An independent dense solver for small convex QPs with linear constraints, by brute force
//! over active sets: the reference the polish is checked against where `f` is a quadratic
//! (y affine in time).
//!
//! `min ½ φᵀHφ + cᵀφ` subject to `aᵀφ ≥ b` (inequalities) and `aᵀφ = b` (equalities): for
//! every subset of the inequalities taken as equalities, solve the dense KKT system with
//! nalgebra; keep the feasible solution with the lowest objective. The minimum of a convex QP
//! is the minimiser on one such face, so this finds it (exponential time: small `m` only).

use nalgebra::{DMatrix, DVector};

/// A linear constraint `aᵀφ ≥ b` (or `= b`).
#[derive(Debug, Clone)]
pub struct LinearConstraint {
    pub a: Vec<f64>,
    pub b: f64,
    pub equality: bool,
}

/// A dense quadratic program.
#[derive(Debug, Clone)]
pub struct DenseQp {
    pub h: DMatrix<f64>,
    pub c: DVector<f64>,
    pub constraints: Vec<LinearConstraint>,
}

impl DenseQp {
    /// `½ φᵀHφ + cᵀφ`.
    pub fn value(&self, phi: &DVector<f64>) -> f64 {
        0.5 * phi.dot(&(&self.h * phi)) + self.c.dot(phi)
    }

    /// The minimiser, or `None` if no face gives a feasible point. Constraints within
    /// `feasibility_tol` count as satisfied. Panics above 22 inequalities (4 M faces).
    pub fn solve_brute_force(&self, feasibility_tol: f64) -> Option<DVector<f64>> {
        let m = self.c.len();
        let (equalities, inequalities): (Vec<_>, Vec<_>) =
            self.constraints.iter().partition(|c| c.equality);
        assert!(
            inequalities.len() <= 22,
            "too many inequalities for brute force"
        );
        let mut best: Option<(f64, DVector<f64>)> = None;
        for mask in 0u32..(1 << inequalities.len()) {
            let active: Vec<&LinearConstraint> = equalities
                .iter()
                .copied()
                .chain(
                    inequalities
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| mask & (1 << k) != 0)
                        .map(|(_, c)| *c),
                )
                .collect();
            if active.len() > m {
                continue;
            }
            let p = active.len();
            let mut kkt = DMatrix::zeros(m + p, m + p);
            kkt.view_mut((0, 0), (m, m)).copy_from(&self.h);
            let mut rhs = DVector::zeros(m + p);
            rhs.rows_mut(0, m).copy_from(&(-&self.c));
            for (r, con) in active.iter().enumerate() {
                for (j, &v) in con.a.iter().enumerate() {
                    kkt[(m + r, j)] = v;
                    kkt[(j, m + r)] = v;
                }
                rhs[m + r] = con.b;
            }
            let Some(solution) = kkt.lu().solve(&rhs) else {
                continue;
            };
            let phi = solution.rows(0, m).into_owned();
            let feasible = self.constraints.iter().all(|con| {
                let value: f64 = con.a.iter().zip(phi.iter()).map(|(a, x)| a * x).sum();
                if con.equality {
                    (value - con.b).abs() <= feasibility_tol
                } else {
                    value >= con.b - feasibility_tol
                }
            });
            if feasible && phi.iter().all(|v| v.is_finite()) {
                let value = self.value(&phi);
                if best.as_ref().is_none_or(|(b, _)| value < *b) {
                    best = Some((value, phi));
                }
            }
        }
        best.map(|(_, phi)| phi)
    }
}
