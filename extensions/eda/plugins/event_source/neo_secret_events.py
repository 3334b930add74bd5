# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-rulebook event source: changes of Neo secrets, and drift from a secret policy.

ansible-rulebook loads this file as a plain module (``runpy.run_path``) and awaits
``main(queue, args)``. The Neo client and the policy engine are the collection's own
(``plugins/module_utils``): the same HTTP behaviour (retries, time bounds, consistent lists,
scrubbed messages) and the same rule semantics as the modules. See docs/eda.md.

How it works: every ``interval`` seconds one poll reads the project list and every watched
scope completely (a snapshot: secret id -> allow-listed fields, never a value or a masked
value) and compares it with the previous complete snapshot. The first good poll is the
baseline. A poll that failed in any way (any scope) emits no secret event at all.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import sys
import time

# ansible-rulebook runs this file by its path (runpy.run_path), as a script: the root that holds
# ansible_collections/ is not on sys.path. Both ways it finds the file (an FQCN source, found
# through ANSIBLE_COLLECTIONS_PATH, or -S naming this folder) have it inside the collection,
# <root>/ansible_collections/projectdiscovery/neo/extensions/eda/plugins/event_source/, so that
# root goes first on sys.path and the collection's own code below imports plainly.
_COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 7))  # not realpath: a symlinked layout counts
if os.path.isdir(os.path.join(_COLLECTIONS_ROOT, "ansible_collections", "projectdiscovery", "neo")) and _COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, _COLLECTIONS_ROOT)

