# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit and property tests of the policy evaluation (plugins/module_utils/_neo_policy.py)."""
from __future__ import annotations

import copy
import dataclasses
import datetime
import fnmatch
import json
import random
import xml.etree.ElementTree as ET

import pytest
from hypothesis import event, given, settings, strategies as st

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    NeoAmbiguousError,
    NeoError,
    NeoInputError,
    REASON_NOT_ATTEMPTED,
    NeoNotFound,
    PolicyError,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_policy import (
    ENTRY_FIELDS,
    STATUS_NOT_ATTEMPTED,
    POLICY_ARGSPEC,
    PolicyException,
    Rule,
    Scopes,
    apply_results,
    build_plan,
    comma_separated,
    exceptions_from_text,
    exceptions_report,
    exceptions_summary,
    failure_reason,
    plan_scopes,
    policy_from_args,
    policy_warnings,
    rules_report,
    summarize,
    utc_today,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ProjectDirectory
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_reports import render_json, render_junit, render_table

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
# The entry fields that say who made a secret and which exception decided it, when nothing does.
NO_EXTRA = {"created_by_agent": None, "exception_reason": None, "exception_expires": None, "exception_owner": None}


def secret(secret_id, name, flag, project_id=None, **extra):
    return dict({
        "id": secret_id, "name": name, "default_available": flag, "project_id": project_id,
        "value": "value-%s-%s" % (CANARY, secret_id), "masked_value": "****%s" % CANARY,
    }, **extra)


def rule(match, default_available, **options):
    return dict(match=match, default_available=default_available, **options)


def sid(number):
    """A secret id (exceptions name secrets by UUID)."""
    return "5ec00000-0000-4000-8000-%012d" % number


def waiver(default_available, expires="2025-06-30", reason="vendor migration", **target):
    return dict(target, default_available=default_available, reason=reason, expires=expires)


def compiled_rules(raw_rules):
    """The rules as the module takes them: validated by POLICY_ARGSPEC, then compiled."""
    return policy_from_args({"rules": raw_rules})[0]


def compiled_exceptions(raw_exceptions):
    return policy_from_args({"exceptions": raw_exceptions})[1]


def scopes_for(raw_rules, projects=UNIQUE_PROJECTS):
    rules = compiled_rules(raw_rules)
    return rules, plan_scopes(rules, ProjectDirectory(projects))


def plan_for(raw_rules, secrets_by_scope, projects=UNIQUE_PROJECTS, list_compliant=True):
    """What the action plugin does: validate, resolve, then plan."""
    rules, scopes = scopes_for(raw_rules, projects)
    return build_plan(rules, scopes, secrets_by_scope, list_compliant)


# ---------------------------------------------------------------- validation


# ansible-core's validator checks what POLICY_ARGSPEC says (types, required options, choices,
# unknown keys), as for the module; compile_policy what no spec can say. Messages name the path.
# Its wording differs between versions (``<class 'str'>`` or ``str``; a None string may become "").


@pytest.mark.parametrize("args, text", [
    ({"rules": "PROD_*"}, "Elements value for option 'rules' is of type"),
    ({"rules": ["A"]}, "Elements value for option 'rules' is of type"),
    ({"rules": [rule(["A"], True, projcts="*")]}, "unsupported parameters: rules.projcts. Supported parameters include: created_by, default_available, "
                                                  "exclude, exclude_projects, match, name, personal, project_tags, projects."),
    ({"rules": [], "rulez": []}, "unsupported parameters: rulez. Supported parameters include: exceptions, exceptions_max_days, "
                                 "exceptions_require_owner, exceptions_warn_days, rules."),
    ({"rules": [{"default_available": True}]}, "missing required arguments: match found in rules"),
    ({"rules": [{"match": ["A"]}]}, "missing required arguments: default_available found in rules"),
    ({"rules": [rule(["A"], None)]}, "argument 'default_available' is of type"),
    ({"rules": [rule(["A"], "maybe")]}, "argument 'default_available' is of type"),
    ({"rules": [rule(["A"], True, personal="maybe")]}, "argument 'personal' is of type"),
    ({"rules": [rule(["A"], True, exclude_projects=[PROD, None])]},
     ("Elements value for option 'exclude_projects' found in 'rules' is of type", "rules[0].exclude_projects[1]: must be a non-empty string")),
    ({"rules": [rule(["A"], True, created_by="bot")]}, "value of created_by must be one of: any, agent, user, got: bot found in rules"),
    ({"rules": [rule(["A", ["B"]], True)]}, "argument 'rules[0].match[1]' must be a string, got a list"),
    ({"rules": [rule(["A"], True), rule(["A"], True, name={"a": 1})]}, "argument 'rules[1].name' must be a string, got a dictionary"),
    ({"exceptions": {"secret_id": "x"}}, "argument 'exceptions' is of type"),
    ({"exceptions": [waiver(True, secret_id="x", colour="red")]}, "unsupported parameters: exceptions.colour. Supported parameters include: "
                                                                  "default_available, expires, name, owner, personal, project, reason, secret_id."),
    ({"exceptions": [waiver(True, secret_id=sid(1), reason=None)]},
     ("argument 'reason' is of type", "exceptions[0].reason: must be a non-empty string")),
    ({"exceptions": [waiver(True, secret_id=sid(1), expires=None)]},
     ("argument 'expires' is of type", "exceptions[0].expires: must be a date YYYY-MM-DD")),
    ({"exceptions": [waiver(True, name=["A"], personal=True)]}, "argument 'exceptions[0].name' must be a string, got a list"),
])
def test_the_argument_spec_checks_types_required_options_and_unknown_keys(args, text):
    with pytest.raises(PolicyError) as excinfo:
        policy_from_args(args)
    message = str(excinfo.value)
    assert any(alternative in message for alternative in ((text,) if isinstance(text, str) else text)), message
    assert isinstance(excinfo.value, NeoInputError) and isinstance(excinfo.value, ValueError)
    assert "\n" not in message


@pytest.mark.parametrize("rules, path, text", [
    ([rule([], True)], "[0].match", "must be a non-empty list of name patterns"),
    ([rule(["A"], True), rule(["A"], True), rule([], True)], "[2].match", "must be a non-empty list of name patterns"),
    ([rule(["A", ""], True)], "[0].match[1]", "must be a non-empty string (a name pattern)"),
    ([rule(["A"], True, projects=42)], "[0].projects", "must be '*' or a list of project ids or names, got a number"),
    ([rule(["A"], True, projects="Production,")], "[0].projects[1]", "must be a non-empty string (a project id or name)"),
    ([rule(["A"], True, projects={"id": PROD})], "[0].projects", "must be '*' or a list of project ids or names, got an object"),
    ([rule(["A"], True, projects=[PROD, ""])], "[0].projects[1]", "must be a non-empty string (a project id or name)"),
    ([rule(["A"], True, projects=[None])], "[0].projects[0]", "must be a non-empty string (a project id or name)"),
    ([rule(["A"], True, projects=[])], "[0].projects", "covers no secret"),
    ([rule(["A"], True, projects=[], personal=False)], "[0].projects", "covers no secret"),
])
def test_compile_policy_errors_name_the_option_path(rules, path, text):
    with pytest.raises(PolicyError) as excinfo:
        policy_from_args({"rules": rules})
    message = str(excinfo.value)
    assert message.startswith("rules" + path + ": "), message
    assert text in message and "\n" not in message


def test_every_problem_is_named_at_once():
    with pytest.raises(PolicyError) as excinfo:
        policy_from_args({"rules": [rule(["prod_*", ""], True), rule(["A"], True, projects=[])],
                          "exceptions": [waiver(True, secret_id="nope", expires="soon")]})
    assert str(excinfo.value) == (
        "rules[0].match[1]: must be a non-empty string (a name pattern); "
        "rules[0].match[0]: 'prod_*' can never match a secret name: names are upper-case (did you mean 'PROD_*'?); "
        "rules[1].projects: an empty list with personal false covers no secret; list projects, use '*' or set personal to true; "
        "exceptions[0].secret_id: 'nope' is not a UUID; exceptions[0].expires: must be a date YYYY-MM-DD, got 'soon'")


@pytest.mark.parametrize("match", ["*", ["*"], "PROD_*,AWS_*"])
def test_match_is_read_as_the_module_reads_it(match):
    """A string is a list of one glob (or of comma-separated globs), for the module and the event source alike."""
    (r,) = compiled_rules([rule(match, False)])
    assert r.match == (("PROD_*", "AWS_*") if "," in match else ("*",))


def test_compiled_rules_defaults_and_shapes():
    rules = compiled_rules([
        rule(["PROD_*", "AWS_*", "PROD_*"], True),
        rule(["X"], False, projects=["Production", PROD, "Production"], personal=True),
        rule(["Y"], True, projects=[], personal=True),
        rule(["Z"], True, projects=None),
    ])
    assert rules[0] == Rule(index=0, name="rule 1", match=("PROD_*", "AWS_*"), projects="*", personal=False, default_available=True)
    assert rules[1] == Rule(index=1, name="rule 2", match=("X",), projects=("Production", PROD), personal=True, default_available=False)
    assert [r.name for r in rules] == ["rule 1", "rule 2", "rule 3", "rule 4"]
    assert all((r.exclude, r.exclude_projects, r.project_tags, r.created_by) == ((), (), (), "any") for r in rules)
    assert rules[2].projects == () and rules[2].personal is True
    assert rules[3].projects == "*" and rules[3].personal is False
    assert policy_from_args({"rules": []}) == ([], []) and policy_from_args({}) == ([], [])
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules[0].personal = True


def test_the_argument_spec_is_the_modules():
    """neo_secret_policy validates its rules, exceptions and their governance with POLICY_ARGSPEC (rules required there)."""
    assert set(POLICY_ARGSPEC) == {"rules", "exceptions", "exceptions_max_days", "exceptions_require_owner", "exceptions_warn_days"}
    assert all(POLICY_ARGSPEC[name]["type"] == "list" and POLICY_ARGSPEC[name]["elements"] == "dict" for name in ("rules", "exceptions"))
    assert (POLICY_ARGSPEC["exceptions_max_days"], POLICY_ARGSPEC["exceptions_require_owner"], POLICY_ARGSPEC["exceptions_warn_days"]) == (
        {"type": "int"}, {"type": "bool", "default": False}, {"type": "int", "default": 14})


def test_rule_matches_case_sensitive_glob():
    names = ["PROD_DB", "AWS_KEY", "prod_db", "AWS_KKEY"]
    plan = plan_for([rule(["PROD_*", "AWS_?EY"], True, personal=True, projects=[])],
                    {None: [secret("s-%d" % number, name, False) for number, name in enumerate(names)]})
    assert sorted(entry["secret_name"] for entry in plan.entries) == ["AWS_KEY", "PROD_DB"]


# ---------------------------------------------------------------- scopes


def test_scopes_resolve_ids_and_unique_names():
    _rules, scopes = scopes_for([rule(["A"], True, projects=["Production", RED, STAGING]), rule(["B"], True)])
    # '*' is the frozenset of every listed project id (no marker).
    assert scopes.rule_projects == (frozenset({PROD, RED, STAGING}), frozenset({PROD, STAGING, RED}))
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


def test_ambiguous_name_lists_ids():
    with pytest.raises(NeoAmbiguousError) as excinfo:
        scopes_for([rule(["A"], True), rule(["B"], True, projects=[PROD, "Staging"])], PROJECTS)
    message = str(excinfo.value)
    assert isinstance(excinfo.value, NeoError)
    assert message.startswith("rules[1].projects[1]: ")
    assert "'Staging' matches 2 projects" in message and STAGING in message and STAGING_2 in message


@pytest.mark.parametrize("ref", ["Nope", "production", "Red"])
def test_unknown_name_is_an_error(ref):
    with pytest.raises(NeoNotFound) as excinfo:
        scopes_for([rule(["A"], True, projects=[PROD]), rule(["A"], True, projects=[RED, ref])], PROJECTS)
    assert isinstance(excinfo.value, NeoError)
    assert str(excinfo.value).startswith("rules[1].projects[1]: no project named %r" % ref)


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
        "before": True, "after": False, "rule": 0, "rule_name": "rule 1", "status": "drifted", "error": None,
        "created_by_agent": None, "exception_reason": None, "exception_expires": None, "exception_owner": None,
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
    secrets[STAGING] = NeoError("Neo API 403 forbidden (error_id 1a2b3c): not a member of this project")
    secrets[None] = NeoError("Neo API 401 unauthorized: request not sent", REASON_NOT_ATTEMPTED)
    del secrets[RED]
    plan = plan_for([rule(["*"], True, personal=True)], secrets)
    scope_entries = [e for e in plan.entries if e["secret_id"] is None]
    assert scope_entries == [
        {"project_id": None, "project_name": None, "secret_id": None, "secret_name": None, "before": None, "after": None,
         "rule": None, "rule_name": None, "status": "not_attempted", "error": "Neo API 401 unauthorized: request not sent", **NO_EXTRA},
        {"project_id": STAGING, "project_name": "Staging", "secret_id": None, "secret_name": None, "before": None, "after": None,
         "rule": None, "rule_name": None, "status": "failed", "error": "Neo API 403 forbidden (error_id 1a2b3c): not a member of this project",
         **NO_EXTRA},
        {"project_id": RED, "project_name": "Red Team", "secret_id": None, "secret_name": None, "before": None, "after": None,
         "rule": None, "rule_name": None, "status": "failed", "error": "the secrets of this scope were not read", **NO_EXTRA},
    ]
    assert [e["project_id"] for e in plan.entries] == [None, PROD, PROD, PROD, STAGING, RED]
    assert all(e["secret_id"] for e in plan.changes)
    assert plan.projects_count == 3


@pytest.mark.parametrize("reason, status", [(None, "failed"), ("not sent", "failed"), (REASON_NOT_ATTEMPTED, "not_attempted")])
def test_scope_error_without_message(reason, status):
    plan = plan_for([rule(["*"], True, projects=[RED])], {RED: NeoError("", reason)})
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
    secrets[UNLISTED_2] = NeoError("Neo API 404 not found (error_id 9)")
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
    secrets[STAGING] = NeoError("Neo API 403 forbidden (error_id 42): not a member")
    # personal: s-p1 compliant, s-p2 drifted; PROD: s-11, s-13 compliant, s-12 drifted; RED: s-31 compliant
    return plan_for([rule(["*"], True, personal=True)], secrets, list_compliant=list_compliant)


def test_apply_results_real_mode():
    plan = drifty_plan()
    assert sorted(e["secret_id"] for e in plan.changes) == ["s-12", "s-p2"]
    outcomes = {"s-p2": {"id": "s-p2", "default_available": True}, "s-12": NeoError("Neo API 500 internal error (error_id 7)")}
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
    entries = apply_results(plan, {"s-p2": NeoError("x")}, check_mode=True)
    assert [e["status"] for e in entries] == [e["status"] for e in plan.entries]
    assert summarize(entries, plan.projects_count) == {
        "projects": 3, "checked": 6, "compliant": 4, "drifted": 2, "changed": 0, "failed": 1, "not_attempted": 0,
    }
    assert failure_reason(entries) == "1 scope could not be read; see entries"


def test_apply_results_wrong_outcome_fails_and_missing_outcome_is_not_attempted():
    plan = drifty_plan()
    entries = by_id(apply_results(plan, {"s-p2": {"id": "s-p2", "default_available": False}}))
    assert entries["s-p2"]["status"] == "failed" and "default_available=false" in entries["s-p2"]["error"]
    assert (entries["s-12"]["status"], entries["s-12"]["error"]) == (STATUS_NOT_ATTEMPTED, "no update was sent for this secret")
    entries = by_id(apply_results(plan, {"s-p2": {"id": "s-p2"}, "s-12": "garbage"}))
    assert entries["s-p2"]["status"] == "failed" and "default_available=unset" in entries["s-p2"]["error"]
    assert entries["s-12"]["status"] == "not_attempted"
    entries = by_id(apply_results(plan, None))
    assert entries["s-p2"]["status"] == entries["s-12"]["status"] == "not_attempted"


def test_apply_results_not_attempted_outcome():
    plan = drifty_plan()
    reason = "Neo API 401 unauthorized: the API rejected the credentials; request not sent"
    outcomes = {"s-p2": NeoError(reason, REASON_NOT_ATTEMPTED), "s-12": NeoError("")}
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
    secrets[PROD] = NeoError("credentials rejected", REASON_NOT_ATTEMPTED)
    secrets[RED] = NeoError("credentials rejected", REASON_NOT_ATTEMPTED)
    plan = plan_for([rule(["*"], True)], secrets)
    entries = apply_results(plan, {"s-22": {"id": "s-22", "default_available": True}, "s-21": {"id": "s-21", "default_available": True}})
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
    entries = apply_results(plan, {"s-p2": {"id": "s-p2", "default_available": True}, "s-12": NeoError("boom")})
    table = render_table(entries, summarize(entries, plan.projects_count))
    lines = table.splitlines()
    assert lines[0].split() == ["PROJECT", "SECRET", "DEFAULT_AVAILABLE", "STATUS", "NOTE"]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(entries)
    assert lines[2].startswith("personal ") and "SLACK_WEBHOOK" in table and "false -> true" in table and "changed" in table
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


def draw_rule_projects(draw, refs_pool, personal):
    """A rule's projects: a list of refs from ``refs_pool`` (possibly empty when the rule is personal), else "*"."""
    if draw(st.booleans()):
        return draw(st.lists(st.sampled_from(refs_pool), min_size=0 if personal else 1, max_size=3))
    return [] if personal and draw(st.booleans()) else "*"


@st.composite
def scenarios(draw):
    projects = draw(st.lists(st.sampled_from(PROJECT_POOL), min_size=0, max_size=4, unique_by=lambda p: p["id"]))
    ids = [p["id"] for p in projects]
    refs_pool = ids + [i.upper() for i in ids] + [p["name"] for p in projects] + UNLISTED_POOL + [UNLISTED_POOL[0].upper()]
    rules = []
    for _unused in range(draw(st.integers(min_value=0, max_value=4))):
        personal = draw(st.booleans())
        refs = draw_rule_projects(draw, refs_pool, personal)
        rules.append(rule(draw(st.lists(PATTERNS, min_size=1, max_size=3)), draw(st.booleans()), projects=refs, personal=personal))
    counter = iter(range(10 ** 6))
    secrets_by_scope = {}
    for key in [None] + ids + UNLISTED_POOL:
        kind = draw(st.integers(min_value=0, max_value=19))
        if kind == 0:
            secrets_by_scope[key] = NeoError("scope %s failed" % key)
        elif kind == 1:
            secrets_by_scope[key] = NeoError("scope %s not attempted" % key, REASON_NOT_ATTEMPTED)
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
    validated = compiled_rules(rules)
    scopes = plan_scopes(validated, ProjectDirectory(projects))
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
    assert [frozenset(ids) if r == "*" else frozenset(r) for r in resolved] == list(plan.scopes.rule_projects)


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
    outcomes = {secret_id: {"id": secret_id, "default_available": flag} for secret_id, flag in after.items()}
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
            if isinstance(records, NeoError):
                assert (entry["status"], entry["error"]) == ("not_attempted" if records.reason == REASON_NOT_ATTEMPTED else "failed", str(records))
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
    outcomes = {"unplanned-id": {"id": "unplanned-id", "default_available": True}}
    for entry in plan.changes:
        kind = kinds[entry["secret_id"]]
        if kind == "ok":
            outcomes[entry["secret_id"]] = {"id": entry["secret_id"], "default_available": entry["after"]}
        elif kind == "wrong":
            outcomes[entry["secret_id"]] = {"id": entry["secret_id"], "default_available": data.draw(st.sampled_from([not entry["after"], None, "true"]))}
        elif kind == "failed":
            outcomes[entry["secret_id"]] = NeoError("update of %s failed" % entry["secret_id"], data.draw(st.sampled_from([None, "transport", "not sent"])))
        elif kind == "not_attempted":
            outcomes[entry["secret_id"]] = NeoError("credentials rejected", REASON_NOT_ATTEMPTED)
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


# ================================================================ governance: selectors, exceptions, status
#
# Fixed date: an exception is in force while TODAY <= expires (a UTC date), then expired.

TODAY = datetime.date(2025, 6, 15)
PROD_US = "aaaaaaaa-0000-4000-8000-000000000005"
# Tags as the API lists them; a project without a tags field has none; tags are compared stripped.
TAGGED = [
    {"id": PROD, "name": "Production", "tags": ["production", "eu"]},
    {"id": STAGING, "name": "Staging", "tags": ["staging"]},
    {"id": RED, "name": "Red Team"},
    {"id": PROD_US, "name": "Production US", "tags": [" production "]},
]


def governed_secrets():
    """Personal and project secrets made by agents (created_by_agent true), people (false) or unknown (absent, null)."""
    return {
        None: [secret(sid(1), "GITHUB_TOKEN", True, created_by_agent=False), secret(sid(2), "AGENT_NOTE", True, created_by_agent=True)],
        PROD: [secret(sid(11), "PROD_DB", True, PROD, created_by_agent=True), secret(sid(12), "PROD_API", True, PROD, created_by_agent=False),
               secret(sid(13), "PROD_PUBLIC_URL", True, PROD)],
        STAGING: [secret(sid(21), "PROD_DB", True, STAGING, created_by_agent=False),
                  secret(sid(22), "STAGING_KEY", True, STAGING, created_by_agent=True)],
        RED: [secret(sid(31), "RED_TOKEN", True, RED, created_by_agent=None)],
        PROD_US: [secret(sid(41), "PROD_DB", False, PROD_US, created_by_agent=True)],
    }


def governed(raw_rules, raw_exceptions=(), secrets=None, projects=None, list_compliant=True, today=TODAY):
    """What the action does: validate rules and exceptions, resolve scopes, plan; returns (rules, exceptions, plan)."""
    projects = TAGGED if projects is None else projects
    rules, exceptions = policy_from_args({"rules": raw_rules, "exceptions": list(raw_exceptions)})
    scopes = plan_scopes(rules, ProjectDirectory(projects), exceptions=exceptions, today=today)
    plan = build_plan(rules, scopes, governed_secrets() if secrets is None else secrets, list_compliant, exceptions, today)
    return rules, exceptions, plan


def decisions(plan):
    """secret id -> (rule index, rule name, after) of every secret entry."""
    return {e["secret_id"]: (e["rule"], e["rule_name"], e["after"]) for e in plan.entries if e["secret_id"] is not None}


# ---------------------------------------------------------------- governance: validation


def test_rule_names_default_to_their_position():
    rules = compiled_rules([rule(["A"], True), rule(["B"], False, name="  Production off "), rule(["C"], True, name=None)])
    assert [r.name for r in rules] == ["rule 1", "Production off", "rule 3"]
    _rules, _exceptions, plan = governed([rule(["PROD_DB"], False, name="db off"), rule(["*"], True)])
    assert {e["rule_name"] for e in plan.entries if e["secret_name"] == "PROD_DB"} == {"db off"}
    assert {e["rule_name"] for e in plan.entries if e["secret_name"] != "PROD_DB"} == {"rule 2"}


def test_new_rule_options_are_normalized():
    (r,) = compiled_rules([rule(["PROD_*"], False, name="n", exclude=["PROD_PUBLIC_*", "PROD_PUBLIC_*", "*_API"],
                                exclude_projects=["Staging", RED], project_tags=[" production ", "eu", "eu"], created_by="agent")])
    assert (r.exclude, r.exclude_projects, r.project_tags, r.created_by) == (
        ("PROD_PUBLIC_*", "*_API"), ("Staging", RED), ("production", "eu"), "agent")
    (r,) = compiled_rules([rule(["A"], True, exclude=None, exclude_projects=None, project_tags=None)])
    assert (r.exclude, r.exclude_projects, r.project_tags, r.created_by) == ((), (), (), "any")
    assert [compiled_rules([rule(["A"], True, created_by=c)])[0].created_by for c in ("any", "agent", "user")] == ["any", "agent", "user"]


@pytest.mark.parametrize("rules, path, text", [
    ([rule(["A"], True, name="")], "[0].name", "must be a non-empty string"),
    ([rule(["A"], True, name="   ")], "[0].name", "must be a non-empty string"),
    ([rule(["A"], True, exclude=["B", ""])], "[0].exclude[1]", "must be a non-empty string (a name pattern)"),
    ([rule(["A"], True, exclude_projects=[PROD, ""])], "[0].exclude_projects[1]", "must be a non-empty string (a project id or name)"),
    ([rule(["A"], True, project_tags=[""])], "[0].project_tags[0]", "must be a non-empty string (a tag)"),
])
def test_new_rule_options_errors_name_the_option(rules, path, text):
    with pytest.raises(PolicyError) as excinfo:
        compiled_rules(rules)
    message = str(excinfo.value)
    assert message.startswith("rules" + path + ": "), message
    assert text in message and "\n" not in message


@pytest.mark.parametrize("key", ["match", "exclude"])
@pytest.mark.parametrize("pattern, reason", [
    ("prod_*", "names are upper-case (did you mean 'PROD_*'?)"),
    ("Prod_Db", "names are upper-case (did you mean 'PROD_DB'?)"),
    ("github_token", "names are upper-case (did you mean 'GITHUB_TOKEN'?)"),
    ("[a-z]*", "names are upper-case (did you mean '[A-Z]*'?)"),
    ("PROD.*", "'.' never appear in one (upper-case letters, digits and _ only)"),
    ("PROD DB", "' ' never appear in one (upper-case letters, digits and _ only)"),
    ("prod.db", "'.', 'b', 'd', 'o', 'p', 'r' never appear in one (upper-case letters, digits and _ only)"),
    ("PR\u00d6D_*", "'\u00d6' never appear in one (upper-case letters, digits and _ only)"),
])
def test_a_glob_that_can_never_match_fails_with_a_clear_message(pattern, reason, key):
    raw = rule(["GOOD_*", pattern], True) if key == "match" else rule(["*"], True, exclude=["GOOD_*", pattern])
    with pytest.raises(PolicyError) as excinfo:
        compiled_rules([rule(["OK"], True), raw])
    assert str(excinfo.value) == "rules[1].%s[1]: %r can never match a secret name: %s" % (key, pattern, reason)


@pytest.mark.parametrize("pattern", ["GITHUB-TOKEN", "PROD_!", "^PROD_*", "PROD_[", "PROD]"])
def test_glob_syntax_characters_outside_brackets_can_never_match(pattern):
    assert not any(fnmatch.fnmatchcase(name, pattern) for name in ("GITHUB_TOKEN", "PROD_", "PROD_X", "PROD"))
    with pytest.raises(PolicyError, match=r"^rules\[0\]\.match\[0\]: .* can never match a secret name"):
        compiled_rules([rule([pattern], True)])


@pytest.mark.parametrize("pattern", ["*", "?", "PROD_?B", "[A-Z]*", "[!X]*", "[^X]*", "A1_*", "*_[0-9]", "_"])
def test_globs_that_can_match_are_accepted(pattern):
    (r,) = compiled_rules([rule([pattern], True, exclude=[pattern])])
    assert r.match == (pattern,) and r.exclude == (pattern,)


@pytest.mark.parametrize("exceptions, path, text", [
    ([waiver(True, secret_id="nope")], "[0].secret_id", "'nope' is not a UUID"),
    ([waiver(True, secret_id=" " + sid(1))], "[0].secret_id", "is not a UUID"),
    ([waiver(True)], "[0]", "give secret_id, or name with project (an id or name) or personal: true"),
    ([waiver(True, project="Production")], "[0]", "give secret_id, or name with project (an id or name) or personal: true"),
    ([waiver(True, secret_id=sid(1), name="A", project="Production")], "[0]", "give either secret_id, or name with project or personal: true, not both"),
    ([waiver(True, secret_id=sid(1), personal=True)], "[0]", "not both"),
    ([waiver(True, name="PROD_DB")], "[0]", "with name, give exactly one of project (an id or name) and personal: true"),
    ([waiver(True, name="PROD_DB", project="Production", personal=True)], "[0]", "with name, give exactly one of project"),
    ([waiver(True, name="prod_db", personal=True)], "[0].name", "'prod_db' is not a valid secret name"),
    ([waiver(True, name="1DB", personal=True)], "[0].name", "is not a valid secret name"),
    ([waiver(True, name="A" * 129, personal=True)], "[0].name", "is not a valid secret name (1 to 128 characters"),
    ([waiver(True, name="PROD_DB", project="")], "[0].project", "must be a non-empty string"),
    ([waiver(True, secret_id=sid(1), reason="  ")], "[0].reason", "must be a non-empty string"),
    ([waiver(True, secret_id=sid(1), expires="2025-02-30")], "[0].expires", "must be a date YYYY-MM-DD, got '2025-02-30'"),
    ([waiver(True, secret_id=sid(1), expires="30/06/2025")], "[0].expires", "must be a date YYYY-MM-DD"),
    ([waiver(True, secret_id=sid(1), expires="2025-6-1")], "[0].expires", "must be a date YYYY-MM-DD"),
    ([waiver(True, secret_id=sid(1), expires=20250630)], "[0].expires", "must be a date YYYY-MM-DD, got '20250630'"),
    ([waiver(True, secret_id=sid(1), expires="2025-07-02 25:00")], "[0].expires", "must be a date YYYY-MM-DD, got '2025-07-02 25:00'"),
    ([waiver(True, secret_id=sid(1), expires="2025-07-02T23:59 tomorrow")], "[0].expires", "must be a date YYYY-MM-DD"),
    ([waiver(True, secret_id=sid(1)), waiver(True, secret_id=sid(2), owner="")], "[1].owner", "must be a non-empty string"),
])
def test_exception_errors_name_the_option(exceptions, path, text):
    with pytest.raises(PolicyError) as excinfo:
        compiled_exceptions(exceptions)
    message = str(excinfo.value)
    assert message.startswith("exceptions" + path + ": "), message
    assert text in message and "\n" not in message


def test_compiled_exceptions_shapes():
    exceptions = compiled_exceptions([
        waiver(False, secret_id=sid(11).upper(), owner="  team \n sec "),
        waiver(True, name="PROD_DB", project=" Production ", reason="  multi\n line   reason ", expires=datetime.date(2025, 7, 1)),
        waiver(True, name="GITHUB_TOKEN", personal=True, expires="2025-07-02", owner=None),
        waiver(True, secret_id=sid(12), expires=" 2025-07-03 "),
    ])
    assert exceptions == [
        PolicyException(index=0, secret_id=sid(11), default_available=False, reason="vendor migration", expires=datetime.date(2025, 6, 30),
                        owner="team sec"),
        PolicyException(index=1, name="PROD_DB", project="Production", default_available=True, reason="multi line reason",
                        expires=datetime.date(2025, 7, 1)),
        PolicyException(index=2, name="GITHUB_TOKEN", personal=True, default_available=True, reason="vendor migration",
                        expires=datetime.date(2025, 7, 2)),
        PolicyException(index=3, secret_id=sid(12), default_available=True, reason="vendor migration", expires=datetime.date(2025, 7, 3)),
    ]
    assert compiled_exceptions(None) == [] and compiled_exceptions([]) == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        exceptions[0].expires = TODAY


@pytest.mark.parametrize("expires, status", [
    (TODAY + datetime.timedelta(days=1), "in_force"), (TODAY, "in_force"), (TODAY - datetime.timedelta(days=1), "expired")])
def test_exception_is_in_force_through_its_expiry_day(expires, status):
    (exception,) = compiled_exceptions([waiver(True, secret_id=sid(1), expires=expires.isoformat(), owner="alice")])
    assert exception.status(TODAY) == status
    assert exception.entry_fields() == {"exception_reason": "vendor migration", "exception_expires": expires.isoformat(), "exception_owner": "alice"}


# ---------------------------------------------------------------- governance: scopes


def test_project_tags_with_star_cover_every_tagged_project():
    _rules, _exceptions, plan = governed([rule(["*"], False, project_tags=["production"])])
    assert plan.scopes.rule_projects == (frozenset({PROD, PROD_US}),)
    assert plan.scopes.keys == (PROD, PROD_US)
    assert plan.projects_count == 2
    assert {e["project_id"] for e in plan.entries} == {PROD, PROD_US}


def test_project_tags_intersect_the_listed_projects():
    _rules, _exceptions, plan = governed([rule(["*"], False, projects=["Staging", PROD, "Red Team"], project_tags=["production"])])
    assert plan.scopes.rule_projects == (frozenset({PROD}),)
    assert plan.scopes.keys == (PROD,)


def test_project_tags_cover_projects_with_any_of_the_tags():
    _rules, _exceptions, plan = governed([rule(["*"], False, project_tags=["staging", "eu"])])
    assert plan.scopes.rule_projects == (frozenset({PROD, STAGING}),)


@pytest.mark.parametrize("tags", [["Production"], ["prod"], ["no-such-tag"]])
def test_project_tags_are_case_sensitive_and_may_match_nothing(tags):
    rules, _exceptions, plan = governed([rule(["*"], False, project_tags=tags)])
    assert plan.scopes.rule_projects == (frozenset(),)
    assert plan.scopes.keys == () and plan.entries == ()
    assert rules_report(rules, plan) == [{"index": 0, "name": "rule 1", "default_available": False, "decided": 0, "status": "covers_no_project",
                                          "shadowed_by": []}]


def test_project_tags_never_cover_an_unlisted_project():
    # Tags come from the projects list: an id the caller cannot list has none, so it is not read.
    _rules, _exceptions, plan = governed([rule(["*"], False, projects=[UNLISTED, "Production"], project_tags=["production"])])
    assert plan.scopes.rule_projects == (frozenset({PROD}),)
    assert plan.scopes.keys == (PROD,)


def test_exclude_projects_by_id_and_by_name():
    _rules, _exceptions, plan = governed([rule(["*"], False, exclude_projects=[RED.upper(), "Staging"])])
    assert plan.scopes.rule_projects == (frozenset({PROD, PROD_US}),)
    assert plan.scopes.keys == (PROD, PROD_US)
    _rules, _exceptions, plan = governed([rule(["*"], False, project_tags=["production"], exclude_projects=["Production US"])])
    assert plan.scopes.rule_projects == (frozenset({PROD}),)
    # an unlisted id excluded changes nothing; an explicit unlisted id excluded is not read
    _rules, _exceptions, plan = governed([rule(["*"], False, exclude_projects=[UNLISTED])])
    assert plan.scopes.keys == (PROD, STAGING, RED, PROD_US)
    _rules, _exceptions, plan = governed([rule(["*"], False, projects=[UNLISTED, "Staging"], exclude_projects=[UNLISTED])])
    assert plan.scopes.keys == (STAGING,)


def test_exclude_projects_leaves_the_personal_scope_alone():
    excluded = ["Production", "Staging", "Red Team", "Production US"]
    rules, _exceptions, plan = governed([rule(["GITHUB_*"], False, personal=True, exclude_projects=excluded)])
    assert plan.scopes.rule_projects == (frozenset(),)
    assert plan.scopes.keys == (None,)
    assert decisions(plan) == {sid(1): (0, "rule 1", False)}
    assert plan.scopes.covers(rules[0], None) is True


def test_exclude_projects_unknown_or_ambiguous_name_is_an_error():
    with pytest.raises(NeoNotFound) as excinfo:
        scopes_for([rule(["A"], True), rule(["A"], True, exclude_projects=[PROD, "Nope"])], PROJECTS)
    assert str(excinfo.value).startswith("rules[1].exclude_projects[1]: no project named 'Nope'")
    with pytest.raises(NeoAmbiguousError) as excinfo:
        scopes_for([rule(["A"], True, exclude_projects=["Staging"])], PROJECTS)
    assert str(excinfo.value).startswith("rules[0].exclude_projects[0]: project name 'Staging' matches 2 projects")


def test_exception_scopes_are_read_even_when_no_rule_covers_them():
    rules, exceptions = policy_from_args({"rules": [rule(["PROD_*"], False, projects=["Production"])], "exceptions": [
        waiver(True, name="RED_TOKEN", project="Red Team"), waiver(True, name="GITHUB_TOKEN", personal=True),
        waiver(True, secret_id=sid(22)), waiver(True, name="X", project=UNLISTED.upper()),
    ]})
    scopes = plan_scopes(rules, ProjectDirectory(TAGGED), exceptions=exceptions, today=TODAY)
    assert scopes.exception_scopes == (RED, None, False, UNLISTED)
    assert scopes.personal is True
    # an exception by secret id in force may name a secret of any scope: every listed project and the
    # personal scope are read, in list order, then the unlisted one
    assert scopes.keys == (None, PROD, STAGING, RED, PROD_US, UNLISTED)
    assert scopes.rule_projects == (frozenset({PROD}),)


def test_exception_project_name_errors_name_the_option():
    rules = compiled_rules([rule(["A"], True)])
    with pytest.raises(NeoNotFound) as excinfo:
        plan_scopes(rules, ProjectDirectory(PROJECTS), exceptions=compiled_exceptions([waiver(True, secret_id=sid(1)), waiver(True, name="A", project="Nope")]),
                    today=TODAY)
    assert str(excinfo.value).startswith("exceptions[1].project: no project named 'Nope'")
    with pytest.raises(NeoAmbiguousError) as excinfo:
        plan_scopes(rules, ProjectDirectory(PROJECTS), exceptions=compiled_exceptions([waiver(True, name="A", project="Staging")]), today=TODAY)
    assert str(excinfo.value).startswith("exceptions[0].project: project name 'Staging' matches 2 projects")


# ---------------------------------------------------------------- governance: selectors in the plan


def test_created_by_agent_and_user():
    personal = [secret(sid(1), "A", True, created_by_agent=True), secret(sid(2), "B", True, created_by_agent=False),
                secret(sid(3), "C", True), secret(sid(4), "D", True, created_by_agent=None),
                secret(sid(5), "E", True, created_by_agent="true"), secret(sid(6), "F", True, created_by_agent=1)]
    rules = [rule(["*"], False, personal=True, projects=[], created_by="agent", name="agents off"),
             rule(["*"], True, personal=True, projects=[], created_by="user", name="people on")]
    rules, _exceptions, plan = governed(rules, secrets={None: personal})
    # A record without a boolean created_by_agent is never guessed to be a person's: the first rule that examines it fails it.
    assert decisions(plan) == {sid(1): (0, "agents off", False), sid(2): (1, "people on", True), sid(3): (0, "agents off", None),
                               sid(4): (0, "agents off", None), sid(5): (0, "agents off", None), sid(6): (0, "agents off", None)}
    assert [(e["secret_name"], e["status"]) for e in plan.entries] == [
        ("A", "drifted"), ("B", "compliant"), ("C", "failed"), ("D", "failed"), ("E", "failed"), ("F", "failed")]
    assert [e["error"] for e in plan.entries if e["status"] == "failed"] == [
        "created_by_agent is %s, not a boolean: rule 'agents off' (rules[0], created_by: agent) cannot decide this secret" % shown
        for shown in ("missing", "null", "'true'", "1")]
    # the entry says who made the secret when the API says it with a boolean, else null
    assert [e["created_by_agent"] for e in plan.entries] == [True, False, None, None, None, None]
    assert [r["decided"] for r in rules_report(rules, plan)] == [1, 1]
    assert plan.changes == [plan.entries[0]]


def test_created_by_any_is_the_default_and_a_creator_rule_does_not_shadow_others():
    _rules, _exceptions, plan = governed([rule(["PROD_*"], False, projects=["Production"])])
    assert {e["secret_id"] for e in plan.entries} == {sid(11), sid(12), sid(13)}
    _rules, _exceptions, plan = governed([rule(["PROD_*"], False, projects=["Production"], created_by="agent"),
                                          rule(["PROD_*"], True, projects=["Production"])])
    # PROD_PUBLIC_URL (sid 13) does not say who made it: the creator rule cannot decide it, and no later rule guesses.
    assert decisions(plan) == {sid(11): (0, "rule 1", False), sid(12): (1, "rule 2", True), sid(13): (0, "rule 1", None)}
    assert [e["status"] for e in plan.entries if e["secret_id"] == sid(13)] == ["failed"]


def test_exclude_globs_skip_names_for_later_rules():
    _rules, _exceptions, plan = governed([rule(["PROD_*"], False, projects=["Production"], exclude=["PROD_PUBLIC_*", "*_API"], name="prod off"),
                                         rule(["*"], True, projects=["Production"], name="rest on")])
    assert decisions(plan) == {sid(11): (0, "prod off", False), sid(12): (1, "rest on", True), sid(13): (1, "rest on", True)}


def test_first_match_order_across_every_selector():
    # PROD_DB in Production (tags production, eu) was made by an agent: each earlier rule misses it for one reason.
    raw = [
        rule(["PROD_*"], True, exclude=["*_DB"], name="excluded by name"),
        rule(["PROD_*"], True, exclude_projects=["Production"], name="excluded project"),
        rule(["PROD_*"], True, project_tags=["staging"], name="other tag"),
        rule(["PROD_*"], True, created_by="user", projects=["Red Team", "Production US"], name="people only"),
        rule(["PROD_*"], True, projects=["Red Team"], name="other project"),
        rule(["PROD_D?"], True, personal=True, projects=[], name="personal only"),
        rule(["PROD_DB"], False, projects=["Production", "Staging"], project_tags=["eu"], created_by="agent", exclude=["PROD_API"], name="decider"),
        rule(["*"], True, name="catch-all"),
    ]
    rules, _exceptions, plan = governed(raw)
    assert decisions(plan) == {
        sid(11): (6, "decider", False),            # Production PROD_DB
        sid(12): (0, "excluded by name", True),    # Production PROD_API
        sid(13): (0, "excluded by name", True),    # Production PROD_PUBLIC_URL
        sid(21): (1, "excluded project", True),    # Staging PROD_DB
        sid(22): (7, "catch-all", True),           # Staging STAGING_KEY
        sid(31): (7, "catch-all", True),           # Red Team RED_TOKEN
        sid(41): (1, "excluded project", True),    # Production US PROD_DB
    }
    assert plan.rule_decided == (2, 2, 0, 0, 0, 0, 1, 2)
    assert [(r["index"], r["name"], r["decided"]) for r in rules_report(rules, plan)] == [
        (0, "excluded by name", 2), (1, "excluded project", 2), (2, "other tag", 0), (3, "people only", 0), (4, "other project", 0),
        (5, "personal only", 0), (6, "decider", 1), (7, "catch-all", 2)]
    # rules[1] takes every PROD_* secret of every project but Production first: rules[2] to rules[4] cover none but those.
    assert [(r["status"], r["shadowed_by"]) for r in rules_report(rules, plan)][2:6] == [
        ("always_shadowed", ["rules[1]"]), ("always_shadowed", ["rules[1]"]), ("always_shadowed", ["rules[1]"]), ("nothing_matched", [])]
    assert policy_warnings(rules_report(rules, plan), []) == [
        "rule %r (rules[%d]) never decides: every secret it can match is decided first by rules[1]" % (name, index)
        for index, name in ((2, "other tag"), (3, "people only"), (4, "other project"))]


# ---------------------------------------------------------------- governance: exceptions in the plan


def test_exception_in_force_decides_before_any_rule():
    _rules, exceptions, plan = governed([rule(["PROD_*"], False, name="prod off")], [waiver(True, secret_id=sid(11).upper(), owner="alice")])
    entry = by_id(plan.entries)[sid(11)]
    assert entry == {
        "project_id": PROD, "project_name": "Production", "secret_id": sid(11), "secret_name": "PROD_DB", "before": True, "after": True,
        "rule": None, "rule_name": "exception", "status": "compliant", "error": None, "created_by_agent": True,
        "exception_reason": "vendor migration", "exception_expires": "2025-06-30", "exception_owner": "alice",
    }
    assert all(tuple(e) == ENTRY_FIELDS for e in plan.entries)
    assert {key: value[0] for key, value in decisions(plan).items()} == {sid(11): None, sid(12): 0, sid(13): 0, sid(21): 0, sid(41): 0}
    assert all(e["exception_reason"] is None for e in plan.entries if e["rule"] is not None)
    # the rule did not decide the secret the exception decided
    assert plan.rule_decided == (4,) and plan.exception_matched == (1,)
    assert exceptions_summary(exceptions_report(exceptions, plan, TODAY)) == {"in_force": 1, "expired": 0, "unmatched": 0}


def test_exception_decides_a_secret_no_rule_covers():
    _rules, _exceptions, plan = governed([rule(["PROD_DB"], False, projects=["Production"])],
                                         [waiver(False, name="RED_TOKEN", project="Red Team", owner="red"), waiver(False, secret_id=sid(12))])
    assert plan.scopes.keys == (None, PROD, STAGING, RED, PROD_US)  # by secret id: every scope is read
    assert decisions(plan) == {sid(11): (0, "rule 1", False), sid(12): (None, "exception", False), sid(31): (None, "exception", False)}
    assert [(e["secret_id"], e["status"], e["exception_owner"]) for e in plan.entries] == [
        (sid(12), "drifted", None), (sid(11), "drifted", None), (sid(31), "drifted", "red")]
    assert plan.projects_count == 4
    assert plan.exception_matched == (1, 1)


def test_exception_by_name_applies_in_its_scope_only():
    secrets = governed_secrets()
    secrets[STAGING].append(secret(sid(23), "GITHUB_TOKEN", True, STAGING))
    _rules, _exceptions, plan = governed([rule(["*"], True, personal=True)], [
        waiver(False, name="PROD_DB", project="Staging"), waiver(False, name="GITHUB_TOKEN", personal=True)], secrets=secrets)
    decided = decisions(plan)
    assert decided[sid(21)] == (None, "exception", False)  # Staging's PROD_DB
    assert decided[sid(11)] == decided[sid(41)] == (0, "rule 1", True)  # PROD_DB elsewhere
    assert decided[sid(1)] == (None, "exception", False)  # the personal GITHUB_TOKEN
    assert decided[sid(23)] == (0, "rule 1", True)  # Staging's GITHUB_TOKEN
    assert plan.exception_matched == (1, 1)


def test_exception_by_secret_id_matches_in_any_scope_read():
    _rules, _exceptions, plan = governed([rule(["*"], True, personal=True)], [
        waiver(False, secret_id=sid(2)), waiver(False, secret_id=sid(31)), waiver(False, secret_id=sid(41).upper())])
    decided = decisions(plan)
    assert decided[sid(2)] == decided[sid(31)] == decided[sid(41)] == (None, "exception", False)
    assert plan.exception_matched == (1, 1, 1)
    # by id, an exception in force makes every scope read: it decides a secret in a scope no rule covers
    _rules, exceptions, plan = governed([rule(["*"], True, projects=["Production"])], [waiver(False, secret_id=sid(31))])
    assert plan.scopes.keys == (None, PROD, STAGING, RED, PROD_US) and decisions(plan)[sid(31)] == (None, "exception", False)
    assert [e["status"] for e in exceptions_report(exceptions, plan, TODAY)] == ["in_force"]
    # expired, it reads nothing of its own (and a project it names is not even resolved)
    _rules, exceptions, plan = governed([rule(["*"], True, projects=["Production"])], [
        waiver(False, secret_id=sid(31), expires=(TODAY - datetime.timedelta(days=1)).isoformat()),
        waiver(False, name="X", project="No such project", expires=(TODAY - datetime.timedelta(days=1)).isoformat())])
    assert plan.scopes.keys == (PROD,) and sid(31) not in decisions(plan)
    assert [e["status"] for e in exceptions_report(exceptions, plan, TODAY)] == ["expired", "expired"]


@pytest.mark.parametrize("first, second", [
    ({"secret_id": sid(11)}, {"secret_id": sid(11).upper()}),
    ({"name": "PROD_DB", "project": "Production"}, {"name": "PROD_DB", "project": PROD}),
    ({"secret_id": sid(11)}, {"name": "PROD_DB", "project": "Production"}),
], ids=["both-by-id", "both-by-name", "id-then-name"])
def test_first_exception_in_list_order_wins(first, second):
    _rules, exceptions, plan = governed([rule(["PROD_*"], True)], [waiver(False, reason="first", **first), waiver(True, reason="second", **second)])
    entry = by_id(plan.entries)[sid(11)]
    assert (entry["after"], entry["exception_reason"]) == (False, "first")
    assert plan.exception_matched == (1, 0)
    assert [e["status"] for e in exceptions_report(exceptions, plan, TODAY)] == ["in_force", "unmatched"]


def test_first_exception_in_list_order_wins_by_name_before_by_id():
    _rules, _exceptions, plan = governed([rule(["PROD_*"], True)], [
        waiver(False, reason="by name", name="PROD_DB", project="Production"), waiver(True, reason="by id", secret_id=sid(11))])
    entry = by_id(plan.entries)[sid(11)]
    assert (entry["after"], entry["exception_reason"]) == (False, "by name")
    assert plan.exception_matched == (1, 0)


def test_an_expired_exception_first_lets_a_later_one_decide():
    _rules, _exceptions, plan = governed([rule(["PROD_*"], True)], [
        waiver(False, reason="old", secret_id=sid(11), expires="2025-06-14"), waiver(False, reason="new", secret_id=sid(11))])
    assert by_id(plan.entries)[sid(11)]["exception_reason"] == "new"
    assert plan.exception_matched == (0, 1)


@pytest.mark.parametrize("today, decided_by", [
    (datetime.date(2025, 6, 29), "exception"), (datetime.date(2025, 6, 30), "exception"), (datetime.date(2025, 7, 1), "prod off")])
def test_expired_exception_is_ignored_and_the_rules_decide(today, decided_by):
    _rules, exceptions, plan = governed([rule(["PROD_*"], False, name="prod off")], [waiver(True, secret_id=sid(11), expires="2025-06-30")],
                                        today=today)
    entry = by_id(plan.entries)[sid(11)]
    assert entry["rule_name"] == decided_by
    if decided_by == "exception":
        assert (entry["after"], entry["status"], entry["exception_expires"]) == (True, "compliant", "2025-06-30")
    else:
        assert (entry["rule"], entry["after"], entry["status"]) == (0, False, "drifted")
        assert (entry["exception_reason"], entry["exception_expires"], entry["exception_owner"]) == (None, None, None)
    (report,) = exceptions_report(exceptions, plan, today)
    assert report["status"] == ("in_force" if decided_by == "exception" else "expired")
    assert report["days_left"] == (datetime.date(2025, 6, 30) - today).days
    assert report["matched"] == (1 if decided_by == "exception" else 0)


def test_exception_in_an_unreadable_scope_is_unmatched():
    secrets = governed_secrets()
    secrets[RED] = NeoError("Neo API 403 forbidden")
    _rules, exceptions, plan = governed([rule(["PROD_*"], False, projects=["Production"])], [waiver(True, name="RED_TOKEN", project="Red Team")],
                                        secrets=secrets)
    assert [(e["project_id"], e["secret_id"], e["status"]) for e in plan.entries if e["project_id"] == RED] == [(RED, None, "failed")]
    assert [e["status"] for e in exceptions_report(exceptions, plan, TODAY)] == ["unmatched"]


def test_exception_decided_compliant_secret_is_counted_when_not_listed():
    raw_rules, raw_exceptions = [rule(["PROD_*"], False, projects=["Production"])], [waiver(True, secret_id=sid(11))]
    _rules, _exceptions, listed = governed(raw_rules, raw_exceptions)
    _rules, _exceptions, unlisted = governed(raw_rules, raw_exceptions, list_compliant=False)
    assert sid(11) not in decisions(unlisted)
    assert unlisted.compliant_unlisted == 1 and unlisted.exception_matched == listed.exception_matched == (1,)
    assert unlisted.rule_decided == listed.rule_decided == (2,)
    assert summarize(unlisted.entries, unlisted.projects_count, unlisted.compliant_unlisted) == summarize(listed.entries, listed.projects_count)


def test_rules_exceptions_reports_summary_and_warnings():
    rules, exceptions, plan = governed([rule(["PROD_*"], False, name="prod off"), rule(["NOTHING_*"], True)], [
        waiver(True, secret_id=sid(11), owner="alice"),
        waiver(False, name="PROD_API", project="Production", expires="2025-06-01", reason="old waiver"),
        waiver(True, secret_id=sid(99)),
        waiver(False, name="NOPE", personal=True, expires="2025-06-15", owner="bob"),
    ])
    rules_status = rules_report(rules, plan)
    assert rules_status == [{"index": 0, "name": "prod off", "default_available": False, "decided": 4, "status": "decided", "shadowed_by": []},
                            {"index": 1, "name": "rule 2", "default_available": True, "decided": 0, "status": "nothing_matched", "shadowed_by": []}]
    exceptions_status = exceptions_report(exceptions, plan, TODAY)
    assert exceptions_status == [
        {"index": 0, "secret_id": sid(11), "name": None, "project": None, "personal": False, "default_available": True,
         "reason": "vendor migration", "expires": "2025-06-30", "owner": "alice", "status": "in_force", "days_left": 15, "matched": 1,
         "expiring_soon": False},
        {"index": 1, "secret_id": None, "name": "PROD_API", "project": "Production", "personal": False, "default_available": False,
         "reason": "old waiver", "expires": "2025-06-01", "owner": None, "status": "expired", "days_left": -14, "matched": 0,
         "expiring_soon": False},
        {"index": 2, "secret_id": sid(99), "name": None, "project": None, "personal": False, "default_available": True,
         "reason": "vendor migration", "expires": "2025-06-30", "owner": None, "status": "unmatched", "days_left": 15, "matched": 0,
         "expiring_soon": False},
        {"index": 3, "secret_id": None, "name": "NOPE", "project": None, "personal": True, "default_available": False,
         "reason": "vendor migration", "expires": "2025-06-15", "owner": "bob", "status": "unmatched", "days_left": 0, "matched": 0,
         "expiring_soon": True},
    ]
    counts = exceptions_summary(exceptions_status)
    assert counts == {"in_force": 1, "expired": 1, "unmatched": 2}
    assert exceptions_summary([]) == {"in_force": 0, "expired": 0, "unmatched": 0}
    assert policy_warnings(rules_status, exceptions_status) == [
        "exception for PROD_API (exceptions[1]) expired on 2025-06-01 and is ignored: the rules decide again",
        "exception for %s (exceptions[2]) matches no secret in the scopes read" % sid(99),
        "exception for NOPE (exceptions[3]) matches no secret in the scopes read",
    ]
    assert policy_warnings([], []) == []
    entries = apply_results(plan, {}, check_mode=True)
    assert summarize(entries, plan.projects_count, plan.compliant_unlisted, rules=rules_status, exceptions=counts) == {
        "projects": 4, "checked": 5, "compliant": 2, "drifted": 3, "changed": 0, "failed": 0, "not_attempted": 0,
        "rules": [{"index": 0, "name": "prod off", "decided": 4}, {"index": 1, "name": "rule 2", "decided": 0}],
        "exceptions": {"in_force": 1, "expired": 1, "unmatched": 2},
    }
    assert set(summarize(entries, plan.projects_count)) == {"projects", "checked", "compliant", "drifted", "changed", "failed", "not_attempted"}


def test_exceptions_report_defaults_to_the_utc_date():
    far = datetime.date(2999, 1, 1)
    rules, exceptions, plan = governed([rule(["*"], True)], [waiver(True, secret_id=sid(11), expires=far.isoformat())], today=None)
    (report,) = exceptions_report(exceptions, plan)
    assert report["status"] == "in_force"
    assert report["days_left"] in {(far - utc_today()).days, (far - utc_today()).days + 1}
    assert utc_today() in {datetime.datetime.now(datetime.timezone.utc).date(),
                           (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)).date()}
    assert rules_report(rules, plan)[0]["decided"] == 6


