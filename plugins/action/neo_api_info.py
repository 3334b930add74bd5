# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_api_info (documented in plugins/modules).

The logic is plain Python in module_utils/_neo_probe.py; this plugin only hands the client an
observer and returns what the probe saw. It sends GET requests only, in check mode or not.
"""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_probe import ProbeRecorder, probe, render_markdown
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase


class ActionModule(NeoActionBase):

    argument_spec: dict = {}

    def client_options(self, params):
        self._recorder = ProbeRecorder()  # pylint: disable=attribute-defined-outside-init
        return {"observer": self._recorder}

    def run_neo(self, client, params, check_mode, diff, warn):
        api, failure = probe(client, self._recorder)
        result = {"changed": False, "api": api, "markdown": render_markdown(api)}
        if failure is not None:
            result.update(failed=True, msg=failure)
        return result
