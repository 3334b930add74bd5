"""The client's retry budget: a 429 storm cannot hang a task (``retry_budget`` = retries x max_retry_wait).

Against the real simulator; no test really sleeps (``SLEEP`` replaces the client's sleep and records the waits).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_client
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_client import NeoApiError, NeoClient

from tests.conftest import ALICE_KEY, CANARY, SECRET_PERSONAL_GITHUB, FakeSleep

LIST_SECRETS = "GET /api/v1/secrets"
PATCH_SECRET = "PATCH /api/v1/secrets/{id}"


SLEEP = FakeSleep()  # the waits of the current test


@pytest.fixture(autouse=True)
def fake_sleep(monkeypatch):
    del SLEEP.waits[:]
    monkeypatch.setattr(_neo_client, "_sleep", SLEEP)


def make_client(sim, **kwargs):
    return NeoClient(sim.url, api_key=ALICE_KEY, **kwargs)


def storm(sim, times=1000, retry_after="30", method="GET", path="/api/v1/secrets", status=429):
    sim.faults({"kind": "status", "status": status, "retry_after": retry_after, "method": method, "path": path, "times": times})


def test_default_budget_is_what_one_request_may_wait(sim):
    client = NeoClient(sim.url, api_key=ALICE_KEY)
    assert (client.retries, _neo_client.MAX_RETRY_WAIT, client.retry_budget) == (5, 30.0, 150.0)


def test_one_request_still_gets_all_its_retries(sim):
    """The budget never shortens a single request: 5 waits of 30 s are exactly 150 s."""
    storm(sim, times=5)
    client = make_client(sim)
    client.list_secrets()
    assert SLEEP.waits == [30.0] * 5
    assert client.retry_count == 5 and client.retry_waited == 150.0 and not client.retry_budget_spent


def test_a_429_storm_over_many_requests_waits_at_most_the_budget(sim):
    """Request 1 uses the whole budget; every later request is sent once and fails at once."""
    storm(sim)
    client = make_client(sim)
    first = pytest.raises(NeoApiError, client.list_secrets).value
    assert SLEEP.waits == [30.0] * 5
    assert str(first).endswith("(gave up after 6 attempts)")
    assert "budget" not in str(first)  # it failed because its own retries ran out

    later = []
    for _unused in range(20):
        later.append(pytest.raises(NeoApiError, client.list_secrets).value)
    assert sum(SLEEP.waits) == 150.0  # nothing more was waited
    assert sim.counters()["by_route"][LIST_SECRETS] == 6 + 20  # each later request was sent exactly once
    for error in later:
        message = str(error)
        assert (error.status, error.code) == (429, "rate_limited") and "gave up" not in message  # one attempt
        assert message.startswith("Neo API 429 rate_limited (error_id ")
        assert message.endswith("; not retried: this task's retry budget (150 s of waiting in total) is used up")
        assert "\n" not in message and CANARY not in message


def test_requests_go_through_again_once_the_storm_ends(sim):
    """No circuit is opened: after the budget is spent, requests are still sent and succeed."""
    storm(sim, times=7)  # 6 attempts of request 1 + the single attempt of request 2
    client = make_client(sim)
    pytest.raises(NeoApiError, client.list_secrets)
    pytest.raises(NeoApiError, client.list_secrets)
    assert {record["id"] for record in client.list_secrets()} >= {SECRET_PERSONAL_GITHUB}
    assert client.update_secret(SECRET_PERSONAL_GITHUB, False)["default_available"] is False


def test_a_wait_that_would_exceed_the_budget_is_not_started(sim):
    """With 40 s left, a Retry-After of 30 s is honoured once more, the next one is refused."""
    storm(sim, times=8, retry_after="30")
    client = make_client(sim, retries=3)  # budget 90 s
    pytest.raises(NeoApiError, client.list_secrets)  # 3 waits of 30 s: budget used
    assert client.retry_waited == 90.0
    error = pytest.raises(NeoApiError, client.list_secrets).value
    assert "retry budget (90 s of waiting in total) is used up" in str(error)
    assert SLEEP.waits == [30.0] * 3


def test_budget_is_shared_by_threads(sim):
    """Eight threads in a 429 storm, as the policy action runs them: total waiting <= budget."""
    storm(sim, times=10000, retry_after="7", method="PATCH", path="/api/v1/secrets/")
    client = make_client(sim, pool_size=8)
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _n: _try(client.update_secret, SECRET_PERSONAL_GITHUB, False), range(64)))
    assert all(isinstance(outcome, NeoApiError) and outcome.status == 429 for outcome in outcomes)
    assert sum(SLEEP.waits) <= client.retry_budget == 150.0
    assert len(SLEEP.waits) == 21  # 21 waits of 7 s fit in 150 s, the 22nd would not
    patches = sim.counters()["by_route"][PATCH_SECRET]
    assert patches == 64 + 21  # one attempt per request, plus one per retry
    assert sim.secret(SECRET_PERSONAL_GITHUB)["default_available"] is True  # every PATCH was refused


def test_transport_failures_count_against_the_same_budget(sim, monkeypatch):
    monkeypatch.setattr(_neo_client, "_random", lambda: 1.0)
    monkeypatch.setattr(_neo_client, "MAX_RETRY_WAIT", 1.0)
    sim.faults({"kind": "drop", "method": "GET", "path": "/api/v1/secrets", "times": 1000})
    client = make_client(sim, retries=2)  # budget 2 s, waits 0.5 + 1.0
    pytest.raises(NeoApiError, client.list_secrets)
    assert SLEEP.waits == [0.5, 1.0]
    # Request 2: its first wait (0.5 s) still fits in the 2 s, its second (1 s) does not.
    error = pytest.raises(NeoApiError, client.list_secrets).value
    assert SLEEP.waits == [0.5, 1.0, 0.5]
    assert str(error) == ("Neo API request failed: GET /api/v1/secrets: connection dropped after 2 attempts (ConnectionError); "
                          "not retried: this task's retry budget (2 s of waiting in total) is used up")


def test_no_retries_means_no_budget_note(sim):
    storm(sim, times=3)
    client = make_client(sim, retries=0)
    error = pytest.raises(NeoApiError, client.list_secrets).value
    assert "budget" not in str(error) and client.retry_budget == 0
    assert SLEEP.waits == []


def _try(call, *args):
    try:
        return call(*args)
    except NeoApiError as error:
        return error
