"""Bad input matrix: every option of every module and of the role, through real playbooks.

Each case must fail before any HTTP request (the simulator's counters stay at zero) with a
message naming the option. The module cases run as loop items of one playbook per module
(tests/functional/playbooks/bad_input.yml, errors ignored), so one run proves many cases; the
role's cases run one playbook each, since the role's argument validation ends the play.

A few checks cannot be made without reading the API (a project name that matches no or several
projects, ``id`` and ``name`` naming different secrets): those fail before any secret is read
or written, and the test says exactly which requests were made.
"""
import pytest
import yaml

from tests.conftest import ALICE_KEY, ALICE_TOKEN, CANARY, PROJECT_PRODUCTION, SECRET_PROD_AWS

ROLE = "projectdiscovery.neo.secret_policy : "
POLICY_ROLE_TASK = ROLE + "Evaluate and apply the secret policy"

OMIT = object()  # a connection option left out of a case
FAKE_KEY = "neo_sk_" + "f" * 32  # well-formed, known to no one
LONG_NAME = "A" * 129
LONG_VALUE = "v" * 10001
RULE = {"match": ["PROD_*"], "default_available": False}
EXCEPTION = {"default_available": True, "reason": "migration", "expires": "2999-01-01"}

# Connection options: the same cases for every module. (case, options, fragment of the message).
CONNECTION_CASES = [
    ("api_url not http", {"api_url": "ftp://neo.example.test"}, "api_url must be an http:// or https:// URL"),
    ("api_url empty", {"api_url": ""}, "api_url is empty"),
    ("api_url with credentials", {"api_url": "https://user:pw@neo.example.test"}, "api_url must not contain credentials"),
    ("api_url with query", {"api_url": "https://neo.example.test/?x=1"}, "api_url must not contain a query"),
    ("api_key empty", {"api_key": ""}, "api_key is empty"),
    ("ca_path missing", {"ca_path": "/nonexistent-neo-dir/ca.pem"}, "ca_path: no such file or directory: /nonexistent-neo-dir/ca.pem"),
    ("api_key without prefix", {"api_key": "not-a-neo-key"}, "api_key must start with neo_sk_"),
    ("api_key with a space", {"api_key": "neo_sk_has space"}, "api_key contains spaces"),
    ("api_key wrong type", {"api_key": ["neo_sk_in_a_list"]}, "argument 'api_key' must be a string, got a list"),
    ("api_token empty", {"api_key": OMIT, "api_token": ""}, "api_token is empty"),
    ("api_token holding an api key", {"api_key": OMIT, "api_token": "neo_sk_" + "t" * 32}, "api_token holds a Neo API key"),
    ("no credentials", {"api_key": OMIT}, "no credentials: set api_key or api_token, or NEO_API_KEY or NEO_API_TOKEN"),
    ("both credentials", {"api_token": "eyJhbGciOiJIUzI1NiJ9.fake.signature"}, "parameters are mutually exclusive: api_key|api_token"),
    ("validate_certs not a bool", {"validate_certs": "maybe"}, "validate_certs"),
    ("timeout not a number", {"timeout": "soon"}, "timeout"),
    ("timeout zero", {"timeout": 0}, "timeout must be a positive number of seconds"),
    ("timeout negative", {"timeout": -5}, "timeout must be a positive number of seconds"),
    ("retries not a number", {"retries": "many"}, "retries"),
    ("retries negative", {"retries": -1}, "retries must be an integer >= 0"),
]

