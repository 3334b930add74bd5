# Copyright: projectdiscovery.neo contributors; GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""The whole-request deadline of the Neo API client.

A socket time-out bounds each read, not a response: a server that sends one byte before each
time-out (or endless headers) would hold a task for ever. ``Watchdog.watch(seconds)`` covers one
HTTP attempt of the calling thread; when it outlives ``seconds`` the socket it reads from is shut
down, so the blocked read ends. ``WatchedAdapter`` is requests' adapter whose connections hand
their socket to the watch of the thread using them.
"""
from __future__ import annotations

import heapq
import socket
import threading
import time

try:
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
except ImportError:  # _neo_client says that requests is missing (HAS_REQUESTS)
    HTTPAdapter = HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = object

_CURRENT = threading.local()


class Watch:
    """The deadline of one attempt, a context manager; ``expired``: its socket was shut down."""

    __slots__ = ("deadline", "expired", "_done", "_sock", "_lock")

    def __init__(self, deadline):
        self.deadline = deadline
        self.expired = False
        self._done = False
        self._sock = None
        self._lock = threading.Lock()

    def __enter__(self):
        _CURRENT.watch = self
        return self

    def __exit__(self, *exc_info):
        _CURRENT.watch = None
        with self._lock:
            self._done = True
            self._sock = None

    def __lt__(self, other):
        return self.deadline < other.deadline

    def attach(self, sock):
        with self._lock:
            self._sock = sock
            if self.expired:
                _shutdown(sock)

    def expire(self):
        with self._lock:
            if self._done:
                return
            self.expired = True
            if self._sock is not None:
                _shutdown(self._sock)


def _shutdown(sock):
    # socket.socket's own shutdown, also for a TLS socket: the blocked reader then sees the end
    # of the stream, while the TLS object it is using stays intact.
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, TypeError):
        pass


class Watchdog:
    """One thread per client that expires the watches whose deadline has passed.

    A timer thread per attempt would cost a thread start per request (several times the client's
    own work for a small answer); here an attempt costs a heap push, and a finished watch is
    dropped when it reaches the top.
    """

    def __init__(self):
        self._condition = threading.Condition()
        self._heap = []
        self._thread = None
        self._closed = False

    def watch(self, seconds):
        watch = Watch(time.monotonic() + seconds)
        with self._condition:
            heapq.heappush(self._heap, watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="neo-request-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0] is watch:
                self._condition.notify()
        return watch

    def _run(self):
        with self._condition:
            while not self._closed:
                now = time.monotonic()
                while self._heap and (self._heap[0]._done or self._heap[0].deadline <= now):  # pylint: disable=protected-access
                    heapq.heappop(self._heap).expire()
                self._condition.wait(self._heap[0].deadline - now if self._heap else None)

    def close(self):
        with self._condition:
            self._closed = True
            self._condition.notify()


def _watched(connection_class):
    """A urllib3 connection class that hands its socket to the current thread's watch."""

    class WatchedConnection(connection_class):  # pylint: disable=too-few-public-methods
        def getresponse(self, *args, **kwargs):  # pylint: disable=signature-differs
            watch = getattr(_CURRENT, "watch", None)
            if watch is not None and self.sock is not None:
                watch.attach(self.sock)
            return super().getresponse(*args, **kwargs)

    WatchedConnection.__name__ = "Watched" + connection_class.__name__
    return WatchedConnection


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _watched(HTTPConnection)


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _watched(HTTPSConnection)


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter with connection pools whose sockets the watchdog can shut down.

    SOCKS proxies keep their own pools: behind one, only the time-out of each read applies.
    """

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager
