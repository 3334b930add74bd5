# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of one project as code (plugins/module_utils/_neo_project_state.py), over an in-memory fake client."""
from __future__ import annotations

import copy

import pytest

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_project_state as state
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_create import VISIBILITY_WAITS
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_INVALID_JSON,
    REASON_INVALID_RECORD,
    REASON_TRANSPORT,
    NeoAmbiguousError,
    NeoApiError,
    NeoInputError,
    NeoNotFound,
    NeoPermissionError,
    NeoStateError,
)

PROD = "aaaaaaaa-0000-4000-8000-000000000001"
STAGING = "aaaaaaaa-0000-4000-8000-000000000002"
STAGING_2 = "aaaaaaaa-0000-4000-8000-000000000004"
SHARED = "aaaaaaaa-0000-4000-8000-000000000005"
NEW = "cccccccc-0000-4000-8000-000000000001"


def project(project_id, name, tags=(), settings_md="", shared=False, is_owner=True):
    return {"id": project_id, "name": name, "tags": list(tags), "settings_md": settings_md, "shared_with_team": shared, "is_owner": is_owner,
            "owner_email": "alice@example.test" if is_owner else "bob@example.test", "member_count": 1}


PROJECTS = [
    project(PROD, "Production", ["prod"], "# Production\n"),
    project(STAGING, "Staging"),
    project(STAGING_2, "Staging", ["duplicate-name"]),
    project(SHARED, "Shared by Bob", is_owner=False),
]


def conflict():
    return NeoApiError("Neo API 409 already_exists: a project with this id already exists", status=409)


class FakeClient:
    """list_projects / create_project / update_project over in-memory records; every call recorded in ``calls``.

    ``fail(method, error, times=1)`` makes the next calls of ``method`` raise ``error`` (a create
    that fails still stores the project when ``stored`` is true: a request that reached the API;
    ``stored`` may also be the record someone else created meanwhile).
    ``answer_patch(record)`` makes update_project return ``record`` (the state still changes).
    """

    def __init__(self, projects=None):
        self.projects = copy.deepcopy(PROJECTS if projects is None else projects)
        self.calls = []
        self._failures = {}
        self._patch_answer = None

    def fail(self, method, error, times=1, stored=False):
        self._failures[method] = [error, times, stored]
        return self

    def answer_patch(self, record):
        self._patch_answer = record
        return self

    def _failure(self, method):
        failure = self._failures.get(method)
        if failure and failure[1] > 0:
            failure[1] -= 1
            return failure
        return None

    def writes(self):
        return [call for call in self.calls if call[0] != "list_projects"]

    def list_projects(self):
        self.calls.append(("list_projects",))
        return copy.deepcopy(self.projects)

    def create_project(self, payload):
        self.calls.append(("create_project", copy.deepcopy(payload)))
        failure = self._failure("create_project")
        record = project(payload.get("id", NEW), payload.get("name", ""), payload.get("tags", ()), payload.get("settings_md", ""))
        if failure is not None:
            if failure[2]:
                self.projects.append(failure[2] if isinstance(failure[2], dict) else record)
            raise failure[0]
        if any(p["id"] == record["id"] for p in self.projects):
            raise conflict()
        self.projects.append(record)
        return copy.deepcopy(record)

    def update_project(self, project_id, changes):
        self.calls.append(("update_project", project_id, copy.deepcopy(changes)))
        failure = self._failure("update_project")
        if failure is not None:
            raise failure[0]
        record = next(p for p in self.projects if p["id"] == project_id)
        record.update(copy.deepcopy(changes))
        return copy.deepcopy(self._patch_answer or record)


# ---------------------------------------------------------------------------- input


@pytest.mark.parametrize("tags,expected", [
    ([" prod ", "pci", "prod", "\tpci\n"], ["prod", "pci"]),
    (["t" * 32, " " + "u" * 32 + " "], ["t" * 32, "u" * 32]),
    (["tag-%d" % n for n in range(20)] + ["tag-0"], ["tag-%d" % n for n in range(20)]),
    ([], []),
    (None, None),
])
def test_tags_are_trimmed_and_deduplicated(tags, expected):
    assert state.normalize_tags("tags", tags) == expected


