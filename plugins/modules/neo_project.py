#!/usr/bin/python
# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The implementation is the action plugin plugins/action/neo_project.py (runs on the controller).
from __future__ import annotations

DOCUMENTATION = r"""
module: neo_project
short_description: Create a ProjectDiscovery Neo project, or set its name, tags, settings and sharing
version_added: 0.2.0
description:
  - Finds one project among the caller's projects (C(GET /api/v1/projects), every page) by O(id), else by its exact
    O(name), and makes it have the given fields. Fields left out are not managed.
  - When no project matches, it is created with one C(POST /api/v1/projects). With O(id) the POST carries that id, so a
    re-run can never create a second project; a C(409) answer means the project exists after all, and it is read from the
    project list and updated like a found one. A creation is never blindly retried (see the user guide).
  - When the project exists, one C(PATCH /api/v1/projects/{id}) sends only the given fields that differ; when nothing
    differs, no request is sent after the project list. C(changed) is true only when the project was created or a field
    differed. After a write, the API's answer must show what was sent, otherwise the task fails.
  - Only the owner of a project may change it. A PATCH the API refuses for that reason fails in one line naming the project;
    in check mode, a project whose record says C(is_owner) false fails the same way when something would change.
  - There is no C(state) option. The Neo API documents no way to delete a project (nor to read a single one), so this module
    can only create and change projects; delete one in the Neo web application.
options:
  id:
    description:
      - UUID of the project (any case). The project with this id is managed, and created with this id when it does not exist.
      - When O(name) is given too, it is the name the project must have (a rename when it differs).
      - At least one of O(id) and O(name) is required. Give O(id) in provisioning playbooks, so that a project can never be
        created twice.
    type: str
  name:
    description:
      - Name of the project, 1 to 128 characters, compared exactly (case-sensitive).
      - Without O(id), the one project with this name is managed (and a new one created when none has it); when several
        projects share the name, the task fails listing their ids.
    type: str
  tags:
    description:
      - The whole set of tags the project must have; the API replaces the set on every update, so tags not listed are removed.
      - Compared as a set, ignoring order, duplicates and blanks around each tag.
      - At most 20 tags, each at most 32 characters after trimming, not empty and without control characters; anything
        else fails before any request.
    type: list
    elements: str
  settings_md:
    description:
      - The project's settings Markdown (context made available to every task in the project), compared exactly. An empty
        string clears it.
      - The Neo API keeps at most 35,000 characters and cuts a longer text off behind a marker. A stored text would then
        never equal the one given, so a longer O(settings_md) fails before any request.
      - With C(--diff), changes are shown as a line diff.
    type: str
  shared_with_team:
    description:
      - Whether every current and future member of the owner's team can access the project.
      - The API documents this field for updates only, so a new project that must be shared gets one PATCH after its POST.
    type: bool
extends_documentation_fragment:
  - projectdiscovery.neo.connection
  - projectdiscovery.neo.attributes
attributes:
  check_mode:
    description: In check mode the module reads the project list and reports what it would create or change, without writing.
    support: full
  diff_mode:
    description:
      - With C(--diff) the module shows the fields that change (all given fields for a new project) before and after, tags
        sorted, and O(settings_md) as a line diff. Nothing is shown when nothing changes.
    support: full
seealso:
  - module: projectdiscovery.neo.neo_project_info
  - name: Neo API, create project
    description: The API call that creates a project.
    link: https://docs.neo.projectdiscovery.io/api-reference/projects/create-project
  - name: Neo API, update project
    description: The API call that changes a project.
    link: https://docs.neo.projectdiscovery.io/api-reference/projects/update-project
author:
  - ProjectDiscovery Neo collection maintainers (@projectdiscovery)
"""

EXAMPLES = r"""
- name: A payments project, created once with a fixed id (a re-run changes nothing)
  projectdiscovery.neo.neo_project:
    id: cccccccc-0000-4000-8000-000000000001
    name: Payments
    tags: [payments, pci]
    settings_md: |
      # Payments
      Scope: payments.example.com and its API. Never test production card data.
    shared_with_team: true

- name: Production carries the tags the policy selects environments by
  projectdiscovery.neo.neo_project:
    id: aaaaaaaa-0000-4000-8000-000000000001
    tags: [prod, pci]

- name: Set connection options once for every Neo task of the play
  module_defaults:
    group/projectdiscovery.neo.neo:
      api_key: "{{ vault_neo_api_key }}"
  block:
    - name: A project found (or created) by its name
      projectdiscovery.neo.neo_project:
        name: Research
        tags: [research]
      register: research

    - name: Show its id
      ansible.builtin.debug:
        msg: "{{ research.project.id }}"
"""

RETURN = r"""
project:
  description:
    - The project after the task, as the API describes it (in check mode, as it would be; a project that would be created
      without O(id) has no C(id) yet).
    - Only the documented fields of a project record are returned.
  returned: success
  type: dict
  contains:
    id:
      description: UUID of the project.
      type: str
      sample: cccccccc-0000-4000-8000-000000000001
    name:
      description: Name of the project.
      type: str
      sample: Payments
    tags:
      description: Tags of the project.
      type: list
      elements: str
      sample: [payments, pci]
    settings_md:
      description: The settings Markdown.
      type: str
    shared_with_team:
      description: Whether the members of the owner's team can access the project.
      type: bool
    is_owner:
      description: Whether the caller owns the project.
      type: bool
    owner_email:
      description: E-mail address of the project's owner.
      type: str
    created_at:
      description: When the project was created.
      type: str
    updated_at:
      description: When the project was last changed.
      type: str
created:
  description: Whether the task created the project (in check mode, whether it would).
  returned: success
  type: bool
  sample: true
api_retries:
  description: How many times a request was retried (HTTP 429, 5xx, dropped connections, time-outs).
  returned: always
  type: int
  sample: 0
"""
