"""The one create path and the secret-name rule, around failures that HTTP cannot stage deterministically.

A race (another client creating the same name between our read and our POST) cannot be
reproduced on demand against the simulator, so these few cases use a scripted client; every
other path of neo_secret is tested through real playbooks in tests/functional.
"""
import pytest

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_INVALID_JSON,
    REASON_NOT_SENT,
    REASON_TRANSPORT,
    NeoApiError,
    NeoInputError,
    NeoStateError,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_secrets import check_secret_name, create_secret, is_secret_name

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


def conflict():
    return NeoApiError("Neo API 409 already_exists", status=409, code="already_exists")


def test_created_once():
    client = ScriptedClient(creates=[record("DEPLOY_KEY")])
    assert create_secret(client, "DEPLOY_KEY", "v", False, PROJECT) == (record("DEPLOY_KEY"), True)
    assert client.calls == ["POST"]


def test_renamed_duplicate_is_a_failure_not_a_success():
    client = ScriptedClient(creates=[record("DEPLOY_KEY_2")])
    with pytest.raises(NeoStateError, match="stored the new secret as DEPLOY_KEY_2, not DEPLOY_KEY"):
        create_secret(client, "DEPLOY_KEY", "v", False, PROJECT)
    assert client.calls == ["POST"]


def test_conflict_adopts_the_secret_that_appeared_as_not_created():
    client = ScriptedClient(creates=[conflict()], lists=[[record("DEPLOY_KEY")]])
    assert create_secret(client, "DEPLOY_KEY", "v", False, PROJECT) == (record("DEPLOY_KEY"), False)
    assert client.calls == ["POST", "GET"]


def test_conflict_without_the_secret_is_raised_not_retried():
    error = conflict()
    client = ScriptedClient(creates=[error], lists=[[]])
    with pytest.raises(NeoApiError) as raised:
        create_secret(client, "DEPLOY_KEY", "v", False, PROJECT)
    assert raised.value is error and client.calls == ["POST", "GET"]


def test_refused_or_never_sent_post_is_not_listed_again():
    for error in (NeoApiError("Neo API 400 invalid_request", status=400), NeoApiError("Neo API request failed: refused", reason=REASON_NOT_SENT)):
        client = ScriptedClient(creates=[error])
        with pytest.raises(NeoApiError):
            create_secret(client, "DEPLOY_KEY", "v", False, PROJECT)
        assert client.calls == ["POST"]


def test_post_that_may_have_reached_the_server_adopts_what_is_there_as_created():
    client = ScriptedClient(creates=[NeoApiError("Neo API request failed: timed out", reason=REASON_TRANSPORT)], lists=[[record("DEPLOY_KEY")]])
    assert create_secret(client, "DEPLOY_KEY", "v", False, PROJECT) == (record("DEPLOY_KEY"), True)
    assert client.calls == ["POST", "GET"]


def test_post_that_failed_with_500_is_sent_once_more_when_the_secret_is_absent():
    client = ScriptedClient(creates=[NeoApiError("Neo API 500", status=500), NeoApiError("Neo API 500", status=500)], lists=[[], []])
    with pytest.raises(NeoApiError):
        create_secret(client, "DEPLOY_KEY", "v", False, PROJECT)
    assert client.calls == ["POST", "GET", "POST", "GET"]


def test_never_a_second_post_after_a_2xx():
    answered = NeoApiError("Neo API: invalid JSON in response to POST /api/v1/secrets (status 201)", status=201, reason=REASON_INVALID_JSON)
    client = ScriptedClient(creates=[answered, record("DEPLOY_KEY")], lists=[[]])
    with pytest.raises(NeoApiError) as raised:
        create_secret(client, "DEPLOY_KEY", "v", False, PROJECT)
    assert raised.value is answered and client.calls == ["POST", "GET"]


@pytest.mark.parametrize("name", ["A", "GITHUB_TOKEN", "X9_", "A" * 128])
def test_secret_names(name):
    assert is_secret_name(name)
    check_secret_name("name", name)


@pytest.mark.parametrize("name", ["", "lower", "_A", "9A", "A-B", "A B", "A" * 129, "FOO\n", "\nFOO", "FOO\r", None, 3])
def test_not_secret_names_as_a_whole(name):
    assert not is_secret_name(name)
    if isinstance(name, str):
        with pytest.raises(NeoInputError, match=r"^secrets\[2\]\.name: .* is not a valid secret name"):
            check_secret_name("secrets[2].name", name)
