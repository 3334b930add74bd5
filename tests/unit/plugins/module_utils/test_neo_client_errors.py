"""Connection and authentication errors say where to look (issue 22): the base URL, the kind of
failure (refused, a name that did not resolve, TLS to a plain-HTTP port) and where the rejected
credential came from (the task or a ``NEO_*`` variable), never the credential itself.

Against the real simulator (``sim``), a closed port and a name under ``.invalid`` (RFC 6761: it
never resolves). No test really sleeps: the client's ``_sleep`` is replaced.
"""
from __future__ import annotations

import contextlib
import io
import socket
import ssl
import struct
import sys
import time

import pytest

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_client
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import client_from_params, credential_variable
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_client import NeoApiError, NeoClient
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import REASON_NOT_ATTEMPTED, REASON_NOT_SENT

from neo_simulator.server import SimulatorServer
from neo_simulator.seed import load_seed_file

from tests.conftest import ALICE_KEY, ALICE_TOKEN, BASIC_SEED, CANARY, FakeSleep

WRONG_KEY = "neo_sk_wrongCANARYkey00000000000000000"
WRONG_TOKEN = "eyJwrong.CANARY.token"
UNRESOLVABLE = "http://neo-api.invalid"
SECRETS = "/api/v1/secrets"


@pytest.fixture(name="sleeps")
def fixture_sleeps(monkeypatch):
    sleeps = FakeSleep()
    monkeypatch.setattr(_neo_client, "_sleep", sleeps)
    return sleeps


def unused_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def failure(client, call="list_secrets"):
    """The NeoApiError of one call, after checking it is one line without a credential."""
    with pytest.raises(NeoApiError) as info:
        getattr(client, call)()
    message = str(info.value)
    assert "\n" not in message and CANARY not in message and "neo_sk_" not in message, message
    return info.value


def test_refused_connection_names_the_url_and_keeps_its_retries(sleeps):
    url = "http://127.0.0.1:%d" % unused_port()
    warnings = []
    client = NeoClient(url, api_key=ALICE_KEY, retries=2, on_retry=warnings.append)
    error = failure(client)
    assert str(error) == "Neo API request failed: GET %s: could not connect to %s (connection refused) after 3 attempts (ConnectionError)" % (SECRETS, url)
    assert error.reason == REASON_NOT_SENT
    assert len(sleeps.waits) == 2 and client.retry_count == 2
    assert all("could not connect to %s (connection refused)" % url in warning for warning in warnings) and len(warnings) == 2


def test_a_name_that_does_not_resolve_is_tried_once(sleeps):
    warnings = []
    client = NeoClient(UNRESOLVABLE + "/api/v1", api_key=ALICE_KEY, retries=5, on_retry=warnings.append)
    error = failure(client)
    assert str(error) == ("Neo API request failed: GET %s: could not connect to %s: the host name neo-api.invalid did not resolve (ConnectionError)"
                          % (SECRETS, UNRESOLVABLE))
    assert error.reason == REASON_NOT_SENT  # nothing was sent: a write may be tried again safely
    assert sleeps.waits == [] and warnings == [] and client.retry_count == 0


def test_a_name_that_does_not_resolve_is_not_retried_for_a_post_either(sleeps):
    client = NeoClient(UNRESOLVABLE, api_key=ALICE_KEY, retries=5)
    with pytest.raises(NeoApiError) as info:
        client.create_secret("NEW_SECRET", "value-%s" % CANARY)
    assert "the host name neo-api.invalid did not resolve" in str(info.value) and CANARY not in str(info.value)
    assert info.value.reason == REASON_NOT_SENT and sleeps.waits == []


def test_tls_to_the_plain_http_port_says_so(sim, sleeps):
    url = sim.url.replace("http://", "https://")
    client = NeoClient(url, api_key=ALICE_KEY, retries=5)
    error = failure(client)
    assert str(error) == "Neo API request failed: GET %s: the server at %s does not speak TLS on that port: is the URL http://? (SSLError)" % (SECRETS, url)
    assert error.reason == REASON_NOT_SENT
    assert sleeps.waits == [] and client.retry_count == 0
    assert sim.counters()["total"] == 0  # no request reached the API


