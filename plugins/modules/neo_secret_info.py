#!/usr/bin/python
# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The implementation is the action plugin plugins/action/neo_secret_info.py (runs on the controller).
from __future__ import annotations

DOCUMENTATION = r"""
module: neo_secret_info
short_description: List ProjectDiscovery Neo secrets (masked) of the personal scope and of projects
version_added: 0.1.0
description:
  - Reads the secrets of the caller's personal scope and/or of projects with C(GET /api/v1/secrets)
    and C(GET /api/v1/secrets?project_id=<uuid>) (every page), and returns them masked.
  - A secret's value is never returned, only the masked form the API shows.
  - A project named explicitly must be readable; if it is not (for example HTTP 403), the task fails with the API's
    message, naming the project (id and name).
  - With O(projects=[*]), a project the caller may list but not read (HTTP 403 or 404) is skipped, returned in
    RV(unreadable_projects) and named in a warning, so one such project does not hide the others.
  - The module never changes anything, so C(changed) is always false.
options:
  personal:
    description:
      - Whether to read the caller's personal secrets.
      - When omitted, true if neither O(project_id) nor O(projects) is given, false otherwise.
      - Setting it to true together with O(project_id) or O(projects) reads both.
    type: bool
  project_id:
    description:
      - UUID of one project whose secrets to read.
      - The secrets are read directly; if the caller may not read them, the task fails with the API's 403 message.
      - Mutually exclusive with O(projects).
    type: str
  projects:
    description:
      - Projects whose secrets to read, each a project id or a project name.
      - A project id (a UUID, in any case) is read directly, listed or not. A name must match exactly one of the
        caller's projects (names are not unique); a name that several projects share fails with their ids, and an
        unknown name fails naming it.
      - The single element C(*) means every project the caller can list.
      - Mutually exclusive with O(project_id).
    type: list
    elements: str
  name:
    description:
      - Only secrets whose name matches this shell-style pattern (C(*), C(?), C([...])), case-sensitive,
        for example C(PROD_*) or C(*GITHUB*).
    type: str
  default_available:
    description:
      - Only secrets whose C(default_available) flag has this value. When omitted, no filtering on the flag.
    type: bool
extends_documentation_fragment:
  - projectdiscovery.neo.connection
  - projectdiscovery.neo.attributes
  - projectdiscovery.neo.attributes.INFO
seealso:
  - module: projectdiscovery.neo.neo_secret
  - module: projectdiscovery.neo.neo_project_info
author:
  - ProjectDiscovery Neo collection maintainers (@projectdiscovery)
"""

EXAMPLES = r"""
- name: Set connection options once for every Neo task of the play
  module_defaults:
    group/projectdiscovery.neo.neo:
      api_key: "{{ vault_neo_api_key }}"
  block:
    - name: List the personal secrets
      projectdiscovery.neo.neo_secret_info:
      register: personal_secrets

    - name: List every secret of every project that is injected into all tasks by default
      projectdiscovery.neo.neo_secret_info:
        projects: ["*"]
        default_available: true
      register: exposed

    - name: Show where they are
      ansible.builtin.debug:
        msg: "{{ item.project_name }}: {{ item.name }}"
      loop: "{{ exposed.secrets }}"
      loop_control:
        label: "{{ item.id }}"

- name: Production secrets whose name starts with PROD_
  projectdiscovery.neo.neo_secret_info:
    projects:
      - Production
    name: PROD_*
  register: prod_secrets

- name: Personal secrets and those of one project, by id
  projectdiscovery.neo.neo_secret_info:
    personal: true
    project_id: aaaaaaaa-0000-4000-8000-000000000002
  register: secrets
"""

RETURN = r"""
secrets:
  description:
    - The secrets that match the filters, personal ones first, then per project in the order of O(projects)
      (for C(*), in the order the API lists the projects); within a scope, sorted by name.
    - Only the masked form of a value is ever returned.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: UUID of the secret.
      type: str
      sample: 5ec00000-0000-4000-8000-000000000012
    name:
      description: Name of the secret.
      type: str
      sample: AWS_SECRET_ACCESS_KEY
    project_id:
      description: UUID of the project the secret was listed in, null for a personal secret.
      type: str
      sample: aaaaaaaa-0000-4000-8000-000000000001
    project_name:
      description:
        - Name of that project, as the projects list shows it (null if the project is not in that list).
      returned: for project secrets
      type: str
      sample: Production
    default_available:
      description: Whether the secret is injected into every task of its scope.
      type: bool
      sample: false
    masked_value:
      description: Masked form of the value, as the API shows it.
      type: str
      sample: "CAN••••••••0012"
    created_at:
      description: When the secret was created.
      type: str
    updated_at:
      description: When the secret was last changed.
      type: str
    created_by_agent:
      description: Whether an AI agent created the secret.
      type: bool
unreadable_projects:
  description:
    - With O(projects=[*]), the projects the caller may list but whose secrets it may not read; their secrets are
      not in RV(secrets).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Project UUID.
      type: str
    name:
      description: Project name.
      type: str
    reason:
      description: The API's answer, one line.
      type: str
      sample: "Neo API 403 forbidden (error_id 9f86d081884c7d65): forbidden request: not a member of this project"
api_retries:
  description: How many times a request was retried (HTTP 429, 5xx, dropped connections, time-outs).
  returned: always
  type: int
  sample: 0
"""
