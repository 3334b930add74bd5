# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_secret_info (documented in plugins/modules)."""
from __future__ import annotations

import fnmatch

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_policy as policy
from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_secrets as secrets
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase

ALL_PROJECTS = "*"


class ActionModule(NeoActionBase):

    argument_spec = {
        "personal": {"type": "bool"},
        "project_id": {"type": "str"},
        "projects": {"type": "list", "elements": "str"},
        "name": {"type": "str"},
        "default_available": {"type": "bool"},
    }
    mutually_exclusive = (("project_id", "projects"),)

    def check_input(self, params):
        secrets.check_uuid("project_id", params["project_id"])
        refs = params["projects"]
        if refs is not None:
            if any(not ref for ref in refs):
                raise secrets.SecretInputError("projects: every element must be a non-empty project id or name")
            if ALL_PROJECTS in refs and len(refs) > 1:
                raise secrets.SecretInputError("projects: '*' (every project) must be the only element")
        if not self._personal(params) and params["project_id"] is None and not refs:
            raise secrets.SecretInputError("nothing to read: personal is false and neither project_id nor projects names a project")

    @staticmethod
    def _personal(params):
        if params["personal"] is not None:
            return params["personal"]
        return params["project_id"] is None and params["projects"] is None

    def run_neo(self, client, params, check_mode, diff, warn):
        # Scopes in output order: None (personal) first, then the projects in list order.
        scopes = [None] if self._personal(params) else []
        names = {}
        if params["project_id"] is not None or params["projects"]:
            projects = client.list_projects()
            names = {p["id"]: p.get("name") for p in projects}
            if params["project_id"] is not None:
                # Read directly: the API answers 403 for a project the caller may not read.
                scopes.append(params["project_id"])
            elif params["projects"] == [ALL_PROJECTS]:
                scopes.extend(dict.fromkeys(p["id"] for p in projects))
            else:
                visible = policy.visible_projects(projects)
                refs = [policy.resolve_project_ref(ref, visible, "projects[%d]" % item) for item, ref in enumerate(params["projects"])]
                scopes.extend(dict.fromkeys(refs))

        found = []
        for project_id in scopes:
            records = client.list_secrets(project_id=project_id)
            scope_records = []
            for record in records:
                if params["name"] is not None and not fnmatch.fnmatchcase(record.get("name") or "", params["name"]):
                    continue
                if params["default_available"] is not None and record.get("default_available") is not params["default_available"]:
                    continue
                public = secrets.public_record(record)
                # The project of a secret is the scope it was listed in.
                public["project_id"] = project_id
                if project_id is not None:
                    public["project_name"] = names.get(project_id)
                scope_records.append(public)
            scope_records.sort(key=lambda r: (r.get("name") or "", r.get("id") or ""))
            found.extend(scope_records)
        return {"changed": False, "secrets": found}
