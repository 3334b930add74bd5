"""Governance features of neo_secret_policy and the secret_policy role, through ansible-playbook against the simulator.

Rule selectors (name, exclude, project_tags, exclude_projects, created_by), time-boxed exceptions
(in force, expired, unmatched), the three report files (JSON, JUnit XML, Markdown), entries_limit
and --diff, over tests/fixtures/seed-governance.yml (projects tagged production, pci, staging or
nothing; secrets made by agents and by people; pagination on). Exception dates are computed from
today's UTC date, as the controller compares them.
"""
import datetime
import json
import pathlib
import re
import stat
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import CANARY, FIXTURES

GOVERNANCE_SEED = FIXTURES / "seed-governance.yml"
PAYMENTS = "dddddddd-0000-4000-8000-000000000001"  # tags production, pci
WEB = "dddddddd-0000-4000-8000-000000000002"  # tags production
WEB_STAGING = "dddddddd-0000-4000-8000-000000000003"  # tags staging
SANDBOX = "dddddddd-0000-4000-8000-000000000004"  # no tags
PROJECT_NAMES = {None: None, PAYMENTS: "Payments", WEB: "Web", WEB_STAGING: "Web Staging", SANDBOX: "Sandbox"}

ROLE = "projectdiscovery.neo.secret_policy : "
POLICY_TASK = ROLE + "Evaluate and apply the secret policy"
REPORT_TASK = ROLE + "Report the policy result"
MODULE_TASK = "Apply the policy"


def sid(number):
    return "5ec00000-0000-4000-8000-%012d" % number


# One rule per selector; each earlier rule misses some secrets a later one decides.
SELECTOR_RULES = [
    {"name": "agents off in production", "match": ["*"], "project_tags": ["production"], "created_by": "agent", "exclude": ["*_PUBLIC_*"],
     "default_available": False},
    {"name": "prod secrets off", "match": ["PROD_*"], "exclude": ["PROD_PUBLIC_*"], "exclude_projects": ["Sandbox"], "default_available": False},
    {"name": "people github on", "match": ["GITHUB_TOKEN"], "created_by": "user", "personal": True, "projects": [WEB_STAGING, "Web"],
     "default_available": True},
    {"name": "public url on", "match": ["PROD_PUBLIC_*"], "project_tags": ["pci"], "default_available": True},
    {"match": ["*"], "projects": ["Sandbox"], "created_by": "agent", "default_available": False},  # unnamed: "rule 5"
    {"name": "idle", "match": ["NEVER_*"], "default_available": True},
]
# secret id -> (scope, name, rule index, before, after) of every secret SELECTOR_RULES decides.
SELECTED = {
    sid(201): (None, "GITHUB_TOKEN", 2, True, True),          # personal, made by a person
    sid(211): (PAYMENTS, "PROD_DB_PASSWORD", 1, True, False),
    sid(212): (PAYMENTS, "PROD_STRIPE_KEY", 0, True, False),   # agent, production
    sid(213): (PAYMENTS, "PROD_PUBLIC_URL", 3, True, True),    # excluded by rules 0 and 1, pci
    sid(214): (PAYMENTS, "AGENT_SESSION_TOKEN", 0, True, False),
    sid(221): (WEB, "PROD_DB_PASSWORD", 1, False, False),
    sid(222): (WEB, "PROD_CDN_KEY", 0, True, False),
    sid(223): (WEB, "GITHUB_TOKEN", 2, True, True),
    sid(231): (WEB_STAGING, "PROD_DB_PASSWORD", 1, True, False),  # staging: not an agent rule's
    sid(233): (WEB_STAGING, "GITHUB_TOKEN", 2, False, True),
    sid(241): (SANDBOX, "SANDBOX_KEY", 4, True, False),
}
# Read but decided by no rule: personal AGENT_SCRATCH, Web Staging STAGING_API_KEY, Sandbox PROD_DB_PASSWORD (project excluded);
# bob's personal secret is never read.
UNDECIDED = {sid(202), sid(232), sid(242), sid(251)}
RULE_NAMES = ["agents off in production", "prod secrets off", "people github on", "public url on", "rule 5", "idle"]
SELECTED_RULES = [{"index": index, "name": name, "decided": sum(1 for value in SELECTED.values() if value[2] == index)}
                  for index, name in enumerate(RULE_NAMES)]
