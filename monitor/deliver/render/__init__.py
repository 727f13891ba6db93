"""Alert -> what a channel sends: the JSON payload (webhook body and JSONL line) and e-mail text/HTML parts.

Pure functions, no I/O. All article text is untrusted: the HTML part escapes every piece of it, links are
only made of http(s) URLs (canonical: tracking parameters dropped), and header values are flattened to
one line so a headline cannot inject e-mail headers.

What a reader sees is in Arabic by default (`language="en"` for English), times in `timezone` with UTC
beside, every embedded value isolated so it reads right in a right-to-left line (see labels.py), and the
evidence folded into passages (see passages.py). Both sit in this package so they count as the pure core.

The payload shape is documented in docs/webhook-payload.schema.json; change both together.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.deliver.render.labels import (
    DEFAULT_LANGUAGE,
    DEFAULT_TIMEZONE,
    FSI,
    PDI,
    basis_note,
    check_language,
    count_alerts,
    isolate,
    join_names,
    more_passages,
    reason,
    shown_time,
    strip_controls,
    time_text,
    word,
)
from monitor.deliver.render.passages import (
    DEFAULT_LIMIT,
    Highlight,
    Passage,
    Selection,
    build_passages,
    passage_json,
    segments,
    select,
)
from monitor.models import Alert
from monitor.models import AlertItem as AlertItem  # re-exported: channels and tests import it from here
from monitor.models import AlsoPublished as AlsoPublished
from monitor.schedule.feed_health import FeedWarning
from monitor.text.urls import canonical_url

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
        # what it was decided on, and whether that was the feed's text while the page was still to come
        # (then an alert.withdrawn follows if the page's text does not match): fixed when it was raised
        "basis": a.basis,
        "provisional": a.status != "final",
        "story_id": item.story_id,
        "story_size": item.story_size,
        # the evidence folded by sentence, in article order, as the e-mail shows it (all of them, no limit)
        "passages": [passage_json(p) for p in build_passages(a.evidence, a.title)],
    }


def alert_payload(item: AlertItem) -> dict[str, Any]:
    """The webhook body and JSONL line for one alert. Stable across retries: no send time in it."""
    return {
        "type": "alert.created",
        "version": PAYLOAD_VERSION,
        "timestamp": _iso(item.alert.created_at),
        "data": alert_data(item),
    }


def story_update_payload(items: Sequence[AlertItem]) -> dict[str, Any]:
    """A story.updated message: the later members of one alerted story, with their outlets and headlines."""
    latest = items[-1]
    return {
        "type": "story.updated",
        "version": PAYLOAD_VERSION,
        "timestamp": _iso(latest.alert.created_at),
        "data": {
            "story_id": latest.story_id,
            "story_size": max(i.story_size for i in items),
            "new_outlets": sorted({i.alert.source for i in items}),
            "headlines": [{"title": i.alert.title, "source": i.alert.source, "url": i.alert.url} for i in items],
            "count": len(items),
            "alerts": [alert_data(i) for i in items],
        },
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
        f"source={one_line(a.source)!r} title={one_line(a.title, 160)!r} url={a.url}{also}{_basis_tag(a)}"
    )


def _basis_tag(a: Alert) -> str:
    tag = f" basis={a.basis}" if a.basis != "full" else ""
    return f"{tag} provisional" if a.status != "final" else tag


def alert_basis(a: Alert, language: str) -> str | None:
    """The "decided on" line of an alert read on less than its page (None for a full page)."""
    return basis_note(a.basis, a.status != "final", language)


# --- what an alert shows, shared by the e-mail, the digest and the alert feeds -------------------------


@dataclass(frozen=True)
class AlertView:
    """Everything a reader sees of one alert, computed once, rendered as text or HTML."""

    item: AlertItem
    url: str  # canonical: tracking parameters dropped
    headline: Passage | None  # the headline's own hits, marked in the heading instead of listed again
    passages: Selection  # the body's passages
    reason: str  # plain text, embedded values isolated (FSI … PDI)
    lead: Passage | None  # the article's opening with the hits of the passages it holds (not listed again)
    language: str
    timezone: str


def reason_for(alert: Alert, passages: Sequence[Passage], language: str) -> str:
    """Why it fired, in the reader's language, from the score and the passages that pair groups.

    English keeps the matcher's own reason line when there is one (it also tells title/sentence/neighbour
    apart); Arabic is built from the facts, not translated from that line.
    """
    if language == "en" and alert.reason:
        return alert.reason
    paired = [p for p in passages if p.pairs_groups]
    groups = list(dict.fromkeys(g for p in paired for g in p.groups))
    return reason(alert.score, alert.threshold, groups, len(paired), language)


_MIN_OVERLAP = 12  # characters of a sentence the lead must end with to count as starting it


def _trim_lead(snippet: str, passages: Sequence[Passage]) -> str:
    """The lead, cut before a passage's sentence that it only begins (the passage shows all of it)."""
    lead = snippet.rstrip("…").strip()
    for p in passages:
        sentence = p.sentence.rstrip("…").strip()
        if not sentence or sentence in lead:
            continue
        starts = [0, *(k + 1 for k, ch in enumerate(lead) if ch == " ")]
        cut = next((k for k in starts if len(lead) - k >= _MIN_OVERLAP and sentence.startswith(lead[k:])), None)
        if cut is not None:
            lead = lead[:cut].rstrip()
            snippet = lead + " …" if lead else ""
    return snippet if lead else ""


