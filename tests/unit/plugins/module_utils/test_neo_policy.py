# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit and property tests of the policy evaluation (plugins/module_utils/_neo_policy.py)."""
from __future__ import annotations

import copy
import dataclasses
import fnmatch
import random

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_policy import (
    ENTRY_FIELDS,
    PolicyError,
    Rule,
    ScopeFailure,
    apply_results,
    build_plan,
    normalize_rules,
    render_table,
    resolve_projects,
    scopes_for_rules,
    summarize,
)

PROD = "aaaaaaaa-0000-4000-8000-000000000001"
STAGING = "aaaaaaaa-0000-4000-8000-000000000002"
RED = "aaaaaaaa-0000-4000-8000-000000000003"
STAGING_2 = "aaaaaaaa-0000-4000-8000-000000000004"
PROJECTS = [
    {"id": PROD, "name": "Production"},
    {"id": STAGING, "name": "Staging"},
    {"id": RED, "name": "Red Team"},
    {"id": STAGING_2, "name": "Staging"},
]
UNIQUE_PROJECTS = [p for p in PROJECTS if p["id"] != STAGING_2]
CANARY = "CANARY"


def secret(secret_id, name, flag, project_id=None):
    return {
        "id": secret_id, "name": name, "default_available": flag, "project_id": project_id,
        "value": "value-%s-%s" % (CANARY, secret_id), "masked_value": "****%s" % CANARY,
    }


def rule(match, default_available, **options):
    return dict(match=match, default_available=default_available, **options)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("rules, path, text", [
    ("PROD_*", "neo_secret_policy_rules:", "must be a list of rules"),
    ({"match": ["A"]}, "neo_secret_policy_rules:", "must be a list of rules"),
    (["A"], "neo_secret_policy_rules[0]:", "must be a dictionary"),
    ([rule(["A"], True), None], "neo_secret_policy_rules[1]:", "must be a dictionary"),
    ([rule(["A"], True, projcts="*")], "neo_secret_policy_rules[0].projcts:", "unknown option 'projcts'"),
    ([{"default_available": True}], "neo_secret_policy_rules[0].match:", "must be a non-empty list of name patterns"),
    ([rule([], True)], "neo_secret_policy_rules[0].match:", "must be a non-empty list of name patterns"),
    ([rule("PROD_*", True)], "neo_secret_policy_rules[0].match:", "must be a non-empty list of name patterns"),
    ([rule(["A"], True), rule(["A"], True), rule(None, True)], "neo_secret_policy_rules[2].match:", "must be a non-empty list of name patterns"),
    ([rule(["A", ""], True)], "neo_secret_policy_rules[0].match[1]:", "got an empty string"),
    ([rule(["A", 3], True)], "neo_secret_policy_rules[0].match[1]:", "must be a non-empty string (a name pattern), got int"),
    ([rule(["A"], True, projects="Production")], "neo_secret_policy_rules[0].projects:", "must be '*' or a list of project ids or names"),
    ([rule(["A"], True, projects={"id": PROD})], "neo_secret_policy_rules[0].projects:", "got dict"),
    ([rule(["A"], True, projects=[PROD, ""])], "neo_secret_policy_rules[0].projects[1]:", "got an empty string"),
    ([rule(["A"], True, projects=[None])], "neo_secret_policy_rules[0].projects[0]:", "got NoneType"),
    ([rule(["A"], True, projects=[])], "neo_secret_policy_rules[0].projects:", "covers no secret"),
    ([rule(["A"], True, projects=[], personal=False)], "neo_secret_policy_rules[0].projects:", "covers no secret"),
    ([rule(["A"], True, personal="yes")], "neo_secret_policy_rules[0].personal:", "must be a boolean (true or false), got str"),
    ([rule(["A"], True, personal=1)], "neo_secret_policy_rules[0].personal:", "must be a boolean"),
    ([{"match": ["A"]}], "neo_secret_policy_rules[0].default_available:", "required option is missing"),
    ([rule(["A"], None)], "neo_secret_policy_rules[0].default_available:", "required option is missing"),
    ([rule(["A"], "yes")], "neo_secret_policy_rules[0].default_available:", "must be a boolean (true or false), got str"),
    ([rule(["A"], 0)], "neo_secret_policy_rules[0].default_available:", "must be a boolean (true or false), got int"),
])
def test_normalize_rules_errors_name_the_option(rules, path, text):
    with pytest.raises(PolicyError) as excinfo:
        normalize_rules(rules)
    message = str(excinfo.value)
    assert message.startswith(path + " "), message
    assert text in message
    assert isinstance(excinfo.value, ValueError)


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


