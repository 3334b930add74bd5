"""Every action plugin's ``run_neo`` against an in-memory fake client (milliseconds, no network).

The playbook tests in tests/functional run the same actions through ansible-playbook against the
simulator; these tests call ``check_input`` and ``run_neo`` directly, with parameters validated by
ansible-core's ``ArgumentSpecValidator`` from the real argument spec (so defaults are the real
ones), and pin each filter, ordering and error path down to exact statuses, messages and calls.
A few tests at the end exercise ``NeoActionBase.run`` with ansible-core's executor part stubbed.
"""
import copy
import datetime
import json
import os
import re
import stat
import threading
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.projectdiscovery.neo.plugins.action import neo_project_info, neo_secret, neo_secret_info, neo_secret_policy, neo_secrets
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import NEO_CONNECTION_ARGSPEC, NEO_CONNECTION_MUTUALLY_EXCLUSIVE
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_NOT_ATTEMPTED,
    NeoAmbiguousError,
    NeoApiError,
    NeoInputError,
    NeoNotFound,
    NeoStateError,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_policy
from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_secrets as secrets_engine
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils import _neo_action

SecretAction = neo_secret.ActionModule
SecretInfoAction = neo_secret_info.ActionModule
ProjectInfoAction = neo_project_info.ActionModule
PolicyAction = neo_secret_policy.ActionModule
SecretsAction = neo_secrets.ActionModule

FAKE_KEY = "neo_sk_fakeUNITkey0000000000000000000000"
API_URL = "https://neo.example.test"

P_PROD = "aaaaaaaa-0000-4000-8000-000000000001"
P_STAGING = "aaaaaaaa-0000-4000-8000-000000000002"
P_RED = "aaaaaaaa-0000-4000-8000-000000000003"
P_UNLISTED = "aaaaaaaa-0000-4000-8000-000000000009"

S_P_GITHUB = "5ec00000-0000-4000-8000-000000000001"
S_P_SLACK = "5ec00000-0000-4000-8000-000000000002"
S_PROD_DB = "5ec00000-0000-4000-8000-000000000011"
S_PROD_AWS = "5ec00000-0000-4000-8000-000000000012"
S_PROD_GITHUB = "5ec00000-0000-4000-8000-000000000013"
S_STG_API = "5ec00000-0000-4000-8000-000000000021"
S_STG_GITHUB = "5ec00000-0000-4000-8000-000000000022"
S_RED = "5ec00000-0000-4000-8000-000000000031"
S_NEW = "5ec00000-0000-4000-8000-000000000100"  # the id FakeClient gives the first secret it creates

PROJECTS = [
    {"id": P_PROD, "name": "Production", "owner_email": "alice@example.test", "member_count": 2, "internal_billing_ref": "not-public"},
    {"id": P_STAGING, "name": "Staging"},
    {"id": P_RED, "name": "Red team"},
]


def secret(secret_id, name, project_id, flag, **extra):
    return dict({"id": secret_id, "name": name, "project_id": project_id, "default_available": flag, "masked_value": name[:3] + "****",
                 "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-02T00:00:00Z", "created_by_agent": False}, **extra)


# Personal secrets are served out of name order, so that sorting is visible.
SECRETS = [
    secret(S_P_SLACK, "SLACK_WEBHOOK", None, True),
    secret(S_P_GITHUB, "GITHUB_TOKEN", None, True),
    secret(S_PROD_DB, "PROD_DB", P_PROD, True),
    secret(S_PROD_AWS, "PROD_AWS", P_PROD, False),
    secret(S_PROD_GITHUB, "GITHUB_TOKEN", P_PROD, True),
    secret(S_STG_API, "STAGING_API", P_STAGING, True),
    secret(S_STG_GITHUB, "GITHUB_TOKEN", P_STAGING, False),
    secret(S_RED, "RED_TOKEN", P_RED, True),
]


def api_error(status, message, reason=None):
    return NeoApiError(message, status=status, reason=reason)


def forbidden():
    return api_error(403, "Neo API 403 forbidden: you are not a member of this project")


class FakeClient:
    """The NeoClient surface the actions use, over in-memory projects and secrets.

    Every call is recorded in ``calls`` as a tuple: ``("list_projects",)``, ``("list_secrets",
    project_id)``, ``("update_secret", secret_id, flag)``, ``("create_secret", name, value, flag,
    project_id)``. ``fail(method, key, error)`` makes calls of ``method`` for ``key`` (project id
    for list_secrets, None for personal; secret id for update_secret; name for create_secret;
    None for list_projects) raise ``error``; ``answer(method, key, record)`` makes them return
    ``record`` instead of the stored state (a write still changes the state).
    """

    def __init__(self, projects=None, secrets=None, api_url=API_URL, validate_certs=True):
        self.projects = copy.deepcopy(list(PROJECTS if projects is None else projects))
        self.secrets = copy.deepcopy(list(SECRETS if secrets is None else secrets))
        self.api_url = api_url
        self.validate_certs = validate_certs
        self.retry_count = 0
        self.closed = False
        self.calls = []
        self._errors = {}
        self._answers = {}
        self._created = 0
        self._lock = threading.Lock()

    def fail(self, method, key, error):
        self._errors[(method, key)] = error
        return self

    def answer(self, method, key, record):
        self._answers[(method, key)] = record
        return self

    def _enter(self, method, key, *args):
        with self._lock:
            self.calls.append((method,) + args)
        error = self._errors.get((method, key))
        if error is not None:
            raise error

    def _answer(self, method, key, default):
        answer = self._answers.get((method, key))
        return copy.deepcopy(answer if answer is not None else default)

    def flags(self):
        return {record["id"]: record["default_available"] for record in self.secrets}

    def writes(self):
        return [call for call in self.calls if call[0] in ("update_secret", "create_secret")]

    # -- the NeoClient surface

    def list_projects(self):
        self._enter("list_projects", None)
        return self._answer("list_projects", None, self.projects)

    def list_secrets(self, project_id=None):
        self._enter("list_secrets", project_id, project_id)
        return self._answer("list_secrets", project_id, [record for record in self.secrets if record["project_id"] == project_id])

    def update_secret(self, secret_id, default_available):
        self._enter("update_secret", secret_id, secret_id, default_available)
        with self._lock:
            record = next((r for r in self.secrets if r["id"].lower() == secret_id.lower()), None)
            if record is None:
                raise api_error(404, "Neo API 404 not_found: secret not found")
            record["default_available"] = default_available
        return self._answer("update_secret", secret_id, record)

    def create_secret(self, name, value, default_available=None, project_id=None):
        self._enter("create_secret", name, name, value, default_available, project_id)
        with self._lock:
            record = secret("5ec00000-0000-4000-8000-%012d" % (100 + self._created), name, project_id, bool(default_available))
            self._created += 1
            self.secrets.append(record)
        return self._answer("create_secret", name, record)

    def close(self):
        self.closed = True


# ---------------------------------------------------------------------------- harness


@pytest.fixture(autouse=True)
def _no_neo_environment(monkeypatch):
    """The validator reads NEO_* fallbacks from the environment: none of the runner's may leak in."""
    for variable in ("NEO_API_URL", "NEO_API_KEY", "NEO_API_TOKEN", "NEO_VALIDATE_CERTS", "NEO_CA_PATH"):
        monkeypatch.delenv(variable, raising=False)


def fqcn(cls):
    return "projectdiscovery.neo." + cls.__module__.rsplit(".", 1)[1]


def make_action(cls, check_mode=False, diff=False, no_log_values=(), args=None):
    """An ActionModule with only what run_neo and the base-class helpers touch."""
    action = cls.__new__(cls)
    action._task = SimpleNamespace(action=fqcn(cls), resolved_action=None, check_mode=check_mode, diff=diff, args=args or {})
    action.no_log_values = set(no_log_values)
    return action


def params_for(cls, **args):
    """The validated parameters of a task with ``args``: every spec key present, defaults filled."""
    validation = ArgumentSpecValidator(
        dict(NEO_CONNECTION_ARGSPEC, **cls.argument_spec),
        mutually_exclusive=list(NEO_CONNECTION_MUTUALLY_EXCLUSIVE) + list(cls.mutually_exclusive),
        required_one_of=list(cls.required_one_of),
        required_together=list(cls.required_together),
        required_if=list(cls.required_if),
        required_by=dict(cls.required_by),
    ).validate(dict(args, api_key=FAKE_KEY))
    errors = [error.error_message for error in validation.errors]
    assert errors == []
    return validation.validated_parameters


def run_neo(cls, fake, check_mode=False, diff=False, action=None, **args):
    """check_input + run_neo as NeoActionBase.run calls them; returns (result, warnings)."""
    action = action or make_action(cls, check_mode=check_mode, diff=diff)
    params = params_for(cls, **args)
    action.check_input(params)
    warnings = []
    result = action.run_neo(fake, params, check_mode=check_mode, diff=diff, warn=warnings.append)
    return result, warnings


def public(record, **override):
    return dict({key: record[key] for key in ("id", "name", "project_id", "default_available", "masked_value", "created_at", "updated_at",
                                              "created_by_agent")}, **override)


def by_id(secret_id):
    return next(record for record in SECRETS if record["id"] == secret_id)


# ---------------------------------------------------------------------------- neo_secret


def test_secret_found_by_upper_case_id_in_the_personal_scope():
    fake = FakeClient()
    result, warnings = run_neo(SecretAction, fake, id=S_P_GITHUB.upper(), default_available=True)
    assert result == {"changed": False, "created": False, "secret": public(by_id(S_P_GITHUB))}
    assert fake.calls == [("list_secrets", None)]
    assert warnings == []


def test_secret_found_by_id_in_a_project_after_the_personal_scope():
    fake = FakeClient()
    result, _warnings = run_neo(SecretAction, fake, id=S_PROD_DB, default_available=False)
    assert result["changed"] is True
    assert result["secret"] == public(by_id(S_PROD_DB), default_available=False)
    assert fake.calls == [("list_secrets", None), ("list_projects",), ("list_secrets", P_PROD), ("update_secret", S_PROD_DB, False)]
    assert fake.flags()[S_PROD_DB] is False


def test_secret_search_by_id_skips_a_forbidden_project_with_a_warning():
    fake = FakeClient(projects=[PROJECTS[2], PROJECTS[0], PROJECTS[1]]).fail("list_secrets", P_RED, forbidden())
    result, warnings = run_neo(SecretAction, fake, id=S_PROD_DB, default_available=True)
    assert result["changed"] is False
    assert result["secret"]["id"] == S_PROD_DB
    assert fake.calls == [("list_secrets", None), ("list_projects",), ("list_secrets", P_RED), ("list_secrets", P_PROD)]
    assert warnings == ["skipped project %s (Red team): the caller may not read its secrets "
                        "(Neo API 403 forbidden: you are not a member of this project)" % P_RED]


def test_secret_search_by_id_does_not_skip_a_project_failing_otherwise():
    fake = FakeClient().fail("list_secrets", P_PROD, api_error(500, "Neo API 500 internal: boom"))
    with pytest.raises(NeoApiError, match="^Neo API 500 internal: boom$"):
        run_neo(SecretAction, fake, id=S_STG_GITHUB, default_available=True)
    assert fake.calls == [("list_secrets", None), ("list_projects",), ("list_secrets", P_PROD)]


