"""Tests of the Neo API simulator, driven over HTTP through the session simulator (``sim``)."""
from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.conftest import (ALICE_KEY, ALICE_TOKEN, BASIC_SEED, BOB_KEY, CANARY, PROJECT_PRODUCTION, PROJECT_RED_TEAM,
                            PROJECT_STAGING, REPO_ROOT, SECRET_PERSONAL_GITHUB, SECRET_PERSONAL_SLACK, SECRET_PROD_AWS,
                            SECRET_PROD_DB, start_simulator)
from neo_simulator import SimulatorServer, generate_seed, load_seed_file
from neo_simulator.model import mask_value

ALICE = {"X-Api-Key": ALICE_KEY}
BOB = {"X-Api-Key": BOB_KEY}
UNKNOWN_UUID = "0fffffff-0000-4000-8000-000000000000"
BULLETS = "\u2022" * 8
SECRET_FIELDS = {"id", "name", "masked_value", "default_available", "created_at", "updated_at", "created_by_agent", "project_id"}
VALID_LIST_CONFIGS = [("bare", "none")] + [(form, pagination) for form in ("named", "data", "items")
                                           for pagination in ("none", "offset", "offset_total", "cursor")]


@pytest.fixture(name="http")
def http_fixture():
    with requests.Session() as session:
        yield session


def call(http, sim, method, path, headers=None, **kwargs):
    headers = ALICE if headers is None else headers
    return http.request(method, sim.url + path, headers=headers, timeout=10, allow_redirects=False, **kwargs)


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert set(body) == {"error", "code", "kind", "message", "error_id"}
    assert body["message"].startswith(body["kind"] + ": ")
    assert re.fullmatch(r"[0-9a-f]{16}", body["error_id"])
    return body


def read_all(http, sim, path, headers=None, limit=None):
    """A small tolerant pager over every list shape the simulator serves; returns (items, pages)."""
    items, pages, params = [], 0, {"limit": limit} if limit else {}
    while True:
        response = call(http, sim, "GET", path, headers=headers, params=params)
        assert response.status_code == 200, response.text
        body, pages = response.json(), pages + 1
        if isinstance(body, list):
            return items + body, pages
        page = next(body[key] for key in ("secrets", "projects", "data", "items") if key in body)
        items += page
        if body.get("has_more"):
            params = dict(params, offset=body["offset"] + len(page))
        elif "total" in body and "offset" in body and body["offset"] + len(page) < body["total"]:
            params = dict(params, offset=body["offset"] + len(page))
        elif body.get("next_cursor"):
            params = dict(params, cursor=body["next_cursor"])
        else:
            return items, pages
        assert pages < 50, "pager does not end"


# --- auth and errors --------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [ALICE, {"Authorization": "Bearer " + ALICE_TOKEN}, {"authorization": "bearer " + ALICE_TOKEN}])
def test_both_auth_schemes_are_accepted(sim, http, headers):
    response = call(http, sim, "GET", "/api/v1/secrets", headers=headers)
    assert response.status_code == 200
    assert [s["id"] for s in response.json()["secrets"]] == [SECRET_PERSONAL_GITHUB, SECRET_PERSONAL_SLACK]


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": "neo_sk_wrong"}, {"Authorization": "Bearer " + ALICE_KEY},
                                     {"X-Api-Key": ALICE_TOKEN}, {"Authorization": "Basic " + ALICE_TOKEN}])
def test_missing_or_wrong_credentials_get_401(sim, http, headers):
    for method, path in (("GET", "/api/v1/projects"), ("PATCH", "/api/v1/secrets/" + SECRET_PROD_DB), ("GET", "/api/v1/nothing")):
        assert_error(call(http, sim, method, path, headers=headers, json={"default_available": True}), 401, "unauthorized")
    assert sim.secret(SECRET_PROD_DB)["default_available"] is True


def test_error_ids_are_random_per_error(sim, http):
    ids = {assert_error(call(http, sim, "GET", "/api/v1/projects", headers={}), 401, "unauthorized")["error_id"] for _unused in range(3)}
    assert len(ids) == 3


