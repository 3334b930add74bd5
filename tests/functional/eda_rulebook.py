"""Run the shipped rulebook with the real ansible-rulebook against a simulator (the e2e test and `make bench`).

ansible-rulebook lives in its own venv (.venv-eda, made by ``hacking/venv.sh eda`` from
requirements-eda.txt) so that it cannot change what a test profile pins, and needs a Java 17+
runtime (its rule engine, Drools, runs in the JVM through jpy). It finds the collection as
``projectdiscovery.neo`` through the first entry of ANSIBLE_COLLECTIONS_PATH (pytest-ansible's tree of
this checkout in the tests, the copy hacking/bench.sh installs for `make bench`) by asking
``ansible-galaxy collection list``, so that directory is the only collection path.
It never exits by itself: it runs in its own process group under ``timeout``, and ``stop()``
ends that whole group (the JVM and any ansible-playbook it started).
"""
import os
import pathlib
import re
import signal
import subprocess
import time

import requests
import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
EDA_VENV = REPO_ROOT / ".venv-eda"
RULEBOOK = "projectdiscovery.neo.enforce_secret_policy"
JAVA_PACKAGE = "openjdk-17-jre-headless"
JAVA_MINIMUM = 17


def collections_path():
    """The directory holding ansible_collections/projectdiscovery/neo: the first entry of ANSIBLE_COLLECTIONS_PATH."""
    return os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0]


def java_major():
    """The major version of the ``java`` on PATH (or in JAVA_HOME), or None when there is none."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(os.path.join(os.environ["JAVA_HOME"], "bin", "java"))
    candidates.append("java")
    for java in candidates:
        try:
            completed = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        match = re.search(r'version "(\d+)(?:\.(\d+))?', completed.stderr + completed.stdout)
        if match:
            major = int(match.group(1))
            return int(match.group(2)) if major == 1 and match.group(2) else major  # "1.8.0" is Java 8
    return None


def java_problem():
    """None when a Java 17+ runtime is there, else the message saying what to install."""
    major = java_major()
    if major is not None and major >= JAVA_MINIMUM:
        return None
    found = "no java on PATH (nor in JAVA_HOME)" if major is None else "java %d is too old" % major
    return ("ansible-rulebook needs a Java %d+ runtime for its rule engine: %s; install one, e.g. on Debian or Ubuntu "
            "`apt-get install %s` (on Fedora/RHEL: java-17-openjdk-headless), or set JAVA_HOME" % (JAVA_MINIMUM, found, JAVA_PACKAGE))


def ensure_eda_venv():
    """The .venv-eda directory, created (or refreshed) by hacking/venv.sh when needed."""
    completed = subprocess.run([str(REPO_ROOT / "hacking" / "venv.sh"), "eda"], capture_output=True, text=True, timeout=900, check=False)
    if completed.returncode != 0:
        raise RuntimeError("hacking/venv.sh eda failed:\n%s" % completed.stderr[-4000:])
    return pathlib.Path(completed.stdout.strip())


class Rulebook:
    """One ansible-rulebook process running the shipped rulebook against ``sim_url``."""

    def __init__(self, workdir, sim_url, api_key, rules, interval=1, exceptions=None, time_limit=180):
        self.workdir = pathlib.Path(workdir)
        self.sim_url = sim_url
        self.log_path = self.workdir / "rulebook.log"
        self.process = None
        self.started = None
        self._log = None
        variables = {"neo_poll_interval": interval, "neo_policy_rules": rules, "neo_policy_exceptions": exceptions or []}
        (self.workdir / "policy.yml").write_text(yaml.safe_dump(variables))
        (self.workdir / "inventory.yml").write_text(yaml.safe_dump(
            {"all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}))
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("NEO_", "ANSIBLE_", "PYTHON", "VIRTUAL_ENV"))}
        self.env.update(
            PATH="%s:%s" % (EDA_VENV / "bin", os.environ.get("PATH", "/usr/bin:/bin")),
            NEO_API_URL=sim_url,
            NEO_API_KEY=api_key,
            ANSIBLE_COLLECTIONS_PATH=collections_path(),
            ANSIBLE_LOCAL_TEMP=str(self.workdir / "ansible-tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_DEPRECATION_WARNINGS="0",
        )
        self.command = ["timeout", "--kill-after=10", str(time_limit), str(EDA_VENV / "bin" / "ansible-rulebook"),
                        "--rulebook", RULEBOOK, "--inventory", str(self.workdir / "inventory.yml"), "--vars", str(self.workdir / "policy.yml"),
                        "--verbose"]

    def start(self):
        self._log = open(self.log_path, "wb")  # pylint: disable=consider-using-with
        self.started = time.monotonic()
        # A session of its own (setsid): stop() ends the JVM and any playbook run with the group.
        self.process = subprocess.Popen(self.command, cwd=str(self.workdir), env=self.env, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def output(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """End the rulebook's whole process group (by its leader's PID); True when nothing of it is left."""
        if self.process is None:
            return True
        pgid = self.process.pid
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                continue
            if not _group_alive(pgid):
                break
            time.sleep(0.5)
            if not _group_alive(pgid):
                break
        if self._log is not None:
            self._log.close()
        return self.process.poll() is not None and not _group_alive(pgid)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_for(condition, timeout, what, rulebook=None, step=0.05):
    """Wait until ``condition()`` is true; AssertionError (with the rulebook's output) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if rulebook is not None and not rulebook.running():
            raise AssertionError("ansible-rulebook ended (rc %s) while waiting for %s; its output:\n%s"
                                 % (rulebook.process.returncode, what, rulebook.output()[-6000:]))
        time.sleep(step)
    raise AssertionError("%s: not within %g s; ansible-rulebook output:\n%s" % (what, timeout, rulebook.output()[-6000:] if rulebook else ""))


def source_polls(sim_url):
    """How many times the project list was read (once per poll of the event source)."""
    counters = requests.get(sim_url + "/_sim/counters", timeout=10).json()
    return counters["by_route"].get("GET /api/v1/projects", 0)


def flag(sim_url, secret_id):
    state = requests.get(sim_url + "/_sim/state", timeout=10).json()
    return next(secret["default_available"] for secret in state["secrets"] if secret["id"] == secret_id)


def set_flag(sim_url, api_key, secret_id, value):
    """An out-of-band change, through the API as any other client would make it."""
    response = requests.patch("%s/api/v1/secrets/%s" % (sim_url, secret_id), json={"default_available": value}, headers={"X-Api-Key": api_key},
                              timeout=10)
    response.raise_for_status()


def flip_and_time_correction(rulebook, sim_url, api_key, secret_id, timeout):
    """Set the secret's flag to true and return the seconds until it is false again."""
    set_flag(sim_url, api_key, secret_id, True)
    started = time.monotonic()
    wait_for(lambda: flag(sim_url, secret_id) is False, timeout, "the flipped secret corrected back to false", rulebook, step=0.02)
    return time.monotonic() - started
