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

import dataclasses
import datetime
import fnmatch
import operator
import re

from ansible.module_utils.errors import UnsupportedError

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import validate_arguments
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import REASON_NOT_ATTEMPTED, NeoError, NeoInputError, PolicyError, plural
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ALL_PROJECTS, normalize_id
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
}
EXCEPTION_IN_FORCE = "in_force"
EXCEPTION_EXPIRED = "expired"
EXCEPTION_UNMATCHED = "unmatched"
#: An exception in force that ends within this many days is listed first and flagged.
EXPIRING_SOON_DAYS = 14
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
    not be read is one ``failed`` (or ``not_attempted``) entry with ``secret_id`` None.
    ``projects_count``: number of project scopes the policy covers (read or failed).
    ``compliant_unlisted``: compliant secrets left out of ``entries`` (``build_plan(list_compliant=False)``).
    ``rule_decided``: per rule (by index) how many secrets it decided.
    ``exception_matched``: per exception (by index) how many secrets it decided (0 when expired).
    """

    entries: tuple
    projects_count: int
    scopes: Scopes = dataclasses.field(compare=False, hash=False)
    compliant_unlisted: int = 0
    rule_decided: tuple = ()
    exception_matched: tuple = ()

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


def _strings(values, where, what, errors):
    """``values`` (a list, or None) as a tuple of its strings without duplicates (first kept); anything but a non-empty string is an error."""
    strings = []
    for item, value in enumerate(values or ()):
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


def _compile_rule(index, raw, errors):
    where = "rules[%d]" % index
    name = "rule %d" % (index + 1) if raw["name"] is None else raw["name"].strip()
    if not name:
        errors.append("%s.name: must be a non-empty string" % where)
    if not raw["match"]:
        errors.append("%s.match: must be a non-empty list of name patterns" % where)
    globs = {}
    for option in ("match", "exclude"):
        globs[option] = _strings(raw[option], "%s.%s" % (where, option), "a name pattern", errors)
        errors.extend(filter(None, (_glob_error(pattern, "%s.%s[%d]" % (where, option, item)) for item, pattern in enumerate(raw[option] or ()))))
    projects = raw["projects"]
    if projects is None or projects == ALL_PROJECTS:
        projects = ALL_PROJECTS
    elif isinstance(projects, (list, tuple)):
        projects = _strings(projects, where + ".projects", "a project id or name", errors)
        if not projects and not raw["personal"]:
            errors.append("%s.projects: an empty list with personal false covers no secret; list projects, use '*' or set personal to true" % where)
    else:
        errors.append("%s.projects: must be '*' or a list of project ids or names, got %s"
                      % (where, repr(projects) if isinstance(projects, str) else type(projects).__name__))
    return Rule(index=index, name=name, match=globs["match"], exclude=globs["exclude"], projects=projects,
                exclude_projects=_strings(raw["exclude_projects"], where + ".exclude_projects", "a project id or name", errors),
                project_tags=tuple(tag.strip() for tag in _strings(raw["project_tags"], where + ".project_tags", "a tag", errors)),
                personal=raw["personal"], created_by=raw["created_by"], default_available=raw["default_available"])


def _date(value, where, errors):
    text = value.strip()
    if _DATE.match(text):
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass
    errors.append("%s: must be a date YYYY-MM-DD, got %r" % (where, value))
    return None


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


def compile_policy(rules, exceptions):
    """``(rules, exceptions)`` as :class:`Rule` and :class:`PolicyException` lists (index = position).

    Takes what :data:`POLICY_ARGSPEC` validated (every sub-option present, of its type) and makes
    the checks no spec can express: globs that can never match a secret name, the projects of a
    rule, the target of an exception, dates. Raises one :class:`PolicyError` naming every problem
    by its path (``rules[0].match[1]``). ``None`` means none.
    """
    errors = []
    compiled = ([_compile_rule(index, raw, errors) for index, raw in enumerate(rules or ())],
                [_compile_exception(index, raw, errors) for index, raw in enumerate(exceptions or ())])
    if errors:
        raise PolicyError("; ".join(errors))
    return compiled


def policy_from_args(args):
    """``(rules, exceptions)`` from ``{"rules": ..., "exceptions": ...}`` as a user wrote them, validated as ``neo_secret_policy`` does.

    Raises one :class:`PolicyError` naming every problem. An option given as null counts as not given, as in the module.
    """
    validation, errors = validate_arguments(POLICY_ARGSPEC, args)
    if errors:
        raise PolicyError("; ".join(("unsupported parameters: %s" % error.error_message if isinstance(error, UnsupportedError)
                                     else getattr(error, "error_message", error)) for error in errors))
    params = validation.validated_parameters
    return compile_policy(params["rules"], params["exceptions"])


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
            ids = directory.resolve_all(rule.projects, "%s[%d].projects" % (option, rule.index))
            explicit.extend(project_id for project_id in ids if project_id not in explicit)
        excluded = set(directory.resolve_all(rule.exclude_projects, "%s[%d].exclude_projects" % (option, rule.index)))
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
            project_id = directory.resolve(exception.project, "%s[%d].project" % (exceptions_option, exception.index))
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


def _decider(rules):
    """A function from a secret record to the rule that decides it (the first that selects it), or None."""
    compiled = [(rule, _compile(rule.match).match, _compile(rule.exclude).match if rule.exclude else None) for rule in rules]

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

    def find(self, scope_key, record):
        by_id = self.by_id.get(record["id"].lower())
        by_name = self.by_scope_name.get((scope_key, record["name"]))
        # The first exception in list order wins, whichever way it names the secret.
        exception = by_id if by_name is None or (by_id is not None and by_id.index < by_name.index) else by_name
        if exception is not None:
            self.matched[exception.index] += 1
        return exception


def _scope_entries(scope_key, project_name, records, decide, exceptions, list_compliant, decided_counts):
    """The entries of one scope (sorted by secret name, then id) and how many compliant secrets were left out.

    The client never returns a list with an id twice (docs/guarantees.md), so each record is one secret.
    """
    failure = _scope_failure(records)
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
            rule = decide(record) if decide is not None else None
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
    from it, or whose list holds a record without a string ``id`` and ``name``, fails whole: a
    partial list is never used. Anything but exactly the desired boolean is ``drifted``.
    """
    today = today or utc_today()
    index = _ExceptionIndex(exceptions, scopes, today)
    decided_counts = [0] * len(rules)
    entries = []
    unlisted = 0
    for scope_key in scopes.keys:
        covering = [rule for rule in rules if scopes.covers(rule, scope_key)]
        decide = _decider(covering) if covering else None
        project_name = None if scope_key is None else scopes.project_names.get(scope_key)
        scope_entries, scope_unlisted = _scope_entries(
            scope_key, project_name, secrets_by_scope.get(scope_key), decide, index, list_compliant, decided_counts)
        entries.extend(scope_entries)
        unlisted += scope_unlisted
    return Plan(entries=tuple(entries), projects_count=len(scopes.project_ids), scopes=scopes, compliant_unlisted=unlisted,
                rule_decided=tuple(decided_counts), exception_matched=tuple(index.matched))


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
        matched = plan.exception_matched[exception.index]
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
    statuses = [exception["status"] for exception in report]
    return {status: statuses.count(status) for status in (EXCEPTION_IN_FORCE, EXCEPTION_EXPIRED, EXCEPTION_UNMATCHED)}


def policy_warnings(rules_status, exceptions_status):
    """Warnings for rules that decided nothing, and for expired or unmatched exceptions (naming the options by their path)."""
    warnings = ["rule %r (rules[%d]) decided no secret: it is shadowed by an earlier rule, or its globs or projects match nothing"
                % (rule["name"], rule["index"]) for rule in rules_status if not rule["decided"]]
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


def failure_reason(entries):
    """One line saying what failed or was not attempted (None when everything was done).

    For example ``1 scope could not be read and 2 secrets could not be updated; 3 reads or
    updates not attempted: the API rejected the credentials ...; see entries``.
    """
    scopes_failed = secrets_failed = skipped = 0
    reason = None
    for entry in entries:
        if entry["status"] == STATUS_FAILED:
            if entry["secret_id"] is None:
                scopes_failed += 1
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
