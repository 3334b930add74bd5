"""The simulator's faults for a hostile or broken API (skip, echo_credentials, deep_json, shift,
endless, trickle, oversized, 407), against an in-process SimulatorServer; and the examples of
docs/simulator.md (seed and fault rules), so that they cannot rot."""
from __future__ import annotations

import json
import pathlib
import re
import socket
import threading
import time

import pytest
import requests
import yaml

from neo_simulator import SimulatorServer, normalize_seed
from neo_simulator.faults import FAULT_KINDS, FaultQueue
from neo_simulator.listing import decode_cursor

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
DOCS = REPO_ROOT / "docs" / "simulator.md"
MIB = 1024 * 1024

ALICE_KEY = "neo_sk_hostileAliceKey0000000000000000"
ALICE_TOKEN = "eyJhostile.alice-token.signature"
CAROL_KEY = "neo_sk_hostileCarolKey0000000000000000"  # carol has no secret and no project: short list bodies
ALICE = {"X-Api-Key": ALICE_KEY}
CAROL = {"X-Api-Key": CAROL_KEY}
PROJECT = "dddddddd-0000-4000-8000-000000000001"
PERSONAL = ["5ec00000-0000-4000-8000-00000000010%d" % number for number in range(1, 6)]
SECRET_FIELDS = {"id", "name", "masked_value", "default_available", "created_at", "updated_at", "created_by_agent", "project_id"}
SEED = {
    "users": [{"name": "alice", "api_keys": [ALICE_KEY], "tokens": [ALICE_TOKEN]}, {"name": "carol", "api_keys": [CAROL_KEY]}],
    "projects": [{"id": PROJECT, "name": "Hostile", "owner": "alice", "members": ["alice"]}],
    "secrets": [{"id": secret_id, "name": "SECRET_%d" % number, "value": "hostile-value-%d" % number, "owner": "alice",
                 "project_id": None} for number, secret_id in enumerate(PERSONAL, 1)]
    + [{"id": "5ec00000-0000-4000-8000-000000000201", "name": "IN_PROJECT", "value": "hostile-project-value", "owner": "alice",
        "project_id": PROJECT}],
}
EMPTY_LIST_BODY = b'{"secrets":[],"count":0}'  # carol's personal secrets


@pytest.fixture(name="server", scope="module")
def server_fixture(tmp_path_factory):
    log = tmp_path_factory.mktemp("hostile") / "requests.log"
    with SimulatorServer(SEED, log=str(log)) as server:
        server.log_path = log
        yield server


@pytest.fixture(name="sim")
def sim_fixture(server):
    server.reset()
    return server


