"""Leak canary: no secret value and no credential ever leaves the collection.

Every seeded secret value and every API key / token of the test seeds contains the string
CANARY (tests/conftest.py), and values this file creates do too. Representative playbooks of the
whole suite (each module and the role; check and apply; successful, failing, bad-input and
fault cases) run here at -vvvv with --diff, plus the role as an AWX job through ansible-runner.
What is scanned: stdout, stderr, every task result as a callback receives it, the role's JSON
report, ansible-runner's artifacts and the simulator's own request log. Zero hits allowed;
masked values (first 3 + bullets + last 4 characters) may appear and do.
"""
import json
import os
import pathlib
import shutil
import sys

import pytest
import yaml

from tests.conftest import (
    ALICE_KEY,
    ALICE_TOKEN,
    ANSIBLE_COLLECTIONS_ROOT,
    CANARY,
    POLICY_SEED,
    PROJECT_RED_TEAM,
    SECRET_PROD_AWS,
)

PLAYBOOKS = pathlib.Path(__file__).resolve().parent / "playbooks"
CREATED_VALUE = "CANARY-created-by-the-leak-test-0001"
RULES = [
    {"match": ["PROD_*"], "personal": True, "default_available": False},
    {"match": ["GITHUB_TOKEN"], "projects": ["Staging"], "default_available": True},
    {"match": ["GITHUB_TOKEN", "SLACK_*"], "default_available": False},
]
PROD_DB_POLICY = "5ec00000-0000-4000-8000-000000000111"


def assert_no_leak(where, text):
    for needle in (CANARY, ALICE_KEY, ALICE_TOKEN, CREATED_VALUE, "aliceCANARY"):
        assert needle not in text, "%s leaks %r" % (where, needle)


def scan_run(run, sim):
    assert_no_leak("stdout", run.stdout)
    assert_no_leak("stderr", run.stderr)
    assert_no_leak("task results", json.dumps(run.results))
    assert_no_leak("simulator log", pathlib.Path(sim.log_path).read_text(encoding="utf-8"))
    assert "Traceback" not in run.stdout + run.stderr


def run_quietly(run_playbook, sim, tmp_path, playbook, extra_vars, **kwargs):
    """run_playbook with the extra vars in a file (-e @file): at -vvvv ansible-playbook prints its
    command line, which is where a user who puts a secret on it would see it again."""
    path = tmp_path / ("vars-%d.json" % len(list(tmp_path.glob("vars-*.json"))))
    path.write_text(json.dumps(extra_vars))
    return run_playbook(sim, playbook, None, args=["-e", "@" + str(path)], **kwargs)


def policy_seed(sim):
    sim.load_seed(POLICY_SEED)
    sim.configure(pagination="offset", page_size=2)


