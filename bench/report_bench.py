"""Benchmark of the policy's plan and report files in one process, without Ansible or HTTP. Not a test: `make bench`.

Scenario: the simulator's seed of 100 projects x 100 secrets (--drift drifted), one rule
``match: ["*"]``, check mode, the records as the client returns them. In one run it measures:

- the baseline a straightforward renderer would be: the plan with every secret an entry, and
  the JSON lines written by ``json.dumps`` for each entry;
- the plan as the action makes it for the report files (compliant secrets as compact rows,
  ``Plan.rows``) and as it makes it for the task result alone (compliant secrets only counted);
- the JSON, JUnit and Markdown files from the compact plan.

Each timing is the shortest of --repeat rounds, each round running every measurement once
(interleaved): the machine's slower spells only ever add time.
"""
import argparse
import json
import os
import pathlib
import platform
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "build" / "collections"))

# pylint: disable=wrong-import-position
from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_policy as policy  # noqa: E402
from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_reports as reports  # noqa: E402
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ProjectDirectory  # noqa: E402
from neo_simulator.seed import generate_seed  # noqa: E402


def scenario(projects, secrets_per_project, drift):
    """(rules, scopes, secrets by scope) of the seed, each record as the API lists it (no value)."""
    seed = generate_seed(projects=projects, secrets_per_project=secrets_per_project, personal=0, drift=drift, rng_seed=1)
    records = {}
    for record in seed["secrets"]:
        records.setdefault(record["project_id"], []).append({key: value for key, value in record.items() if key != "value"})
    rules = policy.normalize_rules([{"match": ["*"], "default_available": False}])
    scopes = policy.plan_scopes(rules, ProjectDirectory(seed["projects"]), "rules")
    return rules, scopes, records


def document_of(rules, plan):
    entries = policy.apply_results(plan, {}, check_mode=True)
    return {"generated_at": "2026-11-29T00:00:00Z", "mode": "check", "failure": None, "rules": policy.rules_report(rules, plan),
            "summary": policy.summarize(entries, plan.projects_count, plan.compliant_unlisted), "exceptions": [], "entries": entries}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--secrets-per-project", type=int, default=100)
    parser.add_argument("--drift", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=25)
    options = parser.parse_args()

    rules, scopes, records = scenario(options.projects, options.secrets_per_project, options.drift)
    listed = policy.build_plan(rules, scopes, records, list_compliant=True)
    compact = policy.build_plan(rules, scopes, records, list_compliant=False, compact_compliant=True)
    listed_document, compact_document = document_of(rules, listed), document_of(rules, compact)
    shapes = policy.entry_shapes(compact, compact_document["entries"])
    json_text = reports.render_json(compact_document, shapes, compact.rows)
    if json_text != reports.render_json(listed_document):
        raise SystemExit("the JSON report from compact rows differs from the one from listed entries")

    measurements = {
        "baseline: plan, every secret an entry": lambda: policy.build_plan(rules, scopes, records, list_compliant=True),
        "baseline: JSON lines by json.dumps": lambda: [json.dumps(entry) for entry in listed_document["entries"]],
        "plan for the task result only": lambda: policy.build_plan(rules, scopes, records, list_compliant=False),
        "plan with compact rows": lambda: policy.build_plan(rules, scopes, records, list_compliant=False, compact_compliant=True),
        "JSON file from the rows": lambda: reports.render_json(compact_document, shapes, compact.rows),
        "JUnit file from the rows": lambda: reports.render_junit(compact_document, shapes, compact.rows),
        "Markdown file": lambda: reports.render_markdown(compact_document),
    }
    best = dict.fromkeys(measurements, float("inf"))
    for _unused in range(options.repeat):
        for name, measure in measurements.items():
            started = time.perf_counter()
            measure()
            best[name] = min(best[name], time.perf_counter() - started)

    total = options.projects * options.secrets_per_project
    baseline = best["baseline: plan, every secret an entry"] + best["baseline: JSON lines by json.dumps"]
    ours = best["plan with compact rows"] + best["JSON file from the rows"]
    lines = [
        "machine: %s, %d cores, Python %s" % (platform.platform(), os.cpu_count(), platform.python_version()),
        "scenario: %d secrets, %d drifted, check mode, shortest of %d rounds"
        % (total, sum(1 for entry in listed.entries if entry["status"] == policy.STATUS_DRIFTED), options.repeat),
        "",
        "%-42s %8s" % ("run", "ms"),
    ]
    lines += ["%-42s %8.1f" % (name, 1000 * seconds) for name, seconds in best.items()]
    lines += [
        "",
        "plan and JSON file: %.2fx the baseline's time (%.1f ms against %.1f ms)" % (ours / baseline, 1000 * ours, 1000 * baseline),
        "what keeping the compliant secrets for the files adds to the plan: %.1f ms"
        % (1000 * (best["plan with compact rows"] - best["plan for the task result only"])),
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
