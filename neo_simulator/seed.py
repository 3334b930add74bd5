"""Seed files: load (JSON or YAML), validate into a normalized dict, and generate large seeds.

A normalized seed has every default filled in and every secret id assigned, so that resetting
the simulator to it twice gives identical state.
"""
from __future__ import annotations

import json
import random
import secrets as secrets_module
import string
import uuid

import yaml

from neo_simulator.model import API_KEY_PREFIX, is_uuid, name_problem, utc_now, value_problem

_USER_KEYS = {"name", "api_keys", "tokens"}
_PROJECT_KEYS = {"id", "name", "owner", "members", "viewers", "tags", "settings_md", "settings", "created_at"}
_SECRET_KEYS = {"id", "name", "value", "owner", "project_id", "default_available", "created_by_agent", "created_at"}
_TOP_KEYS = {"users", "projects", "secrets", "meta"}
_CREDENTIAL_ALPHABET = string.ascii_letters + string.digits

try:
    _YamlLoader = yaml.CSafeLoader
    _YamlDumper = yaml.CSafeDumper
except AttributeError:  # PyYAML built without libyaml
    _YamlLoader = yaml.SafeLoader
    _YamlDumper = yaml.SafeDumper


class SeedError(ValueError):
    """The seed is unusable; the message names the entry and the field at fault."""


def _is_yaml_path(path):
    return str(path).lower().endswith((".yml", ".yaml"))


