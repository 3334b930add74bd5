# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""Base class of every action plugin of the collection.

Each module of this collection is a documentation-only file plus an action plugin of the same
name, so that the HTTP work runs on the controller (about 4 ms a call instead of about 0.3 s
for a module shipped to a host; see docs/architecture.md). This class gives those plugins what
``AnsibleModule`` gives a module: argument validation with ansible-core's own validator,
environment fallbacks, ``no_log`` redaction of the whole result, and failures as one-line
messages instead of tracebacks.
"""
from __future__ import annotations

import json
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible.utils.unsafe_proxy import AnsibleUnsafeText

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import (
    NEO_CONNECTION_ARGSPEC,
    NEO_CONNECTION_MUTUALLY_EXCLUSIVE,
    NEO_CONNECTION_REQUIRED_ONE_OF,
    client_from_params,
    with_credentials_from_env,
)
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_client import NeoApiError, NeoConfigError
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_policy import PolicyError
from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_secrets import SecretInputError, SecretNotFound, SecretStateError

# Failures whose message is written for the user; anything else is reported with its type.
EXPECTED_ERRORS = (NeoApiError, NeoConfigError, PolicyError, SecretInputError, SecretNotFound, SecretStateError)


def redact(result, no_log_values):
    """The result without any value of a ``no_log`` option, as ``AnsibleModule`` guarantees.

    ``remove_values`` walks every string of the result, which costs a noticeable part of a second
    on a policy report of thousands of entries; one JSON serialisation shows first whether any
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
    occurrence, which it then wraps, pickles to the main process and copies one by one. At
    thousands of records that costs ansible-core 2.16 about 50 ms per 1,000 policy entries; with
    the strings marked here and shared (the same key, project or status text repeats in every
    record), most of that work is skipped. From ansible-core 2.19 on, ``AnsibleUnsafeText``
    returns the plain string and results are not processed that way: the records are returned as
    they are.
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
        spec = dict(NEO_CONNECTION_ARGSPEC, **self.argument_spec)
        validation = ArgumentSpecValidator(
            spec,
            mutually_exclusive=list(NEO_CONNECTION_MUTUALLY_EXCLUSIVE) + list(self.mutually_exclusive),
            required_one_of=list(NEO_CONNECTION_REQUIRED_ONE_OF) + list(self.required_one_of),
            required_together=list(self.required_together),
            required_if=list(self.required_if),
            required_by=dict(self.required_by),
        ).validate(with_credentials_from_env(dict(self._task.args), os.environ))
        no_log_values = set(validation._no_log_values)
        errors = _containers_for_strings(spec, self._task.args) + validation.error_messages
        if errors:
            result.update(failed=True, msg="%s: %s" % (self._task.action, "; ".join(errors)))
            return redact(result, no_log_values)

        warnings = []
        client = None
        try:
            params = validation.validated_parameters
            self.check_input(params)
            client = client_from_params(params, on_retry=warnings.append, **self.client_options(params))
            result.update(self.run_neo(client, params, check_mode=bool(self._task.check_mode), diff=bool(self._task.diff), warn=warnings.append))
        except EXPECTED_ERRORS as err:
            result.update(failed=True, msg=str(err))
        except Exception as err:  # pylint: disable=broad-except
            # A traceback helps nobody in a job log; the type and text locate the problem.
            result.update(failed=True, msg="%s: unexpected %s: %s" % (self._task.action, type(err).__name__, err))
        finally:
            if client is not None:
                result["api_retries"] = client.retry_count
                client.close()
        if warnings:
            result["warnings"] = warnings
        return redact(result, no_log_values)

    def check_input(self, params):
        """Raise ``SecretInputError`` for input the argument spec cannot express (before any request)."""

    def client_options(self, params):
        """Extra keyword arguments for the client (e.g. its connection pool size)."""
        return {}

    def run_neo(self, client, params, check_mode, diff, warn):
        """Do the module's work; return the result fields."""
        raise NotImplementedError
