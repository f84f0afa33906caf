//! The JSON result file written by `align` and `demo`.

use decdtw::{DpSolution, Problem};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// The outcome for one pair: a solution, or why it failed.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum PairResult {
    Solved(Solved),
    Failed { error: String },
}

/// A solved pair.
#[derive(Debug, Serialize)]
pub struct Solved {
    /// `φ_i`, the warp at the knots (times on y's axis).
    pub phi: Vec<f64>,
    /// The knots `t_i` (times on x's axis).
    pub knots: Vec<f64>,
    /// `f(φ)`, computed in float64.
    pub objective: f64,
    /// `f` of each pass's own optimum.
    pub pass_objectives: Vec<f64>,
    /// Grid values per knot `M`.
    pub levels: usize,
    /// Wall time of the forward pass.
    pub time_seconds: f64,
}

impl Solved {
    pub fn new(problem: &Problem, solution: DpSolution) -> Self {
        Self {
            phi: solution.phi,
            knots: problem.knots().to_vec(),
            objective: solution.objective,
            pass_objectives: solution.pass_objectives,
            levels: solution.levels,
            time_seconds: solution.elapsed.as_secs_f64(),
        }
    }
}

/// The whole file: one result per pair, the total time and the options used.
#[derive(Debug, Serialize)]
pub struct Report<'a, O: Serialize> {
    pub results: &'a [PairResult],
    pub total_time_seconds: f64,
    pub options: &'a O,
}

/// Checks before any work is done that `path` can be written, by creating (or truncating) it.
pub fn check_writable(path: &Path) -> Result<(), String> {
    std::fs::File::create(path)
        .map(drop)
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// Writes `report` as pretty-printed JSON to `path`.
pub fn write_json<O: Serialize>(path: &Path, report: &Report<O>) -> Result<(), String> {
    let name = path.display();
    let file = std::fs::File::create(path).map_err(|e| format!("{name}: {e}"))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut writer, report).map_err(|e| format!("{name}: {e}"))?;
    writeln!(writer)
        .and_then(|()| writer.flush())
        .map_err(|e| format!("{name}: {e}"))
}
