# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""The one Neo API client of the collection: auth, retries, errors, pagination.

Every plugin talks to the Neo API through ``NeoClient`` and nothing else, so the rules below
hold everywhere:

* Errors. Every failure is a ``NeoApiError`` (or ``NeoConfigError`` for bad options, raised
  before any request). ``str(error)`` is one line meant for users, for example
  ``Neo API 403 forbidden (error_id 1a2b3c): not a member of this project``. Messages never
  contain credentials, header values, request bodies (a POST body holds a secret value) or
  large response bodies.
* Redirects are never followed: following one would resend ``X-Api-Key`` to another host and
  turn a PATCH into a GET. A 3xx is an error telling the user to set ``api_url`` to the final
  URL.
* Retries are bounded (``retries`` retries, so ``retries + 1`` attempts). GET and PATCH (setting
  a flag is idempotent) are retried on 429, 500, 502, 503, 504, dropped connections and
  timeouts. POST is retried only on 429 and when the request surely never reached the server
  (connection refused, connect timeout): a blind POST retry could create a duplicate secret,
  so the caller must list again before trying once more. ``Retry-After`` (seconds or HTTP
  date) is honoured, capped at ``max_retry_wait``; otherwise full-jitter exponential back-off.
* Retry budget (storm bound). One client (one task) sleeps at most ``retry_budget`` =
  ``retries * max_retry_wait`` seconds in total for retries, over all its requests and
  threads (150 s by default: exactly what one request may wait). Once a wait would exceed
  the budget, no request of this client is retried any more: each further failure is
  reported at once, with a note saying so. So a 429 storm costs a policy run at most 150 s
  of waiting, not 150 s per request; requests are still sent, so the rest of the work is
  done as soon as the API answers again.
* Lists are read completely (every page) before anything is returned; a failed page fails the
  whole list. See ``NeoClient._list`` for the response forms understood.
* Secret records never carry a ``value`` key out of the client, even if the API sent one.
"""
from __future__ import annotations

import datetime
import email.utils
import math
import random
import re
import sys
import threading
import time
import traceback
from urllib.parse import quote, urlsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import NewConnectionError
except ImportError:
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    HAS_REQUESTS = False
else:
    REQUESTS_IMPORT_ERROR = None
    HAS_REQUESTS = True

__all__ = ["NeoApiError", "NeoClient", "NeoConfigError", "DEFAULT_API_URL", "HAS_REQUESTS", "REQUESTS_IMPORT_ERROR"]

DEFAULT_API_URL = "https://neo.api.projectdiscovery.io"
USER_AGENT = "projectdiscovery.neo-ansible/0.1.0"
API_KEY_PREFIX = "neo_sk_"

SECRETS_PATH = "/api/v1/secrets"
PROJECTS_PATH = "/api/v1/projects"

# Policies of _request: which failures may be retried.
RETRY_IDEMPOTENT = "idempotent"  # GET, PATCH: transient statuses and transport failures
RETRY_CREATE = "create"  # POST: only 429 and requests that never reached the server
RETRYABLE_STATUSES = frozenset([429, 500, 502, 503, 504])

MAX_PAGES = 10000
MAX_DETAIL_CHARS = 300

_PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]+$")


class NeoConfigError(ValueError):
    """A connection option is missing or invalid; raised before any HTTP request."""


class NeoApiError(Exception):
    """A Neo API call failed. ``str()`` is the one-line message shown to users.

    Attributes: ``status`` (HTTP status or None for transport failures), ``code`` (the stable
    machine code of ErrorResponse: branch on it), ``error_id`` (correlation id), ``kind``,
    ``detail`` (human text), ``method``, ``path`` and ``retries`` (retries done before giving
    up).
    """

    def __init__(self, message, status=None, code=None, error_id=None, detail=None, method=None, path=None, retries=0, kind=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.error_id = error_id
        self.detail = detail
        self.method = method
        self.path = path
        self.retries = retries
        self.kind = kind

    def __str__(self):
        return self.message


def _one_line(text, limit=MAX_DETAIL_CHARS):
    """Collapse whitespace and truncate, so that server text can never break the one-line rule."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def _plural(count, word):
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


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
    if not _PRINTABLE_ASCII.match(value):
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


