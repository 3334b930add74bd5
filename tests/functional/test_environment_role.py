"""The role projectdiscovery.neo.environment through ansible-playbook against the simulator.

The 4-step pattern (check, apply, check, apply: changed, changed, unchanged, unchanged with zero
writes) on a new and on an existing environment, every run at -vvvv with --diff and scanned for
the secret values (each contains CANARY), as are a run whose POST the API refuses with an error
echoing the request body, check mode on a project that does not exist yet, the connection
variables, and bad input.
"""
import json

import pytest

from tests.conftest import ALICE_KEY, CANARY, PROJECT_PRODUCTION, PROJECT_STAGING, PROJECT_STAGING_2
from tests.functional.test_leaks import scan_run

PLAYBOOK = "environment.yml"
ROLE = "projectdiscovery.neo.environment : "
PROJECT_TASK = ROLE + "Ensure the project"
SECRETS_TASK = ROLE + "Ensure the secrets and their default availability"
POLICY_TASK = ROLE + "Apply the policy rules to the project's other secrets"
RESULT_TASK = ROLE + "Register neo_environment_result"
REPORT_TASK = ROLE + "Report the environment"
MODULE_TASKS = (PROJECT_TASK, SECRETS_TASK, POLICY_TASK)
NEW_ID = "cccccccc-0000-4000-8000-000000000001"

NEW_ENVIRONMENT = {
    "neo_environment_project": {"id": NEW_ID, "name": "Payments", "tags": ["pci", "payments"], "settings_md": "# Payments\nNo card data.\n",
                                "shared_with_team": False},
    "neo_environment_secrets": [
        {"name": "DB_PASSWORD", "value": "CANARY-env-db-password-0001", "default_available": False},
        {"name": "API_TOKEN", "value": "CANARY-env-api-token-0002", "default_available": True},
        {"name": "DEPLOY_KEY", "value": "CANARY multi-line\nenv deploy key 0003"},
    ],
    "neo_environment_policy_rules": [{"name": "everything else is opt-in", "match": ["*"], "default_available": False}],
}
NAMES = ["DB_PASSWORD", "API_TOKEN", "DEPLOY_KEY"]
NO_SECRETS = {"created": [], "changed": [], "unchanged": [], "failed": [], "values_not_sent": []}


def run_role(run_playbook, sim, tmp_path, variables, **kwargs):
    """The role with its variables in a file (at -vvvv ansible-playbook prints its command line), scanned for leaks."""
    path = tmp_path / ("environment-%d.json" % len(list(tmp_path.glob("environment-*.json"))))
    path.write_text(json.dumps(variables))
    kwargs.setdefault("verbosity", 4)
    kwargs.setdefault("diff", True)
    run = run_playbook(sim, PLAYBOOK, None, args=["-e", "@" + str(path)] + list(kwargs.pop("args", ())), **kwargs)
    assert run.results, run.stdout
    scan_run(run, sim)
    return run


def fact(run):
    return run.task(RESULT_TASK)["ansible_facts"]["neo_environment_result"]


def changed_tasks(run):
    return [entry["task"] for entry in run.results if entry["result"].get("changed")]


def flags(sim, project_id):
    return {s["name"]: s["default_available"] for s in sim.state()["secrets"] if s["project_id"] == project_id}


def warnings_in_output(run, start):
    """How many warnings ansible-playbook printed that start with ``start`` (a long warning is wrapped, its start is not)."""
    return sum(1 for line in run.stdout.splitlines() + run.stderr.splitlines() if line.startswith("[WARNING]: " + start))


# API_TOKEN is listed as available in every task; the rule the project's other secrets get says opt-in.
CONTRADICTION = ("1 listed secret contradicts the rules, and the listed flag is applied: API_TOKEN is listed with default_available true, "
                 "but policy_rules[0] (everything else is opt-in) would set false")
VALUES_NOT_SENT = ("3 secrets exist, so their values were not compared or sent (the Neo API can neither read nor change a secret's value): "
                   "DB_PASSWORD, API_TOKEN, DEPLOY_KEY")