SELECTED_DRIFTED = {secret_id for secret_id, value in SELECTED.items() if value[3] is not value[4]}
NO_EXCEPTIONS = {"in_force": 0, "expired": 0, "unmatched": 0}


def diff_line(secret_id):
    scope, name, rule, before, after = SELECTED[secret_id]
    return "%s / %s: default_available %s -> %s (%s)" % (PROJECT_NAMES[scope] or "personal", name, str(before).lower(), str(after).lower(),
                                                         RULE_NAMES[rule])


@pytest.fixture
def gov_sim(sim):
    sim.load_seed(GOVERNANCE_SEED)
    sim.configure(pagination="offset", page_size=2)
    return sim


def words(text):
    """Text with its whitespace folded: ansible-core wraps long warnings."""
    return " ".join(text.split())


def assert_no_leak(run, *paths):
    assert CANARY not in run.stdout + run.stderr + json.dumps(run.results)
    for path in paths:
        assert CANARY not in pathlib.Path(path).read_text(encoding="utf-8"), path


def run_role(sim, run_playbook, rules, check=False, diff=False, verbosity=0, **variables):
    run = run_playbook(sim, "secret_policy.yml", dict({"neo_secret_policy_rules": rules}, **variables), check=check, diff=diff,
                       verbosity=verbosity)
    assert_no_leak(run)
    return run


def report_variables(tmp_path, prefix="neo_secret_policy_"):
    return {prefix + "report_path": str(tmp_path / "report.json"), prefix + "junit_path": str(tmp_path / "junit.xml"),
            prefix + "markdown_path": str(tmp_path / "report.md")}


def junit_counts(path):
    """The totals of a JUnit report, checked against its test cases."""
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    totals = {key: int(root.get(key)) for key in ("tests", "failures", "errors", "skipped")}
    assert totals["tests"] == len(root.findall("./testsuite/testcase"))
    for key, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        assert totals[key] == len(root.findall("./testsuite/testcase/" + tag))
    return totals, root


def assert_private(*paths):
    for path in paths:
        assert stat.S_IMODE(pathlib.Path(path).stat().st_mode) == 0o600, path


# ---------------------------------------------------------------- selectors


