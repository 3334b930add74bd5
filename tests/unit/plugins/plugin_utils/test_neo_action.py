"""The result redaction of every action plugin: the fast check never lets a no_log value through."""
import pytest

from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import redact


@pytest.mark.parametrize("secret", ["neo_sk_plain0000", 'quote"and\\backslash', "ünïcødé-välue", "line\nbreak"])
def test_a_no_log_value_anywhere_is_masked(secret):
    result = {"msg": "failed with %s inside" % secret, "nested": [{"k": secret}]}
    redacted = redact(result, {secret})
    assert secret not in repr(redacted)
    assert "********" in redacted["msg"]


def test_a_result_without_the_values_is_returned_as_is():
    result = {"entries": [{"secret_name": "GITHUB_TOKEN"}] * 3}
    assert redact(result, {"neo_sk_unrelated"}) is result
    assert redact(result, set()) is result