@pytest.mark.parametrize("tags,message", [
    (["ok", "  "], "tags[1]: is empty (after trimming blanks)"),
    (["v" * 33], "tags[0]: 'vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv' is 33 characters long; a tag has at most 32"),
    (["bell\x07"], "tags[0]: 'bell\ufffd' holds a control character"),
    (["tag-%d" % n for n in range(21)], "tags: 21 distinct tags; a project has at most 20"),
    ([3], "tags[0]: must be a string"),
])
def test_tags_the_api_would_refuse_or_drop_fail_naming_the_tag(tags, message):
    with pytest.raises(NeoInputError) as excinfo:
        state.normalize_tags("tags", tags)
    assert str(excinfo.value).startswith(message)


def test_non_control_characters_are_fine_in_a_tag():
    assert state.normalize_tags("tags", ["café", "no\u00a0break"]) == ["café", "no\u00a0break"]


@pytest.mark.parametrize("params,message", [
    ({"id": "prod"}, "id: 'prod' is not a UUID"),
    ({"name": ""}, "name: must be 1 to 128 characters long (got 0)"),
    ({"name": "n" * 129}, "name: must be 1 to 128 characters long (got 129)"),
    ({"name": "x", "settings_md": "s" * 35001}, "settings_md: 35001 characters; the Neo API keeps at most 35000"),
    ({"name": "x", "tags": [""]}, "tags[0]: is empty"),
])
def test_check_project_input_names_the_module_option(params, message):
    with pytest.raises(NeoInputError) as excinfo:
        state.check_project_input(dict(params))
    assert str(excinfo.value).startswith(message)


def test_check_project_input_normalises():
    params = {"id": NEW.upper(), "name": "New", "tags": [" a ", "a"], "settings_md": "s" * 35000, "shared_with_team": None}
    state.check_project_input(params)
    assert params["id"] == NEW and params["tags"] == ["a"]
    assert state.desired_fields(params) == {"name": "New", "tags": ["a"], "settings_md": "s" * 35000}


# ---------------------------------------------------------------------------- compare and find


def test_tags_compare_as_a_set():
    record = project(PROD, "Production", [" b", "a "])
    assert state.differences(record, {"tags": ["a", "b"]}) == {}
    assert state.differences(record, {"tags": ["a"]}) == {"tags": ["a"]}
    assert state.differences(dict(record, tags=None), {"tags": []}) == {}


def test_differences_only_for_given_fields_that_differ():
    record = project(PROD, "Production", ["prod"], "# Production\n")
    assert state.differences(record, {"name": "Production", "settings_md": "# Production\n", "shared_with_team": False}) == {}
    assert state.differences(record, {"name": "Prod", "settings_md": "", "shared_with_team": True}) == {
        "name": "Prod", "settings_md": "", "shared_with_team": True}
    # A field the API did not send cannot be shown to match: it is sent.
    assert state.differences({"id": PROD, "name": "Production"}, {"shared_with_team": False}) == {"shared_with_team": False}
    assert state.differences(dict(record, settings_md=None), {"settings_md": ""}) == {}


def test_ambiguous_name_fails_after_the_list_only():
    client = FakeClient()
    with pytest.raises(NeoAmbiguousError) as excinfo:
        state.ensure_project(client, None, "Staging", {"name": "Staging", "tags": ["x"]}, check_mode=False)
    assert str(excinfo.value) == ("name: project name 'Staging' matches 2 projects (%s, %s); give the id of the one to manage" % (STAGING, STAGING_2))
    assert client.calls == [("list_projects",)]


def test_diff_of_an_update_shows_only_the_changed_fields_and_settings_as_lines():
    before = project(PROD, "Production", ["prod", "a"], "# Production\nline 1\n")
    after = dict(before, tags=["pci", "prod"], settings_md="# Production\nline 2\n")
    diffs = state.project_diff("project %s (Production)" % PROD, before, after, ["tags", "settings_md"])
    assert diffs == [
        {"before_header": "project %s (Production)" % PROD, "after_header": "project %s (Production)" % PROD,
         "before": {"tags": ["a", "prod"]}, "after": {"tags": ["pci", "prod"]}},
        {"before_header": "project %s (Production) settings_md" % PROD, "after_header": "project %s (Production) settings_md" % PROD,
         "before": "# Production\nline 1\n", "after": "# Production\nline 2\n"},
    ]
    only_settings = state.project_diff("p", before, after, ["settings_md"])
    assert len(only_settings) == 1 and only_settings[0]["before"] == "# Production\nline 1\n"