def test_every_selector_decides_exactly_then_apply_converges(gov_sim, run_playbook):
    before = gov_sim.flags()
    check = run_role(gov_sim, run_playbook, SELECTOR_RULES, check=True, neo_secret_policy_list_compliant=True)

    assert gov_sim.writes() == 0 and gov_sim.flags() == before
    fact = check.task(POLICY_TASK)
    assert fact["summary"] == {"projects": 4, "checked": 11, "compliant": 4, "drifted": 7, "changed": 0, "failed": 0, "not_attempted": 0,
                               "rules": SELECTED_RULES, "exceptions": NO_EXCEPTIONS}
    entries = {entry["secret_id"]: entry for entry in fact["entries"]}
    assert set(entries) == set(SELECTED)
    state = gov_sim.state()["secrets"]
    agent = {secret["id"]: secret["created_by_agent"] for secret in state}
    for secret_id, (scope, name, rule, flag_before, flag_after) in SELECTED.items():
        entry = entries[secret_id]
        assert (entry["project_id"], entry["project_name"], entry["secret_name"], entry["rule"], entry["rule_name"], entry["before"],
                entry["after"]) == (scope, PROJECT_NAMES[scope], name, rule, RULE_NAMES[rule], flag_before, flag_after), secret_id
        assert entry["status"] == ("drifted" if secret_id in SELECTED_DRIFTED else "compliant")
        assert entry["created_by_agent"] is agent[secret_id]
        assert entry["exception_reason"] is entry["exception_expires"] is entry["exception_owner"] is None
    # drifted first
    assert [entry["status"] for entry in fact["entries"]] == ["drifted"] * 7 + ["compliant"] * 4
    assert fact["entries_truncated"] == 0 and fact["exceptions"] == []
    # the rule that found nothing to decide this run could still decide a NEVER_* secret: it is reported, not warned about
    assert "never decides" not in words(check.stdout + check.stderr) and "decided no secret" not in words(check.stdout + check.stderr)
    assert check.rc == 0, check.stdout

    apply = run_role(gov_sim, run_playbook, SELECTOR_RULES)
    assert apply.rc == 0, apply.stdout
    fact = apply.task(POLICY_TASK)
    assert fact["summary"] == dict(check.task(POLICY_TASK)["summary"], changed=7)
    assert gov_sim.counters()["by_route"]["PATCH /api/v1/secrets/{id}"] == len(SELECTED_DRIFTED)
    state = gov_sim.flags()
    assert {secret_id: state[secret_id] for secret_id in SELECTED} == {secret_id: value[4] for secret_id, value in SELECTED.items()}
    assert {secret_id: state[secret_id] for secret_id in UNDECIDED} == {secret_id: before[secret_id] for secret_id in UNDECIDED}

    writes = gov_sim.writes()
    again = run_role(gov_sim, run_playbook, SELECTOR_RULES)
    fact = again.task(POLICY_TASK)
    assert fact["summary"] == dict(check.task(POLICY_TASK)["summary"], compliant=11, drifted=0)
    assert fact["entries"] == [] and again.task(POLICY_TASK)["changed"] is False
    assert gov_sim.writes() == writes


@pytest.mark.parametrize("rule, decided", [
    ({"match": ["*"], "project_tags": ["production"]}, {sid(n) for n in (211, 212, 213, 214, 221, 222, 223)}),
    ({"match": ["*"], "projects": ["Payments", "Web Staging", SANDBOX], "project_tags": ["production", "staging"]},
     {sid(n) for n in (211, 212, 213, 214, 231, 232, 233)}),
    ({"match": ["*"], "exclude_projects": [PAYMENTS, "Web"]}, {sid(n) for n in (231, 232, 233, 241, 242)}),
    ({"match": ["*"], "personal": True, "created_by": "agent"}, {sid(n) for n in (202, 212, 214, 222, 232, 241)}),
    ({"match": ["*"], "personal": True, "projects": [], "created_by": "user"}, {sid(201)}),
    ({"match": ["*_KEY", "*_TOKEN"], "exclude": ["GITHUB_*", "AGENT_*"]}, {sid(n) for n in (212, 222, 232, 241)}),
], ids=["tags-star", "tags-and-projects", "exclude-projects", "agent", "user-personal", "exclude-globs"])
def test_one_selector_alone(gov_sim, run_playbook, rule, decided):
    run = run_role(gov_sim, run_playbook, [dict(rule, name="only", default_available=False)], check=True, neo_secret_policy_list_compliant=True)
    assert run.rc == 0, run.stdout
    fact = run.task(POLICY_TASK)
    assert {entry["secret_id"] for entry in fact["entries"]} == decided
    assert fact["summary"]["rules"] == [{"index": 0, "name": "only", "decided": len(decided)}]
    assert gov_sim.writes() == 0


# ---------------------------------------------------------------- exceptions


