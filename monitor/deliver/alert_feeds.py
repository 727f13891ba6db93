"""A topic's alerts as an Atom feed (RFC 4287) or a JSON Feed 1.1, for following them in a feed reader.

Made from the topic's alerts, newest first. Entry ids are the alerts' stable ids, so a reader
never shows the same alert twice however often it polls, and one re-polled after a restart sees no
change. An entry's content is the e-mail's alert block (passages with their hits marked) as escaped HTML,
Atom `type="html"` and JSON Feed `content_html`; `content_text` keeps the plain form.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from monitor.deliver.render import AlertItem, AlertView, AlsoPublished, alert_html, alert_text, alert_view
from monitor.deliver.render.labels import DEFAULT_LANGUAGE, DEFAULT_TIMEZONE, isolate, word
from monitor.models import Alert, Evidence
from monitor.store.reads import Database, FeedAlert, topic_alerts

ATOM_NS = "http://www.w3.org/2005/Atom"
FORMATS = {"atom": "application/atom+xml; charset=utf-8", "json": "application/feed+json; charset=utf-8"}
# XML 1.0 forbids most control characters; a scraped title may carry one, and one bad character would
# make a reader reject the whole feed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", text)


def _evidence(raw: list[dict[str, object]]) -> tuple[Evidence, ...]:
    """The stored evidence JSON back as Evidence; an item of the wrong shape is skipped, not fatal."""
    found = []
    for item in raw:
        if not isinstance(item, dict) or not item.get("sentence"):
            continue
        start = item.get("start")
        found.append(Evidence(
            group=str(item.get("group", "")), term=str(item.get("term", "")), matched=str(item.get("matched", "")),
            start=start if isinstance(start, int) else 0, sentence=str(item.get("sentence", "")),
        ))
    return tuple(found)


def _view(alert: FeedAlert, language: str, timezone: str) -> AlertView:
    as_sent = Alert(
        alert_id=alert.alert_id, article_id="", topic=alert.topic, score=alert.score, threshold=alert.threshold,
        evidence=_evidence(alert.evidence), title=alert.title, url=alert.url, source=alert.source,
        published=alert.published, snippet=alert.snippet, created_at=alert.created_at, reason=alert.reason,
    )
    also = tuple(AlsoPublished("", s, u) for s, u in alert.also_published)
    return alert_view(AlertItem(as_sent, also), language=language, timezone=timezone)


def _entry_html(view: AlertView) -> str:
    # a reader shows the entry inside its own (often left-to-right) page: the block says its direction
    return f'<div dir="rtl" lang="{view.language}">{alert_html(view, heading="h3")}</div>'


def _feed_title(topic: str, language: str) -> str:
    return f"{word('alerts', language)}: {isolate(topic)}"


def atom(alerts: list[FeedAlert], topic: str, self_url: str | None = None,
         now: datetime | None = None, *, language: str = DEFAULT_LANGUAGE,
         timezone: str = DEFAULT_TIMEZONE) -> bytes:
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = _clean(text)
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "ar"})
    sub(feed, "id", f"urn:monitor:alerts:{topic}")
    sub(feed, "title", _feed_title(topic, language))
    # a feed's updated is its newest entry's; an empty feed has not changed since "now" as far as we know
    updated = alerts[0].created_at if alerts else (now or datetime.now(UTC))
    sub(feed, "updated", _rfc3339(updated))
    sub(feed, "generator", "monitor")
    author = sub(feed, "author")
    sub(author, "name", "monitor")
    if self_url:
        sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    for alert in alerts:
        view = _view(alert, language, timezone)
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:monitor:alert:{alert.alert_id}")
        sub(entry, "title", alert.title or alert.url)
        if alert.url:
            sub(entry, "link", rel="alternate", href=_clean(view.url))
        sub(entry, "updated", _rfc3339(alert.created_at))
        sub(entry, "published", _rfc3339(alert.published or alert.created_at))
        entry_author = sub(entry, "author")
        sub(entry_author, "name", alert.source or "unknown source")
        sub(entry, "category", term=topic)
        sub(entry, "summary", alert.snippet)
        # ElementTree escapes the markup: readers unescape it once and render the HTML (RFC 4287 §3.1.1.2)
        sub(entry, "content", _entry_html(view), type="html")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def json_feed(alerts: list[FeedAlert], topic: str, self_url: str | None = None, *,
              language: str = DEFAULT_LANGUAGE, timezone: str = DEFAULT_TIMEZONE) -> bytes:
    views = {alert.alert_id: _view(alert, language, timezone) for alert in alerts}
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": _feed_title(topic, language),
        "language": "ar",
        "items": [
            {
                "id": alert.alert_id,
                "url": alert.url,
                "title": alert.title,
                "summary": alert.snippet,
                "content_html": _entry_html(views[alert.alert_id]),
                "content_text": alert_text(views[alert.alert_id]),
                "date_published": _rfc3339(alert.published or alert.created_at),
                "date_modified": _rfc3339(alert.created_at),
                "authors": [{"name": alert.source}],
                "tags": [topic],
                # JSON Feed extensions start with an underscore
                "_monitor": {"score": alert.score, "threshold": alert.threshold, "reason": alert.reason,
                             "evidence": alert.evidence,
                             "also_published": [{"source": s, "url": u} for s, u in alert.also_published]},
            }
            for alert in alerts
        ],
    }
    if self_url:
        feed["feed_url"] = self_url
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")


def render(database_path: Database, topic: str, fmt: str, *, limit: int = 50,
           self_url: str | None = None, language: str = DEFAULT_LANGUAGE,
           timezone: str = DEFAULT_TIMEZONE) -> bytes:
    """The feed of `topic` in `fmt` ("atom" or "json"), its words in `language`, times in `timezone`."""
    alerts = topic_alerts(database_path, topic, limit)
    if fmt == "atom":
        return atom(alerts, topic, self_url, language=language, timezone=timezone)
    if fmt == "json":
        return json_feed(alerts, topic, self_url, language=language, timezone=timezone)
    raise ValueError(f"unknown feed format {fmt!r} (known: {', '.join(FORMATS)})")