def test_secret_not_found_by_id_names_the_readable_scopes_searched():
    fake = FakeClient().fail("list_secrets", P_RED, forbidden())
    with pytest.raises(NeoNotFound) as raised:
        run_neo(SecretAction, fake, id=S_RED, default_available=True)
    assert str(raised.value) == "secret id %s not found in the personal scope or in any of the 2 readable projects" % S_RED
    assert fake.writes() == []


def test_secret_found_by_name_in_the_personal_scope_only():
    fake = FakeClient()
    result, _warnings = run_neo(SecretAction, fake, name="GITHUB_TOKEN", default_available=False)
    assert result["secret"] == public(by_id(S_P_GITHUB), default_available=False)
    assert fake.calls == [("list_secrets", None), ("update_secret", S_P_GITHUB, False)]


def test_secret_found_by_name_in_a_project_given_in_upper_case():
    fake = FakeClient()
    result, _warnings = run_neo(SecretAction, fake, name="GITHUB_TOKEN", project_id=P_STAGING.upper(), default_available=True)
    assert result == {"changed": True, "created": False, "secret": public(by_id(S_STG_GITHUB), default_available=True)}
    assert fake.calls == [("list_secrets", P_STAGING), ("update_secret", S_STG_GITHUB, True)]


@pytest.mark.parametrize("project_id, where", [(None, "the personal scope"), (P_PROD, "project " + P_PROD)])
def test_secret_not_found_by_name(project_id, where):
    fake = FakeClient()
    with pytest.raises(NeoNotFound) as raised:
        run_neo(SecretAction, fake, name="NOPE", project_id=project_id, default_available=True)
    assert str(raised.value) == "secret named NOPE not found in %s" % where
    assert fake.calls == [("list_secrets", project_id)]


def test_secret_ambiguous_name():
    dup_a, dup_b = "5ec00000-0000-4000-8000-0000000000d1", "5ec00000-0000-4000-8000-0000000000d2"
    fake = FakeClient(secrets=[secret(dup_a, "DUP", None, True), secret(dup_b, "DUP", None, True)])
    with pytest.raises(NeoAmbiguousError) as raised:
        run_neo(SecretAction, fake, name="DUP", default_available=False)
    assert str(raised.value) == "2 secrets are named DUP in the personal scope (ids %s, %s); give id instead" % (dup_a, dup_b)
    assert fake.writes() == []


def test_secret_id_and_name_of_different_secrets():
    fake = FakeClient()
    with pytest.raises(NeoInputError) as raised:
        run_neo(SecretAction, fake, id=S_P_GITHUB, name="SLACK_WEBHOOK", default_available=False)
    assert str(raised.value) == "id and name name different secrets: id %s is GITHUB_TOKEN in the personal scope, not SLACK_WEBHOOK" % S_P_GITHUB
    assert fake.writes() == []


def test_secret_check_mode_predicts_the_change_without_writing():
    fake = FakeClient()
    result, _warnings = run_neo(SecretAction, fake, check_mode=True, name="PROD_DB", project_id=P_PROD, default_available=False)
    assert result == {"changed": True, "created": False, "secret": public(by_id(S_PROD_DB), default_available=False)}
    assert fake.calls == [("list_secrets", P_PROD)]
    assert fake.flags()[S_PROD_DB] is True


def test_secret_unchanged_when_the_flag_already_matches():
    fake = FakeClient()
    result, _warnings = run_neo(SecretAction, fake, name="PROD_AWS", project_id=P_PROD, default_available=False)
    assert result == {"changed": False, "created": False, "secret": public(by_id(S_PROD_AWS))}
    assert fake.writes() == []


@pytest.mark.parametrize("diff", [True, False])
def test_secret_diff_only_when_asked(diff):
    fake = FakeClient()
    result, _warnings = run_neo(SecretAction, fake, diff=diff, name="PROD_DB", project_id=P_PROD, default_available=False)
    if diff:
        view = {"id": S_PROD_DB, "name": "PROD_DB", "project_id": P_PROD}
        assert result["diff"] == {"before": dict(view, default_available=True), "after": dict(view, default_available=False)}
    else:
        assert "diff" not in result


def test_secret_value_for_an_existing_secret_is_ignored_with_a_warning():
    fake = FakeClient()
    result, warnings = run_neo(SecretAction, fake, name="PROD_DB", project_id=P_PROD, value="s3cr3t-CANARY", default_available=True)
    assert result == {"changed": False, "created": False, "value_ignored": True, "secret": public(by_id(S_PROD_DB))}
    assert warnings == [secrets_engine.values_not_sent_warning(["PROD_DB"])] == [
        "1 secret exists, so its value was not compared or sent (the Neo API can neither read nor change a secret's value): PROD_DB"]
    assert fake.calls == [("list_secrets", P_PROD)]


@pytest.mark.parametrize("diff", [True, False])
def test_secret_create_in_check_mode_sends_nothing(diff):
    fake = FakeClient()
    result, _warnings = run_neo(SecretAction, fake, check_mode=True, diff=diff, name="DEPLOY_KEY", project_id=P_PROD, value="s3cr3t-CANARY",
                                default_available=False)
    would_be = {"id": None, "name": "DEPLOY_KEY", "project_id": P_PROD, "default_available": False, "masked_value": None}
    assert result["changed"] is True and result["created"] is True
    assert result["secret"] == would_be
    if diff:
        assert result["diff"] == {"before": {}, "after": {"id": None, "name": "DEPLOY_KEY", "project_id": P_PROD, "default_available": False}}
    else:
        assert "diff" not in result
    assert fake.calls == [("list_secrets", P_PROD)]
    assert "s3cr3t" not in repr(result)


def test_secret_create_posts_once_and_verifies_the_flag():
    fake = FakeClient()
    result, warnings = run_neo(SecretAction, fake, name="DEPLOY_KEY", project_id=P_PROD, value="s3cr3t-CANARY", default_available=False)
    assert fake.calls == [("list_secrets", P_PROD), ("create_secret", "DEPLOY_KEY", "s3cr3t-CANARY", False, P_PROD)]
    assert result["changed"] is True and result["created"] is True
    assert result["secret"]["id"] == S_NEW
    assert result["secret"]["default_available"] is False
    assert "s3cr3t" not in repr(result)
    assert warnings == []


def test_secret_create_answered_with_the_wrong_flag_is_patched():
    fake = FakeClient().answer("create_secret", "DEPLOY_KEY", secret(S_NEW, "DEPLOY_KEY", None, True))
    result, _warnings = run_neo(SecretAction, fake, name="DEPLOY_KEY", value="s3cr3t-CANARY", default_available=False)
    assert fake.calls == [("list_secrets", None), ("create_secret", "DEPLOY_KEY", "s3cr3t-CANARY", False, None), ("update_secret", S_NEW, False)]
    assert result["secret"]["default_available"] is False
    assert result["created"] is True


class RacedClient(FakeClient):
    """Another run creates ``racer`` in the scope right after this task's first read of it."""

    def __init__(self, racer, **kwargs):
        super().__init__(**kwargs)
        self.racer = racer

    def list_secrets(self, project_id=None):
        records = super().list_secrets(project_id)
        if self.racer is not None:
            self.secrets.append(self.racer)
            self.racer = None
        return records


@pytest.mark.parametrize("action", [SecretAction, SecretsAction])
def test_secret_create_answered_409_adopts_the_secret_that_appeared_without_a_second_post(action):
    raced = secret(S_NEW, "DEPLOY_KEY", P_PROD, True)
    fake = RacedClient(raced).fail("create_secret", "DEPLOY_KEY", api_error(409, "Neo API 409 already_exists: exists"))
    item = {"name": "DEPLOY_KEY", "value": "s3cr3t-CANARY", "default_available": False}
    args = dict(item, project_id=P_PROD) if action is SecretAction else {"project": P_PROD, "secrets": [item]}
    result, warnings = run_neo(action, fake, **args)
    assert fake.writes() == [("create_secret", "DEPLOY_KEY", "s3cr3t-CANARY", False, P_PROD), ("update_secret", S_NEW, False)]
    if action is SecretAction:
        assert (result["changed"], result["created"], result["value_ignored"]) == (True, False, True)
    else:
        assert result["summary"] == {"created": [], "changed": ["DEPLOY_KEY"], "unchanged": [], "failed": [], "values_not_sent": ["DEPLOY_KEY"]}
    assert warnings == [secrets_engine.values_not_sent_warning(["DEPLOY_KEY"])]
    assert "s3cr3t" not in repr(result)


def test_secret_patch_answered_with_the_wrong_flag_is_a_state_error():
    fake = FakeClient().answer("update_secret", S_PROD_DB, secret(S_PROD_DB, "PROD_DB", P_PROD, True))
    with pytest.raises(NeoStateError) as raised:
        run_neo(SecretAction, fake, name="PROD_DB", project_id=P_PROD, default_available=False)
    assert str(raised.value) == "the API answered the PATCH of secret %s with default_available=True, not False" % S_PROD_DB


def test_secret_project_read_error_names_the_project():
    fake = FakeClient().fail("list_secrets", P_RED, forbidden())
    with pytest.raises(NeoApiError) as raised:
        run_neo(SecretAction, fake, name="RED_TOKEN", project_id=P_RED, default_available=False)
    assert str(raised.value) == "project %s: Neo API 403 forbidden: you are not a member of this project" % P_RED
    assert raised.value.status == 403


@pytest.mark.parametrize("args, message", [
    ({"id": "nope"}, "id: 'nope' is not a UUID"),
    ({"id": " " + S_P_GITHUB}, "id: ' %s' is not a UUID" % S_P_GITHUB),
    ({"name": "X", "project_id": "prod"}, "project_id: 'prod' is not a UUID"),
    ({"name": "lower_case"}, "name: 'lower_case' is not a valid secret name (1 to 128 characters: an upper-case letter, "
                             "then upper-case letters, digits or underscores)"),
    ({"name": "X", "value": "v" * 10001}, "value: must be 1 to 10000 characters long (got 10001)"),
])
def test_secret_check_input_rejects_before_any_call(args, message):
    fake = FakeClient()
    with pytest.raises(NeoInputError) as raised:
        run_neo(SecretAction, fake, default_available=True, **args)
    assert str(raised.value) == message
    assert fake.calls == []


def test_secret_id_name_value_never_creates_a_duplicate_name():
    absent_id = "5ec00000-0000-4000-8000-0000000000ff"
    fake = FakeClient()
    with pytest.raises((NeoInputError, NeoNotFound, NeoStateError)):
        run_neo(SecretAction, fake, id=absent_id, name="PROD_DB", project_id=P_PROD, value="s3cr3t-CANARY", default_available=False)
    assert fake.writes() == []


def test_secret_id_name_value_never_changes_another_secret_after_a_conflict():
    absent_id = "5ec00000-0000-4000-8000-0000000000ff"
    fake = FakeClient().fail("create_secret", "PROD_DB", api_error(409, "Neo API 409 already_exists: exists"))
    try:
        run_neo(SecretAction, fake, id=absent_id, name="PROD_DB", project_id=P_PROD, value="s3cr3t-CANARY", default_available=False)
    except (NeoInputError, NeoNotFound, NeoStateError, NeoApiError):
        pass
    assert ("update_secret", S_PROD_DB, False) not in fake.calls


