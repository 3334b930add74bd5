"""The HTTP server: SimulatorServer (Python API) and the request handler behind it."""
from __future__ import annotations

import contextlib
import socket
import socketserver
import ssl
import sys
import threading
import time
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from neo_simulator.admin import AdminApi
from neo_simulator.api import NeoApi
from neo_simulator.config import ConfigError, SimulatorConfig
from neo_simulator.faults import FaultQueue
from neo_simulator.responses import error_reply
from neo_simulator.seed import normalize_seed
from neo_simulator.store import Store

_WRITE_METHODS = frozenset(("POST", "PATCH", "PUT", "DELETE"))
_MAX_BODY = 16 * 1024 * 1024


class Counters:
    """Counts of /api/ requests, including faulted and rejected ones."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._total = self._writes = self._faults_fired = 0
            self._by_method, self._by_route, self._by_status = {}, {}, {}

    def record(self, method, template, reply):
        status = "dropped" if reply.drop else str(reply.status)
        route = "%s %s" % (method, template)
        with self._lock:
            self._total += 1
            self._writes += method in _WRITE_METHODS
            self._by_method[method] = self._by_method.get(method, 0) + 1
            self._by_route[route] = self._by_route.get(route, 0) + 1
            self._by_status[status] = self._by_status.get(status, 0) + 1

    def fault_fired(self):
        with self._lock:
            self._faults_fired += 1

    def snapshot(self):
        with self._lock:
            return {"total": self._total, "writes": self._writes, "by_method": dict(self._by_method),
                    "by_route": dict(self._by_route), "by_status": dict(self._by_status), "faults_fired": self._faults_fired}


class RequestLog:
    """One line per request: time, method, path with query, status, duration. Never headers or bodies."""

    def __init__(self, path):
        self._lock = threading.Lock()
        self._file = open(path, "a", encoding="utf-8", buffering=1) if path else None  # pylint: disable=consider-using-with

    def write(self, method, path, status, seconds):
        if self._file is None:
            return
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        line = "%s %s %s %s %.1fms\n" % (stamp, method, path, status, seconds * 1000)
        with self._lock:
            if not self._file.closed:
                self._file.write(line)

    def close(self):
        if self._file is not None:
            with self._lock:
                self._file.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection for many calls
    server_version = "NeoSimulator/1.0"
    disable_nagle_algorithm = True  # responses go out in one write; do not wait for an ACK
    timeout = 120  # an idle keep-alive connection frees its thread eventually

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """The request log is RequestLog; the default stderr line would duplicate it."""

    def handle(self):
        # With TLS the handshake happens here, in the connection's own thread (never in the
        # accept loop); a client that rejects the certificate or hangs up ends it quietly.
        if not isinstance(self.connection, ssl.SSLSocket):
            try:
                if not self._refused_tls_handshake():
                    super().handle()
            except ConnectionError:
                # A client that hangs up before or while it is answered (e.g. after sending bytes
                # that are no HTTP request): http.server would print a traceback for it.
                self.close_connection = True
            return
        try:
            self.connection.do_handshake()
            super().handle()
        except (ssl.SSLError, ConnectionError):
            self.close_connection = True

    def _refused_tls_handshake(self):
        """True when the client opened with a TLS handshake on this plain-HTTP port: one line on
        stderr, and a 400 as any HTTP server gives (the client then reports "wrong version number")."""
        try:
            start = self.connection.recv(3, socket.MSG_PEEK)
        except OSError:  # nothing sent before the connection's idle timeout
            return False
        if len(start) < 3 or start[0] != 0x16 or start[1] != 0x03:  # a TLS handshake record
            return False
        sys.stderr.write("neo_simulator: a client from %s spoke TLS to this plain-HTTP port; its URL must start with http://, not https://\n"
                         % self.client_address[0])
        sys.stderr.flush()
        # The whole handshake record is read first: unread bytes at close would make the answer a reset.
        self.rfile.read(int.from_bytes(self.rfile.read(5)[3:5], "big"))
        self.command, self.close_connection = None, True
        self._send(error_reply(400, "invalid_request", "this port speaks plain HTTP, not TLS: use an http:// URL"))
        return True

    def _handle(self):
        started = time.perf_counter()
        sim = self.server.simulator
        body = self._read_body()
        if body is None:
            reply = error_reply(400, "invalid_request", "request body must come with a valid Content-Length")
            self.close_connection = True
        else:
            split = urlsplit(self.path)
            if split.path.startswith("/api/"):
                with sim.in_flight():
                    self._answer_api(sim, split, body, started)
                return
            elif split.path.startswith("/_sim/"):
                reply = sim.admin.handle(self.command, split.path, body)
            else:
                reply = error_reply(404, "not_exists", "no such endpoint")
        self._reply(sim, reply, started)

    def _answer_api(self, sim, split, body, started):
        self._reply(sim, sim.api.handle(self.command, split.path, split.query, self.headers, body), started)

    def _reply(self, sim, reply, started):
        # Logged before sending, so a client that has its answer also finds the log line.
        sim.request_log.write(self.command, self.path, "dropped" if reply.drop else reply.status, time.perf_counter() - started)
        if reply.drop:
            self.close_connection = True
        elif reply.delay_s or reply.stream is not None:
            try:
                # The wait ends early when the server stops: a stopping server answers nothing more.
                if reply.delay_s and self.server.closing.wait(reply.delay_s):
                    raise ConnectionAbortedError("simulator stopping")
                if reply.stream is not None:
                    self._send_stream(reply)
                else:
                    self._send(reply)
            except OSError:  # the client gave up waiting and closed the connection, or the server stops
                self.close_connection = True
        else:
            self._send(reply)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def __getattr__(self, name):
        # Any other method (TRACE, QUERY, ...) is routed too, so that it gets a 405 with an
        # Allow header like the other unsupported methods, not http.server's HTML 501.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _read_body(self):
        """The request body (b"" when none), or None when it cannot be read safely."""
        if self.headers.get("Transfer-Encoding"):
            return None  # chunked uploads are not needed by any client of the simulator
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            length = int(length)
        except ValueError:
            return None
        if not 0 <= length <= _MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _head(self, reply, framing):
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = "Status"
        lines = ["HTTP/1.1 %d %s" % (reply.status, phrase), "Content-Type: application/json", framing]
        lines.extend("%s: %s" % header for header in reply.headers)
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, reply):
        # Status line, headers and body in one write: with TCP_NODELAY, separate writes would
        # leave as separate packets and cost the client a round trip each.
        head = self._head(reply, "Content-Length: %d" % len(reply.body))
        self.wfile.write(head if self.command == "HEAD" else head + reply.body)

    def _send_stream(self, reply):
        """The head at once, then the body piece by piece (trickle and oversized faults).

        A client that closes the connection makes a write fail (OSError, handled by the caller);
        a stopping server ends the pauses at once, so the thread never outlives stop() for long.
        """
        stream = reply.stream
        chunked = stream.length is None
        self.wfile.write(self._head(reply, "Transfer-Encoding: chunked" if chunked else "Content-Length: %d" % stream.length))
        if self.command == "HEAD":
            return
        closing = self.server.closing
        for piece in stream.pieces():
            if stream.pause_s and closing.wait(stream.pause_s):
                raise ConnectionAbortedError("simulator stopping")
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # many clients connecting at once must not see refused connections

    def __init__(self, address, simulator, ssl_context=None):
        self.simulator = simulator
        self.closing = threading.Event()  # set by stop(): pauses of slow and trickle faults end at once
        self._connections = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)
        if ssl_context is not None:
            # Accepted sockets are TLS sockets; _Handler.handle does the handshake in their thread.
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def server_bind(self):
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall on a box
        # without DNS; the simulator never needs the name.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self):
        """Wake handler threads blocked on idle keep-alive connections so they end."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                # socket.socket's own shutdown: a TLS socket keeps its TLS object for the thread using it.
                socket.socket.shutdown(connection, socket.SHUT_RDWR)
            except OSError:
                pass