def test_normalize_rules_reindexes_rule_objects():
    rules = normalize_rules([rule(["A"], True), rule(["B"], False)])
    assert [r.index for r in normalize_rules(list(reversed(rules)))] == [0, 1]
    assert normalize_rules(rules) == rules


def test_rule_matches_case_sensitive_glob():
    (r,) = normalize_rules([rule(["PROD_*", "AWS_?EY"], True)])
    assert r.matches("PROD_DB") and r.matches("AWS_KEY")
    assert not r.matches("prod_db") and not r.matches("AWS_KKEY") and not r.matches(None)


# ---------------------------------------------------------------- project resolution


def test_resolve_by_id_and_unique_name():
    resolved = resolve_projects([rule(["A"], True, projects=["Production", RED, STAGING]), rule(["B"], True)], PROJECTS)
    assert resolved == {0: (PROD, RED, STAGING), 1: "*"}


def test_resolve_dedupes_name_and_id_of_same_project():
    assert resolve_projects([rule(["A"], True, projects=["Production", PROD])], PROJECTS) == {0: (PROD,)}


def test_ambiguous_name_lists_ids():
    with pytest.raises(PolicyError) as excinfo:
        scopes_for_rules([rule(["A"], True), rule(["B"], True, projects=[PROD, "Staging"])], PROJECTS)
    message = str(excinfo.value)
    assert message.startswith("neo_secret_policy_rules[1].projects[1]: ")
    assert "'Staging' matches 2 projects" in message and STAGING in message and STAGING_2 in message


@pytest.mark.parametrize("ref", ["Nope", "aaaaaaaa-0000-4000-8000-0000000000ff", "production"])
def test_unknown_ref_is_an_error(ref):
    with pytest.raises(PolicyError) as excinfo:
        scopes_for_rules([rule(["A"], True, projects=[ref])], PROJECTS)
    assert str(excinfo.value) == (
        "neo_secret_policy_rules[0].projects[0]: project %r is not visible to the caller (neither an id nor a name of a listed project)" % ref)


def test_id_wins_over_name():
    projects = [{"id": "p1", "name": "p2"}, {"id": "p2", "name": "other"}]
    assert resolve_projects([rule(["A"], True, projects=["p2"])], projects) == {0: ("p2",)}


def test_scopes_explicit_projects_in_project_list_order_and_personal():
    scopes = scopes_for_rules([rule(["A"], True, projects=[RED, "Production"]), rule(["B"], False, projects=[], personal=True)], PROJECTS)
    assert scopes.personal is True
    assert scopes.project_ids == (PROD, RED)
    assert scopes.keys == (None, PROD, RED)


def test_scopes_star_reads_every_project_once():
    projects = PROJECTS + [{"id": PROD, "name": "Production"}]
    scopes = scopes_for_rules([rule(["A"], True), rule(["B"], True, projects=[RED])], projects)
    assert scopes.personal is False
    assert scopes.keys == (PROD, STAGING, RED, STAGING_2)


def test_scopes_no_rules_reads_nothing():
    scopes = scopes_for_rules([], PROJECTS)
    assert scopes.keys == ()


def test_projects_list_must_have_ids():
    with pytest.raises(ValueError, match=r"projects\[1\]"):
        scopes_for_rules([rule(["A"], True)], [{"id": PROD, "name": "x"}, {"name": "y"}])


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
    plan = build_plan(rules, UNIQUE_PROJECTS, basic_secrets())
    entries = by_id(plan.entries)
    assert entries["s-11"]["rule"] == 0 and entries["s-11"]["after"] is False and entries["s-11"]["status"] == "drifted"
    assert entries["s-12"]["rule"] == 1 and entries["s-12"]["after"] is True and entries["s-12"]["status"] == "drifted"
    assert entries["s-31"]["rule"] == 1 and entries["s-31"]["status"] == "compliant"
    # Staging is covered by no rule: its PROD_DB is left alone; OTHER matches no rule.
    assert set(entries) == {"s-11", "s-12", "s-31"}
    assert [e["secret_id"] for e in plan.changes] == ["s-12", "s-11"]


