"""Shapes a hostile API can send: real playbooks (and the event source) against the simulator's ``rewrite`` and ``status`` faults.

* a secret's ``created_by_agent`` that is not a boolean, under a ``created_by`` rule: a failed
  entry naming the field, no write to that secret, never a guess (the event source: one
  ``neo_error``, no drift);
* project ``tags`` that are not a list of strings under a ``project_tags`` rule: that scope is
  a failed entry naming the project, not read and not written, not silently dropped;
* a secret value that contains the API key, echoed back by an error with the credentials: the
  value goes whole (no ``PREFIX-********-SUFFIX``), at -vvvv, in ansible's log and in reports.

Each case asserts the task's result and message, the server's final state, the request
counters (no write to the failed secret or scope) and that no key or canary is anywhere.
"""
import json
import pathlib

import pytest

from tests.conftest import ALICE_KEY, POLICY_PRODUCTION, POLICY_RESEARCH, POLICY_STAGING, PROJECT_PRODUCTION
from tests.functional.test_hostile import (
    LEAKS,
    POLICY_TASK,
    SEEDED,
    assert_nothing_secret,
    assert_report,
    counts,
    role_failure,
    run_role,
)
from tests.unit.eda.test_neo_secret_events import run_source

PROD_DB = "5ec00000-0000-4000-8000-000000000111"
PROD_API = "5ec00000-0000-4000-8000-000000000112"
PROD_GITHUB = "5ec00000-0000-4000-8000-000000000113"
PROD_SLACK = "5ec00000-0000-4000-8000-000000000114"
RESEARCH_GITHUB = "5ec00000-0000-4000-8000-000000000131"
RESEARCH_KEY = "5ec00000-0000-4000-8000-000000000132"
PATCH = "PATCH /api/v1/secrets/{id}"

# rules[0] decides SLACK_* whoever made them; rules[1] covers the rest of Production for secrets people made.
CREATOR_RULES = [
    {"name": "slack off", "match": ["SLACK_*"], "projects": [POLICY_PRODUCTION], "default_available": False},
    {"name": "people off", "match": ["*"], "projects": [POLICY_PRODUCTION], "created_by": "user", "default_available": False},
]
TAG_RULES = [{"name": "production off", "match": ["*"], "project_tags": ["production"], "default_available": False}]


def rewrite(path, match_name=None, times=1000, method="GET", **keys):
    return dict(keys, kind="rewrite", method=method, path=path, match_name=match_name, times=times)


def log_size(sim):
    return pathlib.Path(sim.log_path).stat().st_size


def requests_since(sim, offset):
    """The simulator's request log lines (method, path with query) written after ``offset``."""
    with open(sim.log_path, "rb") as log:
        log.seek(offset)
        return [tuple(line.split()[1:3]) for line in log.read().decode("utf-8").splitlines()]


def entry_of(fact, secret_id=None, scope=None):
    return next(e for e in fact["entries"] if e["secret_id"] == secret_id and (secret_id is not None or e["project_id"] == scope))


# --------------------------------------------------------------------------- created_by_agent


SHAPES = [
    ("string", {"set": {"created_by_agent": "true"}}, "'true'"),
    ("number", {"set": {"created_by_agent": 1}}, "1"),
    ("null", {"set": {"created_by_agent": None}}, "null"),
    ("missing", {"unset": ["created_by_agent"]}, "missing"),
]


@pytest.mark.parametrize("keys,shown", [shape[1:] for shape in SHAPES], ids=[shape[0] for shape in SHAPES])
def test_created_by_agent_that_is_not_a_boolean_fails_that_secret_and_writes_nothing_to_it(policy_sim, run_playbook, tmp_path, keys, shown):
    # The API mangles the field for PROD_DB_PASSWORD (examined by the creator rule) and SLACK_WEBHOOK (decided by rules[0] first).
    policy_sim.faults(rewrite("/api/v1/secrets", "PROD_DB_PASSWORD", **keys), rewrite("/api/v1/secrets", "SLACK_WEBHOOK", **keys))
    offset = log_size(policy_sim)
    run = run_role(policy_sim, run_playbook, tmp_path, verbosity=4, neo_secret_policy_rules=CREATOR_RULES)
    fact = run.task(POLICY_TASK)
    error = "created_by_agent is %s, not a boolean: rule 'people off' (rules[1], created_by: user) cannot decide this secret" % shown
    assert role_failure(run) == "1 secret could not be decided; see entries"
    failed = entry_of(fact, PROD_DB)
    assert {key: failed[key] for key in ("project_id", "secret_name", "before", "after", "rule", "rule_name", "status", "error", "created_by_agent")} == {
        "project_id": POLICY_PRODUCTION, "secret_name": "PROD_DB_PASSWORD", "before": True, "after": None, "rule": 1, "rule_name": "people off",
        "status": "failed", "error": error, "created_by_agent": None}
    # Not examined by the creator rule: decided as always; examined with a boolean: decided by it.
    assert [(entry_of(fact, sid)["status"], entry_of(fact, sid)["rule"]) for sid in (PROD_SLACK, PROD_GITHUB, PROD_API)] == [
        ("changed", 0), ("changed", 1), ("compliant", 1)]
    assert counts(fact) == {"projects": 1, "checked": 4, "compliant": 1, "drifted": 2, "changed": 2, "failed": 1, "not_attempted": 0}
    # The server: the undecided secret untouched (no PATCH to it), the two others written once each.
    assert policy_sim.flags() == dict(SEEDED, **{PROD_SLACK: False, PROD_GITHUB: False})
    assert policy_sim.counters()["by_route"].get(PATCH) == 2
    patched = [path for method, path in requests_since(policy_sim, offset) if method == "PATCH"]
    assert sorted(patched) == sorted("/api/v1/secrets/" + sid for sid in (PROD_SLACK, PROD_GITHUB))
    document = assert_report(run, tmp_path, fact)
    assert document["failure"] == "1 secret could not be decided; see entries"
    assert error in run.stdout
    assert_nothing_secret(run, tmp_path, policy_sim)


