#!/usr/bin/env bash
# `make bench`: the policy benchmark (bench/policy_bench.py) in the default venv profile.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$(hacking/venv.sh oldest)"
PYTHONPATH="$ROOT" "$VENV/bin/python" bench/policy_bench.py "$@"
