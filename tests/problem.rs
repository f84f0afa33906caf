//! The problem model: validation errors, exact feasibility propagation, and the objective on
//! cases small enough to compute by hand.

use decdtw::{objective, Endpoints, Error, FeaturePenalty, Problem, Signal};

fn uniform(values: &[f64]) -> Signal {
    Signal::uniform(values.to_vec(), 1).unwrap()
}

#[test]
fn signals_reject_malformed_input() {
    let err = |r: decdtw::Result<Signal>| r.unwrap_err();
    assert!(matches!(
        err(Signal::uniform(vec![1.0], 1)),
        Error::TooShort { len: 1, .. }
    ));
    assert!(matches!(
        err(Signal::uniform(vec![], 1)),
        Error::TooShort { len: 0, .. }
    ));
    assert!(matches!(
        err(Signal::uniform(vec![1.0, 2.0, 3.0], 2)),
        Error::DimensionMismatch { .. }
    ));
    assert!(matches!(
        err(Signal::uniform(vec![1.0, 2.0], 0)),
        Error::InvalidParameter { .. }
    ));
    assert!(matches!(
        err(Signal::uniform(vec![1.0, f64::NAN, 3.0], 1)),
        Error::NonFinite { index: 1, .. }
    ));
    assert!(matches!(
        err(Signal::new(vec![0.0, 1.0, 1.0], vec![1.0, 2.0, 3.0], 1)),
        Error::NonIncreasing { index: 2, .. }
    ));
    assert!(matches!(
        err(Signal::new(vec![0.0, f64::INFINITY], vec![1.0, 2.0], 1)),
        Error::NonFinite { index: 1, .. }
    ));
    assert!(matches!(
        err(Signal::new(vec![0.0, 1.0], vec![1.0, 2.0, 3.0], 1)),
        Error::DimensionMismatch { .. }
    ));
}

#[test]
fn problems_reject_malformed_settings() {
    let x = || uniform(&[0.0, 1.0, 2.0, 3.0]);
    let y = || uniform(&[0.0, 1.0, 2.0]);
    let build = |f: &dyn Fn(decdtw::ProblemBuilder) -> decdtw::ProblemBuilder| {
        f(Problem::builder(x(), y())).build()
    };
    let y2 = Signal::uniform(vec![0.0; 6], 2).unwrap();
    assert!(matches!(
        Problem::builder(x(), y2).build(),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        build(&|b| b.lambda(-1.0)),
        Err(Error::Negative { .. })
    ));
    assert!(matches!(
        build(&|b| b.lambda(f64::NAN)),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        build(&|b| b.lambda_cum(-0.1)),
        Err(Error::Negative { .. })
    ));
    assert!(matches!(
        build(&|b| b.band(-0.1)),
        Err(Error::Negative { .. })
    ));
    assert!(matches!(
        build(&|b| b.band(vec![0.1; 3])),
        Err(Error::DimensionMismatch {
            expected: 4,
            got: 3,
            ..
        })
    ));
    assert!(matches!(
        build(&|b| b.slope_min(vec![0.0; 4])),
        Err(Error::DimensionMismatch { expected: 3, .. })
    ));
    assert!(matches!(
        build(&|b| b.slope_min(2.0).slope_max(1.0)),
        Err(Error::InconsistentBounds { index: 0, .. })
    ));
    assert!(matches!(
        build(&|b| b.slope_max(f64::NAN)),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        build(&|b| b.lower_bounds(0.6).upper_bounds(0.4)),
        Err(Error::InconsistentBounds { .. })
    ));
    assert!(matches!(
        build(&|b| b.feature_penalty(FeaturePenalty::Huber { delta: 0.0 })),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        build(&|b| b.knots(vec![0.5])),
        Err(Error::TooShort { .. })
    ));
    assert!(matches!(
        build(&|b| b.knots(vec![0.2, 0.1])),
        Err(Error::NonIncreasing { .. })
    ));
    assert!(matches!(
        build(&|b| b.knots(vec![0.0, 1.5])),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        build(&|b| b.expected_slope(f64::INFINITY)),
        Err(Error::NonFinite { .. })
    ));
}

