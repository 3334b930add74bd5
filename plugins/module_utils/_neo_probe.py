# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""What the Neo API really does, as the collection's own client sees it (the logic of neo_api_info).

``probe(client, recorder)`` reads, with ``GET`` only, the project list, the personal secrets and
the secrets of the first listed project the caller can read, through the one ``NeoClient``, whose
``observer`` is the ``ProbeRecorder``: the client reports the form it followed, page by page, and
every HTTP attempt (see ``NeoClient._observe_page`` and ``_observe_response``), so nothing here
reads a list a second way. ``describe`` turns those facts into the ``api`` description and checks
the assumptions the collection makes where the Neo docs are silent (docs/simulator.md).

What the description may hold: field and key names, counts, forms, status codes, the values of
allow-listed response headers, timings. Never a value, a masked value, a name or an id of a
secret or a project: records only ever reach ``_record_facts``, which returns counts.
"""
from __future__ import annotations

import re
import statistics

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_client import PROJECTS_PATH, SECRETS_PATH, USER_AGENT
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoApiError, one_line, plural
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_project_state import PROJECT_RECORD_FIELDS
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_secrets import SECRET_RECORD_FIELDS

FORMAT_VERSION = 1

# The documented schemas (docs/neo-api/openapi.yaml; a unit test compares these with it).
SECRET_SCHEMA = "SecretResponse"
SECRET_FIELDS = SECRET_RECORD_FIELDS
SECRET_REQUIRED = ("id", "name", "masked_value", "default_available")
PROJECT_SCHEMA = "Project"
PROJECT_FIELDS = PROJECT_RECORD_FIELDS

# The lists read, in order: name -> (path, schema, documented fields, label).
LISTS = {
    "projects": (PROJECTS_PATH, PROJECT_SCHEMA, PROJECT_FIELDS, "projects"),
    "personal_secrets": (SECRETS_PATH, SECRET_SCHEMA, SECRET_FIELDS, "personal secrets"),
    "project_secrets": (SECRETS_PATH, SECRET_SCHEMA, SECRET_FIELDS, "secrets of one project"),
}
# Projects tried, in list order, for a readable one (403 and 404 are skipped).
MAX_PROJECTS_TRIED = 25

AUTH_HEADERS = {"api_key": "X-Api-Key", "api_token": "Authorization: Bearer"}
HTTP_VERSIONS = {9: "HTTP/0.9", 10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2", 30: "HTTP/3"}
# The list forms, in the simulator's words (docs/simulator.md): the envelope and the pagination.
ENVELOPE_FORMS = {"data": "data", "items": "items", "bare": "bare"}  # any other key found is the resource's own name: "named"
RATE_LIMIT_PREFIXES = ("x-ratelimit", "x-rate-limit", "ratelimit")
REQUEST_ID_HEADERS = frozenset(("x-request-id", "request-id", "x-correlation-id", "x-amzn-requestid", "x-amz-request-id", "x-trace-id", "cf-ray"))
# Keys that look like pagination but that the client does not follow.
FOREIGN_PAGINATION_KEYS = frozenset((
    "next", "next_page", "nextPage", "next_url", "nextCursor", "cursor", "page", "pages", "page_count", "total_pages", "totalPages",
    "hasMore", "links", "_links", "continuation_token", "next_token", "nextToken", "next_offset", "previous", "prev",
))

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_MASK = re.compile("^(?:.{3}\u2022{8}.{4}|\u2022{8})$", re.DOTALL)
_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

CONFIRMED = "confirmed"
CONTRADICTED = "contradicted"
NOT_OBSERVED = "not observed"

# id -> the assumption, one line (docs/simulator.md "Choices where the Neo docs are silent", docs/neo-api/README.md).
ASSUMPTIONS = (
    ("list_envelope", "A list answer is a bare JSON array, or an object holding the records under exactly one of the resource's "
                      "name (projects, secrets), data or items."),
    ("pagination_keys", "A list that spans pages says so with next_cursor (cursor), has_more or total (offset); a page without "
                        "them ends the list."),
    ("announced_count", "count or total, when a list answer carries one, is the number of records of the whole list."),
    ("limit_accepted", "The limit sent with every list request is accepted: a limit above the API's page size is capped, not rejected."),
    ("page_size_capped", "A page holds at most the limit sent; the API may serve fewer (its own page size) and the rest on later pages."),
    ("personal_project_id", "A personal secret's project_id is null or absent (the collection reads both)."),
    ("secret_required_fields", "Every secret record carries id, name, masked_value and default_available (required in SecretResponse)."),
    ("no_secret_value", "A secret record never carries the secret's value, only masked_value."),
    ("masked_value_shape", "masked_value is the first 3 characters, 8 bullets (U+2022) and the last 4, or 8 bullets alone for a short "
                           "value (the simulator's reading of the docs)."),
    ("lower_case_uuids", "Ids of projects and secrets are canonical lower-case UUIDs."),
    ("forbidden_project_403", "Listing the secrets of a listed project the caller may not read answers 403 (the collection skips it)."),
    ("error_response", "An error answer is an ErrorResponse carrying code and error_id."),
    ("retry_after", "A 429 answer carries Retry-After (seconds or an HTTP date), which the client waits before retrying."),
)


class ProbeRecorder:
    """The client's observer: keeps the facts it reports, grouped by the list being read (``begin``)."""

    def __init__(self):
        self.events = {}
        self._current = self.events.setdefault(None, [])

    def begin(self, name):
        self._current = self.events.setdefault(name, [])

    def __call__(self, facts):
        self._current.append(facts)


