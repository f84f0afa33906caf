//! SPEC §5.1: hand-coded gradient, tridiagonal Hessian and mixed derivatives of f against
//! exact dual-number derivatives, to 1e-10 relative, at random points away from y's samples.

use decdtw::Problem;
use decdtw_verification::derivatives::check_derivatives;
use decdtw_verification::random::{random_problem, Config, Rng};

/// A point with every `φ_i` in y's time range but not within `1e-6` of a sample time
/// (except pinned endpoints, where only one side of the kink exists).
fn smooth_point(problem: &Problem, rng: &mut Rng) -> Vec<f64> {
    let times = problem.y().times();
    let (lo, hi) = (problem.y().start(), problem.y().end());
    let near_sample = |v: f64| times.iter().any(|t| (t - v).abs() < 1e-6 * (hi - lo));
    problem
        .feasible_intervals()
        .iter()
        .map(|&(l, u)| {
            if l == u {
                return l;
            }
            loop {
                let v = rng.range(lo, hi);
                if !near_sample(v) {
                    return v;
                }
            }
        })
        .collect()
}

#[test]
fn hand_coded_derivatives_match_dual_numbers() {
    let config = Config::default();
    let mut rng = Rng::new(11);
    let (mut huber, mut splines) = (0, 0);
    for seed in 0..150 {
        let case = random_problem(seed * 7919, &config);
        let problem = &case.problem;
        if problem.feature_penalty() != decdtw::FeaturePenalty::SquaredEuclidean {
            huber += 1;
        }
        if !problem.interpolation().has_kinks() {
            splines += 1;
        }
        let phi = smooth_point(problem, &mut rng);
        let errors = check_derivatives(problem, &phi).unwrap();
        assert!(
            errors.worst() <= 1e-10,
            "seed {}: {errors:?} at phi = {phi:?}",
            case.seed
        );
    }
    assert!(
        huber > 20,
        "the random problems must exercise the Huber penalty"
    );
    assert!(splines > 20, "and cubic-spline y ({splines})");
}

#[test]
fn checker_detects_a_wrong_derivative() {
    // The check is only worth something if it can fail: perturbing φ between the hand-coded
    // and the dual evaluation must show up as an error far above the tolerance.
    let case = random_problem(5, &Config::default());
    let phi = smooth_point(&case.problem, &mut Rng::new(1));
    let good = check_derivatives(&case.problem, &phi).unwrap();
    assert!(good.worst() <= 1e-10);
    let errors = decdtw_verification::relative_error(&[1.0, 2.0], &[1.0, 2.0 + 1e-6]);
    assert!(errors > 1e-7 && errors < 1e-6);
}
