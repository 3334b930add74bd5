# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""The file renderings of the ``neo_secret_policy`` report document (plain Python, no I/O).

* :func:`render_json`: the document itself as JSON, one line per entry.
* :func:`render_junit`: JUnit XML for GitLab, Jenkins and the GitHub test-report actions: one
  test suite per scope, one test case per covered secret. Drift found in check mode is a
  failure, a failed read or write an error, a write not attempted a skip; a scope that could
  not be read is one ``(all secrets)`` test case. The totals equal the summary: ``tests`` is
  ``checked`` plus the unreadable scopes, ``failures`` the secrets left ``drifted`` (check
  mode), ``errors`` is ``failed`` and ``skipped`` is ``not_attempted``.
* :func:`render_markdown`: a page for ``$GITHUB_STEP_SUMMARY``, a pull-request comment or a
  wiki: verdict, what is not compliant, exceptions and rules that decided nothing.

Both read only the documented keys of the report (names, ids, flags, statuses, error texts,
rules and exceptions): nothing else the document may hold is ever copied, and the report holds
no secret value. Every API or policy string goes through ``safe_text`` (and loses the code
points XML and UTF-8 refuse); in Markdown it is also escaped, so a hostile project or secret
name can neither break a table nor inject HTML, links, mentions or formatting.
"""
from __future__ import annotations

import functools
import itertools
import json
import operator
import re
from json.encoder import encode_basestring_ascii as _json_string

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import REPLACEMENT, one_line, plural, safe_text
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_policy import (
    ENTRY_FIELDS,
    EXPIRING_SOON_DAYS,
    STATUS_CHANGED,
    STATUS_COMPLIANT,
    STATUS_DRIFTED,
    STATUS_FAILED,
    STATUS_NOT_ATTEMPTED,
    STATUSES_BY_ATTENTION,
    flag_text,
)

JUNIT_NAME = "neo secret policy"
ALL_SECRETS = "(all secrets)"
PERSONAL = "personal"
DEFAULT_MAX_ROWS = 200

EXCEPTION_IN_FORCE = "in_force"
EXCEPTION_EXPIRED = "expired"
EXCEPTION_UNMATCHED = "unmatched"

_MAX_NAME = 200
_MAX_NOTE = 300
# Lone surrogates (json.loads makes them from "\ud800") and U+FFFE, U+FFFF: not XML 1.0
# characters, and a surrogate cannot even be written as UTF-8. safe_text leaves them.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
# Stands for a secret's own value while the text shared by secrets alike is built: a control
# character, which no API or policy text keeps (safe_text replaces them), JSON encodes as
# \u0000 and XML escaping leaves as it is.
_SLOT = "\x00"
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
# Text without any of these needs no reference at all: the characters of _MD_REFERENCES, except
# "_" between two ASCII letters or digits (a word's, as in SECRET_NAME), which _md_char keeps.
_MD_SPECIAL = re.compile(r"[&<>\\`*\[\]|~$@.:]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


# ---------------------------------------------------------------------------------------------
# Text shared by both renderers


def _text(value, limit=_MAX_NAME):
    """``value`` as safe text (no control, format or separator characters, nothing XML refuses), truncated."""
    if isinstance(value, str) and value.isascii() and value.isprintable():
        text = value  # the common case (names, ids): nothing to replace
    else:
        text = _NOT_XML.sub(REPLACEMENT, safe_text(value))
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def _line(value, limit=_MAX_NOTE):
    """``value`` as one safe line (whitespace folded), truncated: for error texts and reasons."""
    return _NOT_XML.sub(REPLACEMENT, one_line(value, limit))


def _count(mapping, key):
    value = mapping.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


class _ByShape:
    """What ``render(entry)`` returns, computed once per distinct combination of ``fields``.

    Thousands of entries share a scope, a rule and a status, and differ only by the secret's own
    id and name: the text those shared fields render to is built once and reused. The fields are
    keyed with their types, since Python finds ``True``, ``1`` and ``1.0`` (and ``False`` and
    ``0``) equal where the reports write them apart. An entry that lacks one of the fields or
    holds an unhashable value (a list the API sent) is rendered on its own.
    """

    def __init__(self, fields, render):
        self._values = operator.itemgetter(*fields)
        self._render = render
        self._rendered = {}

    def __call__(self, entry, shape=None):
        """``shape``: the policy engine's key for the entry's fields (``Plan.shapes``, given for
        all entries of a document or for none), which spares computing one from their values."""
        try:
            if shape is None:
                values = self._values(entry)
                key = values, tuple(map(type, values))
            else:
                key = shape
            rendered = self._rendered.get(key)
        except (KeyError, TypeError):
            return self._render(entry)
        if rendered is None:
            rendered = self._rendered[key] = self._render(entry)
        return rendered


def _document_parts(document):
    """(check_mode, summary, entries, rules, exceptions) of a report document, each of the expected type."""
    document = document if isinstance(document, dict) else {}
    summary = document.get("summary") if isinstance(document.get("summary"), dict) else {}
    entries = [entry for entry in document.get("entries") or () if isinstance(entry, dict)]
    rules = document.get("rules")
    if not isinstance(rules, list):
        rules = summary.get("rules") if isinstance(summary.get("rules"), list) else []
    rules = [rule for rule in rules if isinstance(rule, dict)]
    exceptions = [exception for exception in document.get("exceptions") or () if isinstance(exception, dict)]
    return document.get("mode") != "apply", summary, entries, rules, exceptions


def _is_scope_entry(entry):
    """True for the one entry of a scope that could not be read (no secret id)."""
    return entry.get("secret_id") is None


def _index(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rule_names(rules):
    return {rule["index"]: rule.get("name") for rule in rules if _index(rule.get("index")) is not None}


def _scope_parts(entry):
    """(name, id) of the entry's scope: ("personal", None), (project name or None, project id)."""
    project_id = entry.get("project_id")
    if project_id is None:
        return PERSONAL, None
    name = entry.get("project_name")
    return (None if name is None else _text(name)), _text(project_id, 80)


