# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""The one Neo API client of the collection: auth, retries, errors, pagination, time bounds.

Every plugin talks to the Neo API through ``NeoClient`` and nothing else, so the rules below
hold everywhere (docs/guarantees.md lists them with the tests that prove them):

* Errors. Every failure is a ``NeoApiError`` (``NeoConfigError`` for bad options, raised
  before any request). ``str(error)`` is one line, for example
  ``Neo API 403 forbidden (error_id 1a2b3c): not a member of this project``. Messages never
  contain credentials (the API key and token, and a secret's value sent in a POST, are scrubbed
  out of any text the API sends back), header values, request bodies or invisible format
  characters.
* Redirects are never followed: that would resend ``X-Api-Key`` to another host and turn a
  PATCH into a GET.
* Time. ``timeout`` bounds each whole request: connecting, the headers and the whole body (a
  watchdog closes the connection of a request that outlives it, so a body trickling in byte by
  byte ends too). A body over ``MAX_BODY_BYTES`` is refused. One list is bounded by
  ``MAX_PAGES`` pages and by ``list_timeout`` seconds.
* Retries are bounded (``retries`` retries, so ``retries + 1`` attempts). GET and PATCH (setting
  a flag or changing a project is idempotent) are retried on 429, 500, 502, 503, 504, dropped
  connections and time-outs. POST is retried only on 429 and when the request surely never
  reached the server: a blind POST retry could create a duplicate secret or project.
  ``Retry-After`` (seconds or HTTP date) is honoured, capped at ``max_retry_wait``; otherwise
  full-jitter exponential back-off. A proxy's 407 is never retried.
* Retry budget (storm bound). One client (one task) sleeps at most ``retry_budget`` =
  ``retries * max_retry_wait`` seconds in total for retries, over all its requests and threads.
* Credentials rejected. After a 401 no further request is sent: every later call fails at once
  with ``sent`` False, so callers can report their remaining work as not attempted.
* Lists are read completely and consistently before anything is returned (see ``_list``); a
  partial or inconsistent list is never returned.
* Secret records never carry a ``value`` key out of the client, even if the API sent one.
"""
from __future__ import annotations

import datetime
import email.utils
import heapq
import json
import math
import os
import random
import socket
import sys
import threading
import time
from urllib.parse import quote, urlsplit

try:
    import requests
    import urllib3
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import InsecureRequestWarning, NewConnectionError, ReadTimeoutError
except ImportError:
    HAS_REQUESTS = False
    HTTPAdapter = HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = object
else:
    HAS_REQUESTS = True

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import DEFAULT_API_URL
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_BODY_TOO_LARGE,
    REASON_EMPTY_BODY,
    REASON_INCONSISTENT_LIST,
    REASON_INVALID_JSON,
    REASON_INVALID_RECORD,
    REASON_LIST_TIME_OUT,
    REASON_REDIRECTED,
    REASON_TOO_MANY_PAGES,
    REASON_UNRECOGNISED_LIST,
    NeoApiError,
    NeoConfigError,
    one_line,
    plural,
)

__all__ = ["NeoApiError", "NeoClient", "NeoConfigError", "DEFAULT_API_URL", "HAS_REQUESTS"]

USER_AGENT = "projectdiscovery.neo-ansible/0.2.0"
API_KEY_PREFIX = "neo_sk_"

SECRETS_PATH = "/api/v1/secrets"
PROJECTS_PATH = "/api/v1/projects"

# Policies of _request: which failures may be retried.
RETRY_IDEMPOTENT = "idempotent"  # GET, PATCH: transient statuses and transport failures
RETRY_CREATE = "create"  # POST: only 429 and requests that never reached the server
RETRYABLE_STATUSES = frozenset([429, 500, 502, 503, 504])

MAX_PAGES = 1000
DEFAULT_LIST_TIMEOUT = 300.0
MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_ERROR_BODY_BYTES = 1024 * 1024
READ_CHUNK_BYTES = 256 * 1024
REDACTED = "********"

_PRINTABLE_ASCII = frozenset(range(0x21, 0x7f))

# Response headers an observer is told about (lower-case names, or prefixes of names): rate limits,
# retry hints, request ids and what answered. No other header value ever reaches an observer.
OBSERVED_HEADERS = frozenset(("retry-after", "x-request-id", "request-id", "x-correlation-id", "x-amzn-requestid", "x-amz-request-id",
                              "x-trace-id", "cf-ray", "content-type", "server", "via"))
OBSERVED_HEADER_PREFIXES = ("x-ratelimit", "x-rate-limit", "ratelimit")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_name(value):
    """A non-empty string (what a record's id and name must be)."""
    return isinstance(value, str) and value != ""


def _check_credential(option, value):
    """Return the stripped credential; reject what could not be a header value.

    requests would reject such a value with an exception quoting it: the check here keeps
    the credential out of every message.
    """
    if not isinstance(value, str):
        raise NeoConfigError("%s must be a string" % option)
    value = value.strip()
    if not value:
        raise NeoConfigError("%s is empty" % option)
    if any(ord(character) not in _PRINTABLE_ASCII for character in value):
        raise NeoConfigError("%s contains spaces, control or non-ASCII characters; check how it is stored (value not shown)" % option)
    return value


def _normalise_api_url(api_url):
    """Return the base URL without a trailing ``/`` or ``/api/v1`` (the paths add it)."""
    if not isinstance(api_url, str) or not api_url.strip():
        raise NeoConfigError("api_url is empty; expected e.g. %s" % DEFAULT_API_URL)
    url = api_url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NeoConfigError("api_url must be an http:// or https:// URL such as %s (got a URL with scheme %r)" % (DEFAULT_API_URL, parts.scheme))
    if parts.username is not None or parts.password is not None:
        raise NeoConfigError("api_url must not contain credentials; use api_key or api_token")
    if parts.query or parts.fragment:
        raise NeoConfigError("api_url must not contain a query or fragment")
    url = url.rstrip("/")
    if url.endswith("/api/v1"):
        url = url[: -len("/api/v1")].rstrip("/")
    return url


# ---------------------------------------------------------------------- whole-request deadline

_CURRENT = threading.local()


class _Watch:
    """The deadline of one request: the socket it reads from is shut down when it expires."""

    __slots__ = ("deadline", "expired", "_done", "_sock", "_lock")

    def __init__(self, deadline):
        self.deadline = deadline
        self.expired = False
        self._done = False
        self._sock = None
        self._lock = threading.Lock()

    def attach(self, sock):
        with self._lock:
            self._sock = sock
            if self.expired:
                _shutdown(sock)

    def expire(self):
        with self._lock:
            if self._done:
                return
            self.expired = True
            if self._sock is not None:
                _shutdown(self._sock)

    def finish(self):
        with self._lock:
            self._done = True
            self._sock = None

    def __lt__(self, other):
        return self.deadline < other.deadline


def _shutdown(sock):
    # socket.socket's own shutdown, also for a TLS socket: the blocked reader then sees the end
    # of the stream, while the TLS object it is using stays intact.
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, TypeError):
        pass


