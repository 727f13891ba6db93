"""A page that fails for a while must not lose (or wrongly keep) an alert: the article is decided
provisionally on its feed headline/summary, the page is fetched again from a persisted queue, and the
article is decided again on the page's text (confirmed, withdrawn, or raised then).

Real parts: a local server whose article pages fail (500, 429, a timeout) until the fake clock has moved
on a minute, real SQLite files, the App's own cycle (`monitor once`), a signature-checking webhook
receiver, aiosmtpd and a JSONL file.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from monitor.runtime import poll
from monitor.runtime.app import App
from monitor.settings.config import load_config
from monitor.store.postgres.store import PostgresStore
from tests.config_files import LOOPBACK_HTTP, OPS_OFF, email_channel, jsonl_channel, shipped_topics, write_config
from tests.delivery_servers import SmtpServer, WebhookReceiver
from tests.e2e_site import Story, article_page, fixture_articles, rss_feed
from tests.fake_clock import T0, FakeClock
from tests.fault_server import FaultServer, LoggedRequest, Reply, RouteValue
from tests.helpers_delivery import SECRET
from tests.test_end_to_end import POSITIVE, html_reply

RSS = {"Content-Type": "application/rss+xml"}
SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "webhook-payload.schema.json"
PUBLISHED = "Mon, 23 Nov 2026 09:00:00 GMT"
POSITIVE_RECORD = fixture_articles()[POSITIVE]
# A headline that pairs NATO with Iraq: a match when there is nothing more to judge.
VISIT_TITLE = "أمين عام الناتو يصل إلى بغداد"
# ... whose page, under its own heading, turns out to be about something else: on the full text, a
# title alone is not enough.
VISIT_HEADING = "زيارة رسمية تبحث ملفات اقتصادية"
VISIT_TEXT = (
    "وصل الأمين العام في زيارة تستغرق يومين. وأضاف المصدر أن الاجتماعات ستتواصل. وأشار إلى أن التفاصيل"
    " ستعلن لاحقا. ولم يصدر أي تعليق رسمي. وتناول اللقاء ملفات اقتصادية وتجارية بين البلدين."
)
# A headline and summary that do not match, on a page that does.
MEETING_TITLE = "وزراء الدفاع يجتمعون في بروكسل"
MEETING_SUMMARY = "بحث الوزراء عدة ملفات أمنية."
# An article on the topic in its own words (not a near-copy of the fixture article).
LATE_TEXT = (
    "قرر حلف شمال الأطلسي توسيع بعثته في العراق لتدريب القوات العراقية. وقال الأمين العام للحلف إن بعثة"
    " الناتو في العراق ستضم مئات المدربين الإضافيين خلال العام المقبل. وأكدت الحكومة العراقية ترحيبها بقرار"
    " الحلف، مشيرة إلى أن التعاون مع الناتو يشمل تقديم المشورة لوزارة الدفاع."
)


@pytest.fixture(autouse=True)
def no_inline_page_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # The pipeline's few inline retries wait real seconds; these tests are about what happens after them.
    monkeypatch.setattr(poll, "PAGE_RETRY_DELAYS_SECONDS", ())


def failing_until(clock: FakeClock, seconds: float, failure: RouteValue, page: RouteValue) -> Any:
    """A route that answers `failure` until the fake clock is `seconds` past T0, then `page`."""

    def route(_request: LoggedRequest) -> RouteValue:
        return page if clock.now >= T0 + timedelta(seconds=seconds) else failure

    return route


class World:
    def __init__(self, tmp_path: Path, server: FaultServer, clock: FakeClock, channels: list[dict[str, Any]],
                 **pipeline: Any) -> None:
        self.server, self.clock, self.tmp_path = server, clock, tmp_path
        files = write_config(
            tmp_path,
            http={**LOOPBACK_HTTP, "connect_timeout": 1, "read_timeout": 1, "total_timeout": 2},
            ops=OPS_OFF,
            topics=shipped_topics(),
            channels=channels,
            feeds=[server.url("/feed.xml")],
            pipeline={"workers": 2, **pipeline},
        )
        self.db_path = files.database
        self.app = App(load_config(files.config), clock)

    def cycle(self, advance: float = 0.0) -> None:
        self.clock.advance(advance)
        self.app.run_once()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db_path) as db:
            return db.execute(sql).fetchall()

    def alerts(self) -> dict[str, tuple[str, str]]:
        """title -> (status, basis)"""
        return {t: (s, b) for t, s, b in self.rows("SELECT title, status, basis FROM alerts")}

    def jsonl(self) -> list[dict[str, Any]]:
        return self.jsonl_at(self.tmp_path)

    @staticmethod
    def jsonl_at(tmp_path: Path) -> list[dict[str, Any]]:
        path = tmp_path / "alerts.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(tmp_path: Path, clock: FakeClock) -> Iterator[World]:
    with FaultServer({}) as server:
        w = World(tmp_path, server, clock, [jsonl_channel(tmp_path)])
        try:
            yield w
        finally:
            w.app.close()


def feed(server: FaultServer, *items: tuple[str, str, str]) -> None:
    """items: (title, link path, summary)."""
    stories = [(Story(path, title, "", PUBLISHED), path, summary) for title, path, summary in items]
    server.set("/feed.xml", (200, RSS, rss_feed("وكالة", server.url(""), stories)))


def page(title: str, text: str) -> RouteValue:
    return html_reply(article_page(title, text, "وكالة"))


@pytest.mark.parametrize(
    "failure",
    [Reply(status=500, body=b"oops"), Reply(status=429, headers={"Retry-After": "1"}), Reply(headers_delay=3)],
    ids=["500", "429", "timeout"],
)
def test_a_page_that_fails_once_is_decided_again_when_it_arrives(
    world: World, clock: FakeClock, failure: Reply
) -> None:
    server = world.server
    feed(server, (MEETING_TITLE, "/meeting.html", MEETING_SUMMARY))
    server.set("/meeting.html", failing_until(clock, 60, failure, page(MEETING_TITLE, POSITIVE_RECORD["text"])))

    world.cycle()
    # decided on the summary, which does not match: no alert yet, but the page is queued, not forgotten
    assert world.alerts() == {}
    assert world.rows("SELECT extraction, fallback_reason IS NOT NULL FROM articles WHERE is_seed = 0") == [
        ("feed", 1)]
    assert world.rows("SELECT attempts FROM page_retries") == [(0,)]

    time.sleep(1.1)  # a 429's Retry-After: 1 is a real host pause, waited out rather than spent a try on
    world.cycle(61)
    assert world.alerts() == {MEETING_TITLE: ("final", "full")}  # the page's text matches: the alert is raised now
    assert world.rows("SELECT count(*) FROM page_retries") == [(0,)]
    assert world.rows("SELECT extraction FROM articles WHERE is_seed = 0") == [("page",)]
    lines = world.jsonl()
    assert [(ln["type"], ln["data"]["provisional"]) for ln in lines] == [("alert.created", False)]

    world.cycle(600)  # nothing left to do: nothing sent again, the page not fetched again
    assert len(world.jsonl()) == 1
    assert len(server.requests_for("/meeting.html")) == 2


def test_a_headline_only_match_is_provisional_then_confirmed(world: World, clock: FakeClock) -> None:
    server = world.server
    title = POSITIVE_RECORD["title"]
    feed(server, (title, "/nato.html", ""))
    server.set("/nato.html", failing_until(clock, 60, Reply(status=503), page(title, POSITIVE_RECORD["text"])))

    world.cycle()
    assert world.alerts() == {title: ("provisional", "headline")}
    (first,) = world.jsonl()
    assert first["type"] == "alert.created"
    assert first["data"]["basis"] == "headline" and first["data"]["provisional"] is True
    assert "decided on the headline only" in first["data"]["reason"]

    world.cycle(61)
    assert world.alerts() == {title: ("confirmed", "headline")}
    (settled_at, reason), = world.rows("SELECT settled_at, settled_reason FROM alerts")
    assert settled_at.startswith("2026-11-23T10:01:01") and reason.startswith("match: score")
    assert len(world.jsonl()) == 1  # a confirmation changes the record, and sends nothing


def test_a_provisional_alert_the_page_does_not_bear_out_is_withdrawn(world: World, clock: FakeClock) -> None:
    server = world.server
    feed(server, (VISIT_TITLE, "/visit.html", ""))
    server.set("/visit.html", failing_until(clock, 60, Reply(status=500), page(VISIT_HEADING, VISIT_TEXT)))

    world.cycle()
    assert world.alerts() == {VISIT_TITLE: ("provisional", "headline")}
    world.cycle(61)
    assert world.alerts() == {VISIT_TITLE: ("withdrawn", "headline")}
    created, withdrawn = world.jsonl()
    assert created["type"] == "alert.created" and withdrawn["type"] == "alert.withdrawn"
    data = withdrawn["data"]
    assert data["alert_id"] == created["data"]["alert_id"]
    assert data["withdrawal_id"] == "wd_" + data["alert_id"].removeprefix("al_")
    assert data["basis"] == "headline" and data["reason"].startswith("no match")
    assert data["article"]["url"] == server.url("/visit.html")
    (state,), = world.rows("SELECT state FROM deliveries WHERE event = 'alert.withdrawn'")
    assert state == "delivered"
    world.cycle(600)
    assert len(world.jsonl()) == 2  # the JSONL channel does not take the withdrawal for its alert's line


def test_give_up_after_the_configured_time_and_say_so_once(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    with FaultServer({}) as server:
        w = World(tmp_path, server, clock, [jsonl_channel(tmp_path)], page_retry_give_up_hours=1,
                  page_retry_first_seconds=60, page_retry_max_seconds=600)
        try:
            feed(server, (VISIT_TITLE, "/down.html", ""))
            server.set("/down.html", (500, {}, b"down"))
            w.cycle()
            with caplog.at_level(logging.INFO, logger="monitor"):
                for _ in range(12):
                    w.cycle(600)  # two hours of cycles: past the hour's limit
            retried = len(server.requests_for("/down.html"))
        finally:
            w.app.close()
    given_up = [r for r in caplog.records if "page retries given up" in r.getMessage()]
    assert len(given_up) == 1, [r.getMessage() for r in given_up]
    assert "kept failing for 1 hours" in given_up[0].getMessage()
    assert "nato_iraq stand as sent, marked unconfirmed" in given_up[0].getMessage()
    assert w.rows("SELECT count(*) FROM page_retries") == [(0,)]
    assert w.alerts() == {VISIT_TITLE: ("unconfirmed", "headline")}  # kept as decided, and said so
    (reason,), = w.rows("SELECT settled_reason FROM alerts")
    assert reason.startswith("the page kept failing for 1 hours")
    assert len(w.jsonl()) == 1  # nothing more sent: the alert stands
    # first fetch, then at 60 s, 120 s, 240 s, 480 s, 600 s ... until the hour is up: bounded, not every cycle
    assert 4 <= retried <= 9, retried


def test_a_page_gone_for_good_leaves_the_decision_as_it_is(world: World) -> None:
    server = world.server
    feed(server, (VISIT_TITLE, "/gone.html", ""))
    server.set("/gone.html", [(500, {}, b""), (404, {}, b"not here")])
    world.cycle()
    world.cycle(61)
    assert world.rows("SELECT count(*) FROM page_retries") == [(0,)]
    assert world.alerts() == {VISIT_TITLE: ("unconfirmed", "headline")}
    assert len(server.requests_for("/gone.html")) == 2


def test_the_queue_survives_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    with FaultServer({}) as server:
        feed(server, (MEETING_TITLE, "/m.html", MEETING_SUMMARY))
        server.set("/m.html", failing_until(clock, 60, (500, {}, b""), page(MEETING_TITLE, POSITIVE_RECORD["text"])))
        first = World(tmp_path, server, clock, [jsonl_channel(tmp_path)])
        first.cycle()
        first.app.close()
        second = World(tmp_path, server, clock, [jsonl_channel(tmp_path)])
        try:
            second.cycle(61)
        finally:
            second.app.close()
    assert second.alerts() == {MEETING_TITLE: ("final", "full")}


def test_once_end_to_end_nothing_lost_nothing_doubled(tmp_path: Path, clock: FakeClock) -> None:
    """Three pages that fail for a minute, on every channel: a provisional alert confirmed, one withdrawn,
    and one the summary missed raised on the page's text. Each message once per channel."""
    positive_title = POSITIVE_RECORD["title"]
    # the signatures carry the fake clock's timestamps: checked, with the age tolerance opened wide
    with FaultServer({}) as server, WebhookReceiver(SECRET, tolerance=10**9) as rx, SmtpServer() as smtp:
        feed(
            server,
            (positive_title, "/confirm.html", ""),
            (VISIT_TITLE, "/withdraw.html", ""),
            (MEETING_TITLE, "/late.html", MEETING_SUMMARY),
        )
        for path, title, text, failure in (
            ("/confirm.html", positive_title, POSITIVE_RECORD["text"], Reply(status=500)),
            ("/withdraw.html", VISIT_HEADING, VISIT_TEXT, Reply(status=429, headers={"Retry-After": "1"})),
            ("/late.html", MEETING_TITLE, LATE_TEXT, Reply(headers_delay=3)),
        ):
            server.set(path, failing_until(clock, 60, failure, page(title, text)))
        os.environ["E2E_WEBHOOK_SECRET"] = SECRET
        try:
            w = World(tmp_path, server, clock, [
                {"type": "webhook", "name": "hook", "url": rx.url, "secret_env": "E2E_WEBHOOK_SECRET"},
                email_channel(smtp.port, "analyst@example.test"),
                jsonl_channel(tmp_path),
            ])
            try:
                w.cycle()
                assert w.alerts() == {positive_title: ("provisional", "headline"),
                                      VISIT_TITLE: ("provisional", "headline")}
                time.sleep(1.1)  # the 429's real host pause
                w.cycle(61)
                w.cycle(600)
            finally:
                w.app.close()
        finally:
            os.environ.pop("E2E_WEBHOOK_SECRET", None)
        assert w.alerts() == {positive_title: ("confirmed", "headline"), VISIT_TITLE: ("withdrawn", "headline"),
                              MEETING_TITLE: ("final", "full")}
        ids = {t: i for t, i in w.rows("SELECT title, id FROM alerts")}
        withdrawal = "wd_" + ids[VISIT_TITLE].removeprefix("al_")
        expected = Counter({ids[positive_title]: 1, ids[VISIT_TITLE]: 1, ids[MEETING_TITLE]: 1, withdrawal: 1})
        hook = Counter(r.headers["webhook-id"] for r in rx.received)
        mail = Counter(str(m["Message-ID"]).strip("<>").split("@")[0].rsplit(".", 1)[0] for m in smtp.messages)
        file = Counter(ln["data"].get("withdrawal_id") or ln["data"]["alert_id"] for ln in w.jsonl())
        for channel, got in (("hook", hook), ("mail", mail), ("file", file)):
            assert got == expected, (channel, got)  # 0 lost, 0 doubled
        assert {r.json["type"] for r in rx.received} == {"alert.created", "alert.withdrawn"}
        validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
        for received in rx.received:
            validator.validate(received.json)  # the documented payloads, withdrawal included
        assert all(r.signature_valid for r in rx.received)
        withdrawn_mail = [m for m in smtp.messages if m["X-Monitor-Withdrawn-Alert-Id"] == ids[VISIT_TITLE]]
        assert len(withdrawn_mail) == 1 and "سحب تنبيه" in str(withdrawn_mail[0]["Subject"])
        # the withdrawal came after the alert it withdraws, on every channel
        order = [r.headers["webhook-id"] for r in rx.received]
        assert order.index(ids[VISIT_TITLE]) < order.index(withdrawal)


