"""Benchmark of the environment role: provisioning a new project with its secrets. Not a test: `make bench`.

Scenario: the simulator (a separate process) with 5 ms latency per request and an organisation of
10 projects; the role creates an 11th project with 50 secrets (random values, half of them
``default_available: true``) and one policy rule. In one run it measures:

- the floor, which no implementation can beat: an empty playbook plus the minimum API calls (one
  POST for the project and one POST per secret) made one after the other by a bare `requests`
  client with one HTTP session;
- the role applying the new environment, from a reset simulator each time;
- the role in check mode on the new environment (must write nothing), and a second apply on the
  environment it created (must report changed=0 and write nothing).

Each timing is the median of --repeat rounds, each round running every measurement once
(interleaved), the simulator reset before each run.
"""
import argparse
import json
import os
import pathlib
import platform
import secrets
import statistics
import sys
import tempfile
import time

import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from policy_bench import Simulator, ansible_core_version, calls, median_runs, playbook_env, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

PROJECT_ID = "eeeeeeee-0000-4000-8000-000000000001"


def environment(count):
    """The role's variables: a new project, ``count`` secrets, one rule for the project's other secrets."""
    return {
        "neo_environment_project": {"id": PROJECT_ID, "name": "Provisioned", "tags": ["bench", "prod"], "settings_md": "# Provisioned by the benchmark\n"},
        "neo_environment_secrets": [{"name": "SECRET_%04d" % number, "value": secrets.token_urlsafe(24), "default_available": number % 2 == 0}
                                    for number in range(1, count + 1)],
        "neo_environment_policy_rules": [{"name": "everything else is opt-in", "match": ["*"], "default_available": False}],
    }


def bare_client_calls(url, api_key, variables):
    """The minimum API calls, one after the other: POST the project, then POST each secret."""
    session = requests.Session()
    session.headers["X-Api-Key"] = api_key
    project = variables["neo_environment_project"]
    session.post(url + "/api/v1/projects", json={key: project[key] for key in ("id", "name", "tags", "settings_md")}, timeout=30).raise_for_status()
    for secret in variables["neo_environment_secrets"]:
        session.post(url + "/api/v1/secrets", json=dict(secret, project_id=PROJECT_ID), timeout=30).raise_for_status()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    from neo_simulator.seed import generate_seed, write_seed  # pylint: disable=import-outside-toplevel

    workdir = pathlib.Path(tempfile.mkdtemp(prefix="neo-provision-bench-"))
    seed = generate_seed(projects=10, secrets_per_project=10, personal=0, drift=0.1, rng_seed=1)
    seed_path = workdir / "seed.json"
    write_seed(seed, str(seed_path))
    api_key = seed["users"][0]["api_keys"][0]
    variables = environment(options.secrets)
    vars_file = workdir / "environment.json"
    vars_file.write_text(json.dumps(variables))
    os.chmod(vars_file, 0o600)
    extra = ["-e", "@" + str(vars_file)]
    simulator = Simulator(seed_path, options.latency_ms, workdir)
    env = playbook_env(simulator, api_key)
    try:
        measured = median_runs(simulator, options.repeat, {
            "empty": lambda: run_playbook(env, "empty.yml"),
            "posts": lambda: bare_client_calls(simulator.url, api_key, variables),
            "role_apply": lambda: run_playbook(env, "provision.yml", *extra),
            "role_check": lambda: run_playbook(env, "provision.yml", "--check", *extra),
        })
        # The second apply runs on the environment the first one created.
        second = []
        second_counters = None
        for _unused in range(options.repeat):
            simulator.reset()
            run_playbook(env, "provision.yml", *extra)
            before = simulator.counters()
            started = time.perf_counter()
            completed = run_playbook(env, "provision.yml", *extra)
            second.append(time.perf_counter() - started)
            after = simulator.counters()
            second_counters = {"writes": after["writes"] - before["writes"], "total": after["total"] - before["total"],
                               "changed_0": "changed=0" in completed.stdout}
    finally:
        simulator.stop()
        vars_file.unlink()

    empty, _counters = measured["empty"]
    posts, post_counters = measured["posts"]
    role_apply, apply_counters = measured["role_apply"]
    role_check, check_counters = measured["role_check"]
    second_apply = statistics.median(second)
    floor = empty + posts
    lines = [
        "machine: %s, %d cores, Python %s, ansible-core %s" % (platform.platform(), os.cpu_count(), platform.python_version(), ansible_core_version()),
        "scenario: a new project with %d secrets and one policy rule, simulator latency %.0f ms, median of %d runs"
        % (options.secrets, options.latency_ms, options.repeat),
        "",
        "%-40s %8s %36s %10s" % ("run", "wall s", "API calls", "x floor"),
        "%-40s %8.2f" % ("empty playbook", empty),
        "%-40s %8.2f %36s" % ("bare client: the POSTs one by one", posts, json.dumps(calls(post_counters))),
        "%-40s %8.2f %36s %10s" % ("floor (empty + POSTs)", floor, "", "1.00"),
        "%-40s %8.2f %36s %10.2f" % ("role, apply (new environment)", role_apply, json.dumps(calls(apply_counters)), role_apply / floor),
        "%-40s %8.2f %36s %10.2f" % ("role, check mode (new environment)", role_check, json.dumps(calls(check_counters)), role_check / floor),
        "%-40s %8.2f %36s %10.2f" % ("role, second apply (existing)", second_apply, "%d requests" % second_counters["total"], second_apply / floor),
        "",
    ]
    writes = apply_counters["writes"]
    targets = [
        ("apply within 2x of its floor", role_apply <= 2 * floor, "%.2fx" % (role_apply / floor)),
        ("apply writes only the minimum (1 + %d POSTs)" % options.secrets, writes == 1 + options.secrets, "%d writes" % writes),
        ("check mode writes nothing", check_counters["writes"] == 0, "%d writes" % check_counters["writes"]),
        ("second apply: changed=0, no write", second_counters["writes"] == 0 and second_counters["changed_0"], "%d writes" % second_counters["writes"]),
    ]
    lines += ["targets:"] + ["  %-52s %-8s %s" % (name, "MET" if met else "NOT MET", figure) for name, met, figure in targets]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
