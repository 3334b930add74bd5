"""Simulator fidelity: schemathesis runs the simulator against the Neo OpenAPI subset.

Every operation of docs/neo-api/openapi.yaml (the repository's copy of the API contract, see
docs/neo-api/PROVENANCE.md), every check (``--checks all``), every phase (examples, coverage,
fuzzing, stateful), authenticated as alice of the basic seed with both documented schemes. It
must find nothing. Where the spec is silent, the simulator's choice is in docs/simulator.md;
the two kinds of finding that only the spec's silence causes are dropped by a narrow, documented
hook (tests/unit/simulator/schemathesis_hooks.py), everything else counts. The run
uses a fixed seed, so CI is reproducible; raise NEO_SCHEMATHESIS_EXAMPLES to search longer.
"""
import os
import pathlib
import subprocess
import sys

from tests.conftest import ALICE_KEY, ALICE_TOKEN, REPO_ROOT

SPEC = REPO_ROOT / "docs" / "neo-api" / "openapi.yaml"
SCHEMATHESIS = pathlib.Path(sys.executable).parent / "schemathesis"


def test_simulator_conforms_to_the_openapi_spec(sim, tmp_path):
    assert SPEC.is_file(), "the Neo OpenAPI spec is missing from the repository: %s" % SPEC
    # Choices the spec allows and a strict schema check needs (docs/simulator.md): a personal
    # secret without project_id (the schema types it as a string; its description allows
    # "null or absent"), and duplicate names renamed (the spec documents no 409 for POST).
    sim.configure(duplicate_policy="rename", personal_project_id="absent")
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        'base-url = "%s"\n\n[auth.openapi.ApiKeyAuth]\napi_key = "%s"\n\n[auth.openapi.BearerAuth]\nbearer = "%s"\n'
        % (sim.url, ALICE_KEY, ALICE_TOKEN)
    )
    env = dict(os.environ, SCHEMATHESIS_HOOKS="tests.unit.simulator.schemathesis_hooks", PYTHONPATH=str(REPO_ROOT), NO_COLOR="1")
    command = [
        str(SCHEMATHESIS), "--config-file", str(config), "run", str(SPEC),
        "--checks", "all", "--max-examples", os.environ.get("NEO_SCHEMATHESIS_EXAMPLES", "60"), "--seed", "20251126", "--no-color",
    ]
    completed = subprocess.run(command, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "Selected: 4/4" in output and "Tested: 4" in output, output  # every operation of the spec
    assert "No issues found" in output, output
