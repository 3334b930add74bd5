"""create_secret's decisions around failures that HTTP cannot stage deterministically.

A race (another client creating the same name between our read and our POST) cannot be
reproduced on demand against the simulator, so these few cases use a scripted client; every
other path of neo_secret is tested through real playbooks in tests/functional.
"""
import pytest

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_client import NeoApiError
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoStateError
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_secrets import create_secret

PROJECT = "aaaaaaaa-0000-4000-8000-000000000002"


def record(name, secret_id="5ec00000-0000-4000-8000-0000000000aa"):
    return {"id": secret_id, "name": name, "project_id": PROJECT, "default_available": False, "masked_value": "x"}


class ScriptedClient:
    """Answers create_secret / list_secrets from scripted outcomes and records the calls."""

    def __init__(self, creates, lists=()):
        self.creates = list(creates)
        self.lists = list(lists)
        self.calls = []

    def _next(self, outcomes):
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def create_secret(self, name, value, default_available=None, project_id=None):
        self.calls.append("POST")
        return self._next(self.creates)

    def list_secrets(self, project_id=None):
        self.calls.append("GET")
        return self._next(self.lists)


def test_renamed_duplicate_is_a_failure_not_a_success():
    client = ScriptedClient(creates=[record("DEPLOY_KEY_2")])
    with pytest.raises(NeoStateError, match="stored the new secret as DEPLOY_KEY_2, not DEPLOY_KEY"):
        create_secret(client, "DEPLOY_KEY", "v", False, PROJECT)
    assert client.calls == ["POST"]


def test_conflict_uses_the_secret_that_appeared():
    client = ScriptedClient(creates=[NeoApiError("Neo API 409 already_exists", status=409, code="already_exists")], lists=[[record("DEPLOY_KEY")]])
    assert create_secret(client, "DEPLOY_KEY", "v", False, PROJECT)["name"] == "DEPLOY_KEY"
    assert client.calls == ["POST", "GET"]


def test_conflict_without_the_secret_is_raised_not_retried():
    conflict = NeoApiError("Neo API 409 already_exists", status=409, code="already_exists")
    client = ScriptedClient(creates=[conflict], lists=[[]])
    with pytest.raises(NeoApiError) as raised:
        create_secret(client, "DEPLOY_KEY", "v", False, PROJECT)
    assert raised.value is conflict and client.calls == ["POST", "GET"]


def test_refused_post_is_not_listed_again():
    client = ScriptedClient(creates=[NeoApiError("Neo API 400 invalid_request", status=400)])
    with pytest.raises(NeoApiError):
        create_secret(client, "DEPLOY_KEY", "v", False, PROJECT)
    assert client.calls == ["POST"]
