# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""What the Neo API really does, as the collection's own client sees it (the logic of neo_api_info).

``probe(client, recorder)`` reads, with ``GET`` only, the project list, the personal secrets and
the secrets of the first listed project the caller can read, through the one ``NeoClient``, whose
``observer`` is the ``ProbeRecorder``. The client reports every HTTP attempt and, per list page,
what its one list reader decided, so nothing here reads a list a second way. ``describe`` turns
those facts into the ``api`` description and checks the assumptions the collection makes where
the Neo docs are silent.

The description holds only the probe's own vocabulary: documented field names, known envelope,
paging and header names, counts, forms, status codes, timings. Whatever else the server chose (a
key, field or header name the probe does not know, a header value that is not a plain integer)
is counted, never copied: a hostile server cannot put a secret, a name or an id into it.
"""
from __future__ import annotations

import re
import statistics
from collections import Counter

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_client import (
    PROJECTS_PATH,
    RATE_LIMIT_PREFIXES,
    REQUEST_ID_HEADERS,
    SECRETS_PATH,
    USER_AGENT,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoApiError, plural
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_project_state import PROJECT_RECORD_FIELDS
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_reports import markdown_code, markdown_table, markdown_text
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_secrets import SECRET_RECORD_FIELDS

FORMAT_VERSION = 1

SECRET_REQUIRED = ("id", "name", "masked_value", "default_available")  # required in SecretResponse
# The lists read, in order: name -> (path, documented schema, its fields, label).
LISTS = {
    "projects": (PROJECTS_PATH, "Project", PROJECT_RECORD_FIELDS, "projects"),
    "personal_secrets": (SECRETS_PATH, "SecretResponse", SECRET_RECORD_FIELDS, "personal secrets"),
    "project_secrets": (SECRETS_PATH, "SecretResponse", SECRET_RECORD_FIELDS, "secrets of one project"),
}
# Projects tried, in list order, for a readable one (403 and 404 are skipped).
MAX_PROJECTS_TRIED = 25

AUTH_HEADERS = {"api_key": "X-Api-Key", "api_token": "Authorization: Bearer"}
HTTP_VERSIONS = {9: "HTTP/0.9", 10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2", 30: "HTTP/3"}
# The reader's envelope (else the resource's own key: "named") and paging key, in the simulator's words (docs/simulator.md).
ENVELOPES = {None: "unrecognised", "bare": "bare", "data": "data", "items": "items"}
PAGINATION = {"next_cursor": "cursor", "has_more": "offset", "total": "offset_total"}

# The probe's vocabulary: no other key, field or header name is ever shown (they are counted).
# Keys that look like pagination but that the client does not follow.
FOREIGN_PAGINATION_KEYS = frozenset((
    "next", "next_page", "nextPage", "next_url", "nextCursor", "cursor", "page", "pages", "page_count", "total_pages", "totalPages",
    "hasMore", "links", "_links", "continuation_token", "next_token", "nextToken", "next_offset", "previous", "prev",
))
KNOWN_KEYS = FOREIGN_PAGINATION_KEYS | {"projects", "secrets", "data", "items", "results", "records", "next_cursor", "has_more", "total",
                                        "count", "limit", "offset", "error", "code", "message"}
KNOWN_FIELDS = frozenset(SECRET_RECORD_FIELDS + PROJECT_RECORD_FIELDS + ("value",))
RATE_LIMIT_HEADERS = frozenset(["retry-after"] + [prefix + suffix for prefix in RATE_LIMIT_PREFIXES
                                                  for suffix in ("", "-limit", "-remaining", "-reset", "-used", "-policy")])
CONTENT_TYPES = frozenset(("application/json", "application/problem+json", "text/html", "text/plain"))
# ErrorResponse codes: documented (docs/neo-api/openapi.yaml) or following the error kind.
ERROR_CODES = frozenset(("invalid_request", "unauthorized", "forbidden", "not_exists", "already_exists", "method_not_allowed",
                         "rate_limited", "internal", "user_spending_cap_reached", "project_spending_cap_reached", "insufficient_neo_credits"))
OTHER = "other"

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_MASK = re.compile("^(?:.{3}\u2022{8}.{4}|\u2022{8})$", re.DOTALL)

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
    """The client's observer: keeps its events per list (``begin`` names the list being read)."""

    def __init__(self):
        self.events = {}
        self._current = self.events.setdefault(None, [])

    def begin(self, name):
        self._current = self.events.setdefault(name, [])

    def __call__(self, facts):
        self._current.append(facts)


