"""The desk's HTML pages: login, inbox, article, search, feeds, topics, deliveries. Every route but /healthz
and the login form goes through `guarded`."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from monitor.desk import highlight, views
from monitor.desk.auth import check_password, csrf_ok, csrf_token
from monitor.desk.charts import daily_bars
from monitor.desk.context import context, form_str, guarded, local_path, principal
from monitor.desk.render import render
from monitor.errors import MonitorError
from monitor.store import desk as store

CHART_DAYS = 14


async def healthz(request: Request) -> Response:
    try:
        await context(request).db(store.probe)
    except Exception as exc:  # any database failure is an unhealthy desk, reported in one line
        return PlainTextResponse(f"database unavailable: {type(exc).__name__}", 503)
    return PlainTextResponse("ok")


async def login(request: Request) -> Response:
    settings = context(request).settings
    target = local_path(request.query_params.get("next"))
    if settings.open_locally:
        return RedirectResponse(target, 303)
    failed = False
    if request.method == "POST":
        form = await request.form()
        target = local_path(form_str(form, "next"))
        if not csrf_ok(request.session, form.get("csrf")):
            return PlainTextResponse("forbidden: the form's CSRF token is missing or stale", 403)
        who = await run_in_threadpool(check_password, settings, form_str(form, "user"), str(form.get("password") or ""))
        if who is not None:
            lang = request.session.get("lang")
            request.session.clear()  # a fresh session (and CSRF token) for the logged-in user
            request.session["user"] = who.name
            if lang:
                request.session["lang"] = lang
            csrf_token(request.session)
            return RedirectResponse(target, 303)
        failed = True
    return render(request, "login.html", 401 if failed else 200, failed=failed, next=target)


@guarded()
async def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", 303)


async def language(request: Request) -> Response:
    # allowed before login (the login page offers it too), so it checks the CSRF token itself
    form = await request.form()
    if not csrf_ok(request.session, form.get("csrf")):
        return PlainTextResponse("forbidden: the form's CSRF token is missing or stale", 403)
    request.session["lang"] = "en" if form_str(form, "lang") == "en" else "ar"
    return RedirectResponse(local_path(form_str(form, "next")), 303)


@guarded()
async def inbox(request: Request) -> Response:
    ctx = context(request)
    params = dict(request.query_params)
    page = views.page_number(params.get("page"))
    size = ctx.settings.page_size
    query = views.inbox_query(params, principal(request).name, ctx.settings.timezone, page, size, by_story=True)

    def read(conn: store.Connection) -> tuple[list[store.InboxRow], list[str], list[str]]:
        return store.inbox(conn, query), store.alert_topics(conn), store.source_names(conn)

    rows, topics, sources = await ctx.db(read)
    return render(
        request, "inbox.html", rows=rows[:size], more=len(rows) > size, page=page, params=params,
        by_story=query.by_story,
        topics=sorted(set(topics) | {t.name for t in ctx.topics}), sources=sources, passages=highlight.passages,
    )


@guarded()
async def mark_read(request: Request) -> Response:
    ctx = context(request)
    form = await request.form()
    ids = [str(v) for v in form.getlist("alert")]
    user = principal(request).name

    def write(conn: store.Connection) -> None:
        with store.write(conn):
            store.mark_read(conn, user, ids, ctx.clock())

    await ctx.db(write)
    return RedirectResponse(local_path(form_str(form, "next")), 303)


@guarded()
async def article(request: Request) -> Response:
    ctx = context(request)
    article_id = request.path_params["article_id"]
    user = principal(request).name

    def read(conn: store.Connection) -> tuple[store.ArticleView | None, tuple[str, int, int] | None]:
        view = store.article(conn, article_id)
        if view is not None and view.alert_ids:
            with store.write(conn):
                store.mark_article_read(conn, user, article_id, ctx.clock())
        return view, (store.story_of(conn, article_id) if view is not None else None)

    view, story_info = await ctx.db(read)
    if view is None:
        return render(request, "message.html", 404, message_key="not_found")
    matched = {t.name for t in view.topics if t.matched}
    return render(
        request, "article.html", page=views.article_page(view), story=story_info,
        alert_topics=sorted({t.name for t in view.topics if t.matched and view.alert_ids}),
        other_topics=[t.name for t in ctx.topics if t.name not in matched],
    )


@guarded("editor")
async def feedback(request: Request) -> Response:
    ctx = context(request)
    article_id = request.path_params["article_id"]
    form = await request.form()
    topic = form_str(form, "topic")
    kind = "missed" if form_str(form, "kind") == "missed" else "alert"
    relevant = form_str(form, "relevant") == "1" or kind == "missed"
    user = principal(request).name
    if not topic:
        return PlainTextResponse("a topic is required", 400)

    def write(conn: store.Connection) -> bool:
        if not store.article_exists(conn, article_id):
            return False
        with store.write(conn):
            store.record_feedback(conn, article_id, topic, user, relevant, kind, ctx.clock())
        return True

    if not await ctx.db(write):
        return render(request, "message.html", 404, message_key="not_found")
    return RedirectResponse(local_path(form_str(form, "next"), f"/articles/{article_id}"), 303)


@guarded()
async def search(request: Request) -> Response:
    ctx = context(request)
    params = dict(request.query_params)
    text = params.get("q", "").strip()
    page = views.page_number(params.get("page"))
    size = ctx.settings.page_size

    def read(conn: store.Connection) -> tuple[list[views.SearchResult], bool, list[str]]:
        results, more = views.search(conn, text, params, page, size) if text else ([], False)
        return results, more, store.source_names(conn)

    results, more, sources = await ctx.db(read)
    return render(
        request, "search.html", q=text, results=results, more=more, page=page, params=params,
        topics=[t.name for t in ctx.topics], sources=sources,
    )


@guarded()
async def story_list(request: Request) -> Response:
    ctx = context(request)
    params = dict(request.query_params)
    page = views.page_number(params.get("page"))
    size = ctx.settings.page_size
    topic = params.get("topic") or None
    rows = await ctx.db(lambda conn: store.stories(conn, topic, size + 1, (page - 1) * size))
    return render(
        request, "stories.html", rows=[views.story_times(r) for r in rows[:size]], more=len(rows) > size,
        page=page, params=params, topics=[t.name for t in ctx.topics],
    )


@guarded()
async def story(request: Request) -> Response:
    ctx = context(request)
    found = await ctx.db(lambda conn: store.story(conn, request.path_params["story_id"]))
    if found is None:
        return render(request, "message.html", 404, message_key="not_found")
    return render(request, "story.html", story=views.story_times(found))


@guarded()
async def feeds(request: Request) -> Response:
    ctx = context(request)
    now = ctx.clock()
    rows = await ctx.db(lambda conn: store.feeds(conn, now - timedelta(days=CHART_DAYS)))
    return render(
        request, "feeds.html", rows=rows, charts={r.url: daily_bars(r.per_day, CHART_DAYS, now) for r in rows},
        notice=request.query_params.get("notice", ""), error=request.query_params.get("error", ""),
    )


@guarded("editor")
async def add_feed(request: Request) -> Response:
    ctx = context(request)
    form = await request.form()
    try:
        feed_url, title = await run_in_threadpool(views.resolve_feed, form_str(form, "url"), ctx.http)
    except MonitorError as exc:
        rows = await ctx.db(lambda conn: store.feeds(conn, ctx.clock() - timedelta(days=CHART_DAYS)))
        return render(request, "feeds.html", 400, rows=rows, charts={}, notice="", error=str(exc))
    outcome = await ctx.db(lambda conn: views.add_feed(conn, feed_url, form_str(form, "name"), title, ctx.clock()))
    return RedirectResponse("/feeds?" + urlencode({"notice": f"{outcome}: {feed_url}"}), 303)


@guarded("editor")
async def toggle_feed(request: Request) -> Response:
    form = await request.form()
    url = form_str(form, "url")
    enabled = form_str(form, "enabled") == "1"

    def write(conn: store.Connection) -> bool:
        with store.write(conn):
            return store.set_feed_enabled(conn, url, enabled)

    await context(request).db(write)
    return RedirectResponse("/feeds", 303)


@guarded()
async def topics(request: Request) -> Response:
    ctx = context(request)
    now = ctx.clock()

    def read(conn: store.Connection) -> tuple[dict[str, dict[str, int]], dict[str, store.TopicFeedback]]:
        return store.alerts_per_day(conn, now - timedelta(days=CHART_DAYS)), store.topic_feedback(conn)

    per_day, judged = await ctx.db(read)
    return render(
        request, "topics.html", topics=ctx.topics, judged=judged,
        charts={t.name: daily_bars(per_day.get(t.name, {}), CHART_DAYS, now) for t in ctx.topics},
    )


@guarded()
async def topic(request: Request) -> Response:
    ctx = context(request)
    chosen = ctx.topic(request.path_params["name"])
    if chosen is None:
        return render(request, "message.html", 404, message_key="not_found")
    trial, error = None, ""
    values = {"title": "", "text": "", "url": ""}
    if request.method == "POST":
        form = await request.form()
        values = {k: form_str(form, k) for k in values}
        try:
            trial = await run_in_threadpool(
                views.try_topic, chosen, values["title"], values["text"], values["url"], ctx.http
            )
        except MonitorError as exc:
            error = str(exc)
    return render(request, "topic.html", 400 if error else 200, topic=chosen, trial=trial, values=values,
                  error=error)


@guarded()
async def deliveries(request: Request) -> Response:
    ctx = context(request)
    params = dict(request.query_params)
    page = views.page_number(params.get("page"))
    size = ctx.settings.page_size
    state = params.get("state", "")
    query = store.DeliveryQuery(
        states=(state,) if state in ("pending", "failed") else ("pending", "failed"),
        channel=params.get("channel") or None, limit=size + 1, offset=(page - 1) * size,
    )

    def read(conn: store.Connection) -> tuple[list[store.DeliveryView], dict[str, dict[str, int]]]:
        return store.deliveries(conn, query), store.delivery_counts(conn)

    rows, counts = await ctx.db(read)
    return render(request, "deliveries.html", rows=rows[:size], more=len(rows) > size, page=page, params=params,
                  counts=counts, notice=params.get("notice", ""))


@guarded("editor")
async def retry(request: Request) -> Response:
    ctx = context(request)
    form = await request.form()
    ids = [str(v) for v in form.getlist("delivery")]

    def write(conn: store.Connection) -> list[str]:
        with store.write(conn):
            return store.retry_deliveries(conn, ids, ctx.clock())

    done = await ctx.db(write)
    return RedirectResponse("/deliveries?" + urlencode({"notice": str(len(done))}), 303)


ROUTES = [
    Route("/healthz", healthz),
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/language", language, methods=["POST"]),
    Route("/", inbox),
    Route("/inbox/read", mark_read, methods=["POST"]),
    Route("/articles/{article_id:path}/feedback", feedback, methods=["POST"]),
    Route("/articles/{article_id:path}", article),
    Route("/search", search),
    Route("/feeds", feeds),
    Route("/feeds/add", add_feed, methods=["POST"]),
    Route("/feeds/enabled", toggle_feed, methods=["POST"]),
    Route("/topics", topics),
    Route("/topics/{name}", topic, methods=["GET", "POST"]),
    Route("/stories", story_list),
    Route("/stories/{story_id:path}", story),
    Route("/deliveries", deliveries),
    Route("/deliveries/retry", retry, methods=["POST"]),
]
# Reachable without logging in: the health probe, the login form, the language switch of the login page.
PUBLIC = frozenset({"/healthz", "/login", "/language"})
