"""neo_project through ansible-playbook against the simulator: the 4-step pattern, tags as sets,
settings_md as a line diff, owner-only updates, a 409 on the POST, ambiguous names; and neo_secret /
neo_secrets with ``project`` naming a project created earlier in the same play."""
import json
import threading
import time

import requests

from tests.conftest import ALICE_KEY, BOB_KEY, CANARY, PROJECT_PRODUCTION, PROJECT_STAGING, PROJECT_STAGING_2

TASK = "Neo_project under test"
NEW_ID = "cccccccc-0000-4000-8000-000000000001"
SETTINGS = "# Payments\nScope: payments.example.test\nNever test production card data.\n"
CREATE = {"project_id": NEW_ID, "project_name": "Payments", "project_tags": ["pci", " payments "], "project_settings_md": SETTINGS,
          "project_shared_with_team": True}


def project_state(sim, project_id):
    return next((p for p in sim.state()["projects"] if p["id"] == project_id), None)


def routes(sim):
    return sim.counters()["by_route"]


def test_create_four_steps(sim, run_playbook):
    check = run_playbook(sim, "neo_project.yml", CREATE, check=True, diff=True)
    assert check.rc == 0, check.stdout
    result = check.task(TASK)
    assert (result["changed"], result["created"]) == (True, True)
    assert result["project"] == {"id": NEW_ID, "name": "Payments", "tags": ["pci", "payments"], "settings_md": SETTINGS, "shared_with_team": True,
                                 "is_owner": True}
    assert result["diff"][0]["before"] == {} and result["diff"][0]["after"] == {
        "id": NEW_ID, "name": "Payments", "tags": ["payments", "pci"], "shared_with_team": True}
    assert result["diff"][1]["after"] == SETTINGS and "+Scope: payments.example.test" in check.stdout
    assert sim.writes() == 0 and project_state(sim, NEW_ID) is None
    assert routes(sim) == {"GET /api/v1/projects": 1}
    sim.admin("POST", "counters/reset")

    apply = run_playbook(sim, "neo_project.yml", CREATE, diff=True)
    assert apply.rc == 0, apply.stdout
    result = apply.task(TASK)
    assert (result["changed"], result["created"]) == (True, True)
    # One POST with the id, then one PATCH for what the POST cannot carry (shared_with_team).
    assert routes(sim) == {"GET /api/v1/projects": 1, "POST /api/v1/projects": 1, "PATCH /api/v1/projects/{id}": 1}
    stored = project_state(sim, NEW_ID)
    assert (stored["name"], stored["tags"], stored["settings_md"], stored["owner"]) == ("Payments", ["pci", "payments"], SETTINGS, "alice")
    assert result["project"]["shared_with_team"] is True and result["project"]["id"] == NEW_ID

    for check_mode in (True, False):
        again = run_playbook(sim, "neo_project.yml", dict(CREATE, project_tags=["payments", "pci", "pci "]), check=check_mode, diff=True)
        assert again.rc == 0, again.stdout
        result = again.task(TASK)
        assert (result["changed"], result["created"]) == (False, False)
        assert "diff" not in result
    assert sim.writes() == 2
    assert routes(sim)["GET /api/v1/projects"] == 3  # apply, then each later run: the list, nothing else


def test_update_four_steps_sends_only_what_differs(sim, run_playbook):
    options = {"project_id": PROJECT_PRODUCTION, "project_tags": ["prod", "pci"], "project_settings_md": "# Production\nline 2\n"}
    sim.admin("POST", "counters/reset")
    first_check = run_playbook(sim, "neo_project.yml", options, check=True, diff=True)
    assert first_check.rc == 0
    result = first_check.task(TASK)
    assert (result["changed"], result["created"]) == (True, False)
    assert result["diff"][0]["before"] == {"tags": ["prod"]} and result["diff"][0]["after"] == {"tags": ["pci", "prod"]}
    assert result["diff"][1]["before"] == "" and "+line 2" in first_check.stdout
    assert sim.writes() == 0

    apply = run_playbook(sim, "neo_project.yml", options)
    assert apply.rc == 0
    result = apply.task(TASK)
    assert result["changed"] is True and "diff" not in result  # nothing without --diff
    assert routes(sim)["PATCH /api/v1/projects/{id}"] == 1 and sim.writes() == 1
    stored = project_state(sim, PROJECT_PRODUCTION)
    assert (stored["name"], stored["tags"], stored["settings_md"]) == ("Production", ["prod", "pci"], "# Production\nline 2\n")

    # The settings change again: a line diff of settings_md alone.
    changed_settings = dict(options, project_settings_md="# Production\nline 3\n", project_tags=["pci", "prod"])
    line_diff = run_playbook(sim, "neo_project.yml", changed_settings, check=True, diff=True)
    diffs = line_diff.task(TASK)["diff"]
    assert len(diffs) == 1 and (diffs[0]["before"], diffs[0]["after"]) == ("# Production\nline 2\n", "# Production\nline 3\n")
    assert "-line 2" in line_diff.stdout and "+line 3" in line_diff.stdout

    for check_mode in (True, False):
        again = run_playbook(sim, "neo_project.yml", dict(options, project_tags=[" pci", "prod", "prod"]), check=check_mode)
        assert again.rc == 0 and again.task(TASK)["changed"] is False
    assert sim.writes() == 1