# ---------------------------------------------------------------------- reading (GET only)

def probe(client, recorder, max_projects=MAX_PROJECTS_TRIED):
    """Read the three lists with ``client`` (GET only): ``(api, failure)``, ``failure`` a one-line
    message when no list could be read at all (else None), ``api`` always what was seen."""
    outcomes = {}
    readers = {"projects": lambda: _read(client.list_projects), "personal_secrets": lambda: _read(client.list_secrets),
               "project_secrets": lambda: _read_one_project(client, outcomes["projects"], max_projects)}
    for name, read in readers.items():
        recorder.begin(name)
        outcomes[name] = read()
    api = describe(client, recorder.events, outcomes)
    if any(outcome["records"] is not None for outcome in outcomes.values()):
        return api, None
    return api, "neo_api_info: no list could be read: %s" % outcomes["projects"]["error"]  # the project list failed (no records)


def _outcome(records=None, error=None, skipped=(), not_read=None):
    return {"records": records, "error": error, "skipped": list(skipped), "not_read": not_read}


def _read(call, **kwargs):
    try:
        return _outcome(records=call(**kwargs))
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
        outcome = _read(client.list_secrets, project_id=project["id"])
        if outcome["error"] is not None and outcome["error"].status in (403, 404):
            skipped.append(outcome["error"])
            continue
        return dict(outcome, skipped=skipped)
    return _outcome(skipped=skipped, not_read="none of the first %s could be read" % plural(len(skipped), "project"))


# ---------------------------------------------------------------------- description

def describe(client, events, outcomes):
    """The ``api`` description from the client, the events it reported and the outcome of each list."""
    pages = {name: [event for event in events.get(name, ()) if event["event"] == "page"] for name in LISTS}
    # The reader reads an inconsistent list once more from page 1: the last reading is the one described.
    pages = {name: [page for page in found if page["reading"] == found[-1]["reading"]] for name, found in pages.items()}
    lists = {name: describe_list(name, pages[name], events.get(name, ()), outcomes[name]) for name in LISTS}
    responses = [event for bucket in events.values() for event in bucket if event["event"] == "response"]
    answered = [event for event in responses if event["status"] is not None]
    times = [_ms(event["seconds"]) for event in answered]
    api = {
        "format": FORMAT_VERSION,
        "base_url": client.api_url,
        "auth": {"scheme": client.auth_scheme, "header": AUTH_HEADERS[client.auth_scheme]},
        "limit_sent": client.page_limit,
        "envelope": _agreed(item["envelope"] for item in lists.values()),
        "pagination": _agreed(item["pagination"] for item in lists.values()),
        "page_size": _agreed([item["page_size"] for item in lists.values()], None),
        "requests": {
            "total": len(responses),
            "methods": dict(Counter(event["method"] for event in responses)),
            "statuses": dict(Counter(str(event["status"]) for event in answered)),
            "retries": client.retry_count,
            "transport_failures": dict(Counter(event["failure"] for event in responses if event["status"] is None)),
        },
        "latency_ms": {"min": min(times), "median": round(statistics.median(times), 1), "max": max(times)} if times else None,
        "http_versions": sorted({HTTP_VERSIONS.get(event["http_version"], OTHER) for event in answered}),
        "headers": _headers(responses),
        "lists": lists,
    }
    verdicts = _assess(api, pages, responses, outcomes)
    api["assumptions"] = [{"id": key, "text": text, "status": verdicts[key][0], "seen": verdicts[key][1]} for key, text in ASSUMPTIONS]
    return api