def test_the_queue_and_its_settling_on_both_stores(tmp_path: Path, clock: FakeClock, backend_url: str | None) -> None:
    """The same cycle on SQLite and PostgreSQL: a provisional alert withdrawn, one raised late, the queue
    emptied, the withdrawal delivered after its alert."""
    with FaultServer({}) as server:
        feed(server, (VISIT_TITLE, "/visit.html", ""), (MEETING_TITLE, "/late.html", MEETING_SUMMARY))
        server.set("/visit.html", failing_until(clock, 60, (500, {}, b""), page(VISIT_HEADING, VISIT_TEXT)))
        server.set("/late.html", failing_until(clock, 60, (502, {}, b""), page(MEETING_TITLE, POSITIVE_RECORD["text"])))
        storage = {"database": str(tmp_path / "m.db"), **({"url": backend_url} if backend_url else {})}
        files = write_config(
            tmp_path, storage=storage, http=LOOPBACK_HTTP, ops=OPS_OFF, topics=shipped_topics(),
            channels=[jsonl_channel(tmp_path)], feeds=[server.url("/feed.xml")],
        )
        app = App(load_config(files.config), clock)
        try:
            app.run_once()
            assert app.store.page_retry_count() == 2
            (retry,) = [r for r in app.store.due_page_retries(clock.now + timedelta(seconds=61))
                        if r.url.endswith("/visit.html")]
            assert (retry.title, retry.attempts, retry.feed_text) == (VISIT_TITLE, 0, VISIT_TITLE)
            assert app.store.article_alerts(retry.article_id) == {"nato_iraq": "provisional"}
            clock.advance(61)
            app.run_once()
            assert app.store.page_retry_count() == 0
            assert app.store.article_alerts(retry.article_id) == {"nato_iraq": "withdrawn"}
            assert app.store.counts()["matches"] == 1  # the late article; the withdrawn one matches no more
            # delivered from either store's outbox, the withdrawal after its alert
            lines = World.jsonl_at(tmp_path)
            assert sorted(ln["type"] for ln in lines) == ["alert.created", "alert.created", "alert.withdrawn"]
            kinds = [(ln["type"], ln["data"]["alert_id"]) for ln in lines]
            withdrawn = next(i for t, i in kinds if t == "alert.withdrawn")
            assert kinds.index(("alert.created", withdrawn)) < kinds.index(("alert.withdrawn", withdrawn))
            assert isinstance(app.store, PostgresStore) == bool(backend_url)
        finally:
            app.close()


