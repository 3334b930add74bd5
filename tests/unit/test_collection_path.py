"""The tests run this checkout's code, found the way pytest-ansible (or ansible-test) lays it out, and nothing else."""
import os
import pathlib
import subprocess
import sys

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_client

from tests.conftest import ANSIBLE_COLLECTIONS_ROOT, REPO_ROOT


def test_the_collection_imported_is_this_checkout():
    assert pathlib.Path(_neo_client.__file__).resolve() == REPO_ROOT / "plugins" / "module_utils" / "_neo_client.py"


def test_playbooks_find_this_checkout_first_on_the_collection_path():
    """Every ansible-playbook a test starts inherits ANSIBLE_COLLECTIONS_PATH; its first entry is this checkout."""
    assert os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0] == str(ANSIBLE_COLLECTIONS_ROOT)
    galaxy = ANSIBLE_COLLECTIONS_ROOT / "ansible_collections" / "projectdiscovery" / "neo" / "galaxy.yml"
    assert galaxy.samefile(REPO_ROOT / "galaxy.yml")


def test_pytest_started_elsewhere_stops_at_once_with_the_fix():
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "PYTEST_", "PYTHONPATH"))}
    started = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "unit/test_collection_metadata.py"],
                             cwd=str(REPO_ROOT / "tests"), env=env, capture_output=True, text=True, timeout=120, check=False)
    assert started.returncode == 4, started.stdout + started.stderr
    assert "projectdiscovery.neo is not on ANSIBLE_COLLECTIONS_PATH" in started.stderr
    assert "run pytest from the repository root" in started.stderr
    assert "Traceback" not in started.stdout + started.stderr
