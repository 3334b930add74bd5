# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of project references (plugins/module_utils/_neo_projects.py)."""
from __future__ import annotations

import pytest

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_TRANSPORT,
    NeoAmbiguousError,
    NeoApiError,
    NeoError,
    NeoInputError,
    NeoNotFound,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import (
    ALL_PROJECTS,
    ProjectDirectory,
    canonical_id,
    current_tags,
    is_uuid,
    naming_project,
    normalize_id,
    normalize_ref,
    resolve_ref,
    scope_label,
)

PROD = "aaaaaaaa-0000-4000-8000-00000000000a"
STAGING = "aaaaaaaa-0000-4000-8000-00000000000b"
RED = "aaaaaaaa-0000-4000-8000-00000000000c"
STAGING_2 = "aaaaaaaa-0000-4000-8000-00000000000d"
UNLISTED = "aaaaaaaa-0000-4000-8000-0000000000ff"
PROJECTS = [
    {"id": PROD, "name": "Production"},
    {"id": STAGING, "name": "Staging"},
    {"id": RED, "name": "Red Team"},
    {"id": STAGING_2, "name": "Staging"},
]
WHERE = "rules[0].projects[1]"


def directory(projects=None):
    return ProjectDirectory(PROJECTS if projects is None else projects)


# ---------------------------------------------------------------- ids


def test_is_uuid():
    assert is_uuid(PROD) and is_uuid(PROD.upper())
    assert not is_uuid("Production") and not is_uuid("") and not is_uuid(PROD + "0")


def test_normalize_id_lowers_and_rejects():
    assert normalize_id("project_id", PROD.upper()) == PROD
    assert normalize_id("project_id", None) is None
    for bad in ("Production", " " + PROD, PROD + "\n", 3):
        with pytest.raises(NeoInputError) as excinfo:
            normalize_id("project_id", bad)
        assert str(excinfo.value).startswith("project_id: ") and "is not a UUID" in str(excinfo.value)


def test_canonical_id():
    assert canonical_id(PROD.upper()) == PROD
    assert canonical_id(None) is None


# ---------------------------------------------------------------- directory


def test_directory_ids_in_list_order_and_names():
    found = directory()
    assert found.ids == [PROD, STAGING, RED, STAGING_2]
    assert found.names == {PROD: "Production", STAGING: "Staging", RED: "Red Team", STAGING_2: "Staging"}
    assert PROD in found and UNLISTED not in found
    assert found.name(RED) == "Red Team" and found.name(UNLISTED) is None


def test_directory_collapses_duplicate_listed_ids_first_kept():
    found = directory(PROJECTS + [{"id": PROD, "name": "Renamed"}, {"id": RED.upper(), "name": "Red Again"}])
    assert found.ids == [PROD, STAGING, RED, STAGING_2]
    assert found.name(PROD) == "Production" and found.name(RED) == "Red Team"
    # The skipped duplicates' names are not names of any project.
    with pytest.raises(NeoNotFound):
        found.resolve("Renamed", WHERE)
    with pytest.raises(NeoNotFound):
        found.resolve("Red Again", WHERE)


def test_directory_lowers_listed_ids():
    found = directory([{"id": PROD.upper(), "name": "Production"}])
    assert found.ids == [PROD] and PROD in found
    assert found.resolve("Production", WHERE) == PROD
    assert found.resolve(PROD.upper(), WHERE) == PROD


def test_directory_without_projects():
    for empty in (None, []):
        found = ProjectDirectory(empty)
        assert found.ids == [] and found.names == {}
        assert found.resolve_all(ALL_PROJECTS, "rules[0].projects") == []


@pytest.mark.parametrize("projects", [
    [{"id": PROD, "name": "x"}, {"name": "y"}],
    [{"id": PROD, "name": "x"}, {"id": "", "name": "y"}],
    [{"id": PROD, "name": "x"}, {"id": 3, "name": "y"}],
    [{"id": PROD, "name": "x"}, "y"],
])
def test_directory_needs_string_ids(projects):
    with pytest.raises(ValueError, match=r"^projects\[1\]: "):
        ProjectDirectory(projects)


