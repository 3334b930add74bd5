# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""Policy evaluation of ``neo_secret_policy`` and the ``secret_policy`` role (plain Python, no I/O).

A policy is an ordered list of rules (option ``rules``, role variable
``neo_secret_policy_rules``). Each rule has:

``match``
    Non-empty list of name globs, matched case-sensitively (:func:`fnmatch.fnmatchcase`)
    against the secret name.
``projects``
    ``"*"`` (every project the caller can list; the default) or a list of project ids or
    names. An explicit list restricts the rule to those projects; an empty list is allowed
    only together with ``personal: true``.
``personal``
    Whether the rule also covers the caller's personal secrets (default ``false``).
``default_available``
    The required flag of every secret the rule decides (a real boolean, required).

The first rule that both *covers the scope* of a secret and *matches its name* decides that
secret. A secret that no rule decides is left alone: it does not appear in the plan.

Intended use by the action plugin (rules validated once, scopes computed once)::

    rules = normalize_rules(raw_rules, "rules")       # PolicyError before any API call
    directory = ProjectDirectory(client.list_projects())
    scopes = plan_scopes(rules, directory, "rules")   # name errors before any write
    secrets_by_scope = {key: records or ScopeFailure(reason) for key in scopes.keys}
    plan = build_plan(rules, scopes, secrets_by_scope, list_compliant)
    outcomes = {entry["secret_id"]: outcome of its PATCH for entry in plan.changes}
    entries = apply_results(plan, outcomes, check_mode)
    summary = summarize(entries, plan.projects_count, plan.compliant_unlisted)

