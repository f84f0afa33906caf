//! The verification suite as a product: the built-in run passes, the report is written, and
//! users' problem files are read (or rejected with a message).

use decdtw_verification::problem_file::parse_problem;
use decdtw_verification::suite::{builtin_problems, run};
use std::process::Command;

#[test]
fn builtin_suite_passes_at_the_default_size() {
    let problems = builtin_problems(false);
    let mut calls = 0;
    let report = run(&problems, &mut |_, _| calls += 1);
    assert_eq!(calls, problems.len() + 1);
    assert_eq!(report.checks.len(), 7);
    for check in &report.checks {
        assert!(check.passed, "{check:?}");
        assert!(check.compared > 0, "{check:?}");
    }
    let markdown = report.to_markdown();
    assert!(
        markdown.contains("| VJP vs central differences of the solve | 1e-5 |"),
        "{markdown}"
    );
}

#[test]
fn problem_files_are_parsed_or_rejected_with_a_message() {
    let problem = parse_problem(
        r#"{"x": [[0, 1], [1, 0], [2, 1]], "y": [[0, 1], [2, 1]], "lambda": 0.3, "band": 0.5,
            "subsequence": true, "ty": [0, 2]}"#,
    )
    .unwrap();
    assert_eq!(problem.x().dim(), 2);
    assert_eq!(problem.lambda(), 0.3);
    assert_eq!(problem.y().end(), 2.0);
    assert_eq!(problem.endpoints(), decdtw::Endpoints::Subsequence);
    let flat = parse_problem(r#"{"x": [0, 1, 2], "y": [0, 2]}"#).unwrap();
    assert_eq!(flat.x().dim(), 1);
    for (text, needle) in [
        (
            r#"{"x": [[0, 1], [1]], "y": [[0, 1], [2, 1]]}"#,
            "row 1 has 1 values",
        ),
        (r#"{"x": [0, 1], "y": [0, 2], "lamda": 1}"#, "unknown field"),
        (r#"{"x": [0, 1], "y": [0, 2], "lambda": -1}"#, "lambda"),
        (r#"{"x": [0, 1], "y": [0, 2], "ty": [1, 0]}"#, "y:"),
    ] {
        let error = parse_problem(text).unwrap_err();
        assert!(error.contains(needle), "{text}: {error}");
    }
}

#[test]
fn the_command_checks_a_users_problem_file_and_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.json");
    let x: Vec<String> = (0..25)
        .map(|i| format!("{}", (i as f64 / 4.0).sin()))
        .collect();
    let y: Vec<String> = (0..30)
        .map(|i| format!("{}", (i as f64 / 5.0).sin()))
        .collect();
    std::fs::write(
        &file,
        format!(
            r#"{{"x": [{}], "y": [{}], "band": 0.3}}"#,
            x.join(","),
            y.join(",")
        ),
    )
    .unwrap();
    let out = dir.path().join("report");
    let status = Command::new(env!("CARGO_BIN_EXE_decdtw-verify"))
        .arg("--out")
        .arg(&out)
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(stdout.starts_with("1 problems"), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("verification-report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["checks"].as_array().unwrap().len(), 7);
    assert!(out.join("verification-report.md").exists());
    let bad = Command::new(env!("CARGO_BIN_EXE_decdtw-verify"))
        .arg(dir.path().join("missing.json"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
