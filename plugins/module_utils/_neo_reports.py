# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""The renderings of the ``neo_secret_policy`` result: its report files and its table (plain Python, no I/O).

* :func:`render_json`: the document itself as JSON, one line per entry.
* :func:`render_junit`: JUnit XML for GitLab, Jenkins and the GitHub test-report actions: one
  test suite per scope, one test case per covered secret. Drift found in check mode is a
  failure, a failed read or write an error, a write not attempted a skip; a scope that could
  not be read is one ``(all secrets)`` test case. The totals equal the summary: ``tests`` is
  ``checked`` plus the unreadable scopes, ``failures`` the secrets left ``drifted`` (check
  mode), ``errors`` is ``failed`` and ``skipped`` is ``not_attempted``.
* :func:`render_markdown`: a page for ``$GITHUB_STEP_SUMMARY``, a pull-request comment or a
  wiki: verdict, what is not compliant, exceptions and rules that decided nothing.
* :func:`render_table`: the fixed-width text table of the task result (what the role shows).

Each reads only the documented keys of the report (names, ids, flags, statuses, error texts,
rules and exceptions): nothing else the document may hold is ever copied, and the report holds
no secret value. Every API or policy string goes through ``safe_text`` (and loses the code
points XML and UTF-8 refuse); in Markdown it is also escaped, so a hostile project or secret
name can neither break a table nor inject HTML, links, mentions or formatting.
"""
from __future__ import annotations

import json
import operator
import re

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import REPLACEMENT, one_line, plural, safe_text
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_policy import (
    EXCEPTION_EXPIRED,
    EXCEPTION_IN_FORCE,
    EXCEPTION_UNMATCHED,
    EXPIRING_SOON_DAYS,
    RULE_ALWAYS_SHADOWED,
    RULE_COVERS_NO_PROJECT,
    RULE_NOTHING_MATCHED,
    RULE_SHADOWED_THIS_RUN,
    STATUS_CHANGED,
    STATUS_COMPLIANT,
    STATUS_DRIFTED,
    STATUS_FAILED,
    STATUS_NOT_ATTEMPTED,
    STATUSES_BY_ATTENTION,
    and_list,
    flag_text,
)

JUNIT_NAME = "neo secret policy"
ALL_SECRETS = "(all secrets)"
PERSONAL = "personal"
DEFAULT_MAX_ROWS = 200

_MAX_NAME = 200
_MAX_NOTE = 300
# Lone surrogates (json.loads makes them from "\ud800") and U+FFFE, U+FFFF: not XML 1.0
# characters, and a surrogate cannot even be written as UTF-8. safe_text leaves them.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
# What needs attention first: the Markdown table and its row cap keep errors on top.
_SEVERITY = {status: rank for rank, status in enumerate(STATUSES_BY_ATTENTION)}
_DASH = "\u2014"
_ARROW = "\u2192"
_ELLIPSIS = "\u2026"
_WARNING = "\u26a0"

# Markdown: characters written as character references. The references are decoded as literal
# text by CommonMark/GFM (GitHub, GitLab) and by Python-Markdown alike, inside raw <code> too;
# a backslash escape is not (Python-Markdown knows fewer escapes, and none in code spans).
# & < >: HTML; \ ` * [ ] |: escapes, code spans, emphasis, links, table cells; ~: strike-through;
# $: math (GitHub); @: e-mail autolinks. _ . : are handled in _md_char.
_MD_REFERENCES = {
    "&": "&amp;", "<": "&lt;", ">": "&gt;", "\\": "&#92;", "`": "&#96;", "*": "&#42;", "[": "&#91;", "]": "&#93;",
    "|": "&#124;", "~": "&#126;", "$": "&#36;", "@": "&#64;", "_": "&#95;", ".": "&#46;", ":": "&#58;",
}
_AUTOLINK_SCHEMES = ("http", "https", "ftp", "mailto", "xmpp")
# What a code span may hold as it is: no character CommonMark, GFM tables or Python-Markdown read in one (` | \),
# none that would read as HTML or formatting in the raw text (< > & * ~ $), no blank at either end. Inside a
# code span no renderer makes emphasis, links or mentions, so "_", "@" and ":" are plain (PROD_DB, an e-mail owner).
_CODE_SPAN_SAFE = re.compile(r"[\w@./:+=,#%!?'\"()\[\]-]+(?: +[\w@./:+=,#%!?'\"()\[\]-]+)*", re.ASCII)


# ---------------------------------------------------------------------------------------------
# Text shared by the renderers


def _text(value, limit=_MAX_NAME):
    if isinstance(value, str) and value.isascii() and value.isprintable():
        text = value  # the common case (names, ids): nothing to replace
    else:
        text = _NOT_XML.sub(REPLACEMENT, safe_text(value))
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def _line(value, limit=_MAX_NOTE):
    """``value`` as one safe line (whitespace folded): for error texts and reasons."""
    return _NOT_XML.sub(REPLACEMENT, one_line(value, limit))


def _required_text(entry):
    """The flag the policy requires, as reports show it: a secret no rule could decide has none."""
    return "not decided" if entry.get("after") is None and entry.get("status") == STATUS_FAILED else flag_text(entry.get("after"))


def _is_scope_entry(entry):
    """True for the one entry of a scope that could not be read (no secret id)."""
    return entry.get("secret_id") is None


def _index(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rule_names(rules):
    return {rule["index"]: rule["name"] for rule in rules}


def _scope_name(entry, style=_text):
    """``personal``, ``<project name> (<project id>)``, or the project id when the name is unknown; ``style`` formats name and id."""
    project_id = entry.get("project_id")
    if project_id is None:
        return PERSONAL
    name = entry.get("project_name")
    return style(project_id, 80) if name is None else "%s (%s)" % (style(name), style(project_id, 80))


def _secret_name(entry):
    """The secret's name as the API sent it, else its id; ``(all secrets)`` for a scope entry."""
    secret_id = entry.get("secret_id")
    if secret_id is None:
        return ALL_SECRETS
    name = entry.get("secret_name")
    return _text(secret_id if name is None else name)


