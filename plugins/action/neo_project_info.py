# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_project_info (documented in plugins/modules)."""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoAmbiguousError
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ProjectDirectory, canonical_id, normalize_id
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase

# The documented fields of a project record (openapi.yaml, schema Project): nothing else is returned.
PROJECT_RECORD_FIELDS = (
    "id", "name", "created_at", "updated_at", "owner_email", "member_count", "task_count", "settings_md",
    "shared_with_team", "shared_team_id", "tags", "is_owner", "issue_count", "issues_by_severity", "issues_by_status",
    "cap_percent_used", "cap_used_usd", "spending_cap_usd",
)


def public_project(record):
    """The allow-listed fields of an API project record; fields the API did not send are left out."""
    return {field: record[field] for field in PROJECT_RECORD_FIELDS if field in record}


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
