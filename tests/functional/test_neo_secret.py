"""neo_secret through ansible-playbook against the simulator: the 4-step pattern and more."""
import pytest

from tests.conftest import (
    ALICE_KEY,
    ALICE_TOKEN,
    CANARY,
    PROJECT_PRODUCTION,
    PROJECT_RED_TEAM,
    PROJECT_STAGING,
    SECRET_PERSONAL_GITHUB,
    SECRET_PROD_AWS,
    SECRET_STAGING_GITHUB,
)

TASK = "Neo_secret under test"

# (case, task options, secret id, seeded flag)
CASES = [
    ("personal by name", {"secret_name": "GITHUB_TOKEN"}, SECRET_PERSONAL_GITHUB, True),
    ("project by name", {"secret_name": "GITHUB_TOKEN", "project_id": PROJECT_STAGING}, SECRET_STAGING_GITHUB, False),
    ("project by id without scope", {"secret_id": SECRET_PROD_AWS}, SECRET_PROD_AWS, False),
]


def patches(sim):
    return sim.counters()["by_route"].get("PATCH /api/v1/secrets/{id}", 0)


@pytest.mark.parametrize("case,options,secret_id,seeded", CASES, ids=[c[0] for c in CASES])
def test_four_steps(sim, run_playbook, case, options, secret_id, seeded):
    """check -> apply -> check -> apply: changed only when the flag flips, writes only when applying."""
    desired = not seeded
    extra_vars = dict(options, default_available=desired)

    first_check = run_playbook(sim, "neo_secret.yml", extra_vars, check=True, diff=True)
    assert first_check.rc == 0, first_check.stdout
    result = first_check.task(TASK)
    assert result["changed"] is True
    assert sim.writes() == 0
    assert sim.secret(secret_id)["default_available"] is seeded
    assert result["diff"]["before"]["default_available"] is seeded
    assert result["diff"]["after"]["default_available"] is desired
    assert result["secret"]["default_available"] is desired

    apply = run_playbook(sim, "neo_secret.yml", extra_vars, diff=True)
    assert apply.rc == 0, apply.stdout
    result = apply.task(TASK)
    assert result["changed"] is True
    assert patches(sim) == 1 and sim.writes() == 1
    assert sim.secret(secret_id)["default_available"] is desired
    assert result["secret"]["id"] == secret_id
    assert result["diff"] == {
        "before": {"id": secret_id, "name": result["secret"]["name"], "project_id": result["secret"]["project_id"], "default_available": seeded},
        "after": {"id": secret_id, "name": result["secret"]["name"], "project_id": result["secret"]["project_id"], "default_available": desired},
    }

    second_check = run_playbook(sim, "neo_secret.yml", extra_vars, check=True, diff=True)
    assert second_check.rc == 0
    assert second_check.task(TASK)["changed"] is False
    assert sim.writes() == 1

    again = run_playbook(sim, "neo_secret.yml", extra_vars)
    assert again.rc == 0
    result = again.task(TASK)
    assert result["changed"] is False
    assert "diff" not in result
    assert sim.writes() == 1
    assert sim.secret(secret_id)["default_available"] is desired


def test_bearer_token_in_the_task_beats_the_environment(sim, run_playbook):
    """A credential given in the task wins over NEO_API_KEY (AWX may inject one); the token is sent as a bearer header."""
    run = run_playbook(
        sim, "neo_secret.yml",
        {"secret_name": "GITHUB_TOKEN", "default_available": False, "neo_api_url": sim.url, "neo_api_token": ALICE_TOKEN},
        api_key="neo_sk_" + "x" * 32,
    )
    assert run.rc == 0, run.stdout
    assert run.task(TASK)["changed"] is True
    assert sim.secret(SECRET_PERSONAL_GITHUB)["default_available"] is False


def test_both_credentials_in_the_environment_are_ambiguous(sim, run_playbook):
    run = run_playbook(sim, "neo_secret.yml", {"secret_name": "GITHUB_TOKEN", "default_available": True}, extra_env={"NEO_API_TOKEN": ALICE_TOKEN})
    assert run.rc != 0
    assert run.task(TASK)["msg"] == ("projectdiscovery.neo.neo_secret: NEO_API_KEY and NEO_API_TOKEN are both set in the environment: "
                                     "unset one, or give api_key or api_token in the task")
    assert sim.counters()["total"] == 0