def _rule_name(entry, rule_names):
    """The name of the rule that decided the entry (``rules[<index>]`` if unnamed), or None when an exception did."""
    index = _index(entry.get("rule"))
    if index is None:
        return None
    name = entry.get("rule_name")
    if name is None:
        name = rule_names.get(index)
    return _text(name, 120) if name else "rules[%d]" % index


def _exception_parts(entry):
    """(reason, expires, owner) of the exception that decided the entry, or None."""
    parts = entry.get("exception_reason"), entry.get("exception_expires"), entry.get("exception_owner")
    return None if parts == (None, None, None) else parts


def _decision(entry, rule_names):
    """What decided the entry, in plain text: ``rule X``, ``exception "reason", expires D, owner O``."""
    labels = []
    rule = _rule_name(entry, rule_names)
    if rule:
        # The name alone when it already says rule, like the default "rule 2".
        labels.append(rule if rule.lower().startswith(("rule ", "rules[")) else "rule %s" % rule)
    exception = _exception_parts(entry)
    if exception is not None:
        reason, expires, owner = exception
        text = "exception"
        if reason is not None:
            text += ' "%s"' % _line(reason, 200)
        if expires is not None:
            text += ", expires %s" % _text(expires, 40)
        if owner is not None:
            text += ", owner %s" % _text(owner, 120)
        labels.append(text)
    return "; ".join(labels) or "no rule"


# ---------------------------------------------------------------------------------------------
# JSON


def render_json(document):
    """The report ``document`` as JSON text: indented, keys sorted, except one compact line per entry.

    Indenting 10,000 entries would make ``json`` use its pure-Python encoder, several times
    slower, and a file of 150,000 lines; one line per entry stays easy to read and to diff.
    """
    text = json.dumps(dict(document, entries=[]), indent=2, sort_keys=True)
    lines = [json.dumps(entry) for entry in document.get("entries") or ()]
    if not lines:
        return text + "\n"
    # "entries" sorts before every other key of the document, and inside a JSON string every
    # quote is escaped: the first '"entries": []' is the key's.
    start, _key, end = text.partition('"entries": []')
    return '%s"entries": [\n    %s\n  ]%s\n' % (start, ",\n    ".join(lines), end)


# ---------------------------------------------------------------------------------------------
# JUnit XML


