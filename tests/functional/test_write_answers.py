"""What the collection does when the API's answer to a write is not what was asked, or lags behind.

Each case runs a real playbook at -vvvv against the simulator with one of its answer faults
(docs/simulator.md: answer_other, ignore_id, move_to, rewrite, invisible) and asserts the
server's final state, the request counts (never a second POST, never a write to another
object), the task's result and message, and that no value or key shows anywhere.
"""
from tests.conftest import PROJECT_PRODUCTION, PROJECT_STAGING
from tests.functional.test_environment_role import NEW_ENVIRONMENT, PROJECT_TASK, SECRETS_TASK, run_role
from tests.functional.test_leaks import run_quietly, scan_run

NEW_ID = "cccccccc-0000-4000-8000-0000000000aa"
PROJECT = "Neo_project under test"
SECRET = "Neo_secret under test"
SECRETS = "Neo_secrets under test"
VALUE = "CANARY-write-answers-deploy-key-0001"
POST_PROJECTS = "POST /api/v1/projects"
POST_SECRETS = "POST /api/v1/secrets"
GET_SECRETS = "GET /api/v1/secrets"
NEW_PROJECT = {"project_id": NEW_ID, "project_name": "Payments", "project_tags": ["pci"], "project_shared_with_team": True}
NEW_SECRET = {"secret_name": "DEPLOY_KEY", "project_id": PROJECT_STAGING, "secret_value": VALUE, "default_available": False}


def run(sim, run_playbook, tmp_path, playbook, variables):
    result = run_quietly(run_playbook, sim, tmp_path, playbook, variables, verbosity=4, diff=True)
    assert result.results, result.stdout
    scan_run(result, sim)
    return result


def routes(sim):
    return sim.counters()["by_route"]


def project(sim, project_id):
    return next((p for p in sim.state()["projects"] if p["id"] == project_id), None)


def named(sim, name):
    return [s for s in sim.state()["secrets"] if s["name"] == name]


def test_project_post_answered_with_another_project_fails_naming_both_and_leaves_it_alone(sim, run_playbook, tmp_path):
    before = sim.state()
    sim.faults({"kind": "answer_other", "method": "POST", "path": "/api/v1/projects"})
    result = run(sim, run_playbook, tmp_path, "neo_project.yml", NEW_PROJECT)
    assert result.rc != 0 and result.status(PROJECT) == "failed"
    task = result.task(PROJECT)
    assert task["msg"] == ("the API answered the POST of project %s (Payments) with the record of another existing project, "
                           "project %s (Production); nothing more is written to either" % (NEW_ID, PROJECT_PRODUCTION))
    assert "created" not in task and "project" not in task
    assert routes(sim) == {"GET /api/v1/projects": 1, POST_PROJECTS: 1} and sim.writes() == 1
    after = sim.state()
    assert project(sim, PROJECT_PRODUCTION) == next(p for p in before["projects"] if p["id"] == PROJECT_PRODUCTION)
    assert after["secrets"] == before["secrets"]
    # The POST itself was carried out: the project asked for exists, with what the POST carried and nothing more.
    assert (project(sim, NEW_ID)["name"], project(sim, NEW_ID)["tags"]) == ("Payments", ["pci"])


def test_project_post_whose_id_the_api_did_not_keep_fails_saying_a_rerun_would_duplicate(sim, run_playbook, tmp_path):
    known = {p["id"] for p in sim.state()["projects"]}
    sim.faults({"kind": "ignore_id", "method": "POST", "path": "/api/v1/projects"})
    result = run(sim, run_playbook, tmp_path, "neo_project.yml", NEW_PROJECT)
    assert result.rc != 0 and result.status(PROJECT) == "failed"
    fresh = [p for p in sim.state()["projects"] if p["id"] not in known]
    assert len(fresh) == 1 and fresh[0]["id"] != NEW_ID and fresh[0]["name"] == "Payments"
    assert result.task(PROJECT)["msg"] == (
        "the API did not keep the id asked for: it answered the POST of project %s (Payments) with a new project %s, "
        "so a re-run would create duplicates; nothing more is written to either" % (NEW_ID, fresh[0]["id"]))
    assert routes(sim) == {"GET /api/v1/projects": 1, POST_PROJECTS: 1} and sim.writes() == 1
    assert fresh[0]["tags"] == ["pci"]  # what the POST carried; no PATCH followed (shared_with_team never sent)
    assert project(sim, NEW_ID) is None


