# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""Find a secret, decide, create it once or set its ``default_available`` flag; the secret-name rule.

Plain Python over a ``NeoClient``: no Ansible imports, so it is unit-testable on its own and
shared by the ``neo_secret`` and ``neo_secrets`` action plugins (one secret is a list of one).
"""
from __future__ import annotations

import re

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_create import create_once, unconfirmed
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_NOT_ATTEMPTED,
    NeoAmbiguousError,
    NeoApiError,
    NeoError,
    NeoInputError,
    NeoNotFound,
    NeoStateError,
    one_line,
    plural,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ProjectDirectory, canonical_id, naming_project, scope_label

SECRET_NAME_MAX_LENGTH = 128
# The one secret-name rule (every module, the roles through the secret_name test, the event source): use it with fullmatch,
# since "$" would also match before a final newline.
SECRET_NAME_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{0,%d}" % (SECRET_NAME_MAX_LENGTH - 1))
SECRET_VALUE_MAX_LENGTH = 10000

# The only fields of a secret record that ever leave this collection (never a value).
SECRET_RECORD_FIELDS = ("id", "name", "project_id", "default_available", "masked_value", "created_at", "updated_at", "created_by_agent")
# What a diff shows: enough to identify the secret, and the flag.
SECRET_DIFF_FIELDS = ("id", "name", "project_id", "default_available")
_SCALARS = (str, bool, int, float, type(None))


def is_secret_name(text):
    return isinstance(text, str) and SECRET_NAME_PATTERN.fullmatch(text) is not None


def check_secret_name(option, name):
    if name is not None and not is_secret_name(name):
        raise NeoInputError(
            "%s: %r is not a valid secret name (1 to %d characters: an upper-case letter, then upper-case letters, digits or underscores)"
            % (option, name, SECRET_NAME_MAX_LENGTH))


def check_secret_value(option, value):
    """Check a value's length; the message never repeats the value."""
    if value is not None and not 1 <= len(value) <= SECRET_VALUE_MAX_LENGTH:
        raise NeoInputError("%s: must be 1 to %d characters long (got %d)" % (option, SECRET_VALUE_MAX_LENGTH, len(value)))


def public_record(record):
    """The allow-listed fields of an API secret record; a non-scalar field (a hostile API could nest anything) is left out."""
    return {field: record.get(field) for field in SECRET_RECORD_FIELDS
            if (field in record or field == "project_id") and isinstance(record.get(field), _SCALARS)}


def diff_view(record):
    return {field: record.get(field) for field in SECRET_DIFF_FIELDS}


def _pick(records, secret_id, name, where):
    """The record in one scope's list that has ``secret_id`` (or ``name``); None when absent."""
    if secret_id is not None:
        record = next((r for r in records if canonical_id(r.get("id")) == secret_id), None)
        if record is None and name is not None:
            # Never let a stale id hide the secret the name designates (and create a second one).
            same_name = [r["id"] for r in records if r.get("name") == name]
            if same_name:
                raise NeoInputError("id and name name different secrets: no secret has id %s in %s, but %s is id %s"
                                    % (secret_id, where, name, ", ".join(same_name)))
        if record is not None and name is not None and record.get("name") != name:
            raise NeoInputError("id and name name different secrets: id %s is %s in %s, not %s" % (secret_id, record.get("name"), where, name))
        return record
    matches = [r for r in records if r.get("name") == name]
    if len(matches) > 1:
        raise NeoAmbiguousError("%d secrets are named %s in %s (ids %s); give id instead" % (len(matches), name, where, ", ".join(r["id"] for r in matches)))
    return matches[0] if matches else None


def read_scope(client, project_id, project_name=None):
    """The secrets of one scope; an API error names the project (id and name) it concerns."""
    try:
        return client.list_secrets(project_id=project_id)
    except NeoApiError as err:
        if project_id is None:
            raise
        raise naming_project(err, project_id, scope_label(project_id, project_name)) from None


def find_secret(client, secret_id=None, name=None, project_id=None, warn=None):
    """``(record or None, labels of the scopes read)``, from whole scope lists: no single-secret GET is documented.

    By id without a scope, the personal list is searched first, then each visible project's list;
    projects the caller may see but not read (403) are skipped with a warning.
    """
    if project_id is not None or secret_id is None:
        where = scope_label(project_id)
        return _pick(read_scope(client, project_id), secret_id, name, where), [where]

    searched = [scope_label(None)]
    record = _pick(client.list_secrets(), secret_id, name, searched[0])
    if record is not None:
        return record, searched
    directory = ProjectDirectory(client.list_projects())
    for project_id in directory.ids:
        where = directory.label(project_id)
        try:
            records = client.list_secrets(project_id=project_id)
        except NeoApiError as err:
            if err.status not in (403, 404) or err.reason == REASON_NOT_ATTEMPTED:
                raise
            if warn is not None:
                warn("skipped %s: the caller may not read its secrets (%s)" % (where, err))
            continue
        searched.append(where)
        record = _pick(records, secret_id, name, where)
        if record is not None:
            return record, searched
    return None, searched


