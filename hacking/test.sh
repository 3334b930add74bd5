#!/usr/bin/env bash
# Every test of the collection, on a fresh machine: creates the venvs, then runs each suite.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START=$(date +%s)
step() { echo; echo "=== $* ($(( $(date +%s) - START )) s elapsed)"; }

step "venv: oldest profile (Python 3.11, ansible-core 2.16)"
OLDEST="$(hacking/venv.sh oldest)"
step "venv: newest profile (Python 3.12, ansible-core 2.21)"
NEWEST="$(hacking/venv.sh newest)"

step "pytest on ansible-core 2.21 (unit + playbooks against the simulator)"
"$NEWEST/bin/python" -m pytest -q -n 2

step "pytest on ansible-core 2.16 (unit + playbooks against the simulator)"
"$OLDEST/bin/python" -m pytest -q -n 2
