"""neo_project_info and neo_secret_info against the simulator (read-only).

Most tests run ansible-playbook (check mode, verbosity and the task's output need a real run); where a
test only calls the module and reads its result, it calls the module in-process through
pytest-ansible's ``localhost`` fixture (``info_module``), which saves an ansible-playbook start each.
"""
import json
import os

import pytest

from tests.conftest import (
    ALICE_KEY,
    CANARY,
    PROJECT_PRODUCTION,
    PROJECT_RED_TEAM,
    PROJECT_STAGING,
    PROJECT_STAGING_2,
    SECRET_PERSONAL_GITHUB,
    SECRET_PERSONAL_SLACK,
    SECRET_PROD_AWS,
    SECRET_PROD_DB,
    SECRET_STAGING_GITHUB,
)

PROJECT_TASK = "Neo_project_info under test"
SECRET_TASK = "Neo_secret_info under test"

SECRET_PROD_GITHUB = "5ec00000-0000-4000-8000-000000000013"
SECRET_STAGING_DB = "5ec00000-0000-4000-8000-000000000021"
SECRET_STAGING_2_DB = "5ec00000-0000-4000-8000-000000000041"

# The documented Project fields (openapi.yaml) and the public secret fields: nothing else may be returned.
PROJECT_FIELDS = {
    "id", "name", "created_at", "updated_at", "owner_email", "member_count", "task_count", "settings_md", "shared_with_team",
    "shared_team_id", "tags", "is_owner", "issue_count", "issues_by_severity", "issues_by_status", "cap_percent_used",
    "cap_used_usd", "spending_cap_usd",
}
SECRET_FIELDS = {"id", "name", "project_id", "project_name", "default_available", "masked_value", "created_at", "updated_at", "created_by_agent"}

# (id, name, project id, project name), per scope in the expected output order (secrets by name).
PERSONAL = [
    (SECRET_PERSONAL_GITHUB, "GITHUB_TOKEN", None, None),
    (SECRET_PERSONAL_SLACK, "SLACK_WEBHOOK", None, None),
]
PRODUCTION = [
    (SECRET_PROD_AWS, "AWS_SECRET_ACCESS_KEY", PROJECT_PRODUCTION, "Production"),
    (SECRET_PROD_GITHUB, "GITHUB_TOKEN", PROJECT_PRODUCTION, "Production"),
    (SECRET_PROD_DB, "PROD_DB_PASSWORD", PROJECT_PRODUCTION, "Production"),
]
STAGING = [
    (SECRET_STAGING_GITHUB, "GITHUB_TOKEN", PROJECT_STAGING, "Staging"),
    (SECRET_STAGING_DB, "STAGING_DB_PASSWORD", PROJECT_STAGING, "Staging"),
]
STAGING_2 = [
    (SECRET_STAGING_2_DB, "STAGING_DB_PASSWORD", PROJECT_STAGING_2, "Staging"),
]
FLAGS = {
    SECRET_PERSONAL_GITHUB: True, SECRET_PERSONAL_SLACK: False, SECRET_PROD_DB: True, SECRET_PROD_AWS: False, SECRET_PROD_GITHUB: True,
    SECRET_STAGING_DB: True, SECRET_STAGING_GITHUB: False, SECRET_STAGING_2_DB: False,
}


def assert_read_only_and_quiet(sim, run):
    assert sim.writes() == 0
    output = run.stdout + run.stderr
    assert CANARY not in output
    assert ALICE_KEY not in output
    assert "Traceback" not in output


def run_projects(sim, run_playbook, check=False, **options):
    extra_vars = {"run_project_info": True}
    extra_vars.update({"project_info_" + key: value for key, value in options.items()})
    run = run_playbook(sim, "info.yml", extra_vars, check=check)
    assert_read_only_and_quiet(sim, run)
    return run, run.task(PROJECT_TASK)


def run_secrets(sim, run_playbook, check=False, **options):
    run = run_playbook(sim, "info.yml", dict(options, run_secret_info=True), check=check)
    assert_read_only_and_quiet(sim, run)
    return run, run.task(SECRET_TASK)


@pytest.fixture
def info_module(sim, localhost, monkeypatch, capfd):
    """``info_module("neo_project_info", name=...)``: the module's result on localhost, run in-process by pytest-ansible.

    The connection comes from NEO_API_URL / NEO_API_KEY, as in the playbook runs (and AWX); every call
    checks what assert_read_only_and_quiet checks, on the captured output and the result.
    """
    for name in list(os.environ):
        if name.startswith("NEO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NEO_API_URL", sim.url)
    monkeypatch.setenv("NEO_API_KEY", ALICE_KEY)

    def call(module, **options):
        # Newer ansible-core (2.21) makes the stdio of the process that runs a task non-inheritable: this pytest
        # process's later ansible-playbook runs would start without a stdin and lose their task workers.
        inheritable = {fd: os.get_inheritable(fd) for fd in (0, 1, 2)}
        try:
            result = dict(getattr(localhost, "projectdiscovery.neo." + module)(**options)["localhost"])
        finally:
            for fd, flag in inheritable.items():
                os.set_inheritable(fd, flag)
        captured = capfd.readouterr()
        output = captured.out + captured.err + json.dumps(result)
        assert sim.writes() == 0
        assert CANARY not in output
        assert ALICE_KEY not in output
        assert "Traceback" not in output
        return result
    return call


