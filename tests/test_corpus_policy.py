"""`[pipeline] corpus_policy`: what later articles are checked against, as the README and config say."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from monitor.runtime.app import App
from monitor.settings.config import load_config
from monitor.settings.registry import PIPELINE
from monitor.store.database import FeedRow
from tests.config_files import LOOPBACK_HTTP, OPS_OFF, jsonl_channel, write_config
from tests.e2e_site import Story, rss_feed
from tests.fault_server import FaultServer

ROOT = Path(__file__).parent.parent
TOPIC_WORDS = ("الناتو", "حلف", "الأطلسي", "العراق", "بغداد")


def unrelated_article() -> str:
    """A real article of the bench sample that matches none of the shipped topics."""
    with gzip.open(ROOT / "bench" / "data" / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line)["text"]
            if 800 < len(text) < 3000 and not any(word in text for word in TOPIC_WORDS):
                return str(text)
    raise AssertionError("no unrelated article in the sample")


def copies_marked(tmp_path: Path, server: FaultServer, policy: str) -> int:
    """How many of an article that matched no topic and its wire copy were marked a near-copy of the other
    (whichever the poll decides first is the original)."""
    text = unrelated_article()
    copy = "تحديث: " + text[: len(text) * 9 // 10]
    items = [(Story("orig", "خبر", text, "Mon, 23 Nov 2026 09:00:00 GMT"), "/a/1.html", text),
             (Story("copy", "خبر منقول", copy, "Mon, 23 Nov 2026 10:00:00 GMT"), "/a/2.html", copy)]
    server.set(f"/{policy}.xml", (200, {"Content-Type": "application/rss+xml"},
                                  rss_feed("feed", server.url(""), items)))
    files = write_config(tmp_path / policy, storage={"database": str(tmp_path / f"{policy}.db")}, fetch_pages=False,
                         pipeline={"corpus_policy": policy}, http=LOOPBACK_HTTP, ops=OPS_OFF,
                         channels=[jsonl_channel(tmp_path / policy)], feeds=[server.url(f"/{policy}.xml")])
    app = App(load_config(files.config))
    try:
        app.poll([FeedRow.from_row(r) for r in app.store.feeds(enabled_only=True)])
    finally:
        app.close()
    with sqlite3.connect(tmp_path / f"{policy}.db") as conn:
        rows = dict(conn.execute("SELECT a.title, d.duplicate_of FROM articles a JOIN decisions d"
                                 " ON d.article_id = a.id").fetchall())
    assert set(rows) == {"خبر", "خبر منقول"}
    return sum(1 for duplicate_of in rows.values() if duplicate_of is not None)


@pytest.mark.parametrize("policy", ["matches", "all"])
def test_a_copy_of_an_article_that_matched_nothing(tmp_path: Path, fault_server: FaultServer, policy: str) -> None:
    (tmp_path / policy).mkdir()
    # under "matches" only topic matches join the corpus, so the first of the two is not there
    assert copies_marked(tmp_path, fault_server, policy) == (1 if policy == "all" else 0)


def test_the_readme_and_the_shipped_config_say_what_the_default_does() -> None:
    (key,) = [k for k in PIPELINE.keys if k.name == "corpus_policy"]
    assert key.default == "matches"
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "everything collected since" not in readme
    assert "every collected article that matched a topic" in readme and 'corpus_policy = "all"' in readme
    config = (ROOT / "config" / "monitor.toml").read_text(encoding="utf-8")
    assert "copies of articles that matched nothing are not marked" in config
