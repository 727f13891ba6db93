"""A provisional alert withdrawn -> what each channel sends: the `alert.withdrawn` payload (webhook body and
JSONL line), the e-mail, the chat message and the console line. Pure.

A withdrawal is its own message with its own id (`withdrawal_id`, "wd_…"), sent after the alert it
withdraws on every channel that alert was queued for: a reader who saw the alert is told, never left
with it silently dropped. It names the alert, what the alert was decided on (the feed's headline or
summary), and the full text's decision that withdrew it.
"""

from __future__ import annotations

import html
from typing import Any

from monitor.deliver.render import (
    PAYLOAD_VERSION,
    SUBJECT_TITLE_MAX,
    EmailContent,
    _bdi,
    _html_document,
    _iso,
    _link,
    _safe_url,
    isolates_to_html,
    one_line,
)
from monitor.deliver.render.chat import ChatContent, _style
from monitor.deliver.render.labels import (
    DEFAULT_LANGUAGE,
    DEFAULT_TIMEZONE,
    basis_note,
    check_language,
    isolate,
    strip_controls,
    time_text,
    word,
)
from monitor.models import AlertItem
from monitor.text.urls import canonical_url


def withdrawal_id(alert_id: str) -> str:
    """The withdrawal's own id (webhook-id, Message-ID, the JSONL line's key): stable per alert."""
    return "wd_" + alert_id.removeprefix("al_")


def withdrawal_payload(item: AlertItem) -> dict[str, Any]:
    a = item.alert
    return {
        "type": "alert.withdrawn",
        "version": PAYLOAD_VERSION,
        "timestamp": _iso(a.settled_at or a.created_at),
        "data": {
            "withdrawal_id": withdrawal_id(a.alert_id),
            "alert_id": a.alert_id,
            "topic": a.topic,
            "basis": a.basis,
            "reason": a.settled_reason,
            "alert_created_at": _iso(a.created_at),
            "withdrawn_at": _iso(a.settled_at or a.created_at),
            "article": {
                "id": a.article_id,
                "title": a.title,
                "url": a.url,
                "source": a.source,
                "published": _iso(a.published),
            },
        },
    }


def withdrawal_line(item: AlertItem) -> str:
    a = item.alert
    return (
        f"WITHDRAWN {a.alert_id} topic={a.topic} basis={a.basis} source={one_line(a.source)!r} "
        f"title={one_line(a.title, 160)!r} url={a.url} reason={one_line(a.settled_reason, 300)!r}"
    )


def withdrawal_subject(item: AlertItem, prefix: str, language: str) -> str:
    a = item.alert
    head = f"{prefix} " if prefix else ""
    return one_line(f"{head}{word('withdrawn', language)}: {a.topic}: {one_line(a.title, SUBJECT_TITLE_MAX)}")


def _facts(item: AlertItem, language: str, timezone: str) -> list[tuple[str, str]]:
    a = item.alert
    basis = basis_note(a.basis, False, language) or word("basis_feed", language)
    url = canonical_url(a.url) if _safe_url(a.url) else a.url
    return [
        (word("topic", language), isolate(a.topic)),
        (word("source", language), isolate(a.source)),
        (word("alerted_at", language), time_text(a.created_at, timezone, language)),
        (word("withdrawn_at", language), time_text(a.settled_at or a.created_at, timezone, language)),
        (word("basis", language), basis),
        (word("withdrawn_why", language), isolate(a.settled_reason)),
        (word("link", language), isolate(url)),
        (word("alert_id", language), isolate(a.alert_id)),
    ]


def withdrawal_email_content(
    item: AlertItem, prefix: str, *, language: str = DEFAULT_LANGUAGE, timezone: str = DEFAULT_TIMEZONE
) -> EmailContent:
    check_language(language)
    a = item.alert
    subj = withdrawal_subject(item, prefix, language)
    facts = _facts(item, language, timezone)
    note = word("withdrawn_note", language)
    text = "\n".join([strip_controls(a.title), "", note, "", *(f"{k}: {v}" for k, v in facts)]) + "\n"
    rows = "".join(
        f'<tr><th style="text-align:right;padding-left:12px">{html.escape(k)}</th>'
        f"<td>{_link(a.url) if k == word('link', language) else isolates_to_html(v)}</td></tr>"
        for k, v in facts
    )
    body = (
        '<div class="withdrawal">'
        f'<h2 style="margin:0 0 8px"><s>{_bdi(a.title)}</s></h2>'
        f'<p style="color:#a00;margin:0 0 8px"><strong>{html.escape(word("withdrawn", language))}</strong>: '
        f"{html.escape(note)}</p><table>{rows}</table></div>"
    )
    return EmailContent(subj, text, _html_document(subj, body, language))


def chat_withdrawal(
    item: AlertItem,
    body_format: str = "markdown",
    *,
    language: str = DEFAULT_LANGUAGE,
    timezone: str = DEFAULT_TIMEZONE,
) -> ChatContent:
    style = _style(body_format)
    esc = style.escape
    a = item.alert
    lines = [
        style.strong(esc(word("withdrawn", language))) + ": " + esc(strip_controls(one_line(a.title))),
        esc(word("withdrawn_note", language)),
        "",
    ]
    for key, value in _facts(item, language, timezone):
        shown = style.link(canonical_url(a.url) if _safe_url(a.url) else a.url) if key == word("link", language) \
            else esc(value)
        lines.append(f"{esc(key)}: {shown}")
    return ChatContent(withdrawal_subject(item, "", language), "\n".join(lines))
