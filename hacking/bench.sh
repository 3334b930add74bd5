#!/usr/bin/env bash
# `make bench`: the policy benchmark (bench/policy_bench.py) and the provisioning benchmark
# (bench/provision_bench.py) on both test profiles
# (ansible-core 2.16 on Python 3.11, and 2.21 on Python 3.12), then the flip-to-correction latency of
# the EDA rulebook (bench/eda_bench.py, interval 2 s). Not a test: it prints figures.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# The collection as a user gets it: installed from this checkout (galaxy.yml's build_ignore applies).
export ANSIBLE_COLLECTIONS_PATH="$ROOT/build/bench/collections"
"$(hacking/venv.sh oldest)/bin/ansible-galaxy" collection install --force -p "$ANSIBLE_COLLECTIONS_PATH" . >/dev/null
for profile in oldest newest; do
  VENV="$(hacking/venv.sh "$profile")"
  echo "=== profile $profile"
  PYTHONPATH="$ROOT" "$VENV/bin/python" bench/policy_bench.py "$@"
  echo
  # Provisioning a new environment (the environment role, a project and 50 secrets) against its floor.
  PYTHONPATH="$ROOT" "$VENV/bin/python" bench/provision_bench.py
  echo
done
# Continuous enforcement: the shipped rulebook with the real ansible-rulebook (.venv-eda, Java 17+).
PYTHONPATH="$ROOT" "$(hacking/venv.sh oldest)/bin/python" bench/eda_bench.py