def _absorb(text: str, passages: Sequence[Passage], *, title: bool) -> tuple[Passage | None, list[Passage]]:
    """`text` (the headline, or the lead) with the hits of the passages it contains, and the other passages.

    The heading and the lead are shown anyway; listing their sentences again would repeat them.
    """
    inside: list[tuple[int, Passage]] = []
    rest = []
    for p in passages:
        at = text.find(p.sentence.rstrip("…").strip()) if text and p.in_title == title else -1
        if at < 0:
            rest.append(p)
        else:
            inside.append((at, p))
    if not inside:
        return None, rest
    highlights = tuple(
        sorted(
            (Highlight(at + h.start, at + h.end, h.group, h.term) for at, p in inside for h in p.highlights),
            key=lambda h: (h.start, h.end),
        )
    )
    groups = tuple(dict.fromkeys(g for _, p in inside for g in p.groups))
    return Passage(text, highlights, groups, inside[0][1].position, title), rest


def alert_view(
    item: AlertItem,
    *,
    language: str = DEFAULT_LANGUAGE,
    timezone: str = DEFAULT_TIMEZONE,
    passage_limit: int = DEFAULT_LIMIT,
) -> AlertView:
    check_language(language)
    a = item.alert
    all_passages = build_passages(a.evidence, a.title)
    headline, body = _absorb(one_line(a.title), all_passages, title=True)
    lead_text = _trim_lead(a.snippet, body)
    lead, body = _absorb(lead_text, body, title=False)
    return AlertView(
        item=item,
        url=canonical_url(a.url) if _safe_url(a.url) else a.url,
        headline=headline,
        passages=select(body, passage_limit),
        reason=reason_for(a, all_passages, language),
        lead=lead or (Passage(lead_text, (), (), 0, False) if lead_text else None),
        language=language,
        timezone=timezone,
    )


def _groups_label(p: Passage, language: str) -> str:
    names = join_names(list(p.groups), language)
    return f"{names} · {word('in_title', language)}" if p.in_title else names


def passage_text(p: Passage) -> str:
    """The sentence with its hits in «guillemets» (the quotation marks of Arabic print)."""
    return strip_controls("".join(f"«{run}»" if marked else run for run, marked in segments(p)))


def passage_html(p: Passage) -> str:
    """The sentence, escaped, with every hit in <mark>."""
    return "".join(f"<mark>{html.escape(run)}</mark>" if marked else html.escape(run) for run, marked in segments(p))


def _bdi(text: str) -> str:
    """An isolated value in HTML: <bdi> takes the direction of the value's own first strong letter."""
    return f"<bdi>{html.escape(text)}</bdi>"


def isolates_to_html(text: str) -> str:
    """Escape a label line built by `labels` and turn its FSI … PDI pairs into <bdi> … </bdi>.

    Only for lines built here: `isolate` strips bidi controls from the values it wraps, so the pairs
    are balanced.
    """
    return html.escape(text).replace(FSI, "<bdi>").replace(PDI, "</bdi>")


def time_html(value: datetime | None, timezone: str, language: str) -> str:
    if value is None:
        return html.escape(word("unknown_time", language))
    t = shown_time(value, timezone, language)
    shown = isolates_to_html(time_text(value, timezone, language))
    return f'<time datetime="{html.escape(t.iso, quote=True)}">{shown}</time>'