def test_new_environment_four_steps(sim, run_playbook, tmp_path):
    check = run_role(run_playbook, sim, tmp_path, NEW_ENVIRONMENT, check=True)
    assert check.rc == 0, check.stdout
    assert sim.writes() == 0
    # changed: the run would create the project and every secret.
    assert fact(check) == {"project_id": NEW_ID, "project_name": "Payments", "created": True, "changed": True,
                           "secrets": dict(NO_SECRETS, created=NAMES), "unmanaged": [], "policy": None}
    assert check.task(SECRETS_TASK)["warnings"] == [CONTRADICTION]
    assert changed_tasks(check) == [PROJECT_TASK, SECRETS_TASK]
    assert check.status(POLICY_TASK) == "skipped"  # the project does not exist yet: it would hold only the listed secrets
    assert check.task(REPORT_TASK)["msg"] == ["project %s (Payments): would be created" % NEW_ID, "secrets: 3 to create, 0 flags to change, 0 unchanged"]
    assert "DEPLOY_KEY: would be created (default_available false)" in check.stdout  # --diff

    apply = run_role(run_playbook, sim, tmp_path, NEW_ENVIRONMENT)
    assert apply.rc == 0, apply.stdout
    assert sim.counters()["by_route"] == {"GET /api/v1/projects": 3, "POST /api/v1/projects": 1, "GET /api/v1/secrets": 3, "POST /api/v1/secrets": 3}
    result = fact(apply)
    assert (result["created"], result["changed"], result["secrets"], result["unmanaged"]) == (True, True, dict(NO_SECRETS, created=NAMES), [])
    # The declaration wins over the contradicting rule (said once); nothing existed, so no value was withheld.
    assert apply.task(SECRETS_TASK)["warnings"] == [CONTRADICTION]
    assert warnings_in_output(apply, "1 listed secret contradicts the rules") == 1
    assert {key: result["policy"][key] for key in ("projects", "checked", "changed", "failed")} == {"projects": 1, "checked": 0, "changed": 0, "failed": 0}
    assert flags(sim, NEW_ID) == {"DB_PASSWORD": False, "API_TOKEN": True, "DEPLOY_KEY": False}
    assert changed_tasks(apply) == [PROJECT_TASK, SECRETS_TASK]
    writes = sim.writes()
    assert writes == 4

    for check_mode in (True, False):
        again = run_role(run_playbook, sim, tmp_path, NEW_ENVIRONMENT, check=check_mode)
        assert again.rc == 0, again.stdout
        assert changed_tasks(again) == [] and "changed=0" in again.stdout
        result = fact(again)
        assert (result["created"], result["changed"]) == (False, False)
        assert result["secrets"] == dict(NO_SECRETS, unchanged=NAMES, values_not_sent=NAMES)
        assert ("values not sent for 3 secrets that exist (the Neo API can neither read nor change a value): DB_PASSWORD, API_TOKEN, DEPLOY_KEY"
                in again.task(REPORT_TASK)["msg"])
        # One warning for the task, naming every secret whose value was not sent.
        assert again.task(SECRETS_TASK)["warnings"] == [CONTRADICTION, VALUES_NOT_SENT]
        assert warnings_in_output(again, "3 secrets exist, so their values were not compared or sent") == 1
        assert warnings_in_output(again, "") == 2, again.stdout
        assert sim.writes() == writes


EXISTING_ENVIRONMENT = {
    "neo_environment_project": {"id": PROJECT_STAGING, "tags": ["staging"]},
    "neo_environment_secrets": [
        {"name": "STAGING_DB_PASSWORD", "value": "CANARY-never-sent-0004", "default_available": False},
        {"name": "NEW_STAGING_KEY", "value": "CANARY-env-staging-key-0005", "default_available": True},
    ],
    "neo_environment_policy_rules": [{"match": ["GITHUB_*"], "default_available": True}],
}


