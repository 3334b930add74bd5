"""List responses: which slice a request asks for, and the envelope it comes back in.

The Neo docs do not show the shape of list responses, so every plausible one can be served
(see docs/simulator.md); ``config.list_form`` and ``config.pagination`` pick one.
"""
from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs

from neo_simulator.responses import ApiError

_CURSOR_PREFIX = "offset:"


class Window:
    """The slice of a list one request reads: ``limit`` None means everything from ``start``."""

    __slots__ = ("start", "limit")

    def __init__(self, start=0, limit=None):
        self.start = start
        self.limit = limit

    def slice(self, items):
        return items[self.start:] if self.limit is None else items[self.start:self.start + self.limit]


def encode_cursor(offset):
    # Opaque on purpose: clients must hand back what they were given, not compute offsets.
    return base64.urlsafe_b64encode((_CURSOR_PREFIX + str(offset)).encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor):
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if text.startswith(_CURSOR_PREFIX):
            offset = int(text[len(_CURSOR_PREFIX):])
            if offset >= 0:
                return offset
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError(400, "cursor is not valid")


def _non_negative_int(params, name, default):
    values = params.get(name)
    if not values:
        return default
    try:
        number = int(values[-1])
    except ValueError:
        number = -1
    if number < 0:
        raise ApiError(400, "%s must be a non-negative integer" % name)
    return number


def parse_window(config, query):
    """The Window a list request asks for under the current pagination mode."""
    if config.pagination == "none":
        return Window()  # no pagination: limit/offset/cursor are ignored and everything is sent
    params = parse_qs(query) if query else {}
    limit = _non_negative_int(params, "limit", config.page_size)
    if limit == 0:
        raise ApiError(400, "limit must be at least 1")
    limit = min(limit, config.page_size)
    if config.pagination == "cursor":
        cursor = params.get("cursor", [""])[-1]
        return Window(decode_cursor(cursor) if cursor else 0, limit)
    return Window(_non_negative_int(params, "offset", 0), limit)


def envelope(config, collection, page, total, window):
    """Wrap one page of ``collection`` ("secrets" or "projects") items in the configured shape."""
    form = config.list_form
    if form == "bare":
        return page
    if form == "named":
        body = {collection: page, "count": total}
    elif form == "data":
        body = {"data": page, "total": total}
    else:
        body = {"items": page}
    end = window.start + len(page)
    if config.pagination in ("offset", "offset_total"):
        body.update(limit=window.limit, offset=window.start)
        if config.pagination == "offset":
            body["has_more"] = end < total
        else:
            body["total"] = total
    elif config.pagination == "cursor":
        body["next_cursor"] = encode_cursor(end) if end < total else None
    return body


def unknown_envelope(items):
    """The shape of the unknown_envelope fault: plausible-looking, but none the client knows."""
    return {"results": items, "next": None}


def is_later_page(config, query):
    """Whether a list request asks for a page after the first: an offset above 0, or any cursor.

    Under pagination ``none`` every request reads the whole list, so none is a later page.
    A malformed offset is not a later page (the request will answer 400 anyway).
    """
    if config.pagination == "none" or not query:
        return False
    params = parse_qs(query)
    if config.pagination == "cursor":
        return bool(params.get("cursor", [""])[-1])
    try:
        return int(params.get("offset", ["0"])[-1]) > 0
    except ValueError:
        return False


def endless_window(config, query):
    """The Window an endless fault serves: the requested one, always with a limit (page_size by default)."""
    try:
        window = parse_window(config, query)
    except ApiError:
        window = Window()
    return Window(window.start, window.limit or config.page_size)


def endless_envelope(config, collection, page, window, repeat_cursor=False):
    """A page that always says more is to come: has_more true, a total beyond it, or a next_cursor.

    Without pagination (and for list_form bare) it is a named envelope with ``has_more: true``;
    with ``repeat_cursor`` the next_cursor is the same string on every page.
    """
    end = window.start + len(page)
    total = end + max(len(page), 1)
    if config.pagination == "none":
        return {collection: page, "count": total, "has_more": True}
    body = envelope(config, collection, page, total, window)
    if config.pagination == "cursor" and repeat_cursor:
        body["next_cursor"] = encode_cursor(config.page_size)
    return body
