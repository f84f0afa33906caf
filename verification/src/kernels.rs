//! Every DP kernel against the plain `O(M²)` one.

use decdtw::{solve, Kernel, Problem, SolveOptions};

/// One kernel's forward-pass objective next to the plain kernel's.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelAgreement {
    pub kernel: Kernel,
    /// The kernel's objective, or its error message.
    pub objective: Result<f64, String>,
    /// The plain kernel's objective, or its error message.
    pub reference: Result<f64, String>,
}

impl KernelAgreement {
    /// `|f − f_plain| / max(|f_plain|, 1e-300)`; `0` if both failed alike, `∞` if only one did.
    pub fn relative_gap(&self) -> f64 {
        match (&self.objective, &self.reference) {
            (Ok(a), Ok(b)) => (a - b).abs() / b.abs().max(1e-300),
            (Err(a), Err(b)) if a == b => 0.0,
            _ => f64::INFINITY,
        }
    }
}

/// Runs the forward pass with every kernel under otherwise equal `options`.
pub fn compare_kernels(problem: &Problem, options: &SolveOptions) -> Vec<KernelAgreement> {
    let run = |kernel| {
        let options = SolveOptions {
            kernel,
            ..options.clone()
        };
        solve(problem, &options)
            .map(|s| s.objective)
            .map_err(|e| e.to_string())
    };
    let reference = run(Kernel::Plain);
    Kernel::ALL
        .into_iter()
        .filter(|&k| k != Kernel::Plain)
        .map(|kernel| KernelAgreement {
            kernel,
            objective: run(kernel),
            reference: reference.clone(),
        })
        .collect()
}
