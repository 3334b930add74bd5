"""Fault injection: a queue of rules, each hitting a number of matching /api/ requests."""
from __future__ import annotations

import math
import threading
import time
from email.utils import formatdate

from neo_simulator.model import is_uuid
from neo_simulator.responses import default_code

FAULT_KINDS = ("status", "drop", "slow", "malformed", "redirect", "unknown_envelope", "deep_json", "shift", "endless", "trickle",
               "oversized", "rewrite", "answer_other", "ignore_id", "invisible", "move_to")
FAULT_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "*")
# Kinds that only make sense for GET of a list route: a broad rule must not be used up by a PATCH.
LIST_ONLY_KINDS = frozenset(("unknown_envelope", "shift", "endless"))
# Kinds that change what a request does or what its answer says, and let it take effect: every
# matching one fires (each uses one of its times), besides the one rule of another kind that may fire.
MODIFIER_KINDS = frozenset(("rewrite", "answer_other", "ignore_id", "invisible", "move_to"))
# Modifiers that only make sense for a write: a broad rule must not be used up by a list GET.
POST_ONLY_KINDS = frozenset(("ignore_id", "invisible", "move_to"))
WRITE_ONLY_KINDS = POST_ONLY_KINDS | {"answer_other"}
MAX_DEPTH = 10000000  # a deep_json body of 6 bytes per level is built in memory: at most about 60 MB
_HTTP_DATE_PREFIX = "http-date:"
_RULE_KEYS = {"kind", "method", "path", "times", "status", "retry_after", "code", "delay_s", "skip", "echo_credentials", "echo_body", "depth",
              "repeat_cursor", "chunked", "size_mb", "set", "unset", "match_name", "reads", "project_id",
              "top", "headers"}


class FaultError(ValueError):
    """A fault rule that cannot be used."""


class FaultRule:
    """One rule; ``skip`` counts down first (those requests pass untouched), then ``times`` as it fires."""

    def __init__(self, raw):
        if not isinstance(raw, dict):
            raise FaultError("each fault must be a JSON object")
        unknown = sorted(set(raw) - _RULE_KEYS)
        if unknown:
            raise FaultError("unknown fault key(s): %s" % ", ".join(unknown))
        self.kind = raw.get("kind")
        if self.kind not in FAULT_KINDS:
            raise FaultError("fault kind must be one of %s" % ", ".join(FAULT_KINDS))
        self.method = str(raw.get("method", "*")).upper()
        if self.method not in FAULT_METHODS:
            raise FaultError("fault method must be one of %s" % ", ".join(FAULT_METHODS))
        self.path = raw.get("path", "/api/")
        if not isinstance(self.path, str) or not self.path.startswith("/"):
            raise FaultError("fault path must be a string starting with /")
        self.times = _integer(raw.get("times", 1), "times", minimum=0)
        self.status = _integer(raw.get("status", 500), "status", minimum=100)
        if self.status > 599:
            raise FaultError("fault status must be at most 599")
        self.code = raw.get("code") or default_code(self.status)
        if not isinstance(self.code, str):
            raise FaultError("fault code must be a string")
        self.retry_after = _parse_retry_after(raw.get("retry_after"))
        self.delay_s = raw.get("delay_s", 1.0)
        if not _is_number(self.delay_s) or self.delay_s < 0:
            raise FaultError("fault delay_s must be a number of at least 0")
        self.skip = _integer(raw.get("skip", 0), "skip", minimum=0)
        self.echo_credentials = _boolean(raw.get("echo_credentials", False), "echo_credentials")
        self.echo_body = _boolean(raw.get("echo_body", False), "echo_body")
        self.depth = _integer(raw.get("depth", 100000), "depth", minimum=1)
        if self.depth > MAX_DEPTH:
            raise FaultError("fault depth must be at most %d" % MAX_DEPTH)
        self.repeat_cursor = _boolean(raw.get("repeat_cursor", False), "repeat_cursor")
        self.chunked = _boolean(raw.get("chunked", False), "chunked")
        self.size_mb = raw.get("size_mb", 70)
        if not _is_number(self.size_mb) or self.size_mb <= 0:
            raise FaultError("fault size_mb must be a number greater than 0")
        self.set = raw.get("set", {})
        if not isinstance(self.set, dict):
            raise FaultError("fault set must be an object of field names to JSON values")
        self.unset = raw.get("unset", [])
        if not isinstance(self.unset, list) or not all(isinstance(name, str) for name in self.unset):
            raise FaultError("fault unset must be a list of field names")
        self.top = raw.get("top", {})
        if not isinstance(self.top, dict):
            raise FaultError("fault top must be an object of top-level keys to JSON values")
        self.headers = raw.get("headers", {})
        if not isinstance(self.headers, dict) or not all(isinstance(value, str) and "\n" not in value + name and "\r" not in value + name
                                                         for name, value in self.headers.items()):
            raise FaultError("fault headers must be an object of header names to one-line strings")
        self.match_name = raw.get("match_name")
        if self.match_name is not None and not isinstance(self.match_name, str):
            raise FaultError("fault match_name must be a string or null")
        self.reads = _integer(raw.get("reads", 1), "reads", minimum=1)
        self.project_id = raw.get("project_id")
        if self.project_id is not None and not is_uuid(self.project_id):
            raise FaultError("fault project_id must be a UUID or null")

    def matches(self, method, path, is_list_route, later_page=False):
        """Whether this rule applies to the request (``skip`` not considered); a used-up rule never matches."""
        if self.times <= 0 or self.method not in ("*", method) or not path.startswith(self.path):
            return False
        if self.kind in LIST_ONLY_KINDS and not is_list_route:
            return False
        if self.kind in WRITE_ONLY_KINDS and method not in (("POST",) if self.kind in POST_ONLY_KINDS else ("POST", "PATCH")):
            return False
        # A shift is only visible on a page after the first: a first page passes and uses nothing up.
        return self.kind != "shift" or later_page

    def retry_after_header(self):
        """The Retry-After header value for this firing, or None."""
        if self.retry_after is None:
            return None
        kind, seconds = self.retry_after
        if kind == "date":
            return formatdate(time.time() + seconds, usegmt=True)
        return str(seconds)

    def as_dict(self):
        retry_after = None
        if self.retry_after is not None:
            kind, seconds = self.retry_after
            retry_after = _HTTP_DATE_PREFIX + str(seconds) if kind == "date" else str(seconds)
        return {"kind": self.kind, "method": self.method, "path": self.path, "times": self.times, "status": self.status,
                "retry_after": retry_after, "code": self.code, "delay_s": self.delay_s, "skip": self.skip,
                "echo_credentials": self.echo_credentials, "echo_body": self.echo_body, "depth": self.depth, "repeat_cursor": self.repeat_cursor,
                "chunked": self.chunked, "size_mb": self.size_mb, "set": dict(self.set), "unset": list(self.unset),
                "top": dict(self.top), "headers": dict(self.headers),
                "match_name": self.match_name, "reads": self.reads, "project_id": self.project_id}


