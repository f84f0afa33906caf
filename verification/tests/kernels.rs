//! Every fast DP kernel returns the plain kernel's optimum (objective to 1e-12 relative) on
//! random problems with unreachable grid values, narrow bands and finite slope limits.

use decdtw::SolveOptions;
use decdtw_verification::kernels::compare_kernels;
use decdtw_verification::random::{random_problem, Config, Rng};

#[test]
fn kernels_agree_with_plain_kernel() {
    let config = Config {
        nx: (4, 40),
        ny: (4, 40),
        d: (1, 3),
        p_feature: 0.5,
        ..Config::default()
    };
    let mut rng = Rng::new(17);
    let mut limited = 0;
    for seed in 0..200 {
        let case = random_problem(seed * 15_485_863, &config);
        let problem = &case.problem;
        if problem.slope_max().iter().any(|s| s.is_finite()) {
            limited += 1;
        }
        let options = SolveOptions {
            levels: Some(rng.int(3, 60)),
            refinements: rng.int(0, 3),
            eta: rng.range(0.05, 0.5),
            ..SolveOptions::default()
        };
        for agreement in compare_kernels(problem, &options) {
            assert!(
                agreement.relative_gap() <= 1e-12,
                "seed {}: {agreement:?} (options {options:?})",
                case.seed
            );
        }
    }
    assert!(
        limited > 40,
        "finite slope limits must be exercised ({limited})"
    );
}

#[test]
fn kernels_agree_on_narrow_bands_and_tight_slopes() {
    let mut rng = Rng::new(5);
    for seed in 0..60 {
        let mut nx_rng = Rng::new(seed);
        let n = nx_rng.int(10, 50);
        let walk = |r: &mut Rng| decdtw_verification::random::random_walk(r, n, 2);
        let x = decdtw::Signal::uniform(walk(&mut rng), 2).unwrap();
        let y = decdtw::Signal::uniform(walk(&mut rng), 2).unwrap();
        let problem = decdtw::Problem::builder(x, y)
            .band(rng.range(0.02, 0.15))
            .slope_min(rng.range(0.3, 0.9))
            .slope_max(rng.range(1.1, 2.0))
            .build();
        let Ok(problem) = problem else { continue };
        let options = SolveOptions {
            levels: Some(rng.int(5, 80)),
            ..SolveOptions::default()
        };
        for agreement in compare_kernels(&problem, &options) {
            assert!(
                agreement.relative_gap() <= 1e-12,
                "seed {seed}: {agreement:?}"
            );
        }
    }
}
