//! The `decdtw` command-line program, run as a separate process: `align` on npy (float32 and
//! float64, 1-D, 2-D and batched 3-D) and csv input gives the library's answer, bad input
//! fails with a message and never a panic, and `demo` writes its files.

use decdtw::{objective, solve, Endpoints, Kernel, Problem, Signal, SolveOptions};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// Deterministic smooth-ish test data: `n × d` values, row-major.
fn data(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    let mut noise = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    (0..n * d)
        .map(|j| {
            let (i, k) = (j / d, j % d);
            let t = i as f64 / (n - 1) as f64;
            (6.0 * t + k as f64 + seed as f64).sin() + 0.2 * noise()
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Dtype {
    F32,
    F64,
}

/// Writes a C-ordered little-endian `.npy` file (format 1.0) by hand.
fn write_npy(path: &Path, shape: &[usize], values: &[f64], dtype: Dtype) {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let descr = match dtype {
        Dtype::F32 => "<f4",
        Dtype::F64 => "<f8",
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    for &v in values {
        match dtype {
            Dtype::F32 => bytes.extend((v as f32).to_le_bytes()),
            Dtype::F64 => bytes.extend(v.to_le_bytes()),
        }
    }
    std::fs::write(path, bytes).unwrap();
}

/// The values as the program sees them after reading a file of `dtype`.
fn stored(values: &[f64], dtype: Dtype) -> Vec<f64> {
    match dtype {
        Dtype::F32 => values.iter().map(|&v| v as f32 as f64).collect(),
        Dtype::F64 => values.to_vec(),
    }
}

fn decdtw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_decdtw"))
        .args(args)
        .output()
        .unwrap()
}

/// x (30 × 2) and y (24 × 2) from seeds, written as float64 `.npy` files into `dir`.
fn two_feature_pair(
    dir: &TempDir,
    x_seed: u64,
    y_seed: u64,
) -> (PathBuf, PathBuf, Vec<f64>, Vec<f64>) {
    let (x_path, y_path) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    let (x, y) = (data(30, 2, x_seed), data(24, 2, y_seed));
    write_npy(&x_path, &[30, 2], &x, Dtype::F64);
    write_npy(&y_path, &[24, 2], &y, Dtype::F64);
    (x_path, y_path, x, y)
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `align` with `x`, `y`, `--output dir/out.json` and `extra`: the process output, the
/// arguments and the output path.
fn run_align(dir: &TempDir, x: &Path, y: &Path, extra: &[&str]) -> (Output, Vec<String>, PathBuf) {
    let out = dir.path().join("out.json");
    let mut args: Vec<String> = ["align", "--x", path_str(x), "--y", path_str(y), "--output"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(path_str(&out).to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    (decdtw(&refs), args, out)
}

/// Runs `align` (see [`run_align`]); expects success and returns the parsed JSON.
fn align_ok(dir: &TempDir, x: &Path, y: &Path, extra: &[&str]) -> Value {
    let (output, _, out) = run_align(dir, x, y, extra);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "align failed: {stderr}");
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

/// Runs `align` and expects a clean failure: non-zero exit, a message mentioning `needle`
/// on stderr, and no panic.
fn align_fails(dir: &TempDir, x: &Path, y: &Path, extra: &[&str], needle: &str) {
    let (output, args, _) = run_align(dir, x, y, extra);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "expected a failure: {args:?}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert!(
        stderr.contains(needle),
        "stderr does not mention {needle:?}: {stderr}"
    );
}

fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300)
}

/// One entry of `results` agrees with the library on `problem`: same length, the same
/// objective as the library's own solve, and that objective is `f` at the returned `φ`.
fn check_result(entry: &Value, problem: &Problem, options: &SolveOptions) {
    let phi = floats(&entry["phi"]);
    assert_eq!(phi.len(), problem.num_knots());
    assert_eq!(floats(&entry["knots"]).len(), problem.num_knots());
    let reported = entry["objective"].as_f64().unwrap();
    let library = solve(problem, options).unwrap();
    assert!(
        close(reported, library.objective),
        "objective {reported} vs library {}",
        library.objective
    );
    assert!(close(reported, objective(problem, &phi).unwrap()));
    assert_eq!(
        floats(&entry["pass_objectives"]).len(),
        options.refinements + 1
    );
    assert_eq!(
        entry["levels"].as_u64().unwrap() as usize,
        options.levels_for(problem)
    );
    assert!(close(
        entry["grid_spacing"].as_f64().unwrap(),
        library.grid_spacing
    ));
    assert!(entry["time_seconds"].as_f64().unwrap() >= 0.0);
}

/// Pinned endpoints: φ starts and ends at y's time range.
fn check_pinned(entry: &Value, start: f64, end: f64) {
    let phi = floats(&entry["phi"]);
    assert!((phi[0] - start).abs() < 1e-12, "φ_1 = {}", phi[0]);
    assert!((phi[phi.len() - 1] - end).abs() < 1e-12);
}

#[test]
fn align_npy_2d_float64_matches_library() {
    let dir = TempDir::new().unwrap();
    let (x_path, y_path, x, y) = two_feature_pair(&dir, 1, 2);
    let json = align_ok(&dir, &x_path, &y_path, &[]);
    let results = json["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let problem = Problem::builder(
        Signal::uniform(x, 2).unwrap(),
        Signal::uniform(y, 2).unwrap(),
    )
    .build()
    .unwrap();
    check_result(&results[0], &problem, &SolveOptions::default());
    check_pinned(&results[0], 0.0, 1.0);
    assert!(json["total_time_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(json["options"]["lambda"].as_f64(), Some(0.1));
    assert_eq!(json["options"]["kernel"].as_str(), Some("envelope"));
}

/// `--split` (the DP split at the middle knot, on two threads) gives the library's
/// sequential objective.
#[test]
fn align_split_matches_the_sequential_library_solve() {
    let dir = TempDir::new().unwrap();
    let (x_path, y_path, x, y) = two_feature_pair(&dir, 5, 2);
    let json = align_ok(&dir, &x_path, &y_path, &["--split", "--threads", "2"]);
    let problem = Problem::builder(
        Signal::uniform(x, 2).unwrap(),
        Signal::uniform(y, 2).unwrap(),
    )
    .build()
    .unwrap();
    check_result(&json["results"][0], &problem, &SolveOptions::default());
    assert_eq!(json["options"]["split"].as_bool(), Some(true));
}

/// `--repeats` solves the pair several times and reports one run's times: the same warp as a
/// single solve, and a repeat count of zero is a usage error.
#[test]
fn align_repeats_report_the_same_warp() {
    let dir = TempDir::new().unwrap();
    let (x_path, y_path, _, _) = two_feature_pair(&dir, 3, 2);
    let once = align_ok(&dir, &x_path, &y_path, &["--polish"]);
    let repeated = align_ok(&dir, &x_path, &y_path, &["--polish", "--repeats", "5"]);
    let (a, b) = (&once["results"][0], &repeated["results"][0]);
    assert_eq!(floats(&a["phi"]), floats(&b["phi"]));
    assert_eq!(a["objective"].as_f64(), b["objective"].as_f64());
    assert!(b["time_seconds"].as_f64().unwrap() > 0.0);
    assert!(b["polish_time_seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(repeated["options"]["repeats"].as_u64(), Some(5));
    align_fails(&dir, &x_path, &y_path, &["--repeats", "0"], "repeats");
}

#[test]
fn align_npy_1d_float32_with_time_files() {
    let dir = TempDir::new().unwrap();
    let (x_path, y_path) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    let (tx_path, ty_path) = (dir.path().join("tx.npy"), dir.path().join("ty.csv"));
    let (x, y) = (data(20, 1, 3), data(26, 1, 4));
    write_npy(&x_path, &[20], &x, Dtype::F32);
    write_npy(&y_path, &[26], &y, Dtype::F32);
    let tx: Vec<f64> = (0..20).map(|i| (i as f64).powf(1.2)).collect();
    let ty: Vec<f64> = (0..26).map(|i| 2.0 + 0.125 * i as f64).collect();
    write_npy(&tx_path, &[20], &tx, Dtype::F64);
    let ty_text: String = ty.iter().map(|t| format!("{t}\n")).collect();
    std::fs::write(&ty_path, format!("time\n{ty_text}")).unwrap();
    let extra = [
        "--tx",
        path_str(&tx_path),
        "--ty",
        path_str(&ty_path),
        "--lambda",
        "0.3",
        "--levels",
        "40",
    ];
    let json = align_ok(&dir, &x_path, &y_path, &extra);
    let problem = Problem::builder(
        Signal::new(tx, stored(&x, Dtype::F32), 1).unwrap(),
        Signal::new(ty.clone(), stored(&y, Dtype::F32), 1).unwrap(),
    )
    .lambda(0.3)
    .build()
    .unwrap();
    let options = SolveOptions {
        levels: Some(40),
        ..SolveOptions::default()
    };
    check_result(&json["results"][0], &problem, &options);
    check_pinned(&json["results"][0], ty[0], ty[25]);
}

#[test]
fn align_batch_3d_in_parallel() {
    let dir = TempDir::new().unwrap();
    let (x_path, y_path) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    let (b, nx, ny, d) = (3, 16, 21, 2);
    let x: Vec<f64> = (0..b).flat_map(|i| data(nx, d, 10 + i)).collect();
    let y: Vec<f64> = (0..b).flat_map(|i| data(ny, d, 20 + i)).collect();
    write_npy(&x_path, &[b as usize, nx, d], &x, Dtype::F32);
    write_npy(&y_path, &[b as usize, ny, d], &y, Dtype::F64);
    let extra = ["--threads", "2", "--kernel", "windowed", "--band", "0.4"];
    let json = align_ok(&dir, &x_path, &y_path, &extra);
    let results = json["results"].as_array().unwrap();
    assert_eq!(results.len(), b as usize);
    let options = SolveOptions {
        kernel: Kernel::Windowed,
        ..SolveOptions::default()
    };
    for (i, entry) in results.iter().enumerate() {
        let xs = stored(&x[i * nx * d..(i + 1) * nx * d], Dtype::F32);
        let ys = y[i * ny * d..(i + 1) * ny * d].to_vec();
        let problem = Problem::builder(
            Signal::uniform(xs, d).unwrap(),
            Signal::uniform(ys, d).unwrap(),
        )
        .band(0.4)
        .build()
        .unwrap();
        check_result(entry, &problem, &options);
        check_pinned(entry, 0.0, 1.0);
    }
}

#[test]
fn align_csv_subsequence_huber_with_svg_plot() {
    let dir = TempDir::new().unwrap();
    let (x_path, y_path) = (dir.path().join("x.csv"), dir.path().join("y.csv"));
    let plot = dir.path().join("warp.svg");
    let (x, y) = (data(12, 3, 5), data(30, 3, 6));
    let csv = |values: &[f64]| -> String {
        let rows: Vec<String> = values
            .chunks(3)
            .map(|r| format!("{}, {},{}", r[0], r[1], r[2]))
            .collect();
        format!("a,b,c\n{}\n", rows.join("\n"))
    };
    std::fs::write(&x_path, csv(&x)).unwrap();
    std::fs::write(&y_path, csv(&y)).unwrap();
    let extra = [
        "--subsequence",
        "--huber",
        "0.5",
        "--lambda-cum",
        "0.01",
        "--slope-max",
        "2",
        "--plot",
        path_str(&plot),
    ];
    let json = align_ok(&dir, &x_path, &y_path, &extra);
    let problem = Problem::builder(
        Signal::uniform(x, 3).unwrap(),
        Signal::uniform(y, 3).unwrap(),
    )
    .endpoints(Endpoints::Subsequence)
    .feature_penalty(decdtw::FeaturePenalty::Huber { delta: 0.5 })
    .lambda_cum(0.01)
    .slope_max(2.0)
    .build()
    .unwrap();
    check_result(&json["results"][0], &problem, &SolveOptions::default());
    let phi = floats(&json["results"][0]["phi"]);
    assert!(phi.iter().all(|&p| (0.0..=1.0).contains(&p)));
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.contains("<svg") && svg.contains("τ (time of y)"));
}

#[test]
fn align_png_plot() {
    let dir = TempDir::new().unwrap();
    let (x_path, y_path) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    write_npy(&x_path, &[15, 1], &data(15, 1, 7), Dtype::F64);
    write_npy(&y_path, &[18, 1], &data(18, 1, 8), Dtype::F64);
    let plot = dir.path().join("warp.png");
    align_ok(&dir, &x_path, &y_path, &["--plot", path_str(&plot)]);
    let png = std::fs::read(&plot).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}

#[test]
fn a_bad_pair_in_a_batch_fails_alone() {
    let dir = TempDir::new().unwrap();
    let (x_path, y_path) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    let mut x: Vec<f64> = (0..2).flat_map(|i| data(10, 1, i)).collect();
    x[13] = f64::NAN;
    let y: Vec<f64> = (0..2).flat_map(|i| data(12, 1, 5 + i)).collect();
    write_npy(&x_path, &[2, 10, 1], &x, Dtype::F64);
    write_npy(&y_path, &[2, 12, 1], &y, Dtype::F64);
    let json = align_ok(&dir, &x_path, &y_path, &[]);
    let results = json["results"].as_array().unwrap();
    assert_eq!(floats(&results[0]["phi"]).len(), 10);
    let error = results[1]["error"].as_str().unwrap();
    assert!(
        error.contains("sample 3") && error.contains("NaN"),
        "{error}"
    );
}

#[test]
fn bad_inputs_fail_cleanly() {
    let dir = TempDir::new().unwrap();
    let file = |name: &str| dir.path().join(name);
    let good_x = file("x.npy");
    let good_y = file("y.npy");
    write_npy(&good_x, &[10, 2], &data(10, 2, 1), Dtype::F64);
    write_npy(&good_y, &[12, 2], &data(12, 2, 2), Dtype::F64);

    // Missing file.
    align_fails(&dir, &file("missing.npy"), &good_y, &[], "missing.npy");
    // Unknown extension.
    std::fs::write(file("x.txt"), "1\n2\n").unwrap();
    align_fails(&dir, &file("x.txt"), &good_y, &[], ".npy or .csv");
    // Mismatched feature dimensions.
    write_npy(&file("y3.npy"), &[12, 3], &data(12, 3, 2), Dtype::F64);
    align_fails(&dir, &good_x, &file("y3.npy"), &[], "features");
    // NaN value.
    let mut nan = data(10, 2, 1);
    nan[7] = f64::NAN;
    write_npy(&file("nan.npy"), &[10, 2], &nan, Dtype::F64);
    align_fails(&dir, &file("nan.npy"), &good_y, &[], "sample 3, feature 1");
    // Non-increasing times.
    let times = [0.0, 0.1, 0.2, 0.3, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9];
    let times_path = file("tx.npy");
    write_npy(&times_path, &[10], &times, Dtype::F64);
    let tx = ["--tx", path_str(&times_path)];
    align_fails(&dir, &good_x, &good_y, &tx, "strictly increase");
    // Times of the wrong length.
    let ty = ["--ty", path_str(&times_path)];
    align_fails(&dir, &good_x, &good_y, &ty, "12 samples");
    // Batch sizes that differ.
    write_npy(&file("bx.npy"), &[2, 10, 2], &data(20, 2, 1), Dtype::F64);
    write_npy(&file("by.npy"), &[3, 12, 2], &data(36, 2, 2), Dtype::F64);
    align_fails(
        &dir,
        &file("bx.npy"),
        &file("by.npy"),
        &[],
        "holds 2 signals",
    );
    // A bad CSV value, named by line.
    std::fs::write(file("bad.csv"), "x,y\n1,2\n3,oops\n").unwrap();
    align_fails(&dir, &file("bad.csv"), &good_y, &[], "line 3");
    // Ragged CSV rows.
    std::fs::write(file("ragged.csv"), "1,2\n3\n").unwrap();
    align_fails(&dir, &file("ragged.csv"), &good_y, &[], "data row 2");
    // Not an npy file, an unsupported dtype, a 4-D array.
    std::fs::write(file("junk.npy"), "not numpy").unwrap();
    align_fails(&dir, &file("junk.npy"), &good_y, &[], "not a valid .npy");
    let mut ints = std::fs::read(&good_x).unwrap();
    let at = ints.windows(3).position(|w| w == b"<f8").unwrap();
    ints[at..at + 3].copy_from_slice(b"<i8");
    std::fs::write(file("ints.npy"), ints).unwrap();
    align_fails(&dir, &file("ints.npy"), &good_y, &[], "not supported");
    write_npy(&file("4d.npy"), &[1, 1, 10, 2], &data(10, 2, 1), Dtype::F64);
    align_fails(&dir, &file("4d.npy"), &good_y, &[], "expected shape");
    // A header whose shape overflows, or promises more data than there is.
    write_npy(
        &file("huge.npy"),
        &[1 << 32, 1 << 32, 1 << 32],
        &[],
        Dtype::F64,
    );
    align_fails(&dir, &file("huge.npy"), &good_y, &[], "too large");
    write_npy(&file("big.npy"), &[1 << 40, 2], &[], Dtype::F64);
    align_fails(&dir, &file("big.npy"), &good_y, &[], "cannot read the data");
    // A truncated npy file.
    let full = std::fs::read(&good_x).unwrap();
    std::fs::write(file("short.npy"), &full[..full.len() - 12]).unwrap();
    align_fails(&dir, &file("short.npy"), &good_y, &[], "short.npy");
    // Bad options.
    align_fails(&dir, &good_x, &good_y, &["--lambda", "-1"], "non-negative");
    align_fails(
        &dir,
        &good_x,
        &good_y,
        &["--kernel", "fast"],
        "unknown kernel",
    );
    align_fails(&dir, &good_x, &good_y, &["--eta", "2"], "(0, 1]");
    align_fails(&dir, &good_x, &good_y, &["--plot", "p.jpg"], ".png or .svg");
    // Constraints no warp can meet: every pair fails.
    align_fails(
        &dir,
        &good_x,
        &good_y,
        &["--slope-max", "0.5"],
        "infeasible",
    );
    // An output that cannot be written.
    let out = file("no/such/dir/out.json");
    let output = decdtw(&[
        "align",
        "--x",
        path_str(&good_x),
        "--y",
        path_str(&good_y),
        "--output",
        path_str(&out),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot write"));
}

#[test]
fn usage_errors_exit_with_code_two() {
    let dir = TempDir::new().unwrap();
    let missing: PathBuf = dir.path().join("missing.npy");
    let output = decdtw(&[
        "align",
        "--x",
        path_str(&missing),
        "--y",
        path_str(&missing),
        "--output",
        "out.json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let output = decdtw(&["align", "--x", "x.npy"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn demo_writes_its_files() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("demo-out");
    let output = decdtw(&["demo", "--output-dir", path_str(&out)]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("mean |φ − φ_true|"), "{stdout}");
    let png = std::fs::read(out.join("demo.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("demo.json")).unwrap()).unwrap();
    let phi = floats(&json["results"][0]["phi"]);
    assert_eq!(phi.len(), 200);
    assert_eq!((phi[0], phi[199]), (0.0, 1.0));
}

/// The problem `align --polish --band 0.3` solves for a 2-feature pair, and the options.
fn polished_band_problem(x: Vec<f64>, y: Vec<f64>) -> (Problem, SolveOptions) {
    let problem = Problem::builder(
        Signal::uniform(x, 2).unwrap(),
        Signal::uniform(y, 2).unwrap(),
    )
    .band(0.3)
    .build()
    .unwrap();
    let options = SolveOptions {
        polish: Some(decdtw::PolishOptions::default()),
        ..SolveOptions::default()
    };
    (problem, options)
}

#[test]
fn align_with_polish_reports_both_objectives_and_the_certificate() {
    let dir = TempDir::new().unwrap();
    let (x_path, y_path, x, y) = two_feature_pair(&dir, 3, 4);
    let json = align_ok(&dir, &x_path, &y_path, &["--polish", "--band", "0.3"]);
    let entry = &json["results"][0];
    let (problem, options) = polished_band_problem(x, y);
    let expected = solve(&problem, &options).unwrap();
    // JSON text round trips floats to within an ulp or so.
    let phi = floats(&entry["phi"]);
    assert!(phi
        .iter()
        .zip(&expected.phi)
        .all(|(&a, &b)| close(a, b) || a == b));
    let (objective, dp_objective) = (
        entry["objective"].as_f64().unwrap(),
        entry["dp_objective"].as_f64().unwrap(),
    );
    assert!(close(objective, expected.objective));
    assert!(close(dp_objective, expected.dp_objective));
    assert!(objective <= dp_objective);
    let kkt = &entry["kkt"];
    assert_eq!(kkt["converged"].as_bool(), Some(true));
    for residual in ["stationarity", "primal_infeasibility", "complementarity"] {
        assert!(kkt[residual].as_f64().unwrap() <= 1e-9, "{residual}: {kkt}");
    }
    assert!(kkt["min_multiplier"].as_f64().unwrap() >= -1e-9);
    assert_eq!(floats(&kkt["active"]["fixed"]), vec![0.0, 29.0]);
    // Without --polish there is no certificate.
    let plain = align_ok(&dir, &x_path, &y_path, &[]);
    assert!(plain["results"][0].get("kkt").is_none());
}

#[test]
fn align_with_vjp_returns_the_library_gradient_in_the_input_shapes() {
    let dir = TempDir::new().unwrap();
    let (x_path, y_path) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    let v_path = dir.path().join("v.npy");
    let (x, y) = (data(30, 2, 5), data(24, 2, 6));
    let v: Vec<f64> = data(30, 1, 7);
    write_npy(&x_path, &[30, 2], &x, Dtype::F64);
    write_npy(&y_path, &[24, 2], &y, Dtype::F64);
    write_npy(&v_path, &[30], &v, Dtype::F64);
    let json = align_ok(
        &dir,
        &x_path,
        &y_path,
        &["--polish", "--band", "0.3", "--vjp", path_str(&v_path)],
    );
    let grad = &json["results"][0]["grad"];
    let (problem, options) = polished_band_problem(x, y);
    let polished = solve(&problem, &options).unwrap().polish.unwrap();
    let expected = decdtw::vjp(&problem, &polished, &v).unwrap();
    // x and y come back n × d, like the inputs.
    let rows = grad["x"].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    let flat_x: Vec<f64> = rows.iter().flat_map(floats).collect();
    let flat_y: Vec<f64> = grad["y"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(floats)
        .collect();
    for (got, want) in [
        (flat_x, expected.x),
        (flat_y, expected.y),
        (floats(&grad["band"]), expected.band),
        (floats(&grad["slope_min"]), expected.slope_min),
        (
            vec![grad["lambda"].as_f64().unwrap()],
            vec![expected.lambda],
        ),
    ] {
        assert_eq!(got.len(), want.len());
        assert!(got
            .iter()
            .zip(&want)
            .all(|(&a, &b)| close(a, b) || (a - b).abs() < 1e-300));
    }
    // A v of the wrong length is a usage error that says what was expected.
    let short = dir.path().join("short.npy");
    write_npy(&short, &[29], &v[..29], Dtype::F64);
    align_fails(
        &dir,
        &x_path,
        &y_path,
        &["--polish", "--vjp", path_str(&short)],
        "values per pair but the warp has 30 knots",
    );
}

#[test]
fn align_with_a_cubic_spline_matches_the_library() {
    let dir = TempDir::new().unwrap();
    let (x_path, y_path, x, y) = two_feature_pair(&dir, 5, 6);
    let json = align_ok(
        &dir,
        &x_path,
        &y_path,
        &["--polish", "--interpolation", "not-a-knot"],
    );
    let entry = &json["results"][0];
    let problem = Problem::builder(
        Signal::uniform(x, 2).unwrap(),
        Signal::uniform(y, 2).unwrap(),
    )
    .interpolation(decdtw::Interpolation::CubicSpline(
        decdtw::SplineEnds::NotAKnot,
    ))
    .build()
    .unwrap();
    let options = SolveOptions {
        polish: Some(decdtw::PolishOptions::default()),
        ..SolveOptions::default()
    };
    let expected = solve(&problem, &options).unwrap();
    assert!(close(
        entry["objective"].as_f64().unwrap(),
        expected.objective
    ));
    assert_eq!(entry["kkt"]["converged"].as_bool(), Some(true));
    assert!(entry["kkt"]["active"]["kinks"]
        .as_array()
        .unwrap()
        .is_empty());
    let output = decdtw(&[
        "align",
        "--x",
        path_str(&x_path),
        "--y",
        path_str(&y_path),
        "--interpolation",
        "cubic",
        "--output",
        "out.json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not-a-knot"));
}

#[test]
fn sweep_writes_csv_and_plots() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("sweep");
    let output = decdtw(&[
        "sweep",
        "--out",
        path_str(&out),
        "--n",
        "24",
        "--d",
        "2",
        "--problems",
        "2",
        "--repeats",
        "1",
        "--levels",
        "0.5,1",
        "--refinements",
        "0,2",
        "--etas",
        "0.125,0.5",
        "--sizes",
        "16,32",
    ]);
    assert!(output.status.success(), "{output:?}");
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    // 4 kernels × 2 grid sizes × (1 setting without refinement + 2 values of η).
    assert_eq!(csv.lines().count(), 1 + 4 * 2 * 3, "{csv}");
    for line in csv.lines().skip(1) {
        let gap: f64 = line.split(',').nth(8).unwrap().parse().unwrap();
        // The DP never beats the polished optimum by more than rounding.
        assert!(gap >= -1e-12 && gap.is_finite(), "{line}");
    }
    let scaling = std::fs::read_to_string(out.join("scaling.csv")).unwrap();
    assert_eq!(scaling.lines().count(), 1 + 4 * 2);
    for file in ["frontier.png", "frontier.svg", "scaling.png", "scaling.svg"] {
        assert!(
            std::fs::metadata(out.join(file)).unwrap().len() > 1000,
            "{file}"
        );
    }
    let bad = decdtw(&["sweep", "--out", path_str(&out), "--etas", "1.5"]);
    assert_eq!(bad.status.code(), Some(2));
}
