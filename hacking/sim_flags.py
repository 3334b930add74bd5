"""Print what the caller can see: one line per secret, with its scope, project id and flag (demo helper).

    python hacking/sim_flags.py API_URL      (the key comes from NEO_API_KEY)

Reads through the Neo API itself, as the caller, never through the simulator's admin API: the
personal secrets (GET /api/v1/secrets) and those of each project the caller lists
(GET /api/v1/projects, then GET /api/v1/secrets?project_id=...). A project the caller lists but
may not read shows one line saying so. No value is printed, masked or not. Standard library only.
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

ROW = "%-12s %-38s %-24s %s"


def get(base_url, api_key, path, **query):
    """The decoded JSON of one GET, with the caller's key."""
    url = base_url.rstrip("/") + path + ("?" + urllib.parse.urlencode(query) if query else "")
    request = urllib.request.Request(url, headers={"X-Api-Key": api_key, "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310: the URL the user gave
        return json.load(response)


def list_all(base_url, api_key, path, kind, **query):
    """Every item of a list endpoint, whatever documented shape and pagination it answers with."""
    items = []
    while True:
        page = get(base_url, api_key, path, **query)
        if isinstance(page, list):
            return items + page
        batch = next((page[key] for key in (kind, "data", "items") if isinstance(page.get(key), list)), None)
        if batch is None:
            raise SystemExit("sim_flags: unexpected answer from %s: keys %s" % (path, sorted(page)))
        items += batch
        if page.get("next_cursor"):
            query["cursor"] = page["next_cursor"]
        elif page.get("has_more") and batch:
            query["offset"] = len(items)
        else:
            return items


def main(base_url):
    api_key = os.environ.get("NEO_API_KEY")
    if not api_key:
        raise SystemExit("sim_flags: set NEO_API_KEY")
    print(ROW % ("SCOPE", "PROJECT ID", "SECRET", "DEFAULT_AVAILABLE"))
    for secret in sorted(list_all(base_url, api_key, "/api/v1/secrets", "secrets"), key=lambda s: s["name"]):
        print(ROW % ("personal", "-", secret["name"], str(secret["default_available"]).lower()))
    projects = list_all(base_url, api_key, "/api/v1/projects", "projects")
    for project in sorted(projects, key=lambda p: (p.get("name") or "", p["id"])):
        try:
            secrets = list_all(base_url, api_key, "/api/v1/secrets", "secrets", project_id=project["id"])
        except urllib.error.HTTPError as error:
            print(ROW % (project.get("name") or "(no name)", project["id"], "(cannot read: HTTP %d)" % error.code, ""))
            continue
        for secret in sorted(secrets, key=lambda s: s["name"]):
            print(ROW % (project.get("name") or "(no name)", project["id"], secret["name"], str(secret["default_available"]).lower()))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
