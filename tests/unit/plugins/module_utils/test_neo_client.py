"""Tests of the one Neo API client, mostly against the real simulator (``sim`` fixture).

A few response shapes the simulator cannot produce (a ``count`` larger than the items, a server
that ignores ``offset``, records lacking fields ...) are served by a tiny scripted HTTP stub.
No test really sleeps on a retry: ``SLEEP`` replaces the client's sleep and records the waits.
"""
from __future__ import annotations

import datetime
import email.utils
import http.server
import json
import os
import re
import threading
import time
import types

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_client
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import (
    NEO_CONNECTION_ARGSPEC,
    NEO_CONNECTION_MUTUALLY_EXCLUSIVE,
    check_environment,
    client_from_params,
    with_credentials_from_env,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_client import NeoApiError, NeoClient, NeoConfigError
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import REASON_NOT_ATTEMPTED, REASON_NOT_SENT, REASON_TRANSPORT

from tests.conftest import (  # credentials and ids of tests/fixtures/seed-basic.yml
    ALICE_KEY,
    ALICE_TOKEN,
    CANARY,
    PROJECT_PRODUCTION,
    PROJECT_RED_TEAM,
    PROJECT_STAGING,
    PROJECT_STAGING_2,
    SECRET_PERSONAL_GITHUB,
    SECRET_PERSONAL_SLACK,
    FakeSleep,
)

WRONG_KEY = "neo_sk_wrongCANARYkey00000000000000000"
PRODUCTION_SECRET_IDS = {"5ec00000-0000-4000-8000-000000000011", "5ec00000-0000-4000-8000-000000000012", "5ec00000-0000-4000-8000-000000000013"}
PERSONAL_SECRET_IDS = {SECRET_PERSONAL_GITHUB, SECRET_PERSONAL_SLACK}
ALICE_PROJECT_IDS = {PROJECT_PRODUCTION, PROJECT_STAGING, PROJECT_STAGING_2}
UNKNOWN_SECRET = "5ec00000-0000-4000-8000-00000000ffff"

LIST_SECRETS = "GET /api/v1/secrets"
PATCH_SECRET = "PATCH /api/v1/secrets/{id}"
POST_SECRETS = "POST /api/v1/secrets"

MESSAGES = []  # every error / on_retry message of the current test, checked for leaks after it


SLEEP = FakeSleep()  # the waits of the current test


@pytest.fixture(autouse=True)
def no_leaks_in_messages(monkeypatch):
    del MESSAGES[:]
    del SLEEP.waits[:]
    monkeypatch.setattr(_neo_client, "_sleep", SLEEP)
    yield
    for message in MESSAGES:
        assert CANARY not in message and "neo_sk_" + "alice" not in message, message
        assert "\n" not in message


def make_client(url, api_key=ALICE_KEY, **kwargs):
    kwargs.setdefault("on_retry", MESSAGES.append)
    if "api_token" in kwargs:
        api_key = None
    return NeoClient(url, api_key=api_key, **kwargs)


def raises_api_error(call, *args, **kwargs):
    with pytest.raises(NeoApiError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    MESSAGES.append(message)
    assert "\n" not in message
    return info.value


def route_count(sim, route):
    return sim.counters()["by_route"].get(route, 0)


def ids(records):
    return [record["id"] for record in records]


# --------------------------------------------------------------------------- auth and config


def test_api_key_lists_personal_secrets_without_values(sim):
    secrets = make_client(sim.url).list_secrets()
    assert set(ids(secrets)) == PERSONAL_SECRET_IDS
    for secret in secrets:
        assert "value" not in secret
        assert secret["masked_value"]
        assert CANARY not in json.dumps(secret)


def test_bearer_token_lists_project_secrets(sim):
    secrets = make_client(sim.url, api_token=ALICE_TOKEN).list_secrets(PROJECT_PRODUCTION)
    assert set(ids(secrets)) == PRODUCTION_SECRET_IDS
    assert route_count(sim, LIST_SECRETS) == 1


def test_list_projects(sim):
    assert set(ids(make_client(sim.url).list_projects())) == ALICE_PROJECT_IDS


def test_api_url_with_trailing_api_v1_is_normalised(sim):
    client = make_client(sim.url + "/api/v1/")
    assert client.api_url == sim.url
    assert set(ids(client.list_secrets())) == PERSONAL_SECRET_IDS


@pytest.mark.parametrize("credentials", [dict(api_key=WRONG_KEY), dict(api_token="eyJwrong.CANARY.token")])
def test_wrong_credentials_give_one_line_401(sim, credentials):
    client = NeoClient(sim.url, **credentials)
    error = raises_api_error(client.list_secrets)
    assert error.status == 401
    assert error.code == "unauthorized"
    assert error.error_id
    assert re.match(r"^Neo API 401 unauthorized \(error_id [0-9a-f]+\): \S", str(error)), str(error)
    assert sim.counters()["total"] == 1  # 401 is never retried


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(), "no credentials: set api_key or api_token, or NEO_API_KEY or NEO_API_TOKEN"),
        (dict(api_key=ALICE_KEY, api_token=ALICE_TOKEN), "mutually exclusive"),
        (dict(api_key="sk_aliceCANARYkey"), "api_key must start with neo_sk_"),
        (dict(api_key="neo_sk_CANARY with space"), "api_key contains spaces"),
        (dict(api_key="   "), "api_key is empty"),
        (dict(api_token=ALICE_KEY), "api_token holds a Neo API key"),
        (dict(api_key=ALICE_KEY, api_url="ftp://example.test"), "api_url must be an http"),
        (dict(api_key=ALICE_KEY, api_url="neo.api.projectdiscovery.io"), "api_url must be an http"),
        (dict(api_key=ALICE_KEY, api_url="https://user:CANARY@example.test"), "api_url must not contain credentials"),
        (dict(api_key=ALICE_KEY, timeout=0), "timeout"),
        (dict(api_key=ALICE_KEY, retries=-1), "retries"),
    ],
)
def test_config_errors_raise_before_any_request(sim, kwargs, match):
    kwargs.setdefault("api_url", sim.url)
    with pytest.raises(NeoConfigError, match=match) as info:
        NeoClient(**kwargs)
    assert isinstance(info.value, ValueError)
    MESSAGES.append(str(info.value))
    assert CANARY not in str(info.value)
    assert sim.counters()["total"] == 0


