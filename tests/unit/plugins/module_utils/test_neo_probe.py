"""The API probe (module_utils/_neo_probe.py and the neo_api_info action): facts in, description out.

A fake client feeds the probe the events the real client's observer emits (one "response" per
HTTP attempt, one "page" per list page with what the list reader decided) and returns the records
or raises the error; the tests check the description, the Markdown, the summary line and the
files. Hostile names (a secret's name as a field name, a top-level key, a header name or value,
an error code) must appear nowhere in them. The last tests run the probe over the real client,
against the simulator and a scripted stub.
"""
from __future__ import annotations

import json
import pathlib
import stat
from types import SimpleNamespace

import pytest
import yaml

from ansible_collections.projectdiscovery.neo.plugins.action.neo_api_info import ActionModule
from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_client, _neo_probe
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_client import NeoClient
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import REASON_INCONSISTENT_LIST, REASON_NOT_ATTEMPTED, NeoApiError
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_probe import (
    ASSUMPTIONS,
    CONFIRMED,
    CONTRADICTED,
    NOT_OBSERVED,
    ProbeRecorder,
    error_facts,
    probe,
    render_markdown,
    summary,
)

from tests.conftest import ALICE_KEY, BASIC_SEED, CANARY

REPO_ROOT = pathlib.Path(__file__).resolve().parents[4]
PROJECTS, SECRETS = "/api/v1/projects", "/api/v1/secrets"
P1, P2 = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"
MASK = "abc" + "\u2022" * 8 + "wxyz"


def secret(number, **extra):
    return dict({"id": "5ec00000-0000-4000-8000-%012d" % number, "name": "STUB_SECRET_%d" % number, "masked_value": MASK,
                 "default_available": False, "project_id": None}, **extra)


def project(number, **extra):
    return dict({"id": "aaaaaaaa-0000-4000-8000-%012d" % number, "name": "Stub project %d" % number}, **extra)


def response(path, params=("limit",), status=200, headers=None, failure=None):
    return {"event": "response", "method": "GET", "path": path, "params": sorted(params), "attempt": 1, "seconds": 0.02, "status": status,
            "http_version": 11 if status else None, "headers": {"Content-Type": "application/json"} if headers is None else headers,
            "failure": failure}


def reading(path, records, envelope, per_page=None, signal=None, count_key=None, number=1, params=("limit",), values=None, keys=(),
            headers=None, inconsistent=None):
    """The events of one reading of a list, served ``per_page`` records a page (all in one page when None)."""
    signal = signal or ("total" if count_key == "total" else None)
    per_page = per_page or max(len(records), 1)
    chunks = [records[start:start + per_page] for start in range(0, len(records), per_page)] or [[]]
    events = []
    for page, chunk in enumerate(chunks, 1):
        last = page == len(chunks)
        page_values = {signal: not last} if signal in ("next_cursor", "has_more") else {}
        if "total" in (signal, count_key) or count_key == "count":
            page_values[count_key or "total"] = len(records)
        page_values.update(values or {})
        fields, null_fields = {}, {}
        for record in chunk:
            for field, value in record.items():
                fields[field] = fields.get(field, 0) + 1
                if value is None:
                    null_fields[field] = null_fields.get(field, 0) + 1
        page_params = sorted(set(params) | ({"cursor" if signal == "next_cursor" else "offset"} if page > 1 else set()))
        events.append(response(path, page_params, headers=headers))
        events.append({"event": "page", "path": path, "page": page, "reading": number, "limit": 100, "params": page_params,
                       "keys": [] if envelope == "bare" else sorted({envelope, *page_values, *keys} - {None}), "envelope": envelope,
                       "signal": signal, "count_key": count_key or ("total" if signal == "total" else None), "values": page_values,
                       "items": len(chunk), "fields": fields, "null_fields": null_fields,
                       "next": None if last else "cursor" if signal == "next_cursor" else "offset",
                       "inconsistent": inconsistent if last else None})
    return events


