# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_secret_policy (documented in plugins/modules)."""
from __future__ import annotations

import datetime
import json
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_policy as policy
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoApiError, NeoInputError, one_line
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ProjectDirectory
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase, unsafe_records
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_files import PrivateFile

MAX_CONCURRENCY = 32
SUMMARY_KEYS = ("projects", "checked", "compliant", "drifted", "changed", "failed", "not_attempted")


def _unexpected(err):
    """One line for an exception the client did not foresee (never raised out of a worker thread)."""
    return "unexpected %s: %s" % (type(err).__name__, one_line(err))


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
    role_variables = {
        "projectdiscovery.neo.secret_policy": {
            option: "neo_secret_policy_" + option for option in ("rules", "concurrency", "report_path", "list_compliant", "fail_on_drift")
        },
    }

    def check_input(self, params):
        params["rules"] = policy.normalize_rules(params["rules"], self.option_name("rules"))
        if not 1 <= params["concurrency"] <= MAX_CONCURRENCY:
            raise NeoInputError("%s: must be between 1 and %d (got %d)" % (self.option_name("concurrency"), MAX_CONCURRENCY, params["concurrency"]))
        # Checked before any request too, so that a typo does not cost a whole run.
        params["report"] = PrivateFile(params["report_path"], self.option_name("report_path")) if params["report_path"] else None

    def client_options(self, params):
        return {"pool_size": params["concurrency"]}

    def run_neo(self, client, params, check_mode, diff, warn):
        rules = params["rules"]
        report = params["report"]
        if report is not None:
            # A run that dies half-way must not leave an earlier run's report looking like its own.
            report.remove_stale()
        directory = ProjectDirectory(client.list_projects())
        scopes = policy.plan_scopes(rules, directory, self.option_name("rules"))

        def read_scope(scope_key):
            try:
                return client.list_secrets(project_id=scope_key)
            except NeoApiError as err:
                return policy.ScopeFailure(str(err), attempted=err.sent)
            except Exception as err:  # pylint: disable=broad-except
                # Contained: one unreadable scope never aborts the run or loses the report.
                return policy.ScopeFailure(_unexpected(err))

        def write(entry):
            try:
                after = client.update_secret(entry["secret_id"], entry["after"])
            except NeoApiError as err:
                return entry["secret_id"], {"ok": False, "error": str(err), "attempted": err.sent}
            except Exception as err:  # pylint: disable=broad-except
                return entry["secret_id"], {"ok": False, "error": _unexpected(err) + "; the update may have been applied"}
            return entry["secret_id"], {"ok": True, "default_available": after.get("default_available")}

        with ThreadPoolExecutor(max_workers=params["concurrency"]) as pool:
            secrets_by_scope = dict(zip(scopes.keys, pool.map(read_scope, scopes.keys)))
            plan = policy.build_plan(rules, scopes, secrets_by_scope, list_compliant=params["list_compliant"])
            outcomes = {} if check_mode else dict(pool.map(write, plan.changes))

        entries = policy.apply_results(plan, outcomes, check_mode=check_mode)
        summary = policy.summarize(entries, plan.projects_count, plan.compliant_unlisted)
        failure = policy.failure_reason(entries)
        if failure is None and check_mode and params["fail_on_drift"] and summary["drifted"]:
            failure = "%s drifted from the policy" % ("1 secret" if summary["drifted"] == 1 else "%d secrets" % summary["drifted"])
        shown = entries if params["list_compliant"] else [entry for entry in entries if entry["status"] != policy.STATUS_COMPLIANT]
        result = {
            "summary": summary,
            "entries": unsafe_records(entries),
            "changed": bool(summary["drifted"] if check_mode else summary["changed"]),
            "policy_failed": failure is not None,
            "table": self._report_text(shown, summary, check_mode, failure),
        }
        if params["publish_summary_as"]:
            # What ansible.builtin.set_stats does (AWX shows it on the job), without a second task
            # that would have to read this whole result again.
            result["ansible_stats"] = {"data": {params["publish_summary_as"]: summary}, "per_host": False, "aggregate": True}
        if report is not None:
            document = {"generated_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "mode": "check" if check_mode else "apply", "summary": summary, "entries": entries}
            result["report_path"] = report.write(json.dumps(document, indent=2, sort_keys=True) + "\n", self.no_log_values)
        if failure is not None:
            # Deferred, the failure is left to a later task, which can show the report first.
            result.update(msg=failure, failed=not params["defer_failure"])
        return result

    @staticmethod
    def _report_text(rows, summary, check_mode, failure):
        """The table, closed by the counts and the reason of a failure (what the role shows)."""
        counts = " ".join("%s=%d" % (key, summary[key]) for key in SUMMARY_KEYS)
        text = "%s\n%s: %s" % (policy.render_table(rows, summary), "drift report (check mode)" if check_mode else "policy applied", counts)
        return text if failure is None else "%s\n%s" % (text, failure)
