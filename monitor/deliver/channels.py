"""Senders: one per channel type. Each turns a Message into bytes on the wire and returns an Outcome.

A sender never raises: every error becomes an Outcome the dispatcher can record and act on. Whether to
retry is decided here from what the transport said (status code, SMTP reply, timeout), when to retry is
decided in policy.py.
"""

from __future__ import annotations

import dataclasses
import email.policy
import hashlib
import json
import logging
import os
import re
import smtplib
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

import httpx

from monitor.deliver.policy import Outcome, Result, classify_http
from monitor.deliver.render import (
    alert_payload,
    console_line,
    digest_email_content,
    digest_payload,
    email_content,
    feed_warning_email_content,
    feed_warning_line,
    feed_warning_payload,
    one_line,
    story_update_payload,
    story_update_subject,
)
from monitor.deliver.render.chat import ChatContent, chat_alert, chat_digest, chat_feed_warning
from monitor.deliver.render.withdrawal import (
    chat_withdrawal,
    withdrawal_email_content,
    withdrawal_id,
    withdrawal_line,
    withdrawal_payload,
)
from monitor.deliver.signing import webhook_headers
from monitor.errors import ConfigError
from monitor.models import STORY_UPDATE_BATCH, AlertItem
from monitor.schedule.feed_health import FeedWarning
from monitor.settings.alerts import (
    AppriseChannel,
    AppriseTarget,
    Channel,
    ConsoleChannel,
    EmailChannel,
    JsonlChannel,
    WebhookChannel,
)

alerts_log = logging.getLogger("monitor.alerts")  # the console channel's output
log = logging.getLogger("monitor.deliver")

USER_AGENT = "monitor-alerts/0.1 (+https://www.standardwebhooks.com/)"


# Python's default folding of long non-ASCII headers drops the space at an encoded-word boundary
# ("الأطلسي يوافق" arrives as "الأطلسييوافق"); folding only past RFC 5322's 998-character line limit
# keeps an Arabic subject whole.
EMAIL_POLICY = email.policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class Message:
    """What one send carries: one alert, or several (a digest, or alerts batched by the rate limit)."""

    message_id: str  # idempotency key: webhook-id, Message-ID; the same on every retry
    items: tuple[AlertItem, ...]
    digest: bool = False
    period: tuple[datetime, datetime] | None = None  # first and last alert time, for digests
    warning: FeedWarning | None = None  # a feed warning instead of alerts (then items is empty)
    withdrawal: bool = False  # the one item's alert is withdrawn (alert.withdrawn), not raised
    story_update: bool = False  # later members of one alerted story (type story.updated); digest is set too

    @property
    def alert_ids(self) -> list[str]:
        return [i.alert.alert_id for i in self.items]


def message_id_for(batch_key: str | None, alert_id: str, alert_ids: Sequence[str] = ()) -> str:
    """A single alert's message id is its alert id; a batch's is derived from its (stable) batch key. A story
    update's also from the alerts it carries: a member that joined its batch too late for one message goes
    out in the next under the same key, and must not look like a resend of the first."""
    if batch_key is None:
        return alert_id
    if batch_key.startswith(STORY_UPDATE_BATCH):
        members = "\x00".join(sorted(alert_ids))
        return "story_" + hashlib.sha256(f"{batch_key}\x00{members}".encode()).hexdigest()[:32]
    return "digest_" + hashlib.sha256(batch_key.encode()).hexdigest()[:32]


def withdrawal_message_id(alert_id: str) -> str:
    return withdrawal_id(alert_id)


def payload_for(message: Message) -> dict[str, Any]:
    if message.warning is not None:
        return feed_warning_payload(message.warning)
    if message.withdrawal:
        return withdrawal_payload(message.items[0])
    if message.story_update:
        return story_update_payload(message.items)
    if not message.digest:
        return alert_payload(message.items[0])
    start, end = message.period or (message.items[0].alert.created_at, message.items[-1].alert.created_at)
    return digest_payload(message.items, start, end)


def dumps(payload: dict[str, Any]) -> bytes:
    # ensure_ascii=False: Arabic stays readable in logs and files; compact separators = fewer bytes signed
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Sender(Protocol):
    def send(self, message: Message, now: datetime) -> Outcome: ...

    def close(self) -> None: ...