def test_directory_project_without_a_string_name():
    found = directory([{"id": PROD}, {"id": RED, "name": None}, {"id": STAGING, "name": 3}])
    assert found.names == {PROD: None, RED: None, STAGING: None}
    assert found.label(PROD) == "project %s" % PROD


def test_label():
    found = directory([{"id": PROD, "name": "Pro\u202educ\ntion"}])
    assert found.label(None) == "the personal scope"
    assert found.label(UNLISTED) == "project %s" % UNLISTED
    assert found.label(PROD) == "project %s (Pro\ufffdduc tion)" % PROD
    assert scope_label(PROD, "Production") == "project %s (Production)" % PROD
    # A project that has no id yet (check mode, created by name).
    assert scope_label(None, "New\nproject") == "project 'New project'"


def test_naming_project_is_a_new_error_with_the_same_fields():
    bare = NeoApiError("Neo API request failed: GET the secrets of project %s: timed out" % PROD, reason=REASON_TRANSPORT)
    named = naming_project(bare, PROD, "project %s (Production)" % PROD)
    assert str(named) == "Neo API request failed: GET the secrets of project %s (Production): timed out" % PROD
    assert named.reason == REASON_TRANSPORT and str(bare).endswith("%s: timed out" % PROD)
    other = naming_project(NeoApiError("Neo API 500 internal: boom", status=500, code="internal", error_id="e1"), PROD, "project %s" % PROD)
    assert str(other) == "project %s: Neo API 500 internal: boom" % PROD
    assert (other.status, other.code, other.error_id) == (500, "internal", "e1")


def test_normalize_ref():
    assert normalize_ref("project", PROD.upper()) == PROD
    assert normalize_ref("project", "Production") == "Production"
    assert normalize_ref("project", None) is None
    with pytest.raises(NeoInputError, match="^project: must be a project id or name, not empty$"):
        normalize_ref("project", "")


# ---------------------------------------------------------------- resolve


def test_resolve_listed_id_any_case():
    found = directory()
    assert found.resolve(PROD, WHERE) == PROD
    assert found.resolve(PROD.upper(), WHERE) == PROD


def test_resolve_unlisted_uuid_is_kept_lower_case():
    found = directory()
    assert found.resolve(UNLISTED, WHERE) == UNLISTED
    assert found.resolve(UNLISTED.upper(), WHERE) == UNLISTED
    assert UNLISTED not in found


def test_resolve_unique_name():
    assert directory().resolve("Production", WHERE) == PROD
    assert directory().resolve("Red Team", WHERE) == RED


def test_resolve_id_wins_over_a_name_that_is_an_id():
    found = directory([{"id": PROD, "name": RED}, {"id": RED, "name": "Red Team"}])
    assert found.resolve(RED, WHERE) == RED


def test_ambiguous_name_lists_ids():
    with pytest.raises(NeoAmbiguousError) as excinfo:
        directory().resolve("Staging", WHERE)
    message = str(excinfo.value)
    assert isinstance(excinfo.value, NeoError)
    assert message == ("%s: project name 'Staging' matches 2 projects (%s, %s); use the project id instead" % (WHERE, STAGING, STAGING_2))


@pytest.mark.parametrize("ref", ["Nope", "production", "Production ", PROD[:-1]])
def test_unknown_name_message(ref):
    with pytest.raises(NeoNotFound) as excinfo:
        directory().resolve(ref, WHERE)
    assert isinstance(excinfo.value, NeoError) and isinstance(excinfo.value, LookupError)
    assert str(excinfo.value) == (
        "%s: no project named %r among the 4 projects the caller can see (give its id, or check the name)" % (WHERE, ref))


def test_resolve_all_star_is_every_listed_project():
    found = directory()
    ids = found.resolve_all(ALL_PROJECTS, "rules[0].projects")
    assert ids == [PROD, STAGING, RED, STAGING_2]
    ids.append("mutated")
    assert found.ids == [PROD, STAGING, RED, STAGING_2]


def test_resolve_all_in_order_without_duplicates():
    found = directory()
    refs = ("Red Team", UNLISTED, PROD.upper(), "Production", RED, UNLISTED.upper())
    assert found.resolve_all(refs, "rules[0].projects") == [RED, UNLISTED, PROD]
    assert found.resolve_all((), "rules[0].projects") == []


