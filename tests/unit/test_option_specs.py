"""One source for option specs: action plugin argument spec, module documentation and role argument specs agree.

What is compared, recursively (suboptions, elements of lists of dicts):

* every module: the spec that is really validated, ``NEO_CONNECTION_ARGSPEC`` plus the action plugin's
  ``argument_spec`` (merged as ``NeoActionBase.run`` merges them), against the module's DOCUMENTATION
  with the doc fragments it names merged in (as ansible-doc merges them: the module's own options win).
  Fields: option names, type (absent means ``str``), required, default (absent means None; compared
  after the type's conversion, as validate-modules does), choices, elements, aliases, and the
  environment variables: module documentation cannot carry ``env:`` entries (validate-modules rejects
  the key for modules), so an ``env_fallback`` variable (or a credential variable read by
  ``with_credentials_from_env``) must be named as ``E(NEO_...)`` in the option's description, and every
  ``E(NEO_...)`` named there must be one the option is really read from.
* ``no_log``: module documentation has no ``no_log`` key either, so the spec's ``no_log`` options must be
  exactly the known set below, and every option whose name looks like a credential must be one of them.
* the role ``secret_policy``: every option of ``meta/argument_specs.yml`` maps onto a module option
  (table below) and agrees with its spec in type, elements, required, default, choices and ``no_log``;
  the rules and exceptions are declared without their suboptions, which the module documents and
  checks; ``defaults/main.yml`` sets exactly the documented defaults; the table is what
  ``tasks/main.yml`` really passes.
* the role ``environment``: the same, with its own table: its variables feed three modules
  (``neo_project``, ``neo_secrets``, ``neo_secret_policy``) and the connection options of all three.
"""
import importlib
import pathlib
import re

import pytest
import yaml
from ansible.module_utils.common.parameters import DEFAULT_TYPE_VALIDATORS, env_fallback