def test_unknown_path_is_404_and_other_methods_are_405_with_allow(sim, http):
    assert_error(call(http, sim, "GET", "/api/v1/secretz"), 404, "not_exists")
    assert_error(call(http, sim, "GET", "/api/v1/secrets/"), 404, "not_exists")
    assert_error(call(http, sim, "GET", "/nowhere"), 404, "not_exists")
    for method, path, allow in (("DELETE", "/api/v1/secrets", "GET, POST"), ("DELETE", "/api/v1/projects", "GET, POST"),
                                ("GET", "/api/v1/secrets/" + SECRET_PROD_DB, "PATCH"), ("PUT", "/api/v1/secrets/x", "PATCH"),
                                ("TRACE", "/api/v1/secrets/x", "PATCH"), ("GET", "/api/v1/projects/x", "PATCH")):
        response = call(http, sim, method, path)
        assert_error(response, 405, "method_not_allowed")
        assert response.headers["Allow"] == allow


# --- projects and secret lists ----------------------------------------------------------------

def test_projects_are_those_the_caller_is_member_of(sim, http):
    alice = call(http, sim, "GET", "/api/v1/projects").json()
    assert alice["count"] == 3
    production = alice["projects"][0]
    assert production == {"id": PROJECT_PRODUCTION, "name": "Production", "created_at": production["created_at"],
                          "updated_at": production["updated_at"], "owner_email": "alice@example.test", "member_count": 2,
                          "is_owner": True, "tags": ["prod"], "shared_with_team": False, "settings_md": ""}
    bob = call(http, sim, "GET", "/api/v1/projects", headers=BOB).json()["projects"]
    assert [(p["id"], p["is_owner"]) for p in bob] == [(PROJECT_PRODUCTION, False), (PROJECT_RED_TEAM, True)]


def test_secret_lists_by_scope(sim, http):
    assert call(http, sim, "GET", "/api/v1/secrets", headers=BOB).json() == {"secrets": [], "count": 0}
    production = call(http, sim, "GET", "/api/v1/secrets", params={"project_id": PROJECT_PRODUCTION}, headers=BOB).json()
    assert [s["name"] for s in production["secrets"]] == ["PROD_DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"]
    secret = production["secrets"][0]
    assert set(secret) == SECRET_FIELDS and secret["project_id"] == PROJECT_PRODUCTION
    assert secret["masked_value"] == "CAN" + BULLETS + "0011"


@pytest.mark.parametrize("project_id, status, code", [("not-a-uuid", 400, "invalid_request"), ("", 400, "invalid_request"),
                                                      (UNKNOWN_UUID, 404, "not_exists"), (PROJECT_RED_TEAM, 403, "forbidden")])
def test_project_secret_list_errors(sim, http, project_id, status, code):
    body = assert_error(call(http, sim, "GET", "/api/v1/secrets", params={"project_id": project_id}), status, code)
    if status == 403:
        assert body == dict(body, error="Forbidden", kind="forbidden request", message="forbidden request: not a member of this project")


# --- PATCH --------------------------------------------------------------------------------------

def test_patch_sets_default_available_and_returns_the_full_secret(sim, http):
    before = call(http, sim, "GET", "/api/v1/secrets").json()["secrets"][1]
    for value in (True, False, True):
        response = call(http, sim, "PATCH", "/api/v1/secrets/" + SECRET_PERSONAL_SLACK, json={"default_available": value})
        assert response.status_code == 200
        body = response.json()
        assert set(body) == SECRET_FIELDS and body["default_available"] is value and body["project_id"] is None
        assert sim.secret(SECRET_PERSONAL_SLACK)["default_available"] is value
    assert body == dict(before, default_available=True)  # updated_at follows the value, which never changed


def test_patch_null_leaves_default_available_unchanged(sim, http):
    for secret_id, current in ((SECRET_PROD_DB, True), (SECRET_PROD_AWS, False)):
        response = call(http, sim, "PATCH", "/api/v1/secrets/" + secret_id, json={"default_available": None})
        assert response.status_code == 200 and response.json()["default_available"] is current
        assert sim.secret(secret_id)["default_available"] is current


def test_patch_of_a_project_secret_by_another_member(sim, http):
    response = call(http, sim, "PATCH", "/api/v1/secrets/" + SECRET_PROD_AWS, headers=BOB, json={"default_available": True})
    assert response.status_code == 200 and sim.secret(SECRET_PROD_AWS)["default_available"] is True


