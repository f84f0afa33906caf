//! An argmin observer that logs the polish's progress, one line per iteration.

use super::solver::PolishState;
use argmin::core::observers::Observe;
use argmin::core::{State, KV};
use std::io::Write;

/// Writes `iter k: f = …, held = …, tied = …, step = …` lines to any writer.
pub struct ProgressLog<W: Write> {
    out: W,
}

impl ProgressLog<std::io::Stderr> {
    /// Logs to standard error.
    pub fn stderr() -> Self {
        Self::new(std::io::stderr())
    }
}

impl<W: Write> ProgressLog<W> {
    pub fn new(out: W) -> Self {
        Self { out }
    }
}

impl<W: Write> Observe<PolishState> for ProgressLog<W> {
    fn observe_init(
        &mut self,
        name: &str,
        state: &PolishState,
        _kv: &KV,
    ) -> Result<(), argmin::core::Error> {
        writeln!(self.out, "{name}: start, f = {:.15e}", state.get_cost())?;
        Ok(())
    }

    fn observe_iter(&mut self, state: &PolishState, kv: &KV) -> Result<(), argmin::core::Error> {
        let mut keys = kv.keys();
        keys.sort();
        let details: Vec<String> = keys
            .iter()
            .filter_map(|(k, _)| Some(format!("{k} = {}", kv.get(k)?.as_string())))
            .collect();
        writeln!(
            self.out,
            "iter {}: f = {:.15e}, {}",
            state.get_iter(),
            state.get_cost(),
            details.join(", ")
        )?;
        Ok(())
    }

    fn observe_final(&mut self, state: &PolishState) -> Result<(), argmin::core::Error> {
        writeln!(
            self.out,
            "done after {} iterations: f = {:.15e} ({:?})",
            state.get_iter(),
            state.get_cost(),
            state.get_termination_reason()
        )?;
        Ok(())
    }
}