# ---------------------------------------------------------------------------- neo_secret_info


def info_keys(result):
    return [(record["project_id"], record.get("project_name"), record["name"], record["id"]) for record in result["secrets"]]


def test_secret_info_personal_by_default_sorted_by_name():
    fake = FakeClient()
    result, warnings = run_neo(SecretInfoAction, fake)
    assert result == {"changed": False, "unreadable_projects": [],
                      "secrets": [public(by_id(S_P_GITHUB)), public(by_id(S_P_SLACK))]}
    assert fake.calls == [("list_secrets", None)]
    assert warnings == []


def test_secret_info_one_project_id():
    fake = FakeClient()
    result, _warnings = run_neo(SecretInfoAction, fake, project_id=P_PROD.upper())
    assert result["secrets"] == [public(by_id(s), project_name="Production") for s in (S_PROD_GITHUB, S_PROD_AWS, S_PROD_DB)]
    assert fake.calls == [("list_projects",), ("list_secrets", P_PROD)]


def test_secret_info_projects_by_name_and_id_in_list_order_after_personal():
    fake = FakeClient()
    result, _warnings = run_neo(SecretInfoAction, fake, personal=True, projects=["Staging", P_PROD.upper(), "Staging", P_PROD])
    assert info_keys(result) == [
        (None, None, "GITHUB_TOKEN", S_P_GITHUB), (None, None, "SLACK_WEBHOOK", S_P_SLACK),
        (P_STAGING, "Staging", "GITHUB_TOKEN", S_STG_GITHUB), (P_STAGING, "Staging", "STAGING_API", S_STG_API),
        (P_PROD, "Production", "GITHUB_TOKEN", S_PROD_GITHUB), (P_PROD, "Production", "PROD_AWS", S_PROD_AWS),
        (P_PROD, "Production", "PROD_DB", S_PROD_DB),
    ]
    assert fake.calls == [("list_projects",), ("list_secrets", None), ("list_secrets", P_STAGING), ("list_secrets", P_PROD)]


def test_secret_info_every_project_in_api_order_without_personal():
    fake = FakeClient(projects=[PROJECTS[2], PROJECTS[1]])
    result, _warnings = run_neo(SecretInfoAction, fake, projects=["*"])
    assert [key[0] for key in info_keys(result)] == [P_RED, P_STAGING, P_STAGING]
    assert fake.calls == [("list_projects",), ("list_secrets", P_RED), ("list_secrets", P_STAGING)]


def test_secret_info_unknown_project_name_fails_before_reading_secrets():
    fake = FakeClient()
    with pytest.raises(NeoNotFound) as raised:
        run_neo(SecretInfoAction, fake, projects=["Staging", "Nope"])
    assert str(raised.value) == "projects[1]: no project named 'Nope' among the 3 projects the caller can see (give its id, or check the name)"
    assert fake.calls == [("list_projects",)]


@pytest.mark.parametrize("pattern, expected", [
    ("GITHUB_*", [(P_PROD, S_PROD_GITHUB)]),
    ("PROD_?B", [(P_PROD, S_PROD_DB)]),
    ("prod_*", []),
    ("*", [(P_PROD, S_PROD_GITHUB), (P_PROD, S_PROD_AWS), (P_PROD, S_PROD_DB)]),
])
def test_secret_info_name_glob_is_case_sensitive(pattern, expected):
    result, _warnings = run_neo(SecretInfoAction, FakeClient(), project_id=P_PROD, name=pattern)
    assert [(record["project_id"], record["id"]) for record in result["secrets"]] == expected


@pytest.mark.parametrize("flag, expected", [(False, [S_STG_GITHUB]), (True, [S_P_GITHUB, S_P_SLACK, S_STG_API])])
def test_secret_info_default_available_filter(flag, expected):
    result, _warnings = run_neo(SecretInfoAction, FakeClient(), personal=True, projects=["Staging"], default_available=flag)
    assert [record["id"] for record in result["secrets"]] == expected


def test_secret_info_sorted_by_name_then_id():
    ids = ["5ec00000-0000-4000-8000-0000000000b2", "5ec00000-0000-4000-8000-0000000000b1", "5ec00000-0000-4000-8000-0000000000a9"]
    fake = FakeClient(secrets=[secret(ids[0], "SAME", None, True), secret(ids[2], "ZED", None, True), secret(ids[1], "SAME", None, True)])
    result, _warnings = run_neo(SecretInfoAction, fake)
    assert [(record["name"], record["id"]) for record in result["secrets"]] == [("SAME", ids[1]), ("SAME", ids[0]), ("ZED", ids[2])]


def test_secret_info_returns_public_scalar_fields_only():
    hostile = secret(S_P_GITHUB, "GITHUB_TOKEN", "ffffffff-0000-4000-8000-00000000dead", True, value="CANARY-plaintext",
                     masked_value={"nested": "CANARY-nested"}, internal={"x": 1}, created_by_agent=["CANARY-list"])
    result, _warnings = run_neo(SecretInfoAction, FakeClient().answer("list_secrets", None, [hostile]))
    # project_id is the scope the record was listed in, not what the record claims.
    assert result["secrets"] == [{"id": S_P_GITHUB, "name": "GITHUB_TOKEN", "project_id": None, "default_available": True,
                                  "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-02T00:00:00Z"}]
    assert "CANARY" not in repr(result)


def test_secret_info_every_project_skips_and_reports_an_unreadable_one():
    fake = FakeClient().fail("list_secrets", P_STAGING, forbidden())
    result, warnings = run_neo(SecretInfoAction, fake, personal=True, projects=["*"])
    assert result["unreadable_projects"] == [{"id": P_STAGING, "name": "Staging",
                                              "reason": "project %s (Staging): Neo API 403 forbidden: you are not a member of this project" % P_STAGING}]
    assert {record["project_id"] for record in result["secrets"]} == {None, P_PROD, P_RED}
    assert warnings == ["skipped 1 of 3 projects whose secrets the caller may not read: project %s (Staging)" % P_STAGING]
    assert fake.calls == [("list_projects",), ("list_secrets", None), ("list_secrets", P_PROD), ("list_secrets", P_STAGING),
                          ("list_secrets", P_RED)]


def test_secret_info_every_project_also_skips_a_404():
    fake = FakeClient().fail("list_secrets", P_RED, api_error(404, "Neo API 404 not_found: no such project"))
    result, warnings = run_neo(SecretInfoAction, fake, projects=["*"])
    assert [item["id"] for item in result["unreadable_projects"]] == [P_RED]
    assert warnings == ["skipped 1 of 3 projects whose secrets the caller may not read: project %s (Red team)" % P_RED]


@pytest.mark.parametrize("error", [
    api_error(500, "Neo API 500 internal: boom"),
    api_error(403, "Neo API rejected the credentials earlier; request not sent", reason=REASON_NOT_ATTEMPTED),
], ids=["500", "403-not-sent"])
def test_secret_info_every_project_does_not_skip_other_failures(error):
    fake = FakeClient().fail("list_secrets", P_RED, error)
    with pytest.raises(NeoApiError) as raised:
        run_neo(SecretInfoAction, fake, projects=["*"])
    assert str(raised.value).startswith("project %s (Red team): " % P_RED)


@pytest.mark.parametrize("args", [{"projects": ["Staging"]}, {"projects": [P_STAGING]}, {"project_id": P_STAGING}],
                         ids=["by-name", "by-id", "project_id"])
def test_secret_info_explicit_unreadable_project_fails_naming_it(args):
    fake = FakeClient().fail("list_secrets", P_STAGING, forbidden())
    with pytest.raises(NeoApiError) as raised:
        run_neo(SecretInfoAction, fake, **args)
    assert str(raised.value) == "project %s (Staging): Neo API 403 forbidden: you are not a member of this project" % P_STAGING
    assert raised.value.status == 403


def test_secret_info_read_error_naming_the_bare_project_gets_its_name():
    error = api_error(None, "Neo API request failed: GET the secrets of project %s: timed out" % P_STAGING)
    fake = FakeClient().fail("list_secrets", P_STAGING, error)
    with pytest.raises(NeoApiError) as raised:
        run_neo(SecretInfoAction, fake, projects=["Staging"])
    assert str(raised.value) == "Neo API request failed: GET the secrets of project %s (Staging): timed out" % P_STAGING


def test_secret_info_unlisted_project_id_is_read_directly():
    fake = FakeClient(secrets=[secret(S_RED, "HIDDEN", P_UNLISTED, False)])
    result, _warnings = run_neo(SecretInfoAction, fake, projects=[P_UNLISTED])
    assert result["secrets"] == [public(secret(S_RED, "HIDDEN", P_UNLISTED, False), project_name=None)]
    assert fake.calls == [("list_projects",), ("list_secrets", P_UNLISTED)]


@pytest.mark.parametrize("args, message", [
    ({"personal": False}, "nothing to read: personal is false and neither project_id nor projects names a project"),
    ({"projects": []}, "nothing to read: personal is false and neither project_id nor projects names a project"),
    ({"projects": ["*", "Staging"]}, "projects: '*' (every project) must be the only element"),
    ({"projects": ["Staging", ""]}, "projects: every element must be a non-empty project id or name"),
    ({"project_id": "Staging"}, "project_id: 'Staging' is not a UUID"),
])
def test_secret_info_check_input(args, message):
    fake = FakeClient()
    with pytest.raises(NeoInputError) as raised:
        run_neo(SecretInfoAction, fake, **args)
    assert str(raised.value) == message
    assert fake.calls == []


# ---------------------------------------------------------------------------- neo_project_info


def public_project(project):
    return {key: value for key, value in project.items() if key != "internal_billing_ref"}


def test_project_info_lists_every_project_with_public_fields_only():
    fake = FakeClient()
    result, _warnings = run_neo(ProjectInfoAction, fake)
    assert result == {"changed": False, "projects": [public_project(p) for p in PROJECTS]}
    assert fake.calls == [("list_projects",)]


def test_project_info_by_upper_case_id():
    result, _warnings = run_neo(ProjectInfoAction, FakeClient(), id=P_PROD.upper())
    assert result["projects"] == [public_project(PROJECTS[0])]


def test_project_info_matches_upper_case_api_ids():
    fake = FakeClient(projects=[{"id": P_PROD.upper(), "name": "Production"}])
    assert run_neo(ProjectInfoAction, fake, id=P_PROD)[0]["projects"] == [{"id": P_PROD.upper(), "name": "Production"}]
    assert run_neo(ProjectInfoAction, fake, name="Production")[0]["projects"] == [{"id": P_PROD.upper(), "name": "Production"}]


def test_project_info_by_name():
    result, _warnings = run_neo(ProjectInfoAction, FakeClient(), name="Staging")
    assert result["projects"] == [PROJECTS[1]]


@pytest.mark.parametrize("args", [{"name": "Nope"}, {"name": "staging"}, {"id": P_UNLISTED}])
def test_project_info_no_match_is_an_empty_list(args):
    result, _warnings = run_neo(ProjectInfoAction, FakeClient(), **args)
    assert result == {"changed": False, "projects": []}