def _integer(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FaultError("fault %s must be an integer of at least %d" % (name, minimum))
    return value


def _boolean(value, name):
    if not isinstance(value, bool):
        raise FaultError("fault %s must be true or false" % name)
    return value


def _is_number(value):
    # JSON allows Infinity and NaN (Python's decoder reads them); neither is a usable delay or size.
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _parse_retry_after(value):
    """None, ("seconds", n) or ("date", n): a delta-seconds header, or an HTTP-date n seconds ahead."""
    if value is None:
        return None
    kind, text = "seconds", value
    if isinstance(value, str) and value.startswith(_HTTP_DATE_PREFIX):
        kind, text = "date", value[len(_HTTP_DATE_PREFIX):]
    try:
        seconds = int(text)
    except (TypeError, ValueError):
        raise FaultError("fault retry_after must be seconds, \"http-date:<seconds>\" or null") from None
    if isinstance(text, bool) or seconds < 0:
        raise FaultError("fault retry_after must not be negative")
    return kind, seconds


class FaultQueue:
    """Thread-safe: take() finds and uses up a rule in one step, so two requests never share one firing
    (nor one skipped pass)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []
        self._hidden = {}  # created id -> [list scope, list reads it is still left out of] (invisible)

    def replace(self, raw_rules):
        if not isinstance(raw_rules, list):
            raise FaultError("faults must be a list")
        rules = [FaultRule(raw) for raw in raw_rules]
        with self._lock:
            self._rules = rules

    def clear(self):
        with self._lock:
            self._rules = []
            self._hidden = {}

    def hide(self, object_id, scope, reads):
        """Leave ``object_id`` out of the next ``reads`` list reads of ``scope`` (an invisible fault)."""
        with self._lock:
            self._hidden[object_id] = [scope, reads]

    def hidden_from(self, scope):
        """The ids a list read of ``scope`` leaves out; this read uses one of each one's reads up."""
        if not self._hidden:  # the common case needs no lock
            return frozenset()
        with self._lock:
            ids = [object_id for object_id, (hidden_scope, _reads) in self._hidden.items() if hidden_scope == scope]
            for object_id in ids:
                self._hidden[object_id][1] -= 1
                if self._hidden[object_id][1] <= 0:
                    del self._hidden[object_id]
            return frozenset(ids)

    def take(self, method, path, is_list_route, later_page=False):
        """The rule of a kind other than the modifiers that fires for this request (one of its
        ``times`` used up), or None.

        ``later_page``: the request is a list GET for a page after the first (for ``shift``).
        A rule that still has ``skip`` left lets the request pass (one skip used up) and the
        search goes on with the next rules, as if the skipping rule were not there.
        """
        return self._take(method, path, is_list_route, later_page, modifiers=False)

    def take_modifiers(self, method, path, is_list_route, later_page=False):
        """Every modifier rule (MODIFIER_KINDS) that fires for this request, in queue order, each
        with one of its ``times`` used up; ``skip`` works as for take()."""
        return self._take(method, path, is_list_route, later_page, modifiers=True)

    def _take(self, method, path, is_list_route, later_page, modifiers):
        if not self._rules:  # the common case needs no lock
            return [] if modifiers else None
        fired = []
        with self._lock:
            for rule in self._rules:
                if (rule.kind in MODIFIER_KINDS) == modifiers and rule.matches(method, path, is_list_route, later_page):
                    if rule.skip > 0:
                        rule.skip -= 1
                        continue
                    rule.times -= 1
                    if not modifiers:
                        return rule
                    fired.append(rule)
        return fired if modifiers else None

    def snapshot(self):
        with self._lock:
            return [rule.as_dict() for rule in self._rules]
