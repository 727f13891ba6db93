"""Several `monitor run` workers on one PostgreSQL database, under faults: workers killed with SIGKILL in the
middle of their cycles, again and again, and the database connection cut and restored through a TCP proxy.

The feeds keep publishing while this goes on (tests/growing_feeds.py: every item one article and one
alert). At the end, counted from the database, the receivers and the feed server:
    every item stored once as an article, and alerted once;
    every alert delivered on each channel: one "delivered" attempt per delivery, one line per alert in the
    JSONL file, each alert accepted once by the webhook receiver (a re-send after a kill carries the same
    webhook-id, which the receiver drops: at most one per kill);
    no feed requested by two workers at once (the feed server counts requests in flight per feed).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from monitor.store.postgres.store import PostgresStore
from tests.config_files import LOOPBACK_HTTP, OPS_OFF, jsonl_channel, shipped_topics, write_config
from tests.delivery_servers import WebhookReceiver
from tests.fault_server import FaultServer
from tests.growing_feeds import GrowingFeeds
from tests.helpers_delivery import SECRET
from tests.tcp_proxy import TcpProxy

ROOT = Path(__file__).parent.parent
FEEDS, ITEMS, STEP = 6, 8, 0.7  # 48 articles and alerts, published over about 5 s
SETTLE_SECONDS = 90  # longest wait for the last deliveries after the faults stop


def _config(tmp_path: Path, url: str, feeds: GrowingFeeds, hook: WebhookReceiver) -> Path:
    return write_config(
        tmp_path,
        storage={"database": str(tmp_path / "unused.db"), "url": url, "lease_seconds": 4},
        fetch_pages=False,
        pipeline={"cycle_seconds": 1},
        schedule={"min_interval_minutes": 0.01, "default_interval_minutes": 0.01, "max_interval_minutes": 0.02,
                  "jitter_fraction": 0.0},
        http={**LOOPBACK_HTTP, "total_timeout": 10},
        ops=OPS_OFF,
        feeds=feeds.feed_urls(),
        topics=shipped_topics(),
        # per article: the synthetic items all report one announcement in random words, so per story some of
        # them would be held for a story.updated an hour later; what is counted here is every alert, once
        channels=[
            {**jsonl_channel(tmp_path), "alert_on": "article"},
            {"type": "webhook", "name": "hook", "url": hook.url, "secret_env": "PG_FAULT_WEBHOOK_SECRET",
             "timeout_seconds": 5, "alert_on": "article"},
        ],
    ).config


class Workers:
    """`monitor run` processes on one config, each logging to its own file."""

    def __init__(self, config: Path, count: int) -> None:
        self.config = config
        self.logs = config.parent / "logs"
        self.logs.mkdir(exist_ok=True)
        self.started = 0
        self.procs = [self._start() for _ in range(count)]

    def _start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        log = (self.logs / f"worker{self.started}.log").open("wb")
        env = {**os.environ, "PG_FAULT_WEBHOOK_SECRET": SECRET}
        return subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(self.config)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_running(self, seconds: float = 60) -> None:
        """Until every worker started so far has said it is running (its start-up is done)."""
        def up() -> bool:
            return all("monitor running" in p.read_text(errors="replace") for p in self.logs.iterdir())
        assert _wait_until(up, seconds), self.log_text()

    def kill_and_restart(self, n: int) -> None:
        self.procs[n].kill()  # SIGKILL: no cleanup of any kind
        self.procs[n].wait()
        self.procs[n] = self._start()

    def stop(self) -> list[int | None]:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(30))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(None)
        return codes

    def log_text(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.logs.iterdir()))


@contextmanager
def running(config: Path, count: int) -> Iterator[Workers]:
    workers = Workers(config, count)
    try:
        yield workers
    finally:
        workers.stop()


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return list(conn.execute(sql).fetchall())


def _jsonl_ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            ids.append(json.loads(line)["data"]["alert_id"])
        except (ValueError, KeyError):
            continue
    return ids


def _wait_until(done: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.5)
    return done()


def _check_outcome(url: str, tmp_path: Path, feeds: GrowingFeeds, hook: WebhookReceiver, resends_allowed: int,
                   workers: Workers) -> None:
    items = set(feeds.item_urls())
    jsonl = tmp_path / "alerts.jsonl"

    def delivered() -> bool:
        states = dict(_query(url, "SELECT state, count(*) FROM deliveries GROUP BY state"))
        return states == {"delivered": 2 * len(items)}

    assert _wait_until(delivered, SETTLE_SECONDS), (
        _query(url, "SELECT channel, state, count(*), min(next_attempt_at) FROM deliveries GROUP BY 1, 2"),
        _query(url, "SELECT result, count(*) FROM delivery_attempts GROUP BY 1"),
        _query(url, "SELECT count(*) FROM articles WHERE is_seed = 0"),
        _query(url, "SELECT a.url, d.duplicate_of, d.duplicate_kind, d.similarity, d.matched_topics FROM articles a"
                    " JOIN decisions d ON d.article_id = a.id WHERE a.is_seed = 0 AND a.id NOT IN"
                    " (SELECT article_id FROM alerts)"),
        workers.log_text()[-4000:],
    )
    articles = _query(url, "SELECT id, url FROM articles WHERE is_seed = 0")
    assert sorted(u for _, u in articles) == sorted(items)  # each item once: none lost, none stored twice
    article_ids = {a for a, _ in articles}
    alerts = _query(url, "SELECT id, article_id FROM alerts")
    assert {a for _, a in alerts} == article_ids and len(alerts) == len(items)
    expected = {alert_id for alert_id, _ in alerts}
    once = _query(url, "SELECT d.id, count(a.id) FROM deliveries d LEFT JOIN delivery_attempts a"
                       " ON a.delivery_id = d.id AND a.result = 'delivered' GROUP BY d.id")
    # One delivered attempt per delivery, but for a send whose worker lost the database before recording it:
    # another worker takes the channel over and sends it again (same message id); both attempts are kept.
    assert min(n for _, n in once) == 1 and sum(n - 1 for _, n in once) <= resends_allowed, once
    lines = Counter(_jsonl_ids(jsonl))
    assert set(lines) == expected and set(lines.values()) == {1}
    accepted = Counter(p["data"]["alert_id"] for p in hook.accepted())
    assert set(accepted) == expected and set(accepted.values()) == {1}
    resent = len(hook.received) - len(hook.accepted())
    assert resent <= resends_allowed, resent
    assert feeds.overlaps == []  # no feed requested by two workers at once


def test_three_workers_killed_again_and_again_lose_and_double_nothing(tmp_path: Path, pg_url: str) -> None:
    PostgresStore(pg_url).close()  # the schema, before three workers race to it
    rng = random.Random(18)
    with FaultServer({}) as server, WebhookReceiver(SECRET) as hook:
        feeds = GrowingFeeds(server, FEEDS, ITEMS, STEP, request_delay=0.2)
        config = _config(tmp_path, pg_url, feeds, hook)
        kills = 0
        with running(config, 3) as workers:
            workers.wait_running()
            feeds.start = time.monotonic()  # publishing starts now
            while time.monotonic() < feeds.start + ITEMS * STEP + 3:
                time.sleep(rng.uniform(0.5, 1.2))
                workers.kill_and_restart(rng.randrange(3))
                kills += 1
            _check_outcome(pg_url, tmp_path, feeds, hook, resends_allowed=kills, workers=workers)
            assert all(p.poll() is None for p in workers.procs)
        assert kills >= 6
        assert len(feeds.polls) == FEEDS and min(feeds.polls.values()) >= 2  # polled during and after publishing


def test_workers_wait_through_a_cut_database_connection_and_carry_on(tmp_path: Path, pg_url: str) -> None:
    PostgresStore(pg_url).close()
    info = psycopg.conninfo.conninfo_to_dict(pg_url)
    with TcpProxy(str(info.get("host") or "127.0.0.1"), int(info.get("port") or 5432)) as proxy:
        info.update(host="127.0.0.1", port=str(proxy.port))
        proxied = psycopg.conninfo.make_conninfo("", **info)
        with FaultServer({}) as server, WebhookReceiver(SECRET) as hook:
            feeds = GrowingFeeds(server, FEEDS, ITEMS, STEP, request_delay=0.05)
            config = _config(tmp_path, proxied, feeds, hook)
            with running(config, 2) as workers:
                workers.wait_running()
                feeds.start = time.monotonic()
                time.sleep(2.0)
                proxy.cut()  # mid-publishing: polls, writes and deliveries in flight
                time.sleep(4.0)
                proxy.restore()
                # at most the message in flight on each channel of each worker when the link went
                _check_outcome(pg_url, tmp_path, feeds, hook, resends_allowed=4, workers=workers)
                assert proxy.refused > 0  # the workers tried to reconnect while it was cut
                assert all(p.poll() is None for p in workers.procs), workers.log_text()  # they waited and carried on