@pytest.mark.parametrize("body", [{}, {"default_available": "true"}, {"default_available": 1}, {"other": True}, [True], "true", None])
def test_patch_rejects_invalid_bodies(sim, http, body):
    kwargs = {"data": b""} if body is None else {"json": body}
    response = call(http, sim, "PATCH", "/api/v1/secrets/" + SECRET_PROD_AWS, **kwargs)
    assert "default_available" in assert_error(response, 400, "invalid_request")["message"] or not isinstance(body, dict)
    assert sim.secret(SECRET_PROD_AWS)["default_available"] is False


def test_patch_rejects_invalid_json_and_bad_ids(sim, http):
    assert_error(call(http, sim, "PATCH", "/api/v1/secrets/" + SECRET_PROD_AWS, data=b'{"default_available": tru'), 400, "invalid_request")
    body = assert_error(call(http, sim, "PATCH", "/api/v1/secrets/not-a-uuid", json={"default_available": True}), 400, "invalid_request")
    assert "id" in body["message"]


@pytest.mark.parametrize("headers, secret_id, status, code", [
    (ALICE, UNKNOWN_UUID, 404, "not_exists"),
    (BOB, SECRET_PERSONAL_GITHUB, 404, "not_exists"),  # another user's personal secret looks unknown
    (ALICE, "5ec00000-0000-4000-8000-000000000031", 403, "forbidden"),  # Red Team: alice is no member
])
def test_patch_not_found_and_forbidden(sim, http, headers, secret_id, status, code):
    assert_error(call(http, sim, "PATCH", "/api/v1/secrets/" + secret_id, headers=headers, json={"default_available": False}), status, code)
    assert sim.counters()["by_status"] == {str(status): 1}
    assert all(s["default_available"] for s in sim.state()["secrets"] if s["id"] == secret_id)


def test_patch_accepts_upper_case_ids(sim, http):
    response = call(http, sim, "PATCH", "/api/v1/secrets/" + SECRET_PROD_AWS.upper(), json={"default_available": True})
    assert response.status_code == 200 and response.json()["id"] == SECRET_PROD_AWS


# --- POST ---------------------------------------------------------------------------------------

def test_create_personal_and_project_secrets(sim, http):
    value = "sk_live_" + CANARY + "_created_value_1234"
    response = call(http, sim, "POST", "/api/v1/secrets", json={"name": "NEW_TOKEN", "value": value, "default_available": True})
    assert response.status_code == 201
    created = response.json()
    assert set(created) == SECRET_FIELDS and created["project_id"] is None and created["default_available"] is True
    assert created["masked_value"] == "sk_" + BULLETS + "1234" and created["created_by_agent"] is False
    assert [s["id"] for s in call(http, sim, "GET", "/api/v1/secrets").json()["secrets"]][-1] == created["id"]
    response = call(http, sim, "POST", "/api/v1/secrets", headers=BOB,
                    json={"name": "SHORT", "value": "tiny", "project_id": PROJECT_PRODUCTION, "created_by_agent": True})
    assert response.status_code == 201
    assert response.json()["masked_value"] == BULLETS and response.json()["project_id"] == PROJECT_PRODUCTION
    assert sim.secret(response.json()["id"])["owner"] == "bob"
    assert CANARY not in json.dumps(sim.state()) and value not in response.text


@pytest.mark.parametrize("body, field", [
    ({"value": "v"}, "name"), ({"name": "lower", "value": "v"}, "name"), ({"name": "1ABC", "value": "v"}, "name"),
    ({"name": "A" * 129, "value": "v"}, "name"), ({"name": 5, "value": "v"}, "name"), ({"name": "A"}, "value"),
    ({"name": "A", "value": ""}, "value"), ({"name": "A", "value": "x" * 10001}, "value"), ({"name": "A", "value": 7}, "value"),
    ({"name": "A", "value": "v", "default_available": "yes"}, "default_available"),
    ({"name": "A", "value": "v", "created_by_agent": None}, "created_by_agent"),
    ({"name": "A", "value": "v", "project_id": "nope"}, "project_id"), ({"name": "A", "value": "v", "project_id": 3}, "project_id"),
])
def test_create_validation_names_the_field(sim, http, body, field):
    message = assert_error(call(http, sim, "POST", "/api/v1/secrets", json=body), 400, "invalid_request")["message"]
    assert field in message
    assert len(sim.state()["secrets"]) == 9