#[test]
fn weights_and_signals_whose_costs_overflow_are_refused_by_name() {
    let x = || uniform(&[0.0, 1.0, 2.0, 3.0]);
    let y = || uniform(&[0.0, 1.0, 2.0]);
    let refused = |result: Result<Problem, Error>, name: &str| match result {
        Err(Error::InvalidParameter { what, reason }) => {
            assert_eq!(what, name);
            assert!(reason.contains("overflow"), "{reason}");
        }
        other => panic!("{name}: {other:?}"),
    };
    refused(Problem::builder(x(), y()).lambda(1e307).build(), "lambda");
    refused(
        Problem::builder(x(), y()).lambda_cum(1e307).build(),
        "lambda_cum",
    );
    let huge = uniform(&[0.0, 1e160, 2.0]);
    refused(Problem::builder(x(), huge).build(), "signal values");
    // Large but representable weights still solve, to a finite objective.
    for lambda in [1e250, 1e-300] {
        let problem = Problem::builder(x(), y()).lambda(lambda).build().unwrap();
        let solution = decdtw::solve(&problem, &decdtw::SolveOptions::default()).unwrap();
        assert!(solution.objective.is_finite(), "λ = {lambda}");
    }
}

#[test]
fn infeasible_constraints_name_the_knot() {
    // x on [0, 1] with 5 knots; pinned ends need an average slope of 1.
    let x = || uniform(&[0.0; 5]);
    let y = || uniform(&[0.0; 3]);
    // Slope at most 0.5: the upper bound reaches only 0.5 at the last knot, which must be 1.
    let e = Problem::builder(x(), y())
        .slope_max(0.5)
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Infeasible { knot: 4, .. }), "{e}");
    // Slope at least 2 from the start: knot 3 would have to reach 1.5 > 1.
    let e = Problem::builder(x(), y())
        .slope_min(2.0)
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Infeasible { knot: 3, .. }), "{e}");
    // A bound that excludes the pinned start.
    let e = Problem::builder(x(), y())
        .lower_bounds(vec![0.1, 0.0, 0.0, 0.0, 0.0])
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Infeasible { knot: 0, .. }), "{e}");
    // Subsequence mode with expected slope 3: the band around φ̄ leaves y's range at knot 2.
    let e = Problem::builder(x(), y())
        .endpoints(Endpoints::Subsequence)
        .expected_slope(3.0)
        .band(0.1)
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Infeasible { knot: 2, .. }), "{e}");
    assert!(e.to_string().contains("knot 2"));
}

#[test]
fn feasible_intervals_are_exact_for_non_uniform_knots() {
    // Knots 0, 0.1, 0.4, 1 with slopes in [0.5, 2] and pinned ends 0 and 1.
    let x = Signal::new(vec![0.0, 0.1, 0.4, 1.0], vec![0.0; 4], 1).unwrap();
    let y = uniform(&[0.0, 0.0]);
    let p = Problem::builder(x, y)
        .slope_min(0.5)
        .slope_max(2.0)
        .build()
        .unwrap();
    // Forward: φ_1 ∈ [0.05, 0.2], φ_2 ∈ [0.2, 0.8]. Backward from φ_3 = 1 over Δt = 0.6:
    // φ_2 ≤ 1 − 0.5·0.6 = 0.7 (and ≥ 1 − 2·0.6 = −0.2), which then leaves knot 1 as it was.
    let expected = [(0.0, 0.0), (0.05, 0.2), (0.2, 0.7), (1.0, 1.0)];
    for (got, want) in p.feasible_intervals().iter().zip(expected) {
        assert!(
            (got.0 - want.0).abs() < 1e-15 && (got.1 - want.1).abs() < 1e-15,
            "{got:?} vs {want:?}"
        );
    }
    // Every end of every interval is attained by some feasible warp.
    for i in 0..4 {
        for end in [p.feasible_intervals()[i].0, p.feasible_intervals()[i].1] {
            assert!(attainable(&p, i, end), "knot {i} value {end}");
        }
    }
}

