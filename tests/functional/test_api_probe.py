"""The API probe as a user runs it: ``ansible-playbook projectdiscovery.neo.api_probe`` against the simulator.

The simulator serves each list form in turn (every envelope with every pagination it supports,
pages of 2 while the client asks for 100): the probe must name that form exactly, count the pages
and records, write the same description as JSON and Markdown files (mode 0600), in check mode as
without, and send nothing but GETs. At -vvvv nothing secret may appear anywhere: output, task
results, the two files, the simulator's log.
"""
import json
import pathlib
import stat
import subprocess

import pytest
import yaml

from tests.conftest import ALICE_KEY, ALICE_TOKEN, BASIC_SEED, CANARY, REPO_ROOT
from tests.functional.conftest import ANSIBLE_PLAYBOOK, playbook_env

PROBE_TASK = "Describe what the Neo API answers (GET requests only)"
FORMS = [(form, pagination) for form in ("bare", "named", "data", "items") for pagination in ("none", "offset", "offset_total", "cursor")
         if form != "bare" or pagination == "none"]
# alice's lists in tests/fixtures/seed-basic.yml: 3 projects, 2 personal secrets, 3 secrets in Production (the first project).
SIZES = {"projects": 3, "personal_secrets": 2, "project_secrets": 3}
PAGE_SIZE = 2


class ProbeRun:
    def __init__(self, completed, results, directory):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.results = results
        self.directory = directory

    def task(self, name):
        matches = [entry for entry in self.results if entry["task"] == name]
        assert matches, "task %r did not run:\n%s\n%s" % (name, self.stdout, self.stderr)
        return matches[-1]["result"]

    @property
    def api(self):
        return self.task(PROBE_TASK)["api"]

    def file(self, suffix):
        return self.directory / ("neo-api-probe." + suffix)


@pytest.fixture
def run_probe(tmp_path):
    """Run ``ansible-playbook projectdiscovery.neo.api_probe`` from a fresh directory, as a user would.

    ``report_dir``: passed as ``neo_api_probe_dir``; a relative one is created in the run's directory first.
    """
    counter = iter(range(1000))

    def run(sim, check=False, verbosity=0, extra_vars=None, api_key=ALICE_KEY, report_dir=None):
        run_dir = tmp_path / ("run%d" % next(counter))
        run_dir.mkdir()
        extra_vars = dict(extra_vars or {})
        directory = run_dir
        if report_dir is not None:
            extra_vars["neo_api_probe_dir"] = str(report_dir)
            directory = run_dir / report_dir  # an absolute report_dir stays itself
            directory.mkdir(exist_ok=True)
        command = [ANSIBLE_PLAYBOOK, "projectdiscovery.neo.api_probe"]
        if extra_vars:
            vars_file = tmp_path / ("vars%d.json" % len(list(tmp_path.glob("vars*.json"))))  # not on the command line, which -vvvv prints
            vars_file.write_text(json.dumps(extra_vars))
            command += ["-e", "@" + str(vars_file)]
        if check:
            command.append("--check")
        if verbosity:
            command.append("-" + "v" * verbosity)
        env = playbook_env(sim.url, run_dir, api_key=api_key)
        env["PWD"] = str(run_dir)  # what a shell sets: the report goes to the current directory by default
        completed = subprocess.run(command, env=env, cwd=str(run_dir), capture_output=True, text=True, timeout=600, check=False)
        results_path = pathlib.Path(env["NEO_TEST_RESULTS"])
        results = [json.loads(line) for line in results_path.read_text().splitlines()] if results_path.exists() else []
        return ProbeRun(completed, results, directory)

    return run


def without_timings(api):
    """The description without what varies from run to run (timings)."""
    api = json.loads(json.dumps(api))
    api.pop("latency_ms")
    for description in api["lists"].values():
        description["latency_ms"] = len(description["latency_ms"])
    return api


def assert_files(run):
    for suffix in ("json", "md"):
        path = run.file(suffix)
        assert path.is_file(), "%s not written:\n%s" % (path, run.stdout)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, suffix
    assert json.loads(run.file("json").read_text()) == run.api
    assert run.file("md").read_text() == run.task(PROBE_TASK)["markdown"]