def test_environment_role_stops_at_a_project_answered_with_another_one(sim, run_playbook, tmp_path):
    before = sim.state()
    sim.faults({"kind": "answer_other", "method": "POST", "path": "/api/v1/projects"})
    result = run_role(run_playbook, sim, tmp_path, NEW_ENVIRONMENT)
    assert result.rc != 0 and result.status(PROJECT_TASK) == "failed"
    assert "with the record of another existing project, project %s (Production)" % PROJECT_PRODUCTION in result.task(PROJECT_TASK)["msg"]
    assert SECRETS_TASK not in [entry["task"] for entry in result.results]
    # No secret was POSTed into Production (nor anywhere), no flag of its secrets changed, nothing was PATCHed.
    assert routes(sim) == {"GET /api/v1/projects": 1, POST_PROJECTS: 1} and sim.writes() == 1
    assert sim.state()["secrets"] == before["secrets"]
    assert project(sim, PROJECT_PRODUCTION) == next(p for p in before["projects"] if p["id"] == PROJECT_PRODUCTION)


def test_neo_secret_stored_in_another_scope_fails_naming_it(sim, run_playbook, tmp_path):
    sim.faults({"kind": "move_to", "method": "POST", "path": "/api/v1/secrets", "project_id": None})
    result = run(sim, run_playbook, tmp_path, "neo_secret.yml", NEW_SECRET)
    assert result.rc != 0 and result.status(SECRET) == "failed"
    stored = named(sim, "DEPLOY_KEY")
    assert len(stored) == 1 and stored[0]["project_id"] is None and stored[0]["default_available"] is False
    assert result.task(SECRET)["msg"] == ("the API answered the POST of secret DEPLOY_KEY for project %s with a secret (id %s) in "
                                          "the personal scope; nothing more is written to either scope" % (PROJECT_STAGING, stored[0]["id"]))
    assert routes(sim) == {GET_SECRETS: 1, POST_SECRETS: 1} and sim.writes() == 1


def test_neo_secrets_answer_claiming_another_scope_fails_that_item_only(sim, run_playbook, tmp_path):
    sim.faults({"kind": "rewrite", "method": "POST", "path": "/api/v1/secrets", "match_name": "DEPLOY_KEY",
                "set": {"project_id": PROJECT_PRODUCTION}})
    items = [{"name": "DEPLOY_KEY", "value": VALUE, "default_available": True},
             {"name": "API_TOKEN", "value": "CANARY-write-answers-api-token-0002", "default_available": False}]
    before = sim.flags()
    result = run(sim, run_playbook, tmp_path, "write_answers_secrets.yml", {"project": PROJECT_STAGING, "secrets": items})
    assert result.rc != 0 and result.status(SECRETS) == "failed"
    task = result.task(SECRETS)
    deploy = named(sim, "DEPLOY_KEY")
    assert [(s["project_id"], s["default_available"]) for s in deploy] == [(PROJECT_STAGING, True)]  # where it really is, as the POST carried it
    error = ("the API answered the POST of secret DEPLOY_KEY for project %s with a secret (id %s) in project %s; nothing more is written to "
             "either scope" % (PROJECT_STAGING, deploy[0]["id"], PROJECT_PRODUCTION))
    entries = {entry["name"]: entry for entry in task["secrets"]}
    assert (entries["DEPLOY_KEY"]["status"], entries["DEPLOY_KEY"]["error"]) == ("failed", error)
    assert entries["API_TOKEN"]["status"] == "created" and error in task["msg"]
    assert [(s["project_id"], s["default_available"]) for s in named(sim, "API_TOKEN")] == [(PROJECT_STAGING, False)]
    assert routes(sim) == {GET_SECRETS: 1, POST_SECRETS: 2} and sim.writes() == 2
    assert {key: value for key, value in sim.flags().items() if key in before} == before


