#!/usr/bin/python
# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The implementation is the action plugin plugins/action/neo_project_info.py (runs on the controller).
from __future__ import annotations

DOCUMENTATION = r"""
module: neo_project_info
short_description: List the ProjectDiscovery Neo projects of the caller
version_added: 0.1.0
description:
  - Reads the caller's projects with C(GET /api/v1/projects) (every page) and returns them,
    optionally filtered to one O(id) or to one O(name).
  - Only the documented fields of a project record are returned; fields the API does not send are left out.
  - Project names are free text and not unique. A lookup by O(name) that matches several projects
    fails with a message listing their ids; use O(id) then.
  - An O(id) or O(name) that matches no project is not a failure; RV(projects) is then an empty list.
    Use a C(failed_when) or C(assert) on its length when a project must exist.
  - The module never changes anything, so C(changed) is always false.
options:
  id:
    description:
      - UUID of a project. Only that project is returned (an empty list when the caller cannot see it).
      - Mutually exclusive with O(name).
    type: str
  name:
    description:
      - Exact, case-sensitive name of a project.
      - Returns the one project with that name, or an empty list when none has it.
        Fails when several projects share the name.
      - Mutually exclusive with O(id).
    type: str
extends_documentation_fragment:
  - projectdiscovery.neo.connection
  - projectdiscovery.neo.attributes
  - projectdiscovery.neo.attributes.INFO
seealso:
  - module: projectdiscovery.neo.neo_secret_info
  - module: projectdiscovery.neo.neo_secret
author:
  - ProjectDiscovery Neo collection maintainers (@projectdiscovery)
"""

EXAMPLES = r"""
- name: Set connection options once for every Neo task of the play
  module_defaults:
    group/projectdiscovery.neo.neo:
      api_key: "{{ vault_neo_api_key }}"
  block:
    - name: List every project of the caller
      projectdiscovery.neo.neo_project_info:
      register: neo_projects

    - name: Show their names and ids
      ansible.builtin.debug:
        msg: "{{ neo_projects.projects | items2dict(key_name='id', value_name='name') }}"

- name: Find the project called Production
  projectdiscovery.neo.neo_project_info:
    name: Production
  register: production
  failed_when: production.projects | length != 1

- name: Read one project by id
  projectdiscovery.neo.neo_project_info:
    id: aaaaaaaa-0000-4000-8000-000000000001
  register: project
"""

RETURN = r"""
projects:
  description:
    - The caller's projects in the order the API lists them, filtered by O(id) or O(name).
    - Empty when no project matches.
    - Each record holds only the documented project fields that the API sent.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: UUID of the project.
      type: str
      sample: aaaaaaaa-0000-4000-8000-000000000001
    name:
      description: Name of the project (free text, may be empty, not unique).
      type: str
      sample: Production
    created_at:
      description: When the project was created.
      type: str
    updated_at:
      description: When the project was last changed.
      type: str
    owner_email:
      description: E-mail address of the project's owner.
      type: str
      sample: alice@example.test
    is_owner:
      description: Whether the caller owns the project.
      type: bool
    member_count:
      description: Number of members.
      type: int
    task_count:
      description: Number of tasks.
      type: int
    tags:
      description: Tags of the project.
      type: list
      elements: str
      sample: [prod]
    settings_md:
      description: Project context markdown made available to every task in the project.
      type: str
    shared_with_team:
      description: Whether all members of the owner's team can access the project.
      type: bool
    shared_team_id:
      description: UUID of the team the project is shared with.
      type: str
    issue_count:
      description: Number of issues.
      type: int
    issues_by_severity:
      description: Issue counts per severity, each with C(label) and C(count).
      type: list
      elements: dict
    issues_by_status:
      description: Issue counts per status, each with C(label) and C(count).
      type: list
      elements: dict
    cap_percent_used:
      description: Share of the spending cap used, in percent.
      type: float
    cap_used_usd:
      description: Spending used against the cap, in US dollars.
      type: float
    spending_cap_usd:
      description: Spending cap of the project, in US dollars.
      type: float
api_retries:
  description: How many times a request was retried (HTTP 429, 5xx, dropped connections, time-outs).
  returned: always
  type: int
  sample: 0
"""
