# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the JSON, JUnit and Markdown renderings of the policy report (plugins/module_utils/_neo_reports.py)."""
from __future__ import annotations

import copy
import html.parser
import json
import re
import unicodedata
import xml.etree.ElementTree as ET

import pytest
from hypothesis import example, given, settings, strategies as st

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import safe_text
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_policy import ENTRY_FIELDS, summarize
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_reports import (
    ALL_SECRETS,
    JUNIT_NAME,
    markdown_code,
    markdown_table,
    markdown_text,
    render_json,
    render_junit,
    render_markdown,
)

GENERATED = "2026-11-28T21:00:00Z"
PROD = "aaaaaaaa-0000-4000-8000-000000000001"
STAGING = "aaaaaaaa-0000-4000-8000-000000000002"
RESEARCH = "aaaaaaaa-0000-4000-8000-000000000003"
UNNAMED = "aaaaaaaa-0000-4000-8000-0000000000f1"
HOSTILE_PROJECT = "x | y <script>alert(1)</script> [link](javascript:alert(1))"
HOSTILE_SECRET = "A|B\\|C `tick` *star* _u_ &amp; \"q\" 's' \u202eEVIL\x00\x1b\x7f\x85 @team www.evil.com https://evil.com $x$ ~~s~~ \ud800\uffff"
SPACED = "  SPACED  "
CANARY = "CANARY-VALUE-0123"
RULES = [
    {"index": 0, "name": "agent-made secrets off", "default_available": False, "decided": 0},
    {"index": 1, "name": "production opt-in by tag", "default_available": True, "decided": 0},
    {"index": 2, "name": "old CI tokens", "default_available": False, "decided": 0},
]
_ids = iter(range(1, 100000))


def entry(status, project_id=PROD, name="DB_PASSWORD", before=True, after=False, rule=0, error=None, exception=None, project_name=None,
          **extra):
    """One report entry; ``project_name`` defaults to the name of the known project ids."""
    if project_name is None:
        project_name = {PROD: "payments-prod", STAGING: "payments-staging", RESEARCH: "research"}.get(project_id)
    result = {
        "project_id": project_id, "project_name": project_name, "secret_id": "bbbbbbbb-0000-4000-8000-%012d" % next(_ids),
        "secret_name": name, "before": before, "after": after, "rule": rule,
        "rule_name": RULES[rule]["name"] if rule is not None else "exception", "status": status, "error": error,
        "created_by_agent": True, "exception_reason": None, "exception_expires": None, "exception_owner": None,
    }
    if exception:
        result.update(rule=None, rule_name="exception", exception_reason=exception[0], exception_expires=exception[1],
                      exception_owner=exception[2])
    result.update(extra)
    return result


def scope_entry(status, project_id, error, project_name=None):
    result = entry(status, project_id=project_id, before=None, after=None, rule=None, error=error, project_name=project_name)
    result.update(secret_id=None, secret_name=None, rule_name=None, created_by_agent=None)
    return result


def exception(index, status, days_left, expires, name="LEGACY_TOKEN", project="payments-prod", owner="alice", reason="vendor migration",
              matched=1, **extra):
    result = {"index": index, "secret_id": None, "name": name, "project": project, "personal": False, "default_available": True,
              "reason": reason, "expires": expires, "owner": owner, "status": status, "days_left": days_left, "matched": matched}
    result.update(extra)
    return result


def document(mode, entries, projects=3, exceptions=(), failure=None, rules=None):
    """A report as the action writes it; the summary comes from _neo_policy.summarize, as in the action."""
    rules = copy.deepcopy(RULES if rules is None else rules)
    for rule in rules:
        rule["decided"] = sum(1 for item in entries if item["secret_id"] is not None and item["rule"] == rule["index"])
    summary = dict(summarize(entries, projects))
    summary["rules"] = [{"index": rule["index"], "name": rule["name"], "decided": rule["decided"]} for rule in rules]
    summary["exceptions"] = {status: sum(1 for item in exceptions if item["status"] == status) for status in ("in_force", "expired", "unmatched")}
    return {"generated_at": GENERATED, "mode": mode, "failure": failure, "summary": summary, "rules": rules,
            "exceptions": list(exceptions), "entries": entries}