# ---------------------------------------------------------------- governance: properties

TAG_POOL = ["production", "staging", "eu"]
CREATORS = [True, False, None, "absent", "true"]
EXCEPTION_NAMES = ["A", "AB", "B_A", "BA", "B"]


@st.composite
def governed_scenarios(draw):
    """Rules with every selector, tagged projects, agent-made secrets and exceptions (by id or by name and scope)."""
    projects = [dict(p, tags=draw(st.lists(st.sampled_from(TAG_POOL), max_size=2, unique=True)))
                for p in draw(st.lists(st.sampled_from(PROJECT_POOL), max_size=4, unique_by=lambda p: p["id"]))]
    ids = [p["id"] for p in projects]
    refs_pool = ids + [i.upper() for i in ids] + [p["name"] for p in projects] + UNLISTED_POOL
    rules = []
    for index in range(draw(st.integers(min_value=0, max_value=5))):
        personal = draw(st.booleans())
        refs = draw_rule_projects(draw, refs_pool, personal)
        options = {}
        if draw(st.booleans()):
            options["exclude_projects"] = draw(st.lists(st.sampled_from(refs_pool), min_size=1, max_size=2))
        if draw(st.booleans()):
            options["project_tags"] = draw(st.lists(st.sampled_from(TAG_POOL + ["unused"]), min_size=1, max_size=2))
        if draw(st.booleans()):
            options["exclude"] = draw(st.lists(PATTERNS, min_size=1, max_size=2))
        creator = draw(st.sampled_from([None, "any", "agent", "user"]))
        if creator is not None:
            options["created_by"] = creator
        if draw(st.booleans()):
            options["name"] = "R%d" % index
        rules.append(rule(draw(st.lists(PATTERNS, min_size=1, max_size=3)), draw(st.booleans()), projects=refs, personal=personal, **options))
    counter = iter(range(1, 10 ** 6))
    secrets_by_scope = {}
    for key in [None] + ids + UNLISTED_POOL:
        kind = draw(st.integers(min_value=0, max_value=19))
        if kind == 0:
            secrets_by_scope[key] = NeoError("scope %s failed" % key)
        elif kind == 1:
            continue
        else:
            records = []
            for _unused in range(draw(st.integers(min_value=0, max_value=6))):
                secret_id = sid(next(counter))
                extra = {}
                creator = draw(st.sampled_from(CREATORS))
                if creator != "absent":
                    extra["created_by_agent"] = creator
                records.append(secret(secret_id.upper() if draw(st.booleans()) else secret_id, draw(NAMES), draw(FLAGS), key, **extra))
            secrets_by_scope[key] = records
    read_ids = [r["id"] for records in secrets_by_scope.values() if isinstance(records, list) for r in records]
    exceptions = []
    for index in range(draw(st.integers(min_value=0, max_value=4))):
        expires = (TODAY + datetime.timedelta(days=draw(st.integers(min_value=-2, max_value=2)))).isoformat()
        if draw(st.booleans()):
            target = {"secret_id": draw(st.sampled_from(read_ids + [sid(999999)]))}
        else:
            scope = draw(st.sampled_from([None] + refs_pool))
            name = draw(st.sampled_from(EXCEPTION_NAMES))
            target = {"name": name, "personal": True} if scope is None else {"name": name, "project": scope}
        exceptions.append(waiver(draw(st.booleans()), expires=expires, reason="reason %d" % index, **target))
    seed = draw(st.integers(min_value=0, max_value=2 ** 32))
    return rules, exceptions, projects, secrets_by_scope, seed


