"""End to end: the shipped rulebook, run by the real ansible-rulebook, corrects an out-of-band flip.

The simulator serves the basic seed; the rulebook extensions/eda/rulebooks/enforce_secret_policy.yml
runs with ``neo_poll_interval: 1`` and a policy under which every secret is compliant at start.
A production secret is then flipped to true through the API: the event source must report the
drift, the rulebook must run the playbook projectdiscovery.neo.enforce_secret_policy (the
secret_policy role), and the flag must be false again, within a bound. The rulebook is stopped by
its process group afterwards, also when the test fails.

ansible-rulebook comes from .venv-eda (hacking/venv.sh eda, which `make test` runs first) and
needs a Java 17+ runtime: without one the test fails saying which package to install.
"""
import json
import os
import re
import subprocess
import textwrap
import time

import pytest
import yaml

from tests.conftest import ALICE_KEY, CANARY, PROJECT_PRODUCTION, REPO_ROOT, SECRET_PROD_AWS
from tests.functional.eda_rulebook import Rulebook, collections_path, ensure_eda_venv, flip_and_time_correction, java_problem, source_polls, wait_for

RULES = [{"name": "cloud keys are opt-in in production", "match": ["AWS_*"], "projects": [PROJECT_PRODUCTION], "default_available": False}]
START_TIMEOUT = 45  # JVM start, rule engine, first two polls (about 5 s here)
CORRECTION_TIMEOUT = 30  # one poll interval, then a playbook run (about 3 s here)


@pytest.fixture(scope="module")
def eda_venv():
    problem = java_problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    return ensure_eda_venv()


def test_the_rulebook_corrects_an_out_of_band_flip(sim, tmp_path, eda_venv):
    assert (eda_venv / "bin" / "ansible-rulebook").exists()
    rulebook = Rulebook(tmp_path, sim.url, ALICE_KEY, RULES, interval=1).start()
    try:
        # Two polls done: the baseline (no drift: every covered secret complies) and one more.
        wait_for(lambda: source_polls(sim.url) >= 2, START_TIMEOUT, "two polls of the event source", rulebook, step=0.1)
        assert sim.writes() == 0
        started = time.monotonic()
        seconds = flip_and_time_correction(rulebook, sim.url, ALICE_KEY, SECRET_PROD_AWS, CORRECTION_TIMEOUT)
        print("flip to correction: %.2f s (interval 1 s); rulebook start to baseline and flip: %.1f s" % (seconds, started - rulebook.started))
        # The playbook's run is complete in the output once its recap is there.
        wait_for(lambda: "PLAY RECAP" in rulebook.output(), 10, "the playbook's recap", rulebook, step=0.1)
    finally:
        stopped = rulebook.stop()
    output = rulebook.output()
    assert stopped, "the rulebook's process group is still alive"
    assert "PLAY [Enforce the Neo secret policy]" in output, output
    assert "AWS_SECRET_ACCESS_KEY  true -> false      changed" in output, output
    assert "changed=1" in output and "failed=0" in output, output
    # Exactly two writes: the out-of-band flip and its correction (no baseline write, nothing else).
    assert sim.writes() == 2
    assert sim.secret(SECRET_PROD_AWS)["default_available"] is False
    assert CANARY not in output


RULEBOOK_CHECK = """
import json, os, shutil, sys
from ansible_rulebook import rules_parser
from ansible_rulebook.conf import settings
from ansible_rulebook.validators import Validate
# As the ansible-rulebook command sets it: FQCN sources are looked up with ansible-galaxy.
settings.ansible_galaxy_path = shutil.which("ansible-galaxy", path=os.path.dirname(sys.executable))
failures = []
for where, rulebook in json.load(sys.stdin):
    try:
        Validate.rulebook(rulebook)
        rules_parser.parse_rule_sets(rulebook, {"neo_policy_rules": [], "neo_poll_interval": 1})
    except Exception as error:  # the message is the point
        failures.append("%s: %s: %s" % (where, type(error).__name__, error))
print("\\n".join(failures))
sys.exit(1 if failures else 0)
"""


def test_every_rulebook_of_the_collection_and_its_docs_is_valid(eda_venv):
    """The shipped rulebook and the rulebook examples of the docs pass ansible-rulebook's own schema and condition parser."""
    shipped = REPO_ROOT / "extensions" / "eda" / "rulebooks" / "enforce_secret_policy.yml"
    rulebooks = [("extensions/eda/rulebooks/enforce_secret_policy.yml", yaml.safe_load(shipped.read_text()))]
    for path in [REPO_ROOT / "README.md"] + sorted((REPO_ROOT / "docs").glob("*.md")):
        for number, block in enumerate(re.findall(r"^ *```yaml\n(.*?)^ *```", path.read_text(), re.MULTILINE | re.DOTALL)):
            if not re.search(r"^\s*sources:", block, re.MULTILINE):
                continue
            data = yaml.safe_load(textwrap.dedent(block))
            if isinstance(data, list) and data and all(isinstance(item, dict) and "sources" in item for item in data):
                rulebooks.append(("%s block %d" % (path.relative_to(REPO_ROOT), number + 1), data))
    assert len(rulebooks) >= 3, rulebooks  # the shipped one, and docs/eda.md's own and EDA Controller ones
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path())
    checked = subprocess.run([str(eda_venv / "bin" / "python"), "-c", RULEBOOK_CHECK], input=json.dumps(rulebooks), capture_output=True, text=True,
                             env=env, timeout=120, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