def describe_list(name, pages, events, outcome):
    path, schema, documented, _label = LISTS[name]
    first = pages[0] if pages else None
    signal = next((page["signal"] for page in pages if page["signal"]), None)
    records = sum(page["items"] or 0 for page in pages)
    fields = Counter()
    for page in pages:
        fields.update(page["fields"])
    # ``total`` alone is also a mere count: it is offset pagination only when the reader followed it
    # to another page, or the API echoed an ``offset``.
    paged = signal != "total" or any(page["next"] for page in pages) or "offset" in first["values"]
    description = {
        "path": path,
        "read": "ok" if outcome["records"] is not None else "failed" if outcome["error"] is not None else "not read",
        "error": error_facts(outcome["error"]) if outcome["error"] is not None else None,
        "not_read": outcome["not_read"],
        "envelope": ENVELOPES.get(first["envelope"], "named") if first else None,
        "envelope_key": first["envelope"] if first and first["envelope"] not in (None, "bare") else None,
        "keys": None if first is None or first["keys"] is None else _vocabulary(first["keys"], KNOWN_KEYS, "key"),
        "count_key": first["count_key"] if first else None,
        "pagination": None if not first or first["envelope"] is None else PAGINATION.get(signal, "none") if paged else "none",
        "pagination_signal": signal,
        "page_size": first["items"] if len(pages) > 1 else None,
        "pages": len(pages),
        "records": records,
        "readings": pages[-1]["reading"] if pages else 0,
        "latency_ms": [_ms(event["seconds"]) for event in events if event["event"] == "response"],
        "fields": {"schema": schema, "records": records,
                   "present": [field for field in documented if records and fields[field] == records],
                   "partly_present": [field for field in documented if 0 < fields[field] < records],
                   "absent": [field for field in documented if records and not fields[field]],
                   "undocumented": _vocabulary([field for field in fields if field not in documented], KNOWN_FIELDS, "field")},
    }
    if name == "project_secrets":
        description["projects_tried"] = len(outcome["skipped"]) + (outcome["not_read"] is None)  # and the one read, or failed
        description["projects_skipped"] = [error_facts(error) for error in outcome["skipped"]]
    return description


def _vocabulary(names, known, word):
    """The names the probe knows, sorted, then how many others there were: never the server's own words."""
    unknown = sum(1 for name in names if name not in known)
    return sorted(name for name in names if name in known) + ([plural(unknown, "unknown " + word)] if unknown else [])


def error_facts(error):
    """A failed call as status, code and reason, from fixed vocabularies: never the API's text, an id or a name."""
    if error.status == 401:
        reason = "credentials rejected"
    else:
        reason = error.reason or ("HTTP %d" % error.status if error.status is not None else "failed")
    return {"status": error.status, "code": _known(error.code, ERROR_CODES), "reason": reason}


def _known(value, vocabulary):
    return None if value is None else value if isinstance(value, str) and value in vocabulary else OTHER


def _agreed(values, mixed="mixed"):
    seen = {value for value in values if value is not None}
    return seen.pop() if len(seen) == 1 else (mixed if seen else None)


def _ms(seconds):
    return round(seconds * 1000.0, 1)


def _headers(responses):
    """Rate-limit headers and Retry-After with their last value (a plain integer, else "other"), request-id header names,
    content types, and whether a Server or Via header was seen; any other name under a rate-limit prefix is counted."""
    rate_limit, unknown, request_ids, content_types, server = {}, set(), set(), set(), False
    for event in responses:
        for name, value in event["headers"].items():
            name = name.lower()
            if name in RATE_LIMIT_HEADERS:
                rate_limit[name] = int(value) if value.isascii() and value.isdigit() and len(value) < 16 else OTHER
            elif name.startswith(RATE_LIMIT_PREFIXES):
                unknown.add(name)
            elif name in REQUEST_ID_HEADERS:
                request_ids.add(name)
            elif name == "content-type":
                content_types.add(_known(value.split(";")[0].strip().lower(), CONTENT_TYPES))
            elif name in ("server", "via"):
                server = True
    return {"rate_limit": dict(sorted(rate_limit.items())), "unknown_rate_limit": len(unknown), "request_id": sorted(request_ids),
            "content_type": sorted(content_types), "server": server}


