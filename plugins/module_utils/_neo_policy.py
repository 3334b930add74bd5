# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""Policy evaluation of ``neo_secret_policy`` and the ``secret_policy`` role (plain Python, no I/O).

A policy is an ordered list of rules (option ``rules``) and a list of time-boxed exceptions
(``exceptions``); :data:`POLICY_ARGSPEC` is their schema (``neo_secret_policy`` documents each option).
An exception in force (``expires`` not before the controller's UTC date) decides its secret
before any rule, even a secret no rule covers; an expired one is ignored (the rules decide
again). Otherwise the first rule that both covers the scope of a secret and selects it
decides; a secret nothing decides is left alone: it does not appear in the plan.

Intended use by the action plugin (rules validated once, scopes computed once)::

    rules, exceptions = compile_policy(params["rules"], params["exceptions"])   # PolicyError before any API call
    directory = ProjectDirectory(client.list_projects())
    scopes = plan_scopes(rules, directory, exceptions=exceptions, today=today)   # name errors before any write
    secrets_by_scope = {key: records or the NeoError reading them raised for key in scopes.keys}
    plan = build_plan(rules, scopes, secrets_by_scope, list_compliant, exceptions, today)
    outcomes = {entry["secret_id"]: record or NeoError of its PATCH for entry in plan.changes}
    entries = apply_results(plan, outcomes, check_mode)
    summary = summarize(entries, plan.projects_count, plan.compliant_unlisted)

Entries only ever hold the fields listed in :data:`ENTRY_FIELDS`; a secret's ``value`` or
``masked_value`` is never copied.
"""
from __future__ import annotations

import ast
import dataclasses
import datetime
import fnmatch
import operator
import re

from ansible.module_utils.errors import UnsupportedError

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import validate_arguments
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_INVALID_RECORD,
    REASON_NOT_ATTEMPTED,
    NeoApiError,
    NeoError,
    NeoInputError,
    PolicyError,
    one_line,
    plural,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ALL_PROJECTS, json_kind, normalize_id
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_secrets import check_secret_name, is_secret_name

CREATED_BY = ("any", "agent", "user")
#: The schema of a policy: the ``rules`` and ``exceptions`` options of ``neo_secret_policy`` (which
#: makes ``rules`` required) and of the event source. :func:`compile_policy` checks what it cannot say.
POLICY_ARGSPEC = {
    "rules": {
        "type": "list",
        "elements": "dict",
        "options": {
            "name": {"type": "str"},
            "match": {"type": "list", "elements": "str", "required": True},
            "exclude": {"type": "list", "elements": "str"},
            "projects": {"type": "raw", "default": ALL_PROJECTS},
            "exclude_projects": {"type": "list", "elements": "str"},
            "project_tags": {"type": "list", "elements": "str"},
            "personal": {"type": "bool", "default": False},
            "created_by": {"type": "str", "default": "any", "choices": list(CREATED_BY)},
            "default_available": {"type": "bool", "required": True},
        },
    },
    "exceptions": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "secret_id": {"type": "str"},
            "name": {"type": "str"},
            "project": {"type": "str"},
            "personal": {"type": "bool", "default": False},
            "default_available": {"type": "bool", "required": True},
            "reason": {"type": "str", "required": True},
            "expires": {"type": "str", "required": True},
            "owner": {"type": "str"},
        },
    },
    # Governance of the exceptions (compile_policy checks them before any request).
    "exceptions_max_days": {"type": "int"},
    "exceptions_require_owner": {"type": "bool", "default": False},
    "exceptions_warn_days": {"type": "int", "default": 14},
}
EXCEPTION_IN_FORCE = "in_force"
EXCEPTION_EXPIRED = "expired"
EXCEPTION_UNMATCHED = "unmatched"
#: The default of ``exceptions_warn_days``: an exception in force that ends within this many days is flagged ``expiring_soon``.
EXPIRING_SOON_DAYS = POLICY_ARGSPEC["exceptions_warn_days"]["default"]
# YYYY-MM-DD, optionally with a time (what a YAML timestamp becomes as text: "2027-01-31 10:00:00+00:00",
# or ISO "2027-01-31T10:00:00Z"); the time is ignored: an exception lasts whole days.
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?")

STATUS_COMPLIANT = "compliant"
STATUS_DRIFTED = "drifted"
STATUS_CHANGED = "changed"
STATUS_FAILED = "failed"
STATUS_NOT_ATTEMPTED = "not_attempted"
#: The statuses in the order tables and reports list them: what needs attention first.
STATUSES_BY_ATTENTION = (STATUS_FAILED, STATUS_NOT_ATTEMPTED, STATUS_DRIFTED, STATUS_CHANGED, STATUS_COMPLIANT)

# What a rule did in one run (rules_report). Only the first two say that it can never decide and are warned about;
# a rule that merely found nothing to decide this run is reported, not warned about (it may be waiting for its secrets).
RULE_COVERS_NO_PROJECT = "covers_no_project"
RULE_ALWAYS_SHADOWED = "always_shadowed"
RULE_SHADOWED_THIS_RUN = "shadowed_this_run"
RULE_NOTHING_MATCHED = "nothing_matched"
RULE_DECIDED = "decided"

#: The keys of every plan / result entry, in display order.
ENTRY_FIELDS = ("project_id", "project_name", "secret_id", "secret_name", "before", "after", "rule", "rule_name", "status", "error",
                "created_by_agent", "exception_reason", "exception_expires", "exception_owner")


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

    def selects_creator(self, record):
        """Whether ``created_by`` selects ``record``; :class:`UndecidableRecord` when the record says it with no boolean.

        A ``created_by_agent`` that is a string, a number, null or missing is never read as "made by
        a person": that guess would apply the wrong rule to the secret.
        """
        if self.created_by == "any":
            return True
        agent = record.get("created_by_agent", _MISSING)
        if not isinstance(agent, bool):
            raise UndecidableRecord("created_by_agent is %s, not a boolean: rule %r (rules[%d], created_by: %s) cannot decide this secret"
                                    % (_shown(agent), one_line(self.name, 80), self.index, self.created_by), self)
        return agent == (self.created_by == "agent")


_MISSING = object()


def _shown(value):
    """An API field's value for a message: short, on one line, a type for a structure."""
    if value is _MISSING:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(one_line(value, 40))
    if isinstance(value, (int, float)):
        return repr(value)
    return json_kind(value)


class UndecidableRecord(NeoApiError):
    """A secret record that ``rule`` examines but cannot decide: the API left out, or mangled, what the rule selects on."""

    def __init__(self, message, rule):
        super().__init__(message, reason=REASON_INVALID_RECORD)
        self.rule = rule


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
    ``failed``: project id -> the NeoError that keeps the rules from knowing whether they cover
    it (tags that are not a list of strings under a ``project_tags`` rule); such a project is in
    ``project_ids`` but not read: it is one failed scope.
    """

    personal: bool
    project_ids: tuple
    rule_projects: tuple
    project_names: dict = dataclasses.field(compare=False, hash=False)
    exception_scopes: tuple = ()
    failed: dict = dataclasses.field(default_factory=dict, hash=False)

    @property
    def planned(self):
        """Every scope key of the plan: ``None`` (personal) first if needed, then the project ids."""
        return ((None,) if self.personal else ()) + self.project_ids

    @property
    def keys(self):
        """Scope keys to read: the planned ones but the failed."""
        return tuple(key for key in self.planned if key not in self.failed)

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
    not be read is one ``failed`` (or ``not_attempted``) entry with ``secret_id`` None.
    ``projects_count``: number of project scopes the policy covers (read or failed).
    ``compliant_unlisted``: compliant secrets left out of ``entries`` (``build_plan(list_compliant=False)``).
    ``rule_decided``: per rule (by index) how many secrets it decided.
    ``exception_matched``: per exception (by index) how many secrets it decided (0 when expired).
    ``rule_status``: per rule (by index) ``(status, shadowed_by)``: one of the ``RULE_*`` statuses
    and the labels (``rules[0]``, ``exceptions[1]``) of what decides its secrets first.
    """

    entries: tuple
    projects_count: int
    scopes: Scopes = dataclasses.field(compare=False, hash=False)
    compliant_unlisted: int = 0
    rule_decided: tuple = ()
    exception_matched: tuple = ()
    rule_status: tuple = ()

    @property
    def changes(self):
        """Entries whose flag must be written (status ``drifted``)."""
        return [entry for entry in self.entries if entry["status"] == STATUS_DRIFTED]


def _can_be_in_a_name(character):
    """Whether a secret name can hold ``character`` after its first letter (SECRET_NAME_PATTERN decides)."""
    return is_secret_name("A" + character)


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
                bad.update(c for c in pattern[start:end] if c != "-" and not _can_be_in_a_name(c))
                position = end + 1
                continue
        if character not in "*?" and not _can_be_in_a_name(character):
            bad.add(character)
        position += 1
    return bad


def _glob_error(pattern, where):
    """Why the glob ``pattern`` can never match a secret name, or None when it can (or is not a glob)."""
    if not isinstance(pattern, str):
        return None
    bad = _impossible_characters(pattern)
    if not bad:
        return None
    if pattern.upper() != pattern and not _impossible_characters(pattern.upper()):
        return "%s: %r can never match a secret name: names are upper-case (did you mean %r?)" % (where, pattern, pattern.upper())
    return "%s: %r can never match a secret name: %s never appear in one (upper-case letters, digits and _ only)" % (
        where, pattern, ", ".join(repr(character) for character in sorted(bad)))


def comma_separated(value):
    """A string read as Ansible reads one given to a list option (``projects: Production``, ``match: "A_*, B_*"``):
    split at each comma, the blanks around each item dropped (Ansible's own split keeps them); anything else as it is."""
    return [item.strip() for item in value.split(",")] if isinstance(value, str) else value


def _strings(values, where, what, errors):
    """``values`` (a list, or None) as a tuple of its strings without duplicates (first kept); anything but a non-empty string is an error.

    The blanks around each item are dropped: ``"A, B"`` reaches here as ``["A", " B"]`` (ansible-core's
    split), and no secret name, glob, tag or project reference means anything by them.
    """
    strings = []
    for item, value in enumerate(values or ()):
        value = value.strip() if isinstance(value, str) else value
        if not isinstance(value, str) or not value:
            errors.append("%s[%d]: must be a non-empty string (%s)" % (where, item, what))
        elif value not in strings:
            strings.append(value)
    return tuple(strings)


def _text(value, where, errors):
    """``value`` on one line (blanks collapsed); None stays None, a blank text is an error."""
    if value is None:
        return None
    text = " ".join(value.split())
    if not text:
        errors.append("%s: must be a non-empty string" % where)
    return text


def _compile_rule(index, raw, errors, option="rules"):
    where = "%s[%d]" % (option, index)
    name = "rule %d" % (index + 1) if raw["name"] is None else raw["name"].strip()
    if not name:
        errors.append("%s.name: must be a non-empty string" % where)
    if not raw["match"]:
        errors.append("%s.match: must be a non-empty list of name patterns" % where)
    globs = {}
    for option in ("match", "exclude"):
        globs[option] = _strings(raw[option], "%s.%s" % (where, option), "a name pattern", errors)
        errors.extend(filter(None, (_glob_error(pattern.strip() if isinstance(pattern, str) else pattern, "%s.%s[%d]" % (where, option, item))
                                    for item, pattern in enumerate(raw[option] or ()))))
    projects = raw["projects"]
    if isinstance(projects, str):
        projects = ALL_PROJECTS if projects.strip() == ALL_PROJECTS else comma_separated(projects)
    if projects is None or projects == ALL_PROJECTS:
        projects = ALL_PROJECTS
    elif isinstance(projects, (list, tuple)):
        projects = _strings(projects, where + ".projects", "a project id or name", errors)
        if not projects and not raw["personal"]:
            errors.append("%s.projects: an empty list with personal false covers no secret; list projects, use '*' or set personal to true" % where)
    else:
        errors.append("%s.projects: must be '*' or a list of project ids or names, got %s"
                      % (where, repr(projects) if isinstance(projects, str) else json_kind(projects)))
    return Rule(index=index, name=name, match=globs["match"], exclude=globs["exclude"], projects=projects,
                exclude_projects=_strings(raw["exclude_projects"], where + ".exclude_projects", "a project id or name", errors),
                project_tags=tuple(tag.strip() for tag in _strings(raw["project_tags"], where + ".project_tags", "a tag", errors)),
                personal=raw["personal"], created_by=raw["created_by"], default_available=raw["default_available"])


def _date(value, where, errors):
    """``value`` as a date: a ``datetime.date`` (what YAML makes of an unquoted ``2027-01-31``), a
    ``datetime.datetime`` (its date), or that text; None (and an error naming ``where``) for anything else."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    found = _DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if found:
        try:
            if found.group(0) != found.group(1):
                datetime.datetime.fromisoformat(found.group(0).replace("Z", "+00:00"))  # the time must be valid too
            return datetime.date.fromisoformat(found.group(1))
        except ValueError:
            pass
    errors.append("%s: must be a date YYYY-MM-DD, got %r" % (where, value if isinstance(value, str) else str(value)))
    return None


class _DatesAsText(ast.NodeTransformer):
    """``datetime.date(2027, 1, 31)`` and ``datetime.datetime(2027, 1, 31, ...)`` calls as the text ``"2027-01-31"``."""

    def visit_Call(self, node):  # pylint: disable=invalid-name
        func, args = node.func, node.args[:3]
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "datetime" and func.attr in ("date", "datetime")
                and len(args) == 3 and all(isinstance(arg, ast.Constant) and isinstance(arg.value, int) and not isinstance(arg.value, bool) for arg in args)):
            return ast.Constant("%04d-%02d-%02d" % tuple(arg.value for arg in args))
        return node


def exceptions_from_text(value):
    """The list of exceptions ansible-core 2.16 gave as its Python text because it holds a date; anything else unchanged.

    Without Jinja's native types, ansible-core 2.16 renders a templated list as text and reads it back
    as a Python literal; a date (YAML's unquoted ``expires: 2027-01-31``) has no literal, so the whole
    list arrives as ``"[{... 'expires': datetime.date(2027, 1, 31)}]"``. Only literals and those date
    calls are read (never evaluated); any other text is left to the option's validation.
    """
    if not isinstance(value, str) or not value.lstrip().startswith("["):
        return value
    try:
        parsed = ast.literal_eval(_DatesAsText().visit(ast.parse(value.strip(), mode="eval")))
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return value
    return parsed if isinstance(parsed, list) else value


def _compile_exception(index, raw, errors):
    where = "exceptions[%d]" % index
    try:
        secret_id = normalize_id(where + ".secret_id", raw["secret_id"])
    except NeoInputError as err:
        errors.append(str(err))
        secret_id = None
    name = _text(raw["name"], where + ".name", errors)
    try:
        check_secret_name(where + ".name", name)
    except NeoInputError as err:
        errors.append(str(err))
    project = _text(raw["project"], where + ".project", errors)
    if raw["secret_id"] is not None:
        if name is not None or project is not None or raw["personal"]:
            errors.append("%s: give either secret_id, or name with project or personal: true, not both" % where)
    elif name is None:
        errors.append("%s: give secret_id, or name with project (an id or name) or personal: true" % where)
    elif (project is None) == (not raw["personal"]):
        errors.append("%s: with name, give exactly one of project (an id or name) and personal: true" % where)
    return PolicyException(index=index, secret_id=secret_id, name=name, project=project, personal=raw["personal"],
                           default_available=raw["default_available"], reason=_text(raw["reason"], where + ".reason", errors),
                           expires=_date(raw["expires"], where + ".expires", errors), owner=_text(raw["owner"], where + ".owner", errors))


def _govern_exceptions(exceptions, max_days, require_owner, warn_days, today, errors):
    """The checks of ``exceptions_max_days``, ``exceptions_require_owner`` and ``exceptions_warn_days``."""
    for option, days in (("exceptions_max_days", max_days), ("exceptions_warn_days", warn_days)):
        if days is not None and days < 0:
            errors.append("%s: must be 0 or more, got %d" % (option, days))
    # Beyond a century no date can be too far (and the sum could pass year 9999).
    latest = today + datetime.timedelta(days=max_days) if max_days is not None and 0 <= max_days <= 36500 else None
    for exception in exceptions:
        where = "exceptions[%d]" % exception.index
        if require_owner and exception.owner is None:
            errors.append("%s.owner: required by exceptions_require_owner: true (who answers for the exception for %s)"
                          % (where, exception.secret_id or exception.name))
        if latest is not None and exception.expires is not None and exception.expires > latest:
            errors.append("%s.expires: %s is more than %s away (exceptions_max_days), the latest allowed is %s"
                          % (where, exception.expires.isoformat(), plural(max_days, "day"), latest.isoformat()))


def compile_policy(rules, exceptions, max_days=None, require_owner=False, warn_days=EXPIRING_SOON_DAYS, today=None, rules_option="rules"):
    """``(rules, exceptions)`` as :class:`Rule` and :class:`PolicyException` lists (index = position).

    Takes what :data:`POLICY_ARGSPEC` validated (every sub-option present, of its type) and makes
    the checks no spec can express: globs that can never match a secret name, the projects of a
    rule, the target of an exception, dates, and the governance of the exceptions (an ``expires``
    later than ``today`` + ``max_days``, an exception without owner under ``require_owner``).
    Raises one :class:`PolicyError` naming every problem by its path (``rules[0].match[1]``).
    ``None`` means none. ``rules_option``: the option that holds the rules, as messages name it.
    """
    errors = []
    compiled = ([_compile_rule(index, raw, errors, rules_option) for index, raw in enumerate(rules or ())],
                [_compile_exception(index, raw, errors) for index, raw in enumerate(exceptions or ())])
    _govern_exceptions(compiled[1], max_days, require_owner, warn_days, today or utc_today(), errors)
    if errors:
        raise PolicyError("; ".join(errors))
    return compiled


def policy_from_args(args, rules_option="rules"):
    """``(rules, exceptions)`` from ``{"rules": ..., "exceptions": ...}`` as a user wrote them, validated as ``neo_secret_policy`` does.

    Raises one :class:`PolicyError` naming every problem. An option given as null counts as not given, as in the module.
    ``rules_option``: the name of the option that holds the rules (in ``args`` and in messages).
    """
    spec = dict(POLICY_ARGSPEC)
    spec[rules_option] = spec.pop("rules")
    validation, errors = validate_arguments(spec, args)
    if errors:
        raise PolicyError("; ".join(("unsupported parameters: %s" % error.error_message if isinstance(error, UnsupportedError)
                                     else getattr(error, "error_message", error)) for error in errors))
    params = validation.validated_parameters
    return compile_policy(params[rules_option], params["exceptions"], params["exceptions_max_days"], params["exceptions_require_owner"],
                          params["exceptions_warn_days"], rules_option=rules_option)


def plan_scopes(rules, directory, option="rules", exceptions=(), exceptions_option="exceptions", today=None):
    """The :class:`Scopes` the validated ``rules`` and ``exceptions`` need, resolved against a ProjectDirectory.

    A project name that matches nothing or several projects raises (before any write); an
    explicit id is kept even when it is not listed: that scope is read directly, and a failed
    read fails that scope alone. ``*`` and ``project_tags`` only ever cover listed projects
    (the list is where tags come from). An exception in force by ``secret_id`` may name a
    secret of any scope, so it makes every listed project and the personal scope read; an
    expired exception reads nothing and its project is not resolved (it is ignored). A project
    a ``project_tags`` rule would look at, whose tags are not a list of strings, is a failed
    scope (``Scopes.failed``): not read, and not silently left out.
    """
    today = today or utc_today()
    rule_projects = []
    explicit = []
    failed = {}
    for rule in rules:
        if rule.projects == ALL_PROJECTS:
            ids = list(directory.ids)
        else:
            ids = directory.resolve_all(rule.projects, "%s[%d].projects" % (option, rule.index))
            explicit.extend(project_id for project_id in ids if project_id not in explicit)
        excluded = set(directory.resolve_all(rule.exclude_projects, "%s[%d].exclude_projects" % (option, rule.index)))
        ids = [project_id for project_id in ids if project_id not in excluded]
        if rule.project_tags:
            ids = [project_id for project_id in ids if _tagged(directory, project_id, set(rule.project_tags), failed)]
        rule_projects.append(frozenset(ids))
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
            project_id = directory.resolve(exception.project, "%s[%d].project" % (exceptions_option, exception.index))
            exception_scopes.append(project_id)
            if project_id not in explicit:
                explicit.append(project_id)
    wanted = set().union(*rule_projects) | {key for key in exception_scopes if key} | set(failed)
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
        failed=failed,
    )


def _tagged(directory, project_id, wanted_tags, failed):
    """Whether the project carries one of ``wanted_tags``; one whose tags cannot be read is put in ``failed`` (never guessed)."""
    try:
        return bool(directory.tags(project_id) & wanted_tags)
    except NeoError as err:
        failed.setdefault(project_id, err)
        return False


def _compile(patterns):
    """One regular expression for globs (``fnmatch`` semantics, case-sensitive)."""
    return re.compile("|".join("(?:%s)" % fnmatch.translate(pattern) for pattern in patterns))


def _scope_failure(records):
    """The NeoError when ``records`` is not a usable secrets list, else None."""
    if isinstance(records, NeoError):
        return records
    if records is None:
        return NeoError("the secrets of this scope were not read")
    if not isinstance(records, (list, tuple)):
        return NeoError("the secrets list is not a list")
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"] or not isinstance(record.get("name"), str):
            return NeoError("the secrets list holds a record without a string id and name")
    return None


def _failed_status(err):
    """``not_attempted`` for an error whose request was never sent, else ``failed``."""
    return STATUS_NOT_ATTEMPTED if err.reason == REASON_NOT_ATTEMPTED else STATUS_FAILED


def decider(rules):
    """A function from a secret record to the rule that decides it (the first that selects it), or None."""
    compiled = [(rule, _compile(rule.match).match, _compile(rule.exclude).match if rule.exclude else None) for rule in rules]

    def decide(record):
        """The deciding rule or None; :class:`UndecidableRecord` when a rule that examines the record cannot tell."""
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

    def find(self, scope_key, record):
        exception = self.lookup(scope_key, record)
        if exception is not None:
            self.matched[exception.index] += 1
        return exception

    def lookup(self, scope_key, record):
        """The exception that decides ``record``, or None (:meth:`find` without counting the match)."""
        by_id = self.by_id.get(record["id"].lower())
        by_name = self.by_scope_name.get((scope_key, record["name"]))
        # The first exception in list order wins, whichever way it names the secret.
        return by_id if by_name is None or (by_id is not None and by_id.index < by_name.index) else by_name


def _scope_entries(scope_key, project_name, records, decide, exceptions, list_compliant, decided_counts, scope_failure=None):
    """The entries of one scope (sorted by secret name, then id) and how many compliant secrets were left out.

    The client never returns a list with an id twice (docs/guarantees.md), so each record is one secret.
    ``scope_failure``: the NeoError that fails the scope whatever was read. A record a rule cannot
    decide is one failed entry naming the field (``after`` None: there is no decision to write).
    """
    failure = scope_failure if scope_failure is not None else _scope_failure(records)
    if failure is not None:
        entry = dict.fromkeys(ENTRY_FIELDS)
        entry.update(project_id=scope_key, project_name=project_name, status=_failed_status(failure),
                     error=str(failure) or "could not list the secrets")
        return [entry], 0
    entries = []
    decided = 0
    for record in records:
        exception = exceptions.find(scope_key, record)
        if exception is not None:
            rule, after = None, exception.default_available
        else:
            try:
                rule = decide(record) if decide is not None else None
            except UndecidableRecord as err:
                decided += 1
                entries.append(dict(_entry(scope_key, project_name, record, record.get("default_available"), None, err.rule, None, STATUS_FAILED),
                                    error=str(err)))
                continue
            if rule is None:
                continue
            decided_counts[rule.index] += 1
            after = rule.default_available
        decided += 1
        before = record.get("default_available")
        compliant = before is after
        if compliant and not list_compliant:
            continue
        entries.append(_entry(scope_key, project_name, record, before, after, rule, exception, STATUS_COMPLIANT if compliant else STATUS_DRIFTED))
    entries.sort(key=operator.itemgetter("secret_name", "secret_id"))
    return entries, decided - len(entries)


def _entry(scope_key, project_name, record, before, after, rule, exception, status):
    agent = record.get("created_by_agent")
    entry = {
        "project_id": scope_key, "project_name": project_name, "secret_id": record["id"], "secret_name": record["name"],
        "before": before, "after": after, "rule": None if rule is None else rule.index,
        "rule_name": "exception" if rule is None else rule.name, "status": status, "error": None,
        "created_by_agent": agent if isinstance(agent, bool) else None,
        "exception_reason": None, "exception_expires": None, "exception_owner": None,
    }
    if exception is not None:
        entry.update(exception.entry_fields())
    return entry


def build_plan(rules, scopes, secrets_by_scope, list_compliant=True, exceptions=(), today=None):
    """Evaluate the validated ``rules`` and ``exceptions`` against the secrets read for ``scopes``.

    ``secrets_by_scope`` maps a scope key (project id, or ``None`` for personal) to the secret
    records of that scope, or to the :class:`NeoError` reading them raised. A scope missing
    from it, or whose list holds a record without a string ``id`` and ``name``, or in
    ``scopes.failed``, fails whole: a partial list is never used. Anything but exactly the desired
    boolean is ``drifted``. A secret that a ``created_by`` rule examines without a boolean
    ``created_by_agent`` is ``failed`` (``after`` None), never guessed.
    """
    today = today or utc_today()
    index = _ExceptionIndex(exceptions, scopes, today)
    decided_counts = [0] * len(rules)
    entries = []
    unlisted = 0
    for scope_key in scopes.planned:
        covering = [rule for rule in rules if scopes.covers(rule, scope_key)]
        decide = decider(covering) if covering else None
        project_name = None if scope_key is None else scopes.project_names.get(scope_key)
        scope_entries, scope_unlisted = _scope_entries(
            scope_key, project_name, secrets_by_scope.get(scope_key), decide, index, list_compliant, decided_counts, scopes.failed.get(scope_key))
        entries.extend(scope_entries)
        unlisted += scope_unlisted
    return Plan(entries=tuple(entries), projects_count=len(scopes.project_ids), scopes=scopes, compliant_unlisted=unlisted,
                rule_decided=tuple(decided_counts), exception_matched=tuple(index.matched),
                rule_status=tuple(_rule_status(rule, rules, scopes, secrets_by_scope, index, decided_counts[rule.index]) for rule in rules))


_GLOB_SYNTAX = frozenset("*?[")


def _covers_glob(outer, pattern, exclude):
    """Whether every name the glob ``pattern`` matches is matched by the glob ``outer`` and by none of ``exclude``.

    Sound, not complete (a False may be wrong, a True never is): a literal name is tested; a glob is
    covered by ``*``, by itself, or by ``<literal prefix>*`` when it starts with that prefix.
    """
    if not _GLOB_SYNTAX & set(pattern):
        return fnmatch.fnmatchcase(pattern, outer) and not any(fnmatch.fnmatchcase(pattern, excluded) for excluded in exclude)
    if exclude:
        return False
    return outer == pattern or (outer.endswith("*") and not _GLOB_SYNTAX & set(outer[:-1]) and pattern.startswith(outer[:-1]))


def _first_decider(rule, pattern, scope_key, rules, scopes, exceptions):
    """The label of what decides, before ``rule``, every secret of ``scope_key`` that ``pattern`` can match; None when nothing does.

    An exception in force decides a literal name of its scope first; else an earlier rule covering
    the scope, selecting at least the creators ``rule`` selects, whose globs cover ``pattern``.
    """
    exception = exceptions.by_scope_name.get((scope_key, pattern))
    if exception is not None:
        return "exceptions[%d]" % exception.index
    for earlier in rules[:rule.index]:
        if (scopes.covers(earlier, scope_key) and earlier.created_by in ("any", rule.created_by)
                and any(_covers_glob(outer, pattern, earlier.exclude) for outer in earlier.match)):
            return "rules[%d]" % earlier.index
    return None


def _labels(found):
    """``rules[i]`` labels first, then ``exceptions[j]``, each by index."""
    return tuple(sorted(found, key=lambda label: (label.startswith("exceptions"), int(label[label.index("[") + 1:-1]))))


def _never_decides(rule, rules, scopes, exceptions):
    """``(status, shadowed_by)`` when ``rule`` can decide no secret of the projects the caller sees now, else None."""
    covered = ([None] if rule.personal else []) + [key for key in scopes.project_ids if key in scopes.rule_projects[rule.index]]
    if not covered:
        # "*" in an organisation without projects is waiting for them; a project whose tags could not be read fails on its own.
        if (rule.projects != ALL_PROJECTS or scopes.project_names) and not (rule.project_tags and scopes.failed):
            return RULE_COVERS_NO_PROJECT, ()
        return None
    found = set()
    for scope_key in covered:
        for pattern in rule.match:
            label = _first_decider(rule, pattern, scope_key, rules, scopes, exceptions)
            if label is None:
                return None
            found.add(label)
    return RULE_ALWAYS_SHADOWED, _labels(found)


def _shadowed_this_run(rule, rules, scopes, secrets_by_scope, exceptions):
    """Labels of what decided the secrets ``rule`` selects in the scopes read (it decided none of them)."""
    selects = decider([rule])
    found = set()
    for scope_key in scopes.keys:
        records = secrets_by_scope.get(scope_key)
        if not scopes.covers(rule, scope_key) or _scope_failure(records) is not None:
            continue
        earlier = decider([other for other in rules[:rule.index] if scopes.covers(other, scope_key)])
        for record in records:
            try:
                if selects(record) is None:
                    continue
                exception = exceptions.lookup(scope_key, record)
                deciding = earlier(record) if exception is None else None
            except UndecidableRecord:
                continue  # that secret is a failed entry of its own
            if exception is not None:
                found.add("exceptions[%d]" % exception.index)
            elif deciding is not None:
                found.add("rules[%d]" % deciding.index)
    return _labels(found)


def _rule_status(rule, rules, scopes, secrets_by_scope, exceptions, decided):
    """``(status, shadowed_by)`` of one rule after a run (see ``RULE_*``)."""
    if decided:
        return RULE_DECIDED, ()
    never = _never_decides(rule, rules, scopes, exceptions)
    if never is not None:
        return never
    shadowed_by = _shadowed_this_run(rule, rules, scopes, secrets_by_scope, exceptions)
    return (RULE_SHADOWED_THIS_RUN if shadowed_by else RULE_NOTHING_MATCHED), shadowed_by


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def rules_report(rules, plan):
    """Each rule with how many secrets it decided (what ``summary.rules`` and the reports show), its ``status``
    (a ``RULE_*`` value) and ``shadowed_by``: the labels of what decides its secrets first."""
    report = []
    for rule in rules:
        decided = plan.rule_decided[rule.index]
        status, shadowed_by = plan.rule_status[rule.index] if plan.rule_status else (RULE_DECIDED if decided else RULE_NOTHING_MATCHED, ())
        report.append({"index": rule.index, "name": rule.name, "default_available": rule.default_available, "decided": decided,
                       "status": status, "shadowed_by": list(shadowed_by)})
    return report


def and_list(labels):
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join(filter(None, (", ".join(labels[:-1]), labels[-1]))) if labels else ""


def rule_never_decides(rule):
    """Why a rule of :func:`rules_report` can never decide (``never decides: ...``), or None when it can."""
    if rule.get("status") == RULE_COVERS_NO_PROJECT:
        return "never decides: it covers no project the caller can see (its projects, exclude_projects and project_tags leave none)"
    if rule.get("status") == RULE_ALWAYS_SHADOWED:
        return "never decides: every secret it can match is decided first by %s" % and_list(rule["shadowed_by"])
    return None


def exceptions_report(exceptions, plan, today=None, warn_days=EXPIRING_SOON_DAYS):
    """Each exception with its status (in force, expired, unmatched), days left and matches, in input order.

    ``expiring_soon``: not expired, and ends within ``warn_days`` days (``exceptions_warn_days``).
    """
    today = today or utc_today()
    report = []
    for exception in exceptions:
        status = exception.status(today)
        matched = plan.exception_matched[exception.index]
        if status == EXCEPTION_IN_FORCE and not matched:
            status = EXCEPTION_UNMATCHED
        report.append({
            "index": exception.index, "secret_id": exception.secret_id, "name": exception.name, "project": exception.project,
            "personal": exception.personal, "default_available": exception.default_available, "reason": exception.reason,
            "expires": exception.expires.isoformat(), "owner": exception.owner, "status": status,
            "days_left": (exception.expires - today).days, "matched": matched,
            "expiring_soon": status != EXCEPTION_EXPIRED and (exception.expires - today).days <= warn_days,
        })
    return report


def exceptions_summary(report):
    statuses = [exception["status"] for exception in report]
    return {status: statuses.count(status) for status in (EXCEPTION_IN_FORCE, EXCEPTION_EXPIRED, EXCEPTION_UNMATCHED)}


def policy_warnings(rules_status, exceptions_status):
    """Warnings for rules that can never decide, and for expired or unmatched exceptions (naming the options by their path).

    A rule that found nothing to decide this run is not warned about: its status says so in the summary and the reports.
    """
    warnings = ["rule %r (rules[%d]) %s" % (rule["name"], rule["index"], rule_never_decides(rule)) for rule in rules_status if rule_never_decides(rule)]
    for exception in exceptions_status:
        what = exception["secret_id"] or exception["name"]
        if exception["status"] == EXCEPTION_EXPIRED:
            warnings.append("exception for %s (exceptions[%d]) expired on %s and is ignored: the rules decide again"
                            % (what, exception["index"], exception["expires"]))
        elif exception["status"] == EXCEPTION_UNMATCHED:
            warnings.append("exception for %s (exceptions[%d]) matches no secret in the scopes read" % (what, exception["index"]))
    return warnings


def apply_results(plan, outcomes, check_mode=False):
    """Final entries after the writes of ``plan.changes``: every planned write is accounted for.

    ``outcomes`` maps a secret id to the secret record the API answered with, or the
    :class:`NeoError` its write raised. Only a record showing ``after`` is ``changed``: no
    outcome means the write was never started (``not_attempted``). Drifted entries are copied,
    so the plan stays as it was.
    """
    if check_mode:
        return list(plan.entries)
    outcomes = outcomes or {}
    result = []
    for entry in plan.entries:
        if entry["status"] == STATUS_DRIFTED:
            entry = dict(entry)
            outcome = outcomes.get(entry["secret_id"])
            if isinstance(outcome, NeoError):
                entry.update(status=_failed_status(outcome), error=str(outcome) or "update failed")
            elif not isinstance(outcome, dict):
                entry.update(status=STATUS_NOT_ATTEMPTED, error="no update was sent for this secret")
            elif outcome.get("default_available") is not entry["after"]:
                entry.update(status=STATUS_FAILED, error="the API response shows default_available=%s after the update, expected %s"
                             % (flag_text(outcome.get("default_available")), flag_text(entry["after"])))
            else:
                entry["status"] = STATUS_CHANGED
        result.append(entry)
    return result


def summarize(entries, projects_count, compliant_unlisted=0, rules=None, exceptions=None):
    """Counts for the role's report.

    - ``projects``: ``projects_count``, the number of project scopes the policy covers (read or not);
    - ``checked``: secret entries (``secret_id`` not None), i.e. every entry except scope entries,
      plus the ``compliant_unlisted`` secrets (compliant, without an entry);
    - ``compliant``: secrets whose flag already equals the policy (``compliant_unlisted`` included);
    - ``drifted``: secrets whose flag differed from the policy when read, whatever happened next
      (status ``drifted``, ``changed``, ``failed`` or ``not_attempted``); so ``checked == compliant + drifted``
      plus the secrets no rule could decide (``failed`` with ``after`` None: they did not drift, nor comply);
    - ``changed``: secrets updated successfully;
    - ``failed``: secrets whose update failed or that could not be decided, plus scopes that could not be read;
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
        elif entry["after"] is not None:
            counts["drifted"] += 1
            if status == STATUS_CHANGED:
                counts["changed"] += 1
    if rules is not None:
        counts["rules"] = [{"index": rule["index"], "name": rule["name"], "decided": rule["decided"]} for rule in rules]
    if exceptions is not None:
        counts["exceptions"] = exceptions
    return counts


def failure_reason(entries):
    """One line saying what failed or was not attempted (None when everything was done).

    For example ``1 scope could not be read and 2 secrets could not be updated; 3 reads or
    updates not attempted: the API rejected the credentials ...; see entries``.
    """
    scopes_failed = secrets_failed = undecided = skipped = 0
    reason = None
    for entry in entries:
        if entry["status"] == STATUS_FAILED:
            if entry["secret_id"] is None:
                scopes_failed += 1
            elif entry["after"] is None:
                undecided += 1
            else:
                secrets_failed += 1
        elif entry["status"] == STATUS_NOT_ATTEMPTED:
            skipped += 1
            if skipped == 1:
                # Not attempted has one cause in practice (the credentials were rejected): say it once.
                reason = entry["error"]
    failed = []
    if scopes_failed:
        failed.append("%s could not be read" % plural(scopes_failed, "scope"))
    if undecided:
        failed.append("%s could not be decided" % plural(undecided, "secret"))
    if secrets_failed:
        failed.append("%s could not be updated" % plural(secrets_failed, "secret"))
    parts = [" and ".join(failed)] if failed else []
    if skipped:
        parts.append("%s not attempted: %s" % (plural(skipped, "read or update", "reads or updates"), reason))
    return "; ".join(parts) + "; see entries" if parts else None


def flag_text(value):
    """How tables, diffs and reports show a ``default_available`` value."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "unset" if value is None else "invalid"
