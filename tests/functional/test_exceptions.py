"""Exceptions of the secret policy: YAML dates and governance, on every surface (issues 21 and 22).

An unquoted ``expires: 2027-01-31`` is a date object once YAML has read it (a timestamp with a time a
datetime). It must work wherever the text does: the module, the ``secret_policy`` role (on ansible-core
2.16 a list holding a date used to reach the module as one string), the enforcement playbook (its
``loop``) and the event source. The policy is therefore given in a vars file (``-e @file``), never as
JSON, which has no dates. ``exceptions_max_days`` and ``exceptions_require_owner`` fail before any
request (the simulator counts none), naming the exception; ``exceptions_warn_days`` sets the
``expiring_soon`` mark of the result and the reports. Dates are relative to today's UTC date, as the
controller compares them, against tests/fixtures/seed-governance.yml.
"""
import datetime
import json
import pathlib

import pytest
import yaml

from tests.conftest import ALICE_KEY, CANARY, FIXTURES, REPO_ROOT
from tests.unit.eda.test_neo_secret_events import run_source

GOVERNANCE_SEED = FIXTURES / "seed-governance.yml"
WEB_STAGING = "dddddddd-0000-4000-8000-000000000003"
ENFORCE_PLAYBOOK = str(REPO_ROOT / "playbooks" / "enforce_secret_policy.yml")
ROLE_TASK = "projectdiscovery.neo.secret_policy : Evaluate and apply the secret policy"
REPORT_TASK = "projectdiscovery.neo.secret_policy : Report the policy result"
MODULE_TASK = "Apply the policy"
WARNING_SIGN = "\u26a0"


def sid(number):
    return "5ec00000-0000-4000-8000-%012d" % number


def day(offset):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset)).isoformat()


@pytest.fixture
def gov_sim(sim):
    sim.load_seed(GOVERNANCE_SEED)
    return sim


def vars_file(tmp_path, text):
    """A vars file with ``text`` (YAML); checks that its ``expires`` values are what YAML makes of them unquoted."""
    path = tmp_path / ("vars-%d.yml" % len(list(tmp_path.glob("vars-*.yml"))))
    path.write_text(text, encoding="utf-8")
    data = yaml.safe_load(text)
    for exceptions in (value for key, value in data.items() if key.endswith("exceptions")):
        assert all(not isinstance(exception["expires"], str) for exception in exceptions), "the test must give YAML dates, not text"
    return ["-e", "@%s" % path]


def assert_no_leak(run, *paths):
    text = run.stdout + run.stderr + json.dumps(run.results)
    assert CANARY not in text and ALICE_KEY not in text
    for path in paths:
        assert CANARY not in pathlib.Path(path).read_text(encoding="utf-8"), path


# Three exceptions: one in force (a date), one in force (a timestamp: its day counts), one expired (a date).
EXCEPTIONS_YAML = """
  - name: PROD_DB_PASSWORD
    project: Payments
    default_available: true
    reason: payments DB cut-over
    expires: {soon}
    owner: payments-team
  - secret_id: {cdn}
    default_available: true
    reason: CDN migration
    expires: {later}T09:30:00Z
    owner: web-team
  - name: PROD_DB_PASSWORD
    project: Web Staging
    default_available: true
    reason: old waiver
    expires: {past}
"""


def exceptions_yaml():
    return EXCEPTIONS_YAML.format(soon=day(20), later=day(60), past=day(-1), cdn=sid(222))


def assert_decided_by_the_exceptions(sim, before):
    """211 and 222 kept true by the exceptions in force; Web Staging's PROD_DB_PASSWORD (expired exception) set false by the rule."""
    state = sim.flags()
    assert (state[sid(211)], state[sid(222)], state[sid(231)]) == (True, True, False)
    assert state[sid(251)] == before[sid(251)]  # bob's: never read
    # Only PROD_* secrets were written, each to false, and nothing the exceptions decide.
    changed = {secret_id for secret_id in state if state[secret_id] != before[secret_id]}
    assert changed and all(state[secret_id] is False for secret_id in changed) and not changed & {sid(211), sid(222)}
    return changed


# ---------------------------------------------------------------- YAML dates