def test_project_info_ambiguous_name_fails_listing_the_ids():
    fake = FakeClient(projects=PROJECTS + [{"id": P_UNLISTED, "name": "Staging"}])
    with pytest.raises(NeoAmbiguousError) as raised:
        run_neo(ProjectInfoAction, fake, name="Staging")
    assert str(raised.value) == "name: project name 'Staging' matches 2 projects (%s, %s); use id instead" % (P_STAGING, P_UNLISTED)


def test_project_info_bad_id_is_rejected_before_any_call():
    fake = FakeClient()
    with pytest.raises(NeoInputError, match=r"^id: 'Production' is not a UUID$"):
        run_neo(ProjectInfoAction, fake, id="Production")
    assert fake.calls == []


def test_project_info_by_a_name_that_looks_like_a_uuid():
    project = {"id": P_PROD, "name": P_UNLISTED}
    result, _warnings = run_neo(ProjectInfoAction, FakeClient(projects=[project]), name=P_UNLISTED)
    assert result["projects"] == [project]


# ---------------------------------------------------------------------------- neo_secret_policy

# First match decides: personal GITHUB_TOKEN and Staging's GITHUB_TOKEN are decided by rule 1 (true),
# not rule 2 (false); Production's GITHUB_TOKEN is not covered by rule 1, so rule 2 decides it.
RULES = [
    {"match": ["PROD_*"], "projects": ["Production"], "default_available": False},
    {"match": ["GITHUB_TOKEN"], "personal": True, "projects": ["Staging"], "default_available": True},
    {"match": ["GITHUB_TOKEN", "SLACK_*"], "personal": True, "default_available": False},
]
READS = [("list_projects",), ("list_secrets", None), ("list_secrets", P_PROD), ("list_secrets", P_STAGING), ("list_secrets", P_RED)]
DRIFT = {S_P_SLACK: False, S_PROD_GITHUB: False, S_PROD_DB: False, S_STG_GITHUB: True}
WRITES = [("update_secret", secret_id, flag) for secret_id, flag in DRIFT.items()]


NAMES = {None: None, P_PROD: "Production", P_STAGING: "Staging", P_RED: "Red team"}
NO_EXCEPTION = {"exception_reason": None, "exception_expires": None, "exception_owner": None}


def entry(secret_id, status, rule, error=None):
    record = by_id(secret_id)
    return dict({"project_id": record["project_id"], "project_name": NAMES[record["project_id"]], "secret_id": secret_id,
                 "secret_name": record["name"], "before": record["default_available"], "after": DRIFT.get(secret_id, record["default_available"]),
                 "rule": rule, "rule_name": "rule %d" % (rule + 1), "status": status, "error": error, "created_by_agent": False}, **NO_EXCEPTION)


def scope_entry(project_id, project_name, status, error):
    return dict({"project_id": project_id, "project_name": project_name, "secret_id": None, "secret_name": None, "before": None, "after": None,
                 "rule": None, "rule_name": None, "status": status, "error": error, "created_by_agent": None}, **NO_EXCEPTION)


# What each rule of RULES decides when every scope is read: S_PROD_DB, S_PROD_AWS; S_P_GITHUB, S_STG_GITHUB; S_P_SLACK, S_PROD_GITHUB.
RULES_DECIDED = [{"index": 0, "name": "rule 1", "decided": 2}, {"index": 1, "name": "rule 2", "decided": 2},
                 {"index": 2, "name": "rule 3", "decided": 2}]
NO_EXCEPTIONS = {"in_force": 0, "expired": 0, "unmatched": 0}


def summary(rules=None, exceptions=None, **counts):
    """The summary of RULES over the fake's secrets: counts, what each rule decided, exception statuses."""
    return dict({"projects": 3, "checked": 6, "compliant": 2, "drifted": 4, "changed": 0, "failed": 0, "not_attempted": 0},
                rules=RULES_DECIDED if rules is None else rules, exceptions=NO_EXCEPTIONS if exceptions is None else exceptions, **counts)


def decided(*counts):
    """RULES_DECIDED with other decided counts."""
    return [dict(item, decided=count) for item, count in zip(RULES_DECIDED, counts)]


def counts(result_summary):
    """The counts of a summary, without its rules and exceptions."""
    return {key: value for key, value in result_summary.items() if key not in ("rules", "exceptions")}


def policy(fake, check_mode=False, action=None, diff=False, **args):
    args.setdefault("rules", RULES)
    args.setdefault("concurrency", 1)  # one worker: calls in a deterministic order
    return run_neo(PolicyAction, fake, check_mode=check_mode, diff=diff, action=action, **args)


def test_policy_check_mode_reports_drift_first_match_and_writes_nothing():
    fake = FakeClient()
    result, warnings = policy(fake, check_mode=True)
    assert result["entries"] == [entry(S_P_SLACK, "drifted", 2), entry(S_PROD_GITHUB, "drifted", 2), entry(S_PROD_DB, "drifted", 0),
                                 entry(S_STG_GITHUB, "drifted", 1)]
    assert result["summary"] == summary()
    assert result["changed"] is True
    assert result["policy_failed"] is False
    assert "failed" not in result and "msg" not in result
    assert fake.calls == READS
    assert result["table"].endswith("\ndrift report (check mode): projects=3 checked=6 compliant=2 drifted=4 changed=0 failed=0 not_attempted=0")
    assert re.search(r"\nStaging \(%s\) +GITHUB_TOKEN +false -> true +drifted\n" % P_STAGING, result["table"])
    assert warnings == []


def test_policy_apply_changes_every_drifted_secret():
    fake = FakeClient()
    result, _warnings = policy(fake)
    assert result["entries"] == [entry(S_P_SLACK, "changed", 2), entry(S_PROD_GITHUB, "changed", 2), entry(S_PROD_DB, "changed", 0),
                                 entry(S_STG_GITHUB, "changed", 1)]
    assert result["summary"] == summary(changed=4)
    assert (result["changed"], result["policy_failed"]) == (True, False)
    assert fake.calls == READS + WRITES
    assert {secret_id: fake.flags()[secret_id] for secret_id in DRIFT} == DRIFT
    assert result["table"].endswith("\npolicy applied: projects=3 checked=6 compliant=2 drifted=4 changed=4 failed=0 not_attempted=0")


def test_policy_second_apply_is_idempotent():
    fake = FakeClient()
    policy(fake)
    fake.calls.clear()
    result, _warnings = policy(fake)
    assert result["entries"] == []
    assert result["summary"] == summary(compliant=6, drifted=0)
    assert result["changed"] is False
    assert fake.writes() == []
    assert result["table"].startswith("all 6 covered secrets comply\npolicy applied:")


def test_policy_default_concurrency_reads_and_writes_the_same_calls():
    fake = FakeClient()
    result, _warnings = policy(fake, concurrency=8)
    assert sorted(fake.calls, key=repr) == sorted(READS + WRITES, key=repr)
    assert result["summary"] == summary(changed=4)


def test_policy_personal_scope_only():
    fake = FakeClient()
    rules = [{"match": ["*"], "personal": True, "projects": [], "default_available": False}]
    result, _warnings = policy(fake, rules=rules)
    assert fake.calls == [("list_projects",), ("list_secrets", None), ("update_secret", S_P_GITHUB, False), ("update_secret", S_P_SLACK, False)]
    assert [(e["secret_id"], e["status"]) for e in result["entries"]] == [(S_P_GITHUB, "changed"), (S_P_SLACK, "changed")]
    assert result["summary"] == {"projects": 0, "checked": 2, "compliant": 0, "drifted": 2, "changed": 2, "failed": 0, "not_attempted": 0,
                                 "rules": [{"index": 0, "name": "rule 1", "decided": 2}], "exceptions": NO_EXCEPTIONS}


def test_policy_list_compliant_adds_compliant_rows():
    fake = FakeClient()
    result, _warnings = policy(fake, check_mode=True, list_compliant=True)
    # drifted first, then compliant; each group in plan order (personal, then projects, then by name)
    assert [(e["secret_id"], e["status"]) for e in result["entries"]] == [
        (S_P_SLACK, "drifted"), (S_PROD_GITHUB, "drifted"), (S_PROD_DB, "drifted"), (S_STG_GITHUB, "drifted"),
        (S_P_GITHUB, "compliant"), (S_PROD_AWS, "compliant")]
    assert result["summary"] == summary()
    assert "PROD_AWS" in result["table"] and "compliant" in result["table"]
    assert "PROD_AWS" not in policy(FakeClient(), check_mode=True)[0]["table"]


def test_policy_read_raising_an_unexpected_exception_fails_that_scope_only():
    fake = FakeClient().fail("list_secrets", P_STAGING, RecursionError("maximum recursion depth exceeded"))
    result, _warnings = policy(fake)
    failed_scope = scope_entry(P_STAGING, "Staging", "failed", "unexpected RecursionError: maximum recursion depth exceeded")
    # what needs attention first: the failed scope leads the entries
    assert result["entries"] == [failed_scope, entry(S_P_SLACK, "changed", 2), entry(S_PROD_GITHUB, "changed", 2), entry(S_PROD_DB, "changed", 0)]
    assert result["summary"] == summary(checked=5, drifted=3, changed=3, failed=1, rules=decided(2, 1, 2))
    assert fake.writes() == WRITES[:3]
    assert (result["failed"], result["policy_failed"], result["changed"]) == (True, True, True)
    assert result["msg"] == "1 scope could not be read; see entries"
    assert re.search(r"\nStaging \(%s\) +\(all secrets\) +- +failed +unexpected RecursionError: maximum recursion depth exceeded\n"
                     % P_STAGING, result["table"])
    assert result["table"].endswith("failed=1 not_attempted=0\n1 scope could not be read; see entries")


def test_policy_write_raising_an_unexpected_exception_fails_that_secret_only():
    fake = FakeClient().fail("update_secret", S_PROD_DB, RecursionError("boom"))
    result, _warnings = policy(fake)
    assert result["entries"] == [entry(S_PROD_DB, "failed", 0, "unexpected RecursionError: boom; the update may have been applied"),
                                 entry(S_P_SLACK, "changed", 2), entry(S_PROD_GITHUB, "changed", 2), entry(S_STG_GITHUB, "changed", 1)]
    assert result["summary"] == summary(changed=3, failed=1)
    assert fake.calls == READS + WRITES
    assert (result["failed"], result["policy_failed"], result["msg"]) == (True, True, "1 secret could not be updated; see entries")


def test_policy_write_not_sent_is_not_attempted():
    reason = "Neo API rejected the credentials (401) earlier; request not sent"
    fake = FakeClient().fail("update_secret", S_PROD_DB, NeoApiError(reason, reason=REASON_NOT_ATTEMPTED))
    result, _warnings = policy(fake)
    assert entry(S_PROD_DB, "not_attempted", 0, reason) in result["entries"]
    assert result["summary"] == summary(changed=3, not_attempted=1)
    assert (result["failed"], result["policy_failed"]) == (True, True)
    assert result["msg"] == "1 read or update not attempted: %s; see entries" % reason


def test_policy_write_answered_with_the_wrong_flag_fails_that_secret():
    fake = FakeClient().answer("update_secret", S_PROD_DB, secret(S_PROD_DB, "PROD_DB", P_PROD, True))
    result, _warnings = policy(fake)
    assert entry(S_PROD_DB, "failed", 0, "the API response shows default_available=true after the update, expected false") in result["entries"]
    assert result["summary"] == summary(changed=3, failed=1)


