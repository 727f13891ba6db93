"""The text work done once per article (decide/analysis.py, in the extraction workers) decides as before.

"As before" is the full matcher run topic by topic on the article (the pre-checks switched off), the
fingerprint of the text and the search index's own terms: on every stored fixture article the decision,
the score, and for matches the reason and evidence are the same; the fingerprint and terms are equal.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from monitor.decide import topics as topic_rules
from monitor.decide.analysis import analyse
from monitor.decide.near_copies import fingerprint
from monitor.extract import Extractor, extract_page_text
from monitor.settings.topics import Topic, parse_topics
from monitor.store.search import terms

ROOT = Path(__file__).resolve().parents[1]
QUALITY = ROOT / "tests" / "fixtures" / "quality"
PAGES = ROOT / "tests" / "fixtures" / "pages"


@pytest.fixture(scope="module")
def topics() -> tuple[Topic, ...]:
    config = tomllib.loads((ROOT / "config" / "monitor.toml").read_text(encoding="utf-8"))
    return tuple(parse_topics(config["topics"]))


def fixture_articles() -> list[tuple[str, str]]:
    found = []
    for path in sorted(QUALITY.glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            record: dict[str, Any] = json.loads(line)
            for title_key, text_key in (("title", "text"), ("copy_title", "copy_text")):
                if isinstance(record.get(text_key), str):
                    found.append((str(record.get(title_key) or ""), str(record[text_key])))
    return found


def test_every_fixture_article_is_decided_as_by_the_full_matcher(
    topics: tuple[Topic, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = fixture_articles()
    assert len(articles) > 1000
    analysed = [analyse(title, text, topics) for title, text in articles]
    monkeypatch.setattr(topic_rules, "_may_mention", lambda topic, words: True)
    monkeypatch.setattr(topic_rules, "unmentioned_required_group", lambda topic, words: None)
    skipped = matches = 0
    for (title, text), analysis in zip(articles, analysed, strict=True):
        assert analysis.fingerprint == fingerprint(text)
        assert (analysis.title_terms, analysis.body_terms) == (" ".join(terms(title)), " ".join(terms(text)))
        for topic, quick in zip(topics, analysis.topics, strict=True):
            full = topic_rules.match_topic(topic, title, text)
            assert (quick.matched, quick.score) == (full.matched, full.score)
            if full.matched or quick.evidence:
                assert quick == full
            matches += full.matched
            skipped += quick != full
    assert matches > 50  # the set holds matches, so the comparison above covered them
    assert skipped > 0  # and the stricter pre-check answered some non-matches on its own


def test_the_worker_pool_does_the_text_work_with_the_topics_it_was_started_with(topics: tuple[Topic, ...]) -> None:
    html = (PAGES / "arabic.cnn.com.syria-clashes.html").read_bytes()
    extractor = Extractor(timeout_seconds=60, workers=1, topics=topics)
    try:
        done = extractor.analyse(html, "https://arabic.cnn.com/x", "")
    finally:
        extractor.close()
    page = extract_page_text(html, "https://arabic.cnn.com/x")
    assert done.page == page
    assert done.title == (page.title or "")
    assert done.analysis == analyse(done.title, page.text, topics)
    assert [t.name for t in done.analysis.topics] == [t.name for t in topics]


def _decisions_of(app: Any) -> dict[str, tuple[str, str, str]]:
    rows = app.store.db.execute(
        "SELECT a.url, d.matched_topics, d.topics_json, COALESCE(d.duplicate_of, '') FROM articles a"
        " JOIN decisions d ON d.article_id = a.id WHERE a.is_seed = 0"
    ).fetchall()
    return {str(url): (str(matched), str(topics_json), str(dup)) for url, matched, topics_json, dup in rows}


@pytest.mark.parametrize("pool_topics", ["configured", "none"])
def test_the_daemon_decides_on_the_workers_analysis_as_it_would_in_process(
    tmp_path: Path, fault_server: Any, pool_topics: str
) -> None:
    """Real pages through the real App (worker pool, SQLite): each stored decision is the one decide() takes
    in this process on the stored text. A pool started with other topics is not trusted for topic results."""
    from monitor.decide.decision import decide
    from monitor.decide.near_copies import MemoryCorpusIndex
    from monitor.runtime.app import App
    from monitor.settings.config import load_config
    from tests.config_files import LOOPBACK_HTTP, OPS_OFF, jsonl_channel, shipped_topics, write_config
    from tests.e2e_site import Story, article_page, fixture_articles, rss_feed

    records = list(fixture_articles().values())
    items = []
    for i, r in enumerate(records):
        fault_server.set(f"/a/{i}.html", (200, {"Content-Type": "text/html; charset=utf-8"},
                                          article_page(r["title"], r["text"], "outlet").encode()))
        items.append((Story(r["id"], r["title"], r["text"], "Mon, 23 Nov 2026 09:00:00 GMT"), f"/a/{i}.html", ""))
    fault_server.set("/rss.xml", (200, {"Content-Type": "application/rss+xml"},
                                  rss_feed("feed", fault_server.url(""), items)))
    files = write_config(tmp_path, fetch_pages=True, http={**LOOPBACK_HTTP, "per_host_min_interval": 0},
                         ops=OPS_OFF, channels=[jsonl_channel(tmp_path)], feeds=[fault_server.url("/rss.xml")],
                         topics=shipped_topics())
    config = load_config(files.config)
    app = App(config)
    if pool_topics == "none":
        app.extractor.close()  # type: ignore[union-attr]
        app.extractor = app.pipeline.extractor = Extractor(60, topics=())
    try:
        app.run_once()
        stored = _decisions_of(app)
        texts = {str(u): (str(t), str(x)) for u, t, x in app.store.db.execute(
            "SELECT url, title, text FROM articles WHERE is_seed = 0 AND extraction = 'page' ORDER BY seen_at, rowid")}
    finally:
        app.close()
    assert len(texts) == len(records)
    index = MemoryCorpusIndex()
    for seed_id, seed_text in _seeds(config):
        index.add(seed_id, seed_text)
    matched = 0
    for url, (title, text) in texts.items():
        expected = decide("x", title, text, index, config.topics)
        got_matched, got_topics, got_duplicate = stored[url]
        assert got_matched == ",".join(t.name for t in expected.matched_topics)
        assert json.loads(got_topics) == [t.to_json() for t in expected.topics]
        assert bool(got_duplicate) == (expected.duplicate_of is not None)  # ids differ: the daemon's are article ids
        matched += bool(expected.matched_topics)
        if expected.duplicate_of is None and expected.matched_topics:
            index.add(url, text)  # corpus_policy "matches": what the daemon's corpus learnt
    assert matched > 0


def _seeds(config: Any) -> list[tuple[str, str]]:
    from monitor.parse.article_files import read_seeds

    return [(seed.id, seed.text) for seed in read_seeds(config.pipeline.seeds_dir)]