def listed(result):
    """(id, name, project id, project name) of each returned secret, in order; checks the record shape."""
    rows = []
    for record in result["secrets"]:
        assert set(record) <= SECRET_FIELDS, record
        assert "value" not in record and record["masked_value"]
        assert record["default_available"] is FLAGS[record["id"]]
        if record["project_id"] is None:
            assert "project_name" not in record
        rows.append((record["id"], record["name"], record["project_id"], record.get("project_name")))
    return rows


# --- neo_project_info ---------------------------------------------------------------------------

@pytest.mark.parametrize("check", [False, True], ids=["normal", "check mode"])
def test_projects_lists_the_callers_projects(sim, run_playbook, check):
    run, result = run_projects(sim, run_playbook, check=check)
    assert run.rc == 0, run.stdout
    assert result["changed"] is False
    assert [(p["id"], p["name"]) for p in result["projects"]] == [
        (PROJECT_PRODUCTION, "Production"), (PROJECT_STAGING, "Staging"), (PROJECT_STAGING_2, "Staging")]
    for project in result["projects"]:
        assert set(project) <= PROJECT_FIELDS, project
    production = result["projects"][0]
    assert production["tags"] == ["prod"]
    assert production["is_owner"] is True
    assert "owner" not in production and "members" not in production
    assert sim.counters()["by_route"] == {"GET /api/v1/projects": 1}


def test_projects_by_id(sim, run_playbook):
    run, result = run_projects(sim, run_playbook, id=PROJECT_STAGING_2)
    assert run.rc == 0, run.stdout
    assert [(p["id"], p["name"], p["tags"]) for p in result["projects"]] == [(PROJECT_STAGING_2, "Staging", ["duplicate-name"])]


def test_projects_by_unique_name(sim, info_module):
    result = info_module("neo_project_info", name="Production")
    assert not result.get("failed"), result
    assert [p["id"] for p in result["projects"]] == [PROJECT_PRODUCTION]
    assert result["changed"] is False
    assert sim.counters()["by_route"] == {"GET /api/v1/projects": 1}


def test_projects_ambiguous_name_fails_listing_ids(sim, info_module):
    result = info_module("neo_project_info", name="Staging")
    assert result["failed"] is True
    assert result["msg"] == "name: project name 'Staging' matches 2 projects (%s, %s); use id instead" % (PROJECT_STAGING, PROJECT_STAGING_2)
    assert "projects" not in result


@pytest.mark.parametrize("options", [{"name": "Nope"}, {"name": "production"}, {"id": PROJECT_RED_TEAM}], ids=["unknown name", "case", "invisible id"])
def test_projects_no_match_is_an_empty_list(sim, run_playbook, options):
    run, result = run_projects(sim, run_playbook, **options)
    assert run.rc == 0, run.stdout
    assert result["projects"] == []
    assert result["changed"] is False


@pytest.mark.parametrize("options,fragment", [
    ({"id": "not-a-uuid"}, "id: 'not-a-uuid' is not a UUID"),
    ({"id": PROJECT_STAGING, "name": "Staging"}, "parameters are mutually exclusive: id|name"),
])
def test_projects_bad_input_fails_before_any_request(sim, run_playbook, options, fragment):
    run, result = run_projects(sim, run_playbook, **options)
    assert run.rc != 0
    assert fragment in result["msg"]
    assert sim.counters()["total"] == 0


# --- neo_secret_info ----------------------------------------------------------------------------

@pytest.mark.parametrize("check", [False, True], ids=["normal", "check mode"])
def test_secrets_default_is_personal(sim, run_playbook, check):
    run, result = run_secrets(sim, run_playbook, check=check)
    assert run.rc == 0, run.stdout
    assert result["changed"] is False
    assert listed(result) == PERSONAL
    assert sim.counters()["by_route"] == {"GET /api/v1/secrets": 1}


def test_secrets_by_project_id(sim, run_playbook):
    run, result = run_secrets(sim, run_playbook, project_id=PROJECT_PRODUCTION)
    assert run.rc == 0, run.stdout
    assert listed(result) == PRODUCTION
    production_github = result["secrets"][1]
    assert production_github["created_by_agent"] is True


