"""Evidence -> passages, and the Arabic/English words, bidi isolation and times around an alert."""

from __future__ import annotations

import html.parser
import json
from datetime import UTC, datetime

from monitor.deliver import alert_feeds
from monitor.deliver.render import (
    AlertItem,
    AlsoPublished,
    alert_data,
    alert_view,
    digest_email_content,
    email_content,
)
from monitor.deliver.render.labels import FSI, PDI, count_alerts, more_passages, reason, time_text
from monitor.deliver.render.passages import build_passages, passage_json, segments, select
from monitor.models import Evidence
from tests.helpers_delivery import make_alert
from tests.sample_alerts import alerts_for, digest_sample, email_sample

S1 = "قال الحلف إن الناتو سيبقى في العراق مع بعثة الناتو."
S2 = "وأضاف أن بغداد طلبت ذلك."


def ev(group: str, matched: str, start: int, sentence: str) -> Evidence:
    return Evidence(group=group, term=matched, matched=matched, start=start, sentence=sentence)


def test_each_sentence_once_in_article_order_with_every_hit_marked() -> None:
    evidence = [
        ev("iraq", "بغداد", 80, S2),
        ev("nato", "الناتو", 13, S1),
        ev("iraq", "العراق", 30, S1),
        ev("nato", "الناتو", 45, S1),  # the second "الناتو" of the same sentence
        ev("nato", "الناتو", 13, S1),  # reported twice: one hit
    ]
    first, second = build_passages(evidence)
    assert (first.sentence, second.sentence) == (S1, S2)
    assert first.groups == ("nato", "iraq") and first.pairs_groups and not second.pairs_groups
    marked = [run for run, hit in segments(first) if hit]
    assert marked == ["الناتو", "العراق", "الناتو"]
    assert [h.start for h in first.highlights] == [S1.find("الناتو"), S1.find("العراق"), S1.rfind("الناتو")]
    assert "".join(run for run, _ in segments(first)) == S1
    at = S2.find("بغداد")
    assert passage_json(second)["highlights"] == [
        {"start": at, "end": at + 5, "group": "iraq", "term": "بغداد", "text": "بغداد"}
    ]


def test_overlapping_hits_merge_into_one_mark() -> None:
    (p,) = build_passages([ev("nato", "بعثة الناتو", 40, S1), ev("mission", "بعثة", 40, S1)])
    assert [run for run, hit in segments(p) if hit] == ["بعثة الناتو"]


def test_limit_keeps_pairing_passages_first_then_article_order() -> None:
    sentences = [f"جملة رقم {n} عن الناتو والعراق." if n % 2 else f"جملة رقم {n} عن الناتو." for n in range(8)]
    evidence = [ev("nato", "الناتو", n * 100, s) for n, s in enumerate(sentences)]
    evidence += [ev("iraq", "والعراق", n * 100 + 5, s) for n, s in enumerate(sentences) if n % 2]
    chosen = select(build_passages(evidence), limit=5)
    assert chosen.more == 3
    assert [p.sentence for p in chosen.shown] == [sentences[n] for n in (0, 1, 3, 5, 7)]


def test_a_real_article_gives_each_sentence_once() -> None:
    # the shipped rule on a real article: 24 evidence rows for 7 sentences
    (alert,) = [a for a in alerts_for("seed-002_9437a1e7acd15525") if a.topic == "nato_iraq"]
    assert len(alert.evidence) > 20
    passages = build_passages(alert.evidence, alert.title)
    assert len(passages) == len({e.sentence for e in alert.evidence}) < len(alert.evidence)
    content = email_content(AlertItem(alert), "")
    for p in passages:
        assert content.html.count(p.sentence[:40]) <= 1 and content.text.count(p.sentence[:40]) <= 1
    # five passages shown, the rest counted in words
    # five passages listed (the lead's own sentence is shown as the lead, not again), the rest counted in words
    view = alert_view(AlertItem(alert))
    assert len(view.passages.shown) == 5 and view.passages.more > 0 and content.html.count("<li") == 5
    assert more_passages(view.passages.more, "ar") in content.html


def test_arabic_counts_and_more() -> None:
    assert [count_alerts(n, "ar") for n in (1, 2, 3, 11)] == ["تنبيه واحد", "تنبيهان", "3 تنبيهات", "11 تنبيهًا"]
    assert count_alerts(2, "en") == "2 alerts" and count_alerts(1, "en") == "1 alert"
    assert [more_passages(n, "ar") for n in (1, 2, 4, 12)] == ["ومقطع آخر", "ومقطعان آخران", "و 4 مقاطع أخرى",
                                                               "و 12 مقطعًا آخر"]  # fmt: skip
    assert more_passages(3, "en") == "and 3 more passages"


def test_reason_from_facts_values_isolated() -> None:
    ar = reason(6.0, 2.0, ["nato", "iraq"], 2, "ar")
    assert ar == f"مطابقة: الدرجة {FSI}6{PDI} ≥ {FSI}2{PDI}؛ {FSI}nato{PDI} و {FSI}iraq{PDI} معًا في جملتين"
    assert reason(6.5, 2.0, ["nato"], 1, "en").startswith(f"match: score {FSI}6.50{PDI} ≥ {FSI}2{PDI}")