def test_missing_requests_is_a_config_error(monkeypatch):
    monkeypatch.setattr(_neo_client, "HAS_REQUESTS", False)
    with pytest.raises(NeoConfigError, match=r"required Python library \(requests\).*pip install requests"):
        NeoClient("https://neo.example.test", api_key=ALICE_KEY)


def test_repr_hides_credentials():
    client = NeoClient("https://neo.example.test", api_key=ALICE_KEY)
    assert CANARY not in repr(client)


# --------------------------------------------------------------------------- pagination

PAGINATIONS = ("none", "offset", "offset_total", "cursor")
LIST_COMBINATIONS = [("bare", "none")] + [(form, pagination) for form in ("named", "data", "items") for pagination in PAGINATIONS]


@pytest.mark.parametrize("list_form, pagination", LIST_COMBINATIONS)
def test_every_list_form_and_pagination(sim, list_form, pagination):
    sim.configure(list_form=list_form, pagination=pagination, page_size=2)
    client = make_client(sim.url)
    production = client.list_secrets(PROJECT_PRODUCTION)
    personal = client.list_secrets()
    projects = client.list_projects()
    assert sorted(ids(production)) == sorted(PRODUCTION_SECRET_IDS)
    assert sorted(ids(personal)) == sorted(PERSONAL_SECRET_IDS)
    assert sorted(ids(projects)) == sorted(ALICE_PROJECT_IDS)
    by_route = sim.counters()["by_route"]
    if pagination == "none":
        assert by_route[LIST_SECRETS] == 2 and by_route["GET /api/v1/projects"] == 1
    else:
        # 3 items in pages of 2 -> 2 GETs; 2 items -> 1 GET; 3 projects -> 2 GETs.
        assert by_route[LIST_SECRETS] == 2 + 1
        assert by_route["GET /api/v1/projects"] == 2
    assert client.retry_count == 0


def test_page_limit_is_sent_and_respected(sim):
    sim.configure(list_form="named", pagination="offset", page_size=50)
    client = make_client(sim.url)
    client.page_limit = 1
    assert sorted(ids(client.list_secrets(PROJECT_PRODUCTION))) == sorted(PRODUCTION_SECRET_IDS)
    assert route_count(sim, LIST_SECRETS) == 3


def test_unknown_envelope_is_an_error_naming_keys(sim):
    sim.faults({"kind": "unknown_envelope", "method": "GET", "path": "/api/v1/secrets", "times": 1})
    error = raises_api_error(make_client(sim.url).list_secrets)
    assert str(error) == "Neo API: the personal secrets: unrecognised list response from GET /api/v1/secrets: keys ['next', 'results']"
    assert route_count(sim, LIST_SECRETS) == 1


# --------------------------------------------------------------------------- retries


def test_429_with_retry_after_seconds(sim):
    sim.faults({"kind": "status", "status": 429, "retry_after": "2", "method": "GET", "path": "/api/v1/secrets", "times": 2})
    retries = []
    client = make_client(sim.url, on_retry=retries.append)
    assert set(ids(client.list_secrets())) == PERSONAL_SECRET_IDS
    assert SLEEP.waits == [2.0, 2.0]
    assert client.retry_count == 2
    assert route_count(sim, LIST_SECRETS) == 3
    assert retries == [
        "Neo API GET /api/v1/secrets answered 429; retry 1 of 5 in 2.0 s",
        "Neo API GET /api/v1/secrets answered 429; retry 2 of 5 in 2.0 s",
    ]
    MESSAGES.extend(retries)


def test_retry_after_is_capped(sim, monkeypatch):
    monkeypatch.setattr(_neo_client, "MAX_RETRY_WAIT", 1.5)
    sim.faults({"kind": "status", "status": 429, "retry_after": "120", "method": "GET", "path": "/api/v1/secrets", "times": 1})
    client = make_client(sim.url)
    client.list_secrets()
    assert SLEEP.waits == [1.5]


def test_429_with_retry_after_http_date(sim):
    sim.faults({"kind": "status", "status": 429, "retry_after": "http-date:2", "method": "GET", "path": "/api/v1/secrets", "times": 2})
    client = make_client(sim.url)
    client.list_secrets()
    assert len(SLEEP.waits) == 2
    # An HTTP date has one-second resolution: 2 s ahead reads as 1 to 2 s from now.
    assert all(0.5 <= wait <= 2.0 for wait in SLEEP.waits), SLEEP.waits