def test_exceptions_in_force_expired_and_unmatched(gov_sim, run_playbook, tmp_path):
    today = datetime.datetime.now(datetime.timezone.utc).date()

    def day(offset):
        return (today + datetime.timedelta(days=offset)).isoformat()

    rules = [{"name": "prod off", "match": ["PROD_*"], "default_available": False},
             {"name": "agents off", "match": ["*"], "created_by": "agent", "personal": True, "default_available": False}]
    exceptions = [
        {"secret_id": sid(211).upper(), "default_available": True, "reason": "payments DB cut-over", "expires": day(30), "owner": "payments-team"},
        {"name": "STAGING_API_KEY", "project": "Web Staging", "default_available": True, "reason": "load test", "expires": day(0)},
        {"name": "PROD_DB_PASSWORD", "project": WEB_STAGING, "default_available": True, "reason": "old waiver", "expires": day(-1)},
        {"name": "NO_SUCH_SECRET", "personal": True, "default_available": True, "reason": "typo", "expires": day(10)},
        {"name": "GITHUB_TOKEN", "personal": True, "default_available": False, "reason": "rotate first", "expires": day(5), "owner": "alice"},
    ]
    reports = report_variables(tmp_path)
    run = run_role(gov_sim, run_playbook, rules, verbosity=4, neo_secret_policy_exceptions=exceptions, **reports)
    assert_no_leak(run, *reports.values())
    assert run.rc == 0, run.stdout

    fact = run.task(POLICY_TASK)
    assert fact["summary"] == {
        "projects": 4, "checked": 12, "compliant": 3, "drifted": 9, "changed": 9, "failed": 0, "not_attempted": 0,
        "rules": [{"index": 0, "name": "prod off", "decided": 6}, {"index": 1, "name": "agents off", "decided": 3}],
        "exceptions": {"in_force": 3, "expired": 1, "unmatched": 1},
    }
    assert [(item["index"], item["status"], item["days_left"], item["matched"]) for item in fact["exceptions"]] == [
        (0, "in_force", 30, 1), (1, "in_force", 0, 1), (2, "expired", -1, 0), (3, "unmatched", 10, 0), (4, "in_force", 5, 1)]
    state = gov_sim.flags()
    # in force: the exceptions decide (211 and 232 kept true, the personal GITHUB_TOKEN no rule covers set false);
    # expired: the rule decides Web Staging's PROD_DB_PASSWORD again
    assert (state[sid(211)], state[sid(232)], state[sid(201)], state[sid(231)]) == (True, True, False, False)
    assert state[sid(251)] is True  # bob's
    personal = next(entry for entry in fact["entries"] if entry["secret_id"] == sid(201))
    assert (personal["rule"], personal["rule_name"], personal["status"], personal["exception_reason"], personal["exception_expires"],
            personal["exception_owner"]) == (None, "exception", "changed", "rotate first", day(5), "alice")
    expired = next(entry for entry in fact["entries"] if entry["secret_id"] == sid(231))
    assert (expired["rule_name"], expired["exception_reason"]) == ("prod off", None)
    shown = words(run.stdout + run.stderr)
    assert re.search(r"exception for PROD_DB_PASSWORD \((neo_secret_policy_)?exceptions\[2\]\) expired on %s and is ignored" % day(-1), shown)
    assert re.search(r"exception for NO_SUCH_SECRET \((neo_secret_policy_)?exceptions\[3\]\) matches no secret", shown)

    # the reports: every covered secret with its exception, JUnit counts equal to the summary, the verdict
    document = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert document["mode"] == "apply" and document["summary"] == fact["summary"] and document["exceptions"] == fact["exceptions"]
    waived = {entry["secret_id"]: entry for entry in document["entries"] if entry["rule_name"] == "exception"}
    assert set(waived) == {sid(201), sid(211), sid(232)}
    assert (waived[sid(211)]["status"], waived[sid(211)]["exception_owner"], waived[sid(211)]["exception_reason"]) == (
        "compliant", "payments-team", "payments DB cut-over")
    totals, _root = junit_counts(tmp_path / "junit.xml")
    assert totals == {"tests": 12, "failures": 0, "errors": 0, "skipped": 0}
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert markdown.startswith("## Neo secret policy: Applied\n")
    assert "**Applied** \u2014 9 changed." in markdown
    assert "### Exceptions in force (3)" in markdown and "### Expired exceptions (1)" in markdown
    assert "### Exceptions that matched no secret (1)" in markdown
    assert_private(*reports.values())

    # converged: a check run with the same policy finds nothing to do
    writes = gov_sim.writes()
    again = run_role(gov_sim, run_playbook, rules, check=True, neo_secret_policy_exceptions=exceptions)
    assert again.task(POLICY_TASK)["summary"]["drifted"] == 0
    assert gov_sim.writes() == writes


