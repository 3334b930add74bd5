"""Every YAML example of the documentation runs against the demo organisation, so none can rot.

The examples are every ```yaml block of README.md and docs/*.md that is a playbook (a list of
plays with ``hosts``) or a task list using projectdiscovery.neo, the EXAMPLES of each module in
plugins/modules/ (a task list, read from the file's text, never imported), and the playbooks
of examples/. A task list is wrapped into a play on localhost. docs/simulator.md and
docs/guarantees.md hold no user examples and are left out; blocks that are not playbooks (seed
files, credential type inputs, execution environment definitions, rulebooks) are not run.

Each example runs with ansible-playbook against the simulator serving
tests/fixtures/seed-basic.yml, the organisation of ``make demo``, as alice (the demo key): first
in check mode (rc 0, zero writes), then for real (rc 0). Only the URL and the credentials are
adapted: ``api_url``/``api_key``/``api_token`` (and ``validate_certs``) are dropped from module
arguments and ``module_defaults``, and ``neo_api_*`` from role variables, so that the
environment's NEO_API_URL/NEO_API_KEY apply; a ``vault_*`` variable an example still uses gets
a value as an extra variable; ``/tmp/`` paths point into the test's own directory. The
playbook runs from a directory outside the checkout, as from an installed collection.

Playbooks of docs/awx.md use the awx.awx collection, which is not installed here: a stub of it
(action plugins that record their arguments and change nothing) stands in, and the test checks
that the credential type the example creates is exactly awx/credential_type.yml.
"""
import ast
import json
import pathlib
import re
import subprocess
import textwrap

import pytest
import yaml

from tests.conftest import ALICE_KEY, ALICE_TOKEN, REPO_ROOT
from tests.functional.conftest import ANSIBLE_PLAYBOOK, playbook_env

# Reference documents without user examples (owned by the simulator and the guarantees).
SKIPPED_DOCS = {"simulator.md", "guarantees.md"}
DOCUMENTS = [REPO_ROOT / "README.md"] + sorted(path for path in (REPO_ROOT / "docs").glob("*.md") if path.name not in SKIPPED_DOCS)
MODULES = sorted((REPO_ROOT / "plugins" / "modules").glob("*.py"))
PLAYBOOK_FILES = sorted((REPO_ROOT / "examples").glob("*.yml"))

CONNECTION_OPTIONS = {"api_url", "api_key", "api_token", "validate_certs"}
ROLE_CONNECTION_VARS = {"neo_api_url", "neo_api_key", "neo_api_token", "neo_validate_certs"}
TASK_LIST_KEYS = ("block", "rescue", "always")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
VAULT_VAR = re.compile(r"\bvault_\w+")

# The stub of the awx.awx collection: each module records its arguments and reports a change.
AWX_STUB_MODULES = ("credential_type", "credential", "job_template")
AWX_STUB_ACTION = '''
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    """Test stub of an awx.awx module: records its arguments, talks to no AWX."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(changed=True, stub_args=self._task.args)
        return result
'''


class Unsafe(str):
    """A ``!unsafe`` string of an example (Ansible does not template it); written back as ``!unsafe``."""


class ExampleLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Safe loading, plus Ansible's ``!unsafe`` tag."""


class ExampleDumper(yaml.SafeDumper):  # pylint: disable=too-many-ancestors
    """Safe dumping, plus Ansible's ``!unsafe`` tag."""


ExampleLoader.add_constructor("!unsafe", lambda loader, node: Unsafe(loader.construct_scalar(node)))
ExampleDumper.add_representer(Unsafe, lambda dumper, data: dumper.represent_scalar("!unsafe", str(data)))


def load_yaml(text):
    return yaml.load(text, Loader=ExampleLoader)  # nosec B506: a SafeLoader with one more tag


class Example:
    """One example: where it is (``file:line``) and its plays."""

    def __init__(self, where, plays, text):
        self.where = where
        self.plays = plays
        self.text = text

    def __repr__(self):
        return self.where


def _uses_neo(tasks):
    """Whether a task list (with blocks) calls a projectdiscovery.neo module or role."""
    for task in tasks or []:
        if not isinstance(task, dict):
            return False
        if any(_uses_neo(task.get(key)) for key in TASK_LIST_KEYS):
            return True
        for key, value in task.items():
            if key.startswith("projectdiscovery.neo."):
                return True
            if key.split(".")[-1] in ("include_role", "import_role") and str((value or {}).get("name", "")).startswith("projectdiscovery.neo."):
                return True
    return False