@pytest.mark.parametrize("credentials, environ, label, hint", [
    (dict(api_key=WRONG_KEY), {"NEO_API_KEY": WRONG_KEY}, "the API key from NEO_API_KEY", "check that variable"),
    (dict(api_token=WRONG_TOKEN), {"NEO_API_TOKEN": WRONG_TOKEN}, "the API token from NEO_API_TOKEN", "check that variable"),
    # The task's own credential wins over the environment's (with_credentials_from_env): it is the one named.
    (dict(api_key=WRONG_KEY), {"NEO_API_KEY": ALICE_KEY}, "the API key given in the task", "check the task's options, module_defaults and role variables"),
    (dict(api_token=WRONG_TOKEN), {}, "the API token given in the task", "check the task's options, module_defaults and role variables"),
], ids=["key-from-env", "token-from-env", "key-from-task", "token-from-task"])
def test_a_rejected_credential_names_the_url_and_where_it_came_from(sim, credentials, environ, label, hint):
    client = client_from_params(dict(credentials, api_url=sim.url), environ=environ)
    first = failure(client)
    assert first.status == 401 and first.code == "unauthorized"
    rejected = "the API at %s rejected %s" % (sim.url, label)
    assert str(first) == "Neo API 401 unauthorized (error_id %s): unauthorized request: missing or invalid credentials; %s: %s" % (
        first.error_id, rejected, hint)
    later = failure(client, "list_projects")
    assert later.reason == REASON_NOT_ATTEMPTED
    assert str(later) == "%s earlier in this run (Neo API 401 unauthorized (error_id %s): unauthorized request: missing or invalid credentials): %s" % (
        rejected, first.error_id, hint)
    assert sim.counters()["total"] == 1  # the 401 only: nothing is sent after it


def test_credential_variable_is_the_variable_whose_value_the_task_uses():
    environ = {"NEO_API_KEY": ALICE_KEY, "NEO_API_TOKEN": ALICE_TOKEN}
    assert credential_variable({"api_key": ALICE_KEY}, environ) == "NEO_API_KEY"
    assert credential_variable({"api_token": ALICE_TOKEN}, environ) == "NEO_API_TOKEN"
    assert credential_variable({"api_key": WRONG_KEY}, environ) is None
    assert credential_variable({"api_key": ALICE_KEY, "api_token": None}, {}) is None
    assert credential_variable({}, environ) is None


def _client_hello():
    """The first bytes a TLS client sends (a ClientHello record)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    outgoing = ssl.MemoryBIO()
    connection = context.wrap_bio(ssl.MemoryBIO(), outgoing)
    with contextlib.suppress(ssl.SSLWantReadError):
        connection.do_handshake()
    return outgoing.read()


def test_simulator_prints_one_line_for_tls_on_its_http_port(monkeypatch):
    """A TLS client that hangs up (reset) right after its ClientHello made http.server print a traceback."""
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    hello = _client_hello()
    with SimulatorServer(load_seed_file(str(BASIC_SEED))) as server:
        for reset in (True, False):
            with socket.create_connection(("127.0.0.1", server.port)) as client:
                if reset:  # close with a reset, before the answer is written
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    client.sendall(hello)
                else:  # a patient client gets the answer any plain HTTP server gives
                    client.sendall(hello)
                    assert client.recv(12) == b"HTTP/1.1 400"
        with socket.create_connection(("127.0.0.1", server.port)) as client:  # bytes that are no HTTP request, then a reset
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.sendall(b"\x00\x01 not http \xff\r\n\r\n")
        # The handler threads write on their own: wait for both lines, then for anything that would follow them.
        deadline = time.monotonic() + 10
        while stderr.getvalue().count("neo_simulator:") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    lines = stderr.getvalue().splitlines()
    assert lines == ["neo_simulator: a client from 127.0.0.1 spoke TLS to this plain-HTTP port; its URL must start with http://, not https://"] * 2
