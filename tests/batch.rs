//! The batch API: pairs of different lengths solved in parallel give exactly the results of
//! solving each alone (also with each solve split at the middle knot), and a bad pair fails
//! alone.

use decdtw::{solve, solve_batch, Error, Problem, Signal, SolveOptions};

fn pair(seed: u64, nx: usize, ny: usize) -> Problem {
    let mut s = seed;
    let mut walk = |n: usize| {
        let mut v = vec![0.0; n * 2];
        for i in 2..n * 2 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            v[i] = v[i - 2] + ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
        }
        v
    };
    let x = Signal::uniform(walk(nx), 2).unwrap();
    let y = Signal::uniform(walk(ny), 2).unwrap();
    Problem::builder(x, y).lambda(0.2).build().unwrap()
}

#[test]
fn batch_equals_one_by_one_for_different_lengths() {
    let problems: Vec<Problem> = (0..12)
        .map(|i| pair(i, 10 + 7 * i as usize, 30 + 3 * i as usize))
        .collect();
    let options = SolveOptions::default();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let batch = pool.install(|| solve_batch(&problems, &options));
    assert_eq!(batch.len(), problems.len());
    for (p, b) in problems.iter().zip(&batch) {
        let alone = solve(p, &options).unwrap();
        let b = b.as_ref().unwrap();
        assert_eq!(b.phi, alone.phi);
        assert_eq!(b.objective, alone.objective);
        assert_eq!(b.phi.len(), p.num_knots());
    }
}

/// A batch of split solves (a `rayon::join` inside each pair's task) gives the sequential
/// solves' objectives.
#[test]
fn batch_of_split_solves_equals_sequential_solves() {
    let problems: Vec<Problem> = (0..8)
        .map(|i| pair(40 + i, 20 + 9 * i as usize, 25 + 4 * i as usize))
        .collect();
    let split = SolveOptions {
        split: true,
        ..SolveOptions::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let batch = pool.install(|| solve_batch(&problems, &split));
    for (p, b) in problems.iter().zip(&batch) {
        let alone = solve(p, &SolveOptions::default()).unwrap();
        let b = b.as_ref().unwrap();
        assert!((b.objective - alone.objective).abs() <= 1e-12 * alone.objective.max(1e-300));
        assert_eq!(b.phi.len(), p.num_knots());
    }
}

#[test]
fn a_bad_pair_fails_alone() {
    let problems = vec![pair(1, 20, 20), pair(2, 15, 25)];
    let too_small = SolveOptions {
        max_memory_bytes: 20 * 21 * 4 - 1,
        ..SolveOptions::default()
    };
    let results = solve_batch(&problems, &too_small);
    // 20 knots × max(50, 21) levels × 4 bytes exceeds the limit; so does 15 × 50 × 4.
    assert!(matches!(results[0], Err(Error::TooLarge { .. })));
    let options = SolveOptions {
        levels: Some(1),
        ..SolveOptions::default()
    };
    assert!(solve_batch(&problems, &options)
        .iter()
        .all(|r| matches!(r, Err(Error::InvalidParameter { .. }))));
    let options = SolveOptions {
        eta: 1.5,
        ..SolveOptions::default()
    };
    assert!(matches!(
        solve(&problems[0], &options),
        Err(Error::InvalidParameter { .. })
    ));
}
