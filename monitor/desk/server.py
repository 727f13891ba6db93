"""The desk's HTTP server: uvicorn in a thread of `monitor run`, on a socket bound before it starts so a
busy port is an OSError the daemon can log instead of uvicorn exiting the process."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

import uvicorn

from monitor.desk.app import create_app
from monitor.desk.context import DeskContext, utc_now
from monitor.errors import ConfigError
from monitor.settings.desk import DeskSettings, check_listening, is_loopback
from monitor.settings.sections import HttpSettings
from monitor.settings.topics import Topic
from monitor.store import desk as store

log = logging.getLogger(__name__)


class DeskRefused(ConfigError):
    """The desk would be open to the network without any user configured: a config error (exit 2, so systemd
    does not restart into it)."""

    def __init__(self, message: str) -> None:
        super().__init__("desk.host", message)


class DeskServer:
    def __init__(self, ctx: DeskContext) -> None:
        problem = check_listening(ctx.settings)
        if problem:
            raise DeskRefused(problem)
        self.ctx = ctx
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def address(self) -> tuple[str, int]:
        assert self._socket is not None, "not started"
        host, port = self._socket.getsockname()[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> None:
        settings = self.ctx.settings
        store.prepare(self.ctx.database)  # the database exists, its schema current
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((settings.host.strip("[]"), settings.port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        self._socket = sock
        # log_config=None: uvicorn's records go through the daemon's own handlers (--log-json included)
        config = uvicorn.Config(
            create_app(self.ctx), log_config=None, log_level="warning", access_log=False, lifespan="off",
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="desk", daemon=True
        )
        self._thread.start()
        log.info("desk at %s (%s)", self.url, "open locally, no users" if settings.open_locally else "login required")
        if not settings.https and not is_loopback(settings.host):
            log.warning("desk on %s without [desk] https = true: passwords and session cookies cross the network "
                        "in clear unless a TLS proxy is in front (then set https = true)", settings.host)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self.ctx.close()


def make_desk_server(
    settings: DeskSettings,
    database: store.Database,
    topics: Sequence[Topic],
    http: HttpSettings,
    clock: Callable[[], datetime] = utc_now,
) -> DeskServer | None:
    """The desk as configured (not yet listening), or None when disabled. DeskRefused when it would be open
    to the network."""
    if not settings.enabled:
        return None
    return DeskServer(DeskContext(settings, database, tuple(topics), http, clock))
