//! One DP stage of the squared slope penalty as a lower envelope of parabolas (the distance
//! transform of Felzenszwalb & Huttenlocher), `O(M)` per stage.
//!
//! With `R(u) = u²` the edge cost is `c (δ − b)²` (`c = λ/Δt_i`, `b = s Δt_i`, `δ = v_k − v_j`),
//! so row `k` of the stage reads the lower envelope of the parabolas
//!
//! `p_j(t) = D_i(j) + c (t − q_j)²`,   `q_j = v_j + b`,
//!
//! at `t = v_k`. All have the curvature `c`, so on the envelope they appear in the order of their
//! apexes `q_j`, which is the order of `j`. Parabola `j'` is lower than `j < j'` right of their
//! crossing `t*(j, j') = (q_j + q_j')/2 + (D_i(j') − D_i(j)) / (2c (q_j' − q_j))`. Each piece
//! `i` of the envelope stores where it starts, `s_i = t*(h, i)` with `h` the piece before it
//! (`s = −∞` for the first). A new parabola `j` hides the last piece once `t*(i, j) ≤ s_i`,
//! tested multiplied out, without a division:
//!
//! `D_j − D_i ≤ 2c (q_j − q_i) (s_i − (q_i + q_j)/2)`.
//!
//! Most pushes follow the parabola pushed just before, which is the top piece, and hide
//! nothing: the crossings `t*(j, j + 1)` of consecutive parabolas are computed for the whole
//! stage first (one loop the compiler vectorises), and such a push only compares `t*(j, j + 1)`
//! with the top's start and stores it as its own. That comparison depends on no division of the
//! push before, so when the branch is mispredicted (when the push does hide the top piece, about
//! every second push on the first pass) the processor finds out early.
//!
//! Predecessor `j` is allowed for `v_k` when `v_k − v_j ≥ step_min` (a prefix of the `j` that
//! grows with `k`) and `v_k − v_j ≤ step_max`. Parabolas therefore enter the envelope in order
//! of `j` as the rows reach them, and rows are read in order of `k`: one sweep, every parabola
//! pushed and popped at most once.
//!
//! The sweep is exact when no predecessor ever leaves a window on the left, that is when
//! `step_max ≥ v_last − v_first` over the stage (the default `s_max = +∞`; see [`applies`]).
//! A parabola leaving on the left could let one it had hidden back onto the envelope, which a
//! single sweep cannot see, so stages with a binding `s_max` use the Monge kernel instead.

use super::cpu::avx2_dispatch;
use super::kernel::UNREACHABLE;

/// The envelope's pieces as parallel arrays (start of the piece, its parabola `j`, whose apex
/// `q_j` and cost `D_i(j)` are read from the stage's inputs), and the crossings of consecutive
/// parabolas; reused from stage to stage.
#[derive(Debug, Default)]
pub(crate) struct Envelope {
    start: Vec<f64>,
    j: Vec<u32>,
    next_crossing: Vec<f64>,
    /// `prev` followed by a NaN, which no row admits: the admission test needs no bound check.
    admit: Vec<f64>,
}

/// Whether the sweep is exact for a stage from `prev` to `next` with steps at most `step_max`:
/// every predecessor stays inside every window on the left.
pub(crate) fn applies(prev: &[f64], next: &[f64], step_max: f64) -> bool {
    match (prev.first(), next.last()) {
        (Some(&first), Some(&last)) => last - first <= step_max,
        _ => true,
    }
}

