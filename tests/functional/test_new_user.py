"""What a new user of the collection runs into first, through real playbooks against the simulator.

Connection precedence of the secret_policy role, upper-case UUIDs, projects the caller may list
but not read, explicit project ids a policy cannot read, the role's report table (compliant
rows, the all-comply sentence, the YAML result format), the warning for a ``value`` that is not
used, and how a 403 names its project.
"""
import os
import re
import uuid

import pytest

from tests.conftest import (
    ALICE_KEY,
    CANARY,
    POLICY_PRODUCTION,
    POLICY_RESEARCH,
    POLICY_RULES_READABLE,
    POLICY_SEED,
    POLICY_SHARED_BY_BOB,
    POLICY_STAGING,
    PROJECT_PRODUCTION,
    PROJECT_RED_TEAM,
    PROJECT_STAGING,
    SECRET_PROD_AWS,
    SECRET_STAGING_GITHUB,
)

ROLE = "projectdiscovery.neo.secret_policy : "
POLICY_TASK = ROLE + "Evaluate and apply the secret policy"
REPORT_TASK = ROLE + "Report the policy result"
SECRET_TASK = "Neo_secret under test"
SECRET_INFO_TASK = "Neo_secret_info under test"

STALE_URL = "http://127.0.0.1:9"  # nothing listens there: a request to it fails
FAKE_KEY = "neo_sk_" + "f" * 32  # well formed, unknown to the simulator (401)
SHARED_BY_BOB_NAME = "Shared by Bob"

# seed-policy.yml: RESEARCH_KEY (Research) is default_available true.
RESEARCH_KEY = "5ec00000-0000-4000-8000-000000000132"
RESEARCH_KEY_OFF = [{"match": ["RESEARCH_KEY"], "projects": [POLICY_RESEARCH], "default_available": False}]

# seed-policy.yml, alice: secret id -> (project id, name) of what neo_secret_info projects: ['*'] returns.
READABLE_PROJECT_SECRETS = {
    "5ec00000-0000-4000-8000-000000000111": (POLICY_PRODUCTION, "PROD_DB_PASSWORD"),
    "5ec00000-0000-4000-8000-000000000112": (POLICY_PRODUCTION, "PROD_API_TOKEN"),
    "5ec00000-0000-4000-8000-000000000113": (POLICY_PRODUCTION, "GITHUB_TOKEN"),
    "5ec00000-0000-4000-8000-000000000114": (POLICY_PRODUCTION, "SLACK_WEBHOOK"),
    "5ec00000-0000-4000-8000-000000000121": (POLICY_STAGING, "PROD_DB_PASSWORD"),
    "5ec00000-0000-4000-8000-000000000122": (POLICY_STAGING, "GITHUB_TOKEN"),
    "5ec00000-0000-4000-8000-000000000123": (POLICY_STAGING, "STAGING_DB_PASSWORD"),
    "5ec00000-0000-4000-8000-000000000131": (POLICY_RESEARCH, "GITHUB_TOKEN"),
    "5ec00000-0000-4000-8000-000000000132": (POLICY_RESEARCH, "RESEARCH_KEY"),
}
POLICY_PROJECT_NAMES = {POLICY_PRODUCTION: "Production", POLICY_STAGING: "Staging", POLICY_RESEARCH: "Research"}

# seed-policy.yml under POLICY_RULES_READABLE: the 2 secrets that comply before any write.
COMPLIANT_BEFORE = {
    "5ec00000-0000-4000-8000-000000000112": ("Production", POLICY_PRODUCTION, "PROD_API_TOKEN", "false -> false"),
    "5ec00000-0000-4000-8000-000000000121": ("Staging", POLICY_STAGING, "PROD_DB_PASSWORD", "false -> false"),
}


def assert_quiet(run):
    output = run.stdout + run.stderr
    assert CANARY not in output
    assert ALICE_KEY not in output
    assert "Traceback" not in output


def without_error_id(text):
    return re.sub(r"\(error_id [^)]*\)", "(error_id)", text)


