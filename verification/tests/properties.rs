//! SPEC §5.6: property tests (quickcheck) of the forward pass.

use decdtw::{solve, Endpoints, Problem, Signal, SolveOptions};
use decdtw_verification::random::{random_problem, random_times, random_walk, Config, Rng};
use quickcheck::{quickcheck, Arbitrary, Gen, TestResult};

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

/// Squared penalties only (the scaling law needs them), random modes and constraints.
fn squared_problem(seed: u64, shift: (f64, f64), scale: f64) -> decdtw::Result<Problem> {
    let mut rng = Rng::new(seed);
    let (nx, ny, d) = (rng.int(3, 30), rng.int(3, 30), rng.int(1, 3));
    let (x_span, y_span) = (rng.range(0.5, 2.0), rng.range(0.5, 2.0));
    let (x_jitter, y_jitter) = (rng.chance(0.5), rng.chance(0.5));
    let tx = random_times(&mut rng, nx, 0.0, x_span, x_jitter);
    let ty = random_times(&mut rng, ny, 0.0, y_span, y_jitter);
    let xv = random_walk(&mut rng, nx, d);
    let yv = random_walk(&mut rng, ny, d);
    let lambda = rng.range(0.0, 1.0);
    let lambda_cum = if rng.chance(0.3) {
        rng.range(0.0, 0.5)
    } else {
        0.0
    };
    let subsequence = rng.chance(0.4);
    let band = rng.chance(0.4).then(|| rng.range(0.2, 1.0));
    let s_max = rng.chance(0.4).then(|| rng.range(1.5, 4.0));
    let x = Signal::new(
        tx.iter().map(|t| t + shift.0).collect(),
        xv.iter().map(|v| v * scale).collect(),
        d,
    )?;
    let y = Signal::new(
        ty.iter().map(|t| t + shift.1).collect(),
        yv.iter().map(|v| v * scale).collect(),
        d,
    )?;
    let mut b = Problem::builder(x, y)
        .lambda(lambda * scale * scale)
        .lambda_cum(lambda_cum * scale * scale);
    if subsequence {
        b = b.endpoints(Endpoints::Subsequence);
    }
    if let Some(w) = band {
        b = b.band(w);
    }
    if let Some(s) = s_max {
        b = b.slope_max(s);
    }
    b.build()
}

fn options(seed: u64) -> SolveOptions {
    let mut rng = Rng::new(seed ^ 0xABCD);
    SolveOptions {
        levels: Some(rng.int(5, 40)),
        refinements: rng.int(0, 4),
        ..SolveOptions::default()
    }
}

#[test]
fn refinement_never_increases_the_objective() {
    fn prop(seed: u64) -> TestResult {
        let case = random_problem(seed, &Config::default());
        let opts = SolveOptions {
            refinements: 5,
            ..options(seed)
        };
        let sol = solve(&case.problem, &opts).unwrap();
        let passes = &sol.pass_objectives;
        // Each pass's own optimum is no worse than the best before it (its grid holds that
        // warp), up to the rounding of re-evaluating f.
        let mut best = passes[0];
        for &f in &passes[1..] {
            if f > best + 1e-12 * best.abs().max(1e-300) {
                return TestResult::error(format!("seed {seed}: passes {passes:?}"));
            }
            best = best.min(f);
        }
        TestResult::from_bool(sol.objective == best)
    }
    quickcheck(prop as fn(u64) -> TestResult);
}

/// The same random problem at the origin and with x's times shifted by `0.37 a` and y's by
/// `0.53 b`; also returns y's shift.
fn shifted_pair(seed: u64, a: i8, b: i8) -> Option<(Problem, Problem, f64)> {
    let (a, b) = (a as f64 * 0.37, b as f64 * 0.53);
    let p0 = squared_problem(seed, (0.0, 0.0), 1.0).ok()?;
    let p1 = squared_problem(seed, (a, b), 1.0).ok()?;
    Some((p0, p1, b))
}

#[test]
fn shifting_both_time_axes_shifts_objective_and_intervals_exactly() {
    fn prop(seed: u64, a: i8, b: i8) -> TestResult {
        let Some((p0, p1, b)) = shifted_pair(seed, a, b) else {
            return TestResult::discard();
        };
        let scale = 1e-12 * (p1.y().end().abs() + p1.y().start().abs() + 1.0);
        let intervals_moved = p0
            .feasible_intervals()
            .iter()
            .zip(p1.feasible_intervals())
            .all(|(u, v)| (u.0 + b - v.0).abs() <= scale && (u.1 + b - v.1).abs() <= scale);
        let mut rng = Rng::new(seed);
        let phi: Vec<f64> = p0
            .feasible_intervals()
            .iter()
            .map(|&(l, u)| rng.range(l, u.max(l)))
            .collect();
        let moved: Vec<f64> = phi.iter().map(|v| v + b).collect();
        let (f0, f1) = (
            decdtw::objective(&p0, &phi).unwrap(),
            decdtw::objective(&p1, &moved).unwrap(),
        );
        TestResult::from_bool(intervals_moved && rel(f0, f1) <= 1e-9)
    }
    quickcheck(prop as fn(u64, i8, i8) -> TestResult);
}