def _scope_name(entry):
    """``personal``, ``<project name> (<project id>)``, or the project id when the name is unknown."""
    name, project_id = _scope_parts(entry)
    if project_id is None:
        return name
    return project_id if name is None else "%s (%s)" % (name, project_id)


def _secret_name(entry):
    secret_id = entry.get("secret_id")
    if secret_id is None:  # a scope entry
        return ALL_SECRETS
    return _text(_name_or_id(entry, secret_id))


def _name_or_id(entry, secret_id):
    """The secret's name as the API sent it, else its id."""
    name = entry.get("secret_name")
    return secret_id if name is None else name


def _rule_name(entry, rule_names):
    """The name of the rule that decided the entry (``rules[<index>]`` if unnamed), or None when an exception did."""
    index = _index(entry.get("rule"))
    if index is None:
        return None
    name = entry.get("rule_name")
    if name is None:
        name = rule_names.get(index)
    return _text(name, 120) if name else "rules[%d]" % index


def _rule_label(entry, rule_names):
    """``rule <name>`` (the name alone when it already says rule, like the default ``rule 2``), or None."""
    name = _rule_name(entry, rule_names)
    if name is None or name.lower().startswith(("rule ", "rules[")):
        return name
    return "rule %s" % name


def _exception_parts(entry):
    """(reason, expires, owner) of the exception that decided the entry, or None."""
    parts = (entry.get("exception_reason"), entry.get("exception_expires"), entry.get("exception_owner"))
    return None if all(part is None for part in parts) else parts


def _decision(entry, rule_names):
    """What decided the entry, in plain text: ``rule X``, ``exception "reason", expires D, owner O``."""
    labels = []
    rule = _rule_label(entry, rule_names)
    if rule:
        labels.append(rule)
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