# ---------------------------------------------------------------------- assumptions

def _verdict(problems, evidence, nothing):
    """``(status, seen)``: the first problem contradicts the assumption, else any evidence confirms it."""
    problems, evidence = [text for text in problems if text], [text for text in evidence if text]
    if problems:
        return CONTRADICTED, problems[0]
    return (CONFIRMED, "; ".join(evidence)) if evidence else (NOT_OBSERVED, nothing)


def _counted(total, bad, noun, contradicted, confirmed, nothing, **words):
    """The verdict on ``total`` things seen (``noun``), ``bad`` of which contradict the assumption."""
    words.update(bad=bad, all=plural(total, noun))
    return _verdict([bad and contradicted.format(**words)], [total and confirmed.format(**words)], nothing)


def _assess(api, pages, responses, outcomes):
    """``{assumption id: (status, seen)}``, ``seen`` saying what was observed, in one line."""
    read = [(LISTS[name][3], api["lists"][name], pages[name]) for name in LISTS if pages[name]]
    secret_pages, personal = pages["personal_secrets"] + pages["project_secrets"], pages["personal_secrets"]
    personal_records = api["lists"]["personal_secrets"]["records"]
    secret_records = personal_records + api["lists"]["project_secrets"]["records"]
    # Value shapes, from the records the client returned: only ever counted.
    ids = [record["id"] for outcome in outcomes.values() for record in outcome["records"] or () if "id" in record]
    masks = [record["masked_value"] for name in ("personal_secrets", "project_secrets") for record in outcomes[name]["records"] or ()
             if "masked_value" in record]
    with_project, null_project = _count(personal, "project_id"), _count(personal, "project_id", "null_fields")
    missing = ["%s missing on %d" % (field, secret_records - _count(secret_pages, field)) for field in SECRET_REQUIRED
               if _count(secret_pages, field) < secret_records]
    lists = [event for event in responses if "limit" in event["params"] and event["status"] is not None]
    accepted = [str(event["status"]) for event in lists if 200 <= event["status"] < 300]
    limit = api["limit_sent"]
    skipped = outcomes["project_secrets"]["skipped"]
    skipped_statuses = sorted({error.status for error in skipped})
    errors = [error for outcome in outcomes.values() for error in [outcome["error"]] + outcome["skipped"]
              if error is not None and error.status is not None and error.status >= 400]
    lacking = sorted({str(error.status) for error in errors if not (error.code and error.error_id)})
    limited = [event for event in responses if event["status"] == 429]

    foreign, paging, miscounts, counts = [], [], [], []
    for label, item, found in read:
        first, last, key = found[0], found[-1], item["count_key"]
        keys = sorted({name for page in found for name in page["keys"] or ()} & FOREIGN_PAGINATION_KEYS)
        foreign.append(keys and "%s: keys %s, which the client does not follow" % (label, ", ".join(keys)))
        if first["signal"] is None and first["values"].get("count", 0) > (first["items"] or 0):
            foreign.append("%s: count %d on a page of %d records without next_cursor, has_more or total" % (
                label, first["values"]["count"], first["items"] or 0))
        if item["pages"] > 1 or item["pagination_signal"] or key:
            paging.append("%s: %s over %s" % (label, item["pagination"], plural(item["pages"], "page")))
        announced = first["values"].get(key)
        # The reader ended the list with this count on its last page, and read another number of records.
        if announced is not None and last["next"] is None and last["values"].get(key) == announced != item["records"]:
            miscounts.append("%s: %s %d, %d records read" % (label, key, announced, item["records"]))
        if announced is not None and item["read"] == "ok":
            counts.append("%s: %s = %d records" % (label, key, announced))

    return {
        "list_envelope": _verdict(
            ["GET %s (%s) answered %s" % (item["path"], label, "a JSON value that is neither array nor object" if item["keys"] is None
                                          else "an object with keys %s" % (", ".join(item["keys"]) or "(none)"))
             for label, item, _found in read if item["envelope"] == "unrecognised"],
            ["%s: %s" % (label, item["envelope_key"] or "bare") for label, item, _found in read], "no list answered"),
        "pagination_keys": _verdict(foreign, paging, "no list carried a pagination key or a count"),
        "announced_count": _verdict(miscounts, counts, "no list carried count or total"),
        "limit_accepted": _verdict(
            ["GET %s with limit=%d answered 400" % (event["path"], limit) for event in lists if event["status"] == 400],
            [accepted and "%s with limit=%d answered %s" % (plural(len(accepted), "list request"), limit, ", ".join(sorted(set(accepted))))],
            "no list request was answered"),
        "page_size_capped": _verdict(
            ["%s: a page of %d records for limit=%d (the limit is ignored)" % (label, page["items"], page["limit"])
             for label, _item, found in read for page in found
             if page["items"] is not None and page["limit"] is not None and page["items"] > page["limit"]],
            ["%s: pages of %d for limit=%d" % (label, item["page_size"], found[0]["limit"])
             for label, item, found in read if item["page_size"] is not None],
            "every list came in one page"),
        "personal_project_id": _counted(
            personal_records, with_project - null_project, "personal secret", "{bad} of {all} carry a project_id", "{seen} of {all}",
            "no personal secret was read", seen=", ".join("%s on %d" % part for part in (("null", null_project),
                                                                                         ("absent", personal_records - with_project)) if part[1])),
        "secret_required_fields": _counted(secret_records, ", ".join(missing), "secret record", "{bad} of {all}", "all four on {all}",
                                           "no secret record was read"),
        "no_secret_value": _counted(secret_records, _count(secret_pages, "value"), "secret record",
                                    "a value field on {bad} of {all} (the client drops it)", "no value field on {all}", "no secret record was read"),
        "masked_value_shape": _counted(len(masks), sum(1 for mask in masks if not (isinstance(mask, str) and _MASK.match(mask))), "masked value",
                                       "{bad} of {all} have another shape", "{all}, all of that shape", "no masked_value was read"),
        "lower_case_uuids": _counted(len(ids), sum(1 for value in ids if not (isinstance(value, str) and _UUID.match(value))), "id",
                                     "{bad} of {all} are not canonical lower-case UUIDs", "{all}, all canonical lower-case UUIDs", "no record was read"),
        "forbidden_project_403": _verdict(
            [skipped_statuses != [403] and skipped_statuses and "a listed project's secrets answered %s" % ", ".join(map(str, skipped_statuses))],
            [skipped_statuses and "403 for %s" % plural(len(skipped), "listed project")],
            "the first project tried was readable" if outcomes["project_secrets"]["records"] is not None else "no project was tried"),
        "error_response": _counted(
            len(errors), sum(1 for error in errors if not (error.code and error.error_id)), "error answer",
            "{bad} of {all} without code or error_id (statuses {lacking})", "{all} (statuses {statuses}) with code and error_id", "no error answer",
            lacking=", ".join(lacking), statuses=", ".join(sorted({str(error.status) for error in errors}))),
        "retry_after": _counted(len(limited), sum(1 for event in limited if "retry-after" not in {name.lower() for name in event["headers"]}),
                                "429 answer", "{bad} of {all} without Retry-After", "{all}, each with Retry-After", "no 429 answer"),
    }


