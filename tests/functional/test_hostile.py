"""A hostile API: the secret_policy role and neo_secret through real playbooks against the simulator's hostile faults.

Each case injects one fault of docs/simulator.md (deep JSON, a list that shrinks between pages,
a 403 that echoes the API key, a trickling body, ``has_more`` forever, a repeated cursor, a
401 after N requests, a proxy's 407, an oversized body) and asserts, through ansible-playbook:

* the exit status, and the one-line message the role (or the task) fails with;
* the server's final state (every flag of the seed) and the simulator's request counters;
* every entry of the role's result, and the JSON report file (mode 0600, ``generated_at``,
  ``mode``, the same summary and entries), or its absence after a fatal failure;
* that no API key and no ``CANARY`` value is anywhere: stdout, stderr, every file under the
  test's ``tmp_path`` (reports, the task results, ``ANSIBLE_LOG_PATH``, ansible's temp
  directory) and the simulator's request log;
* time bounds, with the wall time of the whole ansible-playbook run.

The role runs with ``neo_secret_policy_concurrency: 1`` where a fault must hit one scope: the
scopes are then read in a fixed order (personal, Production, Staging, Research), and the
list GETs of /api/v1/secrets are, in that order: personal (1 page), Production (2 pages of
page_size 2), Staging (2), Research (1). A rule's ``skip`` picks the request it hits.
"""
import contextlib
import datetime
import json
import os
import pathlib
import re
import signal
import stat
import subprocess
import time
import types

import pytest
import yaml

from tests.conftest import (
    ALICE_KEY,
    ALICE_TOKEN,
    CANARY,
    POLICY_PRODUCTION,
    POLICY_RESEARCH,
    POLICY_RULES_READABLE,
    POLICY_SEED,
    POLICY_STAGING,
    SECRET_PERSONAL_GITHUB,
)
from tests.functional.conftest import ANSIBLE_PLAYBOOK, PLAYBOOKS, playbook_env

ROLE = "projectdiscovery.neo.secret_policy : "
POLICY_TASK = ROLE + "Evaluate and apply the secret policy"
REPORT_TASK = ROLE + "Report the policy result"
SECRET_TASK = "Neo_secret under test"

LIST = "GET /api/v1/secrets"
PROJECTS = "GET /api/v1/projects"
PATCH = "PATCH /api/v1/secrets/{id}"

PRODUCTION, STAGING, RESEARCH = POLICY_PRODUCTION, POLICY_STAGING, POLICY_RESEARCH
SCOPES = [(None, None), (PRODUCTION, "Production"), (STAGING, "Staging"), (RESEARCH, "Research")]

PERSONAL_NOTE = "5ec00000-0000-4000-8000-000000000102"
PROD_DB = "5ec00000-0000-4000-8000-000000000111"
PROD_GITHUB = "5ec00000-0000-4000-8000-000000000113"
PROD_SLACK = "5ec00000-0000-4000-8000-000000000114"
STAGING_GITHUB = "5ec00000-0000-4000-8000-000000000122"
RESEARCH_GITHUB = "5ec00000-0000-4000-8000-000000000131"

# Every secret POLICY_RULES_READABLE decides: id -> (scope, name, flag as seeded, flag wanted, rule).
COVERED = {
    PERSONAL_NOTE: (None, "PROD_PERSONAL_NOTE", True, False, 0),
    PROD_DB: (PRODUCTION, "PROD_DB_PASSWORD", True, False, 0),
    "5ec00000-0000-4000-8000-000000000112": (PRODUCTION, "PROD_API_TOKEN", False, False, 0),
    PROD_GITHUB: (PRODUCTION, "GITHUB_TOKEN", True, False, 2),
    PROD_SLACK: (PRODUCTION, "SLACK_WEBHOOK", True, False, 2),
    "5ec00000-0000-4000-8000-000000000121": (STAGING, "PROD_DB_PASSWORD", False, False, 0),
    STAGING_GITHUB: (STAGING, "GITHUB_TOKEN", False, True, 1),
    RESEARCH_GITHUB: (RESEARCH, "GITHUB_TOKEN", True, False, 2),
}
DRIFTED = [sid for sid, (_s, _n, before, after, _r) in COVERED.items() if before is not after]
SEEDED = {secret["id"]: secret.get("default_available", False) for secret in yaml.safe_load(POLICY_SEED.read_text())["secrets"]}
CONVERGED = {"projects": 3, "checked": 8, "compliant": 2, "drifted": 6, "changed": 6, "failed": 0, "not_attempted": 0}

