"""Post-write verification: a write is reported changed only when the API's answer shows it took."""
from __future__ import annotations

import pytest

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoStateError
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_secrets import set_default_available

RECORD = {"id": "5ec00000-0000-4000-8000-000000000001", "name": "GITHUB_TOKEN", "default_available": True}


class FakeClient:
    """update_secret answers with a configurable record and counts the calls."""

    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def update_secret(self, secret_id, default_available):
        self.calls.append((secret_id, default_available))
        return dict(RECORD, **self.answer)


def test_patch_answer_showing_the_old_value_is_a_failure_not_changed():
    client = FakeClient({"default_available": True})
    with pytest.raises(NeoStateError, match="answered the PATCH of secret .* with default_available=True, not False"):
        set_default_available(client, RECORD, False, check_mode=False)
    assert client.calls == [(RECORD["id"], False)]


def test_patch_answer_showing_the_desired_value_is_changed():
    client = FakeClient({"default_available": False})
    assert set_default_available(client, RECORD, False, check_mode=False) == (True, dict(RECORD, default_available=False))


@pytest.mark.parametrize("check_mode", [True, False])
def test_no_write_when_the_flag_is_already_right(check_mode):
    client = FakeClient({})
    assert set_default_available(client, RECORD, True, check_mode=check_mode) == (False, RECORD)
    assert client.calls == []


def test_check_mode_predicts_without_writing():
    client = FakeClient({})
    assert set_default_available(client, RECORD, False, check_mode=True) == (True, dict(RECORD, default_available=False))
    assert client.calls == []
