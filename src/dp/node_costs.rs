//! Node costs of one knot over its grid: `w_i L(x_i − y(v_j)) + λ_cum w_i R_cum(v_j − φ̄_i)`.
//!
//! For the squared Euclidean penalty, inside segment `j` of y (`y = a + α (b − a)`) the cost is
//! the quadratic `‖x − a‖² − 2α (x − a)·(b − a) + α² ‖b − a‖²`, so each segment costs `O(d)`
//! once and each grid value `O(1)`. Every other penalty goes through the generic
//! [`node_cost`], which is also the oracle the fast path is tested against.

use crate::objective::{node_cost, x_at_knot};
use crate::penalty::{dot, FeaturePenalty};
use crate::problem::Problem;
use crate::signal::segment_of;

/// Reusable buffers for [`fill_node_costs`].
pub(crate) struct NodeScratch {
    x_i: Vec<f64>,
    diff: Vec<f64>,
    delta: Vec<f64>,
}

impl NodeScratch {
    pub fn new(d: usize) -> Self {
        Self {
            x_i: vec![0.0; d],
            diff: vec![0.0; d],
            delta: vec![0.0; d],
        }
    }
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
    let mut segment = usize::MAX;
    let (mut c0, mut c1, mut c2, mut t0, mut h) = (0.0, 0.0, 0.0, 0.0, 1.0);
    for (o, &v) in out.iter_mut().zip(values) {
        let j = segment_of(times, v);
        if j != segment {
            segment = j;
            let (a, b) = (y.row(j), y.row(j + 1));
            for k in 0..a.len() {
                scratch.diff[k] = scratch.x_i[k] - a[k];
                scratch.delta[k] = b[k] - a[k];
            }
            c0 = dot(&scratch.diff, &scratch.diff);
            c1 = dot(&scratch.diff, &scratch.delta);
            c2 = dot(&scratch.delta, &scratch.delta);
            (t0, h) = (times[j], times[j + 1] - times[j]);
        }
        let alpha = (v - t0) / h;
        let feature = (c0 - 2.0 * alpha * c1 + alpha * alpha * c2).max(0.0);
        *o = w * feature + lambda_cum * w * cumulative.value(v - reference);
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
        let mut scratch = NodeScratch::new(2);
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