# The fields and counts asserted here (a result may carry more: rule names, exceptions).
ENTRY_FIELDS = ("project_id", "project_name", "secret_id", "secret_name", "before", "after", "rule", "status", "error")
SUMMARY_KEYS = ("projects", "checked", "compliant", "drifted", "changed", "failed", "not_attempted")
ERROR_ID = re.compile(r"\(error_id [0-9a-f]{16}\)")
PROXY_407 = ("Neo API GET %s: proxy authentication failed (407 from the HTTP proxy between this host and the API); "
             "check the proxy credentials in HTTPS_PROXY / HTTP_PROXY")
LEAKS = (CANARY, ALICE_KEY, ALICE_TOKEN, "aliceCANARY", "neo_sk_alice")


def rule(kind, method="GET", path="/api/v1/secrets", times=1, **keys):
    return dict(keys, kind=kind, method=method, path=path, times=times)


@contextlib.contextmanager
def umask(mask):
    """The test process's umask (inherited by ansible-playbook) set to ``mask`` for the block."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def report_path(tmp_path):
    directory = tmp_path / "reports"
    directory.mkdir(exist_ok=True)
    return directory / "policy.json"


def run_role(sim, run_playbook, tmp_path, retries=1, concurrency=1, verbosity=0, **extra):
    """The role with every entry listed, a report in tmp_path and ansible's log file in tmp_path."""
    extra_vars = dict({
        "neo_secret_policy_rules": POLICY_RULES_READABLE, "neo_retries": retries, "neo_secret_policy_concurrency": concurrency,
        "neo_secret_policy_list_compliant": True, "neo_secret_policy_report_path": str(report_path(tmp_path)),
    }, **extra)
    started = time.monotonic()
    run = run_playbook(sim, "secret_policy_tuned.yml", extra_vars, verbosity=verbosity,
                       extra_env={"ANSIBLE_LOG_PATH": str(tmp_path / "ansible.log")})
    run.elapsed = time.monotonic() - started
    run.started_at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=run.elapsed)
    return run


# --------------------------------------------------------------------------- expectations


def scope_entry(scope, status, error):
    name = dict(SCOPES)[scope]
    return {"project_id": scope, "project_name": name, "secret_id": None, "secret_name": None, "before": None, "after": None,
            "rule": None, "status": status, "error": error}


def expected_entries(secrets=None, scopes=None):
    """Every entry of the result: ``secrets`` and ``scopes`` map an id to (status, error); the rest converged."""
    secrets, scopes = secrets or {}, scopes or {}
    entries = []
    for scope, name in SCOPES:
        if scope in scopes:
            entries.append(scope_entry(scope, *scopes[scope]))
            continue
        for sid, (_scope, secret_name, before, after, rule_index) in sorted(
                ((sid, record) for sid, record in COVERED.items() if record[0] == scope), key=lambda item: (item[1][1], item[0])):
            status, error = secrets.get(sid, ("compliant" if before is after else "changed", None))
            entries.append({"project_id": scope, "project_name": name, "secret_id": sid, "secret_name": secret_name, "before": before,
                            "after": after, "rule": rule_index, "status": status, "error": error})
    return entries