# ---------------------------------------------------------------------- reading (GET only)

def probe(client, recorder, max_projects=MAX_PROJECTS_TRIED):
    """Read the three lists with ``client`` (GET only) and return ``(api, failure)``.

    ``failure`` is a one-line message when no list could be read at all (else None); ``api`` is
    always the description of what was seen.
    """
    outcomes = {}
    recorder.begin("projects")
    outcomes["projects"] = _read(client.list_projects)
    recorder.begin("personal_secrets")
    outcomes["personal_secrets"] = _read(client.list_secrets)
    recorder.begin("project_secrets")
    outcomes["project_secrets"] = _read_one_project(client, outcomes["projects"], max_projects)
    recorder.begin(None)
    api = describe(client_facts(client), recorder.events, outcomes)
    failure = None
    if not any(outcome["records"] is not None for outcome in outcomes.values()):
        error = outcomes["projects"]["error"]
        failure = "neo_api_info: no list could be read: %s" % (error if error is not None else "no answer")
    return api, failure


def client_facts(client):
    return {"base_url": client.api_url, "auth_scheme": client.auth_scheme, "limit_sent": client.page_limit,
            "retries": client.retry_count, "user_agent": USER_AGENT}


def _outcome(records=None, error=None, tried=0, skipped=(), not_read=None):
    return {"records": records, "error": error, "tried": tried, "skipped": list(skipped), "not_read": not_read}


def _read(call, *args, **kwargs):
    try:
        return _outcome(records=call(*args, **kwargs))
    except NeoApiError as error:
        return _outcome(error=error)


def _read_one_project(client, projects_outcome, max_projects):
    """The secrets of the first listed project that can be read; 403 and 404 are skipped."""
    if projects_outcome["records"] is None:
        return _outcome(not_read="the project list could not be read")
    if not projects_outcome["records"]:
        return _outcome(not_read="the caller has no project")
    skipped = []
    for project in projects_outcome["records"][:max_projects]:
        try:
            records = client.list_secrets(project_id=project["id"])
        except NeoApiError as error:
            if error.status in (403, 404) and error.sent:
                skipped.append(error)
                continue
            return _outcome(error=error, tried=len(skipped) + 1, skipped=skipped)
        return _outcome(records=records, tried=len(skipped) + 1, skipped=skipped)
    return _outcome(tried=len(skipped), skipped=skipped, not_read="none of the first %s could be read" % plural(len(skipped), "project"))


