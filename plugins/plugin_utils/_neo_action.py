# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""Base class of every action plugin of the collection.

Each module of this collection is a documentation-only file plus an action plugin of the same
name, so that the HTTP work runs on the controller (much cheaper per call than a module shipped
to a host; docs/architecture.md has the figures). This class gives those plugins what
``AnsibleModule`` gives a module: argument validation with ansible-core's own validator,
environment fallbacks, ``no_log`` redaction of the whole result, and failures as one-line
messages instead of tracebacks.
"""
from __future__ import annotations

import os
import traceback

from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import (
    NEO_CONNECTION_ARGSPEC,
    NEO_CONNECTION_MUTUALLY_EXCLUSIVE,
    check_environment,
    client_from_params,
    validate_arguments,
    with_credentials_from_env,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoError


def redact(result, no_log_values):
    """The result without any value of a ``no_log`` option, as ``AnsibleModule`` guarantees.

    The values are masked longest first (ansible-core masks them in the order given): a secret
    value that contains the API key must go whole, not leave its ends around a masked key.
    """
    # An empty value would be "found" between every two characters.
    return remove_values(result, sorted({value for value in no_log_values if value}, key=len, reverse=True))


def _validation_message(action, errors):
    """One message for the validation errors, with ansible-core's own wording for unknown options.

    An unknown option reads as a module would report it (``Unsupported parameters for
    (projectdiscovery.neo.neo_secret) module: project. Supported parameters include: ...``);
    other errors are prefixed with the action's name once.
    """
    unsupported = ["Unsupported parameters for (%s) module: %s" % (action, error.error_message) for error in errors if isinstance(error, UnsupportedError)]
    others = [error if isinstance(error, str) else error.error_message for error in errors if not isinstance(error, UnsupportedError)]
    if others:
        unsupported.append("%s: %s" % (action, "; ".join(others)))
    return "; ".join(unsupported)


class NeoActionBase(ActionBase):
    """Validate arguments, build one client, run ``run_neo`` and redact the result."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    argument_spec: dict = {}
    mutually_exclusive: tuple = ()
    required_one_of: tuple = ()
    required_together: tuple = ()
    required_if: tuple = ()
    required_by: dict = {}

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        self.no_log_values = set()
        try:
            params = self._validated_parameters()
        except NeoError as err:
            result.update(failed=True, msg=str(err))
            return redact(result, self.no_log_values)

        warnings = []
        client = None
        try:
            self.check_input(params)
            client = client_from_params(params, on_retry=warnings.append, **self.client_options(params))
            if not client.validate_certs and client.api_url.startswith("https:"):
                warnings.append("validate_certs is false: the TLS certificate of %s is not verified" % client.api_url)
            result.update(self.run_neo(client, params, check_mode=bool(self._task.check_mode), diff=bool(self._task.diff), warn=warnings.append))
        except NeoError as err:
            result.update(failed=True, msg=str(err))
        except Exception as err:  # pylint: disable=broad-except
            # A bug, not a condition the messages foresee: one line, and the traceback at -vvv.
            result.update(failed=True, msg="%s: unexpected %s: %s" % (self.action_name, type(err).__name__, err), exception=traceback.format_exc())
        finally:
            if client is not None:
                result["api_retries"] = client.retry_count
                client.close()
        if warnings:
            result["warnings"] = warnings
        return redact(result, self.no_log_values)

    def _validated_parameters(self):
        """The task's parameters validated by ansible-core's validator; NeoError listing every problem.

        An option given as null counts as not given, as a role variable set to null does: its
        default and NEO_* fallback apply.
        """
        spec = dict(NEO_CONNECTION_ARGSPEC, **self.argument_spec)
        args = {name: value for name, value in self._task.args.items() if value is not None}
        try:
            check_environment(args, os.environ)
            args_with_credentials = with_credentials_from_env(args, os.environ)
        except NeoError as err:
            raise NeoError("%s: %s" % (self.action_name, err)) from None
        validation, errors = validate_arguments(
            spec,
            args_with_credentials,
            mutually_exclusive=list(NEO_CONNECTION_MUTUALLY_EXCLUSIVE) + list(self.mutually_exclusive),
            required_one_of=list(self.required_one_of),
            required_together=list(self.required_together),
            required_if=list(self.required_if),
            required_by=dict(self.required_by),
        )
        self.no_log_values = set(validation._no_log_values)
        if errors:
            raise NeoError(_validation_message(self.action_name, errors))
        return validation.validated_parameters

    @property
    def action_name(self):
        """The module's fully qualified name, as ansible-core names a module in its messages."""
        return getattr(self._task, "resolved_action", None) or self._task.action

    def check_input(self, params):
        """Raise ``NeoInputError`` for input the argument spec cannot express (before any request)."""

    def client_options(self, params):
        """Extra keyword arguments for the client (e.g. its connection pool size)."""
        return {}

    def run_neo(self, client, params, check_mode, diff, warn):
        """Do the module's work; return the result fields."""
        raise NotImplementedError
