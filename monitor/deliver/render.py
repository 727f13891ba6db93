"""Alert -> what a channel sends: the JSON payload (webhook body and JSONL line) and e-mail text/HTML parts.

OWNER: alert delivery (issue 4). Pure functions, no I/O. All article text is untrusted: the HTML part
escapes every piece of it, links are only made of http(s) URLs, and header values are flattened to one
line so a headline cannot inject e-mail headers.

The payload shape is documented in docs/webhook-payload.schema.json; change both together.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.models import AlertItem, Evidence
from monitor.schedule.feed_health import FeedWarning

PAYLOAD_VERSION = 1
SUBJECT_TITLE_MAX = 120


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # the pipeline stores UTC; an unlabelled value is UTC, not local time
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _human_time(value: datetime | None) -> str:
    if value is None:
        return "unknown"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def one_line(text: str, limit: int | None = None) -> str:
    """Collapse all whitespace (incl. CR/LF, so nothing can start a new header) and cut to `limit` chars."""
    flat = " ".join(text.split())
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat


def _safe_url(url: str) -> str | None:
    """Only http(s) URLs become links; a `javascript:` URL from a hostile feed must not be clickable."""
    return url if re.match(r"^https?://", url.strip(), re.IGNORECASE) else None


# --- JSON payload --------------------------------------------------------------------------------------


def alert_data(item: AlertItem) -> dict[str, Any]:
    a = item.alert
    return {
        "alert_id": a.alert_id,
        "topic": a.topic,
        "score": round(a.score, 4),
        "threshold": a.threshold,
        "reason": a.reason,
        "evidence": [
            {"group": e.group, "term": e.term, "matched": e.matched, "start": e.start, "sentence": e.sentence}
            for e in a.evidence
        ],
        "article": {
            "id": a.article_id,
            "title": a.title,
            "url": a.url,
            "source": a.source,
            "published": _iso(a.published),
            "snippet": a.snippet,
        },
        "also_published": [{"article_id": p.article_id, "source": p.source, "url": p.url} for p in item.also_published],
        "created_at": _iso(a.created_at),
    }


def alert_payload(item: AlertItem) -> dict[str, Any]:
    """The webhook body and JSONL line for one alert. Stable across retries: no send time in it."""
    return {
        "type": "alert.created",
        "version": PAYLOAD_VERSION,
        "timestamp": _iso(item.alert.created_at),
        "data": alert_data(item),
    }


def digest_payload(items: Sequence[AlertItem], period_start: datetime, period_end: datetime) -> dict[str, Any]:
    return {
        "type": "alert.digest",
        "version": PAYLOAD_VERSION,
        "timestamp": _iso(period_end),
        "data": {
            "period_start": _iso(period_start),
            "period_end": _iso(period_end),
            "count": len(items),
            "alerts": [alert_data(i) for i in items],
        },
    }


def console_line(item: AlertItem) -> str:
    a = item.alert
    also = f" (+{len(item.also_published)} also published)" if item.also_published else ""
    return (
        f"ALERT {a.alert_id} topic={a.topic} score={a.score:.3f}/{a.threshold:g} "
        f"source={one_line(a.source)!r} title={one_line(a.title, 160)!r} url={a.url}{also}"
    )


# --- e-mail --------------------------------------------------------------------------------------------


def subject(item: AlertItem, prefix: str) -> str:
    a = item.alert
    head = f"{prefix} " if prefix else ""
    return one_line(f"{head}{a.topic}: {one_line(a.title, SUBJECT_TITLE_MAX)}")


def highlight_html(ev: Evidence) -> str:
    """The evidence sentence, escaped, with the matched words wrapped in <mark>."""
    sentence = ev.sentence
    at = sentence.find(ev.matched) if ev.matched else -1
    if at < 0:
        return html.escape(sentence)
    end = at + len(ev.matched)
    return (
        html.escape(sentence[:at]) + "<mark>" + html.escape(sentence[at:end]) + "</mark>" + html.escape(sentence[end:])
    )


def highlight_text(ev: Evidence) -> str:
    at = ev.sentence.find(ev.matched) if ev.matched else -1
    if at < 0:
        return ev.sentence
    end = at + len(ev.matched)
    return f"{ev.sentence[:at]}«{ev.sentence[at:end]}»{ev.sentence[end:]}"


def _alert_text(item: AlertItem) -> str:
    a = item.alert
    lines = [
        a.title,
        "",
        f"Topic: {a.topic} (score {a.score:.3f}, threshold {a.threshold:g})",
        f"Source: {a.source}",
        f"Published: {_human_time(a.published)}",
    ]
    if a.reason:
        lines.append(f"Why: {a.reason}")
    if a.evidence:
        lines += ["", "Evidence:"]
        lines += [f"  - [{e.group}] {highlight_text(e)}" for e in a.evidence]
    if a.snippet:
        lines += ["", a.snippet]
    lines += ["", f"Link: {a.url}"]
    if item.also_published:
        lines += ["", "Also published by:"]
        lines += [f"  - {p.source}: {p.url}" for p in item.also_published]
    lines += ["", f"Alert id: {a.alert_id}"]
    return "\n".join(lines)


def _link(url: str, label: str | None = None) -> str:
    safe = _safe_url(url)
    text = html.escape(label if label is not None else url)
    if safe is None:
        return f'<bdi dir="ltr">{text}</bdi>'
    # a bare URL reads left-to-right even inside an RTL paragraph; an Arabic label keeps the page's direction
    direction = ' dir="ltr"' if label is None else ""
    return f'<a{direction} href="{html.escape(safe, quote=True)}">{text}</a>'


def _alert_html(item: AlertItem, heading: str = "h2") -> str:
    a = item.alert
    title = _link(a.url, a.title) if _safe_url(a.url) else html.escape(a.title)
    published = f'<time datetime="{html.escape(_iso(a.published) or "")}">{html.escape(_human_time(a.published))}'
    parts = [
        f'<{heading} style="margin:0 0 8px">{title}</{heading}>',
        '<p style="color:#555;margin:0 0 8px">'
        f"<strong>{html.escape(a.source)}</strong> · "
        f"{published}</time>"
        f" · {html.escape(a.topic)} ({a.score:.3f} / {a.threshold:g})</p>",
    ]
    if a.reason:
        parts.append(f'<p style="color:#555;margin:0 0 8px">{html.escape(a.reason)}</p>')
    if a.evidence:
        items = "".join(
            f'<li><span style="color:#777">[{html.escape(e.group)}]</span> {highlight_html(e)}</li>' for e in a.evidence
        )
        parts.append(f'<ul class="evidence">{items}</ul>')
    if a.snippet:
        parts.append(f"<blockquote>{html.escape(a.snippet)}</blockquote>")
    parts.append(f"<p>{_link(a.url)}</p>")
    if item.also_published:
        also = "".join(f"<li>{html.escape(p.source)}: {_link(p.url)}</li>" for p in item.also_published)
        parts.append(f"<p>Also published by:</p><ul>{also}</ul>")
    parts.append(f'<p style="color:#999;font-size:small">Alert id: <bdi dir="ltr">{html.escape(a.alert_id)}</bdi></p>')
    return "\n".join(parts)


def _html_document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html dir="rtl" lang="ar">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        '<body dir="rtl" style="font-family:Tahoma,Arial,sans-serif;text-align:right">\n'
        f"{body}\n</body>\n</html>\n"
    )


def email_content(item: AlertItem, prefix: str) -> EmailContent:
    subj = subject(item, prefix)
    return EmailContent(subj, _alert_text(item) + "\n", _html_document(subj, _alert_html(item)))


def digest_email_content(
    items: Sequence[AlertItem], prefix: str, period_start: datetime, period_end: datetime
) -> EmailContent:
    topics = ", ".join(dict.fromkeys(i.alert.topic for i in items))
    head = f"{prefix} " if prefix else ""
    subj = one_line(f"{head}digest: {len(items)} alert{'s' if len(items) != 1 else ''} ({topics})", 200)
    period = f"{_human_time(period_start)} – {_human_time(period_end)}"
    text = f"{len(items)} alerts, {period}\n\n" + "\n\n----------\n\n".join(_alert_text(i) for i in items)
    body = f"<h1>{html.escape(subj)}</h1><p>{html.escape(period)}</p>\n" + "\n<hr>\n".join(
        _alert_html(i, heading="h3") for i in items
    )
    return EmailContent(subj, text + "\n", _html_document(subj, body))


# --- feed warnings (not alerts: operational, in English, no RTL) --------------------------------------


def feed_warning_payload(w: FeedWarning) -> dict[str, Any]:
    """Webhook body / JSONL line for a feed that has gone too long without a successful poll."""
    return {
        "type": "feed.unhealthy",
        "version": PAYLOAD_VERSION,
        "timestamp": _iso(w.created_at),
        "data": {
            "warning_id": w.warning_id,
            "feed": {"url": w.feed_url, "name": w.feed_name},
            "last_success_at": _iso(w.last_success_at),
            "since": _iso(w.since),
            "hours_without_success": round(w.hours_without_success, 2),
            "consecutive_failures": w.consecutive_failures,
            "last_error": w.last_error,
            "created_at": _iso(w.created_at),
        },
    }


def feed_warning_line(w: FeedWarning) -> str:
    return (
        f"FEED WARNING {w.warning_id} feed={one_line(w.feed_name)!r} url={w.feed_url} "
        f"no success for {w.hours_without_success:.1f}h (last success {_human_time(w.last_success_at)}), "
        f"{w.consecutive_failures} failures, last error: {one_line(w.last_error or 'none', 300)}"
    )


def feed_warning_email_content(w: FeedWarning, prefix: str) -> EmailContent:
    head = f"{prefix} " if prefix else ""
    subj = one_line(f"{head}feed unhealthy: {one_line(w.feed_name, SUBJECT_TITLE_MAX)}", 200)
    facts = [
        ("Feed", w.feed_name),
        ("URL", w.feed_url),
        ("Last success", _human_time(w.last_success_at) if w.last_success_at else "never (since it was added)"),
        ("Without success since", _human_time(w.since)),
        ("Hours without success", f"{w.hours_without_success:.1f}"),
        ("Consecutive failures", str(w.consecutive_failures)),
        ("Last error", w.last_error or "none recorded"),
        ("Warning id", w.warning_id),
    ]
    text = "\n".join(f"{k}: {v}" for k, v in facts) + "\n"
    rows = "".join(f"<tr><th align=\"left\">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts)
    body = (
        f"<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{html.escape(subj)}</title>"
        f"</head>\n<body>\n<h1>{html.escape(subj)}</h1>\n<table>{rows}</table>\n</body>\n</html>\n"
    )
    return EmailContent(subj, text, body)