def evaluate_governed(rules, exceptions, projects, secrets_by_scope, list_compliant=True):
    validated, waivers = policy_from_args({"rules": rules, "exceptions": exceptions})
    scopes = plan_scopes(validated, ProjectDirectory(projects), exceptions=waivers, today=TODAY)
    return validated, waivers, build_plan(validated, scopes, secrets_by_scope, list_compliant, waivers, TODAY)


def oracle_ids(refs, projects):
    by_name = {p["name"]: p["id"] for p in projects}
    return [ref.lower() if ref.lower().startswith(("bbbbbbbb", "cccccccc")) else by_name[ref] for ref in refs]


def oracle_rule_projects(raw_rule, projects):
    """The ids a rule covers: its projects ('*': the listed ones), minus exclude_projects, then only tagged ones."""
    refs = raw_rule.get("projects", "*")
    base = [p["id"] for p in projects] if refs == "*" else oracle_ids(refs, projects)
    excluded = set(oracle_ids(raw_rule.get("exclude_projects") or [], projects))
    wanted_tags = set(raw_rule.get("project_tags") or [])
    tags = {p["id"]: set(p.get("tags") or []) for p in projects}
    return {i for i in base if i not in excluded and (not wanted_tags or tags.get(i, set()) & wanted_tags)}