class _HeaderAuth:
    """requests auth hook setting one header.

    Passing an explicit auth object also stops requests from reading ``~/.netrc``, which
    would otherwise replace ``Authorization: Bearer`` with Basic auth.
    """

    def __init__(self, name, value):
        self.name = name
        self.value = value

    def __call__(self, prepared):
        prepared.headers[self.name] = self.value
        return prepared

    def __repr__(self):
        return "<_HeaderAuth %s: (hidden)>" % self.name


class NeoClient:
    """Thread-safe client of the Neo API secrets and projects endpoints.

    Construction validates the options (raising ``NeoConfigError`` naming the option) and
    never makes an HTTP request. ``sleep``, ``now`` and ``rng`` are injectable so that tests
    never really wait; ``on_retry(message)`` is called with a one-line message before each
    retry (plugins show it at -v). ``retry_count`` counts retries over the client's life.
    """

    def __init__(
        self,
        api_url=DEFAULT_API_URL,
        api_key=None,
        api_token=None,
        validate_certs=True,
        timeout=30,
        retries=5,
        max_retry_wait=30.0,
        pool_size=8,
        sleep=time.sleep,
        now=time.time,
        rng=random.random,
        on_retry=None,
        session=None,
        page_limit=100,
    ):
        if not HAS_REQUESTS:
            raise NeoConfigError(
                "Failed to import the required Python library (requests) on the controller's Python %s; "
                "install it with pip install requests (see the collection's requirements.txt)" % sys.executable
            )
        if api_key is None and api_token is None:
            raise NeoConfigError("one of api_key or api_token is required (or set NEO_API_KEY or NEO_API_TOKEN)")
        if api_key is not None and api_token is not None:
            raise NeoConfigError("api_key and api_token are mutually exclusive: give only one")
        if api_key is not None:
            api_key = _check_credential("api_key", api_key)
            if not api_key.startswith(API_KEY_PREFIX):
                raise NeoConfigError("api_key must start with %s (value not shown); a JWT goes in api_token" % API_KEY_PREFIX)
            self._auth = _HeaderAuth("X-Api-Key", api_key)
            self.auth_scheme = "api_key"
        else:
            api_token = _check_credential("api_token", api_token)
            if api_token.startswith(API_KEY_PREFIX):
                raise NeoConfigError("api_token holds a Neo API key (%s...); pass it as api_key instead" % API_KEY_PREFIX)
            self._auth = _HeaderAuth("Authorization", "Bearer " + api_token)
            self.auth_scheme = "api_token"
        self.api_url = _normalise_api_url(api_url)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < float("inf"):
            raise NeoConfigError("timeout must be a positive number of seconds")
        if not _is_int(retries) or retries < 0:
            raise NeoConfigError("retries must be an integer >= 0")
        if not _is_int(page_limit) or page_limit < 1:
            raise NeoConfigError("page_limit must be an integer >= 1")
        if not _is_int(pool_size) or pool_size < 1:
            raise NeoConfigError("pool_size must be an integer >= 1")
        self.validate_certs = bool(validate_certs)
        self.timeout = timeout
        self.retries = retries
        self.max_retry_wait = float(max_retry_wait)
        self.page_limit = page_limit
        self._sleep = sleep
        self._now = now
        self._rng = rng
        self._on_retry = on_retry
        self._headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        self._lock = threading.Lock()
        self.retry_count = 0
        # Total seconds this client may sleep for retries, over all requests and threads.
        self.retry_budget = self.retries * self.max_retry_wait
        self.retry_waited = 0.0
        self.retry_budget_spent = False
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self._session = session

    def __repr__(self):
        return "<NeoClient %s (%s)>" % (self.api_url, self.auth_scheme)

    def close(self):
        self._session.close()

    # ------------------------------------------------------------------ public API

    def list_projects(self):
        """Every project the caller can see (each has at least ``id``)."""
        return self._list(PROJECTS_PATH, "projects", None, self._check_project)

    def list_secrets(self, project_id=None):
        """Every personal secret, or every secret of ``project_id`` (403 if not a member)."""
        params = {"project_id": project_id} if project_id else None
        return self._list(SECRETS_PATH, "secrets", params, self._check_secret)

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
            raise NeoApiError(
                "Neo API answered PATCH %s with the record of another secret (%s)" % (path, _one_line(record["id"], 80)),
                method="PATCH",
                path=path,
            )
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
        body = self._request("POST", SECRETS_PATH, json=payload, retry_policy=RETRY_CREATE)
        if isinstance(body, dict) and "id" not in body and isinstance(body.get("secret"), dict) and len(body) == 1:
            body = body["secret"]  # tolerate {"secret": {...}}, the form the projects endpoints use
        return self._check_secret(body, "POST", SECRETS_PATH)

    # ------------------------------------------------------------------ records

    @staticmethod
    def _check_project(item, method, path):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise NeoApiError("Neo API answered %s %s with a project record without a string id" % (method, path), method=method, path=path)
        return item

    @staticmethod
    def _check_secret(item, method, path):
        """Validate a SecretResponse and drop any ``value`` key (only masked_value may leave).

        Runs once per listed secret: a valid record without ``value`` is returned as it is.
        """
        if not isinstance(item, dict):
            raise NeoApiError(
                "Neo API answered %s %s with %s where a secret record (object) was expected" % (method, path, type(item).__name__),
                method=method,
                path=path,
            )
        if not (_is_name(item.get("id")) and _is_name(item.get("name")) and isinstance(item.get("default_available"), bool)):
            missing = [key for key in ("id", "name") if not _is_name(item.get(key))]
            if not isinstance(item.get("default_available"), bool):
                missing.append("default_available (boolean)")
            raise NeoApiError(
                "Neo API answered %s %s with a secret record lacking %s" % (method, path, ", ".join(missing)),
                method=method,
                path=path,
            )
        return item if "value" not in item else {key: val for key, val in item.items() if key != "value"}

    # ------------------------------------------------------------------ pagination

    def _list(self, path, resource_key, params, check_item):
        """Read a whole list, following whichever pagination the responses show.

        Forms understood (the list endpoints are undocumented, see the API README):

        * a bare JSON array: assumed to be the complete list (it carries no way to ask for
          more), so reading stops there;
        * an object holding the array under exactly one of ``resource_key``, ``data`` or
          ``items`` (a ``null`` there counts as an empty list: Go encodes an empty slice so);
          anything else is an error naming the keys that came back, never a guess.

        Next page, first rule that applies: ``next_cursor`` (truthy: ask again with
        ``cursor``; falsy: done); ``has_more`` (true: ask again with ``offset`` = items read so
        far); ``total`` (fewer items read than ``total``: ask again with ``offset``); else
        done, unless ``count`` says there are more items than were returned, which is an
        error because nothing shows how to fetch the rest. Every request sends ``limit``.

        Guards against a server that ignores ``offset``/``cursor``: an empty page while more
        is signalled, an id seen twice, or more than MAX_PAGES pages is an error. Any error
        fails the whole list: a partial list is never returned.
        """
        base = dict(params or {})
        request_params = dict(base, limit=self.page_limit)
        items = []
        seen = set()
        page = 0
        while True:
            page += 1
            if page > MAX_PAGES:
                raise self._list_error(path, "GET %s returned more than %d pages; giving up" % (path, MAX_PAGES))
            body = self._request("GET", path, params=request_params)
            if isinstance(body, list):
                if page > 1:
                    raise self._list_error(path, "GET %s page %d is a bare JSON array while page 1 was an object" % (path, page))
                page_items, body = body, {}
            elif isinstance(body, dict):
                page_items = self._page_items(body, path, resource_key)
            else:
                raise self._list_error(path, "unrecognised list response from GET %s: a JSON %s" % (path, type(body).__name__))

            for item in page_items:
                record = check_item(item, "GET", path)
                if record["id"] in seen:
                    why = "the server appears to ignore offset/cursor" if page > 1 else "duplicate id in one response"
                    raise self._list_error(path, "GET %s returned id %s twice (page %d): %s" % (path, _one_line(record["id"], 80), page, why))
                seen.add(record["id"])
                items.append(record)

            next_params = self._next_page(body, path, base, len(items))
            if next_params is None:
                return items
            if not page_items:
                raise self._list_error(path, "GET %s page %d is empty although the response signals more items" % (path, page))
            request_params = next_params

    def _page_items(self, body, path, resource_key):
        present = [key for key in (resource_key, "data", "items") if key in body]
        if len(present) == 1:
            value = body[present[0]]
            if value is None:
                return []
            if isinstance(value, list):
                return value
        raise self._list_error(path, "unrecognised list response from GET %s: keys %s" % (path, sorted(body)))

    def _next_page(self, body, path, base, collected):
        """Return the params of the next request, or None when the list is complete."""
        if "next_cursor" in body:
            cursor = body["next_cursor"]
            if not cursor:
                return None
            if not isinstance(cursor, (str, int)) or isinstance(cursor, bool):
                raise self._list_error(path, "GET %s: next_cursor is a %s, expected a string" % (path, type(cursor).__name__))
            return dict(base, limit=self.page_limit, cursor=cursor)
        if "has_more" in body:
            if not isinstance(body["has_more"], bool):
                raise self._list_error(path, "GET %s: has_more is not a boolean" % path)
            return dict(base, limit=self.page_limit, offset=collected) if body["has_more"] else None
        if "total" in body:
            if not _is_int(body["total"]):
                raise self._list_error(path, "GET %s: total is not an integer" % path)
            return dict(base, limit=self.page_limit, offset=collected) if collected < body["total"] else None
        if "count" in body and _is_int(body["count"]) and body["count"] > collected:
            raise self._list_error(
                path,
                "GET %s says there are %d items but returned %d and shows no way to fetch the rest "
                "(no next_cursor, has_more or total)" % (path, body["count"], collected),
            )
        return None

    @staticmethod
    def _list_error(path, detail):
        return NeoApiError("Neo API: " + detail, detail=detail, method="GET", path=path)

    # ------------------------------------------------------------------ HTTP

    def _request(self, method, path, params=None, json=None, retry_policy=RETRY_IDEMPOTENT):
        """Send one API call with bounded retries; return the parsed JSON body of the 2xx.

        ``retry_policy`` is RETRY_IDEMPOTENT (GET, PATCH) or RETRY_CREATE (POST, see module
        docstring). Redirects are never followed.
        """
        url = self.api_url + path
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=self._headers,
                    auth=self._auth,
                    timeout=(self.timeout, self.timeout),
                    allow_redirects=False,
                    verify=self.validate_certs,
                )
            except requests.exceptions.RequestException as exc:
                description, transient, never_sent = self._describe_failure(exc)
                retryable = never_sent or (transient and retry_policy == RETRY_IDEMPOTENT)
                wait = self._reserve_retry(attempt, None) if retryable else None
                if wait is not None:
                    self._wait_before_retry(method, path, attempt, "failed (%s)" % description, wait)
                    continue
                error = self._transport_error(method, path, exc, description, attempt, transient and retry_policy == RETRY_CREATE)
                raise self._with_budget_note(error, retryable and attempt <= self.retries)

            status = response.status_code
            if 200 <= status < 300:
                return self._parse_json(response, method, path)
            if 300 <= status < 400:
                raise self._redirect_error(response, method, path)
            retryable = status == 429 or (status in RETRYABLE_STATUSES and retry_policy == RETRY_IDEMPOTENT)
            wait = self._reserve_retry(attempt, response.headers.get("Retry-After")) if retryable else None
            if wait is not None:
                response.close()
                self._wait_before_retry(method, path, attempt, "answered %d" % status, wait)
                continue
            error = self._error_from_response(response, method, path, attempt)
            raise self._with_budget_note(error, retryable and attempt <= self.retries)

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

    def _describe_failure(self, exc):
        """Classify a requests exception: (description, transient, surely_never_sent)."""
        exceptions = requests.exceptions
        if isinstance(exc, exceptions.ConnectTimeout):
            return "could not connect within %s s" % self.timeout, True, True
        if isinstance(exc, exceptions.SSLError):
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                return "TLS certificate verification failed (validate_certs)", False, False
            return "TLS handshake failed", False, False
        if isinstance(exc, exceptions.ReadTimeout):
            return "timed out after %s s" % self.timeout, True, False
        if isinstance(exc, exceptions.ConnectionError):
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            if isinstance(reason, NewConnectionError):
                return "could not connect (connection refused or name not resolved)", True, True
            return "connection dropped", True, False
        if isinstance(exc, exceptions.ChunkedEncodingError):
            return "connection dropped while reading the response", True, False
        return "request error", False, False

    # ------------------------------------------------------------------ errors

    def _transport_error(self, method, path, exc, description, attempts, maybe_sent_post):
        attempts_text = ""
        if attempts > 1:
            timed_out = isinstance(exc, requests.exceptions.Timeout)
            attempts_text = (" on each of %d attempts" if timed_out else " after %d attempts") % attempts
        message = "Neo API request failed: %s %s: %s%s (%s)" % (method, path, description, attempts_text, type(exc).__name__)
        if maybe_sent_post:
            message += "; not retried because the request may have reached the server: list before trying again"
        return NeoApiError(message, detail=description, method=method, path=path, retries=attempts - 1)

    @staticmethod
    def _redirect_error(response, method, path):
        location = _one_line(response.headers.get("Location") or "(no Location header)", 200)
        response.close()
        message = (
            "Neo API %s %s answered %d: the API redirected to %s; redirects are not followed "
            "(that would resend the credentials and turn writes into GETs): set api_url to the final URL"
            % (method, path, response.status_code, location)
        )
        return NeoApiError(message, status=response.status_code, detail="redirected to %s" % location, method=method, path=path)

    @staticmethod
    def _error_from_response(response, method, path, attempts):
        """Build the NeoApiError of a non-2xx response from its ErrorResponse body, if any.

        ``message`` is preferred to ``error`` as the detail; a body that is not an
        ErrorResponse is never shown (only the HTTP reason).
        """
        status = response.status_code
        code = error_id = kind = detail = None
        try:
            body = response.json()
        except ValueError:
            body = None
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
        detail = _one_line(detail)
        message = "Neo API %d" % status
        if code:
            message += " " + _one_line(code, 80)
        if error_id:
            message += " (error_id %s)" % _one_line(error_id, 80)
        message += ": " + detail
        if attempts > 1:
            message += " (gave up after %s)" % _plural(attempts, "attempt")
        return NeoApiError(message, status=status, code=code, error_id=error_id, detail=detail, method=method, path=path, retries=attempts - 1, kind=kind)

    @staticmethod
    def _parse_json(response, method, path):
        if not response.content or not response.content.strip():
            raise NeoApiError("Neo API answered %s %s with an empty body (status %d)" % (method, path, response.status_code),
                              status=response.status_code, method=method, path=path)
        try:
            return response.json()
        except ValueError:
            raise NeoApiError(
                "Neo API: invalid JSON in response to %s %s (status %d)" % (method, path, response.status_code),
                status=response.status_code,
                detail="invalid JSON",
                method=method,
                path=path,
            ) from None