def faults(sim, *rules):
    response = requests.post(sim.url + "/_sim/faults", json={"faults": list(rules)}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["faults"]


def configure(sim, **config):
    response = requests.post(sim.url + "/_sim/config", json=config, timeout=10)
    assert response.status_code == 200, response.text


def call(sim, method, path, headers=None, **kwargs):
    return requests.request(method, sim.url + path, headers=ALICE if headers is None else headers, timeout=10, **kwargs)


def counters(sim):
    return sim.counters.snapshot()


def names(body):
    return [item["name"] for item in body["secrets"]]


def open_request(sim, method, path, headers, body=b""):
    """A raw HTTP/1.1 request on a new connection; returns (socket, its binary reader)."""
    sock = socket.create_connection(("127.0.0.1", sim.port), timeout=10)
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1", "Content-Length: %d" % len(body)]
    lines += ["%s: %s" % header for header in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    return sock, sock.makefile("rb")


def read_head(reader):
    """(status, headers with lower-case names) of a response."""
    status = int(reader.readline().split()[1])
    headers = {}
    for line in iter(reader.readline, b"\r\n"):
        name, _sep, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def read_chunks(reader):
    """The sizes of the chunks of a chunked body, and the body."""
    sizes, body = [], b""
    while True:
        size = int(reader.readline().strip(), 16)
        if size == 0:
            assert reader.readline() == b"\r\n"
            return sizes, body
        sizes.append(size)
        body += reader.read(size)
        assert reader.read(2) == b"\r\n"


def handler_threads():
    return {thread for thread in threading.enumerate() if "process_request" in thread.name}


def wait_until(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# --- validation ------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule, message", [
    ({"kind": "status", "skip": -1}, "fault skip must be an integer of at least 0"),
    ({"kind": "status", "skip": "1"}, "fault skip must be an integer of at least 0"),
    ({"kind": "status", "skip": True}, "fault skip must be an integer of at least 0"),
    ({"kind": "status", "echo_credentials": "yes"}, "fault echo_credentials must be true or false"),
    ({"kind": "deep_json", "depth": 0}, "fault depth must be an integer of at least 1"),
    ({"kind": "deep_json", "depth": 10 ** 8}, "fault depth must be at most 10000000"),
    ({"kind": "endless", "repeat_cursor": None}, "fault repeat_cursor must be true or false"),
    ({"kind": "trickle", "chunked": 1}, "fault chunked must be true or false"),
    ({"kind": "trickle", "delay_s": -0.1}, "fault delay_s must be a number of at least 0"),
    ({"kind": "oversized", "size_mb": 0}, "fault size_mb must be a number greater than 0"),
    ({"kind": "oversized", "size_mb": "2"}, "fault size_mb must be a number greater than 0"),
    ({"kind": "sideways"}, "fault kind must be one of"),
])
def test_invalid_new_keys_are_rejected_with_a_clear_message(sim, rule, message):
    response = requests.post(sim.url + "/_sim/faults", json={"faults": [rule]}, timeout=10)
    assert response.status_code == 400 and message in response.json()["message"]


def test_infinite_numbers_are_rejected(sim):
    # Python's JSON decoder reads Infinity; a rule must not accept it as a size or a delay.
    for body in (b'{"faults": [{"kind": "oversized", "size_mb": Infinity}]}', b'{"faults": [{"kind": "trickle", "delay_s": NaN}]}'):
        assert requests.post(sim.url + "/_sim/faults", data=body, timeout=10).status_code == 400


# --- skip ------------------------------------------------------------------------------------------

def test_skip_lets_requests_through_then_fires(sim):
    rules = faults(sim, {"kind": "status", "status": 401, "method": "*", "path": "/api/", "skip": 3, "times": 2})
    assert (rules[0]["skip"], rules[0]["times"]) == (3, 2)
    statuses = [call(sim, "GET", "/api/v1/secrets").status_code for _unused in range(6)]
    assert statuses == [200, 200, 200, 401, 401, 200]
    snapshot = sim.faults.snapshot()[0]
    assert (snapshot["skip"], snapshot["times"]) == (0, 0)
    assert counters(sim)["faults_fired"] == 2 and counters(sim)["by_status"] == {"200": 4, "401": 2}


def test_a_skipped_request_can_be_hit_by_a_later_rule(sim):
    faults(sim, {"kind": "status", "status": 500, "skip": 1}, {"kind": "status", "status": 503})
    assert [call(sim, "GET", "/api/v1/secrets").status_code for _unused in range(3)] == [503, 500, 200]


def test_skip_is_exact_under_concurrency(sim):
    faults(sim, {"kind": "status", "status": 401, "skip": 20, "times": 1000})
    statuses, lock = [], threading.Lock()

    def client():
        with requests.Session() as http:
            for _unused in range(10):
                status = http.get(sim.url + "/api/v1/secrets", headers=ALICE, timeout=10).status_code
                with lock:
                    statuses.append(status)

    threads = [threading.Thread(target=client) for _unused in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (statuses.count(200), statuses.count(401)) == (20, 60)
    assert counters(sim)["faults_fired"] == 60 and counters(sim)["total"] == 80


# --- echo_credentials and 407 ----------------------------------------------------------------------

def test_echo_credentials_quotes_the_credential_headers(sim):
    faults(sim, {"kind": "status", "status": 403, "echo_credentials": True, "times": 2}, {"kind": "status", "status": 403})
    by_key = call(sim, "GET", "/api/v1/secrets").json()
    assert by_key["message"] == "forbidden request: denied for X-Api-Key: " + ALICE_KEY
    by_token = call(sim, "GET", "/api/v1/secrets", headers={"Authorization": "Bearer " + ALICE_TOKEN}).json()
    assert by_token["message"] == "forbidden request: denied for Authorization: Bearer " + ALICE_TOKEN
    plain = call(sim, "GET", "/api/v1/secrets")
    assert plain.json()["message"] == "forbidden request: injected fault" and ALICE_KEY not in plain.text
    log = sim.log_path.read_text(encoding="utf-8")
    assert ALICE_KEY not in log and ALICE_TOKEN not in log and "X-Api-Key" not in log


def test_407_carries_proxy_authenticate(sim):
    faults(sim, {"kind": "status", "status": 407})
    response = call(sim, "GET", "/api/v1/projects")
    assert response.status_code == 407
    assert response.headers["Proxy-Authenticate"] == 'Basic realm="neo-proxy"'
    body = response.json()
    expected = ("proxy_auth_required", "Proxy Authentication Required", "proxy authentication required: injected fault")
    assert (body["code"], body["error"], body["message"]) == expected


# --- deep_json -------------------------------------------------------------------------------------

def test_deep_json_applies_the_patch_and_nests_the_answer(sim):
    faults(sim, {"kind": "deep_json", "method": "PATCH", "depth": 5000})
    response = call(sim, "PATCH", "/api/v1/secrets/" + PERSONAL[0], json={"default_available": True})
    assert response.status_code == 200
    assert response.content == b'{"a":' * 5000 + b"1" + b"}" * 5000
    assert next(s for s in sim.store.snapshot()["secrets"] if s["id"] == PERSONAL[0])["default_available"] is True


def test_deep_json_on_a_list_and_a_post_with_the_default_depth(sim):
    faults(sim, {"kind": "deep_json", "times": 2})
    listed = call(sim, "GET", "/api/v1/secrets")
    assert listed.status_code == 200 and len(listed.content) == 6 * 100000 + 1
    assert listed.content.count(b"{") == 100000 and listed.content.endswith(b"1" + b"}" * 100000)
    created = call(sim, "POST", "/api/v1/secrets", json={"name": "DEEP", "value": "value-of-deep"})
    assert created.status_code == 200 and created.content.startswith(b'{"a":{"a":')
    assert "DEEP" in [s["name"] for s in sim.store.snapshot()["secrets"]]
    assert counters(sim)["faults_fired"] == 2


# --- shift -----------------------------------------------------------------------------------------

def test_shift_hides_one_item_between_pages(sim):
    configure(sim, pagination="offset_total", page_size=2)
    faults(sim, {"kind": "shift", "times": 1})
    assert call(sim, "PATCH", "/api/v1/secrets/" + PERSONAL[0], json={"default_available": True}).status_code == 200
    first = call(sim, "GET", "/api/v1/secrets").json()
    assert (names(first), first["total"]) == (["SECRET_1", "SECRET_2"], 5)
    assert sim.faults.snapshot()[0]["times"] == 1 and counters(sim)["faults_fired"] == 0  # PATCH and page 1 use nothing up
    second = call(sim, "GET", "/api/v1/secrets", params={"offset": 2}).json()
    assert (names(second), second["total"], second["count"]) == (["SECRET_4", "SECRET_5"], 4, 4)  # SECRET_3 slid onto page 1
    assert counters(sim)["faults_fired"] == 1
    assert names(call(sim, "GET", "/api/v1/secrets", params={"offset": 2}).json()) == ["SECRET_3", "SECRET_4"]  # used up


def test_shift_with_cursor_and_offset_pagination(sim):
    configure(sim, pagination="cursor", page_size=2)
    faults(sim, {"kind": "shift", "times": 1})
    first = call(sim, "GET", "/api/v1/secrets").json()
    second = call(sim, "GET", "/api/v1/secrets", params={"cursor": first["next_cursor"]}).json()
    assert names(first) + names(second) == ["SECRET_1", "SECRET_2", "SECRET_4", "SECRET_5"] and second["next_cursor"] is None
    configure(sim, pagination="offset")
    faults(sim, {"kind": "shift", "times": 1})
    second = call(sim, "GET", "/api/v1/secrets", params={"offset": 2}).json()
    assert names(second) == ["SECRET_4", "SECRET_5"] and second["has_more"] is False


def test_shift_never_fires_without_pagination(sim):
    faults(sim, {"kind": "shift"})
    assert len(call(sim, "GET", "/api/v1/secrets", params={"offset": 2}).json()["secrets"]) == 5
    assert sim.faults.snapshot()[0]["times"] == 1


# --- endless ---------------------------------------------------------------------------------------

def test_endless_offset_gives_fresh_valid_items_forever(sim):
    configure(sim, pagination="offset", page_size=3)
    faults(sim, {"kind": "endless", "times": 100000})
    assert call(sim, "PATCH", "/api/v1/secrets/" + PERSONAL[0], json={"default_available": True}).status_code == 200
    seen_ids, seen_names, offset = set(), set(), 0
    for _unused in range(20):
        body = call(sim, "GET", "/api/v1/secrets", params={"offset": offset}).json()
        assert body["has_more"] is True and len(body["secrets"]) == 3 and body["offset"] == offset
        for item in body["secrets"]:
            assert set(item) == SECRET_FIELDS and item["masked_value"] == "****" and item["default_available"] is False
            assert re.fullmatch(r"ENDLESS_\d+", item["name"]) and item["project_id"] is None
            seen_ids.add(item["id"])
            seen_names.add(item["name"])
        offset += 3
    assert len(seen_ids) == len(seen_names) == 60
    assert counters(sim)["faults_fired"] == 20 and sim.faults.snapshot()[0]["times"] == 100000 - 20


def test_endless_total_and_projects(sim):
    configure(sim, pagination="offset_total", list_form="data", page_size=4)
    faults(sim, {"kind": "endless", "times": 100000})
    body = call(sim, "GET", "/api/v1/projects", params={"offset": 8, "limit": 2}).json()
    assert len(body["data"]) == 2 and body["total"] > 10 and {"id", "name"} <= set(body["data"][0])
    project_secrets = call(sim, "GET", "/api/v1/secrets", params={"project_id": PROJECT}).json()["data"]
    assert len(project_secrets) == 4 and {s["project_id"] for s in project_secrets} == {PROJECT}


def test_endless_cursor_advances_or_repeats(sim):
    configure(sim, pagination="cursor", page_size=2)
    faults(sim, {"kind": "endless", "times": 100000})
    cursors, ids, params = [], set(), {}
    for _unused in range(5):
        body = call(sim, "GET", "/api/v1/secrets", params=params).json()
        cursors.append(body["next_cursor"])
        ids.update(item["id"] for item in body["secrets"])
        params = {"cursor": body["next_cursor"]}
    assert len(set(cursors)) == 5 and len(ids) == 10 and all(decode_cursor(cursor) > 0 for cursor in cursors)
    faults(sim, {"kind": "endless", "times": 100000, "repeat_cursor": True})
    cursors, ids, params = [], set(), {}
    for _unused in range(5):
        body = call(sim, "GET", "/api/v1/secrets", params=params).json()
        cursors.append(body["next_cursor"])
        ids.update(item["id"] for item in body["secrets"])
        params = {"cursor": body["next_cursor"]}
    assert len(set(cursors)) == 1 and len(ids) == 10


@pytest.mark.parametrize("list_form", ["bare", "items"])
def test_endless_without_pagination_is_a_named_envelope_with_has_more(sim, list_form):
    configure(sim, list_form=list_form, page_size=5)
    faults(sim, {"kind": "endless", "times": 100000})
    body = call(sim, "GET", "/api/v1/secrets").json()
    assert body["has_more"] is True and len(body["secrets"]) == 5 and body["count"] > 5


# --- trickle ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("chunked", [False, True])
def test_trickle_sends_one_byte_per_delay(sim, chunked):
    faults(sim, {"kind": "trickle", "delay_s": 0.05, "chunked": chunked})
    sock, reader = open_request(sim, "GET", "/api/v1/secrets", CAROL)
    with sock, reader:
        started = time.monotonic()
        status, headers = read_head(reader)
        head_s = time.monotonic() - started
        if chunked:
            assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
            sizes, body = read_chunks(reader)
            assert sizes == [1] * len(EMPTY_LIST_BODY)
        else:
            assert headers["content-length"] == str(len(EMPTY_LIST_BODY)) and "transfer-encoding" not in headers
            body = reader.read(len(EMPTY_LIST_BODY))
        body_s = time.monotonic() - started - head_s
    assert status == 200 and body == EMPTY_LIST_BODY
    assert head_s < 0.5
    assert 0.9 * 0.05 * (len(EMPTY_LIST_BODY) - 1) <= body_s < 0.05 * len(EMPTY_LIST_BODY) + 1.5


def test_trickle_applies_and_a_client_closing_frees_the_thread(sim):
    faults(sim, {"kind": "trickle", "method": "PATCH", "delay_s": 0.1})
    before = handler_threads()
    sock, reader = open_request(sim, "PATCH", "/api/v1/secrets/" + PERSONAL[1], ALICE, b'{"default_available": true}')
    with sock, reader:
        status, headers = read_head(reader)
        assert status == 200 and int(headers["content-length"]) > 100  # about 20 s of trickle left
        assert reader.read(1) == b"{"
    assert next(s for s in sim.store.snapshot()["secrets"] if s["id"] == PERSONAL[1])["default_available"] is True
    assert wait_until(lambda: not handler_threads() - before, 3), "the trickling handler did not notice the closed connection"
    assert call(sim, "GET", "/api/v1/secrets").status_code == 200
    assert counters(sim)["by_route"] == {"PATCH /api/v1/secrets/{id}": 1, "GET /api/v1/secrets": 1}


def test_stop_is_prompt_while_a_trickle_is_in_progress():
    server = SimulatorServer(SEED).start()
    faults(server, {"kind": "trickle", "delay_s": 1.0})
    before = handler_threads()
    sock, reader = open_request(server, "GET", "/api/v1/secrets", ALICE)
    with sock, reader:
        assert read_head(reader)[0] == 200
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.5
        sock.settimeout(3)
        assert len(reader.read()) < 5  # the body was cut off: the connection ends instead of trickling on
    assert wait_until(lambda: not handler_threads() - before, 2)


# --- oversized -------------------------------------------------------------------------------------

def test_oversized_sends_size_mb_of_json(sim):
    faults(sim, {"kind": "oversized", "size_mb": 2})
    with call(sim, "GET", "/api/v1/secrets", stream=True) as response:
        assert response.status_code == 200 and response.headers["Content-Length"] == str(2 * MIB)
        body = b"".join(response.iter_content(256 * 1024))
    assert len(body) == 2 * MIB
    assert set(json.loads(body)) == {"pad"}
    assert counters(sim)["by_status"] == {"200": 1} and counters(sim)["faults_fired"] == 1


def test_oversized_client_closing_early_is_handled(sim):
    faults(sim, {"kind": "oversized", "size_mb": 64, "method": "PATCH"})
    before = handler_threads()
    sock, reader = open_request(sim, "PATCH", "/api/v1/secrets/" + PERSONAL[2], ALICE, b'{"default_available": true}')
    with sock, reader:
        status, headers = read_head(reader)
        assert status == 200 and headers["content-length"] == str(64 * MIB)
        assert reader.read(65536).startswith(b'{"pad": "xxx')
    assert wait_until(lambda: not handler_threads() - before, 3)
    # Not applied: the answer replaces the request, as for malformed.
    assert next(s for s in sim.store.snapshot()["secrets"] if s["id"] == PERSONAL[2])["default_available"] is False
    assert call(sim, "GET", "/api/v1/secrets").status_code == 200


# --- counters and log ------------------------------------------------------------------------------

def test_every_request_is_counted_once_and_only_firings_count_as_faults(sim):
    configure(sim, pagination="offset", page_size=2)
    faults(sim, {"kind": "shift"}, {"kind": "endless", "skip": 1, "times": 1}, {"kind": "deep_json", "method": "PATCH", "depth": 3})
    call(sim, "GET", "/api/v1/secrets")  # shift: first page passes; endless: skipped
    call(sim, "GET", "/api/v1/secrets")  # endless fires
    call(sim, "GET", "/api/v1/secrets", params={"offset": 2})  # shift fires
    call(sim, "PATCH", "/api/v1/secrets/" + PERSONAL[0], json={"default_available": True})  # deep_json fires
    call(sim, "GET", "/api/v1/secrets", params={"offset": 2})  # nothing left
    snapshot = counters(sim)
    assert (snapshot["total"], snapshot["faults_fired"]) == (5, 3)
    assert snapshot["by_route"] == {"GET /api/v1/secrets": 4, "PATCH /api/v1/secrets/{id}": 1}
    lines = sim.log_path.read_text(encoding="utf-8").splitlines()
    assert lines[-1].split()[1:4] == ["GET", "/api/v1/secrets?offset=2", "200"]


# --- docs/simulator.md examples --------------------------------------------------------------------

def _docs_section(heading):
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("\n" + heading + "\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else None]


def test_seed_example_in_the_docs_loads():
    block = re.search(r"```yaml\n(.*?)```", _docs_section("## Seed format"), re.S).group(1)
    seed = normalize_seed(yaml.safe_load(block))
    assert [user["name"] for user in seed["users"]] == ["alice", "bob"]
    assert seed["projects"][0]["members"] == ["alice", "bob"] and len(seed["secrets"]) == 1
    with SimulatorServer(seed):
        pass  # and a server takes it


def test_fault_examples_in_the_docs_are_accepted_and_cover_every_kind():
    section = _docs_section("## Faults")
    rules = []
    for block in re.findall(r"```json\n(.*?)```", section, re.S):
        try:
            rules.append(json.loads(block))  # one rule over several lines
        except ValueError:
            rules += [json.loads(line) for line in block.splitlines() if line.strip()]  # one rule per line
    FaultQueue().replace(rules)
    assert {rule["kind"] for rule in rules} == set(FAULT_KINDS)
    for key in ("skip", "echo_credentials", "depth", "repeat_cursor", "chunked", "size_mb"):
        assert "| `%s` |" % key in section and any(key in rule for rule in rules), key