def test_create_accepts_the_limits(sim, http):
    response = call(http, sim, "POST", "/api/v1/secrets", json={"name": "A" * 128, "value": "x" * 10000})
    assert response.status_code == 201


@pytest.mark.parametrize("project_id, status, code", [(UNKNOWN_UUID, 404, "not_exists"), (PROJECT_RED_TEAM, 403, "forbidden")])
def test_create_in_a_project_needs_membership(sim, http, project_id, status, code):
    assert_error(call(http, sim, "POST", "/api/v1/secrets", json={"name": "X", "value": "v", "project_id": project_id}), status, code)


def test_duplicate_names_conflict_or_rename(sim, http):
    body = {"name": "GITHUB_TOKEN", "value": "whatever-value"}
    assert_error(call(http, sim, "POST", "/api/v1/secrets", json=body), 409, "already_exists")
    # the same name in another scope is no duplicate
    assert call(http, sim, "POST", "/api/v1/secrets", headers=BOB, json=body).status_code == 201
    sim.configure(duplicate_policy="rename")
    names = [call(http, sim, "POST", "/api/v1/secrets", json=body).json()["name"] for _unused in range(2)]
    assert names == ["GITHUB_TOKEN_2", "GITHUB_TOKEN_3"]
    project_body = dict(body, project_id=PROJECT_STAGING)
    assert call(http, sim, "POST", "/api/v1/secrets", json=project_body).json()["name"] == "GITHUB_TOKEN_2"


# --- list shapes and pagination -----------------------------------------------------------------

@pytest.mark.parametrize("list_form, pagination", VALID_LIST_CONFIGS)
def test_every_list_shape_reads_completely(sim, http, list_form, pagination):
    sim.configure(list_form=list_form, pagination=pagination, page_size=2)
    expected = [s["id"] for s in sim.state()["secrets"] if s["project_id"] == PROJECT_PRODUCTION]
    items, pages = read_all(http, sim, "/api/v1/secrets?project_id=" + PROJECT_PRODUCTION)
    assert [s["id"] for s in items] == expected
    assert pages == (1 if pagination == "none" else 2)
    projects, _cursor = read_all(http, sim, "/api/v1/projects", limit=1)
    assert len(projects) == 3


@pytest.mark.parametrize("list_form, pagination", VALID_LIST_CONFIGS)
def test_list_envelope_keys(sim, http, list_form, pagination):
    sim.configure(list_form=list_form, pagination=pagination, page_size=2)
    body = call(http, sim, "GET", "/api/v1/projects").json()
    if list_form == "bare":
        assert isinstance(body, list)
        return
    keys = {"named": {"projects", "count"}, "data": {"data", "total"}, "items": {"items"}}[list_form]
    keys |= {"none": set(), "offset": {"limit", "offset", "has_more"}, "offset_total": {"limit", "offset", "total"},
             "cursor": {"next_cursor"}}[pagination]
    assert set(body) == keys
    if "total" in body or "count" in body:
        assert body.get("total", body.get("count")) == 3


def test_pagination_details(sim, http):
    sim.configure(pagination="offset", page_size=2)
    body = call(http, sim, "GET", "/api/v1/projects", params={"limit": 100, "offset": 1}).json()
    assert (body["limit"], body["offset"], body["has_more"], len(body["projects"])) == (2, 1, False, 2)
    body = call(http, sim, "GET", "/api/v1/projects", params={"offset": 9}).json()
    assert body["projects"] == [] and body["has_more"] is False
    for params in ({"limit": 0}, {"limit": "x"}, {"offset": -1}):
        assert_error(call(http, sim, "GET", "/api/v1/projects", params=params), 400, "invalid_request")
    sim.configure(pagination="cursor")
    cursor = call(http, sim, "GET", "/api/v1/projects").json()["next_cursor"]
    assert cursor and base64.urlsafe_b64decode(cursor + "==")  # opaque, but not empty
    assert_error(call(http, sim, "GET", "/api/v1/projects", params={"cursor": "!!"}), 400, "invalid_request")


def test_bare_list_needs_pagination_none(sim):
    response = requests.post(sim.url + "/_sim/config", json={"list_form": "bare", "pagination": "cursor"}, timeout=10)
    assert_error(response, 400, "invalid_request")
    for bad in ({"page_size": 0}, {"latency_ms": -1}, {"duplicate_policy": "merge"}, {"colour": "blue"}):
        assert requests.post(sim.url + "/_sim/config", json=bad, timeout=10).status_code == 400
    assert sim.admin("GET", "config") == {"list_form": "named", "pagination": "none", "page_size": 50, "latency_ms": 0,
                                          "duplicate_policy": "conflict", "personal_project_id": "null"}


