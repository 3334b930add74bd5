# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of projectdiscovery.neo.neo_secret_policy (documented in plugins/modules)."""
from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_policy as policy
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoError, NeoInputError, one_line, plural, safe_text
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_projects import ProjectDirectory
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_reports import render_json, render_junit, render_markdown, render_table
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_action import NeoActionBase
from ansible_collections.projectdiscovery.neo.plugins.plugin_utils._neo_files import PrivateFile

MAX_CONCURRENCY = 32
SUMMARY_KEYS = ("projects", "checked", "compliant", "drifted", "changed", "failed", "not_attempted")
DIFF_MAX_LINES = 300
REPORT_OPTIONS = ("report_path", "junit_path", "markdown_path")


def _unexpected(err):
    """One line for an exception the client did not foresee (never raised out of a worker thread)."""
    return "unexpected %s: %s" % (type(err).__name__, one_line(err))


def _scope_name(entry):
    """The scope as a diff line names it: ``personal``, else the project's name (its id when it has none)."""
    if entry["project_id"] is None:
        return "personal"
    return entry["project_name"] or entry["project_id"]


def _attention_first(entries, limit, list_compliant):
    """(at most ``limit`` entries, what needs attention first, each status in entry order; how many were left out).

    Compliant entries count only with ``list_compliant``. One pass (no sort of thousands of entries).
    """
    by_status = {status: [] for status in policy.STATUSES_BY_ATTENTION}
    for entry in entries:
        by_status[entry["status"]].append(entry)
    if not list_compliant:
        del by_status[policy.STATUS_COMPLIANT]
    listed = [entry for status_entries in by_status.values() for entry in status_entries[:limit]][:limit]
    return listed, sum(map(len, by_status.values())) - len(listed)


def _expiring_soon(exceptions_status, warn_days, limit=10):
    """One line naming the exceptions marked ``expiring_soon`` (None without any), for the table."""
    soon = [exception for exception in exceptions_status if exception["expiring_soon"]]
    if not soon:
        return None
    named = ["%s (exceptions[%d]) on %s" % (safe_text(exception["name"] or exception["secret_id"]), exception["index"], exception["expires"])
             for exception in soon[:limit]]
    more = ", ..." if len(soon) > limit else ""
    return "%s expiring within %s: %s%s" % (plural(len(soon), "exception"), plural(warn_days, "day"), ", ".join(named), more)


def policy_diff(entries, check_mode):
    """One line per secret the run changes (or would change in check mode), capped at DIFF_MAX_LINES."""
    wanted = policy.STATUS_DRIFTED if check_mode else policy.STATUS_CHANGED
    lines = ["%s / %s: default_available %s -> %s (%s)" % (
        safe_text(_scope_name(entry)), safe_text(entry["secret_name"]), policy.flag_text(entry["before"]), policy.flag_text(entry["after"]),
        safe_text(entry["rule_name"])) for entry in entries if entry["status"] == wanted]
    if len(lines) > DIFF_MAX_LINES:
        lines = lines[:DIFF_MAX_LINES] + ["... and %d more" % (len(lines) - DIFF_MAX_LINES)]
    return "\n".join(lines) + "\n" if lines else ""