class _Watchdog:
    """One thread per client that expires the watches whose deadline has passed.

    A timer thread per request would cost a thread start per request; here a request costs a
    heap push, and a finished watch is simply dropped when it reaches the top.
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._condition = threading.Condition()
        self._heap = []
        self._thread = None
        self._closed = False

    def watch(self, seconds):
        watch = _Watch(self._clock() + seconds)
        with self._condition:
            heapq.heappush(self._heap, watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="neo-request-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0] is watch:
                self._condition.notify()
        return watch

    def _run(self):
        with self._condition:
            while not self._closed:
                now = self._clock()
                while self._heap and (self._heap[0]._done or self._heap[0].deadline <= now):  # pylint: disable=protected-access
                    heapq.heappop(self._heap).expire()
                self._condition.wait(self._heap[0].deadline - now if self._heap else None)

    def close(self):
        with self._condition:
            self._closed = True
            self._condition.notify()


def _watched(connection_class):
    """A urllib3 connection class that hands its socket to the current request's watch."""

    class WatchedConnection(connection_class):  # pylint: disable=too-few-public-methods
        def getresponse(self, *args, **kwargs):  # pylint: disable=signature-differs
            watch = getattr(_CURRENT, "watch", None)
            if watch is not None and self.sock is not None:
                watch.attach(self.sock)
            return super().getresponse(*args, **kwargs)

    WatchedConnection.__name__ = "Watched" + connection_class.__name__
    return WatchedConnection