Entries only ever hold the fields listed in :data:`ENTRY_FIELDS`; a secret's ``value`` or
``masked_value`` is never copied.
"""
from __future__ import annotations

import dataclasses
import fnmatch
import re

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import PolicyError, plural, safe_text
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ALL_PROJECTS

RULE_OPTIONS = ("match", "projects", "personal", "default_available")

STATUS_COMPLIANT = "compliant"
STATUS_DRIFTED = "drifted"
STATUS_CHANGED = "changed"
STATUS_FAILED = "failed"
STATUS_NOT_ATTEMPTED = "not_attempted"

#: The keys of every plan / result entry, in display order.
ENTRY_FIELDS = ("project_id", "project_name", "secret_id", "secret_name", "before", "after", "rule", "status", "error")


@dataclasses.dataclass(frozen=True)
class ScopeFailure:
    """Marks a scope (personal or one project) whose secrets could not be listed.

    ``attempted`` is False when the list was never requested (the API had rejected the
    credentials before): the scope is then reported as not attempted rather than failed.
    """

    reason: str
    attempted: bool = True


@dataclasses.dataclass(frozen=True)
class Rule:
    """One validated rule. ``projects`` is ``"*"`` or a tuple of project refs (ids or names) as written."""

    index: int
    match: tuple
    projects: object
    personal: bool
    default_available: bool

    def matches(self, name):
        """True when ``name`` matches one of the globs (case-sensitive)."""
        return isinstance(name, str) and _compile(self).match(name) is not None


@dataclasses.dataclass(frozen=True)
class Scopes:
    """Which scopes must be read, and the project ids each rule covers.

    ``personal``: whether the personal scope must be read (some rule has ``personal: true``).
    ``project_ids``: the project scopes to read, in the order of the projects list.
    ``rule_projects``: per rule (by index) ``"*"`` or a frozenset of resolved project ids.
    ``project_names``: project id -> name for every listed project (the projects ``*`` covers).
    """

    personal: bool
    project_ids: tuple
    rule_projects: tuple
    project_names: dict = dataclasses.field(compare=False, hash=False)

    @property
    def keys(self):
        """Scope keys to read: ``None`` (personal) first if needed, then the project ids."""
        return ((None,) if self.personal else ()) + self.project_ids

    def covers(self, rule, scope_key):
        """True when ``rule`` covers the scope ``scope_key`` (``None``: personal, else a project id)."""
        if scope_key is None:
            return rule.personal
        projects = self.rule_projects[rule.index]
        if projects == ALL_PROJECTS:
            # "*" is every project the caller can list, not one read only because a rule names it.
            return scope_key in self.project_names
        return scope_key in projects


@dataclasses.dataclass(frozen=True)
class Plan:
    """Result of :func:`build_plan`.

    ``entries``: tuple of entry dicts (keys :data:`ENTRY_FIELDS`), ordered personal first, then
    projects in the order of the projects list, then secrets by name then id; a scope that could
    not be read is one ``failed`` entry with ``secret_id`` None.
    ``projects_count``: number of project scopes the policy covers (read or failed).
    ``compliant_unlisted``: compliant secrets left out of ``entries`` (``build_plan(list_compliant=False)``).
    """

    entries: tuple
    projects_count: int
    scopes: Scopes = dataclasses.field(compare=False, hash=False)
    compliant_unlisted: int = 0

    @property
    def changes(self):
        """Entries whose flag must be written (status ``drifted``)."""
        return [entry for entry in self.entries if entry["status"] == STATUS_DRIFTED]


def _path(prefix, index, option=None, item=None):
    path = "%s[%d]" % (prefix, index)
    if option is not None:
        path += "." + option
    if item is not None:
        path += "[%d]" % item
    return path


def _type_name(value):
    return type(value).__name__


def _string_list(value, where, what):
    """Validate a list of non-empty strings; returns a tuple without duplicates (first kept)."""
    result = []
    for item, element in enumerate(value):
        if not isinstance(element, str):
            raise PolicyError("%s[%d]: must be a non-empty string (%s), got %s" % (where, item, what, _type_name(element)))
        if not element:
            raise PolicyError("%s[%d]: must be a non-empty string (%s), got an empty string" % (where, item, what))
        if element not in result:
            result.append(element)
    return tuple(result)


def _normalize_rule(prefix, index, raw):
    if not isinstance(raw, dict):
        raise PolicyError("%s: must be a dictionary with the options %s, got %s" % (_path(prefix, index), ", ".join(RULE_OPTIONS), _type_name(raw)))
    for key in raw:
        if key not in RULE_OPTIONS:
            raise PolicyError("%s: unknown option %r (valid options: %s)" % (_path(prefix, index, str(key)), key, ", ".join(sorted(RULE_OPTIONS))))

    match = raw.get("match")
    if not isinstance(match, (list, tuple)) or not match:
        raise PolicyError("%s: must be a non-empty list of name patterns" % _path(prefix, index, "match"))
    match = _string_list(match, _path(prefix, index, "match"), "a name pattern")

    projects = raw.get("projects")
    where = _path(prefix, index, "projects")
    if projects is None or projects == ALL_PROJECTS:
        projects = ALL_PROJECTS
    elif isinstance(projects, (list, tuple)):
        projects = _string_list(projects, where, "a project id or name")
    elif isinstance(projects, str):
        raise PolicyError("%s: must be '*' or a list of project ids or names, got %r" % (where, projects))
    else:
        raise PolicyError("%s: must be '*' or a list of project ids or names, got %s" % (where, _type_name(projects)))

    personal = raw.get("personal")
    if personal is None:
        personal = False
    if not isinstance(personal, bool):
        raise PolicyError("%s: must be a boolean (true or false), got %s" % (_path(prefix, index, "personal"), _type_name(personal)))

    if "default_available" not in raw or raw["default_available"] is None:
        raise PolicyError("%s: required option is missing" % _path(prefix, index, "default_available"))
    default_available = raw["default_available"]
    if not isinstance(default_available, bool):
        raise PolicyError("%s: must be a boolean (true or false), got %s" % (_path(prefix, index, "default_available"), _type_name(default_available)))

    if projects == () and not personal:
        raise PolicyError("%s: an empty list with personal false covers no secret; list projects, use '*' or set personal to true" % where)
    return Rule(index=index, match=match, projects=projects, personal=personal, default_available=default_available)


def normalize_rules(rules, option="rules"):
    """Validate the rules and return a list of :class:`Rule` (index = position).

    ``option`` is the name the user wrote (``rules`` for the module,
    ``neo_secret_policy_rules`` for the role): every :class:`PolicyError` message starts with
    the path of the first offending option under it. ``None`` means no rules.
    """
    if rules is None:
        return []
    if not isinstance(rules, (list, tuple)):
        raise PolicyError("%s: must be a list of rules, got %s" % (option, _type_name(rules)))
    return [_normalize_rule(option, index, raw) for index, raw in enumerate(rules)]


def plan_scopes(rules, directory, option="rules"):
    """The :class:`Scopes` the validated ``rules`` need, resolved against a ProjectDirectory.

    A project name that matches nothing or several projects raises (before any write); an
    explicit id is kept even when it is not listed: that scope is read directly, and a failed
    read fails that scope alone. Project scopes come in the order of the project list, then
    unlisted ids in rule order.
    """
    rule_projects = []
    explicit = []
    for rule in rules:
        if rule.projects == ALL_PROJECTS:
            rule_projects.append(ALL_PROJECTS)
            continue
        ids = directory.resolve_all(rule.projects, _path(option, rule.index, "projects"))
        rule_projects.append(frozenset(ids))
        explicit.extend(project_id for project_id in ids if project_id not in explicit)
    if ALL_PROJECTS in rule_projects:
        wanted = list(directory.ids)
    else:
        wanted = [project_id for project_id in directory.ids if project_id in explicit]
    wanted.extend(project_id for project_id in explicit if project_id not in directory)
    return Scopes(
        personal=any(rule.personal for rule in rules),
        project_ids=tuple(wanted),
        rule_projects=tuple(rule_projects),
        project_names=dict(directory.names),
    )


def _compile(rule):
    """One regular expression for the rule's globs (``fnmatch`` semantics, case-sensitive)."""
    return re.compile("|".join("(?:%s)" % fnmatch.translate(pattern) for pattern in rule.match))


