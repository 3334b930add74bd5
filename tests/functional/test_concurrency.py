"""Two policy runs at once against the same simulator, as two AWX jobs (or job slices) would run.

What is guaranteed, and asserted: both runs finish without a failure, the final state is the
policy, every drifted secret is reported changed by at least one run, and a later run finds
nothing to do.

What is NOT guaranteed (docs/guarantees.md, "Concurrent runs"): that no secret is reported
changed by both runs. Both runs may read the same drifted flag before either writes; both then
send the PATCH, and the API answers both with the same record (the PATCH is idempotent, there is
no ETag / If-Match, and ``updated_at`` does not move when only the flag changes), so neither run
can tell that the other one got there first. Reading the flag again before each write would
narrow the window without closing it, and would cost one more request per drifted secret in
the common, uncontended case. The test therefore measures how often it happens instead of
asserting it never does.
"""
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import POLICY_DRIFT, POLICY_RULES_READABLE

ROLE = "projectdiscovery.neo.secret_policy : "
POLICY_TASK = ROLE + "Evaluate and apply the secret policy"

RULES = POLICY_RULES_READABLE
DRIFTED = POLICY_DRIFT


@pytest.fixture
def slow_policy_sim(policy_sim):
    # A little latency: both runs are still reading when the other one starts writing.
    policy_sim.configure(latency_ms=20)
    return policy_sim


def run_role(sim, run_playbook, concurrency):
    return run_playbook(sim, "secret_policy.yml", {"neo_secret_policy_rules": RULES, "neo_secret_policy_concurrency": concurrency})


def changed_ids(run):
    fact = run.task(POLICY_TASK)
    assert fact["summary"]["failed"] == 0, fact
    assert all(entry["status"] != "failed" for entry in fact["entries"])
    return [entry["secret_id"] for entry in fact["entries"] if entry["status"] == "changed"]


@pytest.mark.parametrize("concurrency", [1, 8])
def test_two_policy_runs_at_once_converge(slow_policy_sim, run_playbook, concurrency):
    untouched = {sid: flag for sid, flag in slow_policy_sim.flags().items() if sid not in DRIFTED}
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda _n: run_role(slow_policy_sim, run_playbook, concurrency), range(2)))

    for run in runs:
        assert run.rc == 0, run.stdout  # both finish, nothing failed
    reported = [changed_ids(run) for run in runs]
    for ids in reported:
        assert len(ids) == len(set(ids))  # one run never reports a secret twice
        assert set(ids) <= set(DRIFTED)  # only drifted secrets are ever reported changed
    assert set(reported[0]) | set(reported[1]) == set(DRIFTED)  # every drifted secret by at least one run

    state = slow_policy_sim.flags()
    assert {sid: state[sid] for sid in DRIFTED} == DRIFTED  # the final state is the policy
    assert {sid: state[sid] for sid in untouched} == untouched
    patches = slow_policy_sim.counters()["by_route"]["PATCH /api/v1/secrets/{id}"]
    # One PATCH per secret a run reported changed: a write is never sent without being reported.
    assert patches == len(reported[0]) + len(reported[1]) <= 2 * len(DRIFTED)

    # The known limitation, measured (not asserted): secrets reported changed by both runs.
    both = set(reported[0]) & set(reported[1])
    print("reported changed by both runs: %d of %d drifted secrets" % (len(both), len(DRIFTED)))

    writes = slow_policy_sim.writes()
    again = run_role(slow_policy_sim, run_playbook, concurrency)
    assert again.rc == 0 and changed_ids(again) == []
    assert slow_policy_sim.writes() == writes
