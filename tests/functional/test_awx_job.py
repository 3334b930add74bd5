"""Run the secret_policy role the way AWX runs a job: ansible-runner on a private data dir.

AWX renders the credential type's injectors into the job's environment and hands
ansible-runner a private data dir. Here env/envvars carries exactly what the injectors of the
shipped awx/credential_type.yml render for a credential (rendered with the same sandboxed
Jinja2 environment and missing-field rules as AWX), plus ANSIBLE_COLLECTIONS_PATH, which is not
an injector variable: in AWX the collection is in the execution environment or installed from
the project's collections/requirements.yml.
"""
import os
import pathlib
import shutil
import sys

import pytest
import yaml

from tests.conftest import ALICE_KEY, ANSIBLE_COLLECTIONS_ROOT, CANARY, REPO_ROOT

ansible_runner = pytest.importorskip("ansible_runner")
from jinja2.sandbox import ImmutableSandboxedEnvironment  # noqa: E402  (ansible-core depends on Jinja2)

PLAYBOOKS = pathlib.Path(__file__).resolve().parent / "playbooks"
CREDENTIAL_TYPE = REPO_ROOT / "awx" / "credential_type.yml"
POLICY = [
    {"match": ["PROD_*", "AWS_*"], "projects": ["Production"], "default_available": False},
    {"match": ["*"], "projects": [], "personal": True, "default_available": True},
]


def render_injectors(credential_type, inputs):
    """The environment AWX injects for a credential with these inputs (awx inject_credential)."""
    namespace = {}
    for name, value in inputs.items():
        if isinstance(value, bool) or value:
            namespace[name] = value
    for field in credential_type["inputs"]["fields"]:
        if field["type"] == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    sandbox = ImmutableSandboxedEnvironment()
    return {name: sandbox.from_string(template).render(**namespace) for name, template in credential_type["injectors"]["env"].items()}


def test_credential_type_injects_the_neo_variables():
    credential_type = yaml.safe_load(CREDENTIAL_TYPE.read_text())
    fields = {field["id"]: field for field in credential_type["inputs"]["fields"]}
    assert set(fields) == {"api_url", "api_key", "api_token", "validate_certs"}
    assert fields["api_key"]["secret"] and fields["api_token"]["secret"]
    assert set(credential_type["injectors"]["env"]) == {"NEO_API_URL", "NEO_API_KEY", "NEO_API_TOKEN", "NEO_VALIDATE_CERTS"}
    env = render_injectors(credential_type, {"api_url": "https://neo.example.test", "api_token": "t0ken", "validate_certs": True})
    assert env == {"NEO_API_URL": "https://neo.example.test", "NEO_API_KEY": "", "NEO_API_TOKEN": "t0ken", "NEO_VALIDATE_CERTS": "True"}


def make_private_data_dir(root, envvars, extravars):
    (root / "project").mkdir(parents=True)
    shutil.copy(PLAYBOOKS / "awx_secret_policy.yml", root / "project" / "awx_secret_policy.yml")
    (root / "inventory").mkdir()
    (root / "inventory" / "hosts").write_text('localhost ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"\n')
    (root / "env").mkdir()
    (root / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    (root / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    (root / "env" / "settings").write_text(yaml.safe_dump({"process_isolation": False, "job_timeout": 300}))
    # AWX adds --check for a job template of job type "check".
    (root / "env" / "cmdline").write_text("--check --diff")
    return root


def test_check_job_with_the_neo_credential(sim, tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("NEO_"):
            monkeypatch.delenv(name)
    # ansible-runner starts the ansible-playbook found on PATH: this profile's (in AWX: the EE's).
    monkeypatch.setenv("PATH", str(pathlib.Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    credential_type = yaml.safe_load(CREDENTIAL_TYPE.read_text())
    envvars = render_injectors(credential_type, {"api_url": sim.url, "api_key": ALICE_KEY, "validate_certs": True})
    envvars["ANSIBLE_COLLECTIONS_PATH"] = str(ANSIBLE_COLLECTIONS_ROOT)
    private_data_dir = make_private_data_dir(tmp_path / "job", envvars, {"neo_secret_policy_rules": POLICY})

    runner = ansible_runner.run(
        private_data_dir=str(private_data_dir),
        playbook="awx_secret_policy.yml",
        verbosity=1,
        quiet=True,
    )

    stdout = runner.stdout.read()
    assert runner.status == "successful", stdout
    assert runner.rc == 0, stdout
    assert sim.writes() == 0
    stats = [event for event in runner.events if event["event"] == "playbook_on_stats"]
    assert stats and stats[0]["event_data"]["artifact_data"]["neo_secret_policy_summary"]["drifted"] > 0

    artifacts = pathlib.Path(runner.config.artifact_dir)
    job_events = sorted((artifacts / "job_events").glob("*.json"))
    assert job_events
    for path in [artifacts / "stdout"] + job_events:
        text = path.read_text()
        assert ALICE_KEY not in text, path.name
        assert CANARY not in text, path.name
    # Every artifact file: only ansible-runner's own record of the command and the environment it
    # was given ("command") holds the key; AWX keeps the private data dir only for the job's life.
    leaking = sorted(
        str(path.relative_to(artifacts)) for path in artifacts.rglob("*") if path.is_file() and CANARY in path.read_text(errors="replace")
    )
    assert leaking in ([], ["command"]), leaking