def _count(pages, field, key="fields"):
    """How many records of ``pages`` carry ``field`` (as null, with ``key="null_fields"``)."""
    return sum(page[key].get(field, 0) for page in pages)


# ---------------------------------------------------------------------- the summary line and Markdown

def summary(api):
    """One line for the playbook's output."""
    contradicted = [item["id"] for item in api["assumptions"] if item["status"] == CONTRADICTED]
    page_size = NOT_OBSERVED if api["page_size"] is None else api["page_size"]
    return "API %s: lists %s, pagination %s, page size %s for limit %d; assumptions contradicted: %s" % (
        api["base_url"], api["envelope"] or NOT_OBSERVED, api["pagination"] or NOT_OBSERVED, page_size, api["limit_sent"],
        ", ".join(contradicted) or "none")


def _cell(value):
    if value is None or value == [] or value == {}:
        return "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(markdown_code(item) if isinstance(item, str) else str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join("%s: %s" % (markdown_code(key), markdown_text(item)) for key, item in value.items())
    return markdown_text(value, 400, line=True)


def _read_cell(item):
    error, skipped = item["error"], item.get("projects_skipped")
    text = ("failed: %s" % _cell(" ".join(str(part) for part in error.values() if part is not None)) if error
            else "not read: %s" % _cell(item["not_read"]) if item["not_read"] else item["read"])
    return text + ("; skipped %s" % _cell(", ".join("%s %s" % (error["status"], error["code"] or "") for error in skipped)) if skipped else "")