from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_args import CREDENTIAL_ENV, NEO_CONNECTION_ARGSPEC

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
COLLECTION = "projectdiscovery.neo"
PACKAGE = "ansible_collections.projectdiscovery.neo"
MODULE_NAMES = sorted(p.stem for p in (REPO_ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
ROLE = REPO_ROOT / "roles" / "secret_policy"
ROLE_MODULE = "neo_secret_policy"

# How the role secret_policy feeds the module neo_secret_policy (roles/secret_policy/tasks/main.yml).
# A role variable is the module option with the prefix neo_secret_policy_ (policy options) or neo_
# (connection options). How it is passed:
#   VALUE    "{{ var }}" as a task argument: the role's default must be the module's default.
#   IF_SET   only when the variable is set and not null, as an entry
#            "('option', var) if var is defined and var is not none" of the dict the task passes as its own
#            module_defaults (built in vars/main.yml; "{{ var | default(omit) }}" would hide the play's
#            module_defaults): the role has no default of its own, so the module's default, the play's
#            module_defaults or the option's NEO_* environment variable decide.
#
#   role variable                      module option       passed as
#   neo_secret_policy_rules            rules               VALUE (required)
#   neo_secret_policy_concurrency      concurrency         VALUE
#   neo_secret_policy_exceptions       exceptions          VALUE
#   neo_secret_policy_report_path      report_path         IF_SET
#   neo_secret_policy_junit_path       junit_path          IF_SET
#   neo_secret_policy_markdown_path    markdown_path       IF_SET
#   neo_secret_policy_entries_limit    entries_limit       VALUE
#   neo_secret_policy_list_compliant   list_compliant      VALUE
#   neo_secret_policy_fail_on_drift    fail_on_drift       VALUE
#   neo_api_url                        api_url             IF_SET
#   neo_api_key                        api_key             IF_SET
#   neo_api_token                      api_token           IF_SET
#   neo_validate_certs                 validate_certs      IF_SET
#   neo_ca_path                        ca_path             IF_SET
#   (set by the role itself)           defer_failure       true
#   (set by the role itself)           publish_summary_as  neo_secret_policy_summary
#   (not offered by the role)          timeout, retries    the play's module_defaults or the module's default
VALUE = "value"
IF_SET = "if set"
ROLE_OPTIONS = {
    "neo_secret_policy_rules": ("rules", VALUE),
    "neo_secret_policy_concurrency": ("concurrency", VALUE),
    "neo_secret_policy_exceptions": ("exceptions", VALUE),
    "neo_secret_policy_exceptions_max_days": ("exceptions_max_days", IF_SET),
    "neo_secret_policy_exceptions_require_owner": ("exceptions_require_owner", VALUE),
    "neo_secret_policy_exceptions_warn_days": ("exceptions_warn_days", VALUE),
    "neo_secret_policy_report_path": ("report_path", IF_SET),
    "neo_secret_policy_junit_path": ("junit_path", IF_SET),
    "neo_secret_policy_markdown_path": ("markdown_path", IF_SET),
    "neo_secret_policy_entries_limit": ("entries_limit", VALUE),
    "neo_secret_policy_list_compliant": ("list_compliant", VALUE),
    "neo_secret_policy_fail_on_drift": ("fail_on_drift", VALUE),
    "neo_api_url": ("api_url", IF_SET),
    "neo_api_key": ("api_key", IF_SET),
    "neo_api_token": ("api_token", IF_SET),
    "neo_validate_certs": ("validate_certs", IF_SET),
    "neo_ca_path": ("ca_path", IF_SET),
}
ROLE_SETS_ITSELF = {"defer_failure": True, "publish_summary_as": "neo_secret_policy_summary"}
ROLE_DOES_NOT_OFFER = {"timeout", "retries"}

# The only no_log options, by module (paths below the module, suboptions joined with dots).
CONNECTION_NO_LOG = {"api_key", "api_token"}
MODULE_NO_LOG = {"neo_secret": {"value"}, "neo_secrets": {"secrets.value"}}
# A name with one of these words (as a whole _-separated part) looks like a credential. As in
# validate-modules, bool and path options are flags or file names, not secrets.
CREDENTIAL_NAME = re.compile(r"(?:^|_)(?:key|token|password|passwd|secret|value|credentials?)(?:_|$)(?!id$)")

# The late-bound credential variables (with_credentials_from_env) are read for either credential option.
CREDENTIAL_OPTIONS = {option for option, _variable in CREDENTIAL_ENV}
CREDENTIAL_VARIABLES = {variable for _option, variable in CREDENTIAL_ENV}
# The collection's own variables; others (REQUESTS_CA_BUNDLE ...) are read by libraries, not by a spec.
DOCUMENTED_ENV = re.compile(r"\bE\((NEO_[A-Z0-9_]+)\)")

# The keys each source may use; any other key would go unchecked, so it fails the test instead.
KNOWN_KEYS = {
    "spec": {"type", "elements", "required", "default", "choices", "aliases", "no_log", "fallback", "options", "apply_defaults"},
    # No env and no no_log: validate-modules rejects both in a module's documentation.
    "doc": {"description", "type", "elements", "required", "default", "choices", "aliases", "suboptions", "version_added"},
    "role": {"description", "type", "elements", "required", "default", "choices", "no_log", "options", "version_added"},
}
SUBOPTIONS_KEY = {"spec": "options", "doc": "suboptions", "role": "options"}
DOC_FIELDS = ("type", "elements", "required", "default", "choices", "aliases", "env")
ROLE_FIELDS = ("type", "elements", "required", "default", "choices", "no_log")


def _typed(value, type_name):
    """``value`` converted as the validator converts it (so ``"8"`` equals ``8`` for an int)."""
    if value is None:
        return None
    checker = DEFAULT_TYPE_VALIDATORS.get(type_name)
    if checker is None:
        return value
    try:
        return checker(value)
    except (TypeError, ValueError):
        return "<not a valid %s: %r>" % (type_name, value)


def _env(option, source, name, top_level):
    """The NEO_* variables an option is read from (spec) or documented with (doc); None for a role."""
    if source == "doc":
        description = option.get("description") or []
        text = " ".join(description) if isinstance(description, list) else str(description)
        return tuple(sorted(set(DOCUMENTED_ENV.findall(text))))
    if source == "spec":
        variables = set()
        fallback = option.get("fallback")
        if fallback:
            if fallback[0] is not env_fallback:
                return ("<fallback %r is not env_fallback: extend the test>" % (fallback[0],),)
            for argument in fallback[1:]:
                if not isinstance(argument, dict):
                    variables.update(argument)
        if top_level and name in CREDENTIAL_OPTIONS:
            variables |= CREDENTIAL_VARIABLES
        return tuple(sorted(variables))
    return None


def canonical(option, source, name, top_level):
    """One option of ``source`` ("spec", "doc" or "role") with every field normalised for comparison."""
    kind = option.get("type") or "str"
    element_type = option.get("elements") if kind == "list" else kind
    choices = option.get("choices")
    return {
        "type": kind,
        "elements": option.get("elements"),
        "required": bool(option.get("required", False)),
        "default": _typed(option.get("default"), kind),
        "choices": None if choices is None else sorted((_typed(choice, element_type) for choice in choices), key=repr),
        "aliases": tuple(sorted(option.get("aliases") or ())),
        "no_log": None if source == "doc" else bool(option.get("no_log", False)),
        "env": _env(option, source, name, top_level),
        "options": option.get(SUBOPTIONS_KEY[source]) or None,
    }


def _show(field, value):
    return value if field in ("type", "elements") else repr(value)


def compare_options(left, right, sources, path, fields):
    """Every difference between two option trees, as messages naming the option's path.

    ``left`` and ``right`` map option names to options as ``sources`` (a pair of "spec", "doc",
    "role") writes them; ``fields`` are the normalised fields (see ``canonical``) to compare.
    Suboptions are compared recursively, with the same fields.
    """
    errors = []
    top_level = "." not in path
    for name in sorted(set(left) | set(right)):
        where = "%s.%s" % (path, name)
        missing = [source for source, options in zip(sources, (left, right)) if name not in options]
        if missing:
            present = sources[1] if missing[0] == sources[0] else sources[0]
            errors.append("%s: in the %s, not in the %s" % (where, present, missing[0]))
            continue
        pair = []
        for source, options in zip(sources, (left, right)):
            unknown = sorted(set(options[name]) - KNOWN_KEYS[source])
            if unknown:
                errors.append("%s: %s key(s) %s not compared by this test (invalid there, or extend the test)" % (where, source, ", ".join(unknown)))
            pair.append(canonical(options[name], source, name, top_level))
        first, second = pair
        for field in fields:
            if first[field] != second[field]:
                errors.append("%s: %s %s (%s) != %s (%s)" % (where, field, _show(field, first[field]), sources[0], _show(field, second[field]), sources[1]))
        if first["options"] or second["options"]:
            for source, option in zip(sources, pair):
                if option["options"] and not (option["type"] == "dict" or (option["type"] == "list" and option["elements"] == "dict")):
                    errors.append("%s: suboptions on a %s option (%s), which ansible-core ignores" % (where, option["type"], source))
            errors += compare_options(first["options"] or {}, second["options"] or {}, sources, where, fields)
    return errors


def load_fragment(name):
    """The parsed text of doc fragment ``name`` (``projectdiscovery.neo.X`` or ``projectdiscovery.neo.X.VARIABLE``)."""
    prefix = COLLECTION + "."
    assert name.startswith(prefix), "doc fragment %s is not one of %s: extend the test to read it" % (name, COLLECTION)
    file_name, _dot, variable = name[len(prefix):].partition(".")
    path = REPO_ROOT / "plugins" / "doc_fragments" / (file_name + ".py")
    assert path.is_file(), "doc fragment %s: no file %s" % (name, path.relative_to(REPO_ROOT))
    fragment_class = importlib.import_module("%s.plugins.doc_fragments.%s" % (PACKAGE, file_name)).ModuleDocFragment
    text = getattr(fragment_class, variable.upper() or "DOCUMENTATION", None)
    assert text is not None, "doc fragment %s: %s has no attribute %s" % (name, path.name, variable.upper() or "DOCUMENTATION")
    return yaml.safe_load(text) or {}


def documented_options(module_name):
    """The module's documented options with its doc fragments merged (only ``options``; ``attributes`` are ignored)."""
    documentation = yaml.safe_load(importlib.import_module("%s.plugins.modules.%s" % (PACKAGE, module_name)).DOCUMENTATION)
    options = dict(documentation.get("options") or {})
    # As ansible-doc's merge_fragment: what is already there (the module's own, earlier fragments) wins.
    for fragment in documentation.get("extends_documentation_fragment") or []:
        options = dict(load_fragment(fragment).get("options") or {}, **options)
    return options


def argument_spec(module_name):
    """The spec the module's action plugin really validates: the connection spec plus its own."""
    own = importlib.import_module("%s.plugins.action.%s" % (PACKAGE, module_name)).ActionModule.argument_spec
    return dict(NEO_CONNECTION_ARGSPEC, **own)


def walk(options, path):
    """(path, option) of every option of a tree, suboptions included."""
    for name, option in options.items():
        where = "%s.%s" % (path, name)
        yield where, option
        yield from walk(option.get("options") or {}, where)


def test_compare_options_reports_nested_differences():
    spec = {"rules": {"type": "list", "elements": "dict", "options": {
        "match": {"type": "list", "elements": "str", "required": True},
        "limit": {"type": "int", "default": 8, "fallback": (env_fallback, ["NEO_LIMIT"])},
    }}}
    doc = {"rules": {"description": "x", "type": "list", "elements": "dict", "suboptions": {
        "match": {"description": "x", "required": True},
        "limit": {"description": "x", "type": "int", "default": "8"},
        "extra": {"description": "x", "env": [{"name": "NEO_EXTRA"}]},
    }}}
    assert compare_options(spec, doc, ("spec", "doc"), "m", DOC_FIELDS) == [
        "m.rules.extra: in the doc, not in the spec",
        "m.rules.limit: env ('NEO_LIMIT',) (spec) != () (doc)",
        "m.rules.match: type list (spec) != str (doc)",
        "m.rules.match: elements str (spec) != None (doc)",
    ]


@pytest.mark.parametrize("module_name", MODULE_NAMES)
def test_documentation_matches_argument_spec(module_name):
    own = importlib.import_module("%s.plugins.action.%s" % (PACKAGE, module_name)).ActionModule.argument_spec
    redefined = sorted(set(own) & set(NEO_CONNECTION_ARGSPEC))
    assert not redefined, "%s: argument_spec redefines connection option(s) %s" % (module_name, ", ".join(redefined))
    errors = compare_options(argument_spec(module_name), documented_options(module_name), ("spec", "doc"), module_name, DOC_FIELDS)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("module_name", MODULE_NAMES)
def test_no_log_options_are_the_credentials(module_name):
    spec = argument_spec(module_name)
    no_log = {path.split(".", 1)[1] for path, option in walk(spec, module_name) if option.get("no_log")}
    expected = CONNECTION_NO_LOG | MODULE_NO_LOG.get(module_name, set())
    assert no_log == expected, "%s: no_log options %s (spec) != %s (expected)" % (module_name, sorted(no_log), sorted(expected))
    unprotected = [path for path, option in walk(spec, module_name)
                   if CREDENTIAL_NAME.search(path.rsplit(".", 1)[1]) and option.get("type", "str") not in ("bool", "path") and not option.get("no_log")]
    assert not unprotected, "looks like a credential but is not no_log in the spec: %s" % ", ".join(unprotected)


def module_option_for(role_variable):
    """The module option a role variable sets, by the naming rule of the table above."""
    for prefix in ("neo_secret_policy_", "neo_"):
        if role_variable.startswith(prefix):
            return role_variable[len(prefix):]
    return None


def _role_task():
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text())
    names = (ROLE_MODULE, "%s.%s" % (COLLECTION, ROLE_MODULE))
    calls = [task for task in tasks if any(name in task for name in names)]
    assert len(calls) == 1, "roles/secret_policy/tasks/main.yml: expected one %s task, found %d" % (ROLE_MODULE, len(calls))
    task = calls[0]
    return next(task[name] for name in names if name in task) or {}, task.get("module_defaults") or {}


def if_set_entries(entry, role):
    """{role variable: module option} of a module_defaults entry ``"{{ var }}"`` naming a dict built in the role's vars/main.yml."""
    match = re.fullmatch(r"\{\{\s*(\w+)\s*\}\}", str(entry).strip())
    text = (yaml.safe_load((role / "vars" / "main.yml").read_text()) or {}).get(match.group(1)) if match else None
    return {variable: option for option, variable in
            re.findall(r"\(\s*'(\w+)'\s*,\s*(\w+)\s*\)\]\s*if\s+\2\s+is\s+defined\s+and\s+\2\s+is\s+not\s+none\b", text or "")}


def role_passes():
    """({role variable: (module option, how)}, {option: constant}, [problems]) of the role's module task."""
    arguments, module_defaults = _role_task()
    passed, constants, problems = {}, {}, []
    for option, value in arguments.items():
        match = re.fullmatch(r"\{\{\s*(\w+)\s*\}\}", value) if isinstance(value, str) else None
        if match:
            passed[match.group(1)] = (option, VALUE)
        elif isinstance(value, str) and "{{" in value:
            problems.append("task argument %s: %r is not \"{{ var }}\" (extend the test)" % (option, value))
        else:
            constants[option] = value
    for target, entry in module_defaults.items():
        if target != "%s.%s" % (COLLECTION, ROLE_MODULE):
            # A group entry would replace the play's group entry instead of adding to it.
            problems.append("module_defaults of the task: %s is not %s.%s (extend the test)" % (target, COLLECTION, ROLE_MODULE))
            continue
        found = if_set_entries(entry, ROLE)
        if not found:
            problems.append("module_defaults of the task: cannot read %r (extend the test)" % (entry,))
        for variable, option in found.items():
            if option in arguments:
                problems.append("%s: passed as a task argument and in the task's module_defaults" % option)
            passed[variable] = (option, IF_SET)
    return passed, constants, problems


# Role variables passed as they are to an option whose suboptions only the module documents and
# checks: the role declares none (compared below: any would be "in the role, not in the spec").
SUBOPTIONS_LEFT_TO_THE_MODULE = {"neo_secret_policy_rules", "neo_secret_policy_exceptions"}


def without_suboptions(option):
    return {key: value for key, value in option.items() if key != "options"}


def test_role_table_follows_the_naming_rule():
    wrong = ["%s -> %s" % (variable, option) for variable, (option, _how) in ROLE_OPTIONS.items() if module_option_for(variable) != option]
    wrong += ["%s: a connection option without the prefix neo_" % variable for variable, (option, _how) in ROLE_OPTIONS.items()
              if option in NEO_CONNECTION_ARGSPEC and variable != "neo_" + option]
    assert not wrong, "role variables not named after their module option: %s" % ", ".join(wrong)


def test_role_table_is_what_the_role_passes():
    passed, constants, errors = role_passes()
    errors += ["%s: %s in the role, %s in the table of this test" % (variable, passed.get(variable, "not passed"), ROLE_OPTIONS.get(variable, "not listed"))
               for variable in sorted(set(passed) | set(ROLE_OPTIONS)) if passed.get(variable) != ROLE_OPTIONS.get(variable)]
    if constants != ROLE_SETS_ITSELF:
        errors.append("options the role sets itself: %r in the role, %r in the table of this test" % (constants, ROLE_SETS_ITSELF))
    assert not errors, "roles/secret_policy/tasks/main.yml:\n" + "\n".join(errors)


def test_role_table_accounts_for_every_module_option():
    spec = argument_spec(ROLE_MODULE)
    accounted = {option for option, _how in ROLE_OPTIONS.values()} | set(ROLE_SETS_ITSELF) | ROLE_DOES_NOT_OFFER
    unmentioned, unknown = sorted(set(spec) - accounted), sorted(accounted - set(spec))
    assert not unmentioned, "%s options the role table of this test does not mention: %s" % (ROLE_MODULE, ", ".join(unmentioned))
    assert not unknown, "options in the role table of this test that the %s argument spec does not have: %s" % (ROLE_MODULE, ", ".join(unknown))


def test_role_argument_specs_match_module_spec():
    role_options = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    role_defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text()) or {}
    spec = argument_spec(ROLE_MODULE)
    errors = ["%s: documented in meta/argument_specs.yml but not in the table of this test" % variable
              for variable in sorted(set(role_options) - set(ROLE_OPTIONS))]
    errors += ["%s: in the table of this test but not in meta/argument_specs.yml" % variable
               for variable in sorted(set(ROLE_OPTIONS) - set(role_options))]
    errors += ["%s: set in defaults/main.yml but not documented in meta/argument_specs.yml" % variable
               for variable in sorted(set(role_defaults) - set(role_options))]
    # The module's spec under the role's variable names. With IF_SET the module's default (or environment
    # variable) applies when the variable is not set, so the role must have none of its own. Suboptions
    # are the module's alone (SUBOPTIONS_LEFT_TO_THE_MODULE).
    expected = {}
    for variable, (option, how) in ROLE_OPTIONS.items():
        if variable not in role_options:
            continue
        if option not in spec:
            errors.append("%s: maps to %s, which the %s argument spec does not have" % (variable, option, ROLE_MODULE))
            continue
        role_option = role_options[variable]
        expected[variable] = without_suboptions(spec[option]) if variable in SUBOPTIONS_LEFT_TO_THE_MODULE else spec[option]
        if how == IF_SET:
            if role_option.get("default") is not None:
                errors.append("%s: passed only when set, so the role must leave the default to the module, not set %r"
                              % (variable, role_option.get("default")))
            expected[variable] = dict(spec[option], default=role_option.get("default"))
        kind = role_option.get("type") or "str"
        if _typed(role_option.get("default"), kind) != _typed(role_defaults.get(variable), kind):
            errors.append("%s: default %r (argument_specs.yml) != %r (defaults/main.yml)" % (variable, role_option.get("default"), role_defaults.get(variable)))
        if how == VALUE and role_option.get("default") is None and not role_option.get("required"):
            errors.append("%s: passed as a value, so it must be required or have a default" % variable)
    errors += compare_options({variable: role_options[variable] for variable in expected}, expected, ("role", "spec"), "roles/secret_policy", ROLE_FIELDS)
    assert not errors, "\n".join(errors)


