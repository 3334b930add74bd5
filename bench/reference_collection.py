"""A reference collection for bench/policy_bench.py: the cheapest role that makes the floor's API calls.

``neo_bench.reference`` holds one action, ``bare_calls``, that imports ``requests`` in the task's
worker and makes the floor's calls with the floor's bare client (bench/bare_client.py), and one
role, ``bare_policy``, shaped like ``projectdiscovery.neo.secret_policy``: argument specs (so
ansible-core inserts its validation task), the calls registered, and a debug task that shows a
line of the result and fails on a flag of it. It evaluates no rule and writes no report: what it
costs over the floor is what any Ansible module or role pays to make these calls, and what the
secret_policy role costs over it is the collection's own work.

Written, with a playbook for each, into the benchmark's temporary directory at run time, never
into the repository (where linters would look for a collection that is not installed).
"""
import pathlib
import shutil

BENCH = pathlib.Path(__file__).resolve().parent
NAMESPACE, NAME = "neo_bench", "reference"

FILES = {
    "galaxy.yml": "namespace: neo_bench\nname: reference\nversion: 1.0.0\nauthors: [projectdiscovery.neo benchmark]\nreadme: README.md\n",
    "README.md": "Written by bench/reference_collection.py of projectdiscovery.neo.\n",
    "meta/runtime.yml": "---\nrequires_ansible: \">=2.16.0\"\n",
    "plugins/modules/bare_calls.py": '''DOCUMENTATION = r"""
module: bare_calls
short_description: Make the floor's API calls (benchmark reference)
description: [Lists the projects and their secrets, and PATCHes the drifted ones when not in check mode.]
options: {}
author: [projectdiscovery.neo benchmark]
"""
''',
    "plugins/action/bare_calls.py": '''import os

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        # Imported here, in the task's worker, as the collection imports its client.
        from ansible_collections.neo_bench.reference.plugins.plugin_utils.bare_client import bare_client_calls

        projects, drifted = bare_client_calls(os.environ["NEO_API_URL"], os.environ["NEO_API_KEY"], apply=not self._task.check_mode)
        result.update(changed=bool(drifted), failed_policy=False, table="%d projects, %d drifted" % (projects, drifted))
        return result
''',
    "roles/bare_policy/meta/main.yml": """---
galaxy_info: {author: projectdiscovery.neo benchmark, description: reference, license: GPL-3.0-or-later, min_ansible_version: '2.16'}
dependencies: []
""",
    "roles/bare_policy/meta/argument_specs.yml": """---
argument_specs:
  main:
    short_description: Make the floor's API calls
    options:
      bare_policy_rules:
        description: Accepted and not used, so that the validation task has a list of rules to check.
        type: list
        elements: dict
        required: true
""",
    "roles/bare_policy/tasks/main.yml": """---
- name: Make the floor's API calls
  neo_bench.reference.bare_calls:
  register: bare_policy_result

- name: Report the result
  ansible.builtin.debug:
    msg: "{{ bare_policy_result.table }}"
  failed_when: bare_policy_result.failed_policy
""",
}


PLAYBOOKS = {
    "reference_module.yml": """---
# The floor's API calls as the one task of a play.
- name: Make the floor's API calls from one task
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Make the floor's API calls
      neo_bench.reference.bare_calls:
""",
    "reference_role.yml": """---
# The cheapest role that makes the policy's API calls: what the secret_policy role costs over it
# is the collection's own work.
- name: Make the floor's API calls from the reference role
  hosts: localhost
  gather_facts: false
  roles:
    - role: neo_bench.reference.bare_policy
      vars:
        bare_policy_rules:
          - match: ["*"]
            default_available: false
""",
}


def install(workdir):
    """Write the collection under ``workdir``/collections and its playbooks into ``workdir``.

    Returns (the collections path to add to ANSIBLE_COLLECTIONS_PATH, the module's playbook, the role's playbook).
    """
    workdir = pathlib.Path(workdir)
    collections_dir = workdir / "collections"
    root = collections_dir / "ansible_collections" / NAMESPACE / NAME
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "plugins" / "plugin_utils").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BENCH / "bare_client.py", root / "plugins" / "plugin_utils" / "bare_client.py")
    for name, text in PLAYBOOKS.items():
        (workdir / name).write_text(text)
    return collections_dir, workdir / "reference_module.yml", workdir / "reference_role.yml"