# The fields that differ from one secret to the next, in ENTRY_FIELDS order; the others repeat
# across the secrets of a scope decided alike.
_JSON_OWN_FIELDS = ("secret_id", "secret_name", "created_by_agent")
_JSON_SHARED_FIELDS = tuple(field for field in ENTRY_FIELDS if field not in _JSON_OWN_FIELDS)
_JSON_CONSTANTS = ((None, "null"), (True, "true"), (False, "false"))


def _json_value(value):
    """``value`` as ``json.dumps`` writes it."""
    if value.__class__ is str:
        return _json_string(value)
    for constant, text in _JSON_CONSTANTS:
        if value is constant:
            return text
    return json.dumps(value)


def _json_pieces(entry):
    """The JSON text of ``entry`` cut around its own fields' values: joined with the encoded id,
    name and creator in between, ``json.dumps(entry)`` with the keys in ENTRY_FIELDS order.

    Pieces joined by an f-string, not a %-format: parsing a 400-character format for each of
    10,000 secrets cost more than the rest of the line together.
    """
    members = []
    for field in ENTRY_FIELDS:
        members.append("%s: %s" % (_json_string(field), _SLOT if field in _JSON_OWN_FIELDS else _json_value(entry[field])))
    return tuple(("{%s}" % ", ".join(members)).split(_SLOT))


def _json_entry_lines(entries, shapes, rows=None):
    """Each entry (or each row, see ``Plan.rows``) as one line of compact JSON: what ``json.dumps``
    writes for it, keys in ENTRY_FIELDS order.

    At 10,000 entries ``json.dumps`` costs about twice as much: it encodes every key and every
    repeated value again, where here only the secret's own id, name and creator are encoded per
    entry. An entry with other keys than ENTRY_FIELDS is left to ``json.dumps``.
    """
    pieces = _ByShape(_JSON_SHARED_FIELDS, _json_pieces)
    if rows is None:
        return [_json_entry_line(entry, shape, pieces) for entry, shape in zip(entries, shapes)]
    lines = []
    for row in rows:
        if row.__class__ is int:
            lines.append(_json_entry_line(entries[row], shapes[row], pieces))
        else:
            # A compact row of the engine: its id and name are text, its creator a flag or None.
            model, shape, secret_id, secret_name, created_by_agent = row
            lines.append(_json_line(pieces(model, shape), secret_id, secret_name, _JSON_FLAGS[created_by_agent]))
    return lines


_JSON_OWN_VALUES = operator.itemgetter(*_JSON_OWN_FIELDS)
# For a value known to be a flag or None (a compact row's creator), where True and 1 cannot meet.
_JSON_FLAGS = dict(_JSON_CONSTANTS)


def _json_line(pieces, secret_id, secret_name, created_by_agent_json):
    """One entry's line: the pieces of its shape (_json_pieces) around its own encoded values."""
    start, between, after_name, end = pieces
    return f"{start}{_json_string(secret_id)}{between}{_json_string(secret_name)}{after_name}{created_by_agent_json}{end}"


def _json_entry_line(entry, shape, pieces):
    try:
        secret_id, secret_name, created_by_agent = _JSON_OWN_VALUES(entry)
        if len(entry) == len(ENTRY_FIELDS):
            return _json_line(pieces(entry, shape), secret_id, secret_name, _json_value(created_by_agent))
    except (KeyError, TypeError):  # another key, or an id or a name that is not text: not an entry of the engine
        pass
    return json.dumps(entry)


def _shapes_of(entries, shapes):
    """``shapes`` when there is one per entry, else one None per entry (keyed by their values)."""
    if shapes is not None and len(shapes) == len(entries):
        return shapes
    return itertools.repeat(None, len(entries))


def _rows_shapes(entries, shapes):
    """``shapes``, which rows need (one per entry)."""
    if shapes is None or len(shapes) != len(entries):
        raise ValueError("rows need the shapes of the entries")
    return shapes