def log_size(sim):
    return os.path.getsize(sim.log_path)


def api_paths(sim, since):
    """The paths (with query) of the requests the simulator logged after ``since`` (a log size)."""
    with open(sim.log_path, "rb") as log:
        log.seek(since)
        return [line.split()[2] for line in log.read().decode("utf-8").splitlines()]


def assert_sent_in_lower_case(paths, *ids):
    """The API saw each id in its canonical (lower-case) form only."""
    for identifier in ids:
        assert any(identifier in path for path in paths), paths
        assert not any(identifier.upper() in path for path in paths), paths


def counts(fact):
    """The counts of the policy summary (other summary keys are not this file's concern)."""
    return {key: fact["summary"][key] for key in ("projects", "checked", "compliant", "drifted", "changed", "failed", "not_attempted")}


def report_lines(run):
    """The report task's table as lines (the default result format shows a list of lines)."""
    return run.task(REPORT_TASK)["msg"]


def role_failure(run):
    return report_lines(run)[-1]


# --- 1. Connection precedence of the role: role variable, then module_defaults, then NEO_* -------

def test_role_takes_the_connection_from_the_plays_module_defaults_over_the_environment(policy_sim, run_playbook):
    """No NEO_API_KEY, a stale NEO_API_URL and an invalid NEO_VALIDATE_CERTS: only module_defaults can make this work."""
    run = run_playbook(
        policy_sim, "new_user_role_module_defaults.yml",
        {"neo_secret_policy_rules": RESEARCH_KEY_OFF, "play_api_url": policy_sim.url, "play_api_key": ALICE_KEY, "play_validate_certs": True},
        api_key=None, extra_env={"NEO_API_URL": STALE_URL, "NEO_VALIDATE_CERTS": "not-a-boolean"},
    )
    assert run.rc == 0, run.stdout
    assert run.task(POLICY_TASK)["summary"]["changed"] == 1
    assert policy_sim.flags()[RESEARCH_KEY] is False
    assert_quiet(run)


def test_role_variables_override_the_plays_module_defaults(policy_sim, run_playbook):
    # Both role variables beat both (wrong) module_defaults values.
    run = run_playbook(
        policy_sim, "new_user_role_module_defaults.yml",
        {"neo_secret_policy_rules": RESEARCH_KEY_OFF, "play_api_url": STALE_URL, "play_api_key": FAKE_KEY,
         "neo_api_url": policy_sim.url, "neo_api_key": ALICE_KEY},
        api_key=None, extra_env={"NEO_API_URL": STALE_URL},
    )
    assert run.rc == 0, run.stdout
    assert policy_sim.flags()[RESEARCH_KEY] is False
    assert_quiet(run)

    # Only the key as a role variable: it beats the (wrong) module_defaults key, while the
    # module_defaults URL, which the role was not given, still beats the stale NEO_API_URL.
    policy_sim.load_seed(POLICY_SEED)
    run = run_playbook(
        policy_sim, "new_user_role_module_defaults.yml",
        {"neo_secret_policy_rules": RESEARCH_KEY_OFF, "play_api_url": policy_sim.url, "play_api_key": FAKE_KEY, "neo_api_key": ALICE_KEY},
        api_key=FAKE_KEY, extra_env={"NEO_API_URL": STALE_URL},
    )
    assert run.rc == 0, run.stdout
    assert policy_sim.flags()[RESEARCH_KEY] is False
    assert_quiet(run)


def test_role_variables_that_are_templates_are_templated(policy_sim, run_playbook):
    # A variable that names others is templated as the task argument it is; the stale environment loses.
    run = run_playbook(
        policy_sim, "new_user_role_module_defaults.yml",
        {"neo_secret_policy_rules": RESEARCH_KEY_OFF, "play_api_url": STALE_URL, "play_api_key": FAKE_KEY,
         "neo_api_url": "{{ url_parts | join(':') }}", "url_parts": policy_sim.url.rsplit(":", 1),
         "neo_api_key": "{{ 'neo_sk_' ~ key_tail }}", "key_tail": ALICE_KEY[len("neo_sk_"):]},
        api_key=FAKE_KEY, extra_env={"NEO_API_URL": STALE_URL},
    )
    assert run.rc == 0, run.stdout
    assert policy_sim.flags()[RESEARCH_KEY] is False
    assert_quiet(run)