def test_policy_unlisted_project_id_is_read_directly_and_fails_alone():
    fake = FakeClient().fail("list_secrets", P_UNLISTED, forbidden())
    rules = [{"match": ["*"], "projects": [P_UNLISTED.upper(), "Production"], "default_available": False}]
    result, _warnings = policy(fake, rules=rules)
    assert fake.calls == [("list_projects",), ("list_secrets", P_PROD), ("list_secrets", P_UNLISTED),
                          ("update_secret", S_PROD_GITHUB, False), ("update_secret", S_PROD_DB, False)]
    assert result["entries"][0] == scope_entry(P_UNLISTED, None, "failed", "Neo API 403 forbidden: you are not a member of this project")
    assert [e["status"] for e in result["entries"]] == ["failed", "changed", "changed"]
    assert result["summary"] == {"projects": 2, "checked": 3, "compliant": 1, "drifted": 2, "changed": 2, "failed": 1, "not_attempted": 0,
                                 "rules": [{"index": 0, "name": "rule 1", "decided": 3}], "exceptions": NO_EXCEPTIONS}
    assert result["msg"] == "1 scope could not be read; see entries"


def test_policy_unknown_project_name_fails_before_any_secret_is_read():
    fake = FakeClient()
    rules = [RULES[0], {"match": ["X"], "projects": [P_PROD, "Nope"], "default_available": False}]
    with pytest.raises(NeoNotFound) as raised:
        policy(fake, rules=rules)
    assert str(raised.value) == "rules[1].projects[1]: no project named 'Nope' among the 3 projects the caller can see (give its id, or check the name)"
    assert fake.calls == [("list_projects",)]


def test_policy_ambiguous_project_name_fails_before_any_secret_is_read():
    fake = FakeClient(projects=PROJECTS + [{"id": P_UNLISTED, "name": "Production"}])
    with pytest.raises(NeoAmbiguousError, match=r"^rules\[0\]\.projects\[0\]: project name 'Production' matches 2 projects"):
        policy(fake)
    assert fake.calls == [("list_projects",)]


@pytest.mark.parametrize("rules, drifted, message", [
    (RULES, 4, "4 secrets drifted from the policy"),
    ([{"match": ["PROD_DB"], "projects": ["Production"], "default_available": False}], 1, "1 secret drifted from the policy"),
])
def test_policy_fail_on_drift_in_check_mode(rules, drifted, message):
    fake = FakeClient()
    result, _warnings = policy(fake, check_mode=True, rules=rules, fail_on_drift=True)
    assert result["summary"]["drifted"] == drifted
    assert (result["failed"], result["policy_failed"], result["msg"]) == (True, True, message)
    assert result["table"].endswith("\n" + message)
    assert fake.writes() == []


def test_policy_fail_on_drift_is_ignored_when_applying_and_without_drift():
    applied, _warnings = policy(FakeClient(), fail_on_drift=True)
    assert (applied["policy_failed"], "failed" in applied) == (False, False)
    compliant = [{"match": ["PROD_AWS"], "projects": "*", "default_available": False}]
    checked, _warnings = policy(FakeClient(), check_mode=True, rules=compliant, fail_on_drift=True)
    assert (checked["policy_failed"], checked["changed"], "failed" in checked) == (False, False, False)


def test_policy_defer_failure_reports_without_failing():
    fake = FakeClient().fail("list_secrets", P_STAGING, forbidden())
    result, _warnings = policy(fake, defer_failure=True)
    assert (result["failed"], result["policy_failed"], result["msg"]) == (False, True, "1 scope could not be read; see entries")
    check, _warnings = policy(FakeClient(), check_mode=True, fail_on_drift=True, defer_failure=True)
    assert (check["failed"], check["policy_failed"], check["msg"]) == (False, True, "4 secrets drifted from the policy")


def test_policy_publish_summary_as_sets_stats():
    result, _warnings = policy(FakeClient(), check_mode=True, publish_summary_as="neo_summary")
    assert result["ansible_stats"] == {"data": {"neo_summary": summary()}, "per_host": False, "aggregate": True}
    assert "ansible_stats" not in policy(FakeClient(), check_mode=True)[0]