def test_the_desk_shows_where_a_provisional_alert_stands(world: World, clock: FakeClock) -> None:
    from tests.desk_data import VIEWER_TOKEN
    from tests.test_desk import login, make_client

    server = world.server
    title = POSITIVE_RECORD["title"]
    feed(server, (VISIT_TITLE, "/visit.html", ""), (title, "/nato.html", ""))
    server.set("/visit.html", failing_until(clock, 60, Reply(status=500), page(VISIT_HEADING, VISIT_TEXT)))
    server.set("/nato.html", failing_until(clock, 120, Reply(status=500), page(title, POSITIVE_RECORD["text"])))
    world.cycle()
    world.cycle(61)  # the visit's page arrives (withdrawn); the other still fails
    client = make_client(world.db_path)
    assert login(client).status_code == 303
    auth = {"Authorization": f"Bearer {VIEWER_TOKEN}"}
    inbox = client.get("/").text
    assert "سُحب بعد قراءة نص المقال" in inbox and "مؤقت: بانتظار نص المقال" in inbox
    assert inbox.count("على العنوان وحده") == 2
    listed = {a["title"]: (a["status"], a["basis"]) for a in client.get("/api/v1/alerts", headers=auth).json()["items"]}
    assert listed == {VISIT_TITLE: ("withdrawn", "headline"), title: ("provisional", "headline")}
    world.cycle(120)  # its next try: 120 s after the second failure
    listed = {a["title"]: a["status"] for a in client.get("/api/v1/alerts", headers=auth).json()["items"]}
    assert listed == {VISIT_TITLE: "withdrawn", title: "confirmed"}
    assert "أكّده نص المقال" in client.get("/").text


