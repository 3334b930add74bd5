# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations


class ModuleDocFragment:
    """Attributes shared by the modules of the collection."""

    DOCUMENTATION = r"""
attributes:
  action:
    description: The module is implemented by an action plugin that runs on the controller.
    support: full
  action_group:
    description: Use C(group/projectdiscovery.neo.neo) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - projectdiscovery.neo.neo
  async:
    description: The module cannot run asynchronously.
    support: none
  platform:
    description: Runs on the controller; the target host is not used.
    support: full
    platforms: all
"""

    CHANGES = r"""
attributes:
  check_mode:
    description: In check mode the module reads the current state and reports what it would change, without writing.
    support: full
  diff_mode:
    description: With C(--diff) the module returns the identifying fields and C(default_available) before and after.
    support: full
"""

    INFO = r"""
attributes:
  check_mode:
    description: The module only reads, so it runs unchanged in check mode.
    support: full
  diff_mode:
    description: The module only reads and returns no diff.
    support: N/A
"""