def render_json(document, shapes=None, rows=None):
    """The report ``document`` as JSON text: indented, keys sorted, except one compact line per entry.

    Indenting 10,000 entries would make ``json`` use its pure-Python encoder, several times
    slower, and a file of 150,000 lines; one line per entry stays easy to read and to diff.
    ``shapes``: the policy engine's ``Plan.shapes`` of the entries (``_neo_policy.entry_shapes``
    after the writes), optional: each lets the lines of entries alike be built from one format.
    ``rows``: the plan's ``Plan.rows`` (with ``shapes``), when its compliant secrets have no entry:
    the file then lists every row, each compliant secret as the entry it would have.
    """
    head = {key: value for key, value in document.items() if key != "entries"}
    head["entries"] = []
    # "entries" sorts before every other key of the document, and inside a JSON string every
    # quote is escaped: the first '"entries": []' is the key's.
    text = json.dumps(head, indent=2, sort_keys=True)
    entries = document.get("entries") or ()
    if rows is None:
        lines = _json_entry_lines(entries, _shapes_of(entries, shapes))
    else:
        lines = _json_entry_lines(entries, _rows_shapes(entries, shapes), rows)
    if not lines:
        return text + "\n"
    start, empty_list, end = text.partition('"entries": []')
    return "".join((start, empty_list[:-1], "\n    ", ",\n    ".join(lines), "\n  ]", end, "\n"))


# ---------------------------------------------------------------------------------------------
# JUnit XML


def _junit_outcome(entry, check_mode, rule_names, secret_id):
    """(kind, tag, attributes, text, system_out) of one test case; kind counts it (None: passed).

    ``secret_id`` is the text written for the secret's id.
    """
    status = entry.get("status")
    error = entry.get("error")
    if _is_scope_entry(entry):
        if status == STATUS_NOT_ATTEMPTED:
            return "skipped", "skipped", {"message": _line("not attempted: %s" % _line(error or "the secrets of this scope were not read"))}, None, None
        reason = _line(error or "the secrets of this scope could not be read")
        return "errors", "error", {"message": reason, "type": STATUS_FAILED}, "the secrets of this scope could not be read: %s" % reason, None
    actual, expected = flag_text(entry.get("before")), flag_text(entry.get("after"))
    decision = _decision(entry, rule_names)
    if status == STATUS_COMPLIANT:
        return None, None, None, None, "compliant: default_available %s (%s)" % (actual, decision)
    if status == STATUS_CHANGED:
        return None, None, None, None, "changed: default_available %s -> %s (%s)" % (actual, expected, decision)
    details = "secret id: %s\nactual: default_available=%s\nexpected: default_available=%s\ndecided by: %s" % (
        secret_id, actual, expected, decision)
    if status == STATUS_DRIFTED:
        message = _line("default_available is %s, policy requires %s (%s)" % (actual, expected, decision))
        what = "check mode: an apply run sets it to %s" % expected if check_mode else "not updated"
        return "failures", "failure", {"message": message, "type": "drift"}, "%s\n%s" % (details, what), None
    if status == STATUS_FAILED:
        reason = _line(error or "the update failed")
        return "errors", "error", {"message": reason, "type": STATUS_FAILED}, "%s\nupdate failed: %s" % (details, reason), None
    if status == STATUS_NOT_ATTEMPTED:
        return "skipped", "skipped", {"message": _line("not attempted: %s" % _line(error or "no update was sent"))}, None, details
    reason = _line("unknown status %s" % _text(status, 40))
    return "errors", "error", {"message": reason, "type": "unknown"}, "%s\n%s" % (details, reason), None


_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\t": "&#9;", "\r": "&#13;"})
# Whether a text needs _XML_ATTRIBUTE at all: a search costs a fraction of a translate, and
# names and ids rarely hold any of these.
_XML_ATTRIBUTE_SPECIAL = re.compile('[&<>"\n\t\r]')
_XML_TEXT_SPECIAL = re.compile("[&<>]")


# Printable ASCII without the characters XML escapes (" & < >): most names and ids, which are
# then written as they are.
_PLAIN_XML = re.compile("[ !#-%'-;=?-~]*")


def _xml_attribute(text):
    return text.translate(_XML_ATTRIBUTE) if _XML_ATTRIBUTE_SPECIAL.search(text) else text


