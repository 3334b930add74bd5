# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""Policy evaluation of ``neo_secret_policy`` and the ``secret_policy`` role (plain Python, no I/O).

A policy is an ordered list of rules (option ``rules``, role variable
``neo_secret_policy_rules``) and a list of time-boxed exceptions (``exceptions``). A rule has:

``name``
    A label shown in entries and reports (default ``rule N``, N counting from 1).
``match`` / ``exclude``
    Name globs (:func:`fnmatch.fnmatchcase`, case-sensitive): the rule decides a secret whose
    name matches ``match`` and no ``exclude`` glob. A glob that can never match a secret name
    (names are upper-case letters, digits and ``_``) is an error.
``projects`` / ``exclude_projects`` / ``project_tags``
    ``"*"`` (every project the caller can list; the default) or a list of project ids or
    names; minus ``exclude_projects``; and, with ``project_tags``, only projects carrying at
    least one of those tags (an intersection).
``personal``
    Whether the rule also covers the caller's personal secrets (default ``false``).
``created_by``
    ``any`` (default), ``agent`` (records with ``created_by_agent: true``) or ``user``.
``default_available``
    The required flag of every secret the rule decides (a real boolean, required).

An exception in force (``expires`` not before the controller's UTC date) decides its secret
before any rule, even a secret no rule covers; an expired one is ignored (the rules decide
again). Otherwise the first rule that both covers the scope of a secret and selects it
decides; a secret nothing decides is left alone: it does not appear in the plan.

Intended use by the action plugin (rules validated once, scopes computed once)::

    rules = normalize_rules(raw_rules, "rules")       # PolicyError before any API call
    exceptions = normalize_exceptions(raw, "exceptions")
    directory = ProjectDirectory(client.list_projects())
    scopes = plan_scopes(rules, directory, "rules", exceptions, "exceptions")   # name errors before any write
    secrets_by_scope = {key: records or ScopeFailure(reason) for key in scopes.keys}
    plan = build_plan(rules, scopes, secrets_by_scope, list_compliant, exceptions, today)
    outcomes = {entry["secret_id"]: outcome of its PATCH for entry in plan.changes}
    entries = apply_results(plan, outcomes, check_mode)
    summary = summarize(entries, plan.projects_count, plan.compliant_unlisted)

Entries only ever hold the fields listed in :data:`ENTRY_FIELDS`; a secret's ``value`` or
``masked_value`` is never copied.
"""
from __future__ import annotations

import dataclasses
import datetime
import fnmatch
import operator
import re

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import PolicyError, plural, safe_text
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ALL_PROJECTS, normalize_id

RULE_OPTIONS = ("name", "match", "exclude", "projects", "exclude_projects", "project_tags", "personal", "created_by", "default_available")
EXCEPTION_OPTIONS = ("secret_id", "name", "project", "personal", "default_available", "reason", "expires", "owner")
CREATED_BY = ("any", "agent", "user")
EXCEPTION_IN_FORCE = "in_force"
EXCEPTION_EXPIRED = "expired"
EXCEPTION_UNMATCHED = "unmatched"
#: An exception in force that ends within this many days is listed first and flagged.
EXPIRING_SOON_DAYS = 14
# What a secret name is made of (a glob must be able to match one).
_NAME_CHARACTERS = re.compile(r"^[A-Z0-9_]+$")
_SECRET_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

STATUS_COMPLIANT = "compliant"
STATUS_DRIFTED = "drifted"
STATUS_CHANGED = "changed"
STATUS_FAILED = "failed"
STATUS_NOT_ATTEMPTED = "not_attempted"
#: The statuses in the order tables and reports list them: what needs attention first.
STATUSES_BY_ATTENTION = (STATUS_FAILED, STATUS_NOT_ATTEMPTED, STATUS_DRIFTED, STATUS_CHANGED, STATUS_COMPLIANT)

#: The keys of every plan / result entry, in display order.
ENTRY_FIELDS = ("project_id", "project_name", "secret_id", "secret_name", "before", "after", "rule", "rule_name", "status", "error",
                "created_by_agent", "exception_reason", "exception_expires", "exception_owner")


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
    name: str = ""
    exclude: tuple = ()
    exclude_projects: tuple = ()
    project_tags: tuple = ()
    created_by: str = "any"

    def matches(self, name):
        """True when ``name`` matches one of the globs and none of the exclusions (case-sensitive)."""
        return isinstance(name, str) and _compile(self.match).match(name) is not None and not (
            self.exclude and _compile(self.exclude).match(name) is not None)

    def selects_creator(self, record):
        if self.created_by == "any":
            return True
        return (record.get("created_by_agent") is True) == (self.created_by == "agent")


@dataclasses.dataclass(frozen=True)
class PolicyException:
    """One validated exception: ``secret_id``, or ``name`` with ``project`` (a ref as written) or ``personal``."""

    index: int
    default_available: bool
    reason: str
    expires: datetime.date
    secret_id: str = None
    name: str = None
    project: str = None
    personal: bool = False
    owner: str = None

    def status(self, today):
        """``in_force`` until the end of ``expires`` (a UTC date), then ``expired``."""
        return EXCEPTION_IN_FORCE if today <= self.expires else EXCEPTION_EXPIRED

    def entry_fields(self):
        return {"exception_reason": self.reason, "exception_expires": self.expires.isoformat(), "exception_owner": self.owner}


@dataclasses.dataclass(frozen=True)
class Scopes:
    """Which scopes must be read, and which project ids each rule covers.

    ``personal``: whether the personal scope must be read (a rule or an exception covers it).
    ``project_ids``: the project scopes to read: listed projects in list order, then unlisted
    ids named explicitly, in the order they are named.
    ``rule_projects``: per rule (by index) the frozenset of project ids it covers.
    ``exception_scopes``: per exception (by index) the scope key it names (None: personal), or
    ``False`` for an exception by ``secret_id`` (any scope read).
    ``project_names``: project id -> name for every listed project.
    """

    personal: bool
    project_ids: tuple
    rule_projects: tuple
    project_names: dict = dataclasses.field(compare=False, hash=False)
    exception_scopes: tuple = ()

    @property
    def keys(self):
        """Scope keys to read: ``None`` (personal) first if needed, then the project ids."""
        return ((None,) if self.personal else ()) + self.project_ids

    def covers(self, rule, scope_key):
        """True when ``rule`` covers the scope ``scope_key`` (``None``: personal, else a project id)."""
        if scope_key is None:
            return rule.personal
        return scope_key in self.rule_projects[rule.index]


@dataclasses.dataclass(frozen=True)
class Plan:
    """Result of :func:`build_plan`.

    ``entries``: tuple of entry dicts (keys :data:`ENTRY_FIELDS`), ordered personal first, then
    projects in the order of the projects list, then secrets by name then id; a scope that could
    not be read is one ``failed`` entry with ``secret_id`` None.
    ``projects_count``: number of project scopes the policy covers (read or failed).
    ``compliant_unlisted``: compliant secrets left out of ``entries`` (``build_plan(list_compliant=False)``).
    ``rule_decided``: per rule (by index) how many secrets it decided.
    ``exception_matched``: per exception (by index) how many secrets it decided (0 when expired).
    ``shapes``: per entry, a hashable value that two entries share exactly when every field but
    the secret's own (``secret_id``, ``secret_name``, ``created_by_agent``) is the same: the
    reports build what those fields render to once per shape (see :func:`entry_shapes`).
    ``rows``: None, or (``build_plan(compact_compliant=True)``) every secret the policy covers
    and every scope that could not be read, in the order ``entries`` would have with
    ``list_compliant``: an int is the index of an entry; a compliant secret without an entry is
    the tuple ``(model, shape, secret_id, secret_name, created_by_agent)``, where ``model`` is an
    entry of the same ``shape`` (that of the first such secret of its scope) and stands for every
    field but the secret's own. At 10,000 secrets a row costs a fraction of an entry, and the
    reports render each shape once.
    """

    entries: tuple
    projects_count: int
    scopes: Scopes = dataclasses.field(compare=False, hash=False)
    compliant_unlisted: int = 0
    rule_decided: tuple = ()
    exception_matched: tuple = ()
    shapes: tuple = dataclasses.field(default=(), compare=False, hash=False)
    rows: tuple = dataclasses.field(default=None, compare=False, hash=False)

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


def _impossible_characters(pattern):
    """The characters of ``pattern`` that no secret name (upper-case letters, digits, ``_``) can match.

    Outside a bracket expression only those characters, ``*`` and ``?`` can match; inside one
    (``[A-Z]``, ``[!0-9]``) ranges and a leading ``!`` or ``^`` are syntax too. An unclosed ``[``
    is a literal bracket to fnmatch, as are ``-``, ``!``, ``^`` and ``]`` outside brackets.
    """
    bad = set()
    position = 0
    while position < len(pattern):
        character = pattern[position]
        if character == "[":
            start = position + 1
            if pattern[start:start + 1] in ("!", "^"):
                start += 1
            end = pattern.find("]", start + 1)
            if end >= 0:
                bad.update(c for c in pattern[start:end] if c != "-" and not _NAME_CHARACTERS.match(c))
                position = end + 1
                continue
        if character not in "*?" and not _NAME_CHARACTERS.match(character):
            bad.add(character)
        position += 1
    return bad


def _check_glob(pattern, where):
    """A glob that can match a secret name, or a PolicyError saying why it never could."""
    bad = _impossible_characters(pattern)
    if not bad:
        return
    if pattern.upper() != pattern and not _impossible_characters(pattern.upper()):
        raise PolicyError("%s: %r can never match a secret name: names are upper-case (did you mean %r?)" % (where, pattern, pattern.upper()))
    raise PolicyError("%s: %r can never match a secret name: %s never appear in one (upper-case letters, digits and _ only)"
                      % (where, pattern, ", ".join(repr(character) for character in sorted(bad))))


def _globs(raw, key, where, required):
    value = raw.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, (list, tuple)) or (required and not value):
        raise PolicyError("%s: must be a%s list of name patterns" % (where, " non-empty" if required else ""))
    globs = _string_list(value, where, "a name pattern")
    for item, pattern in enumerate(globs):
        _check_glob(pattern, "%s[%d]" % (where, item))
    return globs


def _optional_strings(raw, key, where, what):
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise PolicyError("%s: must be a list of %ss, got %s" % (where, what, _type_name(value)))
    return _string_list(value, where, "a " + what)


def _boolean(raw, key, where, default=None):
    value = raw.get(key)
    if value is None:
        if default is None:
            raise PolicyError("%s: required option is missing" % where)
        return default
    if not isinstance(value, bool):
        raise PolicyError("%s: must be a boolean (true or false), got %s" % (where, _type_name(value)))
    return value


def _unknown_keys(raw, allowed, where):
    if not isinstance(raw, dict):
        raise PolicyError("%s: must be a dictionary with the options %s, got %s" % (where, ", ".join(allowed), _type_name(raw)))
    for key in raw:
        if key not in allowed:
            raise PolicyError("%s.%s: unknown option %r (valid options: %s)" % (where, key, key, ", ".join(sorted(allowed))))


def _normalize_rule(prefix, index, raw):
    _unknown_keys(raw, RULE_OPTIONS, _path(prefix, index))
    name = raw.get("name")
    if name is None:
        name = "rule %d" % (index + 1)
    elif not isinstance(name, str) or not name.strip():
        raise PolicyError("%s: must be a non-empty string" % _path(prefix, index, "name"))
    match = _globs(raw, "match", _path(prefix, index, "match"), required=True)
    exclude = _globs(raw, "exclude", _path(prefix, index, "exclude"), required=False)

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
    exclude_projects = _optional_strings(raw, "exclude_projects", _path(prefix, index, "exclude_projects"), "project id or name")
    project_tags = tuple(tag.strip() for tag in _optional_strings(raw, "project_tags", _path(prefix, index, "project_tags"), "tag"))

    personal = _boolean(raw, "personal", _path(prefix, index, "personal"), default=False)
    created_by = raw.get("created_by")
    if created_by is None:
        created_by = "any"
    if created_by not in CREATED_BY:
        raise PolicyError("%s: must be one of %s, got %r" % (_path(prefix, index, "created_by"), ", ".join(CREATED_BY), created_by))
    default_available = _boolean(raw, "default_available", _path(prefix, index, "default_available"))

    if projects == () and not personal:
        raise PolicyError("%s: an empty list with personal false covers no secret; list projects, use '*' or set personal to true" % where)
    return Rule(index=index, name=name.strip(), match=match, exclude=exclude, projects=projects, exclude_projects=exclude_projects,
                project_tags=project_tags, personal=personal, created_by=created_by, default_available=default_available)


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


def _date(value, where):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PolicyError("%s: must be a date YYYY-MM-DD, got %r" % (where, value))


def _text(raw, key, where, required):
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise PolicyError("%s: %s a non-empty string" % (where, "required: give" if value is None else "must be"))
    return " ".join(value.split())


def _normalize_exception(prefix, index, raw):
    where = _path(prefix, index)
    _unknown_keys(raw, EXCEPTION_OPTIONS, where)
    try:
        secret_id = normalize_id(_path(prefix, index, "secret_id"), raw.get("secret_id"))
    except ValueError as err:
        raise PolicyError(str(err)) from None
    name = _text(raw, "name", _path(prefix, index, "name"), required=False)
    if name is not None and not _SECRET_NAME.match(name):
        raise PolicyError("%s: %r is not a valid secret name (an upper-case letter, then upper-case letters, digits or underscores)"
                          % (_path(prefix, index, "name"), name))
    project = _text(raw, "project", _path(prefix, index, "project"), required=False)
    personal = _boolean(raw, "personal", _path(prefix, index, "personal"), default=False)
    if secret_id is not None:
        if name is not None or project is not None or personal:
            raise PolicyError("%s: give either secret_id, or name with project or personal: true, not both" % where)
    elif name is None:
        raise PolicyError("%s: give secret_id, or name with project (an id or name) or personal: true" % where)
    elif (project is None) == (not personal):
        raise PolicyError("%s: with name, give exactly one of project (an id or name) and personal: true" % where)
    return PolicyException(
        index=index, secret_id=secret_id, name=name, project=project, personal=personal,
        default_available=_boolean(raw, "default_available", _path(prefix, index, "default_available")),
        reason=_text(raw, "reason", _path(prefix, index, "reason"), required=True),
        expires=_date(raw.get("expires"), _path(prefix, index, "expires")),
        owner=_text(raw, "owner", _path(prefix, index, "owner"), required=False),
    )


def normalize_exceptions(exceptions, option="exceptions"):
    """Validate the exceptions and return a list of :class:`PolicyException` (index = position)."""
    if exceptions is None:
        return []
    if not isinstance(exceptions, (list, tuple)):
        raise PolicyError("%s: must be a list of exceptions, got %s" % (option, _type_name(exceptions)))
    return [_normalize_exception(option, index, raw) for index, raw in enumerate(exceptions)]


def plan_scopes(rules, directory, option="rules", exceptions=(), exceptions_option="exceptions", today=None):
    """The :class:`Scopes` the validated ``rules`` and ``exceptions`` need, resolved against a ProjectDirectory.

    A project name that matches nothing or several projects raises (before any write); an
    explicit id is kept even when it is not listed: that scope is read directly, and a failed
    read fails that scope alone. ``*`` and ``project_tags`` only ever cover listed projects
    (the list is where tags come from). An exception in force by ``secret_id`` may name a
    secret of any scope, so it makes every listed project and the personal scope read; an
    expired exception reads nothing and its project is not resolved (it is ignored).
    """
    today = today or utc_today()
    rule_projects = []
    explicit = []
    for rule in rules:
        if rule.projects == ALL_PROJECTS:
            ids = list(directory.ids)
        else:
            ids = directory.resolve_all(rule.projects, _path(option, rule.index, "projects"))
            explicit.extend(project_id for project_id in ids if project_id not in explicit)
        excluded = set(directory.resolve_all(rule.exclude_projects, _path(option, rule.index, "exclude_projects")))
        if rule.project_tags:
            wanted_tags = set(rule.project_tags)
            ids = [project_id for project_id in ids if directory.tags(project_id) & wanted_tags]
        rule_projects.append(frozenset(project_id for project_id in ids if project_id not in excluded))
    exception_scopes = []
    every_scope = False
    for exception in exceptions:
        if exception.status(today) != EXCEPTION_IN_FORCE:
            exception_scopes.append(False)
        elif exception.secret_id is not None:
            exception_scopes.append(False)
            every_scope = True
        elif exception.personal:
            exception_scopes.append(None)
        else:
            project_id = directory.resolve(exception.project, _path(exceptions_option, exception.index, "project"))
            exception_scopes.append(project_id)
            if project_id not in explicit:
                explicit.append(project_id)
    wanted = set().union(*rule_projects) | {key for key in exception_scopes if key}
    if every_scope:
        wanted |= set(directory.ids)
    project_ids = [project_id for project_id in directory.ids if project_id in wanted]
    project_ids.extend(project_id for project_id in explicit if project_id not in directory and project_id in wanted)
    return Scopes(
        personal=every_scope or any(rule.personal for rule in rules) or any(key is None for key in exception_scopes),
        project_ids=tuple(project_ids),
        rule_projects=tuple(rule_projects),
        project_names=dict(directory.names),
        exception_scopes=tuple(exception_scopes),
    )


def _compile(patterns):
    """One regular expression for globs (``fnmatch`` semantics, case-sensitive)."""
    return re.compile("|".join("(?:%s)" % fnmatch.translate(pattern) for pattern in patterns))


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


def _decider(rules):
    """A function from a secret record to the rule that decides it (the first that selects it), or None."""
    compiled = [(rule, _compile(rule.match).match, _compile(rule.exclude).match if rule.exclude else None) for rule in rules]
    if len(compiled) == 1 and compiled[0][2] is None and compiled[0][0].created_by == "any":
        rule, match = compiled[0][0], compiled[0][1]
        return lambda record: rule if match(record["name"]) is not None else None

    def decide(record):
        name = record["name"]
        for rule, match, exclude in compiled:
            if match(name) is not None and (exclude is None or exclude(name) is None) and rule.selects_creator(record):
                return rule
        return None
    return decide


class _ExceptionIndex:
    """The exceptions in force, found by secret id (any scope) or by name within one scope."""

    def __init__(self, exceptions, scopes, today):
        self.by_id = {}
        self.by_scope_name = {}
        self.matched = [0] * len(exceptions)
        for exception in exceptions:
            if exception.status(today) != EXCEPTION_IN_FORCE:
                continue
            if exception.secret_id is not None:
                self.by_id.setdefault(exception.secret_id, exception)
            else:
                self.by_scope_name.setdefault((scopes.exception_scopes[exception.index], exception.name), exception)

    def __bool__(self):
        return bool(self.by_id or self.by_scope_name)

    def find(self, scope_key, record):
        by_id = self.by_id.get(record["id"].lower())
        by_name = self.by_scope_name.get((scope_key, record["name"]))
        # The first exception in list order wins, whichever way it names the secret.
        exception = by_id if by_name is None or (by_id is not None and by_id.index < by_name.index) else by_name
        if exception is not None:
            self.matched[exception.index] += 1
        return exception


# Sorts (secret name, secret id, ...) items by name, then id, without comparing what follows.
_NAME_THEN_ID = operator.itemgetter(0, 1)


def _scope_entries(scope_key, project_name, records, decide, exceptions, list_compliant, decided_counts, first_index=None):
    """The entries of one scope (sorted by secret name, then id), their shapes (see Plan), how
    many compliant secrets were left out and, when ``first_index`` (the index in the plan of the
    scope's first entry) is given, the scope's rows (see Plan.rows): its compliant secrets left
    out of the entries are then kept as compact rows.

    The client never returns a list with an id twice (docs/guarantees.md), so each record is one secret.
    """
    failure = _scope_failure(records)
    if failure is not None:
        status = STATUS_FAILED if failure.attempted else STATUS_NOT_ATTEMPTED
        entry = dict.fromkeys(ENTRY_FIELDS)
        entry.update(project_id=scope_key, project_name=project_name, status=status, error=failure.reason)
        return [entry], [(scope_key, status)], 0, [first_index]
    compact = first_index is not None and not list_compliant
    ordered = []  # (secret name, secret id, (entry, shape) or a compact row)
    models = {}  # shape -> the entry that stands for the compact rows of that shape
    decided = 0
    any_exception = bool(exceptions)
    for record in records:
        exception = exceptions.find(scope_key, record) if any_exception else None
        if exception is not None:
            rule, after = None, exception.default_available
        else:
            rule = decide(record) if decide is not None else None
            if rule is None:
                continue
            decided_counts[rule.index] += 1
            after = rule.default_available
        decided += 1
        before = record.get("default_available")
        compliant = before is after
        if compliant and not list_compliant and not compact:
            continue
        # The scope, what decided the secret and its flag as read determine every other field; a
        # flag that is not a boolean (or None) is keyed with its type, which True and 1 do not share.
        decider = ("rule", rule.index) if exception is None else ("exception", exception.index)
        flag = before if before is True or before is False or before is None else (type(before).__name__, repr(before))
        shape = (scope_key, decider, flag)
        secret_id, secret_name = record["id"], record["name"]
        if compliant and compact:
            model = models.get(shape)
            if model is None:
                model = models[shape] = _entry(scope_key, project_name, record, before, after, rule, exception, STATUS_COMPLIANT)
            ordered.append((secret_name, secret_id, (model, shape, secret_id, secret_name, _flag_or_none(record.get("created_by_agent")))))
        else:
            entry = _entry(scope_key, project_name, record, before, after, rule, exception, STATUS_COMPLIANT if compliant else STATUS_DRIFTED)
            ordered.append((secret_name, secret_id, (entry, shape)))
    ordered.sort(key=_NAME_THEN_ID)
    entries, shapes, rows = [], [], []
    if first_index is None:
        for _name, _id, (entry, shape) in ordered:
            entries.append(entry)
            shapes.append(shape)
    else:
        for _name, _id, item in ordered:
            if len(item) == 2:
                rows.append(first_index + len(entries))
                entries.append(item[0])
                shapes.append(item[1])
            else:
                rows.append(item)
    return entries, shapes, decided - len(entries), rows


def _entry(scope_key, project_name, record, before, after, rule, exception, status):
    entry = {
        "project_id": scope_key, "project_name": project_name, "secret_id": record["id"], "secret_name": record["name"],
        "before": before, "after": after, "rule": None if rule is None else rule.index,
        "rule_name": "exception" if rule is None else rule.name, "status": status, "error": None,
        "created_by_agent": _flag_or_none(record.get("created_by_agent")),
        "exception_reason": None, "exception_expires": None, "exception_owner": None,
    }
    if exception is not None:
        entry.update(exception.entry_fields())
    return entry


def _flag_or_none(value):
    return value if value is True or value is False else None


def build_plan(rules, scopes, secrets_by_scope, list_compliant=True, exceptions=(), today=None, compact_compliant=False):
    """Evaluate the validated ``rules`` and ``exceptions`` against the secrets read for ``scopes``.

    ``secrets_by_scope`` maps a scope key (project id, or ``None`` for personal) to the list of
    secret records of that scope, or to a :class:`ScopeFailure` when it could not be read. Each
    scope of :attr:`Scopes.keys` gives either one entry per decided secret or, when the scope
    failed (or is missing from ``secrets_by_scope``, or its list holds a record without a
    string ``id`` and ``name``: a partial list is never used), one ``failed`` (or
    ``not_attempted``) entry with ``secret_id`` None. With ``list_compliant`` false, compliant
    secrets get no entry and are only counted in :attr:`Plan.compliant_unlisted`. A record's
    ``before`` is its ``default_available`` as read; anything that is not exactly the desired
    boolean is ``drifted``. ``today`` (the controller's UTC date) decides which exceptions are
    in force. With ``compact_compliant`` (and ``list_compliant`` false), the compliant secrets are
    not only counted but also kept, as compact rows in :attr:`Plan.rows`, for the report files.
    """
    today = today or utc_today()
    index = _ExceptionIndex(exceptions, scopes, today)
    decided_counts = [0] * len(rules)
    entries = []
    shapes = []
    rows = [] if compact_compliant and not list_compliant else None
    unlisted = 0
    for scope_key in scopes.keys:
        covering = [rule for rule in rules if scopes.covers(rule, scope_key)]
        decide = _decider(covering) if covering else None
        project_name = None if scope_key is None else scopes.project_names.get(scope_key)
        scope_entries, scope_shapes, scope_unlisted, scope_rows = _scope_entries(
            scope_key, project_name, secrets_by_scope.get(scope_key), decide, index, list_compliant, decided_counts,
            first_index=None if rows is None else len(entries))
        entries.extend(scope_entries)
        shapes.extend(scope_shapes)
        if rows is not None:
            rows.extend(scope_rows)
        unlisted += scope_unlisted
    return Plan(entries=tuple(entries), shapes=tuple(shapes), projects_count=len(scopes.project_ids), scopes=scopes, compliant_unlisted=unlisted,
                rule_decided=tuple(decided_counts), exception_matched=tuple(index.matched), rows=None if rows is None else tuple(rows))


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def rules_report(rules, plan):
    """Each rule with how many secrets it decided (what ``summary.rules`` and the reports show)."""
    return [{"index": rule.index, "name": rule.name, "default_available": rule.default_available, "decided": plan.rule_decided[rule.index]}
            for rule in rules]


def exceptions_report(exceptions, plan, today=None):
    """Each exception with its status (in force, expired, unmatched), days left and matches, in input order."""
    today = today or utc_today()
    report = []
    for exception in exceptions:
        status = exception.status(today)
        matched = plan.exception_matched[exception.index] if exception.index < len(plan.exception_matched) else 0
        if status == EXCEPTION_IN_FORCE and not matched:
            status = EXCEPTION_UNMATCHED
        report.append({
            "index": exception.index, "secret_id": exception.secret_id, "name": exception.name, "project": exception.project,
            "personal": exception.personal, "default_available": exception.default_available, "reason": exception.reason,
            "expires": exception.expires.isoformat(), "owner": exception.owner, "status": status,
            "days_left": (exception.expires - today).days, "matched": matched,
        })
    return report


def exceptions_summary(report):
    counts = {EXCEPTION_IN_FORCE: 0, EXCEPTION_EXPIRED: 0, EXCEPTION_UNMATCHED: 0}
    for exception in report:
        counts[exception["status"]] += 1
    return counts


def policy_warnings(rules_status, exceptions_status, rules_option="rules", exceptions_option="exceptions"):
    """Warnings for rules that decided nothing, and for expired or unmatched exceptions (naming the options as written)."""
    warnings = ["rule %r (%s[%d]) decided no secret: it is shadowed by an earlier rule, or its globs or projects match nothing"
                % (rule["name"], rules_option, rule["index"]) for rule in rules_status if not rule["decided"]]
    for exception in exceptions_status:
        what = exception["secret_id"] or exception["name"]
        if exception["status"] == EXCEPTION_EXPIRED:
            warnings.append("exception for %s (%s[%d]) expired on %s and is ignored: the rules decide again"
                            % (what, exceptions_option, exception["index"], exception["expires"]))
        elif exception["status"] == EXCEPTION_UNMATCHED:
            warnings.append("exception for %s (%s[%d]) matches no secret in the scopes read" % (what, exceptions_option, exception["index"]))
    return warnings


def apply_results(plan, outcomes, check_mode=False):
    """Final entries after the writes of ``plan.changes``: every planned write is accounted for.

    ``outcomes`` maps a secret id to ``{"ok": True, "default_available": bool}`` (the value the
    API response shows) or ``{"ok": False, "error": str, "attempted": bool}``. Per drifted entry:

    - check mode: stays ``drifted`` (would change); outcomes are ignored;
    - ok and the response shows ``after``: ``changed``;
    - ok but the response shows another value, or an error: ``failed`` with ``error``;
    - an error with ``attempted`` false, or no outcome at all: ``not_attempted`` with the reason.

    ``compliant`` and scope entries are copied unchanged. Returns new dicts, except in check mode,
    where the plan's own entries are returned.
    """
    if check_mode:
        # Nothing changes in check mode: the plan's entries are the result (no copy of thousands).
        return list(plan.entries)
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
                             % (flag_text(outcome.get("default_available")), flag_text(entry["after"])))
            else:
                entry["status"] = STATUS_CHANGED
        result.append(entry)
    return result


def entry_shapes(plan, entries):
    """The shapes (see :class:`Plan`) of ``entries``, the result of ``apply_results(plan, ...)``.

    An entry whose write changed its status (and error) gets a shape of its own kind.
    """
    if len(entries) != len(plan.shapes):
        raise ValueError("entries do not follow the plan")
    return [shape if entry is planned or entry["status"] == planned["status"] else (shape, entry["status"], entry["error"])
            for planned, entry, shape in zip(plan.entries, entries, plan.shapes)]


def summarize(entries, projects_count, compliant_unlisted=0, rules=None, exceptions=None):
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
    check mode ``changed == 0``. ``rules`` (from :func:`rules_report`) and ``exceptions`` (from
    :func:`exceptions_summary`), when given, are added as they are.
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
    if rules is not None:
        counts["rules"] = [{"index": rule["index"], "name": rule["name"], "decided": rule["decided"]} for rule in rules]
    if exceptions is not None:
        counts["exceptions"] = exceptions
    return counts


_NOT_ATTEMPTED_PREFIX = "not attempted: "


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
        reason = reasons[0]
        if reason.startswith(_NOT_ATTEMPTED_PREFIX):
            reason = reason[len(_NOT_ATTEMPTED_PREFIX):]
        parts.append("%s not attempted: %s" % (plural(skipped, "read or update", "reads or updates"), reason))
    return "; ".join(parts) + "; see entries" if parts else None


def flag_text(value):
    """How tables, diffs and reports show a ``default_available`` value."""
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
            flags = "%s -> %s" % (flag_text(entry["before"]), flag_text(entry["after"]))
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