def check_document():
    """Check mode: drift in two projects and personal, one unreadable and one not attempted scope, exceptions of each kind."""
    entries = [
        entry("compliant", project_id=None, name="MY_TOKEN", before=False),
        entry("drifted", project_id=None, name="MY_OTHER_TOKEN"),
        entry("drifted", name="AWS_KEY"),
        entry("drifted", name="DB_PASSWORD"),
        entry("compliant", name="LEGACY_TOKEN", before=True, after=True, exception=("vendor migration", "2026-12-05", "alice")),
        entry("drifted", name="PAYMENT_API", before=False, after=True, rule=1),
        entry("compliant", name="SMTP_PASSWORD", before=False),
        entry("drifted", name="VENDOR_KEY", before=False, after=True, exception=("vendor needs it", "2027-03-01", None)),
        scope_entry("failed", STAGING, "HTTP 500 from GET /api/v1/secrets: internal error"),
        scope_entry("not_attempted", RESEARCH, "the API rejected the credentials (HTTP 401) before this request"),
        entry("compliant", project_id=UNNAMED, project_name=None, name="UNLISTED_SECRET", before=False),
    ]
    exceptions = [
        exception(0, "in_force", 7, "2026-12-05", matched=1),
        exception(1, "in_force", 93, "2027-03-01", name="VENDOR_KEY", owner=None, reason="vendor needs it"),
        exception(2, "in_force", 14, "2026-12-12", name="BILLING_TOKEN", owner="bob", reason="billing cut-over"),
        exception(3, "expired", -3, "2026-11-25", name="OLD_KEY", owner="carol", reason="done", matched=0),
        exception(4, "unmatched", 30, "2026-12-28", name="TYPO_KEY", owner="dave", reason="typo", matched=0),
    ]
    return document("check", entries, projects=4, exceptions=exceptions, failure="1 scope could not be read; see entries")


def apply_document():
    entries = [
        entry("changed", name="AWS_KEY"),
        entry("changed", name="DB_PASSWORD"),
        entry("failed", name="PAYMENT_API", before=False, after=True, rule=1, error="HTTP 409 from PATCH /api/v1/secrets/x: conflict"),
        entry("not_attempted", name="SMTP_PASSWORD", error="the API rejected the credentials (HTTP 401) before this request"),
        entry("compliant", project_id=STAGING, name="DB_PASSWORD", before=False),
        entry("changed", project_id=STAGING, name="LEGACY_TOKEN", before=False, after=True, exception=("vendor migration", "2026-12-05", "alice")),
    ]
    return document("apply", entries, projects=2, failure="1 secret could not be updated; 1 read or update not attempted: ...; see entries")


def compliant_document(count=42):
    entries = [entry("compliant", project_id=(PROD, STAGING, RESEARCH)[i % 3], name="SECRET_%03d" % i, before=False) for i in range(count)]
    return document("check", entries, projects=3, rules=RULES[:1])


def hostile_document(mode="check"):
    status = "drifted" if mode == "check" else "failed"
    entries = [
        entry(status, project_name=HOSTILE_PROJECT, name=HOSTILE_SECRET, error="bad <b>|</b> `x` \u202e\x00"),
        entry(status, project_name=HOSTILE_PROJECT, name=SPACED, error="x"),
        scope_entry("failed", STAGING, "HTTP 500: <img src=x onerror=alert(1)> | ]]> &lt;", project_name="st<a>ging ]]> & \"'"),
    ]
    exceptions = [exception(0, "in_force", 3, "2026-12-01", name="EX|<i>CEPTION</i>", project=HOSTILE_PROJECT, owner="@org/team <b>",
                            reason="why | not <script>x</script> \u202e `code`")]
    return document(mode, entries, projects=2, exceptions=exceptions)


# ---------------------------------------------------------------- JSON


def json_entry_lines(text):
    """The lines of the entries in a JSON report (each ends with a comma, except the last)."""
    lines = text.split("\n")
    if '  "entries": [],' in lines:
        return []
    start = lines.index('  "entries": [') + 1
    end = lines.index("  ],", start)
    return [line[4:].rstrip(",") for line in lines[start:end]]


@pytest.mark.parametrize("make", [check_document, apply_document, compliant_document, hostile_document, lambda: hostile_document("apply")])
def test_json_is_the_document_with_one_line_per_entry(make):
    doc = make()
    text = render_json(doc)
    assert json.loads(text) == json.loads(json.dumps(doc))
    assert json_entry_lines(text) == [json.dumps(item) for item in doc["entries"]]
    # The rest as json.dumps(indent=2, sort_keys=True) writes it.
    entries = "\n    " + ",\n    ".join(json.dumps(item) for item in doc["entries"]) + "\n  "
    assert text == json.dumps(dict(doc, entries=[]), indent=2, sort_keys=True).replace('"entries": []', '"entries": [%s]' % entries) + "\n"


def test_json_of_no_entries_and_of_entries_that_are_not_the_engines():
    assert json.loads(render_json(document("check", []))) == json.loads(json.dumps(document("check", [])))
    odd = [dict(entry("drifted"), extra="kept"), {"secret_id": "only"}, entry("drifted", name=7)]
    doc = document("check", [entry("drifted")], projects=1)
    doc["entries"] = odd + doc["entries"]
    assert json.loads(render_json(doc))["entries"] == odd + [doc["entries"][-1]]


