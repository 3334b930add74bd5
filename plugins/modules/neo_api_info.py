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
  - RV(api) holds field and key names, counts, forms, status codes, the values of rate-limit and C(Retry-After)
    response headers, the names of request-id headers, and timings. It never holds a secret value, a masked value,
    a credential, or a name or id of a secret or project.
  - The playbook C(projectdiscovery.neo.api_probe) runs this module and writes its result as Markdown and JSON files.
  - The module never changes anything, so C(changed) is always false. It fails only when no list could be read at all
    (for example when the API rejects the credentials); a list that fails is described in RV(api.lists).
options: {}
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
- name: Probe the Neo API with the credential in NEO_API_KEY
  projectdiscovery.neo.neo_api_info:
  register: neo_api

- name: Show how the API lists and pages
  ansible.builtin.debug:
    msg: "{{ neo_api.api.envelope }} lists, pagination {{ neo_api.api.pagination }}, pages of {{ neo_api.api.page_size }}"

- name: Show every assumption the API contradicts
  ansible.builtin.debug:
    msg: "{{ neo_api.api.assumptions | selectattr('status', 'equalto', 'contradicted') | list }}"

- name: Write the description as Markdown, ready to attach to an issue
  ansible.builtin.copy:
    content: "{{ neo_api.markdown }}"
    dest: /tmp/neo-api-probe.md
    mode: "0600"
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
    client:
      description: User agent of the collection's client that made the requests.
      type: str
      sample: projectdiscovery.neo-ansible/0.2.0
    base_url:
      description: Base URL of the API (never with credentials).
      type: str
      sample: https://neo.api.projectdiscovery.io
    auth:
      description: How the client authenticated.
      type: dict
      contains:
        scheme:
          description: V(api_key) or V(api_token).
          type: str
          sample: api_key
        header:
          description: The header that carried the credential (its value is never shown).
          type: str
          sample: X-Api-Key
    limit_sent:
      description: The C(limit) the client sends with every list request.
      type: int
      sample: 100
    envelope:
      description:
        - The envelope of the lists, as the simulator names it. V(bare) (a JSON array), V(named) (an object with the
          records under C(projects) or C(secrets)), V(data), V(items), V(unrecognised) (none of these), V(mixed) when the
          lists differ (see RV(api.lists)), or null when no list answered.
      type: str
      sample: named
    pagination:
      description:
        - The pagination the client followed, as the simulator names it. V(none) (the first page held the whole list),
          V(offset) (C(offset) with C(has_more)), V(offset_total) (C(offset) with C(total)), V(cursor) (C(cursor) with
          C(next_cursor)), V(mixed) when the lists differ, or null when no list answered.
        - C(total) in a one-page answer without C(offset) is a mere count, so V(none).
      type: str
      sample: offset_total
    page_size:
      description:
        - The number of records the API put on a page for the C(limit) sent, seen on every list that spanned pages;
          null when every list came in one page, or when the lists differ.
      type: int
      sample: 50
    requests:
      description: The HTTP requests sent.
      type: dict
      contains:
        total:
          description: Number of HTTP attempts, retries included.
          type: int
        methods:
          description: Attempts per HTTP method; only C(GET) ever appears.
          type: dict
          sample: {GET: 5}
        statuses:
          description: Answers per HTTP status.
          type: dict
          sample: {"200": 4, "403": 1}
        retries:
          description: How many requests were retried.
          type: int
        transport_failures:
          description: Attempts that got no HTTP answer, per cause (time-out, dropped connection ...).
          type: dict
    latency_ms:
      description: C(min), C(median) and C(max) milliseconds of the answered requests (whole request, body included); null when none was answered.
      type: dict
      sample: {min: 41.2, median: 55.0, max: 120.3}
    http_versions:
      description: HTTP versions of the answers.
      type: list
      elements: str
      sample: [HTTP/1.1]
    headers:
      description: Response headers that matter to a client.
      type: dict
      contains:
        rate_limit:
          description: Rate-limit headers (C(X-RateLimit-*), C(RateLimit-*)) and C(Retry-After) seen, with their last value.
          type: dict
          sample: {X-RateLimit-Limit: "600", X-RateLimit-Remaining: "597"}
        request_id:
          description: Names of the request-id headers seen (C(X-Request-Id), C(CF-Ray) ...); their values are not kept.
          type: list
          elements: str
        content_type:
          description: C(Content-Type) values seen.
          type: list
          elements: str
          sample: [application/json]
        server:
          description: C(Server) and C(Via) values seen.
          type: list
          elements: str
    lists:
      description:
        - The lists read, by name. Forms and sizes are those of the last reading (the client reads an inconsistent list once more).
      type: dict
      contains:
        projects:
          description: The project list (C(GET /api/v1/projects)).
          type: dict
          contains:
            path:
              description: The path requested.
              type: str
              sample: /api/v1/secrets
            query:
              description: Names of the query parameters of the first request (never their values).
              type: list
              elements: str
              sample: [limit, project_id]
            read:
              description: V(ok), V(failed) or V(not read).
              type: str
            error:
              description: When the list failed, C(status), C(code), C(error_id) and C(reason) (from a fixed vocabulary); else null.
              type: dict
            not_read:
              description: Why the list was not read (no readable project ...), else null.
              type: str
            envelope:
              description: V(bare), V(named), V(data), V(items) or V(unrecognised).
              type: str
            envelope_key:
              description: The key that held the records (C(projects), C(secrets), C(data), C(items)); null for a bare array.
              type: str
            envelope_keys:
              description: Every top-level key of the first answer (names only).
              type: list
              elements: str
              sample: [count, secrets]
            count_key:
              description: C(total) or C(count) when the answer announced the size of the list, else null.
              type: str
            pagination:
              description: V(none), V(offset), V(offset_total) or V(cursor), as for RV(api.pagination).
              type: str
            pagination_signal:
              description: The key the client decided on whether more pages exist (C(next_cursor), C(has_more), C(total)), else null.
              type: str
            limit_sent:
              description: The C(limit) of the first request.
              type: int
            limit_echoed:
              description: The C(limit) the answer echoed, if any.
              type: int
            page_size:
              description: Records on the first page when the list spanned pages (the size the API applied), else null.
              type: int
            pages:
              description: Pages read.
              type: int
            records:
              description: Records read.
              type: int
            readings:
              description: How many times the list was read from its first page (2 when the first reading was inconsistent).
              type: int
            latency_ms:
              description: Milliseconds of each request of the list, retries and skipped projects included.
              type: list
              elements: float
            fields:
              description:
                - The field names of the records compared with the documented schema (C(SecretResponse) or C(Project)).
                - C(schema), C(records) (how many), C(present) (documented, in every record), C(partly_present) (documented, in
                  some), C(absent) (documented, in none) and C(undocumented) (in a record, not in the schema).
              type: dict
        personal_secrets:
          description: The personal secrets (C(GET /api/v1/secrets)), with the same keys as RV(api.lists.projects).
          type: dict
        project_secrets:
          description:
            - The secrets of the first listed project that could be read (C(GET /api/v1/secrets?project_id=...)), with the
              same keys as RV(api.lists.projects) and the two below.
          type: dict
          contains:
            projects_tried:
              description: How many projects were tried.
              type: int
            projects_skipped:
              description: The C(status), C(code), C(error_id) and C(reason) of each project skipped.
              type: list
              elements: dict
    assumptions:
      description:
        - One entry per assumption the collection makes where the Neo docs are silent (docs/simulator.md), with C(id)
          (stable), C(text), C(status) (V(confirmed), V(contradicted) or V(not observed)) and C(seen) (what was observed,
          in one line).
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
api_retries:
  description: How many times a request was retried (HTTP 429, 5xx, dropped connections, time-outs).
  returned: always
  type: int
  sample: 0
"""
