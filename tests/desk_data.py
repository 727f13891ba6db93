"""A real database for the desk tests, filled the way the pipeline fills it: articles, decisions by the
configured topics, alerts and deliveries in the outbox, the search index. Some titles and texts are hostile."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.decide.decision import article_id_for, build_alerts, decide
from monitor.decide.near_copies import MemoryCorpusIndex
from monitor.decide.topics import Topic
from monitor.desk.auth import hash_password, token_digest
from monitor.models import ExtractedText
from monitor.settings.config import load_config
from monitor.store import outbox
from monitor.store.articles import NewArticle
from monitor.store.database import Store
from monitor.store.opening import open_postgres_outbox, open_store
from monitor.store.outbox_store import Outbox, open_outbox_store

ROOT = Path(__file__).parent.parent
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FEED = "https://news.example/rss"
PASSWORD = "كلمة-سر-طويلة"
EDITOR_TOKEN = "editor-token-0123456789"
VIEWER_TOKEN = "viewer-token-0123456789"

NATO = (
    "حلف شمال الأطلسي يوسع مهمته في العراق",
    "أعلن حلف شمال الأطلسي اليوم توسيع بعثته في العراق لتدريب القوات العراقية.\n"
    "وقال الأمين العام للحلف إن بعثة الناتو في العراق ستضم مئات المدربين الإضافيين.\n"
    "ورحبت الحكومة العراقية بقرار الحلف.",
)
HOSTILE_TITLE = "<script>alert('x')</script> الناتو و\u202eالعراق"
HOSTILE = (
    HOSTILE_TITLE,
    "<img src=x onerror=alert(1)> قُتل جنديان من قوات الناتو في هجوم بطائرة مسيرة على قاعدة عين الأسد في العراق.\n"
    "وقال مسؤول في الناتو إن التحقيق في الهجوم على القاعدة في العراق سيستمر حتى <b>العام المقبل</b>.",
)
OTHER = (
    "أسعار النفط ترتفع في الأسواق",
    "ارتفعت أسعار النفط اليوم بعد قرار أوبك خفض الإنتاج، وقال محللون إن الأسواق تترقب.",
)


@functools.cache
def topics() -> tuple[Topic, ...]:
    return load_config(ROOT / "config" / "monitor.toml").topics


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: once per test run


def desk_table(**changes: Any) -> dict[str, Any]:
    """A [desk] table with an editor (huda), a viewer (sami) and a token of each role."""
    table: dict[str, Any] = {
        "port": 0,
        "secret_key": "test-secret",
        "users": {"huda": {"role": "editor", "password_hash": _password_hash()},
                  "sami": {"role": "viewer", "password_hash": _password_hash()}},
        "tokens": {"bot": {"role": "editor", "sha256": token_digest(EDITOR_TOKEN)},
                   "reader": {"role": "viewer", "sha256": token_digest(VIEWER_TOKEN)}},
    }
    table.update(changes)
    return table


@dataclass(frozen=True)
class Ids:
    nato: str
    hostile: str
    other: str
    failed_delivery: str
    nato_alert: str


def _article(store: Store, index: MemoryCorpusIndex, all_topics: tuple[Topic, ...], url: str, title: str, text: str,
             seen: datetime, source: str = "الجزيرة", link: str | None = None) -> tuple[str, list[str]]:
    article_id = article_id_for(url)
    decision = decide(article_id, title, text, index, all_topics)
    alerts = build_alerts(decision, title=title, url=link or url, source=source,
                          published=seen - timedelta(minutes=3), text=text, now=seen)
    store.record_article(
        NewArticle(article_id=article_id, canonical_url=url, url=link or url, feed_url=FEED, guid=url, source=source,
                   extracted=ExtractedText(title=title, text=text, language="ar", method="page"), summary="",
                   published=seen - timedelta(minutes=3), seen_at=seen),
        decision, alerts, channels_for=lambda topic: ["newsroom"],
    )
    index.add(article_id, text)
    return article_id, [a.alert_id for a in alerts]


def build(path: Path, url: str | None = None) -> Ids:
    """Fill the SQLite file at `path`, or the PostgreSQL database at `url` when given, through the store."""
    all_topics = topics()
    store = open_store(path, url)
    try:
        store.add_feed(FEED, "الجزيرة", NOW - timedelta(days=3))
        store.update_feed(FEED, {"last_success_at": (NOW - timedelta(hours=1)).isoformat(), "last_status": "ok",
                                 "items_per_day": 12.5})
        index = MemoryCorpusIndex()
        nato, nato_alerts = _article(store, index, all_topics, "https://news.example/nato", *NATO,
                                     seen=NOW - timedelta(hours=2))
        hostile, hostile_alerts = _article(store, index, all_topics, "https://news.example/x", *HOSTILE,
                                           seen=NOW - timedelta(hours=1), link="javascript:alert(document.cookie)")
        other, _ = _article(store, index, all_topics, "https://news.example/oil", *OTHER, seen=NOW)
        assert nato_alerts and hostile_alerts, "the fixture articles must raise alerts"
    finally:
        store.close()
    # the NATO alert's delivery failed for good: the one to retry
    failed = outbox.delivery_id(nato_alerts[0], "newsroom")
    deliveries: Outbox = open_postgres_outbox(url) if url else open_outbox_store(path)
    try:
        rows = [r for r in deliveries.pending() if r.id == failed]
        attempt = outbox.AttemptRecord("msg-1", NOW, NOW, "failed", 500, "HTTP 500 from the newsroom hook")
        reserved = deliveries.reserve_attempt(rows, attempt.message_id, NOW)
        deliveries.finish_attempt(reserved, attempt, new_status=outbox.FAILED, next_attempt_at=None)
    finally:
        deliveries.close()
    return Ids(nato, hostile, other, failed, nato_alerts[0])


@dataclass(frozen=True)
class StoryIds:
    second: str  # another outlet's report of the NATO event, in the NATO article's story
    third: str
    second_alert: str
    third_alert: str


def add_story_reports(path: Path, url: str | None = None) -> StoryIds:
    """Two more outlets report the NATO decision in their own words (not near-copies): both join the NATO
    article's story and both alert, as on a real news day."""
    store = open_store(path, url)
    try:
        index = MemoryCorpusIndex()
        second, second_alerts = _article(
            store, index, topics(), "https://other.example/1",
            "الناتو يقرر توسيع بعثته التدريبية في العراق إلى مئات المدربين",
            "قرر حلف شمال الأطلسي توسيع بعثته في العراق، وقال الأمين العام للحلف إن مئات المدربين الإضافيين"
            " سينضمون إلى مهمة تدريب القوات العراقية. ورحبت بغداد بالقرار.",
            seen=NOW + timedelta(minutes=30), source="العربية")
        third, third_alerts = _article(
            store, index, topics(), "https://third.example/2",
            "<b>بغداد</b> ترحب بقرار الناتو توسيع مهمته التدريبية في العراق",
            "رحبت الحكومة العراقية بقرار حلف شمال الأطلسي توسيع بعثته لتدريب القوات العراقية، بعد أن أعلن الأمين"
            " العام للحلف إضافة مئات المدربين.",
            seen=NOW + timedelta(minutes=50), source="سكاي نيوز عربية")
        assert second_alerts and third_alerts, "the story's later reports must alert"
    finally:
        store.close()
    return StoryIds(second, third, second_alerts[0], third_alerts[0])