# Values Python finds equal but JSON writes apart (True, 1, 1.0), text that needs escaping, and None.
JSON_VALUES = st.sampled_from([True, False, None, 0, 1, 1.0, -1, "", "x", "100% <&>", 'quote " and \\', "\u202e\x00\ud800", "caf\u00e9"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(*[JSON_VALUES] * len(ENTRY_FIELDS)).map(lambda values: dict(zip(ENTRY_FIELDS, values))), max_size=12))
# Found by this property in CI: two entries alike but for a status False and a status 0.
@example([dict(dict.fromkeys(ENTRY_FIELDS, ""), status=False), dict(dict.fromkeys(ENTRY_FIELDS, ""), status=0)])
def test_json_entry_lines_equal_json_dumps_whatever_the_values(entries):
    text = render_json(document("check", [], projects=0) | {"entries": entries})
    assert json_entry_lines(text) == [json.dumps(item) for item in entries]


# ---------------------------------------------------------------- JUnit


def parse_junit(text):
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    text.encode("utf-8")  # no lone surrogate: the caller can write it
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    return root


def counts_of(element):
    return {key: int(element.get(key)) for key in ("tests", "failures", "errors", "skipped")}


def case_kind(case):
    kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
    assert len(kinds) <= 1
    return kinds[0] if kinds else None


def expected_totals(doc):
    summary, check_mode = doc["summary"], doc["mode"] == "check"
    unreadable = sum(1 for item in doc["entries"] if item["secret_id"] is None)
    return {"tests": summary["checked"] + unreadable, "failures": summary["drifted"] if check_mode else 0,
            "errors": summary["failed"], "skipped": summary["not_attempted"]}


@pytest.mark.parametrize("make", [check_document, apply_document, compliant_document, hostile_document, lambda: hostile_document("apply")])
def test_junit_totals_equal_the_summary_and_each_suite_its_cases(make):
    doc = make()
    root = parse_junit(render_junit(doc))
    assert root.get("name") == JUNIT_NAME and root.get("time") == "0"
    assert counts_of(root) == expected_totals(doc)
    suites = root.findall("testsuite")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in suites:
        cases = suite.findall("testcase")
        kinds = [case_kind(case) for case in cases]
        expected = {"tests": len(cases), "failures": kinds.count("failure"), "errors": kinds.count("error"), "skipped": kinds.count("skipped")}
        assert counts_of(suite) == expected, suite.get("name")
        assert suite.get("timestamp") == GENERATED and suite.get("time") == "0"
        assert all(case.get("classname") == suite.get("name") and case.get("time") == "0" for case in cases)
        for key, value in expected.items():
            totals[key] += value
    assert totals == counts_of(root)
    assert len(suites) == len({item["project_id"] for item in doc["entries"]})


def test_junit_check_mode_cases():
    doc = check_document()
    root = parse_junit(render_junit(doc))
    assert counts_of(root) == {"tests": 11, "failures": 5, "errors": 1, "skipped": 1}
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert list(suites) == ["personal", "payments-prod (%s)" % PROD, "payments-staging (%s)" % STAGING, "research (%s)" % RESEARCH, UNNAMED]
    prod = {case.get("name"): case for case in suites["payments-prod (%s)" % PROD].findall("testcase")}
    assert list(prod) == ["AWS_KEY", "DB_PASSWORD", "LEGACY_TOKEN", "PAYMENT_API", "SMTP_PASSWORD", "VENDOR_KEY"]

    failure = prod["AWS_KEY"].find("failure")
    assert failure.get("type") == "drift"
    assert failure.get("message") == "default_available is true, policy requires false (rule agent-made secrets off)"
    assert "actual: default_available=true\nexpected: default_available=false\ndecided by: rule agent-made secrets off" in failure.text
    assert "check mode" in failure.text
    assert prod["PAYMENT_API"].find("failure").get("message") == "default_available is false, policy requires true (rule production opt-in by tag)"
    assert case_kind(prod["SMTP_PASSWORD"]) is None
    assert prod["SMTP_PASSWORD"].find("system-out").text == "compliant: default_available false (rule agent-made secrets off)"

    # Exception-decided entries name the exception: reason, expiry, owner.
    assert prod["LEGACY_TOKEN"].find("system-out").text == (
        'compliant: default_available true (exception "vendor migration", expires 2026-12-05, owner alice)')
    assert prod["VENDOR_KEY"].find("failure").get("message") == (
        'default_available is false, policy requires true (exception "vendor needs it", expires 2027-03-01)')

    staging = suites["payments-staging (%s)" % STAGING].findall("testcase")
    assert [case.get("name") for case in staging] == [ALL_SECRETS]
    error = staging[0].find("error")
    assert error.get("type") == "failed" and error.get("message") == "HTTP 500 from GET /api/v1/secrets: internal error"
    research = suites["research (%s)" % RESEARCH].findall("testcase")
    assert [case.get("name") for case in research] == [ALL_SECRETS]
    assert research[0].find("skipped").get("message") == "not attempted: the API rejected the credentials (HTTP 401) before this request"
    assert [case.get("name") for case in suites[UNNAMED]] == ["UNLISTED_SECRET"]


