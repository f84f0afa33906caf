//! The `decdtw` command-line program: `decdtw align …` and `decdtw demo`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