def test_module_exception_decides_a_secret_no_rule_covers(gov_sim, run_playbook, tmp_path):
    exceptions = [{"secret_id": sid(233), "default_available": True, "reason": "CI needs it", "expires": "2999-12-31"},
                  {"name": "SANDBOX_KEY", "project": "Sandbox", "default_available": False, "reason": "sandbox", "expires": "2000-01-01"}]
    run = run_playbook(gov_sim, "secret_policy_governance.yml", {
        "policy_rules": [{"match": ["PROD_*"], "projects": ["Web Staging"], "default_available": False}], "policy_exceptions": exceptions,
        "policy_junit_path": str(tmp_path / "junit.xml")}, check=True)
    assert_no_leak(run, tmp_path / "junit.xml")
    assert run.rc == 0, run.stdout
    result = run.task(MODULE_TASK)
    assert {entry["secret_id"]: entry["rule_name"] for entry in result["entries"]} == {sid(231): "rule 1", sid(233): "exception"}
    assert [item["status"] for item in result["exceptions"]] == ["in_force", "expired"]
    # nothing decides the Sandbox secret of the expired exception
    assert result["summary"]["checked"] == 2 and result["summary"]["drifted"] == 2
    assert junit_counts(tmp_path / "junit.xml")[0] == {"tests": 2, "failures": 2, "errors": 0, "skipped": 0}
    assert gov_sim.writes() == 0


# ---------------------------------------------------------------- reports and entries_limit


def test_check_mode_reports_and_entries_limit(gov_sim, run_playbook, tmp_path):
    reports = report_variables(tmp_path)
    for path in reports.values():
        pathlib.Path(path).write_text("left by an earlier run", encoding="utf-8")
    run = run_role(gov_sim, run_playbook, SELECTOR_RULES, check=True, neo_secret_policy_entries_limit=3, **reports)
    assert_no_leak(run, *reports.values())
    assert run.rc == 0, run.stdout
    assert gov_sim.writes() == 0

    fact = run.task(POLICY_TASK)
    summary = fact["summary"]
    assert summary["checked"] == 11 and summary["drifted"] == 7
    assert len(fact["entries"]) == 3 and fact["entries_truncated"] == 4
    assert {entry["status"] for entry in fact["entries"]} == {"drifted"}
    lines = run.task(REPORT_TASK)["msg"]
    assert lines[-2:] == ["... and 4 more in the report",
                          "drift report (check mode): projects=4 checked=11 compliant=4 drifted=7 changed=0 failed=0 not_attempted=0"]
    assert len(lines) == 2 + 3 + 2

    document = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert document["mode"] == "check" and document["summary"] == summary and document["failure"] is None
    assert {entry["secret_id"] for entry in document["entries"]} == set(SELECTED)  # compliant ones too
    assert sum(1 for entry in document["entries"] if entry["status"] == "compliant") == summary["compliant"]
    assert [(rule["name"], rule["decided"]) for rule in document["rules"]] == [(rule["name"], rule["decided"]) for rule in SELECTED_RULES]

    totals, root = junit_counts(tmp_path / "junit.xml")
    assert totals == {"tests": summary["checked"], "failures": summary["drifted"], "errors": summary["failed"], "skipped": summary["not_attempted"]}
    assert [suite.get("name") for suite in root.findall("testsuite")] == [
        "personal", "Payments (%s)" % PAYMENTS, "Web (%s)" % WEB, "Web Staging (%s)" % WEB_STAGING, "Sandbox (%s)" % SANDBOX]

    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert markdown.startswith("## Neo secret policy: Drift found\n")
    assert "**Drift found** \u2014 7 of 11 covered secrets drifted in check mode across 4 projects." in markdown
    assert "### Rules that decided nothing (1)" in markdown
    assert_private(*reports.values())
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == ["junit.xml", "report.json", "report.md"]