class ConsoleSender:
    def __init__(self, channel: ConsoleChannel) -> None:
        self.channel = channel

    def send(self, message: Message, now: datetime) -> Outcome:
        if message.warning is not None:
            alerts_log.warning("%s", feed_warning_line(message.warning))
        if message.withdrawal:
            alerts_log.warning("%s", withdrawal_line(message.items[0]))
            return Outcome(Result.DELIVERED)
        if message.digest:
            alerts_log.info("DIGEST %s: %d alerts", message.message_id, len(message.items))
        for item in message.items:
            alerts_log.info("%s", console_line(item))
        return Outcome(Result.DELIVERED)

    def close(self) -> None:
        pass


class JsonlSender:
    """Appends one JSON object per alert and fsyncs, so a line that is acknowledged survives power loss.

    Exactly once even across a crash between "written" and "recorded as delivered": before appending it
    looks for the alert id among the file's last lines (that crash window only ever leaves the newest
    lines), and skips alerts already there.
    """

    TAIL_BYTES = 1 << 20

    def __init__(self, channel: JsonlChannel) -> None:
        self.channel = channel
        self._seen: set[str] | None = None
        self._lock = threading.Lock()

    def _load_seen(self, path: Path) -> set[str]:
        seen: set[str] = set()
        if not path.exists():
            return seen
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - self.TAIL_BYTES))
            tail = fh.read()
        for line in tail.splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue  # a partial first line of the tail, or a torn last write
            data = obj.get("data", {}) if isinstance(obj, dict) else {}
            # feed warnings and withdrawals are lines too, keyed by their own ids; a withdrawal line also
            # names its alert, which must not count as that alert's own line
            withdrawn = isinstance(obj, dict) and obj.get("type") == "alert.withdrawn"
            for key in ("withdrawal_id",) if withdrawn else ("alert_id", "warning_id"):
                value = data.get(key) if isinstance(data, dict) else None
                if isinstance(value, str):
                    seen.add(value)
        return seen

    def send(self, message: Message, now: datetime) -> Outcome:
        path = self.channel.path
        try:
            with self._lock:
                path.parent.mkdir(parents=True, exist_ok=True)
                if self._seen is None:
                    self._seen = self._load_seen(path)
                keys = [withdrawal_id(i.alert.alert_id) if message.withdrawal else i.alert.alert_id
                        for i in message.items]
                kind = {"type": "story.updated"} if message.story_update else {}
                lines = [
                    dumps(withdrawal_payload(item) if message.withdrawal else {**alert_payload(item), **kind}) + b"\n"
                    for item, key in zip(message.items, keys, strict=True)
                    if key not in self._seen
                ]
                if message.warning is not None and message.warning.warning_id not in self._seen:
                    lines.append(dumps(feed_warning_payload(message.warning)) + b"\n")
                if lines:
                    with path.open("ab") as fh:
                        # a torn last line (crash mid-write) must not swallow the next object
                        if fh.tell() > 0 and not _ends_with_newline(path):
                            fh.write(b"\n")
                        fh.write(b"".join(lines))
                        fh.flush()
                        os.fsync(fh.fileno())
                    self._seen.update(keys)
                    if message.warning is not None:
                        self._seen.add(message.warning.warning_id)
        except OSError as exc:
            # disk full / permissions: may clear up (retry); the dead letter keeps it visible if not
            return Outcome(Result.RETRY, f"cannot write {path}: {exc}")
        return Outcome(Result.DELIVERED)

    def close(self) -> None:
        pass


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


class WebhookSender:
    def __init__(self, channel: WebhookChannel, client: httpx.Client | None = None) -> None:
        self.channel = channel
        # redirects are not followed: a 3xx is reported as a permanent failure (see classify_http)
        self.client = client or httpx.Client(
            timeout=channel.timeout_seconds, follow_redirects=False, headers={"user-agent": USER_AGENT}
        )

    def send(self, message: Message, now: datetime) -> Outcome:
        body = dumps(payload_for(message))
        try:
            keys = self.channel.signing_keys()  # read now: the environment holds the secret, not the config
        except ConfigError as exc:
            return Outcome(Result.FAILED, str(exc))
        headers = webhook_headers(keys, message.message_id, int(now.timestamp()), body)
        try:
            # streamed and never read: only the status and headers matter, and a receiver must not be
            # able to make us buffer a huge error page
            with self.client.stream("POST", self.channel.url, content=body, headers=headers) as response:
                status, retry_after = response.status_code, response.headers.get("retry-after")
        except httpx.TimeoutException as exc:
            return Outcome(Result.RETRY, f"timeout after {self.channel.timeout_seconds:g}s ({type(exc).__name__})")
        except httpx.TransportError as exc:
            return Outcome(Result.RETRY, f"connection error: {exc or type(exc).__name__}")
        except httpx.HTTPError as exc:  # invalid URL and the like: retrying will not help
            return Outcome(Result.FAILED, f"request error: {exc or type(exc).__name__}")
        return classify_http(status, retry_after, now)

    def close(self) -> None:
        self.client.close()


