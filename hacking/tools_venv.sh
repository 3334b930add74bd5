#!/usr/bin/env bash
# Create (or reuse) .venv-tools, the venv of the ecosystem tools (ansible-lint, antsibull-docs,
# antsibull-changelog, ansible-builder, Sphinx), and print its directory.
# Python 3.11; its ansible-core is whatever those tools resolve to, independent of the test profiles.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-tools"
PYTHON="${PYTHON311:-python3.11}"
STAMP="$VENV/.installed"
WANT="$(cat "$ROOT/requirements.txt" "$ROOT/requirements-tools.txt" "$ROOT/hacking/tools_venv.sh" | sha256sum | cut -c1-16)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "tools_venv.sh: installing the tools into $VENV ($PYTHON)" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -U pip >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements-tools.txt" >&2
  echo "$WANT" > "$STAMP"
fi
echo "$VENV"
