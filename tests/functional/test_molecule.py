"""The Molecule scenarios of extensions/molecule: each role end to end under `molecule test`.

pytest-ansible's ``molecule_scenario`` fixture finds every scenario git tracks and runs
``molecule test -s NAME`` for it. Each scenario starts its own simulator (``create``), converges,
checks idempotence (the second converge must report changed=0) and check mode, then its
``verify`` playbook asserts the simulator's state and request counters, and ``destroy`` stops the
simulator. The other tests run each ``verify`` playbook against the session simulator in a state it
must refuse, so that a verify that always passes cannot go unnoticed.
"""
import os
import pathlib
import re
import sys

import pytest
import requests
from pytest_ansible import plugin as pytest_ansible_plugin

from tests.conftest import ALICE_KEY, BASIC_SEED, REPO_ROOT
from tests.functional.test_governance import GOVERNANCE_SEED
from tests.functional.test_leaks import assert_no_leak, scan_run

MOLECULE = REPO_ROOT / "extensions" / "molecule"
SEQUENCE = ["destroy", "create", "converge", "idempotence", "check", "verify", "destroy"]


def test_both_scenarios_are_found():
    """pytest-ansible finds the scenarios git tracks: a scenario it missed would silently not run."""
    assert sorted(scenario.name for scenario in pytest_ansible_plugin.scenarios) == ["environment", "secret_policy"]


def test_molecule_scenario(molecule_scenario, capfd, monkeypatch):
    # molecule and the ansible-playbook it starts come from this interpreter's environment, which
    # `make test` does not activate.
    monkeypatch.setenv("PATH", str(pathlib.Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("MOLECULE_OPTS", raising=False)
    proc = molecule_scenario.test()
    out, err = capfd.readouterr()
    output = out + err
    assert proc.returncode == 0, output[-6000:]
    # molecule's own log of the sequence: every step ran, in order, and succeeded (idempotence fails
    # when the second converge changed anything)
    steps = re.findall(r"%s \S+ (\w+)\]?:? Executed: (\w+)" % re.escape(molecule_scenario.name), output)
    assert steps[:len(SEQUENCE)] == [(step, "Successful") for step in SEQUENCE], output[-6000:]
    assert_no_leak("molecule output", output)
    assert "Traceback" not in output


def seed_var(seed):
    """The scenario's host variable naming its seed (molecule.yml)."""
    return {"neo_molecule_seed": str(seed.relative_to(REPO_ROOT))}


def molecule_env(sim, tmp_path, scenario):
    """What molecule gives a scenario's playbooks: its directories, the simulator's port kept by `create`."""
    state_dir = tmp_path / "ephemeral"
    state_dir.mkdir(exist_ok=True)
    (state_dir / "neo-simulator.port").write_text(sim.url.rsplit(":", 1)[1] + "\n", encoding="utf-8")
    return {"MOLECULE_SCENARIO_DIRECTORY": str(MOLECULE / scenario), "MOLECULE_EPHEMERAL_DIRECTORY": str(state_dir)}


@pytest.mark.parametrize("scenario, seed, task, message", [
    # nothing converged: the six secrets the policy would change are named
    ("secret_policy", GOVERNANCE_SEED, "Every secret's default_available is what the policy wants",
     "secrets whose default_available is not what the policy wants: 5ec00000-0000-4000-8000-000000000211 5ec00000-0000-4000-8000-000000000212 "
     "5ec00000-0000-4000-8000-000000000214 5ec00000-0000-4000-8000-000000000222 5ec00000-0000-4000-8000-000000000233 "
     "5ec00000-0000-4000-8000-000000000241"),
    ("environment", BASIC_SEED, "Only the first converge wrote",
     "expected 1 project and 3 secrets created and no other write, counted {}"),
])
def test_verify_refuses_an_unconverged_simulator(sim, run_playbook, tmp_path, scenario, seed, task, message):
    sim.load_seed(seed)
    run = run_playbook(sim, str(MOLECULE / scenario / "verify.yml"), seed_var(seed), extra_env=molecule_env(sim, tmp_path, scenario))
    scan_run(run, sim)
    assert run.rc != 0
    assert run.status(task) == "failed"
    assert " ".join(run.task(task)["msg"].split()) == message
    assert sim.writes() == 0  # verify only reads


def test_secret_policy_verify_refuses_a_write_after_converge(sim, run_playbook, tmp_path):
    """The converged state, plus one PATCH that changes nothing: verify still fails on the count."""
    sim.load_seed(GOVERNANCE_SEED)
    env = molecule_env(sim, tmp_path, "secret_policy")
    converge = run_playbook(sim, str(MOLECULE / "secret_policy" / "converge.yml"), seed_var(GOVERNANCE_SEED), extra_env=env)
    scan_run(converge, sim)
    assert converge.rc == 0, converge.stdout
    assert sim.writes() == 6
    secret = "5ec00000-0000-4000-8000-000000000233"
    response = requests.patch("%s/api/v1/secrets/%s" % (sim.url, secret), json={"default_available": True},
                              headers={"X-Api-Key": ALICE_KEY}, timeout=10)
    assert response.status_code == 200, response.text
    assert sim.secret(secret)["default_available"] is True

    run = run_playbook(sim, str(MOLECULE / "secret_policy" / "verify.yml"), seed_var(GOVERNANCE_SEED), extra_env=env)
    scan_run(run, sim)
    assert run.rc != 0
    assert run.status("Every secret's default_available is what the policy wants") == "ok"
    assert run.status("Only the first converge wrote") == "failed"
    message = run.task("Only the first converge wrote")["msg"]
    assert message.startswith("expected 6 PATCH requests and no other write, counted {") and "'PATCH': 7" in message, message
    assert sim.writes() == 7
