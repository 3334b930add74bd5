"""Benchmark of continuous enforcement (issue: EDA event source and rulebook). Not a test: `make bench`.

Scenario: the simulator with the basic seed (10 ms latency per request), the shipped rulebook
extensions/eda/rulebooks/enforce_secret_policy.yml run by the real ansible-rulebook with
``neo_poll_interval: 2`` and one rule (cloud keys are opt-in in production). Once the event
source has its baseline, a production secret is flipped to true through the API, out of band,
--flips times (default 3), each at another phase of the poll interval; each time the figure is
the seconds from the flip until the secret is false again (detection by the next poll, the
drift event, the rule, ansible-runner, the playbook and its PATCH). The median is printed,
with the enforcement playbook alone (ansible-playbook with the same drift event) for comparison.
"""
import argparse
import json
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import ALICE_KEY, BASIC_SEED, PROJECT_PRODUCTION, SECRET_PROD_AWS, start_simulator  # noqa: E402 pylint: disable=wrong-import-position
from tests.functional.eda_rulebook import (  # noqa: E402 pylint: disable=wrong-import-position
    EDA_VENV,
    Rulebook,
    ensure_eda_venv,
    flip_and_time_correction,
    java_problem,
    set_flag,
    source_polls,
    wait_for,
)

RULES = [{"name": "cloud keys are opt-in in production", "match": ["AWS_*"], "projects": [PROJECT_PRODUCTION], "default_available": False}]
DRIFT_EVENT = {"neo_secret": {
    "type": "drift", "id": SECRET_PROD_AWS, "name": "AWS_SECRET_ACCESS_KEY", "project_id": PROJECT_PRODUCTION, "project_name": "Production",
    "default_available": True, "previous_default_available": False, "created_by_agent": False, "expected_default_available": False,
    "rule": "cloud keys are opt-in in production"}}


def playbook_alone(rulebook, sim_url):
    """Seconds of one ansible-playbook run of the enforcement playbook for the drift event (after a flip)."""
    set_flag(sim_url, ALICE_KEY, SECRET_PROD_AWS, True)
    extra_vars = {"neo_policy_rules": RULES, "ansible_eda": {"ruleset": "bench", "rule": "bench", "event": DRIFT_EVENT}}
    started = time.monotonic()
    subprocess.run([str(EDA_VENV / "bin" / "ansible-playbook"), "projectdiscovery.neo.enforce_secret_policy", "-i", str(rulebook.workdir / "inventory.yml"),
                    "-e", json.dumps(extra_vars)], env=rulebook.env, cwd=str(rulebook.workdir), stdout=subprocess.DEVNULL, check=True)
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=2.0, help="the event source's poll interval (default 2 s)")
    parser.add_argument("--flips", type=int, default=3, help="flips to measure (default 3; the median is reported)")
    parser.add_argument("--latency-ms", type=int, default=10, help="simulator latency per request (default 10 ms)")
    options = parser.parse_args()
    problem = java_problem()
    if problem:
        sys.exit(problem)
    ensure_eda_venv()
    about = subprocess.run([str(EDA_VENV / "bin" / "ansible-rulebook"), "--version"], capture_output=True, text=True, check=False).stdout
    facts = dict(line.strip().split(" = ", 1) for line in about.splitlines() if " = " in line)
    print("=== EDA: flip-to-correction latency (%s, Java %s, ansible-core %s, %s)" % (
        about.splitlines()[0] if about else "ansible-rulebook", facts.get("Java version", "?"), facts.get("Ansible core version", "?"),
        platform.machine()))
    with tempfile.TemporaryDirectory(prefix="neo-eda-bench.") as workdir:
        workdir = pathlib.Path(workdir)
        sim = start_simulator(BASIC_SEED, workdir / "sim.log", "--latency-ms", str(options.latency_ms))
        rulebook = Rulebook(workdir, sim.url, ALICE_KEY, RULES, interval=options.interval)
        try:
            rulebook.start()
            wait_for(lambda: source_polls(sim.url) >= 1, 120, "the baseline poll", rulebook, step=0.05)
            print("rulebook start to baseline poll: %.1f s (JVM, rule engine, first poll)" % (time.monotonic() - rulebook.started))
            latencies = []
            for flip in range(options.flips):
                # Each flip at another phase of the poll interval.
                time.sleep(options.interval * (0.5 + flip / max(1, options.flips)))
                latencies.append(flip_and_time_correction(rulebook, sim.url, ALICE_KEY, SECRET_PROD_AWS, 10 * options.interval + 60))
                print("flip %d: corrected after %.2f s" % (flip + 1, latencies[-1]))
            wait_for(lambda: rulebook.output().count("PLAY RECAP") >= options.flips, 30, "the last playbook's recap", rulebook, step=0.1)
            alone = playbook_alone(rulebook, sim.url)
        finally:
            stopped = rulebook.stop()
            sim.stop()
        if not stopped:
            sys.exit("the rulebook's process group did not stop")
    print("flip to correction, interval %g s: median %.2f s (min %.2f, max %.2f) over %d flips"
          % (options.interval, statistics.median(latencies), min(latencies), max(latencies), len(latencies)))
    print("for comparison: the enforcement playbook alone (ansible-playbook, one scope): %.2f s; detection waits up to one interval"
          % alone)


if __name__ == "__main__":
    main()