# (id, setup(sim), playbook, extra vars, check, expect success, extra env)
SECRET = "neo_secret.yml"
SCENARIOS = [
    ("secret-by-name", None, SECRET, {"secret_name": "GITHUB_TOKEN", "default_available": False}, None),
    ("secret-by-id-any-scope", None, SECRET, {"secret_id": SECRET_PROD_AWS, "default_available": True}, None),
    ("secret-token-in-task", None, SECRET, {"secret_name": "SLACK_WEBHOOK", "default_available": True, "neo_api_token": ALICE_TOKEN}, None),
    ("secret-key-in-task-bad-url", None, SECRET, {"secret_name": "SLACK_WEBHOOK", "default_available": True, "neo_api_key": ALICE_KEY,
                                                  "neo_api_url": "ftp://neo.example.test"}, None),
    ("secret-create-with-value", None, SECRET, {"secret_name": "LEAK_TEST_CREATED", "secret_value": CREATED_VALUE, "default_available": True}, None),
    ("secret-value-for-existing", None, SECRET, {"secret_name": "GITHUB_TOKEN", "secret_value": CREATED_VALUE, "default_available": True}, None),
    ("secret-value-over-long", None, SECRET, {"secret_name": "LEAK_TEST_LONG", "secret_value": CREATED_VALUE * 300, "default_available": True}, None),
    ("secret-create-500-then-relist", lambda sim: sim.faults({"kind": "status", "status": 500, "method": "POST", "times": 1}),
     SECRET, {"secret_name": "LEAK_TEST_500", "secret_value": CREATED_VALUE, "default_available": True}, None),
    ("secret-create-redirected", lambda sim: sim.faults({"kind": "redirect", "method": "POST", "times": 1}),
     SECRET, {"secret_name": "LEAK_TEST_REDIRECT", "secret_value": CREATED_VALUE, "default_available": True}, None),
    ("secret-create-dropped", lambda sim: sim.faults({"kind": "drop", "method": "POST", "times": 1}),
     SECRET, {"secret_name": "LEAK_TEST_DROP", "secret_value": CREATED_VALUE, "default_available": True}, None),
    ("secret-create-400-echoing-the-body",
     lambda sim: sim.faults({"kind": "status", "status": 400, "method": "POST", "path": "/api/v1/secrets", "echo_body": True, "times": 1}),
     SECRET, {"secret_name": "LEAK_TEST_ECHO", "secret_value": CREATED_VALUE + "\n  second line", "default_available": True}, None),
    ("secret-forbidden", None, SECRET, {"secret_name": "C2_API_KEY", "project_id": PROJECT_RED_TEAM, "default_available": False}, None),
    ("secret-bad-name", None, SECRET, {"secret_name": "bad name", "default_available": False}, None),
    ("secret-wrong-key", None, SECRET, {"secret_name": "GITHUB_TOKEN", "default_available": False}, {"NEO_API_KEY": "neo_sk_wrongCANARYkey00000000000000000"}),
    ("secret-both-credentials", None, SECRET, {"secret_name": "GITHUB_TOKEN", "default_available": False}, {"NEO_API_TOKEN": ALICE_TOKEN}),
    ("secret-429-exhausted", lambda sim: sim.faults({"kind": "status", "status": 429, "retry_after": "0", "times": 10}),
     SECRET, {"secret_name": "GITHUB_TOKEN", "default_available": False, "neo_retries": 1}, None),
    ("secret-malformed", lambda sim: sim.faults({"kind": "malformed", "method": "GET", "times": 1}),
     SECRET, {"secret_name": "GITHUB_TOKEN", "default_available": False}, None),
    ("secret-unknown-envelope", lambda sim: sim.faults({"kind": "unknown_envelope", "times": 1}),
     SECRET, {"secret_name": "GITHUB_TOKEN", "default_available": False}, None),
    ("secret-dropped-patch", lambda sim: sim.faults({"kind": "drop", "method": "PATCH", "times": 10}),
     SECRET, {"secret_name": "GITHUB_TOKEN", "default_available": False, "neo_retries": 1}, None),
    ("info-modules", None, "info.yml", {"run_project_info": True, "run_secret_info": True, "projects": ["*"], "personal": True}, None),
    ("info-forbidden-project", None, "info.yml", {"run_secret_info": True, "project_id": PROJECT_RED_TEAM}, None),
    ("module-defaults", None, "module_defaults.yml", {"neo_api_key": ALICE_KEY}, None),
    ("role-key-as-variable", policy_seed, "secret_policy.yml",
     {"neo_secret_policy_rules": RULES, "neo_api_key": ALICE_KEY, "neo_secret_policy_list_compliant": True}, None),
    ("role-patch-fault",
     lambda sim: (policy_seed(sim), sim.faults({"kind": "status", "status": 503, "method": "PATCH", "path": "/api/v1/secrets/" + PROD_DB_POLICY, "times": 10})),
     "secret_policy_tuned.yml", {"neo_secret_policy_rules": RULES, "neo_retries": 1}, None),
    ("role-bad-rule", policy_seed, "secret_policy.yml",
     {"neo_secret_policy_rules": [{"match": ["X"], "colour": "red", "default_available": False}], "neo_api_key": ALICE_KEY}, None),
]


# Check mode too where it takes another path (a write that is only predicted).
IN_CHECK_MODE_TOO = {"secret-by-name", "secret-create-with-value", "secret-value-for-existing", "info-modules", "role-key-as-variable"}
MATRIX = [(scenario, check) for scenario in SCENARIOS for check in ((False, True) if scenario[0] in IN_CHECK_MODE_TOO else (False,))]


