"""The JSON API under /api/v1: the desk's data and actions for programs, with bearer-token auth and paging.

Every list answers {"items": [...], "page": N, "next_page": N+1 or null}. The OpenAPI document at
/api/v1/openapi.json is built from OPERATIONS below, the same table the routes are made from, so a route
cannot exist undocumented.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from monitor import __version__
from monitor.desk import views
from monitor.desk.context import context, guarded, principal
from monitor.errors import MonitorError
from monitor.models import Evidence
from monitor.store import desk as store
from monitor.store.outbox import DeliveryRow


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _evidence(evidence: tuple[Evidence, ...]) -> list[dict[str, Any]]:
    return [{"group": e.group, "term": e.term, "matched": e.matched, "start": e.start, "sentence": e.sentence}
            for e in evidence]


def _page_asked(request: Request) -> int:
    return int(request.query_params.get("page", "1"))  # checked against QUERY_PARAMS by _strict


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


MAX_PAGE = 100_000
# Every query parameter the API knows: its schema in the document, and the check that holds requests to it.
QUERY_PARAMS: dict[str, tuple[dict[str, Any], Callable[[str], bool]]] = {
    "page": ({"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
             lambda v: v.isascii() and v.isdigit() and 1 <= int(v) <= MAX_PAGE),
    "q": ({"type": "string", "minLength": 1}, lambda v: bool(v)),
    "topic": ({"type": "string"}, lambda v: True),
    "source": ({"type": "string"}, lambda v: True),
    "channel": ({"type": "string"}, lambda v: True),
    "since": ({"type": "string", "format": "date"}, _is_date),
    "until": ({"type": "string", "format": "date"}, _is_date),
    "read": ({"type": "string", "enum": ["read", "unread"]}, lambda v: v in ("read", "unread")),
    "order": ({"type": "string", "enum": ["rank", "date"]}, lambda v: v in ("rank", "date")),
    "state": ({"type": "string", "enum": ["pending", "failed"]}, lambda v: v in ("pending", "failed")),
    "group": ({"type": "string", "enum": ["article", "story"]}, lambda v: v in ("article", "story")),
}


def _page(items: list[Any], page: int, size: int) -> dict[str, Any]:
    return {"items": items[:size], "page": page, "next_page": page + 1 if len(items) > size else None}


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status)


async def _body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


# --- handlers ----------------------------------------------------------------------------------------------


async def list_alerts(request: Request) -> Response:
    ctx = context(request)
    params = dict(request.query_params)
    page, size = _page_asked(request), ctx.settings.page_size
    query = views.inbox_query(params, principal(request).name, ctx.settings.timezone, page, size)
    rows = await ctx.db(lambda conn: store.inbox(conn, query))
    items = [
        {"id": r.alert_id, "article_id": r.article_id, "topic": r.topic, "score": round(r.score, 4),
         "threshold": r.threshold, "reason": r.reason, "title": r.title, "url": r.url, "source": r.source,
         "published": _time(r.published), "created_at": _time(r.created_at), "read": r.read,
         "also_published": r.also_published, "feedback": r.feedback, "evidence": _evidence(r.evidence),
         "status": r.status, "basis": r.basis, "story_id": r.story_id, "story_size": r.story_size,
         "story_sources": r.story_sources,
         **({"story_alerts": list(r.group_alert_ids), "story_unread": r.group_unread,
             "story_last_alert_at": _time(r.group_last_at)} if query.by_story else {})}
        for r in rows
    ]
    return JSONResponse(_page(items, page, size))


async def list_stories(request: Request) -> Response:
    ctx = context(request)
    page, size = _page_asked(request), ctx.settings.page_size
    topic = request.query_params.get("topic") or None
    rows = await ctx.db(lambda conn: store.stories(conn, topic, size + 1, (page - 1) * size))
    return JSONResponse(_page(rows, page, size))


async def get_story(request: Request) -> Response:
    found = await context(request).db(lambda conn: store.story(conn, request.path_params["story_id"]))
    if found is None:
        return _error("no such story or article", 404)
    return JSONResponse(found)


async def get_article(request: Request) -> Response:
    view = await context(request).db(lambda conn: store.article(conn, request.path_params["article_id"]))
    if view is None:
        return _error("no such article", 404)
    copy = view.duplicate_of
    return JSONResponse({
        "id": view.article_id, "title": view.title, "text": view.text, "url": view.url, "source": view.source,
        "feed_url": view.feed_url, "published": _time(view.published), "seen_at": _time(view.seen_at),
        "extraction": view.extraction, "fallback_reason": view.fallback_reason,
        "near_copy": {"of": copy.article_id if copy else None, "similarity": round(view.similarity, 4),
                      "kind": view.duplicate_kind, "passage": view.duplicate_passage},
        "topics": [{"name": t.name, "matched": t.matched, "score": round(t.score, 4), "threshold": t.threshold,
                    "reason": t.reason, "evidence": _evidence(t.evidence)} for t in view.topics],
        "alerts": list(view.alert_ids),
        "also_published": [{"id": c.article_id, "source": c.source, "url": c.url} for c in view.also_published],
        "feedback": [_feedback(f) for f in view.feedback],
    })


async def search(request: Request) -> Response:
    ctx = context(request)
    params = dict(request.query_params)
    text = params.get("q", "").strip()  # only spaces: no words, no results
    page, size = _page_asked(request), ctx.settings.page_size
    results, more = await ctx.db(lambda conn: views.search(conn, text, params, page, size))
    items = [
        {**r.hit.to_json("".join(s for s, _ in r.snippet)), "marks": [s for s, marked in r.snippet if marked]}
        for r in results
    ]
    return JSONResponse({"items": items, "page": page, "next_page": page + 1 if more else None})


async def list_feeds(request: Request) -> Response:
    ctx = context(request)
    since = ctx.clock() - timedelta(days=14)
    rows = await ctx.db(lambda conn: store.feeds(conn, since))
    return JSONResponse({"items": [
        {"url": r.url, "name": r.name, "origin": r.origin, "enabled": r.enabled,
         "last_polled_at": _time(r.last_polled_at), "last_success_at": _time(r.last_success_at),
         "last_status": r.last_status, "last_error": r.last_error, "consecutive_failures": r.consecutive_failures,
         "items_per_day": r.items_per_day, "articles_per_day": r.per_day}
        for r in rows
    ], "page": 1, "next_page": None})


async def add_feed(request: Request) -> Response:
    ctx = context(request)
    body = await _body(request)
    if body is None or not isinstance(body.get("url"), str):
        return _error('send {"url": "...", "name"?: "..."}', 400)
    try:
        feed_url, title = await run_in_threadpool(views.resolve_feed, body["url"], ctx.http)
    except MonitorError as exc:
        return _error(str(exc), 422)
    name = str(body.get("name") or "")
    outcome = await ctx.db(lambda conn: views.add_feed(conn, feed_url, name, title, ctx.clock()))
    return JSONResponse({"outcome": outcome, "url": feed_url}, 201 if outcome == "added" else 200)


async def set_feed_enabled(request: Request) -> Response:
    body = await _body(request)
    if body is None or not isinstance(body.get("url"), str) or not isinstance(body.get("enabled"), bool):
        return _error('send {"url": "...", "enabled": true|false}', 400)

    def write(conn: store.Connection) -> bool:
        with store.write(conn):
            return store.set_feed_enabled(conn, body["url"], body["enabled"])

    if not await context(request).db(write):
        return _error("no such feed", 404)
    return JSONResponse({"url": body["url"], "enabled": body["enabled"]})


async def list_topics(request: Request) -> Response:
    ctx = context(request)
    judged = await ctx.db(store.topic_feedback)
    return JSONResponse({"items": [
        {"name": t.name, "description": t.description, "threshold": t.threshold, "require": list(t.require),
         "groups": [{"name": g.name, "weight": g.weight, "terms": [x.text for x in g.terms]} for g in t.groups],
         "exclude": [x.text for x in t.exclude],
         "feedback": {"relevant": judged.get(t.name, store.TopicFeedback()).relevant,
                      "not_relevant": judged.get(t.name, store.TopicFeedback()).not_relevant,
                      "missed": judged.get(t.name, store.TopicFeedback()).missed,
                      "precision": judged.get(t.name, store.TopicFeedback()).precision}}
        for t in ctx.topics
    ], "page": 1, "next_page": None})


async def try_topic(request: Request) -> Response:
    ctx = context(request)
    chosen = ctx.topic(request.path_params["name"])
    if chosen is None:
        return _error("no such topic", 404)
    body = await _body(request)
    if body is None or not any(isinstance(body.get(k), str) for k in ("text", "url")):
        return _error('send {"title"?: "...", "text": "..."} or {"url": "..."}', 400)
    try:
        trial = await run_in_threadpool(views.try_topic, chosen, str(body.get("title") or ""),
                                        str(body.get("text") or ""), str(body.get("url") or ""), ctx.http)
    except MonitorError as exc:
        return _error(str(exc), 422)
    return JSONResponse(trial.result.to_json())


def _feedback(f: store.Feedback) -> dict[str, Any]:
    return {"article_id": f.article_id, "topic": f.topic, "user": f.user, "relevant": f.relevant, "kind": f.kind,
            "created_at": _time(f.created_at)}


async def list_feedback(request: Request) -> Response:
    ctx = context(request)
    page, size = _page_asked(request), ctx.settings.page_size
    rows = await ctx.db(lambda conn: store.list_feedback(conn, size + 1, (page - 1) * size))
    return JSONResponse(_page([_feedback(f) for f in rows], page, size))


async def add_feedback(request: Request) -> Response:
    ctx = context(request)
    body = await _body(request)
    kind = body.get("kind", "alert") if body else None
    if (body is None or not isinstance(body.get("article_id"), str) or not isinstance(body.get("topic"), str)
            or kind not in ("alert", "missed") or not isinstance(body.get("relevant", True), bool)):
        return _error('send {"article_id", "topic", "relevant": bool, "kind": "alert"|"missed"}', 400)
    relevant = bool(body.get("relevant", True))
    user = principal(request).name

    def write(conn: store.Connection) -> bool:
        if not store.article_exists(conn, body["article_id"]):
            return False
        with store.write(conn):
            store.record_feedback(conn, body["article_id"], body["topic"], user, relevant, str(kind), ctx.clock())
        return True

    if not await ctx.db(write):
        return _error("no such article", 404)
    return JSONResponse({"article_id": body["article_id"], "topic": body["topic"], "relevant": relevant,
                         "kind": kind, "user": user}, 201)


def _delivery(row: DeliveryRow) -> dict[str, Any]:
    return {"id": row.id, "alert_id": row.payload_id, "channel": row.channel, "state": row.state,
            "attempts": row.attempts, "next_attempt_at": _time(row.next_attempt_at),
            "created_at": _time(row.created_at), "last_error": row.last_error}


async def list_deliveries(request: Request) -> Response:
    ctx = context(request)
    params = request.query_params
    page, size = _page_asked(request), ctx.settings.page_size
    state = params.get("state", "")
    query = store.DeliveryQuery(states=(state,) if state in ("pending", "failed") else ("pending", "failed"),
                                channel=params.get("channel") or None, limit=size + 1, offset=(page - 1) * size)
    rows = await ctx.db(lambda conn: store.deliveries(conn, query))
    items = [
        {**_delivery(v.delivery), "topic": v.topic, "title": v.title, "article_id": v.article_id,
         "attempt_log": [{"result": a.result, "status_code": a.status_code, "error": a.error,
                          "finished_at": _time(a.finished_at)} for a in v.attempts]}
        for v in rows
    ]
    return JSONResponse(_page(items, page, size))


async def retry_deliveries(request: Request) -> Response:
    ctx = context(request)
    body = await _body(request)
    ids = body.get("ids") if body else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        return _error('send {"ids": ["<delivery or alert id>", ...]}', 400)

    def write(conn: store.Connection) -> list[str]:
        with store.write(conn):
            return store.retry_deliveries(conn, ids, ctx.clock())

    return JSONResponse({"requeued": await ctx.db(write)})


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


# --- the table of operations, and the OpenAPI document built from it ---------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # below /api/v1, OpenAPI style ({name})
    handler: Callable[[Request], Awaitable[Response]]
    summary: str
    role: str = "viewer"
    query: tuple[str, ...] = ()
    body: dict[str, Any] | None = None  # JSON schema of the request body


_PAGING = ("page",)
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}

OPERATIONS = (
    Operation("GET", "/alerts", list_alerts,
              "Alerts, newest first (the inbox); group=story gives one item per story and topic",
              query=("topic", "source", "since", "until", "read", "group", *_PAGING)),
    Operation("GET", "/stories", list_stories, "Stories, latest activity first", query=("topic", *_PAGING)),
    Operation("GET", "/stories/{story_id}", get_story,
              "One story and its articles (by story id or any member's article id)"),
    Operation("GET", "/articles/{article_id}", get_article, "One article with its decision explained"),
    Operation("GET", "/search", search, "Full-text search with Arabic normalisation",
              query=("q", "topic", "source", "since", "until", "order", *_PAGING)),
    Operation("GET", "/feeds", list_feeds, "Feeds and their health"),
    Operation("POST", "/feeds", add_feed, "Add a feed by URL (a page's advertised feed is discovered)", "editor",
              body={"type": "object", "required": ["url"], "properties": {"url": _STR, "name": _STR}}),
    Operation("POST", "/feeds/enabled", set_feed_enabled, "Enable or disable a feed", "editor",
              body={"type": "object", "required": ["url", "enabled"], "properties": {"url": _STR, "enabled": _BOOL}}),
    Operation("GET", "/topics", list_topics, "Topics as configured, with the analysts' feedback"),
    Operation("POST", "/topics/{name}/try", try_topic, "Match a topic on a text or an article URL",
              body={"type": "object", "properties": {"title": _STR, "text": _STR, "url": _STR}}),
    Operation("GET", "/feedback", list_feedback, "Analysts' judgements, newest first", query=_PAGING),
    Operation("POST", "/feedback", add_feedback, "Judge an alert, or say an article should have matched", "editor",
              body={"type": "object", "required": ["article_id", "topic"],
                    "properties": {"article_id": _STR, "topic": _STR, "relevant": _BOOL,
                                   "kind": {"type": "string", "enum": ["alert", "missed"]}}}),
    Operation("GET", "/deliveries", list_deliveries, "Pending and dead-lettered deliveries with their attempts",
              query=("state", "channel", *_PAGING)),
    Operation("POST", "/deliveries/retry", retry_deliveries, "Queue failed deliveries again", "editor",
              body={"type": "object", "required": ["ids"],
                    "properties": {"ids": {"type": "array", "items": _STR, "minItems": 1}}}),
    Operation("GET", "/openapi.json", openapi, "This document"),
)


def _route_path(path: str) -> str:
    return path.replace("{article_id}", "{article_id:path}").replace("{story_id}", "{story_id:path}")


def _route(path: str, operations: list[Operation]) -> Route:
    """One route per path, dispatching on the method, so a 405 names every method the path has."""
    handlers = {op.method: guarded(op.role, api=True)(_strict(op)) for op in operations}

    async def endpoint(request: Request) -> Response:
        return await handlers[request.method if request.method in handlers else "GET"](request)

    endpoint.desk_handlers = handlers  # type: ignore[attr-defined]  # read by the route-walking test
    return Route(_route_path(path), endpoint, methods=list(handlers), name=operations[0].handler.__name__)


def _strict(op: Operation) -> Callable[[Request], Awaitable[Response]]:
    """The handler, refusing query parameters the document does not name (a typo must not pass unnoticed)."""
    known = set(op.query)

    async def handler(request: Request) -> Response:
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            return _error(f"unknown query parameter {unknown[0]!r} (known: {', '.join(op.query) or 'none'})", 400)
        for name in known:
            values = request.query_params.getlist(name)
            if len(values) > 1 or (values and not QUERY_PARAMS[name][1](values[0])):
                return _error(f"query parameter {name!r} does not fit {json.dumps(QUERY_PARAMS[name][0])}", 400)
        if "q" in known and "q" not in request.query_params:
            return _error("q is required", 400)
        return await op.handler(request)

    handler.__name__ = op.handler.__name__
    return handler


def _by_path() -> dict[str, list[Operation]]:
    paths: dict[str, list[Operation]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, []).append(op)
    return paths


ROUTES = [_route(path, ops) for path, ops in _by_path().items()]


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        parameters: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True, "schema": _STR}
            for name in ("article_id", "story_id", "name") if "{" + name + "}" in op.path
        ]
        parameters += [
            {"name": name, "in": "query", "required": name == "q", "schema": QUERY_PARAMS[name][0]}
            for name in op.query
        ]
        operation: dict[str, Any] = {
            "summary": op.summary,
            "operationId": op.handler.__name__,
            "parameters": parameters,
            "security": [{"token": []}],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                "400": {"description": "a parameter or the body does not fit this document"},
                "401": {"description": "no or unknown token"},
                **({"403": {"description": "the token's role is viewer"}} if op.role == "editor" else {}),
            },
        }
        if op.method == "POST":
            operation["responses"]["201"] = {"description": "Created"}
            operation["responses"]["415"] = {"description": "the body is not application/json"}
            operation["responses"]["422"] = {"description": "the URL given cannot be fetched or read"}
        if "{" in op.path or op.method == "POST":
            operation["responses"]["404"] = {"description": "no such article, story, topic or feed"}
        if op.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "monitor desk API", "version": __version__},
        "servers": [{"url": "/api/v1"}],
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    }
