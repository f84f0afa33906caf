//! Reproducible random GDTW problems: random-walk signals, uniform or jittered times, and
//! random penalties, slope limits, bounds, bands, endpoint modes and interpolations of y.

use decdtw::{Endpoints, FeaturePenalty, Interpolation, Problem, Signal, SplineEnds, WarpPenalty};

/// SplitMix64: a small, fast, reproducible generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform on `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform on `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }
    /// Uniform integer in `[lo, hi]`.
    pub fn int(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

/// `n × d` random walk with standard normal steps, row-major.
pub fn random_walk(rng: &mut Rng, n: usize, d: usize) -> Vec<f64> {
    let mut v = vec![0.0; n * d];
    for v_k in v.iter_mut().take(d) {
        *v_k = rng.normal();
    }
    for i in 1..n {
        for k in 0..d {
            v[i * d + k] = v[(i - 1) * d + k] + rng.normal();
        }
    }
    v
}

/// `n` strictly increasing times from `start` spanning `span`, uniform or jittered.
pub fn random_times(rng: &mut Rng, n: usize, start: f64, span: f64, jitter: bool) -> Vec<f64> {
    let steps: Vec<f64> = (1..n)
        .map(|_| if jitter { rng.range(0.3, 1.7) } else { 1.0 })
        .collect();
    let total: f64 = steps.iter().sum();
    let mut t = vec![start; n];
    for i in 1..n {
        t[i] = t[i - 1] + span * steps[i - 1] / total;
    }
    t
}

/// Sizes and switches for [`random_problem`].
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub nx: (usize, usize),
    pub ny: (usize, usize),
    pub d: (usize, usize),
    /// Probability of each optional feature (band, slope limits, bounds, subsequence, …).
    pub p_feature: f64,
    /// Probability that y is a cubic spline (natural or not-a-knot, equally likely) instead
    /// of piecewise-linear.
    pub p_spline: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            nx: (3, 12),
            ny: (3, 12),
            d: (1, 3),
            p_feature: 0.4,
            p_spline: 0.25,
        }
    }
}

/// What a random problem was made of (kept so a failing case can be described).
#[derive(Debug, Clone)]
pub struct Case {
    pub seed: u64,
    pub problem: Problem,
}

/// A random problem that may still be infeasible (the builder's answer is returned as is).
pub fn random_builder_result(seed: u64, config: &Config) -> decdtw::Result<Problem> {
    let mut rng = Rng::new(seed);
    let (nx, ny, d) = (
        rng.int(config.nx.0, config.nx.1),
        rng.int(config.ny.0, config.ny.1),
        rng.int(config.d.0, config.d.1),
    );
    let p = config.p_feature;
    let (x_start, y_start) = (rng.range(-2.0, 2.0), rng.range(-2.0, 2.0));
    let (x_span, x_jitter) = (rng.range(0.5, 2.0), rng.chance(p));
    let (y_span, y_jitter) = (rng.range(0.5, 2.0), rng.chance(p));
    let tx = random_times(&mut rng, nx, x_start, x_span, x_jitter);
    let ty = random_times(&mut rng, ny, y_start, y_span, y_jitter);
    let x = Signal::new(tx, random_walk(&mut rng, nx, d), d)?;
    let y = Signal::new(ty.clone(), random_walk(&mut rng, ny, d), d)?;
    let mut b = Problem::builder(x, y).lambda(rng.range(0.0, 1.0));
    if rng.chance(p) {
        b = b.lambda_cum(rng.range(0.0, 0.5));
    }
    if rng.chance(p) {
        b = b.feature_penalty(FeaturePenalty::Huber {
            delta: rng.range(0.2, 2.0),
        });
    }
    if rng.chance(p) {
        b = b.slope_penalty(WarpPenalty::Huber {
            delta: rng.range(0.2, 2.0),
        });
    }
    if rng.chance(p) {
        b = b.endpoints(Endpoints::Subsequence);
    }
    if rng.chance(p) {
        b = b.band(rng.range(0.1, 1.0) * y_span);
    }
    if rng.chance(p) {
        // Per-interval slope limits around the expected slope scale.
        let m1 = nx - 1;
        let scale = y_span / x_span;
        let lo: Vec<f64> = (0..m1).map(|_| rng.range(0.0, 0.6) * scale).collect();
        let hi: Vec<f64> = lo.iter().map(|l| l + rng.range(0.8, 4.0) * scale).collect();
        b = b.slope_min(lo).slope_max(hi);
    }
    if rng.chance(p) {
        let lo: Vec<f64> = (0..nx)
            .map(|_| ty[0] + rng.range(-0.2, 0.3) * y_span)
            .collect();
        let hi: Vec<f64> = lo
            .iter()
            .map(|l| l + rng.range(0.4, 1.2) * y_span)
            .collect();
        b = b.lower_bounds(lo).upper_bounds(hi);
    }
    // Drawn last, so that the other draws of a seed do not depend on `p_spline`.
    if rng.chance(config.p_spline) {
        b = b.interpolation(Interpolation::CubicSpline(if rng.chance(0.5) {
            SplineEnds::Natural
        } else {
            SplineEnds::NotAKnot
        }));
    }
    b.build()
}

/// The first feasible problem from `seed`, `seed + 1`, … (wrapping; with its seed).
pub fn random_problem(seed: u64, config: &Config) -> Case {
    (0..)
        .map(|k| seed.wrapping_add(k))
        .find_map(|s| {
            random_builder_result(s, config)
                .ok()
                .map(|problem| Case { seed: s, problem })
        })
        .expect("some seed gives a feasible problem")
}