def describe_missing(secret_id, name, searched):
    what = "secret id %s" % secret_id if secret_id is not None else "secret named %s" % name
    more = " or in any of the %d readable projects" % (len(searched) - 1) if len(searched) > 1 else ""
    return "%s not found in %s%s" % (what, searched[0], more)


def create_secret(client, name, value, default_available, project_id):
    """Create one secret through the one create path; ``(record, created)``, created False when it existed (value not stored).

    The name is looked up before (by the caller) and after, because whether the API answers a
    duplicate with 409 or stores ``NAME_2`` is undocumented. The answer must show the name and
    the scope asked for: another scope fails, naming it, and nothing more is written. An answer
    without ``project_id`` (the docs allow that for a personal secret) is not taken for either
    scope: the scope asked for is read, as after any 2xx whose answer cannot be used.
    """
    where = scope_label(project_id)

    def post():
        record = client.create_secret(name, value, default_available=default_available, project_id=project_id)
        if record.get("name") != name:
            raise NeoStateError("the API stored the new secret as %s, not %s (id %s): another secret of that name appeared in %s meanwhile"
                                % (one_line(record.get("name"), 130), name, one_line(record.get("id"), 80), where))
        if "project_id" not in record:
            raise unconfirmed("the API answered the POST of secret %s (id %s) without its project_id" % (name, one_line(record.get("id"), 80)))
        answered = canonical_id(record["project_id"])
        if answered != project_id:
            reported = scope_label(one_line(answered, 80)) if answered is not None else scope_label(None)
            raise NeoStateError("the API answered the POST of secret %s for %s with a secret (id %s) in %s; nothing more is written to either scope"
                                % (name, where, one_line(record.get("id"), 80), reported))
        return record

    return create_once(post, lambda: _pick(read_scope(client, project_id), None, name, where), "secret %s in %s" % (name, where))


def set_default_available(client, record, desired, check_mode):
    """``(changed, record_after)``: one decision for check and real mode, so a check run predicts the real one.

    The API's answer to the PATCH must show the desired value: otherwise ``changed`` would be a lie.
    """
    if record["default_available"] is desired:
        return False, record
    if check_mode:
        return True, dict(record, default_available=desired)
    after = client.update_secret(record["id"], desired)
    if after.get("default_available") is not desired:
        raise NeoStateError(
            "the API answered the PATCH of secret %s with default_available=%s, not %s"
            % (record["id"], after.get("default_available"), desired))
    return True, after


def is_missing_project(err, check_mode):
    """Whether a failed read of a project's secrets means, in check mode, a project that does not exist yet."""
    return check_mode and isinstance(err, NeoApiError) and err.status == 404 and err.reason != REASON_NOT_ATTEMPTED


# ---------------------------------------------------------------------- many secrets of one scope

STATUS_CREATED = "created"
STATUS_CHANGED = "changed"
STATUS_UNCHANGED = "unchanged"
STATUS_FAILED = "failed"
# The fields of an entry of neo_secrets, in this order; never a value.
ENTRY_FIELDS = ("name", "id", "project_id", "status", "default_available", "before", "masked_value", "value_ignored", "error")


def ensure_secret(client, project_id, item, check_mode, matches, where):
    """One secret of one scope: ``(status, before, after)`` records (``before`` None for a creation).

    ``item``: ``name``, ``value`` (None: the secret must exist), ``default_available``; ``matches``: the
    scope's records of that name. A value is sent only to create a secret; the flag is then checked as after any write.
    """
    name, value, desired = item["name"], item.get("value"), item["default_available"]
    if len(matches) > 1:
        raise NeoAmbiguousError("%d secrets are named %s in %s (ids %s)" % (len(matches), name, where, ", ".join(r["id"] for r in matches)))
    before = matches[0] if matches else None
    if before is None:
        if value is None:
            raise NeoNotFound("not found in %s, and no value to create it with" % where)
        if check_mode:
            return STATUS_CREATED, None, {"id": None, "name": name, "project_id": project_id, "default_available": desired, "masked_value": None}
        before, created = create_secret(client, name, value, desired, project_id)
        if created:
            return STATUS_CREATED, None, set_default_available(client, before, desired, check_mode)[1]
    changed, after = set_default_available(client, before, desired, check_mode)
    return STATUS_CHANGED if changed else STATUS_UNCHANGED, before, after


def records_by_name(records):
    """The scope's records (None: a project that does not exist yet) grouped by name."""
    by_name = {}
    for record in records or ():
        by_name.setdefault(record.get("name"), []).append(record)
    return by_name


