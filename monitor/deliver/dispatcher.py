"""Deliver what is due from the outbox: batching for digests, rate limits, retries, dead letters.

Interface:
    Dispatcher(db_path, alerts, clock=utc_now)   .run_due() -> RunSummary (never raises)   .close()

Alerts and feed warnings take the same path (channel checks, retries with backoff, attempt log, dead
letter, disabling on 410); the only kind-specific step is how pending rows become a Message.

At-least-once towards the transport, exactly-once for a receiver that honours the idempotency key: the
outcome of a send is committed right after it; if the process dies between the two, the delivery is still
pending on restart and is sent again with the same message id (webhook-id / Message-ID), and the JSONL
channel skips alerts already in its file.

Only one dispatcher works on a database at a time, even across processes (the daemon and a `monitor once`
run at the same time): a run holds an exclusive flock on "<database>.dispatch.lock", which the kernel
releases if the process dies, so a crash never leaves it stuck.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the in-process lock still applies
    fcntl = None  # type: ignore[assignment]

from monitor.deliver.channels import Message, Sender, make_sender, message_id_for
from monitor.deliver.policy import (
    Outcome,
    Result,
    digest_boundary,
    rate_limit_wait,
    retry_delay,
)
from monitor.settings.alerts import AlertsConfig, Channel, channel_summary
from monitor.store import outbox
from monitor.store.connection import DatabaseError, open_outbox
from monitor.store.outbox import AttemptRecord, DeliveryRow
from monitor.store.times import format_time

log = logging.getLogger("monitor.deliver")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunSummary:
    delivered: int = 0  # deliveries (alert or feed warning x channel) sent successfully
    retrying: int = 0  # attempts that failed and were rescheduled
    failed: int = 0  # deliveries dead-lettered in this run
    postponed: int = 0  # held back by a rate limit
    messages: int = 0  # sends made (a digest is one)
    busy: bool = False  # another run_due was still going: this one did nothing
    errors: list[str] = field(default_factory=list)


class Dispatcher:
    def __init__(
        self,
        db_path: Path,
        alerts: AlertsConfig,
        clock: Callable[[], datetime] = utc_now,
        *,
        senders: Mapping[str, Sender] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.alerts = alerts
        self.clock = clock
        self.rng = rng or random.Random()
        self._senders: dict[str, Sender] = dict(senders or {})
        self._lock = threading.Lock()
        # check_same_thread=False: APScheduler may run the job on a different pool thread each time;
        # the lock above keeps use of the connection to one thread at a time.
        self.conn = open_outbox(db_path)
        self._lock_fd = os.open(f"{db_path}.dispatch.lock", os.O_RDWR | os.O_CREAT, 0o600)

    def _try_process_lock(self) -> bool:
        if fcntl is None:
            return True
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release_process_lock(self) -> None:
        if fcntl is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._lock:
            for sender in self._senders.values():
                try:
                    sender.close()
                except Exception:  # closing must not hide the rest
                    log.exception("closing sender failed")
            self._senders.clear()
            self.conn.close()
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)

    def sender(self, channel: Channel) -> Sender:
        if channel.name not in self._senders:
            self._senders[channel.name] = make_sender(channel)
        return self._senders[channel.name]

    # --- the loop ---------------------------------------------------------------------------------------

    def run_due(self) -> RunSummary:
        summary = RunSummary()
        if not self._lock.acquire(blocking=False):
            summary.busy = True  # the scheduler fired again while a slow send was still going
            return summary
        try:
            if not self._try_process_lock():
                summary.busy = True  # another process is dispatching from this database
                log.info("another process is delivering alerts from this database; skipping this run")
                return summary
            try:
                self._run(summary)
            finally:
                self._release_process_lock()
        except Exception as exc:  # e.g. database locked for >30 s; next run tries again
            log.exception("delivery run failed")
            summary.errors.append(f"{type(exc).__name__}: {exc}")
            self._rollback()
        finally:
            self._lock.release()
        return summary

    def _rollback(self) -> None:
        try:
            self.conn.rollback()
        except DatabaseError:
            log.exception("rollback failed")

    def _run(self, summary: RunSummary) -> None:
        rows = outbox.pending_rows(self.conn)
        by_channel: dict[str, list[DeliveryRow]] = {}
        for row in rows:
            by_channel.setdefault(row.channel, []).append(row)
        disabled = outbox.disabled_channels(self.conn)
        for name, channel_rows in by_channel.items():
            try:
                self._run_channel(name, channel_rows, disabled.get(name), summary)
            except Exception as exc:
                ids = sorted({r.payload_id for r in channel_rows})
                log.exception("delivery on channel %s failed unexpectedly (%s)", name, ids)
                summary.errors.append(f"{name}: {type(exc).__name__}: {exc}")
                self._rollback()

    def _run_channel(
        self, name: str, rows: list[DeliveryRow], disabled: tuple[str, str] | None, summary: RunSummary
    ) -> None:
        now = self.clock()
        channel = self.alerts.channel(name)
        reason: str | None = None
        if channel is None:
            reason = f"channel {name!r} is not in the configuration"
        elif not channel.enabled:
            reason = f"channel {name!r} is disabled in the configuration"
        elif disabled is not None and disabled[0] == channel_summary(channel):
            reason = f"channel {name!r} was disabled: {disabled[1]}"
        if reason is not None:
            self._dead_letter_unattempted(name, rows, reason, now, summary)
            return
        assert channel is not None
        alerts = [r for r in rows if r.kind == outbox.ALERT]
        groups = self._due_alert_groups(channel, alerts, now, summary)
        # Feed warnings go out on their own as soon as due, past digests and the rate limit and without
        # using it up: they are rare (one per feed and stale spell) and operational, and a warning held for
        # the next digest would arrive after the outage it reports mattered.
        groups += [[r] for r in rows if r.kind == outbox.FEED_WARNING and r.next_attempt_at <= now]
        for group in groups:
            self._send(channel, group, summary)

    def _due_alert_groups(
        self, channel: Channel, rows: list[DeliveryRow], now: datetime, summary: RunSummary
    ) -> list[list[DeliveryRow]]:
        """The alert messages to send now: digests closed, the rate limit applied (postponing or batching)."""
        if not channel.digest.immediate:
            rows = self._close_digest_period(channel, rows, now)
        due = [r for r in rows if r.next_attempt_at <= now and (channel.digest.immediate or r.batch_key)]
        if not due:
            return []
        groups = _group(due)

        if channel.rate_limit is not None:
            name, limit = channel.name, channel.rate_limit
            sent = outbox.sent_times(self.conn, name, now - timedelta(seconds=limit.window_seconds))
            wait = rate_limit_wait(sent, now, limit)
            if wait > 0:
                with self.conn:
                    outbox.postpone(self.conn, [r.id for r in due], now + timedelta(seconds=wait), now)
                summary.postponed += len(due)
                log.info("channel %s: rate limit reached, %d deliveries wait %.0fs", name, len(due), wait)
                return []
            free = max(1, limit.count - len([t for t in sent if t > now - timedelta(seconds=limit.window_seconds)]))
            if len(groups) > free:
                # More waiting than the limit lets through: send one message carrying all of them rather
                # than dropping or trickling them out over hours.
                key = f"overflow:{name}:{format_time(now)}"
                with self.conn:
                    outbox.assign_batch(self.conn, [r.id for r in due], key, now)
                log.info("channel %s: rate limit; %d alerts batched into one message", name, len(due))
                groups = [[_rebatch(r, key) for r in due]]
        return groups

    def _close_digest_period(self, channel: Channel, rows: list[DeliveryRow], now: datetime) -> list[DeliveryRow]:
        """Give the alerts of every closed period a batch key; they then go out as one message."""
        boundary = digest_boundary(channel.digest, now)
        if boundary is None:
            return rows
        closing = [r for r in rows if r.batch_key is None and r.created_at < boundary]
        if not closing:
            return rows
        key = f"digest:{channel.name}:{format_time(boundary)}"
        with self.conn:
            outbox.assign_batch(self.conn, [r.id for r in closing], key, now)
        closing_ids = {r.id for r in closing}
        return [_rebatch(r, key, now) if r.id in closing_ids else r for r in rows]

    def _dead_letter_unattempted(
        self, name: str, rows: Sequence[DeliveryRow], reason: str, now: datetime, summary: RunSummary
    ) -> None:
        with self.conn:
            outbox.fail_without_attempt(self.conn, [r.id for r in rows], reason, now)
        for r in rows:
            log.error("%s on channel %s: dead letter: %s", _label(r), name, reason)
        summary.failed += len(rows)

    def _message(
        self, channel: Channel, rows: list[DeliveryRow], summary: RunSummary
    ) -> tuple[Message, list[DeliveryRow]] | None:
        """The message the rows make (one feed warning, or alerts) and the rows it carries: rows whose
        payload row is gone are dead-lettered and left out. None if nothing is left to send."""
        if rows[0].kind == outbox.FEED_WARNING:
            (row,) = rows  # never batched
            warning = outbox.load_feed_warning(self.conn, row.payload_id)
            if warning is None:
                self._dead_letter_unattempted(channel.name, rows, "feed warning row missing", self.clock(), summary)
                return None
            return Message(message_id=warning.warning_id, items=(), warning=warning), rows
        items = outbox.load_items(self.conn, [r.payload_id for r in rows])
        missing = [r for r in rows if r.payload_id not in items]
        if missing:
            self._dead_letter_unattempted(channel.name, missing, "alert row missing", self.clock(), summary)
            rows = [r for r in rows if r.payload_id in items]
            if not rows:
                return None
        batch_key = rows[0].batch_key
        ordered = [items[r.payload_id] for r in rows]
        ordered.sort(key=lambda i: (i.alert.created_at, i.alert.alert_id))
        message = Message(
            message_id=message_id_for(batch_key, rows[0].payload_id),
            items=tuple(ordered),
            digest=batch_key is not None,
            period=(ordered[0].alert.created_at, ordered[-1].alert.created_at) if batch_key else None,
        )
        return message, rows

    def _send(self, channel: Channel, rows: list[DeliveryRow], summary: RunSummary) -> None:
        built = self._message(channel, rows, summary)
        if built is None:
            return
        message, rows = built
        started = self.clock()
        try:
            outcome = self.sender(channel).send(message, started)
        except Exception as exc:  # a sender bug must not stop other channels; retry it like a transient error
            log.exception("sender for channel %s raised (%s)", channel.name, _subject(message))
            outcome = Outcome(Result.RETRY, f"internal error: {type(exc).__name__}: {exc}")
        finished = self.clock()
        summary.messages += 1
        self._record(channel, rows, message, outcome, started, finished, summary)

    def _record(
        self,
        channel: Channel,
        rows: list[DeliveryRow],
        message: Message,
        outcome: Outcome,
        started: datetime,
        finished: datetime,
        summary: RunSummary,
    ) -> None:
        attempt_no = max(r.attempts for r in rows) + 1
        max_attempts = self.alerts.max_attempts(channel)
        result = outcome.result
        next_at: datetime | None = None
        new_status = outbox.PENDING
        error = outcome.error
        if result is Result.DELIVERED:
            new_status = outbox.DELIVERED
        elif result is Result.RETRY and attempt_no < max_attempts:
            delay = retry_delay(attempt_no, self.alerts.retry, self.rng, outcome.retry_after)
            next_at = finished + timedelta(seconds=delay)
        else:
            new_status = outbox.FAILED
            if result is Result.RETRY:
                error = f"{error}; gave up after {attempt_no} attempts"
        record = AttemptRecord(message.message_id, started, finished, result.value, outcome.status_code, error)
        with self.conn:
            outbox.record_attempt(self.conn, rows, record, new_status=new_status, next_attempt_at=next_at)
            if result is Result.DISABLED:
                outbox.disable_channel(self.conn, channel.name, channel_summary(channel), error or "", finished)

        subject = _subject(message)
        if new_status == outbox.DELIVERED:
            summary.delivered += len(rows)
            log.info("%s delivered on channel %s (message %s)", subject, channel.name, message.message_id)
        elif new_status == outbox.PENDING:
            summary.retrying += len(rows)
            log.warning(
                "%s on channel %s: attempt %d/%d failed: %s; next attempt at %s",
                subject,
                channel.name,
                attempt_no,
                max_attempts,
                error,
                next_at.isoformat() if next_at else "?",
            )
        else:
            summary.failed += len(rows)
            for r in rows:
                log.error(
                    "%s on channel %s: dead letter after attempt %d: %s%s",
                    _label(r),
                    channel.name,
                    attempt_no,
                    error,
                    f" (re-queue: monitor alerts retry {r.payload_id})" if r.kind == outbox.ALERT else "",
                )


def _label(row: DeliveryRow) -> str:
    return f"{'feed warning' if row.kind == outbox.FEED_WARNING else 'alert'} {row.payload_id}"


def _subject(message: Message) -> str:
    """What a message carries, for the log."""
    if message.warning is not None:
        return f"feed warning {message.warning.warning_id} ({message.warning.feed_url})"
    return f"alerts {message.alert_ids}"


def _group(rows: Sequence[DeliveryRow]) -> list[list[DeliveryRow]]:
    """One message per batch key; a row without one is a message of its own."""
    groups: dict[str, list[DeliveryRow]] = {}
    for r in rows:
        groups.setdefault(r.batch_key or f"\0{r.id}", []).append(r)
    return list(groups.values())


def _rebatch(row: DeliveryRow, key: str, now: datetime | None = None) -> DeliveryRow:
    return replace(row, batch_key=key, next_attempt_at=now if now is not None else row.next_attempt_at)