class FakeClient:
    """list_projects and list_secrets as scripted: each call feeds its events to the observer, then returns or raises."""

    api_url = "https://neo.example.test"
    auth_scheme = "api_key"
    page_limit = 100
    retry_count = 0

    def __init__(self, recorder, answers):
        self.recorder, self.answers, self.calls = recorder, answers, []

    def list_projects(self):
        return self._answer("projects")

    def list_secrets(self, project_id=None):
        return self._answer(project_id or "personal")

    def _answer(self, key):
        self.calls.append(key)
        events, result = self.answers[key]
        for event in events:
            self.recorder(event)
        if isinstance(result, Exception):
            raise result
        return result


def api_error(status, code="forbidden", error_id="0123456789abcdef", reason=None):
    return NeoApiError("Neo API %s %s" % (status, code), status=status, code=code, error_id=error_id, reason=reason)


def healthy(form="named", **kwargs):
    """Two projects, two personal secrets and three secrets in the first project, in ``form``."""
    envelopes = {"named": ("projects", "secrets"), "bare": ("bare", "bare")}.get(form, (form, form))
    projects, personal, in_p1 = [project(1), project(2)], [secret(1), secret(2)], [secret(11 + n, project_id=P1) for n in range(3)]
    return {
        "projects": (reading(PROJECTS, projects, envelopes[0], **kwargs), projects),
        "personal": (reading(SECRETS, personal, envelopes[1], **kwargs), personal),
        P1: (reading(SECRETS, in_p1, envelopes[1], params=("limit", "project_id"), **kwargs), in_p1),
    }


def run(answers, **client):
    recorder = ProbeRecorder()
    fake = FakeClient(recorder, answers)
    for name, value in client.items():
        setattr(fake, name, value)
    api, failure = probe(fake, recorder)
    return api, failure, fake


def statuses(api):
    return {item["id"]: item["status"] for item in api["assumptions"]}


def seen(api, assumption_id):
    return next(item["seen"] for item in api["assumptions"] if item["id"] == assumption_id)


def outputs(api):
    return {"json": json.dumps(api), "json (unescaped)": json.dumps(api, ensure_ascii=False), "markdown": render_markdown(api),
            "summary": summary(api)}


def assert_absent(api, needles):
    for where, text in outputs(api).items():
        for needle in needles:
            assert needle not in text, "%s shows %r" % (where, needle)


def record_texts(answers):
    """Every name, id and masked value of the scripted records."""
    return {str(record[key]) for _events, records in answers.values() if isinstance(records, list)
            for record in records for key in ("id", "name", "masked_value") if key in record}


# --------------------------------------------------------------------------- the documented schemas


def test_schemas_are_the_documented_ones():
    schemas = yaml.safe_load((REPO_ROOT / "docs" / "neo-api" / "openapi.yaml").read_text())["components"]["schemas"]
    for _path, schema, fields, _label in _neo_probe.LISTS.values():
        assert set(fields) == set(schemas[schema]["properties"])
    assert set(_neo_probe.SECRET_REQUIRED) == set(schemas["SecretResponse"]["required"])


def test_assumption_ids_are_unique_and_each_has_a_check():
    ids = [assumption_id for assumption_id, _text in ASSUMPTIONS]
    assert len(ids) == len(set(ids))
    api, _failure, _fake = run(healthy())
    assert [item["id"] for item in api["assumptions"]] == ids


# --------------------------------------------------------------------------- forms, from what the reader decided


FORMS = [  # (form, reading arguments, envelope, pagination, page size)
    ("bare", {}, "bare", "none", None),
    ("named", {}, "named", "none", None),
    ("named", {"per_page": 2, "signal": "next_cursor"}, "named", "cursor", 2),
    ("data", {"per_page": 2, "signal": "has_more", "count_key": "count"}, "data", "offset", 2),
    ("items", {"per_page": 2, "count_key": "total", "values": {"offset": 0}}, "items", "offset_total", 2),
    ("data", {"count_key": "total"}, "data", "none", None),  # total on one page is a mere count
    ("data", {"count_key": "total", "values": {"offset": 0}}, "data", "offset_total", None),  # ... unless offset is echoed
    ("items", {"signal": "next_cursor"}, "items", "cursor", None),
]


