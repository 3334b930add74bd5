# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_api_info (documented in plugins/modules).

The logic is plain Python in module_utils/_neo_probe.py; this plugin only hands the client an
observer, returns what the probe saw and writes it through PrivateFile. It sends GET requests
only, in check mode or not.
"""
from __future__ import annotations

import json

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_probe import ProbeRecorder, probe, render_markdown, summary
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_files import PrivateFile


class ActionModule(NeoActionBase):

    argument_spec: dict = {"report_path": {"type": "path"}, "markdown_path": {"type": "path"}}

    def client_options(self, params):
        self._recorder = ProbeRecorder()  # pylint: disable=attribute-defined-outside-init
        return {"observer": self._recorder}

    def run_neo(self, client, params, check_mode, diff, warn):
        files = {option: PrivateFile(params[option], option) for option in ("report_path", "markdown_path") if params[option]}
        for report in files.values():
            # A probe that fails must not leave an earlier run's files looking like its own.
            report.remove_stale()
        api, failure = probe(client, self._recorder)
        result = {"changed": False, "api": api, "markdown": render_markdown(api), "summary": summary(api)}
        if failure is not None:
            return dict(result, failed=True, msg=failure)
        texts = {"report_path": json.dumps(api, indent=2) + "\n", "markdown_path": result["markdown"]}
        result.update({option: report.write(texts[option], self.no_log_values) for option, report in files.items()})
        return result
