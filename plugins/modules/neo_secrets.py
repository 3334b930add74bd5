#!/usr/bin/python
# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The implementation is the action plugin plugins/action/neo_secrets.py (runs on the controller).
from __future__ import annotations

DOCUMENTATION = r"""
module: neo_secrets
short_description: Provision many Neo secrets of one scope in one task, and set their default availability
version_added: 0.2.0
description:
  - Makes each listed secret of one project (or of the personal scope) exist and have the given C(default_available),
    in one task and one HTTP session. The scope's secrets are read once (C(GET /api/v1/secrets), every page), then a
    missing secret is created with its O(secrets[].value) (C(POST /api/v1/secrets)) and a secret whose flag differs is
    updated (C(PATCH /api/v1/secrets/{id})). Secrets of the scope that are not listed are left alone; RV(unmanaged) names
    them, and O(unmanaged) can warn about them or fail the task before any write.
  - A value is sent only to create a secret. For a secret that exists it is neither compared nor sent, because the Neo API
    can neither read nor change a value; RV(summary.values_not_sent) names those secrets, and one warning names them all.
  - A creation is never blindly retried. After a failure that may have reached the API, the scope is listed again before one
    more attempt (never after the API accepted the POST), so a retry never makes a second secret. A C(409) answer means the
    secret exists after all, so it is read from the scope and handled like a listed one (its value not sent). After any
    write, the API's answer must show the requested flag.
  - One secret that fails does not stop the others. The task then fails with one line that names each failed secret and its
    reason (never a value), and RV(secrets) holds every entry.
  - M(projectdiscovery.neo.neo_secret) does the same for one secret; this module is what a provisioning play (or the
    C(projectdiscovery.neo.environment) role) uses for a whole list, at the cost of one task instead of one per secret.
options:
  project:
    description:
      - The project whose secrets these are, by id or by exact name. Omit it for personal secrets.
      - A name must be the name of exactly one project the caller can see (one C(GET /api/v1/projects)); when several
        projects share it, the task fails listing their ids. An id is used as it is, without that read.
      - In check mode, a project that does not exist yet (one that an earlier task of the play creates, such as
        M(projectdiscovery.neo.neo_project)) is not an error. Every listed secret with a value is reported as one that
        would be created (C(msg) says the project does not exist yet), and one without a value as failed.
    type: str
  secrets:
    description:
      - The secrets, each listed once.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the secret, an upper-case letter followed by upper-case letters, digits or underscores (1 to 128 characters).
        type: str
        required: true
      value:
        description:
          - The value, used only to create the secret when the scope has none of this name; 1 to 10,000 characters.
          - Without a value, the secret must exist (only its flag is set).
          - Never shown in any output. Pass it from Ansible Vault or an AWX credential.
        type: str
      default_available:
        description:
          - Whether the secret is injected into every task of its scope.
          - The default, V(false), injects it only into tasks that select it.
        type: bool
        default: false
  unmanaged:
    description:
      - What to do about secrets of the scope that are not listed in O(secrets) (RV(unmanaged) always names them). The Neo API
        has no delete, so the module never removes them.
      - V(ignore) says nothing; V(warn) gives one warning naming them; V(fail) fails the task naming them, right after the
        scope is read and before any write (in check mode too).
      - A project that does not exist yet (check mode) holds none.
    type: str
    choices: [ignore, warn, fail]
    default: ignore
  policy_rules:
    description:
      - Optional policy rules, as O(projectdiscovery.neo.neo_secret_policy#module:rules), that govern the scope's other
        secrets. They are never applied here. Each listed secret's O(secrets[].default_available) is compared with what the
        first rule that selects the secret would set (with the policy's own matching), and one warning names each listed
        secret that contradicts its rule (C(policy_rules[i])). The listed flag is applied.
      - Their C(projects), C(exclude_projects) and C(personal) are not used (the scope is this task's); a rule with
        C(project_tags) counts only for a project that has one of those tags (then the project list is read once).
      - A secret that does not exist yet counts as created by this task, not by an agent (C(created_by)).
    type: list
    elements: dict
    default: []
extends_documentation_fragment:
  - projectdiscovery.neo.connection
  - projectdiscovery.neo.attributes
attributes:
  check_mode:
    description: In check mode the module reads the scope and reports what it would create or change, without writing.
    support: full
  diff_mode:
    description: With C(--diff) the module shows one line per secret it creates or whose C(default_available) it changes.
    support: full
seealso:
  - module: projectdiscovery.neo.neo_secret
  - module: projectdiscovery.neo.neo_project
author:
  - ProjectDiscovery Neo collection maintainers (@projectdiscovery)
"""

