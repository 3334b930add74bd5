"""Connection and authentication errors say where to look, through real playbook runs (issue 22).

A job's author (in AWX) cannot see the credential nor, often, the URL: each message names the
base URL, the kind of failure (a refused connection, a host name that did not resolve, TLS to
a plain-HTTP port) and, for a rejected credential, whether it came from the task or from
NEO_API_KEY / NEO_API_TOKEN; never the credential itself. The attempts are counted with the
task's ``api_retries``, its retry warnings and the simulator's counters, never with a clock.
"""
import json
import pathlib
import socket

from tests.conftest import CANARY

WRONG_KEY = "neo_sk_wrongCANARYkey00000000000000000"
WRONG_TOKEN = "eyJwrong.CANARY.token"
OTHER_WRONG_KEY = "neo_sk_otherCANARYkey00000000000000000"
HINT = "check the task's options, module_defaults and role variables"
PROJECTS = "/api/v1/projects"
PER_CASE = "Neo_project_info per case"
SECRET_INFO = "Neo_secret_info with the environment's connection"
TLS_LINE = "neo_simulator: a client from 127.0.0.1 spoke TLS to this plain-HTTP port; its URL must start with http://, not https://"


def unused_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def by_case(run):
    """The result of each loop item of the per-case task (every item fails), by case name."""
    assert run.status(PER_CASE) == "failed"
    return {item["item"]["case"]: item for item in run.task(PER_CASE)["results"]}


def assert_no_credential(run):
    output = run.stdout + run.stderr + json.dumps(run.results)
    assert CANARY not in output and "neo_sk_" not in output
    assert "Traceback" not in output


def test_connection_failures_name_the_url_and_a_bad_name_is_tried_once(sim, run_playbook):
    refused = "http://127.0.0.1:%d" % unused_port()
    https = sim.url.replace("http://", "https://")
    stderr = pathlib.Path(str(sim.log_path) + ".stderr")
    before = stderr.stat().st_size if stderr.exists() else 0
    cases = [
        {"case": "refused", "api_url": refused, "retries": 1},
        {"case": "unresolvable", "api_url": "http://neo-api.invalid", "retries": 5},
        {"case": "tls-to-http", "api_url": https, "retries": 5},
    ]
    run = run_playbook(sim, "connection_errors.yml", {"cases": cases}, verbosity=4)
    results = by_case(run)

    # Ansible shows each retry warning (and wraps it) instead of keeping it in a loop item's result.
    warnings = " ".join((run.stdout + run.stderr).split())
    assert warnings.count("; retry ") == 1  # only the refused connection was retried

    result = results["refused"]
    assert result["msg"] == "Neo API request failed: GET %s: could not connect to %s (connection refused) after 2 attempts (ConnectionError)" % (
        PROJECTS, refused)
    assert result["api_retries"] == 1  # a refused connection keeps its retries
    assert "Neo API GET %s failed (could not connect to %s (connection refused)); retry 1 of 1 in " % (PROJECTS, refused) in warnings

    result = results["unresolvable"]
    assert result["msg"] == ("Neo API request failed: GET %s: could not connect to http://neo-api.invalid: the host name neo-api.invalid did not resolve "
                             "(ConnectionError)" % PROJECTS)
    assert result["api_retries"] == 0  # one attempt, although 5 retries were allowed

    result = results["tls-to-http"]
    assert result["msg"] == "Neo API request failed: GET %s: the server at %s does not speak TLS on that port: is the URL http://? (SSLError)" % (
        PROJECTS, https)
    assert result["api_retries"] == 0
    # The simulator said so in one line, once (one attempt), without a traceback; no API request reached it.
    with stderr.open(encoding="utf-8") as handle:
        handle.seek(before)
        assert handle.read().splitlines() == [TLS_LINE]
    assert sim.counters()["total"] == 0
    assert_no_credential(run)


def test_a_rejected_credential_says_where_it_came_from(sim, run_playbook, tmp_path):
    """NEO_API_KEY holds a wrong key, which neo_secret_info uses; the per-case tasks give their own
    wrong token or (another) wrong key, which win over the environment's and are named as the task's."""
    cases = [{"case": "token-from-task", "task_token": True}, {"case": "key-from-task", "task_key": True}]
    # In a file: at -vvvv ansible-playbook prints its command line.
    variables = tmp_path / "variables.json"
    variables.write_text(json.dumps({"cases": cases, "wrong_api_token": WRONG_TOKEN, "wrong_api_key": OTHER_WRONG_KEY, "secret_info": True}))
    run = run_playbook(sim, "connection_errors.yml", verbosity=4, api_key=WRONG_KEY, args=["-e", "@%s" % variables])
    from_env = run.task(SECRET_INFO)
    assert run.status(SECRET_INFO) == "failed"
    assert from_env["msg"].startswith("Neo API 401 unauthorized (error_id ")
    assert from_env["msg"].endswith("): unauthorized request: missing or invalid credentials; "
                                    "the API at %s rejected the API key from NEO_API_KEY: check that variable" % sim.url)
    results = by_case(run)
    for case, option in (("token-from-task", "api_token"), ("key-from-task", "api_key")):
        result = results[case]
        assert result["api_retries"] == 0
        assert result["msg"].startswith("Neo API 401 unauthorized (error_id ")
        assert result["msg"].endswith("; the API at %s rejected the API %s given in the task: %s" % (sim.url, option[4:], HINT))
        assert "NEO_API" not in result["msg"]
    assert from_env["api_retries"] == 0
    assert sim.counters()["by_status"] == {"401": 3}  # one request each, never retried
    assert sim.writes() == 0
    assert_no_credential(run)
