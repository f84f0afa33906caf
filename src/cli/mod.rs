//! The command line: argument types, dispatch to the commands, and exit codes.
//!
//! Exit codes: 0 on success, 1 when the inputs were fine but nothing could be solved, 2 for
//! bad arguments or files (clap's code for usage errors too).

mod align;
mod chart;
mod demo;
mod io;
mod plot;
mod report;
mod settings;
mod sweep;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::process::ExitCode;

/// Optimal alignment paths of continuous-time DTW problems (GDTW), solved by dynamic
/// programming with refinement.
#[derive(Debug, Parser)]
#[command(name = "decdtw", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Align x onto y (one pair, or a batch of pairs) and write the warps as JSON.
    Align(align::AlignArgs),
    /// Align a built-in example pair with a known warp and draw the result.
    Demo(demo::DemoArgs),
    /// Accuracy versus speed of the forward pass over grid sizes, refinements, η and kernels
    /// (CSV and plots).
    Sweep(sweep::SweepArgs),
}

/// Why a command stopped.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments or input files (exit code 2).
    Usage(String),
    /// Valid inputs that could not be solved, or a system error (exit code 1).
    Runtime(String),
}

/// Parses the command line, runs the command and reports any failure on stderr.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Align(args) => align::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Sweep(args) => sweep::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

/// The extension of `path`, lower-cased (empty when there is none).
pub fn extension(path: &std::path::Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// A progress bar over `total` items named `unit`, on standard error (indicatif hides it when
/// standard error is not a terminal).
fn progress(total: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let template = format!("{{msg:18}} [{{bar:40}}] {{pos}}/{{len}} {unit}, {{eta}} left");
    bar.set_style(
        ProgressStyle::with_template(&template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}
