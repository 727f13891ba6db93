"""`monitor alerts test|list|retry`: check a channel setup, show deliveries, re-queue dead letters."""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime
from typing import Any

from monitor.cli.options import add_global_options
from monitor.deliver.channels import Message, make_sender
from monitor.deliver.policy import Result
from monitor.models import Alert, AlertItem, Evidence
from monitor.settings.alerts import channel_summary
from monitor.settings.config import Config, load_config
from monitor.store.opening import open_postgres_outbox
from monitor.store.outbox_store import Outbox, open_outbox_store


def sample_alert(now: datetime) -> Alert:
    """A realistic alert for `alerts test`: Arabic text, evidence to highlight, characters to escape."""
    sentence = "أعلن حلف شمال الأطلسي (الناتو) توسيع بعثته في العراق لتدريب القوات <العراقية> & تقديم المشورة."
    return Alert(
        alert_id=f"test_{now.strftime('%Y%m%dT%H%M%S')}_{uuid.uuid4().hex[:8]}",
        article_id="test-article",
        topic="test",
        score=1.0,
        threshold=0.5,
        evidence=(
            Evidence(group="nato", term="الناتو", matched="الناتو", start=sentence.find("الناتو"), sentence=sentence),
            Evidence(group="iraq", term="العراق", matched="العراق", start=sentence.find("العراق"), sentence=sentence),
        ),
        title="تنبيه تجريبي من monitor: الناتو يوسع بعثته في العراق",
        url="https://example.com/monitor-test-alert",
        source="monitor (test)",
        published=now,
        snippet="هذه رسالة تجريبية للتحقق من إعداد قناة التنبيهات. لا حاجة لأي إجراء.",
        created_at=now,
        reason="test alert sent by `monitor alerts test`",
    )


def cmd_test(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    config.alerts.require_secrets()  # as `run` would: every enabled channel must be able to send
    channels = list(config.alerts.channels)
    if args.channel:
        channels = [c for c in channels if c.name == args.channel]
        if not channels:
            names = ", ".join(c.name for c in config.alerts.channels) or "(none)"
            print(f"no channel named {args.channel!r} (configured: {names})")
            return 2
    else:
        channels = [c for c in channels if c.enabled]
    now = datetime.now(UTC)
    alert = sample_alert(now)
    failures = 0
    # Sent directly, not through the outbox: a test must answer now, and must not show up as an alert.
    for channel in channels:
        sender = make_sender(channel)
        try:
            outcome = sender.send(Message(alert.alert_id, (AlertItem(alert),)), now)
        finally:
            sender.close()
        note = "" if channel.enabled else " (channel is disabled in the config)"
        if outcome.result is Result.DELIVERED:
            print(f"{channel.name}: ok — {channel_summary(channel)}{note}")
        else:
            failures += 1
            print(f"{channel.name}: FAILED ({outcome.result.value}) — {outcome.error}{note}")
    print(f"sample alert id: {alert.alert_id}")
    return 1 if failures else 0


def _open(config: Config) -> Outbox | None:
    """The configured database's outbox: the PostgreSQL one when `[storage] url` is set, else the file's."""
    if config.database_url:
        return open_postgres_outbox(config.database_url)
    if not config.database_path.exists():
        print(f"no database at {config.database_path} yet")
        return None
    return open_outbox_store(config.database_path)


def cmd_list(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = _open(config)
    if store is None:
        return 0
    try:
        rows = store.list_deliveries(failed_only=args.failed, limit=args.limit)
        titles = dict(store.load_items([r.payload_id for r in rows]))
    finally:
        store.close()
    if not rows:
        print("no failed deliveries" if args.failed else "no deliveries")
        return 0
    for r in rows:
        item = titles.get(r.payload_id)
        title = item.alert.title if item else "?"
        when = (r.delivered_at or r.next_attempt_at).strftime("%Y-%m-%d %H:%M:%S")
        label = {"delivered": "delivered", "failed": "FAILED", "pending": "next try"}.get(r.state, r.state)
        print(f"{r.id}  {label} {when}Z  attempts={r.attempts}  {_status(r.is_withdrawal, item)}{title[:60]}")
        if r.last_error and r.state != "delivered":
            print(f"    last error: {r.last_error}")
    if args.failed:
        print(f"{len(rows)} failed; re-queue with: monitor alerts retry [ID ...]")
    return 0


def _status(withdrawal: bool, item: AlertItem | None) -> str:
    """What the row sends and where its alert stands, when that is not a plain alert decided on its page:
    "[withdrawal]", or the alert's status and basis ("[provisional, headline]", "[confirmed]")."""
    if withdrawal:
        return "[withdrawal] "
    if item is None or (item.alert.status == "final" and item.alert.basis == "full"):
        return ""
    parts = [item.alert.status] if item.alert.status != "final" else []
    if item.alert.basis != "full":
        parts.append(item.alert.basis)
    return f"[{', '.join(parts)}] "


def cmd_retry(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = _open(config)
    if store is None:
        return 1 if args.ids else 0
    try:
        ids = store.requeue(args.ids or None, datetime.now(UTC))
    finally:
        store.close()
    if not ids:
        print("nothing to retry" + (f" among {', '.join(args.ids)}" if args.ids else ""))
        return 1 if args.ids else 0
    for i in ids:
        print(f"re-queued {i}")
    print(f"{len(ids)} deliveries re-queued; the running daemon (or `monitor once`) sends them")
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    alerts = subparsers.add_parser("alerts", help="test alert channels, list and re-queue deliveries")
    add_global_options(alerts)
    sub = alerts.add_subparsers(dest="alerts_command", required=True)

    test = sub.add_parser("test", help="send a sample alert to every enabled channel (or one) right now")
    test.add_argument("--channel", metavar="NAME", help="only this channel (even if disabled)")
    add_global_options(test)
    test.set_defaults(func=cmd_test)

    lst = sub.add_parser("list", help="show recent deliveries and their state")
    lst.add_argument("--failed", action="store_true", help="only failed deliveries (dead letters)")
    lst.add_argument("--limit", type=int, default=200, help="most rows shown (default 200)")
    add_global_options(lst)
    lst.set_defaults(func=cmd_list)

    retry = sub.add_parser("retry", help="re-queue failed deliveries (all, or these delivery/alert ids)")
    retry.add_argument("ids", nargs="*", metavar="ID", help="delivery id (ALERT:CHANNEL) or alert id")
    add_global_options(retry)
    retry.set_defaults(func=cmd_retry)