def alert_text(view: AlertView) -> str:
    a, lang = view.item.alert, view.language

    def line(key: str, value: str) -> str:
        return f"{word(key, lang)}: {value}"

    lines = [
        passage_text(view.headline) if view.headline else strip_controls(a.title),
        "",
        line("topic", isolate(a.topic)),
        line("source", isolate(a.source)),
        line("published", time_text(a.published, view.timezone, lang)),
        line("why", view.reason),
    ]
    if (basis := alert_basis(a, lang)) is not None:
        lines.append(line("basis", basis))
    if view.lead:
        lines += ["", line("lead", isolate(passage_text(view.lead)))]
    if view.passages.shown:
        lines += ["", f"{word('evidence', lang)}:"]
        lines += [f"  • ({_groups_label(p, lang)}) {passage_text(p)}" for p in view.passages.shown]
        if view.passages.more:
            lines.append(f"  {more_passages(view.passages.more, lang)}")
    lines += ["", line("link", isolate(view.url))]
    if view.item.also_published:
        lines += ["", f"{word('also', lang)}:"]
        lines += [f"  • {isolate(p.source)}: {isolate(canonical_url(p.url))}" for p in view.item.also_published]
    lines += ["", line("alert_id", isolate(a.alert_id))]
    return "\n".join(lines)


def _link(url: str, label_html: str | None = None) -> str:
    """A link to an http(s) URL (canonical); `label_html` is escaped markup, else the URL itself shows."""
    safe = _safe_url(url)
    if safe is None:
        return label_html if label_html is not None else f'<bdi dir="ltr">{html.escape(url)}</bdi>'
    href = html.escape(canonical_url(safe), quote=True)
    if label_html is None:  # a bare URL reads left to right even inside an RTL paragraph
        return f'<a dir="ltr" href="{href}">{html.escape(canonical_url(safe))}</a>'
    return f'<a href="{href}">{label_html}</a>'


def passages_html(view: AlertView) -> str:
    """The evidence block: one <li> per passage, the groups it pairs named, then "and K more"."""
    lang = view.language
    if not view.passages.shown:
        return ""
    items = "".join(
        f'<li style="margin:0 0 6px"><span style="color:#777">{isolates_to_html(_groups_label(p, lang))}</span>'
        f" — {passage_html(p)}</li>"
        for p in view.passages.shown
    )
    more = (
        f'<p style="color:#555;margin:0 0 8px">{html.escape(more_passages(view.passages.more, lang))}</p>'
        if view.passages.more
        else ""
    )
    return (
        f'<p style="margin:8px 0 4px"><strong>{html.escape(word("evidence", lang))}</strong></p>'
        f'<ul class="evidence" style="margin:0 0 8px;padding-right:20px">{items}</ul>{more}'
    )


def alert_html(view: AlertView, heading: str = "h2") -> str:
    a, lang = view.item.alert, view.language
    shown_title = f"<bdi>{passage_html(view.headline)}</bdi>" if view.headline else _bdi(a.title)
    title = _link(a.url, shown_title)
    muted = 'style="color:#555;margin:0 0 8px"'
    parts = [
        '<div class="alert">',
        f'<{heading} style="margin:0 0 8px">{title}</{heading}>',
        f"<p {muted}><strong>{_bdi(a.source)}</strong> · {time_html(a.published, view.timezone, lang)}"
        f" · {html.escape(word('topic', lang))}: {_bdi(a.topic)}</p>",
        f"<p {muted}>{html.escape(word('why', lang))}: {isolates_to_html(view.reason)}</p>",
    ]
    if (basis := alert_basis(a, lang)) is not None:
        parts.append(f'<p class="basis" style="color:#8a5a00;margin:0 0 8px"><strong>'
                     f"{html.escape(word('basis', lang))}</strong>: {html.escape(basis)}</p>")
    if view.lead:
        parts.append(f'<blockquote style="margin:0 0 8px;color:#333"><bdi>{passage_html(view.lead)}</bdi></blockquote>')
    if view.passages.shown:
        parts.append(passages_html(view))
    parts.append(f"<p>{html.escape(word('link', lang))}: {_link(a.url)}</p>")
    if view.item.also_published:
        also = "".join(f"<li>{_bdi(p.source)}: {_link(p.url)}</li>" for p in view.item.also_published)
        parts.append(f"<p>{html.escape(word('also', lang))}:</p><ul>{also}</ul>")
    parts.append(
        f'<p style="color:#999;font-size:small">{html.escape(word("alert_id", lang))}: '
        f'<bdi dir="ltr">{html.escape(a.alert_id)}</bdi></p>'
    )
    parts.append("</div>")
    return "\n".join(parts)


def _html_document(title: str, body: str, language: str) -> str:
    # the page is right to left whatever the label language: the articles are Arabic
    return (
        "<!DOCTYPE html>\n"
        f'<html dir="rtl" lang="{html.escape(language, quote=True)}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        '<body dir="rtl" style="font-family:Tahoma,Arial,sans-serif;text-align:right">\n'
        f"{body}\n</body>\n</html>\n"
    )


# --- e-mail --------------------------------------------------------------------------------------------


