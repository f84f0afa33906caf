//! Node costs of one knot over its grid: `w_i L(x_i − y(v_j)) + λ_cum w_i R_cum(v_j − φ̄_i)`.
//!
//! For the squared Euclidean penalty, with `D_j = ‖x_i − Y_j‖²`, inside segment `j` of y
//! (`y = (1 − α) Y_j + α Y_{j+1}`) the cost is exactly
//! `L = (1 − α) D_j + α D_{j+1} − α (1 − α) ‖Y_{j+1} − Y_j‖²`,
//! so each sample of y in the grid's range costs `O(d)` once and each grid value `O(1)`; at a
//! sample time (`α = 0`) it is `D_j` itself. Every other penalty goes through the generic
//! [`node_cost`], which is also the oracle the fast path is tested against.

use crate::objective::{node_cost, x_at_knot};
use crate::penalty::FeaturePenalty;
use crate::problem::Problem;
use crate::signal::segment_of;

/// Reusable buffers for [`fill_node_costs`], and `‖Y_{j+1} − Y_j‖²` of every segment of y.
pub(crate) struct NodeScratch {
    x_i: Vec<f64>,
    diff: Vec<f64>,
    segment_sq: Vec<f64>,
}

impl NodeScratch {
    pub fn new(problem: &Problem) -> Self {
        let y = problem.y();
        let segment_sq = (0..y.len() - 1)
            .map(|j| squared_distance(y.row(j), y.row(j + 1)))
            .collect();
        Self {
            x_i: vec![0.0; y.dim()],
            diff: vec![0.0; y.dim()],
            segment_sq,
        }
    }
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| (u - v) * (u - v)).sum()
}

/// Node costs of knot `i` at the non-decreasing `values`, written into `out`.
pub(crate) fn fill_node_costs(
    problem: &Problem,
    i: usize,
    values: &[f64],
    out: &mut [f64],
    scratch: &mut NodeScratch,
) {
    x_at_knot(problem, i, problem.x().values(), &mut scratch.x_i);
    match problem.feature_penalty() {
        FeaturePenalty::SquaredEuclidean => squared_euclidean(problem, i, values, out, scratch),
        _ => {
            let y = problem.y().values();
            for (o, v) in out.iter_mut().zip(values) {
                *o = node_cost(
                    problem,
                    i,
                    &scratch.x_i,
                    v,
                    y,
                    &problem.lambda_cum(),
                    &mut scratch.diff,
                );
            }
        }
    }
}

fn squared_euclidean(
    problem: &Problem,
    i: usize,
    values: &[f64],
    out: &mut [f64],
    scratch: &mut NodeScratch,
) {
    let y = problem.y();
    let times = y.times();
    let w = problem.weights()[i];
    let (lambda_cum, reference) = (problem.lambda_cum(), problem.reference_warp()[i]);
    let cumulative = problem.cumulative_penalty();
    let x_i = &scratch.x_i;
    let mut j = segment_of(times, values[0]);
    let (mut d_left, mut d_right) = (
        squared_distance(x_i, y.row(j)),
        squared_distance(x_i, y.row(j + 1)),
    );
    for (o, &v) in out.iter_mut().zip(values) {
        // Values are non-decreasing: walk to the segment `segment_of` would pick.
        while j + 2 < times.len() && times[j + 1] <= v {
            j += 1;
            d_left = d_right;
            d_right = squared_distance(x_i, y.row(j + 1));
        }
        let alpha = (v - times[j]) / (times[j + 1] - times[j]);
        let feature = (1.0 - alpha) * d_left + alpha * d_right
            - alpha * (1.0 - alpha) * scratch.segment_sq[j];
        *o = w * feature.max(0.0) + lambda_cum * w * cumulative.value(v - reference);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Problem, Signal};

    #[test]
    fn fast_squared_path_matches_generic_node_cost() {
        let xs: Vec<f64> = (0..24).map(|i| (i as f64 * 0.7).sin()).collect();
        let ys: Vec<f64> = (0..30)
            .map(|i| (i as f64 * 0.5).cos() + 0.1 * i as f64)
            .collect();
        let x = Signal::uniform(xs, 2).unwrap();
        let y = Signal::uniform(ys, 2).unwrap();
        let problem = Problem::builder(x, y).lambda_cum(0.3).build().unwrap();
        let values: Vec<f64> = (0..200).map(|j| j as f64 / 199.0).collect();
        let mut scratch = NodeScratch::new(&problem);
        let mut fast = vec![0.0; values.len()];
        for i in 0..problem.num_knots() {
            fill_node_costs(&problem, i, &values, &mut fast, &mut scratch);
            for (v, f) in values.iter().zip(&fast) {
                let mut diff = vec![0.0; 2];
                let x_i: Vec<f64> = {
                    let mut x = vec![0.0; 2];
                    x_at_knot(&problem, i, problem.x().values(), &mut x);
                    x
                };
                let generic =
                    node_cost(&problem, i, &x_i, v, problem.y().values(), &0.3, &mut diff);
                assert!(
                    (f - generic).abs() <= 1e-13 * (1.0 + generic.abs()),
                    "{f} vs {generic}"
                );
            }
        }
    }
}