def test_junit_apply_mode_cases():
    root = parse_junit(render_junit(apply_document()))
    assert counts_of(root) == {"tests": 6, "failures": 0, "errors": 1, "skipped": 1}
    cases = {(case.get("classname"), case.get("name")): case for case in root.iter("testcase")}
    prod, staging = "payments-prod (%s)" % PROD, "payments-staging (%s)" % STAGING
    changed = cases[prod, "AWS_KEY"]
    assert case_kind(changed) is None
    assert changed.find("system-out").text == "changed: default_available true -> false (rule agent-made secrets off)"
    assert cases[staging, "LEGACY_TOKEN"].find("system-out").text == (
        'changed: default_available false -> true (exception "vendor migration", expires 2026-12-05, owner alice)')
    error = cases[prod, "PAYMENT_API"].find("error")
    assert error.get("type") == "failed" and error.get("message") == "HTTP 409 from PATCH /api/v1/secrets/x: conflict"
    assert "update failed: HTTP 409" in error.text
    skipped = cases[prod, "SMTP_PASSWORD"].find("skipped")
    assert skipped.get("message") == "not attempted: the API rejected the credentials (HTTP 401) before this request"
    assert not list(root.iter("failure"))


def test_junit_totals_follow_summarize_with_policy_entries():
    """The rule tests == checked + unreadable scopes holds for counts computed by _neo_policy.summarize itself."""
    doc = check_document()
    assert doc["summary"]["checked"] == 9 and doc["summary"]["failed"] == 1 and doc["summary"]["not_attempted"] == 1
    root = parse_junit(render_junit(doc))
    assert int(root.get("tests")) == doc["summary"]["checked"] + 2


def test_junit_default_rule_names_and_unnamed_rules():
    items = [entry("drifted", name="A", rule_name="rule 1"), entry("drifted", name="B", rule_name=None, rule=2)]
    doc = document("check", items, rules=[dict(rule, name=None) for rule in RULES])
    messages = [failure.get("message") for failure in parse_junit(render_junit(doc)).iter("failure")]
    assert messages == ["default_available is true, policy requires false (rule 1)", "default_available is true, policy requires false (rules[2])"]


