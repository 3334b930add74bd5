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
import importlib
import logging
import os
import sys
import time

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
    cannot be read consistently, a project that O(projects) or a rule names and that no longer resolves) emits no
    secret event. The first failure of a streak emits one C(neo_error) event (C(message), C(status)); polling goes
    on with back-off (O(interval) times 2 to the number of failures, at most 10 times O(interval) or 300 seconds,
    never less than O(interval)); the first successful poll after a streak emits one C(neo_recovered) event
    (C(failed_polls)) and then the changes since the last good poll.
  - Bad arguments (types, O(interval) below 1, invalid rules) stop the source at start with a message.
  - Requires the collection's Python dependencies (C(requests)) and ansible-core in the decision environment.
    The source imports the collection's C(module_utils).
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
        can list (resolved again at every poll).
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
      - Time-boxed policy exceptions, exactly as the C(neo_secret_policy) module takes them.
    type: list
    elements: dict
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

MODULE_UTILS = "ansible_collections.projectdiscovery.neo.plugins.module_utils"
COLLECTION_PARTS = ("ansible_collections", "projectdiscovery", "neo")
# Where this file sits inside the collection: extensions/eda/plugins/event_source/<file>.
DEPTH_IN_COLLECTION = 4

EVENT_KEY = "neo_secret"
ERROR_KEY = "neo_error"
RECOVERED_KEY = "neo_recovered"
CREATED = "created"
FLAG_CHANGED = "flag_changed"
REMOVED = "removed"
DRIFT = "drift"

DEFAULT_INTERVAL = 60.0
MAX_BACKOFF = 300.0
READ_CONCURRENCY = 8

PUBLIC_ARGS = ("api_url", "api_key", "api_token", "validate_certs", "ca_path", "interval", "projects", "personal", "rules", "exceptions")
# Test-only arguments (never set from a rulebook): stop after N polls, a callable run in a thread
# after each poll with its number, and an async replacement of asyncio.sleep.
TEST_ARGS = ("_max_polls", "_on_poll", "_sleep")
# Fields a snapshot keeps of a secret record (an allow-list: never a value or masked value).
SNAPSHOT_FIELDS = ("id", "name", "project_id", "project_name", "default_available", "created_by_agent")


# ---------------------------------------------------------------------- the collection's code

def collection_roots(source_file, environ):
    """Directories that may hold ``ansible_collections/projectdiscovery/neo``, best first.

    When ansible-rulebook found this file through the collection (an FQCN source), its path
    runs through ``<root>/ansible_collections/projectdiscovery/neo``: that root comes first.
    With ``-S DIR`` from a checkout it does not; then the configured collection paths are used.
    """
    roots = []
    parts = os.path.abspath(source_file).split(os.sep)  # not realpath: a symlinked layout counts
    start = len(parts) - 1 - DEPTH_IN_COLLECTION - len(COLLECTION_PARTS)
    if start > 0 and tuple(parts[start:start + len(COLLECTION_PARTS)]) == COLLECTION_PARTS:
        roots.append(os.sep.join(parts[:start]) or os.sep)
    for variable in ("ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS"):
        roots.extend(path for path in environ.get(variable, "").split(os.pathsep) if path)
    roots.append(os.path.join(os.path.expanduser("~"), ".ansible", "collections"))
    roots.append("/usr/share/ansible/collections")
    seen = []
    for root in roots:
        root = os.path.abspath(os.path.expanduser(root))
        if root not in seen:
            seen.append(root)
    return seen


class Neo:  # pylint: disable=too-few-public-methods
    """The collection's module_utils this source uses, imported once."""

    NAMES = {
        "_neo_args": ("NEO_CONNECTION_ARGSPEC", "NEO_CONNECTION_MUTUALLY_EXCLUSIVE", "check_environment", "client_from_params",
                      "with_credentials_from_env"),
        "_neo_errors": ("NeoError", "NeoApiError", "NeoInputError", "one_line"),
        "_neo_projects": ("ALL_PROJECTS", "ProjectDirectory", "canonical_id"),
        "_neo_policy": ("build_plan", "normalize_exceptions", "normalize_rules", "plan_scopes", "utc_today", "STATUS_DRIFTED"),
    }

    def __init__(self, modules):
        for module_name, names in self.NAMES.items():
            for name in names:
                setattr(self, name, getattr(modules[module_name], name))
        self.ArgumentSpecValidator = modules["arg_spec"].ArgumentSpecValidator  # pylint: disable=invalid-name


