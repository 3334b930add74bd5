"""The /api/ side: latency, faults, auth, routing and list envelopes around the Store."""
from __future__ import annotations

import json
import time
import uuid
from urllib.parse import parse_qs

from neo_simulator import hostile, listing
from neo_simulator.model import is_uuid
from neo_simulator.responses import DROP, ApiError, Reply, encode_json, error_reply, json_reply, method_not_allowed, parse_json_object

# Route templates as they appear in counters, with the methods each one answers.
PROJECTS = "/api/v1/projects"
SECRETS = "/api/v1/secrets"
SECRET = "/api/v1/secrets/{id}"
PROJECT = "/api/v1/projects/{id}"
ALLOWED_METHODS = {PROJECTS: ("GET", "POST"), SECRETS: ("GET", "POST"), SECRET: ("PATCH",), PROJECT: ("PATCH",)}
UNKNOWN_ROUTE = "(unknown)"
_SECRET_PREFIX = SECRETS + "/"
_PROJECT_PREFIX = PROJECTS + "/"
_MALFORMED_BODY = b'{"secrets": [{"id": "5ec00000-0000-4000-8000-0000000000'  # cut short on purpose
_PROXY_AUTHENTICATE = ("Proxy-Authenticate", 'Basic realm="neo-proxy"')


def match_route(path):
    """(template, secret or project id or None); template is UNKNOWN_ROUTE when nothing matches."""
    if path in (PROJECTS, SECRETS):
        return path, None
    for prefix, template in ((_SECRET_PREFIX, SECRET), (_PROJECT_PREFIX, PROJECT)):
        if path.startswith(prefix):
            item_id = path[len(prefix):]
            if item_id and "/" not in item_id:
                return template, item_id
    return UNKNOWN_ROUTE, None


def is_list_request(method, template):
    return method == "GET" and template in (PROJECTS, SECRETS)