class ActionModule(NeoActionBase):

    argument_spec = dict(
        policy.POLICY_ARGSPEC,
        rules=dict(policy.POLICY_ARGSPEC["rules"], required=True),
        concurrency={"type": "int", "default": 8},
        report_path={"type": "path"},
        junit_path={"type": "path"},
        markdown_path={"type": "path"},
        entries_limit={"type": "int", "default": 100},
        list_compliant={"type": "bool", "default": False},
        publish_summary_as={"type": "str"},
        fail_on_drift={"type": "bool", "default": False},
        defer_failure={"type": "bool", "default": False},
    )

    def _validated_parameters(self):
        exceptions = self._task.args.get("exceptions")
        if isinstance(exceptions, str):
            # ansible-core 2.16: a templated list holding a YAML date arrives as its Python text.
            self._task.args = dict(self._task.args, exceptions=policy.exceptions_from_text(exceptions))
        return super()._validated_parameters()

    def check_input(self, params):
        params["rules"], params["exceptions"] = policy.compile_policy(params["rules"], params["exceptions"], params["exceptions_max_days"],
                                                                      params["exceptions_require_owner"], params["exceptions_warn_days"])
        if not 1 <= params["concurrency"] <= MAX_CONCURRENCY:
            raise NeoInputError("concurrency: must be between 1 and %d (got %d)" % (MAX_CONCURRENCY, params["concurrency"]))
        if params["entries_limit"] < 0:
            raise NeoInputError("entries_limit: must be 0 or more (got %d)" % params["entries_limit"])
        # Checked before any request too, so that a typo does not cost a whole run.
        params["reports"] = {option: PrivateFile(params[option], option) for option in REPORT_OPTIONS if params[option]}

    def client_options(self, params):
        return {"pool_size": params["concurrency"]}

    def run_neo(self, client, params, check_mode, diff, warn):
        rules, exceptions, reports = params["rules"], params["exceptions"], params["reports"]
        for report in reports.values():
            # A run that dies half-way must not leave an earlier run's report looking like its own.
            report.remove_stale()
        today = policy.utc_today()
        directory = ProjectDirectory(client.list_projects())
        scopes = policy.plan_scopes(rules, directory, exceptions=exceptions, today=today)

        def read_scope(scope_key):
            try:
                return client.list_secrets(project_id=scope_key)
            except NeoError as err:
                return err
            except Exception as err:  # pylint: disable=broad-except
                # Contained: one unreadable scope never aborts the run or loses the report.
                return NeoError(_unexpected(err))

        def write(entry):
            try:
                return entry["secret_id"], client.update_secret(entry["secret_id"], entry["after"])
            except NeoError as err:
                return entry["secret_id"], err
            except Exception as err:  # pylint: disable=broad-except
                return entry["secret_id"], NeoError(_unexpected(err) + "; the update may have been applied")

        # The report files hold every covered secret; the task result only what it lists.
        with ThreadPoolExecutor(max_workers=params["concurrency"]) as pool:
            secrets_by_scope = dict(zip(scopes.keys, pool.map(read_scope, scopes.keys)))
            plan = policy.build_plan(rules, scopes, secrets_by_scope, list_compliant=params["list_compliant"] or bool(reports),
                                     exceptions=exceptions, today=today)
            outcomes = {} if check_mode else dict(pool.map(write, plan.changes))

        entries = policy.apply_results(plan, outcomes, check_mode=check_mode)
        rules_status = policy.rules_report(rules, plan)
        exceptions_status = policy.exceptions_report(exceptions, plan, today, params["exceptions_warn_days"])
        summary = policy.summarize(entries, plan.projects_count, plan.compliant_unlisted, rules=rules_status,
                                   exceptions=policy.exceptions_summary(exceptions_status))
        for warning in policy.policy_warnings(rules_status, exceptions_status):
            warn(warning)
        failure = policy.failure_reason(entries)
        if failure is None and check_mode and params["fail_on_drift"] and summary["drifted"]:
            failure = "%s drifted from the policy" % plural(summary["drifted"], "secret")

        shown, left_out = _attention_first(entries, params["entries_limit"], params["list_compliant"])
        result = {
            "summary": summary,
            "entries": shown,
            "entries_truncated": left_out,
            "exceptions": exceptions_status,
            "changed": bool(summary["drifted"] if check_mode else summary["changed"]),
            "policy_failed": failure is not None,
            "table": self._report_text(shown, left_out, bool(reports), summary, check_mode, failure,
                                       _expiring_soon(exceptions_status, params["exceptions_warn_days"])),
        }
        if diff:
            result["diff"] = {"prepared": policy_diff(entries, check_mode)}
        if params["publish_summary_as"]:
            # What ansible.builtin.set_stats does (AWX shows it on the job), without a second task
            # that would have to read this whole result again.
            result["ansible_stats"] = {"data": {params["publish_summary_as"]: summary}, "per_host": False, "aggregate": True}
        if reports:
            document = {"generated_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "mode": "check" if check_mode else "apply", "failure": failure, "summary": summary, "rules": rules_status,
                        "exceptions": exceptions_status, "exceptions_warn_days": params["exceptions_warn_days"], "entries": entries}
            result.update(self._write_reports(reports, document))
        if failure is not None:
            # Deferred, the failure is left to a later task, which can show the report first.
            result.update(msg=failure, failed=not params["defer_failure"])
        return result

    def _write_reports(self, reports, document):
        """Write each requested report file; returns their paths as result fields."""
        renderers = {"report_path": render_json, "junit_path": render_junit, "markdown_path": render_markdown}
        return {option: report.write(renderers[option](document), self.no_log_values) for option, report in reports.items()}

    @staticmethod
    def _report_text(rows, left_out, has_report, summary, check_mode, failure, expiring=None):
        """The table, the exceptions expiring soon, then the counts and the reason of a failure (what the role shows)."""
        counts = " ".join("%s=%d" % (key, summary[key]) for key in SUMMARY_KEYS)
        # With every row left out, render_table's "all comply" would be a lie: say what was left out.
        text = render_table(rows, summary) if rows or not left_out else "(no rows shown)"
        if left_out:
            text += "\n... and %d more %s" % (left_out, "in the report" if has_report else "(raise entries_limit, or write a report)")
        if expiring:
            text += "\n" + expiring
        text = "%s\n%s: %s" % (text, "drift report (check mode)" if check_mode else "policy applied", counts)
        return text if failure is None else "%s\n%s" % (text, failure)
