"""The desk over HTTP on a real database: access rules on every route, hostile input escaped, the pages'
contents, feedback into `monitor eval`, retry, the JSON API against its OpenAPI document, the real server.
Tests taking `database` or `fresh` run on both backends: the SQLite file, then PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette asks for httpx2; the test client still runs on httpx
    from starlette.testclient import TestClient

import desk_data

from monitor.cli.main import main
from monitor.desk import api, pages
from monitor.desk.app import create_app
from monitor.desk.context import DeskContext
from monitor.desk.server import DeskRefused, DeskServer, make_desk_server
from monitor.errors import ConfigError
from monitor.fetch.client import HttpSettings
from monitor.settings.desk import parse_desk_settings
from monitor.store import desk as store
from tests.postgres_db import fresh_database

Database = store.Database  # the SQLite file, or a PostgreSQL URL


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[Database, desk_data.Ids]]:
    """One database per backend for the tests that only read it."""
    path = tmp_path_factory.mktemp("desk") / "monitor.db"
    if request.param == "sqlite":
        yield path, desk_data.build(path)
        return
    with fresh_database() as url:
        yield url, desk_data.build(path, url)


def query_one(database: Database, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """One row, read on the desk store's own connection (either backend)."""
    conn = store.connect(database)
    try:
        return tuple(conn.execute(sql, params).fetchone())
    finally:
        conn.close()


def storage_table(database: Database, path: Path) -> dict[str, str]:
    """The [storage] table that points at `database`: the file, or the URL with the file path unused."""
    return {"database": str(path), **({"url": database} if isinstance(database, str) else {})}


_OPEN: list[DeskContext] = []  # the test's desks, whose pooled PostgreSQL connections close after it


@pytest.fixture(autouse=True)
def _close_desks() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def make_client(path: Database, **desk: Any) -> TestClient:
    settings = parse_desk_settings(desk_data.desk_table(**desk))
    ctx = DeskContext(settings, path, desk_data.topics(), HttpSettings(allow_private_addresses=True),
                      clock=lambda: desk_data.NOW)
    _OPEN.append(ctx)
    return TestClient(create_app(ctx), base_url="http://127.0.0.1")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def login(client: TestClient, user: str = "huda", password: str = desk_data.PASSWORD) -> httpx.Response:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"csrf": token, "user": user, "password": password, "next": "/"},
                       follow_redirects=False)


@pytest.fixture()
def editor(database: tuple[Database, desk_data.Ids]) -> Iterator[TestClient]:
    client = make_client(database[0])
    assert login(client).status_code == 303
    yield client


@pytest.fixture()
def fresh(tmp_path: Path, backend_url: str | None) -> tuple[Database, desk_data.Ids]:
    """A database of one's own, for tests that change it, on each backend."""
    path = tmp_path / "monitor.db"
    return backend_url or path, desk_data.build(path, backend_url)


# --- settings --------------------------------------------------------------------------------------------


def test_settings_defaults_and_errors() -> None:
    settings = parse_desk_settings({})
    assert (settings.host, settings.port, settings.timezone, settings.language) == (
        "127.0.0.1", 8470, "Asia/Baghdad", "ar")
    assert settings.open_locally
    for bad, key in (({"colour": 1}, "desk.colour"), ({"port": "80"}, "desk.port"),
                     ({"timezone": "Mars/Olympus"}, "desk.timezone"), ({"language": "fr"}, "desk.language"),
                     ({"users": {"x": {"role": "admin", "password_hash": "h"}}}, "desk.users.x.role"),
                     ({"tokens": {"t": {"sha256": "abc"}}}, "desk.tokens.t.sha256")):
        with pytest.raises(ConfigError) as caught:
            parse_desk_settings(bad)
        assert caught.value.key == key