def test_the_role_takes_unquoted_yaml_dates_and_marks_what_expires_within_warn_days(gov_sim, run_playbook, tmp_path):
    reports = {"neo_secret_policy_report_path": str(tmp_path / "report.json"), "neo_secret_policy_junit_path": str(tmp_path / "junit.xml"),
               "neo_secret_policy_markdown_path": str(tmp_path / "report.md")}
    before = gov_sim.flags()
    args = vars_file(tmp_path, "neo_secret_policy_rules: [{name: prod off, match: ['PROD_*'], default_available: false}]\n"
                               "neo_secret_policy_exceptions:%s"
                               "neo_secret_policy_exceptions_warn_days: 30\nneo_secret_policy_exceptions_max_days: 90\n" % exceptions_yaml())
    run = run_playbook(gov_sim, "secret_policy.yml", reports, args=args)
    assert_no_leak(run, *reports.values())
    assert run.rc == 0, run.stdout + run.stderr

    fact = run.task(ROLE_TASK)
    assert [(item["index"], item["status"], item["expires"], item["days_left"], item["expiring_soon"]) for item in fact["exceptions"]] == [
        (0, "in_force", day(20), 20, True), (1, "in_force", day(60), 60, False), (2, "expired", day(-1), -1, False)]
    assert fact["summary"]["exceptions"] == {"in_force": 2, "expired": 1, "unmatched": 0}
    changed = assert_decided_by_the_exceptions(gov_sim, before)
    assert fact["summary"]["changed"] == len(changed) == gov_sim.counters()["by_route"]["PATCH /api/v1/secrets/{id}"]
    waived = {entry["secret_id"]: entry["exception_expires"] for entry in json.loads((tmp_path / "report.json").read_text())["entries"]
              if entry["rule_name"] == "exception"}
    assert waived == {sid(211): day(20), sid(222): day(60)}

    document = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert document["exceptions"] == fact["exceptions"] and document["exceptions_warn_days"] == 30
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Expiring soonest first; %s: expires within 30 days." % WARNING_SIGN in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| %s" % day(20)) or line.startswith("| %s" % day(60))]
    assert len(rows) == 2 and rows[0].startswith("| %s | %s 20 |" % (day(20), WARNING_SIGN)) and rows[1].startswith("| %s | 60 |" % day(60))
    # The table the role shows names it too, before the counts.
    lines = run.task(REPORT_TASK)["msg"]
    assert lines[-2:] == ["1 exception expiring within 30 days: PROD_DB_PASSWORD (exceptions[0]) on %s" % day(20),
                          "policy applied: projects=4 checked=%d compliant=%d drifted=%d changed=%d failed=0 not_attempted=0" % tuple(
                              fact["summary"][key] for key in ("checked", "compliant", "drifted", "changed"))]


def test_the_module_takes_unquoted_yaml_dates(gov_sim, run_playbook, tmp_path):
    before = gov_sim.flags()
    args = vars_file(tmp_path, "policy_rules: [{match: ['PROD_*'], default_available: false}]\npolicy_exceptions:%s" % exceptions_yaml())
    run = run_playbook(gov_sim, "exceptions_governance.yml", args=args)
    assert_no_leak(run)
    assert run.rc == 0, run.stdout + run.stderr
    result = run.task(MODULE_TASK)
    assert [(item["status"], item["expires"], item["expiring_soon"]) for item in result["exceptions"]] == [
        ("in_force", day(20), False), ("in_force", day(60), False), ("expired", day(-1), False)]  # default warn days: 14
    assert_decided_by_the_exceptions(gov_sim, before)


@pytest.mark.parametrize("event", [None, {"type": "drift", "id": sid(231), "name": "PROD_DB_PASSWORD", "project_id": WEB_STAGING,
                                          "project_name": "Web Staging", "default_available": True, "expected_default_available": False,
                                          "rule": "prod off"}], ids=["by-hand", "drift-event"])
def test_the_enforcement_playbook_takes_unquoted_yaml_dates(gov_sim, run_playbook, tmp_path, event):
    before = gov_sim.flags()
    text = "neo_policy_rules: [{name: prod off, match: ['PROD_*'], default_available: false}]\nneo_policy_exceptions:%s" % exceptions_yaml()
    if event is not None:
        text += "ansible_eda: %s\n" % json.dumps({"event": {"neo_secret": event}})
    run = run_playbook(gov_sim, ENFORCE_PLAYBOOK, args=vars_file(tmp_path, text))
    assert_no_leak(run)
    assert run.rc == 0, run.stdout + run.stderr
    fact = run.task(ROLE_TASK)
    if event is None:
        assert [(item["status"], item["expires"]) for item in fact["exceptions"]] == [("in_force", day(20)), ("in_force", day(60)),
                                                                                      ("expired", day(-1))]
        assert_decided_by_the_exceptions(gov_sim, before)
    else:
        # Narrowed to Web Staging: the exception by secret_id is kept, the expired one (its scope) too, Payments' is not.
        assert [(item["index"], item["status"], item["expires"]) for item in fact["exceptions"]] == [(0, "in_force", day(60)),
                                                                                                     (1, "expired", day(-1))]
        state = gov_sim.flags()
        assert state[sid(231)] is False
        assert {secret_id for secret_id in state if state[secret_id] != before[secret_id]} == {sid(231)}
        assert gov_sim.counters()["by_route"]["PATCH /api/v1/secrets/{id}"] == 1