def test_diff_of_a_creation_shows_every_given_field():
    after = state.predicted_record(None, "New", {"tags": ["b", "a"], "shared_with_team": True})
    assert state.project_diff("project 'New'", None, after, ["tags", "shared_with_team"]) == [
        {"before_header": "project 'New'", "after_header": "project 'New'", "before": {},
         "after": {"id": None, "name": "New", "tags": ["a", "b"], "shared_with_team": True}}]


# ---------------------------------------------------------------------------- ensure_project


def test_absent_project_created_with_one_post_carrying_the_id():
    client = FakeClient()
    outcome = state.ensure_project(client, NEW, "New", {"name": "New", "tags": ["a"], "settings_md": "# New\n"}, check_mode=False)
    assert (outcome.changed, outcome.created, outcome.before) == (True, True, None)
    assert client.writes() == [("create_project", {"id": NEW, "name": "New", "tags": ["a"], "settings_md": "# New\n"})]
    assert outcome.after["id"] == NEW


def test_shared_with_team_on_a_new_project_is_one_patch_after_the_post():
    client = FakeClient()
    outcome = state.ensure_project(client, NEW, "New", {"name": "New", "shared_with_team": True}, check_mode=False)
    assert outcome.created and outcome.after["shared_with_team"] is True
    assert client.writes() == [("create_project", {"id": NEW, "name": "New"}), ("update_project", NEW, {"shared_with_team": True})]


def test_check_mode_predicts_a_creation_without_any_write():
    client = FakeClient()
    outcome = state.ensure_project(client, None, "New", {"name": "New", "tags": ["a"]}, check_mode=True)
    assert (outcome.changed, outcome.created) == (True, True)
    assert outcome.after == {"id": None, "name": "New", "tags": ["a"], "settings_md": "", "shared_with_team": False, "is_owner": True}
    assert client.writes() == []


def test_present_project_one_patch_with_only_what_differs():
    client = FakeClient()
    outcome = state.ensure_project(client, PROD, "Production", {"name": "Production", "tags": ["pci", "prod"], "settings_md": "# Production\n"},
                                   check_mode=False)
    assert (outcome.changed, outcome.created, outcome.fields) == (True, False, ["tags"])
    assert client.writes() == [("update_project", PROD, {"tags": ["pci", "prod"]})]


def test_nothing_differs_no_request_after_the_list():
    client = FakeClient()
    outcome = state.ensure_project(client, None, "Production", {"name": "Production", "tags": [" prod"]}, check_mode=False)
    assert (outcome.changed, outcome.created, outcome.fields) == (False, False, [])
    assert client.calls == [("list_projects",)]


def test_check_mode_predicts_an_update_without_any_write():
    client = FakeClient()
    outcome = state.ensure_project(client, PROD, None, {"shared_with_team": True}, check_mode=True)
    assert outcome.changed and outcome.after["shared_with_team"] is True and outcome.before["shared_with_team"] is False
    assert client.writes() == []


def test_a_409_on_the_post_means_it_exists_it_is_read_and_updated():
    """Created meanwhile (listed only after the POST): adopted, compared, and patched with what differs."""
    client = FakeClient()
    client.fail("create_project", conflict(), stored=project(NEW, "New"))
    outcome = state.ensure_project(client, NEW, "New", {"name": "New", "tags": ["x"]}, check_mode=False)
    assert outcome.created is False and outcome.changed is True and outcome.fields == ["tags"]
    assert [call[0] for call in client.calls] == ["list_projects", "create_project", "list_projects", "update_project"]


def test_a_409_for_a_project_the_caller_cannot_see_is_an_error():
    client = FakeClient()
    client.fail("create_project", conflict())
    with pytest.raises(NeoNotFound) as excinfo:
        state.ensure_project(client, NEW, "New", {"name": "New"}, check_mode=False)
    assert str(excinfo.value).startswith("project %s exists (the API answered the POST with 409: Neo API 409 already_exists" % NEW)
    assert "is not among the projects the caller can see" in str(excinfo.value)