def test_refuses_a_network_address_without_users(tmp_path: Path) -> None:
    with pytest.raises(DeskRefused, match=r"0\.0\.0\.0"):
        make_desk_server(parse_desk_settings({"host": "0.0.0.0"}), tmp_path / "m.db", (), HttpSettings())
    # with a user it may listen there (behind the operator's proxy); disabled, there is no server at all
    with_user = parse_desk_settings(desk_data.desk_table(host="0.0.0.0"))
    assert make_desk_server(with_user, tmp_path / "m.db", (), HttpSettings())
    disabled = parse_desk_settings({"enabled": False, "host": "0.0.0.0"})
    assert make_desk_server(disabled, tmp_path / "m.db", (), HttpSettings()) is None


def test_config_keeps_the_desk_table(tmp_path: Path) -> None:
    from monitor.settings.config import parse_config

    config = parse_config({"desk": {"port": 9000, "timezone": "UTC"}})
    assert config.desk.port == 9000


# --- access ----------------------------------------------------------------------------------------------


def _concrete(path: str, ids: desk_data.Ids) -> str:
    return path.replace("{article_id:path}", ids.nato).replace("{article_id}", ids.nato).replace(
        "{name}", "nato_iraq").replace("{story_id:path}", ids.nato).replace("{story_id}", ids.nato)


def all_routes() -> list[tuple[str, str, Any]]:
    """(method, path, endpoint) of every page route and every API route."""
    out = []
    for route in pages.ROUTES:
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                out.append((method, route.path, route.endpoint))
    for route in api.ROUTES:
        for method, handler in route.endpoint.desk_handlers.items():
            out.append((method, "/api/v1" + route.path, handler))
    return out


def test_every_route_but_the_public_ones_is_guarded() -> None:
    routes = all_routes()
    assert len(routes) > 25
    unguarded = [(m, p) for m, p, endpoint in routes
                 if not hasattr(endpoint, "desk_role") and p not in pages.PUBLIC]
    assert unguarded == []


def test_without_login_only_healthz_answers(database: tuple[Database, desk_data.Ids]) -> None:
    path, ids = database
    client = make_client(path)
    assert client.get("/healthz").text == "ok"
    for method, route, _ in all_routes():
        if route in pages.PUBLIC:
            continue
        url = _concrete(route, ids)
        response = client.request(method, url, follow_redirects=False,
                                  **({"json": {}} if route.startswith("/api/") and method == "POST" else {}))
        if route.startswith("/api/"):
            assert response.status_code == 401, (method, url)
            assert "nato" not in response.text.lower()
        else:
            assert response.status_code == 303, (method, url)
            assert response.headers["location"].startswith("/login?next=")
    # a session cookie does not open the API, a token does not open the pages
    assert login(client).status_code == 303
    assert client.get("/api/v1/alerts").status_code == 401
    other = make_client(path)
    assert other.get("/", headers={"Authorization": f"Bearer {desk_data.EDITOR_TOKEN}"},
                     follow_redirects=False).status_code == 303


def test_login_rules(database: tuple[Database, desk_data.Ids]) -> None:
    client = make_client(database[0])
    assert login(client, password="wrong password").status_code == 401
    assert login(client, user="nobody").status_code == 401
    assert client.get("/", follow_redirects=False).status_code == 303
    # no CSRF token: refused even with the right password
    assert client.post("/login", data={"user": "huda", "password": desk_data.PASSWORD}).status_code == 403
    answer = login(client)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/", follow_redirects=False).status_code == 200
    # an outside "next" is not followed after login
    token = csrf_of(client.get("/login").text)
    off = client.post("/login", data={"csrf": token, "user": "huda", "password": desk_data.PASSWORD,
                                      "next": "//evil.example/"}, follow_redirects=False)
    assert off.headers["location"] == "/"


