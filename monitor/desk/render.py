"""Jinja2 environment and filters: local times, clean titles, safe links. Autoescaping is on for everything:
article titles and texts are hostile input."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from monitor.desk.auth import csrf_token
from monitor.desk.context import context, principal
from monitor.desk.i18n import direction, labels

TEMPLATES = Path(__file__).parent / "templates"
# Bidi embeddings, overrides and isolates in a title would reorder the page around it (U+202E turns
# "gpj.exe" into "exe.jpg"); marks (U+200E/U+200F) stay, Arabic text uses them legitimately.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: object) -> str:
    return _BIDI_CONTROLS.sub("", "" if value is None else str(value))


def safe_href(url: object) -> str:
    """The URL when it is http(s), else "" (no javascript:, data: or relative tricks in an article's link)."""
    text = str(url or "").strip()
    parts = urlsplit(text)
    return text if parts.scheme in ("http", "https") and parts.netloc else ""


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clean"] = clean
    env.filters["href"] = safe_href
    return env


def language(request: Request) -> str:
    chosen = request.session.get("lang")
    return chosen if chosen in ("ar", "en") else context(request).settings.language


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    env: Environment = request.app.state.templates
    ctx = context(request)
    zone = zoneinfo.ZoneInfo(ctx.settings.timezone)
    lang = language(request)

    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "—"

    page = env.get_template(template).render(
        t=labels(lang),
        lang=lang,
        dir=direction(lang),
        who=getattr(request.state, "principal", None) and principal(request),
        csrf=csrf_token(request.session),
        path=request.url.path,
        here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        when=when,
        timezone=ctx.settings.timezone,
        **values,
    )
    return HTMLResponse(page, status)
