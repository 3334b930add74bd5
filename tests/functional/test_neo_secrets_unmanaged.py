"""neo_secrets names the scope's secrets its list does not declare, and neo_secret names the secret whose value it kept.

Real playbooks at -vvvv with --diff against the simulator, scanned for values and keys: the
``unmanaged`` result (names only), the ``unmanaged`` option (ignore, warn, fail before any write,
in check mode too), the contradicting-rule warning with a rule that needs the project's tags,
and the one warning for values that were not sent.
"""
import pytest

from tests.conftest import PROJECT_PRODUCTION, PROJECT_STAGING
from tests.functional.test_leaks import run_quietly, scan_run

PLAYBOOK = "neo_secrets_unmanaged.yml"
TASK = "Neo_secrets with unmanaged"
SECRET_TASK = "Neo_secret under test"
NOT_SENT = "so its value was not compared or sent (the Neo API can neither read nor change a secret's value)"


def run(sim, run_playbook, tmp_path, variables, check=False):
    result = run_quietly(run_playbook, sim, tmp_path, PLAYBOOK, variables, verbosity=4, diff=True, check=check)
    assert result.results, result.stdout
    scan_run(result, sim)
    return result


def flags(sim, project_id):
    return {s["name"]: s["default_available"] for s in sim.state()["secrets"] if s["project_id"] == project_id}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_unmanaged_fail_fails_after_the_read_before_any_write_naming_the_secrets(sim, run_playbook, tmp_path, check_mode):
    before = sim.state()["secrets"]
    # PROD_DB_PASSWORD's flag differs and NEW_KEY is missing: both would be written, but nothing is.
    variables = {"project": "Production", "unmanaged": "fail",
                 "secrets": [{"name": "PROD_DB_PASSWORD", "default_available": False}, {"name": "NEW_KEY", "value": "CANARY-unmanaged-0001"}]}
    result = run(sim, run_playbook, tmp_path, variables, check=check_mode)
    assert result.rc != 0 and result.status(TASK) == "failed"
    task = result.task(TASK)
    assert task["msg"] == ("project %s holds 2 secrets not in the list: AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN (unmanaged: fail); nothing was written"
                           % PROJECT_PRODUCTION)
    assert sim.counters()["by_route"] == {"GET /api/v1/projects": 1, "GET /api/v1/secrets": 1}
    assert sim.state()["secrets"] == before


@pytest.mark.parametrize("mode", ["ignore", "warn"])
def test_unmanaged_is_returned_sorted_and_warned_about_once_when_asked(sim, run_playbook, tmp_path, mode):
    variables = {"project": PROJECT_PRODUCTION, "unmanaged": mode, "secrets": [{"name": "PROD_DB_PASSWORD", "default_available": False}]}
    result = run(sim, run_playbook, tmp_path, variables)
    assert result.rc == 0, result.stdout
    task = result.task(TASK)
    assert task["unmanaged"] == ["AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"]
    warning = "project %s holds 2 secrets not in the list: AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN" % PROJECT_PRODUCTION
    assert task.get("warnings", []) == ([warning] if mode == "warn" else [])
    # The listed secret was still handled; the others were neither written nor decided.
    assert (task["changed"], sim.counters()["by_route"]) == (True, {"GET /api/v1/secrets": 1, "PATCH /api/v1/secrets/{id}": 1})
    assert flags(sim, PROJECT_PRODUCTION) == {"PROD_DB_PASSWORD": False, "AWS_SECRET_ACCESS_KEY": False, "GITHUB_TOKEN": True}


def test_the_default_is_ignore_and_a_new_project_holds_nothing(sim, run_playbook, tmp_path):
    personal = run(sim, run_playbook, tmp_path, {"secrets": [{"name": "GITHUB_TOKEN", "default_available": True}]})
    assert personal.rc == 0 and personal.task(TASK)["unmanaged"] == ["SLACK_WEBHOOK"] and "warnings" not in personal.task(TASK)
    pending = run(sim, run_playbook, tmp_path, {"project": "Not Yet", "unmanaged": "fail", "secrets": [{"name": "A", "value": "CANARY-unmanaged-0002"}]},
                  check=True)
    assert pending.rc == 0, pending.stdout
    assert pending.task(TASK)["unmanaged"] == [] and pending.task(TASK)["summary"]["created"] == ["A"]
    assert sim.writes() == 0


