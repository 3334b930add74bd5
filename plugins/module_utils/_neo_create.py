# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""The one create path: a POST that never makes two objects (secrets and projects alike; plain Python)."""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_client
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import (
    REASON_INVALID_RECORD,
    NeoApiError,
    NeoStateError,
    may_have_reached_server,
)

# Seconds between the reads of the scope after a 2xx whose answer could not be used: an API may list
# a new object a moment after it answered, and the object exists, so it is awaited, never POSTed again.
VISIBILITY_WAITS = (1.0, 2.0)


def unconfirmed(message):
    """The error of a create the API answered (2xx) with a record that cannot show what was asked:
    the write was done, so create_once reads the scope for it and never POSTs again."""
    return NeoApiError(message, status=_neo_client.NeoClient.CREATED, reason=REASON_INVALID_RECORD)


def create_once(post, find, what):
    """Create one object; returns ``(record, created)``.

    ``post()`` sends the POST and returns the API's answer, checked against what was asked (a
    mismatch is a NeoStateError, and nothing more is written); ``find()`` reads the scope again
    and returns the record there that is what was asked, or None; ``what`` names the object and
    its scope in a message. A POST is never sent blindly again: after a 409 (it exists) or a
    failure that may have reached the server, the scope is read again and what is there is
    adopted (created False only after a 409 to the first POST: someone else made it). After a
    2xx whose answer could not be used the object exists: the scope is read, then read again
    after each of VISIBILITY_WAITS, and still absent it is a NeoStateError (created, but not
    visible yet). Only when it is still absent after a failure that did not complete (5xx,
    dropped connection) is the POST sent once more; never after a 409, nor after a 2xx.
    """
    first = True
    while True:
        try:
            return post(), True
        except NeoApiError as err:
            if err.status is not None and 200 <= err.status < 300:
                return _await_created(find, what, err), True
            conflict = err.status == 409
            if not conflict and not may_have_reached_server(err):
                raise
            found = find()
            if found is not None:
                return found, not (conflict and first)
            if conflict or not first:
                raise
            first = False


def _await_created(find, what, err):
    """The record of an object the API said it created, once its scope lists it; NeoStateError when it never does."""
    for wait in (0.0,) + VISIBILITY_WAITS:
        if wait:
            # The client module's one sleep, which the tests replace.
            _neo_client._sleep(wait)  # pylint: disable=protected-access
        found = find()
        if found is not None:
            return found
    raise NeoStateError("%s: created, but not visible yet: the API answered the POST (%s), and %d reads of the scope since do not show it; "
                        "it is not POSTed again (that could make two): run again once the API lists it" % (what, err, len(VISIBILITY_WAITS) + 1))
