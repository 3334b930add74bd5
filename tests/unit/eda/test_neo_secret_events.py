"""The event source projectdiscovery.neo.neo_secret_events, run as ansible-rulebook runs it.

ansible-rulebook loads the source file with ``runpy.run_path`` and awaits ``main(queue, args)``;
these tests do the same with a queue that collects the events, against the simulator (``sim``).
The source's loop (``poll_forever``) sleeps between polls; ``run_source`` gives it a sleep that
records the wait, changes the simulator between polls and ends the source after the last poll.
"""
from __future__ import annotations

import asyncio
import functools
import json
import os
import pathlib
import subprocess
import sys

import pytest
import requests
import yaml

from tests.conftest import (
    ALICE_KEY,
    ALICE_TOKEN,
    BASIC_SEED,
    CANARY,
    ANSIBLE_COLLECTIONS_ROOT,
    PROJECT_PRODUCTION,
    PROJECT_RED_TEAM,
    PROJECT_STAGING,
    SECRET_PERSONAL_GITHUB,
    SECRET_PROD_AWS,
    SECRET_PROD_DB,
    SECRET_STAGING_GITHUB,
)

SOURCE_PATH = pathlib.Path(__file__).resolve().parents[3] / "extensions" / "eda" / "plugins" / "event_source" / "neo_secret_events.py"