def test_a_provisional_article_joins_the_corpus_with_its_pages_text(world: World, clock: FakeClock) -> None:
    """A copy of the story from another outlet, seen after the page arrived, is a near-copy: it does not
    alert again."""
    server = world.server
    title = POSITIVE_RECORD["title"]
    feed(server, (title, "/nato.html", ""))
    server.set("/nato.html", failing_until(clock, 60, Reply(status=500), page(title, POSITIVE_RECORD["text"])))
    world.cycle()
    (article_id,) = [r[0] for r in world.rows("SELECT id FROM articles WHERE is_seed = 0")]
    assert world.rows(f"SELECT in_corpus FROM articles WHERE id = '{article_id}'") == [(0,)]
    world.cycle(61)
    assert world.rows(f"SELECT in_corpus FROM articles WHERE id = '{article_id}'") == [(1,)]
    feed(server, (title, "/nato.html", ""), ("نسخة: " + title, "/copy.html", ""))
    server.set("/copy.html", page("نسخة: " + title, POSITIVE_RECORD["text"]))
    world.cycle(60)
    assert world.rows("SELECT duplicate_of FROM decisions d JOIN articles a ON a.id = d.article_id"
                      " WHERE a.url LIKE '%/copy.html'") == [(article_id,)]
    assert len(world.alerts()) == 1


