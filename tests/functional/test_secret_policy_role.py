"""The secret_policy role through ansible-playbook against the simulator (pagination on)."""
import json
import re
import stat

import pytest
import yaml

from tests.conftest import ALICE_KEY, CANARY, POLICY_PRODUCTION, POLICY_SEED, POLICY_RESEARCH, POLICY_SHARED_BY_BOB, POLICY_STAGING

# Task names as ansible-core prints them: FQCN of the role, then the task name.
ROLE = "projectdiscovery.neo.secret_policy : "
POLICY_TASK = ROLE + "Evaluate and apply the secret policy"
FACT_TASK = POLICY_TASK  # registered as the fact neo_secret_policy_result
REPORT_TASK = ROLE + "Report the policy result"
STATS_TASK = POLICY_TASK  # the module publishes the AWX statistic itself
FAILURE_TASK = DRIFT_GATE_TASK = REPORT_TASK  # shows the report, then fails the role if needed

PRODUCTION = POLICY_PRODUCTION
STAGING = POLICY_STAGING
RESEARCH = POLICY_RESEARCH
SHARED_BY_BOB = POLICY_SHARED_BY_BOB

RULES = [
    {"match": ["PROD_*"], "personal": True, "default_available": False},
    {"match": ["GITHUB_TOKEN"], "projects": ["Staging"], "default_available": True},
    {"match": ["GITHUB_TOKEN", "SLACK_*"], "default_available": False},
]

# secret id -> (project id, name, before, after, rule) of every secret the policy covers.
EXPECTED = {
    "5ec00000-0000-4000-8000-000000000102": (None, "PROD_PERSONAL_NOTE", True, False, 0),
    "5ec00000-0000-4000-8000-000000000111": (PRODUCTION, "PROD_DB_PASSWORD", True, False, 0),
    "5ec00000-0000-4000-8000-000000000112": (PRODUCTION, "PROD_API_TOKEN", False, False, 0),
    "5ec00000-0000-4000-8000-000000000113": (PRODUCTION, "GITHUB_TOKEN", True, False, 2),
    "5ec00000-0000-4000-8000-000000000114": (PRODUCTION, "SLACK_WEBHOOK", True, False, 2),
    "5ec00000-0000-4000-8000-000000000121": (STAGING, "PROD_DB_PASSWORD", False, False, 0),
    "5ec00000-0000-4000-8000-000000000122": (STAGING, "GITHUB_TOKEN", False, True, 1),
    "5ec00000-0000-4000-8000-000000000131": (RESEARCH, "GITHUB_TOKEN", True, False, 2),
}
DRIFTED = {secret_id for secret_id, (_p, _n, before, after, _r) in EXPECTED.items() if before is not after}
# summary.rules and summary.exceptions of RULES (no exception): how many secrets of EXPECTED each rule decides.
RULES_DECIDED = [{"index": index, "name": "rule %d" % (index + 1), "decided": sum(1 for value in EXPECTED.values() if value[4] == index)}
                 for index in range(len(RULES))]
NO_EXCEPTIONS = {"in_force": 0, "expired": 0, "unmatched": 0}


def policy_summary(**counts):
    return dict(counts, rules=RULES_DECIDED, exceptions=NO_EXCEPTIONS)


def canonical(entry):
    return json.dumps(entry, sort_keys=True)


def secret_entries(result):
    return {entry["secret_id"]: entry for entry in result["entries"] if entry["secret_id"] is not None}


def run_role(sim, run_playbook, rules=None, check=False, **extra):
    rules = RULES if rules is None else rules
    return run_playbook(sim, "secret_policy.yml", dict({"neo_secret_policy_rules": rules}, **extra), check=check, diff=check)


