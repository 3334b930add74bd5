"""Shared pytest fixtures: a real Neo API simulator process on 127.0.0.1.

One simulator process serves the whole session; the function-scoped ``sim`` fixture resets
it (state, counters, faults, config) before each test, so tests stay independent.
"""
import os
import pathlib
import subprocess
import sys
import threading

import pytest
import requests
import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


def _collections_root():
    """The directory holding ansible_collections/projectdiscovery/neo: the first entry of ANSIBLE_COLLECTIONS_PATH.

    pytest-ansible sets that variable (and puts the directory on the collection loader's path) when pytest
    starts from the repository root: it links <root>/collections/ansible_collections/projectdiscovery/neo to
    this checkout. Under ansible-test units, ansible-test sets it to the tree it laid out. Every
    ansible-playbook a test starts inherits the variable.
    """
    first = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)[0]
    if not first or not (pathlib.Path(first) / "ansible_collections" / "projectdiscovery" / "neo" / "galaxy.yml").is_file():
        raise pytest.UsageError("projectdiscovery.neo is not on ANSIBLE_COLLECTIONS_PATH (%r): run pytest from the repository root "
                                "with pytest-ansible installed (requirements-test.txt)" % first)
    return pathlib.Path(first)


def __getattr__(name):
    # ANSIBLE_COLLECTIONS_ROOT, for tests that point a tool of their own at the collection (ansible-runner, a
    # subprocess), is computed when a test module imports it: after pytest-ansible's pytest_configure, which
    # runs after this file is imported.
    if name == "ANSIBLE_COLLECTIONS_ROOT":
        return _collections_root()
    raise AttributeError(name)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Under ansible-test units, pytest-ansible uses the layout ansible-test made rather than making its own.

    ansible-test sets ANSIBLE_COLLECTIONS_PATH, which its xdist workers read; pytest-ansible's own layout
    would change it and point them elsewhere.
    """
    if config.pluginmanager.has_plugin("ansible_pytest_collections"):
        config.option.ansible_unit_inject_only = True


def pytest_sessionstart():
    """Fail at once, with the fix, rather than with an import error in each test module."""
    _collections_root()


FIXTURES = REPO_ROOT / "tests" / "fixtures"
BASIC_SEED = FIXTURES / "seed-basic.yml"

# Credentials and ids of tests/fixtures/seed-basic.yml.
ALICE_KEY = "neo_sk_aliceCANARYkey000000000000000000"
ALICE_TOKEN = "eyJhbGciOiJIUzI1NiJ9.alice-CANARY-jwt.signature"
BOB_KEY = "neo_sk_bobCANARYkey00000000000000000000"
CANARY = "CANARY"
PROJECT_PRODUCTION = "aaaaaaaa-0000-4000-8000-000000000001"
PROJECT_STAGING = "aaaaaaaa-0000-4000-8000-000000000002"
PROJECT_RED_TEAM = "aaaaaaaa-0000-4000-8000-000000000003"
PROJECT_STAGING_2 = "aaaaaaaa-0000-4000-8000-000000000004"
SECRET_PERSONAL_GITHUB = "5ec00000-0000-4000-8000-000000000001"
SECRET_PERSONAL_SLACK = "5ec00000-0000-4000-8000-000000000002"
SECRET_PROD_DB = "5ec00000-0000-4000-8000-000000000011"
SECRET_PROD_AWS = "5ec00000-0000-4000-8000-000000000012"
SECRET_STAGING_GITHUB = "5ec00000-0000-4000-8000-000000000022"

# Projects of tests/fixtures/seed-policy.yml (the secret_policy role tests); alice only views SHARED_BY_BOB (403).
POLICY_SEED = FIXTURES / "seed-policy.yml"
POLICY_PRODUCTION = "bbbbbbbb-0000-4000-8000-000000000001"
POLICY_STAGING = "bbbbbbbb-0000-4000-8000-000000000002"
POLICY_RESEARCH = "bbbbbbbb-0000-4000-8000-000000000003"
POLICY_SHARED_BY_BOB = "bbbbbbbb-0000-4000-8000-000000000004"
# A policy over the projects alice can read, so that only an injected fault makes anything fail.
POLICY_RULES_READABLE = [
    {"match": ["PROD_*"], "personal": True, "projects": [POLICY_PRODUCTION, POLICY_STAGING, POLICY_RESEARCH], "default_available": False},
    {"match": ["GITHUB_TOKEN"], "projects": ["Staging"], "default_available": True},
    {"match": ["GITHUB_TOKEN", "SLACK_*"], "projects": [POLICY_PRODUCTION, POLICY_STAGING, POLICY_RESEARCH], "default_available": False},
]
# secret id -> flag POLICY_RULES_READABLE wants, for the 6 secrets that drift in seed-policy.yml.
POLICY_DRIFT = {
    "5ec00000-0000-4000-8000-000000000102": False,
    "5ec00000-0000-4000-8000-000000000111": False,
    "5ec00000-0000-4000-8000-000000000113": False,
    "5ec00000-0000-4000-8000-000000000114": False,
    "5ec00000-0000-4000-8000-000000000122": True,
    "5ec00000-0000-4000-8000-000000000131": False,
}


class FakeSleep:
    """Records the waits a client would sleep, so that retry tests never really wait."""

    def __init__(self):
        self.waits = []
        self._lock = threading.Lock()

    def __call__(self, seconds):
        with self._lock:
            self.waits.append(seconds)


class Simulator:
    """Handle on a running simulator process; admin calls go to its /_sim/ endpoints."""

    def __init__(self, process, url, log_path):
        self.process = process
        self.url = url
        self.log_path = log_path
        self._admin = requests.Session()

    def admin(self, method, path, payload=None):
        response = self._admin.request(method, self.url + "/_sim/" + path, json=payload, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self):
        self.admin("POST", "reset")

    def counters(self):
        return self.admin("GET", "counters")

    def writes(self):
        return self.counters()["writes"]

    def configure(self, **config):
        return self.admin("POST", "config", config)

    def faults(self, *faults):
        return self.admin("POST", "faults", {"faults": list(faults)})

    def state(self):
        return self.admin("GET", "state")

    def load_seed(self, path):
        """Replace the simulator's state with the seed file at ``path`` (reset restores the basic seed)."""
        self.admin("POST", "seed", yaml.safe_load(pathlib.Path(path).read_text()))

    def flags(self):
        """secret id -> default_available of every secret."""
        return {secret["id"]: secret["default_available"] for secret in self.state()["secrets"]}

    def secret(self, secret_id):
        return next(s for s in self.state()["secrets"] if s["id"] == secret_id)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_simulator(seed_path, log_path, *extra_args):
    """Start ``python -m neo_simulator`` and wait for the URL line it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "neo_simulator", "--port", "0", "--seed", str(seed_path), "--log", str(log_path), "--exit-with-parent", *extra_args],
        cwd=str(REPO_ROOT),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        # Not the runner's own stderr: a simulator must never hold the CI log's pipe open.
        stderr=open(str(log_path) + ".stderr", "wb"),  # pylint: disable=consider-using-with
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
    )
    line = process.stdout.readline().strip()
    if not line.startswith("NEO_SIMULATOR_URL="):
        process.kill()
        raise RuntimeError("simulator did not start; first line: %r" % line)
    return Simulator(process, line.split("=", 1)[1], log_path)


@pytest.fixture(scope="session")
def simulator_process(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("simulator") / "simulator.log"
    simulator = start_simulator(BASIC_SEED, log_path)
    yield simulator
    simulator.stop()


@pytest.fixture
def sim(simulator_process):
    """The session simulator, reset to the basic seed with counters and faults cleared."""
    simulator_process.reset()
    return simulator_process