def test_a_201_without_id_is_adopted_once_listed_with_exactly_one_post(sim, run_playbook, tmp_path):
    sim.faults({"kind": "rewrite", "method": "POST", "path": "/api/v1/secrets", "unset": ["id"]},
               {"kind": "invisible", "method": "POST", "path": "/api/v1/secrets", "reads": 1})
    result = run(sim, run_playbook, tmp_path, "neo_secret.yml", NEW_SECRET)
    assert result.rc == 0, result.stdout
    stored = named(sim, "DEPLOY_KEY")
    assert len(stored) == 1 and stored[0]["project_id"] == PROJECT_STAGING
    task = result.task(SECRET)
    assert (task["changed"], task["created"], task["secret"]["id"], task["secret"]["project_id"]) == (True, True, stored[0]["id"], PROJECT_STAGING)
    # Read before the POST, then once hidden, then listed after the wait.
    assert routes(sim) == {GET_SECRETS: 3, POST_SECRETS: 1} and sim.writes() == 1


def test_a_201_without_id_never_listed_fails_created_but_not_visible_yet_with_exactly_one_post(sim, run_playbook, tmp_path):
    sim.faults({"kind": "rewrite", "method": "POST", "path": "/api/v1/secrets", "unset": ["id"]},
               {"kind": "invisible", "method": "POST", "path": "/api/v1/secrets", "reads": 5})
    result = run(sim, run_playbook, tmp_path, "neo_secret.yml", NEW_SECRET)
    assert result.rc != 0 and result.status(SECRET) == "failed"
    msg = result.task(SECRET)["msg"]
    assert msg.startswith("secret DEPLOY_KEY in project %s: created, but not visible yet: the API answered the POST "
                          "(Neo API answered POST /api/v1/secrets with a secret record (DEPLOY_KEY) lacking id), and 3 reads of the scope since "
                          "do not show it; it is not POSTed again" % PROJECT_STAGING), msg
    assert len(named(sim, "DEPLOY_KEY")) == 1
    assert routes(sim) == {GET_SECRETS: 4, POST_SECRETS: 1} and sim.writes() == 1


def test_a_project_201_without_id_is_adopted_once_listed_with_exactly_one_post(sim, run_playbook, tmp_path):
    sim.faults({"kind": "rewrite", "method": "POST", "path": "/api/v1/projects", "unset": ["id"]},
               {"kind": "invisible", "method": "POST", "path": "/api/v1/projects", "reads": 1})
    result = run(sim, run_playbook, tmp_path, "neo_project.yml", NEW_PROJECT)
    assert result.rc == 0, result.stdout
    task = result.task(PROJECT)
    assert (task["changed"], task["created"], task["project"]["id"]) == (True, True, NEW_ID)
    assert project(sim, NEW_ID)["name"] == "Payments"
    # shared_with_team is not a POST field: one PATCH of the project asked for completes it.
    assert routes(sim) == {"GET /api/v1/projects": 3, POST_PROJECTS: 1, "PATCH /api/v1/projects/{id}": 1} and sim.writes() == 2


def test_a_personal_secret_answered_without_project_id_is_confirmed_by_one_read_not_guessed(sim, run_playbook, tmp_path):
    sim.configure(personal_project_id="absent")  # the docs allow a personal secret's project_id to be left out
    result = run(sim, run_playbook, tmp_path, "neo_secret.yml", {key: value for key, value in NEW_SECRET.items() if key != "project_id"})
    assert result.rc == 0, result.stdout
    stored = named(sim, "DEPLOY_KEY")
    assert len(stored) == 1 and stored[0]["project_id"] is None
    task = result.task(SECRET)
    assert (task["changed"], task["created"], task["secret"]["id"], task["secret"]["project_id"]) == (True, True, stored[0]["id"], None)
    # Read before the POST, then once to confirm the scope the answer did not state; no wait was needed.
    assert routes(sim) == {GET_SECRETS: 2, POST_SECRETS: 1} and sim.writes() == 1