def test_created_by_agent_not_a_boolean_in_check_mode_is_failed_not_drifted(policy_sim, run_playbook):
    policy_sim.faults(rewrite("/api/v1/secrets", "PROD_DB_PASSWORD", set={"created_by_agent": "yes"}))
    run = run_playbook(policy_sim, "secret_policy_module.yml", {"policy_rules": CREATOR_RULES, "policy_defer_failure": True}, check=True)
    assert run.rc == 0, run.stdout
    result = run.task("Apply the policy")
    assert result["policy_failed"] is True and result["msg"] == "1 secret could not be decided; see entries"
    failed = entry_of(result, PROD_DB)
    assert (failed["status"], failed["after"], failed["error"]) == (
        "failed", None, "created_by_agent is 'yes', not a boolean: rule 'people off' (rules[1], created_by: user) cannot decide this secret")
    assert result["summary"]["drifted"] == 2 and result["summary"]["failed"] == 1
    assert policy_sim.writes() == 0 and policy_sim.flags() == SEEDED
    for needle in LEAKS:
        assert needle not in run.stdout + run.stderr + json.dumps(run.results)


# --------------------------------------------------------------------------- project tags


TAG_SHAPES = [
    ("string", "production", "a string"),
    ("object", {"production": True}, "an object"),
    ("list-with-a-number", ["production", 7], "a list holding a number"),
]


@pytest.mark.parametrize("tags,shape", [shape[1:] for shape in TAG_SHAPES], ids=[shape[0] for shape in TAG_SHAPES])
def test_project_tags_that_are_not_a_list_of_strings_fail_that_scope_unread_and_unwritten(policy_sim, run_playbook, tmp_path, tags, shape):
    policy_sim.faults(rewrite("/api/v1/projects", "Production", set={"tags": tags}), rewrite("/api/v1/projects", "Research", set={"tags": ["production"]}))
    offset = log_size(policy_sim)
    run = run_role(policy_sim, run_playbook, tmp_path, verbosity=4, neo_secret_policy_rules=TAG_RULES)
    fact = run.task(POLICY_TASK)
    assert role_failure(run) == "1 scope could not be read; see entries"
    scope = entry_of(fact, scope=POLICY_PRODUCTION)
    assert (scope["project_name"], scope["status"], scope["error"]) == (
        "Production", "failed",
        "project %s (Production): the API sent tags that are %s, not a list of strings: project_tags cannot be decided for it" % (POLICY_PRODUCTION, shape))
    assert sorted((e["secret_id"], e["status"]) for e in fact["entries"] if e["secret_id"]) == [(RESEARCH_GITHUB, "changed"), (RESEARCH_KEY, "changed")]
    assert counts(fact) == {"projects": 2, "checked": 2, "compliant": 0, "drifted": 2, "changed": 2, "failed": 1, "not_attempted": 0}
    # Production is neither read nor written; Staging (no tags) is not covered.
    assert policy_sim.flags() == dict(SEEDED, **{RESEARCH_GITHUB: False, RESEARCH_KEY: False})
    logged = requests_since(policy_sim, offset)
    assert not [path for _method, path in logged if POLICY_PRODUCTION in path or POLICY_STAGING in path]
    assert sorted(path for method, path in logged if method == "PATCH") == sorted("/api/v1/secrets/" + sid for sid in (RESEARCH_GITHUB, RESEARCH_KEY))
    assert {path.split("&")[0] for method, path in logged if method == "GET" and path.startswith("/api/v1/secrets")} == {
        "/api/v1/secrets?project_id=" + POLICY_RESEARCH}
    assert_report(run, tmp_path, fact)
    assert_nothing_secret(run, tmp_path, policy_sim)