@pytest.mark.parametrize("project_id", [NEW, None], ids=["with-id", "by-name"])
def test_a_post_that_may_have_reached_the_api_is_not_repeated_when_the_project_is_there(project_id):
    client = FakeClient()
    client.fail("create_project", NeoApiError("Neo API request failed: POST /api/v1/projects: timed out after 30 s", reason=REASON_TRANSPORT), stored=True)
    outcome = state.ensure_project(client, project_id, "New", {"name": "New"}, check_mode=False)
    assert outcome.created is True
    assert [call[0] for call in client.calls] == ["list_projects", "create_project", "list_projects"]


def test_a_post_that_failed_with_500_is_sent_once_more_when_the_project_is_absent():
    client = FakeClient()
    client.fail("create_project", NeoApiError("Neo API 500 internal: boom", status=500))
    outcome = state.ensure_project(client, NEW, "New", {"name": "New"}, check_mode=False)
    assert outcome.created is True
    assert [call[0] for call in client.calls] == ["list_projects", "create_project", "list_projects", "create_project"]


def test_never_a_second_post_after_a_2xx_whose_answer_could_not_be_used(waits):
    client = FakeClient()
    client.fail("create_project", NeoApiError("Neo API: invalid JSON in response to POST /api/v1/projects (status 201)", status=201,
                                              reason=REASON_INVALID_JSON))
    with pytest.raises(NeoStateError, match="^project %s \\(New\\): created, but not visible yet: the API answered the POST \\(Neo API: invalid JSON"
                       % NEW):
        state.ensure_project(client, NEW, "New", {"name": "New"}, check_mode=False)
    assert [call[0] for call in client.calls] == ["list_projects", "create_project", "list_projects", "list_projects", "list_projects"]
    assert waits == list(VISIBILITY_WAITS)


def test_a_2xx_whose_project_is_listed_is_adopted_and_completed(waits):
    client = FakeClient()
    client.fail("create_project", NeoApiError("Neo API answered POST /api/v1/projects with a project record without a string id", status=201,
                                              reason=REASON_INVALID_RECORD), stored=True)
    outcome = state.ensure_project(client, NEW, "New", {"name": "New", "shared_with_team": True}, check_mode=False)
    assert (outcome.created, outcome.after["id"]) == (True, NEW) and waits == []
    assert [call[0] for call in client.writes()] == ["create_project", "update_project"]


class AnsweringClient(FakeClient):
    """create_project carries out the POST (under ``stored_id`` when set), then answers with ``answer_id``'s record."""

    def __init__(self, answer_id=None, stored_id=None, answer_name=None):
        super().__init__()
        self.answer_id, self.stored_id, self.answer_name = answer_id, stored_id, answer_name

    def create_project(self, payload):
        if self.stored_id is not None:
            payload = dict(payload, id=self.stored_id)
        record = super().create_project(payload)
        if self.answer_id is not None:
            record = copy.deepcopy(next(p for p in self.projects if p["id"] == self.answer_id))
        if self.answer_name is not None:
            record["name"] = self.answer_name
        return record


@pytest.mark.parametrize("project_id", [NEW, None], ids=["with-id", "by-name"])
def test_a_post_answered_with_another_project_fails_naming_both_and_writes_nothing_more(project_id):
    client = AnsweringClient(answer_id=STAGING)
    with pytest.raises(NeoStateError) as raised:
        state.ensure_project(client, project_id, "New", {"name": "New", "tags": ["x"], "shared_with_team": True}, check_mode=False)
    asked = "project %s (New)" % NEW if project_id else "project 'New'"
    assert str(raised.value) == ("the API answered the POST of %s with the record of another existing project, project %s (Staging); "
                                 "nothing more is written to either" % (asked, STAGING))
    assert [call[0] for call in client.writes()] == ["create_project"]
    assert next(p for p in client.projects if p["id"] == STAGING) == project(STAGING, "Staging")