def _xml(text):
    """Already safe text (no control character, so no line break to keep in an attribute) escaped for XML content and attributes."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _counts(counts):
    return "".join(' %s="%d"' % item for item in counts.items())


def _element(tag, message, kind=None, text=None):
    """One ``<failure>``, ``<error>`` or ``<skipped>`` element of a test case, indented under it."""
    attributes = ' message="%s"' % _xml(message) if kind is None else ' message="%s" type="%s"' % (_xml(message), kind)
    if text is None:
        return "\n      <%s%s />" % (tag, attributes)
    return "\n      <%s%s>%s</%s>" % (tag, attributes, _xml(text), tag)


def _junit_case(entry, classname, check_mode, rule_names):
    """(kind, XML) of the entry's test case: kind is the counter it adds to (None: it passed).

    The messages are made of text already safe: ``_text`` only cuts them to length.
    """
    status, error = entry.get("status"), entry.get("error")
    opening = '    <testcase classname="%s" name="%s" time="0"' % (classname, _xml(_secret_name(entry)))
    if _is_scope_entry(entry):
        if status == STATUS_NOT_ATTEMPTED:
            kind, inner = "skipped", _element("skipped", _text("not attempted: %s" % _line(error or "the secrets of this scope were not read"), _MAX_NOTE))
        else:
            reason = _line(error or "the secrets of this scope could not be read")
            kind, inner = "errors", _element("error", reason, STATUS_FAILED, "the secrets of this scope could not be read: %s" % reason)
        return kind, "%s>%s\n    </testcase>" % (opening, inner)
    actual, expected = flag_text(entry.get("before")), _required_text(entry)
    decision = _decision(entry, rule_names)
    if status == STATUS_COMPLIANT or status == STATUS_CHANGED:
        if status == STATUS_COMPLIANT:
            out = "compliant: default_available %s (%s)" % (actual, decision)
        else:
            out = "changed: default_available %s -> %s (%s)" % (actual, expected, decision)
        return None, "%s>\n      <system-out>%s</system-out>\n    </testcase>" % (opening, _xml(out))
    details = "secret id: %s\nactual: default_available=%s\nexpected: default_available=%s\ndecided by: %s" % (
        _text(entry.get("secret_id"), 80), actual, expected, decision)
    if status == STATUS_DRIFTED:
        message = _text("default_available is %s, policy requires %s (%s)" % (actual, expected, decision), _MAX_NOTE)
        what = "check mode: an apply run sets it to %s" % expected if check_mode else "not updated"
        kind, inner = "failures", _element("failure", message, "drift", "%s\n%s" % (details, what))
    elif status == STATUS_FAILED:
        reason = _line(error or "the update failed")
        kind, inner = "errors", _element("error", reason, STATUS_FAILED, "%s\nupdate failed: %s" % (details, reason))
    elif status == STATUS_NOT_ATTEMPTED:
        kind = "skipped"
        inner = _element("skipped", _text("not attempted: %s" % _line(error or "no update was sent"), _MAX_NOTE))
        inner += "\n      <system-out>%s</system-out>" % _xml(details)
    else:
        reason = "unknown status %s" % _text(status, 40)
        kind, inner = "errors", _element("error", reason, "unknown", "%s\n%s" % (details, reason))
    return kind, "%s>%s\n    </testcase>" % (opening, inner)


def render_junit(document):
    """The report ``document`` as a JUnit XML string: one ``<testsuite>`` per scope, in the order of the entries."""
    check_mode, entries, rule_names = document["mode"] != "apply", document["entries"], _rule_names(document["rules"])
    counters = ("tests", "failures", "errors", "skipped")
    suites = {}  # (personal, scope name) -> (escaped name, counts, lines)
    for entry in entries:
        scope = _scope_name(entry)
        key = entry.get("project_id") is None, scope
        if key not in suites:
            suites[key] = _xml(scope), dict.fromkeys(counters, 0), []
        name, counts, lines = suites[key]
        kind, case = _junit_case(entry, name, check_mode, rule_names)
        lines.append(case)
        counts["tests"] += 1
        if kind is not None:
            counts[kind] += 1
    totals = {counter: sum(counts[counter] for _name, counts, _lines in suites.values()) for counter in counters}
    timestamp = _text(document.get("generated_at") or "", 40)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites name="%s"%s time="0">' % (JUNIT_NAME, _counts(totals))]
    for name, counts, lines in suites.values():
        timestamp_attribute = ' timestamp="%s"' % _xml(timestamp) if timestamp else ""
        out.append('  <testsuite name="%s"%s time="0"%s>' % (name, _counts(counts), timestamp_attribute))
        out.extend(lines)
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Markdown


def _md_char(text, position):
    """The Markdown source for ``text[position]``: the character itself, or a character reference."""
    character = text[position]
    reference = _MD_REFERENCES.get(character)
    if reference is None:
        return character
    before = text[position - 1] if position else ""
    after = text[position + 1] if position + 1 < len(text) else ""
    if character == "_" and before.isalnum() and after.isalnum():
        return character  # inside a word (SECRET_NAME): never emphasis
    if character == "." and not text[:position].lower().endswith("www"):
        return character  # only "www." starts an autolink
    if character == ":" and after != "/" and not text[:position].lower().endswith(_AUTOLINK_SCHEMES):
        return character  # only "scheme:" starts an autolink
    return reference


def markdown_text(value, limit=_MAX_NAME, line=False):
    """API or policy text as inline Markdown that renders as exactly that text, never as markup.

    ``line``: fold whitespace to one line (error texts, reasons) instead of replacing it.
    """
    text = _line(value, limit) if line else _text(value, limit)
    source = "".join(_md_char(text, position) for position in range(len(text)))
    # A table cell is trimmed: a name's leading or trailing spaces are kept as no-break spaces.
    stripped = source.strip(" ")
    if stripped != source:
        lead = len(source) - len(source.lstrip(" "))
        trail = len(source) - len(source.rstrip(" "))
        source = "&#160;" * lead + stripped + "&#160;" * trail if stripped else "&#160;" * len(source)
    return source


def markdown_code(value, limit=_MAX_NAME):
    """An identifier in code style: a code span (a name between backticks), plain Markdown that reads well as raw text too
    (a terminal, Slack, Teams), when the text is made only of characters that mean nothing there.

    Any other text is raw ``<code>`` with character references: a backtick would end a code span,
    ``|`` splits a table row even inside one, a backslash or ``<`` reads differently across renderers,
    and blanks at either end are trimmed. References work inside ``<code>`` and GitHub does not turn
    an ``@name`` in it into a mention.
    """
    text = _text(value, limit)
    if _CODE_SPAN_SAFE.fullmatch(text):
        return "`%s`" % text
    return "<code>%s</code>" % markdown_text(value, limit)


def _md_decision(entry, rule_names):
    labels = []
    rule = _rule_name(entry, rule_names)
    if rule:
        labels.append(markdown_text(rule))
    exception = _exception_parts(entry)
    if exception is not None:
        reason, expires, owner = exception
        text = "exception"
        if expires is not None:
            text += " until %s" % markdown_text(expires, 40)
        if owner is not None:
            text += " (owner %s)" % markdown_code(owner, 120)
        if reason is not None:
            text += ": %s" % markdown_text(reason, 200, line=True)
        labels.append(text)
    return "; ".join(labels)


def markdown_table(header, rows):
    """The lines of a Markdown table: ``header`` and ``rows`` are cells already escaped (markdown_text, markdown_code)."""
    lines = ["| %s |" % " | ".join(header), "|" + "---|" * len(header)]
    lines.extend("| %s |" % " | ".join(cell if cell else " " for cell in row) for row in rows)
    return lines


def _verdict(check_mode, summary, entries):
    """(verdict, sentence) of the report: the title and the line under it."""
    checked, drifted, projects, changed, failed, skipped = (summary[key] for key in ("checked", "drifted", "projects", "changed", "failed", "not_attempted"))
    scope_statuses = [entry.get("status") for entry in entries if _is_scope_entry(entry)]
    failed_scopes, skipped_scopes = scope_statuses.count(STATUS_FAILED), scope_statuses.count(STATUS_NOT_ATTEMPTED)
    unread = []
    if failed_scopes:
        unread.append("%s could not be read" % plural(failed_scopes, "scope"))
    if skipped_scopes:
        unread.append("%s not read (not attempted)" % plural(skipped_scopes, "scope"))
    unread = "; ".join(unread)
    if check_mode:
        if drifted:
            sentence = "%d of %s drifted in check mode across %s" % (drifted, plural(checked, "covered secret"), plural(projects, "project"))
            return "Drift found", sentence + ("; %s." % unread if unread else ".")
        if failed or skipped:
            sentence = "no drift in %s read, but %s." % (plural(checked, "covered secret"), unread or "some reads failed")
            return "Incomplete", sentence
    elif changed or failed or skipped:
        parts = ["%d changed" % changed]
        if failed:
            parts.append("%d failed" % failed)
        if skipped:
            parts.append("%d not attempted" % skipped)
        sentence = ", ".join(parts) + ("; %s." % unread if unread else ".")
        return ("Applied" if changed else "Failed"), sentence
    return "Compliant", (_all_comply(checked) if checked else "the policy covers no secret") + "."


def _all_comply(checked):
    return "the 1 covered secret complies" if checked == 1 else "all %d covered secrets comply" % checked


def _problems(check_mode, entries, rule_names, max_rows):
    rows = sorted((entry for entry in entries if entry.get("status") != STATUS_COMPLIANT), key=lambda entry: _SEVERITY.get(entry.get("status"), -1))
    if not rows:
        return []
    title = "Not compliant" if check_mode else "Changes and failures"
    # Check mode compares what is with what the policy wants; an apply run shows what it changed (or failed to).
    flags_header = "default_available (%s)" % (("actual %s expected" if check_mode else "before %s after") % _ARROW)
    header = ("Scope", "Secret", flags_header, "Status", "Rule / exception", "Note")
    cells = []
    for entry in rows[:max_rows]:
        status, error = entry["status"], entry["error"]
        if _is_scope_entry(entry):
            secret, flags = "*%s*" % ALL_SECRETS, _DASH
        else:
            secret, flags = markdown_code(_secret_name(entry)), "%s %s %s" % (flag_text(entry["before"]), _ARROW, _required_text(entry))
        cells.append((_scope_name(entry, markdown_code), secret, flags, "not attempted" if status == STATUS_NOT_ATTEMPTED else markdown_text(status, 40),
                      _md_decision(entry, rule_names), "" if error is None else markdown_text(error, _MAX_NOTE, line=True)))
    lines = ["### %s (%d)" % (title, len(rows)), ""]
    if check_mode and any(entry.get("status") == STATUS_DRIFTED for entry in rows):
        lines += ["*drifted*: an apply run would set the flag to the expected value.", ""]
    lines += markdown_table(header, cells)
    if len(rows) > len(cells):
        lines += ["", "%s and %d more in the JSON report." % (_ELLIPSIS, len(rows) - len(cells))]
    return lines + [""]


def _md_target(exception):
    """(secret, scope) an exception names, in Markdown: the secret as ``name (id)``, ``name`` or ``id``."""
    names = [markdown_code(exception[key]) for key in ("name", "secret_id") if exception[key] is not None]
    secret = "%s (%s)" % tuple(names) if len(names) == 2 else names[0] if names else _DASH
    if exception["project"] is not None:
        return secret, "project %s" % markdown_code(exception["project"])
    return secret, PERSONAL if exception["personal"] is True else "any scope read"


_EXCEPTION_SECTIONS = (
    (EXCEPTION_IN_FORCE, "Exceptions in force", "Expiring soonest first; %s: expires within %%d days." % _WARNING,
     ("Expires", "Days left", "Secret", "Scope", "default_available", "Matched", "Owner", "Reason")),
    (EXCEPTION_EXPIRED, "Expired exceptions", "No longer applied: the rules decide these secrets again. Renew or remove them.",
     ("Expired", "Days ago", "Secret", "Scope", "Owner", "Reason")),
    (EXCEPTION_UNMATCHED, "Exceptions that matched no secret", "In force but no secret read matched them: check the secret name or id and the project.",
     ("Expires", "Secret", "Scope", "Owner", "Reason")),
)


def _exceptions(exceptions, warn_days):
    """The exceptions by status; the in-force note names ``warn_days`` (``exceptions_warn_days``), which set the ``expiring_soon`` marks."""
    lines = []
    for status, title, note, header in _EXCEPTION_SECTIONS:
        chosen = sorted((item for item in exceptions if item["status"] == status), key=operator.itemgetter("days_left", "expires", "index"))
        if not chosen:
            continue
        rows = []
        for exception in chosen:
            days, owner = exception["days_left"], exception["owner"]
            row = [markdown_text(exception["expires"], 40), *_md_target(exception), _DASH if owner is None else markdown_code(owner, 120),
                   markdown_text(exception["reason"], _MAX_NOTE, line=True)]
            if status == EXCEPTION_IN_FORCE:
                row[1:1] = ["%s %d" % (_WARNING, days) if exception.get("expiring_soon", days <= warn_days) else str(days)]
                row[4:4] = [flag_text(exception["default_available"]), str(exception["matched"])]
            elif status == EXCEPTION_EXPIRED:
                row[1:1] = [str(abs(days))]
            rows.append(row)
        note = note % warn_days if status == EXCEPTION_IN_FORCE else note
        lines += ["### %s (%d)" % (title, len(chosen)), "", note, ""] + markdown_table(header, rows) + [""]
    return lines


_RULE_STATUS_TEXT = {
    RULE_COVERS_NO_PROJECT: "never decides: it covers no project the caller can see",
    RULE_ALWAYS_SHADOWED: "never decides: every secret it can match is decided first by %s",
    RULE_SHADOWED_THIS_RUN: "every secret it matched was decided first by %s",
    RULE_NOTHING_MATCHED: "matched no secret this run",
}


def _idle_rules(rules, entries):
    idle = [rule for rule in rules if rule["decided"] == 0]
    if not idle:
        return []
    lines = ["### Rules that decided nothing (%d)" % len(idle), "",
             "No covered secret was decided by these rules. One that never decides is shadowed, or its projects match none "
             "(it is warned about); the others may decide secrets added later, or a pattern may be mistyped."]
    if any(_is_scope_entry(entry) for entry in entries):
        lines[-1] += " Some scopes could not be read, which can also explain it."
    lines.append("")
    for rule in idle:
        line = "- `rules[%d]`%s" % (rule["index"], "" if rule["name"] is None else " %s" % markdown_code(rule["name"], 120))
        why = _RULE_STATUS_TEXT.get(rule.get("status"))
        if why is not None:
            shadowed_by = [markdown_code(label, 40) for label in rule.get("shadowed_by") or ()]
            line += ": " + (why % and_list(shadowed_by) if "%s" in why else why)
        lines.append(line)
    return lines + [""]


def render_markdown(document, max_rows=DEFAULT_MAX_ROWS):
    """The report ``document`` as a Markdown page (GitHub-flavoured; also renders with Python-Markdown + tables).

    Each section is left out when empty; at most ``max_rows`` rows of secrets, errors first.
    """
    check_mode, summary, entries, rules = document["mode"] != "apply", document["summary"], document["entries"], document["rules"]
    verdict, sentence = _verdict(check_mode, summary, entries)
    lines = ["## Neo secret policy: %s" % verdict, "", "**%s** %s %s" % (verdict, _DASH, sentence), ""]
    if document.get("failure"):
        lines += ["**Policy failed:** %s" % markdown_text(document["failure"], _MAX_NOTE, line=True), ""]
    when = markdown_text(document.get("generated_at") or "unknown time", 40)
    lines += ["Generated %s (UTC) in %s." % (when, "check mode: nothing was changed" if check_mode else "apply mode"), ""]
    lines += _problems(check_mode, entries, _rule_names(rules), max(0, int(max_rows)))
    lines += _exceptions(document["exceptions"], document.get("exceptions_warn_days", EXPIRING_SOON_DAYS))
    lines += _idle_rules(rules, entries)
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# Text table


def render_table(entries, summary=None):
    """Fixed-width text table (scope, secret, before -> after, status, note) of ``entries``.

    Only names, ids, flags, statuses and error texts are shown, never a secret value. With no
    rows, one sentence says why: every covered secret complies, or no secret is covered.
    """
    header = ("PROJECT", "SECRET", "DEFAULT_AVAILABLE", "STATUS", "NOTE")
    rows = []
    for entry in entries:
        if _is_scope_entry(entry):
            flags = "-"
        else:
            flags = "%s -> %s" % (flag_text(entry["before"]), _required_text(entry))
        rows.append((_text(_scope_name(entry), 80), _text(_secret_name(entry), 60), flags, entry["status"], _text(entry.get("error"))))
    if not rows:
        checked = (summary or {}).get("checked", 0)
        return _all_comply(checked) if checked else "no secret is covered by the policy"
    widths = [max(len(row[column]) for row in rows + [header]) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header] + rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