class EmailSender:
    def __init__(self, channel: EmailChannel) -> None:
        self.channel = channel

    def build(self, message: Message, now: datetime) -> EmailMessage:
        ch = self.channel
        if message.warning is not None:
            content = feed_warning_email_content(message.warning, ch.subject_prefix)
        elif message.withdrawal:
            content = withdrawal_email_content(
                message.items[0], ch.subject_prefix, language=ch.language, timezone=ch.timezone
            )
        elif message.digest:
            start, end = message.period or (
                message.items[0].alert.created_at,
                message.items[-1].alert.created_at,
            )
            content = digest_email_content(
                message.items, ch.subject_prefix, start, end, language=ch.language, timezone=ch.timezone
            )
            if message.story_update:  # the digest's list of the new reports, under a subject that says so
                content = dataclasses.replace(
                    content, subject=story_update_subject(message.items, ch.subject_prefix, ch.language))
        else:
            content = email_content(message.items[0], ch.subject_prefix, language=ch.language, timezone=ch.timezone)
        msg = EmailMessage(policy=EMAIL_POLICY)
        msg["Subject"] = content.subject
        msg["From"] = ch.sender
        msg["To"] = ", ".join(ch.recipients)
        msg["Date"] = format_datetime(now)
        # Stable per (message, channel): a resend after a crash carries the same Message-ID, which mail
        # systems use to drop duplicates.
        msg["Message-ID"] = _stable_msgid(message.message_id, ch.name, ch.sender)
        if message.warning is not None:
            msg["X-Monitor-Feed-Warning"] = message.warning.warning_id
        elif message.withdrawal:
            msg["X-Monitor-Withdrawn-Alert-Id"] = message.items[0].alert.alert_id
        else:
            msg["X-Monitor-Alert-Ids"] = " ".join(message.alert_ids)
        msg.set_content(content.text)
        msg.add_alternative(content.html, subtype="html")
        # set after the parts: making the message multipart moves every Content-* header into its first part
        msg["Content-Language"] = "en" if message.warning is not None else ch.language
        return msg

    def _context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        if self.channel.ca_file is not None:
            ctx.load_verify_locations(cafile=str(self.channel.ca_file))
        return ctx

    def send(self, message: Message, now: datetime) -> Outcome:
        ch = self.channel
        try:
            msg = self.build(message, now)
            smtp: smtplib.SMTP
            if ch.security == "tls":
                smtp = smtplib.SMTP_SSL(ch.host, ch.port, timeout=ch.timeout_seconds, context=self._context())
            else:
                smtp = smtplib.SMTP(ch.host, ch.port, timeout=ch.timeout_seconds)
            with smtp:
                if ch.security == "starttls":
                    smtp.starttls(context=self._context())
                password = ch.password()  # read now: the environment holds it, not the config
                if ch.username and password is not None:
                    smtp.login(ch.username, password)
                refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            temporary = any(400 <= c < 500 for c in codes)
            return Outcome(Result.RETRY if temporary else Result.FAILED, f"all recipients refused: {exc.recipients}")
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            # 4xx = try later (greylisting, mailbox busy); 5xx = the server will not take it as configured
            result = Result.RETRY if 400 <= exc.smtp_code < 500 else Result.FAILED
            return Outcome(result, f"SMTP {exc.smtp_code}: {text}", exc.smtp_code)
        except ssl.SSLCertVerificationError as exc:
            return Outcome(Result.FAILED, f"TLS certificate not trusted: {exc.verify_message or exc}")
        except ConfigError as exc:  # the password's variable is unset
            return Outcome(Result.FAILED, str(exc))
        except (smtplib.SMTPException, OSError) as exc:  # timeouts, refused connections, dropped sessions
            return Outcome(Result.RETRY, f"SMTP connection error: {type(exc).__name__}: {exc}")
        if refused:
            log.warning("alerts %s on channel %s: some recipients refused: %s", message.alert_ids, ch.name, refused)
        return Outcome(Result.DELIVERED)

    def close(self) -> None:
        pass


def _stable_msgid(message_id: str, channel: str, sender: str) -> str:
    domain = sender.rpartition("@")[2] or "monitor.invalid"
    local = f"{message_id}.{channel}"
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,200}", local):
        local = hashlib.sha256(local.encode()).hexdigest()[:40]
    if not re.fullmatch(r"[A-Za-z0-9.-]{1,200}", domain):
        return make_msgid(idstring=local)
    return f"<{local}@{domain}>"


