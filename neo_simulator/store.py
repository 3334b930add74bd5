"""In-memory Neo state (users, projects, secrets) and the rules of the secrets API.

Secret values are reduced to their masked form on the way in and never kept: nothing the
simulator stores can leak a value through a response, an admin endpoint or a log.
"""
from __future__ import annotations

import threading
import uuid

from neo_simulator.model import is_uuid, mask_value, name_problem, utc_now, value_problem
from neo_simulator.responses import ApiError


class _Project:
    __slots__ = ("id", "name", "owner", "members", "viewers", "tags", "settings_md", "created_at", "updated_at")

    def __init__(self, entry):
        self.id = entry["id"]
        self.name = entry["name"]
        self.owner = entry["owner"]
        self.members = list(entry["members"])
        self.viewers = list(entry.get("viewers", ()))
        self.tags = list(entry["tags"])
        self.settings_md = entry["settings_md"]
        self.created_at = self.updated_at = entry["created_at"]

    def response(self, caller):
        return {
            "id": self.id, "name": self.name, "created_at": self.created_at, "updated_at": self.updated_at,
            "owner_email": "%s@example.test" % self.owner, "member_count": len(self.members),
            "is_owner": caller == self.owner, "tags": list(self.tags), "shared_with_team": bool(self.viewers),
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
        if project_id is not None and not isinstance(project_id, str):
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
