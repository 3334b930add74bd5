# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_secret (documented in plugins/modules)."""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_secrets as secrets
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase


class ActionModule(NeoActionBase):

    argument_spec = {
        "id": {"type": "str"},
        "name": {"type": "str"},
        "project_id": {"type": "str"},
        "default_available": {"type": "bool", "required": True},
    }
    required_one_of = (("id", "name"),)

    def check_input(self, params):
        secrets.check_uuid("id", params["id"])
        secrets.check_uuid("project_id", params["project_id"])
        secrets.check_secret_name("name", params["name"])

    def run_neo(self, client, params, check_mode, diff, warn):
        record, searched = secrets.find_secret(client, secret_id=params["id"], name=params["name"], project_id=params["project_id"], warn=warn)
        if record is None:
            raise secrets.SecretNotFound(secrets.describe_missing(params["id"], params["name"], searched))
        changed, after = secrets.set_default_available(client, record, params["default_available"], check_mode)
        result = {"changed": changed, "secret": secrets.public_record(after)}
        if diff:
            result["diff"] = {"before": secrets.diff_view(record), "after": secrets.diff_view(after)}
        return result