def load_seed_file(path):
    """Read a seed file (YAML for .yml/.yaml, JSON otherwise) and return it normalized."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise SeedError("cannot read seed file %s: %s" % (path, exc.strerror)) from exc
    try:
        raw = yaml.load(text, Loader=_YamlLoader) if _is_yaml_path(path) else json.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        # The parser messages quote the offending line, which may hold a secret value.
        raise SeedError("seed file %s is not valid %s" % (path, "YAML" if _is_yaml_path(path) else "JSON")) from exc
    return normalize_seed(raw)


def write_seed(seed, path):
    """Write a seed as YAML (.yml/.yaml) or JSON (any other extension)."""
    with open(path, "w", encoding="utf-8") as handle:
        if _is_yaml_path(path):
            yaml.dump(seed, handle, Dumper=_YamlDumper, sort_keys=False, allow_unicode=True)
        else:
            json.dump(seed, handle, indent=1)
            handle.write("\n")


def _require(condition, where, message):
    if not condition:
        raise SeedError("%s: %s" % (where, message))


def _check_keys(entry, allowed, where):
    _require(isinstance(entry, dict), where, "must be a mapping")
    unknown = sorted(set(entry) - allowed)
    _require(not unknown, where, "unknown key(s) %s (allowed: %s)" % (", ".join(map(str, unknown)), ", ".join(sorted(allowed))))


def _string_list(entry, key, where):
    values = entry.get(key) or []
    _require(isinstance(values, list) and all(isinstance(v, str) and v for v in values), where, "%s must be a list of non-empty strings" % key)
    return list(values)


def _optional_bool(entry, key, where):
    value = entry.get(key, False)
    _require(isinstance(value, bool), where, "%s must be true or false" % key)
    return value


def _normalize_users(raw_users):
    _require(isinstance(raw_users, list) and raw_users, "users", "must be a non-empty list")
    users, credentials = [], set()
    for index, entry in enumerate(raw_users):
        where = "users[%d]" % index
        _check_keys(entry, _USER_KEYS, where)
        name = entry.get("name")
        _require(isinstance(name, str) and name, where, "name must be a non-empty string")
        _require(name not in {u["name"] for u in users}, where, "duplicate user name %r" % name)
        api_keys = _string_list(entry, "api_keys", where)
        tokens = _string_list(entry, "tokens", where)
        _require(all(k.startswith(API_KEY_PREFIX) for k in api_keys), where, "every api key must start with %s" % API_KEY_PREFIX)
        for credential in api_keys + tokens:
            # Never quote a credential in an error: the message may end up in a CI log.
            _require(credential not in credentials, where, "a credential is used twice")
            credentials.add(credential)
        users.append({"name": name, "api_keys": api_keys, "tokens": tokens})
    return users


def _normalize_projects(raw_projects, user_names, default_time):
    _require(isinstance(raw_projects, list), "projects", "must be a list")
    projects = []
    for index, entry in enumerate(raw_projects):
        where = "projects[%d]" % index
        _check_keys(entry, _PROJECT_KEYS, where)
        project_id = entry.get("id")
        _require(is_uuid(project_id), where, "id must be a UUID")
        project_id = project_id.lower()
        _require(project_id not in {p["id"] for p in projects}, where, "duplicate project id %s" % project_id)
        name = entry.get("name", "")
        _require(isinstance(name, str) and len(name) <= 128, where, "name must be a string of at most 128 characters")
        owner = entry.get("owner")
        _require(owner in user_names, where, "owner must be one of the users")
        members = _string_list(entry, "members", where)
        unknown = [m for m in members if m not in user_names]
        _require(not unknown, where, "unknown member(s) %s" % ", ".join(unknown))
        if owner not in members:  # the owner can always see the project
            members.insert(0, owner)
        # Viewers see the project listed (shared with their team) but are not members: its secrets answer 403.
        viewers = _string_list(entry, "viewers", where)
        _require(not set(viewers) & set(members), where, "a viewer cannot also be a member")
        _require(all(v in user_names for v in viewers), where, "viewers must be users")
        settings = entry.get("settings_md", entry.get("settings", ""))
        _require(isinstance(settings, str), where, "settings_md must be a string")
        created_at = entry.get("created_at", default_time)
        _require(isinstance(created_at, str), where, "created_at must be a string")
        projects.append({
            "id": project_id, "name": name, "owner": owner, "members": members, "viewers": viewers,
            "tags": _string_list(entry, "tags", where), "settings_md": settings, "created_at": created_at,
        })
    return projects


def _normalize_secret(entry, where, user_names, project_ids, default_time):
    _check_keys(entry, _SECRET_KEYS, where)
    secret_id = entry.get("id")
    if secret_id is None:
        secret_id = str(uuid.uuid4())
    _require(is_uuid(secret_id), where, "id must be a UUID")
    problem = name_problem(entry.get("name")) or value_problem(entry.get("value"))
    _require(problem is None, where, problem)
    _require(entry.get("owner") in user_names, where, "owner must be one of the users")
    project_id = entry.get("project_id")
    if project_id is not None:
        _require(is_uuid(project_id) and project_id.lower() in project_ids, where, "project_id must be null or the id of a project")
        project_id = project_id.lower()
    created_at = entry.get("created_at", default_time)
    _require(isinstance(created_at, str), where, "created_at must be a string")
    return {
        "id": secret_id.lower(), "name": entry["name"], "value": entry["value"], "owner": entry["owner"], "project_id": project_id,
        "default_available": _optional_bool(entry, "default_available", where),
        "created_by_agent": _optional_bool(entry, "created_by_agent", where),
        "created_at": created_at,
    }


def _normalize_secrets(raw_secrets, user_names, project_ids, default_time):
    _require(isinstance(raw_secrets, list), "secrets", "must be a list")
    result, ids, scoped_names = [], set(), set()
    for index, entry in enumerate(raw_secrets):
        where = "secrets[%d]" % index
        secret = _normalize_secret(entry, where, user_names, project_ids, default_time)
        _require(secret["id"] not in ids, where, "duplicate secret id %s" % secret["id"])
        ids.add(secret["id"])
        # Names are unique per project, and per owner among personal secrets.
        scoped_name = (secret["project_id"], None if secret["project_id"] else secret["owner"], secret["name"])
        _require(scoped_name not in scoped_names, where, "duplicate name %s in its scope" % secret["name"])
        scoped_names.add(scoped_name)
        result.append(secret)
    return result


def normalize_seed(raw):
    """Validate a seed mapping and return a copy with all defaults and ids filled in."""
    _check_keys(raw, _TOP_KEYS, "seed")
    default_time = utc_now()
    users = _normalize_users(raw.get("users"))
    user_names = {u["name"] for u in users}
    projects = _normalize_projects(raw.get("projects") or [], user_names, default_time)
    secrets = _normalize_secrets(raw.get("secrets") or [], user_names, {p["id"] for p in projects}, default_time)
    seed = {"users": users, "projects": projects, "secrets": secrets}
    if "meta" in raw:
        seed["meta"] = raw["meta"]
    return seed


def _random_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate_seed(projects=100, secrets_per_project=100, personal=10, drift=0.1, rng_seed=1, user="owner"):
    """A large seed: one user owning ``projects`` projects of ``secrets_per_project`` secrets each.

    Ids, the api key and which secrets have default_available true (a ``drift`` fraction of all
    secrets) follow from ``rng_seed``; values come from the OS random source so that they are
    never guessable, even knowing the seed number.
    """
    if min(projects, secrets_per_project, personal) < 0:
        raise ValueError("projects, secrets_per_project and personal must not be negative")
    if not 0 <= drift <= 1:
        raise ValueError("drift must be between 0 and 1")
    rng = random.Random(rng_seed)
    api_key = API_KEY_PREFIX + "".join(rng.choice(_CREDENTIAL_ALPHABET) for _unused in range(32))
    width = max(4, len(str(max(projects, secrets_per_project, personal))))
    project_list = [{
        "id": _random_uuid(rng), "name": "Project %0*d" % (width, number), "owner": user, "members": [user],
    } for number in range(1, projects + 1)]
    scopes = [(None, "PERSONAL", personal)] + [(p["id"], "SECRET", secrets_per_project) for p in project_list]
    secret_list = [{
        "id": _random_uuid(rng), "name": "%s_%0*d" % (prefix, width, number),
        "value": secrets_module.token_urlsafe(24), "owner": user, "project_id": project_id,
        "default_available": False,
    } for project_id, prefix, count in scopes for number in range(1, count + 1)]
    for index in rng.sample(range(len(secret_list)), round(drift * len(secret_list))):
        secret_list[index]["default_available"] = True
    return {
        "meta": {"generator": {"projects": projects, "secrets_per_project": secrets_per_project, "personal": personal,
                               "drift": drift, "rng_seed": rng_seed}},
        "users": [{"name": user, "api_keys": [api_key], "tokens": []}],
        "projects": project_list,
        "secrets": secret_list,
    }