def _xml_text(text):
    return text.translate(_XML_TEXT) if _XML_TEXT_SPECIAL.search(text) else text


def _xml_value(value, limit, escape):
    """``escape(_text(value, limit))``, in one check for a short plain name or id."""
    if value.__class__ is str and len(value) <= limit and _PLAIN_XML.fullmatch(value):
        return value
    return escape(_text(value, limit))


def _xml_attributes(attributes):
    return "".join(' %s="%s"' % (name, _xml_attribute(str(value))) for name, value in attributes.items())


# What a test case's text depends on besides its scope, its name and its secret id.
_JUNIT_CASE_FIELDS = ("status", "before", "after", "rule", "rule_name", "error", "exception_reason", "exception_expires", "exception_owner")


def _junit_case(entry, check_mode, rule_names):
    """(kind, head, tail) of an entry's test case: ``head`` follows the name attribute's value;
    the XML-escaped secret id and ``tail`` follow it when ``tail`` is not None."""
    kind, tag, attributes, text, system_out = _junit_outcome(entry, check_mode, rule_names, _SLOT)
    lines = ['" time="0"']
    if tag is None and not system_out:
        lines[0] += " />"
    else:
        lines[0] += ">"
        if tag is not None:
            if text:
                lines.append("      <%s%s>%s</%s>" % (tag, _xml_attributes(attributes), _xml_text(text), tag))
            else:
                lines.append("      <%s%s />" % (tag, _xml_attributes(attributes)))
        if system_out:
            lines.append("      <system-out>%s</system-out>" % _xml_text(system_out))
        lines.append("    </testcase>")
    head, slot, tail = "\n".join(lines).partition(_SLOT)
    return kind, head, (tail if slot else None)


def _case_of_entry(entry, shape):
    secret_id = entry.get("secret_id")
    return entry, shape, secret_id, None if secret_id is None else _name_or_id(entry, secret_id)


def _junit_items(entries, shapes, rows):
    """(entry, shape, secret id, secret name or id) per test case, from the entries or from the rows (``Plan.rows``)."""
    if rows is None:
        for entry, shape in zip(entries, shapes):
            yield _case_of_entry(entry, shape)
        return
    for row in rows:
        if row.__class__ is int:
            yield _case_of_entry(entries[row], shapes[row])
        else:
            model, shape, secret_id, secret_name, _created_by_agent = row
            yield model, shape, secret_id, secret_name


