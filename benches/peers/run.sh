#!/usr/bin/env bash
# decdtw side by side with GDTW 1.2.1 (and classic DTW from dtaidistance) on the same inputs.
# Creates a Python virtual environment (target/peers-venv, or $DECDTW_PEERS_VENV), installs the
# peers from PyPI, builds the decdtw command and runs compare.py; arguments go to compare.py
# (e.g. --sizes 64,128,256,512,1024 --problems 5 --out docs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${DECDTW_PEERS_VENV:-$root/target/peers-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin decdtw
exec "$venv/bin/python" "$here/compare.py" --decdtw "$root/target/release/decdtw" "$@"
