# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""The one error family of the collection, and the text helper every message goes through.

Every failure a user is meant to read is a ``NeoError``: ``str(error)`` is one line, without
credentials, header values, request bodies or invisible format characters. The action base
class catches ``NeoError`` only; anything else is a bug and is reported with its traceback.

* ``NeoInputError``: bad task input, found before any request (``NeoConfigError`` for the
  connection options, ``PolicyError`` for the policy rules).
* ``NeoNotFound``: what the task names does not exist in the scopes read.
* ``NeoAmbiguousError``: a name matches several objects; an id is needed.
* ``NeoApiError``: an API call failed (status, transport, malformed answer, inconsistent list).
* ``NeoPermissionError``: the caller may not make the change (only a project's owner may change it).
* ``NeoStateError``: the API answered, but with a state other than the one asked for.
"""
from __future__ import annotations

import re
import unicodedata

MAX_DETAIL_CHARS = 300

# Controls (Cc), format characters (Cf: bidirectional overrides and isolates, zero-width and tag
# characters, marks) and line or paragraph separators (Zl, Zp): an API name such as
# "PROD\u202e_TOKEN" must not be able to make a table or a message say something else or
# break a row in two.
_UNSAFE_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))  # Cs: lone surrogates (JSON can carry them)
_ASCII_CONTROLS = re.compile("[\x00-\x1f\x7f]")
REPLACEMENT = "\ufffd"


def safe_text(text):
    """``text`` with control, invisible format and separator characters replaced by U+FFFD."""
    text = "" if text is None else str(text)
    if text.isascii():
        return _ASCII_CONTROLS.sub(REPLACEMENT, text)
    return "".join(REPLACEMENT if unicodedata.category(character) in _UNSAFE_CATEGORIES or character in "\ufffe\uffff" else character
                   for character in text)


def one_line(text, limit=MAX_DETAIL_CHARS):
    """Safe text on one line (whitespace folded), truncated to ``limit`` characters."""
    text = safe_text(" ".join(str("" if text is None else text).split()))
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def plural(count, word, plural_word=None):
    """``1 scope``, ``2 scopes`` (or ``plural_word``)."""
    return "%d %s" % (count, word if count == 1 else (plural_word or word + "s"))


class NeoError(Exception):
    """Base of every error written for the user; ``str()`` is the one-line message."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return self.message


class NeoInputError(NeoError, ValueError):
    """Bad task input, detected before any request is sent."""


class NeoConfigError(NeoInputError):
    """A connection option is missing or invalid."""


class PolicyError(NeoInputError):
    """Invalid policy; the message starts with the option path, e.g. ``rules[2].match``."""


class NeoNotFound(NeoError, LookupError):
    """What the task names is not in the scopes read."""


class NeoAmbiguousError(NeoError):
    """A name matches several objects where exactly one is needed."""


class NeoPermissionError(NeoError):
    """The caller may not make the change the task asks for (e.g. only a project's owner may change it)."""


class NeoStateError(NeoError, RuntimeError):
    """The API answered a write with a state other than the one asked for."""


# NeoApiError.reason: what was wrong with an answer the client refused, in its own words (never
# the API's), for programs that sort failures (the API probe). None for an HTTP error status or a
# failed transport, which ``status`` and ``detail`` describe.
REASON_UNRECOGNISED_LIST = "unrecognised list response"
REASON_INCONSISTENT_LIST = "inconsistent list (read twice)"
REASON_LIST_TIME_OUT = "list time-out"
REASON_TOO_MANY_PAGES = "too many pages"
REASON_INVALID_JSON = "invalid JSON"
REASON_EMPTY_BODY = "empty body"
REASON_BODY_TOO_LARGE = "body too large"
REASON_REDIRECTED = "redirected"
REASON_INVALID_RECORD = "invalid record"


class NeoApiError(NeoError):
    """A Neo API call failed.

    Attributes: ``status`` (HTTP status, None for transport failures), ``code`` (the stable
    machine code of ErrorResponse), ``error_id`` (correlation id), ``kind``, ``detail`` (human
    text), ``method``, ``path``, ``retries`` (retries done before giving up), ``sent``
    (False when the request was never sent, e.g. after the API rejected the credentials) and
    ``reason`` (one of the ``REASON_*`` texts when the client refused the answer, else None).
    """

    def __init__(self, message, status=None, code=None, error_id=None, detail=None, method=None, path=None, retries=0, kind=None,
                 sent=True, reason=None):
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.code = code
        self.error_id = error_id
        self.detail = detail
        self.method = method
        self.path = path
        self.retries = retries
        self.kind = kind
        self.sent = sent