def oracle_in_force(raw_exception):
    return datetime.date.fromisoformat(str(raw_exception["expires"])) >= TODAY


def oracle_exception_scope(raw_exception, projects):
    if "secret_id" in raw_exception or not oracle_in_force(raw_exception):
        return False
    return None if raw_exception.get("personal") else oracle_ids([raw_exception["project"]], projects)[0]


def oracle_selects(raw_rule, record):
    name = record["name"]
    if not any(fnmatch.fnmatchcase(name, p) for p in raw_rule["match"]) or any(fnmatch.fnmatchcase(name, p) for p in raw_rule.get("exclude") or ()):
        return False
    creator = raw_rule.get("created_by") or "any"
    if creator == "any":
        return True
    agent = record.get("created_by_agent")
    # A record that does not say it with a boolean cannot be told apart: None, it fails.
    return agent == (creator == "agent") if isinstance(agent, bool) else None


def oracle_decider(rules, exceptions, projects, scope_key, record):
    """("exception", index, flag) for the first exception in force naming the record, else ("rule", index, flag),
    ("failed", index, None) when the first rule examining it cannot tell its creator, or None."""
    for index, raw in enumerate(exceptions):
        if TODAY > datetime.date.fromisoformat(raw["expires"]):
            continue
        if "secret_id" in raw:
            hit = raw["secret_id"].lower() == record["id"].lower()
        else:
            hit = oracle_exception_scope(raw, projects) == scope_key and raw["name"] == record["name"]
        if hit:
            return "exception", index, raw["default_available"]
    for index, raw in enumerate(rules):
        covered = raw["personal"] if scope_key is None else scope_key in oracle_rule_projects(raw, projects)
        selected = oracle_selects(raw, record) if covered else False
        if selected is None:
            return "failed", index, None
        if selected:
            return "rule", index, raw["default_available"]
    return None