def _scope_failure(records):
    """The ScopeFailure when ``records`` is not a usable secrets list, else None."""
    if isinstance(records, ScopeFailure):
        return records if records.reason else ScopeFailure("could not list the secrets", records.attempted)
    if records is None:
        return ScopeFailure("the secrets of this scope were not read")
    if not isinstance(records, (list, tuple)):
        return ScopeFailure("the secrets list is not a list")
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"] or not isinstance(record.get("name"), str):
            return ScopeFailure("the secrets list holds a record without a string id and name")
    return None


def _decider(deciders):
    """A function from a secret name to the rule that decides it (the first that matches), or None."""
    if len(deciders) == 1:
        rule, match = deciders[0][0], deciders[0][1].match
        return lambda name: rule if match(name) is not None else None

    def decide(name):
        for rule, pattern in deciders:
            if pattern.match(name) is not None:
                return rule
        return None
    return decide


def _scope_entries(scope_key, project_name, records, deciders, list_compliant):
    """The entries of one scope (sorted by secret name, then id) and how many compliant secrets were left out.

    The client never returns a list with an id twice (docs/guarantees.md), so each record is one secret.
    """
    failure = _scope_failure(records)
    if failure is not None:
        status = STATUS_FAILED if failure.attempted else STATUS_NOT_ATTEMPTED
        return [{"project_id": scope_key, "project_name": project_name, "secret_id": None, "secret_name": None,
                 "before": None, "after": None, "rule": None, "status": status, "error": failure.reason}], 0
    decide = _decider(deciders)
    entries = []
    decided = 0
    for record in records:
        rule = decide(record["name"])
        if rule is None:
            continue
        decided += 1
        before = record.get("default_available")
        compliant = before is rule.default_available
        if compliant and not list_compliant:
            continue
        entries.append({
            "project_id": scope_key, "project_name": project_name, "secret_id": record["id"], "secret_name": record["name"],
            "before": before, "after": rule.default_available, "rule": rule.index,
            "status": STATUS_COMPLIANT if compliant else STATUS_DRIFTED, "error": None,
        })
    entries.sort(key=_by_name_then_id)
    return entries, decided - len(entries)


