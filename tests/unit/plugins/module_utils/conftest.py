"""Shared fixtures: a scripted HTTP stub for the shapes and headers the simulator never produces (the client and probe
tests), and the create path's recorded waits."""
import http.server
import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest


class Stub:
    """Answers each request with the next (status, headers, body) queued by ``reply``; records every request.

    HTTP/1.1 with keep-alive, and ``Server: neo-edge``, like an API behind a proxy.
    """

    def __init__(self):
        self.replies = []
        self.requests = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def version_string(self):
                return "neo-edge"

            def _answer(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                stub.requests.append({"method": self.command, "path": parts.path, "query": parse_qs(parts.query), "headers": dict(self.headers),
                                      "body": body})
                status, headers, body = stub.replies.pop(0) if stub.replies else (500, {}, {"error": "stub has no reply"})
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _answer

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def reply(self, body, status=200, headers=None):
        self.replies.append((status, headers or {}, body))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    server = Stub()
    yield server
    server.close()


@pytest.fixture(name="waits")
def waits_fixture(monkeypatch):
    """The waits of the create path, recorded instead of slept (the client module's one patchable sleep)."""
    # Imported here: pytest-ansible puts the collection on the path after conftest files are loaded.
    from ansible_collections.projectdiscovery.neo.plugins.module_utils import _neo_client  # pylint: disable=import-outside-toplevel

    waited = []
    monkeypatch.setattr(_neo_client, "_sleep", waited.append)
    return waited