def test_role_variables_that_are_null_count_as_not_set(policy_sim, run_playbook):
    # The play's module_defaults URL (the role's null neo_api_url is not given) beats the stale
    # NEO_API_URL; NEO_API_KEY is used, and validate_certs keeps its default.
    run = run_playbook(
        policy_sim, "new_user_role_module_defaults.yml",
        {"neo_secret_policy_rules": RESEARCH_KEY_OFF, "play_api_url": policy_sim.url, "play_api_key": None,
         "neo_api_url": None, "neo_api_key": None, "neo_validate_certs": None, "neo_secret_policy_report_path": None},
        extra_env={"NEO_API_URL": STALE_URL},
    )
    assert run.rc == 0, run.stdout
    assert policy_sim.flags()[RESEARCH_KEY] is False
    assert_quiet(run)


def test_role_uses_the_environment_when_given_nothing_else(policy_sim, run_playbook):
    run = run_playbook(policy_sim, "secret_policy.yml", {"neo_secret_policy_rules": RESEARCH_KEY_OFF})
    assert run.rc == 0, run.stdout
    assert policy_sim.flags()[RESEARCH_KEY] is False
    assert_quiet(run)


# --- 2. Upper-case UUIDs ------------------------------------------------------------------------

def test_neo_secret_finds_a_secret_by_upper_case_id(sim, run_playbook):
    since = log_size(sim)
    run = run_playbook(sim, "neo_secret.yml", {"secret_id": SECRET_PROD_AWS.upper(), "default_available": True})
    assert run.rc == 0, run.stdout
    result = run.task(SECRET_TASK)
    assert result["changed"] is True
    assert result["secret"]["id"] == SECRET_PROD_AWS
    assert sim.secret(SECRET_PROD_AWS)["default_available"] is True
    assert sim.writes() == 1
    assert_sent_in_lower_case(api_paths(sim, since), SECRET_PROD_AWS)


def test_neo_secret_with_upper_case_project_id(sim, run_playbook):
    since = log_size(sim)
    run = run_playbook(sim, "neo_secret.yml", {"secret_name": "GITHUB_TOKEN", "project_id": PROJECT_STAGING.upper(), "default_available": True})
    assert run.rc == 0, run.stdout
    result = run.task(SECRET_TASK)
    assert result["changed"] is True
    assert (result["secret"]["id"], result["secret"]["project_id"]) == (SECRET_STAGING_GITHUB, PROJECT_STAGING)
    assert sim.secret(SECRET_STAGING_GITHUB)["default_available"] is True
    assert sim.writes() == 1
    assert_sent_in_lower_case(api_paths(sim, since), PROJECT_STAGING, SECRET_STAGING_GITHUB)


def test_neo_secret_info_with_upper_case_project_id(sim, run_playbook):
    since = log_size(sim)
    run = run_playbook(sim, "info.yml", {"run_secret_info": True, "project_id": PROJECT_PRODUCTION.upper()})
    assert run.rc == 0, run.stdout
    result = run.task(SECRET_INFO_TASK)
    assert [(s["name"], s["project_id"], s["project_name"]) for s in result["secrets"]] == [
        ("AWS_SECRET_ACCESS_KEY", PROJECT_PRODUCTION, "Production"),
        ("GITHUB_TOKEN", PROJECT_PRODUCTION, "Production"),
        ("PROD_DB_PASSWORD", PROJECT_PRODUCTION, "Production"),
    ]
    assert sim.writes() == 0
    assert_sent_in_lower_case(api_paths(sim, since), PROJECT_PRODUCTION)


