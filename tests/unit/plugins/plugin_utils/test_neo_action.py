"""The result redaction of every action plugin: the fast check never lets a no_log value through."""
import pytest

from ansible.utils.unsafe_proxy import AnsibleUnsafeText

from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import redact, unsafe_records


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


def test_unsafe_records_mark_and_share_strings_and_keep_the_values():
    """Marked, a secret name that looks like a template is never templated by ansible-core."""
    records = [
        {"project_id": "p-1", "secret_name": "PROD_DB", "before": True, "rule": 0, "error": None},
        {"project_id": "p-1", "secret_name": "{{ lookup('env', 'HOME') }}", "before": False, "rule": 1, "error": None},
    ]
    marked = unsafe_records(records)

    assert marked == records
    if not isinstance(AnsibleUnsafeText("x"), AnsibleUnsafeText):
        # ansible-core 2.19 and later (data tagging): nothing to mark, the records come back as they are.
        assert marked is records
        return
    first, second = marked
    assert all(isinstance(text, AnsibleUnsafeText) for record in marked for pair in record.items() for text in pair if isinstance(text, str))
    assert first["project_id"] is second["project_id"]
    assert next(iter(first)) is next(iter(second))
    assert (first["before"], first["rule"], first["error"]) == (True, 0, None)