def test_times_in_the_zone_with_utc_beside() -> None:
    moment = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
    assert time_text(moment, "Asia/Baghdad", "ar") == (
        f"{FSI}2026-11-23 12:45{PDI} بتوقيت {FSI}بغداد{PDI} ({FSI}09:45 UTC{PDI})"
    )
    late = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)  # already the next day in Baghdad
    assert f"{FSI}2026-11-24 01:30{PDI}" in time_text(late, "Asia/Baghdad", "en")
    assert f"{FSI}2026-11-23 22:30 UTC{PDI}" in time_text(late, "Asia/Baghdad", "en")
    assert time_text(moment, "UTC", "ar") == f"{FSI}2026-11-23 09:45 UTC{PDI}"
    assert time_text(moment, "Not/AZone", "ar") == f"{FSI}2026-11-23 09:45 UTC{PDI}"  # shown, not fatal


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.bdi_texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1] == "bdi":
            self.bdi_texts.append(data)


def test_email_isolates_every_embedded_value_and_links_are_canonical() -> None:
    alert = make_alert(1, url="https://example.com/news/1?utm_source=rss&id=3", source="BBC Arabic")
    item = AlertItem(alert, (AlsoPublished("a2", "Sky", "https://sky.example/2?fbclid=x"),))
    content = email_content(item, "[m]")
    tags = _Tags()
    tags.feed(content.html)
    assert {"BBC Arabic", "nato_iraq", "2026-11-23 12:55", "09:55 UTC", "nato", "iraq", "Sky"} <= set(tags.bdi_texts)
    assert "utm_source" not in content.html and "fbclid" not in content.html and "id=3" in content.html
    assert "utm_source" not in content.text and "fbclid" not in content.text
    assert f"المصدر: {FSI}BBC Arabic{PDI}" in content.text
    assert f"الرابط: {FSI}https://example.com/news/1?id=3{PDI}" in content.text
    assert "نُشر أيضًا في" in content.html and "Also published" not in content.html
    assert content.text.count(FSI) == content.text.count(PDI)


def test_a_hostile_headline_cannot_unbalance_the_isolates() -> None:
    alert = make_alert(1, source=f"مصدر{PDI}{PDI}\u202e", title=f"عنوان{PDI}")
    content = email_content(AlertItem(alert), "")
    assert content.text.count(FSI) == content.text.count(PDI)
    assert "\u202e" not in content.text


def test_english_on_request() -> None:
    content = email_content(AlertItem(make_alert(1)), "[m]", language="en", timezone="UTC")
    assert 'lang="en"' in content.html and 'dir="rtl"' in content.html  # labels English, the article Arabic
    assert "Source:" in content.text and "Published: " + FSI + "2026-11-23 09:55 UTC" + PDI in content.text
    assert "Why: groups nato+iraq in one sentence" in content.text  # the matcher's own line, in English


def test_digest_counts_per_topic_then_sections() -> None:
    items = digest_sample()
    content = digest_email_content(items, "[m]", items[0].alert.created_at, items[-1].alert.created_at)
    text = content.text
    assert content.subject == "[m] ملخص: 5 تنبيهات (nato_iraq, nato_russia)"
    assert text.index(f"{FSI}nato_iraq{PDI}: 3 تنبيهات") < text.index(f"{FSI}nato_russia{PDI}: تنبيهان")
    iraq_at = text.index(f"== الموضوع: {FSI}nato_iraq{PDI}")
    russia_at = text.index(f"== الموضوع: {FSI}nato_russia{PDI}")
    for i in items:
        # each alert in its topic's section
        at = text.index(i.alert.alert_id)
        assert (iraq_at < at < russia_at) if i.alert.topic == "nato_iraq" else at > russia_at
    assert "الفترة: من " in text


def test_payload_passages_match_the_email(tmp_path: object) -> None:
    item = email_sample()
    data = alert_data(item)
    assert data["evidence"] and len(data["passages"]) == len({e.sentence for e in item.alert.evidence})
    for p in data["passages"]:
        for h in p["highlights"]:
            assert p["sentence"][h["start"] : h["end"]] == h["text"]
    assert json.loads(json.dumps(data)) == data


def test_json_feed_has_html_content_with_marks() -> None:
    item = email_sample()
    a = item.alert
    feed_alert = alert_feeds.FeedAlert(
        alert_id=a.alert_id, topic=a.topic, title=a.title, url=a.url, source=a.source, published=a.published,
        created_at=a.created_at, snippet=a.snippet, reason=a.reason, score=a.score, threshold=a.threshold,
        evidence=[{"group": e.group, "term": e.term, "matched": e.matched, "start": e.start, "sentence": e.sentence}
                  for e in a.evidence] + [{"broken": True}],
        also_published=[("Sky", "https://sky.example/2?utm_medium=x")],
    )
    (entry,) = json.loads(alert_feeds.json_feed([feed_alert], a.topic))["items"]
    assert entry["content_html"].startswith('<div dir="rtl" lang="ar">') and "<mark>" in entry["content_html"]
    assert "utm_" not in entry["content_html"] and "utm_" not in entry["content_text"]
    view = alert_view(item)
    assert all(p.sentence in entry["content_text"] or p.sentence[:30] in entry["content_text"]
               for p in view.passages.shown)  # fmt: skip
