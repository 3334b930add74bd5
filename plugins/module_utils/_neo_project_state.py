# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""One project as code: input rules, find, compare, create or update (plain Python over a ``NeoClient``).

The project is found in the caller's project list (``ProjectDirectory``, the one place for
project lookups): by id, else by exact unique name. Absent, it is created through the one create
path (``_neo_create``) with one POST (with the id when given, so that a re-run never makes a
second project; a 409 means it exists: it is read and updated). Present, one PATCH sends only
the given fields that differ; tags compare as a set. The same decision serves check mode, which
sends no write. Nothing here imports Ansible.
"""
from __future__ import annotations

import unicodedata

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_create import create_once
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_NOT_ATTEMPTED,
    NeoApiError,
    NeoInputError,
    NeoNotFound,
    NeoPermissionError,
    NeoStateError,
    one_line,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import (
    ProjectDirectory,
    canonical_id,
    current_tags,
    naming_project,
    normalize_id,
    scope_label,
)

# The documented fields of a project record (openapi.yaml, schema Project): nothing else is returned.
PROJECT_RECORD_FIELDS = (
    "id", "name", "created_at", "updated_at", "owner_email", "member_count", "task_count", "settings_md",
    "shared_with_team", "shared_team_id", "tags", "is_owner", "issue_count", "issues_by_severity", "issues_by_status",
    "cap_percent_used", "cap_used_usd", "spending_cap_usd",
)
# The fields a task manages, in the order diffs show them.
MANAGED_FIELDS = ("name", "tags", "settings_md", "shared_with_team")
# What POST /api/v1/projects documents besides id; shared_with_team is only documented for PATCH.
CREATE_FIELDS = ("name", "tags", "settings_md")

NAME_MAX_LENGTH = 128
SETTINGS_MAX_LENGTH = 35000
MAX_TAGS = 20
TAG_MAX_LENGTH = 32
# What an ambiguous name asks for: the module's id option.
AMBIGUOUS_ADVICE = "give the id of the one to manage"


def public_project(record):
    """The allow-listed fields of an API project record; fields the API did not send are left out."""
    return {field: record[field] for field in PROJECT_RECORD_FIELDS if field in record}


# ---------------------------------------------------------------------- input


def normalize_tags(option, tags):
    """The tags trimmed and without duplicates (first kept), as the API stores them; None stays None (not managed).

    A tag the API would refuse or drop is a NeoInputError naming ``option[index]``.
    """
    if tags is None:
        return None
    kept = []
    for index, tag in enumerate(tags):
        where = "%s[%d]" % (option, index)
        if not isinstance(tag, str):
            raise NeoInputError("%s: must be a string" % where)
        text = tag.strip()
        if not text:
            raise NeoInputError("%s: is empty (after trimming blanks); a tag needs at least one character" % where)
        if len(text) > TAG_MAX_LENGTH:
            raise NeoInputError("%s: %r is %d characters long; a tag has at most %d" % (where, one_line(text, 60), len(text), TAG_MAX_LENGTH))
        if any(unicodedata.category(character) == "Cc" for character in text):
            raise NeoInputError("%s: %r holds a control character, which the API does not allow in a tag" % (where, one_line(text, 60)))
        if text not in kept:
            kept.append(text)
    if len(kept) > MAX_TAGS:
        raise NeoInputError("%s: %d distinct tags; a project has at most %d" % (option, len(kept), MAX_TAGS))
    return kept


def check_project_input(params):
    """Normalise and check the project options of ``params`` in place, before any request."""
    params["id"] = normalize_id("id", params.get("id"))
    name = params.get("name")
    if name is not None and not 1 <= len(name) <= NAME_MAX_LENGTH:
        raise NeoInputError("name: must be 1 to %d characters long (got %d)" % (NAME_MAX_LENGTH, len(name)))
    settings = params.get("settings_md")
    if settings is not None and len(settings) > SETTINGS_MAX_LENGTH:
        raise NeoInputError(
            "settings_md: %d characters; the Neo API keeps at most %d and cuts the rest off behind a marker, so the project would never match it: shorten it"
            % (len(settings), SETTINGS_MAX_LENGTH))
    params["tags"] = normalize_tags("tags", params.get("tags"))


def desired_fields(params):
    """The managed fields the task gives (None: not managed)."""
    return {field: params[field] for field in MANAGED_FIELDS if params.get(field) is not None}


# ---------------------------------------------------------------------- compare


def _same(record, field, wanted):
    if field == "tags":
        return current_tags(record) == frozenset(tag.strip() for tag in wanted)
    if field not in record:
        # A field the API did not send cannot be shown to match: it is sent.
        return False
    value = record[field]
    if field == "settings_md" and value is None:
        value = ""
    return value == wanted if not isinstance(wanted, bool) else value is wanted


def differences(record, desired):
    """{field: desired value} for each given field the record does not already have."""
    return {field: wanted for field, wanted in desired.items() if not _same(record, field, wanted)}


# ---------------------------------------------------------------------- diff


def _view(record, field):
    tags = current_tags(record) if field == "tags" else None
    return sorted(tags) if tags is not None else record.get(field)


def project_diff(header, before, after, fields):
    """The ``diff`` of a result: ``fields`` side by side (and the id and name of a new project: ``before`` None), settings_md as a line diff."""
    diffs = []
    plain = [field for field in fields if field != "settings_md"]
    if before is None:
        shown = ["id"] + [field for field in ("name",) if field not in plain] + plain
        diffs.append({"before_header": header, "after_header": header, "before": {},
                      "after": {field: _view(after, field) for field in shown}})
    elif plain:
        diffs.append({"before_header": header, "after_header": header,
                      "before": {field: _view(before, field) for field in plain},
                      "after": {field: _view(after, field) for field in plain}})
    if "settings_md" in fields:
        old = "" if before is None else before.get("settings_md") or ""
        diffs.append({"before_header": "%s settings_md" % header, "after_header": "%s settings_md" % header,
                      "before": old, "after": after.get("settings_md") or ""})
    return diffs


# ---------------------------------------------------------------------- writes


class Outcome:  # pylint: disable=too-few-public-methods
    """What ensure_project did (or, in check mode, would do): ``before`` None for a new project, ``fields`` written (or to write)."""

    def __init__(self, before, after, created, fields):
        self.before, self.after, self.created, self.fields = before, after, created, fields
        self.changed = created or bool(fields)


def _not_owner(record, err=None):
    """The one-line error of a change only the project's owner may make."""
    owner = record.get("owner_email")
    owner = " (%s)" % one_line(owner, 120) if isinstance(owner, str) and owner else ""
    text = "%s: only its owner%s may change it, and the caller is not its owner" % (scope_label(canonical_id(record["id"]), record.get("name")), owner)
    if err is None:
        return NeoPermissionError(text + "; the project record says is_owner false, so the PATCH a real run sends would be refused")
    return NeoPermissionError("%s; the API refused the PATCH: %s" % (text, err))