#[test]
fn shifting_both_time_axes_shifts_the_warp_to_grid_resolution() {
    // Grid values of the shifted problem round differently (~1e-15), which can flip a
    // near-tie on the finest grid; the answers then differ by about one final grid step
    // h = η^R (u − l)/(M − 1). So: warps agree within 2h, objectives to h relative.
    fn prop(seed: u64, a: i8, b: i8) -> TestResult {
        let Some((p0, p1, b)) = shifted_pair(seed, a, b) else {
            return TestResult::discard();
        };
        let opts = options(seed);
        let (s0, s1) = (solve(&p0, &opts).unwrap(), solve(&p1, &opts).unwrap());
        let resolution = opts.eta.powi(opts.refinements as i32) / (s0.levels - 1) as f64;
        let span = p0.y().end() - p0.y().start();
        let step = resolution * span + 1e-12 * (b.abs() + span);
        let moved = s0
            .phi
            .iter()
            .zip(&s1.phi)
            .all(|(u, v)| (u + b - v).abs() <= 2.0 * step);
        TestResult::from_bool(moved && rel(s0.objective, s1.objective) <= resolution.max(1e-9))
    }
    quickcheck(prop as fn(u64, i8, i8) -> TestResult);
}

#[test]
fn scaling_features_and_weights_scales_the_objective() {
    // f(cX, cY, c²λ, c²λ_cum) = c² f, with the same warp.
    fn prop(seed: u64, c: u8) -> TestResult {
        let c = 0.1 + c as f64 * 0.05;
        let (Ok(p0), Ok(p1)) = (
            squared_problem(seed, (0.0, 0.0), 1.0),
            squared_problem(seed, (0.0, 0.0), c),
        ) else {
            return TestResult::discard();
        };
        let opts = options(seed);
        let (s0, s1) = (solve(&p0, &opts).unwrap(), solve(&p1, &opts).unwrap());
        let same_warp = s0
            .phi
            .iter()
            .zip(&s1.phi)
            .all(|(u, v)| (u - v).abs() <= 1e-9);
        TestResult::from_bool(same_warp && rel(c * c * s0.objective, s1.objective) <= 1e-10)
    }
    quickcheck(prop as fn(u64, u8) -> TestResult);
}

#[test]
fn identical_signals_give_the_identity_warp_and_zero_objective() {
    fn prop(seed: u64) -> bool {
        let mut rng = Rng::new(seed);
        let (n, d) = (rng.int(2, 60), rng.int(1, 4));
        let values = random_walk(&mut rng, n, d);
        let x = Signal::uniform(values.clone(), d).unwrap();
        let y = Signal::uniform(values, d).unwrap();
        let problem = Problem::builder(x.clone(), y)
            .lambda(rng.range(0.0, 2.0))
            .lambda_cum(rng.range(0.0, 1.0))
            .build()
            .unwrap();
        // With M = n the first grid is exactly y's sample times.
        let opts = SolveOptions {
            levels: Some(n),
            refinements: rng.int(0, 3),
            ..SolveOptions::default()
        };
        let sol = solve(&problem, &opts).unwrap();
        sol.phi == x.times() && sol.objective == 0.0
    }
    quickcheck(prop as fn(u64) -> bool);
}

/// Arbitrary, mostly malformed, raw input for the builder.
#[derive(Debug, Clone)]
struct RawInput {
    x_times: Vec<f64>,
    x_values: Vec<f64>,
    y_values: Vec<f64>,
    dims: (usize, usize),
    lambda: f64,
    band: Option<f64>,
    slopes: (f64, f64),
    bounds: Option<Vec<f64>>,
    subsequence: bool,
    levels: usize,
}

impl Arbitrary for RawInput {
    fn arbitrary(g: &mut Gen) -> Self {
        let small = |g: &mut Gen| usize::arbitrary(g) % 4;
        let vec = |g: &mut Gen| {
            let n = usize::arbitrary(g) % 12;
            (0..n).map(|_| f64::arbitrary(g)).collect::<Vec<_>>()
        };
        Self {
            x_times: vec(g),
            x_values: vec(g),
            y_values: vec(g),
            dims: (small(g), small(g)),
            lambda: f64::arbitrary(g),
            band: Option::arbitrary(g),
            slopes: (f64::arbitrary(g), f64::arbitrary(g)),
            bounds: bool::arbitrary(g).then(|| vec(g)),
            subsequence: bool::arbitrary(g),
            levels: usize::arbitrary(g) % 8,
        }
    }
}

#[test]
fn malformed_input_returns_errors_never_panics() {
    fn prop(raw: RawInput) -> bool {
        let outcome = std::panic::catch_unwind(|| {
            let x = Signal::new(raw.x_times.clone(), raw.x_values.clone(), raw.dims.0)?;
            let y = Signal::uniform(raw.y_values.clone(), raw.dims.1)?;
            let mut b = Problem::builder(x, y)
                .lambda(raw.lambda)
                .slope_min(raw.slopes.0)
                .slope_max(raw.slopes.1);
            if let Some(w) = raw.band {
                b = b.band(w);
            }
            if let Some(bounds) = &raw.bounds {
                b = b.lower_bounds(bounds.clone());
            }
            if raw.subsequence {
                b = b.endpoints(Endpoints::Subsequence);
            }
            let problem = b.build()?;
            let opts = SolveOptions {
                levels: Some(raw.levels),
                ..SolveOptions::default()
            };
            solve(&problem, &opts).map(|s| s.objective)
        });
        match outcome {
            Err(_) => false,
            Ok(Ok(f)) => f.is_finite() && f >= 0.0,
            Ok(Err(_)) => true,
        }
    }
    quickcheck(prop as fn(RawInput) -> bool);
}