def _by_name_then_id(entry):
    return entry["secret_name"], entry["secret_id"]


def build_plan(rules, scopes, secrets_by_scope, list_compliant=True):
    """Evaluate the validated ``rules`` against the secrets read for ``scopes``.

    ``secrets_by_scope`` maps a scope key (project id, or ``None`` for personal) to the list of
    secret records of that scope, or to a :class:`ScopeFailure` when it could not be read. Each
    scope of :attr:`Scopes.keys` gives either one entry per decided secret or, when the scope
    failed (or is missing from ``secrets_by_scope``, or its list holds a record without a
    string ``id`` and ``name``: a partial list is never used), one ``failed`` (or
    ``not_attempted``) entry with ``secret_id`` None. With ``list_compliant`` false, compliant
    secrets get no entry and are only counted in :attr:`Plan.compliant_unlisted`. A record's
    ``before`` is its ``default_available`` as read; anything that is not exactly the desired
    boolean is ``drifted``.
    """
    compiled = [(rule, _compile(rule)) for rule in rules]
    entries = []
    unlisted = 0
    for scope_key in scopes.keys:
        deciders = [(rule, pattern) for rule, pattern in compiled if scopes.covers(rule, scope_key)]
        project_name = None if scope_key is None else scopes.project_names.get(scope_key)
        scope_entries, scope_unlisted = _scope_entries(scope_key, project_name, secrets_by_scope.get(scope_key), deciders, list_compliant)
        entries.extend(scope_entries)
        unlisted += scope_unlisted
    return Plan(entries=tuple(entries), projects_count=len(scopes.project_ids), scopes=scopes, compliant_unlisted=unlisted)


def apply_results(plan, outcomes, check_mode=False):
    """Final entries after the writes of ``plan.changes``: every planned write is accounted for.

    ``outcomes`` maps a secret id to ``{"ok": True, "default_available": bool}`` (the value the
    API response shows) or ``{"ok": False, "error": str, "attempted": bool}``. Per drifted entry:

    - check mode: stays ``drifted`` (would change); outcomes are ignored;
    - ok and the response shows ``after``: ``changed``;
    - ok but the response shows another value, or an error: ``failed`` with ``error``;
    - an error with ``attempted`` false, or no outcome at all: ``not_attempted`` with the reason.

    ``compliant`` and scope entries are copied unchanged. Returns new dicts.
    """
    outcomes = outcomes or {}
    result = []
    for entry in plan.entries:
        entry = dict(entry)
        if entry["status"] == STATUS_DRIFTED and not check_mode:
            outcome = outcomes.get(entry["secret_id"])
            if not isinstance(outcome, dict):
                entry.update(status=STATUS_NOT_ATTEMPTED, error="no update was sent for this secret")
            elif not outcome.get("ok"):
                status = STATUS_FAILED if outcome.get("attempted", True) else STATUS_NOT_ATTEMPTED
                entry.update(status=status, error=str(outcome.get("error") or "update failed"))
            elif outcome.get("default_available") is not entry["after"]:
                entry.update(status=STATUS_FAILED, error="the API response shows default_available=%s after the update, expected %s"
                             % (_flag(outcome.get("default_available")), _flag(entry["after"])))
            else:
                entry["status"] = STATUS_CHANGED
        result.append(entry)
    return result