/// Whether some feasible warp has `φ_i = value`: extend greedily both ways, keeping each
/// knot inside its interval and the step range.
fn attainable(p: &Problem, i: usize, value: f64) -> bool {
    let iv = p.feasible_intervals();
    let tol = 1e-12;
    let mut phi = vec![0.0; p.num_knots()];
    phi[i] = value;
    for j in i + 1..phi.len() {
        let (lo, hi) = p.step_range(j - 1);
        let (a, b) = (
            (phi[j - 1] + lo).max(iv[j].0),
            (phi[j - 1] + hi).min(iv[j].1),
        );
        if a > b + tol {
            return false;
        }
        phi[j] = a.min(b);
    }
    for j in (0..i).rev() {
        let (lo, hi) = p.step_range(j);
        let (a, b) = (
            (phi[j + 1] - hi).max(iv[j].0),
            (phi[j + 1] - lo).min(iv[j].1),
        );
        if a > b + tol {
            return false;
        }
        phi[j] = a.min(b);
    }
    p.constraint_violation(&phi) <= p.tolerance() + tol
}

#[test]
fn random_feasible_intervals_are_exact() {
    use decdtw_free_rng::Rng;
    let mut rng = Rng(7);
    for _ in 0..300 {
        let m = 2 + (rng.next() % 8) as usize;
        let mut t = vec![0.0];
        for _ in 1..m {
            t.push(t.last().unwrap() + 0.1 + rng.unit());
        }
        let x = Signal::new(t, vec![0.0; m], 1).unwrap();
        let y = uniform(&[0.0, 0.0, 0.0]);
        let s_min: Vec<f64> = (1..m).map(|_| rng.unit() * 0.8).collect();
        let s_max: Vec<f64> = s_min.iter().map(|s| s + 0.1 + 3.0 * rng.unit()).collect();
        let lower: Vec<f64> = (0..m).map(|_| rng.unit() * 0.5 - 0.2).collect();
        let mut b = Problem::builder(x, y)
            .slope_min(s_min)
            .slope_max(s_max)
            .lower_bounds(lower);
        if rng.next() % 2 == 0 {
            b = b.endpoints(Endpoints::Subsequence);
        }
        let Ok(p) = b.build() else { continue };
        for i in 0..m {
            let (l, u) = p.feasible_intervals()[i];
            assert!(
                attainable(&p, i, l) && attainable(&p, i, u),
                "knot {i}: [{l}, {u}]"
            );
            // Just outside the interval is not attainable.
            assert!(!attainable(&p, i, l - 1e-6));
            assert!(!attainable(&p, i, u + 1e-6));
        }
    }
}

mod decdtw_free_rng {
    /// A tiny LCG so this file needs no dev-dependency.
    pub struct Rng(pub u64);
    impl Rng {
        pub fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
        pub fn unit(&mut self) -> f64 {
            self.next() as f64 / (1u64 << 31) as f64
        }
    }
}

#[test]
fn objective_of_a_hand_computed_case() {
    // x = (0, 1, 0) at t = 0, 0.5, 1; y = (0, 2) at τ = 0, 1; φ = (0, 0.5, 1); λ = 0.3.
    // y(φ) = (0, 1, 2): residuals (0, 0, −2); weights (0.25, 0.5, 0.25): feature term 0.25·4 = 1.
    // Expected slope 1; σ = (1, 1): slope term 0. So f = 1.
    let x = uniform(&[0.0, 1.0, 0.0]);
    let y = uniform(&[0.0, 2.0]);
    let p = Problem::builder(x, y).lambda(0.3).build().unwrap();
    assert_eq!(objective(&p, &[0.0, 0.5, 1.0]).unwrap(), 1.0);
    // φ = (0, 0.25, 1): y(φ) = (0, 0.5, 2), residuals (0, 0.5, −2): 0.5·0.25 + 0.25·4 = 1.125;
    // σ = (0.5, 1.5): 0.3·0.5·(0.25 + 0.25) = 0.075. f = 1.2.
    assert!((objective(&p, &[0.0, 0.25, 1.0]).unwrap() - 1.2).abs() < 1e-15);
    // With λ_cum = 2: φ̄ = (0, 0.5, 1), deviation (0, −0.25, 0): 2·0.5·0.0625 = 0.0625 more.
    let p = Problem::builder(uniform(&[0.0, 1.0, 0.0]), uniform(&[0.0, 2.0]))
        .lambda(0.3)
        .lambda_cum(2.0)
        .build()
        .unwrap();
    assert!((objective(&p, &[0.0, 0.25, 1.0]).unwrap() - 1.2625).abs() < 1e-15);
    assert!(matches!(
        objective(&p, &[0.0, 1.0]),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        objective(&p, &[0.0, f64::NAN, 1.0]),
        Err(Error::NonFinite { .. })
    ));
}

