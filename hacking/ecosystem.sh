#!/usr/bin/env bash
# The ecosystem checks of a certified collection, each printed with its time:
#   hacking/ecosystem.sh [PROFILE]     (PROFILE: the test profile used for galaxy build/install/run; default oldest)
# galaxy build + install, then against the installed copy: ansible-lint (production), antsibull-docs
# lint + offline HTML build, antsibull-changelog, a playbook, ansible-builder create.
# The tools live in .venv-tools (hacking/venv.sh tools); they bring their own ansible-core.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PROFILE="${1:-oldest}"
START=$(date +%s)
part() { echo "--- $* ($(( $(date +%s) - START )) s)"; }

TOOLS="$(hacking/venv.sh tools)"
VENV="$(hacking/venv.sh "$PROFILE")"
export ANSIBLE_NOCOLOR=1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/neo-ecosystem.XXXXXX")"
SIM_PID=""
cleanup() {
  if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

part "ansible-galaxy collection build + install ($PROFILE profile)"
"$VENV/bin/ansible-galaxy" collection build --force --output-path "$WORK/dist" .
TARBALL="$(ls "$WORK"/dist/projectdiscovery-neo-*.tar.gz)"
# Build output, caches and test-only trees must stay out of the tarball (galaxy.yml build_ignore).
if tar -tzf "$TARBALL" | grep -E '(^|/)(build|\.venv[^/]*|\.ansible|\.hypothesis|collections|bench|neo_simulator|\.ci|__pycache__|output)(/|$)|\.pyc$|\.tar\.gz$'; then
  echo "the tarball holds build output or caches (above): extend build_ignore in galaxy.yml" >&2; exit 1
fi
# The Event-Driven Ansible content (extensions/eda) and the playbook its rulebook runs are part of it.
# (The listing is read once: `grep -q` on a pipe would end early and fail tar under pipefail.)
LISTING="$(tar -tzf "$TARBALL")"
for entry in extensions/eda/plugins/event_source/neo_secret_events.py extensions/eda/plugins/event_source/schemas/neo_secret_events.json \
             extensions/eda/rulebooks/enforce_secret_policy.yml playbooks/enforce_secret_policy.yml; do
  grep -qx "$entry" <<<"$LISTING" || { echo "the tarball lacks $entry" >&2; exit 1; }
done
echo "$(tar -tzf "$TARBALL" | wc -l) entries in $(basename "$TARBALL")"
# Every tool below resolves projectdiscovery.neo as this copy, installed from the tarball: what users get.
export ANSIBLE_COLLECTIONS_PATH="$WORK/installed"
"$VENV/bin/ansible-galaxy" collection install "$TARBALL" -p "$WORK/installed"

part "ansible-lint (profile production)"
PATH="$TOOLS/bin:$PATH" ansible-lint --nocolor

part "antsibull-docs lint-collection-docs --plugin-docs"
PATH="$TOOLS/bin:$PATH" antsibull-docs lint-collection-docs --plugin-docs .

part "antsibull-docs: HTML docs from the plugin docs (offline, build/docs/build/html)"
DOCS="$ROOT/build/docs"
rm -rf "$DOCS"
mkdir -p "$DOCS"
chmod 700 "$DOCS"  # sphinx-init wants a directory only its owner can write
PATH="$TOOLS/bin:$PATH" antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir "$DOCS" projectdiscovery.neo >/dev/null
# No network here: no intersphinx inventories, and no labels of docs.ansible.com to resolve.
printf '\nintersphinx_mapping = {}\nsuppress_warnings = ["ref.ref"]\n' >> "$DOCS/conf.py"
(cd "$DOCS" && PATH="$TOOLS/bin:$PATH" ./build.sh >"$WORK/docs-build.log" 2>&1) || { cat "$WORK/docs-build.log"; exit 1; }
for module in neo_secret neo_secret_info neo_project_info neo_secret_policy; do
  test -s "$DOCS/build/html/collections/projectdiscovery/neo/${module}_module.html"
done
echo "HTML docs: $DOCS/build/html/collections/projectdiscovery/neo/index.html"

part "antsibull-changelog lint, and CHANGELOG.md matches changelogs/changelog.yaml"
PATH="$TOOLS/bin:$PATH" antsibull-changelog lint
PATH="$TOOLS/bin:$PATH" antsibull-changelog generate --output "$WORK/CHANGELOG.md" --output-format md
diff -u CHANGELOG.md "$WORK/CHANGELOG.md" || { echo "CHANGELOG.md is stale: run antsibull-changelog generate" >&2; exit 1; }

part "playbook against the installed collection (not the source tree) and the simulator"
INSTALLED="$WORK/installed/ansible_collections/projectdiscovery/neo"
PORT_FILE="$WORK/sim.port"
"$VENV/bin/python" -m neo_simulator --seed tests/fixtures/seed-basic.yml --port 0 --port-file "$PORT_FILE" >/dev/null &
SIM_PID=$!
for _ in $(seq 100); do [ -s "$PORT_FILE" ] && break; sleep 0.1; done
SIM_URL="http://127.0.0.1:$(cat "$PORT_FILE")"
(
  cd "$WORK"
  export ANSIBLE_COLLECTIONS_PATH="$WORK/installed" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=False
  export NEO_API_URL="$SIM_URL" NEO_API_KEY="neo_sk_aliceCANARYkey000000000000000000"
  "$VENV/bin/ansible-doc" -t module projectdiscovery.neo.neo_secret | head -1
  "$VENV/bin/ansible-playbook" "$INSTALLED/examples/neo_secret.yml"
)
WRITES="$("$VENV/bin/python" -c 'import json, sys, urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/_sim/counters"))["writes"])' "$SIM_URL")"
[ "$WRITES" = 1 ] || { echo "expected 1 write from examples/neo_secret.yml, got $WRITES" >&2; exit 1; }
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=""