def test_rule_restricted_to_other_project_does_not_shadow_later_rule():
    rules = [rule(["PROD_*"], False, projects=[RED]), rule(["*"], True)]
    entries = by_id(build_plan(rules, UNIQUE_PROJECTS, basic_secrets()).entries)
    assert entries["s-31"]["rule"] == 0 and entries["s-31"]["after"] is False
    assert entries["s-11"]["rule"] == 1 and entries["s-21"]["rule"] == 1
    assert None not in [e["project_id"] for e in entries.values()]


def test_personal_scope():
    rules = [rule(["GITHUB_*"], False, projects=[], personal=True), rule(["*"], True, personal=True)]
    plan = build_plan(rules, UNIQUE_PROJECTS, basic_secrets())
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
    plan = build_plan([rule(["*"], True)], UNIQUE_PROJECTS, basic_secrets())
    assert all(e["project_id"] is not None for e in plan.entries)
    assert plan.scopes.personal is False


def test_unmatched_secrets_are_left_out():
    plan = build_plan([rule(["NOTHING_*"], True, personal=True)], UNIQUE_PROJECTS, basic_secrets())
    assert plan.entries == () and plan.changes == []
    assert plan.projects_count == 3


def test_deterministic_ordering():
    secrets = basic_secrets()
    secrets[PROD] += [secret("s-10", "PROD_DB", False, PROD), secret("s-00", "AAA", True, PROD)]
    plan = build_plan([rule(["*"], True, personal=True)], UNIQUE_PROJECTS, secrets)
    keys = [(e["project_id"], e["secret_name"], e["secret_id"]) for e in plan.entries]
    assert keys == [
        (None, "GITHUB_TOKEN", "s-p1"), (None, "SLACK_WEBHOOK", "s-p2"),
        (PROD, "AAA", "s-00"), (PROD, "OTHER", "s-13"), (PROD, "PROD_AWS", "s-12"), (PROD, "PROD_DB", "s-10"), (PROD, "PROD_DB", "s-11"),
        (STAGING, "GITHUB_TOKEN", "s-22"), (STAGING, "PROD_DB", "s-21"),
        (RED, "PROD_X", "s-31"),
    ]
    assert all(e["project_name"] == {PROD: "Production", STAGING: "Staging", RED: "Red Team", None: None}[e["project_id"]] for e in plan.entries)


def test_entries_never_hold_values():
    plan = build_plan([rule(["*"], False, personal=True)], UNIQUE_PROJECTS, basic_secrets())
    assert plan.entries
    for entry in plan.entries:
        assert tuple(entry) == ENTRY_FIELDS
        assert CANARY not in repr(entry)


def test_failed_scope_gives_one_failed_entry():
    secrets = basic_secrets()
    secrets[STAGING] = ScopeFailure("Neo API 403 forbidden (error_id 1a2b3c): not a member of this project")
    secrets[None] = RuntimeError("connection reset")
    del secrets[RED]
    plan = build_plan([rule(["*"], True, personal=True)], UNIQUE_PROJECTS, secrets)
    failed = [e for e in plan.entries if e["status"] == "failed"]
    assert failed == [
        {"project_id": None, "project_name": None, "secret_id": None, "secret_name": None, "before": None, "after": None,
         "rule": None, "status": "failed", "error": "connection reset"},
        {"project_id": STAGING, "project_name": "Staging", "secret_id": None, "secret_name": None, "before": None, "after": None,
         "rule": None, "status": "failed", "error": "Neo API 403 forbidden (error_id 1a2b3c): not a member of this project"},
        {"project_id": RED, "project_name": "Red Team", "secret_id": None, "secret_name": None, "before": None, "after": None,
         "rule": None, "status": "failed", "error": "the secrets of this scope were not read"},
    ]
    assert [e["project_id"] for e in plan.entries] == [None, PROD, PROD, PROD, STAGING, RED]
    assert plan.changes == [] or all(e["secret_id"] for e in plan.changes)


def test_malformed_record_fails_the_scope():
    secrets = basic_secrets()
    secrets[RED].append({"name": "NO_ID", "default_available": True})
    plan = build_plan([rule(["*"], True, projects=[RED])], UNIQUE_PROJECTS, secrets)
    assert [e["status"] for e in plan.entries] == ["failed"]
    assert "without a string id and name" in plan.entries[0]["error"]


def test_non_boolean_flag_is_drifted_and_duplicate_ids_collapse():
    secrets = {PROD: [secret("s-1", "A", None), secret("s-1", "A", None), secret("s-2", "B", "true")]}
    plan = build_plan([rule(["*"], True, projects=[PROD])], UNIQUE_PROJECTS, secrets)
    assert [(e["secret_id"], e["status"]) for e in plan.entries] == [("s-1", "drifted"), ("s-2", "drifted")]