def test_a_run_that_stops_early_leaves_no_old_report(gov_sim, run_playbook, tmp_path):
    reports = report_variables(tmp_path)
    for path in reports.values():
        pathlib.Path(path).write_text("left by an earlier run", encoding="utf-8")
    run = run_role(gov_sim, run_playbook, [{"match": ["*"], "projects": ["No such project"], "default_available": False}], **reports)
    assert run.rc != 0 and "No such project" in run.stdout
    assert not any(pathlib.Path(path).exists() for path in reports.values())
    assert gov_sim.writes() == 0


# ---------------------------------------------------------------- --diff


def test_diff_lists_each_secret_changed_only_under_diff(gov_sim, run_playbook):
    lines = [diff_line(secret_id) for secret_id in sorted(SELECTED_DRIFTED)]
    assert "Payments / PROD_DB_PASSWORD: default_available true -> false (prod secrets off)" in lines

    quiet = run_role(gov_sim, run_playbook, SELECTOR_RULES, check=True)
    assert not [line for line in lines if line in quiet.stdout]
    assert "diff" not in quiet.task(POLICY_TASK)

    check = run_role(gov_sim, run_playbook, SELECTOR_RULES, check=True, diff=True)
    assert [line for line in lines if line not in check.stdout] == []
    prepared = check.task(POLICY_TASK)["diff"]["prepared"].splitlines()
    assert sorted(prepared) == sorted(lines)
    assert gov_sim.writes() == 0

    module = run_playbook(gov_sim, "secret_policy_governance.yml", {"policy_rules": SELECTOR_RULES}, check=True, diff=True)
    assert_no_leak(module)
    assert sorted(module.task(MODULE_TASK)["diff"]["prepared"].splitlines()) == sorted(lines)
    assert gov_sim.writes() == 0

    apply = run_role(gov_sim, run_playbook, SELECTOR_RULES, diff=True)
    assert [line for line in lines if line not in apply.stdout] == []
    assert gov_sim.writes() == len(lines)
    again = run_role(gov_sim, run_playbook, SELECTOR_RULES, diff=True)
    assert again.task(POLICY_TASK)["diff"] == {"prepared": ""}
    assert not [line for line in lines if line in again.stdout]


# ---------------------------------------------------------------- bad governance input


@pytest.mark.parametrize("variables, fragment", [
    ({"neo_secret_policy_rules": [{"match": ["prod_*"], "default_available": False}]},
     "rules[0].match[0]: 'prod_*' can never match a secret name: names are upper-case (did you mean 'PROD_*'?)"),
    ({"neo_secret_policy_rules": [{"match": ["*"], "exclude": ["PROD.DB"], "default_available": False}]}, "'.' never appear in one"),
    ({"neo_secret_policy_rules": [{"match": ["*"], "created_by": "robot", "default_available": False}]}, "created_by"),
    ({"neo_secret_policy_exceptions": [{"secret_id": sid(211), "default_available": True, "reason": "r", "expires": "soon"}]},
     "exceptions[0].expires: must be a date YYYY-MM-DD, got 'soon'"),
    ({"neo_secret_policy_exceptions": [{"secret_id": sid(211), "default_available": True, "expires": "2999-01-01"}]}, "reason"),
    ({"neo_secret_policy_exceptions": [{"name": "PROD_DB_PASSWORD", "default_available": True, "reason": "r", "expires": "2999-01-01"}]},
     "exceptions[0]: with name, give exactly one of project (an id or name) and personal: true"),
], ids=["lower-case-glob", "dot-in-exclude", "created-by", "expires", "reason-missing", "name-without-scope"])
def test_bad_governance_input_fails_before_any_request(gov_sim, run_playbook, variables, fragment):
    variables = dict({"neo_secret_policy_rules": [{"match": ["*"], "default_available": False}]}, **variables)
    run = run_playbook(gov_sim, "secret_policy.yml", variables)
    assert_no_leak(run)
    assert run.rc != 0
    assert fragment in words(run.stdout)
    assert gov_sim.counters()["total"] == 0