def test_resolve_all_error_names_the_item():
    with pytest.raises(NeoAmbiguousError, match=r"^neo_secret_policy_rules\[2\]\.projects\[1\]: project name 'Staging'"):
        directory().resolve_all([PROD, "Staging"], "neo_secret_policy_rules[2].projects")
    with pytest.raises(NeoNotFound, match=r"^rules\[0\]\.projects\[2\]: no project named 'Blue'"):
        directory().resolve_all([PROD, UNLISTED, "Blue"], "rules[0].projects")


def test_find_and_lookup_by_id_else_by_unique_name():
    found = directory()
    assert found.find("Production", "name") == PROD and found.find("Nope", "name") is None
    assert found.lookup(PROD, "Another name", "name")["name"] == "Production"
    assert found.lookup(None, "Production", "name")["id"] == PROD
    assert found.lookup(UNLISTED, "Production", "name") is None  # an id decides: no fallback to the name
    assert found.lookup(None, "Nope", "name") is None
    with pytest.raises(NeoAmbiguousError) as excinfo:
        found.lookup(None, "Staging", "name", "use id instead")
    assert str(excinfo.value) == "name: project name 'Staging' matches 2 projects (%s, %s); use id instead" % (STAGING, STAGING_2)


def test_resolve_missing_ok_is_none_for_an_unknown_name_only():
    assert directory().resolve("Nope", WHERE, missing_ok=True) is None
    with pytest.raises(NeoAmbiguousError):
        directory().resolve("Staging", WHERE, missing_ok=True)


class ListingClient:
    def __init__(self):
        self.calls = 0

    def list_projects(self):
        self.calls += 1
        return PROJECTS


def test_resolve_ref_reads_the_project_list_for_a_name_only():
    client = ListingClient()
    assert resolve_ref(client, UNLISTED.upper(), "project") == UNLISTED and client.calls == 0
    assert resolve_ref(client, "Red Team", "project") == RED and client.calls == 1
    assert resolve_ref(client, "Payments", "project", missing_ok=True) is None
    with pytest.raises(NeoNotFound, match="^project: no project named 'Payments'"):
        resolve_ref(client, "Payments", "project")


# ---------------------------------------------------------------- tags: a list of strings, or nothing is guessed


@pytest.mark.parametrize("tags,expected", [
    (["prod", " eu "], frozenset({"prod", "eu"})), ([], frozenset()), (None, frozenset()),
    ("prod", None), ({"prod": True}, None), (["prod", 1], None), (["prod", None], None), ([["prod"]], None),
])
def test_current_tags_is_a_set_of_strings_or_none(tags, expected):
    assert current_tags({"id": PROD, "tags": tags}) == expected
    assert current_tags({"id": PROD}) is None  # not carried: not known to match anything


@pytest.mark.parametrize("tags,shape", [
    ("prod", "a string"), ({"prod": True}, "an object"), (["prod", 1], "a list holding a number"),
    (["prod", None], "a list holding null"), ([["prod"]], "a list holding a list"), (True, "a boolean"),
])
def test_directory_tags_that_are_not_a_list_of_strings_fail_naming_the_project(tags, shape):
    directory = ProjectDirectory([{"id": PROD, "name": "Production", "tags": tags}, {"id": STAGING, "name": "Staging", "tags": ["eu"]}])
    with pytest.raises(NeoApiError) as info:
        directory.tags(PROD)
    assert str(info.value) == ("project %s (Production): the API sent tags that are %s, not a list of strings: project_tags cannot be "
                               "decided for it" % (PROD, shape))
    assert info.value.reason == "invalid record" and info.value.status is None
    assert directory.tags(STAGING) == frozenset({"eu"})


def test_directory_tags_null_missing_or_unlisted_are_none():
    directory = ProjectDirectory([{"id": PROD, "name": "Production", "tags": None}, {"id": STAGING, "name": "Staging"}])
    assert directory.tags(PROD) == directory.tags(STAGING) == directory.tags(UNLISTED) == frozenset()
