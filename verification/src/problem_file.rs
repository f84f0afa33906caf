//! Problems from JSON files, for running the suite on your own data.
//!
//! ```json
//! { "x": [[0.0, 1.0], [0.5, 0.2], …],   // Nx samples (rows) of d features, or a flat list (d = 1)
//!   "y": [[…], …],
//!   "tx": [...], "ty": [...],            // optional sample times (default uniform on [0, 1])
//!   "lambda": 0.1, "lambda_cum": 0.0,    // optional, defaults as in the library
//!   "band": 0.2, "slope_min": 0.0, "slope_max": 3.0,
//!   "subsequence": false, "huber": 1.0,
//!   "interpolation": "not-a-knot" }      // optional: linear (default), natural, not-a-knot
//! ```

use decdtw::{Endpoints, FeaturePenalty, Problem, Signal};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Samples {
    Rows(Vec<Vec<f64>>),
    Flat(Vec<f64>),
}

impl Samples {
    fn signal(self, times: Option<Vec<f64>>, what: &str) -> Result<Signal, String> {
        let (values, d) = match self {
            Samples::Flat(v) => (v, 1),
            Samples::Rows(rows) => {
                let d = rows.first().map_or(0, Vec::len);
                if let Some(i) = rows.iter().position(|r| r.len() != d) {
                    return Err(format!(
                        "{what}: row {i} has {} values, row 0 has {d}",
                        rows[i].len()
                    ));
                }
                (rows.concat(), d)
            }
        };
        match times {
            Some(t) => Signal::new(t, values, d),
            None => Signal::uniform(values, d),
        }
        .map_err(|e| format!("{what}: {e}"))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProblemFile {
    x: Samples,
    y: Samples,
    tx: Option<Vec<f64>>,
    ty: Option<Vec<f64>>,
    lambda: Option<f64>,
    lambda_cum: Option<f64>,
    band: Option<f64>,
    slope_min: Option<f64>,
    slope_max: Option<f64>,
    #[serde(default)]
    subsequence: bool,
    huber: Option<f64>,
    interpolation: Option<String>,
}

/// Parses a problem from JSON text (see the module documentation).
pub fn parse_problem(text: &str) -> Result<Problem, String> {
    let file: ProblemFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let x = file.x.signal(file.tx, "x")?;
    let y = file.y.signal(file.ty, "y")?;
    let mut builder = Problem::builder(x, y);
    if let Some(l) = file.lambda {
        builder = builder.lambda(l);
    }
    if let Some(l) = file.lambda_cum {
        builder = builder.lambda_cum(l);
    }
    if let Some(w) = file.band {
        builder = builder.band(w);
    }
    if let Some(s) = file.slope_min {
        builder = builder.slope_min(s);
    }
    if let Some(s) = file.slope_max {
        builder = builder.slope_max(s);
    }
    if file.subsequence {
        builder = builder.endpoints(Endpoints::Subsequence);
    }
    if let Some(delta) = file.huber {
        builder = builder.feature_penalty(FeaturePenalty::Huber { delta });
    }
    if let Some(kind) = file.interpolation {
        builder = builder.interpolation(kind.parse().map_err(|e: decdtw::Error| e.to_string())?);
    }
    builder.build().map_err(|e| e.to_string())
}