def _import_modules():
    modules = {"arg_spec": importlib.import_module("ansible.module_utils.common.arg_spec")}
    for name in Neo.NAMES:
        modules[name] = importlib.import_module("%s.%s" % (MODULE_UTILS, name))
    return modules


def import_neo(source_file=__file__, environ=None):
    """The collection's client, argument and policy code (``Neo``); ImportError saying what is missing.

    ``ansible_collections`` is importable when the collection's root is on ``sys.path`` (or
    ansible-core's collection loader is active); otherwise the root is found from this file's
    path or the collection paths, and appended to ``sys.path``.
    """
    environ = os.environ if environ is None else environ
    try:
        return Neo(_import_modules())
    except ImportError as error:
        missing = getattr(error, "name", None) or ""
        if not missing.startswith("ansible_collections"):
            raise ImportError("projectdiscovery.neo.neo_secret_events needs the Python package %r in the Python of ansible-rulebook "
                              "(ansible-core and requests: see the collection's requirements.txt and docs/eda.md)" % missing) from None
    roots = collection_roots(source_file, environ)
    for root in roots:
        if os.path.isdir(os.path.join(root, *COLLECTION_PARTS, "plugins", "module_utils")):
            if root not in sys.path:
                sys.path.append(root)
            try:
                return Neo(_import_modules())
            except ImportError as error:
                missing = getattr(error, "name", None) or ""
                if not missing.startswith("ansible_collections"):
                    raise ImportError("projectdiscovery.neo.neo_secret_events needs the Python package %r in the Python of "
                                      "ansible-rulebook (see docs/eda.md)" % missing) from None
    raise ImportError("projectdiscovery.neo.neo_secret_events: the collection projectdiscovery.neo is not installed in any of %s; "
                      "install it (ansible-galaxy collection install) or set ANSIBLE_COLLECTIONS_PATH" % ", ".join(roots))


# ---------------------------------------------------------------------- arguments

class Settings:  # pylint: disable=too-few-public-methods,too-many-instance-attributes
    """The validated arguments of one source."""

    def __init__(self, neo, args, environ):
        args = dict(args or {})
        self.max_polls = args.pop("_max_polls", None)
        self.on_poll = args.pop("_on_poll", None)
        self.sleep = args.pop("_sleep", None) or asyncio.sleep
        # ansible-rulebook may add its own arguments (eda_feedback_queue ...).
        args = {key: value for key, value in args.items() if not key.startswith(("eda_", "_"))}
        spec = {name: dict(option) for name, option in neo.NEO_CONNECTION_ARGSPEC.items() if name in PUBLIC_ARGS}
        spec.update(
            interval=dict(type="float", default=DEFAULT_INTERVAL),
            projects=dict(type="raw", default=neo.ALL_PROJECTS),
            personal=dict(type="bool", default=True),
            rules=dict(type="raw"),
            exceptions=dict(type="raw"),
        )
        errors = ["argument '%s' must be a string, got a %s" % (name, type(args[name]).__name__)
                  for name in ("api_url", "api_key", "api_token", "ca_path") if isinstance(args.get(name), (list, dict))]
        neo.check_environment(args, environ)
        validation = neo.ArgumentSpecValidator(spec, mutually_exclusive=list(neo.NEO_CONNECTION_MUTUALLY_EXCLUSIVE)).validate(
            neo.with_credentials_from_env(args, environ))
        errors.extend(getattr(error, "error_message", str(error)) for error in validation.errors)
        if errors:
            raise neo.NeoInputError("projectdiscovery.neo.neo_secret_events: %s" % "; ".join(errors))
        params = validation.validated_parameters
        self.connection = {name: params.get(name) for name in ("api_url", "api_key", "api_token", "validate_certs", "ca_path")}
        if isinstance(args.get("interval"), bool):
            raise neo.NeoInputError("projectdiscovery.neo.neo_secret_events: interval must be a number of seconds, got a boolean")
        self.interval = params["interval"]
        if not 1 <= self.interval < float("inf"):
            raise neo.NeoInputError("projectdiscovery.neo.neo_secret_events: interval must be at least 1 (seconds), got %g" % self.interval)
        self.projects = _projects(neo, params["projects"])
        self.personal = params["personal"]
        if not self.projects and not self.personal:
            raise neo.NeoInputError("projectdiscovery.neo.neo_secret_events: projects is empty and personal is false: nothing to watch")
        self.rules = neo.normalize_rules(params["rules"], "rules")
        self.exceptions = neo.normalize_exceptions(params["exceptions"], "exceptions")
        if self.max_polls is not None and (not isinstance(self.max_polls, int) or self.max_polls < 1):
            raise neo.NeoInputError("projectdiscovery.neo.neo_secret_events: _max_polls must be a positive integer")

    @property
    def has_policy(self):
        return bool(self.rules or self.exceptions)

    def backoff(self, failures):
        """Seconds to wait after the ``failures``-th failed poll in a row."""
        cap = max(self.interval, min(10 * self.interval, MAX_BACKOFF))
        return min(self.interval * 2 ** min(failures, 32), cap)


