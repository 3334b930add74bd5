# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_secret (documented in plugins/modules)."""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_secrets as secrets
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoApiError, NeoNotFound
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import normalize_id, normalize_ref, resolve_ref, scope_label
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase


class ActionModule(NeoActionBase):

    argument_spec = {
        "id": {"type": "str"},
        "name": {"type": "str"},
        "project_id": {"type": "str"},
        "project": {"type": "str"},
        "default_available": {"type": "bool", "required": True},
        "value": {"type": "str", "no_log": True},
    }
    required_one_of = (("id", "name"),)
    mutually_exclusive = (("project", "project_id"),)
    required_by = {"value": "name"}

    def check_input(self, params):
        params["id"] = normalize_id("id", params["id"])
        params["project_id"] = normalize_id("project_id", params["project_id"])
        params["project"] = normalize_ref("project", params["project"])
        secrets.check_secret_name("name", params["name"])
        secrets.check_secret_value("value", params["value"])

    def run_neo(self, client, params, check_mode, diff, warn):
        project_id, pending = params["project_id"], None
        if params["project"] is not None:
            # In check mode a project named here may be created by an earlier task of the play.
            project_id = resolve_ref(client, params["project"], "project", missing_ok=check_mode)
            pending = params["project"] if project_id is None else None
        record = None
        if pending is None:
            try:
                record, searched = secrets.find_secret(client, secret_id=params["id"], name=params["name"], project_id=project_id, warn=warn)
            except NeoApiError as err:
                # A project created earlier in the same play does not exist in check mode (404 on its list).
                if params["project"] is None or not secrets.is_missing_project(err, check_mode):
                    raise
                pending = params["project"]
        if pending is not None:
            searched = ["project %s, which does not exist (yet)" % pending]
        if record is None and params["value"] is None:
            raise NeoNotFound(secrets.describe_missing(params["id"], params["name"], searched))
        # The same path as neo_secrets: one item, whose scope holds ``record`` or no secret of that name.
        item = {"name": params["name"], "value": params["value"], "default_available": params["default_available"]}
        status, before, after = secrets.ensure_secret(client, project_id, item, check_mode, [record] if record else [], scope_label(project_id))
        result = {"changed": status != secrets.STATUS_UNCHANGED, "created": status == secrets.STATUS_CREATED, "secret": secrets.public_record(after)}
        if before is not None and params["value"] is not None:
            # The API can neither read nor change a value: an existing secret keeps the one it has.
            result["value_ignored"] = True
            warn(secrets.values_not_sent_warning([params["name"]]))
        if pending is not None:
            result["msg"] = "would be created in project %s (not created yet)" % pending
        if diff:
            result["diff"] = {"before": {} if before is None else secrets.diff_view(before), "after": secrets.diff_view(after)}
        return result