@settings(max_examples=200, deadline=None)
@given(governed_scenarios())
def test_property_governed_plan_is_deterministic(scenario):
    rules, exceptions, projects, secrets_by_scope, seed = scenario
    _rules, _exceptions, plan = evaluate_governed(rules, exceptions, projects, secrets_by_scope)
    _rules, _exceptions, again = evaluate_governed(rules, exceptions, projects, shuffled(secrets_by_scope, seed))
    assert again == plan
    assert (again.rule_decided, again.exception_matched) == (plan.rule_decided, plan.exception_matched)


@settings(max_examples=200, deadline=None)
@given(governed_scenarios())
def test_property_governed_scopes_match_the_oracle(scenario):
    rules, exceptions, projects, _secrets, _seed = scenario
    _rules, _exceptions, plan = evaluate_governed(rules, exceptions, projects, {})
    covered = [oracle_rule_projects(raw, projects) for raw in rules]
    exception_scopes = [oracle_exception_scope(raw, projects) for raw in exceptions]
    assert list(plan.scopes.rule_projects) == [frozenset(c) for c in covered]
    assert list(plan.scopes.exception_scopes) == exception_scopes
    wanted = set().union(*covered) | {key for key in exception_scopes if key}
    every_scope = any("secret_id" in raw and oracle_in_force(raw) for raw in exceptions)
    listed = [p["id"] for p in projects]
    if every_scope:
        wanted |= set(listed)
    explicit = []
    for raw in rules:
        if raw.get("projects", "*") != "*":
            explicit.extend(i for i in oracle_ids(raw["projects"], projects) if i not in explicit)
    explicit.extend(key for key in exception_scopes if key and key not in explicit)
    assert plan.scopes.project_ids == tuple(i for i in listed if i in wanted) + tuple(i for i in explicit if i not in listed and i in wanted)
    assert plan.scopes.personal == (every_scope or any(r["personal"] for r in rules) or None in exception_scopes)