def test_extra_scopes_are_ignored():
    secrets = basic_secrets()
    plan = build_plan([rule(["*"], True, projects=[RED])], UNIQUE_PROJECTS, secrets)
    assert [e["secret_id"] for e in plan.entries] == ["s-31"]
    assert plan.projects_count == 1


def test_build_plan_validates_raw_rules():
    with pytest.raises(PolicyError, match=r"^neo_secret_policy_rules\[0\]\.default_available: "):
        build_plan([{"match": ["*"]}], UNIQUE_PROJECTS, {})


# ---------------------------------------------------------------- apply and summary


def drifty_plan():
    secrets = basic_secrets()
    secrets[STAGING] = ScopeFailure("Neo API 403 forbidden (error_id 42): not a member")
    # personal: s-p1 compliant, s-p2 drifted; PROD: s-11, s-13 compliant, s-12 drifted; RED: s-31 compliant
    return build_plan([rule(["*"], True, personal=True)], UNIQUE_PROJECTS, secrets)


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
    assert summarize(entries, plan.projects_count) == {
        "projects": 3, "checked": 6, "compliant": 4, "drifted": 2, "changed": 1, "failed": 2,
    }


def test_apply_results_check_mode_ignores_outcomes():
    plan = drifty_plan()
    entries = apply_results(plan, {}, check_mode=True)
    assert [e["status"] for e in entries] == [e["status"] for e in plan.entries]
    assert summarize(entries, plan.projects_count) == {
        "projects": 3, "checked": 6, "compliant": 4, "drifted": 2, "changed": 0, "failed": 1,
    }


def test_apply_results_missing_or_wrong_outcome_fails():
    plan = drifty_plan()
    entries = by_id(apply_results(plan, {"s-p2": {"ok": True, "default_available": False}}))
    assert entries["s-p2"]["status"] == "failed" and "default_available=false" in entries["s-p2"]["error"]
    assert entries["s-12"]["status"] == "failed" and entries["s-12"]["error"]


def test_summary_invariants_all_compliant_and_empty():
    plan = build_plan([rule(["*"], True, projects=[RED])], UNIQUE_PROJECTS, basic_secrets())
    assert summarize(apply_results(plan, {}), plan.projects_count) == {
        "projects": 1, "checked": 1, "compliant": 1, "drifted": 0, "changed": 0, "failed": 0}
    assert summarize([], 0) == {"projects": 0, "checked": 0, "compliant": 0, "drifted": 0, "changed": 0, "failed": 0}


# ---------------------------------------------------------------- table


def test_render_table_has_rows_and_no_values():
    plan = drifty_plan()
    entries = apply_results(plan, {"s-p2": {"ok": True, "default_available": True}, "s-12": {"ok": False, "error": "boom"}})
    table = render_table(entries)
    lines = table.splitlines()
    assert lines[0].split() == ["PROJECT", "SECRET", "DEFAULT_AVAILABLE", "STATUS", "NOTE"]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(entries)
    assert "(personal)" in lines[2] and "SLACK_WEBHOOK" in table and "false -> true" in table and "changed" in table
    assert "Production (%s)" % PROD in table and "boom" in table
    assert "Staging (%s)" % STAGING in table and "not a member" in table
    assert CANARY not in table and "value-" not in table and "****" not in table
    # fixed width: the status column starts at the same offset on every row
    offsets = {line.index(status) for line in lines[2:] for status in ("compliant", "changed", "failed") if status in line.split()}
    assert len(offsets) == 1


def test_render_table_sanitizes_and_handles_empty():
    assert render_table([]) == "no secret is covered by the policy"
    entries = [{"project_id": PROD, "project_name": "Pro\nduction", "secret_id": "x", "secret_name": "A\tB" + "C" * 100,
                "before": None, "after": True, "rule": 0, "status": "drifted", "error": None}]
    table = render_table(entries)
    assert len(table.splitlines()) == 3 and "\t" not in table
    assert "unset -> true" in table and "..." in table


# ---------------------------------------------------------------- properties

NAMES = st.text(alphabet="AB_", min_size=1, max_size=4)
PATTERNS = st.one_of(NAMES, st.sampled_from(["*", "A*", "*B", "?", "A?", "[AB]_*", "B*"]))
PROJECT_POOL = [{"id": "p%d" % i, "name": "Project %d" % i} for i in range(4)]


