"""Rules about secrets and ids shared by seed validation and the API handlers."""
from __future__ import annotations

import re
from datetime import datetime, timezone

NAME_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*\Z")
NAME_MAX_LENGTH = 128
VALUE_MAX_LENGTH = 10000
API_KEY_PREFIX = "neo_sk_"
# Canonical 8-4-4-4-12 form only: the API documents ids as format uuid, and accepting braces or
# missing dashes would let two spellings address one secret.
_UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_BULLETS = "\u2022" * 8
# Below this length first-3 + last-4 would reveal most of the value, so only bullets are shown.
_MASK_MIN_LENGTH = 12


def is_uuid(text):
    return isinstance(text, str) and _UUID_PATTERN.match(text) is not None


def mask_value(value):
    """Display form of a secret value: first 3 and last 4 characters around 8 bullets."""
    if len(value) < _MASK_MIN_LENGTH:
        return _BULLETS
    return value[:3] + _BULLETS + value[-4:]


def name_problem(name):
    """Why ``name`` is not a valid secret name, or None when it is."""
    if not isinstance(name, str):
        return "name must be a string"
    if not 1 <= len(name) <= NAME_MAX_LENGTH:
        return "name must be 1 to %d characters" % NAME_MAX_LENGTH
    if not NAME_PATTERN.match(name):
        return "name must match ^[A-Z][A-Z0-9_]*$"
    return None


def value_problem(value):
    """Why ``value`` is not a valid secret value, or None. Never quotes the value itself."""
    if not isinstance(value, str):
        return "value must be a string"
    if not 1 <= len(value) <= VALUE_MAX_LENGTH:
        return "value must be 1 to %d characters" % VALUE_MAX_LENGTH
    return None


def utc_now():
    """RFC 3339 timestamp with microseconds, as Go services usually emit."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