def test_policy_rule_with_an_upper_case_project_id_covers_that_project(policy_sim, run_playbook):
    rules = [{"match": ["RESEARCH_KEY"], "projects": [POLICY_RESEARCH.upper()], "default_available": False}]
    since = log_size(policy_sim)
    run = run_playbook(policy_sim, "secret_policy.yml", {"neo_secret_policy_rules": rules})
    assert run.rc == 0, run.stdout
    fact = run.task(POLICY_TASK)
    assert counts(fact) == {"projects": 1, "checked": 1, "compliant": 0, "drifted": 1, "changed": 1, "failed": 0, "not_attempted": 0}
    assert [(e["project_id"], e["project_name"], e["secret_id"], e["status"]) for e in fact["entries"]] == [
        (POLICY_RESEARCH, "Research", RESEARCH_KEY, "changed")]
    assert policy_sim.flags()[RESEARCH_KEY] is False
    assert_sent_in_lower_case(api_paths(policy_sim, since), POLICY_RESEARCH, RESEARCH_KEY)


# --- 3. neo_secret_info: a project the caller may list but not read ------------------------------

def test_every_project_skips_and_reports_a_project_the_caller_may_not_read(policy_sim, run_playbook):
    run = run_playbook(policy_sim, "info.yml", {"run_secret_info": True, "projects": ["*"]})
    assert run.rc == 0, run.stdout
    result = run.task(SECRET_INFO_TASK)
    assert {s["id"]: (s["project_id"], s["name"]) for s in result["secrets"]} == READABLE_PROJECT_SECRETS
    assert all(s["project_name"] == POLICY_PROJECT_NAMES[s["project_id"]] for s in result["secrets"])

    unreadable = result["unreadable_projects"]
    assert [(p["id"], p["name"]) for p in unreadable] == [(POLICY_SHARED_BY_BOB, SHARED_BY_BOB_NAME)]
    assert set(unreadable[0]) == {"id", "name", "reason"}
    reason = unreadable[0]["reason"]
    assert reason.startswith("project %s (%s): Neo API 403 forbidden" % (POLICY_SHARED_BY_BOB, SHARED_BY_BOB_NAME)), reason
    assert "\n" not in reason

    warnings = result["warnings"]
    assert len(warnings) == 1
    assert "project %s (%s)" % (POLICY_SHARED_BY_BOB, SHARED_BY_BOB_NAME) in warnings[0]
    assert warnings[0].startswith("skipped 1 of 4 projects whose secrets the caller may not read")
    assert policy_sim.writes() == 0
    assert_quiet(run)


@pytest.mark.parametrize("args", [
    {"projects": [POLICY_SHARED_BY_BOB]},
    {"projects": [SHARED_BY_BOB_NAME]},
    {"projects": ["Production", POLICY_SHARED_BY_BOB.upper()]},
    {"project_id": POLICY_SHARED_BY_BOB},
], ids=["projects by id", "projects by name", "projects by upper-case id after a readable one", "project_id"])
def test_naming_an_unreadable_project_fails_naming_it(policy_sim, run_playbook, args):
    run = run_playbook(policy_sim, "info.yml", dict(args, run_secret_info=True))
    assert run.rc != 0
    result = run.task(SECRET_INFO_TASK)
    msg = result["msg"]
    assert msg.startswith("project %s (%s): Neo API 403 forbidden" % (POLICY_SHARED_BY_BOB, SHARED_BY_BOB_NAME)), msg
    assert "\n" not in msg
    assert "secrets" not in result
    assert policy_sim.writes() == 0
    assert_quiet(run)


# --- 4. A policy rule naming a project id the caller cannot read --------------------------------