def subject(item: AlertItem, prefix: str) -> str:
    # language-neutral on purpose: prefix, topic identifier and headline, which mail filters rely on
    a = item.alert
    head = f"{prefix} " if prefix else ""
    return one_line(f"{head}{a.topic}: {one_line(a.title, SUBJECT_TITLE_MAX)}")


def email_content(
    item: AlertItem,
    prefix: str,
    *,
    language: str = DEFAULT_LANGUAGE,
    timezone: str = DEFAULT_TIMEZONE,
    passage_limit: int = DEFAULT_LIMIT,
) -> EmailContent:
    view = alert_view(item, language=language, timezone=timezone, passage_limit=passage_limit)
    subj = subject(item, prefix)
    return EmailContent(subj, alert_text(view) + "\n", _html_document(subj, alert_html(view), language))


def _by_topic_and_story(items: Sequence[AlertItem]) -> dict[str, dict[str, list[AlertItem]]]:
    """Topic -> story -> alerts, each in first-seen order. A story is the alert's article for now."""
    grouped: dict[str, dict[str, list[AlertItem]]] = {}
    for i in items:
        grouped.setdefault(i.alert.topic, {}).setdefault(i.alert.article_id, []).append(i)
    return grouped


def digest_subject(items: Sequence[AlertItem], prefix: str, language: str = DEFAULT_LANGUAGE) -> str:
    topics = ", ".join(dict.fromkeys(i.alert.topic for i in items))
    head = f"{prefix} " if prefix else ""
    return one_line(f"{head}{word('digest', language)}: {count_alerts(len(items), language)} ({topics})", 200)


def story_update_subject(items: Sequence[AlertItem], prefix: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The subject of a story.updated message: what it is, how many new reports, the first one's headline."""
    head = f"{prefix} " if prefix else ""
    count = count_alerts(len(items), language)
    return one_line(f"{head}{word('story_update', language)}: {count} — {items[0].alert.title}", 200)


def digest_email_content(
    items: Sequence[AlertItem],
    prefix: str,
    period_start: datetime,
    period_end: datetime,
    *,
    language: str = DEFAULT_LANGUAGE,
    timezone: str = DEFAULT_TIMEZONE,
    passage_limit: int = DEFAULT_LIMIT,
) -> EmailContent:
    check_language(language)
    lang = language
    subj = digest_subject(items, prefix, lang)
    grouped = _by_topic_and_story(items)
    start, end = time_text(period_start, timezone, lang), time_text(period_end, timezone, lang)
    period = f"من {start} إلى {end}" if lang == "ar" else f"from {start} to {end}"
    counts = [(topic, sum(len(s) for s in stories.values())) for topic, stories in grouped.items()]

    def view(i: AlertItem) -> AlertView:
        return alert_view(i, language=lang, timezone=timezone, passage_limit=passage_limit)

    heading = f"{word('digest', lang)}: {count_alerts(len(items), lang)}"
    text = [
        heading,
        f"{word('period', lang)}: {period}",
        "",
        f"{word('per_topic', lang)}:",
        *(f"  • {isolate(topic)}: {count_alerts(n, lang)}" for topic, n in counts),
    ]
    body = [
        f'<h1 style="margin:0 0 8px">{html.escape(heading)}</h1>',
        f"<p>{html.escape(word('period', lang))}: {isolates_to_html(period)}</p>",
        f"<p><strong>{html.escape(word('per_topic', lang))}</strong></p>",
        "<ul>"
        + "".join(f"<li>{_bdi(topic)}: {html.escape(count_alerts(n, lang))}</li>" for topic, n in counts)
        + "</ul>",
    ]
    for (topic, stories), (_, n) in zip(grouped.items(), counts, strict=True):
        text += ["", f"== {word('topic', lang)}: {isolate(topic)} ({count_alerts(n, lang)}) =="]
        body.append(
            f'<hr><h2 style="margin:12px 0 8px">{html.escape(word("topic", lang))}: {_bdi(topic)}'
            f" ({html.escape(count_alerts(n, lang))})</h2>"
        )
        for number_, alerts in enumerate(stories.values(), 1):
            text += ["", "----------", ""] if number_ > 1 else [""]
            text.append("\n\n".join(alert_text(view(i)) for i in alerts))
            body.append("\n<hr style=\"border:0;border-top:1px dashed #ccc\">\n".join(
                alert_html(view(i), heading="h3") for i in alerts
            ))
            if number_ < len(stories):
                body.append('<hr style="border:0;border-top:1px dashed #ccc">')
    return EmailContent(subj, "\n".join(text) + "\n", _html_document(subj, "\n".join(body), lang))


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