@settings(max_examples=300, deadline=None)
@given(governed_scenarios())
def test_property_governed_decider_is_the_first_match(scenario):
    rules, exceptions, projects, secrets_by_scope, _seed = scenario
    validated, waivers, plan = evaluate_governed(rules, exceptions, projects, secrets_by_scope)
    rule_counts, exception_counts = [0] * len(rules), [0] * len(exceptions)
    expected = {}
    for key in plan.scopes.keys:
        records = secrets_by_scope.get(key)
        if not isinstance(records, list):
            assert [(e["secret_id"], e["status"]) for e in plan.entries if e["project_id"] == key] == [(None, "failed")]
            continue
        for record in records:
            decider = oracle_decider(rules, exceptions, projects, key, record)
            if decider is not None:
                expected[record["id"]] = decider
                if decider[0] != "failed":
                    (rule_counts if decider[0] == "rule" else exception_counts)[decider[1]] += 1
    got = {}
    for entry in plan.entries:
        if entry["secret_id"] is None:
            continue
        if entry["rule"] is None:
            kind, index, _flag = expected[entry["secret_id"]]
            assert kind == "exception" and entry["rule_name"] == "exception"
            raw = exceptions[index]
            assert (entry["exception_reason"], entry["exception_expires"], entry["exception_owner"]) == (raw["reason"], raw["expires"], None)
            got[entry["secret_id"]] = ("exception", index, entry["after"])
        else:
            assert entry["rule_name"] == validated[entry["rule"]].name
            assert entry["exception_reason"] is entry["exception_expires"] is entry["exception_owner"] is None
            got[entry["secret_id"]] = ("failed" if entry["status"] == "failed" else "rule", entry["rule"], entry["after"])
        if entry["status"] == "failed":
            assert entry["error"].startswith("created_by_agent is ") and entry["after"] is None
        else:
            assert entry["status"] == ("compliant" if entry["before"] is entry["after"] else "drifted")
        agent = secrets_record(secrets_by_scope, entry["project_id"], entry["secret_id"]).get("created_by_agent")
        assert entry["created_by_agent"] == (agent if isinstance(agent, bool) else None)
    assert got == expected
    assert list(plan.rule_decided) == rule_counts and list(plan.exception_matched) == exception_counts
    statuses = [r["status"] for r in exceptions_report(waivers, plan, TODAY)]
    assert statuses == ["expired" if TODAY > datetime.date.fromisoformat(raw["expires"]) else "in_force" if count else "unmatched"
                        for raw, count in zip(exceptions, exception_counts)]
    assert [r["decided"] for r in rules_report(validated, plan)] == rule_counts


def secrets_record(secrets_by_scope, scope_key, secret_id):
    return next(record for record in secrets_by_scope[scope_key] if record["id"] == secret_id)


@settings(max_examples=200, deadline=None)
@given(governed_scenarios())
def test_property_governed_listed_and_unlisted_plans_agree(scenario):
    rules, exceptions, projects, secrets_by_scope, seed = scenario
    validated, waivers, listed = evaluate_governed(rules, exceptions, projects, secrets_by_scope)
    _rules, _exceptions, unlisted = evaluate_governed(rules, exceptions, projects, shuffled(secrets_by_scope, seed), list_compliant=False)
    assert list(unlisted.entries) == [entry for entry in listed.entries if entry["status"] != "compliant"]
    assert unlisted.changes == listed.changes
    assert unlisted.compliant_unlisted == sum(1 for entry in listed.entries if entry["status"] == "compliant")
    assert (unlisted.rule_decided, unlisted.exception_matched) == (listed.rule_decided, listed.exception_matched)
    assert rules_report(validated, unlisted) == rules_report(validated, listed)
    assert exceptions_report(waivers, unlisted, TODAY) == exceptions_report(waivers, listed, TODAY)
    counts = exceptions_summary(exceptions_report(waivers, listed, TODAY))
    for check_mode in (True, False):
        assert (summarize(apply_results(unlisted, {}, check_mode), unlisted.projects_count, unlisted.compliant_unlisted,
                          rules=rules_report(validated, unlisted), exceptions=counts)
                == summarize(apply_results(listed, {}, check_mode), listed.projects_count, rules=rules_report(validated, listed), exceptions=counts))


@settings(max_examples=200, deadline=None)
@given(governed_scenarios())
def test_property_governed_applying_the_plan_converges(scenario):
    rules, exceptions, projects, secrets_by_scope, _seed = scenario
    _rules, _exceptions, plan = evaluate_governed(rules, exceptions, projects, secrets_by_scope)
    after = {entry["secret_id"]: entry["after"] for entry in plan.changes}
    updated = {key: [dict(r, default_available=after.get(r["id"], r["default_available"])) for r in records] if isinstance(records, list) else records
               for key, records in secrets_by_scope.items()}
    _rules, _exceptions, replanned = evaluate_governed(rules, exceptions, projects, updated)
    assert replanned.changes == []
    assert [(e["project_id"], e["secret_id"], e["rule"], e["rule_name"], e["after"]) for e in replanned.entries] == [
        (e["project_id"], e["secret_id"], e["rule"], e["rule_name"], e["after"]) for e in plan.entries]
    assert (replanned.rule_decided, replanned.exception_matched) == (plan.rule_decided, plan.exception_matched)


@settings(max_examples=200, deadline=None)
@given(governed_scenarios(), st.booleans())
def test_property_report_files_hold_the_document_and_follow_the_summary(scenario, check_mode):
    """The JSON file is the document; the JUnit totals are the summary's (tests: checked plus unreadable scopes)."""
    rules, exceptions, projects, secrets_by_scope, seed = scenario
    validated, waivers, plan = evaluate_governed(rules, exceptions, projects, secrets_by_scope)
    rng = random.Random(seed)
    choices = [{"default_available": False}, {"default_available": True}, NeoError("HTTP 500"), NeoError("HTTP 502", "transport"),
               NeoError("the API rejected the credentials", REASON_NOT_ATTEMPTED), None]
    outcomes = {entry["secret_id"]: rng.choice(choices) for entry in plan.changes}
    entries = apply_results(plan, {key: value for key, value in outcomes.items() if value is not None}, check_mode)
    summary = summarize(entries, plan.projects_count)
    document = {"generated_at": "2026-11-29T00:00:00Z", "mode": "check" if check_mode else "apply", "failure": failure_reason(entries),
                "summary": summary, "rules": rules_report(validated, plan), "exceptions": exceptions_report(waivers, plan, TODAY), "entries": entries}
    assert json.loads(render_json(document)) == json.loads(json.dumps(document))
    root = ET.fromstring(render_junit(document))
    unreadable = sum(1 for entry in entries if entry["secret_id"] is None)
    assert {key: int(root.get(key)) for key in ("tests", "failures", "errors", "skipped")} == {
        "tests": summary["checked"] + unreadable, "failures": summary["drifted"] if check_mode else 0,
        "errors": summary["failed"], "skipped": summary["not_attempted"]}


# ---------------------------------------------------------------- hostile shapes: never guessed


def creator_record(number, name, agent="absent", flag=True, scope=None):
    extra = {} if agent == "absent" else {"created_by_agent": agent}
    return secret(sid(number), name, flag, scope, **extra)


