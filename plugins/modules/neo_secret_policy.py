#!/usr/bin/python
# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The implementation is the action plugin plugins/action/neo_secret_policy.py (runs on the controller).
from __future__ import annotations

DOCUMENTATION = r"""
module: neo_secret_policy
short_description: Apply a default-availability policy to many Neo secrets in one task
version_added: 0.1.0
description:
  - Evaluates ordered rules against the secrets of many ProjectDiscovery Neo projects (and optionally the
    personal scope) and sets C(default_available) where a secret differs from the policy.
  - Lists the projects once, reads every covered scope (all pages) concurrently, computes the plan locally,
    then sends one C(PATCH) per drifted secret through a bounded pool sharing one HTTP session.
  - The first rule that covers a secret's scope and matches its name decides; a secret no rule matches is left alone.
  - A scope that cannot be read (for example HTTP 403, or a list that contradicts itself twice) or a secret whose
    update fails is reported as C(failed) in RV(entries), with a one-line reason; everything else is still applied,
    and then the policy fails (see O(defer_failure)). Every planned update ends C(changed), C(failed) or
    C(not_attempted) (after the API rejected the credentials, no further request is sent).
  - A project named by id in O(rules[].projects) that the caller cannot list is read directly; if that read fails,
    that scope alone is a failed entry.
  - The role C(projectdiscovery.neo.secret_policy) wraps this module with a report, a drift gate and AWX statistics.
options:
  rules:
    description:
      - Ordered list of rules.
      - A project name must match exactly one visible project; an ambiguous or unknown project name fails the task before
        any write. Ids are UUIDs, in any case.
      - Every problem of O(rules) and O(exceptions) is reported at once, before any request, each named by its path (for
        example C(rules[0].match[1])). The role C(projectdiscovery.neo.secret_policy) and the event source
        C(projectdiscovery.neo.neo_secret_events) take the same rules and exceptions.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: A label for the rule, shown in entries, the table, the diff and the reports (default C(rule N), N counting from 1).
        type: str
      match:
        description:
          - Name globs, matched case-sensitively against secret names (for example V(PROD_*)).
          - A glob that can never match a secret name (lower-case letters, characters other than C(A-Z), C(0-9), C(_)
            and glob syntax) fails before any request.
        type: list
        elements: str
        required: true
      exclude:
        description: Name globs the rule skips even when O(rules[].match) fits.
        version_added: 0.2.0
        type: list
        elements: str
      projects:
        description:
          - Project ids or names, or V(*) for every project the caller sees.
          - A string is a comma-separated list (V(Production, Staging)), as for Ansible's own list options.
        type: raw
        default: "*"
      exclude_projects:
        description: Project ids or names taken out of the rule's projects.
        version_added: 0.2.0
        type: list
        elements: str
      project_tags:
        description:
          - Only projects carrying at least one of these tags (the project record's C(tags)); combines with
            O(rules[].projects) as an intersection, so V(*) with V([production]) is every production project.
        version_added: 0.2.0
        type: list
        elements: str
      personal:
        description: Whether the rule also covers the caller's personal secrets.
        type: bool
        default: false
      created_by:
        description:
          - V(agent) covers only secrets an AI agent made (C(created_by_agent) true), V(user) only the others.
        version_added: 0.2.0
        type: str
        choices: [any, agent, user]
        default: any
      default_available:
        description: The flag the rule requires.
        type: bool
        required: true
  exceptions:
    description:
      - Time-boxed waivers. An exception in force decides its secret before any rule, even a secret no rule covers.
      - An expired exception is ignored (the rules decide again). Expired exceptions and exceptions that match no
        secret are listed in RV(exceptions) and the reports, and warned about.
    version_added: 0.2.0
    type: list
    elements: dict
    default: []
    suboptions:
      secret_id:
        description: The secret's UUID. Give this, or O(exceptions[].name) with O(exceptions[].project) or O(exceptions[].personal).
        type: str
      name:
        description: The secret's name.
        type: str
      project:
        description: The project (id or unique name) of the secret named.
        type: str
      personal:
        description: The secret named is a personal secret.
        type: bool
        default: false
      default_available:
        description: The flag the secret must have while the exception is in force.
        type: bool
        required: true
      reason:
        description: Why the exception exists; shown in entries and reports.
        type: str
        required: true
      expires:
        description:
          - The last day (V(YYYY-MM-DD), compared with the controller's UTC date) the exception is in force.
          - The date YAML makes of an unquoted V(2027-01-31) works as the text does; a date with a time counts as its day.
        type: str
        required: true
      owner:
        description: Who answers for the exception. Required with O(exceptions_require_owner).
        type: str
  exceptions_max_days:
    description:
      - The longest an exception may run, in days from the controller's UTC date. An exception whose
        O(exceptions[].expires) is later fails the task before any request, naming it (C(exceptions[1].expires)).
      - Unset, any date is accepted.
    version_added: 0.2.0
    type: int
  exceptions_require_owner:
    description:
      - Whether every exception must name its O(exceptions[].owner); one without fails the task before any request, naming it.
      - Off by default, so that policies written without owners keep working.
    version_added: 0.2.0
    type: bool
    default: false
  exceptions_warn_days:
    description:
      - An exception not expired that ends within this many days is marked C(expiring_soon) in RV(exceptions) and the
        JSON report, and with a warning sign in the Markdown report.
    version_added: 0.2.0
    type: int
    default: 14
  junit_path:
    description:
      - Write a JUnit XML report to this path on the controller, in check mode too, for CI test-report views (GitLab,
        Jenkins, GitHub actions) - one testsuite per scope, one testcase per covered secret; drift in check mode is a
        failure, a failed read or write an error. Created with mode 0600.
    version_added: 0.2.0
    type: path
  markdown_path:
    description:
      - Write a Markdown page to this path on the controller, in check mode too - a one-line verdict, what is not
        compliant, exceptions (expiring soon first), and rules that decided nothing; for C($GITHUB_STEP_SUMMARY), a pull
        request comment or a wiki. Created with mode 0600.
    version_added: 0.2.0
    type: path
  entries_limit:
    description:
      - At most this many entries in RV(entries) and the table, what needs attention first (failed, not attempted,
        drifted). RV(summary) counts everything, RV(entries_truncated) says how many were left out, and the report
        files always hold every covered secret.
    version_added: 0.2.0
    type: int
    default: 100
  concurrency:
    description:
      - How many API requests run at the same time (reads of scopes, then writes). Between 1 and 32.
    type: int
    default: 8
  list_compliant:
    description:
      - Whether RV(entries) (and the report) also list the secrets that already comply with the policy.
      - By default they are only counted in RV(summary), because at thousands of secrets every listed entry
        makes each later task that reads the result measurably slower.
    type: bool
    default: false
  publish_summary_as:
    description:
      - Also publish RV(summary) as a custom statistic of the run under this name, as M(ansible.builtin.set_stats)
        would; AWX and Automation Controller show it on the job, and C(ANSIBLE_SHOW_CUSTOM_STATS) prints it.
    type: str
  report_path:
    description:
      - Write the report as JSON to this path on the controller, in check mode too - C(generated_at) (UTC), C(mode)
        (C(check) or C(apply)), C(failure), C(summary), C(rules), C(exceptions), C(exceptions_warn_days) and C(entries),
        with every covered secret (compliant ones included).
      - The file is created with mode 0600 and passes the same redaction as the task result. A report an earlier run
        left at this path is removed before the first request, so a run that dies never leaves an old report looking
        like its own.
    type: path
  fail_on_drift:
    description:
      - In check mode, a secret that drifted from the policy makes the policy fail. This is the audit gate for CI and AWX.
      - Outside check mode drift is corrected, so this has no effect there.
    type: bool
    default: false
  defer_failure:
    description:
      - When the policy fails (a scope that could not be read, a secret that could not be updated, or drift with
        O(fail_on_drift)), do not fail this task; return RV(policy_failed=true) and the reason in RV(msg) instead,
        so that a later task can show the report before failing. The role C(projectdiscovery.neo.secret_policy) does so.
      - Errors that stop the whole run (invalid input, credentials, an unreadable project list, an unknown project)
        fail the task in any case.
    type: bool
    default: false
extends_documentation_fragment:
  - projectdiscovery.neo.connection
  - projectdiscovery.neo.attributes
attributes:
  check_mode:
    description: In check mode the module reads everything and returns the full drift report without writing.
    support: full
  diff_mode:
    description:
      - "With C(--diff), one line per secret the run changes (or would change in check mode),
        C(scope / NAME: default_available true -> false (rule name)), at most 300 lines then C(... and N more)."
    support: full
seealso:
  - module: projectdiscovery.neo.neo_secret
  - name: The projectdiscovery.neo.secret_policy role
    description: Runs this module with a drift report, AWX statistics and an audit gate.
    link: https://github.com/projectdiscovery/ansible-collection-neo/blob/main/docs/user-guide.md#the-secret_policy-role
author:
  - ProjectDiscovery Neo collection maintainers (@projectdiscovery)
"""