def summarize(entries, projects_count, compliant_unlisted=0):
    """Counts for the role's report.

    - ``projects``: ``projects_count``, the number of project scopes the policy covers (read or not);
    - ``checked``: secret entries (``secret_id`` not None), i.e. every entry except scope entries,
      plus the ``compliant_unlisted`` secrets (compliant, without an entry);
    - ``compliant``: secrets whose flag already equals the policy (``compliant_unlisted`` included);
    - ``drifted``: secrets whose flag differed from the policy when read, whatever happened next
      (status ``drifted``, ``changed``, ``failed`` or ``not_attempted``); so ``checked == compliant + drifted``;
    - ``changed``: secrets updated successfully;
    - ``failed``: secrets whose update failed plus scopes that could not be read;
    - ``not_attempted``: secrets whose update was not sent plus scopes not requested (after the
      API rejected the credentials).

    Hence after an apply ``drifted == changed + failed secrets + not_attempted secrets``; in
    check mode ``changed == 0``.
    """
    counts = {"projects": projects_count, "checked": compliant_unlisted, "compliant": compliant_unlisted, "drifted": 0, "changed": 0,
              "failed": 0, "not_attempted": 0}
    for entry in entries:
        status = entry["status"]
        if status in (STATUS_FAILED, STATUS_NOT_ATTEMPTED):
            counts[status] += 1
            if entry["secret_id"] is None:
                continue
        counts["checked"] += 1
        if status == STATUS_COMPLIANT:
            counts["compliant"] += 1
        else:
            counts["drifted"] += 1
            if status == STATUS_CHANGED:
                counts["changed"] += 1
    return counts


def failure_reason(entries):
    """One line saying what failed or was not attempted (None when everything was done).

    For example ``1 scope could not be read and 2 secrets could not be updated; 3 reads or
    updates not attempted: the API rejected the credentials ...; see entries``.
    """
    counts = {}
    reasons = []
    for entry in entries:
        status = entry["status"]
        if status not in (STATUS_FAILED, STATUS_NOT_ATTEMPTED):
            continue
        key = (status, entry["secret_id"] is None)
        counts[key] = counts.get(key, 0) + 1
        if status == STATUS_NOT_ATTEMPTED and entry["error"] not in reasons:
            reasons.append(entry["error"])
    parts = []
    failed = [text for text in (
        plural(counts.get((STATUS_FAILED, True), 0), "scope") + " could not be read" if counts.get((STATUS_FAILED, True)) else None,
        plural(counts.get((STATUS_FAILED, False), 0), "secret") + " could not be updated" if counts.get((STATUS_FAILED, False)) else None,
    ) if text]
    if failed:
        parts.append(" and ".join(failed))
    skipped = counts.get((STATUS_NOT_ATTEMPTED, True), 0) + counts.get((STATUS_NOT_ATTEMPTED, False), 0)
    if skipped:
        # Not attempted has one cause in practice (the credentials were rejected): say it once.
        parts.append("%s not attempted: %s" % (plural(skipped, "read or update", "reads or updates"), reasons[0]))
    return "; ".join(parts) + "; see entries" if parts else None


def _flag(value):
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "unset" if value is None else "invalid"


_MAX_CELL = 60


def _cell(text, limit=_MAX_CELL):
    text = safe_text(text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def render_table(entries, summary=None):
    """Fixed-width text table (scope, secret, before -> after, status, note) of ``entries``.

    Only names, ids, flags, statuses and error texts are shown, never a secret value. With no
    rows, one sentence says why: every covered secret complies, or no secret is covered.
    """
    header = ("PROJECT", "SECRET", "DEFAULT_AVAILABLE", "STATUS", "NOTE")
    rows = []
    for entry in entries:
        if entry["project_id"] is None:
            scope = "(personal)"
        elif entry.get("project_name"):
            scope = "%s (%s)" % (entry["project_name"], entry["project_id"])
        else:
            scope = entry["project_id"]
        if entry["secret_id"] is None:
            secret, flags = "(all secrets)", "-"
        else:
            secret = entry["secret_name"] if entry["secret_name"] is not None else entry["secret_id"]
            flags = "%s -> %s" % (_flag(entry["before"]), _flag(entry["after"]))
        rows.append((_cell(scope, 80), _cell(secret), flags, entry["status"], _cell(entry.get("error"), 200)))
    if not rows:
        checked = (summary or {}).get("checked", 0)
        if checked == 1:
            return "the 1 covered secret complies"
        if checked:
            return "all %d covered secrets comply" % checked
        return "no secret is covered by the policy"
    widths = [max(len(row[column]) for row in rows + [header]) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header] + rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