def test_a_post_whose_id_the_api_did_not_keep_fails_naming_both_ids():
    fresh = "cccccccc-0000-4000-8000-0000000000cc"
    client = AnsweringClient(stored_id=fresh)
    with pytest.raises(NeoStateError) as raised:
        state.ensure_project(client, NEW, "New", {"name": "New", "shared_with_team": True}, check_mode=False)
    assert str(raised.value) == ("the API did not keep the id asked for: it answered the POST of project %s (New) with a new project %s, "
                                 "so a re-run would create duplicates; nothing more is written to either" % (NEW, fresh))
    assert [call[0] for call in client.writes()] == ["create_project"]


def test_a_post_answered_with_another_name_fails():
    client = AnsweringClient(answer_name="Other")
    with pytest.raises(NeoStateError, match="answered the POST of project %s \\(New\\) with project %s named 'Other', not 'New'" % (NEW, NEW)):
        state.ensure_project(client, NEW, "New", {"name": "New", "tags": ["x"]}, check_mode=False)
    assert [call[0] for call in client.writes()] == ["create_project"]


def test_a_refused_post_is_not_repeated():
    client = FakeClient()
    client.fail("create_project", NeoApiError("Neo API 400 invalid_request: name must be 0 to 128 characters", status=400))
    with pytest.raises(NeoApiError):
        state.ensure_project(client, NEW, "New", {"name": "New"}, check_mode=False)
    assert [call[0] for call in client.calls] == ["list_projects", "create_project"]


def test_patch_refused_because_the_caller_is_not_the_owner_is_one_line_naming_the_project():
    client = FakeClient()
    client.fail("update_project", NeoApiError("Neo API 403 forbidden (error_id 1a2b): forbidden request: only the project owner may change it",
                                              status=403))
    with pytest.raises(NeoPermissionError) as excinfo:
        state.ensure_project(client, SHARED, None, {"tags": ["x"]}, check_mode=False)
    assert str(excinfo.value) == (
        "project %s (Shared by Bob): only its owner (bob@example.test) may change it, and the caller is not its owner; the API refused the PATCH: "
        "Neo API 403 forbidden (error_id 1a2b): forbidden request: only the project owner may change it" % SHARED)


def test_check_mode_predicts_the_refusal_of_a_change_to_a_project_the_caller_does_not_own():
    client = FakeClient()
    with pytest.raises(NeoPermissionError) as excinfo:
        state.ensure_project(client, SHARED, None, {"tags": ["x"]}, check_mode=True)
    assert "only its owner (bob@example.test) may change it" in str(excinfo.value) and "is_owner false" in str(excinfo.value)
    # Nothing to change: not an error, even for a project the caller does not own.
    assert state.ensure_project(client, SHARED, None, {"tags": []}, check_mode=True).changed is False
    assert client.writes() == []


def test_another_patch_error_names_the_project():
    client = FakeClient()
    client.fail("update_project", NeoApiError("Neo API 500 internal: boom (gave up after 6 attempts)", status=500))
    with pytest.raises(NeoApiError) as excinfo:
        state.ensure_project(client, PROD, None, {"tags": ["x"]}, check_mode=False)
    assert str(excinfo.value) == "project %s (Production): Neo API 500 internal: boom (gave up after 6 attempts)" % PROD


def test_patch_answer_without_the_change_is_a_state_error_not_changed():
    client = FakeClient().answer_patch(project(PROD, "Production", ["prod"]))
    with pytest.raises(NeoStateError) as excinfo:
        state.ensure_project(client, PROD, None, {"tags": ["pci"]}, check_mode=False)
    assert str(excinfo.value) == "project %s (Production): the API answered the PATCH with tags ['prod'], not what was sent" % PROD


def test_same_name_under_another_id_is_warned_about_when_creating_by_id():
    client = FakeClient()
    warnings = []
    state.ensure_project(client, NEW, "Production", {"name": "Production"}, check_mode=True, warn=warnings.append)
    assert warnings == ["no project has id %s, so it is created, although a project is already named 'Production' (%s): "
                        "project names need not be unique" % (NEW, PROD)]


def test_public_project_is_the_allow_list():
    record = dict(project(PROD, "Production"), internal_billing_ref="not-public")
    assert "internal_billing_ref" not in state.public_project(record)
    assert state.public_project(record)["id"] == PROD
