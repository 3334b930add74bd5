"""The simulator's faults that make a write's answer lie or lag (rewrite, answer_other, ignore_id,
invisible, move_to), against an in-process SimulatorServer."""
from __future__ import annotations

import pytest
import requests

from neo_simulator import SimulatorServer

ALICE_KEY = "neo_sk_answersAliceKey000000000000000"
ALICE = {"X-Api-Key": ALICE_KEY}
FIRST = "eeeeeeee-0000-4000-8000-000000000001"
SECOND = "eeeeeeee-0000-4000-8000-000000000002"
ASKED = "eeeeeeee-0000-4000-8000-0000000000aa"
SEED = {
    "users": [{"name": "alice", "api_keys": [ALICE_KEY]}],
    "projects": [{"id": FIRST, "name": "First", "owner": "alice", "members": ["alice"], "tags": ["one"]},
                 {"id": SECOND, "name": "Second", "owner": "alice", "members": ["alice"]}],
    "secrets": [{"id": "5ec00000-0000-4000-8000-0000000000%02d" % number, "name": "KEPT_%d" % number, "value": "answers-value-%d" % number,
                 "owner": "alice", "project_id": FIRST} for number in (1, 2)],
}
NEW_SECRET = {"name": "NEW_ONE", "value": "answers-new-value", "project_id": FIRST}


@pytest.fixture(name="sim", scope="module")
def sim_fixture():
    with SimulatorServer(SEED) as server:
        yield server


@pytest.fixture(autouse=True)
def _reset(sim):
    sim.reset()