def test_secrets_personal_and_project_id(sim, run_playbook):
    run, result = run_secrets(sim, run_playbook, project_id=PROJECT_STAGING, personal=True)
    assert run.rc == 0, run.stdout
    assert listed(result) == PERSONAL + STAGING


def test_secrets_by_project_names_and_ids_in_list_order(sim, info_module):
    result = info_module("neo_secret_info", projects=["Production", PROJECT_STAGING])
    assert not result.get("failed"), result
    assert listed(result) == PRODUCTION + STAGING

    result = info_module("neo_secret_info", projects=[PROJECT_STAGING_2, "Production", PROJECT_PRODUCTION])
    assert not result.get("failed"), result
    assert listed(result) == STAGING_2 + PRODUCTION


def test_secrets_every_project(sim, run_playbook):
    run, result = run_secrets(sim, run_playbook, projects=["*"])
    assert run.rc == 0, run.stdout
    assert listed(result) == PRODUCTION + STAGING + STAGING_2

    run, result = run_secrets(sim, run_playbook, projects=["*"], personal=True)
    assert run.rc == 0, run.stdout
    assert listed(result) == PERSONAL + PRODUCTION + STAGING + STAGING_2


def test_secrets_name_glob(sim, run_playbook):
    run, result = run_secrets(sim, run_playbook, projects=["*"], personal=True, secret_name="*GITHUB*")
    assert run.rc == 0, run.stdout
    assert listed(result) == [PERSONAL[0], PRODUCTION[1], STAGING[0]]

    run, result = run_secrets(sim, run_playbook, projects=["*"], secret_name="*github*")
    assert run.rc == 0, run.stdout
    assert listed(result) == []  # case-sensitive


def test_secrets_default_available_filter(sim, run_playbook):
    run, result = run_secrets(sim, run_playbook, projects=["*"], personal=True, default_available=True)
    assert run.rc == 0, run.stdout
    assert listed(result) == [PERSONAL[0], PRODUCTION[1], PRODUCTION[2], STAGING[1]]

    run, result = run_secrets(sim, run_playbook, projects=["*"], default_available=False, secret_name="STAGING_*")
    assert run.rc == 0, run.stdout
    assert listed(result) == STAGING_2


def test_secrets_forbidden_project_fails_with_one_line_api_error(sim, run_playbook):
    run, result = run_secrets(sim, run_playbook, project_id=PROJECT_RED_TEAM, personal=True)
    assert run.rc != 0
    msg = result["msg"]
    assert msg.startswith("project %s: Neo API 403 forbidden" % PROJECT_RED_TEAM), msg
    assert "\n" not in msg
    assert "secrets" not in result


@pytest.mark.parametrize("projects,fragment", [
    (["Staging"], "projects[0]: project name 'Staging' matches 2 projects (%s, %s); use the project id instead" % (PROJECT_STAGING, PROJECT_STAGING_2)),
    (["Production", "Nope"], "projects[1]: no project named 'Nope' among the 3 projects the caller can see"),
], ids=["ambiguous name", "unknown name"])
def test_secrets_unresolvable_project_fails_before_reading_secrets(sim, run_playbook, projects, fragment):
    run, result = run_secrets(sim, run_playbook, projects=projects)
    assert run.rc != 0
    assert fragment in result["msg"]
    assert sim.counters()["by_route"] == {"GET /api/v1/projects": 1}


@pytest.mark.parametrize("options,fragment", [
    ({"project_id": "123"}, "project_id: '123' is not a UUID"),
    ({"project_id": PROJECT_STAGING, "projects": ["Production"]}, "parameters are mutually exclusive: project_id|projects"),
    ({"projects": ["*", "Production"]}, "projects: '*' (every project) must be the only element"),
    ({"projects": []}, "nothing to read"),
    ({"personal": False}, "nothing to read"),
    ({"default_available": "maybe"}, "default_available"),
])
def test_secrets_bad_input_fails_before_any_request(sim, run_playbook, options, fragment):
    run, result = run_secrets(sim, run_playbook, **options)
    assert run.rc != 0
    assert fragment in result["msg"]
    assert sim.counters()["total"] == 0


def test_nothing_secret_in_verbose_output(sim, run_playbook):
    """At -vvvv, the results show masked values only; neither the key nor any seeded value appears."""
    run = run_playbook(sim, "info.yml", {"run_secret_info": True, "projects": ["*"], "personal": True}, verbosity=4)
    assert run.rc == 0, run.stdout
    assert "masked_value" in run.stdout
    assert_read_only_and_quiet(sim, run)
    run = run_playbook(sim, "info.yml", {"run_project_info": True}, verbosity=4)
    assert run.rc == 0, run.stdout
    assert_read_only_and_quiet(sim, run)
