# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: write every task result of a playbook run as JSON lines.

The functional tests read the file named by NEO_TEST_RESULTS to assert on exact results,
while the stdout callback stays the default one (which the leak tests scan).
"""
from __future__ import annotations

DOCUMENTATION = r"""
name: neo_test_results
type: notification
short_description: Write task results as JSON lines to the file in NEO_TEST_RESULTS (tests only)
description:
  - Test helper of projectdiscovery.neo; not shipped.
requirements:
  - enable in configuration
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "neo_test_results"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, status, result):
        path = os.environ.get("NEO_TEST_RESULTS")
        if not path:
            return
        entry = {"task": result._task.get_name(), "status": status, "result": result._result}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._record("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record("failed", result)

    def v2_runner_on_skipped(self, result):
        self._record("skipped", result)
