"""HTTP replies and the Neo ErrorResponse body."""
from __future__ import annotations

import json
import secrets
from http import HTTPStatus

# code -> (error, kind) for the codes the Neo docs name; message is "<kind>: <detail>".
_ERROR_TEXT = {
    "invalid_request": ("Bad Request", "invalid request"),
    "unauthorized": ("Unauthorized", "unauthorized request"),
    "forbidden": ("Forbidden", "forbidden request"),
    "not_exists": ("Not Found", "not exists"),
    "method_not_allowed": ("Method Not Allowed", "invalid request"),
    "already_exists": ("Conflict", "already exists"),
    "proxy_auth_required": ("Proxy Authentication Required", "proxy authentication required"),
    "rate_limited": ("Too Many Requests", "rate limited"),
    "internal": ("Internal Server Error", "internal error"),
}
_CODE_BY_STATUS = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_exists", 405: "method_not_allowed",
                   407: "proxy_auth_required", 409: "already_exists", 429: "rate_limited"}


def default_code(status):
    """The error code the simulator uses for ``status`` when nothing more specific applies."""
    if status in _CODE_BY_STATUS:
        return _CODE_BY_STATUS[status]
    return "internal" if status >= 500 else "invalid_request"


def encode_json(payload):
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class BodyStream:
    """A body sent piece by piece instead of in one write (trickle and oversized faults).

    ``pieces`` is a zero-argument callable returning an iterable of bytes; ``length`` is the
    Content-Length, or None to send the pieces as chunks (Transfer-Encoding: chunked), one
    chunk per piece; ``pause_s`` is the wait before each piece.
    """

    __slots__ = ("pieces", "length", "pause_s")

    def __init__(self, pieces, length=None, pause_s=0):
        self.pieces = pieces
        self.length = length
        self.pause_s = pause_s


class Reply:
    """One HTTP response; ``drop`` means close the connection without answering.

    ``stream`` (a BodyStream), when set, replaces ``body``: the head goes out at once, the body
    piece by piece.
    """

    __slots__ = ("status", "body", "headers", "drop", "delay_s", "stream")

    def __init__(self, status, body=b"", headers=(), drop=False, delay_s=0, stream=None):
        self.status = status
        self.body = body
        self.headers = list(headers)
        self.drop = drop
        self.delay_s = delay_s  # wait this long before sending (a slow fault); the request is already applied
        self.stream = stream


DROP = Reply(0, drop=True)


def json_reply(status, payload, headers=()):
    return Reply(status, encode_json(payload), headers)


def error_payload(status, code, detail):
    error, kind = _ERROR_TEXT.get(code, (_phrase(status), code.replace("_", " ")))
    return {"error": error, "code": code, "kind": kind, "message": "%s: %s" % (kind, detail), "error_id": secrets.token_hex(8)}


def error_reply(status, code, detail, headers=()):
    return json_reply(status, error_payload(status, code, detail), headers)


def method_not_allowed(allowed):
    return error_reply(405, "method_not_allowed", "method not allowed; allowed: %s" % ", ".join(allowed), [("Allow", ", ".join(allowed))])


def _phrase(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ApiError(Exception):
    """Raised by request handlers; turned into an ErrorResponse reply."""

    def __init__(self, status, detail, code=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or default_code(status)

    def reply(self):
        return error_reply(self.status, self.code, self.detail)


def parse_json_object(body, what="request body"):
    """Decode a JSON object request body or raise a 400 ApiError."""
    if not body:
        raise ApiError(400, "%s is required" % what)
    try:
        payload = json.loads(body)
    except ValueError:
        # The decoder's message can quote the body, which may carry a secret value.
        raise ApiError(400, "%s is not valid JSON" % what) from None
    if not isinstance(payload, dict):
        raise ApiError(400, "%s must be a JSON object" % what)
    return payload