def test_forms_need_the_sessions_csrf_token(fresh: tuple[Database, desk_data.Ids]) -> None:
    path, ids = fresh
    client = make_client(path)
    login(client)
    refused = client.post(f"/articles/{ids.nato}/feedback", data={"topic": "nato_iraq", "relevant": "1"})
    assert refused.status_code == 403
    forged = client.post(f"/articles/{ids.nato}/feedback",
                         data={"topic": "nato_iraq", "relevant": "1", "csrf": "guessed"})
    assert forged.status_code == 403
    conn = store.connect(path)
    assert store.feedback_for(conn, ids.nato) == ()
    conn.close()


def test_viewers_read_but_do_not_change(fresh: tuple[Database, desk_data.Ids]) -> None:
    path, ids = fresh
    client = make_client(path)
    login(client, user="sami")
    page = client.get("/")
    assert page.status_code == 200 and "data-testid=\"relevant\"" not in page.text
    token = csrf_of(page.text)
    for url, data in ((f"/articles/{ids.nato}/feedback", {"topic": "nato_iraq", "relevant": "1"}),
                      ("/deliveries/retry", {"delivery": ids.failed_delivery}),
                      ("/feeds/enabled", {"url": desk_data.FEED, "enabled": "0"})):
        assert client.post(url, data={**data, "csrf": token}).status_code == 403, url
    viewer = {"Authorization": f"Bearer {desk_data.VIEWER_TOKEN}"}
    assert client.post("/api/v1/deliveries/retry", json={"ids": [ids.failed_delivery]}, headers=viewer
                       ).status_code == 403


def test_an_open_local_desk_refuses_other_host_names(database: tuple[Database, desk_data.Ids]) -> None:
    ctx = DeskContext(parse_desk_settings({}), database[0], desk_data.topics(), clock=lambda: desk_data.NOW)
    _OPEN.append(ctx)
    local = TestClient(create_app(ctx), base_url="http://127.0.0.1:8470")
    assert local.get("/").status_code == 200
    rebound = TestClient(create_app(ctx), base_url="http://attacker.example")
    assert rebound.get("/").status_code == 403
    assert rebound.get("/api/v1/alerts").status_code == 401


def test_healthz_fails_while_postgresql_is_unreachable() -> None:
    port = _free_port()  # nothing listens there
    ctx = DeskContext(parse_desk_settings({}), f"postgresql://postgres@127.0.0.1:{port}/monitor", (),
                      clock=lambda: desk_data.NOW)
    _OPEN.append(ctx)
    client = TestClient(create_app(ctx), base_url="http://127.0.0.1")
    started = time.monotonic()
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.text.startswith("database unavailable")
    assert time.monotonic() - started < 15  # the pool's wait (5 s), not a hang


# --- pages -----------------------------------------------------------------------------------------------


def test_pages_are_rtl_arabic_with_a_strict_policy(editor: TestClient,
                                                   database: tuple[Database, desk_data.Ids]) -> None:
    ids = database[1]
    for url in ("/", f"/articles/{ids.nato}", "/search?q=الناتو", "/feeds", "/topics", "/topics/nato_iraq",
                "/deliveries"):
        page = editor.get(url)
        assert page.status_code == 200, url
        assert '<html lang="ar" dir="rtl">' in page.text
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script" not in policy
        assert "<script" not in page.text, url
    # the English option, kept in the session
    editor.post("/language", data={"csrf": csrf_of(editor.get("/").text), "lang": "en", "next": "/feeds"})
    assert '<html lang="en" dir="ltr">' in editor.get("/feeds").text


def test_hostile_titles_and_links_are_inert(editor: TestClient, database: tuple[Database, desk_data.Ids]) -> None:
    ids = database[1]
    for url in ("/", f"/articles/{ids.hostile}", "/search?q=الناتو", "/deliveries"):
        text = editor.get(url).text
        assert "<script>alert" not in text and "<img src=x" not in text, url
        assert "javascript:" not in text.replace("javascript:alert(document.cookie)</bdi>", ""), url
        assert "\u202e" not in text, url
    article = editor.get(f"/articles/{ids.hostile}").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in article
    assert "&lt;b&gt;العام المقبل&lt;/b&gt;" in article
    assert 'href="javascript:' not in article