# ---------------------------------------------------------------------- description

def describe(client, events, outcomes):
    """The ``api`` description from the client's facts, the recorded events and the outcome of each list."""
    lists = {name: describe_list(name, events.get(name, []), outcomes[name], client["limit_sent"]) for name in LISTS}
    responses = [event for bucket in events.values() for event in bucket if event["event"] == "response"]
    api = {
        "format": FORMAT_VERSION,
        "client": client["user_agent"],
        "base_url": client["base_url"],
        "auth": {"scheme": client["auth_scheme"], "header": AUTH_HEADERS.get(client["auth_scheme"], client["auth_scheme"])},
        "limit_sent": client["limit_sent"],
        "envelope": _agreed(item["envelope"] for item in lists.values()),
        "pagination": _agreed(item["pagination"] for item in lists.values()),
        "page_size": _agreed_number(item["page_size"] for item in lists.values()),
        "requests": _requests(responses, client["retries"]),
        "latency_ms": _latency(responses),
        "http_versions": sorted({_http_version(event["http_version"]) for event in responses if event["status"] is not None}),
        "headers": _headers(responses),
        "lists": lists,
    }
    api["assumptions"] = assess(api, events, outcomes)
    return api


def describe_list(name, events, outcome, limit_sent):
    path, schema, documented, _label = LISTS[name]
    pages = _last_reading([event for event in events if event["event"] == "page"])
    responses = [event for event in events if event["event"] == "response"]
    first = pages[0] if pages else None
    description = {
        "path": path,
        "query": first["params"] if first else (responses[0]["params"] if responses else []),
        "read": "ok" if outcome["records"] is not None else "failed" if outcome["error"] is not None else "not read",
        "error": error_facts(outcome["error"]) if outcome["error"] is not None else None,
        "not_read": outcome["not_read"],
        "envelope": _envelope_form(first) if first else None,
        "envelope_key": first["envelope"] if first and first["envelope"] not in (None, "bare") else None,
        "envelope_keys": [one_line(key, 80) for key in first["keys"]] if first and first["keys"] is not None else None,
        "count_key": first["count_key"] if first else None,
        "pagination": _pagination(pages),
        "pagination_signal": next((page["signal"] for page in pages if page["signal"]), None),
        "limit_sent": first["limit"] if first else limit_sent,
        "limit_echoed": first["values"].get("limit") if first else None,
        "page_size": first["items"] if len(pages) > 1 else None,
        "pages": len(pages),
        "records": sum(page["items"] or 0 for page in pages),
        "readings": sum(1 for event in events if event["event"] == "page" and event["page"] == 1),
        "latency_ms": [_ms(event["seconds"]) for event in responses],
        "fields": _fields(schema, documented, pages),
    }
    if name == "project_secrets":
        description["projects_tried"] = outcome["tried"]
        description["projects_skipped"] = [error_facts(error) for error in outcome["skipped"]]
    return description


def _last_reading(pages):
    """The pages of the last reading of a list (the client reads an inconsistent list once more from page 1)."""
    starts = [index for index, page in enumerate(pages) if page["page"] == 1]
    return pages[starts[-1]:] if starts else pages


def _envelope_form(page):
    envelope = page["envelope"]
    if envelope is None:
        return "unrecognised"
    return ENVELOPE_FORMS.get(envelope, "named")


def _pagination(pages):
    """The pagination form of one reading, in the simulator's words: none, offset (has_more), offset_total or cursor.

    ``total`` alone is also a mere count: it counts as offset pagination only when the client
    followed it to a second page, or the API echoed an ``offset``.
    """
    if not pages or pages[0]["envelope"] is None:
        return None
    keys = set().union(*(page["keys"] or () for page in pages))
    if "next_cursor" in keys:
        return "cursor"
    if "has_more" in keys:
        return "offset"
    if "total" in keys and (len(pages) > 1 or "offset" in keys):
        return "offset_total"
    return "none"


