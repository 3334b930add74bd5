#!/usr/bin/env bash
# Every test of the collection, on a fresh machine: creates the venvs, then runs each suite.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START=$(date +%s)
LAST=""
step() {
  local now; now=$(date +%s)
  [ -z "$LAST" ] || echo "    (previous step: $(( now - LAST )) s)"
  LAST=$now
  echo; echo "=== $* ($(( now - START )) s elapsed)"
}
trap 'echo; echo "=== make test: failed after $(( $(date +%s) - START )) s"' ERR

step "venv: oldest profile (Python 3.11, ansible-core 2.16)"
OLDEST="$(hacking/venv.sh oldest)"
step "venv: newest profile (Python 3.12, ansible-core 2.21)"
NEWEST="$(hacking/venv.sh newest)"
step "venv: tools (ansible-lint, antsibull-docs, antsibull-changelog, ansible-builder)"
hacking/venv.sh tools >/dev/null
# ansible-rulebook for the end-to-end test of the EDA rulebook (tests/functional/test_eda_e2e.py), which
# also needs a Java 17+ runtime on the machine (it fails naming the package when there is none).
step "venv: eda (ansible-rulebook, ansible-core 2.16, Python 3.11)"
hacking/venv.sh eda >/dev/null

for profile in newest oldest; do
  case "$profile" in newest) label="ansible-core 2.21, Python 3.12" ;; oldest) label="ansible-core 2.16, Python 3.11" ;; esac
  step "ansible-test sanity on $label (all default tests)"
  hacking/ansible_test.sh "$profile" sanity
  # No `ansible-test units` here: pytest below runs tests/unit once per profile (by hand: hacking/ansible_test.sh PROFILE units).
  step "ansible-test integration on $label (targets against the simulator)"
  hacking/ansible_test.sh "$profile" integration
done

step "ecosystem: ansible-lint, antsibull-docs (lint + HTML), antsibull-changelog, galaxy build/install/run, ansible-builder"
hacking/ecosystem.sh oldest

# pytest last, so that its summary line closes the log. pytest-ansible puts the checkout on the collection path.
step "pytest on ansible-core 2.21 (unit + playbooks against the simulator)"
"$NEWEST/bin/python" -m pytest -q -n 2

step "pytest on ansible-core 2.16 (unit + playbooks against the simulator)"
"$OLDEST/bin/python" -m pytest -q -n 2
