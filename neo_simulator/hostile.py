"""Bodies of the faults that imitate a hostile or broken API: deep_json, endless, trickle, oversized."""
from __future__ import annotations

import itertools
import threading
import uuid

from neo_simulator.model import utc_now
from neo_simulator.responses import BodyStream

MIB = 1024 * 1024
_PIECE = MIB  # an oversized body goes out in pieces of this size: never more than this in memory
_OVERSIZED_HEAD = b'{"pad": "'
_OVERSIZED_TAIL = b'"}'
ENDLESS_MASK = "****"


def deep_json(depth):
    """``{"a":{"a":...1...}}`` nested ``depth`` levels: valid JSON that overflows a recursive decoder."""
    return b'{"a":' * depth + b"1" + b"}" * depth


def trickle(body, delay_s, chunked):
    """``body`` one byte at a time, ``delay_s`` before each; chunked transfer (one-byte chunks) or Content-Length."""
    def pieces():
        return (body[index:index + 1] for index in range(len(body)))
    return BodyStream(pieces, length=None if chunked else len(body), pause_s=delay_s)


def oversized(size_mb):
    """A ``{"pad": "xxx..."}`` body of ``size_mb`` MiB (at least the bare JSON), streamed in 1 MiB pieces."""
    size = max(int(size_mb * MIB), len(_OVERSIZED_HEAD) + len(_OVERSIZED_TAIL))
    padding = size - len(_OVERSIZED_HEAD) - len(_OVERSIZED_TAIL)

    def pieces():
        yield _OVERSIZED_HEAD
        block = b"x" * min(_PIECE, padding)
        left = padding
        while left > 0:
            piece = block if left >= len(block) else block[:left]
            yield piece
            left -= len(piece)
        yield _OVERSIZED_TAIL
    return BodyStream(pieces, length=size)


class EndlessRecords:
    """Fresh, valid, never repeated list items for the endless fault: ENDLESS_1, ENDLESS_2, ... (simulator-wide)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)

    def _next_numbers(self, count):
        with self._lock:
            return [next(self._numbers) for _unused in range(count)]

    def secrets(self, count, project_id):
        now = utc_now()
        return [{"id": str(uuid.uuid4()), "name": "ENDLESS_%d" % number, "masked_value": ENDLESS_MASK, "default_available": False,
                 "created_at": now, "updated_at": now, "created_by_agent": False, "project_id": project_id}
                for number in self._next_numbers(count)]

    def projects(self, count):
        now = utc_now()
        return [{"id": str(uuid.uuid4()), "name": "ENDLESS_%d" % number, "created_at": now, "updated_at": now,
                 "owner_email": "endless@example.test", "member_count": 1, "is_owner": False, "tags": [],
                 "shared_with_team": False, "settings_md": ""}
                for number in self._next_numbers(count)]