# --- faults ---------------------------------------------------------------------------------------

def test_status_faults_with_retry_after_forms(sim, http):
    sim.faults({"kind": "status", "status": 429, "retry_after": "2"},
               {"kind": "status", "status": 429, "retry_after": "http-date:30", "method": "GET"},
               {"kind": "status", "status": 503, "retry_after": None, "path": "/api/v1/projects"})
    first = call(http, sim, "GET", "/api/v1/secrets")
    assert_error(first, 429, "rate_limited")
    assert first.headers["Retry-After"] == "2"
    second = call(http, sim, "GET", "/api/v1/secrets")
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", second.headers["Retry-After"])
    assert call(http, sim, "GET", "/api/v1/secrets").status_code == 200  # 503 rule only matches /projects
    third = call(http, sim, "GET", "/api/v1/projects")
    assert_error(third, 503, "internal")
    assert "Retry-After" not in third.headers
    assert call(http, sim, "GET", "/api/v1/projects").status_code == 200
    assert [rule["times"] for rule in sim.admin("GET", "faults")["faults"]] == [0, 0, 0]
    assert sim.counters()["faults_fired"] == 3


def test_faulted_writes_are_not_applied(sim, http):
    patch = {"json": {"default_available": True}}
    sim.faults({"kind": "status", "status": 500, "method": "PATCH", "times": 2, "code": "internal"}, {"kind": "redirect"},
               {"kind": "malformed", "method": "PATCH"})
    path = "/api/v1/secrets/" + SECRET_PROD_AWS
    for _unused in range(2):
        assert_error(call(http, sim, "PATCH", path, **patch), 500, "internal")
    redirect = call(http, sim, "PATCH", path + "?x=1", **patch)
    assert redirect.status_code == 307 and redirect.headers["Location"] == "http://127.0.0.1:1" + path + "?x=1"
    malformed = call(http, sim, "PATCH", path, **patch)
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    assert sim.secret(SECRET_PROD_AWS)["default_available"] is False
    assert call(http, sim, "PATCH", path, **patch).status_code == 200
    assert sim.secret(SECRET_PROD_AWS)["default_available"] is True
    counters = sim.counters()
    assert (counters["writes"], counters["faults_fired"]) == (5, 4)
    assert counters["by_status"] == {"500": 2, "307": 1, "200": 2}


def test_drop_closes_the_connection_without_answer(sim, http):
    sim.faults({"kind": "drop", "method": "PATCH"})
    with pytest.raises(requests.ConnectionError):
        call(http, sim, "PATCH", "/api/v1/secrets/" + SECRET_PROD_AWS, json={"default_available": True})
    assert sim.secret(SECRET_PROD_AWS)["default_available"] is False
    assert call(http, sim, "GET", "/api/v1/secrets").status_code == 200
    assert sim.counters()["by_status"] == {"dropped": 1, "200": 1}


def test_slow_fault_delays_then_applies(sim, http):
    sim.faults({"kind": "slow", "delay_s": 0.3, "method": "PATCH"})
    started = time.monotonic()
    response = call(http, sim, "PATCH", "/api/v1/secrets/" + SECRET_PROD_AWS, json={"default_available": True})
    assert response.status_code == 200 and time.monotonic() - started >= 0.3
    assert sim.secret(SECRET_PROD_AWS)["default_available"] is True


def test_unknown_envelope_only_hits_lists(sim, http):
    sim.faults({"kind": "unknown_envelope"})
    assert call(http, sim, "PATCH", "/api/v1/secrets/" + SECRET_PROD_AWS, json={"default_available": True}).status_code == 200
    body = call(http, sim, "GET", "/api/v1/secrets").json()
    assert set(body) == {"results", "next"} and len(body["results"]) == 2 and body["next"] is None
    assert "secrets" in call(http, sim, "GET", "/api/v1/secrets").json()


