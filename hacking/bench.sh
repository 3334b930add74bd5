#!/usr/bin/env bash
# `make bench`: the policy benchmark (bench/policy_bench.py) on both test profiles
# (ansible-core 2.16 on Python 3.11, and 2.21 on Python 3.12). Not a test: it prints figures.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
for profile in oldest newest; do
  VENV="$(hacking/venv.sh "$profile")"
  echo "=== profile $profile"
  PYTHONPATH="$ROOT" "$VENV/bin/python" bench/policy_bench.py "$@"
  echo
done