def test_junit_empty_report_parses():
    root = parse_junit(render_junit(document("check", [], projects=0)))
    assert counts_of(root) == {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    assert not root.findall("testsuite")


def xml_char(character):
    code = ord(character)
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def test_junit_hostile_names_are_safe_text():
    text = render_junit(hostile_document())
    assert all(xml_char(character) for character in text)
    assert not [character for character in text if unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp") and character != "\n"]
    root = parse_junit(text)
    scope = "%s (%s)" % (HOSTILE_PROJECT, PROD)
    names = [(case.get("classname"), case.get("name")) for case in root.iter("testcase")]
    safe_secret = safe_text(HOSTILE_SECRET).replace("\ud800", "\ufffd").replace("\uffff", "\ufffd")
    assert names == [(scope, safe_secret), (scope, SPACED), ("st<a>ging ]]> & \"' (%s)" % STAGING, ALL_SECRETS)]
    assert "\u202e" not in safe_secret and "\ufffdEVIL\ufffd\ufffd\ufffd\ufffd @team" in safe_secret
    assert root.find("testsuite").get("name") == scope
    assert list(root.iter("error"))[0].get("message") == "HTTP 500: <img src=x onerror=alert(1)> | ]]> &lt;"


def test_junit_copies_no_other_field():
    doc = check_document()
    for item in doc["entries"]:
        item.update(value=CANARY, masked_value="****" + CANARY, key=CANARY, token=CANARY)
    doc["api_key"] = CANARY
    assert CANARY not in render_junit(doc)
    assert CANARY not in render_markdown(doc)


def test_junit_values_equal_in_python_render_apart():
    # True == 1 in Python: the case of a rule index 1 is not the case of a rule "True" (no rule), nor are the flags.
    doc = document("check", [entry("drifted", rule=True), entry("drifted", rule=1), entry("drifted", before=1), entry("drifted", before=True),
                             entry(False), entry(0)])
    root = parse_junit(render_junit(doc))
    messages = [failure.get("message") for failure in root.iter("failure")]
    assert messages == [
        "default_available is true, policy requires false (no rule)",
        "default_available is true, policy requires false (rule production opt-in by tag)",
        "default_available is invalid, policy requires false (rule agent-made secrets off)",
        "default_available is true, policy requires false (rule agent-made secrets off)",
    ]
    # Nor is a status False the status 0 (False == 0 in Python).
    assert [error.get("message") for error in root.iter("error")] == ["unknown status False", "unknown status 0"]


# ---------------------------------------------------------------- Markdown: content


def lines_of(text):
    return text.split("\n")


def section(text, title):
    """The lines of the section whose heading starts with ``### title`` (up to the next heading)."""
    lines = lines_of(text)
    start = next(i for i, line in enumerate(lines) if line.startswith("### " + title))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return lines[start:end]


def table_rows(lines):
    """Body rows of the first table in ``lines``."""
    rows = [line for line in lines if line.startswith("|")]
    return rows[2:]


def test_markdown_check_mode_verdict_and_sections():
    text = render_markdown(check_document())
    lines = lines_of(text)
    assert lines[0] == "## Neo secret policy: Drift found"
    assert lines[2] == ("**Drift found** \u2014 5 of 9 covered secrets drifted in check mode across 4 projects; "
                        "1 scope could not be read; 1 scope not read (not attempted).")
    assert "**Policy failed:** 1 scope could not be read; see entries" in lines
    assert "Generated 2026-11-28T21:00:00Z (UTC) in check mode: nothing was changed." in lines
    headings = [line for line in lines if line.startswith("###")]
    assert headings == ["### Not compliant (7)", "### Exceptions in force (3)", "### Expired exceptions (1)",
                        "### Exceptions that matched no secret (1)", "### Rules that decided nothing (1)"]
    assert "*drifted*: an apply run would set the flag to the expected value." in section(text, "Not compliant")
    rows = table_rows(section(text, "Not compliant"))
    assert len(rows) == 7
    # Errors first, then not attempted, then drift.
    assert rows[0].startswith("| `payments-staging` (`%s`) | *(all secrets)* | \u2014 | failed |" % STAGING)
    assert "HTTP 500 from GET /api/v1/secrets&#58; internal error" not in rows[0]  # ":" only escaped before "//"
    assert rows[0].endswith("| HTTP 500 from GET /api/v1/secrets: internal error |")
    assert "| not attempted |" in rows[1]
    assert rows[2] == "| personal | `MY_OTHER_TOKEN` | true \u2192 false | drifted | agent-made secrets off |   |"
    vendor = [row for row in rows if "VENDOR_KEY" in row]
    assert vendor == ["| `payments-prod` (`%s`) | `VENDOR_KEY` | false \u2192 true | drifted | "
                      "exception until 2027-03-01: vendor needs it |   |" % PROD]
    assert not [row for row in rows if "| compliant |" in row]


def test_markdown_apply_verdicts():
    lines = lines_of(render_markdown(apply_document()))
    assert lines[0] == "## Neo secret policy: Applied"
    assert lines[2] == "**Applied** \u2014 3 changed, 1 failed, 1 not attempted."
    assert "Generated 2026-11-28T21:00:00Z (UTC) in apply mode." in lines
    assert not [line for line in lines if "an apply run would" in line]
    rows = table_rows(section("\n".join(lines), "Changes and failures"))
    assert [row.split(" | ")[3] for row in rows] == ["failed", "not attempted", "changed", "changed", "changed"]
    assert "exception until 2026-12-05 (owner `alice`): vendor migration" in rows[-1]

    doc = document("apply", [entry("changed", name="A"), entry("failed", name="B", error="boom")], projects=1)
    assert lines_of(render_markdown(doc))[2] == "**Applied** \u2014 1 changed, 1 failed."
    doc = document("apply", [entry("failed", name="B", error="boom"), scope_entry("failed", STAGING, "down")], projects=2)
    assert lines_of(render_markdown(doc))[2] == "**Failed** \u2014 0 changed, 2 failed; 1 scope could not be read."
    doc = document("apply", [entry("compliant", name="A", before=False)], projects=1)
    assert lines_of(render_markdown(doc))[:3] == ["## Neo secret policy: Compliant", "", "**Compliant** \u2014 the 1 covered secret complies."]


def test_markdown_compliant_has_no_sections():
    doc = compliant_document()
    text = render_markdown(doc)
    assert lines_of(text)[:3] == ["## Neo secret policy: Compliant", "", "**Compliant** \u2014 all 42 covered secrets comply."]
    assert "###" not in text and "|" not in text and "Policy failed" not in text
    assert text.endswith(".\n") and not text.endswith("\n\n")
    text = render_markdown(document("check", [], projects=0))
    assert "**Compliant** \u2014 the policy covers no secret." in text


def test_markdown_incomplete_when_only_reads_failed():
    doc = document("check", [entry("compliant", name="A", before=False), scope_entry("failed", STAGING, "down")], projects=2)
    assert lines_of(render_markdown(doc))[2] == "**Incomplete** \u2014 no drift in 1 covered secret read, but 1 scope could not be read."


@pytest.mark.parametrize("count, max_rows, shown", [(250, 200, 200), (250, None, 200), (5, 200, 6), (5, 6, 6), (5, 5, 5), (3, 0, 0)])
def test_markdown_row_cap(count, max_rows, shown):
    items = [entry("drifted", name="SECRET_%03d" % i) for i in range(count)]
    items.append(scope_entry("failed", STAGING, "down"))  # last in the document, first in the table
    doc = document("check", items, projects=2)
    text = render_markdown(doc) if max_rows is None else render_markdown(doc, max_rows=max_rows)
    lines = section(text, "Not compliant")
    assert lines[0] == "### Not compliant (%d)" % (count + 1)
    rows = table_rows(lines)
    assert len(rows) == shown
    if shown:
        assert "*(all secrets)*" in rows[0]
    more = count + 1 - shown
    tail = [line for line in lines if line.startswith("\u2026")]
    assert tail == (["\u2026 and %d more in the JSON report." % more] if more else [])


def test_markdown_exceptions_order_and_marks():
    text = render_markdown(check_document())
    rows = table_rows(section(text, "Exceptions in force"))
    assert [row.split(" | ")[0] for row in rows] == ["| 2026-12-05", "| 2026-12-12", "| 2027-03-01"]
    assert [row.split(" | ")[1] for row in rows] == ["\u26a0 7", "\u26a0 14", "93"]
    assert rows[0] == ("| 2026-12-05 | \u26a0 7 | `LEGACY_TOKEN` | project `payments-prod` | true | 1 | `alice` | "
                       "vendor migration |")
    assert "| \u2014 | vendor needs it |" in rows[2]  # no owner
    expired = table_rows(section(text, "Expired exceptions"))
    assert expired == ["| 2026-11-25 | 3 | `OLD_KEY` | project `payments-prod` | `carol` | done |"]
    unmatched = table_rows(section(text, "Exceptions that matched no secret"))
    assert unmatched == ["| 2026-12-28 | `TYPO_KEY` | project `payments-prod` | `dave` | typo |"]


def test_markdown_exception_targets():
    items = [exception(0, "unmatched", 9, "2026-12-07", name=None, project=None, secret_id=PROD),
             exception(1, "unmatched", 8, "2026-12-06", name="MINE", project=None, personal=True)]
    rows = table_rows(section(render_markdown(document("check", [], exceptions=items)), "Exceptions that matched no secret"))
    assert rows[0].startswith("| 2026-12-06 | `MINE` | personal |")
    assert rows[1].startswith("| 2026-12-07 | `%s` | any scope read |" % PROD)


def test_markdown_rules_that_decided_nothing():
    text = render_markdown(check_document())
    lines = section(text, "Rules that decided nothing")
    assert "- `rules[2]` `old CI tokens`" in lines
    assert not [line for line in lines if "agent-made" in line or "opt-in" in line]
    assert "Some scopes could not be read" in "\n".join(lines)
    doc = check_document()
    doc["rules"][2]["decided"] = 1
    assert "Rules that decided nothing" not in render_markdown(doc)


def test_markdown_sections_absent_when_empty():
    doc = check_document()
    doc["exceptions"] = [item for item in doc["exceptions"] if item["status"] != "expired"]
    text = render_markdown(doc)
    assert "Expired exceptions" not in text and "Exceptions in force" in text and "matched no secret" in text
    doc["exceptions"] = []
    assert "xception" not in render_markdown(doc).split("### Not compliant", maxsplit=1)[0]
    assert "### Exceptions" not in render_markdown(doc)


# ---------------------------------------------------------------- Markdown: escaping


def unescaped_pipes(line):
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_hostile_names_cannot_break_the_table_or_inject_markup():
    text = render_markdown(hostile_document())
    assert all(xml_char(character) for character in text)
    assert not [character for character in text if unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp") and character != "\n"]
    for line in lines_of(text):
        if line.startswith("|"):
            assert unescaped_pipes(line) == line.count("|")  # no backslash-escaped pipe: references only
    for title, columns in (("Not compliant", 6), ("Exceptions in force", 8)):
        lines = section(text, title)
        for line in [line for line in lines if line.startswith("|")]:
            assert line.count("|") == columns + 1, line
    # Code spans hold plain identifiers only (here the project ids); every hostile name falls back to escaped <code>.
    assert set(re.findall(r"`[^`]*`", text.split("### Rules that decided nothing", maxsplit=1)[0])) == {"`%s`" % PROD, "`%s`" % STAGING}
    text = text.replace("`%s`" % PROD, PROD).replace("`%s`" % STAGING, STAGING)
    tables = "\n".join(line for line in lines_of(text) if line.startswith("|"))
    for needle in ("<script", "<img", "<b>", "<i>", "<a>", "](", "`", "\\|", "~~", "$x$", "www.evil", "https:/", "@team", "@org", "*star*",
                   "_u_"):
        assert needle not in tables, needle
    assert "`" not in text.split("### Rules that decided nothing", maxsplit=1)[0]
    assert "&#160;&#160;SPACED&#160;&#160;" in text


class CellParser(html.parser.HTMLParser):
    """Cells of every table: (tag names seen inside the cell, text), per row."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell, self.tags, self.outside_tags = [], None, [], []

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell, self.tags = [], []
        elif self.cell is not None:
            self.tags.append(tag)
        else:
            self.outside_tags.append(tag)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append((tuple(self.tags), "".join(self.cell)))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def python_markdown(text):
    markdown = pytest.importorskip("markdown")
    return markdown.markdown(text, extensions=["tables"])


def commonmark(text):
    """CommonMark + GFM tables and strike-through (markdown-it-py), the closest here to GitHub's renderer."""
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


@pytest.mark.parametrize("render", [python_markdown, commonmark], ids=["python-markdown", "markdown-it-py"])
@pytest.mark.parametrize("mode", ["check", "apply"])
def test_markdown_hostile_names_render_as_text(render, mode):
    page = render(render_markdown(hostile_document(mode)))
    parser = CellParser()
    parser.feed(page)
    assert set(parser.outside_tags) <= {"h2", "h3", "p", "strong", "em", "table", "thead", "tbody", "ul", "li", "code"}, parser.outside_tags
    problems = [row for row in parser.rows if len(row) == 6]
    assert len(problems) == 4  # header + 3 rows: nothing split or merged
    for row in problems[1:]:
        for tags, dummy in row:
            assert set(tags) <= {"code", "em"}, tags
    safe_secret = safe_text(HOSTILE_SECRET).replace("\ud800", "\ufffd").replace("\uffff", "\ufffd")
    cells = {(row[0][1], row[1][1]): row for row in problems[1:]}
    scope = "%s (%s)" % (HOSTILE_PROJECT, PROD)
    assert set(cells) == {(scope, safe_secret), (scope, "\xa0\xa0SPACED\xa0\xa0"), ("st<a>ging ]]> & \"' (%s)" % STAGING, ALL_SECRETS)}
    failed = cells["st<a>ging ]]> & \"' (%s)" % STAGING, ALL_SECRETS]
    assert failed[5][1] == "HTTP 500: <img src=x onerror=alert(1)> | ]]> &lt;"
    hostile = cells[scope, safe_secret]
    assert hostile[5][1] == "bad <b>|</b> `x` \ufffd\ufffd"
    assert hostile[0][0] == ("code", "code") and hostile[1][0] == ("code",)
    exceptions = [row for row in parser.rows if len(row) == 8][1]
    assert [cell[1] for cell in exceptions] == [
        "2026-12-01", "\u26a0 3", "EX|<i>CEPTION</i>", "project " + HOSTILE_PROJECT, "true", "1", "@org/team <b>", "why | not <script>x</script> \ufffd `code`"]
    assert "<script" not in page and "<img" not in page and "<a " not in page and "<del>" not in page and "<s>" not in page


@pytest.mark.parametrize("render", [python_markdown, commonmark], ids=["python-markdown", "markdown-it-py"])
def test_markdown_report_renders_cleanly(render):
    page = render(render_markdown(check_document()))
    parser = CellParser()
    parser.feed(page)
    widths = [len(row) for row in parser.rows]
    assert widths == [6] * 8 + [8] * 4 + [6] * 2 + [5] * 2
    assert "\\" not in page and "&amp;#" not in page and "`" not in page
    assert "<li><code>rules[2]</code> <code>old CI tokens</code></li>" in page


def test_markdown_escaping_is_public_for_other_pages():
    """The API probe writes its page with the same escaping (markdown_text, markdown_code, markdown_table)."""
    assert markdown_text("a|b <i>x</i> SECRET_NAME _u_") == "a&#124;b &lt;i&gt;x&lt;/i&gt; SECRET_NAME &#95;u&#95;"
    assert markdown_text("line\nbreak " + "x" * 400, limit=20, line=True) == "line break xxxxxx..."
    assert markdown_code("@team") == "`@team`"  # a code span: no mention, no link there
    assert markdown_code("@org/team <b>") == "<code>&#64;org/team &lt;b&gt;</code>"
    assert markdown_code("a`b") == "<code>a&#96;b</code>" and markdown_code(" x") == "<code>&#160;x</code>"
    assert markdown_table(("A", "B"), [("1", ""), (markdown_text("|"), "2")]) == ["| A | B |", "|---|---|", "| 1 |   |", "| &#124; | 2 |"]


# ---------------------------------------------------------------- issue 22: plain Markdown where it is safe


def test_markdown_flags_column_says_what_it_compares_in_each_mode():
    assert "| Scope | Secret | default_available (actual \u2192 expected) | Status | Rule / exception | Note |" in render_markdown(check_document())
    apply_page = render_markdown(apply_document())
    assert "| Scope | Secret | default_available (before \u2192 after) | Status | Rule / exception | Note |" in apply_page
    assert "actual" not in apply_page and "expected" not in apply_page


@pytest.mark.parametrize("value, written", [
    ("PROD_DB_PASSWORD", "`PROD_DB_PASSWORD`"),
    ("platform-team@example.com", "`platform-team@example.com`"),
    ("Payments (EU) #2", "`Payments (EU) #2`"),
    ("rules[2]", "`rules[2]`"),
    ("https://x.example/a?b=c", "`https://x.example/a?b=c`"),
    ("a`b", "<code>a&#96;b</code>"),
    ("x | y", "<code>x &#124; y</code>"),
    ("<b>bold</b>", "<code>&lt;b&gt;bold&lt;/b&gt;</code>"),
    ("a\\b", "<code>a&#92;b</code>"),
    ("*star*", "<code>&#42;star&#42;</code>"),
    ("~~s~~ $x$", "<code>&#126;&#126;s&#126;&#126; &#36;x&#36;</code>"),
    ("a&amp;b", "<code>a&amp;amp;b</code>"),
    (" lead", "<code>&#160;lead</code>"),
    ("Z\u00fcrich", "<code>Z\u00fcrich</code>"),
])
def test_markdown_code_is_a_code_span_only_for_plain_text(value, written):
    assert markdown_code(value) == written


CODE_ALPHABET = "AZaz09_ @.:/-()[]'\"#%!?+=,`|\\<>&*~$\u00fc"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=CODE_ALPHABET, min_size=1, max_size=14))
def test_property_markdown_code_renders_as_exactly_its_text_in_a_table_cell(text):
    """Code span or escaped <code>: both renderers show one code element holding the text itself (blanks at the ends kept)."""
    page = "\n".join(markdown_table(("A", "B"), [(markdown_code(text), "x")]))
    stripped = text.strip(" ")
    expected = "\xa0" * (len(text) - len(text.lstrip(" "))) + stripped + "\xa0" * (len(text) - len(text.rstrip(" "))) if stripped else "\xa0" * len(text)
    for render in (python_markdown, commonmark):
        parser = CellParser()
        parser.feed(render(page))
        assert parser.rows[1] == [(("code",), expected), ((), "x")], (render.__name__, page)


def test_markdown_rules_section_says_why_each_rule_decided_nothing():
    doc = check_document()
    doc["rules"] = [
        dict(RULES[0], status="always_shadowed", shadowed_by=["exceptions[0]"]),
        dict(RULES[1], status="covers_no_project", shadowed_by=[]),
        dict(RULES[2], status="shadowed_this_run", shadowed_by=["rules[0]", "rules[1]", "exceptions[3]"]),
        {"index": 3, "name": "waiting", "default_available": False, "decided": 0, "status": "nothing_matched", "shadowed_by": []},
    ]
    doc["entries"] = [item for item in doc["entries"] if item["rule"] is None]  # no rule decided anything
    lines = section(render_markdown(doc), "Rules that decided nothing")
    assert lines[0] == "### Rules that decided nothing (4)"
    assert [line for line in lines if line.startswith("- ")] == [
        "- `rules[0]` `agent-made secrets off`: never decides: every secret it can match is decided first by `exceptions[0]`",
        "- `rules[1]` `production opt-in by tag`: never decides: it covers no project the caller can see",
        "- `rules[2]` `old CI tokens`: every secret it matched was decided first by `rules[0]`, `rules[1]` and `exceptions[3]`",
        "- `rules[3]` `waiting`: matched no secret this run",
    ]
    for render in (python_markdown, commonmark):
        assert "<li><code>rules[0]</code> <code>agent-made secrets off</code>: never decides: every secret it can match is decided first by " \
               "<code>exceptions[0]</code></li>" in render(render_markdown(doc))