def test_created_by_agent_without_a_boolean_fails_only_the_records_a_creator_rule_examines():
    personal = [creator_record(1, "PROD_A", "true"), creator_record(2, "OTHER", "true"), creator_record(3, "NOTE", 1),
                creator_record(4, "WAIVED", None), creator_record(5, "ZETA", {"agent": True}), creator_record(6, "UNMATCHED_X", [True])]
    rules = [rule(["PROD_*"], False, personal=True, projects=[], name="prod off"),
             rule(["OTHER", "NOTE", "WAIVED", "ZETA"], False, personal=True, projects=[], created_by="user", name="people off")]
    # PROD_A: decided by an earlier rule that does not look at the creator; WAIVED: an exception decides first;
    # UNMATCHED_X: no rule examines it. Only OTHER, NOTE and ZETA reach the creator rule.
    rules, _exceptions, plan = governed(rules, [waiver(False, name="WAIVED", personal=True)], secrets={None: personal})
    by_name = {e["secret_name"]: e for e in plan.entries}
    assert sorted(by_name) == ["NOTE", "OTHER", "PROD_A", "WAIVED", "ZETA"]
    assert [(by_name[n]["status"], by_name[n]["rule"], by_name[n]["after"]) for n in ("PROD_A", "WAIVED")] == [("drifted", 0, False), ("drifted", None, False)]
    for name, shown in (("OTHER", "'true'"), ("NOTE", "1"), ("ZETA", "an object")):
        entry = by_name[name]
        assert (entry["status"], entry["rule"], entry["rule_name"], entry["before"], entry["after"], entry["created_by_agent"]) == (
            "failed", 1, "people off", True, None, None)
        assert entry["error"] == ("created_by_agent is %s, not a boolean: rule 'people off' (rules[1], created_by: user) cannot decide this secret"
                                  % shown)
    assert {e["secret_name"] for e in plan.changes} == {"PROD_A", "WAIVED"}  # nothing guessed is ever written
    assert [r["decided"] for r in rules_report(rules, plan)] == [1, 0]
    entries = apply_results(plan, {sid(1): {"default_available": False}, sid(4): {"default_available": False}})
    assert summarize(entries, plan.projects_count) == {
        "projects": 0, "checked": 5, "compliant": 0, "drifted": 2, "changed": 2, "failed": 3, "not_attempted": 0}
    assert failure_reason(entries) == "3 secrets could not be decided; see entries"
    check = apply_results(plan, {}, check_mode=True)
    assert summarize(check, 0)["drifted"] == 2 and failure_reason(check) == "3 secrets could not be decided; see entries"


def test_a_long_created_by_agent_string_is_shown_short_and_on_one_line():
    rules, _exceptions, plan = governed([rule(["*"], True, personal=True, projects=[], created_by="agent")],
                                        secrets={None: [creator_record(1, "A", "yes\n" + "x" * 200)]})
    assert plan.entries[0]["error"].startswith("created_by_agent is 'yes " + "x" * 33 + "...', not a boolean: rule 'rule 1' (rules[0]")
    assert rules_report(rules, plan)[0]["decided"] == 0


def test_undecided_and_failed_updates_are_told_apart_in_the_failure_reason():
    rules, _exceptions, plan = governed([rule(["*"], False, personal=True, projects=[], created_by="agent")],
                                        secrets={None: [creator_record(1, "A", True), creator_record(2, "B")]})
    entries = apply_results(plan, {sid(1): NeoError("HTTP 500")})
    assert failure_reason(entries) == "1 secret could not be decided and 1 secret could not be updated; see entries"
    assert summarize(entries, 0) == {"projects": 0, "checked": 2, "compliant": 0, "drifted": 1, "changed": 0, "failed": 2, "not_attempted": 0}


BAD_TAGS = [dict(TAGGED[0], tags="production"), dict(TAGGED[1], tags=["staging", 7]), TAGGED[2], TAGGED[3]]


def test_project_tags_that_are_not_a_list_of_strings_fail_that_scope_unread():
    rules, _exceptions, plan = governed([rule(["PROD_*"], False, project_tags=["production"])], projects=BAD_TAGS)
    scopes = plan.scopes
    assert scopes.rule_projects == (frozenset({PROD_US}),)
    assert set(scopes.failed) == {PROD, STAGING}
    assert scopes.keys == (PROD_US,)  # the failed scopes are never read
    assert scopes.planned == scopes.project_ids == (PROD, STAGING, PROD_US) and plan.projects_count == 3
    failed = [e for e in plan.entries if e["status"] == "failed"]
    assert [(e["project_id"], e["project_name"], e["secret_id"], e["error"]) for e in failed] == [
        (PROD, "Production", None, "project %s (Production): the API sent tags that are a string, not a list of strings: project_tags cannot be "
                                   "decided for it" % PROD),
        (STAGING, "Staging", None, "project %s (Staging): the API sent tags that are a list holding a number, not a list of strings: project_tags "
                                   "cannot be decided for it" % STAGING),
    ]
    assert {e["project_id"] for e in plan.entries if e["secret_id"]} == {PROD_US}
    assert not [e for e in plan.changes if e["project_id"] in (PROD, STAGING)]
    entries = apply_results(plan, {e["secret_id"]: {"default_available": False} for e in plan.changes})
    assert summarize(entries, plan.projects_count)["failed"] == 2
    assert failure_reason(entries) == "2 scopes could not be read; see entries"


def test_bad_tags_fail_a_scope_even_when_another_rule_covers_it_first():
    # Which rule decides a secret depends on every rule that covers its scope: a scope whose tags are unknown is not half-evaluated.
    _rules, _exceptions, plan = governed([rule(["*"], True, projects=["Production"]), rule(["*"], False, project_tags=["eu"])], projects=BAD_TAGS)
    assert [(e["project_id"], e["secret_id"], e["status"]) for e in plan.entries if e["project_id"] == PROD] == [(PROD, None, "failed")]
    assert PROD not in plan.scopes.keys


def test_bad_tags_do_not_matter_where_no_project_tags_rule_looks():
    for rules in ([rule(["PROD_*"], False)],
                  [rule(["PROD_*"], False, project_tags=["production"], exclude_projects=["Production", "Staging"])],
                  [rule(["PROD_*"], False, projects=["Production US"], project_tags=["production"]), rule(["*"], True, projects=["Production"])]):
        _rules, _exceptions, plan = governed(rules, projects=BAD_TAGS)
        assert plan.scopes.failed == {}
        assert not [e for e in plan.entries if e["status"] == "failed"]


# ---------------------------------------------------------------- exceptions: dates and governance (issues 21, 22)


@pytest.mark.parametrize("expires", [
    datetime.date(2027, 1, 31),  # what YAML makes of an unquoted expires: 2027-01-31
    datetime.datetime(2027, 1, 31, 23, 59),
    datetime.datetime(2027, 1, 31, 10, 0, tzinfo=datetime.timezone.utc),  # a YAML timestamp
    "2027-01-31", " 2027-01-31 ", "2027-01-31T10:00:00Z", "2027-01-31 10:00:00+00:00", "2027-01-31T10:00",
])
def test_a_date_object_or_text_in_expires_is_its_day(expires):
    (exception,) = compiled_exceptions([waiver(True, secret_id=sid(1), expires=expires)])
    assert exception.expires == datetime.date(2027, 1, 31)
    assert exception.entry_fields()["exception_expires"] == "2027-01-31"
    plan = build_plan([], plan_scopes([], ProjectDirectory([]), exceptions=[exception], today=TODAY), {None: [secret(sid(1), "A", False)]},
                      exceptions=[exception], today=TODAY)
    (report,) = exceptions_report([exception], plan, TODAY)
    assert report["expires"] == "2027-01-31"
    json.dumps(report)  # a date object never reaches a result


def governance(raw_exceptions, **options):
    """policy_from_args with the governance options (their dates are relative to today's UTC date, as the module's)."""
    return policy_from_args(dict({"rules": [], "exceptions": raw_exceptions}, **options))[1]


def in_days(days):
    return utc_today() + datetime.timedelta(days=days)


def test_exceptions_max_days_refuses_a_later_expiry_naming_the_exception():
    accepted = [waiver(True, secret_id=sid(1), expires=in_days(30)), waiver(True, secret_id=sid(2), expires=in_days(-400).isoformat())]
    assert [e.expires for e in governance(accepted, exceptions_max_days=30)] == [in_days(30), in_days(-400)]
    assert len(governance(accepted + [waiver(True, secret_id=sid(3), expires="2999-12-31")])) == 3  # no cap by default
    with pytest.raises(PolicyError) as excinfo:
        governance(accepted + [waiver(True, name="PROD_DB", personal=True, expires=in_days(31))], exceptions_max_days=30)
    assert str(excinfo.value) == ("exceptions[2].expires: %s is more than 30 days away (exceptions_max_days), the latest allowed is %s"
                                  % (in_days(31).isoformat(), in_days(30).isoformat()))
    with pytest.raises(PolicyError) as excinfo:
        governance([waiver(True, secret_id=sid(1), expires=in_days(1))], exceptions_max_days=0)
    assert "exceptions[0].expires: %s is more than 0 days away" % in_days(1).isoformat() in str(excinfo.value)
    assert governance([waiver(True, secret_id=sid(1), expires="9999-12-31")], exceptions_max_days=10 ** 9)  # no overflow


def test_exceptions_require_owner_refuses_an_exception_without_one():
    raw = [waiver(True, secret_id=sid(1), owner="alice"), waiver(True, name="PROD_DB", project="Production")]
    assert [e.owner for e in governance(raw)] == ["alice", None]  # off by default: existing policies keep working
    assert [e.owner for e in governance(raw[:1], exceptions_require_owner=True)] == ["alice"]
    with pytest.raises(PolicyError) as excinfo:
        governance(raw, exceptions_require_owner=True)
    assert str(excinfo.value) == "exceptions[1].owner: required by exceptions_require_owner: true (who answers for the exception for PROD_DB)"


@pytest.mark.parametrize("options, message", [
    ({"exceptions_max_days": -1}, "exceptions_max_days: must be 0 or more, got -1"),
    ({"exceptions_warn_days": -3}, "exceptions_warn_days: must be 0 or more, got -3"),
    ({"exceptions_max_days": "soon"}, "exceptions_max_days"),
    ({"exceptions_require_owner": "perhaps"}, "exceptions_require_owner"),
])
def test_bad_governance_options_name_the_option(options, message):
    with pytest.raises(PolicyError) as excinfo:
        governance([], **options)
    assert message in str(excinfo.value)


def test_every_governance_problem_is_named_at_once():
    with pytest.raises(PolicyError) as excinfo:
        governance([waiver(True, secret_id=sid(1), expires=in_days(9)), waiver(True, secret_id=sid(2), expires="soon")],
                   exceptions_max_days=5, exceptions_require_owner=True)
    assert str(excinfo.value).split("; ") == [
        "exceptions[1].expires: must be a date YYYY-MM-DD, got 'soon'",
        "exceptions[0].owner: required by exceptions_require_owner: true (who answers for the exception for %s)" % sid(1),
        "exceptions[0].expires: %s is more than 5 days away (exceptions_max_days), the latest allowed is %s" % (in_days(9), in_days(5)),
        "exceptions[1].owner: required by exceptions_require_owner: true (who answers for the exception for %s)" % sid(2),
    ]


@pytest.mark.parametrize("warn_days, soon", [(14, [True, True, False, False, False]), (30, [True, True, True, False, False]),
                                             (0, [True, False, False, False, False])])
def test_expiring_soon_uses_exceptions_warn_days(warn_days, soon):
    raw = [waiver(True, secret_id=sid(11), expires=TODAY), waiver(True, secret_id=sid(12), expires=TODAY + datetime.timedelta(days=14)),
           waiver(True, secret_id=sid(99), expires=TODAY + datetime.timedelta(days=30)),  # unmatched, in force
           waiver(True, secret_id=sid(13), expires=TODAY + datetime.timedelta(days=31)),
           waiver(True, secret_id=sid(21), expires=TODAY - datetime.timedelta(days=1))]  # expired: never "soon"
    _rules, exceptions, plan = governed([rule(["PROD_*"], False)], raw)
    report = exceptions_report(exceptions, plan, TODAY, warn_days)
    assert [(item["status"], item["days_left"]) for item in report] == [("in_force", 0), ("in_force", 14), ("unmatched", 30), ("in_force", 31),
                                                                        ("expired", -1)]
    assert [item["expiring_soon"] for item in report] == soon


