"""Print one line per secret of a running simulator: scope, name, default_available (demo helper)."""
import json
import sys
import urllib.request

state = json.load(urllib.request.urlopen(sys.argv[1] + "/_sim/state"))
project_names = {project["id"]: project["name"] for project in state["projects"]}
for secret in sorted(state["secrets"], key=lambda s: (s["project_id"] or "", s["name"])):
    scope = "personal(%s)" % secret["owner"] if secret["project_id"] is None else project_names.get(secret["project_id"], secret["project_id"])
    print("%-22s %-24s default_available=%s" % (scope, secret["name"], secret["default_available"]))