@pytest.mark.parametrize("check_mode, mode", [(True, "check"), (False, "apply")])
def test_policy_report_file_is_private_and_complete(tmp_path, check_mode, mode):
    path = tmp_path / "report.json"
    result, _warnings = policy(FakeClient(), check_mode=check_mode, report_path=str(path))
    assert result["report_path"] == str(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    document = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(document) == ["entries", "exceptions", "exceptions_warn_days", "failure", "generated_at", "mode", "rules", "summary"]
    assert document["exceptions_warn_days"] == 14
    assert document["failure"] is None and document["exceptions"] == result["exceptions"] == []
    assert document["rules"] == [dict(item, default_available=rule["default_available"], status="decided", shadowed_by=[])
                                 for item, rule in zip(RULES_DECIDED, RULES)]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", document["generated_at"])
    assert document["mode"] == mode
    assert document["summary"] == result["summary"]
    # every covered secret, compliant ones included, in plan order (the result lists only what is not compliant)
    assert [e["secret_id"] for e in document["entries"]] == [S_P_GITHUB, S_P_SLACK, S_PROD_GITHUB, S_PROD_AWS, S_PROD_DB, S_STG_GITHUB]
    assert [e for e in document["entries"] if e["status"] != "compliant"] == result["entries"]
    assert os.listdir(tmp_path) == ["report.json"]  # no temporary file left


def test_policy_report_stale_file_is_removed_before_the_first_request(tmp_path):
    path = tmp_path / "report.json"
    path.write_text('{"mode": "apply", "summary": "from an earlier run"}')
    fake = FakeClient().fail("list_projects", None, api_error(503, "Neo API 503 unavailable: down"))
    with pytest.raises(NeoApiError):
        policy(fake, report_path=str(path))
    assert not path.exists()
    assert fake.calls == [("list_projects",)]


def test_policy_report_bad_location_is_rejected_by_check_input(tmp_path):
    fake = FakeClient()
    with pytest.raises(NeoInputError, match="^report_path: the directory %s does not exist$" % re.escape(str(tmp_path / "missing"))):
        policy(fake, report_path=str(tmp_path / "missing" / "report.json"))
    with pytest.raises(NeoInputError, match="^report_path: %s is a directory; give a file path$" % re.escape(str(tmp_path))):
        policy(fake, report_path=str(tmp_path))
    assert fake.calls == []


def test_policy_report_masks_no_log_values(tmp_path):
    canary = "neo_sk_CANARYpolicy000000000000000000"
    path = tmp_path / "report.json"
    fake = FakeClient().fail("update_secret", S_PROD_DB, RecursionError("echoed %s back" % canary))
    action = make_action(PolicyAction, no_log_values={canary})
    result, _warnings = policy(fake, action=action, report_path=str(path))
    text = path.read_text(encoding="utf-8")
    assert "CANARY" not in text
    assert "unexpected RecursionError: echoed ******** back; the update may have been applied" in text
    assert result["policy_failed"] is True


def test_policy_report_masks_a_no_log_value_that_json_escapes(tmp_path):
    canary = 'neo_sk_CANARY"quoted\\slash'  # printable ASCII: a valid api_key for the client
    path = tmp_path / "report.json"
    fake = FakeClient().fail("update_secret", S_PROD_DB, RecursionError("echoed %s back" % canary))
    policy(fake, action=make_action(PolicyAction, no_log_values={canary}), report_path=str(path))
    assert "CANARY" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("args, message", [
    ({"rules": [{"match": [], "default_available": True}]}, "rules[0].match: must be a non-empty list of name patterns"),
    ({"rules": [{"match": ["A"], "projects": {"name": "Production"}, "default_available": True}]},
     "rules[0].projects: must be '*' or a list of project ids or names, got an object"),
    ({"rules": [{"match": ["A"], "projects": [], "default_available": True}]},
     "rules[0].projects: an empty list with personal false covers no secret; list projects, use '*' or set personal to true"),
    ({"concurrency": 0}, "concurrency: must be between 1 and 32 (got 0)"),
    ({"concurrency": 33}, "concurrency: must be between 1 and 32 (got 33)"),
])
def test_policy_check_input(args, message):
    fake = FakeClient()
    with pytest.raises(NeoInputError) as raised:
        policy(fake, **args)
    assert str(raised.value) == message
    assert fake.calls == []


# ---------------------------------------------------------------------------- neo_secret_policy: governance

TODAY = datetime.date(2025, 6, 15)


@pytest.fixture
def today(monkeypatch):
    """The controller's UTC date, fixed: exceptions are in force while TODAY <= expires."""
    monkeypatch.setattr(_neo_policy, "utc_today", lambda: TODAY)
    return TODAY


def test_policy_result_lists_at_most_entries_limit_entries_what_needs_attention_first():
    fake = FakeClient().fail("update_secret", S_PROD_DB, api_error(500, "Neo API 500 internal: boom"))
    result, _warnings = policy(fake, list_compliant=True, entries_limit=2)
    # failed first, then changed (plan order), compliant last; two shown
    assert [(e["secret_id"], e["status"]) for e in result["entries"]] == [(S_PROD_DB, "failed"), (S_P_SLACK, "changed")]
    assert result["entries_truncated"] == 4
    # the summary counts everything
    assert counts(result["summary"]) == counts(summary(changed=3, failed=1))
    table = result["table"].splitlines()
    assert len(table) == 2 + 2 + 3  # header, rule, 2 rows, "... and N more", counts, failure
    assert "PROD_DB" in table[2] and "SLACK_WEBHOOK" in table[3]
    assert table[4] == "... and 4 more (raise entries_limit, or write a report)"
    assert table[5].startswith("policy applied: ") and table[6] == "1 secret could not be updated; see entries"


def test_policy_entries_order_failed_not_attempted_drifted():
    rejected = NeoApiError("Neo API 401: the API rejected the credentials; request not sent", status=401, reason=REASON_NOT_ATTEMPTED)
    fake = FakeClient().fail("list_secrets", P_RED, rejected).fail("list_secrets", P_STAGING, forbidden())
    result, _warnings = policy(fake, check_mode=True, entries_limit=3)
    assert [(e["project_id"], e["secret_id"], e["status"]) for e in result["entries"]] == [
        (P_STAGING, None, "failed"), (P_RED, None, "not_attempted"), (None, S_P_SLACK, "drifted")]
    assert result["entries_truncated"] == 2
    assert counts(result["summary"]) == {"projects": 3, "checked": 5, "compliant": 2, "drifted": 3, "changed": 0, "failed": 1,
                                         "not_attempted": 1}


def test_policy_entries_not_truncated_by_default():
    result, _warnings = policy(FakeClient(), check_mode=True)
    assert result["entries_truncated"] == 0 and len(result["entries"]) == 4
    assert "... and" not in result["table"]


def test_policy_truncated_table_points_to_the_report(tmp_path):
    result, _warnings = policy(FakeClient(), check_mode=True, entries_limit=1, report_path=str(tmp_path / "report.json"))
    assert [e["secret_id"] for e in result["entries"]] == [S_P_SLACK] and result["entries_truncated"] == 3
    lines = result["table"].splitlines()
    assert lines[3] == "... and 3 more in the report"
    assert lines[4].startswith("drift report (check mode): ")
    assert len(json.loads((tmp_path / "report.json").read_text())["entries"]) == 6  # every covered secret


def test_policy_entries_limit_zero_table_does_not_claim_compliance():
    result, _warnings = policy(FakeClient(), check_mode=True, entries_limit=0)
    assert result["entries"] == [] and result["entries_truncated"] == 4
    assert "comply" not in result["table"]
    assert "... and 4 more" in result["table"]


def test_policy_entries_limit_must_not_be_negative():
    fake = FakeClient()
    with pytest.raises(NeoInputError, match=r"^entries_limit: must be 0 or more \(got -1\)$"):
        policy(fake, entries_limit=-1)
    assert fake.calls == []


DIFF_LINES = [
    "personal / SLACK_WEBHOOK: default_available true -> false (rule 3)",
    "Production / GITHUB_TOKEN: default_available true -> false (rule 3)",
    "Production / PROD_DB: default_available true -> false (rule 1)",
    "Staging / GITHUB_TOKEN: default_available false -> true (rule 2)",
]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_policy_diff_has_one_line_per_secret_changed(check_mode):
    fake = FakeClient()
    result, _warnings = policy(fake, check_mode=check_mode, diff=True)
    assert result["diff"] == {"prepared": "\n".join(DIFF_LINES) + "\n"}
    assert len(fake.writes()) == (0 if check_mode else 4)


def test_policy_diff_only_under_diff_mode():
    assert "diff" not in policy(FakeClient(), check_mode=True)[0]
    assert "diff" not in policy(FakeClient())[0]


@pytest.mark.usefixtures("today")
def test_policy_diff_leaves_out_failed_writes_and_names_exceptions_and_unlisted_projects():
    fake = FakeClient(secrets=SECRETS + [secret(S_NEW, "HIDDEN", P_UNLISTED, True)]).fail("update_secret", S_PROD_DB, forbidden())
    rules = RULES + [{"match": ["HIDDEN"], "projects": [P_UNLISTED], "default_available": False, "name": "hidden off"}]
    exceptions = [{"secret_id": S_STG_GITHUB, "default_available": False, "reason": "legacy CI", "expires": "2025-06-30"}]
    result, _warnings = policy(fake, diff=True, rules=rules, exceptions=exceptions)
    assert result["diff"]["prepared"].splitlines() == [
        "personal / SLACK_WEBHOOK: default_available true -> false (rule 3)",
        "Production / GITHUB_TOKEN: default_available true -> false (rule 3)",
        "%s / HIDDEN: default_available true -> false (hidden off)" % P_UNLISTED,
    ]
    # the exception keeps Staging's GITHUB_TOKEN false: nothing to change there
    assert ("update_secret", S_STG_GITHUB, True) not in fake.calls


@pytest.mark.usefixtures("today")
def test_policy_diff_names_the_exception_that_decided():
    exceptions = [{"name": "RED_TOKEN", "project": "Red team", "default_available": False, "reason": "red team only", "expires": "2025-06-15"}]
    result, _warnings = policy(FakeClient(), check_mode=True, diff=True, exceptions=exceptions)
    assert result["diff"]["prepared"].splitlines() == DIFF_LINES + ["Red team / RED_TOKEN: default_available true -> false (exception)"]


def test_policy_diff_with_nothing_to_change_is_empty():
    fake = FakeClient()
    policy(fake)
    result, _warnings = policy(fake, diff=True)
    assert result["diff"] == {"prepared": ""}


def test_policy_diff_is_capped(monkeypatch):
    monkeypatch.setattr(neo_secret_policy, "DIFF_MAX_LINES", 2)
    result, _warnings = policy(FakeClient(), check_mode=True, diff=True)
    assert result["diff"]["prepared"] == "\n".join(DIFF_LINES[:2] + ["... and 2 more"]) + "\n"
    monkeypatch.setattr(neo_secret_policy, "DIFF_MAX_LINES", 4)
    assert policy(FakeClient(), check_mode=True, diff=True)[0]["diff"]["prepared"] == "\n".join(DIFF_LINES) + "\n"


def test_policy_diff_default_cap_is_300_lines():
    assert neo_secret_policy.DIFF_MAX_LINES == 300
    many = [secret("5ec00000-0000-4000-8000-%012d" % (1000 + n), "KEY_%03d" % n, P_PROD, True) for n in range(305)]
    result, _warnings = policy(FakeClient(secrets=many), check_mode=True, diff=True, rules=[{"match": ["KEY_*"], "default_available": False}])
    lines = result["diff"]["prepared"].splitlines()
    assert len(lines) == 301 and lines[-1] == "... and 5 more"
    assert lines[0] == "Production / KEY_000: default_available true -> false (rule 1)"
    # the result holds at most entries_limit entries; the summary counts all
    assert len(result["entries"]) == 100 and result["entries_truncated"] == 205 and result["summary"]["drifted"] == 305


@pytest.mark.usefixtures("today")
def test_policy_warns_about_idle_rules_expired_and_unmatched_exceptions():
    rules = RULES + [{"match": ["NOTHING_*"], "default_available": True, "name": "never"}]
    exceptions = [
        {"secret_id": S_PROD_DB, "default_available": True, "reason": "db migration", "expires": "2025-06-30", "owner": "alice"},
        {"name": "GITHUB_TOKEN", "project": "Staging", "default_available": False, "reason": "old", "expires": "2025-06-14"},
        {"secret_id": S_NEW, "default_available": True, "reason": "gone", "expires": "2025-07-01"},
    ]
    result, warnings = policy(FakeClient(), check_mode=True, rules=rules, exceptions=exceptions, list_compliant=True)
    assert warnings == [
        "exception for GITHUB_TOKEN (exceptions[1]) expired on 2025-06-14 and is ignored: the rules decide again",
        "exception for %s (exceptions[2]) matches no secret in the scopes read" % S_NEW,
    ]
    assert result["exceptions"] == [
        {"index": 0, "secret_id": S_PROD_DB, "name": None, "project": None, "personal": False, "default_available": True,
         "reason": "db migration", "expires": "2025-06-30", "owner": "alice", "status": "in_force", "days_left": 15, "matched": 1,
         "expiring_soon": False},
        {"index": 1, "secret_id": None, "name": "GITHUB_TOKEN", "project": "Staging", "personal": False, "default_available": False,
         "reason": "old", "expires": "2025-06-14", "owner": None, "status": "expired", "days_left": -1, "matched": 0,
         "expiring_soon": False},
        {"index": 2, "secret_id": S_NEW, "name": None, "project": None, "personal": False, "default_available": True,
         "reason": "gone", "expires": "2025-07-01", "owner": None, "status": "unmatched", "days_left": 16, "matched": 0,
         "expiring_soon": False},
    ]
    assert result["summary"] == summary(compliant=3, drifted=3, rules=decided(1, 2, 2) + [{"index": 3, "name": "never", "decided": 0}],
                                        exceptions={"in_force": 1, "expired": 1, "unmatched": 1})
    by_secret = {e["secret_id"]: e for e in result["entries"]}
    assert {key: by_secret[S_PROD_DB][key] for key in ("status", "rule", "rule_name", "exception_reason", "exception_expires", "exception_owner")} == {
        "status": "compliant", "rule": None, "rule_name": "exception", "exception_reason": "db migration", "exception_expires": "2025-06-30",
        "exception_owner": "alice"}
    # expired: the rules decide again
    assert (by_secret[S_STG_GITHUB]["rule_name"], by_secret[S_STG_GITHUB]["status"]) == ("rule 2", "drifted")


def test_policy_no_warning_without_idle_rules_or_stale_exceptions():
    assert policy(FakeClient(), check_mode=True)[1] == []


@pytest.mark.usefixtures("today")
def test_policy_exception_decides_a_secret_no_rule_covers():
    exceptions = [{"name": "STAGING_API", "project": P_STAGING.upper(), "default_available": False, "reason": "r", "expires": "2025-06-15"}]
    fake = FakeClient()
    result, _warnings = policy(fake, rules=[{"match": ["PROD_*"], "projects": ["Production"], "default_available": False}], exceptions=exceptions)
    assert fake.calls == [("list_projects",), ("list_secrets", P_PROD), ("list_secrets", P_STAGING),
                          ("update_secret", S_PROD_DB, False), ("update_secret", S_STG_API, False)]
    assert {e["secret_id"]: e["rule_name"] for e in result["entries"]} == {S_PROD_DB: "rule 1", S_STG_API: "exception"}
    assert result["summary"]["exceptions"] == {"in_force": 1, "expired": 0, "unmatched": 0}


@pytest.mark.parametrize("args, message", [
    ({"rules": [{"match": ["prod_*"], "default_available": True}]},
     "rules[0].match[0]: 'prod_*' can never match a secret name: names are upper-case (did you mean 'PROD_*'?)"),
    ({"rules": [{"match": ["*"], "exclude": ["PROD.*"], "default_available": True}]},
     "rules[0].exclude[0]: 'PROD.*' can never match a secret name: '.' never appear in one (upper-case letters, digits and _ only)"),
    ({"exceptions": [{"secret_id": "nope", "default_available": True, "reason": "r", "expires": "2025-06-30"}]},
     "exceptions[0].secret_id: 'nope' is not a UUID"),
    ({"exceptions": [{"name": "PROD_DB", "default_available": True, "reason": "r", "expires": "2025-06-30"}]},
     "exceptions[0]: with name, give exactly one of project (an id or name) and personal: true"),
    ({"exceptions": [{"secret_id": S_PROD_DB, "default_available": True, "reason": "r", "expires": "next week"}]},
     "exceptions[0].expires: must be a date YYYY-MM-DD, got 'next week'"),
])
def test_policy_governance_input_is_checked_before_any_request(args, message):
    fake = FakeClient()
    with pytest.raises(NeoInputError) as raised:
        policy(fake, **args)
    assert str(raised.value) == message
    assert fake.calls == []


def test_policy_exception_and_exclude_project_names_fail_before_any_secret_is_read():
    fake = FakeClient()
    exceptions = [{"name": "PROD_DB", "project": "Nope", "default_available": True, "reason": "r", "expires": "2999-01-01"}]
    with pytest.raises(NeoNotFound, match=r"^exceptions\[0\]\.project: no project named 'Nope'"):
        policy(fake, exceptions=exceptions)
    with pytest.raises(NeoNotFound, match=r"^rules\[0\]\.exclude_projects\[0\]: no project named 'Nope'"):
        policy(fake, rules=[{"match": ["*"], "exclude_projects": ["Nope"], "default_available": True}])
    assert fake.calls == [("list_projects",), ("list_projects",)]


def test_policy_project_tags_exclusions_and_creator_through_the_action():
    projects = [dict(PROJECTS[0], tags=["production"]), dict(PROJECTS[1], tags=["staging"]), dict(PROJECTS[2], tags=["production"])]
    secrets = SECRETS + [secret(S_NEW, "AGENT_KEY", P_PROD, True, created_by_agent=True)]
    rules = [
        {"name": "agents off in production", "match": ["*"], "project_tags": ["production"], "exclude_projects": ["Red team"],
         "created_by": "agent", "default_available": False},
        {"name": "prod", "match": ["PROD_*", "*_TOKEN"], "exclude": ["RED_*"], "project_tags": ["production"], "default_available": False},
    ]
    fake = FakeClient(projects=projects, secrets=secrets)
    result, warnings = policy(fake, check_mode=True, rules=rules, list_compliant=True)
    # Staging (tagged staging) is not read
    assert fake.calls == [("list_projects",), ("list_secrets", P_PROD), ("list_secrets", P_RED)]
    assert {e["secret_id"]: (e["rule_name"], e["created_by_agent"], e["status"]) for e in result["entries"]} == {
        S_NEW: ("agents off in production", True, "drifted"), S_PROD_DB: ("prod", False, "drifted"), S_PROD_GITHUB: ("prod", False, "drifted"),
        S_PROD_AWS: ("prod", False, "compliant")}
    assert result["summary"]["rules"] == [{"index": 0, "name": "agents off in production", "decided": 1}, {"index": 1, "name": "prod", "decided": 3}]
    assert warnings == []


# -- report files

REPORTS = {"report_path": "report.json", "junit_path": "junit.xml", "markdown_path": "report.md"}


def report_paths(tmp_path):
    return {option: str(tmp_path / name) for option, name in REPORTS.items()}


def junit_totals(path):
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    totals = {key: int(root.get(key)) for key in ("tests", "failures", "errors", "skipped")}
    assert totals["tests"] == len(cases)
    assert totals["failures"] == len(root.findall("./testsuite/testcase/failure"))
    assert totals["errors"] == len(root.findall("./testsuite/testcase/error"))
    assert totals["skipped"] == len(root.findall("./testsuite/testcase/skipped"))
    return totals, root


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_policy_writes_three_private_reports_with_every_covered_secret(tmp_path, check_mode):
    paths = report_paths(tmp_path)
    fake = FakeClient().fail("list_secrets", P_STAGING, forbidden()).fail("update_secret", S_PROD_DB, api_error(500, "Neo API 500: boom"))
    result, _warnings = policy(fake, check_mode=check_mode, entries_limit=1, **paths)
    for option, path in paths.items():
        assert result[option] == path
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == sorted(REPORTS.values())  # no temporary file left
    summary_ = result["summary"]
    assert len(result["entries"]) == 1 and result["entries_truncated"] > 0

    document = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert document["summary"] == summary_ and document["mode"] == ("check" if check_mode else "apply")
    assert document["failure"] == result["msg"]
    secrets_ = {e["secret_id"]: e["status"] for e in document["entries"] if e["secret_id"]}
    # compliant secrets too, though list_compliant is false and the result shows one entry
    assert set(secrets_) == {S_P_GITHUB, S_P_SLACK, S_PROD_GITHUB, S_PROD_AWS, S_PROD_DB}
    assert secrets_[S_P_GITHUB] == secrets_[S_PROD_AWS] == "compliant"
    assert [e["status"] for e in document["entries"] if e["secret_id"] is None] == ["failed"]

    totals, root = junit_totals(tmp_path / "junit.xml")
    scope_entries = sum(1 for e in document["entries"] if e["secret_id"] is None)
    assert totals == {"tests": summary_["checked"] + scope_entries, "failures": summary_["drifted"] if check_mode else 0,
                      "errors": summary_["failed"], "skipped": summary_["not_attempted"]}
    assert {suite.get("name") for suite in root.findall("testsuite")} == {"personal", "Production (%s)" % P_PROD, "Staging (%s)" % P_STAGING}

    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    verdict = "Drift found" if check_mode else "Applied"
    assert markdown.startswith("## Neo secret policy: %s\n" % verdict)
    assert "**%s** " % verdict in markdown


def test_policy_reports_when_compliant(tmp_path):
    fake = FakeClient()
    policy(fake)
    result, _warnings = policy(fake, check_mode=True, **report_paths(tmp_path))
    assert result["entries"] == []
    assert len(json.loads((tmp_path / "report.json").read_text())["entries"]) == 6
    totals, _root = junit_totals(tmp_path / "junit.xml")
    assert totals == {"tests": 6, "failures": 0, "errors": 0, "skipped": 0}
    assert "**Compliant** \u2014 all 6 covered secrets comply." in (tmp_path / "report.md").read_text()


@pytest.mark.usefixtures("today")
def test_policy_reports_hold_exceptions_and_rules(tmp_path):
    exceptions = [{"secret_id": S_PROD_DB, "default_available": True, "reason": "db migration", "expires": "2025-06-20", "owner": "alice"},
                  {"secret_id": S_NEW, "default_available": True, "reason": "gone", "expires": "2025-06-01"}]
    rules = RULES + [{"match": ["NOTHING_*"], "default_available": True, "name": "never"}]
    result, _warnings = policy(FakeClient(), check_mode=True, rules=rules, exceptions=exceptions, **report_paths(tmp_path))
    document = json.loads((tmp_path / "report.json").read_text())
    assert document["exceptions"] == result["exceptions"] and [e["status"] for e in document["exceptions"]] == ["in_force", "expired"]
    assert [(r["name"], r["decided"]) for r in document["rules"]] == [("rule 1", 1), ("rule 2", 2), ("rule 3", 2), ("never", 0)]
    markdown = (tmp_path / "report.md").read_text()
    assert "### Exceptions in force (1)" in markdown and "### Expired exceptions (1)" in markdown
    assert "### Rules that decided nothing (1)" in markdown


def test_policy_stale_reports_are_removed_before_the_first_request(tmp_path):
    paths = report_paths(tmp_path)
    for path in paths.values():
        with open(path, "w", encoding="utf-8") as stream:
            stream.write("from an earlier run")
    fake = FakeClient().fail("list_projects", None, api_error(503, "Neo API 503 unavailable: down"))
    with pytest.raises(NeoApiError):
        policy(fake, **paths)
    assert os.listdir(tmp_path) == []
    assert fake.calls == [("list_projects",)]


@pytest.mark.parametrize("option", ["junit_path", "markdown_path"])
def test_policy_report_bad_locations_are_rejected_before_any_request(tmp_path, option):
    fake = FakeClient()
    with pytest.raises(NeoInputError, match="^%s: the directory %s does not exist$" % (option, re.escape(str(tmp_path / "missing")))):
        policy(fake, **{option: str(tmp_path / "missing" / "report")})
    with pytest.raises(NeoInputError, match="^%s: %s is a directory; give a file path$" % (option, re.escape(str(tmp_path)))):
        policy(fake, **{option: str(tmp_path)})
    assert fake.calls == []


def test_policy_reports_mask_no_log_values(tmp_path):
    canary = "neo_sk_CANARYpolicy000000000000000000"
    fake = FakeClient().fail("update_secret", S_PROD_DB, RecursionError("echoed %s back" % canary))
    policy(fake, action=make_action(PolicyAction, no_log_values={canary}), **report_paths(tmp_path))
    for name in REPORTS.values():
        assert "CANARY" not in (tmp_path / name).read_text(encoding="utf-8"), name
    ET.parse(tmp_path / "junit.xml")


# ---------------------------------------------------------------------------- NeoActionBase pieces


@pytest.fixture
def executor(monkeypatch):
    """NeoActionBase.run without ansible-core's executor: ActionBase.run answers {} and the client is ``fake``.

    Returns a function ``(action, fake) -> (result, client_from_params calls)``.
    """
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})

    def execute(action, fake, retry_messages=()):
        built = []

        def client_from_params(params, **kwargs):
            built.append((params, kwargs))
            for message in retry_messages:
                kwargs["on_retry"](message)
            return fake

        monkeypatch.setattr(_neo_action, "client_from_params", client_from_params)
        return action.run(task_vars={}), built
    return execute