def _fields(schema, documented, pages):
    counts = {}
    records = 0
    for page in pages:
        records += page["items"] or 0
        for field, count in page["fields"].items():
            counts[field] = counts.get(field, 0) + count
    return {
        "schema": schema,
        "records": records,
        "present": [field for field in documented if records and counts.get(field, 0) == records],
        "partly_present": [field for field in documented if 0 < counts.get(field, 0) < records],
        "absent": [field for field in documented if records and not counts.get(field)],
        "undocumented": sorted(one_line(field, 80) for field in counts if field not in documented)[:100],
    }


def error_facts(error):
    """A failed call as status, code, error_id and a reason from a fixed vocabulary: never the API's text, an id or a name."""
    if not error.sent:
        reason = "not attempted: the credentials were rejected earlier"
    elif error.status == 401:
        reason = "credentials rejected"
    elif error.reason is not None:
        reason = error.reason
    elif error.status is not None:
        reason = "HTTP %d" % error.status
    elif error.detail:
        reason = one_line(error.detail, 160)  # a transport failure, described by the client
    else:
        reason = "failed"
    return {
        "status": error.status,
        "code": error.code if isinstance(error.code, str) and _CODE.match(error.code) else None,
        "error_id": str(error.error_id) if error.error_id is not None and _CODE.match(str(error.error_id)) else None,
        "reason": reason,
    }


def _agreed(values):
    seen = sorted({value for value in values if value is not None})
    if not seen:
        return None
    return seen[0] if len(seen) == 1 else "mixed"


def _agreed_number(values):
    seen = {value for value in values if value is not None}
    return seen.pop() if len(seen) == 1 else None


def _ms(seconds):
    return round(seconds * 1000.0, 1)


def _http_version(version):
    return HTTP_VERSIONS.get(version, "unknown" if version is None else "version %s" % one_line(version, 20))


def _requests(responses, retries):
    methods = {}
    statuses = {}
    failures = {}
    for event in responses:
        methods[event["method"]] = methods.get(event["method"], 0) + 1
        if event["status"] is None:
            failures[event["failure"]] = failures.get(event["failure"], 0) + 1
        else:
            key = str(event["status"])
            statuses[key] = statuses.get(key, 0) + 1
    return {"total": len(responses), "methods": methods, "statuses": statuses, "retries": retries,
            "transport_failures": {one_line(text, 160): count for text, count in failures.items()}}


def _latency(responses):
    times = [_ms(event["seconds"]) for event in responses if event["status"] is not None]
    if not times:
        return None
    return {"min": min(times), "median": round(statistics.median(times), 1), "max": max(times)}


def _headers(responses):
    """Allow-listed response headers: rate limits and Retry-After with their last value, request id names, other values."""
    rate_limit = {}
    request_ids = set()
    others = {}
    for event in responses:
        for name, value in event["headers"].items():
            lower = name.lower()
            value = one_line(value, 200)
            if lower.startswith(RATE_LIMIT_PREFIXES) or lower == "retry-after":
                rate_limit[one_line(name, 80)] = value
            elif lower in REQUEST_ID_HEADERS:
                request_ids.add(one_line(name, 80))
            else:
                others.setdefault(lower, set()).add(value)
    return {
        "rate_limit": rate_limit,
        "request_id": sorted(request_ids),
        "content_type": sorted(others.get("content-type", ())),
        "server": sorted(others.get("server", set()) | others.get("via", set())),
    }


# ---------------------------------------------------------------------- assumptions

def assess(api, events, outcomes):
    """One entry per assumption: ``id``, ``text``, ``status`` and ``seen`` (what was observed, in a line)."""
    facts = _Facts(api, events, outcomes)
    result = []
    for assumption_id, text in ASSUMPTIONS:
        status, seen = getattr(facts, assumption_id)()
        result.append({"id": assumption_id, "text": text, "status": status, "seen": seen})
    return result