def without_error_ids(entries):
    """The ENTRY_FIELDS of the entries, with each random ``error_id`` of an API error replaced by ``X``."""
    return [dict({key: entry[key] for key in ENTRY_FIELDS}, error=ERROR_ID.sub("(error_id X)", entry["error"]) if entry["error"] else None)
            for entry in entries]


def counts(fact):
    return {key: fact["summary"][key] for key in SUMMARY_KEYS}


def final_flags(applied):
    """Every secret's flag after the run: the seed, with the desired flag of each secret in ``applied``."""
    return dict(SEEDED, **{sid: COVERED[sid][3] for sid in applied})


def by_scope_and_secret(entries):
    return sorted(entries, key=lambda entry: (entry["project_id"] or "", entry["secret_id"] or ""))


def assert_entries(fact, expected):
    """Exactly the expected entries (their order is the role tests' business)."""
    assert by_scope_and_secret(without_error_ids(fact["entries"])) == by_scope_and_secret(expected)
    # Every planned write ended changed, failed or not_attempted; every error is one line.
    assert not [entry for entry in fact["entries"] if entry["status"] == "drifted"]
    assert all("\n" not in entry["error"] for entry in fact["entries"] if entry["error"])


def role_failure(run):
    """The one line the role fails with at its end, after it has shown the report."""
    assert run.rc == 2, run.stdout
    assert run.status(POLICY_TASK) == "ok"
    assert run.status(REPORT_TASK) == "failed"
    lines = run.task(REPORT_TASK)["msg"]
    assert isinstance(lines, list) and lines[-1] == run.task(POLICY_TASK)["msg"]
    # The table was shown, closed by the counts, before the role failed.
    assert lines[-2] == "policy applied: " + " ".join("%s=%d" % item for item in counts(run.task(POLICY_TASK)).items())
    assert "\n" not in lines[-1]
    return ERROR_ID.sub("(error_id X)", lines[-1])


