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

import json
import os
import traceback

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible.utils.unsafe_proxy import AnsibleUnsafeText

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import (
    NEO_CONNECTION_ARGSPEC,
    NEO_CONNECTION_MUTUALLY_EXCLUSIVE,
    check_environment,
    client_from_params,
    with_credentials_from_env,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoError

SECRET_POLICY_ROLE = "projectdiscovery.neo.secret_policy"
ENVIRONMENT_ROLE = "projectdiscovery.neo.environment"
#: The connection options and the variables that set them in the collection's roles.
CONNECTION_ROLE_VARIABLES = {"api_url": "neo_api_url", "api_key": "neo_api_key", "api_token": "neo_api_token", "validate_certs": "neo_validate_certs",
                             "ca_path": "neo_ca_path"}


def redact(result, no_log_values):
    """The result without any value of a ``no_log`` option, as ``AnsibleModule`` guarantees.

    ``remove_values`` walks every string of the result, which is slow on a policy result of
    thousands of entries (docs/performance.md); one JSON serialisation shows first whether any
    such value occurs at all (as JSON escapes it), and only then is the walk needed.
    """
    needles = [json.dumps(value, ensure_ascii=False)[1:-1] for value in no_log_values if value]
    if not needles:
        return result
    serialized = json.dumps(result, ensure_ascii=False, default=str)
    if any(needle in serialized for needle in needles):
        return remove_values(result, no_log_values)
    return result


# False from ansible-core 2.19 on (data tagging): AnsibleUnsafeText("x") is then the str "x".
_UNSAFE_TEXT_IS_A_TYPE = isinstance(AnsibleUnsafeText("x"), AnsibleUnsafeText)


def unsafe_records(records):
    """Flat records (dicts of scalars) with every string marked unsafe, one object per distinct string.

    ansible-core marks each string of a result unsafe (never templated) anyway, but one object per
    occurrence, which it then wraps, pickles to the main process and copies one by one; with the
    strings marked here and shared (the same key, project or status text repeats in every
    record), most of that work is skipped (docs/performance.md has the figures). From
    ansible-core 2.19 on, ``AnsibleUnsafeText`` returns the plain string and results are not
    processed that way: the records are returned as they are.
    """
    if not _UNSAFE_TEXT_IS_A_TYPE:
        return records
    shared = {}

    def unsafe(text):
        value = shared.get(text)
        if value is None:
            value = shared[text] = AnsibleUnsafeText(text)
        return value

    return [{unsafe(key): unsafe(value) if isinstance(value, str) else value for key, value in record.items()} for record in records]


def _containers_for_strings(spec, args):
    """Errors for a list or dictionary given to a ``str`` option.

    ansible-core's validator would silently turn it into its Python text (``"['A']"``), which
    then looks like a valid name or glob; the value itself is never quoted.
    """
    return ["argument '%s' must be a string, got a %s" % (name, "list" if isinstance(args[name], list) else "dictionary")
            for name, option in spec.items()
            if option.get("type", "str") == "str" and isinstance(args.get(name), (list, dict))]


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
    #: Role -> {option: role variable}: messages name what the user wrote when a role runs the module.
    role_variables: dict = {}
    #: Role -> {option: role variable}: options the role's task leaves out, read here from the role's
    #: variables. A variable that is set and not null wins over the play's module_defaults (already
    #: in the task's arguments), which win over the NEO_* environment. Passing only the variables
    #: that are set from the task itself took a template costing 10 to 20 ms per task on
    #: ansible-core 2.16 (docs/performance.md); reading them here costs nothing.
    role_settings: dict = {}

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        self.no_log_values = set()
        try:
            params = self._validated_parameters(task_vars or {})
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

    def _validated_parameters(self, task_vars):
        """The task's parameters validated by ansible-core's validator; NeoError listing every problem."""
        spec = dict(NEO_CONNECTION_ARGSPEC, **self.argument_spec)
        args = dict(self._task.args, **self._role_settings(task_vars))
        try:
            check_environment(args, os.environ)
            args_with_credentials = with_credentials_from_env(args, os.environ)
        except NeoError as err:
            raise NeoError("%s: %s" % (self.action_name, err)) from None
        validation = ArgumentSpecValidator(
            spec,
            mutually_exclusive=list(NEO_CONNECTION_MUTUALLY_EXCLUSIVE) + list(self.mutually_exclusive),
            required_one_of=list(self.required_one_of),
            required_together=list(self.required_together),
            required_if=list(self.required_if),
            required_by=dict(self.required_by),
        ).validate(args_with_credentials)
        self.no_log_values = set(validation._no_log_values)
        errors = _containers_for_strings(spec, args) + list(validation.errors)
        if errors:
            raise NeoError(_validation_message(self.action_name, errors))
        return validation.validated_parameters

    @property
    def action_name(self):
        """The module's fully qualified name, as ansible-core names a module in its messages."""
        return getattr(self._task, "resolved_action", None) or self._task.action

    @property
    def _role_name(self):
        role = getattr(self._task, "_role", None)
        return None if role is None else role.get_name()

    def _role_settings(self, task_vars):
        """The options this task's role sets through its variables (``role_settings``): those set and not null, templated."""
        settings = {}
        for option, variable in self.role_settings.get(self._role_name, {}).items():
            value = task_vars.get(variable)
            if value is not None:
                value = self._templar.template(value)
            if value is not None:
                settings[option] = value
        return settings

    def option_name(self, option):
        """How the user wrote ``option``: the role variable when the task runs in a role that maps it."""
        role_name = self._role_name
        for names in (self.role_variables.get(role_name, {}), self.role_settings.get(role_name, {})):
            if option in names:
                return names[option]
        return option

    def check_input(self, params):
        """Raise ``NeoInputError`` for input the argument spec cannot express (before any request)."""

    def client_options(self, params):
        """Extra keyword arguments for the client (e.g. its connection pool size)."""
        return {}

    def run_neo(self, client, params, check_mode, diff, warn):
        """Do the module's work; return the result fields."""
        raise NotImplementedError
