"""`monitor once` end to end, with real parts on 127.0.0.1: an HTTP server with feeds and pages,
a webhook receiver that checks signatures, an SMTP server, a real SQLite file or the real PostgreSQL server,
the real CLI process.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.config_files import LOOPBACK_HTTP, email_channel, jsonl_channel, shipped_topics, write_config
from tests.delivery_servers import SmtpServer, WebhookReceiver
from tests.e2e_site import Story, article_page, atom_feed, fixture_articles, rss_feed, seed_story
from tests.fault_server import FaultServer
from tests.helpers_delivery import SECRET

ROOT = Path(__file__).parent.parent

POSITIVE = "snn-ab0d563619d4"  # NATO approves a plan to support the Iraqi army (okaz, 2015)
NATO_TURKEY = "snn-6813a3e38661"  # NATO meeting at Turkey's request; Iraq only as where Turkey struck
UNRELATED_1 = "ant2-AL-culture-269-20180504"
UNRELATED_2 = "ant2-AL-culture-209-20180331"
SEED_A = "000_83a70512d7ec6fc6"
SEED_B = "002_9437a1e7acd15525"


def story(record: dict[str, str], key: str) -> Story:
    return Story(key=key, title=record["title"], text=record["text"], published="Mon, 23 Nov 2026 09:00:00 GMT")


def html_reply(page: str, encoding: str = "utf-8", declare: bool = True) -> tuple[int, dict[str, str], bytes]:
    content_type = f"text/html; charset={encoding}" if declare else "text/html"
    return 200, {"Content-Type": content_type}, page.encode(encoding)


def build_site(server: FaultServer) -> list[str]:
    articles = fixture_articles()
    positive = story(articles[POSITIVE], "okaz-nato-iraq")
    nato_turkey = story(articles[NATO_TURKEY], "nato-turkey")
    unrelated_1 = story(articles[UNRELATED_1], "nobel")
    unrelated_2 = story(articles[UNRELATED_2], "orientalist")
    seed_a = seed_story(SEED_A)
    seed_b = seed_story(SEED_B)
    base = server.url("")

    # A windows-1256 outlet: the feed declares its encoding; one page declares none at all.
    server.set(
        "/okaz/rss.xml",
        (
            200,
            {"Content-Type": "application/rss+xml"},
            rss_feed(
                "عكاظ",
                base,
                [
                    (positive, "/okaz/nato-iraq.html", positive.text.split("\n")[0]),
                    (nato_turkey, "/okaz/nato-turkey.html", nato_turkey.text[:200]),
                    (unrelated_1, "/okaz/nobel.html", unrelated_1.text[:200]),
                    (seed_a, "/okaz/seed-copy.html?utm_source=rss", seed_a.text[:200]),
                ],
                encoding="windows-1256",
            ),
        ),
    )
    server.set(
        "/okaz/nato-iraq.html",
        html_reply(article_page(positive.title, positive.text, "عكاظ", charset=None), "windows-1256", declare=False),
    )
    server.set("/okaz/nato-turkey.html", html_reply(article_page(nato_turkey.title, nato_turkey.text, "عكاظ")))
    server.set("/okaz/nobel.html", html_reply(article_page(unrelated_1.title, unrelated_1.text, "عكاظ")))
    # The seed republished under other chrome, with a line of new intro.
    server.set(
        "/okaz/seed-copy.html",
        html_reply(
            article_page(seed_a.title, "نقلت وسائل إعلام عراقية اليوم التصريحات التالية.\n" + seed_a.text, "عكاظ")
        ),
    )

    # A wire service in Atom: a republished copy of the positive story (new title, new intro, same body),
    # a seed whose page is gone (the feed summary, two paragraphs of the seed, must be used and still
    # be recognised as a copy), an unrelated story, and a tracking-parameter link to an article already seen.
    wire_copy = Story(
        key="wire-copy",
        title="الناتو يقر برنامجا لدعم القوات العراقية",
        text="بروكسل - رويترز\n" + positive.text,
        published="",
    )
    seed_b_summary = "\n".join(p for p in seed_b.text.split("\n") if p.strip())[:700]
    server.set(
        "/wire/atom.xml",
        (
            200,
            {"Content-Type": "application/atom+xml"},
            atom_feed(
                "وكالة الأنباء",
                base,
                [
                    (wire_copy, "/wire/nato-plan.html", wire_copy.text[:200]),
                    (seed_b, "/wire/gone.html", seed_b_summary),
                    (unrelated_2, "/wire/orientalist.html", unrelated_2.text[:200]),
                    (Story("again", positive.title, "", ""), "/okaz/nato-iraq.html?utm_source=wire&utm_medium=rss", ""),
                ],
            ),
        ),
    )
    server.set("/wire/nato-plan.html", html_reply(article_page(wire_copy.title, wire_copy.text, "الوكالة")))
    server.set("/wire/orientalist.html", html_reply(article_page(unrelated_2.title, unrelated_2.text, "الوكالة")))
    # /wire/gone.html is not served: 404.

    # Broken feeds: an HTML page where the feed should be, and a server error.
    server.set("/broken/feed.xml", html_reply(article_page("الصفحة الرئيسية", "مرحبا بكم في موقعنا الإخباري.", "موقع")))
    server.set("/down/feed.xml", (500, {"Content-Type": "text/plain"}, b"internal error"))
    return [server.url(p) for p in ("/okaz/rss.xml", "/wire/atom.xml", "/broken/feed.xml", "/down/feed.xml")]


def e2e_config(tmp_path: Path, feeds: list[str], webhook_url: str, smtp_port: int, **pipeline: Any) -> Path:
    return write_config(
        tmp_path,
        database="monitor.db",
        # one worker takes the feeds in order: the first outlet publishes first, so the original is known
        pipeline={"workers": 1, "extract_timeout_seconds": 30, **pipeline},
        ops={"port": 0},
        http={**LOOPBACK_HTTP, "connect_timeout": 5, "read_timeout": 5, "total_timeout": 10},
        topics=shipped_topics(),
        channels=[
            {"type": "webhook", "name": "hook", "url": webhook_url, "secret_env": "E2E_WEBHOOK_SECRET"},
            email_channel(smtp_port, "analyst@example.test"),
            jsonl_channel(tmp_path),
        ],
        feeds=[{"url": url, "name": f"feed{i}"} for i, url in enumerate(feeds)],
    ).config


def run_monitor(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "E2E_WEBHOOK_SECRET": SECRET, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=240
    )


@pytest.fixture
def world(
    tmp_path: Path, fault_server: FaultServer, webhook_receiver: WebhookReceiver, smtp_server: SmtpServer
) -> tuple[Path, WebhookReceiver, SmtpServer, FaultServer]:
    config = e2e_config(tmp_path, build_site(fault_server), webhook_receiver.url, smtp_server.port)
    return config, webhook_receiver, smtp_server, fault_server


class Database:
    """The database `monitor once` wrote: the SQLite file, or the PostgreSQL database at `url`."""

    def __init__(self, path: Path, url: str | None) -> None:
        self.path, self.url = path, url

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        if self.url:
            with psycopg.connect(self.url) as conn:
                return [tuple(r) for r in conn.execute(sql.replace("?", "%s"), list(params)).fetchall()]
        with closing(sqlite3.connect(self.path)) as conn:
            return [tuple(r) for r in conn.execute(sql, list(params)).fetchall()]


def test_once_alerts_exactly_the_relevant_article_everywhere(
    world: tuple[Path, WebhookReceiver, SmtpServer, FaultServer],
    tmp_path: Path,
    backend_url: str | None,
) -> None:
    config, receiver, smtp, _server = world
    env = {"MONITOR_DATABASE_URL": backend_url} if backend_url else None
    database = Database(tmp_path / "monitor.db", backend_url)
    first = run_monitor("once", "--config", str(config), env_extra=env)
    assert first.returncode == 0, first.stderr
    # The broken feeds are reported with their URL and reason; the cycle went on with the others.
    assert "/broken/feed.xml" in first.stdout and "/down/feed.xml" in first.stdout

    positive_id = _article_id_by_path(database, "/okaz/nato-iraq.html")
    hooks = receiver.received
    assert len(hooks) == 1, [h[1] for h in hooks]
    headers, body, signature_ok = hooks[0]
    assert signature_ok
    payload = body["data"]
    assert canonical_path(payload["article"]["url"]) == "/okaz/nato-iraq.html"
    assert payload["article"]["id"] == positive_id
    assert payload["topic"] == "nato_iraq"
    assert headers["webhook-id"] == payload["alert_id"]
    matched = " ".join(e["matched"] for e in payload["evidence"])
    assert "الأطلسي" in matched and "العراق" in matched

    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert "الحلف الأطلسي يوافق على خطة دعم الجيش العراقي" in str(message["Subject"])
    html_part = message.get_body(("html",))
    assert html_part is not None and 'dir="rtl"' in html_part.get_content()

    lines = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["data"]["alert_id"] for line in lines] == [payload["alert_id"]]

    decided = dict(
        database.rows(
            "SELECT a.url, coalesce(d.duplicate_of, '') FROM articles a JOIN decisions d ON d.article_id = a.id "
            "WHERE a.is_seed = 0"
        )
    )
    by_path = {canonical_path(url): dup for url, dup in decided.items()}
    copies = {path: dup for path, dup in by_path.items() if dup}
    # Each copy points at what it copies: the two seeds and the first outlet's positive story.
    assert sorted(copies.values()) == sorted([SEED_A, SEED_B, positive_id]), by_path
    # The article reached twice (tracking parameters) was stored once: 7 distinct articles.
    assert len(decided) == 7
    (fallback,) = database.rows("SELECT extraction, fallback_reason FROM articles WHERE url LIKE ?",
                                ["%/wire/gone.html"])
    assert fallback[0] == "feed" and "404" in fallback[1]
    failing = dict(database.rows("SELECT url, last_error FROM feeds WHERE consecutive_failures > 0"))
    assert len(failing) == 2 and all(failing.values())

    # A second cycle sees nothing new and sends nothing again.
    second = run_monitor("once", "--config", str(config), env_extra=env)
    assert second.returncode == 0, second.stderr
    assert len(receiver.received) == 1
    assert len(smtp.messages) == 1
    assert len((tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()) == 1


def canonical_path(url: str) -> str:
    return urlsplit(url).path


def _article_id_by_path(database: Database, path: str) -> str:
    rows = database.rows("SELECT id FROM articles WHERE canonical_url LIKE ?", [f"%{path}"])
    assert len(rows) == 1, path
    return str(rows[0][0])


def test_bad_config_names_the_key_and_exits_non_zero(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[pipeline]\nworkerz = 3\n", encoding="utf-8")
    result = run_monitor("once", "--config", str(config))
    assert result.returncode == 2
    assert "pipeline.workerz" in result.stderr
    assert result.stderr.count("\n") == 1  # one clear line, no traceback
