# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_project_info (documented in plugins/modules)."""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_project_state import public_project
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ProjectDirectory, normalize_id
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase


class ActionModule(NeoActionBase):

    argument_spec = {
        "id": {"type": "str"},
        "name": {"type": "str"},
    }
    mutually_exclusive = (("id", "name"),)

    def check_input(self, params):
        params["id"] = normalize_id("id", params["id"])

    def run_neo(self, client, params, check_mode, diff, warn):
        projects = client.list_projects()
        if params["id"] is not None or params["name"] is not None:
            # By id, or by name only (a name may look like an id); none is an empty list, several names an error.
            record = ProjectDirectory(projects).lookup(params["id"], params["name"], "name", "use id instead")
            projects = [] if record is None else [record]
        return {"changed": False, "projects": [public_project(p) for p in projects]}