def test_retry_after_parsing_and_back_off(monkeypatch):
    monkeypatch.setattr(_neo_client, "_random", lambda: 1.0)
    first = NeoClient("https://neo.example.test", api_key=ALICE_KEY)._retry.new(history=(None,))  # before retry 1

    def wait(retry_after, retry=first):
        return retry.wait(types.SimpleNamespace(headers={"Retry-After": retry_after}))

    now = time.time()
    assert 6.0 <= wait(email.utils.formatdate(now + 7, usegmt=True)) <= 7.0  # an HTTP date has one-second resolution
    assert wait(email.utils.formatdate(now - 60, usegmt=True)) == 0.0  # in the past
    naive = datetime.datetime.fromtimestamp(now + 5, datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S")
    assert 4.0 <= wait(naive) <= 5.0
    assert wait("3") == 3.0
    assert wait("9999") == 30.0
    # Not delta-seconds nor a date, or absent: full jitter, doubling from 0.5 s, capped.
    for unparseable in ("soon", "nan", "-4", "3.5"):
        assert wait(unparseable) == 0.5
    assert [first.new(history=(None,) * n).wait() for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert first.new(history=(None,) * 20).wait() == 30.0


def test_429_without_retry_after_uses_bounded_jitter(sim, monkeypatch):
    monkeypatch.setattr(_neo_client, "_random", lambda: 0.5)
    sim.faults({"kind": "status", "status": 429, "method": "GET", "path": "/api/v1/secrets", "times": 3})
    client = make_client(sim.url)
    client.list_secrets()
    assert SLEEP.waits == [0.25, 0.5, 1.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_then_succeeds(sim, status):
    sim.faults({"kind": "status", "status": status, "method": "GET", "path": "/api/v1/secrets", "times": 2})
    client = make_client(sim.url)
    assert set(ids(client.list_secrets())) == PERSONAL_SECRET_IDS
    assert route_count(sim, LIST_SECRETS) == 3
    assert client.retry_count == 2


def test_dropped_connection_is_retried_then_succeeds(sim):
    sim.faults({"kind": "drop", "method": "GET", "path": "/api/v1/secrets", "times": 2})
    client = make_client(sim.url)
    assert set(ids(client.list_secrets())) == PERSONAL_SECRET_IDS
    assert client.retry_count == 2
    assert "failed (connection dropped)" in MESSAGES[-1]


def test_exhausted_retries_report_status_and_code(sim):
    sim.faults({"kind": "status", "status": 503, "method": "GET", "path": "/api/v1/secrets", "times": 10})
    client = make_client(sim.url, retries=2)
    error = raises_api_error(client.list_secrets)
    assert (error.status, error.code, error.reason) == (503, "internal", None)
    assert str(error).startswith("Neo API 503 internal (error_id ")
    assert str(error).endswith("(gave up after 3 attempts)")
    assert route_count(sim, LIST_SECRETS) == 3


def test_exhausted_retries_on_dropped_connection(sim):
    sim.faults({"kind": "drop", "method": "GET", "path": "/api/v1/secrets", "times": 10})
    error = raises_api_error(make_client(sim.url, retries=1).list_secrets)
    assert (error.status, error.reason) == (None, REASON_TRANSPORT)
    assert str(error) == "Neo API request failed: GET /api/v1/secrets: connection dropped after 2 attempts (ConnectionError)"


def test_connection_refused():
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    client = make_client("http://127.0.0.1:%d" % port, retries=2)
    error = raises_api_error(client.list_secrets)
    assert "could not connect" in str(error) and "after 3 attempts" in str(error)
    assert error.reason == REASON_NOT_SENT
    assert len(SLEEP.waits) == 2


@pytest.mark.parametrize(
    "call, fault_status, expected_status",
    [
        ("list_red_team", None, 403),
        ("patch_unknown", None, 404),
        ("list_personal", 400, 400),
        ("list_personal", 403, 403),
        ("list_personal", 404, 404),
    ],
)
def test_other_4xx_are_not_retried(sim, call, fault_status, expected_status):
    if fault_status:
        sim.faults({"kind": "status", "status": fault_status, "method": "GET", "path": "/api/v1/secrets", "times": 5})
    client = make_client(sim.url)
    action = {
        "list_red_team": lambda: client.list_secrets(PROJECT_RED_TEAM),
        "list_personal": client.list_secrets,
        "patch_unknown": lambda: client.update_secret(UNKNOWN_SECRET, True),
    }[call]
    error = raises_api_error(action)
    assert error.status == expected_status
    assert sim.counters()["total"] == 1
    assert client.retry_count == 0
    assert re.match(r"^Neo API %d \w+ \(error_id \w+\): " % expected_status, str(error)), str(error)


def test_redirect_is_never_followed(sim):
    sim.faults({"kind": "redirect", "method": "PATCH", "path": "/api/v1/secrets", "times": 1})
    client = make_client(sim.url)
    error = raises_api_error(client.update_secret, SECRET_PERSONAL_SLACK, True)
    assert 300 <= error.status < 400
    assert "redirected to" in str(error) and "set api_url to the final URL" in str(error)
    assert sim.secret(SECRET_PERSONAL_SLACK)["default_available"] is False
    counters = sim.counters()
    # The one PATCH was answered by the redirect; nothing followed it (no GET to the Location).
    assert (counters["total"], counters["writes"]) == (1, 1)


def test_malformed_json_is_an_error_and_not_retried(sim):
    sim.faults({"kind": "malformed", "method": "GET", "path": "/api/v1/secrets", "times": 1})
    error = raises_api_error(make_client(sim.url).list_secrets)
    assert "invalid JSON in response to GET /api/v1/secrets" in str(error)
    assert route_count(sim, LIST_SECRETS) == 1


def test_read_timeout_is_retried_then_succeeds(sim):
    sim.faults({"kind": "slow", "delay_s": 1.5, "method": "GET", "path": "/api/v1/secrets", "times": 1})
    client = make_client(sim.url, timeout=1)
    assert set(ids(client.list_secrets())) == PERSONAL_SECRET_IDS
    assert client.retry_count == 1
    assert "failed (timed out after 1 s)" in MESSAGES[-1]


def test_read_timeout_exhausted(sim):
    sim.faults({"kind": "slow", "delay_s": 1.5, "method": "GET", "path": "/api/v1/secrets", "times": 2})
    error = raises_api_error(make_client(sim.url, timeout=1, retries=1).list_secrets)
    assert str(error) == "Neo API request failed: GET /api/v1/secrets: timed out after 1 s on each of 2 attempts"


def test_concurrent_use_from_threads(sim):
    # 5 faults: even if one thread meets them all it still succeeds on its 6th attempt.
    sim.faults({"kind": "status", "status": 503, "method": "GET", "path": "/api/v1/secrets", "times": 5})
    client = make_client(sim.url, on_retry=None)
    results, errors = [], []

    def work():
        try:
            results.append(sorted(ids(client.list_secrets(PROJECT_PRODUCTION))))
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(exc)

    threads = [threading.Thread(target=work) for _index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results == [sorted(PRODUCTION_SECRET_IDS)] * 8
    assert client.retry_count == 5
    assert route_count(sim, LIST_SECRETS) == 13


# --------------------------------------------------------------------------- writes


def test_patch_returns_record_and_changes_state(sim):
    record = make_client(sim.url).update_secret(SECRET_PERSONAL_SLACK, True)
    assert record["id"] == SECRET_PERSONAL_SLACK and record["default_available"] is True
    assert "value" not in record
    assert sim.secret(SECRET_PERSONAL_SLACK)["default_available"] is True
    assert route_count(sim, PATCH_SECRET) == 1


def test_patch_is_retried_on_503(sim):
    sim.faults({"kind": "status", "status": 503, "method": "PATCH", "path": "/api/v1/secrets", "times": 1})
    client = make_client(sim.url)
    assert client.update_secret(SECRET_PERSONAL_GITHUB, False)["default_available"] is False
    assert route_count(sim, PATCH_SECRET) == 2


def test_create_secret(sim):
    record = make_client(sim.url).create_secret("NEW_TOKEN", "CANARY-new-value-000000", default_available=True)
    assert record["name"] == "NEW_TOKEN" and record["default_available"] is True
    assert "value" not in record and CANARY not in json.dumps(record)
    assert any(s["id"] == record["id"] for s in sim.state()["secrets"])


@pytest.mark.parametrize("fault", [{"kind": "status", "status": 500}, {"kind": "status", "status": 503}, {"kind": "drop"}])
def test_post_is_not_retried_when_it_may_have_reached_the_server(sim, fault):
    sim.faults(dict(fault, method="POST", path="/api/v1/secrets", times=1))
    client = make_client(sim.url)
    error = raises_api_error(client.create_secret, "NEW_TOKEN", "CANARY-new-value-000000", project_id=PROJECT_PRODUCTION)
    assert route_count(sim, POST_SECRETS) == 1
    assert client.retry_count == 0
    if fault["kind"] == "drop":
        assert "not retried because the request may have reached the server" in str(error)
        assert error.reason == REASON_TRANSPORT
    else:
        assert error.status == fault["status"]


def test_post_is_retried_on_429(sim):
    sim.faults({"kind": "status", "status": 429, "retry_after": "1", "method": "POST", "path": "/api/v1/secrets", "times": 1})
    client = make_client(sim.url)
    record = client.create_secret("NEW_TOKEN", "CANARY-new-value-000000", project_id=PROJECT_PRODUCTION)
    assert record["project_id"] == PROJECT_PRODUCTION
    assert SLEEP.waits == [1.0]
    assert route_count(sim, POST_SECRETS) == 2
    assert len([s for s in sim.state()["secrets"] if s["name"] == "NEW_TOKEN"]) == 1


def test_post_error_never_echoes_the_value(sim):
    error = raises_api_error(make_client(sim.url).create_secret, "bad name", "CANARY-new-value-000000")
    assert error.status == 400
    assert CANARY not in str(error) and CANARY not in repr(error.__dict__)


# --------------------------------------------------------------------------- scripted stub


def secret(number, **extra):
    record = {"id": "5ec00000-0000-4000-8000-%012d" % number, "name": "S%d" % number, "masked_value": "abc\u2022\u2022xyz", "default_available": False}
    record.update(extra)
    return record


def test_headers_sent_for_each_scheme(stub):
    stub.reply([secret(1)])
    stub.reply([secret(1)])
    make_client(stub.url).list_secrets(PROJECT_PRODUCTION)
    make_client(stub.url, api_token=ALICE_TOKEN).list_secrets()
    key_request, token_request = stub.requests
    assert key_request["headers"]["X-Api-Key"] == ALICE_KEY and "Authorization" not in key_request["headers"]
    assert token_request["headers"]["Authorization"] == "Bearer " + ALICE_TOKEN and "X-Api-Key" not in token_request["headers"]
    for request in stub.requests:
        assert request["headers"]["Accept"] == "application/json"
        assert request["headers"]["User-Agent"] == "projectdiscovery.neo-ansible/0.2.0"
        assert request["query"]["limit"] == ["100"]
    assert key_request["query"]["project_id"] == [PROJECT_PRODUCTION]


@pytest.mark.parametrize("replies, client_options, reason", [
    ([(b"{not json", 200, None)], {}, "invalid JSON"),
    ([(b"", 200, None)], {}, "empty body"),
    ([({}, 302, {"Location": "http://127.0.0.1:9/elsewhere"})], {}, "redirected"),
    ([({"unknown": []}, 200, None)], {}, "unrecognised list response"),
    ([({"secrets": [secret(1)], "has_more": "yes"}, 200, None)], {}, "unrecognised list response"),
    ([([{"id": "5ec00000-0000-4000-8000-000000000001"}], 200, None)], {}, "invalid record"),
    ([({"secrets": [secret(1)], "has_more": True}, 200, None)], {"MAX_PAGES": 1}, "too many pages"),
    ([({"secrets": [secret(1), secret(2)], "count": 5}, 200, None)] * 2, {}, "inconsistent list (read twice)"),
])
def test_a_refused_answer_carries_its_reason(stub, monkeypatch, replies, client_options, reason):
    """NeoApiError.reason: the client's own word for what it refused (the API probe sorts failures by it)."""
    for name, value in client_options.items():
        monkeypatch.setattr(_neo_client, name, value)
    for body, status, headers in replies:
        stub.reply(body, status=status, headers=headers)
    error = raises_api_error(make_client(stub.url, retries=0).list_secrets)
    assert error.reason == reason


def test_an_http_error_has_no_reason_a_refused_connection_was_not_sent(stub):
    stub.reply({"code": "forbidden", "message": "no"}, status=403)
    assert raises_api_error(make_client(stub.url, retries=0).list_secrets).reason is None
    assert raises_api_error(make_client("http://127.0.0.1:9", retries=0).list_secrets).reason == REASON_NOT_SENT


def test_proxy_from_the_environment_and_no_proxy(stub, monkeypatch):
    # The stub as a forward proxy: the request for the unresolvable API host reaches it.
    for variable in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HTTP_PROXY", stub.url)
    stub.reply([secret(1)])
    assert make_client("http://neo-api.invalid").list_secrets()[0]["id"] == secret(1)["id"]
    assert stub.requests[0]["headers"]["Host"] == "neo-api.invalid"
    assert stub.requests[0]["path"] == "/api/v1/secrets"
    # NO_PROXY names the host: the client goes there directly (and cannot resolve it).
    monkeypatch.setenv("NO_PROXY", "neo-api.invalid")
    with pytest.raises(NeoApiError):
        make_client("http://neo-api.invalid", retries=0).list_secrets()
    assert len(stub.requests) == 1


def test_netrc_is_never_read(stub, monkeypatch, tmp_path):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    stub.reply([secret(1)])
    make_client(stub.url).list_secrets()
    assert "Authorization" not in stub.requests[0]["headers"]


def test_cookies_are_not_sent_back(stub):
    # The credential is the only authentication: a cookie the API (or a proxy in front of it) sets
    # is not kept, and every request carries the same headers.
    stub.reply([secret(1)], headers={"Set-Cookie": "session=CANARYcookie; Path=/"})
    stub.reply([secret(2)])
    client = make_client(stub.url)
    client.list_secrets()
    client.list_secrets()
    assert len(stub.requests) == 2
    assert not any(name.lower() == "cookie" for request in stub.requests for name in request["headers"])
    assert stub.requests[0]["headers"] == stub.requests[1]["headers"]


def inconsistent_twice(stub, *pages):
    """Serve the same inconsistent reading twice (the client reads a list again from the start once)."""
    for _reading in range(2):
        for page in pages:
            stub.reply(page)


def test_count_larger_than_items_is_an_error(stub):
    inconsistent_twice(stub, {"secrets": [secret(1), secret(2)], "count": 5})
    error = raises_api_error(make_client(stub.url).list_secrets)
    assert str(error) == ("Neo API: the personal secrets could not be read consistently (read twice from the start): "
                          "2 distinct items read but count says 5; the list is not used")
    assert len(stub.requests) == 2


def test_server_ignoring_offset_is_detected(stub):
    inconsistent_twice(stub, {"secrets": [secret(1), secret(2)], "has_more": True}, {"secrets": [secret(1), secret(2)], "has_more": True})
    error = raises_api_error(make_client(stub.url).list_secrets)
    assert "id 5ec00000-0000-4000-8000-000000000001 listed again on page 2" in str(error)
    assert stub.requests[1]["query"]["offset"] == ["2"]


def test_empty_page_while_more_is_signalled(stub):
    inconsistent_twice(stub, {"data": [secret(1)], "next_cursor": "abc"}, {"data": [], "next_cursor": "def"})
    error = raises_api_error(make_client(stub.url).list_secrets)
    assert "page 2 is empty although the response signals more items" in str(error)
    assert stub.requests[1]["query"]["cursor"] == ["abc"]


def test_total_shrinking_between_pages_is_read_again_then_used_when_consistent(stub):
    stub.reply({"data": [secret(1), secret(2)], "total": 4})
    stub.reply({"data": [secret(4)], "total": 3})  # secret 3 slid onto page 1 and was never seen
    stub.reply({"data": [secret(1), secret(2)], "total": 4})
    stub.reply({"data": [secret(3), secret(4)], "total": 4})
    assert ids(make_client(stub.url).list_secrets()) == [secret(n)["id"] for n in (1, 2, 3, 4)]
    assert [r["query"].get("offset") for r in stub.requests] == [None, ["2"], None, ["2"]]


def test_the_observer_sees_what_the_reader_decided_page_by_page(stub):
    """Per attempt: status, version and allow-listed headers only; per page: the reader's own decisions, in both readings."""
    stub.reply({"data": [secret(1), secret(2)], "total": 4}, headers={"X-RateLimit-Remaining": "9", "X-Request-Id": "r1", "Set-Cookie": "a=b"})
    stub.reply({"data": [secret(4)], "total": 3})
    stub.reply({"data": [secret(1), secret(2)], "total": 4})
    stub.reply({"data": [secret(3), secret(4, note=None)], "total": 4})
    events = []
    make_client(stub.url, observer=events.append).list_secrets()
    responses = [event for event in events if event["event"] == "response"]
    pages = [event for event in events if event["event"] == "page"]
    assert [event["event"] for event in events] == ["response", "page"] * 4
    assert responses[0]["headers"] == {"X-RateLimit-Remaining": "9", "X-Request-Id": "r1", "Server": "neo-edge"}
    assert (responses[0]["status"], responses[0]["http_version"], responses[0]["attempt"], responses[0]["failure"]) == (200, 11, 1, None)
    assert [(page["reading"], page["page"], page["next"], page["inconsistent"]) for page in pages] == [
        (1, 1, "offset", None), (1, 2, None, "total changed from 4 to 3 between page 1 and page 2"), (2, 1, "offset", None), (2, 2, None, None)]
    last = pages[-1]
    assert (last["envelope"], last["signal"], last["count_key"], last["keys"], last["params"], last["limit"]) == (
        "data", "total", "total", ["data", "total"], ["limit", "offset"], 100)
    assert (last["values"], last["items"], last["null_fields"]) == ({"total": 4}, 2, {"note": 1})
    assert last["fields"] == {"id": 2, "name": 2, "masked_value": 2, "default_available": 2, "note": 1}


def test_total_shrinking_twice_fails_naming_what_changed(stub):
    inconsistent_twice(stub, {"data": [secret(1), secret(2)], "total": 4}, {"data": [secret(4)], "total": 3})
    error = raises_api_error(make_client(stub.url).list_secrets, PROJECT_PRODUCTION)
    assert str(error) == ("Neo API: the secrets of project %s could not be read consistently (read twice from the start): "
                          "total changed from 4 to 3 between page 1 and page 2; the list is not used" % PROJECT_PRODUCTION)


def test_count_shrinking_with_has_more_is_inconsistent(stub):
    inconsistent_twice(stub, {"secrets": [secret(1), secret(2)], "count": 4, "has_more": True},
                       {"secrets": [secret(4)], "count": 3, "has_more": False})
    assert "count changed from 4 to 3" in str(raises_api_error(make_client(stub.url).list_secrets))


def test_total_without_has_more_that_the_items_do_not_reach(stub):
    inconsistent_twice(stub, {"items": [secret(1), secret(2)], "total": 3, "has_more": False})
    assert "2 distinct items read but total says 3" in str(raises_api_error(make_client(stub.url).list_secrets))


def test_repeated_cursor_with_fresh_items_stops_at_once(stub):
    inconsistent_twice(stub, {"data": [secret(1)], "next_cursor": "same"}, {"data": [secret(2)], "next_cursor": "same"})
    error = raises_api_error(make_client(stub.url).list_secrets)
    assert "next_cursor same was already given" in str(error)
    assert len(stub.requests) == 4


def test_endless_pages_are_bounded_by_a_page_count(stub, monkeypatch):
    monkeypatch.setattr(_neo_client, "MAX_PAGES", 5)
    for number in range(1, 12):
        stub.reply({"secrets": [secret(number)], "has_more": True})
    error = raises_api_error(make_client(stub.url).list_secrets)
    assert str(error) == "Neo API: the personal secrets: more than 5 pages (5 items so far); giving up, the list is not used"
    assert len(stub.requests) == 5


def test_endless_pages_are_bounded_by_a_deadline(stub, monkeypatch):
    clock = iter(range(0, 1000, 10))  # every look at the clock is 10 s later
    monkeypatch.setattr(_neo_client, "_monotonic", lambda: next(clock))
    monkeypatch.setattr(_neo_client, "LIST_TIMEOUT", 35)
    for number in range(1, 12):
        stub.reply({"secrets": [secret(number)], "has_more": True})
    client = make_client(stub.url)
    error = raises_api_error(client.list_secrets)
    assert str(error) == "Neo API: the personal secrets: not complete after 35 s (3 pages, 3 items); giving up, the list is not used"


def test_deeply_nested_json_is_invalid_json_not_a_crash(stub):
    stub.reply(b'{"a":' * 100000 + b"1" + b"}" * 100000)
    error = raises_api_error(make_client(stub.url).update_secret, SECRET_PERSONAL_SLACK, True)
    assert str(error) == "Neo API: invalid JSON in response to PATCH /api/v1/secrets/%s (status 200)" % SECRET_PERSONAL_SLACK


def test_credentials_echoed_by_the_api_are_scrubbed(stub):
    stub.reply({"message": "denied for X-Api-Key: %s" % ALICE_KEY, "code": "forbidden", "error_id": ALICE_KEY}, status=403)
    error = raises_api_error(make_client(stub.url).list_secrets)
    assert ALICE_KEY not in str(error) and ALICE_KEY not in repr(vars(error))
    assert "denied for X-Api-Key: ********" in str(error)


def test_after_a_401_no_request_is_sent(stub):
    stub.reply({"message": "invalid key", "code": "unauthorized"}, status=401)
    client = make_client(stub.url)
    first = raises_api_error(client.list_secrets)
    assert first.status == 401 and first.reason is None
    second = raises_api_error(client.update_secret, SECRET_PERSONAL_SLACK, True)
    assert second.reason == REASON_NOT_ATTEMPTED
    assert str(second).startswith("the API at %s rejected the API key given in the task earlier in this run (Neo API 401" % stub.url)
    assert len(stub.requests) == 1


def test_proxy_407_is_not_retried_and_named(stub):
    stub.reply({"message": "proxy"}, status=407, headers={"Proxy-Authenticate": 'Basic realm="p"'})
    error = raises_api_error(make_client(stub.url).list_secrets)
    assert error.status == 407 and "proxy authentication failed" in str(error)
    assert len(stub.requests) == 1


def test_invisible_format_characters_in_api_text_are_replaced(stub):
    stub.reply({"message": "forbidden for PROD\u202e_KEY\u200b", "code": "forbidden"}, status=403)
    error = raises_api_error(make_client(stub.url).list_secrets)
    assert "\u202e" not in str(error) and "\u200b" not in str(error) and "PROD\ufffd_KEY\ufffd" in str(error)


def test_ambiguous_envelope_and_null_list(stub):
    stub.reply({"secrets": [], "data": [], "count": 0})
    error = raises_api_error(make_client(stub.url).list_secrets)
    assert "keys ['count', 'data', 'secrets']" in str(error)
    stub.reply({"secrets": None, "count": 0})
    assert make_client(stub.url).list_secrets() == []


def test_records_lacking_fields_and_value_stripped(stub):
    stub.reply({"items": [secret(1, value="CANARY-leaked")]})
    assert make_client(stub.url).list_secrets() == [secret(1)]
    stub.reply({"items": [{"id": "x", "name": "N"}]})
    error = raises_api_error(make_client(stub.url).list_secrets)
    assert "lacking default_available (boolean)" in str(error)
    stub.reply({"id": SECRET_PERSONAL_SLACK, "default_available": True})
    error = raises_api_error(make_client(stub.url).update_secret, SECRET_PERSONAL_SLACK, True)
    assert "lacking name" in str(error)


def test_write_bodies(stub):
    stub.reply(secret(2, default_available=True))
    stub.reply(secret(3), status=201)
    client = make_client(stub.url)
    client.update_secret(secret(2)["id"], True)
    client.create_secret("S3", "CANARY-v", default_available=False)
    patch, post = stub.requests
    assert (patch["method"], patch["path"], patch["body"]) == ("PATCH", "/api/v1/secrets/" + secret(2)["id"], {"default_available": True})
    assert (post["method"], post["path"], post["body"]) == ("POST", "/api/v1/secrets", {"name": "S3", "value": "CANARY-v", "default_available": False})


def test_failed_later_page_fails_the_whole_list(stub):
    stub.reply({"data": [secret(1)], "total": 3})
    stub.reply({"error": "Service Unavailable"}, status=503)
    stub.reply({"error": "Service Unavailable"}, status=503)
    error = raises_api_error(make_client(stub.url, retries=1).list_secrets)
    assert error.status == 503 and str(error).endswith("(gave up after 2 attempts)")
    assert stub.requests[1]["query"]["offset"] == ["1"]


def test_non_json_error_body_uses_reason_only(stub):
    stub.reply(b"<html>" + b"x" * 100000 + b"</html>", status=502)
    error = raises_api_error(make_client(stub.url, retries=0).list_secrets)
    assert str(error) == "Neo API 502: Bad Gateway"


def test_error_prefers_message_and_collapses_whitespace(stub):
    stub.reply({"error": "Forbidden", "message": "forbidden request:\nnot a member", "code": "forbidden", "error_id": "1a2b3c"}, status=403)
    error = raises_api_error(make_client(stub.url).list_secrets)
    assert str(error) == "Neo API 403 forbidden (error_id 1a2b3c): forbidden request: not a member"
    stub.reply({"error": "Forbidden"}, status=403)
    assert str(raises_api_error(make_client(stub.url).list_secrets)) == "Neo API 403: Forbidden"


def test_create_accepts_201_and_secret_envelope(stub):
    stub.reply(secret(9, default_available=True), status=201)
    stub.reply({"secret": secret(10)}, status=200)
    client = make_client(stub.url)
    assert client.create_secret("S9", "CANARY-v", default_available=True)["id"] == secret(9)["id"]
    assert client.create_secret("S10", "CANARY-v")["id"] == secret(10)["id"]


# --------------------------------------------------------------------------- _neo_args


def validate(params):
    """Validate as the action plugins do: credentials from the environment only when the task gives none."""
    validator = ArgumentSpecValidator(
        NEO_CONNECTION_ARGSPEC, mutually_exclusive=NEO_CONNECTION_MUTUALLY_EXCLUSIVE
    )
    check_environment(params, os.environ)
    return validator.validate(with_credentials_from_env(params, os.environ))


def test_argspec_env_fallbacks_and_defaults(monkeypatch):
    for name in ("NEO_API_URL", "NEO_API_KEY", "NEO_API_TOKEN", "NEO_VALIDATE_CERTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEO_API_KEY", ALICE_KEY)
    result = validate({})
    assert result.error_messages == []
    params = result.validated_parameters
    assert params["api_url"] == "https://neo.api.projectdiscovery.io"
    assert (params["api_key"], params["validate_certs"], params["timeout"], params["retries"]) == (ALICE_KEY, True, 30, 5)
    assert ALICE_KEY in result._no_log_values
    monkeypatch.setenv("NEO_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("NEO_VALIDATE_CERTS", "false")
    params = validate({}).validated_parameters
    assert params["api_url"] == "http://127.0.0.1:9" and params["validate_certs"] is False
    assert validate({"api_url": "https://task.example.test"}).validated_parameters["api_url"] == "https://task.example.test"
    client = client_from_params(params)
    assert client.api_url == "http://127.0.0.1:9" and client.validate_certs is False


def test_argspec_requires_exactly_one_credential(monkeypatch):
    for name in ("NEO_API_KEY", "NEO_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(NeoConfigError, match="^no credentials: set api_key or api_token, or NEO_API_KEY or NEO_API_TOKEN$"):
        validate({})
    assert "mutually exclusive" in validate({"api_key": ALICE_KEY, "api_token": ALICE_TOKEN}).error_messages[0]


def test_both_credentials_from_the_environment_say_so(monkeypatch):
    monkeypatch.setenv("NEO_API_KEY", ALICE_KEY)
    monkeypatch.setenv("NEO_API_TOKEN", ALICE_TOKEN)
    with pytest.raises(NeoConfigError, match="^NEO_API_KEY and NEO_API_TOKEN are both set in the environment"):
        validate({})
    assert validate({"api_token": ALICE_TOKEN}).validated_parameters["api_token"] == ALICE_TOKEN


def test_bad_neo_validate_certs_names_the_variable(monkeypatch):
    monkeypatch.setenv("NEO_API_KEY", ALICE_KEY)
    monkeypatch.setenv("NEO_VALIDATE_CERTS", "maybe")
    with pytest.raises(NeoConfigError, match="^NEO_VALIDATE_CERTS: 'maybe' is not a boolean"):
        validate({})
    assert validate({"validate_certs": True}).validated_parameters["validate_certs"] is True


def test_ca_path_from_the_environment_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("NEO_API_KEY", ALICE_KEY)
    monkeypatch.setenv("NEO_CA_PATH", str(tmp_path / "missing.pem"))
    params = validate({}).validated_parameters
    with pytest.raises(NeoConfigError, match="^ca_path: no such file or directory: "):
        client_from_params(params)
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("")
    monkeypatch.setenv("NEO_CA_PATH", str(bundle))
    assert client_from_params(validate({}).validated_parameters).ca_path == str(bundle)


# --------------------------------------------------------------------------- project writes and echoed request bodies

NEW_PROJECT = "cccccccc-0000-4000-8000-000000000001"


def test_create_and_update_project_against_the_simulator(sim):
    client = make_client(sim.url)
    created = client.create_project({"id": NEW_PROJECT, "name": "New", "tags": ["a"]})
    assert (created["id"], created["name"], created["tags"], created["is_owner"]) == (NEW_PROJECT, "New", ["a"], True)
    updated = client.update_project(NEW_PROJECT.upper(), {"tags": ["b"], "shared_with_team": True})
    assert (updated["tags"], updated["shared_with_team"]) == (["b"], True)
    conflict = raises_api_error(client.create_project, {"id": NEW_PROJECT})
    assert (conflict.status, conflict.code) == (409, "already_exists")
    assert route_count(sim, "POST /api/v1/projects") == 2


def test_project_post_is_not_retried_when_it_may_have_reached_the_server(sim):
    sim.faults({"kind": "status", "status": 503, "method": "POST", "path": "/api/v1/projects", "times": 1})
    client = make_client(sim.url)
    error = raises_api_error(client.create_project, {"id": NEW_PROJECT})
    assert error.status == 503 and route_count(sim, "POST /api/v1/projects") == 1


def test_project_patch_is_retried_like_a_get(sim):
    sim.faults({"kind": "status", "status": 503, "method": "PATCH", "path": "/api/v1/projects/", "times": 1})
    client = make_client(sim.url)
    assert client.update_project(PROJECT_STAGING, {"name": "Stage"})["name"] == "Stage"
    assert route_count(sim, "PATCH /api/v1/projects/{id}") == 2 and client.retry_count == 1


def test_project_answers_bare_or_in_the_envelope_and_checked(stub):
    record = {"id": NEW_PROJECT, "name": "New"}
    stub.reply({"project": record}, status=201)
    stub.reply(record, status=200)
    stub.reply({"project": {"id": "aaaaaaaa-0000-4000-8000-000000000009", "name": "Other"}})
    stub.reply({"project": {"name": "no id"}}, status=201)
    client = make_client(stub.url)
    assert client.create_project({"id": NEW_PROJECT}) == record
    assert client.update_project(NEW_PROJECT, {"name": "New"}) == record
    other = raises_api_error(client.update_project, NEW_PROJECT, {"name": "New"})
    assert "with the record of another project" in str(other)
    missing = raises_api_error(client.create_project, {})
    assert "a project record without a string id" in str(missing)
    assert [(r["method"], r["path"], r["body"]) for r in stub.requests[:2]] == [
        ("POST", "/api/v1/projects", {"id": NEW_PROJECT}), ("PATCH", "/api/v1/projects/" + NEW_PROJECT, {"name": "New"})]


@pytest.mark.parametrize("value", ["CANARY-plain-value-0001", "CANARY multi\nline\tpassphrase with  blanks", 'CANARY "quoted" \\ and caf\u00e9 \u2603'],
                         ids=["plain", "multi-line", "json-escaped"])
def test_a_post_answered_with_an_error_echoing_the_body_never_shows_the_value(stub, value):
    """However the API quotes the value (as sent, JSON-escaped, ASCII-escaped), it is scrubbed before folding onto one line."""
    sent = json.dumps({"name": "S1", "value": value})
    for echoed in (sent, json.dumps({"name": "S1", "value": value}, ensure_ascii=False), "value was: " + value):
        stub.reply({"message": "invalid request: refused body " + echoed, "code": "invalid_request", "error_id": "e1"}, status=400)
        error = raises_api_error(make_client(stub.url).create_secret, "S1", value)
        assert error.status == 400 and "********" in str(error)
        for fragment in value.split():
            if len(fragment) > 4:
                assert fragment not in str(error) and fragment not in repr(vars(error))


def test_a_redirect_of_a_post_never_shows_the_value(stub):
    stub.reply(b"", status=307, headers={"Location": "https://elsewhere.example.test/?v=CANARY-in-location"})
    error = raises_api_error(make_client(stub.url).create_secret, "S1", "CANARY-in-location")
    assert "CANARY-in-location" not in str(error) and "redirects are not followed" in str(error)


# --- scrub order: a value that holds the credential -------------------------------------------------

VALUE_AROUND_KEY = "VALPREFIX7-%s-VALSUFFIX7" % ALICE_KEY  # a secret value that contains the API key


def test_a_value_holding_the_api_key_is_scrubbed_whole_from_an_echoed_error(sim):
    """The API quotes the body and the credential: the value goes whole, then the key; no piece of the value is left."""
    sim.faults({"kind": "status", "status": 400, "method": "POST", "path": "/api/v1/secrets", "echo_body": True, "echo_credentials": True,
                "times": 1})
    error = raises_api_error(make_client(sim.url).create_secret, "LEAK_TEST_AROUND_KEY", VALUE_AROUND_KEY)
    message = repr(vars(error)) + str(error)
    for piece in (VALUE_AROUND_KEY, ALICE_KEY, "VALPREFIX7", "VALSUFFIX7"):
        assert piece not in message
    assert error.status == 400 and "refused body" in str(error) and "********" in str(error)
    assert route_count(sim, POST_SECRETS) == 1
    assert "LEAK_TEST_AROUND_KEY" not in {secret["name"] for secret in sim.state()["secrets"]}


def test_scrub_masks_the_longest_text_first(sim):
    """A sensitive text inside the credential (or the credential inside it) never leaves the rest of the longer one visible."""
    client = make_client(sim.url)
    inside_key = ALICE_KEY[7:19]
    assert client._scrub("key %s and %s" % (ALICE_KEY, inside_key), (inside_key,)) == "key ******** and ********"
    assert client._scrub("body %s" % json.dumps({"value": VALUE_AROUND_KEY}), (VALUE_AROUND_KEY,)) == 'body {"value": "********"}'
    quoted = 'say "%s"' % ALICE_KEY
    assert client._scrub(json.dumps({"value": quoted}), (quoted,)) == '{"value": "********"}'