# Module options: (module, case, options, fragment). Each module's required options come from BASE.
BASE = {
    "neo_secret": {"name": "GITHUB_TOKEN", "default_available": True},
    "neo_secret_info": {},
    "neo_project_info": {},
    "neo_secret_policy": {"rules": [RULE]},
    "neo_project": {"id": "cccccccc-0000-4000-8000-000000000001"},
    "neo_secrets": {"secrets": [{"name": "DEPLOY_KEY", "value": "bad-input-value"}]},
}
MODULE_CASES = [
    ("neo_secret", "id not a uuid", {"id": "not-a-uuid"}, "id: 'not-a-uuid' is not a UUID"),
    ("neo_secret", "id empty", {"id": ""}, "id: '' is not a UUID"),
    ("neo_secret", "id wrong type", {"id": ["5ec00000-0000-4000-8000-000000000012"]}, "argument 'id' must be a string, got a list"),
    ("neo_secret", "name breaking the pattern", {"name": "lower_case"}, "name: 'lower_case' is not a valid secret name"),
    ("neo_secret", "name starting with a digit", {"name": "9LIVES"}, "name: '9LIVES' is not a valid secret name"),
    ("neo_secret", "name empty", {"name": ""}, "name: '' is not a valid secret name"),
    ("neo_secret", "name over-long", {"name": LONG_NAME}, "is not a valid secret name (1 to 128 characters"),
    ("neo_secret", "name wrong type", {"name": {"a": 1}}, "argument 'name' must be a string, got a dictionary"),
    ("neo_secret", "neither id nor name", {"name": OMIT}, "one of the following is required: id, name"),
    ("neo_secret", "project_id not a uuid", {"project_id": "123"}, "project_id: '123' is not a UUID"),
    ("neo_secret", "project_id empty", {"project_id": ""}, "project_id: '' is not a UUID"),
    ("neo_secret", "default_available missing", {"default_available": OMIT}, "missing required arguments: default_available"),
    ("neo_secret", "default_available not a bool", {"default_available": "maybe"}, "default_available"),
    ("neo_secret", "value empty", {"value": ""}, "value: must be 1 to 10000 characters long (got 0)"),
    ("neo_secret", "value over-long", {"value": LONG_VALUE}, "value: must be 1 to 10000 characters long (got 10001)"),
    ("neo_secret", "value without name", {"name": OMIT, "id": SECRET_PROD_AWS, "value": "value-without-name"},
     "missing parameter(s) required by 'value': name"),
    ("neo_secret", "project empty", {"project": ""}, "project: must be a project id or name, not empty"),
    ("neo_secret", "project and project_id", {"project": "Production", "project_id": PROJECT_PRODUCTION},
     "parameters are mutually exclusive: project|project_id"),
    ("neo_secret", "project wrong type", {"project": ["Production"]}, "argument 'project' must be a string, got a list"),
    ("neo_project", "neither id nor name", {"id": OMIT}, "one of the following is required: id, name"),
    ("neo_project", "id not a uuid", {"id": "payments"}, "id: 'payments' is not a UUID"),
    ("neo_project", "name empty", {"name": ""}, "name: must be 1 to 128 characters long (got 0)"),
    ("neo_project", "name over-long", {"name": LONG_NAME}, "name: must be 1 to 128 characters long (got 129)"),
    ("neo_project", "tags not a list", {"tags": {"a": 1}}, "tags"),
    ("neo_project", "tag empty", {"tags": ["prod", " "]}, "tags[1]: is empty (after trimming blanks)"),
    ("neo_project", "tag over-long", {"tags": ["t" * 33]}, "tags[0]: 'ttttttttttttttttttttttttttttttttt' is 33 characters long; a tag has at most 32"),
    ("neo_project", "tag with a control character", {"tags": ["a\u0007b"]}, "tags[0]: 'a\ufffdb' holds a control character"),
    ("neo_project", "too many tags", {"tags": ["t%d" % n for n in range(21)]}, "tags: 21 distinct tags; a project has at most 20"),
    ("neo_project", "settings_md over 35000", {"settings_md": "s" * 35001}, "settings_md: 35001 characters; the Neo API keeps at most 35000"),
    ("neo_project", "settings_md wrong type", {"settings_md": ["# x"]}, "argument 'settings_md' must be a string, got a list"),
    ("neo_project", "shared_with_team not a bool", {"shared_with_team": "maybe"}, "shared_with_team"),
    ("neo_secrets", "secrets missing", {"secrets": OMIT}, "missing required arguments: secrets"),
    ("neo_secrets", "secret without name", {"secrets": [{"value": "v"}]}, "name"),
    ("neo_secrets", "secret name breaking the pattern", {"secrets": [{"name": "lower"}]}, "secrets[0].name: 'lower' is not a valid secret name"),
    ("neo_secrets", "secret listed twice", {"secrets": [{"name": "A"}, {"name": "A"}]}, "secrets[1].name: A is listed twice (also secrets[0])"),
    ("neo_secrets", "value empty", {"secrets": [{"name": "A", "value": ""}]}, "secrets[0].value: must be 1 to 10000 characters long (got 0)"),
    ("neo_secrets", "value over-long", {"secrets": [{"name": "A", "value": LONG_VALUE}]}, "secrets[0].value: must be 1 to 10000 characters long (got 10001)"),
    ("neo_secrets", "unknown secret key", {"secrets": [{"name": "A", "colour": "red"}]}, "colour"),
    ("neo_secrets", "default_available not a bool", {"secrets": [{"name": "A", "default_available": "maybe"}]}, "default_available"),
    ("neo_secrets", "project empty", {"project": ""}, "project: must be a project id or name, not empty"),
    ("neo_secret_info", "personal not a bool", {"personal": "maybe"}, "personal"),
    ("neo_secret_info", "project_id not a uuid", {"project_id": "prod"}, "project_id: 'prod' is not a UUID"),
    ("neo_secret_info", "project_id empty", {"project_id": ""}, "project_id: '' is not a UUID"),
    ("neo_secret_info", "projects wrong type", {"projects": {"a": 1}}, "projects"),
    ("neo_secret_info", "projects empty element", {"projects": [""]}, "projects: every element must be a non-empty"),
    ("neo_secret_info", "projects star with others", {"projects": ["*", "Production"]}, "projects: '*' (every project) must be the only element"),
    ("neo_secret_info", "project_id and projects", {"project_id": PROJECT_PRODUCTION, "projects": ["Production"]},
     "parameters are mutually exclusive: project_id|projects"),
    ("neo_secret_info", "nothing to read", {"personal": False}, "personal is false and neither project_id nor projects"),
    ("neo_secret_info", "name wrong type", {"name": ["A"]}, "argument 'name' must be a string, got a list"),
    ("neo_secret_info", "default_available not a bool", {"default_available": "maybe"}, "default_available"),
    ("neo_project_info", "id not a uuid", {"id": "prod"}, "id: 'prod' is not a UUID"),
    ("neo_project_info", "id empty", {"id": ""}, "id: '' is not a UUID"),
    ("neo_project_info", "id and name", {"id": PROJECT_PRODUCTION, "name": "Production"}, "parameters are mutually exclusive: id|name"),
    ("neo_project_info", "name wrong type", {"name": {"a": 1}}, "argument 'name' must be a string, got a dictionary"),
    ("neo_secret_policy", "rules missing", {"rules": OMIT}, "missing required arguments: rules"),
    ("neo_secret_policy", "rule not a dict", {"rules": [["PROD_*"]]}, "rules"),
    ("neo_secret_policy", "rule without match", {"rules": [{"default_available": False}]}, "match"),
    ("neo_secret_policy", "match empty", {"rules": [{"match": [], "default_available": False}]},
     "rules[0].match: must be a non-empty list of name patterns"),
    ("neo_secret_policy", "match with an empty pattern", {"rules": [{"match": [""], "default_available": False}]},
     "rules[0].match[0]: must be a non-empty string"),
    ("neo_secret_policy", "unknown rule key", {"rules": [dict(RULE, colour="red")]}, "colour"),
    ("neo_secret_policy", "rule without default_available", {"rules": [{"match": ["X"]}]}, "default_available"),
    ("neo_secret_policy", "default_available not a bool", {"rules": [dict(RULE, default_available="maybe")]}, "default_available"),
    ("neo_secret_policy", "personal not a bool", {"rules": [dict(RULE, personal="maybe")]}, "personal"),
    ("neo_secret_policy", "projects a mapping", {"rules": [dict(RULE, projects={"name": "Production"})]},
     "rules[0].projects: must be '*' or a list of project ids or names, got an object"),
    ("neo_secret_policy", "projects a string with an empty item", {"rules": [dict(RULE, projects="Production,")]}, "rules[0].projects"),
    ("neo_secret_policy", "projects empty without personal", {"rules": [dict(RULE, projects=[])]},
     "rules[0].projects: an empty list with personal false covers no secret"),
    ("neo_secret_policy", "projects empty element", {"rules": [dict(RULE, projects=[""])]}, "rules[0].projects[0]"),
    ("neo_secret_policy", "match element a list", {"rules": [dict(RULE, match=[["PROD_*"]])]}, "argument 'rules[0].match[0]' must be a string, got a list"),
    ("neo_secret_policy", "match that can never match", {"rules": [dict(RULE, match=["prod_*"])]},
     "rules[0].match[0]: 'prod_*' can never match a secret name: names are upper-case (did you mean 'PROD_*'?)"),
    ("neo_secret_policy", "unknown exception key", {"exceptions": [dict(EXCEPTION, colour="red")]}, "exceptions.colour"),
    ("neo_secret_policy", "exception without a target", {"exceptions": [EXCEPTION]},
     "exceptions[0]: give secret_id, or name with project (an id or name) or personal: true"),
    ("neo_secret_policy", "exception with a bad date", {"exceptions": [dict(EXCEPTION, secret_id=SECRET_PROD_AWS, expires="soon")]},
     "exceptions[0].expires: must be a date YYYY-MM-DD, got 'soon'"),
    ("neo_secret_policy", "concurrency zero", {"concurrency": 0}, "concurrency: must be between 1 and 32 (got 0)"),
    ("neo_secret_policy", "concurrency too high", {"concurrency": 33}, "concurrency: must be between 1 and 32 (got 33)"),
    ("neo_secret_policy", "concurrency not a number", {"concurrency": "many"}, "concurrency"),
    ("neo_secret_policy", "report_path in a missing directory", {"report_path": "/nonexistent-neo-dir/report.json"},
     "report_path: the directory /nonexistent-neo-dir does not exist"),
    ("neo_secret_policy", "list_compliant not a bool", {"list_compliant": "maybe"}, "list_compliant"),
    ("neo_secret_policy", "fail_on_drift not a bool", {"fail_on_drift": "maybe"}, "fail_on_drift"),
    ("neo_secret_policy", "defer_failure not a bool", {"defer_failure": "maybe"}, "defer_failure"),
]