# --------------------------------------------------------------------------- the role environment
#
# How the role environment feeds its modules (roles/environment/tasks/main.yml, vars/main.yml):
#
#   role variable                        module              option    passed as
#   neo_environment_project.<field>      neo_project         <field>   "{{ neo_environment_project.<field> | default(omit) }}"
#                                        (fields: id, name, tags, settings_md, shared_with_team)
#   neo_environment_secrets              neo_secrets         secrets   "{{ neo_environment_secrets }}" (role default []; task skipped when empty
#                                                                      and neo_environment_unmanaged is ignore)
#   neo_environment_unmanaged            neo_secrets         unmanaged "{{ neo_environment_unmanaged }}" (role default warn)
#   neo_environment_policy_rules         neo_secrets         policy_rules  "{{ neo_environment_policy_rules }}" (only compared with the listed flags)
#   neo_environment_policy_rules         neo_secret_policy   rules     "{{ __environment_rules }}": each rule with projects (this
#                                                                      project) and personal (false) set by the role and the listed
#                                                                      secrets appended to exclude (role default [], skipped when empty)
#   neo_api_url ... neo_ca_path          every module        api_url ... ca_path   IF_SET in the block's module_defaults, one entry per module
#   (set by the role itself)             neo_secrets.project (the project's id, or its name), neo_secret_policy.defer_failure (true)
ENVIRONMENT_ROLE = REPO_ROOT / "roles" / "environment"
ENVIRONMENT_MODULES = ("neo_project", "neo_secrets", "neo_secret_policy")
ENVIRONMENT_PROJECT_FIELDS = ("id", "name", "tags", "settings_md", "shared_with_team")
ENVIRONMENT_CONNECTION = {"neo_api_url": "api_url", "neo_api_key": "api_key", "neo_api_token": "api_token", "neo_validate_certs": "validate_certs",
                          "neo_ca_path": "ca_path"}