if HAS_REQUESTS:
    class _WatchedHTTPPool(HTTPConnectionPool):
        ConnectionCls = _watched(HTTPConnection)

    class _WatchedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = _watched(HTTPSConnection)

    _WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter with connection pools whose sockets the watchdog can close.

    SOCKS proxies keep their own pools: behind one, only ``timeout`` per read applies.
    """

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


class _Inconsistent(Exception):
    """One reading of a list contradicted itself; the reason is the message."""


class NeoClient:
    """Thread-safe client of the Neo API secrets and projects endpoints.

    Construction validates the options (raising ``NeoConfigError`` naming the option) and
    never makes an HTTP request. ``sleep``, ``now``, ``monotonic`` and ``rng`` are injectable
    so that tests never really wait; ``on_retry(message)`` is called with a one-line message
    before each retry (plugins return it as a warning). ``retry_count`` counts retries over
    the client's life.

    ``observer`` (default None: nothing is recorded) is called with one small dict of facts per
    HTTP attempt (``event`` "response": method, path, query parameter names, status, HTTP
    version, allow-listed headers, seconds) and per list page received (``event`` "page": the
    envelope and pagination keys, item count, record field names). Never a body, a record value,
    a credential or another header (see ``_observe_response`` and ``_observe_page``).
    """

    def __init__(
        self,
        api_url=DEFAULT_API_URL,
        api_key=None,
        api_token=None,
        validate_certs=True,
        ca_path=None,
        timeout=30,
        retries=5,
        max_retry_wait=30.0,
        pool_size=8,
        sleep=time.sleep,
        now=time.time,
        monotonic=time.monotonic,
        rng=random.random,
        on_retry=None,
        page_limit=100,
        list_timeout=DEFAULT_LIST_TIMEOUT,
        max_pages=MAX_PAGES,
        observer=None,
    ):
        if not HAS_REQUESTS:
            raise NeoConfigError(
                "Failed to import the required Python library (requests) on the controller's Python %s; "
                "install it with pip install requests (see the collection's requirements.txt)" % sys.executable
            )
        if api_key is None and api_token is None:
            raise NeoConfigError("no credentials: set api_key or api_token, or NEO_API_KEY or NEO_API_TOKEN")
        if api_key is not None and api_token is not None:
            raise NeoConfigError("api_key and api_token are mutually exclusive: give only one")
        if api_key is not None:
            api_key = _check_credential("api_key", api_key)
            if not api_key.startswith(API_KEY_PREFIX):
                raise NeoConfigError("api_key must start with %s (value not shown); a JWT goes in api_token" % API_KEY_PREFIX)
            credential_header, credential_value = "X-Api-Key", api_key
            self.auth_scheme = "api_key"
            self._credential = api_key
        else:
            api_token = _check_credential("api_token", api_token)
            if api_token.startswith(API_KEY_PREFIX):
                raise NeoConfigError("api_token holds a Neo API key (%s...); pass it as api_key instead" % API_KEY_PREFIX)
            credential_header, credential_value = "Authorization", "Bearer " + api_token
            self.auth_scheme = "api_token"
            self._credential = api_token
        self.api_url = _normalise_api_url(api_url)
        for name, value in (("timeout", timeout), ("list_timeout", list_timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
                raise NeoConfigError("%s must be a positive number of seconds" % name)
        for name, value, minimum in (("retries", retries, 0), ("page_limit", page_limit, 1), ("pool_size", pool_size, 1),
                                     ("max_pages", max_pages, 1)):
            if not _is_int(value) or value < minimum:
                raise NeoConfigError("%s must be an integer >= %d" % (name, minimum))
        self.validate_certs = bool(validate_certs)
        if ca_path is not None:
            if not isinstance(ca_path, str) or not os.path.exists(ca_path):
                raise NeoConfigError("ca_path: no such file or directory: %s" % one_line(ca_path, 200))
        self.ca_path = ca_path
        # The environment's CA bundle, read once (a requests.Session would read it for every request; see below).
        self._verify = (ca_path or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True) if self.validate_certs else False
        self.timeout = timeout
        self.list_timeout = float(list_timeout)
        self.max_pages = max_pages
        self.retries = retries
        self.max_retry_wait = float(max_retry_wait)
        self.page_limit = page_limit
        self._sleep = sleep
        self._now = now
        self._monotonic = monotonic
        self._rng = rng
        self._on_retry = on_retry
        self._observer = observer
        self._lock = threading.Lock()
        self.retry_count = 0
        # Total seconds this client may sleep for retries, over all requests and threads.
        self.retry_budget = self.retries * self.max_retry_wait
        self.retry_waited = 0.0
        self.retry_budget_spent = False
        # The message of the 401 that stopped this client, once the API rejected the credentials.
        self.credentials_rejected = None
        self._watchdog = _Watchdog()
        if not self.validate_certs:
            # The plugins warn once, as an Ansible warning; urllib3 would print to stderr per request.
            urllib3.disable_warnings(InsecureRequestWarning)
        # A request is prepared and handed to the connection pool's adapter directly, not through a
        # requests.Session: the session's per-request work (merging its settings, cookies and hooks,
        # the environment) cost a tenth of the client's CPU time per request (docs/performance.md),
        # and none of it applies to a client of one API URL with one credential. So:
        # - the proxy for the API URL and the CA bundle are read once, here and above (a session
        #   would read them, and ~/.netrc, again for every request);
        # - cookies the API sets are not sent back (the credential is the only authentication);
        # - redirects are never followed (the adapter does not follow them).
        self._proxies = requests.utils.get_environ_proxies(self.api_url)
        self._adapter = _WatchedAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self._headers = requests.utils.default_headers()
        self._headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        self._headers[credential_header] = credential_value

    def __repr__(self):
        return "<NeoClient %s (%s)>" % (self.api_url, self.auth_scheme)

    def close(self):
        self._watchdog.close()
        self._adapter.close()

    # ------------------------------------------------------------------ public API

    def list_projects(self):
        """Every project the caller can see (each has at least ``id``)."""
        return self._list(PROJECTS_PATH, "projects", None, self._check_project, "the project list")

    def list_secrets(self, project_id=None):
        """Every personal secret, or every secret of ``project_id`` (403 if not a member)."""
        params = {"project_id": project_id} if project_id else None
        what = "the secrets of project %s" % project_id if project_id else "the personal secrets"
        return self._list(SECRETS_PATH, "secrets", params, self._check_secret, what)

    def update_secret(self, secret_id, default_available):
        """PATCH ``default_available`` (the only mutable field) and return the SecretResponse.

        Idempotent, so retried like a GET.
        """
        if not isinstance(secret_id, str) or not secret_id:
            raise ValueError("secret_id must be a non-empty string")
        if not isinstance(default_available, bool):
            raise ValueError("default_available must be a boolean")
        path = "%s/%s" % (SECRETS_PATH, quote(secret_id, safe=""))
        body = self._request("PATCH", path, json={"default_available": default_available})
        record = self._check_secret(body, "PATCH", path)
        if record["id"].lower() != secret_id.lower():
            raise self._error("Neo API answered PATCH %s with the record of another secret (%s)" % (path, one_line(record["id"], 80)),
                              method="PATCH", path=path, reason=REASON_INVALID_RECORD)
        return record

    def create_secret(self, name, value, default_available=None, project_id=None, created_by_agent=None):
        """POST one new secret and return its SecretResponse (``value`` never comes back).

        Not retried after a failure that may have reached the server (5xx, dropped
        connection, read timeout): the secret may exist then, so the caller must list the
        scope again before deciding to create. Any 2xx is success (200 or 201 undocumented).
        """
        payload = {"name": name, "value": value}
        for key, item in (("default_available", default_available), ("project_id", project_id), ("created_by_agent", created_by_agent)):
            if item is not None:
                payload[key] = item
        # An API that echoes the request body in an error must not put the value into a message.
        body = self._request("POST", SECRETS_PATH, json=payload, retry_policy=RETRY_CREATE, sensitive=(value,))
        # Tolerate {"secret": {...}}, the form the projects endpoints use.
        return self._check_secret(_unwrap(body, "secret"), "POST", SECRETS_PATH)

    def create_project(self, payload):
        """POST one new project (``payload``: the CreateProjectRequest fields) and return its record.

        Retried like ``create_secret`` (only when the request surely never reached the server): a
        blind retry without a client-chosen ``id`` could create a second project. A 409 (the ``id``
        exists) is the caller's to handle. The documented answer is ``{"project": {...}}``; a bare
        record is accepted too.
        """
        if not isinstance(payload, dict):
            raise ValueError("payload must be a dict")
        body = self._request("POST", PROJECTS_PATH, json=payload, retry_policy=RETRY_CREATE)
        return self._check_project(_unwrap(body, "project"), "POST", PROJECTS_PATH)

    def update_project(self, project_id, changes):
        """PATCH the fields in ``changes`` (name, settings_md, shared_with_team, tags) and return the record.

        Idempotent (the same body sets the same state), so retried like a GET. Only the owner may.
        """
        if not isinstance(project_id, str) or not project_id:
            raise ValueError("project_id must be a non-empty string")
        if not isinstance(changes, dict) or not changes:
            raise ValueError("changes must be a non-empty dict")
        path = "%s/%s" % (PROJECTS_PATH, quote(project_id, safe=""))
        record = self._check_project(_unwrap(self._request("PATCH", path, json=changes), "project"), "PATCH", path)
        if record["id"].lower() != project_id.lower():
            raise self._error("Neo API answered PATCH %s with the record of another project (%s)" % (path, one_line(record["id"], 80)),
                              method="PATCH", path=path, reason=REASON_INVALID_RECORD)
        return record

    # ------------------------------------------------------------------ records

    def _check_project(self, item, method, path):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise self._error("Neo API answered %s %s with a project record without a string id" % (method, path), method=method, path=path,
                              reason=REASON_INVALID_RECORD)
        return item

    def _check_secret(self, item, method, path):
        """Validate a SecretResponse and drop any ``value`` key (only masked_value may leave).

        Runs once per listed secret, 10,000 times in a policy run: what json.loads makes of a
        valid record is recognised first, and returned as it is when it has no ``value``.
        """
        valid = item.__class__ is dict and item.get("id").__class__ is str and item["id"] != "" and item.get("name").__class__ is str \
            and item["name"] != "" and item.get("default_available").__class__ is bool
        if not valid:
            self._check_secret_fields(item, method, path)
        return item if "value" not in item else {key: val for key, val in item.items() if key != "value"}

    def _check_secret_fields(self, item, method, path):
        """Raise the error that says what a secret record lacks (a dict or str subclass passes)."""
        if not isinstance(item, dict):
            raise self._error("Neo API answered %s %s with %s where a secret record (object) was expected" % (method, path, type(item).__name__),
                              method=method, path=path, reason=REASON_INVALID_RECORD)
        if not (_is_name(item.get("id")) and _is_name(item.get("name")) and isinstance(item.get("default_available"), bool)):
            missing = [key for key in ("id", "name") if not _is_name(item.get(key))]
            if not isinstance(item.get("default_available"), bool):
                missing.append("default_available (boolean)")
            known = item.get("name") if _is_name(item.get("name")) else item.get("id") if _is_name(item.get("id")) else None
            which = " (%s)" % one_line(known, 80) if known else ""
            raise self._error("Neo API answered %s %s with a secret record%s lacking %s" % (method, path, which, ", ".join(missing)),
                              method=method, path=path, reason=REASON_INVALID_RECORD)

    # ------------------------------------------------------------------ pagination

    def _list(self, path, resource_key, params, check_item, what):
        """Read a whole list, following whichever pagination the responses show.

        Forms understood (the list endpoints are undocumented, see docs/neo-api/README.md):

        * a bare JSON array: assumed to be the complete list (it carries no way to ask for
          more), so reading stops there;
        * an object holding the array under exactly one of ``resource_key``, ``data`` or
          ``items`` (a ``null`` there counts as an empty list: Go encodes an empty slice so);
          anything else is an error naming the keys that came back, never a guess.

        Next page, first rule that applies: ``next_cursor`` (truthy: ask again with
        ``cursor``; falsy: done); ``has_more`` (true: ask again with ``offset`` = items read so
        far); ``total`` (fewer items read than ``total``: ask again with ``offset``); else
        done. Every request sends ``limit``.

        A reading that contradicts itself is inconsistent: ``total`` (or ``count``) changing
        between pages, a final number of distinct items other than ``total``/``count``, an
        empty page while more is signalled, a cursor seen before, an id seen twice. The list
        is then read once more from the start; a second inconsistent reading fails the list,
        saying what was inconsistent. ``max_pages`` and ``list_timeout`` bound both readings
        together. A partial list is never returned.
        """
        deadline = self._monotonic() + self.list_timeout
        pages = [0]
        problems = []
        for _reading in range(2):
            try:
                return self._read_list(path, resource_key, params, check_item, what, deadline, pages)
            except _Inconsistent as problem:
                problems.append(str(problem))
        if problems[0] == problems[1]:
            reason = problems[0]
        else:
            reason = "%s; then %s" % (problems[0], problems[1])
        raise self._list_error(path, "%s could not be read consistently (read twice from the start): %s; the list is not used" % (what, reason),
                               REASON_INCONSISTENT_LIST)

    def _read_list(self, path, resource_key, params, check_item, what, deadline, pages):
        base = dict(params or {})
        request_params = dict(base, limit=self.page_limit)
        items = []
        seen = set()
        cursors = set()
        announced = None  # (key, value) of the first page's total or count
        page = 0
        while True:
            page += 1
            pages[0] += 1
            if pages[0] > self.max_pages:
                raise self._list_error(path, "%s: more than %d pages (%d items so far); giving up, the list is not used"
                                       % (what, self.max_pages, len(items)), REASON_TOO_MANY_PAGES)
            if self._monotonic() > deadline:
                raise self._list_error(path, "%s: not complete after %g s (%s, %d items); giving up, the list is not used"
                                       % (what, self.list_timeout, plural(pages[0] - 1, "page"), len(items)), REASON_LIST_TIME_OUT)
            body = self._request("GET", path, params=request_params)
            if self._observer is not None:
                self._observe_page(path, resource_key, page, request_params, body)
            if isinstance(body, list):
                if page > 1:
                    raise _Inconsistent("page %d is a bare JSON array while page 1 was an object" % page)
                page_items, body = body, {}
            elif isinstance(body, dict):
                page_items = self._page_items(body, path, resource_key, what)
            else:
                raise self._list_error(path, "%s: unrecognised list response from GET %s: a JSON %s" % (what, path, type(body).__name__))

            for item in page_items:
                record = check_item(item, "GET", path)
                if record["id"] in seen:
                    where = "in one page" if page == 1 else "again on page %d" % page
                    raise _Inconsistent("id %s listed %s" % (one_line(record["id"], 80), where))
                seen.add(record["id"])
                items.append(record)

            count = self._announced_count(body, path, what)
            if count is not None:
                if announced is None:
                    announced = count
                elif count != announced:
                    raise _Inconsistent("%s changed from %d to %d between page 1 and page %d" % (count[0], announced[1], count[1], page))
            next_params = self._next_page(body, path, base, len(items), what)
            if next_params is None:
                if announced is not None and announced[1] != len(items):
                    raise _Inconsistent("%d distinct items read but %s says %d" % (len(items), announced[0], announced[1]))
                return items
            if not page_items:
                raise _Inconsistent("page %d is empty although the response signals more items" % page)
            cursor = next_params.get("cursor")
            if cursor is not None:
                if cursor in cursors:
                    raise _Inconsistent("next_cursor %s was already given" % one_line(cursor, 40))
                cursors.add(cursor)
            request_params = next_params

    def _page_items(self, body, path, resource_key, what):
        present = [key for key in (resource_key, "data", "items") if key in body]
        if len(present) == 1:
            value = body[present[0]]
            if value is None:
                return []
            if isinstance(value, list):
                return value
        raise self._list_error(path, "%s: unrecognised list response from GET %s: keys %s" % (what, path, one_line(sorted(body), 200)))

    def _announced_count(self, body, path, what):
        """``("total", n)`` or ``("count", n)``: the size of the whole list the page claims, or None."""
        for key in ("total", "count"):
            if key in body:
                if not _is_int(body[key]) or body[key] < 0:
                    raise self._list_error(path, "%s: GET %s: %s is not a non-negative integer" % (what, path, key))
                return key, body[key]
        return None

    def _next_page(self, body, path, base, collected, what):
        """Return the params of the next request, or None when the list is complete."""
        if "next_cursor" in body:
            cursor = body["next_cursor"]
            if not cursor:
                return None
            if not isinstance(cursor, (str, int)) or isinstance(cursor, bool):
                raise self._list_error(path, "%s: GET %s: next_cursor is a %s, expected a string" % (what, path, type(cursor).__name__))
            return dict(base, limit=self.page_limit, cursor=cursor)
        if "has_more" in body:
            if not isinstance(body["has_more"], bool):
                raise self._list_error(path, "%s: GET %s: has_more is not a boolean" % (what, path))
            return dict(base, limit=self.page_limit, offset=collected) if body["has_more"] else None
        if "total" in body:
            return dict(base, limit=self.page_limit, offset=collected) if collected < body["total"] else None
        return None

    def _list_error(self, path, detail, reason=REASON_UNRECOGNISED_LIST):
        return self._error("Neo API: " + detail, detail=detail, method="GET", path=path, reason=reason)

    # ------------------------------------------------------------------ HTTP

    def _request(self, method, path, params=None, json=None, retry_policy=RETRY_IDEMPOTENT, sensitive=()):  # pylint: disable=redefined-outer-name
        """Send one API call with bounded retries; return the parsed JSON body of the 2xx.

        ``retry_policy`` is RETRY_IDEMPOTENT (GET, PATCH) or RETRY_CREATE (POST, see module
        docstring). Redirects are never followed. ``sensitive``: texts of the request body (a
        secret's value) scrubbed out of any error text, as they are and JSON-escaped, before the
        text is folded onto one line (an API may echo the body it refused).
        """
        url = self.api_url + path
        attempt = 0
        while True:
            attempt += 1
            if self.credentials_rejected is not None:
                raise self._error("not attempted: %s" % self.credentials_rejected, status=401, method=method, path=path, sent=False)
            watch = self._watchdog.watch(self.timeout)
            _CURRENT.watch = watch
            started = time.perf_counter()
            try:
                prepared = requests.PreparedRequest()
                prepared.prepare(method=method, url=url, headers=self._headers, params=params, json=json)
                response = self._adapter.send(prepared, stream=True, timeout=(self.timeout, self.timeout), verify=self._verify, proxies=self._proxies)
                status = response.status_code
                if 200 <= status < 300:
                    content = self._read_body(response, method, path, MAX_BODY_BYTES)
                else:
                    content = self._read_body(response, method, path, MAX_ERROR_BODY_BYTES, truncate=True)
            except requests.exceptions.RequestException as exc:
                description, transient, never_sent = self._describe_failure(exc, watch.expired)
                if self._observer is not None:
                    self._observe_response(method, path, params, attempt, started, None, description)
                retryable = never_sent or (transient and retry_policy == RETRY_IDEMPOTENT)
                wait = self._reserve_retry(attempt, None) if retryable else None
                if wait is not None:
                    self._wait_before_retry(method, path, attempt, "failed (%s)" % description, wait)
                    continue
                error = self._transport_error(method, path, exc, description, attempt, transient and retry_policy == RETRY_CREATE)
                raise self._with_budget_note(error, retryable and attempt <= self.retries)
            finally:
                watch.finish()
                _CURRENT.watch = None
            if self._observer is not None:
                self._observe_response(method, path, params, attempt, started, response, None)

            if 200 <= status < 300:
                return self._parse_json(content, status, method, path)
            if 300 <= status < 400:
                raise self._redirect_error(response, method, path, sensitive)
            if status == 407:
                raise self._error("Neo API %s %s: proxy authentication failed (407 from the HTTP proxy between this host and the API); "
                                  "check the proxy credentials in HTTPS_PROXY / HTTP_PROXY" % (method, path),
                                  status=407, detail="proxy authentication failed", method=method, path=path)
            retryable = status == 429 or (status in RETRYABLE_STATUSES and retry_policy == RETRY_IDEMPOTENT)
            wait = self._reserve_retry(attempt, response.headers.get("Retry-After")) if retryable else None
            if wait is not None:
                self._wait_before_retry(method, path, attempt, "answered %d" % status, wait)
                continue
            error = self._error_from_response(response, content, method, path, attempt, sensitive)
            if status == 401:
                with self._lock:
                    if self.credentials_rejected is None:
                        self.credentials_rejected = "the API rejected the credentials earlier in this run (%s)" % error.message
            raise self._with_budget_note(error, retryable and attempt <= self.retries)

    def _read_body(self, response, method, path, limit, truncate=False):
        """The body, at most ``limit`` bytes; closes the response.

        A larger body is an error, or with ``truncate`` (an error answer, of which only a short
        message is used) cut at ``limit``.
        """
        try:
            length = response.headers.get("Content-Length")
            if not truncate and length is not None and length.strip().isdigit() and int(length) > limit:
                raise self._too_large(response, method, path, limit)
            chunks = []
            size = 0
            for chunk in response.iter_content(READ_CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    if truncate:
                        break
                    raise self._too_large(response, method, path, limit)
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            response.close()

    def _too_large(self, response, method, path, limit):
        return self._error("Neo API answered %s %s (status %d) with a body over %d MiB; refused" % (method, path, response.status_code, limit // (1024 * 1024)),
                           status=response.status_code, detail="response body too large", method=method, path=path, reason=REASON_BODY_TOO_LARGE)

    def _reserve_retry(self, attempt, retry_after):
        """Seconds to wait before retry ``attempt``, taken from the budget; None: do not retry.

        None when this request used up its ``retries``, or when the wait would take this
        client's total past ``retry_budget`` (then no later request is retried either).
        """
        if attempt > self.retries:
            return None
        wait = self._retry_wait(attempt, retry_after)
        with self._lock:
            if self.retry_budget_spent or self.retry_waited + wait > self.retry_budget + 1e-6:
                self.retry_budget_spent = True
                return None
            self.retry_waited += wait
            self.retry_count += 1
        return wait

    def _with_budget_note(self, error, budget_refused):
        """Say why a retryable failure was not retried although this request had retries left."""
        if budget_refused and self.retry_budget_spent:
            error.message = "%s; not retried: this task's retry budget (%g s of waiting in total) is used up" % (error.message, self.retry_budget)
        return error

    def _wait_before_retry(self, method, path, attempt, what, wait):
        if self._on_retry is not None:
            self._on_retry("Neo API %s %s %s; retry %d of %d in %.1f s" % (method, path, what, attempt, self.retries, wait))
        self._sleep(wait)

    def _retry_wait(self, attempt, retry_after):
        """Seconds to wait before retry ``attempt`` (1-based).

        ``Retry-After`` wins when parseable: delta-seconds or an HTTP date (relative to
        ``now()``), clamped to [0, max_retry_wait]. Otherwise full jitter:
        ``rng() * min(max_retry_wait, 0.5 * 2 ** (attempt - 1))``, which spreads the retries
        of the policy action's concurrent threads.
        """
        if retry_after is not None:
            seconds = None
            text = str(retry_after).strip()
            try:
                seconds = float(text)
            except ValueError:
                try:
                    when = email.utils.parsedate_to_datetime(text)
                except (TypeError, ValueError, IndexError):
                    when = None
                if when is not None:
                    if when.tzinfo is None:
                        when = when.replace(tzinfo=datetime.timezone.utc)
                    seconds = when.timestamp() - self._now()
            if seconds is not None and math.isfinite(seconds):
                return min(max(seconds, 0.0), self.max_retry_wait)
        return self._rng() * min(self.max_retry_wait, 0.5 * 2 ** (attempt - 1))

    def _describe_failure(self, exc, deadline_passed):
        """Classify a requests exception: (description, transient, surely_never_sent)."""
        exceptions = requests.exceptions
        if deadline_passed:
            return "timed out after %s s" % self.timeout, True, False
        if isinstance(exc, exceptions.ConnectTimeout):
            return "could not connect within %s s" % self.timeout, True, True
        if isinstance(exc, exceptions.ProxyError):
            if "407" in str(exc):
                return "proxy authentication failed (407 from the HTTP proxy); check the proxy credentials in HTTPS_PROXY / HTTP_PROXY", False, False
            return "could not connect through the proxy", True, True
        if isinstance(exc, exceptions.SSLError):
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                return "TLS certificate verification failed (validate_certs, ca_path)", False, False
            return "TLS handshake failed", False, False
        if isinstance(exc, exceptions.ReadTimeout) or _caused_by_read_timeout(exc):
            return "timed out after %s s" % self.timeout, True, False
        if isinstance(exc, exceptions.ConnectionError):
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            if isinstance(reason, NewConnectionError):
                return "could not connect (connection refused or name not resolved)", True, True
            return "connection dropped", True, False
        if isinstance(exc, exceptions.ChunkedEncodingError):
            return "connection dropped while reading the response", True, False
        if isinstance(exc, exceptions.ContentDecodingError):
            return "the response body could not be decoded", False, False
        return "request error", False, False

    # ------------------------------------------------------------------ observation (only with an observer)

    def _observe_response(self, method, path, params, attempt, started, response, failure):
        facts = {"event": "response", "method": method, "path": path, "params": sorted(params or ()), "attempt": attempt,
                 "seconds": time.perf_counter() - started, "status": None, "http_version": None, "headers": {}, "failure": failure}
        if response is not None:
            facts.update(status=response.status_code, http_version=getattr(response.raw, "version", None), headers={
                name: self._scrub(value) for name, value in response.headers.items()
                if name.lower() in OBSERVED_HEADERS or name.lower().startswith(OBSERVED_HEADER_PREFIXES)})
        self._observer(facts)

    def _observe_page(self, path, resource_key, page, request_params, body):
        """The form of one list page as ``_read_list`` reads it: the keys it consults, never a value of a record.

        ``envelope``: "bare", the one key of ``_page_items`` holding the records, or None (not a
        list response); ``signal``: the key ``_next_page`` decides on; ``count_key``: the one of
        ``_announced_count``; ``values``: the booleans and integers of the paging keys.
        """
        facts = {"event": "page", "path": path, "page": page, "limit": request_params.get("limit"), "params": sorted(request_params),
                 "keys": None, "envelope": None, "signal": None, "count_key": None, "values": {}, "items": None, "fields": {}, "null_fields": {}}
        records = None
        if isinstance(body, list):
            facts.update(envelope="bare", keys=[])
            records = body
        elif isinstance(body, dict):
            facts["keys"] = sorted(str(key) for key in body)
            present = [key for key in (resource_key, "data", "items") if key in body]
            if len(present) == 1 and (body[present[0]] is None or isinstance(body[present[0]], list)):
                facts["envelope"] = present[0]
                records = body[present[0]] or []
            facts["signal"] = next((key for key in ("next_cursor", "has_more", "total") if key in body), None)
            facts["count_key"] = next((key for key in ("total", "count") if key in body), None)
            facts["values"] = {key: body[key] for key in ("has_more", "total", "count", "limit", "offset")
                               if isinstance(body.get(key), (bool, int))}
            if "next_cursor" in body:
                facts["values"]["next_cursor"] = bool(body["next_cursor"])
        if records is not None:
            facts["items"] = len(records)
            fields, null_fields = facts["fields"], facts["null_fields"]
            for record in records:
                if isinstance(record, dict):
                    for key, value in record.items():
                        fields[key] = fields.get(key, 0) + 1
                        if value is None:
                            null_fields[key] = null_fields.get(key, 0) + 1
        self._observer(facts)

    # ------------------------------------------------------------------ errors

    def _error(self, message, sensitive=(), **fields):
        """A NeoApiError whose texts have the credential (and ``sensitive`` texts) scrubbed out (the API may echo them)."""
        for key in ("detail", "code", "error_id", "kind"):
            if isinstance(fields.get(key), str):
                fields[key] = self._scrub(fields[key], sensitive)
        return NeoApiError(self._scrub(message, sensitive), **fields)

    def _scrub(self, text, sensitive=()):
        text = text.replace(self._credential, REDACTED) if self._credential in text else text
        for secret in sensitive:
            if isinstance(secret, str) and secret:
                for form in (secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]):
                    if form in text:
                        text = text.replace(form, REDACTED)
        return text

    def _transport_error(self, method, path, exc, description, attempts, maybe_sent_post):
        timed_out = description.startswith("timed out")
        attempts_text = ""
        if attempts > 1:
            attempts_text = (" on each of %d attempts" if timed_out else " after %d attempts") % attempts
        # A time-out is one whatever layer noticed it (socket read, connect, or the request deadline).
        cause = "" if timed_out else " (%s)" % type(exc).__name__
        message = "Neo API request failed: %s %s: %s%s%s" % (method, path, description, attempts_text, cause)
        if maybe_sent_post:
            message += "; not retried because the request may have reached the server: list before trying again"
        return self._error(message, detail=description, method=method, path=path, retries=attempts - 1)

    def _redirect_error(self, response, method, path, sensitive=()):
        location = one_line(self._scrub(response.headers.get("Location") or "(no Location header)", sensitive), 200)
        message = (
            "Neo API %s %s answered %d: the API redirected to %s; redirects are not followed "
            "(that would resend the credentials and turn writes into GETs): set api_url to the final URL"
            % (method, path, response.status_code, location)
        )
        return self._error(message, status=response.status_code, detail="redirected to %s" % location, method=method, path=path, reason=REASON_REDIRECTED)

    def _error_from_response(self, response, content, method, path, attempts, sensitive=()):
        """Build the NeoApiError of a non-2xx response from its ErrorResponse body, if any.

        ``message`` is preferred to ``error`` as the detail; a body that is not an
        ErrorResponse is never shown (only the HTTP reason).
        """
        status = response.status_code
        code = error_id = kind = detail = None
        body = _loads(content)
        if isinstance(body, dict):
            code = body.get("code") if isinstance(body.get("code"), str) else None
            kind = body.get("kind") if isinstance(body.get("kind"), str) else None
            error_id = body.get("error_id") if isinstance(body.get("error_id"), (str, int)) else None
            for key in ("message", "error"):
                if isinstance(body.get(key), str) and body[key].strip():
                    detail = body[key]
                    break
        if not detail:
            detail = response.reason or "HTTP error"
        detail = one_line(self._scrub(detail, sensitive))
        message = "Neo API %d" % status
        if code:
            message += " " + one_line(code, 80)
        if error_id:
            message += " (error_id %s)" % one_line(error_id, 80)
        message += ": " + detail
        if attempts > 1:
            message += " (gave up after %s)" % plural(attempts, "attempt")
        return self._error(message, sensitive, status=status, code=code, error_id=error_id, detail=detail, method=method, path=path,
                           retries=attempts - 1, kind=kind)

    def _parse_json(self, content, status, method, path):
        if not content.strip():
            raise self._error("Neo API answered %s %s with an empty body (status %d)" % (method, path, status), status=status, method=method, path=path,
                              reason=REASON_EMPTY_BODY)
        body = _loads(content, _INVALID)
        if body is _INVALID:
            raise self._error("Neo API: invalid JSON in response to %s %s (status %d)" % (method, path, status),
                              status=status, detail="invalid JSON", method=method, path=path, reason=REASON_INVALID_JSON)
        return body


_INVALID = object()


def _unwrap(body, key):
    """The record of ``{key: {...}}`` (the envelope of the projects write endpoints), else ``body`` as it is."""
    if isinstance(body, dict) and "id" not in body and isinstance(body.get(key), dict) and len(body) == 1:
        return body[key]
    return body


def _loads(content, invalid=None):
    """Parsed JSON, or ``invalid`` for anything that is not (bad UTF-8, syntax, nesting too deep)."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError, UnicodeDecodeError, TypeError):
        return invalid


def _caused_by_read_timeout(exc):
    """requests wraps a read time-out in the body as a ConnectionError around urllib3's ReadTimeoutError."""
    return any(isinstance(arg, ReadTimeoutError) for arg in exc.args)
