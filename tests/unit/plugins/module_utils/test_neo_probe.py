"""The API probe (module_utils/_neo_probe.py) and the client's observer hook that feeds it.

Against the simulator (``sim`` fixture) in every list form and pagination, with faults, and
against a tiny scripted HTTP stub for what the simulator never serves (rate-limit headers,
undocumented fields, a ``value`` field, odd ids and masks, foreign pagination keys). Every test
also checks that nothing secret reached the description or the Markdown.
"""
from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_probe
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_client import NeoClient
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoApiError
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_probe import (
    ASSUMPTIONS,
    CONFIRMED,
    CONTRADICTED,
    NOT_OBSERVED,
    ProbeRecorder,
    error_facts,
    probe,
    render_markdown,
)

from tests.conftest import ALICE_KEY, ALICE_TOKEN, BASIC_SEED, CANARY, PROJECT_PRODUCTION, PROJECT_STAGING

REPO_ROOT = pathlib.Path(__file__).resolve().parents[4]
WRONG_KEY = "neo_sk_wrongCANARYkey00000000000000000"
# Every combination the simulator serves: a bare array has no room for pagination keys.
FORMS = [(form, pagination) for form in ("bare", "named", "data", "items") for pagination in ("none", "offset", "offset_total", "cursor")
         if form != "bare" or pagination == "none"]
# alice's lists in tests/fixtures/seed-basic.yml: 3 projects, 2 personal secrets, 3 secrets in Production (the first project).
SIZES = {"projects": 3, "personal_secrets": 2, "project_secrets": 3}


class FakeSleep:
    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)


def run_probe(url, api_key=ALICE_KEY, **kwargs):
    recorder = ProbeRecorder()
    kwargs.setdefault("sleep", FakeSleep())
    client = NeoClient(url, api_key=api_key, observer=recorder, **kwargs)
    try:
        api, failure = probe(client, recorder)
    finally:
        client.close()
    return api, failure, recorder


def statuses(api):
    return {assumption["id"]: assumption["status"] for assumption in api["assumptions"]}


def seen(api, assumption_id):
    return next(assumption["seen"] for assumption in api["assumptions"] if assumption["id"] == assumption_id)


def secret_texts():
    """Every value, mask, name and id of the basic seed, and the credentials: none may appear in a description."""
    seed = yaml.safe_load(BASIC_SEED.read_text())
    texts = {CANARY, ALICE_KEY, ALICE_TOKEN}
    for item in seed["secrets"]:
        texts.update((item["value"], item["name"], item["id"], item["value"][:3] + "\u2022" * 8 + item["value"][-4:]))
    texts.update(project["id"] for project in seed["projects"])
    texts.update(project["name"] for project in seed["projects"])
    return texts


def assert_nothing_secret(api, recorder=None):
    texts = [json.dumps(api, ensure_ascii=False, default=str), json.dumps(api, default=str)]
    if "lists" in api:
        texts.append(render_markdown(api))
    if recorder is not None:
        texts.append(json.dumps(recorder.events, default=str, ensure_ascii=False))
    for text in texts:
        for needle in secret_texts():
            assert needle not in text, "description shows %r" % needle


# --------------------------------------------------------------------------- the documented schemas


def test_schemas_are_the_documented_ones():
    schemas = yaml.safe_load((REPO_ROOT / "docs" / "neo-api" / "openapi.yaml").read_text())["components"]["schemas"]
    assert set(_neo_probe.SECRET_FIELDS) == set(schemas["SecretResponse"]["properties"])
    assert set(_neo_probe.SECRET_REQUIRED) == set(schemas["SecretResponse"]["required"])
    assert set(_neo_probe.PROJECT_FIELDS) == set(schemas["Project"]["properties"])


def test_assumption_ids_are_unique_and_each_has_a_check():
    ids = [assumption_id for assumption_id, _text in ASSUMPTIONS]
    assert len(ids) == len(set(ids))
    for assumption_id in ids:
        assert callable(getattr(_neo_probe._Facts, assumption_id))


# --------------------------------------------------------------------------- every simulator form


