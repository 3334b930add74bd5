# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""Policy evaluation of the ``projectdiscovery.neo.secret_policy`` role (plain Python, no I/O).

A policy is an ordered list of rules (``neo_secret_policy_rules``). Each rule has:

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

Intended use by the action plugin::

    rules = normalize_rules(raw_rules)               # PolicyError before any API call
    projects = client.list_projects()                # once
    scopes = scopes_for_rules(rules, projects)       # PolicyError before any write
    secrets_by_scope = {key: client.list_secrets(key) or ScopeFailure(str(exc))
                        for key in scopes.keys}      # in parallel
    plan = build_plan(rules, projects, secrets_by_scope, list_compliant)
    outcomes = {e["secret_id"]: ... PATCH ...  for e in plan.changes}   # unless check mode
    entries = apply_results(plan, outcomes, check_mode)
    summary = summarize(entries, plan.projects_count, plan.compliant_unlisted)
    text = render_table(entries)

Entries only ever hold the fields listed in :data:`ENTRY_FIELDS`; a secret's ``value`` or
``masked_value`` is never copied.
"""
from __future__ import annotations

import dataclasses
import fnmatch
import re

RULES_OPTION = "neo_secret_policy_rules"
RULE_OPTIONS = ("match", "projects", "personal", "default_available")
ALL_PROJECTS = "*"

STATUS_COMPLIANT = "compliant"
STATUS_DRIFTED = "drifted"
STATUS_CHANGED = "changed"
STATUS_FAILED = "failed"

#: The keys of every plan / result entry, in display order.
ENTRY_FIELDS = ("project_id", "project_name", "secret_id", "secret_name", "before", "after", "rule", "status", "error")


class PolicyError(ValueError):
    """Invalid policy; the message starts with the option path, e.g. ``neo_secret_policy_rules[2].match``."""


class ScopeFailure:
    """Marks a scope (personal or one project) whose secrets could not be listed."""

    def __init__(self, reason):
        self.reason = str(reason)

    def __repr__(self):
        return "ScopeFailure(%r)" % self.reason

    def __eq__(self, other):
        return isinstance(other, ScopeFailure) and other.reason == self.reason

    def __hash__(self):
        return hash(self.reason)


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
    ``project_names``: project id -> name for every listed project.
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
        return projects == ALL_PROJECTS or scope_key in projects


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


def _path(index, option=None, item=None):
    path = "%s[%d]" % (RULES_OPTION, index)
    if option is not None:
        path += "." + option
    if item is not None:
        path += "[%d]" % item
    return path


def _type_name(value):
    return type(value).__name__


def _string_list(value, index, option, what):
    """Validate a list of non-empty strings; returns a tuple without duplicates (first kept)."""
    result = []
    for item, element in enumerate(value):
        if not isinstance(element, str):
            raise PolicyError("%s: must be a non-empty string (%s), got %s" % (_path(index, option, item), what, _type_name(element)))
        if not element:
            raise PolicyError("%s: must be a non-empty string (%s), got an empty string" % (_path(index, option, item), what))
        if element not in result:
            result.append(element)
    return tuple(result)


def _normalize_rule(index, raw):
    if isinstance(raw, Rule):
        raw = dataclasses.asdict(raw)
        raw.pop("index")
    if not isinstance(raw, dict):
        raise PolicyError("%s: must be a dictionary with the options %s, got %s" % (_path(index), ", ".join(RULE_OPTIONS), _type_name(raw)))
    for key in raw:
        if key not in RULE_OPTIONS:
            raise PolicyError("%s: unknown option %r (valid options: %s)" % (_path(index, str(key)), key, ", ".join(sorted(RULE_OPTIONS))))

    match = raw.get("match")
    if not isinstance(match, (list, tuple)) or not match:
        raise PolicyError("%s: must be a non-empty list of name patterns" % _path(index, "match"))
    match = _string_list(match, index, "match", "a name pattern")

    projects = raw.get("projects")
    if projects is None or projects == ALL_PROJECTS:
        projects = ALL_PROJECTS
    elif isinstance(projects, (list, tuple)):
        projects = _string_list(projects, index, "projects", "a project id or name")
    else:
        raise PolicyError("%s: must be '*' or a list of project ids or names, got %r" % (_path(index, "projects"), projects)
                          if isinstance(projects, str) else
                          "%s: must be '*' or a list of project ids or names, got %s" % (_path(index, "projects"), _type_name(projects)))

    personal = raw.get("personal")
    if personal is None:
        personal = False
    if not isinstance(personal, bool):
        raise PolicyError("%s: must be a boolean (true or false), got %s" % (_path(index, "personal"), _type_name(personal)))

    if "default_available" not in raw or raw["default_available"] is None:
        raise PolicyError("%s: required option is missing" % _path(index, "default_available"))
    default_available = raw["default_available"]
    if not isinstance(default_available, bool):
        raise PolicyError("%s: must be a boolean (true or false), got %s" % (_path(index, "default_available"), _type_name(default_available)))

    if projects == () and not personal:
        raise PolicyError("%s: an empty list with personal false covers no secret; list projects, use '*' or set personal to true"
                          % _path(index, "projects"))
    return Rule(index=index, match=match, projects=projects, personal=personal, default_available=default_available)


def normalize_rules(rules):
    """Validate ``neo_secret_policy_rules`` and return a list of :class:`Rule` (index = position).

    Raises :class:`PolicyError` naming the first offending option. Rules that are already
    :class:`Rule` objects are re-validated and re-indexed by position. ``None`` means no rules.
    """
    if rules is None:
        return []
    if not isinstance(rules, (list, tuple)):
        raise PolicyError("%s: must be a list of rules, got %s" % (RULES_OPTION, _type_name(rules)))
    return [_normalize_rule(index, raw) for index, raw in enumerate(rules)]


def _rules(rules):
    """Rules as :class:`Rule` objects whose index is their position (validated again unless already so)."""
    if isinstance(rules, (list, tuple)) and all(isinstance(rule, Rule) and rule.index == position for position, rule in enumerate(rules)):
        return list(rules)
    return normalize_rules(rules)


def visible_projects(projects):
    """Validate the projects list; returns an ordered list of (id, name) without duplicate ids."""
    if projects is None:
        return []
    result = []
    seen = set()
    for position, project in enumerate(projects):
        project_id = project.get("id") if isinstance(project, dict) else None
        if not isinstance(project_id, str) or not project_id:
            raise ValueError("projects[%d]: a project record needs a non-empty string id" % position)
        if project_id in seen:
            continue
        seen.add(project_id)
        name = project.get("name")
        result.append((project_id, name if isinstance(name, str) else None))
    return result


def resolve_project_ref(ref, visible, where):
    """The id of the project ``ref`` names among ``visible`` ((id, name) pairs from :func:`visible_projects`).

    A ref equal to a listed id is that id (ids win over names, which are free text and not
    unique); otherwise it must be the name of exactly one listed project. ``where`` (the option
    path) starts the PolicyError message of an ambiguous or unknown ref.
    """
    if any(project_id == ref for project_id, _name in visible):
        return ref
    named = [project_id for project_id, name in visible if name == ref]
    if len(named) == 1:
        return named[0]
    if named:
        raise PolicyError("%s: project name %r matches %d projects (%s); use the project id instead"
                          % (where, ref, len(named), ", ".join(named)))
    raise PolicyError("%s: project %r is not visible to the caller (neither an id nor a name of a listed project)" % (where, ref))


def resolve_projects(rules, projects):
    """Resolve each rule's project refs against the visible ``projects`` (dicts with ``id``, ``name``).

    Returns ``{rule.index: "*" | tuple of project ids}``. A ref equal to a listed id is that id
    (ids win over names); otherwise it must equal the name of exactly one listed project.
    An ambiguous name or an unknown ref (including an id that is not listed) raises PolicyError.
    """
    visible = visible_projects(projects)
    resolved = {}
    for rule in _rules(rules):
        if rule.projects == ALL_PROJECTS:
            resolved[rule.index] = ALL_PROJECTS
            continue
        ids = []
        for item, ref in enumerate(rule.projects):
            project_id = resolve_project_ref(ref, visible, _path(rule.index, "projects", item))
            if project_id not in ids:
                ids.append(project_id)
        resolved[rule.index] = tuple(ids)
    return resolved


def scopes_for_rules(rules, projects):
    """Return the :class:`Scopes` the policy needs to read (see :func:`resolve_projects` for errors)."""
    rules = _rules(rules)
    visible = visible_projects(projects)
    resolved = resolve_projects(rules, projects)
    rule_projects = tuple(resolved[rule.index] if resolved[rule.index] == ALL_PROJECTS else frozenset(resolved[rule.index]) for rule in rules)
    if any(projects_ == ALL_PROJECTS for projects_ in rule_projects):
        wanted = {project_id for project_id, _name in visible}
    else:
        wanted = set().union(*rule_projects) if rule_projects else set()
    return Scopes(
        personal=any(rule.personal for rule in rules),
        project_ids=tuple(project_id for project_id, _name in visible if project_id in wanted),
        rule_projects=rule_projects,
        project_names=dict(visible),
    )


def _compile(rule):
    """One regular expression for the rule's globs (``fnmatch`` semantics, case-sensitive)."""
    return re.compile("|".join("(?:%s)" % fnmatch.translate(pattern) for pattern in rule.match))