def test_settle_confirms_withdraws_and_raises_by_topic() -> None:
    from monitor.decide.redecide import settle
    from monitor.models import Decision, NearCopy, TopicResult

    def decision(*matched: str, copy: str | None = None) -> Decision:
        topics = tuple(TopicResult(name, name in matched, 3.0 if name in matched else 0.0, 2.0)
                       for name in ("a", "b", "c", "d"))
        return Decision("art", NearCopy(copy, 0.9 if copy else 0.0), topics)

    alerted = {"a": "provisional", "b": "provisional", "c": "final"}
    s = settle(alerted, decision("a", "c", "d"))
    assert [t.name for t in s.confirmed] == ["a"] and [t.name for t in s.withdrawn] == ["b"]
    assert [t.name for t in s.raised] == ["d"]  # c had its alert already: never raised twice
    copy = settle(alerted, decision("a", "d", copy="other"))
    assert [t.name for t in copy.confirmed] == ["a"] and copy.raised == ()  # a near-copy alerts nothing new
    assert not settle({}, decision()).changed


def test_retry_waits_double_up_to_the_limit() -> None:
    from monitor.runtime.page_retries import retry_delay_seconds
    from monitor.settings.config import parse_config

    settings = parse_config({"pipeline": {"page_retry_first_seconds": 60, "page_retry_max_seconds": 1800}}).pipeline
    assert [retry_delay_seconds(n, settings) for n in range(7)] == [60, 120, 240, 480, 960, 1800, 1800]
    assert retry_delay_seconds(10_000, settings) == 1800