def _projects(neo, value):
    """``*`` or a list of project refs (ids or names) without duplicates."""
    if value == neo.ALL_PROJECTS or (isinstance(value, (list, tuple)) and list(value) == [neo.ALL_PROJECTS]):
        return neo.ALL_PROJECTS
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) and item.strip() and item != neo.ALL_PROJECTS for item in value):
        refs = []
        for item in value:
            if item.strip() not in refs:
                refs.append(item.strip())
        return refs
    raise neo.NeoInputError("projectdiscovery.neo.neo_secret_events: projects must be '*' or a list of project ids or names")


# ---------------------------------------------------------------------- one poll

class PollFailed(Exception):
    """A poll that gave no complete snapshot; ``message`` and ``status`` go into the neo_error event."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        self.status = status


class Poller:
    """Reads complete snapshots and computes the expected flags of the policy (blocking; run in a thread)."""

    def __init__(self, neo, settings):
        self.neo = neo
        self.settings = settings

    def poll(self, client):
        """``(snapshot, drift)``: id -> fields of every watched secret, and id -> (expected flag, rule name).

        Raises PollFailed for anything that keeps the snapshot from being complete.
        """
        neo = self.neo
        try:
            directory = neo.ProjectDirectory(client.list_projects())
            keys = ([None] if self.settings.personal else []) + directory.resolve_all(self.settings.projects, "projects")
            scopes = None
            if self.settings.has_policy:
                today = neo.utc_today()
                scopes = neo.plan_scopes(self.settings.rules, directory, "rules", self.settings.exceptions, "exceptions", today)
            records = self._read(client, keys, directory)
            drift = {}
            if scopes is not None:
                plan = neo.build_plan(self.settings.rules, scopes, records, True, self.settings.exceptions, today)
                for entry in plan.entries:
                    if entry["secret_id"] is not None and entry["status"] == neo.STATUS_DRIFTED:
                        drift[neo.canonical_id(entry["secret_id"])] = (entry["after"], entry["rule_name"])
        except PollFailed:
            raise
        except neo.NeoApiError as error:
            raise PollFailed(str(error), error.status) from None
        except neo.NeoError as error:
            raise PollFailed(str(error)) from None
        except ValueError as error:  # ProjectDirectory: a project record without an id
            raise PollFailed("Neo API: %s" % neo.one_line(str(error))) from None
        return self._snapshot(directory, records), drift

    def _read(self, client, keys, directory):
        """Every scope's complete list, or PollFailed naming the first scope that failed (no partial result is kept)."""
        def read(key):
            try:
                return client.list_secrets(key)
            except self.neo.NeoApiError as error:
                raise PollFailed("%s: %s" % (directory.label(key), error), error.status) from None

        if len(keys) <= 1:
            return {key: read(key) for key in keys}
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(READ_CONCURRENCY, len(keys)), thread_name_prefix="neo-eda") as pool:
            futures = {key: pool.submit(read, key) for key in keys}
            return {key: future.result() for key, future in futures.items()}

    def _snapshot(self, directory, records):
        snapshot = {}
        for key, scope_records in records.items():
            for record in scope_records:
                secret_id = self.neo.canonical_id(record["id"])
                agent = record.get("created_by_agent")
                snapshot[secret_id] = {
                    "id": secret_id,
                    "name": record["name"],
                    "project_id": key,
                    "project_name": None if key is None else directory.name(key),
                    "default_available": record["default_available"],
                    "created_by_agent": agent if isinstance(agent, bool) else None,
                }
        return snapshot


# ---------------------------------------------------------------------- events

def _event(kind, fields, default_available, previous):
    event = {"type": kind}
    event.update((name, fields[name]) for name in SNAPSHOT_FIELDS)
    event.update(default_available=default_available, previous_default_available=previous)
    return {EVENT_KEY: event}


