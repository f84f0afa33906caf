//! `decdtw-verify`: runs the verification suite and writes its report.
//!
//! ```text
//! decdtw-verify [--full] [--out DIR] [PROBLEM.json ...]
//! ```
//! Without problem files it checks the built-in problems (`--full`: more and larger ones).
//! Writes `DIR/verification-report.md` and `DIR/verification-report.json` (default DIR: `.`),
//! prints the table, and exits with 1 if a check fails, 2 on bad arguments or files.

use decdtw_verification::problem_file::parse_problem;
use decdtw_verification::suite::{builtin_problems, run, NamedProblem};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    match main_inner() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("decdtw-verify: {message}");
            ExitCode::from(2)
        }
    }
}

fn main_inner() -> Result<bool, String> {
    let (mut full, mut out, mut files) = (false, PathBuf::from("."), Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--full" => full = true,
            "--out" => out = args.next().ok_or("--out needs a directory")?.into(),
            "-h" | "--help" => {
                println!("decdtw-verify [--full] [--out DIR] [PROBLEM.json ...]");
                return Ok(true);
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            file => files.push(PathBuf::from(file)),
        }
    }
    let problems = if files.is_empty() {
        builtin_problems(full)
    } else {
        files
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let problem =
                    parse_problem(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                Ok(NamedProblem {
                    name: path.display().to_string(),
                    problem,
                })
            })
            .collect::<Result<_, String>>()?
    };
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let report = run(&problems, &mut |done, total| {
        eprint!("\rchecking problem {done} of {total}");
        let _ = std::io::stderr().flush();
    });
    eprintln!();
    let markdown = report.to_markdown();
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    for (name, text) in [
        ("verification-report.md", &markdown),
        ("verification-report.json", &json),
    ] {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    print!("{markdown}");
    Ok(report.passed())
}