def _entry(**fields):
    return {field: fields.get(field) for field in ENTRY_FIELDS}


def _scope_failure(records):
    """Error text when ``records`` is not a usable secrets list, else None."""
    if isinstance(records, ScopeFailure):
        return records.reason or "could not list the secrets"
    if isinstance(records, Exception):
        return str(records) or type(records).__name__
    if records is None:
        return "the secrets of this scope were not read"
    if not isinstance(records, (list, tuple)):
        return "the secrets list is not a list"
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"] or not isinstance(record.get("name"), str):
            return "the secrets list holds a record without a string id and name"
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
    """The entries of one scope (sorted by secret name, then id) and how many compliant secrets were left out."""
    error = _scope_failure(records)
    if error is not None:
        return [_entry(project_id=scope_key, project_name=project_name, status=STATUS_FAILED, error=error)], 0
    decide = _decider(deciders)
    decided = {}
    for record in records:
        name = record["name"]
        rule = decide(name)
        if rule is None:
            continue
        secret_id = record["id"]
        before = record.get("default_available")
        previous = decided.get(secret_id)
        # The same id listed twice (e.g. pages that overlap): keep one entry, chosen independently of order.
        if previous is not None and (name, repr(before)) >= (previous[0], repr(previous[1])):
            continue
        decided[secret_id] = (name, before, rule)
    entries = []
    for secret_id, (name, before, rule) in decided.items():
        compliant = before is rule.default_available
        if compliant and not list_compliant:
            continue
        entries.append({
            "project_id": scope_key, "project_name": project_name, "secret_id": secret_id, "secret_name": name,
            "before": before, "after": rule.default_available, "rule": rule.index,
            "status": STATUS_COMPLIANT if compliant else STATUS_DRIFTED, "error": None,
        })
    entries.sort(key=_by_name_then_id)
    return entries, len(decided) - len(entries)


