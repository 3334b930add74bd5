# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Jinja test projectdiscovery.neo.secret_name: the modules' one secret-name rule, for a role to check early."""
from __future__ import annotations

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_secrets import is_secret_name

DOCUMENTATION = r"""
name: secret_name
short_description: Whether a text is a valid Neo secret name
version_added: 0.2.0
description:
  - True when the whole text is a name the collection's modules accept for a secret (1 to 128 characters, an
    upper-case letter, then upper-case letters, digits or underscores), the rule M(projectdiscovery.neo.neo_secrets) applies.
  - The C(projectdiscovery.neo.environment) role uses it to refuse a bad name before any request.
options:
  _input:
    description: The text to test.
    type: raw
    required: true
author:
  - projectdiscovery.neo contributors
"""

EXAMPLES = r"""
- name: Stop before any request when a name is not valid
  ansible.builtin.assert:
    that: item is projectdiscovery.neo.secret_name
  loop: [DB_PASSWORD, API_TOKEN]
"""

RETURN = r"""
_value:
  description: Whether the input is a valid secret name.
  type: boolean
"""


class TestModule:
    def tests(self):
        return {"secret_name": is_secret_name}
