"""Fault matrix: neo_secret and the secret_policy role through real playbooks against a faulty simulator.

Each fault the simulator can inject (429 with Retry-After in seconds, as an HTTP date, or
without it; 500, 502, 503, 504; a dropped connection; a response slower than ``timeout``;
malformed JSON; an unknown list envelope; a 3xx on a write) ends in one of two ways:

* converged, after bounded retries, with the result's ``api_retries`` saying how many;
* failed, with a one-line message naming the status, ``code`` and ``error_id`` (or, for a
  transport failure, what happened), never a traceback; the role's report marks exactly the
  items that failed and still applies the rest.

Retry waits are real here (ansible-playbook runs the real client), so Retry-After values are 1 s
and ``retries``/``timeout`` are small where a fault must exhaust them.
"""
import re

import pytest

from tests.conftest import CANARY, POLICY_DRIFT, POLICY_RULES_READABLE, SECRET_PERSONAL_GITHUB

SECRET_TASK = "Neo_secret under test"
ROLE = "projectdiscovery.neo.secret_policy : "
POLICY_TASK = ROLE + "Evaluate and apply the secret policy"

LIST = "GET /api/v1/secrets"
PATCH = "PATCH /api/v1/secrets/{id}"
POST = "POST /api/v1/secrets"

# A status error: "Neo API <status> <code> (error_id <16 hex>): <detail>", one line.
STATUS_ERROR = re.compile(r"^Neo API (?P<status>\d{3}) (?P<code>[a-z_]+) \(error_id (?P<error_id>[0-9a-f]{16})\): [^\n]+$")

# The retryable faults: (id, rule without method/path/times, extra playbook vars, status in the counters).
RETRYABLE = [
    ("429-retry-after-seconds", {"kind": "status", "status": 429, "retry_after": "1"}, {}, "429"),
    ("429-retry-after-http-date", {"kind": "status", "status": 429, "retry_after": "http-date:1"}, {}, "429"),
    ("429-no-retry-after", {"kind": "status", "status": 429}, {}, "429"),
    ("500", {"kind": "status", "status": 500}, {}, "500"),
    ("502", {"kind": "status", "status": 502}, {}, "502"),
    ("503", {"kind": "status", "status": 503}, {}, "503"),
    ("504", {"kind": "status", "status": 504}, {}, "504"),
    ("dropped-connection", {"kind": "drop"}, {}, "dropped"),
    ("slower-than-timeout", {"kind": "slow", "delay_s": 1.6}, {"neo_timeout": 1}, "200"),
]
RETRYABLE_IDS = [case[0] for case in RETRYABLE]
EXPECTED_CODE = {429: "rate_limited", 500: "internal", 502: "internal", 503: "internal", 504: "internal"}


def rule(base, method, path, times):
    return dict(base, method=method, path=path, times=times)


def routes(sim):
    return sim.counters()["by_route"]


def settled_counters(sim, fault):
    """The counters; a slow request is counted when it is applied, before its late answer (docs/simulator.md)."""
    del fault
    return sim.counters()


def assert_one_line_no_traceback(run, msg):
    assert "\n" not in msg, msg
    output = run.stdout + run.stderr
    assert "Traceback" not in output, output
    assert CANARY not in output


def assert_status_error(msg, status, attempts):
    match = STATUS_ERROR.match(msg)
    assert match, msg
    assert int(match.group("status")) == status
    assert match.group("code") == EXPECTED_CODE[status]
    if attempts > 1:
        assert msg.endswith("(gave up after %d attempts)" % attempts), msg


def assert_retry_wait_shown(result, case_id):
    """The retries are shown as warnings (at any verbosity) with the wait the client chose."""
    waits = [float(m) for w in result.get("warnings", []) for m in re.findall(r"; retry \d+ of \d+ in ([0-9.]+) s$", w)]
    assert waits, result.get("warnings")
    if case_id == "429-retry-after-seconds":
        assert all(wait == 1.0 for wait in waits), waits
    elif case_id == "429-retry-after-http-date":
        assert all(0.0 <= wait <= 1.0 for wait in waits), waits  # 1 s ahead, at one-second resolution
    else:
        assert all(0.0 <= wait <= 0.5 for wait in waits), waits  # full jitter, first step 0.5 s


# --------------------------------------------------------------------------- neo_secret


