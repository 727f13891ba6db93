"""What every desk request needs: the settings, the database, the topics, the clock; who is asking, and the
guard every route goes through (login or token, role, CSRF, host)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from monitor.desk.auth import LOCAL, Principal, check_token, csrf_ok, session_principal
from monitor.settings.desk import DeskSettings, is_loopback
from monitor.settings.sections import HttpSettings
from monitor.settings.topics import Topic
from monitor.store import desk as store

T = TypeVar("T")
Handler = Callable[[Request], Awaitable[Response]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DeskContext:
    settings: DeskSettings
    database: store.Database  # the SQLite file, or the PostgreSQL URL when [storage] url is set
    topics: Sequence[Topic] = ()
    http: HttpSettings = field(default_factory=HttpSettings)
    clock: Callable[[], datetime] = utc_now

    connections: store.Connections = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "connections", store.Connections(self.database))

    def close(self) -> None:
        """Close the pooled connections (PostgreSQL); the server's stop calls it."""
        self.connections.close()

    def topic(self, name: str) -> Topic | None:
        return next((t for t in self.topics if t.name == name), None)

    async def db(self, work: Callable[[store.Connection], T]) -> T:
        """Run `work` on a connection of its own, in a worker thread (the event loop never waits on the database)."""

        def run() -> T:
            with self.connections.connection() as conn:
                return work(conn)

        return await run_in_threadpool(run)


def context(request: Request) -> DeskContext:
    ctx: DeskContext = request.app.state.desk
    return ctx


def principal(request: Request) -> Principal:
    who: Principal = request.state.principal
    return who


def _host_is_local(request: Request, settings: DeskSettings) -> bool:
    host = urlsplit(f"//{request.headers.get('host', '')}").hostname or ""
    return is_loopback(host) or host == settings.host


def local_path(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site, else `default`: a login or form never redirects elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def guarded(role: str = "viewer", *, api: bool = False) -> Callable[[Handler], Handler]:
    """Wrap a route: who is asking (session or token), whether their role suffices, and for a form POST
    whether its CSRF token is the session's. A route without this wrapper is refused by the route test."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            settings = context(request).settings
            who: Principal | None
            if settings.open_locally:
                # No users: a local tool. Refuse other Host names so a web page that rebinds its DNS name to
                # 127.0.0.1 cannot read it.
                who = LOCAL if _host_is_local(request, settings) else None
            elif api:
                who = check_token(settings, request.headers.get("authorization"))
            else:
                who = session_principal(settings, request.session)
            if who is None:
                if api:
                    return JSONResponse({"error": "unauthorized"}, 401, {"WWW-Authenticate": "Bearer"})
                if settings.open_locally:
                    return PlainTextResponse("forbidden host", 403)
                return RedirectResponse(f"/login?next={quote(request.url.path)}", 303)
            if role == "editor" and not who.can_edit:
                if api:
                    return JSONResponse({"error": "forbidden: needs the editor role"}, 403)
                return PlainTextResponse("forbidden: needs the editor role", 403)
            if request.method == "POST":
                if api:
                    # JSON only: a cross-site page cannot send it without a preflight this server never grants
                    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                        return JSONResponse({"error": "send application/json"}, 415)
                elif not csrf_ok(request.session, (await request.form()).get("csrf")):
                    return PlainTextResponse("forbidden: the form's CSRF token is missing or stale", 403)
            request.state.principal = who
            return await handler(request)

        endpoint.desk_role = role  # type: ignore[attr-defined]  # read by the route-walking test
        return endpoint

    return wrap


def form_str(form: Any, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""