def test_a_rule_limited_to_project_tags_counts_only_for_a_project_with_one_of_them(sim, run_playbook, tmp_path):
    """Production is tagged prod, Staging has no tag: the same rules contradict a listed flag only in Production."""
    rules = [{"name": "prod is opt-in", "match": ["*"], "project_tags": ["prod"], "default_available": False}]
    secrets = [{"name": "GITHUB_TOKEN", "default_available": True}]
    production = run(sim, run_playbook, tmp_path, {"project": PROJECT_PRODUCTION, "secrets": secrets, "policy_rules": rules}, check=True)
    assert production.task(TASK)["warnings"] == [
        "1 listed secret contradicts the rules, and the listed flag is applied: GITHUB_TOKEN is listed with default_available true, "
        "but policy_rules[0] (prod is opt-in) would set false"]
    staging = run(sim, run_playbook, tmp_path, {"project": PROJECT_STAGING, "secrets": secrets, "policy_rules": rules}, check=True)
    assert staging.rc == 0 and "warnings" not in staging.task(TASK)
    # The project list is read only because a rule names project tags; nothing is written.
    assert sim.counters()["by_route"] == {"GET /api/v1/projects": 2, "GET /api/v1/secrets": 2} and sim.writes() == 0


BAD_OPTIONS = [
    ({"policy_rules": [{"match": ["a b"], "default_available": True}]}, "policy_rules[0].match[0]: 'a b' can never match a secret name"),
    ({"policy_rules": [{"match": ["A"]}]}, "missing required arguments: default_available found in policy_rules"),
    ({"unmanaged": "delete"}, "value of unmanaged must be one of: ignore, warn, fail, got: delete"),
]


@pytest.mark.parametrize("options,fragment", BAD_OPTIONS, ids=["glob", "rule-key", "unmanaged"])
def test_a_bad_policy_rule_or_unmanaged_value_is_named_by_this_modules_option_before_any_request(sim, run_playbook, tmp_path, options, fragment):
    result = run(sim, run_playbook, tmp_path, dict({"project": PROJECT_STAGING, "secrets": [{"name": "A"}]}, **options))
    assert result.rc != 0
    assert fragment in result.task(TASK)["msg"] and "\n" not in result.task(TASK)["msg"], result.task(TASK)["msg"]
    assert sim.counters()["total"] == 0


def test_neo_secret_names_the_secret_whose_value_it_did_not_send_once(sim, run_playbook, tmp_path):
    result = run_quietly(run_playbook, sim, tmp_path, "neo_secret.yml",
                         {"secret_name": "GITHUB_TOKEN", "secret_value": "CANARY-unmanaged-0003", "default_available": True})
    assert result.rc == 0, result.stdout
    scan_run(result, sim)
    assert result.task(SECRET_TASK)["warnings"] == ["1 secret exists, %s: GITHUB_TOKEN" % NOT_SENT]
    assert sum(line.startswith("[WARNING]: 1 secret exists, so its value") for line in result.stdout.splitlines() + result.stderr.splitlines()) == 1
    assert sim.writes() == 0


def test_neo_secrets_says_once_which_values_it_did_not_send(sim, run_playbook, tmp_path):
    listed = [{"name": "PROD_DB_PASSWORD", "value": "CANARY-unmanaged-0004", "default_available": True},
              {"name": "GITHUB_TOKEN", "value": "CANARY-unmanaged-0005", "default_available": True}]
    variables = {"project": PROJECT_PRODUCTION, "secrets": listed}
    result = run(sim, run_playbook, tmp_path, variables)
    assert result.rc == 0 and result.task(TASK)["changed"] is False
    assert result.task(TASK)["warnings"] == [
        "2 secrets exist, so their values were not compared or sent (the Neo API can neither read nor change a secret's value): "
        "PROD_DB_PASSWORD, GITHUB_TOKEN"]
    assert sum(line.startswith("[WARNING]: 2 secrets exist") for line in result.stdout.splitlines() + result.stderr.splitlines()) == 1
    assert sim.writes() == 0
