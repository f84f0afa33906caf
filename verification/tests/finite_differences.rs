//! Gradients against central finite differences of the whole solve (DP, then polish), in both
//! modes, for every input; steps that change the active set are skipped and counted.

use decdtw::{solve, vjp, PolishOptions, SolveOptions};
use decdtw_verification::finite_differences::{check_direction, Outcome};
use decdtw_verification::jacobian::Input;
use decdtw_verification::random::{random_problem, Config, Rng};
use decdtw_verification::suite::random_direction;

fn options() -> SolveOptions {
    SolveOptions {
        polish: Some(PolishOptions::default()),
        ..SolveOptions::default()
    }
}

#[test]
fn vjp_matches_central_differences_of_the_solve() {
    let config = Config {
        nx: (4, 25),
        ny: (4, 25),
        d: (1, 3),
        p_feature: 0.5,
        ..Config::default()
    };
    let mut rng = Rng::new(4242);
    let mut compared = std::collections::HashMap::new();
    let (mut unstable, mut not_applicable, mut with_kinks, mut subsequence) = (0, 0, 0, 0);
    let mut splines = 0;
    for seed in 0..120 {
        let case = random_problem(seed, &config);
        let p = &case.problem;
        let solution = solve(p, &options()).unwrap();
        let polished = solution.polish.unwrap();
        let v: Vec<f64> = (0..p.num_knots()).map(|_| rng.normal()).collect();
        let gradient = vjp(p, &polished, &v).unwrap();
        let mut any = false;
        for input in Input::ALL {
            let delta = random_direction(&mut rng, p, input);
            match check_direction(p, &options(), &polished, &v, &gradient, input, &delta) {
                Outcome::Compared {
                    finite_difference,
                    analytic,
                    relative_error,
                } => {
                    assert!(
                        relative_error <= 1e-5,
                        "seed {}: {} fd {finite_difference} vs vjp {analytic} ({relative_error:e})",
                        case.seed,
                        input.name()
                    );
                    *compared.entry(input.name()).or_insert(0) += 1;
                    any = true;
                }
                Outcome::Unstable(_) => unstable += 1,
                Outcome::NotApplicable(_) => not_applicable += 1,
            }
        }
        if any && !polished.certificate.active.kinks.is_empty() {
            with_kinks += 1;
        }
        if any && p.endpoints() == decdtw::Endpoints::Subsequence {
            subsequence += 1;
        }
        if any && !p.interpolation().has_kinks() {
            splines += 1;
        }
    }
    println!(
        "compared per input {compared:?}; unstable {unstable}; not applicable {not_applicable}; kinks {with_kinks}; splines {splines}"
    );
    // Unstable steps are counted, and must stay the exception.
    let total: usize = compared.values().sum();
    assert!(
        unstable * 4 < total,
        "{unstable} unstable vs {total} compared"
    );
    for input in Input::ALL {
        let count = compared.get(input.name()).copied().unwrap_or(0);
        assert!(count >= 10, "only {count} comparisons for {}", input.name());
    }
    // Knots held at sample times of y do not move under the steps: the gradient is confirmed there too.
    assert!(
        with_kinks >= 20,
        "{with_kinks} problems with kinks compared"
    );
    assert!(
        subsequence >= 10,
        "{subsequence} subsequence problems compared"
    );
    assert!(splines >= 15, "{splines} cubic-spline problems compared");
}
