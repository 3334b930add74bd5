# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_secrets (documented in plugins/modules)."""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_policy as policy
from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_secrets as secrets
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoApiError, NeoError, NeoInputError, plural
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ProjectDirectory, normalize_ref, resolve_ref, scope_label
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
        "unmanaged": {"type": "str", "default": "ignore", "choices": ["ignore", "warn", "fail"]},
        # Compared with the listed flags, never applied: the rules neo_secret_policy applies to this scope's other secrets
        # (their sub-options are validated as that module validates them, in check_input).
        "policy_rules": {"type": "list", "elements": "dict", "default": []},
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
        params["policy_rules"] = policy.policy_from_args({"policy_rules": params["policy_rules"]}, rules_option="policy_rules")[0]

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
        unmanaged = secrets.unmanaged_names(records, params["secrets"])
        if unmanaged and params["unmanaged"] == "fail":
            # Known from the read alone: fail before any write.
            raise NeoError(secrets.unmanaged_message(unmanaged, scope_label(project_id)) + " (unmanaged: fail); nothing was written")
        if unmanaged and params["unmanaged"] == "warn":
            warn(secrets.unmanaged_message(unmanaged, scope_label(project_id)))
        if params["policy_rules"]:
            found = secrets.listed_contradictions(params["secrets"], secrets.records_by_name(records),
                                                  policy.decider(self._rules_covering(client, project_id, params["policy_rules"])))
            if found:
                warn(secrets.contradictions_warning(found, "policy_rules"))
        entries = secrets.ensure_secrets(client, project_id, params["secrets"], check_mode, records)
        summary = secrets.summarize_secrets(entries)
        result = {
            "changed": bool(summary["created"] or summary["changed"]),
            "secrets": entries,
            "summary": summary,
            "unmanaged": unmanaged,
        }
        values_not_sent = secrets.values_not_sent_warning(summary["values_not_sent"])
        if values_not_sent is not None:
            warn(values_not_sent)
        if pending is not None:
            result["msg"] = "project %s does not exist yet: %s would be created in it (not created yet)" % (pending, plural(len(summary["created"]), "secret"))
        if diff:
            result["diff"] = {"prepared": secrets.secrets_diff(entries, check_mode)}
        failure = secrets.failure_message(entries)
        if failure is not None:
            result.update(failed=True, msg=failure)
        return result

    @staticmethod
    def _rules_covering(client, project_id, rules):
        """The rules that cover this scope: a rule with project_tags covers only a project that has one of them (read only then)."""
        if not any(rule.project_tags for rule in rules):
            return rules
        tags = ProjectDirectory(client.list_projects()).tags(project_id) if project_id is not None else set()
        return [rule for rule in rules if not rule.project_tags or tags & set(rule.project_tags)]
