"""The one create path and the secret-name rule, around failures that HTTP cannot stage deterministically.

A race (another client creating the same name between our read and our POST) cannot be
reproduced on demand against the simulator, so these few cases use a scripted client; every
other path of neo_secret is tested through real playbooks in tests/functional.
"""
import pytest

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_create import VISIBILITY_WAITS
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_INVALID_JSON,
    REASON_INVALID_RECORD,
    REASON_NOT_SENT,
    REASON_TRANSPORT,
    NeoApiError,
    NeoInputError,
    NeoStateError,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_policy import compile_policy, decider
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_secrets import (
    check_secret_name,
    contradictions_warning,
    create_secret,
    is_secret_name,
    listed_contradictions,
    records_by_name,
    unmanaged_message,
    unmanaged_names,
    values_not_sent_warning,
)

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


def test_never_a_second_post_after_a_2xx(waits):
    answered = NeoApiError("Neo API: invalid JSON in response to POST /api/v1/secrets (status 201)", status=201, reason=REASON_INVALID_JSON)
    client = ScriptedClient(creates=[answered, record("DEPLOY_KEY")], lists=[[], [], []])
    with pytest.raises(NeoStateError) as raised:
        create_secret(client, "DEPLOY_KEY", "v", False, PROJECT)
    assert str(raised.value).startswith("secret DEPLOY_KEY in project %s: created, but not visible yet: the API answered the POST (%s)"
                                        % (PROJECT, answered))
    assert client.calls == ["POST", "GET", "GET", "GET"] and waits == list(VISIBILITY_WAITS)


def test_a_2xx_whose_secret_shows_on_a_later_read_is_adopted_as_created(waits):
    answered = NeoApiError("Neo API answered POST /api/v1/secrets with a secret record (DEPLOY_KEY) lacking id", status=201,
                           reason=REASON_INVALID_RECORD)
    client = ScriptedClient(creates=[answered], lists=[[], [record("DEPLOY_KEY")]])
    assert create_secret(client, "DEPLOY_KEY", "v", False, PROJECT) == (record("DEPLOY_KEY"), True)
    assert client.calls == ["POST", "GET", "GET"] and waits == [VISIBILITY_WAITS[0]]


@pytest.mark.parametrize("reported, label", [(None, "the personal scope"),
                                             ("AAAAAAAA-0000-4000-8000-000000000001", "project aaaaaaaa-0000-4000-8000-000000000001")])
def test_an_answer_in_another_scope_fails_naming_it_and_reads_nothing(reported, label):
    client = ScriptedClient(creates=[dict(record("DEPLOY_KEY"), project_id=reported)])
    with pytest.raises(NeoStateError) as raised:
        create_secret(client, "DEPLOY_KEY", "v", False, PROJECT)
    assert str(raised.value) == ("the API answered the POST of secret DEPLOY_KEY for project %s with a secret (id %s) in %s; "
                                 "nothing more is written to either scope" % (PROJECT, record("DEPLOY_KEY")["id"], label))
    assert client.calls == ["POST"]


def test_a_personal_answer_in_a_project_fails_too():
    client = ScriptedClient(creates=[record("DEPLOY_KEY")])
    with pytest.raises(NeoStateError, match="for the personal scope with a secret .* in project %s;" % PROJECT):
        create_secret(client, "DEPLOY_KEY", "v", False, None)


def test_an_answer_without_project_id_is_confirmed_by_reading_the_scope_asked_for(waits):
    answer = {key: value for key, value in record("DEPLOY_KEY").items() if key != "project_id"}
    client = ScriptedClient(creates=[answer], lists=[[record("DEPLOY_KEY")]])
    assert create_secret(client, "DEPLOY_KEY", "v", False, PROJECT) == (record("DEPLOY_KEY"), True)
    assert client.calls == ["POST", "GET"] and waits == []
    client = ScriptedClient(creates=[answer], lists=[[], [], []])
    with pytest.raises(NeoStateError, match="created, but not visible yet: the API answered the POST .*without its project_id"):
        create_secret(client, "DEPLOY_KEY", "v", False, PROJECT)
    assert client.calls == ["POST", "GET", "GET", "GET"]


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


def test_unmanaged_names_are_the_scopes_other_names_sorted_once_and_nothing_else():
    records = [dict(record("ZED"), masked_value="CANARY"), record("LISTED"), record("ALPHA"), record("ZED", "5ec00000-0000-4000-8000-0000000000bb")]
    assert unmanaged_names(records, [{"name": "LISTED"}, {"name": "ABSENT"}]) == ["ALPHA", "ZED"]
    assert unmanaged_names(None, [{"name": "LISTED"}]) == []  # a project that does not exist yet holds nothing
    # The names come from the API: a message keeps each to one short line.
    assert unmanaged_message(["ALPHA", "EVIL\nINJECTED " + "X" * 200], "project p") == (
        "project p holds 2 secrets not in the list: ALPHA, EVIL INJECTED " + "X" * 113 + "...")


def test_values_not_sent_is_one_warning_naming_every_secret():
    assert values_not_sent_warning([]) is None
    assert values_not_sent_warning(["DB"]) == (
        "1 secret exists, so its value was not compared or sent (the Neo API can neither read nor change a secret's value): DB")
    assert values_not_sent_warning(["DB", "KEY"]) == (
        "2 secrets exist, so their values were not compared or sent (the Neo API can neither read nor change a secret's value): DB, KEY")


def test_a_listed_flag_is_compared_with_the_first_rule_the_policy_engine_would_apply():
    rules, _exceptions = compile_policy([
        {"name": "agents opt in", "match": ["*"], "exclude": None, "projects": "*", "exclude_projects": None, "project_tags": None, "personal": False,
         "created_by": "agent", "default_available": True},
        {"name": None, "match": ["DB_*"], "exclude": ["DB_OK"], "projects": "*", "exclude_projects": None, "project_tags": None, "personal": False,
         "created_by": "any", "default_available": False},
    ], None)
    items = [{"name": "DB_PASSWORD", "default_available": True}, {"name": "DB_OK", "default_available": True},
             {"name": "DB_AGENT", "default_available": True}, {"name": "DB_NEW", "default_available": False}]
    by_name = records_by_name([dict(record("DB_PASSWORD"), created_by_agent=False), dict(record("DB_AGENT"), created_by_agent=True)])
    found = listed_contradictions(items, by_name, decider(rules))
    # DB_OK: excluded by the rule; DB_AGENT: decided by rules[0] (agents), as listed; DB_NEW: created by this task, agrees with rules[1].
    assert [(name, listed, rule.index) for name, listed, rule in found] == [("DB_PASSWORD", True, 1)]
    assert contradictions_warning(found, "policy_rules") == (
        "1 listed secret contradicts the rules, and the listed flag is applied: "
        "DB_PASSWORD is listed with default_available true, but policy_rules[1] (rule 2) would set false")