def run_secret(sim, run_playbook, **extra):
    """Set the personal GITHUB_TOKEN (seeded true) to false: one list read and one PATCH."""
    return run_playbook(sim, "neo_secret.yml", dict({"secret_name": "GITHUB_TOKEN", "default_available": False}, **extra))


@pytest.mark.parametrize("case_id,fault,extra,status", RETRYABLE, ids=RETRYABLE_IDS)
def test_neo_secret_converges_after_retrying_the_list_read_and_the_patch(sim, run_playbook, case_id, fault, extra, status):
    sim.faults(rule(fault, "GET", "/api/v1/secrets", 1), rule(fault, "PATCH", "/api/v1/secrets/", 1))
    run = run_secret(sim, run_playbook, neo_retries=2, **extra)
    assert run.rc == 0, run.stdout
    result = run.task(SECRET_TASK)
    assert result["changed"] is True
    assert result["api_retries"] == 2
    assert sim.secret(SECRET_PERSONAL_GITHUB)["default_available"] is False
    counters = settled_counters(sim, fault)
    assert counters["faults_fired"] == 2
    assert counters["by_route"][LIST] == 2 and counters["by_route"][PATCH] == 2
    if status != "200":
        assert counters["by_status"][status] == 2
    assert_retry_wait_shown(result, case_id)
    assert_one_line_no_traceback(run, "")


@pytest.mark.parametrize("case_id,fault,extra,status", RETRYABLE, ids=RETRYABLE_IDS)
def test_neo_secret_fails_in_one_line_when_retries_run_out(sim, run_playbook, case_id, fault, extra, status):
    sim.faults(rule(fault, "GET", "/api/v1/secrets", 5))
    run = run_secret(sim, run_playbook, neo_retries=1, **extra)
    assert run.rc != 0
    result = run.task(SECRET_TASK)
    msg = result["msg"]
    assert result["api_retries"] == 1
    assert settled_counters(sim, fault)["by_route"] == {LIST: 2}  # exactly retries + 1 attempts, nothing written
    assert sim.writes() == 0
    assert_one_line_no_traceback(run, msg)
    if fault["kind"] == "status":
        assert_status_error(msg, fault["status"], attempts=2)
    elif fault["kind"] == "drop":
        assert msg == "Neo API request failed: GET /api/v1/secrets: connection dropped after 2 attempts (ConnectionError)"
    else:
        assert msg == "Neo API request failed: GET /api/v1/secrets: timed out after 1 s on each of 2 attempts"


@pytest.mark.parametrize("fault,status", [
    ({"kind": "status", "status": 429, "retry_after": "1"}, 429),
    ({"kind": "status", "status": 503}, 503),
    ({"kind": "drop"}, None),
], ids=["429", "503", "dropped-connection"])
def test_neo_secret_patch_that_keeps_failing_is_one_line_and_not_applied(sim, run_playbook, fault, status):
    sim.faults(rule(fault, "PATCH", "/api/v1/secrets/", 5))
    run = run_secret(sim, run_playbook, neo_retries=1)
    assert run.rc != 0
    result = run.task(SECRET_TASK)
    assert result["api_retries"] == 1
    assert routes(sim) == {LIST: 1, PATCH: 2}
    assert sim.secret(SECRET_PERSONAL_GITHUB)["default_available"] is True
    assert_one_line_no_traceback(run, result["msg"])
    if status:
        assert_status_error(result["msg"], status, attempts=2)
    else:
        assert result["msg"].startswith("Neo API request failed: PATCH /api/v1/secrets/%s: connection dropped after 2 attempts" % SECRET_PERSONAL_GITHUB)