def test_inbox_shows_evidence_and_filters(editor: TestClient, database: tuple[Database, desk_data.Ids]) -> None:
    inbox = editor.get("/").text
    assert "حلف شمال الأطلسي يوسع مهمته في العراق" in inbox
    assert "<mark>حلف شمال الأطلسي</mark>" in inbox and "<mark>العراق</mark>" in inbox
    assert "أسعار النفط" not in inbox  # no alert for it
    # times in Baghdad (UTC+3): the NATO article was published at 06:57 UTC
    assert "2026-11-23 09:57" in inbox
    assert "no_alerts" not in inbox and "لا توجد تنبيهات" in editor.get("/?topic=nothing").text
    assert "لا توجد تنبيهات" in editor.get("/?until=2026-11-01").text
    assert "حلف شمال الأطلسي يوسع" in editor.get("/?since=2026-11-23&until=2026-11-23").text


def test_dates_and_pages_at_the_ends_of_the_calendar(editor: TestClient) -> None:
    # 0001-01-01 in Baghdad is before the first moment a UTC stamp can hold; 9999-12-31's end is after the last
    assert "حلف شمال الأطلسي يوسع" in editor.get("/?since=0001-01-01&until=9999-12-31").text
    api = {"Authorization": f"Bearer {desk_data.EDITOR_TOKEN}"}
    assert editor.get("/api/v1/alerts?page=100000&since=0001-01-01", headers=api).status_code == 200
    assert editor.get("/api/v1/alerts?until=9999-12-31", headers=api).json()["items"]
    assert "لا توجد تنبيهات" in editor.get("/?page=" + "9" * 30).text


def test_reading_an_article_marks_it_read(fresh: tuple[Database, desk_data.Ids]) -> None:
    path, ids = fresh
    client = make_client(path)
    login(client)
    assert "حلف شمال الأطلسي يوسع" in client.get("/?read=unread").text
    article = client.get(f"/articles/{ids.nato}").text
    assert "<mark>بعثة الناتو</mark>" in article or "<mark>حلف شمال الأطلسي</mark>" in article
    stored_score = query_one(path, "SELECT score FROM alerts WHERE article_id = ?", (ids.nato,))[0]
    assert "nato_iraq" in article and f"{stored_score:.2f}" in article  # the score breakdown
    assert "حلف شمال الأطلسي يوسع" not in client.get("/?read=unread").text
    assert "حلف شمال الأطلسي يوسع" in client.get("/?read=read").text


def test_search_in_arabic_finds_normalised_text(editor: TestClient, database: tuple[Database, desk_data.Ids]) -> None:
    ids = database[1]
    for query in ("الأطلسي", "الاطلسي", "والأطلسي"):
        page = editor.get("/search", params={"q": query}).text
        assert f"/articles/{ids.nato}" in page, query
        assert "<mark>الأطلسي</mark>" in page
    assert "لا نتائج" in editor.get("/search", params={"q": "زلزال"}).text
    assert f"/articles/{ids.other}" in editor.get("/search", params={"q": "النفط"}).text


def test_search_pages(fresh: tuple[Database, desk_data.Ids]) -> None:
    client = make_client(fresh[0], page_size=1)
    login(client)
    first = client.get("/search", params={"q": "العراق", "order": "date"}).text
    assert 'rel="next"' in first
    second = client.get("/search", params={"q": "العراق", "order": "date", "page": "2"}).text
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert re.findall(r'href="/articles/([^"]+)"', first) != re.findall(r'href="/articles/([^"]+)"', second)