def faults(sim, *rules):
    response = requests.post(sim.url + "/_sim/faults", json={"faults": list(rules)}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["faults"]


def call(sim, method, path, **kwargs):
    return requests.request(method, sim.url + path, headers=ALICE, timeout=10, **kwargs)


def state(sim):
    return requests.get(sim.url + "/_sim/state", timeout=10).json()


def listed(sim, project_id=FIRST):
    return [item["name"] for item in call(sim, "GET", "/api/v1/secrets", params={"project_id": project_id}).json()["secrets"]]


def test_rewrite_sets_and_unsets_fields_of_every_list_item_or_only_the_named_one(sim):
    faults(sim, {"kind": "rewrite", "method": "GET", "path": "/api/v1/secrets", "set": {"created_by_agent": "true"}, "unset": ["masked_value"]},
           {"kind": "rewrite", "method": "GET", "path": "/api/v1/projects", "match_name": "Second", "set": {"tags": "not-a-list"}})
    secrets = call(sim, "GET", "/api/v1/secrets", params={"project_id": FIRST}).json()["secrets"]
    assert [(item["created_by_agent"], "masked_value" in item) for item in secrets] == [("true", False), ("true", False)]
    projects = call(sim, "GET", "/api/v1/projects").json()["projects"]
    assert [project["tags"] for project in projects] == [["one"], "not-a-list"]
    # times counts responses: both rules are used up, the next reads are true again
    assert call(sim, "GET", "/api/v1/secrets", params={"project_id": FIRST}).json()["secrets"][0]["created_by_agent"] is False
    assert sim.counters.snapshot()["faults_fired"] == 2


@pytest.mark.parametrize("list_form", ["bare", "data", "items"])
def test_rewrite_finds_the_items_of_any_envelope(sim, list_form):
    requests.post(sim.url + "/_sim/config", json={"list_form": list_form}, timeout=10).raise_for_status()
    faults(sim, {"kind": "rewrite", "method": "GET", "set": {"name": "REWRITTEN"}})
    body = call(sim, "GET", "/api/v1/secrets", params={"project_id": FIRST}).json()
    items = body if list_form == "bare" else body[list_form]
    assert [item["name"] for item in items] == ["REWRITTEN", "REWRITTEN"]


def test_rewrite_of_a_post_answer_changes_the_answer_not_the_store(sim):
    faults(sim, {"kind": "rewrite", "method": "POST", "path": "/api/v1/secrets", "unset": ["id"], "set": {"project_id": SECOND}},
           {"kind": "rewrite", "method": "POST", "path": "/api/v1/projects", "set": {"name": "Lie"}})
    answer = call(sim, "POST", "/api/v1/secrets", json=NEW_SECRET)
    assert answer.status_code == 201 and "id" not in answer.json() and answer.json()["project_id"] == SECOND
    project = call(sim, "POST", "/api/v1/projects", json={"id": ASKED, "name": "Truth"}).json()["project"]
    assert (project["id"], project["name"]) == (ASKED, "Lie")
    stored = state(sim)
    assert [s["project_id"] for s in stored["secrets"] if s["name"] == "NEW_ONE"] == [FIRST]
    assert [p["name"] for p in stored["projects"] if p["id"] == ASKED] == ["Truth"]


def test_answer_other_applies_the_write_and_answers_with_the_first_other_object(sim):
    faults(sim, {"kind": "answer_other", "method": "POST", "path": "/api/v1/projects"},
           {"kind": "answer_other", "method": "POST", "path": "/api/v1/secrets"},
           {"kind": "answer_other", "method": "PATCH", "path": "/api/v1/projects/"})
    project = call(sim, "POST", "/api/v1/projects", json={"id": ASKED, "name": "Asked"})
    assert project.status_code == 201 and project.json()["project"]["id"] == FIRST
    secret = call(sim, "POST", "/api/v1/secrets", json=NEW_SECRET).json()
    assert secret["name"] == "KEPT_1"
    patched = call(sim, "PATCH", "/api/v1/projects/" + FIRST, json={"name": "Renamed"}).json()["project"]
    assert patched["id"] == SECOND
    stored = state(sim)
    assert [p["name"] for p in stored["projects"]] == ["Renamed", "Second", "Asked"]
    assert "NEW_ONE" in listed(sim)


def test_answer_other_is_not_used_up_by_a_read(sim):
    rules = faults(sim, {"kind": "answer_other", "method": "*", "path": "/api/v1/projects"})
    call(sim, "GET", "/api/v1/projects")
    assert requests.get(sim.url + "/_sim/faults", timeout=10).json()["faults"][0]["times"] == rules[0]["times"] == 1


def test_ignore_id_creates_the_project_with_a_fresh_id(sim):
    faults(sim, {"kind": "ignore_id", "method": "POST", "path": "/api/v1/projects"})
    project = call(sim, "POST", "/api/v1/projects", json={"id": ASKED, "name": "Asked"}).json()["project"]
    assert project["id"] not in (ASKED, FIRST, SECOND) and project["name"] == "Asked"
    assert [p["id"] for p in state(sim)["projects"]] == [FIRST, SECOND, project["id"]]


def test_invisible_hides_the_created_secret_from_the_next_reads_of_its_scope(sim):
    # The rewrite first in the queue: the object hidden is still the one really created.
    faults(sim, {"kind": "rewrite", "method": "POST", "path": "/api/v1/secrets", "unset": ["id"]},
           {"kind": "invisible", "method": "POST", "path": "/api/v1/secrets", "reads": 2})
    answer = call(sim, "POST", "/api/v1/secrets", json=NEW_SECRET)
    assert answer.status_code == 201 and "id" not in answer.json()  # 201 without an id, not listed yet
    assert call(sim, "GET", "/api/v1/secrets").json()["count"] == 0  # another scope: not a read of its scope
    body = call(sim, "GET", "/api/v1/secrets", params={"project_id": FIRST}).json()
    assert ([item["name"] for item in body["secrets"]], body["count"]) == (["KEPT_1", "KEPT_2"], 2)
    assert listed(sim) == ["KEPT_1", "KEPT_2"]
    assert listed(sim) == ["KEPT_1", "KEPT_2", "NEW_ONE"]
    assert sim.counters.snapshot()["faults_fired"] == 2


def test_invisible_project_and_paged_reads(sim):
    requests.post(sim.url + "/_sim/config", json={"pagination": "offset_total", "page_size": 2}, timeout=10).raise_for_status()
    faults(sim, {"kind": "invisible", "method": "POST", "path": "/api/v1/projects", "reads": 1})
    call(sim, "POST", "/api/v1/projects", json={"id": ASKED, "name": "Asked"})
    page = call(sim, "GET", "/api/v1/projects").json()
    assert ([p["id"] for p in page["projects"]], page["total"]) == ([FIRST, SECOND], 2)
    page = call(sim, "GET", "/api/v1/projects", params={"offset": 2}).json()
    assert ([p["id"] for p in page["projects"]], page["total"]) == ([ASKED], 3)


@pytest.mark.parametrize("target", [None, SECOND])
def test_move_to_stores_the_secret_in_another_scope_and_says_so(sim, target):
    faults(sim, {"kind": "move_to", "method": "POST", "path": "/api/v1/secrets", "project_id": target})
    answer = call(sim, "POST", "/api/v1/secrets", json=NEW_SECRET)
    assert answer.status_code == 201 and answer.json()["project_id"] == target
    assert [s["project_id"] for s in state(sim)["secrets"] if s["name"] == "NEW_ONE"] == [target]
    assert "NEW_ONE" not in listed(sim)


def test_modifiers_stack_with_one_other_rule_and_an_error_answer_is_left_alone(sim):
    faults(sim, {"kind": "slow", "method": "POST", "delay_s": 0},
           {"kind": "rewrite", "method": "POST", "path": "/api/v1/secrets", "set": {"name": "LIE"}, "times": 2})
    assert call(sim, "POST", "/api/v1/secrets", json=NEW_SECRET).json()["name"] == "LIE"
    conflict = call(sim, "POST", "/api/v1/secrets", json=NEW_SECRET)
    assert conflict.status_code == 409 and conflict.json()["code"] == "already_exists"
    assert [rule["times"] for rule in requests.get(sim.url + "/_sim/faults", timeout=10).json()["faults"]] == [0, 0]


@pytest.mark.parametrize("rule, message", [
    ({"kind": "rewrite", "set": ["id"]}, "fault set must be an object"),
    ({"kind": "rewrite", "unset": "id"}, "fault unset must be a list of field names"),
    ({"kind": "rewrite", "match_name": 3}, "fault match_name must be a string or null"),
    ({"kind": "invisible", "reads": 0}, "fault reads must be an integer of at least 1"),
    ({"kind": "move_to", "project_id": "nope"}, "fault project_id must be a UUID or null"),
])
def test_invalid_keys_of_the_answer_faults_are_rejected(sim, rule, message):
    response = requests.post(sim.url + "/_sim/faults", json={"faults": [rule]}, timeout=10)
    assert response.status_code == 400 and message in response.json()["message"]