from ansible.module_utils.common.parameters import remove_values

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import (
    NEO_CONNECTION_ARGSPEC,
    NEO_CONNECTION_MUTUALLY_EXCLUSIVE,
    check_environment,
    client_from_params,
    validate_arguments,
    with_credentials_from_env,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_INCONSISTENT_LIST,
    REASON_INVALID_RECORD,
    NeoApiError,
    NeoError,
    NeoInputError,
    one_line,
    plural,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_policy import (
    STATUS_DRIFTED,
    STATUS_FAILED,
    build_plan,
    comma_separated,
    plan_scopes,
    policy_from_args,
    utc_today,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import (
    ALL_PROJECTS,
    ProjectDirectory,
    canonical_id,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_secrets import read_scope

DOCUMENTATION = r"""
---
short_description: Events when ProjectDiscovery Neo secrets appear, change, disappear or drift from a policy.
description:
  - An ansible-rulebook event source plugin that polls the Neo API and sends one event per secret and per change
    under the key C(neo_secret), with C(type) one of C(created), C(flag_changed), C(removed) and, when O(rules)
    or O(exceptions) are given, C(drift) (the secret's C(default_available) differs from what the policy wants).
  - Fields of a C(neo_secret) event are C(type), C(id), C(name), C(project_id) (null for a personal secret),
    C(project_name), C(default_available) (null for C(removed)), C(previous_default_available) (null for
    C(created), and for a C(drift) found in the first poll), C(created_by_agent), and for C(drift)
    C(expected_default_available) and C(rule) (the name of the deciding rule, or C(exception)).
    An event never holds a secret value, a masked value or a credential.
  - The first successful poll is a baseline. It emits C(drift) for drift that exists already, but no C(created)
    events. A drift is emitted once per secret, and again only after it was resolved and came back.
  - A poll that fails (HTTP 401, 429 or 5xx after the client's retries, a scope that cannot be read, a list that
    cannot be read consistently, one secret listed in two scopes, a project that O(projects) or a rule names and that
    no longer resolves) emits no secret event. The first failure of a streak emits one C(neo_error) event (C(message), C(status)); polling goes
    on with back-off (O(interval) times 2 to the number of failures, at most 10 times O(interval) or 300 seconds,
    never less than O(interval)); the first successful poll after a streak emits one C(neo_recovered) event
    (C(failed_polls)) and then the changes since the last good poll.
  - A project that is missing from the project list of one poll is confirmed by the next poll before its secrets
    are reported C(removed).
  - A secret renamed or moved to another scope (same id) is reported C(removed) under its old name and scope, then
    C(created) under the new ones; its drift is evaluated again under the new identity.
  - Every text of an event (names, messages) is scrubbed of the API key or token, also where the API puts it in a
    project or secret name.
  - Bad arguments (types, O(interval) below 1, rules or exceptions that the C(neo_secret_policy) module would
    refuse) stop the source at start with a message.
  - Requires the collection's Python dependencies (C(requests)) and ansible-core in the decision environment.
    The source imports the C(module_utils) of the collection it is part of.
options:
  api_url:
    description:
      - Base URL of the Neo API, without C(/api/v1).
      - If not set, the E(NEO_API_URL) environment variable is used.
    type: str
    default: https://neo.api.projectdiscovery.io
  api_key:
    description:
      - Neo API key (C(neo_sk_...)). Give exactly one of O(api_key) and O(api_token).
      - When neither is given, E(NEO_API_KEY) or E(NEO_API_TOKEN) is used (setting both is an error).
    type: str
  api_token:
    description:
      - Neo session JWT, sent as a bearer token. See O(api_key).
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the API.
      - If not set, the E(NEO_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle file or directory to verify the API's certificate with.
      - If not set, the E(NEO_CA_PATH) environment variable is used.
    type: path
  interval:
    description:
      - Seconds between the starts of two polls; at least 1. After a failed poll the source waits the back-off
        instead, counted from the end of that poll.
    type: float
    default: 60
  projects:
    description:
      - The projects whose secrets are watched, by id or by unique name, or C(*) for every project the caller
        can list (resolved again at every poll). A string is a comma-separated list (C(Production, Staging)).
    type: raw
    default: "*"
  personal:
    description:
      - Whether the caller's personal secrets are watched too.
    type: bool
    default: true
  rules:
    description:
      - Policy rules, exactly as the O(projectdiscovery.neo.neo_secret_policy#module:rules) option of the
        C(neo_secret_policy) module and the C(neo_secret_policy_rules) variable of the C(secret_policy) role take them.
      - With rules or exceptions, C(drift) events are emitted for the watched secrets the policy decides.
    type: list
    elements: dict
  exceptions:
    description:
      - Time-boxed policy exceptions, exactly as the C(neo_secret_policy) module takes them (an unquoted YAML date in
        C(expires) works as its text does).
    type: list
    elements: dict
  exceptions_max_days:
    description:
      - As the module's option - an exception whose C(expires) is more than this many days after today (UTC, at start)
        stops the source at start, naming it.
    type: int
  exceptions_require_owner:
    description:
      - As the module's option - an exception without C(owner) stops the source at start, naming it.
    type: bool
    default: false
  exceptions_warn_days:
    description:
      - As the module's option; the source writes no report, so it is only checked (0 or more), so that one policy file
        serves the module, the role and the source alike.
    type: int
    default: 14
"""

EXAMPLES = r"""
# Every change of every secret the credential can see, polled once a minute (credentials from NEO_API_KEY)
- projectdiscovery.neo.neo_secret_events:
    interval: 60

# Drift from a policy in production projects, polled every 30 seconds
- projectdiscovery.neo.neo_secret_events:
    interval: 30
    projects: [Production]
    personal: false
    rules:
      - name: production is opt-in
        match: ["*"]
        default_available: false

# The policy from rulebook variables (ansible-rulebook --vars policy.yml), as the shipped rulebook does
- projectdiscovery.neo.neo_secret_events:
    rules: "{{ neo_policy_rules }}"
    exceptions: "{{ neo_policy_exceptions | default([]) }}"
"""

LOGGER = logging.getLogger("projectdiscovery.neo.neo_secret_events")

EVENT_KEY = "neo_secret"
ERROR_KEY = "neo_error"
RECOVERED_KEY = "neo_recovered"

MAX_BACKOFF = 300.0
READ_CONCURRENCY = 8
# Where a credential that came from no NEO_* variable was set, for the message of a rejected one.
GIVEN_IN_SOURCE = ("given in the rulebook", "check the arguments of the neo_secret_events source")

CONNECTION_ARGS = ("api_url", "api_key", "api_token", "validate_certs", "ca_path")
# Fields a snapshot keeps of a secret record (an allow-list: never a value or masked value).
SNAPSHOT_FIELDS = ("id", "name", "project_id", "project_name", "default_available", "created_by_agent")
# The policy's options (POLICY_ARGSPEC) are raw here: policy_from_args validates them as the module does.
POLICY_OPTIONS = ("rules", "exceptions", "exceptions_max_days", "exceptions_require_owner", "exceptions_warn_days")
ARGSPEC = dict({name: NEO_CONNECTION_ARGSPEC[name] for name in CONNECTION_ARGS}, interval=dict(type="float", default=60.0),
               projects=dict(type="raw", default=ALL_PROJECTS), personal=dict(type="bool", default=True), **{name: dict(type="raw") for name in POLICY_OPTIONS})


# ---------------------------------------------------------------------- arguments

class Settings:  # pylint: disable=too-few-public-methods,too-many-instance-attributes
    """The validated arguments of one source."""

    def __init__(self, args, environ):
        # ansible-rulebook may add its own arguments (eda_feedback_queue ...).
        args = {key: value for key, value in (args or {}).items() if not key.startswith("eda_")}
        check_environment(args, environ)
        validation, errors = validate_arguments({name: dict(option) for name, option in ARGSPEC.items()}, with_credentials_from_env(args, environ),
                                                mutually_exclusive=list(NEO_CONNECTION_MUTUALLY_EXCLUSIVE))
        errors = [getattr(error, "error_message", error) for error in errors]
        if errors:
            raise NeoInputError("projectdiscovery.neo.neo_secret_events: %s" % "; ".join(errors))
        params = validation.validated_parameters
        self.connection = {name: params.get(name) for name in CONNECTION_ARGS}
        if isinstance(args.get("interval"), bool):
            raise NeoInputError("projectdiscovery.neo.neo_secret_events: interval must be a number of seconds, got a boolean")
        self.interval = params["interval"]
        if not 1 <= self.interval < float("inf"):
            raise NeoInputError("projectdiscovery.neo.neo_secret_events: interval must be at least 1 (seconds), got %g" % self.interval)
        self.projects = _projects(params["projects"])
        self.personal = params["personal"]
        if not self.projects and not self.personal:
            raise NeoInputError("projectdiscovery.neo.neo_secret_events: projects is empty and personal is false: nothing to watch")
        # The module's own spec and checks: the source takes exactly the policies the module takes.
        self.rules, self.exceptions = policy_from_args(dict({name: params[name] for name in POLICY_OPTIONS}, rules=params["rules"] or [],
                                                            exceptions=params["exceptions"] or []))
        self.has_policy = bool(self.rules or self.exceptions)
        credential = params.get("api_key") or params.get("api_token")
        self._no_log_values = {credential, credential.strip()}

    def scrub(self, data):
        """``data`` (events, a message) without the credential: the API's texts (project and secret
        names, error details) may hold it, and the modules mask it in the same input."""
        return remove_values(data, self._no_log_values)

    def backoff(self, failures):
        """Seconds to wait after the ``failures``-th failed poll in a row."""
        cap = max(self.interval, min(10 * self.interval, MAX_BACKOFF))
        return min(self.interval * 2 ** min(failures, 32), cap)


def _projects(value):
    """``*`` or a list of project refs (ids or names) without duplicates; a string is a comma-separated list, as in the module."""
    value = comma_separated(value)
    if value == ALL_PROJECTS or (isinstance(value, (list, tuple)) and list(value) == [ALL_PROJECTS]):
        return ALL_PROJECTS
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) and item.strip() and item != ALL_PROJECTS for item in value):
        return list(dict.fromkeys(item.strip() for item in value))
    raise NeoInputError("projectdiscovery.neo.neo_secret_events: projects must be '*' or a list of project ids or names")


# ---------------------------------------------------------------------- one poll

def poll(client, settings):
    """``(scopes read (None: personal), snapshot: id -> fields, drift: id -> (expected flag, rule))`` of one poll, in a thread.

    Raises the NeoError that kept the snapshot from being complete.
    """
    directory = ProjectDirectory(client.list_projects())
    keys = ([None] if settings.personal else []) + directory.resolve_all(settings.projects, "projects")
    today = utc_today()
    scopes = plan_scopes(settings.rules, directory, "rules", settings.exceptions, "exceptions", today) if settings.has_policy else None
    records = _read(client, keys, directory)
    snapshot = _snapshot(directory, records)
    drift = {}
    if scopes is not None:
        plan = build_plan(settings.rules, scopes, records, True, settings.exceptions, today)
        for entry in plan.entries:
            if entry["status"] == STATUS_FAILED and entry["project_id"] in records:
                # A watched secret or project the rules cannot decide (created_by_agent, tags): the poll fails, no drift is guessed.
                what = "" if entry["secret_id"] is None else "secret %s in %s: " % (one_line(entry["secret_name"], 80), directory.label(entry["project_id"]))
                raise NeoApiError(what + entry["error"], reason=REASON_INVALID_RECORD)
            if entry["secret_id"] is not None and entry["status"] == STATUS_DRIFTED:
                drift[canonical_id(entry["secret_id"])] = (entry["after"], entry["rule_name"])
    return frozenset(keys), snapshot, drift


def _read(client, keys, directory):
    """Every scope's complete list; the first scope that failed raises (no partial result is kept)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(READ_CONCURRENCY, len(keys))), thread_name_prefix="neo-eda") as pool:
        futures = {key: pool.submit(read_scope, client, key, directory.name(key)) for key in keys}
        return {key: future.result() for key, future in futures.items()}


def _snapshot(directory, records):
    snapshot = {}
    for key, scope_records in records.items():
        for record in scope_records:
            secret_id = canonical_id(record["id"])
            if secret_id in snapshot:
                # Which of the two copies the policy decides, and which a change concerns, is unknown.
                raise NeoApiError("Neo API: secret %s is listed in %s and in %s: the lists contradict each other"
                                  % (one_line(secret_id, 80), directory.label(snapshot[secret_id]["project_id"]), directory.label(key)),
                                  reason=REASON_INCONSISTENT_LIST)
            agent = record.get("created_by_agent")
            snapshot[secret_id] = {"id": secret_id, "name": record["name"], "project_id": key, "project_name": directory.name(key),
                                   "default_available": record["default_available"], "created_by_agent": agent if isinstance(agent, bool) else None}
    return snapshot


# ---------------------------------------------------------------------- events

def _event(kind, fields, default_available, previous):
    event = {"type": kind}
    event.update((name, fields[name]) for name in SNAPSHOT_FIELDS)
    event.update(default_available=default_available, previous_default_available=previous)
    return {EVENT_KEY: event}


def _identity(fields):
    return fields["name"], fields["project_id"]


def moved_secrets(previous, current):
    """Ids of the secrets whose name or scope differs between two snapshots."""
    return {secret_id for secret_id, fields in current.items() if secret_id in previous and _identity(previous[secret_id]) != _identity(fields)}


def change_events(previous, current):
    """created / flag_changed / removed events between two complete snapshots.

    A secret renamed or moved to another scope is, to a rulebook that selects secrets by name and
    project, another secret: the old identity is removed and the new one created.
    """
    events = []
    moved = moved_secrets(previous, current)
    for secret_id, fields in current.items():
        before = previous.get(secret_id)
        if secret_id in moved:
            events.append(_event("removed", before, None, before["default_available"]))
            before = None
        if before is None:
            events.append(_event("created", fields, fields["default_available"], None))
        elif before["default_available"] != fields["default_available"]:
            events.append(_event("flag_changed", fields, fields["default_available"], before["default_available"]))
    for secret_id, fields in previous.items():
        if secret_id not in current:
            events.append(_event("removed", fields, None, fields["default_available"]))
    return events


class Tracker:
    """What was emitted: the last complete snapshot, the drift already reported, the failure streak."""

    def __init__(self):
        self.snapshot = None
        self.scopes = frozenset()
        self.unconfirmed = frozenset()  # scopes of the last snapshot that the poll before it did not read
        self.reported_drift = set()
        self.failures = 0

    def success(self, scopes, snapshot, drift):
        """The events of a complete poll."""
        events = []
        if self.failures:
            message = "the Neo API answered completely again after %s" % plural(self.failures, "failed poll")
            events.append({RECOVERED_KEY: {"failed_polls": self.failures, "message": message}})
        self.failures = 0
        # A project missing from one project list may be the API's hiccup: its secrets are kept as
        # they were for one poll, and are removed only when the next poll confirms it is gone.
        vanished = (self.scopes - scopes) - self.unconfirmed
        kept = {secret_id: fields for secret_id, fields in (self.snapshot or {}).items() if fields["project_id"] in vanished}
        snapshot = dict(kept, **snapshot)
        self.unconfirmed = vanished
        if self.snapshot is not None:
            events.extend(change_events(self.snapshot, snapshot))
            # The drift of a renamed or moved secret is evaluated on its new identity.
            self.reported_drift -= moved_secrets(self.snapshot, snapshot)
        # Drift that was resolved (or whose secret is gone) may be reported again when it comes back.
        self.reported_drift &= set(drift) | set(kept)
        new_drift = [secret_id for secret_id in drift if secret_id in snapshot and secret_id not in self.reported_drift]
        for secret_id in sorted(new_drift, key=lambda key: (snapshot[key]["project_id"] or "", snapshot[key]["name"], key)):
            fields = snapshot[secret_id]
            before = self.snapshot.get(secret_id) if self.snapshot is not None else None
            event = _event("drift", fields, fields["default_available"], None if before is None else before["default_available"])
            expected, rule = drift[secret_id]
            event[EVENT_KEY].update(expected_default_available=expected, rule=rule)
            events.append(event)
            self.reported_drift.add(secret_id)
        self.snapshot = snapshot
        self.scopes = scopes | vanished
        return events

    def failure(self, error):
        """The events of a failed poll (a NeoError): one neo_error for the first failure of a streak."""
        self.failures += 1
        return [{ERROR_KEY: {"message": str(error), "status": getattr(error, "status", None)}}] if self.failures == 1 else []


# ---------------------------------------------------------------------- the source

async def main(queue, args):
    """Poll the Neo API and put neo_secret, neo_error and neo_recovered events on ``queue``."""
    await poll_forever(queue, Settings(args, os.environ))


async def poll_forever(queue, settings, sleep=asyncio.sleep):
    """The source's loop; it ends only by cancellation (or by an exception of ``sleep``)."""
    tracker = Tracker()

    def new_client():
        return client_from_params(settings.connection, given_in=GIVEN_IN_SOURCE, pool_size=READ_CONCURRENCY)
    # A client per poll: a client sends nothing more after a 401 and has one retry budget for its
    # whole life, while a source lives for days. The first one is made at start, so that bad
    # connection settings stop the source before any request.
    client = new_client()
    if not client.validate_certs and client.api_url.startswith("https:"):
        LOGGER.warning("validate_certs is false: the TLS certificate of %s is not verified", client.api_url)
    LOGGER.info("polling %s every %g s (%s)", client.api_url, settings.interval, "changes and drift" if settings.has_policy else "changes")
    polls = 0
    try:
        while True:
            started = time.monotonic()
            polls += 1
            try:
                events = tracker.success(*await asyncio.to_thread(poll, client, settings))
            except Exception as error:  # pylint: disable=broad-except
                if not isinstance(error, NeoError):
                    # A bug, not an API fault: the source goes on, as for any failed poll.
                    LOGGER.exception("poll %d: unexpected error", polls)
                    error = NeoError("unexpected %s in the event source: %s" % (type(error).__name__, one_line(str(error))))
                events = tracker.failure(error)
                LOGGER.warning("poll %d failed (%d in a row): %s", polls, tracker.failures, settings.scrub(str(error)))
            for event in settings.scrub(events):
                await queue.put(event)
            client.close()
            client = new_client()
            if tracker.failures:
                # After a failure, a pause of its own (a failed poll may have spent long in retries).
                await sleep(settings.backoff(tracker.failures))
            else:
                await sleep(max(0.0, settings.interval - (time.monotonic() - started)))
    finally:
        client.close()