def test_topic_try_it_shows_the_evidence(editor: TestClient) -> None:
    token = csrf_of(editor.get("/topics/nato_iraq").text)
    page = editor.post("/topics/nato_iraq", data={
        "csrf": token, "title": "", "text": "قال الناتو إن مهمته في العراق ستستمر. وأكد الحلف دعمه للعراق."})
    assert page.status_code == 200
    assert "<mark>الناتو</mark>" in page.text and 'data-testid="trial"' in page.text
    refused = editor.post("/topics/nato_iraq", data={"csrf": token, "url": "file:///etc/passwd"})
    assert refused.status_code == 400 and "root:" not in refused.text


# --- feedback, retry, feeds --------------------------------------------------------------------------------


def test_feedback_is_exported_for_monitor_eval(fresh: tuple[Database, desk_data.Ids], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path, ids = fresh
    client = make_client(path)
    login(client)
    token = csrf_of(client.get("/").text)
    for article_id, relevant in ((ids.nato, "1"), (ids.hostile, "0")):
        done = client.post(f"/articles/{article_id}/feedback",
                           data={"csrf": token, "topic": "nato_iraq", "relevant": relevant, "next": "/"},
                           follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/"
    client.post(f"/articles/{ids.other}/feedback", data={"csrf": token, "topic": "nato_iraq", "kind": "missed"})
    assert "حُكم عليه: ذو صلة" in client.get(f"/articles/{ids.nato}").text
    topics = client.get("/topics").text
    assert "50% (1/2)" in topics

    config = tmp_path / "monitor.toml"
    storage = "\n".join(f'{k} = "{v}"' for k, v in storage_table(path, tmp_path / "monitor.db").items())
    config.write_text((desk_data.ROOT / "config" / "monitor.toml").read_text(encoding="utf-8").replace(
        'database = "data/monitor.db"', storage), encoding="utf-8")
    assert str(path) in config.read_text(encoding="utf-8")
    out = tmp_path / "labelled.jsonl"
    assert main(["feedback", "export", "--config", str(config), "--output", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    labels = {r["id"]: r["labels"] for r in records}
    assert labels == {ids.nato: {"nato_iraq": True}, ids.hostile: {"nato_iraq": False},
                      ids.other: {"nato_iraq": True}}
    assert all(r["task"] == "topic" and r["text"] for r in records)
    capsys.readouterr()
    assert main(["eval", str(out), "--json", "--config", str(config)]) == 0
    scores = json.loads(capsys.readouterr().out)["topics"]["nato_iraq"]
    # the monitor matched the two alerted articles (one judged wrong) and missed the oil article
    assert (scores["tp"], scores["fp"], scores["fn"], scores["tn"]) == (1, 1, 1, 0)
    assert main(["eval", "--feedback", "--json", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["topics"]["nato_iraq"]["fp"] == 1


def test_retry_requeues_a_dead_lettered_delivery(fresh: tuple[Database, desk_data.Ids]) -> None:
    path, ids = fresh
    client = make_client(path)
    login(client)
    page = client.get("/deliveries?state=failed").text
    assert ids.failed_delivery in page and "HTTP 500 from the newsroom hook" in page
    done = client.post("/deliveries/retry", data={"csrf": csrf_of(page), "delivery": ids.failed_delivery})
    assert done.status_code == 200 and "أعيدت جدولة" in done.text
    conn = store.connect(path)
    state = conn.execute("SELECT state, attempts FROM deliveries WHERE id = ?", (ids.failed_delivery,)).fetchone()
    conn.close()
    assert state == ("pending", 0)


def test_disable_a_feed(fresh: tuple[Database, desk_data.Ids]) -> None:
    path, _ = fresh
    client = make_client(path)
    login(client)
    page = client.get("/feeds").text
    assert "12.5" in page and "<svg" in page
    client.post("/feeds/enabled", data={"csrf": csrf_of(page), "url": desk_data.FEED, "enabled": "0"})
    conn = store.connect(path)
    assert conn.execute("SELECT enabled FROM feeds WHERE url = ?", (desk_data.FEED,)).fetchone() == (0,)
    conn.close()


class _Site(BaseHTTPRequestHandler):
    """A news site on 127.0.0.1: a home page advertising its RSS feed, and the feed."""

    def do_GET(self) -> None:
        if self.path == "/rss.xml":
            body = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>وكالة الاختبار'
                    "</title><item><title>خبر</title><link>http://127.0.0.1/a</link></item></channel></rss>")
            kind = "application/rss+xml"
        else:
            body = ('<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
                    "</head><body>home</body></html>")
            kind = "text/html; charset=utf-8"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_add_a_feed_by_its_home_page(fresh: tuple[Database, desk_data.Ids]) -> None:
    path, _ = fresh
    site = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        client = make_client(path)
        login(client)
        home = f"http://127.0.0.1:{site.server_address[1]}/"
        page = client.post("/feeds/add", data={"csrf": csrf_of(client.get("/feeds").text), "url": home})
        assert page.status_code == 200 and "added" in page.text
        assert "وكالة الاختبار" in page.text
    finally:
        site.shutdown()
    conn = store.connect(path)
    assert conn.execute("SELECT origin FROM feeds WHERE url = ?", (home + "rss.xml",)).fetchone() == ("desk",)
    conn.close()


# --- API -------------------------------------------------------------------------------------------------


def test_api_walks_every_documented_operation(fresh: tuple[Database, desk_data.Ids]) -> None:
    path, ids = fresh
    client = make_client(path)
    auth = {"Authorization": f"Bearer {desk_data.EDITOR_TOKEN}"}
    document = client.get("/api/v1/openapi.json", headers=auth).json()
    assert document["openapi"].startswith("3.1")
    bodies = {
        ("/feeds", "post"): None,  # needs the network; covered by its own test
        ("/feeds/enabled", "post"): {"url": desk_data.FEED, "enabled": True},
        ("/topics/{name}/try", "post"): {"text": "قال الناتو إن مهمته في العراق ستستمر. وأكد الحلف دعمه للعراق."},
        ("/feedback", "post"): {"article_id": ids.nato, "topic": "nato_iraq", "relevant": True},
        ("/deliveries/retry", "post"): {"ids": [ids.failed_delivery]},
    }
    walked = 0
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            url = "/api/v1" + _concrete(route, ids)
            query = {"q": "الأطلسي"} if route == "/search" else {}
            if (route, method) in bodies and bodies[(route, method)] is None:
                continue
            body = bodies.get((route, method))
            assert client.request(method, url, params=query, json=body or {}).status_code == 401, url
            answer = client.request(method, url, params=query, json=body, headers=auth)
            assert str(answer.status_code) in operation["responses"], (method, url, answer.status_code, answer.text)
            assert answer.status_code in (200, 201), (method, url, answer.text)
            assert answer.headers["content-type"] == "application/json"
            walked += 1
    assert walked == len(api.OPERATIONS) - 1
    routes = {("/api/v1" + r.path.replace(":path", ""), m.lower()) for r in api.ROUTES
              for m in r.endpoint.desk_handlers}
    documented = {("/api/v1" + p, m) for p, ops in document["paths"].items() for m in ops}
    assert documented <= routes and {(p, m) for p, m in routes if m != "head"} == documented


def test_api_contents(fresh: tuple[Database, desk_data.Ids]) -> None:
    path, ids = fresh
    client = make_client(path, page_size=1)
    auth = {"Authorization": f"Bearer {desk_data.VIEWER_TOKEN}"}
    first = client.get("/api/v1/alerts", headers=auth).json()
    assert len(first["items"]) == 1 and first["next_page"] == 2
    second = client.get("/api/v1/alerts", params={"page": 2}, headers=auth).json()
    assert second["next_page"] is None and second["items"][0]["id"] != first["items"][0]["id"]
    article = client.get(f"/api/v1/articles/{ids.nato}", headers=auth).json()
    assert article["topics"][0]["matched"] and article["alerts"]
    assert client.get("/api/v1/articles/nope", headers=auth).status_code == 404
    found = client.get("/api/v1/search", params={"q": "الاطلسي"}, headers=auth).json()
    assert found["items"][0]["id"] == ids.nato and "الأطلسي" in found["items"][0]["marks"]
    editor = {"Authorization": f"Bearer {desk_data.EDITOR_TOKEN}"}
    plain = client.post("/api/v1/feedback", content=b'{"article_id": "x", "topic": "t"}',
                        headers={**editor, "Content-Type": "text/plain"})
    assert plain.status_code == 415  # a cross-site form cannot post JSON
    assert client.post("/api/v1/feedback", json={"topic": "t"}, headers=editor).status_code == 400
    saved = client.post("/api/v1/feedback", json={"article_id": ids.other, "topic": "nato_iraq", "kind": "missed"},
                        headers=editor)
    assert saved.status_code == 201 and saved.json()["user"] == "token:bot"


# --- the real server ------------------------------------------------------------------------------------


def test_the_server_listens_and_stops(database: tuple[Database, desk_data.Ids]) -> None:
    settings = parse_desk_settings(desk_data.desk_table())
    server = DeskServer(DeskContext(settings, database[0], desk_data.topics()))
    server.start()
    url = server.url
    try:
        assert httpx.get(server.url + "/healthz", timeout=5).text == "ok"
        answer = httpx.get(server.url + "/", timeout=5)
        assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/"
        busy = DeskServer(DeskContext(replace(settings, port=server.address[1]), database[0]))
        with pytest.raises(OSError):
            busy.start()
    finally:
        server.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/healthz", timeout=2)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_monitor_run_serves_the_desk(tmp_path: Path, backend_url: str | None) -> None:
    from monitor.runtime.app import App
    from monitor.settings.config import parse_config

    port = _free_port()
    storage = storage_table(backend_url or tmp_path / "monitor.db", tmp_path / "monitor.db")
    raw = {"storage": storage, "pipeline": {"seeds_dir": str(tmp_path)},
           "ops": {"enabled": False}, "desk": {"port": port}}
    app = App(parse_config(raw))
    stop = threading.Event()
    daemon = threading.Thread(target=app.run_forever, args=(stop,), daemon=True)
    daemon.start()
    try:
        answer = None
        for _ in range(100):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                stop.wait(0.1)
        assert answer is not None and answer.status_code == 200  # no users: open, on loopback only
        assert '<html lang="ar" dir="rtl">' in answer.text
    finally:
        stop.set()
        daemon.join(timeout=30)
        app.close()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    # on a network address without users, `monitor run` does not start at all
    open_to_all = App(parse_config({**raw, "desk": {"host": "0.0.0.0", "port": port}}))
    try:
        with pytest.raises(DeskRefused):
            open_to_all.run_forever(threading.Event())
    finally:
        open_to_all.close()


def test_the_secrets_commands(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from monitor.desk.auth import check_password, check_token, token_digest

    assert main(["desk", "new-token"]) == 0
    printed = capsys.readouterr()
    token = printed.out.strip()
    assert f'sha256 = "{token_digest(token)}"' in printed.err
    settings = parse_desk_settings({"tokens": {"bot": {"role": "viewer", "sha256": token_digest(token)}}})
    assert check_token(settings, f"Bearer {token}") is not None
    assert check_token(settings, f"Bearer {token}x") is None

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["desk", "hash-password"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith('password_hash = "$argon2id$')
    digest = line.split('"')[1]
    users = parse_desk_settings({"users": {"huda": {"role": "editor", "password_hash": digest}}})
    assert check_password(users, "huda", "a long enough password") is not None
    assert check_password(users, "huda", "a long enough passwore") is None
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["desk", "hash-password"]) == 1


def test_api_bodies_follow_their_documented_schemas(fresh: tuple[Database, desk_data.Ids]) -> None:
    import jsonschema

    path, ids = fresh
    client = make_client(path)
    auth = {"Authorization": f"Bearer {desk_data.EDITOR_TOKEN}"}
    document = client.get("/api/v1/openapi.json", headers=auth).json()
    posts = [(route, op) for route, ops in document["paths"].items() for method, op in ops.items() if method == "post"]
    assert len(posts) == 5
    for route, op in posts:
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        jsonschema.Draft202012Validator.check_schema(schema)
        url = "/api/v1" + _concrete(route, ids)
        # a body that breaks the schema (missing required fields, wrong types) is refused with a 400
        for bad in ({}, {name: 12345 for name in schema.get("properties", {})}, [1, 2]):
            try:
                jsonschema.validate(bad, schema)
                continue  # valid by the schema (e.g. try-it with no field): not a negative case
            except jsonschema.ValidationError:
                pass
            answer = client.post(url, json=bad, headers=auth)
            assert answer.status_code == 400, (route, bad, answer.status_code, answer.text)
            assert "400" in op["responses"]


def test_desk_keys_are_registry_keys_with_env_overrides_and_masked_secrets(tmp_path: Path) -> None:
    from monitor.settings.config import parse_config
    from monitor.settings.dump import MASK, effective

    data = {"desk": {"port": 9100, "users": {"huda": {"role": "editor", "password_hash": "$argon2id$secret"}}}}
    config = parse_config(data, environ={"MONITOR_DESK_PORT": "9200"})
    assert config.desk.port == 9200 and config.desk.users[0].role == "editor"
    dumped = effective(config)["desk"]
    assert dumped["users"]["huda"]["password_hash"] == MASK and "$argon2id$secret" not in repr(config.desk)
    with pytest.raises(ConfigError, match=r"'desk\.colour': unknown key"):
        parse_config({"desk": {"colour": "blue"}}, environ={})
    with pytest.raises(ConfigError, match=r"'desk\.users\.huda\.role'"):
        parse_config({"desk": {"users": {"huda": {"role": "admin", "password_hash": "x"}}}}, environ={})


def test_every_page_and_api_operation_is_documented() -> None:
    """docs/desk.md names every page an analyst opens (GET) and every API operation with its method."""
    doc = (Path(__file__).parent.parent / "docs" / "desk.md").read_text(encoding="utf-8")
    ids = {"{article_id:path}": "ID", "{story_id:path}": "ID", "{name}": "NAME"}
    for route in pages.ROUTES:
        if "GET" not in (route.methods or ()) or route.path in ("/login",):
            continue
        shown = route.path
        for param, word in ids.items():
            shown = shown.replace(param, word)
        assert f"`{shown}" in doc, f"page {shown} is not in docs/desk.md"
    for op in api.OPERATIONS:
        shown = op.path.replace("{article_id}", "{id}").replace("{story_id}", "{id}")
        if op.path == "/openapi.json":
            assert "/api/v1/openapi.json" in doc
            continue
        assert f"`{op.method} {shown}" in doc, f"API {op.method} {shown} is not in docs/desk.md"


def test_starting_the_daemon_makes_no_argon2_hash() -> None:
    # The dummy hash for unknown user names is made at the first login: an argon2 hash at import costs
    # every `monitor` process (monitor once, each CLI command) CPU and a 64 MiB peak.
    import subprocess
    import sys

    script = ("import monitor.runtime.app, monitor.desk.auth as auth; "  # VmHWM: this process's peak RSS
              "print(auth._dummy_hash.cache_info().currsize, "
              "open('/proc/self/status').read().split('VmHWM:')[1].split()[0])")
    made, peak_kib = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                    check=True).stdout.split()
    assert made == "0"
    assert int(peak_kib) < 100 * 1024  # 117 MiB with the hash made at import, about 55 without