@pytest.mark.parametrize("list_form,pagination", FORMS, ids=["%s-%s" % form for form in FORMS])
def test_probe_names_every_form_the_simulator_serves(sim, list_form, pagination):
    sim.configure(list_form=list_form, pagination=pagination, page_size=2)
    api, failure, recorder = run_probe(sim.url)
    assert failure is None
    paged = pagination != "none"
    assert api["envelope"] == list_form
    assert api["pagination"] == pagination
    assert api["page_size"] == (2 if paged else None)
    assert api["limit_sent"] == 100
    assert api["base_url"] == sim.url
    assert api["auth"] == {"scheme": "api_key", "header": "X-Api-Key"}
    assert api["http_versions"] == ["HTTP/1.1"]
    for name, size in SIZES.items():
        description = api["lists"][name]
        assert description["read"] == "ok", description
        assert description["envelope"] == list_form
        assert description["envelope_key"] == {"bare": None, "named": "projects" if name == "projects" else "secrets"}.get(list_form, list_form)
        assert description["pagination"] == pagination
        pages = -(-size // 2) if paged else 1
        assert (description["pages"], description["records"], description["readings"]) == (pages, size, 1)
        assert description["page_size"] == (2 if pages > 1 else None)
        assert description["limit_sent"] == 100
        assert description["query"] == (["limit", "project_id"] if name == "project_secrets" else ["limit"])
        assert len(description["latency_ms"]) == pages
        fields = description["fields"]
        assert fields["records"] == size and not fields["undocumented"] and not fields["partly_present"]
    assert api["lists"]["project_secrets"]["projects_tried"] == 1
    # Only GETs, one per page.
    assert api["requests"]["methods"] == {"GET": 2 + 1 + 2 if paged else 3}
    assert sim.counters()["writes"] == 0
    assert set(sim.counters()["by_method"]) == {"GET"}
    result = statuses(api)
    assert result["list_envelope"] == CONFIRMED
    assert result["limit_accepted"] == CONFIRMED
    assert result["page_size_capped"] == (CONFIRMED if paged else NOT_OBSERVED)
    assert result["pagination_keys"] == (NOT_OBSERVED if list_form in ("bare", "items") and not paged else CONFIRMED)
    assert result["announced_count"] == (NOT_OBSERVED if list_form in ("bare", "items") and pagination in ("none", "offset", "cursor") else CONFIRMED)
    for assumption_id in ("personal_project_id", "secret_required_fields", "no_secret_value", "masked_value_shape", "lower_case_uuids"):
        assert result[assumption_id] == CONFIRMED, (assumption_id, seen(api, assumption_id))
    for assumption_id in ("forbidden_project_403", "error_response", "retry_after"):
        assert result[assumption_id] == NOT_OBSERVED
    assert_nothing_secret(api, recorder)


def test_form_is_named_from_the_first_page_even_when_one_page_holds_everything(sim):
    """A large page size: every list in one page, still named by its pagination keys (offset echoed, has_more, next_cursor)."""
    for pagination in ("offset", "offset_total", "cursor"):
        sim.configure(list_form="data", pagination=pagination, page_size=50)
        api, _failure, _recorder = run_probe(sim.url)
        assert api["pagination"] == pagination
        assert api["page_size"] is None
        assert {description["pages"] for description in api["lists"].values()} == {1}
    # data without pagination carries total as a mere count: no offset pagination.
    sim.configure(list_form="data", pagination="none")
    api, _failure, _recorder = run_probe(sim.url)
    assert api["pagination"] == "none"
    assert api["lists"]["projects"]["count_key"] == "total"


def test_bearer_token_is_named(sim):
    recorder = ProbeRecorder()
    client = NeoClient(sim.url, api_token=ALICE_TOKEN, observer=recorder)
    api, failure = probe(client, recorder)
    client.close()
    assert failure is None
    assert api["auth"] == {"scheme": "api_token", "header": "Authorization: Bearer"}
    assert_nothing_secret(api, recorder)


def test_personal_project_id_absent(sim):
    sim.configure(personal_project_id="absent")
    api, _failure, _recorder = run_probe(sim.url)
    assert statuses(api)["personal_project_id"] == CONFIRMED
    assert seen(api, "personal_project_id") == "absent on 2 of 2 personal secrets"
    assert api["lists"]["personal_secrets"]["fields"]["absent"] == ["project_id"]
    assert api["lists"]["project_secrets"]["fields"]["absent"] == []


# --------------------------------------------------------------------------- faults


def test_forbidden_project_is_skipped_and_the_next_one_read(sim):
    # The personal list passes (skip 1), the first project answers 403, the second is read.
    sim.faults({"kind": "status", "status": 403, "method": "GET", "path": "/api/v1/secrets", "skip": 1, "times": 1})
    api, failure, recorder = run_probe(sim.url)
    assert failure is None
    project_secrets = api["lists"]["project_secrets"]
    assert project_secrets["read"] == "ok"
    assert project_secrets["projects_tried"] == 2
    assert [(error["status"], error["code"], error["reason"]) for error in project_secrets["projects_skipped"]] == [(403, "forbidden", "HTTP 403")]
    assert len(project_secrets["projects_skipped"][0]["error_id"]) == 16
    assert project_secrets["records"] == 2  # Staging, the second project
    assert len(project_secrets["latency_ms"]) == 2
    assert statuses(api)["forbidden_project_403"] == CONFIRMED
    assert statuses(api)["error_response"] == CONFIRMED
    assert api["requests"]["statuses"] == {"200": 3, "403": 1}
    assert sim.counters()["writes"] == 0
    assert_nothing_secret(api, recorder)


def test_404_for_a_listed_project_contradicts(sim):
    sim.faults({"kind": "status", "status": 404, "method": "GET", "path": "/api/v1/secrets", "skip": 1, "times": 1})
    api, _failure, _recorder = run_probe(sim.url)
    assert api["lists"]["project_secrets"]["read"] == "ok"
    assert statuses(api)["forbidden_project_403"] == CONTRADICTED
    assert seen(api, "forbidden_project_403") == "a listed project's secrets answered 404"


def test_no_readable_project(sim):
    sim.faults({"kind": "status", "status": 403, "method": "GET", "path": "/api/v1/secrets", "skip": 1, "times": 10})
    api, failure, _recorder = run_probe(sim.url)
    assert failure is None
    project_secrets = api["lists"]["project_secrets"]
    assert (project_secrets["read"], project_secrets["projects_tried"]) == ("not read", 3)
    assert project_secrets["not_read"] == "none of the first 3 projects could be read"


def test_unknown_envelope_is_described_not_guessed(sim):
    sim.faults({"kind": "unknown_envelope", "path": "/api/v1/projects", "times": 1})
    api, failure, recorder = run_probe(sim.url)
    assert failure is None  # the personal list was read
    projects = api["lists"]["projects"]
    assert projects["read"] == "failed"
    assert projects["error"]["reason"] == "unrecognised list response"
    assert (projects["envelope"], projects["envelope_keys"], projects["pagination"]) == ("unrecognised", ["next", "results"], None)
    assert api["lists"]["project_secrets"]["not_read"] == "the project list could not be read"
    assert api["envelope"] == "mixed"
    assert statuses(api)["list_envelope"] == CONTRADICTED
    assert seen(api, "list_envelope") == "GET /api/v1/projects (projects) answered an object with keys next, results"
    assert_nothing_secret(api, recorder)


def test_429_with_retry_after(sim):
    sim.faults({"kind": "status", "status": 429, "retry_after": "1", "method": "GET", "path": "/api/v1/projects", "times": 1})
    api, _failure, _recorder = run_probe(sim.url)
    assert api["headers"]["rate_limit"] == {"Retry-After": "1"}
    assert api["requests"]["retries"] == 1
    assert api["requests"]["statuses"] == {"200": 3, "429": 1}
    assert statuses(api)["retry_after"] == CONFIRMED
    assert len(api["lists"]["projects"]["latency_ms"]) == 2


def test_429_without_retry_after(sim):
    sim.faults({"kind": "status", "status": 429, "method": "GET", "path": "/api/v1/projects", "times": 1})
    api, _failure, _recorder = run_probe(sim.url)
    assert statuses(api)["retry_after"] == CONTRADICTED
    assert seen(api, "retry_after") == "1 of 1 429 answer without Retry-After"


def test_inconsistent_list_is_read_twice(sim):
    sim.configure(pagination="offset_total", page_size=1)
    sim.faults({"kind": "shift", "path": "/api/v1/projects", "times": 1})
    api, _failure, _recorder = run_probe(sim.url)
    projects = api["lists"]["projects"]
    assert projects["read"] == "ok"
    assert projects["readings"] == 2
    assert (projects["pages"], projects["records"]) == (3, 3)


def test_dropped_connection_is_a_transport_failure(sim):
    sim.faults({"kind": "drop", "method": "GET", "path": "/api/v1/projects", "times": 1})
    api, _failure, _recorder = run_probe(sim.url)
    assert api["requests"]["transport_failures"] == {"connection dropped": 1}
    assert api["requests"]["total"] == 4
    assert api["latency_ms"] is not None


def test_rejected_credentials_fail_the_probe(sim):
    api, failure, recorder = run_probe(sim.url, api_key=WRONG_KEY)
    assert failure.startswith("neo_api_info: no list could be read: Neo API 401 unauthorized")
    assert WRONG_KEY not in failure
    assert api["lists"]["projects"]["error"]["reason"] == "credentials rejected"
    assert api["lists"]["personal_secrets"]["error"]["reason"] == "not attempted: the credentials were rejected earlier"
    assert api["requests"]["total"] == 1
    assert statuses(api)["error_response"] == CONFIRMED
    assert_nothing_secret(api, recorder)
    assert WRONG_KEY not in json.dumps(api)


def test_unreachable_api():
    api, failure, _recorder = run_probe("http://127.0.0.1:1", retries=0)
    assert failure.startswith("neo_api_info: no list could be read: Neo API request failed: GET /api/v1/projects: could not connect")
    assert api["lists"]["projects"]["error"]["reason"] == "could not connect (connection refused or name not resolved)"
    assert api["latency_ms"] is None
    assert api["http_versions"] == []
    assert api["envelope"] is None and api["pagination"] is None
    assert set(statuses(api).values()) == {NOT_OBSERVED}
    render_markdown(api)


# --------------------------------------------------------------------------- what the simulator never serves


PROJECT_ID = "aaaaaaaa-0000-4000-8000-0000000000f1"


def stub_secret(number, **extra):
    record = {"id": "5ec00000-0000-4000-8000-%012d" % number, "name": "STUB_%d" % number, "masked_value": "abc" + "\u2022" * 8 + "wxyz",
              "default_available": False, "project_id": None}
    record.update(extra)
    return record


RATE_HEADERS = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "599", "X-Request-Id": "req-CANARY-0001",
                "Set-Cookie": "session=CANARYcookie"}