def _record_facts(records):
    """Counts only, from records the client returned: ids, project_id of personal secrets, masked values."""
    facts = {"records": 0, "ids": 0, "bad_ids": 0, "project_id_null": 0, "project_id_absent": 0, "project_id_set": 0,
             "masks": 0, "odd_masks": 0}
    for record in records or ():
        facts["records"] += 1
        if "id" in record:
            facts["ids"] += 1
            if not (isinstance(record["id"], str) and _UUID.match(record["id"])):
                facts["bad_ids"] += 1
        if "project_id" not in record:
            facts["project_id_absent"] += 1
        elif record["project_id"] is None:
            facts["project_id_null"] += 1
        else:
            facts["project_id_set"] += 1
        if "masked_value" in record:
            facts["masks"] += 1
            if not (isinstance(record["masked_value"], str) and _MASK.match(record["masked_value"])):
                facts["odd_masks"] += 1
    return facts


class _Facts:
    """The evaluation of each assumption: a method per id returning (status, seen)."""

    def __init__(self, api, events, outcomes):
        self.api = api
        self.lists = api["lists"]
        self.outcomes = outcomes
        self.pages = {name: [event for event in events.get(name, []) if event["event"] == "page"] for name in LISTS}
        self.responses = [event for bucket in events.values() for event in bucket if event["event"] == "response"]
        self.records = {name: _record_facts(outcomes[name]["records"]) for name in LISTS}

    def _label(self, name):
        return LISTS[name][3]

    def _read_lists(self):
        return [name for name in LISTS if self.lists[name]["pages"]]

    def list_envelope(self):
        read = self._read_lists()
        for name in read:
            description = self.lists[name]
            if description["envelope"] == "unrecognised":
                keys = description["envelope_keys"]
                what = "an object with keys %s" % (", ".join(keys) or "(none)") if keys is not None else "a JSON value that is neither array nor object"
                return CONTRADICTED, "GET %s (%s) answered %s" % (description["path"], self._label(name), what)
        if not read:
            return NOT_OBSERVED, "no list answered"
        return CONFIRMED, "; ".join("%s: %s" % (self._label(name), _envelope_text(self.lists[name])) for name in read)

    def pagination_keys(self):
        evidence = []
        for name in self._read_lists():
            description = self.lists[name]
            pages = _last_reading(self.pages[name])
            foreign = sorted(set().union(*(page["keys"] or () for page in pages)) & FOREIGN_PAGINATION_KEYS)
            if foreign:
                return CONTRADICTED, "%s: keys %s, which the client does not follow" % (self._label(name), ", ".join(foreign))
            first = pages[0]
            if first["signal"] is None and first["count_key"] == "count" and first["items"] is not None \
                    and first["values"].get("count", 0) > first["items"]:
                return CONTRADICTED, "%s: count %d on a page of %d records without next_cursor, has_more or total" % (
                    self._label(name), first["values"]["count"], first["items"])
            if description["pages"] > 1 or description["pagination_signal"] or description["count_key"]:
                evidence.append("%s: %s over %s" % (self._label(name), description["pagination"], plural(description["pages"], "page")))
        if not evidence:
            return NOT_OBSERVED, "no list carried a pagination key or a count"
        return CONFIRMED, "; ".join(evidence)

    def announced_count(self):
        evidence = []
        for name in self._read_lists():
            description = self.lists[name]
            pages = _last_reading(self.pages[name])
            key = description["count_key"]
            announced = pages[0]["values"].get(key) if key else None
            if announced is None:
                continue
            complete = self.outcomes[name]["records"] is not None
            # An inconsistent reading that ended normally: the count disagreed with the records.
            inconsistent = (description["error"] is not None and description["error"]["reason"].startswith("inconsistent")
                            and _ends_list(pages[-1], description["records"]))
            if announced != description["records"] and (complete or inconsistent):
                return CONTRADICTED, "%s: %s %d, %d records read" % (self._label(name), key, announced, description["records"])
            if complete:
                evidence.append("%s: %s = %d records" % (self._label(name), key, announced))
        if not evidence:
            return NOT_OBSERVED, "no list carried count or total"
        return CONFIRMED, "; ".join(evidence)

    def limit_accepted(self):
        for event in self.responses:
            if event["method"] == "GET" and event["status"] == 400 and "limit" in event["params"]:
                return CONTRADICTED, "GET %s with limit=%d answered 400" % (event["path"], self.api["limit_sent"])
        accepted = [event for event in self.responses if event["method"] == "GET" and event["status"] is not None
                    and 200 <= event["status"] < 300 and "limit" in event["params"]]
        if not accepted:
            return NOT_OBSERVED, "no list request was answered"
        answered = ", ".join(sorted({str(event["status"]) for event in accepted}))
        return CONFIRMED, "%s with limit=%d answered %s" % (plural(len(accepted), "list request"), self.api["limit_sent"], answered)

    def page_size_capped(self):
        evidence = []
        for name in self._read_lists():
            description = self.lists[name]
            for page in _last_reading(self.pages[name]):
                if page["items"] is not None and page["limit"] is not None and page["items"] > page["limit"]:
                    return CONTRADICTED, "%s: a page of %d records for limit=%d (the limit is ignored)" % (self._label(name), page["items"], page["limit"])
            if description["page_size"] is not None:
                evidence.append("%s: pages of %d for limit=%d" % (self._label(name), description["page_size"], description["limit_sent"]))
        if not evidence:
            return NOT_OBSERVED, "every list came in one page"
        return CONFIRMED, "; ".join(evidence)

    def personal_project_id(self):
        facts = self.records["personal_secrets"]
        if not facts["records"]:
            return NOT_OBSERVED, "no personal secret was read"
        if facts["project_id_set"]:
            return CONTRADICTED, "%d of %s carry a project_id" % (facts["project_id_set"], plural(facts["records"], "personal secret"))
        parts = [("null", facts["project_id_null"]), ("absent", facts["project_id_absent"])]
        return CONFIRMED, ", ".join("%s on %d" % (word, count) for word, count in parts if count) + " of %s" % plural(facts["records"], "personal secret")

    def _secret_pages(self):
        return [page for name in ("personal_secrets", "project_secrets") for page in _last_reading(self.pages[name])]

    def secret_required_fields(self):
        pages = self._secret_pages()
        records = sum(page["items"] or 0 for page in pages)
        if not records:
            return NOT_OBSERVED, "no secret record was read"
        missing = []
        for field in SECRET_REQUIRED:
            count = records - sum(page["fields"].get(field, 0) for page in pages)
            if count:
                missing.append("%s missing on %d" % (field, count))
        if missing:
            return CONTRADICTED, "%s of %s" % (", ".join(missing), plural(records, "secret record"))
        return CONFIRMED, "all four on %s" % plural(records, "secret record")

    def no_secret_value(self):
        pages = self._secret_pages()
        records = sum(page["items"] or 0 for page in pages)
        if not records:
            return NOT_OBSERVED, "no secret record was read"
        with_value = sum(page["fields"].get("value", 0) for page in pages)
        if with_value:
            return CONTRADICTED, "a value field on %d of %s (the client drops it)" % (with_value, plural(records, "secret record"))
        return CONFIRMED, "no value field on %s" % plural(records, "secret record")

    def masked_value_shape(self):
        masks = sum(self.records[name]["masks"] for name in ("personal_secrets", "project_secrets"))
        odd = sum(self.records[name]["odd_masks"] for name in ("personal_secrets", "project_secrets"))
        if not masks:
            return NOT_OBSERVED, "no masked_value was read"
        if odd:
            return CONTRADICTED, "%d of %s have another shape" % (odd, plural(masks, "masked value"))
        return CONFIRMED, "%s, all of that shape" % plural(masks, "masked value")

    def lower_case_uuids(self):
        ids = sum(facts["ids"] for facts in self.records.values())
        bad = sum(facts["bad_ids"] for facts in self.records.values())
        if not ids:
            return NOT_OBSERVED, "no record was read"
        if bad:
            return CONTRADICTED, "%d of %s are not canonical lower-case UUIDs" % (bad, plural(ids, "id"))
        return CONFIRMED, "%s, all canonical lower-case UUIDs" % plural(ids, "id")

    def forbidden_project_403(self):
        skipped = [error_facts(error) for error in self.outcomes["project_secrets"]["skipped"]]
        if not skipped:
            if self.outcomes["project_secrets"]["records"] is not None:
                return NOT_OBSERVED, "the first project tried was readable"
            return NOT_OBSERVED, "no project was tried"
        statuses = sorted({facts["status"] for facts in skipped})
        if statuses != [403]:
            return CONTRADICTED, "a listed project's secrets answered %s" % ", ".join(str(status) for status in statuses)
        return CONFIRMED, "403 for %s" % plural(len(skipped), "listed project")

    def error_response(self):
        errors = [error for outcome in self.outcomes.values() for error in [outcome["error"]] + outcome["skipped"]
                  if error is not None and error.sent and error.status is not None and error.status >= 400]
        if not errors:
            return NOT_OBSERVED, "no error answer"
        lacking = [error for error in errors if not (error.code and error.error_id)]
        if lacking:
            return CONTRADICTED, "%d of %s without code or error_id (statuses %s)" % (
                len(lacking), plural(len(errors), "error answer"), ", ".join(sorted({str(error.status) for error in lacking})))
        answered = ", ".join(sorted({str(error.status) for error in errors}))
        return CONFIRMED, "%s (statuses %s) with code and error_id" % (plural(len(errors), "error answer"), answered)

    def retry_after(self):
        limited = [event for event in self.responses if event["status"] == 429]
        if not limited:
            return NOT_OBSERVED, "no 429 answer"
        without = [event for event in limited if not any(name.lower() == "retry-after" for name in event["headers"])]
        if without:
            return CONTRADICTED, "%d of %s without Retry-After" % (len(without), plural(len(limited), "429 answer"))
        return CONFIRMED, "%s, each with Retry-After" % plural(len(limited), "429 answer")


