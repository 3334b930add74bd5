# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit and property tests of the policy evaluation (plugins/module_utils/_neo_policy.py)."""
from __future__ import annotations

import copy
import dataclasses
import fnmatch
import random

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    NeoAmbiguousError,
    NeoError,
    NeoInputError,
    NeoNotFound,
    PolicyError,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_policy import (
    ENTRY_FIELDS,
    STATUS_NOT_ATTEMPTED,
    Rule,
    ScopeFailure,
    Scopes,
    apply_results,
    build_plan,
    failure_reason,
    normalize_rules,
    plan_scopes,
    render_table,
    summarize,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ProjectDirectory

PROD = "aaaaaaaa-0000-4000-8000-000000000001"
STAGING = "aaaaaaaa-0000-4000-8000-000000000002"
RED = "aaaaaaaa-0000-4000-8000-000000000003"
STAGING_2 = "aaaaaaaa-0000-4000-8000-000000000004"
UNLISTED = "aaaaaaaa-0000-4000-8000-0000000000f1"
UNLISTED_2 = "aaaaaaaa-0000-4000-8000-0000000000f2"
PROJECTS = [
    {"id": PROD, "name": "Production"},
    {"id": STAGING, "name": "Staging"},
    {"id": RED, "name": "Red Team"},
    {"id": STAGING_2, "name": "Staging"},
]
UNIQUE_PROJECTS = [p for p in PROJECTS if p["id"] != STAGING_2]
CANARY = "CANARY"
OPTIONS = ("rules", "neo_secret_policy_rules")


def secret(secret_id, name, flag, project_id=None):
    return {
        "id": secret_id, "name": name, "default_available": flag, "project_id": project_id,
        "value": "value-%s-%s" % (CANARY, secret_id), "masked_value": "****%s" % CANARY,
    }


def rule(match, default_available, **options):
    return dict(match=match, default_available=default_available, **options)


def scopes_for(raw_rules, projects=UNIQUE_PROJECTS, option="rules"):
    rules = normalize_rules(raw_rules, option)
    return rules, plan_scopes(rules, ProjectDirectory(projects), option)


def plan_for(raw_rules, secrets_by_scope, projects=UNIQUE_PROJECTS, list_compliant=True):
    """What the action plugin does: validate, resolve, then plan."""
    rules, scopes = scopes_for(raw_rules, projects)
    return build_plan(rules, scopes, secrets_by_scope, list_compliant)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("rules, path, text", [
    ("PROD_*", "", "must be a list of rules"),
    ({"match": ["A"]}, "", "must be a list of rules"),
    (["A"], "[0]", "must be a dictionary"),
    ([rule(["A"], True), None], "[1]", "must be a dictionary"),
    ([rule(["A"], True, projcts="*")], "[0].projcts", "unknown option 'projcts'"),
    ([{"default_available": True}], "[0].match", "must be a non-empty list of name patterns"),
    ([rule([], True)], "[0].match", "must be a non-empty list of name patterns"),
    ([rule("PROD_*", True)], "[0].match", "must be a non-empty list of name patterns"),
    ([rule(["A"], True), rule(["A"], True), rule(None, True)], "[2].match", "must be a non-empty list of name patterns"),
    ([rule(["A", ""], True)], "[0].match[1]", "got an empty string"),
    ([rule(["A", 3], True)], "[0].match[1]", "must be a non-empty string (a name pattern), got int"),
    ([rule(["A"], True, projects="Production")], "[0].projects", "must be '*' or a list of project ids or names"),
    ([rule(["A"], True, projects={"id": PROD})], "[0].projects", "got dict"),
    ([rule(["A"], True, projects=[PROD, ""])], "[0].projects[1]", "got an empty string"),
    ([rule(["A"], True, projects=[None])], "[0].projects[0]", "got NoneType"),
    ([rule(["A"], True, projects=[])], "[0].projects", "covers no secret"),
    ([rule(["A"], True, projects=[], personal=False)], "[0].projects", "covers no secret"),
    ([rule(["A"], True, personal="yes")], "[0].personal", "must be a boolean (true or false), got str"),
    ([rule(["A"], True, personal=1)], "[0].personal", "must be a boolean"),
    ([{"match": ["A"]}], "[0].default_available", "required option is missing"),
    ([rule(["A"], None)], "[0].default_available", "required option is missing"),
    ([rule(["A"], "yes")], "[0].default_available", "must be a boolean (true or false), got str"),
    ([rule(["A"], 0)], "[0].default_available", "must be a boolean (true or false), got int"),
])
def test_normalize_rules_errors_name_the_option(rules, path, text, option):
    with pytest.raises(PolicyError) as excinfo:
        normalize_rules(rules, option)
    message = str(excinfo.value)
    assert message.startswith(option + path + ": "), message
    assert text in message
    assert isinstance(excinfo.value, NeoInputError) and isinstance(excinfo.value, ValueError)
    assert "\n" not in message


def test_normalize_rules_default_option_is_rules():
    with pytest.raises(PolicyError, match=r"^rules\[0\]\.default_available: required option is missing"):
        normalize_rules([{"match": ["A"]}])


def test_unknown_option_lists_valid_options():
    with pytest.raises(PolicyError, match=r"valid options: default_available, match, personal, projects"):
        normalize_rules([rule(["A"], True, value="x")])


def test_normalize_rules_defaults_and_shapes():
    rules = normalize_rules([
        rule(["PROD_*", "AWS_*", "PROD_*"], True),
        rule(["X"], False, projects=["Production", PROD, "Production"], personal=True),
        rule(["Y"], True, projects=[], personal=True),
        rule(["Z"], True, projects=None, personal=None),
    ])
    assert rules[0] == Rule(index=0, match=("PROD_*", "AWS_*"), projects="*", personal=False, default_available=True)
    assert rules[1] == Rule(index=1, match=("X",), projects=("Production", PROD), personal=True, default_available=False)
    assert rules[2].projects == () and rules[2].personal is True
    assert rules[3].projects == "*" and rules[3].personal is False
    assert normalize_rules([]) == [] and normalize_rules(None) == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules[0].personal = True


def test_normalize_rules_takes_raw_dicts_only():
    (validated,) = normalize_rules([rule(["A"], True)])
    with pytest.raises(PolicyError, match=r"^rules\[0\]: must be a dictionary .* got Rule$"):
        normalize_rules([validated])


def test_rule_matches_case_sensitive_glob():
    (r,) = normalize_rules([rule(["PROD_*", "AWS_?EY"], True)])
    assert r.matches("PROD_DB") and r.matches("AWS_KEY")
    assert not r.matches("prod_db") and not r.matches("AWS_KKEY") and not r.matches(None)


# ---------------------------------------------------------------- scopes


def test_scopes_resolve_ids_and_unique_names():
    _rules, scopes = scopes_for([rule(["A"], True, projects=["Production", RED, STAGING]), rule(["B"], True)])
    assert scopes.rule_projects == (frozenset({PROD, RED, STAGING}), "*")
    assert scopes.project_names == {PROD: "Production", STAGING: "Staging", RED: "Red Team"}


def test_scopes_dedupe_name_and_id_of_same_project():
    _rules, scopes = scopes_for([rule(["A"], True, projects=["Production", PROD, PROD.upper()])])
    assert scopes.rule_projects == (frozenset({PROD}),)
    assert scopes.keys == (PROD,)


def test_scopes_upper_case_uuid_resolves_to_listed_lower_case_id():
    rules, scopes = scopes_for([rule(["*"], False, projects=[RED.upper()])])
    assert scopes.keys == (RED,)
    plan = build_plan(rules, scopes, {RED: [secret("s-31", "PROD_X", True, RED)]})
    assert [(e["project_id"], e["project_name"], e["status"]) for e in plan.entries] == [(RED, "Red Team", "drifted")]


@pytest.mark.parametrize("option", OPTIONS)
def test_ambiguous_name_lists_ids(option):
    with pytest.raises(NeoAmbiguousError) as excinfo:
        scopes_for([rule(["A"], True), rule(["B"], True, projects=[PROD, "Staging"])], PROJECTS, option)
    message = str(excinfo.value)
    assert isinstance(excinfo.value, NeoError)
    assert message.startswith("%s[1].projects[1]: " % option)
    assert "'Staging' matches 2 projects" in message and STAGING in message and STAGING_2 in message


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("ref", ["Nope", "production", "Red"])
def test_unknown_name_is_an_error(ref, option):
    with pytest.raises(NeoNotFound) as excinfo:
        scopes_for([rule(["A"], True, projects=[PROD]), rule(["A"], True, projects=[RED, ref])], PROJECTS, option)
    assert isinstance(excinfo.value, NeoError)
    assert str(excinfo.value).startswith("%s[1].projects[1]: no project named %r" % (option, ref))


def test_scopes_explicit_projects_in_project_list_order_and_personal():
    _rules, scopes = scopes_for([rule(["A"], True, projects=[RED, "Production"]), rule(["B"], False, projects=[], personal=True)], PROJECTS)
    assert scopes.personal is True
    assert scopes.project_ids == (PROD, RED)
    assert scopes.keys == (None, PROD, RED)


def test_scopes_star_reads_every_project_once():
    projects = PROJECTS + [{"id": PROD, "name": "Production"}, {"id": RED.upper(), "name": "Red Team"}]
    _rules, scopes = scopes_for([rule(["A"], True), rule(["B"], True, projects=[RED])], projects)
    assert scopes.personal is False
    assert scopes.keys == (PROD, STAGING, RED, STAGING_2)


def test_scopes_unlisted_ids_are_kept_after_listed_projects_in_rule_order():
    _rules, scopes = scopes_for([
        rule(["A"], True, projects=[UNLISTED_2, RED]),
        rule(["B"], True, projects=[UNLISTED.upper(), "Production", UNLISTED_2]),
    ])
    assert scopes.keys == (PROD, RED, UNLISTED_2, UNLISTED)
    assert scopes.rule_projects == (frozenset({UNLISTED_2, RED}), frozenset({UNLISTED, PROD, UNLISTED_2}))
    assert UNLISTED not in scopes.project_names
    # with a '*' rule: every listed project, then the unlisted ones
    _rules, scopes = scopes_for([rule(["A"], True, projects=[UNLISTED]), rule(["B"], True, personal=True)])
    assert scopes.keys == (None, PROD, STAGING, RED, UNLISTED)


def test_scopes_no_rules_reads_nothing():
    _rules, scopes = scopes_for([])
    assert scopes.keys == () and scopes.personal is False and scopes.rule_projects == ()


def test_scopes_without_projects():
    _rules, scopes = scopes_for([rule(["A"], True), rule(["B"], True, projects=[UNLISTED])], projects=[])
    assert scopes.keys == (UNLISTED,)


def test_projects_list_must_have_ids():
    with pytest.raises(ValueError, match=r"projects\[1\]"):
        scopes_for([rule(["A"], True)], [{"id": PROD, "name": "x"}, {"name": "y"}])


def test_scopes_covers():
    rules, scopes = scopes_for([rule(["A"], True, projects=[RED]), rule(["B"], True, personal=True), rule(["C"], True, projects=[], personal=True)])
    assert isinstance(scopes, Scopes)
    assert [scopes.covers(r, None) for r in rules] == [False, True, True]
    assert [scopes.covers(r, RED) for r in rules] == [True, True, False]
    assert [scopes.covers(r, PROD) for r in rules] == [False, True, False]


# ---------------------------------------------------------------- plan


def basic_secrets():
    return {
        None: [secret("s-p1", "GITHUB_TOKEN", True), secret("s-p2", "SLACK_WEBHOOK", False)],
        PROD: [secret("s-11", "PROD_DB", True, PROD), secret("s-12", "PROD_AWS", False, PROD), secret("s-13", "OTHER", True, PROD)],
        STAGING: [secret("s-22", "GITHUB_TOKEN", False, STAGING), secret("s-21", "PROD_DB", False, STAGING)],
        RED: [secret("s-31", "PROD_X", True, RED)],
    }


def by_id(entries):
    return {e["secret_id"]: e for e in entries}


def test_first_match_wins_with_overlapping_rules():
    rules = [rule(["PROD_DB"], False, projects=["Production"]), rule(["PROD_*"], True, projects=["Production", "Red Team"])]
    plan = plan_for(rules, basic_secrets())
    entries = by_id(plan.entries)
    assert entries["s-11"]["rule"] == 0 and entries["s-11"]["after"] is False and entries["s-11"]["status"] == "drifted"
    assert entries["s-12"]["rule"] == 1 and entries["s-12"]["after"] is True and entries["s-12"]["status"] == "drifted"
    assert entries["s-31"]["rule"] == 1 and entries["s-31"]["status"] == "compliant"
    # Staging is covered by no rule: its PROD_DB is left alone; OTHER matches no rule.
    assert set(entries) == {"s-11", "s-12", "s-31"}
    assert [e["secret_id"] for e in plan.changes] == ["s-12", "s-11"]


def test_rule_restricted_to_other_project_does_not_shadow_later_rule():
    rules = [rule(["PROD_*"], False, projects=[RED]), rule(["*"], True)]
    entries = by_id(plan_for(rules, basic_secrets()).entries)
    assert entries["s-31"]["rule"] == 0 and entries["s-31"]["after"] is False
    assert entries["s-11"]["rule"] == 1 and entries["s-21"]["rule"] == 1
    assert None not in [e["project_id"] for e in entries.values()]


def test_personal_scope():
    rules = [rule(["GITHUB_*"], False, projects=[], personal=True), rule(["*"], True, personal=True)]
    plan = plan_for(rules, basic_secrets())
    entries = by_id(plan.entries)
    assert entries["s-p1"] == {
        "project_id": None, "project_name": None, "secret_id": "s-p1", "secret_name": "GITHUB_TOKEN",
        "before": True, "after": False, "rule": 0, "status": "drifted", "error": None,
    }
    assert entries["s-p2"]["rule"] == 1 and entries["s-p2"]["after"] is True
    # The personal-only rule does not reach the Staging GITHUB_TOKEN: rule 1 decides it.
    assert entries["s-22"]["rule"] == 1 and entries["s-22"]["after"] is True
    assert plan.entries[0]["project_id"] is None and plan.entries[1]["project_id"] is None


def test_personal_not_read_when_no_rule_is_personal():
    plan = plan_for([rule(["*"], True)], basic_secrets())
    assert all(e["project_id"] is not None for e in plan.entries)
    assert plan.scopes.personal is False


def test_unmatched_secrets_are_left_out():
    plan = plan_for([rule(["NOTHING_*"], True, personal=True)], basic_secrets())
    assert plan.entries == () and plan.changes == []
    assert plan.projects_count == 3


def test_deterministic_ordering():
    secrets = basic_secrets()
    secrets[PROD] += [secret("s-10", "PROD_DB", False, PROD), secret("s-00", "AAA", True, PROD)]
    plan = plan_for([rule(["*"], True, personal=True)], secrets)
    keys = [(e["project_id"], e["secret_name"], e["secret_id"]) for e in plan.entries]
    assert keys == [
        (None, "GITHUB_TOKEN", "s-p1"), (None, "SLACK_WEBHOOK", "s-p2"),
        (PROD, "AAA", "s-00"), (PROD, "OTHER", "s-13"), (PROD, "PROD_AWS", "s-12"), (PROD, "PROD_DB", "s-10"), (PROD, "PROD_DB", "s-11"),
        (STAGING, "GITHUB_TOKEN", "s-22"), (STAGING, "PROD_DB", "s-21"),
        (RED, "PROD_X", "s-31"),
    ]
    assert all(e["project_name"] == {PROD: "Production", STAGING: "Staging", RED: "Red Team", None: None}[e["project_id"]] for e in plan.entries)


def test_entries_never_hold_values():
    plan = plan_for([rule(["*"], False, personal=True)], basic_secrets())
    assert plan.entries
    for entry in plan.entries:
        assert tuple(entry) == ENTRY_FIELDS
        assert CANARY not in repr(entry)


def test_failed_scope_gives_one_failed_entry():
    secrets = basic_secrets()
    secrets[STAGING] = ScopeFailure("Neo API 403 forbidden (error_id 1a2b3c): not a member of this project")
    secrets[None] = ScopeFailure("Neo API 401 unauthorized: request not sent", attempted=False)
    del secrets[RED]
    plan = plan_for([rule(["*"], True, personal=True)], secrets)
    scope_entries = [e for e in plan.entries if e["secret_id"] is None]
    assert scope_entries == [
        {"project_id": None, "project_name": None, "secret_id": None, "secret_name": None, "before": None, "after": None,
         "rule": None, "status": "not_attempted", "error": "Neo API 401 unauthorized: request not sent"},
        {"project_id": STAGING, "project_name": "Staging", "secret_id": None, "secret_name": None, "before": None, "after": None,
         "rule": None, "status": "failed", "error": "Neo API 403 forbidden (error_id 1a2b3c): not a member of this project"},
        {"project_id": RED, "project_name": "Red Team", "secret_id": None, "secret_name": None, "before": None, "after": None,
         "rule": None, "status": "failed", "error": "the secrets of this scope were not read"},
    ]
    assert [e["project_id"] for e in plan.entries] == [None, PROD, PROD, PROD, STAGING, RED]
    assert all(e["secret_id"] for e in plan.changes)
    assert plan.projects_count == 3


def test_scope_failure_is_a_frozen_dataclass():
    failure = ScopeFailure("boom")
    assert failure.attempted is True and failure == ScopeFailure("boom", True) and failure != ScopeFailure("boom", attempted=False)
    assert hash(failure) == hash(ScopeFailure("boom"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        failure.reason = "other"


@pytest.mark.parametrize("attempted, status", [(True, "failed"), (False, "not_attempted")])
def test_scope_failure_without_reason(attempted, status):
    plan = plan_for([rule(["*"], True, projects=[RED])], {RED: ScopeFailure("", attempted)})
    assert [(e["status"], e["error"]) for e in plan.entries] == [(status, "could not list the secrets")]


def test_malformed_record_fails_the_scope():
    secrets = basic_secrets()
    secrets[RED].append({"name": "NO_ID", "default_available": True})
    plan = plan_for([rule(["*"], True, projects=[RED])], secrets)
    assert [e["status"] for e in plan.entries] == ["failed"]
    assert "without a string id and name" in plan.entries[0]["error"]
    plan = plan_for([rule(["*"], True, projects=[RED])], {RED: {"items": []}})
    assert [(e["status"], e["error"]) for e in plan.entries] == [("failed", "the secrets list is not a list")]


def test_non_boolean_flag_is_drifted():
    secrets = {PROD: [secret("s-1", "A", None), secret("s-2", "B", "true"), secret("s-3", "C", 1), secret("s-4", "D", True)]}
    plan = plan_for([rule(["*"], True, projects=[PROD])], secrets)
    assert [(e["secret_id"], e["status"]) for e in plan.entries] == [
        ("s-1", "drifted"), ("s-2", "drifted"), ("s-3", "drifted"), ("s-4", "compliant")]


def test_extra_scopes_are_ignored():
    secrets = basic_secrets()
    plan = plan_for([rule(["*"], True, projects=[RED])], secrets)
    assert [e["secret_id"] for e in plan.entries] == ["s-31"]
    assert plan.projects_count == 1


def test_unlisted_project_is_read_and_fails_alone():
    raw = [rule(["PROD_*"], False, projects=[UNLISTED, "Production"]), rule(["*"], True, projects=[UNLISTED_2])]
    secrets = basic_secrets()
    secrets[UNLISTED] = [secret("s-u1", "PROD_TOKEN", True, UNLISTED), secret("s-u2", "OTHER", True, UNLISTED)]
    secrets[UNLISTED_2] = ScopeFailure("Neo API 404 not found (error_id 9)")
    plan = plan_for(raw, secrets)
    assert [(e["project_id"], e["project_name"], e["secret_id"], e["status"]) for e in plan.entries] == [
        (PROD, "Production", "s-12", "compliant"), (PROD, "Production", "s-11", "drifted"),
        (UNLISTED, None, "s-u1", "drifted"),
        (UNLISTED_2, None, None, "failed"),
    ]
    assert plan.projects_count == 3
    # the table names an unlisted project by its id
    table = render_table(plan.entries)
    assert "\n%s " % UNLISTED in table and "\n%s " % UNLISTED_2 in table


def test_star_rule_does_not_cover_an_unlisted_project_named_by_another_rule():
    # '*' is every project the caller can list; an unlisted project is read only for the rules that name it.
    raw = [rule(["*"], False), rule(["SPECIAL"], True, projects=[UNLISTED])]
    plan = plan_for(raw, {UNLISTED: [secret("s-u1", "SPECIAL", False, UNLISTED), secret("s-u2", "OTHER", True, UNLISTED)]})
    assert [(e["secret_id"], e["rule"], e["after"]) for e in plan.entries if e["project_id"] == UNLISTED] == [("s-u1", 1, True)]


# ---------------------------------------------------------------- apply and summary


def drifty_plan(list_compliant=True):
    secrets = basic_secrets()
    secrets[STAGING] = ScopeFailure("Neo API 403 forbidden (error_id 42): not a member")
    # personal: s-p1 compliant, s-p2 drifted; PROD: s-11, s-13 compliant, s-12 drifted; RED: s-31 compliant
    return plan_for([rule(["*"], True, personal=True)], secrets, list_compliant=list_compliant)


def test_apply_results_real_mode():
    plan = drifty_plan()
    assert sorted(e["secret_id"] for e in plan.changes) == ["s-12", "s-p2"]
    outcomes = {"s-p2": {"ok": True, "default_available": True}, "s-12": {"ok": False, "error": "Neo API 500 internal error (error_id 7)"}}
    entries = apply_results(plan, outcomes, check_mode=False)
    statuses = {(e["project_id"], e["secret_id"]): (e["status"], e["error"]) for e in entries}
    assert statuses[(None, "s-p2")] == ("changed", None)
    assert statuses[(PROD, "s-12")] == ("failed", "Neo API 500 internal error (error_id 7)")
    assert statuses[(STAGING, None)][0] == "failed"
    assert statuses[(PROD, "s-11")] == ("compliant", None)
    # the plan itself is untouched
    assert by_id(plan.entries)["s-p2"]["status"] == "drifted"
    summary = summarize(entries, plan.projects_count)
    assert summary == {"projects": 3, "checked": 6, "compliant": 4, "drifted": 2, "changed": 1, "failed": 2, "not_attempted": 0}
    assert failure_reason(entries) == "1 scope could not be read and 1 secret could not be updated; see entries"


def test_apply_results_check_mode_ignores_outcomes():
    plan = drifty_plan()
    entries = apply_results(plan, {"s-p2": {"ok": False, "error": "x"}}, check_mode=True)
    assert [e["status"] for e in entries] == [e["status"] for e in plan.entries]
    assert summarize(entries, plan.projects_count) == {
        "projects": 3, "checked": 6, "compliant": 4, "drifted": 2, "changed": 0, "failed": 1, "not_attempted": 0,
    }
    assert failure_reason(entries) == "1 scope could not be read; see entries"


def test_apply_results_wrong_outcome_fails_and_missing_outcome_is_not_attempted():
    plan = drifty_plan()
    entries = by_id(apply_results(plan, {"s-p2": {"ok": True, "default_available": False}}))
    assert entries["s-p2"]["status"] == "failed" and "default_available=false" in entries["s-p2"]["error"]
    assert (entries["s-12"]["status"], entries["s-12"]["error"]) == (STATUS_NOT_ATTEMPTED, "no update was sent for this secret")
    entries = by_id(apply_results(plan, {"s-p2": {"ok": True}, "s-12": "garbage"}))
    assert entries["s-p2"]["status"] == "failed" and "default_available=unset" in entries["s-p2"]["error"]
    assert entries["s-12"]["status"] == "not_attempted"
    entries = by_id(apply_results(plan, None))
    assert entries["s-p2"]["status"] == entries["s-12"]["status"] == "not_attempted"


def test_apply_results_not_attempted_outcome():
    plan = drifty_plan()
    reason = "Neo API 401 unauthorized: the API rejected the credentials; request not sent"
    outcomes = {"s-p2": {"ok": False, "error": reason, "attempted": False}, "s-12": {"ok": False}}
    entries = apply_results(plan, outcomes)
    statuses = by_id(entries)
    assert (statuses["s-p2"]["status"], statuses["s-p2"]["error"]) == ("not_attempted", reason)
    assert (statuses["s-12"]["status"], statuses["s-12"]["error"]) == ("failed", "update failed")
    summary = summarize(entries, plan.projects_count)
    assert summary == {"projects": 3, "checked": 6, "compliant": 4, "drifted": 2, "changed": 0, "failed": 2, "not_attempted": 1}
    assert failure_reason(entries) == ("1 scope could not be read and 1 secret could not be updated; "
                                       "1 read or update not attempted: %s; see entries" % reason)


def test_summary_invariants_all_compliant_and_empty():
    plan = plan_for([rule(["*"], True, projects=[RED])], basic_secrets())
    entries = apply_results(plan, {})
    assert summarize(entries, plan.projects_count) == {
        "projects": 1, "checked": 1, "compliant": 1, "drifted": 0, "changed": 0, "failed": 0, "not_attempted": 0}
    assert failure_reason(entries) is None
    assert summarize([], 0) == {"projects": 0, "checked": 0, "compliant": 0, "drifted": 0, "changed": 0, "failed": 0, "not_attempted": 0}
    assert failure_reason([]) is None


def test_summary_counts_not_attempted_scopes():
    secrets = basic_secrets()
    secrets[PROD] = ScopeFailure("credentials rejected", attempted=False)
    secrets[RED] = ScopeFailure("credentials rejected", attempted=False)
    plan = plan_for([rule(["*"], True)], secrets)
    entries = apply_results(plan, {"s-22": {"ok": True, "default_available": True}, "s-21": {"ok": True, "default_available": True}})
    assert summarize(entries, plan.projects_count) == {
        "projects": 3, "checked": 2, "compliant": 0, "drifted": 2, "changed": 2, "failed": 0, "not_attempted": 2}
    assert failure_reason(entries) == "2 reads or updates not attempted: credentials rejected; see entries"


def scope_entry(status, error):
    return {"project_id": PROD, "project_name": None, "secret_id": None, "secret_name": None, "before": None, "after": None,
            "rule": None, "status": status, "error": error}


def secret_entry(status, error=None, secret_id="s"):
    return {"project_id": PROD, "project_name": None, "secret_id": secret_id, "secret_name": "N", "before": False, "after": True,
            "rule": 0, "status": status, "error": error}


@pytest.mark.parametrize("entries, expected", [
    ([], None),
    ([secret_entry("compliant"), secret_entry("drifted"), secret_entry("changed")], None),
    ([scope_entry("failed", "x")], "1 scope could not be read; see entries"),
    ([scope_entry("failed", "x"), scope_entry("failed", "y")], "2 scopes could not be read; see entries"),
    ([secret_entry("failed", "x")], "1 secret could not be updated; see entries"),
    ([scope_entry("failed", "x"), secret_entry("failed", "y"), secret_entry("changed"), secret_entry("failed", "z")],
     "1 scope could not be read and 2 secrets could not be updated; see entries"),
    ([secret_entry("not_attempted", "first")], "1 read or update not attempted: first; see entries"),
    ([scope_entry("failed", "x"), secret_entry("failed", "y"), secret_entry("failed", "y"), scope_entry("not_attempted", "first"),
      secret_entry("not_attempted", "second"), secret_entry("not_attempted", "first")],
     "1 scope could not be read and 2 secrets could not be updated; 3 reads or updates not attempted: first; see entries"),
])
def test_failure_reason(entries, expected):
    assert failure_reason(entries) == expected


# ---------------------------------------------------------------- table


def test_render_table_has_rows_and_no_values():
    plan = drifty_plan()
    entries = apply_results(plan, {"s-p2": {"ok": True, "default_available": True}, "s-12": {"ok": False, "error": "boom"}})
    table = render_table(entries, summarize(entries, plan.projects_count))
    lines = table.splitlines()
    assert lines[0].split() == ["PROJECT", "SECRET", "DEFAULT_AVAILABLE", "STATUS", "NOTE"]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(entries)
    assert "(personal)" in lines[2] and "SLACK_WEBHOOK" in table and "false -> true" in table and "changed" in table
    assert "Production (%s)" % PROD in table and "boom" in table
    assert "Staging (%s)" % STAGING in table and "not a member" in table and "(all secrets)" in table
    assert CANARY not in table and "value-" not in table and "****" not in table
    # fixed width: the status column starts at the same offset on every row
    offsets = {line.index(status) for line in lines[2:] for status in ("compliant", "changed", "failed") if status in line.split()}
    assert len(offsets) == 1


def test_render_table_without_rows():
    assert render_table([]) == "no secret is covered by the policy"
    assert render_table([], {"checked": 0}) == "no secret is covered by the policy"
    assert render_table([], {"checked": 8}) == "all 8 covered secrets comply"
    assert render_table([], {"checked": 1}) == "the 1 covered secret complies"
    # what the module shows with list_compliant false and nothing drifted
    plan = plan_for([rule(["PROD_DB", "PROD_X", "OTHER"], True, projects=["Production", "Red Team"])], basic_secrets(), list_compliant=False)
    entries = apply_results(plan, {})
    summary = summarize(entries, plan.projects_count, plan.compliant_unlisted)
    assert entries == [] and plan.compliant_unlisted == 3
    assert render_table(entries, summary) == "all 3 covered secrets comply"
    plan = plan_for([rule(["NOTHING"], True, personal=True)], basic_secrets(), list_compliant=False)
    assert render_table(apply_results(plan, {}), summarize([], plan.projects_count, plan.compliant_unlisted)) == (
        "no secret is covered by the policy")


def test_render_table_sanitizes_and_truncates():
    entries = [{"project_id": PROD, "project_name": "Pro\nduction", "secret_id": "x", "secret_name": "A\tB" + "C" * 100,
                "before": None, "after": True, "rule": 0, "status": "drifted", "error": None}]
    table = render_table(entries)
    assert len(table.splitlines()) == 3 and "\t" not in table
    assert "Pro\ufffdduction (%s)" % PROD in table and "A\ufffdB" in table
    assert "unset -> true" in table and "..." in table


def test_render_table_replaces_invisible_format_characters():
    sneaky_secret = "PROD\u202e_NEKOT\u200b"      # right-to-left override, zero-width space
    sneaky_project = "Red\u2066 Team\u2069\u200f"  # isolate, pop isolate, right-to-left mark
    entries = [
        {"project_id": RED, "project_name": sneaky_project, "secret_id": "s-1", "secret_name": sneaky_secret,
         "before": False, "after": True, "rule": 0, "status": "failed", "error": "bad\u202dnote\ufeff"},
        {"project_id": PROD, "project_name": "Production", "secret_id": "s-2", "secret_name": "PLAIN",
         "before": True, "after": True, "rule": 0, "status": "compliant", "error": None},
    ]
    table = render_table(entries)
    for character in "\u202e\u200b\u2066\u2069\u200f\u202d\ufeff":
        assert character not in table
    assert "PROD\ufffd_NEKOT\ufffd" in table
    assert "Red\ufffd Team\ufffd\ufffd (%s)" % RED in table
    assert "bad\ufffdnote\ufffd" in table
    lines = table.splitlines()
    assert len(lines) == 4
    assert lines[2].index("failed") == lines[3].index("compliant")


@pytest.mark.parametrize("character", ["\u061c", "\u2028", "\u2029", "\U000e0041"])
def test_render_table_replaces_other_invisible_characters(character):
    entries = [{"project_id": PROD, "project_name": "Production", "secret_id": "s-1", "secret_name": "PROD" + character + "TOKEN",
                "before": False, "after": True, "rule": 0, "status": "drifted", "error": None}]
    table = render_table(entries)
    assert character not in table and len(table.splitlines()) == 3


# ---------------------------------------------------------------- properties

NAMES = st.text(alphabet="AB_", min_size=1, max_size=4)
PATTERNS = st.one_of(NAMES, st.sampled_from(["*", "A*", "*B", "?", "A?", "[AB]_*", "B*"]))
PROJECT_POOL = [{"id": "bbbbbbbb-0000-4000-8000-%012d" % i, "name": "Project %d" % i} for i in range(4)]
UNLISTED_POOL = ["cccccccc-0000-4000-8000-%012d" % i for i in range(2)]
FLAGS = st.sampled_from([True, False, True, False, None, "true"])


@st.composite
def scenarios(draw):
    projects = draw(st.lists(st.sampled_from(PROJECT_POOL), min_size=0, max_size=4, unique_by=lambda p: p["id"]))
    ids = [p["id"] for p in projects]
    refs_pool = ids + [i.upper() for i in ids] + [p["name"] for p in projects] + UNLISTED_POOL + [UNLISTED_POOL[0].upper()]
    rules = []
    for _unused in range(draw(st.integers(min_value=0, max_value=4))):
        personal = draw(st.booleans())
        if draw(st.booleans()):
            refs = draw(st.lists(st.sampled_from(refs_pool), min_size=0 if personal else 1, max_size=3))
        else:
            refs = [] if personal and draw(st.booleans()) else "*"
        rules.append(rule(draw(st.lists(PATTERNS, min_size=1, max_size=3)), draw(st.booleans()), projects=refs, personal=personal))
    counter = iter(range(10 ** 6))
    secrets_by_scope = {}
    for key in [None] + ids + UNLISTED_POOL:
        kind = draw(st.integers(min_value=0, max_value=19))
        if kind == 0:
            secrets_by_scope[key] = ScopeFailure("scope %s failed" % key)
        elif kind == 1:
            secrets_by_scope[key] = ScopeFailure("scope %s not attempted" % key, attempted=False)
        elif kind == 2:
            continue  # not read at all
        else:
            secrets_by_scope[key] = [
                secret("s%d" % next(counter), draw(NAMES), draw(FLAGS), key)
                for _unused in range(draw(st.integers(min_value=0, max_value=6)))
            ]
    seed = draw(st.integers(min_value=0, max_value=2 ** 32))
    return rules, projects, secrets_by_scope, seed


def evaluate(rules, projects, secrets_by_scope, list_compliant=True):
    validated = normalize_rules(rules, "neo_secret_policy_rules")
    scopes = plan_scopes(validated, ProjectDirectory(projects), "neo_secret_policy_rules")
    return build_plan(validated, scopes, secrets_by_scope, list_compliant)


def shuffled(secrets_by_scope, seed):
    rng = random.Random(seed)
    items = list(secrets_by_scope.items())
    rng.shuffle(items)
    result = {}
    for key, records in items:
        if isinstance(records, list):
            records = [copy.deepcopy(r) for r in records]
            rng.shuffle(records)
        result[key] = records
    return result


def oracle_refs(raw_rule, projects):
    """Independent resolution: '*' or the list of lower-case ids in rule order (UUID refs kept, names looked up)."""
    refs = raw_rule.get("projects", "*")
    if refs == "*":
        return "*"
    by_name = {p["name"]: p["id"] for p in projects}
    return [ref.lower() if ref.lower().startswith(("bbbbbbbb", "cccccccc")) else by_name[ref] for ref in refs]


def oracle_resolve(raw_rule, projects):
    refs = oracle_refs(raw_rule, projects)
    return refs if refs == "*" else set(refs)


def covers(raw_rule, resolved, scope_key, listed):
    if scope_key is None:
        return bool(raw_rule.get("personal"))
    return scope_key in listed if resolved == "*" else scope_key in resolved


def decides(raw_rule, resolved, scope_key, name, listed):
    return covers(raw_rule, resolved, scope_key, listed) and any(fnmatch.fnmatchcase(name, p) for p in raw_rule["match"])


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_property_plan_is_deterministic(scenario):
    rules, projects, secrets_by_scope, seed = scenario
    plan = evaluate(rules, projects, secrets_by_scope)
    again = evaluate(rules, projects, shuffled(secrets_by_scope, seed))
    assert again == plan
    assert again.entries == plan.entries


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_property_scopes_match_the_oracle(scenario):
    rules, projects, _secrets, _seed = scenario
    plan = evaluate(rules, projects, {})
    resolved = [oracle_resolve(r, projects) for r in rules]
    ids = [p["id"] for p in projects]
    unlisted = []
    for raw_rule in rules:
        refs = oracle_refs(raw_rule, projects)
        if refs != "*":
            unlisted.extend(i for i in refs if i not in ids and i not in unlisted)
    if "*" in resolved:
        listed = ids
    else:
        listed = [i for i in ids if any(refs != "*" and i in refs for refs in resolved)]
    assert plan.scopes.project_ids == tuple(listed) + tuple(unlisted)
    assert plan.scopes.personal == any(r["personal"] for r in rules)
    assert plan.projects_count == len(plan.scopes.project_ids)
    assert [r if r == "*" else frozenset(r) for r in resolved] == list(plan.scopes.rule_projects)


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_property_applying_the_plan_converges(scenario):
    rules, projects, secrets_by_scope, _seed = scenario
    plan = evaluate(rules, projects, secrets_by_scope)
    after = {entry["secret_id"]: entry["after"] for entry in plan.changes}
    updated = {}
    for key, records in secrets_by_scope.items():
        if isinstance(records, list):
            records = [dict(r, default_available=after.get(r["id"], r["default_available"])) for r in records]
        updated[key] = records
    outcomes = {secret_id: {"ok": True, "default_available": flag} for secret_id, flag in after.items()}
    entries = apply_results(plan, outcomes)
    summary = summarize(entries, plan.projects_count)
    assert summary["changed"] == len(plan.changes) == summary["drifted"]
    assert summary["checked"] == summary["compliant"] + summary["drifted"]
    replanned = evaluate(rules, projects, updated)
    assert replanned.changes == []
    assert [(e["project_id"], e["secret_id"], e["rule"]) for e in replanned.entries] == [
        (e["project_id"], e["secret_id"], e["rule"]) for e in plan.entries]


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_property_recorded_rule_is_the_first_match(scenario):
    rules, projects, secrets_by_scope, _seed = scenario
    plan = evaluate(rules, projects, secrets_by_scope)
    resolved = [oracle_resolve(r, projects) for r in rules]
    listed = {p["id"].lower() for p in projects}
    planned = {(e["project_id"], e["secret_id"]) for e in plan.entries if e["secret_id"] is not None}
    for entry in plan.entries:
        if entry["secret_id"] is None:
            records = secrets_by_scope.get(entry["project_id"])
            if isinstance(records, ScopeFailure):
                assert (entry["status"], entry["error"]) == ("failed" if records.attempted else "not_attempted", records.reason)
            else:
                assert records is None and entry["status"] == "failed"
            continue
        name, index = entry["secret_name"], entry["rule"]
        decider = rules[index]
        assert decides(decider, resolved[index], entry["project_id"], name, listed)
        assert entry["after"] is decider["default_available"]
        assert entry["status"] == ("compliant" if entry["before"] is entry["after"] else "drifted")
        for earlier in range(index):
            assert not decides(rules[earlier], resolved[earlier], entry["project_id"], name, listed)
    # completeness: every readable secret that some covering rule matches is in the plan
    for key in plan.scopes.keys:
        records = secrets_by_scope.get(key)
        if not isinstance(records, list):
            assert [e["secret_id"] for e in plan.entries if e["project_id"] == key] == [None]
            continue
        for record in records:
            decided = any(decides(r, resolved[i], key, record["name"], listed) for i, r in enumerate(rules))
            assert ((key, record["id"]) in planned) == decided


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_property_unlisted_compliant_secrets_are_counted_the_same(scenario):
    rules, projects, secrets_by_scope, seed = scenario
    listed = evaluate(rules, projects, secrets_by_scope)
    unlisted = evaluate(rules, projects, shuffled(secrets_by_scope, seed), list_compliant=False)
    assert list(unlisted.entries) == [entry for entry in listed.entries if entry["status"] != "compliant"]
    assert unlisted.changes == listed.changes
    assert unlisted.compliant_unlisted == sum(1 for entry in listed.entries if entry["status"] == "compliant")
    for check_mode in (True, False):
        assert (summarize(apply_results(unlisted, {}, check_mode), unlisted.projects_count, unlisted.compliant_unlisted)
                == summarize(apply_results(listed, {}, check_mode), listed.projects_count))


OUTCOME_KINDS = ("ok", "wrong", "failed", "not_attempted", "missing", "garbage")


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.data())
def test_property_every_planned_write_is_accounted_for_once(scenario, data):
    rules, projects, secrets_by_scope, _seed = scenario
    list_compliant = data.draw(st.booleans())
    plan = evaluate(rules, projects, secrets_by_scope, list_compliant)
    frozen = copy.deepcopy(plan.entries)
    kinds = {entry["secret_id"]: data.draw(st.sampled_from(OUTCOME_KINDS)) for entry in plan.changes}
    outcomes = {"unplanned-id": {"ok": True, "default_available": True}}
    for entry in plan.changes:
        kind = kinds[entry["secret_id"]]
        if kind == "ok":
            outcomes[entry["secret_id"]] = {"ok": True, "default_available": entry["after"]}
        elif kind == "wrong":
            outcomes[entry["secret_id"]] = {"ok": True, "default_available": data.draw(st.sampled_from([not entry["after"], None, "true"]))}
        elif kind == "failed":
            outcomes[entry["secret_id"]] = {"ok": False, "error": "update of %s failed" % entry["secret_id"]}
        elif kind == "not_attempted":
            outcomes[entry["secret_id"]] = {"ok": False, "error": "credentials rejected", "attempted": False}
        elif kind == "garbage":
            outcomes[entry["secret_id"]] = "garbage"
    expected = {"ok": "changed", "wrong": "failed", "failed": "failed", "not_attempted": "not_attempted",
                "missing": "not_attempted", "garbage": "not_attempted"}

    entries = apply_results(plan, outcomes)
    assert plan.entries == frozen  # the plan is not modified
    assert len(entries) == len(plan.entries)
    writes = []
    for before, after in zip(plan.entries, entries):
        assert tuple(after) == ENTRY_FIELDS
        assert (after["project_id"], after["secret_id"]) == (before["project_id"], before["secret_id"])
        if before["status"] == "drifted":
            assert after["status"] == expected[kinds[before["secret_id"]]]
            assert (after["error"] is None) == (after["status"] == "changed")
            assert dict(after, status="drifted", error=None) == before
            writes.append(after["secret_id"])
        else:
            assert after == before
    assert sorted(writes) == sorted(e["secret_id"] for e in plan.changes) == sorted(kinds)
    assert len(set(writes)) == len(writes)

    summary = summarize(entries, plan.projects_count, plan.compliant_unlisted)
    secret_statuses = [e["status"] for e in entries if e["secret_id"] is not None]
    scope_statuses = [e["status"] for e in entries if e["secret_id"] is None]
    assert summary["projects"] == plan.projects_count
    assert summary["checked"] == summary["compliant"] + summary["drifted"]
    assert summary["drifted"] == len(plan.changes)
    assert summary["drifted"] == summary["changed"] + secret_statuses.count("failed") + secret_statuses.count("not_attempted")
    assert summary["failed"] == secret_statuses.count("failed") + scope_statuses.count("failed")
    assert summary["not_attempted"] == secret_statuses.count("not_attempted") + scope_statuses.count("not_attempted")
    assert summary["changed"] == list(kinds.values()).count("ok")
    assert (failure_reason(entries) is None) == (summary["failed"] == 0 and summary["not_attempted"] == 0)

    check = apply_results(plan, outcomes, check_mode=True)
    assert check == [dict(e) for e in plan.entries]
    check_summary = summarize(check, plan.projects_count, plan.compliant_unlisted)
    assert check_summary["changed"] == 0 and check_summary["drifted"] == summary["drifted"]
    assert check_summary["checked"] == check_summary["compliant"] + check_summary["drifted"] == summary["checked"]

    table = render_table(entries, summary)
    assert CANARY not in table
    if entries:
        assert len(table.splitlines()) == 2 + len(entries)
