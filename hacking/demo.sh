#!/usr/bin/env bash
# `make demo`: start the simulator with a small organisation, run the example playbook in
# check mode with --diff, then for real, show what changed, and stop the simulator.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$(hacking/venv.sh oldest)"
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
export ANSIBLE_COLLECTIONS_PATH="$ROOT/build/collections" ANSIBLE_INVENTORY="$ROOT/examples/inventory.ini"
sim() { "$VENV/bin/python" -c 'import json,sys,urllib.request; print(json.dumps(json.load(urllib.request.urlopen(sys.argv[1])), indent=2))' "$NEO_API_URL/_sim/$1"; }

echo "=== Neo API simulator at $NEO_API_URL; flags before:"
"$VENV/bin/python" hacking/sim_flags.py "$NEO_API_URL" > build/demo/before.txt
cat build/demo/before.txt
echo; echo "=== 1. check mode with --diff: what would change (no write is sent)"
"$VENV/bin/ansible-playbook" "$PLAYBOOK" --check --diff
echo "writes sent by the check run: $("$VENV/bin/python" -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))["writes"])' "$NEO_API_URL/_sim/counters")"
echo; echo "=== 2. apply"
"$VENV/bin/ansible-playbook" "$PLAYBOOK" --diff
echo; echo "=== 3. what changed on the (simulated) Neo API"
"$VENV/bin/python" hacking/sim_flags.py "$NEO_API_URL" > build/demo/after.txt
diff build/demo/before.txt build/demo/after.txt || true
echo "API calls by route:"; sim counters