def test_run_returns_warnings_retries_and_closes_the_client(executor):
    fake = FakeClient(validate_certs=False)
    fake.retry_count = 2
    action = make_action(SecretAction, args={"name": "GITHUB_TOKEN", "default_available": False, "api_key": FAKE_KEY})
    result, built = executor(action, fake, retry_messages=["retrying GET /api/v1/secrets after 503"])
    assert result == {"changed": True, "created": False, "secret": public(by_id(S_P_GITHUB), default_available=False), "api_retries": 2,
                      "warnings": ["retrying GET /api/v1/secrets after 503",
                                   "validate_certs is false: the TLS certificate of %s is not verified" % API_URL]}
    assert fake.closed is True
    assert len(built) == 1 and built[0][0]["api_key"] == FAKE_KEY


def test_run_passes_the_policy_concurrency_as_pool_size(executor):
    action = make_action(PolicyAction, check_mode=True, args={"rules": RULES, "concurrency": 3, "api_key": FAKE_KEY})
    result, built = executor(action, FakeClient())
    assert built[0][1]["pool_size"] == 3
    assert result["summary"] == summary()
    assert "failed" not in result


def test_run_reports_a_neo_error_as_one_line(executor):
    fake = FakeClient()
    action = make_action(SecretAction, args={"name": "NOPE", "default_available": False, "api_key": FAKE_KEY})
    result, _warnings = executor(action, fake)
    assert result == {"failed": True, "msg": "secret named NOPE not found in the personal scope", "api_retries": 0}
    assert fake.closed is True


def test_run_reports_an_unexpected_exception_with_its_traceback(executor):
    fake = FakeClient().fail("list_secrets", None, RecursionError("boom"))
    action = make_action(SecretAction, args={"name": "GITHUB_TOKEN", "default_available": False, "api_key": FAKE_KEY})
    result, _warnings = executor(action, fake)
    assert result["failed"] is True
    assert result["msg"] == "projectdiscovery.neo.neo_secret: unexpected RecursionError: boom"
    assert "RecursionError: boom" in result["exception"]
    assert fake.closed is True


def test_run_masks_no_log_values_in_the_result(executor):
    value = "s3cr3t-CANARY-value"
    fake = FakeClient().fail("create_secret", "DEPLOY_KEY", api_error(400, "Neo API 400 invalid: value %s rejected" % value))
    action = make_action(SecretAction, args={"name": "DEPLOY_KEY", "value": value, "default_available": False, "api_key": FAKE_KEY})
    result, _warnings = executor(action, fake)
    assert result["msg"] == "Neo API 400 invalid: value ******** rejected"
    assert "CANARY" not in repr(result)
    assert action.no_log_values == {value, FAKE_KEY}


@pytest.mark.parametrize("args, message", [
    ({"name": "X"}, "projectdiscovery.neo.neo_secret: missing required arguments: default_available"),
    ({"name": ["X"], "default_available": True}, "projectdiscovery.neo.neo_secret: argument 'name' must be a string, got a list"),
    ({"name": "X", "default_available": True, "bogus": 1},
     "Unsupported parameters for (projectdiscovery.neo.neo_secret) module: bogus. Supported parameters include: "),
    ({"id": "nope", "default_available": True}, "id: 'nope' is not a UUID"),
])
def test_run_rejects_bad_input_without_building_a_client(executor, args, message):
    action = make_action(SecretAction, args=dict(args, api_key=FAKE_KEY))
    result, built = executor(action, FakeClient())
    assert result["failed"] is True
    assert result["msg"].startswith(message)
    assert built == []
    assert "api_retries" not in result