@pytest.mark.parametrize("project_id,status", [
    (PROJECT_RED_TEAM, "403 forbidden"),
    (str(uuid.UUID(int=0x0123456789abcdef0123456789abcdef)), "404"),
], ids=["red team (not listed, 403)", "random id (404)"])
def test_unreadable_explicit_project_id_is_one_failed_entry_and_the_rest_is_applied(sim, run_playbook, project_id, status):
    rules = [{"match": ["GITHUB_TOKEN"], "projects": [project_id, PROJECT_STAGING], "default_available": True}]
    run = run_playbook(sim, "secret_policy.yml", {"neo_secret_policy_rules": rules})

    fact = run.task(POLICY_TASK)
    assert counts(fact) == {"projects": 2, "checked": 1, "compliant": 0, "drifted": 1, "changed": 1, "failed": 1, "not_attempted": 0}
    assert sorted((e["project_id"], e["secret_id"] or "", e["status"]) for e in fact["entries"]) == sorted([
        (PROJECT_STAGING, SECRET_STAGING_GITHUB, "changed"),
        (project_id, "", "failed"),
    ])
    failed = next(e for e in fact["entries"] if e["project_id"] == project_id)
    assert failed["error"].startswith("Neo API " + status), failed["error"]
    assert "\n" not in failed["error"]
    assert sim.secret(SECRET_STAGING_GITHUB)["default_available"] is True
    assert sim.writes() == 1
    # The run went to the end, showed the report, and then failed the role.
    assert run.rc != 0
    assert run.status(REPORT_TASK) == "failed"
    assert role_failure(run) == "1 scope could not be read; see entries"
    assert_quiet(run)


def test_a_project_name_that_matches_nothing_still_fails_before_any_write(sim, run_playbook):
    rules = [
        {"match": ["GITHUB_TOKEN"], "projects": [PROJECT_RED_TEAM, PROJECT_STAGING], "default_available": True},
        {"match": ["*"], "projects": ["Red Team"], "default_available": False},
    ]
    run = run_playbook(sim, "secret_policy.yml", {"neo_secret_policy_rules": rules})
    assert run.rc != 0
    msg = run.task(POLICY_TASK)["msg"]
    assert "rules[1].projects[0]: no project named 'Red Team' among the 3 projects the caller can see" in msg
    assert sim.writes() == 0
    assert sim.counters()["by_route"] == {"GET /api/v1/projects": 1}


# --- 5. The report table: compliant rows, and the sentence when everything complies -------------

def test_list_compliant_shows_compliant_rows_in_the_table(policy_sim, run_playbook):
    run = run_playbook(policy_sim, "secret_policy.yml",
                       {"neo_secret_policy_rules": POLICY_RULES_READABLE, "neo_secret_policy_list_compliant": True}, check=True)
    assert run.rc == 0, run.stdout
    fact = run.task(POLICY_TASK)
    assert {e["secret_id"] for e in fact["entries"] if e["status"] == "compliant"} == set(COMPLIANT_BEFORE)
    lines = report_lines(run)
    for project_name, project_id, secret_name, flags in COMPLIANT_BEFORE.values():
        rows = [line for line in lines if line.startswith("%s (%s)" % (project_name, project_id)) and secret_name in line]
        assert len(rows) == 1, lines
        assert rows[0].split()[-1] == "compliant", rows[0]
        assert flags in rows[0]
    assert sum(1 for line in lines if line.split() and line.split()[-1] == "compliant") == len(COMPLIANT_BEFORE)
    assert sum(1 for line in lines if line.split() and line.split()[-1] == "drifted") == 6


@pytest.mark.parametrize("rules,count,sentence", [
    (POLICY_RULES_READABLE, 8, "all 8 covered secrets comply"),
    ([{"match": ["RESEARCH_KEY"], "projects": [POLICY_RESEARCH], "default_available": True}], 1, "the 1 covered secret complies"),
], ids=["8 secrets", "1 secret"])
def test_table_says_how_many_covered_secrets_comply(policy_sim, run_playbook, rules, count, sentence):
    if count > 1:
        applied = run_playbook(policy_sim, "secret_policy.yml", {"neo_secret_policy_rules": rules})
        assert applied.rc == 0, applied.stdout
    run = run_playbook(policy_sim, "secret_policy.yml", {"neo_secret_policy_rules": rules}, check=True)
    assert run.rc == 0, run.stdout
    fact = run.task(POLICY_TASK)
    assert fact["summary"]["checked"] == fact["summary"]["compliant"] == count
    assert fact["entries"] == []
    lines = report_lines(run)
    assert lines[0] == sentence
    assert not any("no secret is covered" in line for line in lines)


