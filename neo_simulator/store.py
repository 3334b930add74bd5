"""In-memory Neo state (users, projects, secrets) and the rules of the secrets API.

Secret values are reduced to their masked form on the way in and never kept: nothing the
simulator stores can leak a value through a response, an admin endpoint or a log.
"""
from __future__ import annotations

import threading
import unicodedata
import uuid

from neo_simulator.model import is_uuid, mask_value, name_problem, utc_now, value_problem
from neo_simulator.responses import ApiError


class _Project:
    __slots__ = ("id", "name", "owner", "members", "viewers", "tags", "settings_md", "created_at", "updated_at", "shared")

    def __init__(self, entry):
        self.id = entry["id"]
        self.name = entry["name"]
        self.owner = entry["owner"]
        self.members = list(entry["members"])
        self.viewers = list(entry.get("viewers", ()))
        self.tags = list(entry["tags"])
        self.settings_md = entry["settings_md"]
        self.created_at = self.updated_at = entry["created_at"]
        # A seeded project with viewers is shared with the owner's team; PATCH shared_with_team sets it.
        self.shared = bool(self.viewers)

    def response(self, caller):
        return {
            "id": self.id, "name": self.name, "created_at": self.created_at, "updated_at": self.updated_at,
            "owner_email": "%s@example.test" % self.owner, "member_count": len(self.members),
            "is_owner": caller == self.owner, "tags": list(self.tags), "shared_with_team": self.shared,
            "settings_md": self.settings_md,
        }

    def admin_view(self):
        return {"id": self.id, "name": self.name, "owner": self.owner, "members": list(self.members),
                "viewers": list(self.viewers), "tags": list(self.tags), "settings_md": self.settings_md}


class _Secret:
    __slots__ = ("id", "name", "masked_value", "owner", "project_id", "default_available", "created_by_agent",
                 "created_at", "updated_at")

    def __init__(self, secret_id, name, value, owner, project_id, default_available, created_by_agent, created_at):
        self.id = secret_id
        self.name = name
        self.masked_value = mask_value(value)
        self.owner = owner
        self.project_id = project_id
        self.default_available = default_available
        self.created_by_agent = created_by_agent
        self.created_at = self.updated_at = created_at

    @property
    def scope(self):
        # Personal secrets are scoped to their owner, project secrets to their project.
        return ("project", self.project_id) if self.project_id else ("personal", self.owner)

    def response(self):
        return {
            "id": self.id, "name": self.name, "masked_value": self.masked_value,
            "default_available": self.default_available, "created_at": self.created_at,
            "updated_at": self.updated_at, "created_by_agent": self.created_by_agent, "project_id": self.project_id,
        }

    def admin_view(self):
        return {"id": self.id, "name": self.name, "project_id": self.project_id, "owner": self.owner,
                "default_available": self.default_available, "masked_value": self.masked_value,
                "created_by_agent": self.created_by_agent}


PROJECT_NAME_MAX_LENGTH = 128
SETTINGS_MAX_LENGTH = 35000
SETTINGS_TRUNCATED = "\n\n[truncated]"
MAX_TAGS = 20
TAG_MAX_LENGTH = 32


def _project_text(body, key, minimum=0, maximum=None):
    value = body[key]
    if not isinstance(value, str):
        raise ApiError(400, "%s must be a string" % key)
    if len(value) < minimum or (maximum is not None and len(value) > maximum):
        raise ApiError(400, "%s must be %d to %d characters" % (key, minimum, maximum))
    return value


def _settings(body):
    text = _project_text(body, "settings_md")
    return text if len(text) <= SETTINGS_MAX_LENGTH else text[:SETTINGS_MAX_LENGTH] + SETTINGS_TRUNCATED


