//! The JSON result file written by `align` and `demo`.

use decdtw::polish::KktCertificate;
use decdtw::Vjp;
use decdtw::{Problem, Solution};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// The outcome for one pair: a solution, or why it failed.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum PairResult {
    Solved(Box<Solved>),
    Failed { error: String },
}

/// A solved pair.
#[derive(Debug, Serialize)]
pub struct Solved {
    /// `φ_i`, the warp at the knots (times on y's axis).
    pub phi: Vec<f64>,
    /// The knots `t_i` (times on x's axis).
    pub knots: Vec<f64>,
    /// `f(φ)`, computed in float64 (after the polish, when asked for).
    pub objective: f64,
    /// `f` at the DP's warp (only with `--polish`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dp_objective: Option<f64>,
    /// The polish's KKT certificate (only with `--polish`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kkt: Option<KktCertificate>,
    /// `f` of each pass's own optimum.
    pub pass_objectives: Vec<f64>,
    /// Grid values per knot `M`.
    pub levels: usize,
    /// The largest spacing of the grids of the pass that gave the DP's warp.
    pub grid_spacing: f64,
    /// Wall time of the forward pass.
    pub time_seconds: f64,
    /// Wall time of the polish (only with `--polish`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polish_time_seconds: Option<f64>,
    /// `vᵀDφ` (only with `--vjp`; see [`gradient_json`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grad: Option<serde_json::Value>,
}

impl Solved {
    pub fn new(problem: &Problem, solution: Solution) -> Self {
        Self {
            phi: solution.phi,
            knots: problem.knots().to_vec(),
            objective: solution.objective,
            dp_objective: solution.polish.as_ref().map(|_| solution.dp_objective),
            polish_time_seconds: solution
                .polish
                .as_ref()
                .map(|_| solution.polish_elapsed.as_secs_f64()),
            kkt: solution.polish.map(|p| p.certificate),
            grad: None,
            pass_objectives: solution.pass_objectives,
            levels: solution.levels,
            grid_spacing: solution.grid_spacing,
            time_seconds: solution.elapsed.as_secs_f64(),
        }
    }
}

/// `vᵀDφ(z)` for every input as JSON (the fields of [`Vjp`]), with the gradients of the
/// signals in the shape of the input files (`n × d`, or `n` for 1-D inputs).
pub fn gradient_json(problem: &Problem, g: &Vjp, one_dimensional: bool) -> serde_json::Value {
    let shaped = |values: &[f64], d: usize| -> serde_json::Value {
        if one_dimensional {
            values.into()
        } else {
            values
                .chunks(d)
                .map(<[f64]>::to_vec)
                .collect::<Vec<_>>()
                .into()
        }
    };
    let mut json = serde_json::to_value(g).expect("a Vjp serialises");
    json["x"] = shaped(&g.x, problem.x().dim());
    json["y"] = shaped(&g.y, problem.y().dim());
    json
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
