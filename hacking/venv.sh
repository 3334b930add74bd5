#!/usr/bin/env bash
# Create (or reuse) the virtualenv of one profile and print its directory.
#   oldest: Python 3.11 + ansible-core 2.16 (the oldest we support) + the test tool chain, the default
#   demo:   Python 3.11 + ansible-core 2.16 + requirements.txt only (`make demo`: playbooks and the
#           simulator, which needs only the standard library and PyYAML, which ansible-core brings)
#   newest: Python 3.12 + ansible-core 2.21 (the newest that installs here)
#   eda:    Python 3.11 + ansible-core 2.16 + ansible-rulebook (requirements-eda.txt): the rulebook of
#           extensions/eda end to end (it also needs a Java 17+ runtime, see docs/eda.md)
#   tools:  Python 3.11 + the ecosystem tools (ansible-lint, antsibull-docs, antsibull-changelog,
#           ansible-builder, Sphinx), with whatever ansible-core they resolve to
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROFILE="${1:-oldest}"
REQUIREMENTS="$ROOT/requirements-test.txt"
case "$PROFILE" in
  oldest) VENV="$ROOT/.venv"; PYTHON="${PYTHON311:-python3.11}"; CORE='ansible-core>=2.16,<2.17' ;;
  demo)   VENV="$ROOT/.venv-demo"; PYTHON="${PYTHON311:-python3.11}"; CORE='ansible-core>=2.16,<2.17'; REQUIREMENTS="$ROOT/requirements.txt" ;;
  eda)    VENV="$ROOT/.venv-eda"; PYTHON="${PYTHON311:-python3.11}"; CORE='ansible-core>=2.16,<2.17'; REQUIREMENTS="$ROOT/requirements-eda.txt" ;;
  tools)  VENV="$ROOT/.venv-tools"; PYTHON="${PYTHON311:-python3.11}"; CORE=""; REQUIREMENTS="$ROOT/requirements-tools.txt" ;;
  newest) VENV="$ROOT/.venv-newest"; PYTHON="${PYTHON312:-}"; CORE='ansible-core>=2.21,<2.22'
          if [ -z "$PYTHON" ]; then
            # A pyenv shim may exist without the version being active: try each candidate.
            for candidate in $(ls -d "$HOME"/.pyenv/versions/3.12.*/bin/python3.12 2>/dev/null) $(command -v python3.12 || true); do
              if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then PYTHON="$candidate"; break; fi
            done
          fi
          [ -n "$PYTHON" ] || { echo "venv.sh: no Python 3.12 found (set PYTHON312)" >&2; exit 1; } ;;
  *) echo "venv.sh: unknown profile $PROFILE" >&2; exit 2 ;;
esac
STAMP="$VENV/.installed"
WANT="$(cat "$ROOT/requirements.txt" "$REQUIREMENTS" "$ROOT/hacking/venv.sh" | sha256sum | cut -c1-16)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "venv.sh: installing $PROFILE profile into $VENV ($PYTHON${CORE:+, $CORE})" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -U pip >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQUIREMENTS" ${CORE:+"$CORE"} >&2
  echo "$WANT" > "$STAMP"
fi
echo "$VENV"