def render_junit(document, shapes=None, rows=None):
    """The report ``document`` as a JUnit XML string (UTF-8 declaration, ``\\n`` line ends).

    One ``<testsuite>`` per scope, in the order of the entries (named ``personal``,
    ``<project name> (<project id>)`` or the project id), one ``<testcase>`` per entry (classname:
    the scope, name: the secret, ``(all secrets)`` for a scope that could not be read). Counts on
    each suite and on ``<testsuites>`` are those of the test cases rendered. Written as text, not
    through ElementTree: at 10,000 secrets a tree and its serialisation cost several times more.
    ``shapes`` and ``rows``: the policy engine's ``Plan.shapes`` and ``Plan.rows``, optional (as for render_json).
    """
    document = document if isinstance(document, dict) else {}
    parts = _document_parts(document)
    check_mode, entries, rule_names = parts[0], parts[2], _rule_names(parts[3])
    if rows is not None:
        shapes = _rows_shapes(document.get("entries") or (), shapes)
        if len(entries) != len(shapes):
            raise ValueError("rows need entries that are all dicts")
    else:
        shapes = _shapes_of(entries, shapes if len(entries) == len(document.get("entries") or ()) else None)
    timestamp = _text(document.get("generated_at") or "", 40)
    counters = ("tests", "failures", "errors", "skipped")
    suites = {}  # (personal, scope name) -> (name, counts, lines); "tests" is counted at the end: len(lines)
    openings = {}  # (project id, project name) -> (suite, the text of a test case up to its name)
    # A scope that could not be read and a secret render differently with the same fields: two caches.
    secret_cases, scope_cases = (_ByShape(_JUNIT_CASE_FIELDS, functools.partial(
        _junit_case, check_mode=check_mode, rule_names=rule_names)) for _unused in range(2))

    def case_context(entry, shape):
        """(suite lines, suite counts, opening, kind, head, tail): what the cases of ``entry``'s shape share."""
        scope_key = (entry.get("project_id"), entry.get("project_name"))
        if scope_key not in openings:
            scope = _scope_name(entry)
            key = entry.get("project_id") is None, scope
            if key not in suites:
                suites[key] = _xml_attribute(scope), dict.fromkeys(counters, 0), []
            openings[scope_key] = suites[key], '    <testcase classname="%s" name="' % suites[key][0]
        (_name, counts, lines), opening = openings[scope_key]
        kind, head, tail = (scope_cases if entry.get("secret_id") is None else secret_cases)(entry, shape)
        return lines, counts, opening, kind, head, tail

    contexts = {}  # the engine's shape -> case_context
    for entry, shape, secret_id, secret_name in _junit_items(entries, shapes, rows):
        context = None if shape is None else contexts.get(shape)
        if context is None:
            context = case_context(entry, shape)
            if shape is not None:
                contexts[shape] = context
        lines, counts, opening, kind, head, tail = context
        name = ALL_SECRETS if secret_id is None else _xml_value(secret_name, _MAX_NAME, _xml_attribute)
        if tail is None:
            lines.append(f"{opening}{name}{head}")
        else:
            lines.append(f"{opening}{name}{head}{_xml_value(secret_id, 80, _xml_text)}{tail}")
        if kind is not None:
            counts[kind] += 1
    for _name, counts, lines in suites.values():
        counts["tests"] = len(lines)
    totals = {counter: sum(counts[counter] for _name, counts, _lines in suites.values()) for counter in counters}
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           "<testsuites%s>" % _xml_attributes(dict({"name": JUNIT_NAME}, **{c: totals[c] for c in counters}, time="0"))]
    for name, counts, lines in suites.values():
        attributes = dict({c: counts[c] for c in counters}, time="0")
        if timestamp:
            attributes["timestamp"] = timestamp
        out.append('  <testsuite name="%s"%s>' % (name, _xml_attributes(attributes)))
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


def _md(value, limit=_MAX_NAME, line=False):
    """API or policy text as inline Markdown that renders as exactly that text, never as markup."""
    text = _line(value, limit) if line else _text(value, limit)
    if _MD_SPECIAL.search(text) is None:
        source = text  # no character _md_char would replace (most names and ids)
    else:
        source = "".join(_md_char(text, position) for position in range(len(text)))
    # A table cell is trimmed: a name's leading or trailing spaces are kept as no-break spaces.
    stripped = source.strip(" ")
    if stripped != source:
        lead = len(source) - len(source.lstrip(" "))
        trail = len(source) - len(source.rstrip(" "))
        source = "&#160;" * lead + stripped + "&#160;" * trail if stripped else "&#160;" * len(source)
    return source


def _code(value, limit=_MAX_NAME):
    """An identifier in code style. Raw ``<code>`` (not a code span): references work inside it,
    so ``|`` cannot split a table row, and GitHub does not turn an ``@name`` in it into a mention."""
    return "<code>%s</code>" % _md(value, limit)


def _md_scope(entry):
    name, project_id = _scope_parts(entry)
    if project_id is None:
        return PERSONAL
    if name is None:
        return _code(project_id)
    return "%s (%s)" % (_code(name), _code(project_id))


def _md_secret(entry):
    if _is_scope_entry(entry):
        return "*%s*" % ALL_SECRETS
    return _code(_secret_name(entry))


def _md_decision(entry, rule_names):
    labels = []
    rule = _rule_name(entry, rule_names)
    if rule:
        labels.append(_md(rule))
    exception = _exception_parts(entry)
    if exception is not None:
        reason, expires, owner = exception
        text = "exception"
        if expires is not None:
            text += " until %s" % _md(expires, 40)
        if owner is not None:
            text += " (owner %s)" % _code(owner, 120)
        if reason is not None:
            text += ": %s" % _md(reason, 200, line=True)
        labels.append(text)
    return "; ".join(labels)


