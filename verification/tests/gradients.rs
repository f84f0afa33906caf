//! The backward pass: structured `O(m)` vector–Jacobian products against the literal dense
//! formula, on random problems with every kind of active constraint.

use decdtw::objective::{hessian_on, mixed_derivatives_on};
use decdtw::{polish, solve, vjp, PolishOptions, SolveOptions};
use decdtw_verification::jacobian::{dense_jacobian, Input};
use decdtw_verification::random::{random_problem, Config, Rng};
use decdtw_verification::relative_error_with_floor;

#[test]
fn structured_vjp_equals_the_dense_formula() {
    let config = Config {
        nx: (3, 30),
        ny: (3, 30),
        d: (1, 3),
        p_feature: 0.5,
    };
    let mut rng = Rng::new(99);
    let (mut compared, mut skipped) = (0, 0);
    let mut seen = [0usize; 6]; // lower, upper, slope min, slope max, kinks, band-credited
    for seed in 0..300 {
        let case = random_problem(seed, &config);
        let p = &case.problem;
        let dp = solve(p, &SolveOptions::default()).unwrap();
        let polished = polish(p, &dp.phi, &PolishOptions::default()).unwrap();
        let v: Vec<f64> = (0..p.num_knots()).map(|_| rng.normal()).collect();
        let structured = vjp(p, &polished, &v).unwrap();
        let active = &polished.certificate.active;
        for (slot, list) in [
            active.lower.len(),
            active.upper.len(),
            active.slope_min.len(),
            active.slope_max.len(),
            active.kinks.len(),
        ]
        .into_iter()
        .enumerate()
        {
            seen[slot] += (list > 0) as usize;
        }
        seen[5] += structured.band.iter().any(|&b| b != 0.0) as usize;
        for input in Input::ALL {
            let Some(jacobian) = dense_jacobian(p, &polished, input) else {
                skipped += 1;
                continue;
            };
            let dense: Vec<f64> = (0..jacobian.ncols())
                .map(|c| (0..jacobian.nrows()).map(|r| v[r] * jacobian[(r, c)]).sum())
                .collect();
            let ours = input.of(&structured);
            let error =
                relative_error_with_floor(&ours, &dense, natural_scale(p, &polished, &v, input));
            assert!(
                error <= 1e-10,
                "seed {}: {} VJP off by {error:e}\nours  {ours:?}\ndense {dense:?}",
                case.seed,
                input.name()
            );
            compared += 1;
        }
    }
    assert!(
        compared >= 9 * 280,
        "compared {compared}, skipped {skipped}"
    );
    for (count, what) in seen
        .iter()
        .zip(["lower", "upper", "s_min", "s_max", "kink", "band"])
    {
        assert!(
            *count >= 5,
            "only {count} cases with an active {what} constraint"
        );
    }
}

/// The size `vᵀDφ` has when it is not zero by structure: `Σ|v|` times `max|B| ‖H⁻¹‖` for
/// the inputs of `f`, and times the unit move of a constraint value for the constraint
/// parameters (1 for bounds, `Δt` for slopes). Errors are judged relative to at least this.
fn natural_scale(p: &decdtw::Problem, polished: &decdtw::Polished, v: &[f64], input: Input) -> f64 {
    let (phi, segments) = (&polished.phi, &polished.working_set.segments);
    let h = hessian_on(p, phi, segments).unwrap().to_dense();
    let h_max = h.singular_values().min(); // 1 / ‖H⁻¹‖
    let mixed = mixed_derivatives_on(p, phi, segments).unwrap();
    let max = |x: &[f64]| x.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    let unit = match input {
        Input::X => max(&mixed.x.values) / h_max,
        Input::Y => max(&mixed.y.values) / h_max,
        Input::Lambda => max(&mixed.lambda) / h_max,
        Input::LambdaCum => max(&mixed.lambda_cum) / h_max,
        Input::SlopeMin | Input::SlopeMax => max(p.dt()),
        Input::LowerBounds | Input::UpperBounds | Input::Band => 1.0,
    };
    v.iter().map(|x| x.abs()).sum::<f64>() * unit
}
