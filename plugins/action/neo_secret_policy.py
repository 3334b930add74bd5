# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_secret_policy (documented in plugins/modules)."""
from __future__ import annotations

import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_policy as policy
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_client import NeoApiError
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_secrets import SecretInputError
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase

MAX_CONCURRENCY = 32


def report_location(path):
    """The absolute path of the report; its directory must exist."""
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.isdir(os.path.dirname(path)):
        raise SecretInputError("report_path: the directory %s does not exist" % os.path.dirname(path))
    return path


def write_report(path, report):
    """Write the JSON report atomically, so a reader never sees half a file."""
    path = report_location(path)
    directory = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(prefix=".neo-policy-report-", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(report, stream, indent=2, sort_keys=True)
            stream.write("\n")
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path


class ActionModule(NeoActionBase):

    argument_spec = {
        "rules": {
            "type": "list",
            "elements": "dict",
            "required": True,
            "options": {
                "match": {"type": "list", "elements": "str", "required": True},
                "projects": {"type": "raw", "default": policy.ALL_PROJECTS},
                "personal": {"type": "bool", "default": False},
                "default_available": {"type": "bool", "required": True},
            },
        },
        "concurrency": {"type": "int", "default": 8},
        "report_path": {"type": "path"},
        "list_compliant": {"type": "bool", "default": False},
        "publish_summary_as": {"type": "str"},
    }

    def check_input(self, params):
        params["rules"] = policy.normalize_rules(params["rules"])
        if not 1 <= params["concurrency"] <= MAX_CONCURRENCY:
            raise SecretInputError("concurrency: must be between 1 and %d (got %d)" % (MAX_CONCURRENCY, params["concurrency"]))
        if params["report_path"]:
            # Checked before any request too, so that a typo does not cost a whole run.
            report_location(params["report_path"])

    @staticmethod
    def _report_text(not_compliant, summary, check_mode):
        """The table of what is not compliant, closed by the counts (what the role shows)."""
        counts = " ".join("%s=%d" % (key, summary[key]) for key in ("projects", "checked", "compliant", "drifted", "changed", "failed"))
        return "%s\n%s: %s" % (policy.render_table(not_compliant), "drift report (check mode)" if check_mode else "policy applied", counts)

    def client_options(self, params):
        return {"pool_size": params["concurrency"]}

    def run_neo(self, client, params, check_mode, diff, warn):
        rules = params["rules"]
        projects = client.list_projects()
        scopes = policy.scopes_for_rules(rules, projects)

        def read_scope(scope_key):
            try:
                return client.list_secrets(project_id=scope_key)
            except NeoApiError as err:
                return policy.ScopeFailure(str(err))

        def write(entry):
            try:
                after = client.update_secret(entry["secret_id"], entry["after"])
            except NeoApiError as err:
                return entry["secret_id"], {"ok": False, "error": str(err)}
            return entry["secret_id"], {"ok": True, "default_available": after.get("default_available")}

        with ThreadPoolExecutor(max_workers=params["concurrency"]) as pool:
            secrets_by_scope = dict(zip(scopes.keys, pool.map(read_scope, scopes.keys)))
            plan = policy.build_plan(rules, projects, secrets_by_scope)
            outcomes = {} if check_mode else dict(pool.map(write, plan.changes))

        entries = policy.apply_results(plan, outcomes, check_mode=check_mode)
        summary = policy.summarize(entries, plan.projects_count)
        not_compliant = [entry for entry in entries if entry["status"] != policy.STATUS_COMPLIANT]
        # Every entry costs Ansible time in each pass over the result (about 0.15 ms per entry and
        # pass on the CI machine): compliant secrets are counted, and listed only on request.
        report = {"summary": summary, "entries": entries if params["list_compliant"] else not_compliant}
        changed = bool(summary["drifted"] if check_mode else summary["changed"])
        result = dict(report, changed=changed, table=self._report_text(not_compliant, summary, check_mode))
        if params["publish_summary_as"]:
            # What ansible.builtin.set_stats does (AWX shows it on the job), without a second task
            # that would have to read this whole result again.
            result["ansible_stats"] = {"data": {params["publish_summary_as"]: summary}, "per_host": False, "aggregate": True}
        if params["report_path"]:
            result["report_path"] = write_report(params["report_path"], report)
        if summary["failed"]:
            unreadable = sum(1 for entry in entries if entry["status"] == policy.STATUS_FAILED and entry["secret_id"] is None)
            result.update(failed=True, msg="%d scopes could not be read and %d secrets could not be updated; see entries"
                          % (unreadable, summary["failed"] - unreadable))
        return result
