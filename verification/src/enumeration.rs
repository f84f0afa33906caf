//! Exhaustive enumeration of every path through a set of DP grids: the exact optimum of the
//! discretised problem by brute force (`Π M_i` paths; tiny graphs only).

use decdtw::dp::Layer;
use decdtw::Problem;

/// The best feasible grid path and its objective, or `None` if no path satisfies the slope
/// limits. Ties keep the first path found.
pub fn enumerate_paths(problem: &Problem, layers: &[Layer]) -> Option<(Vec<f64>, f64)> {
    let mut best: Option<(Vec<f64>, f64)> = None;
    let mut phi = Vec::with_capacity(layers.len());
    visit(problem, layers, &mut phi, &mut best);
    best
}

fn visit(
    problem: &Problem,
    layers: &[Layer],
    phi: &mut Vec<f64>,
    best: &mut Option<(Vec<f64>, f64)>,
) {
    let i = phi.len();
    if i == layers.len() {
        let f = decdtw::objective(problem, phi).expect("path has one finite value per knot");
        if best.as_ref().is_none_or(|(_, b)| f < *b) {
            *best = Some((phi.clone(), f));
        }
        return;
    }
    for j in 0..layers[i].len() {
        let v = layers[i].value(j);
        if i > 0 && !problem.slope_feasible(i - 1, v - phi[i - 1]) {
            continue;
        }
        phi.push(v);
        visit(problem, layers, phi, best);
        phi.pop();
    }
}

/// `|DP − enumeration| / |enumeration|` of the optimum over uniform grids of `levels` values
/// per knot, for problems small enough to enumerate (`m ≤ 6`); `None` for larger ones.
/// `0` when neither finds a path, `∞` when only one does.
pub fn dp_gap(problem: &Problem, levels: usize) -> Option<f64> {
    if problem.num_knots() > 6 {
        return None;
    }
    let layers = decdtw::dp::initial_layers(problem, levels);
    let truth = enumerate_paths(problem, &layers).map(|(_, cost)| cost);
    let dp = decdtw::dp::solve_layers(problem, &layers, decdtw::Kernel::default())
        .ok()
        .map(|path| path.cost);
    Some(match (dp, truth) {
        (Some(a), Some(b)) => (a - b).abs() / b.abs().max(1e-300),
        (None, None) => 0.0,
        _ => f64::INFINITY,
    })
}
