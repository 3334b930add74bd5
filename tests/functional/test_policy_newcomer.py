"""What a newcomer tripped over in neo_secret_policy, its roles and the event source (issue 22), against the simulator.

- A list option given as a string (``projects: Production``, ``match: PROD_*, AWS_*``) is read as Ansible
  reads its own list options, in the module, the secret_policy role and the event source: the same plan as
  the policy written with lists.
- A rule is warned about only when it can never decide, and the warning names what shadows it; never for
  the README's governance example, nor for the environment role's agent rule before any agent secret exists.
- The Markdown report of an apply run heads its flags column "before -> after" and shows plain names as
  plain Markdown code spans.

Every playbook run is scanned for canaries (secret values, the API key) with test_leaks.scan_run; the
task results of the README examples (run as test_doc_examples runs them) are searched for CANARY.
"""
import json
import re

import pytest
import requests

from tests.conftest import ALICE_KEY, PROJECT_PRODUCTION, PROJECT_STAGING, PROJECT_STAGING_2, SECRET_PERSONAL_GITHUB, SECRET_PROD_DB, SECRET_STAGING_GITHUB
from tests.functional.test_doc_examples import EXAMPLES, run_example
from tests.functional.test_leaks import scan_run
from tests.unit.eda.test_neo_secret_events import SOURCE

SECRET_PROD_GITHUB = "5ec00000-0000-4000-8000-000000000013"  # made by an agent
SECRET_STAGING_2_DB = "5ec00000-0000-4000-8000-000000000041"
MODULE_TASK = "Apply the policy"
ROLE_TASK = "projectdiscovery.neo.secret_policy : Evaluate and apply the secret policy"
PATCH = "PATCH /api/v1/secrets/{id}"
NO_AWX_STUB = "/nonexistent"  # the README examples use no awx.awx module (run_example adds this to the collections path)

# The policy of playbooks/policy_strings_module.yml and policy_strings_role.yml, written with lists.
RULES_AS_LISTS = [
    {"match": ["PROD_*", "AWS_*"], "projects": ["Production"], "exclude": ["AWS_SESSION_*", "PROD_PUBLIC_*"], "default_available": False},
    {"match": ["GITHUB_TOKEN"], "exclude_projects": [PROJECT_PRODUCTION, PROJECT_STAGING_2], "default_available": True},
    {"match": ["STAGING_*"], "project_tags": ["duplicate-name", "no-such-tag"], "default_available": True},
]
# What that policy changes in tests/fixtures/seed-basic.yml: secret id -> the flag it sets.
STRINGS_DRIFT = {SECRET_PROD_DB: False, SECRET_STAGING_GITHUB: True, SECRET_STAGING_2_DB: True}


def decisions(result):
    return sorted((entry["secret_id"], entry["rule"], entry["after"], entry["status"]) for entry in result["entries"])


def run(run_playbook, sim, playbook, extra_vars=None, check=False):
    completed = run_playbook(sim, playbook, extra_vars, check=check)
    scan_run(completed, sim)
    assert completed.rc == 0, completed.stdout + completed.stderr
    return completed


def rule_warnings(results):
    """The warnings of every task result about a rule that decides nothing (the wording of today, and of before issue 22)."""
    return [warning for entry in results for warning in entry["result"].get("warnings", []) if "never decides" in warning or "decided no" in warning]


# ---------------------------------------------------------------- strings where lists are expected


def test_list_options_written_as_strings_plan_and_apply_as_the_same_policy_written_with_lists(sim, run_playbook):
    as_lists = run(run_playbook, sim, "secret_policy_governance.yml", {"policy_rules": RULES_AS_LISTS, "policy_list_compliant": True}, check=True)
    as_strings = run(run_playbook, sim, "policy_strings_module.yml", check=True)
    planned = decisions(as_strings.task(MODULE_TASK))
    assert planned == decisions(as_lists.task(MODULE_TASK))
    assert {secret_id: after for secret_id, _rule, after, status in planned if status == "drifted"} == STRINGS_DRIFT
    assert [rule["decided"] for rule in as_strings.task(MODULE_TASK)["summary"]["rules"]] == [2, 1, 1]
    assert sim.writes() == 0

    before = sim.flags()
    applied = run(run_playbook, sim, "policy_strings_module.yml")
    result = applied.task(MODULE_TASK)
    assert result["changed"] is True and result["summary"]["changed"] == 3 and "warnings" not in result
    assert sim.counters()["by_route"][PATCH] == 3 and sim.writes() == 3
    assert sim.flags() == dict(before, **STRINGS_DRIFT)

    again = run(run_playbook, sim, "policy_strings_module.yml")
    assert again.task(MODULE_TASK)["changed"] is False and sim.writes() == 3