def render_markdown(api):
    """The description as a Markdown document, ready to attach to an issue."""
    requests_, latency, headers, lists = api["requests"], api["latency_ms"], api["headers"], api["lists"]
    sections = [(None, ["", ""], [
        ["Base URL", _cell(api["base_url"])],
        ["Authentication", "%s (%s)" % (_cell(api["auth"]["header"]), _cell(api["auth"]["scheme"]))],
        ["HTTP versions", _cell(api["http_versions"])],
        ["Requests", "%d (%s); statuses %s; transport failures %s; retries %d" % (
            requests_["total"], _cell(requests_["methods"]), _cell(requests_["statuses"]), _cell(requests_["transport_failures"]),
            requests_["retries"])],
        ["Latency", "min %s ms, median %s ms, max %s ms" % (latency["min"], latency["median"], latency["max"]) if latency else "-"],
        ["List envelope", _cell(api["envelope"])],
        ["Pagination", _cell(api["pagination"])],
        ["Page size applied", "%s (limit sent: %d)" % (_cell(api["page_size"]), api["limit_sent"])],
    ]), ("Lists", ["List", "Read", "Envelope", "Keys", "Pagination (key followed)", "Page size", "Pages", "Records", "Latency (ms)"], [
        ["GET %s (%s)" % (_cell(item["path"]), LISTS[name][3]), _read_cell(item),
         "%s (%s)" % (_cell(item["envelope"]), _cell(item["envelope_key"])) if item["envelope_key"] else _cell(item["envelope"]),
         _cell(item["keys"]),
         "%s (%s)" % (_cell(item["pagination"]), markdown_code(item["pagination_signal"])) if item["pagination_signal"] else _cell(item["pagination"]),
         _cell(item["page_size"]), str(item["pages"]), str(item["records"]), _cell(item["latency_ms"])] for name, item in lists.items()
    ]), ("Record fields", ["List", "Schema", "Records", "Present in all", "Present in some", "Absent", "Undocumented"], [
        [LISTS[name][3], item["fields"]["schema"], str(item["fields"]["records"])]
        + [_cell(item["fields"][key]) for key in ("present", "partly_present", "absent", "undocumented")] for name, item in lists.items()
    ]), ("Response headers", ["Header", "Seen"], [
        ["Rate limit, Retry-After", "%s%s" % (_cell(headers["rate_limit"]), " and %s" % plural(headers["unknown_rate_limit"], "unknown header")
                                              if headers["unknown_rate_limit"] else "")],
        ["Request id", _cell(headers["request_id"]) if headers["request_id"] else "none seen"],
        ["Content-Type", _cell(headers["content_type"])],
        ["Server or Via", "present" if headers["server"] else "absent"],
    ]), ("Assumptions of the collection", ["Assumption", "Status", "Seen"], [
        ["%s: %s" % (markdown_code(item["id"]), _cell(item["text"])), item["status"], _cell(item["seen"])] for item in api["assumptions"]
    ])]
    lines = ["# Neo API probe", "", "Written by `projectdiscovery.neo.neo_api_info` (%s, format %d) with GET requests only. It holds field names, "
             "counts, forms, known response headers and timings: no secret value, masked value, name or id." % (USER_AGENT, api["format"])]
    for title, header, rows in sections:
        lines += ([""] if title is None else ["", "## " + title, ""]) + markdown_table(header, rows)
    return "\n".join(lines) + "\n"