def load_source(path):
    """What ``runpy.run_path`` (ansible-rulebook's loader) returns for a plain file: the module's globals.

    Done by hand: under ansible-test the collection loader's path hook claims every path inside
    ansible_collections, and run_path would then look for a ``__main__`` module there.
    """
    namespace = {"__name__": "<run_path>", "__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # pylint: disable=exec-used
    return namespace


SOURCE = load_source(SOURCE_PATH)
SECRET_PROD_GITHUB = "5ec00000-0000-4000-8000-000000000013"
EVENT_FIELDS = {"type", "id", "name", "project_id", "project_name", "default_available", "previous_default_available", "created_by_agent"}
DRIFT_FIELDS = EVENT_FIELDS | {"expected_default_available", "rule"}
PRODUCTION_OPT_IN = [{"name": "production is opt-in", "match": ["*"], "project_tags": ["prod"], "default_available": False}]

EVENTS = []  # every event of the current test, checked for leaks after it


@pytest.fixture(autouse=True)
def no_secret_material_in_events():
    del EVENTS[:]
    yield
    text = json.dumps(EVENTS, ensure_ascii=False)
    for needle in (CANARY, "masked_value", "\u2022", ALICE_KEY, ALICE_TOKEN, "value\": \"", "api_key"):
        assert needle not in text, "an event holds %r: %s" % (needle, text)


class CollectingQueue:
    """What ansible-rulebook's queue is to a source: something with ``async put``."""

    def __init__(self):
        self.events = []

    async def put(self, event):
        self.events.append(event)
        EVENTS.append(event)


class EndOfTest(Exception):
    """Raised by the test's sleep after the last poll: the source's loop never ends by itself."""


def run_main(arguments, polls, on_poll=None):
    """Await ``main(queue, arguments)`` for ``polls`` polls; return (events, waits). ``on_poll(n)`` runs after poll n."""
    waits = []

    async def sleep(seconds):
        if len(waits) + 1 == polls:
            raise EndOfTest
        waits.append(seconds)
        if on_poll is not None:
            on_poll(len(waits))

    queue = CollectingQueue()
    loop = SOURCE["poll_forever"]
    SOURCE["poll_forever"] = functools.partial(loop, sleep=sleep)
    try:
        with pytest.raises(EndOfTest):
            asyncio.run(SOURCE["main"](queue, arguments))
    finally:
        SOURCE["poll_forever"] = loop
    return queue.events, waits


def run_source(sim, polls, on_poll=None, **args):
    """The source against the simulator, as alice, with an interval of 1 s (see run_main)."""
    return run_main(dict({"api_url": sim.url, "api_key": ALICE_KEY, "interval": 1}, **args), polls, on_poll)


def api(sim, method, path, payload=None):
    response = requests.request(method, sim.url + path, json=payload, headers={"X-Api-Key": ALICE_KEY}, timeout=10)
    response.raise_for_status()
    return response.json()


def set_flag(sim, secret_id, value):
    api(sim, "PATCH", "/api/v1/secrets/" + secret_id, {"default_available": value})


def kinds(events):
    return [next(iter(event)) if EVENT_KEY not in event else event[EVENT_KEY]["type"] for event in events]


EVENT_KEY = SOURCE["EVENT_KEY"]


def at_poll(number, action):
    """An ``on_poll`` function running ``action()`` after poll ``number``."""
    def hook(poll):
        if poll == number:
            action()
    return hook


def after_polls(actions):
    def hook(poll):
        if poll in actions:
            actions[poll]()
    return hook


# ---------------------------------------------------------------------- changes

def test_first_poll_is_a_baseline(sim):
    events, waits = run_source(sim, 2)
    assert events == []
    assert len(waits) == 1 and 0.9 < waits[0] <= 1


def test_a_flag_flipped_between_two_polls_gives_exactly_one_flag_changed(sim):
    events, _waits = run_source(sim, 3, on_poll=at_poll(1, lambda: set_flag(sim, SECRET_PROD_AWS, True)))
    assert events == [{"neo_secret": {
        "type": "flag_changed", "id": SECRET_PROD_AWS, "name": "AWS_SECRET_ACCESS_KEY", "project_id": PROJECT_PRODUCTION,
        "project_name": "Production", "default_available": True, "previous_default_available": False, "created_by_agent": False}}]


def test_a_flag_flipped_and_flipped_back_between_two_polls_is_no_change(sim):
    def flip_twice():
        set_flag(sim, SECRET_PROD_AWS, True)
        set_flag(sim, SECRET_PROD_AWS, False)
    events, _waits = run_source(sim, 2, on_poll=at_poll(1, flip_twice))
    assert events == []


def test_a_created_and_a_removed_secret_give_one_event_each(sim):
    def create():
        api(sim, "POST", "/api/v1/secrets", {"name": "AGENT_MADE_TOKEN", "value": "tok-CANARY-created-0001", "project_id": PROJECT_STAGING,
                                             "default_available": True, "created_by_agent": True})

    def remove():
        seed = yaml.safe_load(BASIC_SEED.read_text())
        seed["secrets"] = [secret for secret in seed["secrets"] if secret["id"] != SECRET_PROD_DB]
        sim.admin("POST", "seed", seed)  # the simulator has no DELETE: the state without that secret

    events, _waits = run_source(sim, 4, on_poll=after_polls({1: remove, 2: create}))
    assert kinds(events) == ["removed", "created"]
    removed, created = events[0]["neo_secret"], events[1]["neo_secret"]
    assert set(created) == EVENT_FIELDS
    assert created["name"] == "AGENT_MADE_TOKEN" and created["project_id"] == PROJECT_STAGING and created["project_name"] == "Staging"
    assert created["default_available"] is True and created["previous_default_available"] is None and created["created_by_agent"] is True
    assert removed == {"type": "removed", "id": SECRET_PROD_DB, "name": "PROD_DB_PASSWORD", "project_id": PROJECT_PRODUCTION,
                       "project_name": "Production", "default_available": None, "previous_default_available": True,
                       "created_by_agent": False}


def test_personal_secrets_and_project_selection(sim):
    def flips():
        set_flag(sim, SECRET_PERSONAL_GITHUB, False)
        set_flag(sim, SECRET_PROD_AWS, True)
        set_flag(sim, "5ec00000-0000-4000-8000-000000000022", True)  # Staging's GITHUB_TOKEN

    events, _waits = run_source(sim, 2, on_poll=at_poll(1, flips), projects=["Production"], personal=True)
    assert len(events) == 2 and kinds(events) == ["flag_changed", "flag_changed"]
    assert {(event["neo_secret"]["project_id"], event["neo_secret"]["id"]) for event in events} == {
        (None, SECRET_PERSONAL_GITHUB), (PROJECT_PRODUCTION, SECRET_PROD_AWS)}
    personal = next(event["neo_secret"] for event in events if event["neo_secret"]["project_id"] is None)
    assert personal["project_name"] is None and personal["default_available"] is False

    events, _waits = run_source(sim, 2, on_poll=at_poll(1, lambda: set_flag(sim, SECRET_PERSONAL_GITHUB, True)), projects=[PROJECT_STAGING.upper()],
                                personal=False)
    assert events == []


# ---------------------------------------------------------------------- drift

def test_drift_is_emitted_once_and_again_only_after_it_was_resolved_and_came_back(sim):
    actions = {
        2: lambda: set_flag(sim, SECRET_PROD_DB, False),  # resolved (PROD_DB_PASSWORD)
        3: lambda: set_flag(sim, SECRET_PROD_DB, True),   # and back
    }
    events, _waits = run_source(sim, 5, on_poll=after_polls(actions), rules=PRODUCTION_OPT_IN)
    # Poll 1 (baseline): the two drifts that exist already; no created events.
    assert kinds(events[:2]) == ["drift", "drift"]
    baseline = {event["neo_secret"]["id"]: event["neo_secret"] for event in events[:2]}
    assert set(baseline) == {SECRET_PROD_DB, SECRET_PROD_GITHUB}
    assert baseline[SECRET_PROD_DB] == {
        "type": "drift", "id": SECRET_PROD_DB, "name": "PROD_DB_PASSWORD", "project_id": PROJECT_PRODUCTION, "project_name": "Production",
        "default_available": True, "previous_default_available": None, "created_by_agent": False, "expected_default_available": False,
        "rule": "production is opt-in"}
    # Poll 2: nothing. Poll 3: resolved (a flag change, no drift). Poll 4: back (flag change and drift again). Poll 5: nothing.
    assert kinds(events[2:]) == ["flag_changed", "flag_changed", "drift"]
    assert events[4]["neo_secret"]["id"] == SECRET_PROD_DB and events[4]["neo_secret"]["previous_default_available"] is False
    assert set(events[4]["neo_secret"]) == DRIFT_FIELDS


def test_an_out_of_band_flip_gives_a_flag_change_then_a_drift(sim):
    rules = [{"name": "cloud keys are opt-in", "match": ["AWS_*"], "default_available": False}]
    events, _waits = run_source(sim, 3, on_poll=at_poll(1, lambda: set_flag(sim, SECRET_PROD_AWS, True)), rules=rules)
    assert kinds(events) == ["flag_changed", "drift"]
    drift = events[1]["neo_secret"]
    assert drift["id"] == SECRET_PROD_AWS and drift["expected_default_available"] is False and drift["rule"] == "cloud keys are opt-in"


def test_exceptions_decide_before_rules(sim):
    exceptions = [{"name": "PROD_DB_PASSWORD", "project": "Production", "default_available": True, "reason": "migration (SEC-1)",
                   "expires": "2999-12-31"},
                  {"secret_id": SECRET_PROD_AWS, "default_available": True, "reason": "release agent", "expires": "2999-12-31"}]
    events, _waits = run_source(sim, 1, rules=PRODUCTION_OPT_IN, exceptions=exceptions)
    by_id = {event["neo_secret"]["id"]: event["neo_secret"] for event in events}
    assert set(by_id) == {SECRET_PROD_GITHUB, SECRET_PROD_AWS}
    assert by_id[SECRET_PROD_AWS]["rule"] == "exception" and by_id[SECRET_PROD_AWS]["expected_default_available"] is True


def test_an_unquoted_yaml_date_in_expires_is_taken(sim):
    exceptions = yaml.safe_load("- {secret_id: %s, default_available: true, reason: release agent, expires: 2999-12-31}" % SECRET_PROD_AWS)
    events, _waits = run_source(sim, 1, rules=PRODUCTION_OPT_IN, exceptions=exceptions)
    by_id = {event["neo_secret"]["id"]: event["neo_secret"] for event in events}
    assert by_id[SECRET_PROD_AWS]["rule"] == "exception" and by_id[SECRET_PROD_AWS]["expected_default_available"] is True


def test_drift_of_unwatched_scopes_is_not_reported(sim):
    rules = [{"match": ["*"], "personal": True, "default_available": False}]
    events, _waits = run_source(sim, 1, rules=rules, projects=[PROJECT_STAGING], personal=False)
    assert [event["neo_secret"]["name"] for event in events] == ["STAGING_DB_PASSWORD"]
    assert events[0]["neo_secret"]["rule"] == "rule 1"


# ---------------------------------------------------------------------- faults

FAULTS = {
    "503 after retries": ({"kind": "status", "status": 503, "retry_after": "0", "times": 1000}, 503),
    "429 after retries": ({"kind": "status", "status": 429, "retry_after": "0", "times": 1000}, 429),
    "401": ({"kind": "status", "status": 401, "times": 1000}, 401),
    # The first secrets list of each failed poll is read, the others fail (a partial read).
    "one scope unreadable": ({"kind": "status", "status": 403, "method": "GET", "path": "/api/v1/secrets", "skip": 1, "times": 1000}, 403),
    "inconsistent list": ({"kind": "shift", "path": "/api/v1/secrets", "times": 1000}, None),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_streak_gives_one_error_and_one_recovery_and_no_event_from_a_partial_list(sim, fault):
    rule, status = FAULTS[fault]
    if fault == "inconsistent list":
        sim.configure(pagination="offset_total", page_size=1)

    def break_api():
        set_flag(sim, SECRET_PROD_AWS, True)  # a change the failed polls must not report
        sim.faults(rule)

    def repair():
        sim.admin("DELETE", "faults")

    events, waits = run_source(sim, 6, on_poll=after_polls({1: break_api, 4: repair}), rules=PRODUCTION_OPT_IN)
    # Poll 1: baseline drift (2). Polls 2-4 fail: one neo_error. Poll 5: recovered, then the change since poll 1, then its drift.
    assert kinds(events) == ["drift", "drift", "neo_error", "neo_recovered", "flag_changed", "drift"], events
    error = events[2]["neo_error"]
    assert set(error) == {"message", "status"} and error["status"] == status and error["message"]
    if status == 401:  # where to look: the key came from the source's arguments, not from a task
        assert error["message"].endswith("the API at %s rejected the API key given in the rulebook: check the arguments of the neo_secret_events source"
                                         % sim.url), error["message"]
    assert events[3]["neo_recovered"]["failed_polls"] == 3
    assert events[4]["neo_secret"]["id"] == SECRET_PROD_AWS
    # Back-off: interval * 2 ** failures (interval 1), after the three failed polls; then the interval again.
    assert waits[1:4] == [2, 4, 8] and len(waits) == 5 and 0.5 < waits[0] <= 1 and 0.5 < waits[4] <= 1


def test_back_off_is_capped(sim):
    sim.faults({"kind": "status", "status": 401, "times": 100000})
    events, waits = run_source(sim, 8, interval=2)
    assert kinds(events) == ["neo_error"]
    assert waits == [4, 8, 16, 20, 20, 20, 20]
    source = SOURCE["Settings"].__new__(SOURCE["Settings"])
    source.interval = 60
    assert source.backoff(1) == 120 and source.backoff(3) == 300
    source.interval = 600
    assert source.backoff(1) == 600


def test_a_rule_naming_a_project_that_disappears_is_a_fault_not_the_end(sim):
    rules = [{"match": ["*"], "projects": ["Production"], "default_available": False}]

    def rename():
        seed = yaml.safe_load(BASIC_SEED.read_text())
        seed["projects"][0]["name"] = "Prod"
        sim.admin("POST", "seed", seed)

    events, _waits = run_source(sim, 3, on_poll=at_poll(1, rename), rules=rules)
    assert kinds(events) == ["drift", "drift", "neo_error"]
    assert "no project named 'Production'" in events[2]["neo_error"]["message"] and events[2]["neo_error"]["status"] is None


def test_an_unreadable_project_named_in_projects_is_a_fault(sim):
    events, _waits = run_source(sim, 2, projects=[PROJECT_RED_TEAM])
    assert kinds(events) == ["neo_error"]
    assert events[0]["neo_error"]["status"] == 403 and PROJECT_RED_TEAM in events[0]["neo_error"]["message"]


def test_a_bug_in_a_poll_does_not_end_the_source(sim, monkeypatch):
    original = SOURCE["poll"]
    calls = []

    def flaky(client, settings):
        calls.append(1)
        if len(calls) == 2:
            raise KeyError("boom")
        return original(client, settings)

    monkeypatch.setitem(SOURCE, "poll", flaky)
    events, _waits = run_source(sim, 3)
    assert kinds(events) == ["neo_error", "neo_recovered"]
    assert "unexpected KeyError" in events[0]["neo_error"]["message"]


# ---------------------------------------------------------------------- what the API answers is not taken on trust

def seed_without(project_id):
    seed = yaml.safe_load(BASIC_SEED.read_text())
    seed["projects"] = [project for project in seed["projects"] if project["id"] != project_id]
    seed["secrets"] = [secret for secret in seed["secrets"] if secret["project_id"] != project_id]
    return seed


def test_a_renamed_and_a_moved_secret_are_removed_and_created_and_their_drift_is_evaluated_again(sim):
    staging_db = "5ec00000-0000-4000-8000-000000000021"

    def rename_and_move():
        seed = yaml.safe_load(BASIC_SEED.read_text())
        for secret in seed["secrets"]:
            if secret["id"] == SECRET_PROD_DB:
                secret["name"] = "PROD_DB_PASSWORD_V2"
            elif secret["id"] == staging_db:
                secret["project_id"] = PROJECT_PRODUCTION
        sim.admin("POST", "seed", seed)  # the API has no rename or move: the state after one

    events, _waits = run_source(sim, 3, on_poll=at_poll(1, rename_and_move), rules=PRODUCTION_OPT_IN)
    assert kinds(events[:2]) == ["drift", "drift"]  # the baseline: PROD_DB_PASSWORD and Production's GITHUB_TOKEN
    changes = [(event["neo_secret"]["type"], event["neo_secret"]["id"], event["neo_secret"]["name"], event["neo_secret"]["project_name"])
               for event in events[2:]]
    assert sorted(changes) == sorted([
        ("removed", SECRET_PROD_DB, "PROD_DB_PASSWORD", "Production"),
        ("created", SECRET_PROD_DB, "PROD_DB_PASSWORD_V2", "Production"),
        ("removed", staging_db, "STAGING_DB_PASSWORD", "Staging"),
        ("created", staging_db, "STAGING_DB_PASSWORD", "Production"),
        # Both now drift under their new identity; the rename's drift was reported before, under the old name.
        ("drift", SECRET_PROD_DB, "PROD_DB_PASSWORD_V2", "Production"),
        ("drift", staging_db, "STAGING_DB_PASSWORD", "Production"),
    ])
    created = [event["neo_secret"] for event in events[2:] if event["neo_secret"]["type"] == "created"]
    assert all(event["previous_default_available"] is None for event in created)


def test_a_project_missing_from_one_project_list_removes_nothing(sim):
    actions = {1: lambda: sim.admin("POST", "seed", seed_without(PROJECT_PRODUCTION)),
               2: lambda: sim.admin("POST", "seed", yaml.safe_load(BASIC_SEED.read_text()))}
    events, _waits = run_source(sim, 4, on_poll=after_polls(actions), rules=PRODUCTION_OPT_IN)
    # The baseline drift only: no removed, created or second drift around the poll that missed Production.
    assert kinds(events) == ["drift", "drift"]


def test_a_project_missing_from_two_project_lists_in_a_row_is_gone(sim):
    events, _waits = run_source(sim, 4, on_poll=at_poll(1, lambda: sim.admin("POST", "seed", seed_without(PROJECT_STAGING))))
    # Poll 2 misses Staging: nothing yet. Poll 3 confirms it: its two secrets are removed, once.
    assert kinds(events) == ["removed", "removed"]
    assert {event["neo_secret"]["project_id"] for event in events} == {PROJECT_STAGING}


def test_one_secret_listed_in_two_scopes_is_an_inconsistent_snapshot(sim):
    # Staging's list also shows Production's AWS secret (same id), with another flag.
    sim.faults({"kind": "rewrite", "method": "GET", "path": "/api/v1/secrets", "match_name": "STAGING_DB_PASSWORD", "times": 1000,
                "set": {"id": SECRET_PROD_AWS, "name": "AWS_SECRET_ACCESS_KEY", "default_available": True}})
    events, _waits = run_source(sim, 2, rules=[{"match": ["AWS_*"], "default_available": False}])
    assert kinds(events) == ["neo_error"]
    error = events[0]["neo_error"]
    assert error["status"] is None
    assert SECRET_PROD_AWS in error["message"] and "(Production)" in error["message"] and "(Staging)" in error["message"]


def test_the_api_key_in_a_project_or_secret_name_never_reaches_an_event(sim):
    seed = yaml.safe_load(BASIC_SEED.read_text())
    next(project for project in seed["projects"] if project["id"] == PROJECT_STAGING)["name"] = "Staging " + ALICE_KEY
    sim.admin("POST", "seed", seed)
    sim.faults({"kind": "rewrite", "method": "GET", "path": "/api/v1/secrets", "match_name": "GITHUB_TOKEN", "times": 1000,
                "set": {"name": "TOKEN_" + ALICE_KEY, "default_available": True}})
    events, _waits = run_source(sim, 1, rules=[{"match": ["*"], "default_available": False}], projects=[PROJECT_STAGING], personal=False)
    assert kinds(events) == ["drift", "drift"]
    by_id = {event["neo_secret"]["id"]: event["neo_secret"] for event in events}
    assert by_id[SECRET_STAGING_GITHUB]["name"] == "TOKEN_********"
    assert {event["project_name"] for event in by_id.values()} == {"Staging ********"}


def test_the_api_key_in_a_project_name_never_reaches_an_error_message(sim):
    seed = yaml.safe_load(BASIC_SEED.read_text())
    next(project for project in seed["projects"] if project["id"] == PROJECT_STAGING)["name"] = "Staging " + ALICE_KEY
    sim.admin("POST", "seed", seed)
    sim.faults({"kind": "status", "status": 403, "method": "GET", "path": "/api/v1/secrets", "times": 1000})
    events, _waits = run_source(sim, 1, projects=[PROJECT_STAGING], personal=False)
    assert kinds(events) == ["neo_error"]
    assert "Staging ********" in events[0]["neo_error"]["message"] and events[0]["neo_error"]["status"] == 403


# ---------------------------------------------------------------------- arguments

@pytest.mark.parametrize("args, message", [
    ({"interval": 0}, "interval must be at least 1"),
    ({"interval": 0.5}, "interval must be at least 1"),
    ({"interval": True}, "interval must be a number"),
    ({"interval": "soon"}, "interval"),
    ({"projects": "Production,"}, "projects"),
    ({"projects": ["*", "Production"]}, "projects must be '*' or a list"),
    ({"projects": [], "personal": False}, "nothing to watch"),
    ({"personal": "perhaps"}, "personal"),
    ({"intervall": 5}, "intervall"),
    ({"api_url": ["https://neo.example.test"]}, "argument 'api_url' must be a string, got a list"),
    ({"rules": [{"match": ["prod_*"], "default_available": False}]}, "rules[0].match[0]"),
    ({"rules": [{"match": ["*"]}]}, "default_available"),
    ({"rules": "PROD_*"}, "option 'rules'"),
    ({"exceptions": [{"name": "X"}]}, "found in exceptions"),
    ({"api_key": None, "api_token": None}, "no credentials"),
    ({"api_token": ALICE_TOKEN}, "mutually exclusive"),
    ({"api_key": "sk-CANARY-not-a-neo-key"}, "api_key must start with neo_sk_"),
])
def test_bad_arguments_stop_the_source_at_start_with_a_message(sim, args, message, monkeypatch):
    monkeypatch.delenv("NEO_API_KEY", raising=False)
    monkeypatch.delenv("NEO_API_TOKEN", raising=False)
    with pytest.raises(ValueError) as error:
        run_source(sim, 1, **args)
    assert message in str(error.value)
    assert CANARY not in str(error.value)
    assert sim.counters()["total"] == 0


def test_the_source_takes_every_policy_the_module_takes(sim):
    # ansible-core's list type makes the string "*" a list of one glob, for the module and the source alike.
    events, _waits = run_source(sim, 1, rules=[{"match": "*", "project_tags": ["prod"], "default_available": False}])
    assert sorted(event["neo_secret"]["id"] for event in events) == [SECRET_PROD_DB, SECRET_PROD_GITHUB]


def test_credentials_and_url_come_from_the_environment(sim, monkeypatch):
    monkeypatch.setenv("NEO_API_URL", sim.url)
    monkeypatch.setenv("NEO_API_TOKEN", ALICE_TOKEN)
    events, waits = run_main({"rules": PRODUCTION_OPT_IN, "eda_feedback_queue": None}, 2)
    assert kinds(events) == ["drift", "drift"]
    assert waits == [pytest.approx(60, abs=1)]


def test_both_credentials_in_the_environment_is_an_error(sim, monkeypatch):
    monkeypatch.setenv("NEO_API_KEY", ALICE_KEY)
    monkeypatch.setenv("NEO_API_TOKEN", ALICE_TOKEN)
    with pytest.raises(ValueError, match="both set"):
        asyncio.run(SOURCE["main"](CollectingQueue(), {"api_url": sim.url}))
    assert sim.counters()["total"] == 0


def test_test_hooks_are_not_arguments(sim):
    with pytest.raises(ValueError, match="_max_polls"):
        run_source(sim, 1, _max_polls=1)


# ---------------------------------------------------------------------- loading

def test_documentation_and_examples_are_yaml_and_match_the_schema():
    doc = yaml.safe_load(SOURCE["DOCUMENTATION"])
    examples = yaml.safe_load(SOURCE["EXAMPLES"])
    schema = json.loads((SOURCE_PATH.parent / "schemas" / "neo_secret_events.json").read_text())
    assert set(doc["options"]) == set(schema["properties"]) == set(SOURCE["ARGSPEC"])
    for name, option in doc["options"].items():
        assert option["description"], name
        if "default" in option:
            assert schema["properties"][name].get("default") == option["default"], name
    assert schema["properties"]["interval"]["minimum"] == 1
    for example in examples:
        assert list(example) == ["projectdiscovery.neo.neo_secret_events"]
        assert set(example["projectdiscovery.neo.neo_secret_events"] or {}) <= set(schema["properties"])


def test_the_source_imports_the_collection_from_its_place_in_the_collection(tmp_path):
    """ansible-rulebook runs the file by path (an FQCN source or -S): the collection's code imports plainly from there.

    Nothing but the file's own place puts the collection on sys.path here: no ANSIBLE_* variable,
    no collection root on sys.path, an empty home.
    """
    script = (
        "import os, runpy, sys\n"
        "sys.path[:] = [p for p in sys.path if not os.path.isdir(os.path.join(p or '.', 'ansible_collections', 'projectdiscovery', 'neo'))]\n"
        "source = runpy.run_path(sys.argv[1])\n"
        "print(source['ProjectDirectory'].__module__)\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "PYTHONPATH"))}
    env["HOME"] = str(tmp_path)
    inside = ANSIBLE_COLLECTIONS_ROOT / "ansible_collections" / "projectdiscovery" / "neo" / SOURCE_PATH.relative_to(SOURCE_PATH.parents[4])
    loaded = subprocess.run([sys.executable, "-c", script, str(inside)], env=env, cwd=str(tmp_path), capture_output=True, text=True, check=False)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects"