def test_a_host_whose_pages_time_out_does_not_hold_back_another_hosts_page(
    world: World, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    server = world.server
    with FaultServer({}, host="127.0.0.2") as slow:
        stories = [(Story(f"s{i}", f"خبر بطيء {i}", "", PUBLISHED), f"/slow{i}.html", "") for i in range(3)]
        items = [(Story("m", MEETING_TITLE, "", PUBLISHED), "/late.html", MEETING_SUMMARY)]
        slow_feed = rss_feed("وكالة", slow.url(""), stories)
        entries = slow_feed.decode()[slow_feed.decode().index("<item>"):slow_feed.decode().rindex("</item>") + 7]
        body = rss_feed("وكالة", server.url(""), items).decode().replace("</channel>", entries + "</channel>")
        for i in range(3):
            slow.set(f"/slow{i}.html", Reply(headers_delay=3))  # always: a read timeout (1 s) each time
        server.set("/late.html", failing_until(clock, 61, (500, {}, b""), page(MEETING_TITLE, POSITIVE_RECORD["text"])))
        # the slow host's pages are queued first, so they come first in the queue's order
        server.set("/feed.xml", (200, RSS, slow_feed))
        world.cycle()
        server.set("/feed.xml", (200, RSS, body.encode()))
        world.cycle(1)
        assert world.rows("SELECT count(*) FROM page_retries") == [(4,)]
        with caplog.at_level(logging.INFO, logger="monitor"):
            world.cycle(60)
    arrived = [r.created for r in caplog.records if "page arrived" in r.getMessage()]
    slow_failed = [r.created for r in caplog.records if "page failed again" in r.getMessage()]
    assert len(arrived) == 1 and len(slow_failed) == 3
    assert arrived[0] < max(slow_failed)  # settled while the slow host was still timing out
    assert world.alerts() == {MEETING_TITLE: ("final", "full")}


def test_a_hosts_pause_is_waited_out_without_a_request_or_a_try(world: World, clock: FakeClock) -> None:
    server = world.server
    feed(server, (MEETING_TITLE, "/late.html", MEETING_SUMMARY))
    server.set("/late.html", [(429, {"Retry-After": "2"}, b""), page(MEETING_TITLE, LATE_TEXT)])
    world.cycle()  # the 429 pauses the host for 2 s (real time: the host gate's clock)
    world.cycle(61)  # due, but the host is still paused: postponed to the pause's end, not fetched
    assert len(server.requests_for("/late.html")) == 1
    assert world.rows("SELECT attempts FROM page_retries") == [(0,)]  # not a try: the backoff does not grow
    time.sleep(2.1)
    world.cycle(2)
    assert len(server.requests_for("/late.html")) == 2
    assert world.alerts() == {MEETING_TITLE: ("final", "full")}


def test_the_metrics_count_the_queue_and_the_provisional_alerts(world: World, clock: FakeClock) -> None:
    from monitor.runtime.metrics import database_gauges

    def gauges() -> dict[str, float]:
        return {g.name: g.samples[""] for g in database_gauges(world.db_path)
                if g.name in ("monitor_page_retries", "monitor_provisional_alerts")}

    server = world.server
    feed(server, (VISIT_TITLE, "/visit.html", ""), (MEETING_TITLE, "/late.html", MEETING_SUMMARY))
    server.set("/visit.html", failing_until(clock, 60, Reply(status=500), page(VISIT_HEADING, VISIT_TEXT)))
    server.set("/late.html", failing_until(clock, 60, Reply(status=500), page(MEETING_TITLE, LATE_TEXT)))
    world.cycle()
    assert gauges() == {"monitor_page_retries": 2, "monitor_provisional_alerts": 1}
    world.cycle(61)
    assert gauges() == {"monitor_page_retries": 0, "monitor_provisional_alerts": 0}
