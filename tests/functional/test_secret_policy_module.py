"""neo_secret_policy on its own: when the policy fails, and deferring that failure to a later task."""
import json

import pytest

from tests.conftest import CANARY, POLICY_DRIFT, POLICY_RULES_READABLE, POLICY_SHARED_BY_BOB

TASK = "Apply the policy"
DRIFT_REASON = "%d secrets drifted from the policy" % len(POLICY_DRIFT)
FORBIDDEN_RULES = [{"match": ["*"], "projects": [POLICY_SHARED_BY_BOB], "default_available": False}]
FORBIDDEN_REASON = "1 scope could not be read; see entries"


def run_policy(sim, run_playbook, rules, check, **options):
    extra = {"policy_rules": rules}
    extra.update(("policy_" + key, value) for key, value in options.items())
    run = run_playbook(sim, "secret_policy_module.yml", extra, check=check, diff=check, verbosity=4)
    # Whether the policy passes, fails or defers its failure, no secret value or key is ever shown.
    assert CANARY not in run.stdout + run.stderr + json.dumps(run.results)
    return run, dict(run.task(TASK), task_status=run.status(TASK))


@pytest.mark.parametrize("defer", [False, True], ids=["fails", "deferred"])
def test_fail_on_drift_fails_check_mode_with_the_reason_closing_the_table(policy_sim, run_playbook, defer):
    run, result = run_policy(policy_sim, run_playbook, POLICY_RULES_READABLE, check=True, fail_on_drift=True, defer_failure=defer)

    assert policy_sim.writes() == 0
    assert result["policy_failed"] is True
    assert result["msg"] == DRIFT_REASON
    assert result["table"].splitlines()[-1] == DRIFT_REASON
    assert result["summary"]["drifted"] == len(POLICY_DRIFT)
    assert result["task_status"] == ("ok" if defer else "failed")
    assert (run.rc != 0) is not defer


def test_fail_on_drift_does_not_fail_an_apply_or_a_compliant_check(policy_sim, run_playbook):
    run, result = run_policy(policy_sim, run_playbook, POLICY_RULES_READABLE, check=False, fail_on_drift=True)
    assert run.rc == 0, run.stdout
    assert result["policy_failed"] is False and "msg" not in result
    assert result["summary"]["changed"] == len(POLICY_DRIFT)
    state = policy_sim.flags()
    assert {secret_id: state[secret_id] for secret_id in POLICY_DRIFT} == POLICY_DRIFT

    run, result = run_policy(policy_sim, run_playbook, POLICY_RULES_READABLE, check=True, fail_on_drift=True)
    assert run.rc == 0, run.stdout
    assert result["policy_failed"] is False and result["summary"]["drifted"] == 0


def test_drift_alone_is_not_a_failure(policy_sim, run_playbook):
    run, result = run_policy(policy_sim, run_playbook, POLICY_RULES_READABLE, check=True)
    assert run.rc == 0, run.stdout
    assert result["policy_failed"] is False and result["changed"] is True
    assert result["table"].splitlines()[-1].startswith("drift report (check mode): ")


@pytest.mark.parametrize("defer", [False, True], ids=["fails", "deferred"])
def test_an_unreadable_project_fails_the_policy_and_defer_failure_moves_it_to_a_later_task(policy_sim, run_playbook, defer):
    run, result = run_policy(policy_sim, run_playbook, FORBIDDEN_RULES, check=False, defer_failure=defer)

    assert result["policy_failed"] is True and result["msg"] == FORBIDDEN_REASON
    assert [(entry["project_id"], entry["status"]) for entry in result["entries"]] == [(POLICY_SHARED_BY_BOB, "failed")]
    assert result["task_status"] == ("ok" if defer else "failed")
    assert (run.rc != 0) is not defer


def test_defer_failure_never_hides_an_error_that_stops_the_run(policy_sim, run_playbook):
    rules = [{"match": ["*"], "projects": ["No such project"], "default_available": False}]
    run, result = run_policy(policy_sim, run_playbook, rules, check=True, defer_failure=True)
    assert run.rc != 0
    assert result["task_status"] == "failed" and "No such project" in result["msg"]
    assert policy_sim.writes() == 0