def test_name_only_finds_or_creates_by_exact_name(sim, run_playbook):
    run = run_playbook(sim, "neo_project.yml", {"project_name": "Research", "project_tags": ["research"]})
    assert run.rc == 0 and run.task(TASK)["created"] is True
    created_id = run.task(TASK)["project"]["id"]
    again = run_playbook(sim, "neo_project.yml", {"project_name": "Research", "project_tags": ["research"]})
    assert again.task(TASK)["changed"] is False and again.task(TASK)["project"]["id"] == created_id
    assert routes(sim)["POST /api/v1/projects"] == 1
    assert [p["name"] for p in sim.state()["projects"]].count("Research") == 1


def test_ambiguous_name_fails_listing_the_ids_after_the_list_only(sim, run_playbook):
    run = run_playbook(sim, "neo_project.yml", {"project_name": "Staging", "project_tags": ["x"]})
    assert run.rc != 0
    assert run.task(TASK)["msg"] == ("name: project name 'Staging' matches 2 projects (%s, %s); give the id of the one to manage"
                                     % (PROJECT_STAGING, PROJECT_STAGING_2))
    assert routes(sim) == {"GET /api/v1/projects": 1}


def test_only_the_owner_may_change_a_project(sim, run_playbook):
    """bob is a member of Production, which alice owns: the PATCH is refused, in one line naming the project."""
    options = {"project_id": PROJECT_PRODUCTION, "project_tags": ["mine"]}
    check = run_playbook(sim, "neo_project.yml", options, check=True, api_key=BOB_KEY)
    assert check.rc != 0
    assert check.task(TASK)["msg"] == (
        "project %s (Production): only its owner (alice@example.test) may change it, and the caller is not its owner; the project record says "
        "is_owner false, so the PATCH a real run sends would be refused" % PROJECT_PRODUCTION)
    apply = run_playbook(sim, "neo_project.yml", options, api_key=BOB_KEY)
    assert apply.rc != 0
    msg = apply.task(TASK)["msg"]
    assert msg.startswith("project %s (Production): only its owner (alice@example.test) may change it, and the caller is not its owner; "
                          "the API refused the PATCH: Neo API 403 forbidden (error_id " % PROJECT_PRODUCTION), msg
    assert "\n" not in msg and "Traceback" not in apply.stdout + apply.stderr
    assert routes(sim)["PATCH /api/v1/projects/{id}"] == 1
    assert project_state(sim, PROJECT_PRODUCTION)["tags"] == ["prod"]
    # Nothing to change: fine for a member who is not the owner.
    same = run_playbook(sim, "neo_project.yml", {"project_id": PROJECT_PRODUCTION, "project_tags": ["prod"]}, api_key=BOB_KEY)
    assert same.rc == 0 and same.task(TASK)["changed"] is False


