"""The simulator's project write routes (POST /api/v1/projects, PATCH /api/v1/projects/{id}) and
the personal_project_id setting, added for the schemathesis fidelity run (docs/simulator.md)."""
import pathlib

import requests

from tests.conftest import ALICE_KEY, BOB_KEY, PROJECT_PRODUCTION, PROJECT_RED_TEAM, PROJECT_STAGING

ALICE = {"X-Api-Key": ALICE_KEY}
BOB = {"X-Api-Key": BOB_KEY}
NEW_ID = "cccccccc-0000-4000-8000-000000000001"


def call(sim, method, path, headers=None, **kwargs):
    return requests.request(method, sim.url + path, headers=ALICE if headers is None else headers, timeout=10, **kwargs)


def test_create_project_with_and_without_body(sim):
    tags = [" a ", "", "a", "b\x01"] + ["t%d" % n for n in range(30)]
    created = call(sim, "POST", "/api/v1/projects", json={"id": NEW_ID.upper(), "name": "New", "tags": tags, "settings_md": "x" * 35001, "type": "shared"})
    assert created.status_code == 201
    project = created.json()["project"]
    assert project["id"] == NEW_ID and project["name"] == "New" and project["is_owner"] is True
    assert project["tags"][:2] == ["a", "t0"] and len(project["tags"]) == 20  # trimmed, empty/control dropped, first 20
    assert project["settings_md"].endswith("[truncated]") and len(project["settings_md"]) < 35100
    assert NEW_ID in {p["id"] for p in call(sim, "GET", "/api/v1/projects").json()["projects"]}
    assert call(sim, "POST", "/api/v1/projects", json={"id": NEW_ID}).status_code == 409
    bare = call(sim, "POST", "/api/v1/projects")
    assert bare.status_code == 201 and bare.json()["project"]["name"] == ""
    for bad in ({"id": "nope"}, {"name": None}, {"name": "n" * 129}, {"tags": "a"}, {"tags": [1]}, {"settings_md": 5}, {"type": 1}):
        assert call(sim, "POST", "/api/v1/projects", json=bad).status_code == 400, bad


def test_update_project_owner_only(sim):
    updated = call(sim, "PATCH", "/api/v1/projects/" + PROJECT_STAGING, json={"name": "Stage", "shared_with_team": True, "tags": ["x"]})
    assert updated.status_code == 200
    project = updated.json()["project"]
    assert (project["name"], project["shared_with_team"], project["tags"]) == ("Stage", True, ["x"])
    assert project["updated_at"] != project["created_at"]
    assert call(sim, "PATCH", "/api/v1/projects/" + PROJECT_PRODUCTION, headers=BOB, json={"name": "Mine"}).status_code == 403
    assert call(sim, "PATCH", "/api/v1/projects/" + PROJECT_RED_TEAM, json={"name": "Mine"}).status_code == 404  # not a member
    assert call(sim, "PATCH", "/api/v1/projects/not-a-uuid", json={}).status_code == 404
    for bad in ({"name": ""}, {"tags": ["t" * 33]}, {"shared_with_team": "yes"}, {"name": None}):
        assert call(sim, "PATCH", "/api/v1/projects/" + PROJECT_STAGING, json=bad).status_code == 400, bad
    assert call(sim, "PATCH", "/api/v1/projects/" + PROJECT_STAGING).status_code == 400  # body required


def test_personal_project_id_null_or_absent(sim):
    personal = call(sim, "GET", "/api/v1/secrets").json()["secrets"]
    assert all(secret["project_id"] is None for secret in personal)
    sim.configure(personal_project_id="absent")
    personal = call(sim, "GET", "/api/v1/secrets").json()["secrets"]
    assert personal and all("project_id" not in secret for secret in personal)
    created = call(sim, "POST", "/api/v1/secrets", json={"name": "ABSENT_PID", "value": "value-of-absent-pid"}).json()
    assert "project_id" not in created
    project = call(sim, "GET", "/api/v1/secrets", params={"project_id": PROJECT_PRODUCTION}).json()["secrets"]
    assert all(secret["project_id"] == PROJECT_PRODUCTION for secret in project)
    assert call(sim, "POST", "/api/v1/secrets", json={"name": "NULL_PID", "value": "value-of-null-pid", "project_id": None}).status_code == 400


def test_tag_rules_as_documented(sim):
    """Trimmed; empty, over 32 characters after trimming, or with a control character: dropped; repeats dropped; 20 kept."""
    tags = ["  x  ", "x", "t" * 33, "\tpadded-to-32-" + "p" * 18 + " ", "café", "no\u00a0break", "bell\x07", "\u200bzero-width"]
    project = call(sim, "POST", "/api/v1/projects", json={"id": NEW_ID, "tags": tags}).json()["project"]
    assert project["tags"] == ["x", "padded-to-32-" + "p" * 18, "café", "no\u00a0break", "\u200bzero-width"]
    # PATCH: each item must be 1 to 32 characters as sent (its schema), then the same rules; the set is replaced.
    updated = call(sim, "PATCH", "/api/v1/projects/" + NEW_ID, json={"tags": [" b ", "b", "   ", "a\x07b"] + ["t%d" % n for n in range(25)]})
    assert updated.status_code == 200
    assert updated.json()["project"]["tags"] == ["b"] + ["t%d" % n for n in range(19)]


def test_settings_md_truncated_with_a_marker_beyond_35000(sim):
    exact = call(sim, "POST", "/api/v1/projects", json={"settings_md": "s" * 35000}).json()["project"]
    assert exact["settings_md"] == "s" * 35000
    cut = call(sim, "PATCH", "/api/v1/projects/" + PROJECT_STAGING, json={"settings_md": "s" * 35001}).json()["project"]
    assert cut["settings_md"] == "s" * 35000 + "\n\n[truncated]"


def test_shared_with_team_is_what_patch_set(sim):
    assert call(sim, "POST", "/api/v1/projects", json={"id": NEW_ID}).json()["project"]["shared_with_team"] is False
    assert call(sim, "PATCH", "/api/v1/projects/" + NEW_ID, json={"shared_with_team": True}).json()["project"]["shared_with_team"] is True
    assert call(sim, "PATCH", "/api/v1/projects/" + NEW_ID, json={"shared_with_team": False}).json()["project"]["shared_with_team"] is False


def test_echo_body_fault_quotes_the_refused_request_body(sim):
    sim.faults({"kind": "status", "status": 400, "method": "POST", "path": "/api/v1/secrets", "echo_body": True})
    refused = call(sim, "POST", "/api/v1/secrets", json={"name": "ECHOED", "value": "value-the-api-echoes"})
    assert refused.status_code == 400
    assert refused.json()["message"] == 'invalid request: refused body {"name": "ECHOED", "value": "value-the-api-echoes"}'
    assert sim.admin("GET", "faults")["faults"][0]["echo_body"] is True
    assert "value-the-api-echoes" not in pathlib.Path(sim.log_path).read_text()
