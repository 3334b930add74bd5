# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_project (documented in plugins/modules)."""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_project_state as state
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import canonical_id, scope_label
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase


class ActionModule(NeoActionBase):

    argument_spec = {
        "id": {"type": "str"},
        "name": {"type": "str"},
        "tags": {"type": "list", "elements": "str"},
        "settings_md": {"type": "str"},
        "shared_with_team": {"type": "bool"},
    }
    required_one_of = (("id", "name"),)

    def check_input(self, params):
        state.check_project_input(params)

    def run_neo(self, client, params, check_mode, diff, warn):
        outcome = state.ensure_project(client, params["id"], params["name"], state.desired_fields(params), check_mode, warn)
        result = {"changed": outcome.changed, "created": outcome.created, "project": state.public_project(outcome.after)}
        if diff and outcome.changed:
            header = scope_label(canonical_id(outcome.after.get("id")), outcome.after.get("name"))
            result["diff"] = state.project_diff(header, outcome.before, outcome.after, outcome.fields)
        return result