def case_args(sim, module, options, api_key=None):
    """A case's task options. ansible prints a failed loop item whole, so items never hold a real
    credential: by default a well-formed fake key (no case gets as far as a request), or none
    (``api_key=OMIT``) so that NEO_API_KEY from the environment is used."""
    args = dict({"api_url": sim.url, "api_key": api_key or FAKE_KEY}, **BASE[module])
    args.update(options)
    return {key: value for key, value in args.items() if value is not OMIT}


def loop_results(run, task):
    return {entry["item"]["case"]: entry for entry in run.task(task)["results"]}


def test_every_module_option_fails_before_any_request_naming_the_option(sim, run_playbook):
    cases = {module: [] for module in BASE}
    expected = {}
    for module in BASE:
        for case, options, fragment in CONNECTION_CASES:
            cases[module].append({"case": case, "args": case_args(sim, module, options)})
            expected[(module, case)] = fragment
    for module, case, options, fragment in MODULE_CASES:
        cases[module].append({"case": case, "args": case_args(sim, module, options)})
        expected[(module, case)] = fragment

    run = run_playbook(sim, "bad_input.yml", {module + "_cases": items for module, items in cases.items()}, api_key=None)

    # ansible-core 2.16 marks a failed loop item with failed: true; 2.21 leaves the key out of the
    # item and fails the task: an item failed when it is not marked ok and carries a message.
    not_failed = [(module, entry["item"]["case"]) for module in BASE for entry in run.task(module.capitalize() + " bad input")["results"]
                  if entry.get("failed") is False or "msg" not in entry]
    assert not_failed == [], not_failed
    # Not one request reached the API, for any of the cases.
    assert sim.counters()["total"] == 0, sim.counters()
    seen = 0
    for module in BASE:
        task = module.capitalize() + " bad input"
        results = loop_results(run, task)
        assert set(results) == {item["case"] for item in cases[module]}
        for case, result in results.items():
            fragment = expected[(module, case)]
            assert result.get("failed", True) is True, (module, case, result)
            assert fragment in result["msg"], (module, case, result["msg"])
            assert "Traceback" not in result["msg"] and "\n" not in result["msg"].strip(), (module, case)
            seen += 1
    assert seen == len(expected)
    output = run.stdout + run.stderr
    assert "Traceback" not in output
    assert CANARY not in output