def test_neo_project_sends_the_wanted_tags_when_the_listed_ones_are_not_all_strings(sim, run_playbook):
    # Before, ["prod", 7] was read as {"prod"}: the same as wanted, so nothing was sent and the bad tag stayed.
    sim.faults(rewrite("/api/v1/projects", "Production", times=1, set={"tags": ["prod", 7]}))
    run = run_playbook(sim, "neo_project.yml", {"project_id": PROJECT_PRODUCTION, "project_tags": ["prod"]}, diff=True)
    assert run.rc == 0, run.stdout
    result = run.task("Neo_project under test")
    assert result["changed"] is True
    assert sim.counters()["by_route"].get("PATCH /api/v1/projects/{id}") == 1
    assert next(p for p in sim.state()["projects"] if p["id"] == PROJECT_PRODUCTION)["tags"] == ["prod"]
    assert not [needle for needle in LEAKS if needle in run.stdout + run.stderr + json.dumps(run.results)]


# --------------------------------------------------------------------------- a value that holds the API key


VALUE_AROUND_KEY = "VALPREFIX7-%s-VALSUFFIX7" % ALICE_KEY


def test_a_value_holding_the_api_key_is_masked_whole_when_an_error_echoes_it(sim, run_playbook, tmp_path):
    sim.faults({"kind": "status", "status": 400, "method": "POST", "path": "/api/v1/secrets", "echo_body": True, "echo_credentials": True, "times": 1})
    values = tmp_path / "vars.json"
    values.write_text(json.dumps({"secret_name": "LEAK_TEST_AROUND_KEY", "secret_value": VALUE_AROUND_KEY, "default_available": False}))
    log = tmp_path / "ansible.log"
    run = run_playbook(sim, "neo_secret.yml", None, verbosity=4, args=["-e", "@" + str(values)], extra_env={"ANSIBLE_LOG_PATH": str(log)})
    assert run.rc == 2
    assert run.status("Neo_secret under test") == "failed"
    message = run.task("Neo_secret under test")["msg"]
    # The echoed credentials and body are there, each masked whole.
    assert message.startswith("Neo API 400 invalid_request (error_id ")
    assert message.endswith('invalid request: denied for X-Api-Key: ********; refused body {"name": "LEAK_TEST_AROUND_KEY", "value": "********", '
                            '"default_available": false}')
    texts = {"stdout": run.stdout, "stderr": run.stderr, "results": json.dumps(run.results), "log": log.read_text(),
             "simulator log": pathlib.Path(sim.log_path).read_text(encoding="utf-8")}
    for where, text in texts.items():
        for needle in (VALUE_AROUND_KEY, "VALPREFIX7", "VALSUFFIX7") + LEAKS:
            assert needle not in text, "%s holds %r" % (where, needle)
    # One POST, refused: nothing was created and nothing was sent again.
    assert sim.counters()["by_route"].get("POST /api/v1/secrets") == 1
    assert "LEAK_TEST_AROUND_KEY" not in {secret["name"] for secret in sim.state()["secrets"]}


# --------------------------------------------------------------------------- the event source


AGENT_RULES = [{"name": "agents off", "match": ["PROD_*"], "projects": ["Production"], "created_by": "agent", "default_available": False}]


def test_event_source_reports_one_error_and_no_drift_for_created_by_agent_that_is_not_a_boolean(sim):
    sim.faults(rewrite("/api/v1/secrets", "PROD_DB_PASSWORD", times=2, set={"created_by_agent": "true"}))
    events, _waits = run_source(sim, 3, projects=["Production"], personal=False, rules=AGENT_RULES)
    errors = [event["neo_error"] for event in events if "neo_error" in event]
    assert errors == [{"message": "secret PROD_DB_PASSWORD in project %s (Production): created_by_agent is 'true', not a boolean: rule 'agents off' "
                                  "(rules[0], created_by: agent) cannot decide this secret" % PROJECT_PRODUCTION, "status": None}]
    # The two failed polls emit nothing else; the third (the field a boolean again) is the baseline: no drift for a person's secret.
    assert [next(iter(event)) for event in events] == ["neo_error", "neo_recovered"]
    assert sim.writes() == 0
    assert not [text for text in (json.dumps(events),) for needle in LEAKS if needle in text]


def test_event_source_reports_one_error_for_project_tags_that_are_not_a_list(sim):
    sim.faults(rewrite("/api/v1/projects", "Production", times=1, set={"tags": "prod"}))
    rules = [{"name": "prod off", "match": ["*"], "project_tags": ["prod"], "default_available": False}]
    events, _waits = run_source(sim, 2, projects=["Production"], personal=False, rules=rules)
    assert events[0] == {"neo_error": {"message": "project %s (Production): the API sent tags that are a string, not a list of strings: project_tags "
                                                  "cannot be decided for it" % PROJECT_PRODUCTION, "status": None}}
    # Once the tags are a list again, the scope is decided: its drift is reported (never before).
    assert next(iter(events[1])) == "neo_recovered"
    assert {event["neo_secret"]["type"] for event in events[2:]} == {"drift"}
    assert sim.writes() == 0
    assert not [needle for needle in LEAKS if needle in json.dumps(events)]