def update_project(client, record, changes):
    """One PATCH of ``changes``; the answer must show them, else NeoStateError. Returns the new record."""
    project_id = canonical_id(record["id"])
    try:
        after = client.update_project(project_id, changes)
    except NeoApiError as err:
        if err.status == 403 and err.reason != REASON_NOT_ATTEMPTED and record.get("is_owner") is not True:
            raise _not_owner(record, err) from None
        raise naming_project(err, project_id, scope_label(project_id, record.get("name"))) from None
    wrong = differences(after, changes)
    if wrong:
        raise NeoStateError("%s: the API answered the PATCH with %s, not what was sent" % (
            scope_label(canonical_id(after["id"]), after.get("name")),
            "; ".join("%s %s" % (field, one_line(repr(_view(after, field)), 120)) for field in sorted(wrong))))
    return after


def _check_created(record, project_id, name, known):
    """The POST's answer, when it is the project asked for: the id sent (or, without one, none of the
    ``known`` ids listed before the POST) and the name; else NeoStateError naming both ids."""
    answered = canonical_id(record["id"])
    asked = scope_label(project_id, name)
    if project_id is not None and answered != project_id and answered not in known:
        raise NeoStateError("the API did not keep the id asked for: it answered the POST of %s with a new project %s, so a re-run would create "
                            "duplicates; nothing more is written to either" % (asked, one_line(answered, 80)))
    if answered in known:
        raise NeoStateError("the API answered the POST of %s with the record of another existing project, %s; nothing more is written to either"
                            % (asked, scope_label(one_line(answered, 80), record.get("name"))))
    if name is not None and record.get("name") != name:
        raise NeoStateError("the API answered the POST of %s with project %s named %r, not %r; nothing more is written to it"
                            % (asked, one_line(answered, 80), one_line(record.get("name"), 130), name))
    return record


