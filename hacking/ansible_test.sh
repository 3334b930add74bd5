#!/usr/bin/env bash
# Run ansible-test on a laid-out copy of this checkout, with one test profile's venv.
#   hacking/ansible_test.sh PROFILE [sanity] [units] [integration]   (default: all three)
#   PROFILE: oldest | newest (see hacking/venv.sh)
#
# ansible-test needs the collection at .../ansible_collections/projectdiscovery/neo and refuses a
# symlink (it resolves the cwd), so the git-tracked and untracked-not-ignored files are copied to
# a temporary tree, which is removed afterwards.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROFILE="${1:?usage: hacking/ansible_test.sh oldest|newest [sanity] [units] [integration]}"
shift
PARTS=("$@")
[ "${#PARTS[@]}" -gt 0 ] || PARTS=(sanity units integration)

VENV="$(cd "$ROOT" && hacking/venv.sh "$PROFILE")"
export PATH="$VENV/bin:$PATH"
PY="$VENV/bin/python"
PYV="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

# ansible-test bootstraps pip in its sanity venvs with a get-pip.py it downloads from a host that
# is unreachable here: put the offline shim where ansible-test looks for its cached copy.
PIPV="$("$PY" - <<'PY'
import pathlib, re, ansible_test
p = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", p.read_text()).group(1))
PY
)"
mkdir -p "$HOME/.ansible/test/cache"
cp "$ROOT/.ci/get_pip_shim.py" "$HOME/.ansible/test/cache/get_pip_${PIPV//./_}.py"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/neo-ansible-test.XXXXXX")"
SIM_PID=""
cleanup() {
  if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
COLL="$WORK/ansible_collections/projectdiscovery/neo"
mkdir -p "$COLL"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf -) | tar -xf - -C "$COLL"

START=$(date +%s)
part() { echo "--- ansible-test $1 ($PROFILE: Python $PYV, $("$PY" -c 'import ansible; print("ansible-core", ansible.__version__)')) ($(( $(date +%s) - START )) s)"; }

for what in "${PARTS[@]}"; do
  case "$what" in
    sanity)
      part sanity
      (cd "$COLL" && ansible-test sanity --python "$PYV" --requirements --color no) ;;
    units)
      part units
      (cd "$COLL" && ansible-test units --python "$PYV" --requirements --color no) ;;
    integration)
      part integration
      # Targets read their settings from integration_config.yml: ansible-test strips the environment.
      PORT_FILE="$WORK/sim.port"
      (cd "$ROOT" && exec "$PY" -m neo_simulator --seed tests/fixtures/seed-basic.yml --port 0 \
         --port-file "$PORT_FILE" --log "$WORK/sim.log" >"$WORK/sim.out") &
      SIM_PID=$!
      for _ in $(seq 100); do [ -s "$PORT_FILE" ] && break; sleep 0.1; done
      [ -s "$PORT_FILE" ] || { echo "ansible_test.sh: simulator did not start" >&2; exit 1; }
      cat > "$COLL/tests/integration/integration_config.yml" <<YAML
---
neo_api_url: http://127.0.0.1:$(cat "$PORT_FILE")
neo_api_key: neo_sk_aliceCANARYkey000000000000000000
YAML
      (cd "$COLL" && ansible-test integration --python "$PYV" --color no)
      kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true; SIM_PID="" ;;
    *) echo "ansible_test.sh: unknown part $what" >&2; exit 2 ;;
  esac
done
