"""The store on PostgreSQL against a real server: the same answers as SQLite, and several workers sharing it.

Each test gets a database of its own (tests/postgres_db.py) and skips when no server answers.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from monitor.cli.main import main
from monitor.models import Decision, ExtractedText, NearCopy, TopicResult
from monitor.runtime.app import App
from monitor.schedule.feed_health import FeedWarning
from monitor.settings.config import load_config, parse_config
from monitor.store import search
from monitor.store.articles import NewArticle
from monitor.store.connection import open_read_write
from monitor.store.corpus_index import SqliteCorpusIndex
from monitor.store.database import Store
from monitor.store.opening import open_store
from monitor.store.postgres.schema import LATEST_VERSION
from monitor.store.postgres.store import PostgresStore
from tests.config_files import LOOPBACK_HTTP, OPS_OFF, jsonl_channel, shipped_topics, write_config
from tests.e2e_site import Story, fixture_articles, rss_feed
from tests.fault_server import FaultServer, Reply
from tests.test_quality_gate import FILES, MIN_NEAR_COPY_RECALL, load

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).parent.parent

NATO_IRAQ = ("وأعلنَ الأمينُ العام لحِلفِ شمالِ الأطْلَسِيّ أنّ مهمّةَ التدريب بالعـراق ستتوسع، "
             "وقال إنّ الحلفاء سيرسلون مدربين إضافيين إلى بغداد.")
NATO_ONLY = "اجتمع وزراء دفاع حلف شمال الأطلسي في بروكسل لبحث الإنفاق العسكري."
LOOKALIKE = "وضعت الحكومة عراقيل أمام حلف تجاري جديد مع دول المحيط الأطلسي."


def _article(article_id: str, title: str, text: str, source: str, published: datetime) -> NewArticle:
    return NewArticle(
        article_id=article_id, canonical_url=f"https://news.test/{article_id}", url=f"https://news.test/{article_id}",
        feed_url=None, guid=None, source=source, extracted=ExtractedText(title, text, "ar", "page"), summary="",
        published=published, seen_at=NOW,
    )


def _fill(store: Store) -> None:
    for article_id, title, text, source, day, topics in (
        ("a1", "الناتو يوسع مهمته", NATO_IRAQ, "Feed A", 20, ("nato_iraq",)),
        ("a2", "اجتماع في بروكسل", NATO_ONLY, "Feed B", 22, ()),
        ("a3", "تجارة", LOOKALIKE, "Feed B", 21, ()),
    ):
        decision = Decision(article_id, NearCopy(None, 0.1), tuple(TopicResult(t, True, 2.0, 1.0) for t in topics))
        store.record_article(_article(article_id, title, text, source, datetime(2026, 11, day, tzinfo=UTC)), decision)


QUERIES: list[tuple[str, dict[str, object]]] = [
    ("حلف الأطلسي العراق", {}),
    ("العِراقُ", {}),
    ("اطلسي", {}),
    ("العراق", {}),
    ('"حلف شمال الأطلسي"', {}),
    ("بروك*", {}),
    ("بغداد بروكسل", {"any_term": True}),
    ("اطلسي", {"source": "Feed B"}),
    ("اطلسي", {"topic": "nato_iraq"}),
    ("اطلسي", {"since": "2026-11-21", "until": "2026-11-21"}),
    ("NEAR(حلف) OR ^title:", {}),
]


def test_search_finds_the_same_articles_on_both_backends(tmp_path: Path, pg_url: str) -> None:
    sqlite, postgres = Store(tmp_path / "m.db"), PostgresStore(pg_url)
    try:
        for store in (sqlite, postgres):
            _fill(store)
        for text, options in QUERIES:
            any_term = bool(options.pop("any_term", False)) if "any_term" in options else False
            query = search.parse_query(text, any_term=any_term)
            filters = search.Filters(**options, order="date")  # type: ignore[arg-type]
            found = [[h.article_id for h in s.search(query, filters)] for s in (sqlite, postgres)]
            assert found[0] == found[1], text
        assert postgres.search(search.parse_query("العراق"))[0].article_id == "a1"
        assert postgres.indexed_count() == 3 and postgres.rebuild_search_index() == 3
    finally:
        sqlite.close()
        postgres.close()


def test_the_url_setting_selects_postgresql(tmp_path: Path, pg_url: str) -> None:
    config = parse_config({"storage": {"database": str(tmp_path / "m.db")}}, environ={"MONITOR_DATABASE_URL": pg_url})
    assert config.database_url == pg_url
    store = open_store(config.database_path, config.database_url)
    try:
        assert isinstance(store, PostgresStore) and store.schema_version == LATEST_VERSION
        assert not (tmp_path / "m.db").exists()
    finally:
        store.close()
    assert isinstance(open_store(tmp_path / "m.db", None), Store)


def test_a_due_feed_is_claimed_by_one_worker_until_its_lease_ends(pg_url: str) -> None:
    first, second = PostgresStore(pg_url, lease_seconds=600), PostgresStore(pg_url, lease_seconds=600)
    try:
        first.sync_feeds([(f"https://feeds.test/{i}", f"F{i}", True) for i in range(10)], NOW)
        second.sync_feeds([(f"https://feeds.test/{i}", f"F{i}", True) for i in range(10)], NOW)
        mine = first.due_feeds(NOW)
        assert len(mine) == 10 and second.due_feeds(NOW) == []
        # the outcome of a poll ends the claim; the next poll time decides when it is due again
        first.update_feed(mine[0].url, {"next_poll_at": NOW + timedelta(minutes=5), "last_polled_at": NOW})
        assert second.due_feeds(NOW + timedelta(seconds=30)) == []
        assert [f.url for f in second.due_feeds(NOW + timedelta(minutes=5))] == [mine[0].url]
        # the first worker died holding the other nine: taken over once the lease has run out
        taken = second.due_feeds(NOW + timedelta(seconds=601))
        # (with the feed the second holds itself and has not recorded: a worker may claim its own again)
        assert sorted(f.url for f in taken) == sorted(f.url for f in mine)
        assert first.due_feeds(NOW + timedelta(seconds=602)) == []
        assert first.counts()["feeds"] == 10
    finally:
        first.close()
        second.close()


def test_a_claim_renewed_before_the_request_keeps_the_feed_and_a_lost_one_says_so(pg_url: str) -> None:
    first, second = PostgresStore(pg_url, lease_seconds=600), PostgresStore(pg_url, lease_seconds=600)
    try:
        first.sync_feeds([("https://feeds.test/a", "A", True)], NOW)
        [feed] = first.due_feeds(NOW)
        # renewed 500 s on: the lease now runs to 1100 s, so the second worker cannot take it at 601 s
        assert first.hold_feed(feed.url, NOW + timedelta(seconds=500))
        assert second.due_feeds(NOW + timedelta(seconds=601)) == []
        assert [f.url for f in second.due_feeds(NOW + timedelta(seconds=1101))] == [feed.url]
        # the first worker comes back from its wait: the feed is the second's now, so no request from it
        assert not first.hold_feed(feed.url, NOW + timedelta(seconds=1102))
        assert second.hold_feed(feed.url, NOW + timedelta(seconds=1103))
        # a feed polled without a claim (nobody holds it) is taken for the request
        first.sync_feeds([("https://feeds.test/b", "B", True)], NOW)
        assert first.hold_feed("https://feeds.test/b", NOW)
        assert "https://feeds.test/b" not in [f.url for f in second.due_feeds(NOW)]
    finally:
        first.close()
        second.close()


def test_a_worker_whose_claim_ran_out_while_it_waited_does_not_request_the_feed(tmp_path: Path, pg_url: str) -> None:
    with FaultServer({}) as server:
        for i in range(FEEDS):
            server.set(f"/feed{i}.xml", Reply(200, {"Content-Type": "application/rss+xml"},
                                             rss_feed(f"feed {i}", server.url(""), _stories(i))))
        app = App(load_config(_config(tmp_path, server, pg_url)))
        other = PostgresStore(pg_url, lease_seconds=600)
        try:
            claimed = app.store.due_feeds(datetime.now(UTC))
            assert len(claimed) == FEEDS
            # the lease (default length) runs out while this worker waits: another takes every feed over
            later = datetime.now(UTC) + timedelta(days=1)
            assert len(other.due_feeds(later)) == FEEDS
            reports = app.poll(claimed).polls
            assert [r.handed_over for r in reports] == [True] * FEEDS
            assert all(server.requests_for(f"/feed{i}.xml") == [] for i in range(FEEDS))
            # nothing recorded for a poll never made: the other worker's claim stands, no failure counted
            rows = {r["url"]: r for r in other.feeds()}
            assert all(r["last_polled_at"] is None and r["consecutive_failures"] == 0 for r in rows.values())
            assert app.store.due_feeds(later) == []
        finally:
            other.close()
            app.close()


def test_a_job_runs_on_one_worker_at_a_time(pg_url: str) -> None:
    first, second = PostgresStore(pg_url), PostgresStore(pg_url)
    try:
        with first.exclusive_job("retention") as held:
            assert held
            with second.exclusive_job("retention") as also, second.exclusive_job("feed_health") as other:
                assert not also and other
        with second.exclusive_job("retention") as held:
            assert held
    finally:
        first.close()
        second.close()


FEEDS = 6


def _stories(feed: int) -> list[tuple[Story, str, str]]:
    # every feed carries the same four stories under its own URLs: copies the near-copy index must catch
    return [
        (Story(r["id"], r["title"], r["text"], "Mon, 23 Nov 2026 09:00:00 GMT"), f"/f{feed}/a/{i}.html", r["text"])
        for i, r in enumerate(fixture_articles().values())
    ]


def _config(tmp_path: Path, server: FaultServer, url: str | None) -> Path:
    storage = {"database": str(tmp_path / "m.db"), **({"url": url} if url else {})}
    feeds = [{"url": server.url(f"/feed{i}.xml"), "name": f"Feed {i}"} for i in range(FEEDS)]
    return write_config(
        tmp_path, storage=storage, fetch_pages=False, http=LOOPBACK_HTTP, ops=OPS_OFF,
        channels=[jsonl_channel(tmp_path)], feeds=feeds, topics=shipped_topics(),
    ).config


def _outcome(app: App) -> tuple[dict[str, int], int]:
    return app.store.counts(), app.store.delivery_states().get("pending", 0)


def test_two_workers_poll_each_feed_once_and_store_and_alert_each_article_once(tmp_path: Path, pg_url: str) -> None:
    with FaultServer({}) as server:
        for i in range(FEEDS):
            server.set(f"/feed{i}.xml", Reply(200, {"Content-Type": "application/rss+xml"},
                                             rss_feed(f"feed {i}", server.url(""), _stories(i))))
        # the figures one SQLite process reaches on the same feeds
        (tmp_path / "sqlite").mkdir()
        single = App(load_config(_config(tmp_path / "sqlite", server, None)))
        try:
            single.poll(single.store.due_feeds(datetime.now(UTC)))
            expected = _outcome(single)
        finally:
            single.close()
        assert expected[0]["articles"] > FEEDS * 4 and expected[1] > 0  # seeds, entries; some alerts
        before = [len(server.requests_for(f"/feed{i}.xml")) for i in range(FEEDS)]

        (tmp_path / "pg").mkdir()
        config = load_config(_config(tmp_path / "pg", server, pg_url))
        apps: list[App] = []
        errors: list[BaseException] = []
        start = threading.Barrier(2)

        def worker() -> None:
            try:
                app = App(config)
                apps.append(app)
                start.wait()
                app.poll(app.store.due_feeds(datetime.now(UTC)))
            except BaseException as exc:  # reported by the test thread
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        try:
            assert errors == []
            polled = [len(server.requests_for(f"/feed{i}.xml")) - before[i] for i in range(FEEDS)]
            assert polled == [1] * FEEDS  # each feed by one of the two workers
            assert _outcome(apps[0]) == expected
        finally:
            for app in apps:
                app.close()


def test_once_status_and_search_commands_on_postgresql(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with FaultServer({}) as server:
        for i in range(FEEDS):
            server.set(f"/feed{i}.xml", Reply(200, {"Content-Type": "application/rss+xml"},
                                             rss_feed(f"feed {i}", server.url(""), _stories(i))))
        config = str(_config(tmp_path, server, pg_url))
        assert main(["once", "--config", config]) == 0
    assert not (tmp_path / "m.db").exists()  # nothing went to the SQLite file
    capsys.readouterr()
    assert main(["status", "--config", config]) == 0
    assert f"feeds={FEEDS} articles=" in capsys.readouterr().out
    assert main(["search", "--config", config, "--json", "الناتو"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert hits and all("<mark>" in h["snippet"] for h in hits)


def test_the_near_copy_index_makes_the_quality_gates_decisions_on_both_backends(tmp_path: Path, pg_url: str) -> None:
    records = [r for name in FILES for r in load(name)]
    db = open_read_write(tmp_path / "gate.db")
    sqlite_index = SqliteCorpusIndex(db)
    postgres = PostgresStore(pg_url)
    try:
        with db.atomic(), postgres.atomic():
            for r in records:
                if r["task"] == "corpus":
                    sqlite_index.add(r["id"], r["text"])
                    postgres.corpus_index.add(r["id"], r["text"])
        assert len(postgres.corpus_index) == len(sqlite_index) > 100
        cases = [r for r in records if r["task"] == "near_copy"]
        decisions = [[index.check(r["b"]["text"]) for r in cases] for index in (sqlite_index, postgres.corpus_index)]
        assert decisions[0] == decisions[1]
        copies = [d for d, r in zip(decisions[1], cases, strict=True) if r["copy"]]
        assert sum(d.duplicate_of is not None for d in copies) / len(copies) >= MIN_NEAR_COPY_RECALL
    finally:
        postgres.close()
        db.conn.close()


def test_each_due_delivery_is_claimed_by_one_worker_until_its_lease_ends(pg_url: str) -> None:
    first, second = PostgresStore(pg_url), PostgresStore(pg_url)
    try:
        _fill(first)
        warnings = [
            FeedWarning(warning_id=f"w{i}", feed_url=f"https://feeds.test/{i}", feed_name=f"F{i}",
                        last_success_at=None, since=NOW, consecutive_failures=3, last_error="timeout", created_at=NOW)
            for i in range(20)
        ]
        for warning in warnings:
            assert first.queue_feed_warning(warning, ["hook", "mail"])
        assert not second.queue_feed_warning(warnings[0], ["hook", "mail"])  # queued once
        claimed: list[list[str]] = [[], []]

        def claim(store: PostgresStore, into: list[str]) -> None:
            for _ in range(10):
                into.extend(r.id for r in store.claim_due_deliveries(NOW, lease_seconds=300, limit=3))

        threads = [threading.Thread(target=claim, args=(s, c)) for s, c in zip((first, second), claimed, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not set(claimed[0]) & set(claimed[1])
        every = sorted(f"{w.warning_id}:{c}" for w in warnings for c in ("hook", "mail"))
        assert sorted(claimed[0] + claimed[1]) == every
        assert first.claim_due_deliveries(NOW + timedelta(seconds=299), lease_seconds=300) == []
        # a worker that died holding them: due again once the lease has run out
        assert len(second.claim_due_deliveries(NOW + timedelta(seconds=300), lease_seconds=300, limit=100)) == 40
    finally:
        first.close()
        second.close()


def test_connections_the_server_dropped_are_replaced(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    try:
        store.sync_feeds([("https://feeds.test/a", "A", True)], NOW)
        with psycopg.connect(pg_url, autocommit=True) as admin:
            dropped = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid != pg_backend_pid()"
            ).fetchone()
        assert dropped is not None and dropped[0] >= 1
        assert store.counts()["feeds"] == 1
        assert [f.url for f in store.due_feeds(NOW)] == ["https://feeds.test/a"]
    finally:
        store.close()


def test_a_worker_claims_only_the_feeds_its_lanes_can_start(pg_url: str) -> None:
    first, second = PostgresStore(pg_url), PostgresStore(pg_url)
    try:
        first.sync_feeds([(f"https://feeds.test/{i}", f"F{i}", True) for i in range(10)], NOW)
        for i in range(10):  # fell due one minute apart: the longest waiting go first
            first.update_feed(f"https://feeds.test/{i}", {"next_poll_at": NOW - timedelta(minutes=10 - i)})
        mine = first.due_feeds(NOW, limit=3)
        assert [f.url for f in mine] == [f"https://feeds.test/{i}" for i in range(3)]
        theirs = second.due_feeds(NOW, limit=4)
        assert [f.url for f in theirs] == [f"https://feeds.test/{i}" for i in range(3, 7)]
        assert len(first.due_feeds(NOW)) == 3 + 3  # its own again, and what is left
    finally:
        first.close()
        second.close()