def create_project(client, project_id, name, desired, known=()):
    """POST the project through the one create path: ``(record, created)``, never a second project.

    With an id, a 409 means the project exists: it is read from the list (created False), or is an error when the caller cannot see it.
    ``known``: the ids listed before the POST; an answer with one of them is another project's record.
    """
    payload = {} if project_id is None else {"id": project_id}
    payload.update((field, desired[field]) for field in CREATE_FIELDS if field in desired)
    if name is not None:
        payload["name"] = name
    known = frozenset(known)
    try:
        return create_once(lambda: _check_created(client.create_project(payload), project_id, name, known),
                           lambda: ProjectDirectory(client.list_projects()).lookup(project_id, name, "name", AMBIGUOUS_ADVICE),
                           scope_label(project_id, name))
    except NeoApiError as err:
        if err.status == 409 and project_id is not None:
            raise NeoNotFound("project %s exists (the API answered the POST with 409: %s) but is not among the projects the caller can see; "
                              "ask its owner to share it, or choose another id" % (project_id, err)) from None
        raise


def predicted_record(project_id, name, desired):
    """The record a creation would give, for check mode (no id yet unless one is given)."""
    return {"id": project_id, "name": name if name is not None else "", "tags": list(desired.get("tags") or []),
            "settings_md": desired.get("settings_md", ""), "shared_with_team": desired.get("shared_with_team", False), "is_owner": True}


def ensure_project(client, project_id, name, desired, check_mode, warn=None):
    """Find, decide and (in real mode) write; returns an ``Outcome``.

    One project list is read. Absent: one POST (check mode: none), then one PATCH only for
    what the POST could not carry (``shared_with_team``) or did not take. Present: one PATCH
    with the differing fields, or no request at all.
    """
    directory = ProjectDirectory(client.list_projects())
    record = directory.lookup(project_id, name, "name", AMBIGUOUS_ADVICE)
    if record is None:
        same_name = directory.named(name) if project_id is not None and name is not None else []
        if same_name and warn is not None:
            warn("no project has id %s, so it is created, although %s already named %r (%s): project names need not be unique"
                 % (project_id, "projects are" if len(same_name) > 1 else "a project is", name, ", ".join(same_name)))
        fields = sorted(desired, key=MANAGED_FIELDS.index)
        if check_mode:
            return Outcome(None, predicted_record(project_id, name, desired), True, fields)
        record, created = create_project(client, project_id, name, desired, directory.ids)
        if created:
            rest = differences(record, desired)
            return Outcome(None, update_project(client, record, rest) if rest else record, True, fields)
        # It existed after all (409): continue as for a listed project.
    changes = differences(record, desired)
    fields = sorted(changes, key=MANAGED_FIELDS.index)
    if not changes:
        return Outcome(record, record, False, fields)
    if check_mode:
        if record.get("is_owner") is False:
            raise _not_owner(record)
        return Outcome(record, dict(record, **changes), False, fields)
    return Outcome(record, update_project(client, record, changes), False, fields)