def test_empty_rules_cover_nothing(sim, run_playbook):
    """Not an error: a policy without rules reads only the projects list and changes nothing."""
    cases = [{"case": "empty", "args": case_args(sim, "neo_secret_policy", {"rules": []}, api_key=OMIT)}]
    run = run_playbook(sim, "bad_input.yml", {"neo_secret_policy_cases": cases})
    result = loop_results(run, "Neo_secret_policy bad input")["empty"]
    assert "summary" in result and result["changed"] is False
    assert result["summary"]["checked"] == 0
    assert sim.writes() == 0


# --------------------------------------------------------------------------- checks that need a read


def test_id_and_name_naming_different_secrets_fail_before_any_write(sim, run_playbook):
    """Which name an id has is only known from the list of its scope: one GET, no write."""
    run = run_playbook(
        sim, "neo_secret.yml", {"secret_id": SECRET_PROD_AWS, "secret_name": "GITHUB_TOKEN", "project_id": PROJECT_PRODUCTION, "default_available": True}
    )
    assert run.rc != 0
    msg = run.task("Neo_secret under test")["msg"]
    assert msg == ("id and name name different secrets: id %s is AWS_SECRET_ACCESS_KEY in project %s, not GITHUB_TOKEN"
                   % (SECRET_PROD_AWS, PROJECT_PRODUCTION))
    assert sim.counters()["by_route"] == {"GET /api/v1/secrets": 1}


