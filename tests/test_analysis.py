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
