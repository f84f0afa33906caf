#!/usr/bin/env bash
# Executes the notebooks in place (outputs and plots stored in them): creates a Python virtual
# environment (target/notebooks-venv, or $DECDTW_NOTEBOOKS_VENV) with numpy, matplotlib and a
# Jupyter kernel from PyPI, builds the decdtw command, and runs every notebook given (default:
# all of notebooks/*.ipynb) from top to bottom. A cell that fails stops the run with its error.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="${DECDTW_NOTEBOOKS_VENV:-$root/target/notebooks-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin decdtw
if [ $# -eq 0 ]; then set -- "$here"/*.ipynb; fi
exec "$venv/bin/python" "$here/execute.py" "$@"
