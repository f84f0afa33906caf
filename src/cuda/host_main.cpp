// The batched forward pass of kernels.cu run on the host (see host_shim.h), for the tests:
// `host_solver IN OUT` reads a batch written by `decdtw::cuda::layout::Batch::write_to` and
// writes the warps and path costs (f64) after the same passes as the device solver.
#include "host_shim.h"
#include "kernels.cu"
#include <cstdint>
#include <cstdio>
#include <limits>

template <class T>
static std::vector<T> read_array(FILE* f) {
    int64_t len = 0;
    if (fread(&len, sizeof len, 1, f) != 1) throw 1;
    std::vector<T> out(len);
    if constexpr (sizeof(T) == 8 && !std::is_integral_v<T>) {
        if (len && fread(out.data(), 8, len, f) != (size_t)len) throw 1;
    } else {
        std::vector<int64_t> raw(len);
        if (len && fread(raw.data(), 8, len, f) != (size_t)len) throw 1;
        for (int64_t i = 0; i < len; i++) out[i] = (T)raw[i];
    }
    return out;
}

template <class T>
static std::vector<real> as_real(const std::vector<T>& v) {
    return std::vector<real>(v.begin(), v.end());
}

int main(int argc, char** argv) {
    if (argc != 3) return 2;
    FILE* in = fopen(argv[1], "rb");
    if (!in) return 2;
    auto header = read_array<long>(in);  // pairs, levels, d, passes
    long pairs = header[0], levels = header[1], d = header[2], passes = header[3];
    auto eta = read_array<double>(in)[0];
    auto knot_start = read_array<long>(in);
    auto y_start = read_array<long>(in);
    auto knot_pair = read_array<long>(in);
    auto x_at_knots = as_real(read_array<double>(in));
    auto weights = as_real(read_array<double>(in));
    auto y_times = as_real(read_array<double>(in));
    auto y_values = as_real(read_array<double>(in));
    auto feasible = as_real(read_array<double>(in));
    auto dt = as_real(read_array<double>(in));
    auto step_min = as_real(read_array<double>(in));
    auto step_max = as_real(read_array<double>(in));
    auto lambda = as_real(read_array<double>(in));
    auto slope = as_real(read_array<double>(in));
    fclose(in);

    long knots = knot_start[pairs];
    long stages = 0;
    for (long p = 0; p < pairs; p++) {
        stages = std::max(stages, knot_start[p + 1] - knot_start[p] - 1);
    }
    const real inf = std::numeric_limits<real>::infinity();
    real span = 0;
    for (real t : y_times) span = std::max(span, std::fabs(t));
    const real slack = sizeof(real) == 4 ? 8 * std::numeric_limits<real>::epsilon() * span : 0;
    const unsigned block = 32;
    std::vector<real> layers(6 * knots), node(knots * levels), cost(knots * levels);
    std::vector<unsigned> back(knots * levels);
    std::vector<real> phi(knots), best_phi(knots), path_cost(pairs), best_cost(pairs, inf);
    real fraction = 0;
    for (long pass = 0; pass < passes; pass++) {
        launch(knots, block, fill_layers, knots, levels, fraction, feasible.data(),
               best_phi.data(), layers.data());
        launch(knots * levels, block, node_costs, knots, levels, d, knot_pair.data(),
               y_start.data(), x_at_knots.data(), weights.data(), y_times.data(),
               y_values.data(), (const real*)layers.data(), node.data());
        launch(pairs * levels, block, dp_start, pairs, levels, knot_start.data(),
               (const real*)layers.data(), (const real*)node.data(), cost.data());
        for (long stage = 0; stage < stages; stage++) {
            launch(pairs * levels, block, dp_stage, pairs, stage, levels, knot_start.data(),
                   (const real*)layers.data(), (const real*)node.data(), dt.data(),
                   step_min.data(), step_max.data(), lambda.data(), slope.data(), slack, inf,
                   cost.data(), back.data());
        }
        launch(pairs, block, backtrack, pairs, levels, knot_start.data(),
               (const real*)layers.data(), (const real*)cost.data(),
               (const unsigned*)back.data(), inf, phi.data(), path_cost.data());
        for (long p = 0; p < pairs; p++) {
            if (path_cost[p] < best_cost[p]) {
                best_cost[p] = path_cost[p];
                for (long i = knot_start[p]; i < knot_start[p + 1]; i++) best_phi[i] = phi[i];
            }
        }
        fraction = fraction == 0 ? (real)eta : fraction * (real)eta;
    }
    FILE* out = fopen(argv[2], "wb");
    if (!out) return 2;
    for (long i = 0; i < knots; i++) {
        double v = (double)best_phi[i];
        fwrite(&v, 8, 1, out);
    }
    for (long p = 0; p < pairs; p++) {
        double v = (double)best_cost[p];
        fwrite(&v, 8, 1, out);
    }
    fclose(out);
    return 0;
}
