# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""Ids and project references, resolved the same way by every module (plain Python).

A project is named by its id or by its (unique) name, or ``*`` for every project the caller
can list. Ids are UUIDs, compared in lower case: every id the user gives is normalised once,
at input, by :func:`normalize_id`. :class:`ProjectDirectory` is the one place that turns a
reference into a project and says "ambiguous" or "not found"; :func:`scope_label` is the one way
a message names a scope.
"""
from __future__ import annotations

import uuid

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_INVALID_RECORD,
    NeoAmbiguousError,
    NeoApiError,
    NeoInputError,
    NeoNotFound,
    one_line,
)

ALL_PROJECTS = "*"


def is_uuid(text):
    try:
        uuid.UUID(str(text))
    except ValueError:
        return False
    return True


def normalize_id(option, text):
    """``text`` as a lower-case UUID string (None stays None); NeoInputError naming ``option`` otherwise."""
    if text is None:
        return None
    if not isinstance(text, str) or not is_uuid(text) or text != text.strip():
        raise NeoInputError("%s: %r is not a UUID" % (option, text))
    return str(uuid.UUID(text))


def normalize_ref(option, ref):
    """A project option (an id or a name) checked before any request: an id is normalised."""
    if ref is None:
        return None
    if not ref:
        raise NeoInputError("%s: must be a project id or name, not empty" % option)
    return normalize_id(option, ref) if is_uuid(ref) else ref


def canonical_id(text):
    """An API id in the form :func:`normalize_id` gives user input, so that the two compare equal."""
    return text.lower() if isinstance(text, str) else text


def scope_label(project_id, project_name=None):
    """How messages name a scope: ``the personal scope``, ``project <id> (<name>)``, or ``project '<name>'`` (no id yet)."""
    if project_id is None:
        return "project %r" % one_line(project_name, 80) if project_name else "the personal scope"
    if project_name:
        return "project %s (%s)" % (project_id, one_line(project_name, 80))
    return "project %s" % project_id


def current_tags(record):
    """The tags of a project record as a set of trimmed strings: empty for null, None when the record
    carries no tags or tags that are not a list of strings (they match no wanted tags, and are never guessed)."""
    tags = record.get("tags", ())
    if not isinstance(tags, list):
        return frozenset() if tags is None else None
    if not all(isinstance(tag, str) for tag in tags):
        return None
    return frozenset(tag.strip() for tag in tags)


_JSON_KINDS = {str: "a string", dict: "an object", list: "a list", bool: "a boolean", int: "a number", float: "a number", type(None): "null"}


def json_kind(value):
    """What a JSON value of the API is, in words (``a string``, ``an object`` ...), without showing it."""
    return _JSON_KINDS.get(type(value), "an object")


def _shape(tags):
    """What tags that are not a list of strings are, in words, without showing them (API text may hold anything)."""
    if isinstance(tags, list):
        return "a list holding %s" % next(json_kind(tag) for tag in tags if not isinstance(tag, str))
    return json_kind(tags)


def naming_project(err, project_id, label):
    """``err`` as a new NeoApiError whose message names the project as ``label`` (its bare id replaced, else in front)."""
    bare = "project %s" % project_id
    message = err.message.replace(bare, label, 1) if bare in err.message else "%s: %s" % (label, err.message)
    return NeoApiError(message, status=err.status, code=err.code, error_id=err.error_id, reason=err.reason)


class ProjectDirectory:
    """The caller's projects as listed once: ids in list order, names, and reference resolution."""

    def __init__(self, projects):
        self.ids = []
        self.names = {}
        self._records = {}
        self._by_name = {}
        for position, project in enumerate(projects or ()):
            project_id = project.get("id") if isinstance(project, dict) else None
            if not isinstance(project_id, str) or not project_id:
                raise ValueError("projects[%d]: a project record needs a non-empty string id" % position)
            project_id = canonical_id(project_id)
            if project_id in self.names:
                continue
            name = project.get("name") if isinstance(project.get("name"), str) else None
            self.ids.append(project_id)
            self.names[project_id] = name
            self._records[project_id] = project
            if name is not None:
                self._by_name.setdefault(name, []).append(project_id)

    def __contains__(self, project_id):
        return project_id in self.names

    def name(self, project_id):
        return self.names.get(project_id)

    def tags(self, project_id):
        """The tags of a listed project (empty when it has none or is not listed).

        NeoApiError naming the project when the API sent tags that are not a list of strings: which
        ``project_tags`` rule covers it cannot be decided, and a guess would drop it silently.
        """
        record = self._records.get(project_id, {})
        tags = current_tags(record)
        if tags is None and record.get("tags") is not None:
            raise NeoApiError("%s: the API sent tags that are %s, not a list of strings: project_tags cannot be decided for it"
                              % (self.label(project_id), _shape(record["tags"])), reason=REASON_INVALID_RECORD)
        return tags or frozenset()

    def label(self, project_id):
        return scope_label(project_id, self.name(project_id))

    def named(self, name):
        """Ids of the listed projects called ``name`` (names are free text: none, one or several)."""
        return list(self._by_name.get(name, ()))

    def find(self, name, where, advice="use the project id instead"):
        """The id of the one listed project called ``name``, None when there is none; several are an error."""
        named = self._by_name.get(name, ())
        if len(named) > 1:
            raise NeoAmbiguousError("%s: project name %r matches %d projects (%s); %s" % (where, name, len(named), ", ".join(named), advice))
        return named[0] if named else None

    def lookup(self, project_id, name, where, advice="use the project id instead"):
        """The listed record with ``project_id`` (an id decides alone), else the one called ``name``; None when absent."""
        return self._records.get(self.find(name, where, advice) if project_id is None else project_id)

    def resolve(self, ref, where, missing_ok=False):
        """The project id ``ref`` names; ``where`` (the option path) starts any error message.

        An id (any case) is that id, listed or not: a project the caller may read but not list
        is read directly, and a failed read is reported for that project alone. Otherwise
        ``ref`` must be the name of exactly one listed project: a name that matches several
        projects, or none (None instead when ``missing_ok``), is an error before any write (a
        typo must not half-apply anything).
        """
        if is_uuid(ref):
            return normalize_id(where, ref)
        project_id = self.find(ref, where)
        if project_id is None and not missing_ok:
            raise NeoNotFound("%s: no project named %r among the %d projects the caller can see (give its id, or check the name)"
                              % (where, ref, len(self.ids)))
        return project_id

    def resolve_all(self, refs, where):
        """Ids of ``refs`` (a list, or ``*`` for every listed project), in order, without duplicates."""
        if refs == ALL_PROJECTS:
            return list(self.ids)
        return list(dict.fromkeys(self.resolve(ref, "%s[%d]" % (where, item)) for item, ref in enumerate(refs or ())))


def resolve_ref(client, ref, where, missing_ok=False):
    """The project id ``ref`` names (see :meth:`ProjectDirectory.resolve`); the project list is read for a name only."""
    return ProjectDirectory(() if is_uuid(ref) else client.list_projects()).resolve(ref, where, missing_ok)
