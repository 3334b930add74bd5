"""Benchmark of the secret_policy role at scale (issue: speed at scale). Not a test: `make bench`.

Scenario: the simulator (a separate process) with 5 ms latency per request, 100 projects x 100
secrets, 10 % drifted, one rule ``match: ["*"]``. In one run it measures:

- the floor: an empty playbook plus the minimum API calls (1 project list, 1 list per project,
  1 PATCH per drifted secret) made by a bare `requests` client with 8 threads in this process,
  `requests` already imported (bench/bare_client.py); separately for check mode (no PATCH) and
  apply. No Ansible task reaches it: a task pays its worker's fork and the import of `requests`
  (see the reference rows below);
- the role in check mode without report files, and in check mode and apply mode with the three
  report files (JSON, JUnit, Markdown: every covered secret), then a second apply (must write
  nothing);
- for reference, the module alone (one task, no role) in check mode with the three report files:
  the difference is what the role's own tasks and loading it cost;
- for reference, what any Ansible task or role pays to make the floor's calls: the floor's bare
  client run from one task, and from a role shaped like secret_policy (argument specs, the task,
  a debug task) that evaluates nothing and writes no report (bench/reference_collection.py);
  check mode;
- on a second simulator where every secret is drifted: its floor and the role in check mode
  with the reports (the task result then holds entries_limit entries of 10,000 drifted);
- the baseline a user would otherwise write: an ``ansible.builtin.uri`` loop that lists the
  scope and PATCHes, per secret, on a slice of 40 secrets, reported per secret.

Each timing is the median of --repeat rounds, each round running every measurement once (interleaved);
the simulator is reset before each run.
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import requests

from bare_client import bare_client_calls  # pylint: disable=wrong-import-order
from reference_collection import install as install_reference_collection  # pylint: disable=wrong-import-order

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
ANSIBLE_PLAYBOOK = str(pathlib.Path(sys.executable).parent / "ansible-playbook")
# This checkout as projectdiscovery.neo: the collection path hacking/bench.sh installs it into.
COLLECTIONS = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)[0]
BASELINE_SLICE = 40


class Simulator:
    def __init__(self, seed_path, latency_ms, workdir):
        port_file = workdir / "port"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "neo_simulator", "--seed", str(seed_path), "--port", "0", "--port-file", str(port_file),
             "--latency-ms", str(latency_ms)],
            cwd=str(ROOT), stdout=subprocess.DEVNULL)
        for _unused in range(600):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.05)
        self.url = "http://127.0.0.1:%s" % port_file.read_text().strip()
        self.admin = requests.Session()

    def reset(self):
        self.admin.post(self.url + "/_sim/reset", timeout=60).raise_for_status()

    def counters(self):
        return self.admin.get(self.url + "/_sim/counters", timeout=60).json()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def median_runs(simulator, repeat, actions):
    """Run every action of ``actions`` (name -> callable) once per round, ``repeat`` rounds, each from a
    reset simulator; per name, the median wall time and the counters of its last run.

    The rounds interleave the actions, so that a slower spell of the machine weighs on the floor and
    on the role alike instead of on whichever ran during it: the ratios are what this benchmark is for.
    """
    times = {name: [] for name in actions}
    counters = {}
    for _unused in range(repeat):
        for name, action in actions.items():
            simulator.reset()
            started = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - started)
            counters[name] = simulator.counters()
    return {name: (statistics.median(times[name]), counters[name]) for name in actions}


def playbook_env(simulator, api_key, reference_collections=None):
    """The environment of a playbook run against ``simulator``; ``reference_collections``: also where
    the reference collection is (see bench/reference_collection.py)."""
    if not COLLECTIONS:
        sys.exit("set ANSIBLE_COLLECTIONS_PATH to a directory holding ansible_collections/projectdiscovery/neo (hacking/bench.sh installs one)")
    paths = [COLLECTIONS] + ([str(reference_collections)] if reference_collections else [])
    return dict(os.environ, NEO_API_URL=simulator.url, NEO_API_KEY=api_key, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(paths),
                ANSIBLE_INVENTORY=str(BENCH / "inventory.ini"), ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0")


def run_playbook(env, playbook, *args):
    """Run one playbook (a name in bench/, or a path); raise SystemExit with its output if it fails."""
    completed = subprocess.run([ANSIBLE_PLAYBOOK, str(BENCH / playbook), *args], env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit("%s failed:\n%s\n%s" % (playbook, completed.stdout[-3000:], completed.stderr[-3000:]))
    return completed


def calls(counters):
    return dict(sorted(counters["by_method"].items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--secrets-per-project", type=int, default=100)
    parser.add_argument("--drift", type=float, default=0.1)
    parser.add_argument("--latency-ms", type=float, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    from neo_simulator.seed import generate_seed, write_seed  # pylint: disable=import-outside-toplevel

    workdir = pathlib.Path(tempfile.mkdtemp(prefix="neo-bench-"))
    seed = generate_seed(projects=options.projects, secrets_per_project=options.secrets_per_project, personal=0, drift=options.drift, rng_seed=1)
    seed_path = workdir / "seed.json"
    write_seed(seed, str(seed_path))
    api_key = seed["users"][0]["api_keys"][0]
    total = len(seed["secrets"])
    drifted = sum(1 for s in seed["secrets"] if s["default_available"])
    simulator = Simulator(seed_path, options.latency_ms, workdir)
    reference_collections, reference_module_playbook, reference_role_playbook = install_reference_collection(workdir)
    env = playbook_env(simulator, api_key, reference_collections)
    reports = ["-e", json.dumps({"bench_report_dir": str(workdir)})]
    try:
        measured = median_runs(simulator, options.repeat, {
            "empty": lambda: run_playbook(env, "empty.yml"),
            "lists": lambda: bare_client_calls(simulator.url, api_key, apply=False),
            "lists_and_patches": lambda: bare_client_calls(simulator.url, api_key, apply=True),
            "role_check": lambda: run_playbook(env, "policy.yml", "--check"),
            "role_check_reports": lambda: run_playbook(env, "policy_reports.yml", "--check", *reports),
            "module_check_reports": lambda: run_playbook(env, "policy_module_reports.yml", "--check", *reports),
            "role_apply_reports": lambda: run_playbook(env, "policy_reports.yml", *reports),
            "reference_module_check": lambda: run_playbook(env, reference_module_playbook, "--check"),
            "reference_role_check": lambda: run_playbook(env, reference_role_playbook, "--check"),
        })
        empty, _counters = measured["empty"]
        lists, list_counters = measured["lists"]
        lists_and_patches, minimum_counters = measured["lists_and_patches"]
        role_check, _counters = measured["role_check"]
        role_check_reports, check_counters = measured["role_check_reports"]
        module_check_reports, module_counters = measured["module_check_reports"]
        role_apply, apply_counters = measured["role_apply_reports"]
        reference_module, reference_counters = measured["reference_module_check"]
        reference_role, _counters = measured["reference_role_check"]
        # An apply from a reset simulator, then the second apply, which must write nothing.
        simulator.reset()
        run_playbook(env, "policy_reports.yml", *reports)
        before_second = simulator.counters()["writes"]
        run_playbook(env, "policy_reports.yml", *reports)
        second_apply_writes = simulator.counters()["writes"] - before_second
        report_secrets = len(json.loads((workdir / "policy.json").read_text())["entries"])
        simulator.reset()
        baseline_ids = [s["id"] for s in seed["secrets"] if s["project_id"]][:BASELINE_SLICE]
        baseline_items = [{"id": s["id"], "project_id": s["project_id"]} for s in seed["secrets"] if s["id"] in set(baseline_ids)]
        baseline, baseline_counters = median_runs(simulator, 1, {
            "baseline": lambda: run_playbook(env, "uri_baseline.yml", "-e", json.dumps({"bench_secrets": baseline_items}))})["baseline"]
    finally:
        simulator.stop()

    all_drift_dir = workdir / "all-drift"
    all_drift_dir.mkdir()
    all_drift_seed = generate_seed(projects=options.projects, secrets_per_project=options.secrets_per_project, personal=0, drift=1.0, rng_seed=1)
    write_seed(all_drift_seed, str(all_drift_dir / "seed.json"))
    all_drift_key = all_drift_seed["users"][0]["api_keys"][0]
    all_drift = Simulator(all_drift_dir / "seed.json", options.latency_ms, all_drift_dir)
    all_drift_env = playbook_env(all_drift, all_drift_key)
    try:
        measured_all = median_runs(all_drift, options.repeat, {
            "empty": lambda: run_playbook(all_drift_env, "empty.yml"),
            "lists": lambda: bare_client_calls(all_drift.url, all_drift_key, apply=False),
            "role_check_reports": lambda: run_playbook(all_drift_env, "policy_reports.yml", "--check", "-e",
                                                       json.dumps({"bench_report_dir": str(all_drift_dir)})),
        })
    finally:
        all_drift.stop()
    all_drift_floor = measured_all["empty"][0] + measured_all["lists"][0]
    all_drift_check, all_drift_counters = measured_all["role_check_reports"]
    all_drifted = sum(1 for s in all_drift_seed["secrets"] if s["default_available"])

    floor_check = empty + lists
    floor_apply = empty + lists_and_patches
    minimum_check = sum(list_counters["by_method"].values())
    minimum_apply = sum(minimum_counters["by_method"].values())
    baseline_per_secret = baseline / BASELINE_SLICE
    lines = [
        "machine: %s, %d cores, Python %s, ansible-core %s" % (platform.platform(), os.cpu_count(), platform.python_version(), ansible_core_version()),
        "scenario: %d projects x %d secrets = %d secrets, %d drifted, simulator latency %.0f ms, median of %d runs"
        % (options.projects, options.secrets_per_project, total, drifted, options.latency_ms, options.repeat),
        "",
        "%-34s %8s %24s %12s %10s %12s" % ("run", "wall s", "API calls", "secrets/s", "x floor", "x baseline"),
    ]

    def row(name, wall, counters, floor, per_secret_of=None):
        per_secret = wall / (per_secret_of or total)
        lines.append("%-34s %8.2f %24s %12.0f %10s %12s" % (
            name, wall, json.dumps(calls(counters)) if counters else "-", (per_secret_of or total) / wall,
            "%.2f" % (wall / floor) if floor else "-", "%.4f" % (per_secret / baseline_per_secret)))

    lines.append("%-34s %8.2f" % ("empty playbook", empty))
    row("floor, check (empty + lists)", floor_check, list_counters, None)
    row("floor, apply (empty + lists + PATCH)", floor_apply, minimum_counters, None)
    row("role, check mode, no report file", role_check, check_counters, floor_check)
    row("role, check mode, 3 reports", role_check_reports, check_counters, floor_check)
    row("module alone, check mode, 3 reports", module_check_reports, module_counters, floor_check)
    row("role, apply, 3 reports", role_apply, apply_counters, floor_apply)
    row("reference: floor's calls, one task", reference_module, reference_counters, floor_check)
    row("reference: floor's calls, a role", reference_role, reference_counters, floor_check)
    row("all %d drifted: floor, check" % all_drifted, all_drift_floor, None, None)
    row("all %d drifted: role, check, 3 reports" % all_drifted, all_drift_check, all_drift_counters, all_drift_floor)
    row("baseline uri loop (per secret, 40)", baseline, baseline_counters, None, per_secret_of=BASELINE_SLICE)
    lines += [
        "",
        "API calls vs minimum: check %.3fx (%d / %d), apply %.3fx (%d / %d)" % (
            check_counters["total"] / minimum_check, check_counters["total"], minimum_check,
            apply_counters["total"] / minimum_apply, apply_counters["total"], minimum_apply),
        "second apply writes: %d" % second_apply_writes,
        "secrets in the JSON report: %d (every covered secret); the reports add %.1f%% to check mode" % (
            report_secrets, 100.0 * (role_check_reports - role_check) / role_check),
        "the role's own tasks (argument validation, the table) and loading it: +%.2f s over the module alone, check mode with reports"
        % (role_check_reports - module_check_reports),
        "what any role making the floor's calls pays (the reference role): %.2fx the check floor; the role with the 3 reports takes %.2fx"
        " the reference role (the collection's own work: %+.2f s)" % (
            reference_role / floor_check, role_check_reports / reference_role, role_check_reports - reference_role),
    ]
    # The targets of issue 20 ("Speed: new targets"): check mode is measured against the reference role
    # (what any role with argument specs and a table pays to make the floor's calls), the rest against the floors.
    targets = [
        ("check mode with reports within 1.3x of the reference role", role_check_reports <= 1.3 * reference_role,
         "%.2fx" % (role_check_reports / reference_role)),
        ("apply with reports within 1.25x of its floor", role_apply <= 1.25 * floor_apply, "%.2fx" % (role_apply / floor_apply)),
        ("all drifted, check mode within 1.6x of its floor", all_drift_check <= 1.6 * all_drift_floor, "%.2fx" % (all_drift_check / all_drift_floor)),
        ("API calls exactly the minimum", check_counters["total"] == minimum_check and apply_counters["total"] == minimum_apply, ""),
        ("second apply writes nothing", second_apply_writes == 0, ""),
    ]
    lines += ["targets:"] + ["  %-52s %-8s %s" % (name, "MET" if met else "NOT MET", figure) for name, met, figure in targets]
    print("\n".join(lines))


def ansible_core_version():
    from ansible.release import __version__  # pylint: disable=import-outside-toplevel
    return __version__


if __name__ == "__main__":
    main()