def test_invalid_fault_rules_are_rejected(sim):
    for rule in ({"kind": "explode"}, {"kind": "status", "times": -1}, {"kind": "status", "retry_after": "soon"},
                 {"kind": "drop", "method": "TRACE"}, {"kind": "slow", "delay_s": "1"}, {"kind": "drop", "paht": "/api/"}):
        assert requests.post(sim.url + "/_sim/faults", json={"faults": [rule]}, timeout=10).status_code == 400
    sim.faults({"kind": "drop"})
    assert requests.delete(sim.url + "/_sim/faults", timeout=10).json() == {"faults": []}


def test_latency_applies_to_api_requests(sim, http):
    sim.configure(latency_ms=150)
    started = time.monotonic()
    call(http, sim, "GET", "/api/v1/projects")
    assert time.monotonic() - started >= 0.15


# --- admin API, counters, state, logs -------------------------------------------------------------

def test_counters_count_every_api_request(sim, http):
    call(http, sim, "GET", "/api/v1/projects")
    call(http, sim, "GET", "/api/v1/secrets", headers={})
    call(http, sim, "POST", "/api/v1/secrets", json={"name": "NEW", "value": "some-value-here"})
    call(http, sim, "PATCH", "/api/v1/secrets/" + SECRET_PROD_DB, json={"default_available": True})
    call(http, sim, "GET", "/api/v1/unknown")
    sim.admin("GET", "health")
    assert sim.counters() == {
        "total": 5, "writes": 2, "by_method": {"GET": 3, "POST": 1, "PATCH": 1},
        "by_route": {"GET /api/v1/projects": 1, "GET /api/v1/secrets": 1, "POST /api/v1/secrets": 1,
                     "PATCH /api/v1/secrets/{id}": 1, "GET (unknown)": 1},
        "by_status": {"200": 2, "401": 1, "201": 1, "404": 1}, "faults_fired": 0}
    assert sim.admin("POST", "counters/reset")["total"] == 0


def test_admin_endpoints(sim):
    assert sim.admin("GET", "health") == {"ok": True}
    assert requests.get(sim.url + "/_sim/nothing", timeout=10).status_code == 404
    response = requests.get(sim.url + "/_sim/reset", timeout=10)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


def test_state_never_holds_a_value(sim):
    state = sim.state()
    assert len(state["projects"]) == 4 and len(state["secrets"]) == 9
    assert set(state["secrets"][0]) == {"id", "name", "project_id", "owner", "default_available", "masked_value", "created_by_agent"}
    assert CANARY not in json.dumps(state)


def test_seed_replace_and_reset(sim, http):
    seed = {"users": [{"name": "carol", "api_keys": ["neo_sk_carol"]}],
            "secrets": [{"name": "ONLY", "value": "value-of-only-secret", "owner": "carol", "project_id": None}]}
    sim.faults({"kind": "drop"})
    sim.configure(list_form="data")
    assert sim.admin("POST", "seed", seed) == {"users": 1, "projects": 0, "secrets": 1}
    assert sim.admin("GET", "faults") == {"faults": []}
    body = call(http, sim, "GET", "/api/v1/secrets", headers={"X-Api-Key": "neo_sk_carol"}).json()
    assert [s["name"] for s in body["data"]] == ["ONLY"]
    assert_error(call(http, sim, "GET", "/api/v1/secrets"), 401, "unauthorized")
    bad = requests.post(sim.url + "/_sim/seed", json={"users": [{"name": "x"}], "secrets": [{"name": "a"}]}, timeout=10)
    assert "secrets[0]" in assert_error(bad, 400, "invalid_request")["message"]
    sim.reset()
    assert sim.admin("GET", "config")["list_form"] == "named" and sim.counters()["total"] == 0
    assert len(call(http, sim, "GET", "/api/v1/secrets").json()["secrets"]) == 2


def test_log_has_one_line_per_request_and_no_secret(sim, http):
    call(http, sim, "POST", "/api/v1/secrets", json={"name": "LOGGED", "value": CANARY + "-logged-value"})
    call(http, sim, "GET", "/api/v1/secrets", params={"project_id": PROJECT_PRODUCTION}, headers={"Authorization": "Bearer " + ALICE_TOKEN})
    call(http, sim, "PATCH", "/api/v1/secrets/" + UNKNOWN_UUID, json={"default_available": True})
    lines = sim.log_path.read_text(encoding="utf-8").splitlines()
    assert CANARY not in "\n".join(lines)
    assert re.fullmatch(r"\S+Z GET /api/v1/secrets\?project_id=%s 200 \d+\.\dms" % PROJECT_PRODUCTION, lines[-2])
    assert lines[-1].split()[1:4] == ["PATCH", "/api/v1/secrets/" + UNKNOWN_UUID, "404"]


