//! Reading signals and time axes from `.npy` (float32 or float64) and `.csv` files.
//!
//! Every problem with a file becomes an error message that names the file (and, for CSV, the
//! line); nothing here panics on bad input.

use std::path::Path;

/// A dense array read from a file: its shape and its values in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
}

/// Reads a `.npy` or `.csv` file, chosen by extension.
pub fn read_array(path: &Path) -> Result<Array, String> {
    match super::extension(path).as_str() {
        "npy" => read_npy(path),
        "csv" => read_csv(path),
        _ => Err(format!("{}: expected a .npy or .csv file", path.display())),
    }
}

/// A C-ordered float32 or float64 `.npy` array (either byte order).
fn read_npy(path: &Path) -> Result<Array, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{name}: {e}"))?;
    if shape_overflows(&bytes) {
        return Err(format!("{name}: the shape in the header is too large"));
    }
    let file = npyz::NpyFile::new(&bytes[..])
        .map_err(|e| format!("{name}: not a valid .npy file: {e}"))?;
    if file.order() == npyz::Order::Fortran && file.shape().len() > 1 {
        return Err(format!(
            "{name}: Fortran-ordered arrays are not supported (save np.ascontiguousarray(a))"
        ));
    }
    let shape = file.shape().iter().map(|&s| s as usize).collect();
    let truncated = |e: std::io::Error| format!("{name}: cannot read the data: {e}");
    let values = match file.try_data::<f64>() {
        Ok(data) => data.collect::<std::io::Result<_>>().map_err(truncated)?,
        Err(file) => match file.try_data::<f32>() {
            Ok(data) => data
                .collect::<std::io::Result<Vec<f32>>>()
                .map_err(truncated)?
                .into_iter()
                .map(f64::from)
                .collect(),
            Err(file) => {
                return Err(format!(
                    "{name}: dtype {} is not supported (use float32 or float64)",
                    file.dtype().descr()
                ))
            }
        },
    };
    Ok(Array { shape, values })
}

/// Whether the header's shape has more elements than a `u64` counts. npyz multiplies the
/// dimensions unchecked (a panic in debug builds), so such headers are caught here first; any
/// other malformed header is left to npyz to report.
fn shape_overflows(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let Some(rest) = head.find("'shape'").map(|at| &head[at..]) else {
        return false;
    };
    let (Some(open), Some(close)) = (rest.find('('), rest.find(')')) else {
        return false;
    };
    let dims = rest.get(open + 1..close).unwrap_or("").split(',');
    let dims = dims.map(str::trim).filter(|d| !d.is_empty());
    let mut count: u64 = 1;
    for dim in dims {
        match dim.parse::<u64>().map(|d| count.checked_mul(d)) {
            Ok(Some(product)) => count = product,
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
    false
}

/// One sample per line, features separated by commas; blank lines are skipped, and so is a
/// first line that is not numeric (a header).
fn read_csv(path: &Path) -> Result<Array, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed: Result<Vec<f64>, _> = line.split(',').map(|v| v.trim().parse()).collect();
        match parsed {
            Ok(row) => rows.push(row),
            Err(_) if index == 0 => continue,
            Err(_) => {
                let bad = line
                    .split(',')
                    .map(str::trim)
                    .find(|v| v.parse::<f64>().is_err())
                    .unwrap_or(line);
                return Err(format!(
                    "{name}, line {}: {bad:?} is not a number",
                    index + 1
                ));
            }
        }
    }
    let width = match rows.first() {
        Some(row) => row.len(),
        None => return Err(format!("{name}: no data rows")),
    };
    if let Some(row) = rows.iter().position(|r| r.len() != width) {
        return Err(format!(
            "{name}: data row {} has {} values, the first has {width}",
            row + 1,
            rows[row].len()
        ));
    }
    Ok(Array {
        shape: vec![rows.len(), width],
        values: rows.concat(),
    })
}

/// The row-major values of x and of y of one pair.
pub type Pair = (Vec<f64>, Vec<f64>);

/// The signal pairs held by `x` and `y`: shapes `n`, `n × d` (one pair) or `B × n × d` (a
/// batch of `B` pairs; x and y must hold the same `B`). Returns each pair's row-major values
/// and the common feature dimension `d`.
pub fn split_pairs(x: &Array, y: &Array) -> Result<(Vec<Pair>, usize), String> {
    let (bx, dx) = batch_and_dim(x, "x")?;
    let (by, dy) = batch_and_dim(y, "y")?;
    if dx != dy {
        return Err(format!("x has {dx} features per sample but y has {dy}"));
    }
    if bx != by {
        return Err(format!("x holds {bx} signals but y holds {by}"));
    }
    let signals = |a: &Array, b: usize| -> Vec<Vec<f64>> {
        a.values
            .chunks(a.values.len() / b)
            .map(<[f64]>::to_vec)
            .collect()
    };
    let pairs = signals(x, bx).into_iter().zip(signals(y, by)).collect();
    Ok((pairs, dx))
}

/// `(B, d)` of an array of shape `n`, `n × d` or `B × n × d`, none of them zero.
fn batch_and_dim(a: &Array, name: &str) -> Result<(usize, usize), String> {
    let (b, d) = match a.shape[..] {
        [_] => (1, 1),
        [_, d] => (1, d),
        [b, _, d] => (b, d),
        _ => {
            return Err(format!(
                "{name}: expected shape n, n×d or B×n×d, got {:?}",
                a.shape
            ))
        }
    };
    if a.values.is_empty() {
        return Err(format!("{name}: the array is empty (shape {:?})", a.shape));
    }
    Ok((b, d))
}

/// Sample times from a 1-D file (shape `n`, `n × 1` or `1 × n`) for a signal of `n` samples:
/// exactly `n` finite, strictly increasing values. `what` names the option (e.g. `--tx`).
pub fn read_times(path: &Path, n: usize, what: &str) -> Result<Vec<f64>, String> {
    let array = read_array(path)?;
    let name = format!("{what} {}", path.display());
    let one_dimensional = match array.shape[..] {
        [_] => true,
        [r, c] => r == 1 || c == 1,
        _ => false,
    };
    if !one_dimensional {
        return Err(format!(
            "{name}: expected one time per sample (a 1-D array), got shape {:?}",
            array.shape
        ));
    }
    let times = array.values;
    if times.len() != n {
        return Err(format!(
            "{name}: holds {} times but the signal has {n} samples",
            times.len()
        ));
    }
    if let Some(i) = times.iter().position(|t| !t.is_finite()) {
        return Err(format!("{name}: time {i} is not finite ({})", times[i]));
    }
    if let Some(i) = times.windows(2).position(|w| w[1] <= w[0]) {
        return Err(format!(
            "{name}: times must strictly increase, but time {} ({}) is not above time {i} ({})",
            i + 1,
            times[i + 1],
            times[i]
        ));
    }
    Ok(times)
}

/// The first value of `values` (row-major, `d` features) that is not finite, named by sample
/// and feature; `None` when all are finite.
pub fn first_non_finite(values: &[f64], d: usize) -> Option<String> {
    let i = values.iter().position(|v| !v.is_finite())?;
    Some(format!(
        "sample {}, feature {} is not finite ({})",
        i / d,
        i % d,
        values[i]
    ))
}