@pytest.mark.parametrize("fault,method,expected", [
    ({"kind": "malformed"}, "GET", "Neo API: invalid JSON in response to GET /api/v1/secrets (status 200)"),
    ({"kind": "malformed"}, "PATCH", "Neo API: invalid JSON in response to PATCH /api/v1/secrets/%s (status 200)" % SECRET_PERSONAL_GITHUB),
    ({"kind": "unknown_envelope"}, "GET", "Neo API: the personal secrets: unrecognised list response from GET /api/v1/secrets: keys ['next', 'results']"),
    ({"kind": "redirect"}, "PATCH",
     "Neo API PATCH /api/v1/secrets/{id} answered 307: the API redirected to http://127.0.0.1:1/api/v1/secrets/{id}; redirects are not "
     "followed (that would resend the credentials and turn writes into GETs): set api_url to the final URL".replace("{id}", SECRET_PERSONAL_GITHUB)),
    ({"kind": "redirect"}, "GET",
     "Neo API GET /api/v1/secrets answered 307: the API redirected to http://127.0.0.1:1/api/v1/secrets?limit=100; redirects are not "
     "followed (that would resend the credentials and turn writes into GETs): set api_url to the final URL"),
], ids=["malformed-list", "malformed-patch", "unknown-envelope", "redirect-on-patch", "redirect-on-list"])
def test_neo_secret_non_retryable_faults_fail_at_once_in_one_line(sim, run_playbook, fault, method, expected):
    sim.faults(rule(fault, method, "/api/v1/secrets", 1))
    run = run_secret(sim, run_playbook)
    assert run.rc != 0
    result = run.task(SECRET_TASK)
    assert result["msg"] == expected
    assert result["api_retries"] == 0
    assert sim.counters()["faults_fired"] == 1
    # Nothing was written: a redirected or unreadable PATCH is not applied by the simulator.
    assert sim.secret(SECRET_PERSONAL_GITHUB)["default_available"] is True
    assert_one_line_no_traceback(run, result["msg"])


def test_neo_secret_redirect_on_create_is_refused(sim, run_playbook):
    """A 3xx on POST: not followed (the value would go to another host), nothing created."""
    sim.faults(rule({"kind": "redirect"}, "POST", "/api/v1/secrets", 1))
    run = run_secret(sim, run_playbook, secret_name="FAULT_REDIRECT", secret_value="CANARY-redirect-value-0001")
    assert run.rc != 0
    msg = run.task(SECRET_TASK)["msg"]
    assert msg.startswith("Neo API POST /api/v1/secrets answered 307: the API redirected to http://127.0.0.1:1/api/v1/secrets; redirects are not followed")
    assert routes(sim) == {LIST: 1, POST: 1}
    assert not [s for s in sim.state()["secrets"] if s["name"] == "FAULT_REDIRECT"]
    assert_one_line_no_traceback(run, msg)


def test_neo_secret_create_retried_on_429_creates_once(sim, run_playbook):
    """POST is retried on 429 (the API refused it, so nothing was created)."""
    sim.faults(rule({"kind": "status", "status": 429, "retry_after": "1"}, "POST", "/api/v1/secrets", 1))
    run = run_secret(sim, run_playbook, secret_name="FAULT_CREATED", secret_value="CANARY-created-value-0001")
    assert run.rc == 0, run.stdout
    result = run.task(SECRET_TASK)
    assert result["changed"] is True and result["api_retries"] == 1
    assert routes(sim)[POST] == 2
    assert len([s for s in sim.state()["secrets"] if s["name"] == "FAULT_CREATED"]) == 1
    assert_one_line_no_traceback(run, "")


# --------------------------------------------------------------------------- the secret_policy role

RULES = POLICY_RULES_READABLE
PERSONAL_NOTE = "5ec00000-0000-4000-8000-000000000102"
PROD_DB = "5ec00000-0000-4000-8000-000000000111"
DRIFTED = POLICY_DRIFT
COMPLIANT = {"5ec00000-0000-4000-8000-000000000112": False, "5ec00000-0000-4000-8000-000000000121": False}
# What each rule of RULES decides when every scope is read (summary.rules), and no exception.
RULES_DECIDED = [{"index": 0, "name": "rule 1", "decided": 4}, {"index": 1, "name": "rule 2", "decided": 1},
                 {"index": 2, "name": "rule 3", "decided": 3}]
NO_EXCEPTIONS = {"in_force": 0, "expired": 0, "unmatched": 0}


def policy_summary(rules=None, **counts):
    return dict(counts, rules=RULES_DECIDED if rules is None else rules, exceptions=NO_EXCEPTIONS)


def run_role(sim, run_playbook, retries=2, concurrency=8, **extra):
    extra_vars = dict({"neo_secret_policy_rules": RULES, "neo_retries": retries, "neo_secret_policy_concurrency": concurrency,
                       "neo_secret_policy_list_compliant": True}, **extra)
    return run_playbook(sim, "secret_policy_tuned.yml", extra_vars)


def role_failure(run):
    """The last line of the message with which the role fails at its end, after the report."""
    failed = [entry for entry in run.results if entry["task"].startswith(ROLE) and entry["task"] != POLICY_TASK and entry["status"] == "failed"]
    assert len(failed) == 1, run.stdout
    msg = failed[0]["result"]["msg"]
    return msg[-1] if isinstance(msg, list) else msg