#[test]
fn dp_solves_a_hand_computed_case() {
    // Same problem with M = 3: φ_2 ∈ {0, 0.5, 1}. f(0,0,1) = 0.25·0 + 0.5·1 + 1 + 0.3·0.5·(1+1) = 1.8,
    // f(0, 0.5, 1) = 1, f(0, 1, 1) = 0.5·1 + 1 + 0.3 = 1.8: the DP must pick the middle.
    let p = Problem::builder(uniform(&[0.0, 1.0, 0.0]), uniform(&[0.0, 2.0]))
        .lambda(0.3)
        .build()
        .unwrap();
    for kernel in decdtw::Kernel::ALL {
        let opts = decdtw::SolveOptions {
            levels: Some(3),
            refinements: 0,
            kernel,
            ..Default::default()
        };
        let s = decdtw::solve(&p, &opts).unwrap();
        assert_eq!(s.phi, vec![0.0, 0.5, 1.0]);
        assert_eq!(s.objective, 1.0);
    }
}

#[test]
fn interpolants_hit_samples_and_midpoints() {
    // y: two features at times 0, 0.25, 1.
    let y = Signal::new(vec![0.0, 0.25, 1.0], vec![0.0, 1.0, 2.0, -1.0, 5.0, 2.0], 2).unwrap();
    assert_eq!(y.value_at(0.25), vec![2.0, -1.0]);
    assert_eq!(y.value_at(1.0), vec![5.0, 2.0]);
    assert_eq!(y.value_at(0.125), vec![1.0, 0.0]);
    assert_eq!(y.value_at(0.625), vec![3.5, 0.5]);
    // x on 3 uniform samples, knots between them read the interpolant.
    let x = Signal::uniform(vec![0.0, 4.0, 8.0, 0.0, 2.0, 2.0], 2).unwrap();
    let p = Problem::builder(x, y)
        .knots(vec![0.0, 0.25, 1.0])
        .build()
        .unwrap();
    assert_eq!(p.x_at_knot(0), vec![0.0, 4.0]);
    assert_eq!(p.x_at_knot(1), vec![4.0, 2.0]);
    assert_eq!(p.x_at_knot(2), vec![2.0, 2.0]);
}

#[test]
fn y_at_follows_the_interpolation_and_to_builder_keeps_it() {
    let times = vec![0.0, 0.2, 0.5, 0.6, 1.0];
    let values: Vec<f64> = times.iter().map(|t: &f64| (3.0 * t).sin()).collect();
    let y = Signal::new(times.clone(), values.clone(), 1).unwrap();
    let x = Signal::uniform(vec![0.0, 0.5, 1.0], 1).unwrap();
    for kind in [
        decdtw::Interpolation::Linear,
        decdtw::Interpolation::CubicSpline(decdtw::SplineEnds::Natural),
        decdtw::Interpolation::CubicSpline(decdtw::SplineEnds::NotAKnot),
    ] {
        let problem = Problem::builder(x.clone(), y.clone())
            .interpolation(kind)
            .build()
            .unwrap();
        assert_eq!(problem.to_builder().build().unwrap().interpolation(), kind);
        for (t, v) in times.iter().zip(&values) {
            assert!((problem.y_at(*t)[0] - v).abs() < 1e-15);
        }
        let mid = problem.y_at(0.35)[0];
        let linear = 0.5 * (values[1] + values[2]);
        if kind == decdtw::Interpolation::Linear {
            assert_eq!(mid, linear);
        } else {
            // sin is concave here: a spline lies above the chord.
            assert!(mid > linear, "{kind}: {mid} vs chord {linear}");
        }
    }
}