@pytest.mark.parametrize("form,kwargs,envelope,pagination,page_size", FORMS)
def test_the_form_is_named_from_what_the_reader_decided(form, kwargs, envelope, pagination, page_size):
    answers = healthy(form, **kwargs)
    api, failure, fake = run(answers)
    assert failure is None
    assert fake.calls == ["projects", "personal", P1]
    assert (api["envelope"], api["pagination"], api["page_size"], api["limit_sent"]) == (envelope, pagination, page_size, 100)
    assert api["auth"] == {"scheme": "api_key", "header": "X-Api-Key"}
    assert api["http_versions"] == ["HTTP/1.1"]
    for name, size in (("projects", 2), ("personal_secrets", 2), ("project_secrets", 3)):
        item = api["lists"][name]
        pages = -(-size // kwargs.get("per_page", size))
        assert (item["read"], item["envelope"], item["pagination"], item["pages"], item["records"], item["readings"]) == (
            "ok", envelope, pagination, pages, size, 1), name
        assert item["page_size"] == (page_size if pages > 1 else None)
        assert item["pagination_signal"] == (None if form == "bare" else kwargs.get("signal") or ("total" if kwargs.get("count_key") == "total" else None))
        assert len(item["latency_ms"]) == pages
        assert item["fields"]["records"] == size and not item["fields"]["undocumented"] and not item["fields"]["partly_present"]
    assert api["lists"]["project_secrets"]["projects_tried"] == 1
    result = statuses(api)
    assert CONTRADICTED not in result.values(), api["assumptions"]
    for assumption_id in ("list_envelope", "limit_accepted", "personal_project_id", "secret_required_fields", "no_secret_value",
                          "masked_value_shape", "lower_case_uuids"):
        assert result[assumption_id] == CONFIRMED, (assumption_id, seen(api, assumption_id))
    assert result["page_size_capped"] == (CONFIRMED if page_size else NOT_OBSERVED)
    assert_absent(api, record_texts(answers) | {CANARY})


def test_lists_that_differ_are_mixed_and_the_summary_says_what_was_not_observed():
    answers = healthy()
    answers["projects"] = (reading(PROJECTS, [project(1)], "data"), [project(1)])
    api, _failure, _fake = run(answers)
    assert api["envelope"] == "mixed"
    assert seen(api, "list_envelope") == "projects: data; personal secrets: secrets; secrets of one project: secrets"
    assert summary(api) == ("API https://neo.example.test: lists mixed, pagination none, page size not observed for limit 100; "
                            "assumptions contradicted: none")


def test_personal_project_id_absent():
    answers = healthy()
    personal = [{key: value for key, value in secret(n).items() if key != "project_id"} for n in (1, 2)]
    answers["personal"] = (reading(SECRETS, personal, "secrets"), personal)
    api, _failure, _fake = run(answers)
    assert seen(api, "personal_project_id") == "absent on 2 of 2 personal secrets"
    assert api["lists"]["personal_secrets"]["fields"]["absent"] == ["project_id", "created_at", "updated_at", "created_by_agent"]


# --------------------------------------------------------------------------- failures and faults


def test_forbidden_project_is_skipped_and_the_next_one_read():
    answers = healthy()
    answers["projects"] = (reading(PROJECTS, [project(1), project(2)], "projects"), [project(1), project(2)])
    answers[P1] = ([response(SECRETS, ("limit", "project_id"), status=403)], api_error(403))
    answers[P2] = (reading(SECRETS, [secret(21, project_id=P2)], "secrets", params=("limit", "project_id")), [secret(21, project_id=P2)])
    api, failure, fake = run(answers)
    assert failure is None and fake.calls == ["projects", "personal", P1, P2]
    item = api["lists"]["project_secrets"]
    assert (item["read"], item["projects_tried"], item["records"]) == ("ok", 2, 1)
    assert item["projects_skipped"] == [{"status": 403, "code": "forbidden", "reason": "HTTP 403"}]
    assert len(item["latency_ms"]) == 2
    assert (statuses(api)["forbidden_project_403"], statuses(api)["error_response"]) == (CONFIRMED, CONFIRMED)
    assert api["requests"]["statuses"] == {"200": 3, "403": 1}
    assert "skipped 403 forbidden" in render_markdown(api)


def test_404_for_a_listed_project_contradicts_and_no_readable_project_is_said():
    answers = healthy()
    answers[P1] = ([response(SECRETS, status=404)], api_error(404, "not_exists"))
    answers[P2] = ([response(SECRETS, status=403)], api_error(403))
    answers["projects"] = (reading(PROJECTS, [project(1), project(2)], "projects"), [project(1), project(2)])
    api, failure, _fake = run(answers)
    assert failure is None
    item = api["lists"]["project_secrets"]
    assert (item["read"], item["projects_tried"], item["not_read"]) == ("not read", 2, "none of the first 2 projects could be read")
    assert seen(api, "forbidden_project_403") == "a listed project's secrets answered 403, 404"


def test_a_project_failing_otherwise_is_not_skipped():
    answers = healthy()
    answers[P1] = ([response(SECRETS, status=500)], api_error(500, "internal"))
    api, _failure, fake = run(answers)
    assert fake.calls == ["projects", "personal", P1]
    assert api["lists"]["project_secrets"]["error"] == {"status": 500, "code": "internal", "reason": "HTTP 500"}


def test_unrecognised_envelope_is_described_with_known_keys_only():
    answers = healthy()
    page = dict(reading(PROJECTS, [], "projects")[1], keys=["next", "results", "customerRef"], envelope=None, items=None)
    error = NeoApiError("Neo API: unrecognised", reason="unrecognised list response")
    answers["projects"] = ([response(PROJECTS), page], error)
    api, failure, _fake = run(answers)
    assert failure is None  # the personal list was read
    item = api["lists"]["projects"]
    assert (item["read"], item["error"]["reason"], item["envelope"], item["pagination"]) == ("failed", "unrecognised list response", "unrecognised", None)
    assert item["keys"] == ["next", "results", "1 unknown key"]
    assert api["lists"]["project_secrets"]["not_read"] == "the project list could not be read"
    assert seen(api, "list_envelope") == "GET /api/v1/projects (projects) answered an object with keys next, results, 1 unknown key"
    assert statuses(api)["pagination_keys"] == CONTRADICTED
    assert_absent(api, {"customerRef"})


@pytest.mark.parametrize("retry_after", ["1", None])
def test_429_and_retry_after(retry_after):
    answers = healthy()
    headers = {"Retry-After": retry_after} if retry_after else {}
    answers["projects"] = ([response(PROJECTS, status=429, headers=headers)] + answers["projects"][0], answers["projects"][1])
    api, _failure, _fake = run(answers, retry_count=1)
    assert api["requests"]["retries"] == 1 and api["requests"]["statuses"] == {"200": 3, "429": 1}
    assert len(api["lists"]["projects"]["latency_ms"]) == 2
    if retry_after:
        assert api["headers"]["rate_limit"] == {"retry-after": 1}
        assert statuses(api)["retry_after"] == CONFIRMED
    else:
        assert seen(api, "retry_after") == "1 of 1 429 answer without Retry-After"


def test_an_inconsistent_list_is_described_as_last_read():
    answers = healthy()
    projects = [project(n) for n in (1, 2, 3)]
    first = reading(PROJECTS, projects[:2], "projects", per_page=1, count_key="total", inconsistent="total changed from 2 to 3 between page 1 and page 2")
    answers["projects"] = (first + reading(PROJECTS, projects, "projects", per_page=1, count_key="total", number=2), projects)
    api, _failure, _fake = run(answers)
    item = api["lists"]["projects"]
    assert (item["read"], item["readings"], item["pages"], item["records"], item["pagination"]) == ("ok", 2, 3, 3, "offset_total")
    assert len(item["latency_ms"]) == 5
    assert seen(api, "announced_count").startswith("projects: total = 3 records")


def test_a_count_that_disagrees_without_pagination_keys_and_an_ignored_limit():
    answers = healthy()
    personal = [secret(1), secret(2)]
    once = reading(SECRETS, personal, "secrets", count_key="count", values={"count": 5}, inconsistent="2 distinct items read but count says 5")
    answers["personal"] = (once + [dict(event, reading=2) if event["event"] == "page" else event for event in once],
                           NeoApiError("Neo API: inconsistent", reason=REASON_INCONSISTENT_LIST))
    many = [secret(100 + n, project_id=P1) for n in range(103)]
    answers[P1] = (reading(SECRETS, many, "bare"), many)
    api, _failure, _fake = run(answers)
    item = api["lists"]["personal_secrets"]
    assert (item["read"], item["error"]["reason"], item["readings"]) == ("failed", REASON_INCONSISTENT_LIST, 2)
    assert seen(api, "pagination_keys") == "personal secrets: count 5 on a page of 2 records without next_cursor, has_more or total"
    assert seen(api, "announced_count") == "personal secrets: count 5, 2 records read"
    assert seen(api, "page_size_capped") == "secrets of one project: a page of 103 records for limit=100 (the limit is ignored)"


def test_limit_rejected():
    answers = healthy()
    answers["projects"] = ([response(PROJECTS, status=400)], api_error(400, "invalid_request"))
    api, failure, _fake = run(answers)
    assert failure is None
    assert api["lists"]["projects"]["error"] == {"status": 400, "code": "invalid_request", "reason": "HTTP 400"}
    assert seen(api, "limit_accepted") == "GET /api/v1/projects with limit=100 answered 400"


def test_rejected_credentials_fail_the_probe():
    answers = {"projects": ([response(PROJECTS, status=401)], api_error(401, "unauthorized")),
               "personal": ([], NeoApiError("Neo API: not attempted", reason=REASON_NOT_ATTEMPTED))}
    api, failure, _fake = run(answers)
    assert failure == "neo_api_info: no list could be read: Neo API 401 unauthorized"
    assert api["lists"]["projects"]["error"]["reason"] == "credentials rejected"
    assert api["lists"]["personal_secrets"]["error"] == {"status": None, "code": None, "reason": REASON_NOT_ATTEMPTED}
    assert (api["requests"]["total"], statuses(api)["error_response"]) == (1, CONFIRMED)


def test_transport_failures_are_counted_and_nothing_answered_is_not_observed():
    error = NeoApiError("Neo API request failed: GET /api/v1/projects: could not connect", reason="not sent")
    api, failure, _fake = run({"projects": ([response(PROJECTS, status=None, failure="could not connect")] * 2, error),
                               "personal": ([response(SECRETS, status=None, failure="connection dropped")], error)})
    assert failure.startswith("neo_api_info: no list could be read: Neo API request failed")
    assert api["requests"]["transport_failures"] == {"could not connect": 2, "connection dropped": 1}
    assert (api["latency_ms"], api["http_versions"], api["envelope"], api["pagination"]) == (None, [], None, None)
    assert set(statuses(api).values()) == {NOT_OBSERVED}
    assert "page size not observed" in summary(api)
    render_markdown(api)


def test_error_facts_keep_known_codes_only_and_never_the_error_id():
    assert error_facts(api_error(403, "no such CANARY code", error_id="x" * 20)) == {"status": 403, "code": "other", "reason": "HTTP 403"}
    assert error_facts(NeoApiError("no answer")) == {"status": None, "code": None, "reason": "failed"}


def test_records_the_documents_do_not_describe():
    answers = healthy()
    projects = [project(1, billing_ref="x", value="y")]
    answers["projects"] = (reading(PROJECTS, projects, "projects"), projects)
    personal = [secret(1, value="CANARY-plain"), secret(2, masked_value="ab****yz"), secret(3, id="5EC00000-0000-4000-8000-000000000003")]
    answers["personal"] = (reading(SECRETS, personal, "secrets"), personal)
    api, _failure, _fake = run(answers)
    assert api["lists"]["projects"]["fields"]["undocumented"] == ["value", "1 unknown field"]
    assert api["lists"]["personal_secrets"]["fields"]["undocumented"] == ["value"]
    assert seen(api, "no_secret_value") == "a value field on 1 of 6 secret records (the client drops it)"
    assert seen(api, "masked_value_shape") == "1 of 6 masked values have another shape"
    assert seen(api, "lower_case_uuids") == "1 of 7 ids are not canonical lower-case UUIDs"
    assert_absent(api, {"billing_ref", "CANARY-plain", "ab****yz", "5EC00000"})


# --------------------------------------------------------------------------- hostile names, and what leaves the probe

HOSTILE = "PROD_DB_PASSWORD_CANARY"  # a secret's name, where the server should have put its own words
HOSTILE_VALUE = "s3cr3t-CANARY-value"
HOSTILE_HEADERS = {"X-RateLimit-" + HOSTILE: "5", "X-RateLimit-Remaining": HOSTILE_VALUE, "X-RateLimit-Limit": "600", "Retry-After": "30",
                   "RateLimit-Reset": " 7", "Server": HOSTILE, "Via": HOSTILE_VALUE, "Content-Type": "application/json; name=" + HOSTILE,
                   "X-Request-Id": HOSTILE_VALUE}


def hostile_answers():
    """A secret's name as a record's field name and as a top-level key, in headers, and as an error code."""
    answers = healthy()
    projects = [project(1, **{HOSTILE: HOSTILE_VALUE}), project(2)]
    answers["projects"] = (reading(PROJECTS, projects, "projects", keys=(HOSTILE,), headers=HOSTILE_HEADERS), projects)
    answers[P1] = ([response(SECRETS, status=403, headers={"Content-Type": HOSTILE})], api_error(403, code=HOSTILE, error_id=HOSTILE))
    in_p2 = [secret(21, project_id=P2, **{HOSTILE.lower(): 1})]
    answers[P2] = (reading(SECRETS, in_p2, "bare", params=("limit", "project_id")), in_p2)
    return answers


def test_hostile_names_are_counted_never_copied():
    answers = hostile_answers()
    api, failure, _fake = run(answers)
    assert failure is None
    assert api["lists"]["projects"]["keys"] == ["projects", "1 unknown key"]
    assert api["lists"]["projects"]["fields"]["undocumented"] == ["1 unknown field"]
    assert api["lists"]["project_secrets"]["fields"]["undocumented"] == ["1 unknown field"]
    assert api["headers"] == {"rate_limit": {"ratelimit-reset": "other", "retry-after": 30, "x-ratelimit-limit": 600, "x-ratelimit-remaining": "other"},
                              "unknown_rate_limit": 1, "request_id": ["x-request-id"], "content_type": ["application/json", "other"], "server": True}
    assert api["lists"]["project_secrets"]["projects_skipped"] == [{"status": 403, "code": "other", "reason": "HTTP 403"}]
    assert_absent(api, {HOSTILE, HOSTILE.lower(), HOSTILE_VALUE} | record_texts(answers))


def make_action(no_log_values=()):
    action = ActionModule.__new__(ActionModule)
    action._task = SimpleNamespace(_role=None, action="projectdiscovery.neo.neo_api_info", resolved_action=None, check_mode=False, diff=False, args={})
    action.no_log_values = set(no_log_values)
    action._recorder = ProbeRecorder()
    return action


def test_the_module_result_and_its_files_hold_only_the_probe_s_words(tmp_path):
    answers = hostile_answers()
    action = make_action()
    params = {"report_path": str(tmp_path / "probe.json"), "markdown_path": str(tmp_path / "probe.md")}
    result = action.run_neo(FakeClient(action._recorder, answers), params, check_mode=True, diff=False, warn=None)
    assert result["changed"] is False and "failed" not in result
    assert (result["report_path"], result["markdown_path"]) == (params["report_path"], params["markdown_path"])
    assert json.loads((tmp_path / "probe.json").read_text()) == result["api"]
    assert (tmp_path / "probe.md").read_text() == result["markdown"]
    assert result["summary"] == summary(result["api"])
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    texts = [json.dumps(result), json.dumps(result, ensure_ascii=False), (tmp_path / "probe.json").read_text(), result["markdown"]]
    for needle in {HOSTILE, HOSTILE.lower(), HOSTILE_VALUE} | record_texts(answers):
        assert not any(needle in text for text in texts), needle


def test_a_failed_probe_writes_no_file_and_removes_an_old_one(tmp_path):
    old = tmp_path / "probe.json"
    old.write_text("{}")
    action = make_action()
    answers = {"projects": ([response(PROJECTS, status=401)], api_error(401, "unauthorized")),
               "personal": ([], NeoApiError("Neo API: not attempted", reason=REASON_NOT_ATTEMPTED))}
    result = action.run_neo(FakeClient(action._recorder, answers), {"report_path": str(old), "markdown_path": None}, False, False, None)
    assert result["failed"] is True and result["msg"].startswith("neo_api_info: no list could be read")
    assert list(tmp_path.iterdir()) == []


def test_markdown_escapes_what_it_shows():
    api, _failure, _fake = run(healthy(), api_url="https://x|y.test/*a*")
    text = render_markdown(api)
    row = next(line for line in text.splitlines() if line.startswith("| Base URL"))
    assert row.count("|") == 3 and "*a*" not in row


# --------------------------------------------------------------------------- over the real client


def seed_texts():
    seed = yaml.safe_load(BASIC_SEED.read_text())
    texts = {CANARY, ALICE_KEY}
    for item in seed["secrets"]:
        texts.update((item["value"], item["name"], item["id"], item["value"][:3] + "\u2022" * 8 + item["value"][-4:]))
    texts.update(value for item in seed["projects"] for value in (item["id"], item["name"]))
    return texts


@pytest.fixture
def real_probe(monkeypatch):
    """``probe`` over a real client of ``url``, whose retries do not wait."""
    monkeypatch.setattr(_neo_client, "_sleep", lambda _seconds: None)

    def run(url):
        recorder = ProbeRecorder()
        client = NeoClient(url, api_key=ALICE_KEY, observer=recorder)
        try:
            return probe(client, recorder)
        finally:
            client.close()

    return run


@pytest.mark.parametrize("list_form,pagination", [("bare", "none"), ("named", "cursor"), ("data", "offset_total"), ("items", "offset")])
def test_the_real_client_against_the_simulator(sim, real_probe, list_form, pagination):
    sim.configure(list_form=list_form, pagination=pagination, page_size=2)
    sim.faults({"kind": "status", "status": 403, "method": "GET", "path": "/api/v1/secrets", "skip": 1, "times": 1},
               {"kind": "status", "status": 429, "retry_after": "0", "method": "GET", "path": "/api/v1/projects", "times": 1})
    api, failure = real_probe(sim.url)
    assert failure is None
    assert (api["envelope"], api["pagination"]) == (list_form, pagination)
    assert api["lists"]["project_secrets"]["projects_skipped"][0]["status"] == 403
    assert api["headers"]["rate_limit"] == {"retry-after": 0}
    result = statuses(api)
    assert (result["forbidden_project_403"], result["retry_after"], result["error_response"]) == (CONFIRMED, CONFIRMED, CONFIRMED)
    assert CONTRADICTED not in result.values(), api["assumptions"]
    assert set(sim.counters()["by_method"]) == {"GET"}
    assert_absent(api, seed_texts())


def test_the_real_client_reads_an_inconsistent_list_twice_and_counts_a_dropped_connection(sim, real_probe):
    sim.configure(pagination="offset_total", page_size=1)
    sim.faults({"kind": "shift", "path": "/api/v1/projects", "times": 1}, {"kind": "drop", "method": "GET", "path": "/api/v1/secrets", "times": 1})
    api, _failure = real_probe(sim.url)
    assert (api["lists"]["projects"]["read"], api["lists"]["projects"]["readings"], api["lists"]["projects"]["records"]) == ("ok", 2, 3)
    assert api["requests"]["transport_failures"] == {"connection dropped": 1}


def test_the_real_client_hands_over_hostile_names_and_the_probe_drops_them(stub, real_probe):
    stub.reply({"projects": [project(1, **{HOSTILE: 1})], "count": 1, HOSTILE: True}, headers=HOSTILE_HEADERS)
    stub.reply({"secrets": [secret(1)], "count": 1})
    stub.reply([secret(11, project_id=P1)])
    api, failure = real_probe(stub.url)
    assert failure is None
    assert [request["method"] for request in stub.requests] == ["GET"] * 3
    assert api["lists"]["projects"]["fields"]["undocumented"] == ["1 unknown field"]
    assert api["lists"]["projects"]["keys"] == ["count", "projects", "1 unknown key"]
    assert api["headers"]["server"] is True
    assert_absent(api, {HOSTILE, HOSTILE.lower(), HOSTILE_VALUE, "STUB_SECRET", "Stub project", MASK, P1})
