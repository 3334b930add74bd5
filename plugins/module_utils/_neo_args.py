# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""Connection options shared by every plugin of the collection.

The option names and the ``NEO_*`` environment variables are a public interface: they are
documented once in the ``projectdiscovery.neo.connection`` doc fragment and used by AWX
credential injectors. Validation is done by ansible-core's ``ArgumentSpecValidator``, which
applies an env ``fallback`` before a ``default``: ``api_url`` therefore comes from the task
(or ``module_defaults``), else from ``NEO_API_URL``, else the production URL.
"""
from __future__ import annotations

import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import env_fallback
from ansible.module_utils.parsing.convert_bool import BOOLEANS

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_errors import NeoConfigError

DEFAULT_API_URL = "https://neo.api.projectdiscovery.io"

NEO_CONNECTION_ARGSPEC = dict(
    api_url=dict(type="str", default=DEFAULT_API_URL, fallback=(env_fallback, ["NEO_API_URL"])),
    # No fallback here: see with_credentials_from_env (an explicit credential beats the environment).
    api_key=dict(type="str", no_log=True),
    api_token=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["NEO_VALIDATE_CERTS"])),
    ca_path=dict(type="path", fallback=(env_fallback, ["NEO_CA_PATH"])),
    timeout=dict(type="int", default=30),
    retries=dict(type="int", default=5),
)

NEO_CONNECTION_MUTUALLY_EXCLUSIVE = [("api_key", "api_token")]

CREDENTIAL_ENV = (("api_key", "NEO_API_KEY"), ("api_token", "NEO_API_TOKEN"))


def with_credentials_from_env(args, environ):
    """Task arguments completed with a credential from the environment, when the task gives none.

    Late binding (as community.hashi_vault does) instead of an ``env_fallback`` per option:
    with fallbacks, an AWX credential injecting NEO_API_KEY would make a task that passes
    ``api_token`` fail as "mutually exclusive". The task's own credential wins; only when it
    has none is the environment used, and then both variables set at once is ambiguous.
    """
    if any(args.get(option) is not None for option, _variable in CREDENTIAL_ENV):
        return args
    found = {option: environ[variable] for option, variable in CREDENTIAL_ENV if environ.get(variable)}
    if len(found) > 1:
        raise NeoConfigError("NEO_API_KEY and NEO_API_TOKEN are both set in the environment: unset one, or give api_key or api_token in the task")
    return dict(args, **found)


# Where a credential the caller gave (not a NEO_* variable) was set, and what to check, for the message
# of a rejected credential; never the option's name (no event of the event source may name a credential option).
GIVEN_IN_TASK = ("given in the task", "check the task's options, module_defaults and role variables")


def credential_variable(params, environ):
    """The ``NEO_*`` variable the credential of the validated ``params`` was read from, None when the task gave it.

    ``with_credentials_from_env`` reads the environment only for a task without a credential, so a
    credential equal to its variable's value came from there. A task that passes that very value
    (``lookup('env', 'NEO_API_KEY')``) names the same key: the variable is still where to look.
    """
    for option, variable in CREDENTIAL_ENV:
        if params.get(option) is not None:
            return variable if environ.get(variable) == params[option] else None
    return None


def check_environment(args, environ):
    """Errors of ``NEO_*`` variables the task relies on, naming the variable (not the option)."""
    value = environ.get("NEO_VALIDATE_CERTS")
    if args.get("validate_certs") is None and value is not None and value.strip().lower() not in {str(b).lower() for b in BOOLEANS}:
        raise NeoConfigError("NEO_VALIDATE_CERTS: %r is not a boolean (use true or false)" % value)
    if not any(args.get(option) is not None for option, _variable in CREDENTIAL_ENV):
        if not any(environ.get(variable) for _option, variable in CREDENTIAL_ENV):
            raise NeoConfigError("no credentials: set api_key or api_token, or NEO_API_KEY or NEO_API_TOKEN")


def client_from_params(params, environ=None, given_in=GIVEN_IN_TASK, **kwargs):
    """Build the one ``NeoClient`` of a task from its validated connection parameters.

    ``environ`` (default ``os.environ``, which ``with_credentials_from_env`` read) tells where the
    credential came from, for the messages of a rejected credential; ``given_in``: where a
    credential that came from no variable was set, and what to check (``GIVEN_IN_TASK``). ``kwargs``
    pass the settings no option reaches: ``on_retry``, ``pool_size``, ``observer``.
    Raises ``NeoConfigError`` with a message naming the bad option.
    """
    # Imported here, in the task's worker process. The controller's main process imports every
    # action plugin a play runs (ansible-core reads their class attributes) but never needs
    # requests, which would make it slower to fork each later task and to exit (10 to 20 ms a
    # playbook, docs/performance.md).
    from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_client import NeoClient  # pylint: disable=import-outside-toplevel

    def get(name, default):
        value = params.get(name)
        return default if value is None else value

    return NeoClient(
        api_url=get("api_url", DEFAULT_API_URL),
        api_key=params.get("api_key"),
        api_token=params.get("api_token"),
        validate_certs=get("validate_certs", True),
        ca_path=params.get("ca_path"),
        timeout=get("timeout", 30),
        retries=get("retries", 5),
        credential_source=_credential_source(credential_variable(params, os.environ if environ is None else environ), given_in),
        **kwargs
    )


def _credential_source(variable, given_in):
    return ("from %s" % variable, "check that variable") if variable else given_in


def _not_a_string(path, value):
    return "argument '%s' must be a string, got a %s" % (path, "list" if isinstance(value, list) else "dictionary")


def string_errors(spec, args, prefix=""):
    """Errors for a list or dictionary given to a ``str`` option, in sub-options and list elements too.

    ansible-core's validator would silently turn it into its Python text (``"['A']"``), which
    then looks like a valid name or glob; the value itself is never quoted.
    """
    errors = []
    for name, option in spec.items():
        value, kind, path = args.get(name), option.get("type", "str"), prefix + name
        if kind == "str" and isinstance(value, (list, dict)):
            errors.append(_not_a_string(path, value))
        elif kind == "list" and isinstance(value, list):
            for item, element in enumerate(value):
                where = "%s[%d]" % (path, item)
                if option.get("elements") == "str" and isinstance(element, (list, dict)):
                    errors.append(_not_a_string(where, element))
                elif "options" in option and isinstance(element, dict):
                    errors.extend(string_errors(option["options"], element, where + "."))
        elif kind == "dict" and "options" in option and isinstance(value, dict):
            errors.extend(string_errors(option["options"], value, path + "."))
    return errors


def validate_arguments(spec, args, **constraints):
    """``(result, errors)`` of ansible-core's ``ArgumentSpecValidator`` over ``args``, the one way
    every plugin and the event source validate their options.

    An option given as null counts as not given (its default and ``NEO_*`` fallback apply), as a
    role variable set to null does. ``errors`` are texts from :func:`string_errors` and then the
    validator's error objects (an ``UnsupportedError`` is an unknown option).
    """
    args = {name: value for name, value in args.items() if value is not None}
    result = ArgumentSpecValidator(spec, **constraints).validate(args)
    return result, string_errors(spec, args) + list(result.errors)