def test_existing_environment_four_steps(sim, run_playbook, tmp_path):
    others = {project_id: flags(sim, project_id) for project_id in (PROJECT_PRODUCTION, PROJECT_STAGING_2)}
    check = run_role(run_playbook, sim, tmp_path, EXISTING_ENVIRONMENT, check=True)
    assert check.rc == 0, check.stdout
    assert sim.writes() == 0
    result = fact(check)
    assert (result["project_id"], result["created"], result["changed"]) == (PROJECT_STAGING, False, True)
    assert result["secrets"] == dict(NO_SECRETS, created=["NEW_STAGING_KEY"], changed=["STAGING_DB_PASSWORD"], values_not_sent=["STAGING_DB_PASSWORD"])
    assert (result["policy"]["checked"], result["policy"]["drifted"]) == (1, 1)  # GITHUB_TOKEN; the listed secrets are not the rules'
    assert changed_tasks(check) == list(MODULE_TASKS)
    assert "GITHUB_TOKEN: default_available false -> true" in check.stdout

    apply = run_role(run_playbook, sim, tmp_path, EXISTING_ENVIRONMENT)
    assert apply.rc == 0, apply.stdout
    routes = sim.counters()["by_route"]
    assert (routes["PATCH /api/v1/projects/{id}"], routes["POST /api/v1/secrets"], routes["PATCH /api/v1/secrets/{id}"]) == (1, 1, 2)
    assert flags(sim, PROJECT_STAGING) == {"STAGING_DB_PASSWORD": False, "GITHUB_TOKEN": True, "NEW_STAGING_KEY": True}
    assert next(p for p in sim.state()["projects"] if p["id"] == PROJECT_STAGING)["tags"] == ["staging"]
    assert {project_id: flags(sim, project_id) for project_id in others} == others  # the rules touch this project only
    writes = sim.writes()

    for check_mode in (True, False):
        again = run_role(run_playbook, sim, tmp_path, EXISTING_ENVIRONMENT, check=check_mode)
        assert again.rc == 0 and changed_tasks(again) == []
        assert (fact(again)["changed"], fact(again)["unmanaged"]) == (False, ["GITHUB_TOKEN"])  # the rules decide it; the list does not declare it
        assert fact(again)["secrets"] == dict(NO_SECRETS, unchanged=["STAGING_DB_PASSWORD", "NEW_STAGING_KEY"],
                                              values_not_sent=["STAGING_DB_PASSWORD", "NEW_STAGING_KEY"])
        assert sim.writes() == writes


# Staging holds STAGING_DB_PASSWORD (available) and GITHUB_TOKEN; the code declares only the first, opt-in.
UNMANAGED_ENVIRONMENT = {
    "neo_environment_project": {"id": PROJECT_STAGING},
    "neo_environment_secrets": [{"name": "STAGING_DB_PASSWORD", "value": "CANARY-never-sent-0007", "default_available": False}],
}
UNMANAGED_WARNING = "project %s holds 1 secret not in the list: GITHUB_TOKEN" % PROJECT_STAGING


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("mode", ["ignore", "warn", "fail"])
def test_unmanaged_secrets_are_ignored_warned_about_or_fail_the_role_before_any_write(sim, run_playbook, tmp_path, mode, check_mode):
    before = flags(sim, PROJECT_STAGING)
    run = run_role(run_playbook, sim, tmp_path, dict(UNMANAGED_ENVIRONMENT, neo_environment_unmanaged=mode), check=check_mode)
    routes = sim.counters()["by_route"]
    secrets_task = run.task(SECRETS_TASK)
    if mode == "fail":
        assert run.rc != 0
        assert secrets_task["msg"] == UNMANAGED_WARNING + " (unmanaged: fail); nothing was written"
        assert routes == {"GET /api/v1/projects": 1, "GET /api/v1/secrets": 1}  # the project list, the scope: no write at all
        assert flags(sim, PROJECT_STAGING) == before
        assert REPORT_TASK not in [entry["task"] for entry in run.results]
        return
    assert run.rc == 0, run.stdout
    assert fact(run)["unmanaged"] == ["GITHUB_TOKEN"]  # named whatever the mode, never decided or touched
    assert fact(run)["changed"] is True and fact(run)["secrets"]["changed"] == ["STAGING_DB_PASSWORD"]
    assert "secrets of the project not in neo_environment_secrets: GITHUB_TOKEN" in run.task(REPORT_TASK)["msg"]
    unmanaged_warnings = [warning for warning in secrets_task.get("warnings", []) if "not in the list" in warning]
    assert unmanaged_warnings == ([UNMANAGED_WARNING] if mode == "warn" else [])
    assert warnings_in_output(run, "project %s holds 1 secret" % PROJECT_STAGING) == (1 if mode == "warn" else 0)
    assert routes.get("PATCH /api/v1/secrets/{id}", 0) == (0 if check_mode else 1)
    assert flags(sim, PROJECT_STAGING) == (before if check_mode else dict(before, STAGING_DB_PASSWORD=False))


def test_unmanaged_with_no_secret_listed_names_every_secret_of_the_project(sim, run_playbook, tmp_path):
    run = run_role(run_playbook, sim, tmp_path, {"neo_environment_project": {"id": PROJECT_STAGING}}, check=True)
    assert run.rc == 0, run.stdout
    assert fact(run)["unmanaged"] == ["GITHUB_TOKEN", "STAGING_DB_PASSWORD"]
    assert run.task(SECRETS_TASK)["warnings"] == ["project %s holds 2 secrets not in the list: GITHUB_TOKEN, STAGING_DB_PASSWORD" % PROJECT_STAGING]
    assert (fact(run)["changed"], sim.writes()) == (False, 0)
    ignored = run_role(run_playbook, sim, tmp_path, {"neo_environment_project": {"id": PROJECT_STAGING}, "neo_environment_unmanaged": "ignore"})
    assert ignored.status(SECRETS_TASK) == "skipped" and fact(ignored)["unmanaged"] == []
    assert sim.counters()["by_route"] == {"GET /api/v1/projects": 2, "GET /api/v1/secrets": 1}


