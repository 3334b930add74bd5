#!/usr/bin/python
# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The implementation is the action plugin plugins/action/neo_api_info.py (runs on the controller).
from __future__ import annotations

DOCUMENTATION = r"""
module: neo_api_info
short_description: Describe what the ProjectDiscovery Neo API really answers (a read-only probe)
version_added: 0.2.0
description:
  - Reads, with C(GET) requests only, the caller's project list (C(GET /api/v1/projects)), the personal secrets
    (C(GET /api/v1/secrets)) and the secrets of the first listed project the caller can read
    (C(GET /api/v1/secrets?project_id=...); projects that answer 403 or 404 are skipped, at most 25 are tried),
    through the collection's own API client, and returns RV(api), a description of what the API did.
  - The Neo API documents neither the shape nor the pagination of its lists; the collection reads every plausible form.
    RV(api) says which form this API used, and checks each assumption the collection makes where the docs are silent.
    Run it first against a real account, and attach its result to an issue.
  - RV(api) holds only the probe's own vocabulary - documented field names, known key and header names, counts, forms,
    status codes and timings. Any other key, field or header name is counted (V(1 unknown field)), a header value that
    is not a plain integer is V(other). It never holds a secret value, a masked value, a credential, or a name or id.
  - The playbook C(projectdiscovery.neo.api_probe) runs this module and writes both files.
  - The module never changes anything, so C(changed) is always false. It fails only when no list could be read at all
    (for example when the API rejects the credentials), and then writes no file; a list that fails is described in
    RV(api.lists).
options:
  report_path:
    description:
      - Write RV(api) as JSON to this path on the controller, in check mode too. Created with mode 0600; a file an
        earlier run left there is removed before the first request.
    type: path
  markdown_path:
    description:
      - Write RV(markdown) to this path on the controller, in check mode too, like O(report_path).
    type: path
extends_documentation_fragment:
  - projectdiscovery.neo.connection
  - projectdiscovery.neo.attributes
  - projectdiscovery.neo.attributes.INFO
seealso:
  - module: projectdiscovery.neo.neo_project_info
  - module: projectdiscovery.neo.neo_secret_info
author:
  - ProjectDiscovery Neo collection maintainers (@projectdiscovery)
"""

EXAMPLES = r"""
- name: Probe the Neo API with the credential in NEO_API_KEY, and write the report ready to attach to an issue
  projectdiscovery.neo.neo_api_info:
    markdown_path: /tmp/neo-api-probe.md
  register: neo_api

- name: Show every assumption the API contradicts
  ansible.builtin.debug:
    msg: "{{ neo_api.api.assumptions | selectattr('status', 'equalto', 'contradicted') | list }}"
"""

RETURN = r"""
api:
  description: What the API answered, compared with what the collection assumes.
  returned: when the options are valid (also when the module fails because no list could be read)
  type: dict
  contains:
    format:
      description: Version of the layout of this description.
      type: int
      sample: 1
    base_url:
      description: Base URL of the API.
      type: str
    auth:
      description: C(scheme) (V(api_key) or V(api_token)) and C(header), the header that carried the credential.
      type: dict
      sample: {scheme: api_key, header: X-Api-Key}
    limit_sent:
      description: The C(limit) the client sends with every list request.
      type: int
      sample: 100
    envelope:
      description:
        - The envelope of the lists, in the simulator's words. V(bare) (a JSON array), V(named) (the records under
          C(projects) or C(secrets)), V(data), V(items), V(unrecognised), V(mixed) when the lists differ, null when no
          list answered.
      type: str
    pagination:
      description:
        - The key the client's list reader went by. V(none), V(offset) (C(has_more)), V(offset_total) (C(total), followed
          or with C(offset) echoed), V(cursor) (C(next_cursor)), V(mixed) when the lists differ, null when no list answered.
      type: str
    page_size:
      description: Records per page for the C(limit) sent, seen on every list that spanned pages; else null.
      type: int
    requests:
      description:
        - C(total) HTTP attempts, C(methods) and C(statuses) (counts; only C(GET) ever appears), C(retries), and
          C(transport_failures) (attempts without an answer, per cause).
      type: dict
    latency_ms:
      description: C(min), C(median) and C(max) milliseconds of the answered requests; null when none was answered.
      type: dict
    http_versions:
      description: HTTP versions of the answers.
      type: list
      elements: str
    headers:
      description:
        - C(rate_limit) (known C(X-RateLimit-*), C(RateLimit-*) and C(Retry-After) headers, lower-case, with their last
          value when it is a plain integer, else V(other)), C(unknown_rate_limit) (how many other names carried a rate-limit
          prefix), C(request_id) (names of the request-id headers seen, never their values), C(content_type) (known media
          types, else V(other)) and C(server) (whether a C(Server) or C(Via) header was seen).
      type: dict
    lists:
      description:
        - The lists read (C(projects), C(personal_secrets), C(project_secrets)), each as it was last read (the client
          reads an inconsistent list once more) - C(path); C(read) (V(ok), V(failed) or V(not read)); C(error)
          (C(status), C(code) and C(reason), from fixed vocabularies); C(not_read) (why); C(envelope), C(envelope_key),
          C(keys) (the top-level keys of the first page), C(count_key), C(pagination), C(pagination_signal) (the key the
          reader went by); C(page_size), C(pages), C(records), C(readings), C(latency_ms) (per request).
        - C(fields) compares the records' field names with the documented schema - C(schema), C(records), C(present)
          (in every record), C(partly_present), C(absent) and C(undocumented) (known names not in the schema).
        - C(project_secrets) also has C(projects_tried) and C(projects_skipped) (the C(error) of each project skipped).
      type: dict
    assumptions:
      description:
        - One entry per assumption the collection makes where the Neo docs are silent, with C(id) (stable), C(text),
          C(status) (V(confirmed), V(contradicted) or V(not observed)) and C(seen) (what was observed, in one line).
      type: list
      elements: dict
      sample:
        - id: page_size_capped
          text: A page holds at most the limit sent; the API may serve fewer (its own page size) and the rest on later pages.
          status: confirmed
          seen: "projects: pages of 50 for limit=100"
markdown:
  description: RV(api) as a Markdown document, ready to attach to an issue.
  returned: when RV(api) is
  type: str
summary:
  description: One line - envelope, pagination, page size and the assumptions contradicted.
  returned: when RV(api) is
  type: str
report_path:
  description: The absolute path of the JSON file written.
  returned: when O(report_path) is given and the module succeeds
  type: str
markdown_path:
  description: The absolute path of the Markdown file written.
  returned: when O(markdown_path) is given and the module succeeds
  type: str
api_retries:
  description: How many times a request was retried (HTTP 429, 5xx, dropped connections, time-outs).
  returned: always
  type: int
  sample: 0
"""