def statuses(fact):
    return {entry["secret_id"]: entry["status"] for entry in fact["entries"]}


@pytest.mark.parametrize("case_id,fault,extra,status", RETRYABLE, ids=RETRYABLE_IDS)
def test_role_converges_after_retrying_a_list_page_and_a_patch(policy_sim, run_playbook, case_id, fault, extra, status):
    policy_sim.faults(rule(fault, "GET", "/api/v1/secrets", 1), rule(fault, "PATCH", "/api/v1/secrets/" + PROD_DB, 1))
    run = run_role(policy_sim, run_playbook, **extra)
    assert run.rc == 0, run.stdout
    policy = run.task(POLICY_TASK)
    assert policy["api_retries"] == 2
    fact = run.task(POLICY_TASK)
    assert fact["summary"] == policy_summary(projects=3, checked=8, compliant=2, drifted=6, changed=6, failed=0, not_attempted=0)
    assert statuses(fact) == dict({sid: "changed" for sid in DRIFTED}, **{sid: "compliant" for sid in COMPLIANT})
    state = policy_sim.flags()
    assert {sid: state[sid] for sid in DRIFTED} == DRIFTED
    counters = settled_counters(policy_sim, fault)
    assert counters["faults_fired"] == 2
    assert counters["by_route"][PATCH] == len(DRIFTED) + 1  # one PATCH per drifted secret, plus the retry
    assert_retry_wait_shown(policy, case_id)
    assert_one_line_no_traceback(run, "")


def assert_only_prod_db_failed(run, sim, expected_msg=None):
    fact = run.task(POLICY_TASK)
    assert fact["summary"] == policy_summary(projects=3, checked=8, compliant=2, drifted=6, changed=5, failed=1, not_attempted=0)
    expected = dict({sid: "changed" for sid in DRIFTED}, **{sid: "compliant" for sid in COMPLIANT})
    expected[PROD_DB] = "failed"
    assert statuses(fact) == expected
    error = next(entry["error"] for entry in fact["entries"] if entry["secret_id"] == PROD_DB)
    assert "\n" not in error
    if expected_msg is not None:
        assert expected_msg(error), error
    # The rest is applied; the failed secret keeps its flag (the simulator does not apply a faulted request).
    state = sim.flags()
    assert {sid: state[sid] for sid in DRIFTED if sid != PROD_DB} == {sid: flag for sid, flag in DRIFTED.items() if sid != PROD_DB}
    assert state[PROD_DB] is True
    # The role shows the report, then fails at the end with one line.
    assert run.rc != 0
    assert role_failure(run) == "1 secret could not be updated; see entries"
    assert_one_line_no_traceback(run, error)
    return error


# A slow PATCH is applied by the server even when the client gave up: the next test covers it.
@pytest.mark.parametrize("case_id,fault,extra,status", RETRYABLE[:-1], ids=RETRYABLE_IDS[:-1])
def test_role_marks_exactly_the_secret_whose_patch_keeps_failing(policy_sim, run_playbook, case_id, fault, extra, status):
    policy_sim.faults(rule(fault, "PATCH", "/api/v1/secrets/" + PROD_DB, 5))
    run = run_role(policy_sim, run_playbook, retries=1, **extra)
    assert run.task(POLICY_TASK)["api_retries"] == 1
    error = assert_only_prod_db_failed(run, policy_sim)
    if fault["kind"] == "status":
        assert_status_error(error, fault["status"], attempts=2)
    else:
        assert error == "Neo API request failed: PATCH /api/v1/secrets/%s: connection dropped after 2 attempts (ConnectionError)" % PROD_DB
    assert policy_sim.counters()["by_route"][PATCH] == len(DRIFTED) + 1


def test_role_patch_slower_than_timeout_is_reported_failed_and_converges_on_the_next_run(policy_sim, run_playbook):
    """The server applies a slow PATCH although the client gave up: reported failed, and the next run finds it compliant."""
    policy_sim.faults(rule({"kind": "slow", "delay_s": 1.6}, "PATCH", "/api/v1/secrets/" + PROD_DB, 5))
    run = run_role(policy_sim, run_playbook, retries=1, neo_timeout=1)
    fact = run.task(POLICY_TASK)
    assert statuses(fact)[PROD_DB] == "failed"
    assert fact["summary"]["changed"] == 5 and fact["summary"]["failed"] == 1
    error = next(entry["error"] for entry in fact["entries"] if entry["secret_id"] == PROD_DB)
    assert error == "Neo API request failed: PATCH /api/v1/secrets/%s: timed out after 1 s on each of 2 attempts" % PROD_DB
    assert run.rc != 0
    assert_one_line_no_traceback(run, error)

    policy_sim.faults()
    again = run_role(policy_sim, run_playbook)
    assert again.rc == 0, again.stdout
    assert again.task(POLICY_TASK)["summary"]["drifted"] == 0


