// DP kernels of the forward pass for a batch of GDTW problems (SPEC §2), one launch per stage
// for all pairs at once. `real` is float or double (defined by whoever compiles this file);
// sums of squares and the path costs are accumulated in `real`.
//
// Supported problems: squared Euclidean feature penalty, piecewise-linear y, squared slope
// penalty, no cumulative term (what `decdtw::cuda` checks before it launches anything).
//
// Layout: pairs are concatenated. For pair p, its knots are rows knot_start[p] ..
// knot_start[p+1] of every per-knot array, its intervals the same rows minus p (one fewer
// per pair), its y samples rows y_start[p] .. y_start[p+1]. Every knot has `levels` slots
// for grid values; a layer uses the first layer_count[knot] of them.
//
// The same source builds for the host (see host_shim.h), where the tests compare it with the
// Rust solver.

#ifndef REAL
#define REAL double
#endif
typedef REAL real;

#define UNREACHABLE 0xffffffffu

// Value j of a layer: clamp(anchor + (k0 + j) step, lo, hi), as `decdtw::dp::Layer::value`.
__device__ real layer_value(const real* layer, long j) {
    // layer = {anchor, step, k0, count, lo, hi}
    real v = layer[0] + (real)((long)layer[2] + j) * layer[1];
    return v < layer[4] ? layer[4] : (v > layer[5] ? layer[5] : v);
}

// The segment of y used at tau: the last j with t_j <= tau, clamped to 0 .. n - 2.
__device__ long segment_of(const real* t, long n, real tau) {
    long lo = 0, hi = n;  // partition point of t <= tau
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (t[mid] <= tau) lo = mid + 1; else hi = mid;
    }
    long j = lo - 1;
    if (j < 0) j = 0;
    if (j > n - 2) j = n - 2;
    return j;
}

