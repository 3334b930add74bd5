# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_secrets (documented in plugins/modules)."""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_secrets as secrets
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoApiError, NeoInputError, plural
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import normalize_ref, resolve_ref
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase


class ActionModule(NeoActionBase):

    argument_spec = {
        "project": {"type": "str"},
        "secrets": {
            "type": "list",
            "elements": "dict",
            "required": True,
            "options": {
                "name": {"type": "str", "required": True},
                "value": {"type": "str", "no_log": True},
                "default_available": {"type": "bool", "default": False},
            },
        },
    }

    def check_input(self, params):
        params["project"] = normalize_ref("project", params["project"])
        seen = {}
        for index, item in enumerate(params["secrets"]):
            secrets.check_secret_name("secrets[%d].name" % index, item["name"])
            secrets.check_secret_value("secrets[%d].value" % index, item["value"])
            if item["name"] in seen:
                raise NeoInputError("secrets[%d].name: %s is listed twice (also secrets[%d])" % (index, item["name"], seen[item["name"]]))
            seen[item["name"]] = index

    def run_neo(self, client, params, check_mode, diff, warn):
        project_id, pending = None, None
        if params["project"] is not None:
            # In check mode a project named here may be created by an earlier task of the play.
            project_id = resolve_ref(client, params["project"], "project", missing_ok=check_mode)
            pending = params["project"] if project_id is None else None
        records = None
        if pending is None:
            try:
                records = secrets.read_scope(client, project_id)
            except NeoApiError as err:
                # A project created earlier in the same play does not exist in check mode (404 on its list).
                if params["project"] is None or not secrets.is_missing_project(err, check_mode):
                    raise
                pending = params["project"]
        entries = secrets.ensure_secrets(client, project_id, params["secrets"], check_mode, records)
        summary = secrets.summarize_secrets(entries)
        result = {
            "changed": bool(summary["created"] or summary["changed"]),
            "secrets": entries,
            "summary": summary,
        }
        if pending is not None:
            result["msg"] = "project %s does not exist yet: %s would be created in it (not created yet)" % (pending, plural(len(summary["created"]), "secret"))
        if diff:
            result["diff"] = {"prepared": secrets.secrets_diff(entries, check_mode)}
        failure = secrets.failure_message(entries)
        if failure is not None:
            result.update(failed=True, msg=failure)
        return result
