"""The operations endpoint: /healthz, /metrics and each topic's alert feed, over plain HTTP.

Bound to 127.0.0.1 by default: it is meant for the local Prometheus agent, a systemd/container health
probe and a feed reader on the same host (or behind a reverse proxy that adds TLS and auth). It serves
GET and HEAD only and never writes, except the one heartbeat row that proves the database writable.

INTERFACE used by the app:
    settings: OpsSettings (monitor.settings.sections), the config's [ops] table
    server = make_ops_server(settings, database_path, metrics, scheduler_alive, topics)
    server.start(); ...; server.stop()
or, with callables of one's own: OpsServer(host, port, health, metrics_text, alert_feed=None).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, unquote

from monitor.deliver import alert_feeds as feed_export
from monitor.deliver.render.labels import DEFAULT_LANGUAGE, DEFAULT_TIMEZONE
from monitor.errors import MonitorError
from monitor.runtime.metrics import Gauge, Metrics, database_gauges
from monitor.settings.sections import OpsSettings
from monitor.store.reads import Database, ReadError, probe_writable, topics_with_alerts

log = logging.getLogger(__name__)

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_INDEX = b"/healthz\n/metrics\n/alerts/<topic>.atom\n/alerts/<topic>.json\n"
_FEED_PATH = re.compile(r"^/alerts/([^/]+)\.(atom|json)$")

# -- health -----------------------------------------------------------------------------------------


def probe_database(database_path: Database, timeout: float = 2.0) -> str | None:
    """None when the database takes a real write now and its disk has room; otherwise why not."""
    return probe_writable(database_path, timeout)


def health_report(*, scheduler_alive: bool, started_at: float, last_success_at: float | None, now: float,
                  stale_after_seconds: float, database_error: str | None,
                  last_feed_success_at: float | None = None, last_feed_failure_at: float | None = None,
                  feeds_down_after_seconds: float = 0) -> dict[str, Any]:
    """The /healthz body. healthy = scheduler running, a cycle succeeded recently, database writable,
    and feeds reachable; status "degraded" when only the feeds are not (a dead network or proxy).

    Before the first cycle has finished, the process start stands in for it: a daemon that just
    started is healthy for `stale_after_seconds`. The feeds check fails only while polls keep failing:
    a feed polled rarely is not a sign of trouble, a failure with no success for the threshold is.
    """
    reference = last_success_at if last_success_at is not None else started_at
    age = max(0.0, now - reference)
    cycle_ok = age <= stale_after_seconds
    checks: dict[str, Any] = {
        "scheduler": {"ok": scheduler_alive},
        "last_successful_cycle": {
            "ok": cycle_ok,
            "at": _iso(last_success_at),
            "age_seconds": round(age, 1),
            "stale_after_seconds": stale_after_seconds,
        },
        "database": {"ok": database_error is None, **({"error": database_error} if database_error else {})},
    }
    if feeds_down_after_seconds > 0:
        feed_reference = last_feed_success_at if last_feed_success_at is not None else started_at
        feed_age = max(0.0, now - feed_reference)
        failing_since_success = last_feed_failure_at is not None and (
            last_feed_success_at is None or last_feed_failure_at > last_feed_success_at)
        checks["feeds_reachable"] = {
            "ok": not (failing_since_success and feed_age > feeds_down_after_seconds),
            "last_success_at": _iso(last_feed_success_at),
            "last_failure_at": _iso(last_feed_failure_at),
            "age_seconds": round(feed_age, 1),
            "down_after_seconds": feeds_down_after_seconds,
        }
    healthy = all(c["ok"] for c in checks.values())
    only_feeds_down = not healthy and all(c["ok"] for name, c in checks.items() if name != "feeds_reachable")
    status = "healthy" if healthy else "degraded" if only_feeds_down else "unhealthy"
    return {"healthy": healthy, "status": status, "checks": checks}


def _iso(timestamp: float | None) -> str | None:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds") if timestamp is not None else None


# -- the server -------------------------------------------------------------------------------------

class OpsBindError(MonitorError, OSError):
    """The endpoint cannot listen (port taken, address not local). An OSError too, so a caller that
    treats it like any socket failure (log it, keep monitoring) catches it."""


AlertFeed = Callable[[str, str], bytes | None]  # (topic, "atom"|"json") -> body, or None: no such topic


class OpsServer:
    """A threaded HTTP server in a background thread. start() binds, or raises OpsBindError."""

    def __init__(self, host: str, port: int, health: Callable[[], dict[str, Any]],
                 metrics_text: Callable[[], str], alert_feed: AlertFeed | None = None) -> None:
        self.host = host
        self.port = port
        self.health = health
        self.metrics_text = metrics_text
        self.alert_feed = alert_feed
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """Where it listens (the real port when 0 was asked for)."""
        if self._server is None:
            return self.host, self.port
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"ops": self})
        try:
            server = ThreadingHTTPServer((self.host, self.port), handler)
        except OSError as exc:
            reason = exc.strerror or exc
            raise OpsBindError(f"ops endpoint: cannot listen on {self.host}:{self.port}: {reason}"
                               " (set [ops] port, or enabled = false)") from None
        server.daemon_threads = True  # a stuck client must not hold up shutdown
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="ops-http", daemon=True)
        self._thread.start()
        log.info("ops endpoint on http://%s:%d (/healthz, /metrics, /alerts/<topic>.atom)", *self.address)

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None


class _Handler(BaseHTTPRequestHandler):
    ops: OpsServer
    server_version = "monitor-ops"
    timeout = 10  # seconds a client may take to send its request: idle sockets must not pile up

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        path = self.path.split("?", 1)[0]
        try:
            status, content_type, body = self._route(path)
        except Exception:  # a failing callback answers 500 and is logged; the server keeps serving
            log.exception("ops endpoint: %s failed", path)
            status, content_type, body = 500, "text/plain; charset=utf-8", b"internal error\n"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _route(self, path: str) -> tuple[int, str, bytes]:
        if path == "/healthz":
            try:
                report = self.ops.health()
            except Exception as exc:
                log.exception("ops endpoint: health check failed")
                report = {"healthy": False, "error": f"{type(exc).__name__}: {exc}"}
            body = json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
            return (200 if report.get("healthy") else 503), "application/json", body
        if path == "/metrics":
            return 200, METRICS_CONTENT_TYPE, self.ops.metrics_text().encode("utf-8")
        feed = _FEED_PATH.match(path)
        if feed and self.ops.alert_feed is not None:
            topic, fmt = unquote(feed.group(1)), feed.group(2)
            body_or_none = self.ops.alert_feed(topic, fmt)
            if body_or_none is not None:
                return 200, feed_export.FORMATS[fmt], body_or_none
            return 404, "text/plain; charset=utf-8", f"no topic {topic!r}\n".encode()
        if path == "/":
            return 200, "text/plain; charset=utf-8", _INDEX
        return 404, "text/plain; charset=utf-8", b"not found\n"

    def log_message(self, format: str, *args: Any) -> None:
        # scrapes every few seconds would drown the daemon's log at INFO
        log.debug("ops endpoint: %s %s", self.address_string(), format % args)


# -- wiring for the daemon --------------------------------------------------------------------------


def make_ops_server(settings: OpsSettings, database_path: Database, metrics: Metrics,
                    scheduler_alive: Callable[[], bool], topics: Collection[str] = (),
                    clock: Callable[[], float] = time.time, *, language: str = DEFAULT_LANGUAGE,
                    timezone: str = DEFAULT_TIMEZONE) -> OpsServer:
    """The ops server of a running daemon. Every request reads the database (the SQLite file, or the
    PostgreSQL URL) on its own short-lived connection, so the endpoint answers even while the pipeline
    holds the store's lock."""

    def health() -> dict[str, Any]:
        snap = metrics.snapshot()
        return health_report(scheduler_alive=scheduler_alive(), started_at=snap.started_at,
                             last_success_at=snap.last_success_at, now=clock(),
                             stale_after_seconds=settings.stale_after_seconds,
                             database_error=probe_database(database_path),
                             last_feed_success_at=snap.last_feed_success_at,
                             last_feed_failure_at=snap.last_feed_failure_at,
                             feeds_down_after_seconds=settings.feeds_down_after_seconds)

    def metrics_text() -> str:
        try:
            gauges = database_gauges(database_path)
            readable = 1.0
        except ReadError as exc:
            log.warning("metrics: cannot read the database: %s", exc)
            gauges, readable = [], 0.0
        gauges.append(Gauge("monitor_database_readable", "1 when the database gauges could be read.",
                            {"": readable}))
        return metrics.render(gauges)

    def alert_feed(topic: str, fmt: str) -> bytes | None:
        if topic not in topics and topic not in topics_with_alerts(database_path):
            return None
        host, port = server.address  # the real port when 0 was configured
        base = (settings.public_url or f"http://{host}:{port}").rstrip("/")
        return feed_export.render(database_path, topic, fmt, limit=settings.feed_entries,
                                  self_url=f"{base}/alerts/{quote(topic)}.{fmt}", language=language,
                                  timezone=timezone)

    server = OpsServer(settings.host, settings.port, health, metrics_text, alert_feed)
    return server