def test_check_mode_reports_the_exact_drift_without_writing(policy_sim, run_playbook, tmp_path):
    report_path = tmp_path / "report.json"
    before = policy_sim.flags()
    run = run_role(policy_sim, run_playbook, check=True, neo_secret_policy_report_path=str(report_path), neo_secret_policy_list_compliant=True)

    assert policy_sim.writes() == 0
    assert policy_sim.flags() == before
    fact = run.task(FACT_TASK)
    assert fact["summary"] == policy_summary(projects=4, checked=8, compliant=2, drifted=6, changed=0, failed=1, not_attempted=0)
    entries = secret_entries(fact)
    assert set(entries) == set(EXPECTED)
    for secret_id, (project_id, name, before_flag, after_flag, rule) in EXPECTED.items():
        entry = entries[secret_id]
        assert (entry["project_id"], entry["secret_name"], entry["before"], entry["after"], entry["rule"]) == (project_id, name, before_flag, after_flag, rule)
        assert entry["status"] == ("drifted" if secret_id in DRIFTED else "compliant")
    failed_scopes = [entry for entry in fact["entries"] if entry["secret_id"] is None]
    assert [(e["project_id"], e["status"]) for e in failed_scopes] == [(SHARED_BY_BOB, "failed")]
    assert failed_scopes[0]["error"].startswith("Neo API 403 forbidden")

    # The report file holds the summary and every entry of the fact (in plan order: the fact lists failures first), in check mode too.
    report = json.loads(report_path.read_text())
    assert report.pop("mode") == "check" and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", report.pop("generated_at"))
    assert report.pop("failure") == "1 scope could not be read; see entries"
    assert report.pop("rules") == [dict(item, default_available=rule["default_available"], status="decided", shadowed_by=[])
                                   for item, rule in zip(RULES_DECIDED, RULES)]
    assert report.pop("exceptions") == [] and fact["exceptions"] == []
    assert report.pop("exceptions_warn_days") == 14
    assert report.pop("summary") == fact["summary"]
    assert sorted(report.pop("entries"), key=canonical) == sorted(fact["entries"], key=canonical)
    assert report == {}
    assert [entry["status"] for entry in fact["entries"]][0] == "failed"
    assert stat.S_IMODE(report_path.stat().st_mode) == 0o600
    # A readable table, the AWX stats, and a failure at the end because a project failed.
    shown = "\n".join(run.task(REPORT_TASK)["msg"])
    assert "PROD_DB_PASSWORD" in shown and "true -> false" in shown and "drifted=6" in shown
    assert run.task(STATS_TASK)["ansible_stats"]["data"]["neo_secret_policy_summary"] == fact["summary"]
    assert run.rc != 0
    assert run.task(FAILURE_TASK)["msg"][-1] == "1 scope could not be read; see entries"
    assert CANARY not in run.stdout + run.stderr + report_path.read_text()


def test_apply_converges_then_changes_nothing(policy_sim, run_playbook):
    untouched = {sid: flag for sid, flag in policy_sim.flags().items() if sid not in EXPECTED}

    apply = run_role(policy_sim, run_playbook)
    fact = apply.task(FACT_TASK)
    assert fact["summary"] == policy_summary(projects=4, checked=8, compliant=2, drifted=6, changed=6, failed=1, not_attempted=0)
    assert {sid for sid, entry in secret_entries(fact).items() if entry["status"] == "changed"} == DRIFTED == set(secret_entries(fact))
    assert policy_sim.counters()["by_route"]["PATCH /api/v1/secrets/{id}"] == len(DRIFTED)
    state = policy_sim.flags()
    assert {sid: state[sid] for sid in EXPECTED} == {sid: expected[3] for sid, expected in EXPECTED.items()}
    assert {sid: state[sid] for sid in untouched} == untouched
    assert apply.task(POLICY_TASK)["changed"] is True
    assert apply.rc != 0  # the forbidden project is reported, and fails the role at the end

    writes = policy_sim.writes()
    again = run_role(policy_sim, run_playbook)
    fact = again.task(FACT_TASK)
    assert fact["summary"] == policy_summary(projects=4, checked=8, compliant=8, drifted=0, changed=0, failed=1, not_attempted=0)
    assert secret_entries(fact) == {}  # compliant secrets are counted, not listed, unless asked for
    assert again.task(POLICY_TASK)["changed"] is False
    assert policy_sim.writes() == writes


