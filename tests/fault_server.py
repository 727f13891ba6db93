"""A real local HTTP server that serves canned responses and misbehaves on command.

Usage:
    with FaultServer({"/feed.xml": (200, {"Content-Type": "application/rss+xml"}, body)}) as srv:
        fetcher.fetch(srv.url("/feed.xml"))
        srv.requests          # list[LoggedRequest], in arrival order
        srv.set("/x", Reply(status=429, headers={"Retry-After": "2"}))

A route value is one of:
    (status, headers, body)          a plain response
    Reply(...)                       a response with misbehaviour switches (see Reply)
    [r1, r2, ...]                    served in turn; the last one repeats
    callable(LoggedRequest) -> r     computed per request
Unknown paths get 404. The query string is ignored when matching routes (it is kept in the log).
Binds 127.0.0.1 (or `host`, any 127.x.y.z works: the whole 127/8 is loopback) on an ephemeral port.
"""

from __future__ import annotations

import gzip
import http.server
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    # Send the body this many times (a big body without holding it in memory). Content-Length is set to
    # the full size unless `content_length` overrides it.
    repeat: int = 1
    content_length: int | None = None  # None: computed; -1: send no Content-Length (close-delimited)
    chunk_size: int = 64 * 1024
    chunk_delay: float = 0.0  # seconds to sleep before each chunk (slow body)
    headers_delay: float = 0.0  # seconds to sleep before sending anything (slow server)
    truncate_at: int | None = None  # stop after this many body bytes and close (Content-Length unchanged)
    reset: bool = False  # accept the request, then reset the TCP connection without any response
    reset_after_headers: bool = False  # send status + headers, then reset mid-body


@dataclass
class LoggedRequest:
    method: str
    path: str  # without the query string
    raw_path: str  # as requested, with the query string
    headers: dict[str, str]  # lower-case names
    at: float  # time.monotonic() when the request line arrived
    client: str
    bytes_sent: int = 0  # body bytes actually written before the client went away or we finished


RouteValue = tuple[int, Mapping[str, str], bytes] | Reply
Route = RouteValue | Sequence[RouteValue] | Callable[[LoggedRequest], RouteValue]


def as_reply(value: RouteValue) -> Reply:
    if isinstance(value, Reply):
        return value
    status, headers, body = value
    return Reply(status=status, headers=dict(headers), body=body)


def gzip_bomb(uncompressed_bytes: int = 200 * 1024 * 1024) -> bytes:
    """A small gzip stream (~uncompressed/1000) that inflates to `uncompressed_bytes` zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    parts = []
    left = uncompressed_bytes
    while left > 0:
        parts.append(compressor.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(compressor.flush())
    return b"".join(parts)


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body)


class FaultServer:
    def __init__(self, routes: Mapping[str, Route] | None = None, *, host: str = "127.0.0.1") -> None:
        self._routes: dict[str, Route] = dict(routes or {})
        self._turns: dict[str, int] = {}
        self._lock = threading.Lock()
        self.requests: list[LoggedRequest] = []
        self._server = _Server((host, 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True

    # --- lifecycle ---
    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- API ---
    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def set(self, path: str, route: Route) -> None:
        with self._lock:
            self._routes[path] = route
            self._turns.pop(path, None)

    def requests_for(self, path: str) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # --- internals ---
    def _log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    def _reply_for(self, entry: LoggedRequest) -> Reply:
        with self._lock:
            route = self._routes.get(entry.path)
            if route is None:
                return Reply(404, {"Content-Type": "text/plain"}, b"not found")
            if isinstance(route, Reply | tuple):
                return as_reply(route)
            if callable(route):
                value = route  # called outside the lock below
            else:
                turn = self._turns.get(entry.path, 0)
                self._turns[entry.path] = turn + 1
                return as_reply(route[min(turn, len(route) - 1)])
        return as_reply(value(entry))


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: FaultServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up on a misbehaving response is the point, not an error


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, *, send_body: bool) -> None:
        owner = self.server.owner
        entry = LoggedRequest(
            method=self.command,
            path=self.path.split("?", 1)[0],
            raw_path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            at=time.monotonic(),
            client=self.client_address[0],
        )
        owner._log(entry)
        reply = owner._reply_for(entry)
        if reply.headers_delay:
            time.sleep(reply.headers_delay)
        if reply.reset:
            self._reset()
            return
        total = len(reply.body) * reply.repeat
        self.send_response(reply.status)
        names = {k.lower() for k in reply.headers}
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if "content-length" in names:
            pass  # the route set its own (possibly lying) Content-Length
        elif reply.content_length is None:
            self.send_header("Content-Length", str(total))
        elif reply.content_length >= 0:
            self.send_header("Content-Length", str(reply.content_length))
        if reply.content_length == -1 or "connection" not in names:
            # close-delimited bodies need it; for the rest it keeps each test's connections independent
            self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        if reply.reset_after_headers:
            self.wfile.flush()
            self._reset()
            return
        if not send_body or reply.status in (204, 304) or reply.status < 200:
            return
        self._send_body(reply, entry)

    def _send_body(self, reply: Reply, entry: LoggedRequest) -> None:
        limit = reply.truncate_at
        try:
            for _ in range(reply.repeat):
                for start in range(0, len(reply.body), reply.chunk_size):
                    chunk = reply.body[start : start + reply.chunk_size]
                    if limit is not None:
                        chunk = chunk[: max(0, limit - entry.bytes_sent)]
                        if not chunk:
                            self.wfile.flush()
                            return
                    if reply.chunk_delay:
                        time.sleep(reply.chunk_delay)
                    self.wfile.write(chunk)
                    entry.bytes_sent += len(chunk)
            self.wfile.flush()
        except OSError:
            return  # the client hung up (e.g. it hit its size cap): exactly what some tests want

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN: a real "connection reset"
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()