EXAMPLES = r"""
- name: The staging project's secrets, from Ansible Vault (created once, then only their flags are managed)
  projectdiscovery.neo.neo_secrets:
    project: aaaaaaaa-0000-4000-8000-000000000002
    secrets:
      - name: STAGING_DB_PASSWORD
        value: "{{ vault_staging_db_password }}"
        default_available: true
      - name: STAGING_DEPLOY_KEY
        value: "{{ vault_staging_deploy_key }}"
  register: staging_secrets

- name: Say which values were not sent because the secret already existed
  ansible.builtin.debug:
    msg: "{{ staging_secrets.summary.values_not_sent }}"

- name: Warn about the staging secrets this list does not declare (unmanaged fail would stop before any write)
  projectdiscovery.neo.neo_secrets:
    project: aaaaaaaa-0000-4000-8000-000000000002
    unmanaged: warn
    secrets:
      - name: GITHUB_TOKEN
        default_available: false
  register: staging_declared

- name: Show them (names only)
  ansible.builtin.debug:
    msg: "{{ staging_declared.unmanaged }}"

- name: Set flags of secrets that already exist, in a project named by its name
  projectdiscovery.neo.neo_secrets:
    project: Production
    secrets:
      - name: PROD_DB_PASSWORD
        default_available: false
      - name: AWS_SECRET_ACCESS_KEY
        default_available: false
"""

RETURN = r"""
secrets:
  description:
    - One entry per listed secret, in the order given. In check mode, as a real run would leave it.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the secret.
      type: str
      sample: STAGING_DEPLOY_KEY
    id:
      description: UUID of the secret (null for one that would be created, or that failed).
      type: str
    project_id:
      description: UUID of the project, null for a personal secret (and for a project that does not exist yet).
      type: str
    status:
      description: C(created), C(changed) (its flag was set), C(unchanged) or C(failed).
      type: str
      sample: created
    default_available:
      description: The flag after the task.
      type: bool
    before:
      description: The flag before the task, for a secret that existed (null otherwise).
      type: bool
    masked_value:
      description: Masked form of the value, as the API shows it.
      type: str
    value_ignored:
      description: Whether a value was given for a secret that already existed (so it was not sent).
      type: bool
    error:
      description: Why a failed secret failed (one line, never a value).
      type: str
summary:
  description: Names of the listed secrets by outcome.
  returned: always
  type: dict
  contains:
    created:
      description: Secrets created (in check mode, that would be).
      type: list
      elements: str
    changed:
      description: Existing secrets whose C(default_available) was set.
      type: list
      elements: str
    unchanged:
      description: Existing secrets that already had the requested flag.
      type: list
      elements: str
    failed:
      description: Secrets that could not be ensured.
      type: list
      elements: str
    values_not_sent:
      description: Secrets given a value that already existed, so the value was not sent.
      type: list
      elements: str
unmanaged:
  description:
    - Names of the scope's secrets that are not listed in O(secrets), sorted (names only). Empty for a project that does
      not exist yet.
  returned: always
  type: list
  elements: str
  sample: [GITHUB_TOKEN]
api_retries:
  description: How many times a request was retried (HTTP 429, 5xx, dropped connections, time-outs).
  returned: always
  type: int
  sample: 0
"""