# ---------------------------------------------------------------- governance: before any request


GOVERNED = """
  - secret_id: {first}
    default_available: true
    reason: vendor migration
    expires: {near}
    owner: payments-team
  - name: PROD_CDN_KEY
    project: Web
    default_available: true
    reason: CDN migration
    expires: {far}
"""


@pytest.mark.parametrize("surface", ["module", "role"])
@pytest.mark.parametrize("option, value, message", [
    ("exceptions_max_days", 30, "exceptions[1].expires: {far} is more than 30 days away (exceptions_max_days), the latest allowed is {latest}"),
    ("exceptions_require_owner", "true", "exceptions[1].owner: required by exceptions_require_owner: true (who answers for the exception for PROD_CDN_KEY)"),
    ("exceptions_warn_days", -1, "exceptions_warn_days: must be 0 or more, got -1"),
], ids=["max-days", "require-owner", "warn-days"])
def test_governance_fails_before_any_request_naming_the_exception(gov_sim, run_playbook, tmp_path, surface, option, value, message):
    prefix = "policy_" if surface == "module" else "neo_secret_policy_"
    text = "%srules: [{match: ['PROD_*'], default_available: false}]\n%sexceptions:%s%s%s: %s\n" % (
        prefix, prefix, GOVERNED.format(first=sid(211), near=day(10), far=day(45)), prefix, option, value)
    run = run_playbook(gov_sim, "exceptions_governance.yml" if surface == "module" else "secret_policy.yml", args=vars_file(tmp_path, text))
    assert_no_leak(run)
    assert run.rc != 0
    task = MODULE_TASK if surface == "module" else ROLE_TASK
    assert run.status(task) == "failed"
    result = run.task(task)
    assert message.format(far=day(45), latest=day(30)) in result["msg"] and "\n" not in result["msg"]
    assert gov_sim.counters()["total"] == 0


# ---------------------------------------------------------------- the event source


def source_exceptions():
    return yaml.safe_load("- {secret_id: %s, default_available: true, reason: release agent, expires: %s}\n"
                          "- {name: PROD_DB_PASSWORD, project: Payments, default_available: true, reason: cut-over, expires: %sT08:00:00Z, owner: sec}"
                          % (sid(212), day(45), day(10)))


@pytest.mark.parametrize("options, message", [
    ({"exceptions_max_days": 30}, "exceptions[0].expires: %s is more than 30 days away (exceptions_max_days)" % day(45)),
    ({"exceptions_require_owner": True}, "exceptions[0].owner: required by exceptions_require_owner: true"),
    ({"exceptions_warn_days": -1}, "exceptions_warn_days: must be 0 or more, got -1"),
], ids=["max-days", "require-owner", "warn-days"])
def test_the_event_source_refuses_ungoverned_exceptions_at_start(gov_sim, options, message):
    with pytest.raises(ValueError) as error:
        run_source(gov_sim, 1, rules=[{"match": ["PROD_*"], "default_available": False}], exceptions=source_exceptions(), **options)
    assert message in str(error.value) and CANARY not in str(error.value)
    assert gov_sim.counters()["total"] == 0


def test_the_event_source_takes_yaml_dates_within_the_governance(gov_sim):
    events, _waits = run_source(gov_sim, 1, rules=[{"name": "prod off", "match": ["PROD_*"], "default_available": False}],
                                exceptions=source_exceptions(), exceptions_max_days=60, exceptions_warn_days=30)
    drift = {event["neo_secret"]["id"]: event["neo_secret"]["rule"] for event in events}
    # The exceptions keep 211 and 212 true (compliant): only the rule's drift is reported.
    assert sid(211) not in drift and sid(212) not in drift
    assert drift and set(drift.values()) == {"prod off"} and sid(213) in drift
    assert CANARY not in json.dumps(events)