def test_the_markdown_report_marks_what_exceptions_warn_days_says():
    from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_reports import render_markdown  # pylint: disable=import-outside-toplevel
    raw = [waiver(True, secret_id=sid(11), expires=TODAY + datetime.timedelta(days=20), reason="twenty"),
           waiver(True, secret_id=sid(12), expires=TODAY + datetime.timedelta(days=40), reason="forty")]
    rules, exceptions, plan = governed([rule(["PROD_*"], False)], raw)
    document = {"mode": "check", "failure": None, "summary": summarize(plan.entries, plan.projects_count), "rules": rules_report(rules, plan),
                "exceptions": exceptions_report(exceptions, plan, TODAY, 30), "exceptions_warn_days": 30, "entries": list(plan.entries)}
    markdown = render_markdown(document)
    assert "\u26a0: expires within 30 days." in markdown
    rows = {line.split("|")[-2].strip(): line for line in markdown.splitlines() if line.startswith("|") and "Reason" not in line and "---" not in line}
    assert "| \u26a0 20 |" in rows["twenty"] and "| 40 |" in rows["forty"]
    document.update(exceptions=exceptions_report(exceptions, plan, TODAY), exceptions_warn_days=14)
    markdown = render_markdown(document)
    assert "\u26a0: expires within 14 days." in markdown and "\u26a0 20" not in markdown


# ---------------------------------------------------------------- issue 22: list options written as strings


@pytest.mark.parametrize("option, written, compiled", [
    ("match", "PROD_*", ("PROD_*",)),
    ("match", "PROD_*, AWS_* ,GCP_*", ("PROD_*", "AWS_*", "GCP_*")),
    ("exclude", "PROD_PUBLIC_*, *_URL", ("PROD_PUBLIC_*", "*_URL")),
    ("projects", "Production", ("Production",)),
    ("projects", "Production, %s" % STAGING, ("Production", STAGING)),
    ("projects", " * ", "*"),
    ("exclude_projects", "Red Team, Staging", ("Red Team", "Staging")),
    ("project_tags", "prod, eu", ("prod", "eu")),
])
def test_a_list_option_written_as_a_string_is_a_comma_separated_list(option, written, compiled):
    """As Ansible reads its own list options, with the blanks around each item dropped; the same rule as written with a list."""
    raw = dict(rule("X_*", False), **{option: written})
    as_list = dict(rule(["X_*"], False), **{option: list(compiled) if isinstance(compiled, tuple) else compiled})
    (from_string,) = compiled_rules([raw])
    assert getattr(from_string, option) == compiled
    assert [from_string] == compiled_rules([as_list])


@pytest.mark.parametrize("option, written, path", [
    ("match", "A_*,", "rules[0].match[1]: must be a non-empty string (a name pattern)"),
    ("projects", "Production,,Staging", "rules[0].projects[1]: must be a non-empty string (a project id or name)"),
    ("exclude", "A_*, prod_*", "rules[0].exclude[1]: 'prod_*' can never match a secret name: names are upper-case (did you mean 'PROD_*'?)"),
])
def test_an_item_of_a_comma_separated_string_is_checked_and_named_by_its_position(option, written, path):
    with pytest.raises(PolicyError) as excinfo:
        compiled_rules([dict(rule(["A_*"], False), **{option: written})])
    assert str(excinfo.value) == path


def test_comma_separated_leaves_anything_but_a_string_alone():
    assert comma_separated("a, b ,c") == ["a", "b", "c"] and comma_separated(" a ") == ["a"]
    assert comma_separated(["a", " b"]) == ["a", " b"] and comma_separated(None) is None and comma_separated("*") == ["*"]


# ---------------------------------------------------------------- issue 22: only a rule that can never decide is warned about


def statuses(rules, plan):
    return [(r["name"], r["status"], r["shadowed_by"]) for r in rules_report(rules, plan)]


def test_rules_zero_shadowed_by_an_exception_is_named_with_the_exception_never_an_earlier_rule():
    rules, exceptions, plan = governed([rule(["PROD_API"], False, projects=["Production"], name="api off")],
                                       [waiver(True, name="PROD_API", project="Production", expires="2025-07-01")])
    status = rules_report(rules, plan)
    assert statuses(rules, plan) == [("api off", "always_shadowed", ["exceptions[0]"])]
    assert policy_warnings(status, exceptions_report(exceptions, plan, TODAY)) == [
        "rule 'api off' (rules[0]) never decides: every secret it can match is decided first by exceptions[0]"]
    # Expired, the exception decides nothing: the rule decides again and nothing is warned about.
    rules, exceptions, plan = governed([rule(["PROD_API"], False, projects=["Production"], name="api off")],
                                       [waiver(True, name="PROD_API", project="Production", expires="2025-06-01")])
    assert statuses(rules, plan) == [("api off", "decided", [])] and plan.rule_decided == (1,)


def test_a_rule_shadowed_in_every_scope_names_each_rule_and_exception_that_shadows_it():
    rules, _exceptions, plan = governed([
        rule(["PROD_*"], False, projects=["Production", "Staging"], name="prod off"),
        rule(["*"], True, projects=["Production US"], exclude=["PROD_PUBLIC_*"], name="us on"),
        rule(["PROD_DB", "PROD_API"], True, projects=["Production", "Production US"], personal=True, name="shadowed"),
        rule(["PROD_PUBLIC_URL"], True, projects=["Production US"], name="excluded by us on"),
    ], [waiver(False, name="PROD_DB", personal=True, expires="2025-07-01"), waiver(False, name="PROD_API", personal=True, expires="2025-07-01")])
    assert statuses(rules, plan)[2:] == [("shadowed", "always_shadowed", ["rules[0]", "rules[1]", "exceptions[0]", "exceptions[1]"]),
                                         ("excluded by us on", "nothing_matched", [])]
    assert policy_warnings(rules_report(rules, plan), []) == [
        "rule 'shadowed' (rules[2]) never decides: every secret it can match is decided first by rules[0], rules[1], exceptions[0] and exceptions[1]"]


@pytest.mark.parametrize("earlier, later", [
    (rule(["PROD_*"], False, created_by="agent"), rule(["PROD_DB"], True)),           # the earlier rule leaves people's secrets
    (rule(["PROD_*"], False, exclude=["*_DB"]), rule(["PROD_DB"], True)),             # ... or excludes the name
    (rule(["PROD_*"], False, exclude=["*_X"]), rule(["PROD_D*"], True)),              # an exclude may take part of a glob
    (rule(["PROD_D?"], False), rule(["PROD_D*"], True)),                              # a narrower glob
    (rule(["PROD_*"], False, projects=["Production"]), rule(["PROD_*"], True)),       # fewer projects
])
def test_a_rule_that_could_still_decide_a_secret_is_not_warned_about(earlier, later):
    rules, _exceptions, plan = governed([earlier, later], secrets={key: [] for key in (None, PROD, STAGING, RED, PROD_US)})
    assert statuses(rules, plan)[1][1] == "nothing_matched" and policy_warnings(rules_report(rules, plan), []) == []


def test_a_rule_that_found_nothing_to_decide_this_run_is_reported_not_warned_about():
    # The environment role's recommended agent rule before any agent made a secret.
    people_only = {PROD: [secret(sid(12), "PROD_API", True, PROD, created_by_agent=False)]}
    rules, _exceptions, plan = governed([rule(["*"], False, projects=[PROD], created_by="agent", exclude=["DB_PASSWORD"])], secrets=people_only)
    assert statuses(rules, plan) == [("rule 1", "nothing_matched", [])] and policy_warnings(rules_report(rules, plan), []) == []
    # Shadowed in this organisation only (a secret added later may be its own): reported with what decided them.
    rules, exceptions, plan = governed([rule(["*"], False, project_tags=["production"], name="production off"),
                                        rule(["PROD_API"], False, name="prod off everywhere")])
    assert statuses(rules, plan)[1] == ("prod off everywhere", "shadowed_this_run", ["rules[0]"])
    assert policy_warnings(rules_report(rules, plan), exceptions_report(exceptions, plan, TODAY)) == []


def test_a_rule_covering_no_project_is_warned_about_unless_there_is_none_to_cover():
    rules, _exceptions, plan = governed([rule(["*"], False, project_tags=["nope"]), rule(["*"], False, exclude_projects=["Red Team"], projects=["Red Team"]),
                                         rule(["NOPE_*"], False, project_tags=["nope"], personal=True)])
    assert [s[1] for s in statuses(rules, plan)] == ["covers_no_project", "covers_no_project", "nothing_matched"]
    assert [w.split(")")[0] for w in policy_warnings(rules_report(rules, plan), [])] == ["rule 'rule 1' (rules[0]", "rule 'rule 2' (rules[1]"]
    # "*" in an organisation without a project is waiting for one.
    rules, _exceptions, plan = governed([rule(["*"], False)], projects=[], secrets={})
    assert statuses(rules, plan) == [("rule 1", "nothing_matched", [])]


PROBE_NAMES = ["".join(letters) for size in (1, 2, 3) for letters in __import__("itertools").product("AB_", repeat=size)]


@settings(max_examples=300, deadline=None)
@given(governed_scenarios())
def test_property_a_rule_said_to_never_decide_decides_no_secret_that_could_be_added(scenario):
    """Every name the generated globs can match (alphabet A, B, _; up to 3 characters), made by an agent and by a person,
    added to every scope: a rule reported ``always_shadowed`` or ``covers_no_project`` still decides none of them."""
    rules, exceptions, projects, secrets_by_scope, _seed = scenario
    validated, waivers, plan = evaluate_governed(rules, exceptions, projects, secrets_by_scope)
    report = rules_report(validated, plan)
    assert [r["status"] == "decided" for r in report] == [bool(count) for count in plan.rule_decided]
    never = [r["index"] for r in report if r["status"] in ("always_shadowed", "covers_no_project")]
    if not never:
        return
    counter = iter(range(10 ** 6))
    probes = [secret("5ec0ffff-0000-4000-8000-%012d" % next(counter), name, None, created_by_agent=agent)
              for name in PROBE_NAMES for agent in (True, False)]
    everything = {key: (records if isinstance(records, list) else []) + probes for key, records in secrets_by_scope.items()}
    everything.update({key: list(probes) for key in plan.scopes.keys if key not in everything})
    again = build_plan(validated, plan.scopes, everything, True, waivers, TODAY)
    assert [again.rule_decided[index] for index in never] == [0] * len(never)
    event("a rule never decides")  # hypothesis statistics: how often the property is not vacuous


def test_a_list_with_dates_that_ansible_core_2_16_gave_as_text_is_read_back():
    # What ansible-core 2.16 makes of a templated list holding YAML dates: the list's Python text.
    raw = [waiver(True, secret_id=sid(1), expires=datetime.date(2027, 1, 31), owner=None),
           waiver(False, name="PROD_DB", personal=True, reason="it's \"quoted\" [x]",
                  expires=datetime.datetime(2027, 2, 1, 9, 30, tzinfo=datetime.timezone.utc))]
    text = str(raw)
    assert "datetime.date(2027, 1, 31)" in text
    read = exceptions_from_text(text)
    assert read == [dict(raw[0], expires="2027-01-31"), dict(raw[1], expires="2027-02-01")]
    assert [e.expires for e in compiled_exceptions(read)] == [datetime.date(2027, 1, 31), datetime.date(2027, 2, 1)]


@pytest.mark.parametrize("value", [
    "soon", "[1, 2", "[__import__('os').system('true')]", "[datetime.date(2027, 1, x)]", "[datetime.date(2027, 1)]", "[os.date(2027, 1, 31)]",
    "{'expires': datetime.date(2027, 1, 31)}", "[1] + [2]", 7, None, [{"expires": "2027-01-31"}],
])
def test_any_other_text_is_left_to_the_validation(value):
    assert exceptions_from_text(value) is value
