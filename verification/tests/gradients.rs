//! The backward pass: structured `O(m)` vector–Jacobian products against the literal dense
//! formula, on random problems with every kind of active constraint.

use decdtw::{polish, solve, vjp, PolishOptions, SolveOptions};
use decdtw_verification::jacobian::{dense_jacobian, Input};
use decdtw_verification::random::{random_problem, Config, Rng};
use decdtw_verification::relative_error_with_floor;
use decdtw_verification::suite::natural_vjp_scale;

#[test]
fn structured_vjp_equals_the_dense_formula() {
    let config = Config {
        nx: (3, 30),
        ny: (3, 30),
        d: (1, 3),
        p_feature: 0.5,
        ..Config::default()
    };
    let mut rng = Rng::new(99);
    let (mut compared, mut skipped) = (0, 0);
    let mut seen = [0usize; 7]; // lower, upper, slope min, slope max, kinks, band-credited, spline
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
        seen[6] += !p.interpolation().has_kinks() as usize;
        for input in Input::ALL {
            let Some(jacobian) = dense_jacobian(p, &polished, input) else {
                skipped += 1;
                continue;
            };
            let dense: Vec<f64> = (0..jacobian.ncols())
                .map(|c| (0..jacobian.nrows()).map(|r| v[r] * jacobian[(r, c)]).sum())
                .collect();
            let ours = input.of(&structured);
            let error = relative_error_with_floor(
                &ours,
                &dense,
                natural_vjp_scale(p, &polished, &v, input),
            );
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
        .zip(["lower", "upper", "s_min", "s_max", "kink", "band", "spline"])
    {
        assert!(
            *count >= 5,
            "only {count} cases with an active {what} constraint"
        );
    }
}
