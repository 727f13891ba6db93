"""The desk's ASGI application: pages, JSON API, static files, sessions and the security headers."""

from __future__ import annotations

import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.desk import api, pages
from monitor.desk.context import DeskContext
from monitor.desk.render import make_environment

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "monitor_desk"

# Nothing but the desk's own stylesheet: no script at all, no inline style, no frames, forms post here only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),  # opening an original article does not tell its site about the desk
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the headers above to every response; pages and API answers are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += SECURITY_HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(ctx: DeskContext) -> Starlette:
    settings = ctx.settings
    app = Starlette(
        routes=[*pages.ROUTES, Mount("/api/v1", routes=api.ROUTES), Mount("/static", StaticFiles(directory=STATIC))],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key or secrets.token_urlsafe(32),
                session_cookie=SESSION_COOKIE,
                max_age=settings.session_hours * 3600,
                same_site="strict",  # never sent with a request another site starts
                https_only=settings.https,
            ),
        ],
    )
    app.state.desk = ctx
    app.state.templates = make_environment()
    return app