def _tags(body, strict_items):
    """The documented tag rules: each tag trimmed; a tag that is then empty, over 32 characters or
    holds a control character is dropped, as is a repeated one; the first 20 are kept.

    The docs say what a tag must be, not whether a request breaking it is refused or cleaned up:
    the simulator cleans up (a request its schema allows is never refused). With
    ``strict_items`` (PATCH, whose schema says each item is 1 to 32 characters) an item outside
    that length, before trimming, is a 400.
    """
    tags = body["tags"]
    if not isinstance(tags, list):
        raise ApiError(400, "tags must be a list of strings")
    kept = []
    for tag in tags:
        if not isinstance(tag, str):
            raise ApiError(400, "tags must be a list of strings")
        if strict_items and not 1 <= len(tag) <= TAG_MAX_LENGTH:
            raise ApiError(400, "each tag must be 1 to %d characters" % TAG_MAX_LENGTH)
        tag = tag.strip()
        if tag and len(tag) <= TAG_MAX_LENGTH and not _has_control(tag) and tag not in kept:
            kept.append(tag)
    return kept[:MAX_TAGS]


def _has_control(text):
    return any(unicodedata.category(character) == "Cc" for character in text)


def _optional_bool(body, key):
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise ApiError(400, "%s must be a boolean" % key)
    return value


