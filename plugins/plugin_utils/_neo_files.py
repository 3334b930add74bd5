# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""The one way the collection writes a file on the controller (reports).

Every file passes the same redaction as the task result (the values of ``no_log`` options are
masked), is created private (mode 0600, never widened by a chmod), and appears atomically, so a
reader never sees half a file.
"""
from __future__ import annotations

import json
import os
import tempfile

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoInputError
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import redact


class PrivateFile:
    """A report file at ``path``; ``option`` (the option the user wrote) names it in errors.

    Construction checks the location, before any request: its directory must exist and the
    path must not be a directory.
    """

    def __init__(self, path, option):
        self.option = option
        self.path = os.path.abspath(os.path.expanduser(path))
        directory = os.path.dirname(self.path)
        if not os.path.isdir(directory):
            raise NeoInputError("%s: the directory %s does not exist" % (option, directory))
        if os.path.isdir(self.path):
            raise NeoInputError("%s: %s is a directory; give a file path" % (option, self.path))

    def remove_stale(self):
        """Remove the file an earlier run left, so that it can never pass for this run's report."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise NeoInputError("%s: cannot remove the previous report %s (%s)" % (self.option, self.path, err.strerror)) from None

    def write(self, text, no_log_values):
        """Write ``text`` with every ``no_log`` value masked; returns the path."""
        if no_log_values:
            # The text may be JSON, where a value's quotes and backslashes appear escaped.
            text = redact(text, set(no_log_values) | {json.dumps(value)[1:-1] for value in no_log_values if value})
        directory = os.path.dirname(self.path)
        handle, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(self.path), dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, self.path)
        except BaseException:
            os.unlink(temporary)
            raise
        return self.path
