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
    """Base of every error written for the user; ``str()`` is the one-line message.

    ``reason`` is a stable, short text (one of the ``REASON_*`` below, never the API's words) for
    code that sorts failures: the policy's accounting, the API probe, the event source. A failure
    travels as the error itself; nothing parses its message.
    """

    def __init__(self, message, reason=None):
        super().__init__(message)
        self.message = message
        self.reason = reason

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


# Stable reasons. None where ``status`` (an HTTP error) or the message says it all.
REASON_NOT_ATTEMPTED = "not attempted"  # never sent: the API had rejected the credentials earlier in this run
REASON_NOT_SENT = "not sent"  # the request surely never reached the server (no connection could be made)
REASON_TRANSPORT = "transport"  # the connection failed or timed out after the request may have reached the server
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

    ``status``: the HTTP status (None when there was no answer); ``code`` and ``error_id``: the
    stable machine code and the correlation id of an ErrorResponse; ``reason``: see above.
    """

    def __init__(self, message, status=None, code=None, error_id=None, reason=None):
        super().__init__(message, reason)
        self.status = status
        self.code = code
        self.error_id = error_id


def may_have_reached_server(err):
    """Whether a failed write may still have been carried out (so it must never be sent again blindly).

    True for a 5xx, for a 2xx whose answer could not be used (the write was done), and for a
    connection that failed after the request may have been sent; false for a 4xx (the API refused
    it) and for a request that was never sent.
    """
    if not isinstance(err, NeoApiError):
        return False
    if err.status is not None:
        return err.status >= 500 or 200 <= err.status < 300
    return err.reason == REASON_TRANSPORT