class Store:
    """All Neo state of one simulator; every public method is atomic under one lock."""

    def __init__(self, seed):
        """``seed`` must be normalized (neo_simulator.seed.normalize_seed)."""
        self._lock = threading.Lock()
        self._user_count = len(seed["users"])
        self._api_keys = {key: user["name"] for user in seed["users"] for key in user["api_keys"]}
        self._tokens = {token: user["name"] for user in seed["users"] for token in user["tokens"]}
        self._projects = {entry["id"]: _Project(entry) for entry in seed["projects"]}
        self._secrets = {}
        self._scopes = {}  # scope -> {name: secret}, in creation order
        for entry in seed["secrets"]:
            self._add(_Secret(entry["id"], entry["name"], entry["value"], entry["owner"], entry["project_id"],
                              entry["default_available"], entry["created_by_agent"], entry["created_at"]))

    def _add(self, secret):
        self._secrets[secret.id] = secret
        self._scopes.setdefault(secret.scope, {})[secret.name] = secret

    def authenticate(self, api_key, token):
        """The user name a credential belongs to, or None."""
        if api_key is not None:
            return self._api_keys.get(api_key)
        if token is not None:
            return self._tokens.get(token)
        return None

    def _readable_project(self, caller, project_id):
        if not is_uuid(project_id):
            raise ApiError(400, "project_id must be a UUID")
        project = self._projects.get(project_id.lower())
        if project is None:
            raise ApiError(404, "project not found")
        if caller not in project.members:
            raise ApiError(403, "not a member of this project")
        return project

    def list_projects(self, caller, window):
        """(total, page) of the projects ``caller`` is a member of."""
        with self._lock:
            visible = [p for p in self._projects.values() if caller in p.members or caller in p.viewers]
            return len(visible), [p.response(caller) for p in window.slice(visible)]

    def list_secrets(self, caller, project_id, window):
        """(total, page) of the caller's personal secrets, or of one project's secrets."""
        with self._lock:
            if project_id is None:
                scope = ("personal", caller)
            else:
                scope = ("project", self._readable_project(caller, project_id).id)
            secrets = list(self._scopes.get(scope, {}).values())
            return len(secrets), [s.response() for s in window.slice(secrets)]

    def create_secret(self, caller, body, duplicate_policy):
        """Create a secret from a POST body; returns its SecretResponse."""
        problem = name_problem(body.get("name")) if "name" in body else "name is required"
        if problem is None:
            problem = value_problem(body.get("value")) if "value" in body else "value is required"
        if problem is not None:
            raise ApiError(400, problem)
        default_available = _optional_bool(body, "default_available")
        created_by_agent = _optional_bool(body, "created_by_agent")
        project_id = body.get("project_id")
        # The schema types project_id as a string: null is refused; a personal secret leaves it out.
        if "project_id" in body and not isinstance(project_id, str):
            raise ApiError(400, "project_id must be a UUID")
        with self._lock:
            project = self._readable_project(caller, project_id) if project_id is not None else None
            secret = _Secret(str(uuid.uuid4()), body["name"], body["value"], caller, project.id if project else None,
                             default_available, created_by_agent, utc_now())
            taken = self._scopes.get(secret.scope, {})
            if secret.name in taken:
                if duplicate_policy == "conflict":
                    raise ApiError(409, "a secret named %s already exists in this scope" % secret.name)
                secret.name = _free_name(secret.name, taken)
            self._add(secret)
            return secret.response()

    def update_secret(self, caller, secret_id, body):
        """Apply a PATCH body to one secret; returns its SecretResponse."""
        if not is_uuid(secret_id):
            raise ApiError(400, "id must be a UUID")
        if "default_available" not in body:
            raise ApiError(400, "default_available is required")
        desired = body["default_available"]
        if desired is not None and not isinstance(desired, bool):
            raise ApiError(400, "default_available must be a boolean or null")
        with self._lock:
            secret = self._secrets.get(secret_id.lower())
            # Another user's personal secret answers 404, like an unknown id, so that ids of
            # personal secrets cannot be probed.
            if secret is None or (secret.project_id is None and secret.owner != caller):
                raise ApiError(404, "secret not found")
            if secret.project_id is not None and caller not in self._projects[secret.project_id].members:
                raise ApiError(403, "not a member of this project")
            if desired is not None:  # null is allowed by the spec; its effect is undocumented: no change
                secret.default_available = desired
            # updated_at tracks the value, which no API call can change, so it stays as it is.
            return secret.response()

    def create_project(self, caller, body):
        """Create a project owned by the caller (POST /api/v1/projects); returns its record."""
        project_id = body.get("id")
        if "id" in body and not is_uuid(project_id):
            raise ApiError(400, "id must be a UUID")
        entry = {"id": (project_id or str(uuid.uuid4())).lower(), "name": "", "owner": caller, "members": [caller],
                 "tags": [], "settings_md": "", "created_at": utc_now()}
        if "name" in body:
            entry["name"] = _project_text(body, "name", 0, PROJECT_NAME_MAX_LENGTH)
        if "settings_md" in body:
            entry["settings_md"] = _settings(body)
        if "tags" in body:
            entry["tags"] = _tags(body, strict_items=False)
        if "type" in body and not isinstance(body["type"], str):
            raise ApiError(400, "type must be a string")
        with self._lock:
            if entry["id"] in self._projects:
                raise ApiError(409, "a project with this id already exists")
            project = self._projects[entry["id"]] = _Project(entry)
            return project.response(caller)

    def update_project(self, caller, project_id, body):
        """Apply a PATCH body to a project the caller owns; returns its record."""
        changes = {}
        if "name" in body:
            changes["name"] = _project_text(body, "name", 1, PROJECT_NAME_MAX_LENGTH)
        if "settings_md" in body:
            changes["settings_md"] = _settings(body)
        if "tags" in body:
            changes["tags"] = _tags(body, strict_items=True)
        if "shared_with_team" in body:
            if not isinstance(body["shared_with_team"], bool):
                raise ApiError(400, "shared_with_team must be a boolean")
            changes["shared"] = body["shared_with_team"]
        with self._lock:
            project = self._projects.get(project_id.lower()) if is_uuid(project_id) else None
            if project is None or (caller not in project.members and caller not in project.viewers):
                raise ApiError(404, "project not found")
            if project.owner != caller:
                raise ApiError(403, "only the project owner may change it")
            for key, value in changes.items():
                setattr(project, key, value)
            if changes:
                project.updated_at = utc_now()
            return project.response(caller)

    def snapshot(self):
        with self._lock:
            return {"projects": [p.admin_view() for p in self._projects.values()],
                    "secrets": [s.admin_view() for s in self._secrets.values()]}

    def counts(self):
        with self._lock:
            return {"users": self._user_count, "projects": len(self._projects), "secrets": len(self._secrets)}


def _free_name(name, taken):
    """NAME_2, NAME_3, ...: the first free name, as the Neo web UI does for duplicates."""
    number = 2
    while "%s_%d" % (name, number) in taken:
        number += 1
    return "%s_%d" % (name, number)