def test_a_409_on_the_post_means_the_project_exists_it_is_read_and_updated(sim, run_playbook):
    """Another run creates the project between this run's list and its POST: the 409 makes it read the list again and update."""
    sim.faults({"kind": "slow", "method": "GET", "path": "/api/v1/projects", "delay_s": 1.5, "times": 1})

    def create_meanwhile():
        deadline = time.monotonic() + 30
        while routes(sim).get("GET /api/v1/projects", 0) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        requests.post(sim.url + "/api/v1/projects", json={"id": NEW_ID, "name": "Payments"}, headers={"X-Api-Key": ALICE_KEY},
                      timeout=10).raise_for_status()

    racer = threading.Thread(target=create_meanwhile)
    racer.start()
    run = run_playbook(sim, "neo_project.yml", dict(CREATE, project_shared_with_team=False))
    racer.join()
    assert run.rc == 0, run.stdout
    result = run.task(TASK)
    assert (result["changed"], result["created"]) == (True, False)
    assert routes(sim) == {"GET /api/v1/projects": 2, "POST /api/v1/projects": 2, "PATCH /api/v1/projects/{id}": 1}
    assert sim.counters()["by_status"]["409"] == 1
    stored = project_state(sim, NEW_ID)
    assert (stored["tags"], stored["settings_md"]) == (["pci", "payments"], SETTINGS)
    assert len([p for p in sim.state()["projects"] if p["name"] == "Payments"]) == 1


def test_a_409_for_a_project_the_caller_cannot_see_fails_clearly(sim, run_playbook):
    requests.post(sim.url + "/api/v1/projects", json={"id": NEW_ID, "name": "Bob's"}, headers={"X-Api-Key": BOB_KEY}, timeout=10).raise_for_status()
    sim.admin("POST", "counters/reset")
    run = run_playbook(sim, "neo_project.yml", {"project_id": NEW_ID, "project_name": "Payments"})
    assert run.rc != 0
    msg = run.task(TASK)["msg"]
    assert msg.startswith("project %s exists (the API answered the POST with 409: Neo API 409 already_exists (error_id " % NEW_ID), msg
    assert msg.endswith("is not among the projects the caller can see; ask its owner to share it, or choose another id")
    assert routes(sim) == {"GET /api/v1/projects": 2, "POST /api/v1/projects": 1}


def test_settings_md_past_35000_characters_fails_before_any_request(sim, run_playbook):
    run = run_playbook(sim, "neo_project.yml", {"project_id": NEW_ID, "project_settings_md": "s" * 35001})
    assert run.rc != 0
    assert run.task(TASK)["msg"].startswith("settings_md: 35001 characters; the Neo API keeps at most 35000 and cuts the rest off behind a marker")
    assert sim.counters()["total"] == 0


SECRET_VALUE = "CANARY-deploy-key-of-a-new-project-77"
MORE = [{"name": "API_TOKEN", "value": "CANARY-api-token-of-a-new-project-78", "default_available": True}]


def test_secrets_in_a_project_created_earlier_in_the_same_play(sim, run_playbook, tmp_path):
    # In a file: at -vvvv ansible-playbook prints its command line.
    variables = tmp_path / "variables.json"
    variables.write_text(json.dumps({"project_name": "Payments", "secret_value": SECRET_VALUE, "more_secrets": MORE}))
    from_file = ["-e", "@%s" % variables]
    check = run_playbook(sim, "project_then_secret.yml", check=True, diff=True, verbosity=4, args=from_file)
    assert check.rc == 0, check.stdout
    secret = check.task("Its deployment key")
    assert (secret["changed"], secret["created"], secret["msg"]) == (True, True, "would be created in project Payments (not created yet)")
    assert secret["secret"] == {"id": None, "name": "DEPLOY_KEY", "project_id": None, "default_available": False, "masked_value": None}
    others = check.task("Its other secrets")
    assert others["msg"] == "project Payments does not exist yet: 1 secret would be created in it (not created yet)"
    assert others["summary"]["created"] == ["API_TOKEN"]
    assert sim.writes() == 0

    apply = run_playbook(sim, "project_then_secret.yml", verbosity=4, args=from_file)
    assert apply.rc == 0, apply.stdout
    project_id = apply.task("The project")["project"]["id"]
    assert apply.task("Its deployment key")["secret"]["project_id"] == project_id
    assert apply.task("Its other secrets")["summary"]["created"] == ["API_TOKEN"]
    names = sorted(s["name"] for s in sim.state()["secrets"] if s["project_id"] == project_id)
    assert names == ["API_TOKEN", "DEPLOY_KEY"]

    for check_mode in (True, False):
        before = sim.writes()
        again = run_playbook(sim, "project_then_secret.yml", check=check_mode, args=from_file)
        assert again.rc == 0
        assert [again.task(name)["changed"] for name in ("The project", "Its deployment key", "Its other secrets")] == [False, False, False]
        assert sim.writes() == before
    for run in (check, apply, again):
        assert CANARY not in run.stdout + run.stderr
