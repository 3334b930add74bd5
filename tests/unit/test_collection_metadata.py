"""The collection's metadata and docs agree with its code."""
import importlib
import pathlib

import yaml

from ansible_collections.projectdiscovery.neo.plugins.doc_fragments.connection import ModuleDocFragment as ConnectionFragment
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import NEO_CONNECTION_ARGSPEC

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
MODULE_NAMES = sorted(p.stem for p in (REPO_ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


def load_runtime():
    return yaml.safe_load((REPO_ROOT / "meta" / "runtime.yml").read_text())


def test_action_group_lists_every_module_once():
    group = load_runtime()["action_groups"]["neo"]
    assert sorted(group) == MODULE_NAMES
    assert len(group) == len(set(group))


def test_every_module_has_an_action_plugin():
    actions = sorted(p.stem for p in (REPO_ROOT / "plugins" / "action").glob("*.py"))
    assert actions == MODULE_NAMES


def _spec_summary(spec):
    return {name: (option.get("type", "str"), bool(option.get("required", False)), option.get("default")) for name, option in spec.items()}


def test_connection_fragment_documents_the_connection_argspec():
    documented = yaml.safe_load(ConnectionFragment.DOCUMENTATION)["options"]
    assert _spec_summary(documented) == _spec_summary(NEO_CONNECTION_ARGSPEC)
    for name, option in NEO_CONNECTION_ARGSPEC.items():
        assert option.get("no_log", False) is (name in ("api_key", "api_token")), name


def test_module_docs_match_action_argument_specs():
    for name in MODULE_NAMES:
        module = importlib.import_module("ansible_collections.projectdiscovery.neo.plugins.modules." + name)
        action = importlib.import_module("ansible_collections.projectdiscovery.neo.plugins.action." + name)
        documented = yaml.safe_load(module.DOCUMENTATION)
        assert documented["module"] == name
        for section in ("EXAMPLES", "RETURN"):
            assert getattr(module, section).strip(), (name, section)
        assert _spec_summary(documented.get("options", {})) == _spec_summary(action.ActionModule.argument_spec), name
        assert "projectdiscovery.neo.connection" in documented["extends_documentation_fragment"], name
