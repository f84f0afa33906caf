//! The typed error every fallible function of the library returns.

/// Why a problem, an option or an input was rejected.
///
/// Every bad input gets one of these; the library never panics, returns NaN or silently
/// answers a different question.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Two sizes that must agree do not.
    #[error("{what}: expected {expected}, got {got}")]
    DimensionMismatch {
        what: String,
        expected: usize,
        got: usize,
    },
    /// A signal or a list of knots is too short to define a warp.
    #[error("{what} has {len} entries; at least {min} are needed")]
    TooShort {
        what: String,
        len: usize,
        min: usize,
    },
    /// Times that must be strictly increasing are not.
    #[error("{what} must be strictly increasing, but entry {index} ({value}) is not above the one before it ({previous})")]
    NonIncreasing {
        what: String,
        index: usize,
        previous: f64,
        value: f64,
    },
    /// A NaN or an infinity where a finite number is required.
    #[error("{what}[{index}] is not finite ({value})")]
    NonFinite {
        what: String,
        index: usize,
        value: f64,
    },
    /// A weight or width that must be non-negative is negative.
    #[error("{what} must be non-negative, got {value}")]
    Negative { what: String, value: f64 },
    /// A parameter is outside its valid range.
    #[error("invalid {what}: {reason}")]
    InvalidParameter { what: String, reason: String },
    /// A lower bound exceeds its upper bound as given (before propagation).
    #[error("{what}[{index}]: lower bound {lower} exceeds upper bound {upper}")]
    InconsistentBounds {
        what: String,
        index: usize,
        lower: f64,
        upper: f64,
    },
    /// The constraints leave no feasible warp: the feasible interval of `knot` is empty
    /// after propagating the bounds through the slope limits.
    #[error("constraints are infeasible at knot {knot} (t = {time}): its feasible interval [{lower}, {upper}] is empty")]
    Infeasible {
        knot: usize,
        time: f64,
        lower: f64,
        upper: f64,
    },
    /// The solve would need more memory than allowed.
    #[error(
        "problem too large: {what} would need {bytes} bytes, above the limit of {limit} bytes"
    )]
    TooLarge {
        what: String,
        bytes: u128,
        limit: u128,
    },
    /// The NLP polish could not go on (the reason says why).
    #[error("polish failed: {reason}")]
    Polish { reason: String },
    /// The GPU solver cannot run here (no driver, no device, a compile or launch error) or
    /// does not support the problem (the reason says which).
    #[error("GPU solver: {reason}")]
    Device { reason: String },
}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Checks that every value is finite.
pub(crate) fn check_finite(what: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite {
            what: what.to_string(),
            index,
            value: values[index],
        }),
    }
}

/// Checks that values are strictly increasing.
pub(crate) fn check_increasing(what: &str, values: &[f64]) -> Result<()> {
    match values.windows(2).position(|w| w[1] <= w[0]) {
        None => Ok(()),
        Some(i) => Err(Error::NonIncreasing {
            what: what.to_string(),
            index: i + 1,
            previous: values[i],
            value: values[i + 1],
        }),
    }
}

/// Checks that a scalar is finite and non-negative.
pub(crate) fn check_non_negative(what: &str, value: f64) -> Result<()> {
    check_finite(what, &[value])?;
    if value < 0.0 {
        return Err(Error::Negative {
            what: what.to_string(),
            value,
        });
    }
    Ok(())
}