// ||a - b||^2 with four interleaved partial sums, summed in the Rust solver's order.
__device__ real squared_distance(const real* a, const real* b, long d) {
    real acc[4] = {0, 0, 0, 0};
    long full = d - d % 4;
    for (long k = 0; k < full; k += 4) {
        for (int l = 0; l < 4; l++) {
            real r = a[k + l] - b[k + l];
            acc[l] += r * r;
        }
    }
    real tail = 0;
    for (long k = full; k < d; k++) {
        real r = a[k] - b[k];
        tail += r * r;
    }
    return (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail;
}

// Node costs: one thread per (knot, grid slot). On segment s of y, with D_s = ||x_i - Y_s||^2,
// ||x_i - y(v)||^2 = (1 - a) D_s + a D_{s+1} - a (1 - a) ||Y_{s+1} - Y_s||^2, times w_i.
extern "C" __global__ void node_costs(
    long total_knots, long levels, long d,
    const long* knot_pair, const long* y_start,
    const real* x_at_knots, const real* weights, const real* y_times, const real* y_values,
    const real* layers, real* out)
{
    long slot = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (slot >= total_knots * levels) return;
    long knot = slot / levels, j = slot % levels;
    const real* layer = layers + 6 * knot;
    if (j >= (long)layer[3]) return;
    long p = knot_pair[knot];
    long n = y_start[p + 1] - y_start[p];
    const real* t = y_times + y_start[p];
    const real* y = y_values + y_start[p] * d;
    const real* x = x_at_knots + knot * d;
    real v = layer_value(layer, j);
    long s = segment_of(t, n, v);
    real a = (v - t[s]) * (1 / (t[s + 1] - t[s]));
    real feature = (1 - a) * squared_distance(x, y + s * d, d)
        + a * squared_distance(x, y + (s + 1) * d, d)
        - a * (1 - a) * squared_distance(y + s * d, y + (s + 1) * d, d);
    out[slot] = weights[knot] * (feature > 0 ? feature : 0);
}

// One DP stage for every pair that has it: stage i joins knot i and knot i + 1 of its pair.
// One thread per (pair, slot k of knot i + 1): the leftmost minimiser over the window of
// slope-feasible j (found by binary search) of cost[knot i][j] + c (v_k - v_j - b)^2, c = lambda / dt, b = s dt; then the new
// cost-to-come adds the node cost of (knot i + 1, k). `slack` widens the slope limits by the
// rounding of a step in `real` (0 in double, where the limits already carry the problem's
// tolerance; in float, grid points at a limit would otherwise drop out).
extern "C" __global__ void dp_stage(
    long pairs, long stage, long levels,
    const long* knot_start, const real* layers, const real* node,
    const real* dt, const real* step_min, const real* step_max, const real* lambda,
    const real* expected_slope, real slack, real inf, real* cost, unsigned* back)
{
    long slot = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (slot >= pairs * levels) return;
    long p = slot / levels, k = slot % levels;
    long first = knot_start[p];
    if (stage + 1 >= knot_start[p + 1] - first) return;
    long i = first + stage;         // knot i of the concatenation
    long interval = i - p;          // its interval (pairs have one interval fewer than knots)
    const real* prev_layer = layers + 6 * i;
    const real* next_layer = layers + 6 * (i + 1);
    if (k >= (long)next_layer[3]) return;
    real h = dt[interval];
    real c = lambda[p] / h, b = expected_slope[p] * h;
    real lo = step_min[interval] - slack, hi = step_max[interval] + slack;
    real v = layer_value(next_layer, k);
    real best = inf;
    unsigned arg = UNREACHABLE;
    // The steps v - v_j fall with j: binary-search the window where lo <= step <= hi.
    long from = 0, to = (long)prev_layer[3];
    for (long end = to; from < end;) {
        long mid = (from + end) / 2;
        if (v - layer_value(prev_layer, mid) <= hi) end = mid; else from = mid + 1;
    }
    for (long start = from; start < to;) {
        long mid = (start + to) / 2;
        if (v - layer_value(prev_layer, mid) < lo) to = mid; else start = mid + 1;
    }
    for (long j = from; j < to; j++) {
        real step = v - layer_value(prev_layer, j);
        if (!(lo <= step && step <= hi) || !(cost[i * levels + j] < inf)) continue;
        real u = step - b;
        real candidate = cost[i * levels + j] + c * u * u;
        if (candidate < best) {
            best = candidate;
            arg = (unsigned)j;
        }
    }
    cost[(i + 1) * levels + k] = best + node[(i + 1) * levels + k];
    back[(i + 1) * levels + k] = arg;
}

// The first knot's cost-to-come is its node cost: one thread per (pair, slot).
extern "C" __global__ void dp_start(
    long pairs, long levels, const long* knot_start, const real* layers, const real* node,
    real* cost)
{
    long slot = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (slot >= pairs * levels) return;
    long p = slot / levels, j = slot % levels;
    long i = knot_start[p];
    if (j < (long)layers[6 * i + 3]) cost[i * levels + j] = node[i * levels + j];
}

// Back-tracking, one thread per pair: the cheapest slot of the last knot (leftmost on ties),
// then the back-pointers; writes the warp and the path's cost.
extern "C" __global__ void backtrack(
    long pairs, long levels, const long* knot_start, const real* layers, const real* cost,
    const unsigned* back, real inf, real* phi, real* path_cost)
{
    long p = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= pairs) return;
    long first = knot_start[p], last = knot_start[p + 1] - 1;
    long count = (long)layers[6 * last + 3];
    real best = inf;
    long k = 0;
    for (long j = 0; j < count; j++) {
        if (cost[last * levels + j] < best) {
            best = cost[last * levels + j];
            k = j;
        }
    }
    path_cost[p] = best;
    for (long i = last; i >= first; i--) {
        phi[i] = layer_value(layers + 6 * i, k);
        if (i > first) k = (long)back[i * levels + k];
    }
}

// The grids of the next pass, one thread per knot, as `decdtw::dp::Layer`: the first pass
// (width <= 0) spans the feasible interval [lo, hi] uniformly; later passes are centred on the
// best warp so far with spacing width_fraction (hi - lo) / (levels - 1), cut at the interval.
extern "C" __global__ void fill_layers(
    long total_knots, long levels, real width_fraction, const real* feasible,
    const real* center, real* layers)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total_knots) return;
    real lo = feasible[2 * i], hi = feasible[2 * i + 1];
    real* out = layers + 6 * i;
    real c = center[i] < lo ? lo : (center[i] > hi ? hi : center[i]);
    real width = width_fraction * (hi - lo);
    bool first = width_fraction <= 0;
    if (hi <= lo || levels < 2 || (!first && width <= 0)) {
        real v = first ? lo : c;
        out[0] = v; out[1] = 0; out[2] = 0; out[3] = 1; out[4] = v; out[5] = v;
        return;
    }
    if (first) {
        out[0] = lo; out[1] = (hi - lo) / (real)(levels - 1); out[2] = 0; out[3] = (real)levels;
        out[4] = lo; out[5] = hi;
        return;
    }
    real step = width / (real)(levels - 1);
    long half = (levels - 1) / 2;
    long k_min = (long)ceil((lo - c) / step - (real)1e-9);
    if (k_min < -half) k_min = -half;
    long k_max = (long)floor((hi - c) / step + (real)1e-9);
    if (k_max > levels - 1 - half) k_max = levels - 1 - half;
    out[0] = c; out[1] = step; out[2] = (real)k_min; out[3] = (real)(k_max - k_min + 1);
    out[4] = lo; out[5] = hi;
}