def assert_only_gets(sim):
    counters = sim.counters()
    assert counters["writes"] == 0
    assert set(counters["by_method"]) == {"GET"}
    assert set(counters["by_route"]) <= {"GET /api/v1/projects", "GET /api/v1/secrets"}


@pytest.mark.parametrize("list_form,pagination", FORMS, ids=["%s-%s" % form for form in FORMS])
def test_probe_names_the_form_the_simulator_serves(sim, run_probe, list_form, pagination):
    paged = pagination != "none"
    descriptions = []
    for check in (False, True):
        sim.reset()
        sim.configure(list_form=list_form, pagination=pagination, page_size=PAGE_SIZE)
        run = run_probe(sim, check=check)
        assert run.rc == 0, run.stdout + run.stderr
        api = run.api
        assert run.task(PROBE_TASK)["changed"] is False
        assert (api["envelope"], api["pagination"]) == (list_form, pagination)
        assert api["page_size"] == (PAGE_SIZE if paged else None)
        assert api["limit_sent"] == 100
        for name, size in SIZES.items():
            description = api["lists"][name]
            pages = -(-size // PAGE_SIZE) if paged else 1
            assert (description["read"], description["envelope"], description["pagination"]) == ("ok", list_form, pagination), name
            assert (description["pages"], description["records"]) == (pages, size), name
            assert description["page_size"] == (PAGE_SIZE if pages > 1 else None), name
        requests = sum(-(-size // PAGE_SIZE) if paged else 1 for size in SIZES.values())
        assert api["requests"]["methods"] == {"GET": requests}
        assert sim.counters()["total"] == requests
        assert_only_gets(sim)
        assert_files(run)
        assert "contradicted" not in {assumption["status"] for assumption in api["assumptions"]}
        page_size = PAGE_SIZE if paged else "not observed"  # never an empty value
        assert "lists %s, pagination %s, page size %s for limit 100;" % (list_form, pagination, page_size) in run.stdout
        descriptions.append(without_timings(api))
    assert descriptions[0] == descriptions[1]  # check mode is the same probe


@pytest.mark.parametrize("report_dir", [None, "reports", "absolute"])
def test_report_goes_to_the_current_directory_or_the_one_given(sim, run_probe, tmp_path, report_dir):
    if report_dir == "absolute":
        report_dir = tmp_path / "elsewhere"
    run = run_probe(sim, report_dir=report_dir)
    assert run.rc == 0, run.stdout + run.stderr
    assert_files(run)
    assert "Written: %s/neo-api-probe.md and %s/neo-api-probe.json" % (run.directory, run.directory) in run.stdout
    assert not list((REPO_ROOT / "playbooks").glob("neo-api-probe.*"))


def test_missing_report_directory_fails(sim, run_probe):
    run = run_probe(sim, extra_vars={"neo_api_probe_dir": "missing-dir"})
    assert run.rc != 0
    assert "missing-dir" in run.stdout
    assert not (REPO_ROOT / "playbooks" / "missing-dir").exists()
    assert sim.counters()["total"] == 0  # found before any request


def test_rejected_key_fails_without_a_report(sim, run_probe):
    run = run_probe(sim, api_key="neo_sk_wrongCANARYkey00000000000000000")
    assert run.rc != 0
    result = run.task(PROBE_TASK)
    assert result["msg"].startswith("neo_api_info: no list could be read: Neo API 401 unauthorized")
    assert result["api"]["lists"]["projects"]["error"]["reason"] == "credentials rejected"
    assert not run.file("json").exists()
    assert_only_gets(sim)
    assert CANARY not in run.stdout + run.stderr


# --------------------------------------------------------------------------- leaks


def secret_texts(sim):
    """Credentials, and every value, masked value, name and id of a secret or project: none may appear."""
    seed = yaml.safe_load(BASIC_SEED.read_text())
    texts = {CANARY, ALICE_KEY, ALICE_TOKEN, "aliceCANARY"}
    texts.update(secret["value"] for secret in seed["secrets"])
    for secret in sim.state()["secrets"]:
        texts.update((secret["masked_value"], secret["name"], secret["id"]))
    for project in sim.state()["projects"]:
        texts.update((project["id"], project["name"]))
    return texts


def assert_no_leak(sim, run):
    texts = {"stdout": run.stdout, "stderr": run.stderr, "task results": json.dumps(run.results),
             "task results (unescaped)": json.dumps(run.results, ensure_ascii=False),
             "simulator log": pathlib.Path(sim.log_path).read_text(encoding="utf-8")}
    for suffix in ("json", "md"):
        if run.file(suffix).exists():
            texts[run.file(suffix).name] = run.file(suffix).read_text(encoding="utf-8")
    for needle in secret_texts(sim):
        for where, text in texts.items():
            if where == "simulator log" and needle not in (CANARY, ALICE_KEY, ALICE_TOKEN, "aliceCANARY"):
                continue  # the request log holds paths, with project ids in the query
            assert needle not in text, "%s shows %r" % (where, needle)
    assert "Traceback" not in run.stdout + run.stderr


LEAK_CASES = {
    "key-in-environment": ({}, None, ()),
    "key-as-variable": ({"neo_api_key": ALICE_KEY}, None, ()),
    "token-as-variable": ({"neo_api_token": ALICE_TOKEN}, None, ()),
    # The first project answers 403 quoting the credential, a 429 with Retry-After, pages of 2 with a cursor.
    "faults": ({}, "cursor", ({"kind": "status", "status": 403, "echo_credentials": True, "method": "GET", "path": "/api/v1/secrets",
                               "skip": 1, "times": 1},
                              {"kind": "status", "status": 429, "retry_after": "0", "method": "GET", "path": "/api/v1/projects", "times": 1})),
    # An API that puts secret names where only its own vocabulary belongs: a field name, an envelope key, an object keyed by
    # name, X-RateLimit-* and Server headers (the probe must count or classify them, never copy them).
    "hostile-names": ({}, None, ({"kind": "rewrite", "method": "GET", "path": "/api/v1/secrets", "times": 1000,
                                  "set": {"PROD_DB_PASSWORD": "CANARY-in-a-field"}, "top": {"GITHUB_TOKEN": {"AWS_SECRET_ACCESS_KEY": 1}},
                                  "headers": {"X-RateLimit-Remaining": "PROD_DB_PASSWORD", "X-RateLimit-Policy": "GITHUB_TOKEN",
                                              "Server": "neo AWS_SECRET_ACCESS_KEY"}},
                                 {"kind": "rewrite", "method": "GET", "path": "/api/v1/projects", "times": 1000,
                                  "top": {"STAGING_DB_PASSWORD": []}, "headers": {"X-RateLimit-Limit": "SLACK_WEBHOOK"}})),
}


@pytest.mark.parametrize("case", sorted(LEAK_CASES))
def test_nothing_secret_at_vvvv(sim, run_probe, case):
    extra_vars, pagination, faults = LEAK_CASES[case]
    if pagination:
        sim.configure(pagination=pagination, page_size=PAGE_SIZE)
    if faults:
        sim.faults(*faults)
    env_key = None if extra_vars else ALICE_KEY
    run = run_probe(sim, verbosity=4, extra_vars=extra_vars, api_key=env_key)
    assert run.rc == 0, run.stdout + run.stderr
    assert '"pagination_signal"' in run.stdout  # the result is really shown at -vvvv
    assert_files(run)
    assert_no_leak(sim, run)
    assert_only_gets(sim)
    if case == "hostile-names":
        api = run.api
        assert api["headers"]["rate_limit"] == {"x-ratelimit-limit": "other", "x-ratelimit-policy": "other", "x-ratelimit-remaining": "other"}
        assert api["headers"]["server"] is True
        for name in ("projects", "personal_secrets", "project_secrets"):
            assert "1 unknown key" in api["lists"][name]["keys"], name
        assert api["lists"]["personal_secrets"]["fields"]["undocumented"] == ["1 unknown field"]
    if case == "faults":
        api = run.api
        assert api["lists"]["project_secrets"]["projects_skipped"][0]["status"] == 403
        assert api["headers"]["rate_limit"] == {"retry-after": 0}
        assert api["pagination"] == "cursor"


def test_rejected_key_output_has_no_secret(sim, run_probe):
    wrong = "neo_sk_wrongCANARYkey00000000000000000"
    run = run_probe(sim, verbosity=4, api_key=wrong)
    assert run.rc != 0
    assert wrong not in run.stdout + run.stderr + json.dumps(run.results)
    assert_no_leak(sim, run)