def _by_name_then_id(entry):
    return entry["secret_name"], entry["secret_id"]


def build_plan(rules, projects, secrets_by_scope, list_compliant=True):
    """Evaluate the policy against the secrets read.

    With ``list_compliant`` false, compliant secrets get no entry and are only counted in
    :attr:`Plan.compliant_unlisted` (at thousands of secrets, each entry costs Ansible time).

    ``secrets_by_scope`` maps a scope key (project id, or ``None`` for personal) to the list of
    secret records of that scope, or to a :class:`ScopeFailure` / exception when it could not be
    read. Each scope of :attr:`Scopes.keys` gives either one entry per decided secret or, when
    the scope failed (or is missing from ``secrets_by_scope``, or its list holds a record without
    a string ``id`` and ``name``: a partial list is never used), one ``failed`` entry with
    ``secret_id`` None. A secret id listed twice in one scope gives one entry. Keys that are not needed are ignored. The project of a secret is the
    scope it was listed in. A record's ``before`` is its ``default_available`` as read; anything
    that is not exactly the desired boolean is ``drifted``.
    """
    rules = _rules(rules)
    scopes = scopes_for_rules(rules, projects)
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
    """Final entries after the writes of ``plan.changes``.

    ``outcomes`` maps a secret id to ``{"ok": True, "default_available": bool}`` (the value the
    API response shows) or ``{"ok": False, "error": str}``. Per drifted entry:

    - check mode: stays ``drifted`` (would change); outcomes are ignored;
    - ok and the response shows ``after``: ``changed``;
    - ok but the response shows another value, error, or no outcome at all: ``failed`` with ``error``.

    ``compliant`` and ``failed`` (scope) entries are copied unchanged. Returns new dicts.
    """
    outcomes = outcomes or {}
    result = []
    for entry in plan.entries:
        entry = dict(entry)
        if entry["status"] == STATUS_DRIFTED and not check_mode:
            outcome = outcomes.get(entry["secret_id"])
            if not isinstance(outcome, dict):
                entry.update(status=STATUS_FAILED, error="no update was made for this secret")
            elif not outcome.get("ok"):
                entry.update(status=STATUS_FAILED, error=str(outcome.get("error") or "update failed"))
            elif outcome.get("default_available") is not entry["after"]:
                entry.update(status=STATUS_FAILED, error="the API response shows default_available=%s after the update, expected %s"
                             % (_flag(outcome.get("default_available")), _flag(entry["after"])))
            else:
                entry["status"] = STATUS_CHANGED
        result.append(entry)
    return result


