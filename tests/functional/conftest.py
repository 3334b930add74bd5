"""Run real playbooks with ansible-playbook against the simulator and read their results."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

from tests.conftest import ALICE_KEY, POLICY_SEED

HERE = pathlib.Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
ANSIBLE_PLAYBOOK = str(pathlib.Path(sys.executable).parent / "ansible-playbook")


class PlaybookRun:
    """Outcome of one ansible-playbook run: return code, output, and every task result."""

    def __init__(self, completed, results):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.results = results

    def _last(self, name):
        matches = [entry for entry in self.results if entry["task"] == name]
        assert matches, "task %r did not run; output:\n%s\n%s" % (name, self.stdout, self.stderr)
        return matches[-1]

    def task(self, name):
        """The result of the last run of the task called ``name``."""
        return self._last(name)["result"]

    def status(self, name):
        """``ok``, ``failed`` or ``skipped``: how the last run of the task called ``name`` ended."""
        return self._last(name)["status"]


def playbook_env(sim_url, tmp_path, api_key=ALICE_KEY, extra_env=None):
    # ansible-playbook finds this checkout through the ANSIBLE_COLLECTIONS_PATH that pytest-ansible set (tests/conftest.py).
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEO_")}
    env.update(
        ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="neo_test_results",
        ANSIBLE_INVENTORY=str(HERE / "inventory.ini"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        NEO_TEST_RESULTS=str(tmp_path / "results.jsonl"),
    )
    if sim_url is not None:
        env["NEO_API_URL"] = sim_url
    if api_key is not None:
        env["NEO_API_KEY"] = api_key
    env.update(extra_env or {})
    return env


@pytest.fixture
def run_playbook(tmp_path):
    """Call ``run_playbook(sim, "neo_secret.yml", {...}, check=True, diff=True)``."""
    counter = iter(range(1000))

    def run(sim, playbook, extra_vars=None, check=False, diff=False, verbosity=0, api_key=ALICE_KEY, extra_env=None, args=()):
        run_dir = tmp_path / ("run%d" % next(counter))
        run_dir.mkdir()
        command = [ANSIBLE_PLAYBOOK, str(PLAYBOOKS / playbook)]
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)
        command += list(args)
        env = playbook_env(sim.url if sim is not None else None, run_dir, api_key=api_key, extra_env=extra_env)
        completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        results_path = pathlib.Path(env["NEO_TEST_RESULTS"])
        results = [json.loads(line) for line in results_path.read_text().splitlines()] if results_path.exists() else []
        return PlaybookRun(completed, results)

    return run


@pytest.fixture
def policy_sim(sim):
    """The simulator serving tests/fixtures/seed-policy.yml, two items a page (pagination on)."""
    sim.load_seed(POLICY_SEED)
    sim.configure(pagination="offset", page_size=2)
    return sim
