# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""The one Neo API client of the collection: auth, retries, errors, pagination, time bounds.

Every plugin talks to the Neo API through ``NeoClient`` only, so these rules hold everywhere
(docs/guarantees.md lists them with the tests that prove them):

* Errors. Every failure is a ``NeoApiError`` (``NeoConfigError`` for bad options, raised before
  any request), one line, e.g. ``Neo API 403 forbidden (error_id 1a2b3c): not a member of this
  project``. Messages never contain credentials (the API key and token, and a secret's value
  sent in a POST, are scrubbed out of any text the API sends back), header values, request
  bodies or invisible format characters. ``reason`` says REASON_NOT_SENT for a connection that
  could not be made, REASON_TRANSPORT for one that failed after the request may have reached
  the server. A failure to connect names the base URL and why (refused, a host name that did not
  resolve, TLS to a plain-HTTP port); a 401 names the base URL and where the credential came
  from (``credential_source``), so that whoever cannot see the settings knows what to check.
* One ``requests.Session`` per client: proxies (``NO_PROXY`` included) and the CA bundle of the
  environment are requests' own. ``~/.netrc`` is never read and cookies are never sent back.
  Redirects are never followed: that would resend ``X-Api-Key`` to another host and turn a
  PATCH into a GET.
* Time. ``timeout`` bounds each whole attempt, body included (``_neo_deadline``). A body over
  ``MAX_BODY_BYTES`` is refused. One list is bounded by ``MAX_PAGES`` and ``LIST_TIMEOUT``.
* Retries. ``retries`` retries at most. GET and PATCH (idempotent) are retried on 429, 500,
  502, 503, 504, dropped connections and time-outs; POST only on 429 and when the request surely
  never reached the server (a blind POST retry could create a duplicate). ``Retry-After``
  (seconds or HTTP date) is honoured up to ``MAX_RETRY_WAIT``, else full-jitter exponential
  back-off. A proxy's 407 and a host name that does not resolve are never retried. One client
  (one task) sleeps at most ``retry_budget`` = ``retries * MAX_RETRY_WAIT`` seconds, over all
  its requests and threads.
* After a 401 no further request is sent: every later call fails at once with reason
  REASON_NOT_ATTEMPTED, so callers can report their remaining work as not attempted.