EXAMPLES = r"""
- name: Audit and enforce the secret policy of every project
  module_defaults:
    group/projectdiscovery.neo.neo:
      api_key: "{{ vault_neo_api_key }}"
  block:
    - name: Production credentials are opt-in everywhere; tokens stay available in Staging
      projectdiscovery.neo.neo_secret_policy:
        rules:
          - match: ["PROD_*", "AWS_*"]
            default_available: false
          - match: ["GITHUB_TOKEN"]
            projects: ["aaaaaaaa-0000-4000-8000-000000000002"]  # Staging, by id: a name must match one project
            personal: true
            default_available: true
        report_path: /tmp/neo-secret-policy.json
      register: policy

    - name: Show the drift summary
      ansible.builtin.debug:
        var: policy.summary

- name: Audit gate (run with --check) - fail when a cloud credential is available by default
  projectdiscovery.neo.neo_secret_policy:
    rules:
      - match: ["AWS_*"]
        default_available: false
    fail_on_drift: true
"""

RETURN = r"""
summary:
  description: Counts over the covered secrets.
  returned: success or per-item failure
  type: dict
  contains:
    projects:
      description: Number of project scopes the policy covers.
      type: int
    checked:
      description: Secrets a rule decided.
      type: int
    compliant:
      description: Secrets whose flag already matched the policy.
      type: int
    drifted:
      description: Secrets whose flag differed from the policy when read (after an apply they are changed, failed or not attempted).
      type: int
    changed:
      description: Secrets updated by this run.
      type: int
    failed:
      description:
        - Secrets whose update failed or that no rule could decide, plus scopes that could not be read or whose project tags
          could not be read.
      type: int
    not_attempted:
      description: Secrets whose update was not sent plus scopes not requested, because the API rejected the credentials earlier in the run.
      type: int
    rules:
      description:
        - Each rule with how many secrets it decided.
        - Only a rule that can never decide (shadowed by earlier rules or exceptions, or covering no project) is also warned about.
      type: list
      elements: dict
      contains:
        index:
          description: Position of the rule in O(rules).
          type: int
        name:
          description: The rule's name.
          type: str
        decided:
          description: Secrets the rule decided.
          type: int
    exceptions:
      description: How many exceptions are C(in_force), C(expired) and C(unmatched) (in force, but matched no secret).
      version_added: 0.2.0
      type: dict
exceptions:
  description:
    - Each exception with its C(status) (C(in_force), C(expired), C(unmatched)), C(days_left), C(matched) and
      C(expiring_soon) (not expired, and C(days_left) at most O(exceptions_warn_days)).
  returned: success or per-item failure
  version_added: 0.2.0
  type: list
  elements: dict
entries_truncated:
  description: How many entries O(entries_limit) left out of RV(entries) and the table (the report files hold them all).
  returned: success or per-item failure
  type: int
junit_path:
  description: Absolute path of the JUnit XML report written.
  returned: when O(junit_path) is set
  version_added: 0.2.0
  type: str
markdown_path:
  description: Absolute path of the Markdown report written.
  returned: when O(markdown_path) is set
  version_added: 0.2.0
  type: str
entries:
  description:
    - One entry per covered secret that is not compliant (all covered secrets with O(list_compliant)), and one per
      scope that could not be read (with C(secret_id) null); failed, not attempted and drifted first, at most
      O(entries_limit).
  returned: success or per-item failure
  type: list
  elements: dict
  contains:
    project_id:
      description: Project UUID, null for a personal secret.
      type: str
    project_name:
      description: Project name, null for a personal secret.
      type: str
    secret_id:
      description: Secret UUID.
      type: str
    secret_name:
      description: Secret name.
      type: str
    before:
      description: C(default_available) as read.
      type: bool
    after:
      description:
        - C(default_available) required by the policy.
        - Null for a secret no rule could decide (status C(failed)), for example a C(created_by) rule and a record whose
          C(created_by_agent) is not a boolean.
      type: bool
    rule:
      description: Index of the deciding rule.
      type: int
    status:
      description: C(compliant), C(drifted) (check mode, would change), C(changed), C(failed) or C(not_attempted).
      type: str
    rule_name:
      description: Name of the deciding rule, or C(exception) when an exception decided.
      type: str
    created_by_agent:
      description: Whether an AI agent made the secret (null when the API did not say).
      type: bool
    exception_reason:
      description: Reason of the exception that decided the secret, else null.
      type: str
    exception_expires:
      description: Last day of that exception (C(YYYY-MM-DD)), else null.
      type: str
    exception_owner:
      description: Owner of that exception, else null.
      type: str
    error:
      description: Why the entry failed or was not attempted (one line), else null.
      type: str
table:
  description:
    - The entries that are not compliant (all entries with O(list_compliant)) as a fixed-width text table, for play
      output, then a line naming the exceptions expiring within O(exceptions_warn_days) (when there are any), closed by a
      line of counts and, when the policy failed, by the reason (RV(msg)). With no rows it says that all covered secrets
      comply, or that no secret is covered.
  returned: success or per-item failure
  type: str
policy_failed:
  description:
    - Whether the policy failed - a scope that could not be read, a secret that could not be updated, or drift in
      check mode with O(fail_on_drift). The task fails then, unless O(defer_failure) is set.
  returned: success or per-item failure
  type: bool
msg:
  description: Why the policy failed.
  returned: when RV(policy_failed) is true
  type: str
  sample: 6 secrets drifted from the policy
report_path:
  description: Absolute path of the JSON report written.
  returned: when O(report_path) is set
  type: str
api_retries:
  description: How many requests were retried (HTTP 429, 5xx, dropped connections, time-outs).
  returned: always
  type: int
"""