def _as_plays(data):
    """The plays of a YAML document, or None when it is not a playbook or a task list."""
    if not isinstance(data, list) or not data or not all(isinstance(item, dict) for item in data):
        return None
    # A rulebook (ansible-rulebook) also has hosts, but sources and rules instead of tasks.
    if all("hosts" in item and not {"sources", "rules"} & set(item) for item in data):
        return data
    if not any("hosts" in item for item in data) and _uses_neo(data):
        return [{"name": "Example tasks", "hosts": "localhost", "gather_facts": False, "tasks": data}]
    return None


def _fenced_yaml_blocks(path):
    """(line of the opening fence, text) of each ```yaml block of a Markdown file."""
    blocks, lines = [], path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        start, fence, indent = index, match.group("fence"), match.group("indent")
        index += 1
        body = []
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append(lines[index][len(indent):] if lines[index].startswith(indent) else lines[index])
            index += 1
        index += 1
        if match.group("lang") in ("yaml", "yml"):
            blocks.append((start + 1, "\n".join(body) + "\n"))
    return blocks


def _module_examples(path):
    """(line, text) of the EXAMPLES literal of a module file, read with ast (never imported)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "EXAMPLES" for target in node.targets):
            return node.lineno, node.value.value
    raise AssertionError("%s has no EXAMPLES" % path)


def collect_examples():
    """Every runnable example, and (where, text) of every YAML block or file that is not one."""
    examples, not_run = [], []
    sources = [(path, _fenced_yaml_blocks(path)) for path in DOCUMENTS]
    sources += [(path, [(1, path.read_text(encoding="utf-8"))]) for path in PLAYBOOK_FILES]
    for path, blocks in sources:
        relative = path.relative_to(REPO_ROOT).as_posix()
        for line, text in blocks:
            plays = _as_plays(load_yaml(text))
            if plays is None:
                not_run.append(("%s:%d" % (relative, line), text))
            else:
                examples.append(Example("%s:%d" % (relative, line), plays, text))
    for path in MODULES:
        line, text = _module_examples(path)
        plays = _as_plays(load_yaml(text))
        assert plays is not None, "the EXAMPLES of %s are not a task list" % path.name
        examples.append(Example("%s:%d" % (path.relative_to(REPO_ROOT).as_posix(), line), plays, text))
    return examples, not_run


EXAMPLES, NOT_RUN = collect_examples()


def _adapt_tasks(tasks):
    for task in tasks or []:
        for key in TASK_LIST_KEYS:
            _adapt_tasks(task.get(key))
        _strip_module_defaults(task)
        for key, value in task.items():
            if key.startswith("projectdiscovery.neo.") and isinstance(value, dict):
                for option in CONNECTION_OPTIONS & set(value):
                    del value[option]
            if key.split(".")[-1] in ("include_role", "import_role"):
                _strip_role_vars(task.get("vars"))


def _strip_module_defaults(holder):
    defaults = holder.get("module_defaults")
    if not isinstance(defaults, dict):
        return
    for name, options in list(defaults.items()):
        if (name.startswith("group/projectdiscovery.neo.") or name.startswith("projectdiscovery.neo.")) and isinstance(options, dict):
            for option in CONNECTION_OPTIONS & set(options):
                del options[option]
            if not options:
                del defaults[name]
    if not defaults:
        del holder["module_defaults"]


def _strip_role_vars(variables):
    for name in ROLE_CONNECTION_VARS & set(variables or {}):
        del variables[name]


def _redirect_tmp(data, tmp_dir):
    """Point every /tmp/ path of the example into the test's directory."""
    if isinstance(data, dict):
        return {key: _redirect_tmp(value, tmp_dir) for key, value in data.items()}
    if isinstance(data, list):
        return [_redirect_tmp(value, tmp_dir) for value in data]
    if isinstance(data, str) and data.startswith("/tmp/"):
        return str(tmp_dir / data[len("/tmp/"):])
    return data


def adapt(example, tmp_dir):
    """The example's plays with only the URL, the credentials and /tmp paths adapted."""
    plays = _redirect_tmp(example.plays, tmp_dir)
    for play in plays:
        _strip_module_defaults(play)
        _strip_role_vars(play.get("vars"))
        for role in play.get("roles") or []:
            if isinstance(role, dict):
                _strip_role_vars(role.get("vars"))
                _strip_role_vars(role)
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            _adapt_tasks(play.get(section))
    return plays


def vault_vars(example):
    """A value for each vault_* variable the example uses: alice's credentials for API keys and tokens."""
    values = {}
    for name in sorted(set(VAULT_VAR.findall(example.text))):
        if "api_key" in name:
            values[name] = ALICE_KEY
        elif "token" in name:
            values[name] = ALICE_TOKEN
        else:
            values[name] = "doc-example-value-of-" + name
    return values


