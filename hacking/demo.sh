#!/usr/bin/env bash
# `make demo`: start the simulator with a small organisation, run the example playbook in
# check mode (the drift report, no write), then for real, show what changed, stop the simulator.
# Its venv (.venv-demo, `hacking/venv.sh demo`) holds ansible-core and requests only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$(hacking/venv.sh demo)"
PLAYBOOK="${NEO_DEMO_PLAYBOOK:-examples/secret_policy.yml}"
mkdir -p build/demo
rm -f build/demo/port

"$VENV/bin/python" -m neo_simulator --seed tests/fixtures/seed-basic.yml --port 0 \
  --port-file build/demo/port --log build/demo/simulator.log >build/demo/simulator.out &
SIM_PID=$!
trap 'kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s build/demo/port ] && break; sleep 0.05; done
[ -s build/demo/port ] || { echo "demo: the simulator did not start" >&2; exit 1; }
NEO_API_URL="http://127.0.0.1:$(cat build/demo/port)"
export NEO_API_URL
# alice's key in tests/fixtures/seed-basic.yml; only the simulator knows it.
export NEO_API_KEY="neo_sk_aliceCANARYkey000000000000000000"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/build/demo/collections" ANSIBLE_INVENTORY="$ROOT/examples/inventory.ini"
# The collection as a user gets it: installed from this checkout (a copy; galaxy.yml's build_ignore applies).
"$VENV/bin/ansible-galaxy" collection install --force -p build/demo/collections . >/dev/null
# The simulator's admin API (not part of the Neo API): its request counters.
counters() { "$VENV/bin/python" -c 'import json,sys,urllib.request; print(json.dumps(json.load(urllib.request.urlopen(sys.argv[1])), indent=2))' "$NEO_API_URL/_sim/counters"; }
writes() { "$VENV/bin/python" -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))["writes"])' "$NEO_API_URL/_sim/counters"; }

echo "=== Neo API simulator at $NEO_API_URL (organisation: tests/fixtures/seed-basic.yml)"
echo "    What alice (NEO_API_KEY) sees through the API before: her personal secrets and those of her projects"
"$VENV/bin/python" hacking/sim_flags.py "$NEO_API_URL" > build/demo/before.txt
cat build/demo/before.txt
echo; echo "=== 1. check mode: the drift report (no write is sent)"
"$VENV/bin/ansible-playbook" "$PLAYBOOK" --check
CHECK_WRITES="$(writes)"
echo "writes sent by the check run: $CHECK_WRITES"
echo; echo "=== 2. apply"
"$VENV/bin/ansible-playbook" "$PLAYBOOK"
echo "writes sent by the apply: $(( $(writes) - CHECK_WRITES ))"
echo; echo "=== 3. what changed, as alice sees it through the API (- before, + after)"
"$VENV/bin/python" hacking/sim_flags.py "$NEO_API_URL" > build/demo/after.txt
echo "  $(head -n 1 build/demo/after.txt)"
diff --old-line-format='- %L' --new-line-format='+ %L' --unchanged-line-format='' build/demo/before.txt build/demo/after.txt || true
echo "API calls by route (simulator counters, both runs and the two listings):"; counters
