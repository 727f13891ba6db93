"""Alert -> a chat message (Slack, Teams, Telegram, ntfy, Matrix, Discord, … through Apprise): a title and a
compact body, Markdown or plain text, made from the same view as the e-mail (passages, reason, times).

Pure. Article text is untrusted: in Markdown every character that could start markup is escaped, so a
headline cannot add links or hide text; hits are the only bold runs. Embedded values are isolated
(FSI … PDI) as in the e-mail's text part, so they read right in a right-to-left line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.deliver.render import (
    SUBJECT_TITLE_MAX,
    AlertItem,
    AlertView,
    alert_basis,
    alert_view,
    digest_subject,
    feed_warning_line,
    one_line,
    subject,
)
from monitor.deliver.render.labels import (
    DEFAULT_LANGUAGE,
    DEFAULT_TIMEZONE,
    count_alerts,
    isolate,
    join_names,
    more_passages,
    strip_controls,
    time_text,
    word,
)
from monitor.deliver.render.passages import DEFAULT_LIMIT, Passage, segments
from monitor.schedule.feed_health import FeedWarning
from monitor.text.urls import canonical_url

FORMATS = ("markdown", "text")
# a digest in a chat shows fewer passages per alert than an e-mail: chat messages are read on phones
DIGEST_PASSAGE_LIMIT = 2

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")


@dataclass(frozen=True)
class ChatContent:
    title: str
    body: str


@dataclass(frozen=True)
class _Style:
    escape: Callable[[str], str]
    hit: Callable[[str], str]
    strong: Callable[[str], str]
    link: Callable[[str], str]


def escape_markdown(text: str) -> str:
    """Text that Markdown shows as written (backslash before every character that could start markup)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _markdown_link(url: str) -> str:
    # an autolink only for http(s); anything else is shown as text, never made clickable
    if re.match(r"^https?://[^\s<>]+$", url, re.IGNORECASE):
        return f"<{url}>"
    return escape_markdown(strip_controls(url))


# `escape` takes text already free of stray bidi controls: article text is cleaned where it enters
# (_passage, the headline), and labels come from labels.py with their own isolates, which must stay.
_MARKDOWN = _Style(escape_markdown, lambda run: f"**{escape_markdown(run)}**", lambda t: f"**{t}**", _markdown_link)
_TEXT = _Style(lambda t: t, lambda run: f"«{run}»", lambda t: t, strip_controls)


def _style(body_format: str) -> _Style:
    if body_format not in FORMATS:
        raise ValueError(f"unknown chat body format {body_format!r} (known: {', '.join(FORMATS)})")
    return _MARKDOWN if body_format == "markdown" else _TEXT


def _passage(p: Passage, style: _Style) -> str:
    return "".join(
        style.hit(strip_controls(run)) if marked else style.escape(strip_controls(run)) for run, marked in segments(p)
    )


def _alert_lines(view: AlertView, style: _Style) -> list[str]:
    a, lang = view.item.alert, view.language
    esc = style.escape

    def label(key: str) -> str:
        return esc(word(key, lang))

    # not wrapped in bold: its hits are the bold runs (and the title already carries the headline)
    headline = _passage(view.headline, style) if view.headline else esc(strip_controls(one_line(a.title)))
    lines = [
        headline,
        f"{label('topic')}: {esc(isolate(a.topic))} · {esc(isolate(a.source))} · "
        f"{esc(time_text(a.published, view.timezone, lang))}",
        f"{label('why')}: {esc(view.reason)}",
    ]
    if (basis := alert_basis(a, lang)) is not None:
        lines.append(f"{label('basis')}: {esc(basis)}")
    if view.lead:
        lines += ["", f"{label('lead')}: {_passage(view.lead, style)}"]
    if view.passages.shown:
        lines += ["", f"{label('evidence')}:"]
        for p in view.passages.shown:
            groups = join_names(list(p.groups), lang)
            if p.in_title:
                groups += f" · {word('in_title', lang)}"
            lines.append(f"- ({esc(groups)}) {_passage(p, style)}")
        if view.passages.more:
            lines.append(esc(more_passages(view.passages.more, lang)))
    lines += ["", f"{label('link')}: {style.link(view.url)}"]
    if view.item.also_published:
        also = ", ".join(
            f"{esc(isolate(p.source))} {style.link(canonical_url(p.url))}" for p in view.item.also_published
        )
        lines.append(f"{label('also')}: {also}")
    lines.append(f"{label('alert_id')}: {esc(isolate(a.alert_id))}")
    return lines


def chat_alert(
    item: AlertItem,
    body_format: str = "markdown",
    *,
    language: str = DEFAULT_LANGUAGE,
    timezone: str = DEFAULT_TIMEZONE,
    passage_limit: int = DEFAULT_LIMIT,
) -> ChatContent:
    style = _style(body_format)
    view = alert_view(item, language=language, timezone=timezone, passage_limit=passage_limit)
    return ChatContent(subject(item, ""), "\n".join(_alert_lines(view, style)))


def chat_digest(
    items: Sequence[AlertItem],
    period_start: datetime,
    period_end: datetime,
    body_format: str = "markdown",
    *,
    language: str = DEFAULT_LANGUAGE,
    timezone: str = DEFAULT_TIMEZONE,
    passage_limit: int = DIGEST_PASSAGE_LIMIT,
) -> ChatContent:
    """Counts per topic first, then every alert, topic by topic."""
    style = _style(body_format)
    esc = style.escape
    start, end = time_text(period_start, timezone, language), time_text(period_end, timezone, language)
    period = f"من {start} إلى {end}" if language == "ar" else f"from {start} to {end}"
    by_topic: dict[str, list[AlertItem]] = {}
    for i in items:
        by_topic.setdefault(i.alert.topic, []).append(i)
    lines = [
        f"{esc(word('period', language))}: {esc(period)}",
        *(f"- {esc(isolate(topic))}: {esc(count_alerts(len(group), language))}" for topic, group in by_topic.items()),
    ]
    for topic, group in by_topic.items():
        lines += ["", style.strong(f"{esc(word('topic', language))}: {esc(isolate(topic))}")]
        for i in group:
            view = alert_view(i, language=language, timezone=timezone, passage_limit=passage_limit)
            lines += ["", *_alert_lines(view, style)]
    return ChatContent(digest_subject(items, "", language), "\n".join(lines))


def chat_feed_warning(w: FeedWarning, body_format: str = "markdown") -> ChatContent:
    """Operational, in English like the e-mail's feed warning."""
    style = _style(body_format)
    return ChatContent(
        one_line(f"feed unhealthy: {one_line(w.feed_name, SUBJECT_TITLE_MAX)}", 200),
        style.escape(strip_controls(feed_warning_line(w))),
    )