#[test]
fn node_costs_match_the_objective_and_reject_bad_grids() {
    let x = Signal::uniform(vec![0.0, 1.0, 0.5, 2.0], 1).unwrap();
    let y = Signal::uniform(vec![0.5, 1.5, 0.0, 1.0, 2.5], 1).unwrap();
    let problem = Problem::builder(x, y).lambda(0.0).build().unwrap();
    let values = [0.0, 0.1, 0.3, 0.55, 1.0];
    for i in 0..problem.num_knots() {
        let costs = decdtw::dp::node_costs(&problem, i, &values).unwrap();
        for (v, c) in values.iter().zip(&costs) {
            // With λ = 0 the node cost is w_i (x_i − y(v))².
            let r = problem.x_at_knot(i)[0] - problem.y_at(*v)[0];
            let expected = problem.weights()[i] * r * r;
            assert!(
                (c - expected).abs() <= 1e-15 * (1.0 + expected),
                "{c} vs {expected}"
            );
        }
    }
    assert!(decdtw::dp::node_costs(&problem, 4, &values).is_err());
    assert!(decdtw::dp::node_costs(&problem, 0, &[0.2, 0.1]).is_err());
    assert!(decdtw::dp::node_costs(&problem, 0, &[f64::NAN]).is_err());
    assert!(decdtw::dp::node_costs(&problem, 0, &[]).is_err());
    let mut evaluator = decdtw::dp::NodeCosts::new(&problem);
    assert!(matches!(
        evaluator.evaluate(0, &values, &mut [0.0; 4]),
        Err(decdtw::Error::DimensionMismatch {
            expected: 5,
            got: 4,
            ..
        })
    ));
}

/// One `NodeCosts` evaluating knot after knot, with grids that change and come back (the
/// first pass's shared grid is placed once and must be placed again after another grid),
/// returns what a fresh `node_costs` call does, bit for bit: linear and cubic y, the squared
/// and the Huber penalty, grids finer and coarser than y.
#[test]
fn reused_node_cost_evaluator_equals_fresh_calls() {
    let pair = decdtw::synthetic::warped_pair(&mut 9, 60, 3).unwrap();
    let uniform = |count: usize, lo: f64, hi: f64| -> Vec<f64> {
        (0..count)
            .map(|k| lo + (hi - lo) * k as f64 / (count - 1) as f64)
            .collect()
    };
    let grids = [
        uniform(61, 0.0, 1.0),
        uniform(200, 0.2, 0.6),
        uniform(61, 0.0, 1.0),
        uniform(9, 0.05, 0.95),
        uniform(61, 0.0, 1.0),
        uniform(61, 0.1, 0.9),
    ];
    let builders = [
        Problem::builder(pair.x().clone(), pair.y().clone()).lambda_cum(0.2),
        Problem::builder(pair.x().clone(), pair.y().clone()).interpolation(
            decdtw::Interpolation::CubicSpline(decdtw::SplineEnds::Natural),
        ),
        Problem::builder(pair.x().clone(), pair.y().clone())
            .feature_penalty(decdtw::FeaturePenalty::Huber { delta: 0.3 }),
    ];
    for builder in builders {
        let problem = builder.build().unwrap();
        let mut evaluator = decdtw::dp::NodeCosts::new(&problem);
        for i in 0..problem.num_knots() {
            for grid in &grids {
                let mut reused = vec![f64::NAN; grid.len()];
                evaluator.evaluate(i, grid, &mut reused).unwrap();
                let fresh = decdtw::dp::node_costs(&problem, i, grid).unwrap();
                assert!(reused.iter().all(|c| c.is_finite() && *c >= 0.0));
                let bits = |v: &[f64]| v.iter().map(|c| c.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&reused),
                    bits(&fresh),
                    "knot {i}, {} values",
                    grid.len()
                );
            }
        }
    }
}
