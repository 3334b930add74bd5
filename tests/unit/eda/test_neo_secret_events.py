"""The event source projectdiscovery.neo.neo_secret_events, run as ansible-rulebook runs it.

ansible-rulebook loads the source file with ``runpy.run_path`` and awaits ``main(queue, args)``;
these tests do the same with a queue that collects the events, against the simulator (``sim``).
The test-only arguments keep them fast and bounded: ``_max_polls`` ends the source after N polls,
``_on_poll(n)`` changes the simulator between polls, ``_sleep`` records the waits instead of
sleeping.
"""
from __future__ import annotations

import asyncio
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


def run_source(sim, polls, on_poll=None, **args):
    """Run the source for ``polls`` polls; return (events, waits). ``on_poll(n)`` runs after poll n."""
    waits = []

    async def fake_sleep(seconds):
        waits.append(seconds)

    queue = CollectingQueue()
    arguments = {"api_url": sim.url, "api_key": ALICE_KEY, "interval": 1, "_max_polls": polls, "_sleep": fake_sleep}
    if on_poll is not None:
        arguments["_on_poll"] = on_poll
    arguments.update(args)
    asyncio.run(SOURCE["main"](queue, arguments))
    return queue.events, waits


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
    """An ``_on_poll`` hook running ``action()`` after poll ``number``."""
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
    poller = SOURCE["Poller"]
    original = poller.poll
    calls = []

    def flaky(self, client):
        calls.append(1)
        if len(calls) == 2:
            raise KeyError("boom")
        return original(self, client)

    monkeypatch.setattr(poller, "poll", flaky)
    events, _waits = run_source(sim, 3)
    assert kinds(events) == ["neo_error", "neo_recovered"]
    assert "unexpected KeyError" in events[0]["neo_error"]["message"]


# ---------------------------------------------------------------------- arguments

@pytest.mark.parametrize("args, message", [
    ({"interval": 0}, "interval must be at least 1"),
    ({"interval": 0.5}, "interval must be at least 1"),
    ({"interval": True}, "interval must be a number"),
    ({"interval": "soon"}, "interval"),
    ({"projects": "Production"}, "projects must be '*' or a list"),
    ({"projects": ["*", "Production"]}, "projects must be '*' or a list"),
    ({"projects": [], "personal": False}, "nothing to watch"),
    ({"personal": "perhaps"}, "personal"),
    ({"intervall": 5}, "intervall"),
    ({"rules": [{"match": ["prod_*"], "default_available": False}]}, "rules[0].match[0]"),
    ({"rules": "PROD_*"}, "rules: must be a list"),
    ({"exceptions": [{"name": "X"}]}, "exceptions[0]"),
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


def test_credentials_and_url_come_from_the_environment(sim, monkeypatch):
    monkeypatch.setenv("NEO_API_URL", sim.url)
    monkeypatch.setenv("NEO_API_TOKEN", ALICE_TOKEN)
    waits = []

    async def fake_sleep(seconds):
        waits.append(seconds)

    queue = CollectingQueue()
    asyncio.run(SOURCE["main"](queue, {"_max_polls": 2, "_sleep": fake_sleep, "rules": PRODUCTION_OPT_IN, "eda_feedback_queue": None}))
    assert kinds(queue.events) == ["drift", "drift"]
    assert waits == [pytest.approx(60, abs=1)]


def test_both_credentials_in_the_environment_is_an_error(sim, monkeypatch):
    monkeypatch.setenv("NEO_API_KEY", ALICE_KEY)
    monkeypatch.setenv("NEO_API_TOKEN", ALICE_TOKEN)
    with pytest.raises(ValueError, match="both set"):
        asyncio.run(SOURCE["main"](CollectingQueue(), {"api_url": sim.url, "_max_polls": 1}))


# ---------------------------------------------------------------------- loading

def test_documentation_and_examples_are_yaml_and_match_the_schema():
    doc = yaml.safe_load(SOURCE["DOCUMENTATION"])
    examples = yaml.safe_load(SOURCE["EXAMPLES"])
    schema = json.loads((SOURCE_PATH.parent / "schemas" / "neo_secret_events.json").read_text())
    assert set(doc["options"]) == set(schema["properties"]) == set(SOURCE["PUBLIC_ARGS"])
    for name, option in doc["options"].items():
        assert option["description"], name
        if "default" in option:
            assert schema["properties"][name].get("default") == option["default"], name
    assert schema["properties"]["interval"]["minimum"] == 1
    for example in examples:
        assert list(example) == ["projectdiscovery.neo.neo_secret_events"]
        assert set(example["projectdiscovery.neo.neo_secret_events"] or {}) <= set(schema["properties"])


def test_the_collection_is_found_through_the_source_path_or_the_collection_path(tmp_path):
    """How ansible-rulebook loads the file decides where ``ansible_collections`` is found.

    With an FQCN source the file is inside ``<root>/ansible_collections/projectdiscovery/neo``: the
    root comes from its own path. With ``-S <checkout>/extensions/eda/plugins/event_source`` it is
    not (here: a copy of the file elsewhere), and the collection paths are searched.
    """
    script = (
        "import os, runpy, sys\n"
        "sys.path[:] = [p for p in sys.path if not os.path.isdir(os.path.join(p or '.', 'ansible_collections', 'projectdiscovery', 'neo'))]\n"
        "source = runpy.run_path(sys.argv[1])\n"
        "neo = source['import_neo']()\n"
        "print(neo.ProjectDirectory.__module__)\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env["HOME"] = str(tmp_path)
    outside = tmp_path / "checkout" / "extensions" / "eda" / "plugins" / "event_source" / "neo_secret_events.py"
    outside.parent.mkdir(parents=True)
    outside.write_text(SOURCE_PATH.read_text())

    def load(path, **extra_env):
        return subprocess.run([sys.executable, "-c", script, str(path)], env=dict(env, **extra_env), cwd=str(tmp_path), capture_output=True,
                              text=True, check=False)

    missing = load(outside)
    assert missing.returncode != 0 and "is not installed in any of" in missing.stderr and "ANSIBLE_COLLECTIONS_PATH" in missing.stderr
    found = load(outside, ANSIBLE_COLLECTIONS_PATH=str(ANSIBLE_COLLECTIONS_ROOT))
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects"
    inside = ANSIBLE_COLLECTIONS_ROOT / "ansible_collections" / "projectdiscovery" / "neo" / SOURCE_PATH.relative_to(SOURCE_PATH.parents[4])
    through_own_path = load(inside)
    assert through_own_path.returncode == 0, through_own_path.stderr


def test_collection_roots():
    roots = SOURCE["collection_roots"]
    path = "/opt/collections/ansible_collections/projectdiscovery/neo/extensions/eda/plugins/event_source/neo_secret_events.py"
    assert roots(path, {"ANSIBLE_COLLECTIONS_PATH": "/a:/b"})[:3] == ["/opt/collections", "/a", "/b"]
    assert roots("/src/neo/extensions/eda/plugins/event_source/neo_secret_events.py", {})[0] != "/src"
