"""decdtw vs GDTW 1.2.1 (and classic DTW from dtaidistance), side by side.

For every size n and problem, the same random-walk pair (d channels, each scaled to [-1, 1]
so that GDTW's own rescaling changes nothing) goes to both solvers in one session. Our side:
`decdtw align --polish` with M = n + 1, 3 refinements (4 passes), one thread, run right before
and right after GDTW's solve of the same pair, so that the two bracket it on this shared,
drifting machine. Each run reports the solve (of --repeats, default 5, in one process) whose DP
and polish together took the median time, with the DP's time and the polish's apart (process
start and file I/O are not counted): the DP column is the mean of the two runs' DP times, the
polished column the mean of their DP + polish times, so that both come from the same solves.
GDTW:
`gdtw.warp` timed around the call, with x and y swapped (GDTW warps its first argument), loss
and slope penalty "L2", lambda_inst = lambda, lambda_cum = 0, s_min = 0, M = n - 1 (it refuses
M >= n), 4 passes and early stopping disabled.

GDTW's objective differs from ours by a constant on a uniform grid with pinned ends:
F_ours = f_gdtw - (1 - D/2) D_0 - (D/2) D_{N-1} - lambda, with D = 1/(N-1) and D_0, D_{N-1} the
squared distances at the two end knots. The script checks that mapping on every problem by
evaluating our objective (SPEC section 1, written again here in numpy) at GDTW's warp, and
refuses to report a comparison where it does not hold.
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
import gdtw
from dtaidistance import dtw_ndim


def scaled_walk(rng, n, d):
    walk = np.cumsum(rng.standard_normal((n, d)), axis=0)
    lo, hi = walk.min(axis=0), walk.max(axis=0)
    return 2.0 * (walk - lo) / (hi - lo) - 1.0


def objective(x, y, phi, lam):
    """f(phi) of SPEC section 1: trapezoid weights, squared loss, lambda * sum dt (sigma - 1)^2."""
    n = len(x)
    t = np.linspace(0.0, 1.0, n)
    dt = np.diff(t)
    w = np.zeros(n)
    w[:-1] += dt / 2
    w[1:] += dt / 2
    ty = np.linspace(0.0, 1.0, len(y))
    y_at = np.stack([np.interp(phi, ty, y[:, k]) for k in range(y.shape[1])], axis=1)
    feature = np.sum(w * np.sum((x - y_at) ** 2, axis=1))
    return feature + lam * np.sum(dt * (np.diff(phi) / dt - 1.0) ** 2)


def run_gdtw(x, y, lam):
    n = len(x)
    params = dict(Loss="L2", R_inst="L2", R_cum="L2", lambda_inst=lam, lambda_cum=0.0,
                  s_min=0.0, M=n - 1, max_iters=4, epsilon_abs=-1.0, epsilon_rel=0.0)
    start = time.perf_counter()
    _, _, f, g = gdtw.warp(x=y, y=x, params=params)
    seconds = time.perf_counter() - start
    if g.iteration != 3:
        raise RuntimeError(f"GDTW ran {g.iteration + 1} passes, not 4")
    tau = np.array(g.tau)
    ty = np.linspace(0.0, 1.0, len(y))
    y_at = np.stack([np.interp(tau[[0, -1]], ty, y[:, k]) for k in range(y.shape[1])], axis=1)
    d_ends = np.sum((x[[0, -1]] - y_at) ** 2, axis=1)
    delta = 1.0 / (n - 1)
    mapped = float(f) - (1 - delta / 2) * d_ends[0] - (delta / 2) * d_ends[1] - lam
    return seconds, tau, mapped


def run_decdtw(exe, workdir, x, y, lam, eta, repeats, split=False):
    """One `decdtw align` process (with the polish, unless `split`): a dict of the DP's and
    the whole solve's seconds, the warp, and the DP's and final objectives."""
    n = len(x)
    xp, yp, out = (os.path.join(workdir, f) for f in ("x.npy", "y.npy", "out.json"))
    np.save(xp, x)
    np.save(yp, y)
    subprocess.run([exe, "align", "--x", xp, "--y", yp, "--output", out, "--levels", str(n + 1),
                    "--refinements", "3", "--threads", "2" if split else "1", "--lambda", str(lam),
                    "--eta", str(eta), "--repeats", str(repeats)]
                   + (["--split"] if split else ["--polish"]),
                   check=True, capture_output=True)
    with open(out) as fh:
        result = json.load(fh)["results"][0]
    dp = result["time_seconds"]
    return dict(dp_seconds=dp, seconds=dp + (result.get("polish_time_seconds") or 0.0),
                phi=np.array(result["phi"]), objective=result["objective"],
                dp_objective=result.get("dp_objective", result["objective"]))


def run_dtai(x, y):
    start = time.perf_counter()
    dtw_ndim.distance_fast(np.ascontiguousarray(x), np.ascontiguousarray(y))
    return time.perf_counter() - start


def slope(ns, times):
    return float(np.polyfit(np.log(ns), np.log(times), 1)[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decdtw", required=True, help="path of the decdtw command")
    parser.add_argument("--sizes", default="64,128,256,512,1024")
    parser.add_argument("--problems", type=int, default=5, help="pairs per size (>= 5)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="decdtw solves per pair and setting (in one process); the median "
                             "time is used")
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--lam", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--eta", type=float, default=0.125, help="decdtw's refinement factor")
    parser.add_argument("--out", help="folder for peers.csv and peers.md")
    parser.add_argument("--split", action="store_true",
                        help="also time decdtw's DP split at the middle knot on 2 threads "
                             "(a separate table; the main table stays single-threaded)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = np.random.default_rng(args.seed)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for n in sizes:
            ours, theirs, dtai, gaps, mapping = [], [], [], [], []
            polished, polished_gaps, split = [], [], []
            for p in range(args.problems):
                x, y = scaled_walk(rng, n, args.d), scaled_walk(rng, n, args.d)
                ours_args = (args.decdtw, workdir, x, y, args.lam, args.eta, args.repeats)
                before = run_decdtw(*ours_args)
                g_seconds, g_tau, g_mapped = run_gdtw(x, y, args.lam)
                after = run_decdtw(*ours_args)
                dtai.append(run_dtai(x, y))
                if (before["objective"], before["dp_objective"]) != (after["objective"],
                                                                     after["dp_objective"]):
                    raise SystemExit(f"n = {n}, problem {p}: two decdtw runs disagree")
                # The mapping must hold, and our objective must be the one written here.
                residual = abs(objective(x, y, g_tau, args.lam) - g_mapped) / abs(g_mapped)
                o_objective = after["objective"]
                ours_check = abs(objective(x, y, after["phi"], args.lam) - o_objective) / o_objective
                if residual > 1e-9 or ours_check > 1e-9:
                    raise SystemExit(f"n = {n}, problem {p}: objective mapping off by "
                                     f"{residual:.2e} (GDTW) / {ours_check:.2e} (decdtw)")
                ours.append(0.5 * (before["dp_seconds"] + after["dp_seconds"]))
                polished.append(0.5 * (before["seconds"] + after["seconds"]))
                theirs.append(g_seconds)
                gaps.append((g_mapped - after["dp_objective"]) / abs(g_mapped))
                polished_gaps.append((g_mapped - o_objective) / abs(g_mapped))
                mapping.append(residual)
                if args.split:
                    split_run = run_decdtw(*ours_args, split=True)
                    if abs(split_run["objective"] - after["dp_objective"]) > 1e-12 * o_objective:
                        raise SystemExit(f"n = {n}, problem {p}: the split DP's objective "
                                         f"{split_run['objective']} differs from "
                                         f"{after['dp_objective']}")
                    split.append(split_run["seconds"])
            row = dict(n=n, gdtw_ms=1e3 * np.median(theirs), decdtw_ms=1e3 * np.median(ours),
                       speedup=np.median(np.array(theirs) / np.array(ours)),
                       dtai_ms=1e3 * np.median(dtai), worst_gain=min(gaps),
                       best_gain=max(gaps), mapping=max(mapping),
                       polished_ms=1e3 * np.median(polished),
                       polished_speedup=np.median(np.array(theirs) / np.array(polished)),
                       polished_worst_gain=min(polished_gaps))
            if args.split:
                row.update(split_ms=1e3 * np.median(split),
                           split_speedup=np.median(np.array(theirs) / np.array(split)),
                           split_over_one=np.median(np.array(ours) / np.array(split)))
            rows.append(row)
            print(f"n = {n}: GDTW {row['gdtw_ms']:.1f} ms, decdtw {row['decdtw_ms']:.2f} ms, "
                  f"x{row['speedup']:.0f}", flush=True)
    ns = [r["n"] for r in rows]
    lines = [
        f"d = {args.d}, lambda = {args.lam}, {args.problems} pairs per size, medians over the "
        f"pairs (decdtw: the mean of two runs bracketing GDTW's, each the median of "
        f"{args.repeats} solves in one process, DP and polish timed apart); GDTW 1.2.1 "
        f"(M = n - 1, 4 passes, eta = 0.15) vs decdtw (M = n + 1, 4 passes, eta = {args.eta}, "
        "1 thread); dtaidistance: classic "
        "DTW (a different problem, for scale)",
        "",
        "| n | GDTW (ms) | decdtw (ms) | GDTW / decdtw | gain (f_GDTW - f_ours) / f_GDTW, worst .. best "
        "| decdtw + polish (ms) | GDTW / (decdtw + polish) | gain after polish, worst | dtaidistance (ms) "
        "| mapping residual |",
        "| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['n']} | {r['gdtw_ms']:.1f} | {r['decdtw_ms']:.2f} | {r['speedup']:.0f} | "
                     f"{r['worst_gain']:+.1e} .. {r['best_gain']:+.1e} | {r['polished_ms']:.2f} | "
                     f"{r['polished_speedup']:.0f} | {r['polished_worst_gain']:+.1e} | "
                     f"{r['dtai_ms']:.2f} | {r['mapping']:.0e} |")
    if len(rows) > 1:
        lines += ["", "time-versus-n slope (log-log fit): GDTW "
                  f"{slope(ns, [r['gdtw_ms'] for r in rows]):.2f}, decdtw "
                  f"{slope(ns, [r['decdtw_ms'] for r in rows]):.2f}, dtaidistance "
                  f"{slope(ns, [r['dtai_ms'] for r in rows]):.2f}"]
    if args.split:
        lines += ["", "decdtw with the DP split at the middle knot on 2 threads (`--split --threads 2`, "
                  "same objective on every problem):", "",
                  "| n | decdtw, 1 thread (ms) | decdtw split, 2 threads (ms) | 1 thread / split "
                  "| GDTW / split |", "| ---: | ---: | ---: | ---: | ---: |"]
        for r in rows:
            lines.append(f"| {r['n']} | {r['decdtw_ms']:.2f} | {r['split_ms']:.2f} | "
                         f"{r['split_over_one']:.2f} | {r['split_speedup']:.0f} |")
    text = "\n".join(lines)
    print("\n" + text)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "peers.md"), "w") as fh:
            fh.write(text + "\n")
        with open(os.path.join(args.out, "peers.csv"), "w") as fh:
            fh.write(",".join(rows[0].keys()) + "\n")
            for r in rows:
                fh.write(",".join(str(v) for v in r.values()) + "\n")
    if any(r["worst_gain"] < -1e-12 for r in rows):
        print("note: decdtw's DP objective is worse than GDTW's on some problem (see the gains)")
    if any(r["polished_worst_gain"] < -1e-12 for r in rows):
        raise SystemExit("decdtw's polished objective is worse than GDTW's on some problem")


if __name__ == "__main__":
    main()