def change_events(previous, current):
    """created / flag_changed / removed events between two complete snapshots."""
    events = []
    for secret_id, fields in current.items():
        before = previous.get(secret_id)
        if before is None:
            events.append(_event(CREATED, fields, fields["default_available"], None))
        elif before["default_available"] != fields["default_available"]:
            events.append(_event(FLAG_CHANGED, fields, fields["default_available"], before["default_available"]))
    for secret_id, fields in previous.items():
        if secret_id not in current:
            events.append(_event(REMOVED, fields, None, fields["default_available"]))
    return events


class Tracker:
    """What was emitted: the last complete snapshot, the drift already reported, the failure streak."""

    def __init__(self):
        self.snapshot = None
        self.reported_drift = set()
        self.failures = 0

    def success(self, snapshot, drift):
        """The events of a complete poll."""
        events = []
        if self.failures:
            events.append({RECOVERED_KEY: {"failed_polls": self.failures,
                                           "message": "the Neo API answered completely again after %d failed poll%s"
                                           % (self.failures, "" if self.failures == 1 else "s")}})
        self.failures = 0
        if self.snapshot is not None:
            events.extend(change_events(self.snapshot, snapshot))
        # Drift that was resolved (or whose secret is gone) may be reported again when it comes back.
        self.reported_drift &= set(drift)
        new_drift = [secret_id for secret_id in drift if secret_id in snapshot and secret_id not in self.reported_drift]
        for secret_id in sorted(new_drift, key=lambda key: (snapshot[key]["project_id"] or "", snapshot[key]["name"], key)):
            fields = snapshot[secret_id]
            before = self.snapshot.get(secret_id) if self.snapshot is not None else None
            event = _event(DRIFT, fields, fields["default_available"], None if before is None else before["default_available"])
            expected, rule = drift[secret_id]
            event[EVENT_KEY].update(expected_default_available=expected, rule=rule)
            events.append(event)
            self.reported_drift.add(secret_id)
        self.snapshot = snapshot
        return events

    def failure(self, error):
        """The events of a failed poll: one neo_error for the first failure of a streak."""
        self.failures += 1
        if self.failures > 1:
            return []
        return [{ERROR_KEY: {"message": error.message, "status": error.status}}]


# ---------------------------------------------------------------------- the source

def _client_needs_renewal(client):
    """A client that stopped itself (after a 401) or spent retry budget is replaced for the next poll.

    A client sends nothing after a 401 and has a retry budget for its whole life; a source lives
    for days, so each poll starts with a client that may retry and send again.
    """
    return client.credentials_rejected is not None or client.retry_budget_spent or client.retry_waited > 0


async def main(queue, args):
    """Poll the Neo API and put neo_secret, neo_error and neo_recovered events on ``queue``."""
    neo = import_neo()
    settings = Settings(neo, args, os.environ)
    poller = Poller(neo, settings)
    tracker = Tracker()

    def new_client():
        return neo.client_from_params(settings.connection, pool_size=READ_CONCURRENCY)

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
                snapshot, drift = await asyncio.to_thread(poller.poll, client)
            except PollFailed as error:
                events = tracker.failure(error)
                LOGGER.warning("poll %d failed (%d in a row): %s", polls, tracker.failures, error.message)
            except Exception as error:  # pylint: disable=broad-except
                # A bug, not an API fault: the source goes on, as for any failed poll.
                LOGGER.exception("poll %d: unexpected error", polls)
                events = tracker.failure(PollFailed("unexpected %s in the event source: %s" % (type(error).__name__, neo.one_line(str(error)))))
            else:
                events = tracker.success(snapshot, drift)
            for event in events:
                await queue.put(event)
            if _client_needs_renewal(client):
                client.close()
                client = new_client()
            if settings.on_poll is not None:
                await asyncio.to_thread(settings.on_poll, polls)
            if settings.max_polls is not None and polls >= settings.max_polls:
                return
            if tracker.failures:
                # After a failure, a pause of its own (a failed poll may have spent long in retries).
                await settings.sleep(settings.backoff(tracker.failures))
            else:
                await settings.sleep(max(0.0, settings.interval - (time.monotonic() - started)))
    finally:
        client.close()


if __name__ == "__main__":
    # Run directly (credentials from NEO_API_KEY or NEO_API_TOKEN): print the events of 3 polls.

    class MockQueue:  # pylint: disable=too-few-public-methods
        """A queue that prints each event."""

        async def put(self, event):
            print(event)  # noqa: T201

    asyncio.run(main(MockQueue(), {"interval": 5, "_max_polls": 3}))
