#!/usr/bin/python
# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The implementation is the action plugin plugins/action/neo_secret.py (runs on the controller).
from __future__ import annotations

DOCUMENTATION = r"""
module: neo_secret
short_description: Set whether a Neo secret is available to every task by default
version_added: 0.1.0
description:
  - Finds one ProjectDiscovery Neo secret by O(id) or by O(name) and scope, and sets its
    C(default_available) flag with C(PATCH /api/v1/secrets/{id}).
  - When C(default_available) is true, Neo injects the secret into every agent task of its scope;
    when false, only into tasks that select it.
  - The current state is read from the list of the secret's scope (the API documents no single-secret
    read), and the flag is written only when it differs, so C(changed) is true only when it flipped.
  - After a write, the API's answer must show the requested value, otherwise the task fails.
  - With O(value), a missing secret is created (provisioning), as M(projectdiscovery.neo.neo_secrets) creates one. A
    creation is never blindly retried. After a failure that may have reached the API, the scope is listed again before
    one more attempt (never after the API accepted the POST), so a retry never makes a second secret. A C(409) answer
    means the secret exists after all, so it is read from the scope and managed like a found one (RV(value_ignored)).
options:
  id:
    description:
      - UUID of the secret (any case).
      - Without O(project_id) or O(project), the secret is looked up in the personal scope first, then in each project
        the caller can see (projects it may not read are skipped with a warning).
      - If O(name) is given too, both must name the same secret.
    type: str
  name:
    description:
      - Name of the secret, an upper-case letter followed by upper-case letters, digits or underscores
        (1 to 128 characters).
      - Looked up in the scope given by O(project) or O(project_id), or in the personal scope when both are omitted.
    type: str
  project_id:
    description:
      - UUID of the project whose secret this is (any case). Omit it (and O(project)) for a personal secret.
      - Mutually exclusive with O(project).
    type: str
  project:
    description:
      - The project whose secret this is, by id or by name, as the other modules of the collection take projects.
      - A name must be the exact name of exactly one project the caller can see (one C(GET /api/v1/projects)); when
        several projects share it, the task fails listing their ids. An id is used as it is, without that read.
      - In check mode, a project that does not exist yet (one that an earlier task of the play creates, such as
        M(projectdiscovery.neo.neo_project)) is not an error. With O(value) the result says the secret would be created
        in that project (C(changed) and RV(created) true, C(msg) C(would be created in project <name> (not created yet))).
      - Mutually exclusive with O(project_id).
    type: str
    version_added: 0.2.0
  default_available:
    description:
      - Whether the secret is injected into every task of its scope by default.
    type: bool
    required: true
  value:
    description:
      - The value of the secret, used only to create it when no secret of O(name) exists in its scope
        (C(POST /api/v1/secrets)); requires O(name). 1 to 10,000 characters.
      - When the secret exists, the value is neither compared nor sent, because the Neo API can neither read
        nor change a secret's value; the result says so with RV(value_ignored) and a warning. To replace a value, delete and
        re-create the secret in the Neo UI.
      - Never shown in any output. Pass it from Ansible Vault or an AWX credential.
    type: str
extends_documentation_fragment:
  - projectdiscovery.neo.connection
  - projectdiscovery.neo.attributes
  - projectdiscovery.neo.attributes.CHANGES
seealso:
  - name: Neo API, update secret metadata
    description: The API call this module makes.
    link: https://docs.neo.projectdiscovery.io/api-reference/secrets/update-secret-metadata
author:
  - ProjectDiscovery Neo collection maintainers (@projectdiscovery)
"""

EXAMPLES = r"""
- name: Keep the production database password out of tasks that do not ask for it
  projectdiscovery.neo.neo_secret:
    name: PROD_DB_PASSWORD
    project_id: aaaaaaaa-0000-4000-8000-000000000001
    default_available: false

- name: Provision a project's deployment key from Ansible Vault (created once, then left alone)
  projectdiscovery.neo.neo_secret:
    name: DEPLOY_KEY
    project_id: aaaaaaaa-0000-4000-8000-000000000001
    value: "{{ vault_deploy_key }}"
    default_available: false

- name: The same, naming the project (a name must be unique among the caller's projects)
  projectdiscovery.neo.neo_secret:
    name: DEPLOY_KEY
    project: Production
    value: "{{ vault_deploy_key }}"
    default_available: false

- name: Set connection options once for every Neo task of the play
  module_defaults:
    group/projectdiscovery.neo.neo:
      api_key: "{{ vault_neo_api_key }}"
  block:
    - name: Make a personal secret available to every task
      projectdiscovery.neo.neo_secret:
        name: GITHUB_TOKEN
        default_available: true

    - name: Address a secret by id, wherever it lives
      projectdiscovery.neo.neo_secret:
        id: 5ec00000-0000-4000-8000-000000000012
        default_available: false
"""

RETURN = r"""
secret:
  description:
    - The secret as the API describes it after the task (in check mode, as it would be; a secret that would be
      created has no C(id) and no C(masked_value) yet).
    - Only the masked form of the value is ever returned.
  returned: success
  type: dict
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
      description: UUID of the owning project, null for a personal secret (and for one that would be created in a project that does not exist yet).
      type: str
      sample: aaaaaaaa-0000-4000-8000-000000000001
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
created:
  description: Whether the task created the secret (in check mode, whether it would).
  returned: success
  type: bool
  sample: false
value_ignored:
  description: True when O(value) was given but the secret already existed, so the value was not compared or sent.
  returned: when O(value) is given and the secret exists
  type: bool
  sample: true
api_retries:
  description: How many times a request was retried (HTTP 429, 5xx, dropped connections, time-outs).
  returned: always
  type: int
  sample: 0
"""