def _ends_list(page, collected):
    """Whether ``page`` says the list ends there, as ``NeoClient._next_page`` reads it."""
    values = page["values"]
    if page["signal"] == "next_cursor":
        return not values.get("next_cursor")
    if page["signal"] == "has_more":
        return values.get("has_more") is False
    if page["signal"] == "total":
        return collected >= values.get("total", 0)
    return True


def _envelope_text(description):
    if description["envelope_key"]:
        return "%s (%s)" % (description["envelope"], description["envelope_key"])
    return description["envelope"]


# ---------------------------------------------------------------------- Markdown

def _cell(value):
    if value is None or value == [] or value == {}:
        return "-"
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(item) for item in value)
    return one_line(value, 400).replace("\\", "\\\\").replace("|", "\\|")


def _code_list(values):
    return ", ".join("`%s`" % _cell(value) for value in values) if values else "-"


def render_markdown(api):
    """The description as a Markdown document, ready to attach to an issue."""
    requests_ = api["requests"]
    latency = api["latency_ms"]
    lines = [
        "# Neo API probe",
        "",
        "Written by `projectdiscovery.neo.neo_api_info` (%s, format %d) with GET requests only. It holds field names, "
        "counts, forms, allow-listed response headers and timings: no secret value, masked value, name or id." % (_cell(api["client"]), api["format"]),
        "",
        "| | |",
        "|---|---|",
        "| Base URL | %s |" % _cell(api["base_url"]),
        "| Authentication | %s (`%s`) |" % (_cell(api["auth"]["header"]), _cell(api["auth"]["scheme"])),
        "| HTTP versions | %s |" % _cell(api["http_versions"]),
        "| Requests | %d (%s); statuses %s; %s; retries %d |" % (
            requests_["total"], _cell(["%s %d" % item for item in sorted(requests_["methods"].items())]),
            _cell(["%s: %d" % item for item in sorted(requests_["statuses"].items())]),
            "transport failures: %s" % _cell(["%s (%d)" % item for item in sorted(requests_["transport_failures"].items())])
            if requests_["transport_failures"] else "no transport failure", requests_["retries"]),
        "| Latency | %s |" % ("min %s ms, median %s ms, max %s ms" % (latency["min"], latency["median"], latency["max"]) if latency else "-"),
        "| List envelope | %s |" % _cell(api["envelope"]),
        "| Pagination | %s |" % _cell(api["pagination"]),
        "| Page size applied | %s (limit sent: %d) |" % (_cell(api["page_size"]), api["limit_sent"]),
        "",
        "## Lists",
        "",
        "| List | Read | Envelope | Keys | Pagination (key followed) | Page size | Pages | Records | Latency (ms) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, description in api["lists"].items():
        read = description["read"]
        if description["error"]:
            error = description["error"]
            read = "failed: %s" % _cell(" ".join(str(part) for part in (error["status"], error["code"], error["reason"]) if part is not None))
            if error["error_id"]:
                read += " (error_id %s)" % _cell(error["error_id"])
        elif description["not_read"]:
            read = "not read: %s" % _cell(description["not_read"])
        if name == "project_secrets" and description["projects_skipped"]:
            read += "; skipped %s" % _cell(["%s %s" % (error["status"], error["code"] or "") for error in description["projects_skipped"]])
        pagination = description["pagination"]
        if pagination and description["pagination_signal"]:
            pagination = "%s (`%s`)" % (pagination, description["pagination_signal"])
        lines.append("| GET %s (%s) | %s | %s | %s | %s | %s | %d | %d | %s |" % (
            _cell(description["path"]), LISTS[name][3], read,
            _cell(_envelope_text(description)) if description["envelope"] else "-",
            _code_list(description["envelope_keys"]) if description["envelope_keys"] else "-",
            _cell(pagination), _cell(description["page_size"]), description["pages"], description["records"], _cell(description["latency_ms"])))
    lines += [
        "",
        "## Record fields",
        "",
        "| List | Schema | Records | Present in all | Present in some | Absent | Undocumented |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, description in api["lists"].items():
        fields = description["fields"]
        lines.append("| %s | %s | %d | %s | %s | %s | %s |" % (
            LISTS[name][3], fields["schema"], fields["records"], _code_list(fields["present"]), _code_list(fields["partly_present"]),
            _code_list(fields["absent"]), _code_list(fields["undocumented"])))
    headers = api["headers"]
    lines += ["", "## Response headers", "", "| Header | Value |", "|---|---|"]
    for name, value in sorted(headers["rate_limit"].items()):
        lines.append("| %s | %s |" % (_cell(name), _cell(value)))
    if not headers["rate_limit"]:
        lines.append("| (rate limit, Retry-After) | none seen |")
    lines.append("| Request id headers | %s |" % (_cell(headers["request_id"]) if headers["request_id"] else "none seen"))
    lines.append("| Content-Type | %s |" % _cell(headers["content_type"]))
    lines.append("| Server, Via | %s |" % _cell(headers["server"]))
    lines += ["", "## Assumptions of the collection", "", "| Assumption | Status | Seen |", "|---|---|---|"]
    for assumption in api["assumptions"]:
        lines.append("| `%s`: %s | %s | %s |" % (assumption["id"], _cell(assumption["text"]), assumption["status"], _cell(assumption["seen"])))
    return "\n".join(lines) + "\n"
