# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_project_info (documented in plugins/modules)."""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_secrets as secrets
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
        secrets.check_uuid("id", params["id"])

    def run_neo(self, client, params, check_mode, diff, warn):
        projects = client.list_projects()
        if params["id"] is not None:
            wanted = params["id"].lower()
            projects = [p for p in projects if str(p.get("id", "")).lower() == wanted]
        elif params["name"] is not None:
            projects = [p for p in projects if p.get("name") == params["name"]]
            if len(projects) > 1:
                raise secrets.SecretNotFound("project name %r matches %d projects (%s); use id"
                                             % (params["name"], len(projects), ", ".join(str(p.get("id")) for p in projects)))
        return {"changed": False, "projects": [public_project(p) for p in projects]}