def test_headers_fields_and_shapes_the_simulator_never_serves(stub):
    stub.reply({"projects": [{"id": PROJECT_ID, "name": "Stub", "internal_billing_ref": "CANARY-billing"}], "count": 1}, headers=RATE_HEADERS)
    stub.reply({"secrets": [stub_secret(1, value="CANARY-plain-value-0001"), stub_secret(2, masked_value="ab****yz", colour="red"),
                            stub_secret(3, id="5EC00000-0000-4000-8000-000000000003", project_id=None)], "count": 3},
               headers={"X-RateLimit-Remaining": "598", "RateLimit-Reset": "30"})
    stub.reply({"secrets": [stub_secret(4, project_id=PROJECT_ID)], "next": "/api/v1/secrets?page=2"})
    api, failure, recorder = run_probe(stub.url)
    assert failure is None
    assert [request["method"] for request in stub.requests] == ["GET"] * 3
    assert api["headers"]["rate_limit"] == {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "598", "RateLimit-Reset": "30"}
    assert api["headers"]["request_id"] == ["X-Request-Id"]  # the name only
    assert api["headers"]["server"] == ["neo-edge"]
    projects = api["lists"]["projects"]
    assert projects["fields"]["undocumented"] == ["internal_billing_ref"]
    assert projects["fields"]["present"] == ["id", "name"]
    personal = api["lists"]["personal_secrets"]
    assert personal["fields"]["undocumented"] == ["colour", "value"]
    assert personal["fields"]["present"] == ["id", "name", "project_id", "default_available", "masked_value"]
    assert personal["fields"]["absent"] == ["created_at", "updated_at", "created_by_agent"]
    result = statuses(api)
    assert result["no_secret_value"] == CONTRADICTED
    assert seen(api, "no_secret_value") == "a value field on 1 of 4 secret records (the client drops it)"
    assert result["masked_value_shape"] == CONTRADICTED
    assert seen(api, "masked_value_shape") == "1 of 4 masked values have another shape"
    assert result["lower_case_uuids"] == CONTRADICTED
    assert seen(api, "lower_case_uuids") == "1 of 5 ids are not canonical lower-case UUIDs"
    assert result["pagination_keys"] == CONTRADICTED
    assert seen(api, "pagination_keys") == "secrets of one project: keys next, which the client does not follow"
    assert result["personal_project_id"] == CONFIRMED
    text = json.dumps(api) + render_markdown(api)
    for needle in (CANARY, "STUB_", PROJECT_ID, "Stub", "ab****yz", "abc\u2022", "session=", "req-"):
        assert needle not in text, needle
    # The client hands the observer allow-listed header values (the probe keeps no request id), never a record's.
    events = json.dumps(recorder.events, default=str)
    for needle in ("CANARY-billing", "CANARY-plain", "STUB_", PROJECT_ID, "Stub", "ab****yz", "abc\u2022", "session="):
        assert needle not in events, needle