part "execution environment: ansible-builder introspect + create (no container engine here: no build)"
PATH="$TOOLS/bin:$PATH" ansible-builder introspect --sanitize "$WORK/installed" | tee "$WORK/introspect.txt"
grep -q requests "$WORK/introspect.txt" && grep -q ca-certificates "$WORK/introspect.txt"
mkdir -p "$WORK/ee"
cp "$TARBALL" "$WORK/ee/"
"$TOOLS/bin/python" - "$ROOT/examples/execution-environment.yml" "$WORK/ee/execution-environment.yml" "$(basename "$TARBALL")" <<'PY'
import sys, yaml
src, dest, tarball = sys.argv[1:]
definition = yaml.safe_load(open(src))
# The example installs the collection from Galaxy; CI builds the context from the tarball just built.
definition["dependencies"]["galaxy"] = {"collections": [{"name": "collections/" + tarball, "type": "file"}]}
definition["additional_build_files"] = [{"src": tarball, "dest": "collections"}]
yaml.safe_dump(definition, open(dest, "w"), sort_keys=False)
PY
(cd "$WORK/ee" && PATH="$TOOLS/bin:$PATH" ansible-builder create -f execution-environment.yml -c context --output-filename Containerfile)
test -s "$WORK/ee/context/Containerfile"
test -s "$WORK/ee/context/_build/collections/$(basename "$TARBALL")"
# The decision environment of docs/eda.md (ansible-rulebook, Java, the collection) from the same tarball.
"$TOOLS/bin/python" - "$ROOT/examples/decision-environment.yml" "$WORK/ee/decision-environment.yml" "$(basename "$TARBALL")" <<'PY'
import sys, yaml
src, dest, tarball = sys.argv[1:]
definition = yaml.safe_load(open(src))
definition["dependencies"]["galaxy"] = {"collections": [{"name": "collections/" + tarball, "type": "file"}]}
definition["additional_build_files"] = [{"src": tarball, "dest": "collections"}]
yaml.safe_dump(definition, open(dest, "w"), sort_keys=False)
PY
(cd "$WORK/ee" && PATH="$TOOLS/bin:$PATH" ansible-builder create -f decision-environment.yml -c de-context --output-filename Containerfile)
grep -q ansible-rulebook "$WORK/ee/de-context/_build/requirements.txt" && grep -q openjdk "$WORK/ee/de-context/_build/bindep.txt"
part "ecosystem checks passed"