avx2_dispatch! {
/// The squared-penalty stage: for every `k`, `best[k] = min_j D_i(j) + c (v_k − v_j − b)²` over
/// `j` with `v_k − v_j ≥ step_min`, and its minimiser `arg[k]` (`+∞` and `UNREACHABLE` when no
/// `j` is reachable). Requires `c > 0`, non-decreasing `prev` and `next`, and [`applies`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn envelope_rows(
    prev: &[f64],
    prev_cost: &[f64],
    next: &[f64],
    c: f64,
    b: f64,
    step_min: f64,
    envelope: &mut Envelope,
    best: &mut [f64],
    arg: &mut [u32],
) {
    debug_assert!(c > 0.0);
    let n = prev.len();
    assert!(prev_cost.len() == n && best.len() == next.len() && arg.len() == next.len());
    for buffer in [&mut envelope.start, &mut envelope.next_crossing] {
        buffer.resize(n + 1, 0.0);
    }
    envelope.j.resize(n + 1, 0);
    let two_c = 2.0 * c;
    // `cross[j] = t*(j, j + 1)`, by the same formula as a push's start; NaN where it is not
    // finite (the two apexes coincide or are a subnormal apart, or a cost is infinite), so that
    // such pushes never take the fast path.
    let crossings = &mut envelope.next_crossing[..n.saturating_sub(1)];
    for (j, crossing) in crossings.iter_mut().enumerate() {
        let (q_a, q_b, rise) = (prev[j] + b, prev[j + 1] + b, prev_cost[j + 1] - prev_cost[j]);
        let t = 0.5 * (q_a + q_b) + rise / (two_c * (q_b - q_a));
        *crossing = if t.abs() < f64::INFINITY { t } else { f64::NAN };
    }
    let cross = &envelope.next_crossing[..=n];
    envelope.admit.clear();
    envelope.admit.extend_from_slice(prev);
    envelope.admit.push(f64::NAN);
    let admit = &envelope.admit[..=n];
    // `v_j` of the next parabola to enter. SAFETY: `entered ≤ n`, because `admit[n]` is NaN,
    // which fails every admission test.
    let next_value = |entered: usize| -> f64 {
        debug_assert!(entered <= n);
        unsafe { *admit.get_unchecked(entered) }
    };
    let (start, index) = (&mut envelope.start[..=n], &mut envelope.j[..=n]);
    // SAFETY of `piece!`: both buffers hold `n + 1` entries, and every index is at most `n`.
    // A push writes piece `len < entered ≤ n` and `start[len + 1]`; the pop loop reads
    // `top = len − 1` with `len ≥ 2`; `read` stays below `len`: pops pull it down to the top
    // piece that stays, and `start[len] = +∞` stops the walk on (also for a NaN `t`).
    // SAFETY of `parabola!`: it reads `prev` and `prev_cost` (`n` entries) at a parabola that
    // has entered, `j < entered ≤ n`.
    macro_rules! piece {
        ($buffer:ident[$k:expr]) => {
            *{
                let k = $k;
                debug_assert!(k <= n);
                unsafe { $buffer.get_unchecked_mut(k) }
            }
        };
    }
    macro_rules! parabola {
        ($j:expr) => {{
            let j = $j as usize;
            debug_assert!(j < n);
            unsafe { (*prev.get_unchecked(j) + b, *prev_cost.get_unchecked(j)) }
        }};
    }
    // The envelope is pieces `0..len`; `start[0] = −∞`, and `start[len] = +∞` ends it. After
    // the rows before the first reachable predecessor it is never empty.
    start[0] = f64::NEG_INFINITY;
    let rows = next.len();
    let (mut k, mut len, mut entered, mut read) = (0usize, 0usize, 0usize, 0usize);
    // The top piece's start and parabola (set with piece 0, before the sweep reads them).
    let (mut top_start, mut top_j) = (f64::NEG_INFINITY, 0);
    'first: while k < rows {
        while next[k] - next_value(entered) >= step_min {
            entered += 1;
            if prev_cost[entered - 1] != f64::INFINITY {
                top_j = entered - 1;
                (index[0], len, start[1]) = (top_j as u32, 1, f64::INFINITY);
                break 'first;
            }
        }
        (best[k], arg[k]) = (f64::INFINITY, UNREACHABLE);
        k += 1;
    }
    while k < rows {
        let t = next[k];
        while t - next_value(entered) >= step_min {
            let j = entered;
            entered += 1;
            let s_new;
            // Whether parabola `j` comes right after the top piece's; then `cross[top_j]` is
            // their crossing (NaN if it is not finite or `D_j = +∞`: the slow path sorts it out).
            let follows = top_j + 1 == j;
            if follows && cross[top_j] > top_start {
                // The common case: the new parabola crosses the top one after its start.
                s_new = cross[top_j];
            } else {
                let (q_new, cost_new) = parabola!(j);
                if cost_new == f64::INFINITY {
                    continue;
                }
                let (q_top, cost_top) = parabola!(piece!(index[len - 1]));
                if follows && q_new > q_top {
                    // The top piece is hidden, unless it is piece 0 (reached here only if the
                    // crossing is −∞ or NaN).
                    len -= (len > 1) as usize;
                } else if q_new <= q_top {
                    // Same apex (grid values clamped onto a bound): the cheaper one stays.
                    if cost_new >= cost_top {
                        continue;
                    }
                    len -= 1;
                    if len == 0 {
                        piece!(index[0]) = j as u32;
                        (len, top_start, top_j, read) = (1, f64::NEG_INFINITY, j, 0);
                        continue;
                    }
                }
                // Pop the pieces the new parabola hides: those whose crossing with it,
                // `(q_i + q_new)/2 + (D_new − D_i) / (2c (q_new − q_i))`, is at or before
                // their start. Piece 0 starts at −∞ and is never hidden.
                while len > 1 {
                    let top = len - 1;
                    let (q_i, cost_i) = parabola!(piece!(index[top]));
                    let gap = q_new - q_i;
                    let lower = two_c * gap * (piece!(start[top]) - 0.5 * (q_i + q_new));
                    if cost_new - cost_i > lower {
                        break;
                    }
                    len -= 1;
                }
                let (q_i, cost_i) = parabola!(piece!(index[len - 1]));
                s_new = 0.5 * (q_i + q_new) + (cost_new - cost_i) / (two_c * (q_new - q_i));
                // The pieces below the new one keep their starts, which increase: if the piece
                // read last was popped, the top one left starts before the last row's `t` too.
                read = read.min(len - 1);
            }
            piece!(start[len]) = s_new;
            piece!(index[len]) = j as u32;
            len += 1;
            piece!(start[len]) = f64::INFINITY;
            (top_start, top_j) = (s_new, j);
        }
        // From the piece read last (or the top piece left by pops), on to the one holding `t`.
        // On a crossing exactly at `t` the earlier (leftmost) parabola is kept. Usually at most
        // one step: take it without a branch.
        read += (piece!(start[read + 1]) < t) as usize;
        while piece!(start[read + 1]) < t {
            read += 1;
        }
        let j = piece!(index[read]);
        let (q_j, cost_j) = parabola!(j);
        let u = t - q_j;
        (best[k], arg[k]) = (cost_j + c * u * u, j);
        k += 1;
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small linear congruential generator, so the test needs no dependency.
    struct Lcg(u64);
    impl Lcg {
        fn unit(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
        fn sorted(&mut self, len: usize, duplicates: bool) -> Vec<f64> {
            let mut v: Vec<f64> = (0..len).map(|_| self.unit()).collect();
            if duplicates {
                // Clamped grids repeat their end values.
                for x in v.iter_mut().take(len / 4) {
                    *x = 0.0;
                }
            }
            v.sort_by(f64::total_cmp);
            v
        }
    }

    #[test]
    fn envelope_equals_brute_force_minimum() {
        let mut rng = Lcg(11);
        let mut envelope = Envelope::default();
        let mut unreachable_rows = 0;
        for case in 0..3000 {
            let (len_prev, len_next) = (1 + case % 37, 1 + (case * 7) % 41);
            let prev = rng.sorted(len_prev, case % 3 == 0);
            let next = rng.sorted(len_next, case % 5 == 0);
            let cost: Vec<f64> = (0..len_prev)
                .map(|_| match rng.unit() {
                    u if u < 0.2 => f64::INFINITY,
                    u if u < 0.3 => 1.0, // ties
                    u => 3.0 * u,
                })
                .collect();
            let c = 0.01 + 50.0 * rng.unit();
            let b = 0.2 * rng.unit() - 0.1;
            let step_min = 0.3 * rng.unit() - 0.05;
            let (mut best, mut arg) = (vec![0.0; len_next], vec![0; len_next]);
            let (stage_prev, stage_cost, stage_next) = (&prev, &cost, &next);
            envelope_rows(
                stage_prev,
                stage_cost,
                stage_next,
                c,
                b,
                step_min,
                &mut envelope,
                &mut best,
                &mut arg,
            );
            for (k, &t) in next.iter().enumerate() {
                let truth = (0..len_prev)
                    .filter(|&j| t - prev[j] >= step_min)
                    .map(|j| cost[j] + c * (t - prev[j] - b).powi(2))
                    .fold(f64::INFINITY, f64::min);
                if truth == f64::INFINITY {
                    unreachable_rows += 1;
                    assert_eq!((best[k], arg[k]), (f64::INFINITY, UNREACHABLE));
                    continue;
                }
                let j = arg[k] as usize;
                assert!(t - prev[j] >= step_min, "case {case}: row {k} uses {j}");
                let at_arg = cost[j] + c * (t - prev[j] - b).powi(2);
                assert!((best[k] - at_arg).abs() <= 1e-15 * at_arg.max(1.0));
                assert!(
                    (best[k] - truth).abs() <= 1e-13 * truth.abs().max(1.0),
                    "case {case}: row {k}: {} vs {truth}",
                    best[k]
                );
            }
        }
        assert!(
            unreachable_rows > 100,
            "unreachable rows: {unreachable_rows}"
        );
    }

    /// Two apexes a subnormal apart, the second cheaper: their crossing is −∞, so the fast
    /// path must not take it, and the first piece (which starts at −∞) must stay.
    #[test]
    fn crossing_at_minus_infinity_keeps_the_first_piece() {
        let (prev, cost, next) = ([0.0, 5e-324], [1.0, 0.5], [0.0, 0.5, 1.0]);
        let (mut best, mut arg) = ([0.0; 3], [0; 3]);
        let mut envelope = Envelope::default();
        envelope_rows(
            &prev,
            &cost,
            &next,
            3.0,
            0.0,
            0.0,
            &mut envelope,
            &mut best,
            &mut arg,
        );
        for (k, &t) in next.iter().enumerate() {
            // Row 0 (t = 0) sees only parabola 0; the others see both, and parabola 1 is lower.
            let j = if k == 0 { 0 } else { 1 };
            assert_eq!(arg[k], j as u32, "row {k}");
            assert_eq!(best[k], cost[j] + 3.0 * (t - prev[j]) * (t - prev[j]));
        }
    }

    #[test]
    fn applies_only_when_no_predecessor_leaves_a_window() {
        assert!(applies(&[0.0, 0.5], &[0.2, 1.0], f64::INFINITY));
        assert!(applies(&[0.0, 0.5], &[0.2, 1.0], 1.0));
        assert!(!applies(&[0.0, 0.5], &[0.2, 1.0], 0.99));
    }
}
