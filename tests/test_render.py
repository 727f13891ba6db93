"""Rendering an alert: the JSON payload and the e-mail parts. Article text is hostile until escaped."""

from __future__ import annotations

import html.parser
import json
from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.deliver.render import (
    alert_payload,
    digest_email_content,
    digest_payload,
    email_content,
    one_line,
)
from monitor.models import AlertItem, AlsoPublished, Evidence
from tests.helpers_delivery import make_alert

ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "div", "h1", "h2", "h3", "p", "strong", "time", "ul", "li",
                "span", "mark", "blockquote", "a", "bdi", "hr"}  # fmt: skip


class _Collect(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(doc: str) -> _Collect:
    c = _Collect()
    c.feed(doc)
    c.close()
    return c


def test_payload_carries_every_field_and_is_json() -> None:
    alert = make_alert(1)
    item = AlertItem(alert, (AlsoPublished("a2", "Sky", "https://sky.example/2"),))
    payload = alert_payload(item)
    assert json.loads(json.dumps(payload)) == payload
    data = payload["data"]
    assert payload["type"] == "alert.created" and payload["timestamp"] == "2026-11-23T10:00:00Z"
    assert (data["alert_id"], data["topic"], data["score"], data["threshold"], data["reason"]) == (
        alert.alert_id, alert.topic, round(alert.score, 4), alert.threshold, alert.reason,
    )  # fmt: skip
    assert data["evidence"] == [
        {"group": e.group, "term": e.term, "matched": e.matched, "start": e.start, "sentence": e.sentence}
        for e in alert.evidence
    ]
    assert data["article"] == {
        "id": alert.article_id, "title": alert.title, "url": alert.url, "source": alert.source,
        "published": "2026-11-23T09:55:00Z", "snippet": alert.snippet,
    }  # fmt: skip
    assert data["also_published"] == [{"article_id": "a2", "source": "Sky", "url": "https://sky.example/2"}]


def test_digest_payload_lists_alerts() -> None:
    items = [AlertItem(make_alert(n)) for n in (1, 2)]
    p = digest_payload(items, datetime(2026, 11, 23, 9, tzinfo=UTC), datetime(2026, 11, 23, 10, tzinfo=UTC))
    assert p["type"] == "alert.digest" and p["data"]["count"] == 2
    assert [a["alert_id"] for a in p["data"]["alerts"]] == ["alrt_0001", "alrt_0002"]


def test_subject_names_topic_and_headline_on_one_line() -> None:
    alert = make_alert(1, title="سطر أول\r\nBcc: x@y.z\n  وسطر ثان")
    content = email_content(AlertItem(alert), "[monitor]")
    assert content.subject == "[monitor] nato_iraq: سطر أول Bcc: x@y.z وسطر ثان"
    long = email_content(AlertItem(make_alert(1, title="كلمة " * 100)), "")
    assert len(long.subject) < 150 and long.subject.endswith("…")


def test_html_is_rtl_and_highlights_the_match_inside_its_sentence() -> None:
    alert = make_alert(1)
    doc = email_content(AlertItem(alert), "[m]").html
    c = parse(doc)
    assert ("html", {"dir": "rtl", "lang": "ar"}) in c.tags
    # the Arabic headline links to the article without being forced left-to-right; the bare URL is
    assert ("a", {"href": alert.url}) in c.tags and ("a", {"dir": "ltr", "href": alert.url}) in c.tags
    # both hits of the one evidence sentence are marked in a single passage, shown once
    assert "أعلن حلف <mark>الناتو</mark> توسيع مهمته في <mark>العراق</mark> لتدريب القوات العراقية." in doc
    assert doc.count("توسيع مهمته في") == 1


def test_evidence_not_found_in_sentence_is_shown_unmarked() -> None:
    ev = Evidence(group="g", term="t", matched="غائب", start=0, sentence="جملة <بلا> تطابق")
    doc = email_content(AlertItem(make_alert(1, evidence=(ev,))), "").html
    assert "جملة &lt;بلا&gt; تطابق" in doc and "<mark>" not in doc


def test_non_http_links_are_not_clickable() -> None:
    doc = email_content(AlertItem(make_alert(1, url="javascript:alert(1)")), "").html
    assert not [a for t, a in parse(doc).tags if t == "a"]
    assert "javascript:alert(1)" in doc  # still shown, as text


def test_digest_email_lists_every_alert() -> None:
    items = [AlertItem(make_alert(n)) for n in (1, 2, 3)]
    c = digest_email_content(items, "[m]", items[0].alert.created_at, items[-1].alert.created_at)
    assert c.subject == "[m] ملخص: 3 تنبيهات (nato_iraq)"
    english = digest_email_content(items, "[m]", items[0].alert.created_at, items[-1].alert.created_at, language="en")
    assert english.subject == "[m] digest: 3 alerts (nato_iraq)"
    for i in items:
        assert i.alert.title in c.text and i.alert.title in c.html


hostile = st.text(alphabet=st.sampled_from(list("<>&\"'/= scriptimgonerrorالناتو\n\r\t;:()")), max_size=60)


@settings(max_examples=300)
@given(title=hostile, snippet=hostile, source=hostile, sentence=hostile, matched=hostile, url=hostile)
def test_no_article_text_becomes_markup(
    title: str, snippet: str, source: str, sentence: str, matched: str, url: str
) -> None:
    ev = Evidence(group="g", term="t", matched=matched, start=0, sentence=sentence)
    alert = replace(make_alert(1), title=title, snippet=snippet, source=source, evidence=(ev,), url=url)
    content = email_content(AlertItem(alert), "[m]")
    c = parse(content.html)
    assert {t for t, _ in c.tags} <= ALLOWED_TAGS
    for tag, attrs in c.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        if tag == "a":
            assert (attrs.get("href") or "").lower().startswith(("http://", "https://"))
    # the text a reader sees still contains what the article said
    shown = "".join(c.text)
    assert one_line(title, 120) in one_line(shown) or not title.strip()
    assert "\n" not in content.subject and "\r" not in content.subject