ENVIRONMENT_DEFAULTS = {"neo_environment_secrets": [], "neo_environment_policy_rules": [], "neo_environment_unmanaged": "warn"}
ENVIRONMENT_SETS_ITSELF = {"neo_secrets": {"project": "{{ __environment_project_ref }}"}, "neo_secret_policy": {"defer_failure": True}}


def _environment_tasks():
    """{module: arguments} of the role's module tasks (inside its block), and the block's module_defaults."""
    tasks = yaml.safe_load((ENVIRONMENT_ROLE / "tasks" / "main.yml").read_text())
    assert len(tasks) == 1 and "block" in tasks[0], "roles/environment/tasks/main.yml: expected one block (extend the test)"
    calls = {}
    for task in tasks[0]["block"]:
        for module in ENVIRONMENT_MODULES:
            for name in ("%s.%s" % (COLLECTION, module), module):
                if name in task:
                    assert module not in calls, "roles/environment/tasks/main.yml: %s is called twice (extend the test)" % module
                    calls[module] = task[name] or {}
    return calls, tasks[0].get("module_defaults") or {}


def environment_expected():
    """{role variable: the option spec it must have}, from the modules' real argument specs."""
    project_spec = argument_spec("neo_project")
    secrets_spec = argument_spec("neo_secrets")["secrets"]
    rules_spec = argument_spec("neo_secret_policy")["rules"]
    expected = {
        "neo_environment_project": {"type": "dict", "required": True,
                                    "options": {field: project_spec[field] for field in ENVIRONMENT_PROJECT_FIELDS}},
        "neo_environment_secrets": dict(secrets_spec, required=False, default=[]),
        "neo_environment_policy_rules": dict(without_suboptions(rules_spec), required=False, default=[]),
        "neo_environment_unmanaged": dict(argument_spec("neo_secrets")["unmanaged"], default="warn"),
    }
    connection = argument_spec("neo_project")
    for variable, option in ENVIRONMENT_CONNECTION.items():
        # Passed only when set: the module's default (or environment variable) applies otherwise.
        expected[variable] = dict(connection[option], default=None)
    return expected


