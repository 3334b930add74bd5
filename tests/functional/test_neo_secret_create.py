"""neo_secret with value: provisioning a missing secret, never twice, never showing the value."""
from tests.conftest import CANARY, PROJECT_PRODUCTION, PROJECT_STAGING, SECRET_PROD_DB

TASK = "Neo_secret under test"
NEW_VALUE = "CANARY-new-deploy-key-value-9f31"
CREATE = {"secret_name": "DEPLOY_KEY", "project_id": PROJECT_STAGING, "secret_value": NEW_VALUE, "default_available": False}


def posts(sim):
    return sim.counters()["by_route"].get("POST /api/v1/secrets", 0)


def named(sim, name, project_id):
    return [s for s in sim.state()["secrets"] if s["name"] == name and s["project_id"] == project_id]


def test_create_four_steps(sim, run_playbook):
    check = run_playbook(sim, "neo_secret.yml", CREATE, check=True, diff=True)
    assert check.rc == 0, check.stdout
    result = check.task(TASK)
    assert (result["changed"], result["created"]) == (True, True)
    assert result["secret"] == {"id": None, "name": "DEPLOY_KEY", "project_id": PROJECT_STAGING, "default_available": False, "masked_value": None}
    assert result["diff"]["before"] == {}
    assert sim.writes() == 0 and named(sim, "DEPLOY_KEY", PROJECT_STAGING) == []

    apply = run_playbook(sim, "neo_secret.yml", CREATE, diff=True)
    assert apply.rc == 0, apply.stdout
    result = apply.task(TASK)
    assert (result["changed"], result["created"]) == (True, True)
    created = named(sim, "DEPLOY_KEY", PROJECT_STAGING)
    assert len(created) == 1 and created[0]["default_available"] is False
    assert result["secret"]["id"] == created[0]["id"]
    assert result["secret"]["masked_value"] == created[0]["masked_value"] != NEW_VALUE
    assert posts(sim) == 1 and sim.writes() == 1

    for check_mode in (True, False):
        again = run_playbook(sim, "neo_secret.yml", CREATE, check=check_mode, diff=True)
        assert again.rc == 0
        result = again.task(TASK)
        assert (result["changed"], result["created"], result["value_ignored"]) == (False, False, True)
        assert "msg" not in result
        assert result["warnings"] == [
            "1 secret exists, so its value was not compared or sent (the Neo API can neither read nor change a secret's value): DEPLOY_KEY"]
    assert sim.writes() == 1 and len(named(sim, "DEPLOY_KEY", PROJECT_STAGING)) == 1

    for run in (check, apply, again):
        assert NEW_VALUE not in run.stdout + run.stderr and CANARY not in run.stdout + run.stderr


def test_existing_secret_flag_still_managed_with_value(sim, run_playbook):
    run = run_playbook(sim, "neo_secret.yml", {"secret_name": "PROD_DB_PASSWORD", "project_id": PROJECT_PRODUCTION,
                                               "secret_value": NEW_VALUE, "default_available": False})
    result = run.task(TASK)
    assert (result["changed"], result["created"], result["value_ignored"]) == (True, False, True)
    assert sim.counters()["by_route"] == {"GET /api/v1/secrets": 1, "PATCH /api/v1/secrets/{id}": 1}
    assert sim.secret(SECRET_PROD_DB)["default_available"] is False


def test_failed_post_is_listed_again_then_sent_once_more(sim, run_playbook):
    """A 500 may hide a creation: the scope is read again, and only then one more POST."""
    sim.faults({"kind": "status", "status": 500, "method": "POST", "path": "/api/v1/secrets", "times": 1})
    run = run_playbook(sim, "neo_secret.yml", CREATE)
    assert run.rc == 0, run.stdout
    assert run.task(TASK)["created"] is True
    assert sim.counters()["by_route"] == {"GET /api/v1/secrets": 2, "POST /api/v1/secrets": 2}
    assert len(named(sim, "DEPLOY_KEY", PROJECT_STAGING)) == 1


def test_post_that_reached_the_server_is_not_repeated(sim, run_playbook):
    """The answer is lost (read time-out) after the secret was stored: re-listing finds it, no second POST."""
    sim.faults({"kind": "slow", "delay_s": 3, "method": "POST", "path": "/api/v1/secrets", "times": 1})
    run = run_playbook(sim, "neo_secret.yml", dict(CREATE, neo_timeout=1))
    assert run.rc == 0, run.stdout
    assert run.task(TASK)["created"] is True
    assert sim.counters()["by_route"] == {"GET /api/v1/secrets": 2, "POST /api/v1/secrets": 1}
    assert len(named(sim, "DEPLOY_KEY", PROJECT_STAGING)) == 1


def test_value_needs_a_name_and_a_valid_length(sim, run_playbook):
    for extra_vars, fragment in (
        ({"secret_id": SECRET_PROD_DB, "secret_value": NEW_VALUE, "default_available": True}, "missing parameter(s) required by 'value': name"),
        (dict(CREATE, secret_value=""), "value: must be 1 to 10000 characters long (got 0)"),
        (dict(CREATE, secret_value="x" * 10001), "value: must be 1 to 10000 characters long (got 10001)"),
    ):
        run = run_playbook(sim, "neo_secret.yml", extra_vars)
        assert run.rc != 0
        assert fragment in run.task(TASK)["msg"]
    assert sim.counters()["total"] == 0