@pytest.mark.parametrize("rule, message", [
    ({"match": [["PROD_*"]], "default_available": True}, "argument 'rules[0].match[0]' must be a string, got a list"),
    ({"match": ["PROD_*"], "name": {"a": 1}, "default_available": True}, "argument 'rules[0].name' must be a string, got a dictionary"),
    ({"match": ["PROD_*"], "default_available": True, "colour": "red"},
     "Unsupported parameters for (projectdiscovery.neo.neo_secret_policy) module: rules.colour."),
    ({"match": ["PROD_*"], "default_available": "maybe"}, "argument 'default_available' is of type"),
])
def test_run_validates_sub_options_with_the_argument_spec(executor, rule, message):
    # ansible-core would turn a list given to a string (sub-)option into "['PROD_*']": refused instead.
    action = make_action(PolicyAction, args={"rules": [rule], "api_key": FAKE_KEY})
    result, built = executor(action, FakeClient())
    assert result["failed"] is True
    assert message in result["msg"]
    assert built == []


def test_run_takes_a_null_option_as_not_given(executor, monkeypatch):
    # A role passes its variables as they are: one set to null leaves the option to its default or NEO_* fallback.
    monkeypatch.setenv("NEO_API_URL", "https://neo.example.test")
    args = {"name": "GITHUB_TOKEN", "default_available": False, "api_key": FAKE_KEY, "api_url": None, "validate_certs": None, "project_id": None}
    result, built = executor(make_action(SecretAction, args=args), FakeClient())
    assert "failed" not in result, result
    assert (built[0][0]["api_url"], built[0][0]["validate_certs"]) == ("https://neo.example.test", True)


def test_run_without_credentials_names_the_environment_variables(executor):
    action = make_action(SecretAction, args={"name": "X", "default_available": True})
    result, built = executor(action, FakeClient())
    assert result == {"failed": True, "msg": "projectdiscovery.neo.neo_secret: no credentials: set api_key or api_token, "
                                             "or NEO_API_KEY or NEO_API_TOKEN"}
    assert built == []


# ---------------------------------------------------------------------------- neo_secret: project by id or name

P_NEW = "cccccccc-0000-4000-8000-000000000001"


def not_found(project_id):
    return api_error(404, "Neo API 404 not_exists: not exists: project %s not found" % project_id)


def test_secret_project_by_name_is_resolved_in_the_project_list():
    fake = FakeClient()
    result, _warnings = run_neo(SecretAction, fake, name="PROD_DB", project="Production", default_available=False)
    assert result["changed"] is True and result["secret"]["project_id"] == P_PROD
    assert fake.calls == [("list_projects",), ("list_secrets", P_PROD), ("update_secret", S_PROD_DB, False)]


def test_secret_project_by_id_needs_no_project_list():
    fake = FakeClient()
    run_neo(SecretAction, fake, name="PROD_DB", project=P_PROD.upper(), default_available=True)
    assert fake.calls == [("list_secrets", P_PROD)]


def test_secret_project_and_project_id_are_mutually_exclusive():
    validation = ArgumentSpecValidator(dict(NEO_CONNECTION_ARGSPEC, **SecretAction.argument_spec),
                                       mutually_exclusive=list(SecretAction.mutually_exclusive)).validate(
        {"name": "X", "project": "Production", "project_id": P_PROD, "default_available": True, "api_key": FAKE_KEY})
    assert [error.error_message for error in validation.errors] == ["parameters are mutually exclusive: project|project_id"]


def test_secret_project_name_shared_by_two_projects_fails_listing_them():
    fake = FakeClient(projects=PROJECTS + [{"id": P_UNLISTED, "name": "Production"}])
    with pytest.raises(NeoAmbiguousError) as raised:
        run_neo(SecretAction, fake, check_mode=True, name="PROD_DB", project="Production", value="s3cr3t-CANARY", default_available=False)
    assert str(raised.value).startswith("project: project name 'Production' matches 2 projects (%s, %s)" % (P_PROD, P_UNLISTED))


def test_secret_in_a_project_that_does_not_exist_fails_in_a_real_run():
    fake = FakeClient()
    with pytest.raises(NeoNotFound) as raised:
        run_neo(SecretAction, fake, name="DEPLOY_KEY", project="Payments", value="s3cr3t-CANARY", default_available=False)
    assert str(raised.value).startswith("project: no project named 'Payments' among the 3 projects")
    assert fake.writes() == []


@pytest.mark.parametrize("project", ["Payments", P_NEW], ids=["by-name", "by-id"])
def test_secret_check_mode_in_a_project_not_created_yet_reports_the_creation(project):
    fake = FakeClient().fail("list_secrets", P_NEW, not_found(P_NEW))
    result, _warnings = run_neo(SecretAction, fake, check_mode=True, diff=True, name="DEPLOY_KEY", project=project, value="s3cr3t-CANARY",
                                default_available=False)
    project_id = P_NEW if project == P_NEW else None
    assert result == {"changed": True, "created": True, "msg": "would be created in project %s (not created yet)" % project,
                      "secret": {"id": None, "name": "DEPLOY_KEY", "project_id": project_id, "default_available": False, "masked_value": None},
                      "diff": {"before": {}, "after": {"id": None, "name": "DEPLOY_KEY", "project_id": project_id, "default_available": False}}}
    assert fake.writes() == []


def test_secret_check_mode_in_a_project_not_created_yet_without_value_is_not_found():
    fake = FakeClient()
    with pytest.raises(NeoNotFound) as raised:
        run_neo(SecretAction, fake, check_mode=True, name="DEPLOY_KEY", project="Payments", default_available=False)
    assert str(raised.value) == "secret named DEPLOY_KEY not found in project Payments, which does not exist (yet)"


def test_secret_project_id_not_found_in_a_real_run_is_the_api_error():
    fake = FakeClient().fail("list_secrets", P_NEW, not_found(P_NEW))
    with pytest.raises(NeoApiError) as raised:
        run_neo(SecretAction, fake, name="DEPLOY_KEY", project=P_NEW, value="s3cr3t-CANARY", default_available=False)
    assert raised.value.status == 404


# ---------------------------------------------------------------------------- neo_secrets


def items(*entries):
    return [dict(zip(("name", "value", "default_available"), entry)) for entry in entries]


def test_secrets_create_missing_set_flags_and_never_send_a_value_for_an_existing_one():
    fake = FakeClient()
    result, warnings = run_neo(SecretsAction, fake, diff=True, project="Production", secrets=items(
        ("PROD_DB", "s3cr3t-CANARY-1", False), ("PROD_AWS", None, False), ("DEPLOY_KEY", "s3cr3t-CANARY-2", True)))
    assert fake.calls == [("list_projects",), ("list_secrets", P_PROD), ("update_secret", S_PROD_DB, False),
                          ("create_secret", "DEPLOY_KEY", "s3cr3t-CANARY-2", True, P_PROD)]
    assert result["changed"] is True and warnings == [secrets_engine.values_not_sent_warning(["PROD_DB"])]
    assert result["summary"] == {"created": ["DEPLOY_KEY"], "changed": ["PROD_DB"], "unchanged": ["PROD_AWS"], "failed": [],
                                 "values_not_sent": ["PROD_DB"]}
    assert [(e["name"], e["status"], e["before"], e["default_available"], e["value_ignored"]) for e in result["secrets"]] == [
        ("PROD_DB", "changed", True, False, True), ("PROD_AWS", "unchanged", False, False, False), ("DEPLOY_KEY", "created", None, True, False)]
    assert result["secrets"][2]["id"] == S_NEW
    assert result["diff"] == {"prepared": "PROD_DB: default_available true -> false\nDEPLOY_KEY: created (default_available true)\n"}
    assert "s3cr3t" not in repr(result)


def test_secrets_second_run_changes_nothing_and_writes_nothing():
    fake = FakeClient()
    wanted = items(("PROD_DB", "s3cr3t-CANARY-1", False), ("DEPLOY_KEY", "s3cr3t-CANARY-2", True))
    run_neo(SecretsAction, fake, project=P_PROD, secrets=wanted)
    before = len(fake.writes())
    for check_mode in (True, False):
        result, _warnings = run_neo(SecretsAction, fake, check_mode=check_mode, diff=True, project=P_PROD, secrets=wanted)
        assert result["changed"] is False and result["diff"] == {"prepared": ""}
        assert result["summary"]["unchanged"] == ["PROD_DB", "DEPLOY_KEY"] and result["summary"]["values_not_sent"] == ["PROD_DB", "DEPLOY_KEY"]
    assert len(fake.writes()) == before


def test_secrets_check_mode_predicts_without_writing():
    fake = FakeClient()
    result, _warnings = run_neo(SecretsAction, fake, check_mode=True, project=P_PROD,
                                secrets=items(("PROD_DB", None, False), ("NEW_ONE", "s3cr3t-CANARY", False)))
    assert result["summary"]["created"] == ["NEW_ONE"] and result["summary"]["changed"] == ["PROD_DB"]
    assert fake.writes() == []


@pytest.mark.parametrize("project", ["Payments", P_NEW], ids=["by-name", "by-id"])
def test_secrets_check_mode_in_a_project_not_created_yet(project):
    fake = FakeClient().fail("list_secrets", P_NEW, not_found(P_NEW))
    result, _warnings = run_neo(SecretsAction, fake, check_mode=True, project=project,
                                secrets=items(("A_KEY", "s3cr3t-CANARY", True), ("B_KEY", "s3cr3t-CANARY", False)))
    assert result["changed"] is True and "failed" not in result
    assert result["msg"] == "project %s does not exist yet: 2 secrets would be created in it (not created yet)" % project
    assert result["summary"]["created"] == ["A_KEY", "B_KEY"]
    assert fake.writes() == []


def test_secrets_one_failure_does_not_stop_the_others_and_fails_naming_it():
    fake = FakeClient().fail("create_secret", "A_KEY", api_error(400, "Neo API 400 invalid_request: refused body ********"))
    result, _warnings = run_neo(SecretsAction, fake, project=P_PROD, secrets=items(("A_KEY", "s3cr3t-CANARY", True), ("MISSING", None, True),
                                                                                   ("B_KEY", "s3cr3t-CANARY", False)))
    assert result["failed"] is True
    assert result["msg"] == ("2 secrets of 3 could not be ensured: A_KEY: Neo API 400 invalid_request: refused body ********; "
                             "MISSING: not found in project %s, and no value to create it with" % P_PROD)
    assert result["summary"]["created"] == ["B_KEY"] and result["summary"]["failed"] == ["A_KEY", "MISSING"]


@pytest.mark.parametrize("args,message", [
    ({"secrets": items(("A", "v", True), ("A", "w", False))}, "secrets[1].name: A is listed twice (also secrets[0])"),
    ({"secrets": items(("lower", "v", True))}, "secrets[0].name: 'lower' is not a valid secret name"),
    ({"secrets": items(("A", "", True))}, "secrets[0].value: must be 1 to 10000 characters long (got 0)"),
    ({"secrets": [], "project": ""}, "project: must be a project id or name, not empty"),
])
def test_secrets_check_input_rejects_before_any_call(args, message):
    fake = FakeClient()
    with pytest.raises(NeoInputError) as raised:
        run_neo(SecretsAction, fake, **args)
    assert str(raised.value).startswith(message)
    assert fake.calls == []
