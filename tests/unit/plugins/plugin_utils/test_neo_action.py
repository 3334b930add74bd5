"""The result redaction of every action plugin: no no_log value gets through."""
import pytest

from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import redact


@pytest.mark.parametrize("secret", ["neo_sk_plain0000", 'quote"and\\backslash', "ünïcødé-välue", "line\nbreak"])
def test_a_no_log_value_anywhere_is_masked(secret):
    result = {"msg": "failed with %s inside" % secret, "nested": [{"k": secret}]}
    redacted = redact(result, {secret})
    assert secret not in repr(redacted)
    assert "********" in redacted["msg"]


def test_an_empty_no_log_value_masks_nothing():
    result = {"msg": "api_key is empty", "entries": [{"secret_name": "GITHUB_TOKEN"}]}
    assert redact(result, {"", "neo_sk_unrelated"}) == result