def assert_report(run, tmp_path, fact):
    """The report: the only file in its directory, 0600, this run's time and mode, the fact's summary and entries."""
    path = report_path(tmp_path)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file left behind
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text())
    assert {"entries", "generated_at", "mode", "summary"} <= set(document)
    assert document["mode"] == "apply"
    generated = datetime.datetime.strptime(document["generated_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert run.started_at - datetime.timedelta(seconds=1) <= generated <= datetime.datetime.now(datetime.timezone.utc)
    assert document["summary"] == fact["summary"]
    assert by_scope_and_secret(document["entries"]) == by_scope_and_secret(fact["entries"])
    assert fact["report_path"] == str(path)
    return document


def assert_no_report(tmp_path):
    assert list(report_path(tmp_path).parent.iterdir()) == []


def assert_nothing_secret(run, tmp_path, sim):
    """No key, token or CANARY value in the output, in any file under tmp_path, or in the simulator's log."""
    texts = [("stdout", run.stdout.encode()), ("stderr", run.stderr.encode()),
             ("simulator log", pathlib.Path(sim.log_path).read_bytes())]
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert files, "nothing under %s" % tmp_path
    texts += [(str(path.relative_to(tmp_path)), path.read_bytes()) for path in files]
    for where, data in texts:
        for needle in LEAKS:
            assert needle.encode() not in data, "%s holds %r" % (where, needle)
    assert "Traceback" not in run.stdout + run.stderr


def scope_failure_run(sim, run, tmp_path, scope, error, applied_scopes_summary):
    """One scope failed, the rest converged: entries, state, report, one-line failure, no leak."""
    fact = run.task(POLICY_TASK)
    assert counts(fact) == applied_scopes_summary
    assert_entries(fact, expected_entries(scopes={scope: ("failed", error)}))
    assert sim.flags() == final_flags([sid for sid in DRIFTED if COVERED[sid][0] != scope])
    assert role_failure(run) == "1 scope could not be read; see entries"
    assert_report(run, tmp_path, fact)
    assert_nothing_secret(run, tmp_path, sim)
    return fact


# Summaries when one scope could not be read (the others converged).
WITHOUT_PERSONAL = {"projects": 3, "checked": 7, "compliant": 2, "drifted": 5, "changed": 5, "failed": 1, "not_attempted": 0}
WITHOUT_PRODUCTION = {"projects": 3, "checked": 4, "compliant": 1, "drifted": 3, "changed": 3, "failed": 1, "not_attempted": 0}
WITHOUT_RESEARCH = {"projects": 3, "checked": 7, "compliant": 2, "drifted": 5, "changed": 5, "failed": 1, "not_attempted": 0}


# --------------------------------------------------------------------------- deep JSON


def test_deep_json_answer_to_a_patch_is_failed_although_the_server_applied_it(policy_sim, run_playbook, tmp_path):
    """The PATCH took effect, but its answer (JSON 100,000 levels deep) cannot be read: failed, not changed, not retried."""
    policy_sim.faults(rule("deep_json", "PATCH", "/api/v1/secrets/" + PROD_DB))
    run = run_role(policy_sim, run_playbook, tmp_path, concurrency=8)
    fact = run.task(POLICY_TASK)
    error = "Neo API: invalid JSON in response to PATCH /api/v1/secrets/%s (status 200)" % PROD_DB
    assert counts(fact) == dict(CONVERGED, changed=5, failed=1)
    assert_entries(fact, expected_entries(secrets={PROD_DB: ("failed", error)}))
    assert policy_sim.flags() == final_flags(DRIFTED)  # the server applied it: the report says the answer could not be read
    counters = policy_sim.counters()
    assert counters["by_route"][PATCH] == len(DRIFTED) and counters["faults_fired"] == 1  # not retried
    assert fact["api_retries"] == 0
    assert role_failure(run) == "1 secret could not be updated; see entries"
    assert_report(run, tmp_path, fact)
    assert_nothing_secret(run, tmp_path, policy_sim)

    again = run_role(policy_sim, run_playbook, tmp_path)  # the fault is used up: the next run finds it compliant
    assert again.rc == 0, again.stdout
    assert counts(again.task(POLICY_TASK)) == dict(CONVERGED, compliant=8, drifted=0, changed=0)


def test_deep_json_on_a_later_page_fails_that_scope_and_uses_none_of_its_first_page(policy_sim, run_playbook, tmp_path):
    """Production's page 2 is deep JSON: PROD_DB_PASSWORD, read on page 1, is not touched; the other scopes are applied."""
    policy_sim.faults(rule("deep_json", skip=2))  # personal, Production page 1, then Production page 2
    run = run_role(policy_sim, run_playbook, tmp_path)
    scope_failure_run(policy_sim, run, tmp_path, PRODUCTION, "Neo API: invalid JSON in response to GET /api/v1/secrets (status 200)",
                      WITHOUT_PRODUCTION)
    assert policy_sim.counters()["by_route"][LIST] == 6  # not retried, not re-read


# --------------------------------------------------------------------------- a list that shrinks between pages

# (pagination, list_form, the key announcing the size): with has_more (and count), and with total only.
SHRINKING = [("offset", "named", "count"), ("offset_total", "data", "total")]


@pytest.mark.parametrize("pagination,list_form,key", SHRINKING, ids=["has_more-and-count", "total-without-has_more"])
def test_list_shrinking_twice_fails_that_scope_saying_what_changed(policy_sim, run_playbook, tmp_path, pagination, list_form, key):
    """Production's page 2 says one secret less on both readings: the scope fails, the others are applied."""
    policy_sim.configure(pagination=pagination, list_form=list_form)
    policy_sim.faults(rule("shift", times=2))  # the first later page of both readings of Production
    run = run_role(policy_sim, run_playbook, tmp_path)
    error = ("Neo API: the secrets of project %s could not be read consistently (read twice from the start): "
             "%s changed from 4 to 3 between page 1 and page 2; the list is not used" % (PRODUCTION, key))
    scope_failure_run(policy_sim, run, tmp_path, PRODUCTION, error, WITHOUT_PRODUCTION)
    counters = policy_sim.counters()
    assert counters["faults_fired"] == 2
    assert counters["by_route"][LIST] == 8  # Production read twice (2 + 2 pages), the others once


@pytest.mark.parametrize("pagination,list_form,key", SHRINKING, ids=["has_more-and-count", "total-without-has_more"])
def test_list_shrinking_once_is_read_again_from_the_start_and_applied(policy_sim, run_playbook, tmp_path, pagination, list_form, key):
    """One inconsistent reading of Production: it is read once more from the start, and everything converges."""
    del key
    policy_sim.configure(pagination=pagination, list_form=list_form)
    policy_sim.faults(rule("shift", times=1))
    run = run_role(policy_sim, run_playbook, tmp_path)
    assert run.rc == 0, run.stdout
    fact = run.task(POLICY_TASK)
    assert counts(fact) == CONVERGED
    assert_entries(fact, expected_entries())
    assert policy_sim.flags() == final_flags(DRIFTED)
    counters = policy_sim.counters()
    assert counters["faults_fired"] == 1
    assert counters["by_route"][LIST] == 8 and counters["by_route"][PATCH] == len(DRIFTED)
    assert_report(run, tmp_path, fact)
    assert_nothing_secret(run, tmp_path, policy_sim)


# --------------------------------------------------------------------------- an API that echoes the key


def test_key_echoing_403_is_scrubbed_everywhere_and_the_report_is_0600_under_umask_077(policy_sim, run_playbook, tmp_path):
    """A 403 quoting X-Api-Key on the personal list and on one PATCH, at -vvvv with a log file, under umask 077."""
    policy_sim.faults(rule("status", status=403, echo_credentials=True),
                      rule("status", "PATCH", "/api/v1/secrets/" + PROD_DB, status=403, echo_credentials=True))
    with umask(0o077):
        run = run_role(policy_sim, run_playbook, tmp_path, verbosity=4)
    echoed = "Neo API 403 forbidden (error_id X): forbidden request: denied for X-Api-Key: ********"
    fact = run.task(POLICY_TASK)
    assert counts(fact) == {"projects": 3, "checked": 7, "compliant": 2, "drifted": 5, "changed": 4, "failed": 2, "not_attempted": 0}
    assert_entries(fact, expected_entries(secrets={PROD_DB: ("failed", echoed)}, scopes={None: ("failed", echoed)}))
    assert policy_sim.flags() == final_flags([sid for sid in DRIFTED if sid not in (PERSONAL_NOTE, PROD_DB)])
    assert policy_sim.counters()["by_status"]["403"] == 2  # not retried
    assert role_failure(run) == "1 scope could not be read and 1 secret could not be updated; see entries"
    document = assert_report(run, tmp_path, fact)
    assert json.dumps(document).count("X-Api-Key: ********") == 2  # the file holds the scrubbed messages
    assert (tmp_path / "ansible.log").stat().st_size > 0  # the log file was written, and is scanned
    assert_nothing_secret(run, tmp_path, policy_sim)


@pytest.mark.parametrize("credential", ["api_key", "api_token"])
def test_neo_secret_credential_echoing_403_is_scrubbed(sim, run_playbook, tmp_path, credential):
    sim.faults(rule("status", "PATCH", "/api/v1/secrets/", status=403, echo_credentials=True))
    if credential == "api_key":
        api_key, extra_env, shown = ALICE_KEY, {}, "X-Api-Key: ********"
    else:
        api_key, extra_env, shown = None, {"NEO_API_TOKEN": ALICE_TOKEN}, "Authorization: Bearer ********"
    extra_env["ANSIBLE_LOG_PATH"] = str(tmp_path / "ansible.log")
    run = run_playbook(sim, "neo_secret.yml", {"secret_name": "GITHUB_TOKEN", "default_available": False}, verbosity=4, api_key=api_key,
                       extra_env=extra_env)
    assert run.rc == 2
    msg = ERROR_ID.sub("(error_id X)", run.task(SECRET_TASK)["msg"])
    assert msg == "Neo API 403 forbidden (error_id X): forbidden request: denied for " + shown
    assert sim.secret(SECRET_PERSONAL_GITHUB)["default_available"] is True
    assert sim.counters()["by_route"] == {LIST: 1, PATCH: 1}
    assert_nothing_secret(run, tmp_path, sim)


# --------------------------------------------------------------------------- time bounds


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_trickling_list_ends_at_timeout_as_a_time_out(policy_sim, run_playbook, tmp_path, chunked):
    """The personal list trickles one byte a second (it would take minutes): each attempt ends at timeout (2 s)."""
    timeout, retries = 2, 1
    policy_sim.faults(rule("trickle", times=retries + 1, delay_s=1.0, chunked=chunked))
    run = run_role(policy_sim, run_playbook, tmp_path, retries=retries, neo_timeout=timeout)
    error = "Neo API request failed: GET /api/v1/secrets: timed out after %d s on each of %d attempts" % (timeout, retries + 1)
    scope_failure_run(policy_sim, run, tmp_path, None, error, WITHOUT_PERSONAL)
    assert run.task(POLICY_TASK)["api_retries"] == retries
    # Two attempts of 2 s, at most 0.5 s of jitter, plus ansible-playbook's own start and the rest of the run.
    assert timeout * (retries + 1) <= run.elapsed < timeout * (retries + 1) + 0.5 + 20, run.elapsed


def endless_research(sim, pagination, **keys):
    """Research (read last) gets pages that never end; the `items` envelope carries no count that could change."""
    sim.configure(pagination=pagination, list_form="items")
    sim.faults(rule("endless", skip=5, times=100000, **keys))


def test_has_more_forever_ends_at_1000_pages(policy_sim, run_playbook, tmp_path):
    endless_research(policy_sim, "offset")
    run = run_role(policy_sim, run_playbook, tmp_path)
    error = "Neo API: the secrets of project %s: more than 1000 pages (2000 items so far); giving up, the list is not used" % RESEARCH
    scope_failure_run(policy_sim, run, tmp_path, RESEARCH, error, WITHOUT_RESEARCH)
    assert policy_sim.counters()["faults_fired"] == 1000  # the client stopped by itself: the rule had 99,000 pages left
    assert policy_sim.admin("GET", "faults")["faults"][0]["times"] == 100000 - 1000
    assert run.elapsed < 60, run.elapsed


def test_repeated_cursor_with_fresh_items_stops_at_once(policy_sim, run_playbook, tmp_path):
    endless_research(policy_sim, "cursor", repeat_cursor=True)
    run = run_role(policy_sim, run_playbook, tmp_path)
    fact = run.task(POLICY_TASK)
    error = next(entry["error"] for entry in fact["entries"] if entry["project_id"] == RESEARCH)
    match = re.match(r"^Neo API: the secrets of project %s could not be read consistently \(read twice from the start\): "
                     r"next_cursor (\S+) was already given; the list is not used$" % RESEARCH, error)
    assert match, error
    scope_failure_run(policy_sim, run, tmp_path, RESEARCH, error, WITHOUT_RESEARCH)
    assert policy_sim.counters()["faults_fired"] == 4  # two readings of two pages each


def test_oversized_list_body_fails_that_scope_clearly(policy_sim, run_playbook, tmp_path):
    """A 70 MiB answer to the personal list is refused (over 64 MiB), not retried; the rest is applied."""
    policy_sim.faults(rule("oversized", size_mb=70))
    run = run_role(policy_sim, run_playbook, tmp_path)
    scope_failure_run(policy_sim, run, tmp_path, None, "Neo API answered GET /api/v1/secrets (status 200) with a body over 64 MiB; refused",
                      WITHOUT_PERSONAL)
    assert policy_sim.counters()["by_route"][LIST] == 6  # not retried
    assert run.task(POLICY_TASK)["api_retries"] == 0


# --------------------------------------------------------------------------- credentials rejected

# URL stands for the simulator's base URL, which the messages name with the credential's source.
REJECTED = ("the API at URL rejected the API key from NEO_API_KEY earlier in this run "
            "(Neo API 401 unauthorized (error_id X): unauthorized request: injected fault): check that variable")
UNAUTHORIZED = ("Neo API 401 unauthorized (error_id X): unauthorized request: injected fault; "
                "the API at URL rejected the API key from NEO_API_KEY: check that variable")

# (id, skip: requests answered before the first 401, secrets, scopes, summary, failure line, secrets applied)
AFTER_N = [
    ("during-the-reads", 4,  # the projects list (2 pages), personal, Production page 1; then Production page 2
     {PERSONAL_NOTE: ("not_attempted", REJECTED)},
     {PRODUCTION: ("failed", UNAUTHORIZED), STAGING: ("not_attempted", REJECTED), RESEARCH: ("not_attempted", REJECTED)},
     {"projects": 3, "checked": 1, "compliant": 0, "drifted": 1, "changed": 0, "failed": 1, "not_attempted": 3},
     "1 scope could not be read; 3 reads or updates not attempted: %s; see entries" % REJECTED, []),
    ("at-the-second-write", 9,  # every read and the first PATCH (PROD_PERSONAL_NOTE); then the PATCH of Production's GITHUB_TOKEN
     {PROD_GITHUB: ("failed", UNAUTHORIZED), PROD_DB: ("not_attempted", REJECTED), PROD_SLACK: ("not_attempted", REJECTED),
      STAGING_GITHUB: ("not_attempted", REJECTED), RESEARCH_GITHUB: ("not_attempted", REJECTED)},
     {},
     {"projects": 3, "checked": 8, "compliant": 2, "drifted": 6, "changed": 1, "failed": 1, "not_attempted": 4},
     "1 secret could not be updated; 4 reads or updates not attempted: %s; see entries" % REJECTED, [PERSONAL_NOTE]),
]


@pytest.mark.parametrize("case_id,skip,secrets,scopes,summary,failure,applied", AFTER_N, ids=[case[0] for case in AFTER_N])
def test_after_a_401_no_request_is_sent_and_the_rest_is_not_attempted(policy_sim, run_playbook, tmp_path, case_id, skip, secrets, scopes,
                                                                      summary, failure, applied):
    del case_id
    policy_sim.faults(rule("status", "*", "/api/", skip=skip, times=1000, status=401))
    run = run_role(policy_sim, run_playbook, tmp_path, retries=5)
    fact = run.task(POLICY_TASK)
    assert counts(fact) == summary
    assert_entries(json.loads(json.dumps(fact).replace(policy_sim.url, "URL")), expected_entries(secrets=secrets, scopes=scopes))
    assert policy_sim.flags() == final_flags(applied)
    counters = policy_sim.counters()
    assert counters["total"] == skip + 1 and counters["by_status"] == {"200": skip, "401": 1}  # nothing after the 401
    assert fact["api_retries"] == 0
    assert role_failure(run).replace(policy_sim.url, "URL") == failure
    assert_report(run, tmp_path, fact)
    assert_nothing_secret(run, tmp_path, policy_sim)


# --------------------------------------------------------------------------- a proxy that wants credentials


def test_role_proxy_407_fails_at_once_and_leaves_no_earlier_report(policy_sim, run_playbook, tmp_path):
    """A run writes its report; the next run meets a 407 on the projects list: one request, named, and no old report left."""
    first = run_role(policy_sim, run_playbook, tmp_path)
    assert first.rc == 0, first.stdout
    assert_report(first, tmp_path, first.task(POLICY_TASK))

    policy_sim.admin("POST", "counters/reset")
    policy_sim.faults(rule("status", path="/api/", times=100, status=407))
    with umask(0o022):
        run = run_role(policy_sim, run_playbook, tmp_path, retries=5)
    assert run.rc == 2
    result = run.task(POLICY_TASK)
    assert run.status(POLICY_TASK) == "failed"
    assert result["msg"] == PROXY_407 % "/api/v1/projects"
    assert result["api_retries"] == 0
    assert policy_sim.counters()["total"] == 1 and policy_sim.counters()["by_status"] == {"407": 1}  # not retried
    assert policy_sim.flags() == final_flags(DRIFTED)  # as the first run left it
    assert_no_report(tmp_path)
    assert_nothing_secret(run, tmp_path, policy_sim)


def test_neo_secret_proxy_407_fails_at_once(sim, run_playbook, tmp_path):
    sim.faults(rule("status", path="/api/", times=100, status=407))
    run = run_playbook(sim, "neo_secret.yml", {"secret_name": "GITHUB_TOKEN", "default_available": False, "neo_retries": 5})
    assert run.rc == 2
    result = run.task(SECRET_TASK)
    assert result["msg"] == PROXY_407 % "/api/v1/secrets"
    assert result["api_retries"] == 0
    assert sim.counters()["by_status"] == {"407": 1}
    assert sim.secret(SECRET_PERSONAL_GITHUB)["default_available"] is True
    assert_nothing_secret(run, tmp_path, sim)


# --------------------------------------------------------------------------- no stale report


def kill_tree(pid):
    """SIGKILL a process and all its descendants: ansible-core 2.21's task workers start a session of
    their own, so a kill of the playbook's process group leaves them running (and reading the API)."""
    children = {}
    for stat_file in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat_file.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat_file.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo.extend(children.get(found[-1], ()))
    for process_id in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process_id, signal.SIGKILL)


def test_killed_run_leaves_no_earlier_report(policy_sim, run_playbook, tmp_path):
    """A run writes its report; the next is killed (SIGKILL) while it reads the projects list: the old report is gone."""
    with umask(0o022):
        first = run_role(policy_sim, run_playbook, tmp_path)
    assert first.rc == 0, first.stdout
    assert_report(first, tmp_path, first.task(POLICY_TASK))  # 0600 under umask 022 too, never 0644

    policy_sim.admin("POST", "counters/reset")
    policy_sim.faults(rule("trickle", "GET", "/api/v1/projects", delay_s=1.0))
    run_dir = tmp_path / "killed"
    run_dir.mkdir()
    extra_vars = {"neo_secret_policy_rules": POLICY_RULES_READABLE, "neo_secret_policy_report_path": str(report_path(tmp_path))}
    env = playbook_env(policy_sim.url, run_dir, extra_env={"ANSIBLE_LOG_PATH": str(tmp_path / "ansible.log")})
    with open(run_dir / "stdout", "w") as stdout, open(run_dir / "stderr", "w") as stderr:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [ANSIBLE_PLAYBOOK, str(PLAYBOOKS / "secret_policy.yml"), "-e", json.dumps(extra_vars)],
            env=env, stdout=stdout, stderr=stderr, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while policy_sim.counters()["total"] == 0 and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert policy_sim.counters()["total"] == 1, "the run never reached the projects list"
        finally:
            if process.poll() is None:
                kill_tree(process.pid)  # ansible-playbook and its workers
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert_no_report(tmp_path)
    assert policy_sim.writes() == 0
    killed = types.SimpleNamespace(stdout=(run_dir / "stdout").read_text(), stderr=(run_dir / "stderr").read_text())
    assert_nothing_secret(killed, tmp_path, policy_sim)
