# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_project_info (documented in plugins/modules)."""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoAmbiguousError
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_project_state import public_project
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ProjectDirectory, canonical_id, normalize_id
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
        if params["id"] is not None:
            projects = [p for p in projects if canonical_id(p["id"]) == params["id"]]
        elif params["name"] is not None:
            # By name only (a name may look like an id); none is an empty list, several an error.
            named = ProjectDirectory(projects).named(params["name"])
            if len(named) > 1:
                raise NeoAmbiguousError("name: project name %r matches %d projects (%s); use id instead"
                                        % (params["name"], len(named), ", ".join(named)))
            projects = [p for p in projects if canonical_id(p["id"]) in named]
        return {"changed": False, "projects": [public_project(p) for p in projects]}