def test_a_listed_flag_that_a_rule_contradicts_is_applied_as_listed_with_one_warning_naming_the_secret_and_the_rule(sim, run_playbook, tmp_path):
    variables = {
        "neo_environment_project": {"id": PROJECT_STAGING},
        "neo_environment_unmanaged": "ignore",
        "neo_environment_secrets": [{"name": "STAGING_DB_PASSWORD", "default_available": True},  # rules[1] would set false
                                    {"name": "NEW_KEY", "value": "CANARY-env-new-key-0008", "default_available": True}],  # excluded from rules[1]
        "neo_environment_policy_rules": [{"name": "tokens everywhere", "match": ["GITHUB_*"], "default_available": True},
                                         {"name": "the rest opt-in", "match": ["*"], "exclude": ["NEW_*"], "default_available": False},
                                         {"match": ["STAGING_*"], "default_available": True}],  # never reached: rules[1] decides first
    }
    expected = ("1 listed secret contradicts the rules, and the listed flag is applied: STAGING_DB_PASSWORD is listed with default_available true, "
                "but policy_rules[1] (the rest opt-in) would set false")
    writes = 0
    for step in ("apply", "again"):
        run = run_role(run_playbook, sim, tmp_path, variables)
        assert run.rc == 0, run.stdout
        value_kept = ["1 secret exists, so its value was not compared or sent (the Neo API can neither read nor change a secret's value): NEW_KEY"]
        assert run.task(SECRETS_TASK)["warnings"] == [expected] + (value_kept if step == "again" else [])
        assert warnings_in_output(run, "1 listed secret contradicts the rules") == 1
        assert flags(sim, PROJECT_STAGING) == {"STAGING_DB_PASSWORD": True, "GITHUB_TOKEN": True, "NEW_KEY": True}  # the declaration wins
        if step == "apply":
            writes = sim.writes()
            assert sim.counters()["by_route"]["POST /api/v1/secrets"] == 1 and writes == 2  # NEW_KEY; GITHUB_TOKEN by rules[0]
        else:
            assert changed_tasks(run) == [] and fact(run)["changed"] is False and sim.writes() == writes


def test_an_exclude_given_as_a_comma_separated_string_keeps_its_patterns_next_to_the_listed_secrets(sim, run_playbook, tmp_path):
    variables = {
        "neo_environment_project": {"id": PROJECT_STAGING},
        "neo_environment_unmanaged": "ignore",
        "neo_environment_secrets": [{"name": "NEW_KEY", "value": "CANARY-env-new-key-0009", "default_available": True}],
        "neo_environment_policy_rules": [{"match": ["*"], "exclude": "STAGING_*, GITHUB_*", "default_available": False}],
    }
    run = run_role(run_playbook, sim, tmp_path, variables)
    assert run.rc == 0, run.stdout
    # STAGING_DB_PASSWORD (true) stays: the string's patterns were kept, not replaced by the listed NEW_KEY.
    assert flags(sim, PROJECT_STAGING) == {"STAGING_DB_PASSWORD": True, "GITHUB_TOKEN": False, "NEW_KEY": True}
    assert sim.writes() == 1 and sim.counters()["by_route"]["POST /api/v1/secrets"] == 1
    assert fact(run)["policy"]["checked"] == 0


def test_a_secret_refused_with_an_error_echoing_its_value_is_named_and_its_value_never_shown(sim, run_playbook, tmp_path):
    sim.faults({"kind": "status", "status": 400, "method": "POST", "path": "/api/v1/secrets", "echo_body": True, "times": 1})
    run = run_role(run_playbook, sim, tmp_path, NEW_ENVIRONMENT)
    assert run.rc != 0
    msg = run.task(SECRETS_TASK)["msg"]
    assert msg.startswith("1 secret of 3 could not be ensured: DB_PASSWORD: Neo API 400 invalid_request (error_id "), msg
    assert 'refused body {"name": "DB_PASSWORD", "value": "********"' in msg and "\n" not in msg
    assert sorted(flags(sim, NEW_ID)) == ["API_TOKEN", "DEPLOY_KEY"]  # the others were still created
    assert POLICY_TASK not in [entry["task"] for entry in run.results]  # the role stopped before the policy
    assert "DB_PASSWORD" in run.stdout