@pytest.mark.parametrize("scenario,check", MATRIX, ids=["%s-%s" % (s[0], "check" if c else "apply") for s, c in MATRIX])
def test_nothing_secret_at_vvvv_with_diff(sim, run_playbook, tmp_path, scenario, check):
    _case_id, setup, playbook, extra_vars, extra_env = scenario
    if playbook == "module_defaults.yml":
        extra_vars = dict(extra_vars, neo_api_url=sim.url)
    if setup is not None:
        setup(sim)
    run = run_quietly(run_playbook, sim, tmp_path, playbook, extra_vars, check=check, diff=True, verbosity=4, extra_env=extra_env)
    assert run.results, run.stdout  # the playbook really ran tasks
    scan_run(run, sim)


def test_masked_values_and_results_are_really_shown(sim, run_playbook):
    """The scans above look at real output: results, with masked values, are in it."""
    run = run_playbook(sim, "info.yml", {"run_secret_info": True, "personal": True}, diff=True, verbosity=4)
    assert run.rc == 0
    assert "masked_value" in run.stdout
    assert "\\u2022" in run.stdout or "\u2022" in run.stdout  # bullets of a mask, escaped or not
    scan_run(run, sim)


def test_role_report_json_has_no_value(sim, run_playbook, tmp_path):
    policy_seed(sim)
    for check in (True, False):
        report = tmp_path / ("report-%s.json" % check)
        run = run_quietly(run_playbook, sim, tmp_path, "secret_policy.yml", {"neo_secret_policy_rules": RULES, "neo_secret_policy_report_path": str(report),
                                                                             "neo_secret_policy_list_compliant": True}, check=check, diff=True, verbosity=4)
        text = report.read_text()
        assert "PROD_DB_PASSWORD" in text  # a real report
        assert_no_leak("report %s" % report.name, text)
        scan_run(run, sim)


def test_ansible_runner_job_artifacts(sim, tmp_path, monkeypatch):
    """The role as an AWX job: credential in the environment, -vvvv, --diff, a failing secret."""
    ansible_runner = pytest.importorskip("ansible_runner")
    for name in list(os.environ):
        if name.startswith("NEO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PATH", str(pathlib.Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    policy_seed(sim)
    sim.faults({"kind": "status", "status": 500, "method": "PATCH", "path": "/api/v1/secrets/" + PROD_DB_POLICY, "times": 10})
    root = tmp_path / "job"
    (root / "project").mkdir(parents=True)
    shutil.copy(PLAYBOOKS / "secret_policy_tuned.yml", root / "project" / "policy.yml")
    (root / "inventory").mkdir()
    (root / "inventory" / "hosts").write_text('localhost ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"\n')
    (root / "env").mkdir()
    (root / "env" / "envvars").write_text(yaml.safe_dump({"NEO_API_URL": sim.url, "NEO_API_KEY": ALICE_KEY,
                                                          "ANSIBLE_COLLECTIONS_PATH": str(ANSIBLE_COLLECTIONS_ROOT)}))
    (root / "env" / "extravars").write_text(yaml.safe_dump({"neo_secret_policy_rules": RULES, "neo_retries": 1,
                                                            "neo_secret_policy_list_compliant": True}))
    (root / "env" / "settings").write_text(yaml.safe_dump({"process_isolation": False, "job_timeout": 300}))
    (root / "env" / "cmdline").write_text("--diff")

    runner = ansible_runner.run(private_data_dir=str(root), playbook="policy.yml", verbosity=4, quiet=True)
    stdout = runner.stdout.read()
    assert runner.status == "failed", stdout  # the faulted secret fails the role at the end
    assert "PROD_DB_PASSWORD" in stdout
    assert sim.counters()["writes"] > 0

    artifacts = pathlib.Path(runner.config.artifact_dir)
    files = [path for path in artifacts.rglob("*") if path.is_file()]
    assert any(path.parent.name == "job_events" for path in files)
    for path in files:
        if path.name == "command" and path.parent == artifacts:
            continue  # ansible-runner's copy of its input (the environment it was given), not output
        assert_no_leak("runner artifact %s" % path.relative_to(artifacts), path.read_text(errors="replace"))
    assert_no_leak("simulator log", pathlib.Path(sim.log_path).read_text(encoding="utf-8"))
