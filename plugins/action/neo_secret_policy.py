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
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase, unsafe_records

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
        "fail_on_drift": {"type": "bool", "default": False},
        "defer_failure": {"type": "bool", "default": False},
    }

    def check_input(self, params):
        params["rules"] = policy.normalize_rules(params["rules"])
        if not 1 <= params["concurrency"] <= MAX_CONCURRENCY:
            raise SecretInputError("concurrency: must be between 1 and %d (got %d)" % (MAX_CONCURRENCY, params["concurrency"]))
        if params["report_path"]:
            # Checked before any request too, so that a typo does not cost a whole run.
            report_location(params["report_path"])

    @staticmethod
    def _failure_reason(entries, summary, check_mode, fail_on_drift):
        """Why the policy failed, or None: unreadable scopes and failed updates first, then the drift gate."""
        if summary["failed"]:
            unreadable = sum(1 for entry in entries if entry["status"] == policy.STATUS_FAILED and entry["secret_id"] is None)
            return "%d scopes could not be read and %d secrets could not be updated; see entries" % (unreadable, summary["failed"] - unreadable)
        if check_mode and fail_on_drift and summary["drifted"]:
            return "%d secrets drifted from the policy" % summary["drifted"]
        return None

    @staticmethod
    def _report_text(not_compliant, summary, check_mode, failure):
        """The table of what is not compliant, closed by the counts and the reason of a failure (what the role shows)."""
        counts = " ".join("%s=%d" % (key, summary[key]) for key in ("projects", "checked", "compliant", "drifted", "changed", "failed"))
        text = "%s\n%s: %s" % (policy.render_table(not_compliant), "drift report (check mode)" if check_mode else "policy applied", counts)
        return text if failure is None else "%s\n%s" % (text, failure)

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
            plan = policy.build_plan(rules, projects, secrets_by_scope, list_compliant=params["list_compliant"])
            outcomes = {} if check_mode else dict(pool.map(write, plan.changes))

        # Every entry costs Ansible time in each pass over the result (about 0.15 ms per entry and
        # pass on the CI machine): compliant secrets are counted, and listed only on request.
        entries = policy.apply_results(plan, outcomes, check_mode=check_mode)
        summary = policy.summarize(entries, plan.projects_count, plan.compliant_unlisted)
        not_compliant = [entry for entry in entries if entry["status"] != policy.STATUS_COMPLIANT]
        report = {"summary": summary, "entries": unsafe_records(entries)}
        changed = bool(summary["drifted"] if check_mode else summary["changed"])
        failure = self._failure_reason(entries, summary, check_mode, params["fail_on_drift"])
        result = dict(report, changed=changed, policy_failed=failure is not None, table=self._report_text(not_compliant, summary, check_mode, failure))
        if params["publish_summary_as"]:
            # What ansible.builtin.set_stats does (AWX shows it on the job), without a second task
            # that would have to read this whole result again.
            result["ansible_stats"] = {"data": {params["publish_summary_as"]: summary}, "per_host": False, "aggregate": True}
        if params["report_path"]:
            result["report_path"] = write_report(params["report_path"], report)
        if failure is not None:
            # Deferred, the failure is left to a later task, which can show the report first.
            result.update(msg=failure, failed=not params["defer_failure"])
        return result
