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


def test_values_are_masked_longest_first():
    """A no_log value that contains another (a secret value holding the API key) goes whole: no piece of it is left."""
    key = "neo_sk_key0000000000000000"
    values = ["PRE%d-%s-SUF%d" % (number, key, number) for number in range(8)]
    result = {"msg": "refused: " + ", ".join(values), "entries": [{"value": text} for text in values]}
    redacted = redact(result, set(values) | {key})
    text = repr(redacted)
    assert key not in text and "PRE" not in text and "SUF" not in text
    assert redacted["msg"] == "refused: " + ", ".join(["********"] * 8)