@pytest.mark.parametrize("ref,fragment", [
    ("Nope", "no project named 'Nope' among the"),
    ("Staging", "project name 'Staging' matches 2 projects"),
], ids=["matches-none", "matches-several"])
def test_project_name_matching_none_or_several_fails_after_the_projects_list_only(sim, run_playbook, ref, fragment):
    """A project name is resolved against the projects list: that one GET, then the error, for every module taking one."""
    info_case = {"case": "info", "args": case_args(sim, "neo_secret_info", {"projects": [ref]}, api_key=OMIT)}
    policy_case = {"case": "policy", "args": case_args(sim, "neo_secret_policy", {"rules": [dict(RULE, projects=[ref])]}, api_key=OMIT)}
    cases = {"neo_secret_info_cases": [info_case], "neo_secret_policy_cases": [policy_case]}
    if ref == "Staging":  # neo_project_info returns an empty list for a name that matches none
        cases["neo_project_info_cases"] = [{"case": "project", "args": case_args(sim, "neo_project_info", {"name": ref}, api_key=OMIT)}]
    run = run_playbook(sim, "bad_input.yml", cases)
    messages = [loop_results(run, "Neo_secret_info bad input")["info"]["msg"], loop_results(run, "Neo_secret_policy bad input")["policy"]["msg"]]
    assert messages[0].startswith("projects[0]: ")
    assert messages[1].startswith("rules[0].projects[0]: ")
    if ref == "Staging":
        messages.append(loop_results(run, "Neo_project_info bad input")["project"]["msg"])
        assert messages[2].startswith("name: project name 'Staging' matches 2 projects")
    for msg in messages:
        assert fragment in msg, msg
        assert "\n" not in msg
    assert sim.counters()["by_route"] == {"GET /api/v1/projects": len(messages)}