class AppriseSender:
    """Sends through Apprise to one URL (a target: what the outbox delivers to) or to every URL of a
    channel (`alerts test`, or deliveries queued while the channel's variable was unset).

    Apprise reports success or failure, not why; a failure is retried (the dead letter keeps a URL that
    never works visible) and its error is Apprise's warnings with the URL's parts taken out.
    """

    def __init__(self, channel: AppriseChannel | AppriseTarget) -> None:
        self.channel = channel
        _quiet_apprise_log()

    def content(self, message: Message) -> ChatContent:
        ch = self.channel
        if message.warning is not None:
            return chat_feed_warning(message.warning, ch.body_format)
        if message.withdrawal:
            return chat_withdrawal(message.items[0], ch.body_format, language=ch.language, timezone=ch.timezone)
        if message.digest:
            start, end = message.period or (message.items[0].alert.created_at, message.items[-1].alert.created_at)
            return chat_digest(message.items, start, end, ch.body_format, language=ch.language, timezone=ch.timezone)
        return chat_alert(message.items[0], ch.body_format, language=ch.language, timezone=ch.timezone)

    def send(self, message: Message, now: datetime) -> Outcome:
        ch = self.channel
        try:
            urls = (ch.url,) if isinstance(ch, AppriseTarget) else ch.urls()
        except ConfigError as exc:
            return Outcome(Result.FAILED, str(exc))
        content = self.content(message)
        outcomes = [_apprise_notify(url, content, ch.body_format, ch.timeout_seconds) for url in urls]
        failed = [(i, o) for i, o in enumerate(outcomes, 1) if o.result is not Result.DELIVERED]
        if not failed:
            return Outcome(Result.DELIVERED)
        if len(urls) == 1:
            return failed[0][1]
        result = Result.RETRY if any(o.result is Result.RETRY for _, o in failed) else Result.FAILED
        return Outcome(result, "; ".join(f"URL {i} of {len(urls)}: {o.error}" for i, o in failed))

    def close(self) -> None:
        pass


def _quiet_apprise_log() -> None:
    # Apprise logs request URLs, tokens included, at DEBUG; its warnings reach our log only through the
    # redacted Outcome error.
    apprise_log = logging.getLogger("apprise")
    apprise_log.propagate = False
    if not apprise_log.handlers:
        apprise_log.addHandler(logging.NullHandler())


def _apprise_notify(url: str, content: ChatContent, body_format: str, timeout: float) -> Outcome:
    try:
        import apprise
    except ImportError:
        return Outcome(Result.FAILED, "the apprise channel needs Apprise: pip install 'monitor[apprise]'")
    scheme = url.partition("://")[0] if "://" in url else "?"
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return Outcome(Result.FAILED, f"Apprise cannot use this {scheme}:// URL (unknown service or malformed)")
    plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
    notifier = apprise.Apprise()
    notifier.add(plugin)
    fmt = apprise.NotifyFormat.MARKDOWN if body_format == "markdown" else apprise.NotifyFormat.TEXT
    # the call's own deadline bounds a receiver that trickles its answer (a read timeout is per read)
    result = notifier.notify(body=content.body, title=content.title, body_format=fmt, timeout=2 * timeout + 5)
    if result:
        return Outcome(Result.DELIVERED)
    said = " ".join(e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL"))
    kind = "timed out" if result.status == apprise.AppriseResultStatus.TIMEOUT else "failed"
    return Outcome(Result.RETRY, f"{scheme}:// {kind}: {_redact(said, url) or 'no reason given'}")


def _redact(text: str, url: str) -> str:
    """`text` without the URL's parts (tokens, passwords, ids): Apprise's messages may quote them."""
    parts = sorted({p for p in re.split(r"[/:@?&=#,;+]", url.partition("://")[2]) if len(p) >= 4}, key=len)
    for part in reversed(parts):
        text = text.replace(part, "…")
    return one_line(text, 500)


class UnavailableSender:
    """For a channel that cannot work as configured (e.g. its secret is not in the environment)."""

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def send(self, message: Message, now: datetime) -> Outcome:
        return Outcome(Result.FAILED, self.problem)

    def close(self) -> None:
        pass


def make_sender(channel: Channel) -> Sender:
    if (missing := channel.missing_secret()) is not None:
        return UnavailableSender(str(missing))
    match channel:
        case WebhookChannel():
            return WebhookSender(channel)
        case EmailChannel():
            return EmailSender(channel)
        case JsonlChannel():
            return JsonlSender(channel)
        case AppriseChannel() | AppriseTarget():
            return AppriseSender(channel)
        case _:
            return ConsoleSender(channel)