READABLE = ["Production", "Staging", RESEARCH]


def test_fail_on_drift_gates_check_mode_only_when_drift_exists(policy_sim, run_playbook):
    rules = [dict(rule, projects=READABLE) if "projects" not in rule else rule for rule in RULES]

    drifted = run_role(policy_sim, run_playbook, rules=rules, check=True, neo_secret_policy_fail_on_drift=True)
    assert drifted.rc != 0
    assert drifted.task(DRIFT_GATE_TASK)["msg"][-1] == "6 secrets drifted from the policy"
    assert policy_sim.writes() == 0

    applied = run_role(policy_sim, run_playbook, rules=rules, neo_secret_policy_fail_on_drift=True)
    assert applied.rc == 0, applied.stdout
    assert applied.task(DRIFT_GATE_TASK)["msg"][-1].startswith("policy applied: ")

    compliant = run_role(policy_sim, run_playbook, rules=rules, check=True, neo_secret_policy_fail_on_drift=True)
    assert compliant.rc == 0, compliant.stdout
    assert compliant.task(FACT_TASK)["summary"]["drifted"] == 0


@pytest.mark.parametrize("rules,fragment", [
    ([{"match": ["PROD_*"]}], "default_available"),
    ([{"default_available": False}], "match"),
    ([{"match": ["PROD_*"], "default_available": False, "colour": "red"}], "colour"),
    ([{"match": [], "default_available": False}], "rules[0].match: must be a non-empty list of name patterns"),
    ([{"match": ["X"], "projects": ["Staging-typo"], "default_available": False}], "no project named 'Staging-typo' among the"),
])
def test_bad_policy_fails_before_any_write(policy_sim, run_playbook, rules, fragment):
    run = run_role(policy_sim, run_playbook, rules=rules)
    assert run.rc != 0
    assert fragment in run.stdout
    assert policy_sim.writes() == 0
    assert CANARY not in run.stdout + run.stderr


def test_ambiguous_project_name_lists_the_ids(sim, run_playbook):
    """The basic seed has two projects named Staging."""
    run = run_role(sim, run_playbook, rules=[{"match": ["*"], "projects": ["Staging"], "default_available": False}])
    assert run.rc != 0
    assert "project name 'Staging' matches 2 projects (aaaaaaaa-0000-4000-8000-000000000002, aaaaaaaa-0000-4000-8000-000000000004)" in run.stdout
    assert sim.writes() == 0


def test_connection_variables_reach_the_module(policy_sim, run_playbook):
    run = run_playbook(
        policy_sim, "secret_policy.yml",
        {
            "neo_secret_policy_rules": [{"match": ["RESEARCH_KEY"], "projects": [RESEARCH], "default_available": False}],
            "neo_api_url": policy_sim.url,
            "neo_api_key": ALICE_KEY,
        },
        api_key=None, extra_env={"NEO_API_URL": "http://127.0.0.1:9"},
    )
    assert run.rc == 0, run.stdout
    assert policy_sim.flags()["5ec00000-0000-4000-8000-000000000132"] is False


def test_api_text_that_looks_like_a_template_is_shown_as_it_is(sim, run_playbook):
    # Project names are free text: whatever the API returns is data, never a template to evaluate.
    seed = yaml.safe_load(POLICY_SEED.read_text())
    production = next(project for project in seed["projects"] if project["id"] == PRODUCTION)
    production["name"] = "{{ 6 * 7 }} {{ lookup('env', 'HOME') }}"
    sim.admin("POST", "seed", seed)

    run = run_role(sim, run_playbook, rules=[{"match": ["PROD_*"], "projects": [PRODUCTION], "default_available": False}], check=True)

    fact = run.task(FACT_TASK)
    assert fact["summary"]["drifted"] == 1
    assert {entry["project_name"] for entry in fact["entries"]} == {production["name"]}
    shown = "\n".join(run.task(REPORT_TASK)["msg"])
    assert production["name"] in shown and "42" not in shown