def _credentials(headers):
    """(api key, bearer token): an X-Api-Key header wins over Authorization when both are sent."""
    api_key = headers.get("X-Api-Key")
    if api_key is not None:
        return api_key.strip(), None
    scheme, _sep, token = (headers.get("Authorization") or "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return None, token.strip()
    return None, None


class NeoApi:
    """Answers /api/ requests for one SimulatorServer (reads its store, config, faults)."""

    def __init__(self, simulator):
        self._sim = simulator
        self._endless = hostile.EndlessRecords()

    def handle(self, method, path, query, headers, body):
        """Answer one request (Reply, or DROP for a dropped connection) and count it."""
        template, reply = self._answer(method, path, query, headers, body)
        self._sim.counters.record(method, template, reply)
        return reply

    def _answer(self, method, path, query, headers, body):
        config = self._sim.config
        if config.latency_ms:
            time.sleep(config.latency_ms / 1000.0)
        template, secret_id = match_route(path)
        is_list = is_list_request(method, template)
        fault = self._sim.faults.take(method, path, is_list, is_list and listing.is_later_page(config, query))
        if fault is not None:
            self._sim.counters.fault_fired()
            reply = self._fault_reply(fault, config, template, path, query, headers, body)
            if reply is not None:
                return template, reply
        modifiers = self._sim.faults.take_modifiers(method, path, is_list, is_list and listing.is_later_page(config, query))
        for _rule in modifiers:
            self._sim.counters.fault_fired()
        body = _modified_request(modifiers, body)
        try:
            reply = self._route(config, method, template, secret_id, query, headers, body, fault)
        except ApiError as error:
            reply = error.reply()
        if modifiers and 200 <= reply.status < 300:
            reply = self._modified_answer(modifiers, config, template, is_list, headers, reply)
        if fault is not None:
            reply = self._after_route(fault, reply)
        return template, reply

    def _fault_reply(self, fault, config, template, path, query, headers, body):  # pylint: disable=too-many-arguments
        """The reply a fault replaces the real answer with, or None when the request goes on."""
        if fault.kind == "status":
            retry_after = fault.retry_after_header()
            extra = [("Retry-After", retry_after)] if retry_after is not None else []
            if fault.status == 407:
                extra.append(_PROXY_AUTHENTICATE)
            echoed = [_echoed_credentials(headers) if fault.echo_credentials else None, _echoed_body(body) if fault.echo_body else None]
            detail = "; ".join(text for text in echoed if text)
            return error_reply(fault.status, fault.code, detail or "injected fault", extra)
        if fault.kind == "drop":
            return DROP
        if fault.kind == "malformed":
            return Reply(200, _MALFORMED_BODY)
        if fault.kind == "redirect":
            return Reply(307, b"", [("Location", "http://127.0.0.1:1" + path + ("?" + query if query else ""))])
        if fault.kind == "endless":
            return self._endless_page(config, template, query, fault.repeat_cursor)
        if fault.kind == "oversized":
            return Reply(200, stream=hostile.oversized(fault.size_mb))
        return None  # slow, unknown_envelope, shift, deep_json and trickle go on to the real handler

    @staticmethod
    def _after_route(fault, reply):
        """The real answer as a fault that let the request take effect sends it."""
        if fault.kind == "slow":
            # Applied and counted at once, answered late: a client that times out has lost the
            # answer of a request that took effect (and nothing is counted after it gave up).
            reply.delay_s = fault.delay_s
        elif fault.kind == "deep_json":
            return Reply(200, hostile.deep_json(fault.depth))
        elif fault.kind == "trickle":
            reply.stream = hostile.trickle(reply.body, fault.delay_s, fault.chunked)
        return reply

    def _modified_answer(self, modifiers, config, template, is_list, headers, reply):  # pylint: disable=too-many-arguments
        """The answer as the modifier faults (invisible, answer_other, rewrite) make it, in that order."""
        try:
            payload = json.loads(reply.body)
        except ValueError:
            return reply
        caller = self._sim.store.authenticate(*_credentials(headers))
        records = _records(payload, is_list)
        extra_headers = []
        order = ("invisible", "answer_other", "rewrite")  # the hidden object is the one really created, whatever the queue order
        for rule in sorted(modifiers, key=lambda rule: order.index(rule.kind) if rule.kind in order else -1):
            if rule.kind == "invisible" and len(records) == 1 and isinstance(records[0].get("id"), str):
                self._sim.faults.hide(records[0]["id"], _list_scope(template, records[0].get("project_id"), caller), rule.reads)
            elif rule.kind == "answer_other" and len(records) == 1:
                other = self._other_record(config, template, caller, records[0])
                if other is not None:
                    records[0].clear()
                    records[0].update(other)
            elif rule.kind == "rewrite":
                if isinstance(payload, dict):
                    payload.update(rule.top)
                extra_headers.extend(rule.headers.items())
                for record in records:
                    if rule.match_name is None or record.get("name") == rule.match_name:
                        record.update(rule.set)
                        for name in rule.unset:
                            record.pop(name, None)
        return Reply(reply.status, encode_json(payload), list(reply.headers) + extra_headers)

    def _other_record(self, config, template, caller, record):
        """The first other object of the same kind the caller sees: a project, or a secret of the
        same scope first, then of the personal scope and of the caller's projects."""
        store = self._sim.store
        _total, projects = store.list_projects(caller, listing.Window())
        if template in (PROJECTS, PROJECT):
            candidates = projects
        else:
            candidates = []
            for project_id in [record.get("project_id"), None] + [project["id"] for project in projects]:
                try:
                    candidates.extend(store.list_secrets(caller, project_id, listing.Window())[1])
                except ApiError:  # a project the caller only sees listed: its secrets answer 403
                    continue
            candidates = [_secret_view(config, candidate) for candidate in candidates]
        return next((candidate for candidate in candidates if candidate["id"] != record.get("id")), None)

    def _endless_page(self, config, template, query, repeat_cursor):
        """A full page of fresh items that always claims more are to come (never authenticated nor read from the store)."""
        window = listing.endless_window(config, query)
        if template == PROJECTS:
            collection, page = "projects", self._endless.projects(window.limit)
        else:
            project_id = _query_value(query, "project_id")
            project_id = project_id.lower() if is_uuid(project_id) else None
            collection, page = "secrets", [_secret_view(config, record) for record in self._endless.secrets(window.limit, project_id)]
        return json_reply(200, listing.endless_envelope(config, collection, page, window, repeat_cursor))

    def _route(self, config, method, template, secret_id, query, headers, body, fault):
        caller = self._sim.store.authenticate(*_credentials(headers))
        if caller is None:
            raise ApiError(401, "missing or invalid credentials")
        if template == UNKNOWN_ROUTE:
            raise ApiError(404, "no such endpoint")
        if method not in ALLOWED_METHODS[template]:
            return method_not_allowed(ALLOWED_METHODS[template])
        store = self._sim.store
        if template == SECRET:
            return json_reply(200, _secret_view(config, store.update_secret(caller, secret_id, parse_json_object(body))))
        if template == PROJECT:
            return json_reply(200, {"project": store.update_project(caller, secret_id, parse_json_object(body))})
        if method == "POST" and template == PROJECTS:
            # The request body is optional for this operation.
            return json_reply(201, {"project": store.create_project(caller, parse_json_object(body) if body.strip() else {})})
        if method == "POST":
            return json_reply(201, _secret_view(config, store.create_secret(caller, parse_json_object(body), config.duplicate_policy)))
        return self._list(config, template, caller, query, fault)

    def _list(self, config, template, caller, query, fault):
        wrap_unknown = fault is not None and fault.kind == "unknown_envelope"
        shift = fault is not None and fault.kind == "shift"
        window = listing.Window() if wrap_unknown else listing.parse_window(config, query)
        # A shift reads the whole list and serves it without its first item, as if that item had
        # gone between two pages: the item that was due first on this page slid onto the previous one.
        read = listing.Window() if shift else window
        project_id = _query_value(query, "project_id") if template == SECRETS else None
        hidden = self._sim.faults.hidden_from(_list_scope(template, project_id, caller))
        if hidden:  # an invisible fault: the whole list without the hidden objects, then the page
            read = listing.Window()
        if template == PROJECTS:
            collection, (total, page) = "projects", self._sim.store.list_projects(caller, read)
        else:
            collection, (total, page) = "secrets", self._sim.store.list_secrets(caller, project_id, read)
        if hidden:
            page = [record for record in page if record["id"] not in hidden]
            total = len(page)
            if not shift:
                page = window.slice(page)
        if shift and page:
            total, page = total - 1, window.slice(page[1:])
        if template == SECRETS:
            page = [_secret_view(config, record) for record in page]
        if wrap_unknown:
            return json_reply(200, listing.unknown_envelope(page))
        return json_reply(200, listing.envelope(config, collection, page, total, window))


def _list_scope(template, project_id, caller):
    """Which list an object shows in: the project list, one project's secrets, or a caller's personal secrets."""
    if template in (PROJECTS, PROJECT):
        return ("projects",)
    return ("secrets", project_id.lower()) if isinstance(project_id, str) and project_id else ("personal", caller)


def _records(payload, is_list):
    """The records of an answer: each item of a list page (whatever its envelope), or the one record of a
    write's answer (inside its ``project`` envelope, or the body itself)."""
    if is_list:
        if isinstance(payload, dict):
            payload = next((value for value in payload.values() if isinstance(value, list)), [])
        return [item for item in payload if isinstance(item, dict)] if isinstance(payload, list) else []
    if isinstance(payload, dict):
        inner = payload.get("project")
        return [inner] if isinstance(inner, dict) else [payload]
    return []


def _modified_request(modifiers, body):
    """The request body as ignore_id (a fresh id instead of the client's) and move_to (another scope) make it."""
    kinds = {rule.kind for rule in modifiers}
    if not kinds & {"ignore_id", "move_to"}:
        return body
    try:
        payload = json.loads(body) if body.strip() else {}
    except ValueError:
        return body
    if not isinstance(payload, dict):
        return body
    for rule in modifiers:
        if rule.kind == "ignore_id" and "id" in payload:
            payload["id"] = str(uuid.uuid4())
        elif rule.kind == "move_to":
            payload.pop("project_id", None)
            if rule.project_id is not None:
                payload["project_id"] = rule.project_id
    return encode_json(payload)


def _secret_view(config, record):
    """A SecretResponse as configured: a personal secret's project_id is null, or absent."""
    if config.personal_project_id == "absent" and record.get("project_id") is None:
        record = {key: value for key, value in record.items() if key != "project_id"}
    return record


def _echoed_credentials(headers):
    """What a leaky API says on refusal: the credential headers as received (None when there are none)."""
    sent = [(name, headers.get(name)) for name in ("X-Api-Key", "Authorization")]
    sent = ["%s: %s" % (name, value) for name, value in sent if value is not None]
    return "denied for %s" % ", ".join(sent) if sent else None


def _echoed_body(body):
    """What an API that quotes the request it refused says: the body as received (None when empty)."""
    text = body.decode("utf-8", "replace").strip() if body else ""
    return "refused body %s" % text if text else None


def _query_value(query, name):
    if not query:
        return None
    values = parse_qs(query, keep_blank_values=True).get(name)
    return values[-1] if values else None
