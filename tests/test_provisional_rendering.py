"""What a provisional alert and a withdrawal look like on each channel, and when a withdrawal is sent.

Rendering is pure (the renderer's own functions); the ordering test uses a real SQLite outbox, the real
dispatcher and a real SMTP server and JSONL file.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from monitor.deliver.dispatcher import Dispatcher
from monitor.deliver.render import alert_payload, console_line, email_content
from monitor.deliver.render.chat import chat_alert
from monitor.deliver.render.withdrawal import (
    chat_withdrawal,
    withdrawal_email_content,
    withdrawal_id,
    withdrawal_line,
    withdrawal_payload,
)
from monitor.models import AlertItem
from monitor.store.page_retries import WITHDRAWN_EVENT, withdrawal_delivery_id
from tests.config_files import email_channel
from tests.delivery_servers import SmtpServer
from tests.fake_clock import FakeClock
from tests.helpers_delivery import T0, config, make_alert, make_db, states, store

HEADLINE_REASON = "match: score 1.00 < 2; nato + iraq together in 1 title; decided on the headline only"
HEADLINE_ONLY = make_alert(1, basis="headline", status="provisional", reason=HEADLINE_REASON)
WITHDRAWN = replace(HEADLINE_ONLY, status="withdrawn", settled_at=T0 + timedelta(minutes=1),
                    settled_reason="no match: score 1.00 < 2; nato + iraq together in 1 title")


def test_a_headline_only_alert_says_so_in_arabic_and_english() -> None:
    ar = email_content(AlertItem(HEADLINE_ONLY), "[monitor]")
    assert "أساس القرار: العنوان وحده (تنبيه مؤقت: لم يُقرأ نص المقال كاملًا بعد" in ar.text
    assert '<p class="basis"' in ar.html and "العنوان وحده" in ar.html
    en = email_content(AlertItem(HEADLINE_ONLY), "[monitor]", language="en")
    assert "Decided on: the headline only (provisional: the full article has not been read yet" in en.text
    assert "decided on the headline only" in en.text  # the matcher's own reason line
    chat = chat_alert(AlertItem(HEADLINE_ONLY), "text")
    assert "أساس القرار: العنوان وحده" in chat.body
    assert console_line(AlertItem(HEADLINE_ONLY)).endswith("basis=headline provisional")
    data = alert_payload(AlertItem(HEADLINE_ONLY))["data"]
    assert (data["basis"], data["provisional"]) == ("headline", True)


def test_a_headline_alert_with_no_page_to_come_has_the_basis_but_is_not_provisional() -> None:
    final = replace(HEADLINE_ONLY, status="final")
    text = email_content(AlertItem(final), "").text
    assert "أساس القرار: العنوان وحده" in text and "تنبيه مؤقت" not in text
    assert alert_payload(AlertItem(final))["data"]["provisional"] is False


def test_an_alert_on_a_full_page_shows_no_basis_line() -> None:
    full = make_alert(2)
    assert "أساس القرار" not in email_content(AlertItem(full), "").text
    assert "basis=" not in console_line(AlertItem(full))
    assert alert_payload(AlertItem(full))["data"]["basis"] == "full"


def test_a_confirmed_alert_keeps_the_body_it_was_sent_with() -> None:
    confirmed = replace(HEADLINE_ONLY, status="confirmed", settled_at=T0, settled_reason="match: score 9.5 >= 2")
    assert alert_payload(AlertItem(confirmed)) == alert_payload(AlertItem(HEADLINE_ONLY))  # a resend is the same


def test_the_withdrawal_on_every_channel() -> None:
    item = AlertItem(WITHDRAWN)
    payload = withdrawal_payload(item)
    assert payload["type"] == "alert.withdrawn" and payload["timestamp"] == "2026-11-23T10:01:00Z"
    assert payload["data"]["withdrawal_id"] == withdrawal_id(WITHDRAWN.alert_id) == "wd_alrt_0001"
    assert payload["data"]["alert_id"] == WITHDRAWN.alert_id and payload["data"]["reason"].startswith("no match")
    mail = withdrawal_email_content(item, "[monitor]")
    assert mail.subject == f"[monitor] سحب تنبيه: nato_iraq: {WITHDRAWN.title}"
    assert "هذه الرسالة تسحب التنبيه السابق" in mail.text and WITHDRAWN.alert_id in mail.text
    assert '<html dir="rtl" lang="ar">' in mail.html and "<s><bdi>" in mail.html
    assert 'href="https://example.com/news/1"' in mail.html
    english = withdrawal_email_content(item, "", language="en")
    assert english.subject.startswith("Alert withdrawn: nato_iraq:") and "no longer matches" in english.text
    chat = chat_withdrawal(item, "markdown")
    assert chat.body.startswith("**سحب تنبيه**") and "no match" in chat.body
    assert withdrawal_line(item).startswith(f"WITHDRAWN {WITHDRAWN.alert_id} topic=nato_iraq basis=headline")


def test_a_withdrawal_waits_for_its_alert_and_is_sent_once(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = FakeClock(T0)
    jsonl = tmp_path / "alerts.jsonl"
    with SmtpServer() as smtp:
        channels = [email_channel(smtp.port, "a@example.test"), {"type": "jsonl", "name": "file", "path": str(jsonl)}]
        store(db, HEADLINE_ONLY, ["mail", "file"])
        with sqlite3.connect(db_path) as conn:  # what Store.settle_page_retry writes for a withdrawal
            conn.execute("UPDATE alerts SET status = 'withdrawn', settled_at = ?, settled_reason = ?",
                         ("2026-11-23T10:01:00.000000Z", WITHDRAWN.settled_reason))
            for channel in ("mail", "file"):
                conn.execute(
                    "INSERT INTO deliveries (id, kind, alert_id, channel, state, attempts, next_attempt_at,"
                    " created_at, updated_at, event) VALUES (?, 'alert', ?, ?, 'pending', 0, ?, ?, ?, ?)",
                    (withdrawal_delivery_id(HEADLINE_ONLY.alert_id, channel), HEADLINE_ONLY.alert_id, channel,
                     "2026-11-23T10:00:00.000000Z", "2026-11-23T10:00:00.000000Z", "2026-11-23T10:00:00.000000Z",
                     WITHDRAWN_EVENT))
        smtp.fail_next(451)  # the alert's e-mail must be retried: its withdrawal waits for it
        d = Dispatcher(db_path, config(channels), clock)
        try:
            d.run_due()
            assert smtp.messages == []  # the alert's e-mail failed; its withdrawal was not sent either
            assert [json.loads(ln)["type"] for ln in jsonl.read_text().splitlines()] == ["alert.created"]
            clock.advance(10)
            d.run_due()
            clock.advance(10)
            d.run_due()
        finally:
            d.close()
        subjects = [str(m["Subject"]) for m in smtp.messages]
    assert len(subjects) == 2 and "سحب تنبيه" not in subjects[0] and "سحب تنبيه" in subjects[1]
    assert set(states(db_path).values()) == {"delivered"}
    # the file got the alert in the first run and its withdrawal in the next (it was queued behind it)
    assert [json.loads(ln)["type"] for ln in jsonl.read_text().splitlines()] == ["alert.created", "alert.withdrawn"]