@pytest.fixture(scope="module")
def awx_stub(tmp_path_factory):
    """A collections directory holding a stub awx.awx collection."""
    root = tmp_path_factory.mktemp("awx-stub")
    collection = root / "ansible_collections" / "awx" / "awx"
    (collection / "meta").mkdir(parents=True)
    (collection / "meta" / "runtime.yml").write_text("requires_ansible: '>=2.16'\n")
    (collection / "plugins" / "action").mkdir(parents=True)
    (collection / "plugins" / "modules").mkdir(parents=True)
    for module in AWX_STUB_MODULES:
        (collection / "plugins" / "action" / (module + ".py")).write_text(AWX_STUB_ACTION)
        (collection / "plugins" / "modules" / (module + ".py")).write_text(
            "DOCUMENTATION = %r\n" % ("module: %s\nshort_description: test stub\n" % module)
        )
    return root


def run_example(sim, example, tmp_path, awx_stub, check):
    run_dir = tmp_path / ("check" if check else "apply")
    run_dir.mkdir()
    files = tmp_path / "files"
    files.mkdir(exist_ok=True)
    playbook = run_dir / "example.yml"
    playbook.write_text(yaml.dump(adapt(example, files), Dumper=ExampleDumper, sort_keys=False))
    env = playbook_env(sim.url, run_dir)
    env["ANSIBLE_COLLECTIONS_PATH"] += ":" + str(awx_stub)
    command = [ANSIBLE_PLAYBOOK, str(playbook), "-e", json.dumps(vault_vars(example))] + (["--check"] if check else [])
    # From a directory outside the checkout: an example may not rely on the collection's files.
    completed = subprocess.run(command, cwd=str(run_dir), env=env, capture_output=True, text=True, timeout=300, check=False)
    results_path = pathlib.Path(env["NEO_TEST_RESULTS"])
    results = [json.loads(line) for line in results_path.read_text().splitlines()] if results_path.exists() else []
    assert completed.returncode == 0, "%s (%s) failed, rc %d:\n--- example as run:\n%s\n--- stdout:\n%s\n--- stderr:\n%s" % (
        example.where, "check mode" if check else "real run", completed.returncode, playbook.read_text(), completed.stdout, completed.stderr)
    return results


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.where for example in EXAMPLES])
def test_example_runs_against_the_demo_organisation(sim, example, tmp_path, awx_stub):
    run_example(sim, example, tmp_path, awx_stub, check=True)
    assert sim.writes() == 0, "%s wrote to the API in check mode" % example.where
    run_example(sim, example, tmp_path, awx_stub, check=False)


def test_examples_are_found():
    """Every module's EXAMPLES and the documents' playbooks are collected, and only non-playbooks are left out."""
    where = {example.where.split(":")[0] for example in EXAMPLES}
    assert {path.relative_to(REPO_ROOT).as_posix() for path in MODULES} <= where
    assert {"README.md", "docs/user-guide.md", "docs/awx.md", "examples/neo_secret.yml", "examples/secret_policy.yml"} <= where
    for location, text in NOT_RUN:
        if _is_rulebook_or_inventory(load_yaml(text)):
            continue  # rulebooks are checked against ansible-rulebook's schema in tests/functional/test_eda_e2e.py
        assert not re.search(r"^\s*-?\s*(hosts|projectdiscovery\.neo\.\w+)\s*:", text, re.MULTILINE), (
            "%s looks like a playbook or task list but is not run:\n%s" % (location, textwrap.indent(text, "    ")))


def _is_rulebook_or_inventory(data):
    """A rulebook (plays with sources and rules) or a YAML inventory (all: hosts/children/vars)."""
    if isinstance(data, list) and data and all(isinstance(item, dict) and {"sources", "rules"} <= set(item) for item in data):
        return True
    return isinstance(data, dict) and list(data) == ["all"] and isinstance(data["all"], dict) and set(data["all"]) <= {"hosts", "children", "vars"}


def test_awx_example_credential_type_is_checked(sim, tmp_path, awx_stub):
    """The docs/awx.md playbook creates the credential type of awx/credential_type.yml, from outside the checkout."""
    example = next(example for example in EXAMPLES if example.where.startswith("docs/awx.md") and "awx.awx.credential_type" in example.text)
    results = run_example(sim, example, tmp_path, awx_stub, check=False)
    created = [entry["result"]["stub_args"] for entry in results if "injectors" in entry["result"].get("stub_args", {})]
    assert len(created) == 1, results
    credential_type = yaml.safe_load((REPO_ROOT / "awx" / "credential_type.yml").read_text())
    fields = ("name", "description", "kind", "inputs", "injectors")
    assert {key: created[0].get(key) for key in fields} == {key: credential_type[key] for key in fields}