@pytest.mark.parametrize("fault,expected", [
    ({"kind": "malformed"}, "Neo API: invalid JSON in response to PATCH /api/v1/secrets/%s (status 200)" % PROD_DB),
    ({"kind": "redirect"}, "Neo API PATCH /api/v1/secrets/%s answered 307: the API redirected to http://127.0.0.1:1/api/v1/secrets/%s; "
                           "redirects are not followed (that would resend the credentials and turn writes into GETs): set api_url to the final URL"
                           % (PROD_DB, PROD_DB)),
], ids=["malformed-patch", "redirect-on-patch"])
def test_role_non_retryable_patch_fault_fails_only_that_secret(policy_sim, run_playbook, fault, expected):
    policy_sim.faults(rule(fault, "PATCH", "/api/v1/secrets/" + PROD_DB, 1))
    run = run_role(policy_sim, run_playbook)
    assert run.task(POLICY_TASK)["api_retries"] == 0
    assert assert_only_prod_db_failed(run, policy_sim) == expected


@pytest.mark.parametrize("fault,expected", [
    ({"kind": "status", "status": 503}, None),
    ({"kind": "malformed"}, "Neo API: invalid JSON in response to GET /api/v1/secrets (status 200)"),
    ({"kind": "unknown_envelope"}, "Neo API: the personal secrets: unrecognised list response from GET /api/v1/secrets: keys ['next', 'results']"),
    ({"kind": "redirect"}, "Neo API GET /api/v1/secrets answered 307: the API redirected to http://127.0.0.1:1/api/v1/secrets?limit=100; "
                           "redirects are not followed (that would resend the credentials and turn writes into GETs): set api_url to the final URL"),
], ids=["503-exhausted", "malformed", "unknown-envelope", "redirect"])
def test_role_scope_that_cannot_be_read_is_one_failed_entry_and_the_rest_is_applied(policy_sim, run_playbook, fault, expected):
    """With concurrency 1 the personal scope is read first, so the fault hits exactly that scope."""
    policy_sim.faults(rule(fault, "GET", "/api/v1/secrets", 2 if fault["kind"] == "status" else 1))  # retries + 1 attempts, or 1
    run = run_role(policy_sim, run_playbook, retries=1, concurrency=1)
    fact = run.task(POLICY_TASK)
    # the personal scope is not read: rule 1 does not decide its PROD_PERSONAL_NOTE
    assert fact["summary"] == policy_summary(projects=3, checked=7, compliant=2, drifted=5, changed=5, failed=1, not_attempted=0,
                                             rules=[dict(RULES_DECIDED[0], decided=3)] + RULES_DECIDED[1:])
    failed = [entry for entry in fact["entries"] if entry["status"] == "failed"]
    assert [(entry["project_id"], entry["secret_id"]) for entry in failed] == [(None, None)]  # the personal scope
    error = failed[0]["error"]
    if expected is None:
        assert_status_error(error, 503, attempts=2)
    else:
        assert error == expected
    state = policy_sim.flags()
    assert state[PERSONAL_NOTE] is True  # its scope was not read: not touched
    assert {sid: state[sid] for sid in DRIFTED if sid != PERSONAL_NOTE} == {sid: f for sid, f in DRIFTED.items() if sid != PERSONAL_NOTE}
    assert run.rc != 0
    assert role_failure(run) == "1 scope could not be read; see entries"
    assert_one_line_no_traceback(run, error)


def test_role_fails_in_one_line_when_the_projects_list_cannot_be_read(policy_sim, run_playbook):
    policy_sim.faults(rule({"kind": "status", "status": 502}, "GET", "/api/v1/projects", 5))
    run = run_role(policy_sim, run_playbook, retries=1)
    assert run.rc != 0
    result = run.task(POLICY_TASK)
    assert_status_error(result["msg"], 502, attempts=2)
    assert result["api_retries"] == 1
    assert routes(policy_sim) == {"GET /api/v1/projects": 2}
    assert_one_line_no_traceback(run, result["msg"])