# --- CLI, Python API, generator, masking ----------------------------------------------------------

def test_masking():
    assert mask_value("abcdefghijkl") == "abc" + BULLETS + "ijkl"
    assert mask_value("abcdefghijk") == BULLETS
    assert mask_value("x") == BULLETS


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "neo_simulator", *args], cwd=str(REPO_ROOT), capture_output=True, text=True,
                          timeout=30, check=False)


def test_cli_rejects_bad_combinations_and_seeds(tmp_path):
    result = run_cli("--seed", str(BASIC_SEED), "--list-form", "bare", "--pagination", "offset")
    assert result.returncode == 2 and "bare" in result.stderr and not result.stdout
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"users": [{"name": "a", "api_keys": ["neo_sk_a"]}],
                                  "secrets": [{"name": "X", "value": CANARY, "owner": "nobody"}]}))
    result = run_cli("--seed", str(broken))
    assert result.returncode == 2 and "secrets[0]: owner" in result.stderr and CANARY not in result.stderr


def test_generated_seed_serves_with_port_file(tmp_path):
    out = tmp_path / "big.json"
    result = run_cli("generate", "--projects", "3", "--secrets-per-project", "5", "--personal", "2", "--drift", "0.5",
                     "--rng-seed", "7", "--out", str(out))
    assert result.returncode == 0, result.stderr
    seed = load_seed_file(out)
    assert len(seed["secrets"]) == 17 and sum(s["default_available"] for s in seed["secrets"]) == 8
    port_file = tmp_path / "port"
    simulator = start_simulator(out, tmp_path / "log", "--port-file", str(port_file), "--pagination", "cursor", "--page-size", "2")
    try:
        assert simulator.url.endswith(":" + port_file.read_text().strip())
        headers = {"X-Api-Key": seed["users"][0]["api_keys"][0]}
        with requests.Session() as http:
            project = seed["projects"][1]["id"]
            items, pages = read_all(http, simulator, "/api/v1/secrets?project_id=" + project, headers=headers)
        assert [s["name"] for s in items] == ["SECRET_%04d" % n for n in range(1, 6)] and pages == 3
    finally:
        simulator.stop()
    assert simulator.process.returncode == 0


def test_generator_is_deterministic_but_values_are_not():
    first, second = generate_seed(2, 10, 1, 0.3, rng_seed=5), generate_seed(2, 10, 1, 0.3, rng_seed=5)
    assert first["users"] == second["users"] and re.fullmatch(r"neo_sk_[A-Za-z0-9]{32}", first["users"][0]["api_keys"][0])
    strip = [{k: v for k, v in s.items() if k != "value"} for s in first["secrets"]]
    assert strip == [{k: v for k, v in s.items() if k != "value"} for s in second["secrets"]]
    assert sum(s["default_available"] for s in first["secrets"]) == 6
    assert all(a["value"] != b["value"] for a, b in zip(first["secrets"], second["secrets"]))
    assert generate_seed(2, 10, 1, 0.3, rng_seed=6)["secrets"][0]["id"] != first["secrets"][0]["id"]


def test_python_api_and_concurrent_patches():
    seed = generate_seed(projects=1, secrets_per_project=8, personal=0, drift=0)
    with SimulatorServer(seed, port=0) as simulator:
        headers = {"X-Api-Key": seed["users"][0]["api_keys"][0]}
        ids = [s["id"] for s in seed["secrets"]]
        errors = []

        def patch_many(secret_id):
            with requests.Session() as http:
                for number in range(50):
                    response = http.patch(simulator.url + "/api/v1/secrets/" + secret_id, headers=headers,
                                          json={"default_available": number % 2 == 0}, timeout=10)
                    if response.status_code != 200:
                        errors.append(response.status_code)

        threads = [threading.Thread(target=patch_many, args=(secret_id,)) for secret_id in ids]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        assert not errors
        assert simulator.counters.snapshot()["by_route"] == {"PATCH /api/v1/secrets/{id}": 400}
        assert all(not s["default_available"] for s in simulator.store.snapshot()["secrets"])  # the last PATCH sent false
        assert elapsed < 5, "400 PATCHes took %.1f s" % elapsed