def _md_status(status):
    return "not attempted" if status == STATUS_NOT_ATTEMPTED else _md(status, 40)


def _md_table(header, rows):
    lines = ["| %s |" % " | ".join(header), "|" + "---|" * len(header)]
    lines.extend("| %s |" % " | ".join(cell if cell else " " for cell in row) for row in rows)
    return lines


def _verdict(check_mode, summary, entries):
    """(verdict, sentence) of the report: the title and the line under it."""
    checked, drifted, projects = _count(summary, "checked"), _count(summary, "drifted"), _count(summary, "projects")
    changed, failed, skipped = _count(summary, "changed"), _count(summary, "failed"), _count(summary, "not_attempted")
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
    if not checked:
        return "Compliant", "the policy covers no secret."
    if checked == 1:
        return "Compliant", "the 1 covered secret complies."
    return "Compliant", "all %d covered secrets comply." % checked


def _problems(check_mode, entries, rule_names, max_rows):
    rows = sorted((entry for entry in entries if entry.get("status") != STATUS_COMPLIANT), key=lambda entry: _SEVERITY.get(entry.get("status"), -1))
    if not rows:
        return []
    title = "Not compliant" if check_mode else "Changes and failures"
    header = ("Scope", "Secret", "default_available (actual %s expected)" % _ARROW, "Status", "Rule / exception", "Note")
    cells = []
    for entry in rows[:max_rows]:
        if _is_scope_entry(entry):
            flags = _DASH
        else:
            flags = "%s %s %s" % (flag_text(entry.get("before")), _ARROW, flag_text(entry.get("after")))
        error = entry.get("error")
        cells.append((_md_scope(entry), _md_secret(entry), flags, _md_status(entry.get("status")), _md_decision(entry, rule_names),
                      "" if error is None else _md(error, _MAX_NOTE, line=True)))
    lines = ["### %s (%d)" % (title, len(rows)), ""]
    if check_mode and any(entry.get("status") == STATUS_DRIFTED for entry in rows):
        lines += ["*drifted*: an apply run would set the flag to the expected value.", ""]
    lines += _md_table(header, cells)
    if len(rows) > len(cells):
        lines += ["", "%s and %d more in the JSON report." % (_ELLIPSIS, len(rows) - len(cells))]
    return lines + [""]


def _md_target(exception):
    """(secret, scope) an exception names, in Markdown."""
    if exception.get("secret_id") is not None:
        secret = _code(exception["secret_id"])
        if exception.get("name") is not None:
            secret = "%s (%s)" % (_code(exception["name"]), secret)
    elif exception.get("name") is not None:
        secret = _code(exception["name"])
    else:
        secret = _DASH
    if exception.get("project") is not None:
        scope = "project %s" % _code(exception["project"])
    elif exception.get("personal") is True:
        scope = PERSONAL
    else:
        scope = "any scope read"
    return secret, scope


def _days(exception):
    return _index(exception.get("days_left"))


def _exception_order(exception):
    days = _days(exception)
    return (days if days is not None else 0), str(exception.get("expires")), _index(exception.get("index")) or 0


def _md_owner(exception):
    owner = exception.get("owner")
    return _DASH if owner is None else _code(owner, 120)