@st.composite
def scenarios(draw):
    projects = draw(st.lists(st.sampled_from(PROJECT_POOL), min_size=0, max_size=4, unique_by=lambda p: p["id"]))
    ids = [p["id"] for p in projects]
    rules = []
    for _unused in range(draw(st.integers(min_value=0, max_value=4))):
        personal = draw(st.booleans())
        if ids and draw(st.booleans()):
            refs = draw(st.lists(st.sampled_from(ids + [p["name"] for p in projects]), min_size=0 if personal else 1, max_size=3))
        else:
            refs = [] if personal and draw(st.booleans()) else "*"
        rules.append(rule(draw(st.lists(PATTERNS, min_size=1, max_size=3)), draw(st.booleans()), projects=refs, personal=personal))
    counter = iter(range(10 ** 6))
    secrets_by_scope = {}
    for key in [None] + ids:
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            secrets_by_scope[key] = ScopeFailure("scope %s failed" % key)
            continue
        secrets_by_scope[key] = [
            secret("s%d" % next(counter), draw(NAMES), draw(st.booleans()), key)
            for _unused in range(draw(st.integers(min_value=0, max_value=6)))
        ]
    seed = draw(st.integers(min_value=0, max_value=2 ** 32))
    return rules, projects, secrets_by_scope, seed


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


def covers(raw_rule, resolved, scope_key):
    if scope_key is None:
        return bool(raw_rule.get("personal"))
    return resolved == "*" or scope_key in resolved


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_property_plan_is_deterministic(scenario):
    rules, projects, secrets_by_scope, seed = scenario
    plan = build_plan(rules, projects, secrets_by_scope)
    again = build_plan(rules, projects, shuffled(secrets_by_scope, seed))
    assert again == plan
    assert again.entries == plan.entries


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_property_applying_the_plan_converges(scenario):
    rules, projects, secrets_by_scope, _seed = scenario
    plan = build_plan(rules, projects, secrets_by_scope)
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
    replanned = build_plan(rules, projects, updated)
    assert replanned.changes == []
    assert [(e["project_id"], e["secret_id"], e["rule"]) for e in replanned.entries] == [
        (e["project_id"], e["secret_id"], e["rule"]) for e in plan.entries]


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_property_recorded_rule_is_the_first_match(scenario):
    rules, projects, secrets_by_scope, _seed = scenario
    plan = build_plan(rules, projects, secrets_by_scope)
    resolved = resolve_projects(rules, projects)
    planned = {(e["project_id"], e["secret_id"]) for e in plan.entries if e["secret_id"] is not None}
    for entry in plan.entries:
        if entry["secret_id"] is None:
            assert entry["status"] == "failed" and isinstance(secrets_by_scope[entry["project_id"]], ScopeFailure)
            continue
        name, index = entry["secret_name"], entry["rule"]
        decider = rules[index]
        assert covers(decider, resolved[index], entry["project_id"])
        assert any(fnmatch.fnmatchcase(name, p) for p in decider["match"])
        assert entry["after"] is decider["default_available"]
        for earlier in range(index):
            assert not (covers(rules[earlier], resolved[earlier], entry["project_id"])
                        and any(fnmatch.fnmatchcase(name, p) for p in rules[earlier]["match"]))
    # completeness: every readable secret that some covering rule matches is in the plan
    for key in plan.scopes.keys:
        records = secrets_by_scope[key]
        if not isinstance(records, list):
            continue
        for record in records:
            decided = any(covers(r, resolved[i], key) and any(fnmatch.fnmatchcase(record["name"], p) for p in r["match"])
                          for i, r in enumerate(rules))
            assert ((key, record["id"]) in planned) == decided


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_property_unlisted_compliant_secrets_are_counted_the_same(scenario):
    rules, projects, secrets_by_scope, seed = scenario
    listed = build_plan(rules, projects, secrets_by_scope)
    unlisted = build_plan(rules, projects, shuffled(secrets_by_scope, seed), list_compliant=False)
    assert list(unlisted.entries) == [entry for entry in listed.entries if entry["status"] != "compliant"]
    assert unlisted.changes == listed.changes
    assert unlisted.compliant_unlisted == sum(1 for entry in listed.entries if entry["status"] == "compliant")
    assert (summarize(apply_results(unlisted, {}), unlisted.projects_count, unlisted.compliant_unlisted)
            == summarize(apply_results(listed, {}), listed.projects_count))