def test_count_without_pagination_keys_and_ignored_limit(stub):
    stub.reply({"projects": [{"id": PROJECT_ID}], "count": 1})
    for _reading in range(2):  # read twice: inconsistent
        stub.reply({"secrets": [stub_secret(1), stub_secret(2)], "count": 5})
    stub.reply([stub_secret(number, project_id=PROJECT_ID) for number in range(10, 113)])
    api, _failure, _recorder = run_probe(stub.url, page_limit=100)
    personal = api["lists"]["personal_secrets"]
    assert personal["read"] == "failed"
    assert personal["error"]["reason"] == "inconsistent list (read twice)"
    assert personal["readings"] == 2
    result = statuses(api)
    assert result["pagination_keys"] == CONTRADICTED
    assert seen(api, "pagination_keys") == "personal secrets: count 5 on a page of 2 records without next_cursor, has_more or total"
    assert result["announced_count"] == CONTRADICTED
    assert seen(api, "announced_count") == "personal secrets: count 5, 2 records read"
    assert result["page_size_capped"] == CONTRADICTED
    assert seen(api, "page_size_capped") == "secrets of one project: a page of 103 records for limit=100 (the limit is ignored)"


def test_limit_rejected(stub):
    stub.reply({"error": "Bad Request", "code": "invalid_request", "message": "invalid request: limit too large", "error_id": "0123456789abcdef"},
               status=400)
    stub.reply([stub_secret(1)])
    api, failure, _recorder = run_probe(stub.url)
    assert failure is None
    assert api["lists"]["projects"]["error"] == {"status": 400, "code": "invalid_request", "error_id": "0123456789abcdef", "reason": "HTTP 400"}
    assert statuses(api)["limit_accepted"] == CONTRADICTED
    assert seen(api, "limit_accepted") == "GET /api/v1/projects with limit=100 answered 400"