def test_the_secret_policy_role_takes_list_options_written_as_strings(sim, run_playbook):
    check = run(run_playbook, sim, "policy_strings_role.yml", check=True)
    assert {entry["secret_id"]: entry["after"] for entry in check.task(ROLE_TASK)["entries"] if entry["status"] == "drifted"} == STRINGS_DRIFT
    assert sim.writes() == 0
    before = sim.flags()
    applied = run(run_playbook, sim, "policy_strings_role.yml")
    assert applied.task(ROLE_TASK)["summary"]["changed"] == 3
    assert sim.counters()["by_route"][PATCH] == 3 and sim.flags() == dict(before, **STRINGS_DRIFT)


def test_the_event_source_reads_strings_as_the_module_does(sim):
    settings_class, poll, client_from_params = SOURCE["Settings"], SOURCE["poll"], SOURCE["client_from_params"]
    connection = {"api_url": sim.url, "api_key": ALICE_KEY, "personal": False}
    as_strings = settings_class(dict(connection, projects="Production, " + PROJECT_STAGING, rules=[
        {"match": "PROD_*, AWS_*", "project_tags": "prod, no-such-tag", "exclude": "AWS_SESSION_*", "default_available": False},
        {"match": "GITHUB_TOKEN", "projects": "%s, Production" % PROJECT_STAGING, "exclude_projects": "Production", "default_available": True}]), {})
    as_lists = settings_class(dict(connection, projects=["Production", PROJECT_STAGING], rules=[
        {"match": ["PROD_*", "AWS_*"], "project_tags": ["prod", "no-such-tag"], "exclude": ["AWS_SESSION_*"], "default_available": False},
        {"match": ["GITHUB_TOKEN"], "projects": [PROJECT_STAGING, "Production"], "exclude_projects": ["Production"], "default_available": True}]), {})
    assert as_strings.projects == as_lists.projects == ["Production", PROJECT_STAGING]
    assert as_strings.rules == as_lists.rules
    assert as_strings.rules[0].match == ("PROD_*", "AWS_*") and as_strings.rules[1].projects == (PROJECT_STAGING, "Production")
    client = client_from_params(as_strings.connection)
    try:
        keys, _snapshot, drift = poll(client, as_strings)
    finally:
        client.close()
    assert keys == {PROJECT_PRODUCTION, PROJECT_STAGING}
    assert drift == {SECRET_PROD_DB: (False, "rule 1"), SECRET_STAGING_GITHUB: (True, "rule 2")}
    assert sim.writes() == 0 and set(sim.counters()["by_route"]) == {"GET /api/v1/projects", "GET /api/v1/secrets"}


# ---------------------------------------------------------------- the "never decides" warning


def test_a_rule_is_warned_about_only_when_it_can_never_decide_naming_what_shadows_it(sim, run_playbook, tmp_path):
    expires = "2999-12-31"
    rules = [
        {"name": "db off", "match": ["PROD_DB_PASSWORD"], "projects": ["Production"], "default_available": False},
        {"name": "production off", "match": ["*"], "projects": ["Production"], "default_available": False},
        {"name": "tokens on", "match": ["GITHUB_TOKEN"], "projects": ["Production"], "personal": True, "default_available": True},
        {"name": "idle", "match": ["NEVER_*"], "default_available": True},
        {"name": "no such tag", "match": ["*"], "project_tags": ["no-such-tag"], "default_available": False},
    ]
    exceptions = [
        {"name": "PROD_DB_PASSWORD", "project": "Production", "default_available": True, "reason": "migration", "expires": expires},
        {"name": "GITHUB_TOKEN", "personal": True, "default_available": True, "reason": "release bot", "expires": expires},
    ]
    variables = {"policy_rules": rules, "policy_exceptions": exceptions, "policy_report_path": str(tmp_path / "report.json"),
                 "policy_markdown_path": str(tmp_path / "report.md")}
    check = run(run_playbook, sim, "secret_policy_governance.yml", variables, check=True)
    assert sim.writes() == 0
    expected = [
        "rule 'db off' (rules[0]) never decides: every secret it can match is decided first by exceptions[0]",
        "rule 'tokens on' (rules[2]) never decides: every secret it can match is decided first by rules[1] and exceptions[1]",
        "rule 'no such tag' (rules[4]) never decides: it covers no project the caller can see (its projects, exclude_projects and project_tags leave none)",
    ]
    assert check.task(MODULE_TASK)["warnings"] == expected
    text = " ".join((check.stdout + check.stderr).split())  # ansible-playbook wraps long warnings
    assert all(warning in text for warning in expected) and "earlier rule" not in text and "idle" not in text
    report = json.loads((tmp_path / "report.json").read_text())
    assert [(rule["name"], rule["decided"], rule["status"], rule["shadowed_by"]) for rule in report["rules"]] == [
        ("db off", 0, "always_shadowed", ["exceptions[0]"]), ("production off", 2, "decided", []),
        ("tokens on", 0, "always_shadowed", ["rules[1]", "exceptions[1]"]), ("idle", 0, "nothing_matched", []),
        ("no such tag", 0, "covers_no_project", [])]
    # Every rule, the idle one too, is listed in the summary.
    assert [(rule["name"], rule["decided"]) for rule in check.task(MODULE_TASK)["summary"]["rules"]] == [
        ("db off", 0), ("production off", 2), ("tokens on", 0), ("idle", 0), ("no such tag", 0)]
    markdown = (tmp_path / "report.md").read_text()
    assert "- `rules[3]` `idle`: matched no secret this run" in markdown
    assert "- `rules[2]` `tokens on`: never decides: every secret it can match is decided first by `rules[1]` and `exceptions[1]`" in markdown

    before = sim.flags()
    applied = run(run_playbook, sim, "secret_policy_governance.yml", variables)
    assert applied.task(MODULE_TASK)["warnings"] == expected
    # Only the agent's GITHUB_TOKEN in Production drifted (rules[1]); the exceptions keep their secrets as they are.
    assert sim.counters()["by_route"][PATCH] == 1 and sim.flags() == dict(before, **{SECRET_PROD_GITHUB: False})
    assert sim.flags()[SECRET_PERSONAL_GITHUB] is True


