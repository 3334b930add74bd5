# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_secret_info (documented in plugins/modules)."""
from __future__ import annotations

import fnmatch

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_secrets as secrets
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import REASON_NOT_ATTEMPTED, NeoApiError, NeoInputError
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ALL_PROJECTS, ProjectDirectory, normalize_id
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase


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
        params["project_id"] = normalize_id("project_id", params["project_id"])
        refs = params["projects"]
        if refs is not None:
            if any(not ref for ref in refs):
                raise NeoInputError("projects: every element must be a non-empty project id or name")
            if ALL_PROJECTS in refs and len(refs) > 1:
                raise NeoInputError("projects: '*' (every project) must be the only element")
        if not self._personal(params) and params["project_id"] is None and not refs:
            raise NeoInputError("nothing to read: personal is false and neither project_id nor projects names a project")

    @staticmethod
    def _personal(params):
        if params["personal"] is not None:
            return params["personal"]
        return params["project_id"] is None and params["projects"] is None

    def run_neo(self, client, params, check_mode, diff, warn):
        # Scopes in output order: None (personal) first, then the projects in list order.
        scopes = [None] if self._personal(params) else []
        every_project = params["projects"] == [ALL_PROJECTS]
        directory = ProjectDirectory([])
        if params["project_id"] is not None or params["projects"]:
            directory = ProjectDirectory(client.list_projects())
            if params["project_id"] is not None:
                # Read directly: the API answers 403 for a project the caller may not read.
                scopes.append(params["project_id"])
            else:
                scopes.extend(directory.resolve_all(ALL_PROJECTS if every_project else params["projects"], "projects"))

        found = []
        unreadable = []
        for project_id in scopes:
            try:
                records = secrets.read_scope(client, project_id, directory.name(project_id))
            except NeoApiError as err:
                # Under '*' a project the caller may list but not read is skipped and reported;
                # a project the task names explicitly must be readable.
                if not (every_project and err.status in (403, 404) and err.reason != REASON_NOT_ATTEMPTED):
                    raise
                unreadable.append({"id": project_id, "name": directory.name(project_id), "reason": str(err)})
                continue
            found.extend(self._matching(records, params, project_id, directory.name(project_id)))
        if unreadable:
            warn("skipped %d of %d projects whose secrets the caller may not read: %s"
                 % (len(unreadable), len(scopes) - (1 if self._personal(params) else 0), ", ".join(directory.label(item["id"]) for item in unreadable)))
        return {"changed": False, "secrets": found, "unreadable_projects": unreadable}

    @staticmethod
    def _matching(records, params, project_id, project_name):
        """The public records of one scope that pass the filters, sorted by name then id."""
        matching = []
        for record in records:
            if params["name"] is not None and not fnmatch.fnmatchcase(record.get("name") or "", params["name"]):
                continue
            if params["default_available"] is not None and record.get("default_available") is not params["default_available"]:
                continue
            public = secrets.public_record(record)
            # The project of a secret is the scope it was listed in.
            public["project_id"] = project_id
            if project_id is not None:
                public["project_name"] = project_name
            matching.append(public)
        matching.sort(key=lambda r: (r.get("name") or "", r.get("id") or ""))
        return matching