def test_environment_role_argument_specs_match_the_modules():
    role_options = yaml.safe_load((ENVIRONMENT_ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    expected = environment_expected()
    errors = ["%s: in meta/argument_specs.yml, not in the table of this test" % name for name in sorted(set(role_options) - set(expected))]
    errors += ["%s: in the table of this test, not in meta/argument_specs.yml" % name for name in sorted(set(expected) - set(role_options))]
    errors += compare_options({name: role_options[name] for name in expected if name in role_options}, expected, ("role", "spec"),
                              "roles/environment", ROLE_FIELDS)
    assert not errors, "\n".join(errors)


def test_environment_role_defaults_are_the_documented_ones():
    role_options = yaml.safe_load((ENVIRONMENT_ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    role_defaults = yaml.safe_load((ENVIRONMENT_ROLE / "defaults" / "main.yml").read_text()) or {}
    assert role_defaults == ENVIRONMENT_DEFAULTS
    documented = {name: option["default"] for name, option in role_options.items() if option.get("default") is not None}
    assert documented == ENVIRONMENT_DEFAULTS


def test_environment_role_table_is_what_the_role_passes():
    calls, module_defaults = _environment_tasks()
    assert sorted(calls) == sorted(ENVIRONMENT_MODULES)
    errors = []
    # One entry per module (a group entry would replace the play's group entry instead of adding to it).
    if set(module_defaults) != {"%s.%s" % (COLLECTION, module) for module in ENVIRONMENT_MODULES}:
        errors.append("the block's module_defaults must name each module of the role: %r" % (sorted(module_defaults),))
    for target, entry in sorted(module_defaults.items()):
        found = if_set_entries(entry, ENVIRONMENT_ROLE)
        if found != ENVIRONMENT_CONNECTION:
            errors.append("module_defaults of %s passes %r, the table says %r" % (target, found, ENVIRONMENT_CONNECTION))
        errors += ["%s: passed as an argument of %s and in its module_defaults" % (option, target)
                   for option in calls.get(target.rsplit(".", 1)[1], {}) if option in found.values()]
    project_args = dict(calls["neo_project"])
    wanted = {field: "{{ neo_environment_project.%s | default(omit) }}" % field for field in ENVIRONMENT_PROJECT_FIELDS}
    if project_args != wanted:
        errors.append("neo_project arguments %r, the table says %r" % (project_args, wanted))
    if calls["neo_secrets"] != dict(ENVIRONMENT_SETS_ITSELF["neo_secrets"], secrets="{{ neo_environment_secrets }}",
                                    unmanaged="{{ neo_environment_unmanaged }}", policy_rules="{{ neo_environment_policy_rules }}"):
        errors.append("neo_secrets arguments %r" % (calls["neo_secrets"],))
    if calls["neo_secret_policy"] != dict(ENVIRONMENT_SETS_ITSELF["neo_secret_policy"], rules="{{ __environment_rules }}"):
        errors.append("neo_secret_policy arguments %r" % (calls["neo_secret_policy"],))
    role_vars = yaml.safe_load((ENVIRONMENT_ROLE / "vars" / "main.yml").read_text())
    rules = " ".join(role_vars["__environment_rules"].split())
    for fragment in ("for rule in neo_environment_policy_rules",
                     "rule | combine({'projects': [__environment_project_ref], 'personal': false,",
                     "else exclude) + __environment_secret_names}"):
        if fragment not in rules:
            errors.append("vars/main.yml __environment_rules does not contain %r (extend the test)" % fragment)
    assert not errors, "roles/environment:\n" + "\n".join(errors)


def test_environment_role_accounts_for_every_module_option():
    """Every option of the three modules is offered by the role, set by it, or left to the module (listed here)."""
    left_to_the_module = {
        "neo_project": set(),
        "neo_secrets": set(),
        "neo_secret_policy": {"exceptions", "concurrency", "report_path", "junit_path", "markdown_path", "entries_limit", "list_compliant",
                              "publish_summary_as", "fail_on_drift", "exceptions_max_days", "exceptions_require_owner", "exceptions_warn_days"},
    }
    offered = {"neo_project": set(ENVIRONMENT_PROJECT_FIELDS), "neo_secrets": {"secrets", "unmanaged", "policy_rules"}, "neo_secret_policy": {"rules"}}
    connection = set(ENVIRONMENT_CONNECTION.values()) | ROLE_DOES_NOT_OFFER
    for module in ENVIRONMENT_MODULES:
        accounted = offered[module] | set(ENVIRONMENT_SETS_ITSELF.get(module, {})) | left_to_the_module[module] | connection
        spec = argument_spec(module)
        assert set(spec) == accounted, "%s: not accounted for %s; unknown %s" % (module, sorted(set(spec) - accounted), sorted(accounted - set(spec)))