def summarize(entries, projects_count, compliant_unlisted=0):
    """Counts for the role's report.

    - ``projects``: ``projects_count``, the number of project scopes the policy covers (read or failed);
    - ``checked``: secret entries (``secret_id`` not None), i.e. every entry except scope failures,
      plus the ``compliant_unlisted`` secrets (compliant, without an entry);
    - ``compliant``: secrets whose flag already equals the policy (``compliant_unlisted`` included);
    - ``drifted``: secrets whose flag differed from the policy when read, whatever happened next
      (status ``drifted``, ``changed``, or ``failed``); so ``checked == compliant + drifted``;
    - ``changed``: secrets updated successfully;
    - ``failed``: secrets whose update failed plus scopes that could not be read.

    Hence after an apply ``drifted == changed + failed secrets``; in check mode ``changed == 0``.
    """
    counts = {"projects": projects_count, "checked": compliant_unlisted, "compliant": compliant_unlisted, "drifted": 0, "changed": 0, "failed": 0}
    for entry in entries:
        status = entry["status"]
        if status == STATUS_FAILED:
            counts["failed"] += 1
        if entry["secret_id"] is None and status == STATUS_FAILED:
            continue
        counts["checked"] += 1
        if status == STATUS_COMPLIANT:
            counts["compliant"] += 1
        else:
            counts["drifted"] += 1
            if status == STATUS_CHANGED:
                counts["changed"] += 1
    return counts


def _flag(value):
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "unset" if value is None else "invalid"


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_CELL = 60


def _cell(text, limit=_MAX_CELL):
    text = _UNPRINTABLE.sub("?", "" if text is None else str(text))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def render_table(entries):
    """Fixed-width text table (scope, secret, before -> after, status, note) of ``entries``.

    Only names, ids, flags, statuses and error texts are shown, never a secret value.
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
        return "no secret is covered by the policy"
    widths = [max(len(row[column]) for row in rows + [header]) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header] + rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