def test_error_facts_never_carry_the_api_text_or_ids():
    error = NeoApiError("Neo API: the secrets of project %s: id %s listed again on page 2" % (PROJECT_STAGING, PROJECT_PRODUCTION),
                        code="bad code with spaces", error_id="x" * 100)
    facts = error_facts(error)
    assert facts == {"status": None, "code": None, "error_id": None, "reason": "failed"}


# --------------------------------------------------------------------------- the observer hook


def test_without_observer_the_client_reads_as_before(sim):
    sim.configure(pagination="cursor", page_size=2)
    client = NeoClient(sim.url, api_key=ALICE_KEY)
    assert client._observer is None
    assert len(client.list_projects()) == 3
    client.close()


def test_observer_sees_names_and_counts_only(sim):
    sim.configure(pagination="offset", page_size=2)
    events = []
    client = NeoClient(sim.url, api_key=ALICE_KEY, observer=events.append)
    client.list_secrets(project_id=PROJECT_PRODUCTION)
    client.close()
    assert [event["event"] for event in events] == ["response", "page", "response", "page"]
    response, page = events[0], events[1]
    assert set(response) == {"event", "method", "path", "params", "attempt", "seconds", "status", "http_version", "headers", "failure"}
    assert (response["method"], response["path"], response["params"], response["status"], response["http_version"]) == (
        "GET", "/api/v1/secrets", ["limit", "project_id"], 200, 11)
    assert response["headers"] == {"Content-Type": "application/json"}
    assert page["envelope"] == "secrets" and page["signal"] == "has_more" and page["count_key"] == "count"
    assert page["values"] == {"has_more": True, "count": 3, "limit": 2, "offset": 0}
    assert page["items"] == 2 and page["fields"]["masked_value"] == 2 and page["null_fields"] == {}
    assert events[3]["params"] == ["limit", "offset", "project_id"]
    assert_nothing_secret({"events": events})


def test_markdown_escapes_table_cells():
    api = {"format": 1, "client": "c", "base_url": "https://x|y", "auth": {"scheme": "api_key", "header": "X-Api-Key"}, "limit_sent": 100,
           "envelope": None, "pagination": None, "page_size": None, "http_versions": [], "latency_ms": None,
           "requests": {"total": 0, "methods": {}, "statuses": {}, "retries": 0, "transport_failures": {}},
           "headers": {"rate_limit": {"X-RateLimit-Policy": "10|min\nx"}, "request_id": [], "content_type": [], "server": []},
           "lists": {}, "assumptions": []}
    text = render_markdown(api)
    assert "https://x\\|y" in text
    assert "| X-RateLimit-Policy | 10\\|min x |" in text
