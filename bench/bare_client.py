"""The minimum API calls of a policy run, made by a bare `requests` client: the floor of bench/policy_bench.py.

Used by the benchmark process itself (the floor) and, copied into the reference collection that
bench/reference_collection.py writes, from inside an Ansible task (what any role pays to make
the same calls).
"""
from concurrent.futures import ThreadPoolExecutor

import requests

THREADS = 8


def bare_client_calls(url, api_key, apply):
    """List the projects and their secrets (and PATCH the drifted ones with ``apply``) with 8 threads.

    Returns (projects, drifted secrets).
    """
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=THREADS)
    session.mount("http://", adapter)
    session.headers["X-Api-Key"] = api_key
    projects = session.get(url + "/api/v1/projects", timeout=30).json()["projects"]
    with ThreadPoolExecutor(THREADS) as pool:
        lists = pool.map(lambda p: session.get(url + "/api/v1/secrets", params={"project_id": p["id"]}, timeout=30).json()["secrets"], projects)
        drifted = [s["id"] for secrets in lists for s in secrets if s["default_available"]]
        if apply:
            list(pool.map(lambda i: session.patch(url + "/api/v1/secrets/" + i, json={"default_available": False}, timeout=30).raise_for_status(), drifted))
    return len(projects), len(drifted)
