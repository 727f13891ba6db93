"""The chat body (Apprise) from real matcher output: each evidence sentence once, hits marked, counts per
topic in a digest, values isolated, and the same passages as the e-mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.deliver.render import alert_view
from monitor.deliver.render.chat import chat_alert, chat_digest, chat_feed_warning
from monitor.deliver.render.labels import FSI, PDI
from monitor.deliver.render.passages import segments
from monitor.schedule.feed_health import FeedWarning
from tests.sample_alerts import digest_sample, email_sample


def test_alert_lists_the_emails_passages_once_each_with_hits_in_bold() -> None:
    item = email_sample()
    body = chat_alert(item).body
    view = alert_view(item)
    assert view.passages.shown
    for passage in view.passages.shown:
        assert body.count(passage.sentence[:25]) == 1
        runs = segments(passage)  # overlapping hits (مهمة inside مهمة حلف) merge into one bold run
        assert {(h.start, h.end) for h in passage.highlights}
        for text, highlighted in runs:
            if highlighted:
                assert f"**{text}**" in body
        bold = "".join(text if highlighted else " " * len(text) for text, highlighted in runs)
        assert all(bold[h.start:h.end].strip() == passage.sentence[h.start:h.end].strip() for h in passage.highlights)
    assert f"{FSI}{item.alert.topic}{PDI}".replace("_", "\\_") in body
    assert "<https://" in body and "utm_" not in body and "fbclid" not in body  # canonical links
    assert "سبب التنبيه" in body and "بغداد" in body


def test_text_format_has_no_markup() -> None:
    body = chat_alert(email_sample(), "text", language="en").body
    assert "**" not in body and "\\" not in body and "«" in body and "Why:" in body


def test_digest_counts_per_topic_then_lists_every_alert() -> None:
    items = digest_sample()
    start, end = items[0].alert.created_at, items[-1].alert.created_at
    content = chat_digest(items, start, end)
    topics = {i.alert.topic for i in items}
    assert len(topics) == 2
    head = content.body.split("\n\n")[0]
    assert all(topic.replace("_", "\\_") in head for topic in topics)
    for i in items:
        assert content.body.count(i.alert.alert_id.replace("_", "\\_")) == 1
    assert "ملخص" in content.title


def test_feed_warning_and_unknown_format() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    warning = FeedWarning("fw_1", "https://feed.test/rss", "Feed *1*", None, now, 4, "timeout", now)
    content = chat_feed_warning(warning)
    assert content.title == "feed unhealthy: Feed *1*" and "Feed \\*1\\*" in content.body
    with pytest.raises(ValueError):
        chat_alert(email_sample(), "html")