def test_check_mode_on_a_project_named_only_with_the_connection_as_role_variables(sim, run_playbook, tmp_path):
    """No id: the secrets address the new project by its name. The role's neo_api_* variables beat NEO_* from the environment."""
    variables = dict(NEW_ENVIRONMENT, neo_environment_project={"name": "Research", "tags": ["research"]}, neo_api_url=sim.url, neo_api_key=ALICE_KEY)
    run = run_role(run_playbook, sim, tmp_path, variables, check=True, extra_env={"NEO_API_URL": "http://127.0.0.1:1", "NEO_API_KEY": "neo_sk_" + "w" * 32})
    assert run.rc == 0, run.stdout
    result = fact(run)
    assert (result["project_id"], result["project_name"], result["created"]) == (None, "Research", True)
    assert result["secrets"]["created"] == NAMES
    assert run.task(SECRETS_TASK)["msg"] == "project Research does not exist yet: 3 secrets would be created in it (not created yet)"
    assert run.task(REPORT_TASK)["msg"][0] == "project (no id yet) (Research): would be created"
    assert sim.counters()["by_route"] == {"GET /api/v1/projects": 2}
    assert sim.writes() == 0


BAD_INPUT = [
    ("project missing", {"neo_environment_project": None}, "neo_environment_project"),
    ("neither id nor name", {"neo_environment_project": {"tags": ["x"]}}, "one of the following is required: id, name"),
    ("tag over-long", {"neo_environment_project": {"name": "X", "tags": ["t" * 33]}}, "tags[0]: 'ttt"),
    ("secret name", {"neo_environment_secrets": [{"name": "lower", "value": "CANARY-v-0006"}, {"name": "OK"}]},
     "neo_environment_secrets: not valid secret names (an upper-case letter, then upper-case letters, digits or underscores; 1 to 128 characters): lower;"),
    ("secret listed twice", {"neo_environment_secrets": [{"name": "A"}, {"name": "B"}, {"name": "A"}]}, "neo_environment_secrets: listed more than once: A;"),
    ("secret value empty", {"neo_environment_secrets": [{"name": "A", "value": ""}]},
     "neo_environment_secrets: a value must be 1 to 10,000 characters long: A;"),
    ("rule with projects", {"neo_environment_policy_rules": [{"match": ["*"], "projects": "*", "default_available": False}]}, "projects"),
]


@pytest.mark.parametrize("case,variables,fragment", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_fails_before_any_request_naming_the_variable(sim, run_playbook, tmp_path, case, variables, fragment):
    merged = dict({"neo_environment_project": {"name": "X"}}, **variables)
    if merged["neo_environment_project"] is None:
        del merged["neo_environment_project"]
    run = run_role(run_playbook, sim, tmp_path, merged, verbosity=0, diff=False)
    assert run.rc != 0
    assert fragment in run.stdout, run.stdout
    assert sim.writes() == 0
    assert sim.counters()["total"] == 0, (case, sim.counters())
    assert CANARY not in run.stdout + run.stderr


def test_connection_precedence_role_variable_then_module_defaults_then_environment(sim, run_playbook, tmp_path):
    wrong_key = "neo_sk_" + "w" * 32
    environment = {"NEO_API_URL": "http://127.0.0.1:1", "NEO_API_KEY": wrong_key}
    variables = {"neo_environment_project": {"id": PROJECT_STAGING, "tags": ["staging"]}, "play_api_url": sim.url, "play_api_key": ALICE_KEY}
    path = tmp_path / "variables.json"
    path.write_text(json.dumps(variables))
    play_wins = run_playbook(sim, "environment_module_defaults.yml", check=True, extra_env=environment, args=["-e", "@%s" % path])
    assert play_wins.rc == 0, play_wins.stdout
    assert play_wins.task(PROJECT_TASK)["changed"] is True
    path.write_text(json.dumps(dict(variables, neo_api_key=wrong_key)))
    role_wins = run_playbook(sim, "environment_module_defaults.yml", check=True, extra_env=environment, args=["-e", "@%s" % path])
    assert role_wins.rc != 0
    assert role_wins.task(PROJECT_TASK)["msg"].startswith("Neo API 401 unauthorized")
    assert sim.writes() == 0