def test_id_and_name_must_agree(sim, run_playbook):
    run = run_playbook(sim, "neo_secret.yml", {"secret_id": SECRET_PROD_AWS, "secret_name": "GITHUB_TOKEN", "default_available": True})
    assert run.rc != 0
    assert "id and name name different secrets" in run.task(TASK)["msg"]
    assert sim.writes() == 0


def test_missing_secret_names_the_scope(sim, run_playbook):
    run = run_playbook(sim, "neo_secret.yml", {"secret_name": "NOPE", "project_id": PROJECT_PRODUCTION, "default_available": True})
    assert run.rc != 0
    assert run.task(TASK)["msg"] == "secret named NOPE not found in project %s" % PROJECT_PRODUCTION


def test_forbidden_project_is_one_line_api_error(sim, run_playbook):
    run = run_playbook(sim, "neo_secret.yml", {"secret_name": "C2_API_KEY", "project_id": PROJECT_RED_TEAM, "default_available": False})
    assert run.rc != 0
    msg = run.task(TASK)["msg"]
    assert msg.startswith("project %s: Neo API 403 forbidden (error_id " % PROJECT_RED_TEAM), msg
    assert "\n" not in msg and "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("extra_vars,api_key,fragment", [
    ({"secret_id": "not-a-uuid", "default_available": True}, ALICE_KEY, "id: 'not-a-uuid' is not a UUID"),
    ({"secret_name": "lower_case", "default_available": True}, ALICE_KEY, "name: 'lower_case' is not a valid secret name"),
    ({"secret_name": "GITHUB_TOKEN", "project_id": "123", "default_available": True}, ALICE_KEY, "project_id: '123' is not a UUID"),
    ({"secret_name": "GITHUB_TOKEN"}, ALICE_KEY, "missing required arguments: default_available"),
    ({"default_available": True}, ALICE_KEY, "one of the following is required: id, name"),
    ({"secret_name": "GITHUB_TOKEN", "default_available": "maybe"}, ALICE_KEY, "default_available"),
    ({"secret_name": "GITHUB_TOKEN", "default_available": True}, None, "no credentials: set api_key or api_token, or NEO_API_KEY or NEO_API_TOKEN"),
    ({"secret_name": "GITHUB_TOKEN", "default_available": True, "neo_api_token": ALICE_TOKEN, "neo_api_key": ALICE_KEY}, None,
     "parameters are mutually exclusive: api_key|api_token"),
    ({"secret_name": "GITHUB_TOKEN", "default_available": True, "neo_retries": "many"}, ALICE_KEY, "retries"),
])
def test_bad_input_fails_before_any_request(sim, run_playbook, extra_vars, api_key, fragment):
    run = run_playbook(sim, "neo_secret.yml", extra_vars, api_key=api_key)
    assert run.rc != 0
    msg = run.task(TASK)["msg"]
    assert fragment in msg
    assert sim.counters()["total"] == 0
    assert CANARY not in run.stdout + run.stderr


def test_nothing_secret_in_verbose_output(sim, run_playbook):
    """At -vvvv with --diff, neither the API key nor any seeded value shows up, failures included."""
    outputs = []
    for extra_vars in (
        {"secret_name": "PROD_DB_PASSWORD", "project_id": PROJECT_PRODUCTION, "default_available": False},
        {"secret_id": SECRET_PROD_AWS, "default_available": True},
        {"secret_name": "C2_API_KEY", "project_id": PROJECT_RED_TEAM, "default_available": False},
        {"secret_name": "bad name", "default_available": False},
    ):
        for check in (True, False):
            run = run_playbook(sim, "neo_secret.yml", extra_vars, check=check, diff=True, verbosity=4)
            outputs.append(run.stdout + run.stderr)
    joined = "\n".join(outputs)
    assert "masked_value" in joined  # the verbose output really shows results
    assert ALICE_KEY not in joined
    assert CANARY not in joined
    assert CANARY not in open(sim.log_path, encoding="utf-8").read()


def test_module_defaults_group(sim, run_playbook):
    run = run_playbook(
        sim, "module_defaults.yml", {"neo_api_url": sim.url, "neo_api_key": ALICE_KEY}, api_key=None, extra_env={"NEO_API_URL": "http://127.0.0.1:9"}
    )
    assert run.rc == 0, run.stdout
    assert run.task("Neo_secret with connection options from module_defaults")["changed"] is True
    assert sim.counters()["by_route"]["PATCH /api/v1/secrets/{id}"] == 1
