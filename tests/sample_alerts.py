"""Sample alerts made the way the pipeline makes them, from real Arabic articles in tests/fixtures.

The articles are ANT Corpus records and seed articles (tests/fixtures/quality/topics_ant.jsonl); the
topic is the shipped `nato_iraq` rule of config/monitor.toml, plus a small second topic so a digest has
two. URLs carry tracking parameters on purpose: what is rendered must drop them.
"""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.decide.decision import build_alerts
from monitor.decide.topics import match_topic
from monitor.models import Alert, AlertItem, AlsoPublished, Decision, NearCopy
from monitor.settings.topics import Topic, parse_topics

ROOT = Path(__file__).parent.parent
RECORDS = ROOT / "tests" / "fixtures" / "quality" / "topics_ant.jsonl"
NOW = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)

# a second topic, only for showing a digest grouped by topic
NATO_RUSSIA: dict[str, Any] = {
    "threshold": 2.0,
    "require": ["nato", "russia"],
    "groups": {
        "nato": {"terms": ["الناتو", "حلف الناتو", "حلف شمال الأطلسي"], "weight": 0.0},
        "russia": {"terms": ["روسيا", "بروسيا", "موسكو", "الروسي", "الروسية", "الكرملين"], "weight": 0.0},
    },
}


def topics() -> list[Topic]:
    spec = tomllib.loads((ROOT / "config" / "monitor.toml").read_text(encoding="utf-8"))["topics"]
    return parse_topics({**spec, "nato_russia": NATO_RUSSIA})


def record(record_id: str) -> dict[str, Any]:
    for line in RECORDS.read_text(encoding="utf-8").splitlines():
        r: dict[str, Any] = json.loads(line)
        if r["id"] == record_id:
            return r
    raise KeyError(record_id)


def alerts_for(record_id: str, minutes_ago: int = 0) -> list[Alert]:
    r = record(record_id)
    results = tuple(match_topic(t, r["title"], r["text"]) for t in topics())
    decision = Decision(article_id=f"a_{record_id[:20]}", near_copy=NearCopy(None, 0.0), topics=results)
    return build_alerts(
        decision,
        title=r["title"],
        url=f"https://news.example/{record_id}?utm_source=rss&utm_medium=feed&id=7",
        # the seed articles have no feed name; a mixed-direction one also exercises the isolation
        source="بذور monitor" if r["source"] == "seed" else str(r["source"]),
        published=NOW - timedelta(minutes=minutes_ago + 5),
        text=r["text"],
        now=NOW - timedelta(minutes=minutes_ago),
    )


def email_sample() -> AlertItem:
    """One alert whose headline and several sentences pair the groups, with a near-copy seen later."""
    (alert,) = [a for a in alerts_for("seed-003_782780b7991aed56") if a.topic == "nato_iraq"]
    also = (AlsoPublished("a_copy", "سكاي نيوز عربية", "https://copy.example/n/1?utm_campaign=x&fbclid=abc"),)
    return AlertItem(alert, also)


def digest_sample() -> list[AlertItem]:
    """Alerts of a digest period: two topics, one article alerting on both, one with more than 5 passages."""
    ids = ("seed-002_9437a1e7acd15525", "ant2-AL-internationalNews-480-20180315", "seed-000_83a70512d7ec6fc6")
    found = [a for n, record_id in enumerate(ids) for a in alerts_for(record_id, minutes_ago=10 * n)]
    return [AlertItem(a) for a in sorted(found, key=lambda a: a.created_at)]