def example(title):
    (found,) = [item for item in EXAMPLES if item.where.startswith("README.md:") and title in item.text]
    return found


def test_the_readme_governance_example_warns_about_no_rule(sim, tmp_path):
    for check in (True, False):
        results = run_example(sim, example("name: Neo secret governance"), tmp_path, NO_AWX_STUB, check=check)
        assert rule_warnings(results) == [], rule_warnings(results)
        report = json.loads((tmp_path / "files" / "neo-policy.json").read_text())
        # Both idle rules are waiting for secrets, shadowed in this organisation only: reported, not warned about.
        assert [(rule["decided"], rule["status"], rule["shadowed_by"]) for rule in report["rules"]] == [
            (0, "shadowed_this_run", ["exceptions[0]"]), (2, "decided", []), (0, "shadowed_this_run", ["rules[1]"])]
        assert "CANARY" not in json.dumps(results) + json.dumps(report)
        assert sim.writes() == (0 if check else 1)


def test_the_environment_role_agent_rule_is_not_warned_about_before_an_agent_secret_exists(sim, tmp_path):
    readme = example("name: Provision the payments environment")
    policy_task = "projectdiscovery.neo.environment : Apply the policy rules to the project's other secrets"
    run_example(sim, readme, tmp_path, NO_AWX_STUB, check=True)
    results = run_example(sim, readme, tmp_path, NO_AWX_STUB, check=False)
    assert rule_warnings(results) == []
    (policy,) = [entry["result"] for entry in results if entry["task"] == policy_task]
    assert policy["summary"]["rules"] == [{"index": 0, "name": "rule 1", "decided": 0}]
    project_id = "cccccccc-0000-4000-8000-000000000001"  # the README's fixed id
    assert policy["entries"] == [] and sim.flags() and project_id in {project["id"] for project in sim.state()["projects"]}

    # An agent adds a secret: the same rule decides it on the next run (it was waiting, not dead).
    response = requests.post(sim.url + "/api/v1/secrets", headers={"X-API-Key": ALICE_KEY}, timeout=10, json={
        "name": "AGENT_SCRATCH", "value": "CANARY-agent-scratch-0001", "project_id": project_id, "default_available": True, "created_by_agent": True})
    assert response.status_code == 201, response.text
    agent_secret = response.json()["id"]
    writes = sim.writes()
    (tmp_path / "check").rename(tmp_path / "check-1")
    (tmp_path / "apply").rename(tmp_path / "apply-1")
    results = run_example(sim, readme, tmp_path, NO_AWX_STUB, check=False)
    (policy,) = [entry["result"] for entry in results if entry["task"] == policy_task]
    assert policy["summary"]["rules"] == [{"index": 0, "name": "rule 1", "decided": 1}] and rule_warnings(results) == []
    assert sim.writes() == writes + 1 and sim.flags()[agent_secret] is False
    assert "CANARY" not in json.dumps(results)


# ---------------------------------------------------------------- the Markdown report


def test_the_markdown_report_of_an_apply_run_says_before_and_after_in_plain_markdown(sim, run_playbook, tmp_path):
    markdown = pytest.importorskip("markdown")  # the renderer the unit tests use
    pages = {}
    for check in (True, False):
        path = tmp_path / ("check.md" if check else "apply.md")
        run(run_playbook, sim, "policy_strings_module.yml", {"policy_markdown_path": str(path)}, check=check)
        pages[check] = path.read_text()
    assert "| Scope | Secret | default_available (actual \u2192 expected) | Status |" in pages[True]
    assert "| Scope | Secret | default_available (before \u2192 after) | Status |" in pages[False]
    assert "actual" not in pages[False] and "expected" not in pages[False]
    row = "| `Production` (`%s`) | `PROD_DB_PASSWORD` | true \u2192 false | changed | rule 1 |   |" % PROJECT_PRODUCTION
    assert row in pages[False].splitlines()
    # Plain names need neither raw HTML nor character references.
    assert "<code>" not in pages[False] and "&#" not in pages[False]
    html = markdown.markdown(pages[False], extensions=["tables"])
    assert "<td><code>PROD_DB_PASSWORD</code></td>" in html and "<th>default_available (before \u2192 after)</th>" in html
    assert not re.search(r"`", html)