* Lists are read completely and consistently before anything is returned (``_list``).
* Secret records never carry a ``value`` key out of the client, even if the API sent one.
"""
from __future__ import annotations

import http.cookiejar
import itertools
import json
import os
import random
import socket
import sys
import threading
import time
from collections import Counter
from urllib.parse import quote, urlsplit

HAS_REQUESTS = True
try:
    import requests
    import urllib3
    from requests import Session
    from urllib3.exceptions import HTTPError, InsecureRequestWarning, InvalidHeader, MaxRetryError, NewConnectionError, ReadTimeoutError
    from urllib3.util.retry import Retry
except ImportError:
    HAS_REQUESTS = False
    Retry = object

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import DEFAULT_API_URL
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_deadline import WatchedAdapter, Watchdog
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_BODY_TOO_LARGE,
    REASON_EMPTY_BODY,
    REASON_INCONSISTENT_LIST,
    REASON_INVALID_JSON,
    REASON_INVALID_RECORD,
    REASON_LIST_TIME_OUT,
    REASON_NOT_ATTEMPTED,
    REASON_NOT_SENT,
    REASON_REDIRECTED,
    REASON_TOO_MANY_PAGES,
    REASON_TRANSPORT,
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

RETRYABLE_STATUSES = frozenset([429, 500, 502, 503, 504])
IDEMPOTENT_METHODS = frozenset(["GET", "PATCH"])
MAX_RETRY_WAIT = 30.0
PAGE_LIMIT = 100
MAX_PAGES = 1000
LIST_TIMEOUT = 300.0
MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_ERROR_BODY_BYTES = 1024 * 1024
READ_CHUNK_BYTES = 256 * 1024
REDACTED = "********"
PROXY_407 = "proxy authentication failed (407 from the HTTP proxy between this host and the API); check the proxy credentials in HTTPS_PROXY / HTTP_PROXY"

# Response headers an observer is told about (lower-case names, or prefixes of names): request ids,
# rate limits, retry hints and what answered. No other header value ever reaches an observer.
REQUEST_ID_HEADERS = frozenset(("x-request-id", "request-id", "x-correlation-id", "x-amzn-requestid", "x-amz-request-id", "x-trace-id", "cf-ray"))
RATE_LIMIT_PREFIXES = ("x-ratelimit", "x-rate-limit", "ratelimit")
OBSERVED_HEADERS = REQUEST_ID_HEADERS | frozenset(("retry-after", "content-type", "server", "via"))

# What the unit tests replace (monkeypatch), so that none of them really waits or depends on chance.
_sleep = time.sleep
_random = random.random
_monotonic = time.monotonic


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_name(value):  # what a record's id and name must be
    return isinstance(value, str) and value != ""


def _check_credential(option, value):
    """The stripped credential. What could not be a header value is refused here: requests
    would refuse it with an exception quoting it."""
    if not isinstance(value, str):
        raise NeoConfigError("%s must be a string" % option)
    value = value.strip()
    if not value:
        raise NeoConfigError("%s is empty" % option)
    if any(not 0x21 <= ord(character) < 0x7f for character in value):
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


class _Retry(Retry):
    """urllib3's retry rules (methods, statuses, connect and read errors, Retry-After), driven by ``_request``.

    Not mounted in the adapter, where urllib3 would retry inside one ``send``: an attempt ends only
    once its whole body is read (a body cut off is retried like a dropped connection), and each
    attempt is observed and has its own deadline. A POST is retried on 429 too (the API refused it:
    nothing was created); the back-off is full jitter, which spreads concurrent threads' retries.
    """

    RETRY_AFTER_STATUS_CODES = frozenset()  # retry exactly the statuses listed, Retry-After or not

    def is_retry(self, method, status_code, has_retry_after=False):
        return status_code == 429 or super().is_retry(method, status_code, has_retry_after)

    def parse_retry_after(self, retry_after):
        try:
            return min(super().parse_retry_after(retry_after), MAX_RETRY_WAIT)
        except InvalidHeader:  # neither seconds nor an HTTP date: back off instead
            return None

    def get_backoff_time(self):
        return _random() * min(MAX_RETRY_WAIT, self.backoff_factor * 2 ** (len(self.history) - 1))

    def wait(self, response=None):
        """Seconds to wait before the retry this object was incremented for."""
        retry_after = self.get_retry_after(response) if response is not None else None
        return self.get_backoff_time() if retry_after is None else retry_after


class _Inconsistent(Exception):
    """One reading of a list contradicted itself; the reason is the message."""


class NeoClient:
    """Thread-safe client of the Neo API secrets and projects endpoints.

    Construction validates the options (``NeoConfigError`` naming the option) and sends nothing.
    ``on_retry(message)`` is called before each retry (plugins return it as a warning);
    ``retry_count`` counts the retries over the client's life.
    ``observer`` (None: nothing is recorded) is called with a dict of facts per HTTP attempt and
    per list page (``_observe_response``, ``_observe_page``): never a body, a record value, a
    credential or another header.
    ``credential_source``: ``(where, what to check)`` of the credential, such as ``("from NEO_API_KEY",
    "check that variable")`` (``_neo_args.client_from_params`` works it out); a 401 names it, for
    whoever cannot see the credential (an AWX job's author).
    """

    def __init__(self, api_url=DEFAULT_API_URL, api_key=None, api_token=None, validate_certs=True, ca_path=None, timeout=30, retries=5,
                 pool_size=8, on_retry=None, observer=None, credential_source=("given in the task", "check the task's options")):
        if not HAS_REQUESTS:
            raise NeoConfigError("Failed to import the required Python library (requests) on the controller's Python %s; "
                                 "install it with pip install requests (see the collection's requirements.txt)" % sys.executable)
        if api_key is None and api_token is None:
            raise NeoConfigError("no credentials: set api_key or api_token, or NEO_API_KEY or NEO_API_TOKEN")
        if api_key is not None and api_token is not None:
            raise NeoConfigError("api_key and api_token are mutually exclusive: give only one")
        if api_key is not None:
            self.auth_scheme, self._credential = "api_key", _check_credential("api_key", api_key)
            if not self._credential.startswith(API_KEY_PREFIX):
                raise NeoConfigError("api_key must start with %s (value not shown); a JWT goes in api_token" % API_KEY_PREFIX)
            credential = {"X-Api-Key": self._credential}
        else:
            self.auth_scheme, self._credential = "api_token", _check_credential("api_token", api_token)
            if self._credential.startswith(API_KEY_PREFIX):
                raise NeoConfigError("api_token holds a Neo API key (%s...); pass it as api_key instead" % API_KEY_PREFIX)
            credential = {"Authorization": "Bearer " + self._credential}
        kind = "API key" if self.auth_scheme == "api_key" else "API token"
        self.credential_label, self.credential_hint = "the %s %s" % (kind, credential_source[0]), credential_source[1]
        self.api_url = _normalise_api_url(api_url)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < float("inf"):
            raise NeoConfigError("timeout must be a positive number of seconds")
        for name, value, minimum in (("retries", retries, 0), ("pool_size", pool_size, 1)):
            if not _is_int(value) or value < minimum:
                raise NeoConfigError("%s must be an integer >= %d" % (name, minimum))
        self.validate_certs = bool(validate_certs)
        if ca_path is not None and not (isinstance(ca_path, str) and os.path.exists(ca_path)):
            raise NeoConfigError("ca_path: no such file or directory: %s" % one_line(ca_path, 200))
        self.ca_path = ca_path
        # Given with each request: True lets requests use REQUESTS_CA_BUNDLE; a session's own
        # ``verify = False`` would lose against that variable.
        self._verify = (ca_path or True) if self.validate_certs else False
        self.timeout = timeout
        self.retries = retries
        self.page_limit = PAGE_LIMIT
        self._retry = _Retry(total=retries, other=0, allowed_methods=IDEMPOTENT_METHODS, status_forcelist=RETRYABLE_STATUSES, backoff_factor=0.5)
        self._on_retry = on_retry
        self._observer = observer
        self._lock = threading.Lock()
        self.retry_count = 0
        # Total seconds this client may sleep for retries, over all requests and threads.
        self.retry_budget = retries * MAX_RETRY_WAIT
        self.retry_waited = 0.0
        self.retry_budget_spent = False
        # The message of the 401 that stopped this client, once the API rejected the credentials.
        self.credentials_rejected = None
        if not self.validate_certs:
            # The plugins warn once, as an Ansible warning; urllib3 would print to stderr per request.
            urllib3.disable_warnings(InsecureRequestWarning)
        self._watchdog = Watchdog()
        self._session = Session()
        # No redirect target, ever: even with allow_redirects=False requests would read a
        # redirect's whole body, unbounded, to prepare Response.next.
        self._session.get_redirect_target = lambda response: None
        self._session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT, **credential})
        self._session.auth = lambda request: request  # any auth keeps requests from reading ~/.netrc
        self._session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))  # keeps no cookie
        adapter = WatchedAdapter(pool_connections=1, pool_maxsize=pool_size)
        for prefix in ("http://", "https://"):
            self._session.mount(prefix, adapter)

    def __repr__(self):
        return "<NeoClient %s (%s)>" % (self.api_url, self.auth_scheme)

    def close(self):
        self._watchdog.close()
        self._session.close()

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
        """PATCH ``default_available`` (the only mutable field) and return the SecretResponse."""
        if not isinstance(default_available, bool):
            raise ValueError("default_available must be a boolean")
        return self._patch(SECRETS_PATH, secret_id, {"default_available": default_available}, "secret", self._check_secret)

    CREATED = 201  # the documented status of both creates

    def create_secret(self, name, value, default_available=None, project_id=None, created_by_agent=None):
        """POST one new secret and return its SecretResponse (``value`` never comes back).

        Not retried after a failure that may have reached the server: the secret may exist then,
        so the caller must list the scope again before creating. Any 2xx is success.
        """
        options = {"default_available": default_available, "project_id": project_id, "created_by_agent": created_by_agent}
        payload = dict({"name": name, "value": value}, **{key: item for key, item in options.items() if item is not None})
        # An API that echoes the request body in an error must not put the value into a message.
        body = self._request("POST", SECRETS_PATH, json=payload, sensitive=(value,))
        # Tolerate {"secret": {...}}, the form the projects endpoints use.
        return self._check_secret(_unwrap(body, "secret"), "POST", SECRETS_PATH, status=self.CREATED)

    def create_project(self, payload):
        """POST one new project (``payload``: the CreateProjectRequest fields) and return its record.

        Retried like ``create_secret``. A 409 (the ``id`` exists) is the caller's to handle.
        The documented answer is ``{"project": {...}}``; a bare record is accepted too.
        """
        body = self._request("POST", PROJECTS_PATH, json=payload)
        return self._check_project(_unwrap(body, "project"), "POST", PROJECTS_PATH, status=self.CREATED)

    def update_project(self, project_id, changes):
        """PATCH the fields in ``changes`` (name, settings_md, shared_with_team, tags) and return the record."""
        if not isinstance(changes, dict) or not changes:
            raise ValueError("changes must be a non-empty dict")
        return self._patch(PROJECTS_PATH, project_id, changes, "project", self._check_project)

    def _patch(self, collection, record_id, changes, kind, check):
        # A PATCH sets a state (the same body twice sets the same state), so it is retried like a GET.
        if not isinstance(record_id, str) or not record_id:
            raise ValueError("%s_id must be a non-empty string" % kind)
        path = "%s/%s" % (collection, quote(record_id, safe=""))
        record = check(_unwrap(self._request("PATCH", path, json=changes), kind), "PATCH", path)
        if record["id"].lower() != record_id.lower():
            raise self._error("Neo API answered PATCH %s with the record of another %s (%s)" % (path, kind, one_line(record["id"], 80)),
                              reason=REASON_INVALID_RECORD)
        return record

    # The checks of a record take ``status`` for an answer to a create: the write was done, so the error
    # carries a 2xx (may_have_reached_server) and the create path reads the scope, never POSTs again.
    # _request hands back only the body of a 2xx; the documented 201 stands for it.

    def _check_project(self, item, method, path, status=None):
        if not isinstance(item, dict) or not _is_name(item.get("id")):
            raise self._error("Neo API answered %s %s with a project record without a string id" % (method, path), status=status,
                              reason=REASON_INVALID_RECORD)
        return item

    def _check_secret(self, item, method, path, status=None):
        """Validate a SecretResponse and drop any ``value`` key (only masked_value may leave)."""
        if not isinstance(item, dict):
            raise self._error("Neo API answered %s %s with %s where a secret record (object) was expected" % (method, path, type(item).__name__),
                              status=status, reason=REASON_INVALID_RECORD)
        missing = [key for key in ("id", "name") if not _is_name(item.get(key))]
        if not isinstance(item.get("default_available"), bool):
            missing.append("default_available (boolean)")
        if missing:
            which = next((" (%s)" % one_line(item[key], 80) for key in ("name", "id") if _is_name(item.get(key))), "")
            raise self._error("Neo API answered %s %s with a secret record%s lacking %s" % (method, path, which, ", ".join(missing)),
                              status=status, reason=REASON_INVALID_RECORD)
        return item if "value" not in item else {key: val for key, val in item.items() if key != "value"}

    # ------------------------------------------------------------------ pagination

    def _list(self, path, resource_key, params, check_item, what):
        """Read a whole list, following whichever pagination the responses show (the list endpoints
        are undocumented: docs/neo-api/README.md).

        A bare JSON array is the complete list (it has no way to ask for more); else the records are
        under exactly one of ``resource_key``, ``data`` or ``items`` (null: empty, as Go encodes an
        empty slice); anything else is an error naming the keys, never a guess. A reading that
        contradicts itself (``total``/``count`` changing or not matching the distinct items read, an
        empty page while more is signalled, a cursor or an id seen twice) is read once more from the
        start; a second one fails the list. ``MAX_PAGES`` and ``LIST_TIMEOUT`` bound both readings.
        """
        deadline = _monotonic() + LIST_TIMEOUT
        pages = itertools.count(1)  # over both readings
        problems = []
        for reading in (1, 2):
            try:
                return self._read_list(path, resource_key, params, check_item, what, deadline, pages, reading)
            except _Inconsistent as problem:
                problems.append(str(problem))
        reason = problems[0] if problems[0] == problems[1] else "%s; then %s" % tuple(problems)
        raise self._list_error("%s could not be read consistently (read twice from the start): %s; the list is not used" % (what, reason),
                               REASON_INCONSISTENT_LIST)

    def _read_list(self, path, resource_key, params, check_item, what, deadline, pages, reading):
        base = dict(params or {}, limit=self.page_limit)
        request_params = base
        items = []
        seen = set()
        cursors = set()
        announced = None  # (key, value) of the first page's total or count
        for page in itertools.count(1):
            number = next(pages)
            if number > MAX_PAGES:
                raise self._list_error("%s: more than %d pages (%d items so far); giving up, the list is not used" % (what, MAX_PAGES, len(items)),
                                       REASON_TOO_MANY_PAGES)
            if _monotonic() > deadline:
                raise self._list_error("%s: not complete after %g s (%s, %d items); giving up, the list is not used"
                                       % (what, LIST_TIMEOUT, plural(number - 1, "page"), len(items)), REASON_LIST_TIME_OUT)
            sent = request_params
            body = self._request("GET", path, params=sent)
            decided = {"envelope": None, "signal": None, "count_key": None, "next": None, "inconsistent": None}
            try:
                if isinstance(body, list):
                    decided["envelope"] = "bare"
                    if page > 1:
                        raise _Inconsistent("page %d is a bare JSON array while page 1 was an object" % page)
                    page_items, body_keys = body, {}
                elif isinstance(body, dict):
                    decided["envelope"], page_items = self._page_items(body, path, resource_key, what)
                    body_keys = body
                else:
                    raise self._list_error("%s: unrecognised list response from GET %s: a JSON %s" % (what, path, type(body).__name__))

                for item in page_items:
                    record = check_item(item, "GET", path)
                    if record["id"] in seen:
                        where = "in one page" if page == 1 else "again on page %d" % page
                        raise _Inconsistent("id %s listed %s" % (one_line(record["id"], 80), where))
                    seen.add(record["id"])
                    items.append(record)

                count = self._announced_count(body_keys, path, what)
                if count is not None:
                    decided["count_key"] = count[0]
                    announced = announced or count
                    if count != announced:
                        raise _Inconsistent("%s changed from %d to %d between page 1 and page %d" % (count[0], announced[1], count[1], page))
                decided["signal"], request_params = self._next_page(body_keys, path, base, len(items), what)
                if request_params is None:
                    if announced is not None and announced[1] != len(items):
                        raise _Inconsistent("%d distinct items read but %s says %d" % (len(items), announced[0], announced[1]))
                    return items
                if not page_items:
                    raise _Inconsistent("page %d is empty although the response signals more items" % page)
                cursor = request_params.get("cursor")
                if cursor is not None and cursor in cursors:
                    raise _Inconsistent("next_cursor %s was already given" % one_line(cursor, 40))
                cursors.add(cursor)
                decided["next"] = "cursor" if cursor is not None else "offset"
            except _Inconsistent as problem:
                decided["inconsistent"] = str(problem)
                raise
            finally:
                self._observe_page(path, page, reading, sent, body, decided)

    def _page_items(self, body, path, resource_key, what):
        """``(key, records)``: the one key of ``body`` holding the records (a null counts as empty)."""
        present = [key for key in (resource_key, "data", "items") if key in body]
        if len(present) == 1 and (body[present[0]] is None or isinstance(body[present[0]], list)):
            return present[0], body[present[0]] or []
        raise self._list_error("%s: unrecognised list response from GET %s: keys %s" % (what, path, one_line(sorted(body), 200)))

    def _announced_count(self, body, path, what):
        """``("total", n)`` or ``("count", n)``: the size of the whole list the page claims, or None."""
        for key in ("total", "count"):
            if key in body:
                if not _is_int(body[key]) or body[key] < 0:
                    raise self._list_error("%s: GET %s: %s is not a non-negative integer" % (what, path, key))
                return key, body[key]
        return None

    def _next_page(self, body, path, base, collected, what):
        """``(signal, params)``: the paging key decided on (or None), and the next request's params (None: complete)."""
        if "next_cursor" in body:
            cursor = body["next_cursor"]
            if not cursor:
                return "next_cursor", None
            if not isinstance(cursor, (str, int)) or isinstance(cursor, bool):
                raise self._list_error("%s: GET %s: next_cursor is a %s, expected a string" % (what, path, type(cursor).__name__))
            return "next_cursor", dict(base, cursor=cursor)
        if "has_more" in body:
            if not isinstance(body["has_more"], bool):
                raise self._list_error("%s: GET %s: has_more is not a boolean" % (what, path))
            return "has_more", dict(base, offset=collected) if body["has_more"] else None
        if "total" in body:
            return "total", dict(base, offset=collected) if collected < body["total"] else None
        return None, None

    def _list_error(self, detail, reason=REASON_UNRECOGNISED_LIST):
        return self._error("Neo API: " + detail, reason=reason)

    # ------------------------------------------------------------------ HTTP

    def _request(self, method, path, params=None, json=None, sensitive=()):  # pylint: disable=redefined-outer-name
        """Send one API call with bounded retries; return the parsed JSON body of the 2xx.

        ``sensitive``: texts of the request body (a secret's value) scrubbed out of any error text
        before it is folded onto one line (an API may echo the body it refused).
        """
        url = self.api_url + path
        retry = self._retry
        for attempt in itertools.count(1):
            if self.credentials_rejected is not None:
                raise self._error(self.credentials_rejected, status=401, reason=REASON_NOT_ATTEMPTED)
            started = time.perf_counter()
            response = failure = None
            with self._watchdog.watch(self.timeout) as watch:
                try:
                    response = self._session.request(method, url, params=params, json=json, stream=True, timeout=self.timeout,
                                                     verify=self._verify, allow_redirects=False)
                    ok = 200 <= response.status_code < 300
                    content = self._read_body(response, method, path, MAX_BODY_BYTES if ok else MAX_ERROR_BODY_BYTES, truncate=not ok)
                except requests.exceptions.RequestException as exc:
                    failure = exc
            if failure is None:
                status = response.status_code
                self._observe_response(method, path, params, attempt, started, response, None)
                if ok and not content.strip():
                    raise self._error("Neo API answered %s %s with an empty body (status %d)" % (method, path, status), status=status, reason=REASON_EMPTY_BODY)
                if ok:
                    body = _loads(content, _INVALID)
                    if body is _INVALID:
                        raise self._error("Neo API: invalid JSON in response to %s %s (status %d)" % (method, path, status), status=status,
                                          reason=REASON_INVALID_JSON)
                    return body
                if 300 <= status < 400:
                    location = one_line(self._scrub(response.headers.get("Location") or "(no Location header)", sensitive), 200)
                    raise self._error("Neo API %s %s answered %d: the API redirected to %s; redirects are not followed (that would resend the "
                                      "credentials and turn writes into GETs): set api_url to the final URL" % (method, path, status, location),
                                      status=status, reason=REASON_REDIRECTED)
                if status == 407:
                    raise self._error("Neo API %s %s: %s" % (method, path, PROXY_407), status=407)
                retryable = retry.is_retry(method, status, "Retry-After" in response.headers)
                answer, cause, what = response.raw, None, "answered %d" % status
            else:
                cause = _cause(failure)
                description = self._describe_failure(failure, cause, watch.expired)
                self._observe_response(method, path, params, attempt, started, None, description)
                # _Retry.increment decides by the kind of failure (connecting or later) and the method.
                # A host name that did not resolve is not retried: a typo in api_url would cost the
                # whole back-off schedule before saying so.
                retryable, answer, what = not _unresolved(cause), None, "failed (%s)" % description
            note = ""
            if retryable:
                try:
                    retry = retry.increment(method, path, response=answer, error=cause)
                except (HTTPError, requests.exceptions.RequestException):
                    pass  # out of retries, or a failure urllib3 does not retry for this method
                else:
                    wait = self._take_from_budget(retry.wait(answer))
                    if wait is not None:
                        if self._on_retry is not None:
                            self._on_retry("Neo API %s %s %s; retry %d of %d in %.1f s" % (method, path, what, attempt, self.retries, wait))
                        _sleep(wait)
                        continue
                    note = "; not retried: this task's retry budget (%g s of waiting in total) is used up" % self.retry_budget
            if failure is not None:
                raise self._transport_error(method, path, failure, cause, description, attempt, note, answered=response is not None)
            error = self._error_from_response(response, content, attempt, sensitive, note)
            if status == 401:
                error = self._credentials_rejected_error(error)
            raise error

    def _credentials_rejected_error(self, error):
        """The error of a 401, naming the base URL and where the credential came from (never the
        credential); it also sets the message every later call of this client fails with."""
        rejected = "the API at %s rejected %s" % (self.api_url, self.credential_label)
        with self._lock:
            if self.credentials_rejected is None:
                self.credentials_rejected = "%s earlier in this run (%s): %s" % (rejected, error.message, self.credential_hint)
        return self._error("%s; %s: %s" % (error.message, rejected, self.credential_hint), status=error.status, code=error.code, error_id=error.error_id)

    def _take_from_budget(self, wait):
        """``wait``, taken from the retry budget; None (and no later retry either) when it would overdraw it."""
        with self._lock:
            if self.retry_budget_spent or self.retry_waited + wait > self.retry_budget + 1e-6:
                self.retry_budget_spent = True
                return None
            self.retry_waited += wait
            self.retry_count += 1
        return wait

    def _read_body(self, response, method, path, limit, truncate=False):
        """The body, at most ``limit`` bytes, else refused; with ``truncate`` (an error answer, of
        which only a short message is used) cut at ``limit``. Closes the response."""
        try:
            length = response.headers.get("Content-Length") or ""
            too_large = not truncate and length.strip().isdigit() and int(length) > limit
            chunks, size = [], 0
            for chunk in () if too_large else response.iter_content(READ_CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    too_large = not truncate
                    break
                chunks.append(chunk)
            if too_large:
                raise self._error("Neo API answered %s %s (status %d) with a body over %d MiB; refused"
                                  % (method, path, response.status_code, limit // (1024 * 1024)), status=response.status_code, reason=REASON_BODY_TOO_LARGE)
            return b"".join(chunks)
        finally:
            response.close()

    def _describe_failure(self, exc, cause, expired):
        exceptions = requests.exceptions
        if expired or isinstance(exc, exceptions.ReadTimeout) or isinstance(cause, ReadTimeoutError):
            return "timed out after %s s" % self.timeout
        # Whatever fails before a connection is made names the base URL: the one thing to check
        # when the author of a job cannot see its settings.
        if isinstance(exc, exceptions.ConnectTimeout):
            return "could not connect to %s within %s s" % (self.api_url, self.timeout)
        if isinstance(exc, exceptions.ProxyError):
            return PROXY_407 if "407" in str(exc) else "could not connect to %s through the proxy" % self.api_url
        if isinstance(exc, exceptions.SSLError):
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                return "TLS certificate verification failed for %s (validate_certs, ca_path)" % self.api_url
            if "WRONG_VERSION_NUMBER" in str(exc).upper():  # the answer to the TLS handshake was no TLS: plain HTTP
                return "the server at %s does not speak TLS on that port: is the URL http://?" % self.api_url
            return "TLS handshake with %s failed" % self.api_url
        if isinstance(exc, exceptions.ChunkedEncodingError):
            return "connection dropped while reading the response"
        if isinstance(exc, exceptions.ContentDecodingError):
            return "the response body could not be decoded"
        if isinstance(exc, exceptions.ConnectionError):
            if _unresolved(cause):
                return "could not connect to %s: the host name %s did not resolve" % (self.api_url, urlsplit(self.api_url).hostname)
            if isinstance(cause, NewConnectionError):
                error = _os_error(cause)
                why = "connection refused" if isinstance(error, ConnectionRefusedError) else one_line(getattr(error, "strerror", None) or "no connection", 80)
                return "could not connect to %s (%s)" % (self.api_url, why.lower())
            return "connection dropped"
        return "request error"

    def _observe_response(self, method, path, params, attempt, started, response, failure):
        if self._observer is None:
            return
        facts = {"event": "response", "method": method, "path": path, "params": sorted(params or ()), "attempt": attempt,
                 "seconds": time.perf_counter() - started, "status": None, "http_version": None, "headers": {}, "failure": failure}
        if response is not None:
            facts.update(status=response.status_code, http_version=getattr(response.raw, "version", None), headers={
                name: self._scrub(value) for name, value in response.headers.items()
                if name.lower() in OBSERVED_HEADERS or name.lower().startswith(RATE_LIMIT_PREFIXES)})
        self._observer(facts)

    def _observe_page(self, path, page, reading, params, body, decided):
        """One list page as ``_read_list`` read it: what it decided, the keys it consulted, never a value of a record.

        ``decided``: ``envelope`` ("bare" or the records' key), ``signal`` (the paging key gone by),
        ``count_key``, ``next`` ("cursor", "offset", or None: the reading ended) and ``inconsistent``
        (why). ``values``: the booleans and integers of the paging keys; ``fields``/``null_fields``:
        how many records carry each field, and carry it as null.
        """
        if self._observer is None:
            return
        facts = dict(decided, event="page", path=path, page=page, reading=reading, limit=params.get("limit"), params=sorted(params),
                     keys=None, values={}, items=None, fields={}, null_fields={})
        records = None
        if isinstance(body, list):
            facts["keys"] = []
            records = body
        elif isinstance(body, dict):
            facts["keys"] = sorted(str(key) for key in body)
            if decided["envelope"] is not None:
                records = body[decided["envelope"]] or []
            facts["values"] = {key: body[key] for key in ("has_more", "total", "count", "limit", "offset") if isinstance(body.get(key), (bool, int))}
            if "next_cursor" in body:
                facts["values"]["next_cursor"] = bool(body["next_cursor"])
        if records is not None:
            facts["items"] = len(records)
            records = [record for record in records if isinstance(record, dict)]
            facts["fields"] = dict(Counter(key for record in records for key in record))
            facts["null_fields"] = dict(Counter(key for record in records for key, value in record.items() if value is None))
        self._observer(facts)

    # ------------------------------------------------------------------ errors

    def _error(self, message, sensitive=(), **fields):
        """A NeoApiError whose message has the credential (and ``sensitive`` texts) scrubbed out (the API may echo them)."""
        return NeoApiError(self._scrub(message, sensitive), **fields)

    def _scrub(self, text, sensitive=()):
        """``text`` without the ``sensitive`` texts (as sent and JSON-escaped) and the credential, longest first.

        Longest first: a value that contains the credential (or another value) must go whole;
        masking the shorter one first would leave the rest of the value readable around the mask.
        """
        forms = {self._credential}
        for secret in sensitive:
            if isinstance(secret, str) and secret:
                forms.update((secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]))
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, REDACTED)
        return text

    def _transport_error(self, method, path, exc, cause, description, attempts, note, answered):
        timed_out = description.startswith("timed out")
        attempts_text = "" if attempts == 1 else (" on each of %d attempts" if timed_out else " after %d attempts") % attempts
        # A time-out is one whatever layer noticed it (socket read, connect, or the request deadline).
        cause_text = "" if timed_out else " (%s)" % type(exc).__name__
        # urllib3's connect errors surely never reached the server; nor did a TLS handshake or a proxy
        # tunnel that failed before any answer.
        never_sent = self._retry._is_connection_error(cause)  # pylint: disable=protected-access
        never_sent = never_sent or (not answered and isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ProxyError)))
        if not never_sent and method not in IDEMPOTENT_METHODS:
            note = "; not retried because the request may have reached the server: list before trying again"
        return self._error("Neo API request failed: %s %s: %s%s%s%s" % (method, path, description, attempts_text, cause_text, note),
                           reason=REASON_NOT_SENT if never_sent else REASON_TRANSPORT)

    def _error_from_response(self, response, content, attempts, sensitive, note):
        """The error of a non-2xx answer; a body that is not an ErrorResponse is never shown (only the HTTP reason)."""
        status = response.status_code
        code = error_id = detail = None
        body = _loads(content)
        if isinstance(body, dict):
            code = self._scrub(body["code"], sensitive) if isinstance(body.get("code"), str) else None
            error_id = body.get("error_id") if isinstance(body.get("error_id"), (str, int)) else None
            error_id = self._scrub(error_id, sensitive) if isinstance(error_id, str) else error_id
            detail = next((body[key] for key in ("message", "error") if isinstance(body.get(key), str) and body[key].strip()), None)
        message = "Neo API %d" % status
        if code:
            message += " " + one_line(code, 80)
        if error_id:
            message += " (error_id %s)" % one_line(str(error_id), 80)
        message += ": " + one_line(self._scrub(detail or response.reason or "HTTP error", sensitive))
        if attempts > 1:
            message += " (gave up after %s)" % plural(attempts, "attempt")
        return self._error(message + note, sensitive, status=status, code=code, error_id=error_id)


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


def _os_error(cause):
    """The socket error under a urllib3 connect error (raised from it, or while handling it), or None."""
    error = cause.__cause__ or cause.__context__
    return error if isinstance(error, OSError) else None


def _unresolved(cause):
    """Whether a connect error is a host name that did not resolve (urllib3 2's NameResolutionError, 1.26's NewConnectionError)."""
    return isinstance(cause, NewConnectionError) and isinstance(_os_error(cause), socket.gaierror)


def _cause(exc):
    """The urllib3 error a requests exception wraps (out of its MaxRetryError), else the exception itself."""
    cause = exc.args[0] if exc.args else None
    if isinstance(cause, MaxRetryError):
        cause = cause.reason
    return cause if isinstance(cause, Exception) else exc