class SimulatorServer:
    """A Neo API simulator on a real socket, served from a background thread.

    ``config`` keywords: host, port, list_form, pagination, page_size, latency_ms,
    duplicate_policy, log (path of the request log). ``tls_cert`` and ``tls_key`` (PEM files,
    both or neither) serve HTTPS (TLS 1.2 or later) instead of plain HTTP, admin API included.
    Raises SeedError or ConfigError early.
    """

    def __init__(self, seed, host="127.0.0.1", port=0, log=None, tls_cert=None, tls_key=None, **config):
        self._start_seed = normalize_seed(seed)
        self._start_config = SimulatorConfig(**config)
        self._ssl_context = _server_ssl_context(tls_cert, tls_key)
        self.config = self._start_config
        self.store = Store(self._start_seed)
        self.faults = FaultQueue()
        self._idle = threading.Condition()
        self._requests_in_flight = 0
        self.counters = Counters()
        self.api = NeoApi(self)
        self.admin = AdminApi(self)
        self._address = (host, port)
        self._log_path = log
        self.request_log = RequestLog(None)
        self._httpd = None
        self._thread = None

    def start(self):
        """Bind and serve in a daemon thread; returns self."""
        self.request_log = RequestLog(self._log_path)
        self._httpd = _HttpServer(self._address, self, self._ssl_context)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="neo-simulator", daemon=True)
        self._thread.start()
        return self

    @property
    def port(self):
        return self._httpd.server_address[1]

    @property
    def url(self):
        return "%s://%s:%d" % ("http" if self._ssl_context is None else "https", self._address[0], self.port)

    def stop(self):
        if self._httpd is None:
            return
        self._httpd.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        self._thread.join(timeout=5)
        self._httpd = None
        self.request_log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @contextlib.contextmanager
    def in_flight(self):
        """Counts an /api/ request from its arrival until its answer is sent (or abandoned)."""
        with self._idle:
            self._requests_in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._requests_in_flight -= 1
                self._idle.notify_all()

    def _wait_idle(self, timeout=10.0):
        """Let requests still being answered (a client from an earlier test that gave up) finish first,
        so that they are never counted after a reset."""
        with self._idle:
            self._idle.wait_for(lambda: self._requests_in_flight == 0, timeout)

    def load_seed(self, seed):
        """Replace all state with ``seed``; counters and faults start afresh, config is kept."""
        self._wait_idle()
        store = Store(normalize_seed(seed))
        self.store = store
        self.faults.clear()
        self.counters.reset()

    def reset(self):
        """Back to the start seed and start config, with no faults and zeroed counters."""
        self._wait_idle()
        self.store = Store(self._start_seed)
        self.config = self._start_config
        self.faults.clear()
        self.counters.reset()


def _server_ssl_context(cert, key):
    """The server TLS context (TLS 1.2 or later) of a certificate and key file, or None for plain HTTP."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ConfigError("tls_cert and tls_key must be given together")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as error:
        raise ConfigError("tls_cert/tls_key: cannot load %s and %s: %s" % (cert, key, error)) from None
    return context