# --- 6. The report table with ANSIBLE_CALLBACK_RESULT_FORMAT=yaml -------------------------------

def test_yaml_result_format_prints_each_table_row_on_one_line(policy_sim, run_playbook):
    rules = [
        {"match": ["PROD_*"], "personal": True, "default_available": False},
        {"match": ["GITHUB_TOKEN", "SLACK_*"], "default_available": False},
    ]
    run = run_playbook(policy_sim, "secret_policy.yml", {"neo_secret_policy_rules": rules, "neo_secret_policy_list_compliant": True},
                       check=True, extra_env={"ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml"})
    table = run.task(POLICY_TASK)["table"]
    rows = table.split("\n")
    # Rows long enough that a folding YAML emitter (about 80 columns) would break them; the 403 note of Shared by Bob is one.
    assert any(len(row) > 120 for row in rows), table
    assert any(POLICY_SHARED_BY_BOB in row and "403" in row for row in rows), table
    printed = {line.strip() for line in run.stdout.splitlines()}
    missing = [row for row in rows if row.strip() not in printed]
    assert not missing, run.stdout
    assert run.rc != 0  # Shared by Bob cannot be read
    assert_quiet(run)


# --- 7. value for an existing secret ------------------------------------------------------------

def test_value_for_an_existing_secret_is_a_warning(sim, run_playbook):
    value = "not-used-" + uuid.uuid4().hex
    run = run_playbook(sim, "neo_secret.yml", {"secret_name": "GITHUB_TOKEN", "secret_value": value, "default_available": True})
    assert run.rc == 0, run.stdout
    result = run.task(SECRET_TASK)
    assert result["changed"] is False
    assert result["created"] is False
    assert result["value_ignored"] is True
    assert result["warnings"] == [
        "1 secret exists, so its value was not compared or sent (the Neo API can neither read nor change a secret's value): GITHUB_TOKEN"]
    assert "value was not compared or sent" in run.stdout + run.stderr  # shown as a warning by ansible-playbook
    assert value not in run.stdout + run.stderr
    assert sim.writes() == 0


# --- 8. A 403 names the project -----------------------------------------------------------------

def test_forbidden_project_by_id_is_named_in_the_message(policy_sim, run_playbook):
    """neo_secret reads the project directly (it does not list projects): the message names the id only.

    neo_secret_info lists the projects first, so for a listed project it names the id and the name.
    """
    run = run_playbook(policy_sim, "neo_secret.yml", {"secret_name": "PROD_SHARED_KEY", "project_id": POLICY_SHARED_BY_BOB, "default_available": False})
    assert run.rc != 0
    msg = run.task(SECRET_TASK)["msg"]
    assert msg.startswith("project %s: Neo API 403 forbidden" % POLICY_SHARED_BY_BOB), msg
    assert "\n" not in msg

    run = run_playbook(policy_sim, "neo_secret.yml",
                       {"secret_name": "PROD_SHARED_KEY", "project_id": POLICY_SHARED_BY_BOB.upper(), "default_available": False})
    assert run.rc != 0
    # The id is shown as normalised, whatever its case in the task (only the API's error id differs).
    assert without_error_id(run.task(SECRET_TASK)["msg"]) == without_error_id(msg)

    run = run_playbook(policy_sim, "info.yml", {"run_secret_info": True, "project_id": POLICY_SHARED_BY_BOB})
    assert run.rc != 0
    info_msg = run.task(SECRET_INFO_TASK)["msg"]
    assert info_msg.startswith("project %s (%s): Neo API 403 forbidden" % (POLICY_SHARED_BY_BOB, SHARED_BY_BOB_NAME)), info_msg
    assert "\n" not in info_msg
    assert policy_sim.writes() == 0