def _exceptions(exceptions):
    lines = []
    in_force = sorted((item for item in exceptions if item.get("status") == EXCEPTION_IN_FORCE), key=_exception_order)
    expired = sorted((item for item in exceptions if item.get("status") == EXCEPTION_EXPIRED), key=_exception_order)
    unmatched = sorted((item for item in exceptions if item.get("status") == EXCEPTION_UNMATCHED), key=_exception_order)
    if in_force:
        rows = []
        for exception in in_force:
            days = _days(exception)
            days_text = "?" if days is None else str(days)
            if days is not None and days <= EXPIRING_SOON_DAYS:
                days_text = "%s %s" % (_WARNING, days_text)
            secret, scope = _md_target(exception)
            rows.append((_md(exception.get("expires"), 40), days_text, secret, scope, flag_text(exception.get("default_available")),
                         str(_count(exception, "matched")), _md_owner(exception), _md(exception.get("reason"), _MAX_NOTE, line=True)))
        lines += ["### Exceptions in force (%d)" % len(in_force), "",
                  "Expiring soonest first; %s: expires within %d days." % (_WARNING, EXPIRING_SOON_DAYS), ""]
        lines += _md_table(("Expires", "Days left", "Secret", "Scope", "default_available", "Matched", "Owner", "Reason"), rows) + [""]
    if expired:
        rows = []
        for exception in expired:
            days = _days(exception)
            secret, scope = _md_target(exception)
            rows.append((_md(exception.get("expires"), 40), "?" if days is None else str(abs(days)), secret, scope, _md_owner(exception),
                         _md(exception.get("reason"), _MAX_NOTE, line=True)))
        lines += ["### Expired exceptions (%d)" % len(expired), "",
                  "No longer applied: the rules decide these secrets again. Renew or remove them.", ""]
        lines += _md_table(("Expired", "Days ago", "Secret", "Scope", "Owner", "Reason"), rows) + [""]
    if unmatched:
        rows = []
        for exception in unmatched:
            secret, scope = _md_target(exception)
            rows.append((_md(exception.get("expires"), 40), secret, scope, _md_owner(exception), _md(exception.get("reason"), _MAX_NOTE, line=True)))
        lines += ["### Exceptions that matched no secret (%d)" % len(unmatched), "",
                  "In force but no secret read matched them: check the secret name or id and the project.", ""]
        lines += _md_table(("Expires", "Secret", "Scope", "Owner", "Reason"), rows) + [""]
    return lines


def _idle_rules(rules, entries):
    idle = [rule for rule in rules if _index(rule.get("index")) is not None and rule.get("decided") == 0]
    if not idle:
        return []
    lines = ["### Rules that decided nothing (%d)" % len(idle), "",
             "No covered secret was decided by these rules: an earlier rule or an exception may decide the same secrets first "
             "(shadowing), or a pattern or a project may be mistyped."]
    if any(_is_scope_entry(entry) for entry in entries):
        lines[-1] += " Some scopes could not be read, which can also explain it."
    lines.append("")
    for rule in sorted(idle, key=lambda rule: rule["index"]):
        name = rule.get("name")
        lines.append("- `rules[%d]`%s" % (rule["index"], "" if name is None else " %s" % _code(name, 120)))
    return lines + [""]


def render_markdown(document, max_rows=DEFAULT_MAX_ROWS):
    """The report ``document`` as a Markdown page (GitHub-flavoured; also renders with Python-Markdown + tables).

    Sections, each left out when empty: the title and verdict with the counts, when and in which
    mode; the secrets that are not compliant (check mode) or were changed, failed or not
    attempted (apply mode), errors first, at most ``max_rows`` rows; exceptions in force
    (soonest expiry first, those within :data:`EXPIRING_SOON_DAYS` days marked), expired, and
    matching no secret; rules that decided nothing.
    """
    document = document if isinstance(document, dict) else {}
    check_mode, summary, entries, rules, exceptions = _document_parts(document)
    verdict, sentence = _verdict(check_mode, summary, entries)
    lines = ["## Neo secret policy: %s" % verdict, "", "**%s** %s %s" % (verdict, _DASH, sentence), ""]
    if document.get("failure"):
        lines += ["**Policy failed:** %s" % _md(document["failure"], _MAX_NOTE, line=True), ""]
    when = _md(document.get("generated_at") or "unknown time", 40)
    lines += ["Generated %s (UTC) in %s." % (when, "check mode: nothing was changed" if check_mode else "apply mode"), ""]
    lines += _problems(check_mode, entries, _rule_names(rules), max(0, int(max_rows)))
    lines += _exceptions(exceptions)
    lines += _idle_rules(rules, entries)
    return "\n".join(lines).rstrip("\n") + "\n"
