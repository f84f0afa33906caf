//! SPEC §5.4: the DP optimum equals exhaustive enumeration of all grid paths on tiny graphs
//! (m ≤ 5 knots, M ≤ 5 values), for every kernel, sequential and split at the middle knot, on
//! first-pass and refinement grids.

use decdtw::dp::{initial_layers, refined_layers, solve_layers, solve_layers_split, Layer};
use decdtw::{Endpoints, Error, Kernel, Problem};
use decdtw_verification::enumeration::enumerate_paths;
use decdtw_verification::random::{random_problem, Config, Rng};

type Solver = fn(&Problem, &[Layer], Kernel) -> decdtw::Result<decdtw::dp::GridPath>;

/// Every kernel, sequential and split at the middle knot, against exhaustive enumeration.
fn check(problem: &Problem, layers: &[Layer], seed: u64) -> bool {
    let truth = enumerate_paths(problem, layers);
    let solvers = [
        ("sequential", solve_layers as Solver),
        ("split", solve_layers_split),
    ];
    for (kernel, (name, solver)) in Kernel::ALL
        .into_iter()
        .flat_map(|k| solvers.map(|s| (k, s)))
    {
        let dp = solver(problem, layers, kernel);
        match (&truth, dp) {
            (None, Err(Error::Infeasible { .. })) => {}
            (Some((_, best)), Ok(path)) => {
                let f = decdtw::objective(problem, &path.phi).unwrap();
                let tol = 1e-12 * best.abs().max(1e-300);
                assert!(
                    (f - best).abs() <= tol,
                    "seed {seed} {kernel:?} {name}: DP {f} vs enumeration {best}"
                );
                assert!((path.cost - best).abs() <= 1e-12 * best.abs().max(1.0));
                assert!(problem.constraint_violation(&path.phi) <= problem.tolerance());
            }
            (truth, dp) => {
                panic!("seed {seed} {kernel:?} {name}: enumeration {truth:?}, DP {dp:?}")
            }
        }
    }
    truth.is_some()
}

#[test]
fn dp_equals_exhaustive_enumeration_on_tiny_graphs() {
    let config = Config {
        nx: (2, 5),
        ny: (2, 6),
        d: (1, 2),
        p_feature: 0.5,
        ..Config::default()
    };
    let mut rng = Rng::new(3);
    let (mut subsequence, mut pinned) = (0, 0);
    for seed in 0..400 {
        let case = random_problem(seed * 104_729, &config);
        let problem = &case.problem;
        match problem.endpoints() {
            Endpoints::Pinned => pinned += 1,
            Endpoints::Subsequence => subsequence += 1,
        }
        let levels = rng.int(2, 5);
        let layers = initial_layers(problem, levels);
        if !check(problem, &layers, case.seed) {
            continue;
        }
        // Refinement grids around a random point of each feasible interval.
        let center: Vec<f64> = problem
            .feasible_intervals()
            .iter()
            .map(|&(l, u)| rng.range(l, u.max(l)))
            .collect();
        let refined = refined_layers(problem, &center, levels, rng.range(0.05, 0.6));
        check(problem, &refined, case.seed);
    }
    assert!(
        pinned > 50 && subsequence > 50,
        "both modes: {pinned} pinned, {subsequence} subsequence"
    );
}

#[test]
fn dp_equals_enumeration_with_tight_slope_limits() {
    // Narrow per-interval slope limits on coarse grids leave many grid values unreachable,
    // and grids centred on arbitrary points often have no feasible path at all.
    let mut rng = Rng::new(29);
    let (mut with_path, mut without_path) = (0, 0);
    for seed in 0..300 {
        let (m, ny, d) = (rng.int(2, 5), rng.int(2, 6), rng.int(1, 2));
        let walk = |r: &mut Rng, n| decdtw_verification::random::random_walk(r, n, d);
        let tx = decdtw_verification::random::random_times(&mut rng, m, 0.0, 1.0, true);
        let x = decdtw::Signal::new(tx, walk(&mut rng, m), d).unwrap();
        let y = decdtw::Signal::uniform(walk(&mut rng, ny), d).unwrap();
        let s_min: Vec<f64> = (1..m).map(|_| rng.range(0.0, 1.5)).collect();
        let s_max: Vec<f64> = s_min.iter().map(|s| s + rng.range(0.02, 0.5)).collect();
        let mut builder = Problem::builder(x, y)
            .lambda(rng.range(0.0, 1.0))
            .slope_min(s_min)
            .slope_max(s_max);
        if rng.chance(0.5) {
            builder = builder
                .endpoints(Endpoints::Subsequence)
                .band(rng.range(0.1, 0.5));
        }
        let Ok(problem) = builder.build() else {
            continue;
        };
        let levels = rng.int(2, 5);
        // The first-pass grid holds the path of lower bounds, feasible by exact propagation.
        assert!(check(&problem, &initial_layers(&problem, levels), seed));
        let center: Vec<f64> = problem
            .feasible_intervals()
            .iter()
            .map(|&(l, u)| rng.range(l, u.max(l)))
            .collect();
        let layers = refined_layers(&problem, &center, levels, rng.range(0.05, 0.6));
        if check(&problem, &layers, seed) {
            with_path += 1;
        } else {
            without_path += 1;
        }
    }
    assert!(
        with_path > 50 && without_path > 20,
        "{with_path} with a path, {without_path} without"
    );
}