def ensure_secrets(client, project_id, items, check_mode, records):
    """One entry per item, each secret created or its flag set in turn; one that fails is a failed entry, the others go on.

    ``records``: the scope's list as read once, or None for a project that does not exist yet
    (check mode only). ``value_ignored``: a value was given for a secret that exists.
    """
    by_name = records_by_name(records)
    where = scope_label(project_id) if records is not None else "a project that does not exist yet"
    entries = []
    for item in items:
        entry = dict.fromkeys(ENTRY_FIELDS)
        entry.update(name=item["name"], project_id=project_id, default_available=item["default_available"], value_ignored=False)
        try:
            status, before, after = ensure_secret(client, project_id, item, check_mode, by_name.get(item["name"], []), where)
        except NeoError as err:
            entry.update(status=STATUS_FAILED, error=str(err))
        else:
            masked = after.get("masked_value")
            entry.update(status=status, id=after.get("id"), default_available=after.get("default_available"),
                         masked_value=masked if isinstance(masked, str) else None, before=None if before is None else before["default_available"],
                         value_ignored=before is not None and item.get("value") is not None)
        entries.append(entry)
    return entries


def summarize_secrets(entries):
    """Names by outcome: created, changed (flag set), unchanged, failed, and values_not_sent (the secret existed)."""
    summary = {status: [e["name"] for e in entries if e["status"] == status] for status in (STATUS_CREATED, STATUS_CHANGED, STATUS_UNCHANGED, STATUS_FAILED)}
    summary["values_not_sent"] = [e["name"] for e in entries if e["value_ignored"]]
    return summary


def failure_message(entries):
    """One line naming each failed secret with its reason (None when none failed)."""
    failed = [e for e in entries if e["status"] == STATUS_FAILED]
    reasons = "; ".join("%s: %s" % (e["name"], e["error"]) for e in failed)
    return "%s of %d could not be ensured: %s" % (plural(len(failed), "secret"), len(entries), reasons) if failed else None


def values_not_sent_warning(names):
    """The one warning for values given for secrets that exist (None when there is none): it names them all."""
    if not names:
        return None
    return "%s %s, so %s not compared or sent (the Neo API can neither read nor change a secret's value): %s" % (
        plural(len(names), "secret"), "exists" if len(names) == 1 else "exist", "its value was" if len(names) == 1 else "their values were",
        ", ".join(names))


def unmanaged_names(records, items):
    """The names of the scope's secrets that ``items`` does not list: sorted, each once, never anything but a name."""
    listed = {item["name"] for item in items}
    return sorted({record.get("name") for record in records or () if isinstance(record.get("name"), str)} - listed)


def unmanaged_message(names, where):
    """One line naming the secrets of ``where`` that the task does not list (the API's names, each kept to one short line)."""
    return "%s %s not in the list: %s" % (where, "holds 1 secret" if len(names) == 1 else "holds %d secrets" % len(names),
                                          ", ".join(one_line(name, 130) for name in names))


def listed_contradictions(items, by_name, decide):
    """``(name, listed flag, rule)`` for each listed secret whose flag differs from what ``decide`` (a policy decider) would set.

    A secret that does not exist yet is decided as the one this task creates, not an agent's.
    """
    found = []
    for item in items:
        matches = by_name.get(item["name"]) or [{"name": item["name"], "created_by_agent": False}]
        try:
            rule = decide(matches[0])
        except NeoError:
            continue  # a record no rule can decide (created_by_agent not a boolean): the policy reports it, this warning cannot
        if rule is not None and rule.default_available is not item["default_available"]:
            found.append((item["name"], item["default_available"], rule))
    return found


def contradictions_warning(found, option):
    """One line naming each listed secret and the rule (``option[index]``) it contradicts; the listed flag is applied."""
    return "%s contradict%s the rules, and the listed flag is applied: %s" % (
        plural(len(found), "listed secret"), "s" if len(found) == 1 else "", "; ".join(
            "%s is listed with default_available %s, but %s[%d] (%s) would set %s" % (
                name, str(listed).lower(), option, rule.index, rule.name, str(rule.default_available).lower()) for name, listed, rule in found))


def secrets_diff(entries, check_mode):
    """One line per secret that is (or would be) created or whose flag changes."""
    lines = []
    for entry in entries:
        if entry["status"] == STATUS_CREATED:
            verb = "would be created" if check_mode else "created"
            lines.append("%s: %s (default_available %s)" % (entry["name"], verb, str(entry["default_available"]).lower()))
        elif entry["status"] == STATUS_CHANGED:
            lines.append("%s: default_available %s -> %s" % (entry["name"], str(entry["before"]).lower(), str(entry["default_available"]).lower()))
    return "\n".join(lines) + "\n" if lines else ""