@pytest.mark.parametrize("module,option", [("neo_secret", "scope"), ("neo_secret_policy", "rule")])
def test_unknown_option_uses_ansible_core_wording(sim, run_playbook, tmp_path, module, option):
    playbook = tmp_path / "unknown_option.yml"
    args = dict(BASE[module], default_available=False, **{option: "Production"}) if module == "neo_secret" else dict(BASE[module], **{option: []})
    playbook.write_text(yaml.safe_dump([{"name": "Unknown option", "hosts": "localhost", "gather_facts": False,
                                         "tasks": [{"name": "Task under test", "projectdiscovery.neo." + module: args}]}]))
    run = run_playbook(sim, str(playbook))
    assert run.rc != 0
    msg = run.task("Task under test")["msg"]
    assert msg.startswith("Unsupported parameters for (projectdiscovery.neo.%s) module: %s. Supported parameters include: " % (module, option)), msg
    assert "api_key" in msg and sim.counters()["total"] == 0


# --------------------------------------------------------------------------- the role's variables
# The role's argument spec names its variables; the module, which checks what the role passes on,
# names its own options (the role and the task are in Ansible's output).

ROLE_CASES = [
    ("rules missing", {}, "neo_secret_policy_rules"),
    ("rules not a list of dicts", {"neo_secret_policy_rules": ["PROD_*"]}, "neo_secret_policy_rules"),
    ("rule without match", {"neo_secret_policy_rules": [{"default_available": False}]}, "match"),
    ("unknown rule key", {"neo_secret_policy_rules": [dict(RULE, colour="red")]}, "colour"),
    ("fail_on_drift not a bool", {"neo_secret_policy_fail_on_drift": "maybe"}, "neo_secret_policy_fail_on_drift"),
    ("concurrency not a number", {"neo_secret_policy_concurrency": "many"}, "neo_secret_policy_concurrency"),
    ("concurrency zero", {"neo_secret_policy_concurrency": 0}, "concurrency: must be between 1 and 32 (got 0)"),
    ("report_path in a missing directory", {"neo_secret_policy_report_path": "/nonexistent-neo-dir/r.json"}, "report_path: the directory"),
    ("match empty", {"neo_secret_policy_rules": [{"match": [], "default_available": False}]},
     "rules[0].match: must be a non-empty list of name patterns"),
    ("projects empty element", {"neo_secret_policy_rules": [dict(RULE, projects=[""])]}, "rules[0].projects[0]: "),
    ("match element a list", {"neo_secret_policy_rules": [dict(RULE, match=[["PROD_*"]])]}, "argument 'rules[0].match[0]' must be a string, got a list"),
    ("exception without reason", {"neo_secret_policy_exceptions": [{"secret_id": SECRET_PROD_AWS, "default_available": True, "expires": "2999-01-01"}]},
     "missing required arguments: reason found in exceptions"),
    ("list_compliant not a bool", {"neo_secret_policy_list_compliant": "maybe"}, "neo_secret_policy_list_compliant"),
    ("neo_api_url not http", {"neo_api_url": "ftp://neo.example.test"}, "api_url must be an http:// or https:// URL"),
    ("neo_api_key without prefix", {"neo_api_key": "not-a-neo-key"}, "api_key must start with neo_sk_"),
    ("neo_api_key and neo_api_token", {"neo_api_key": ALICE_KEY, "neo_api_token": ALICE_TOKEN}, "mutually exclusive: api_key|api_token"),
    ("neo_validate_certs not a bool", {"neo_validate_certs": "maybe"}, "neo_validate_certs"),
]


@pytest.mark.parametrize("case,extra_vars,fragment", ROLE_CASES, ids=[c[0] for c in ROLE_CASES])
def test_role_variable_fails_before_any_request_naming_the_option(sim, run_playbook, case, extra_vars, fragment):
    variables = dict({"neo_secret_policy_rules": [RULE]}, **extra_vars)
    if case == "rules missing":
        del variables["neo_secret_policy_rules"]
    run = run_playbook(sim, "secret_policy.yml", variables)
    assert run.rc != 0
    assert fragment in run.stdout, run.stdout
    assert sim.counters()["total"] == 0
    output = run.stdout + run.stderr
    assert "Traceback" not in output and CANARY not in output
