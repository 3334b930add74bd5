# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""The one create path: a POST that never makes two objects (secrets and projects alike; plain Python)."""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoApiError, may_have_reached_server


def create_once(post, find):
    """Create one object; returns ``(record, created)``.

    ``post()`` sends the POST and returns the API's answer, checked against what was asked;
    ``find()`` reads the scope again and returns the record there that is what was asked, or
    None. A POST is never sent blindly again: after a 409 (it exists) or a failure that may
    have reached the server, the scope is read again and what is there is adopted (created
    False only after a 409 to the first POST: someone else made it). Only when it is still
    absent after a failure that did not complete (5xx, dropped connection) is the POST sent once
    more; never after a 409, nor after a 2xx whose answer could not be used (the write was done).
    """
    first = True
    while True:
        try:
            return post(), True
        except NeoApiError as err:
            conflict = err.status == 409
            if not conflict and not may_have_reached_server(err):
                raise
            found = find()
            if found is not None:
                return found, not (conflict and first)
            if conflict or not first or (err.status is not None and err.status < 300):
                raise
            first = False
