"""Deliver what is due from the outbox: batching for digests, rate limits, retries, dead letters.

Interface:
    Dispatcher(db_path, alerts, clock=utc_now, outbox=None)
        .run_due(wait=True) -> RunSummary (never raises)   .stop()   .close()

Channels deliver independently: each channel with due rows gets its own worker thread, so a hanging
webhook costs its own channel only. run_due(wait=False) (the daemon) returns once the workers are started;
a channel whose worker is still busy is left to it. stop() is honoured between attempts: at most the one
attempt in flight per channel (bounded by the channel's timeout) runs on.

Alerts and feed warnings take the same path (channel checks, retries with backoff, attempt log, dead
letter, disabling on 410); the only kind-specific step is how pending rows become a Message.

Never send what cannot be recorded: a "sending" attempt row is committed before each send and its
outcome right after. If the reservation cannot be written (disk full, locked), nothing is sent and the
channel pauses until the next run; if the outcome cannot be written, it is kept in memory, written before
anything else is sent, and no run sends while it is unwritten.

At-least-once towards the transport, exactly-once for a receiver that honours the idempotency key: if the
process dies between a send and its record, the delivery is still pending on restart, its reservation is
marked "interrupted", and it is sent again with the same message id (webhook-id / Message-ID); the JSONL
channel skips alerts already in its file. See docs/webhooks.md for what a receiver sees.

Only one dispatcher works on a SQLite database at a time, even across processes (the daemon and a
`monitor once` run at the same time): a run holds an exclusive flock on "<database>.dispatch.lock", which
the kernel releases if the process dies, so a crash never leaves it stuck. Without a database path (an
outbox given, db_path None: PostgreSQL) the outbox itself keeps dispatchers apart: its pending() hands
each channel's rows to one dispatcher at a time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the in-process lock still applies
    fcntl = None  # type: ignore[assignment]

from monitor.deliver.channels import Message, Sender, make_sender, message_id_for, withdrawal_message_id
from monitor.deliver.policy import (
    Outcome,
    Result,
    digest_boundary,
    rate_limit_wait,
    retry_delay,
)
from monitor.models import STORY_UPDATE_BATCH, AlertItem
from monitor.settings.alerts import AlertsConfig, Channel, channel_summary
from monitor.store import outbox
from monitor.store.outbox import AttemptRecord, DeliveryRow
from monitor.store.outbox_store import DatabaseError, Outbox, Reservation, open_outbox_store
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
    paused: bool = False  # the database could not take an attempt: nothing more was sent
    errors: list[str] = field(default_factory=list)

    def add(self, other: RunSummary) -> None:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.failed += other.failed
        self.postponed += other.postponed
        self.messages += other.messages
        self.paused = self.paused or other.paused
        self.errors.extend(other.errors)


@dataclass
class _Unrecorded:
    """An outcome that was sent but could not be written: retried before anything else is sent."""

    reservation: Reservation
    record: AttemptRecord
    new_status: str
    next_attempt_at: datetime | None
    disable: tuple[str, str, str] | None


class Dispatcher:
    def __init__(
        self,
        db_path: Path | None,
        alerts: AlertsConfig,
        clock: Callable[[], datetime] = utc_now,
        *,
        senders: Mapping[str, Sender] | None = None,
        rng: random.Random | None = None,
        outbox_store: Outbox | None = None,
    ) -> None:
        self.alerts = alerts
        self.clock = clock
        self.rng = rng or random.Random()
        self._senders: dict[str, Sender] = dict(senders or {})
        self._lock = threading.Lock()  # one planning pass at a time
        self._state = threading.Lock()  # guards workers, senders, the process lock count, unrecorded outcomes
        self._workers: dict[str, threading.Thread] = {}
        self._unrecorded: list[_Unrecorded] = []
        self._lock_users = 0  # planning pass + live workers holding the process lock
        self._stopping = threading.Event()
        self._paused_logged = False
        self._recovered = False  # interrupted reservations of earlier processes marked
        if outbox_store is None:
            assert db_path is not None, "a dispatcher needs a database path or an outbox"
            outbox_store = open_outbox_store(db_path)
        self.outbox: Outbox = outbox_store
        self._lock_fd = os.open(f"{db_path}.dispatch.lock", os.O_RDWR | os.O_CREAT, 0o600) if db_path else None

    def _hold_process_lock(self) -> bool:
        """Take (or share, within this process) the flock; True for the first holder after none."""
        with self._state:
            if self._lock_users == 0 and fcntl is not None and self._lock_fd is not None:
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
            self._lock_users += 1
            return True

    def _release_process_lock(self) -> None:
        with self._state:
            self._lock_users -= 1
            if self._lock_users == 0 and fcntl is not None and self._lock_fd is not None:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def stop(self) -> None:
        """No new attempt starts from now on; the ones in flight finish and are recorded."""
        self._stopping.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait for the channel workers; False if some were still sending after `timeout` seconds."""
        with self._state:
            workers = list(self._workers.values())
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in workers:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in workers)

    def close(self) -> None:
        self.stop()
        self.wait_idle()
        with self._lock:
            self._flush_unrecorded(RunSummary())
            with self._state:
                for sender in self._senders.values():
                    try:
                        sender.close()
                    except Exception:  # closing must not hide the rest
                        log.exception("closing sender failed")
                self._senders.clear()
            if self._unrecorded:
                log.error(
                    "stopping with %d sent messages whose outcome the database could not take: they are sent"
                    " again (same message id) on the next start",
                    len(self._unrecorded),
                )
            self.outbox.close()
            if self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._lock_fd)

    def sender(self, channel: Channel) -> Sender:
        with self._state:
            if channel.name not in self._senders:
                self._senders[channel.name] = make_sender(channel)
            return self._senders[channel.name]

    # --- the loop ---------------------------------------------------------------------------------------

    def run_due(self, *, wait: bool = True) -> RunSummary:
        summary = RunSummary()
        if self._stopping.is_set():
            return summary
        if not self._lock.acquire(blocking=False):
            summary.busy = True  # the scheduler fired again while a slow send was still going
            return summary
        started: list[tuple[threading.Thread, RunSummary]] = []
        try:
            if not self._hold_process_lock():
                summary.busy = True  # another process is dispatching from this database
                log.info("another process is delivering alerts from this database; skipping this run")
                return summary
            try:
                started = self._plan(summary)
            finally:
                self._release_process_lock()
        except Exception as exc:  # e.g. database locked for >30 s; next run tries again
            log.exception("delivery run failed")
            summary.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            self._lock.release()
        if wait:
            for t, channel_summary in started:
                t.join()
                summary.add(channel_summary)
        return summary

    def _plan(self, summary: RunSummary) -> list[tuple[threading.Thread, RunSummary]]:
        """Start one worker per channel with pending rows (unless its worker is still busy)."""
        if not self._flush_unrecorded(summary):
            return []
        if not self._recovered:
            # First pass of this dispatcher, holding the process lock: every "sending" row left is from a
            # process that died between a send and its record.
            try:
                interrupted = self.outbox.mark_interrupted()
            except DatabaseError as exc:
                summary.paused = True
                summary.errors.append(f"{type(exc).__name__}: {exc}")
                self._log_paused(exc, "nothing is sent until it can")
                return []
            self._recovered = True
            if interrupted:
                log.warning("%d deliveries were interrupted between send and record; sending them again", interrupted)
        rows = self.outbox.pending()
        by_channel: dict[str, list[DeliveryRow]] = {}
        for row in rows:
            by_channel.setdefault(row.channel, []).append(row)
        disabled = self.outbox.disabled_channels()
        started: list[tuple[threading.Thread, RunSummary]] = []
        skipped = 0
        for name, channel_rows in by_channel.items():
            with self._state:
                running = self._workers.get(name)
                if running is not None and running.is_alive():
                    skipped += 1  # its worker reads the queue again when it is done
                    continue
                channel_summary = RunSummary()
                worker = threading.Thread(
                    target=self._channel_worker,
                    args=(name, channel_rows, disabled.get(name), channel_summary),
                    name=f"deliver-{name}",
                    daemon=True,
                )
                self._workers[name] = worker
                self._lock_users += 1  # the worker holds the process lock until it ends
            worker.start()
            started.append((worker, channel_summary))
        if skipped and not started:
            summary.busy = True
        return started

    def _channel_worker(
        self, name: str, rows: list[DeliveryRow], disabled: tuple[str, str] | None, summary: RunSummary
    ) -> None:
        try:
            self._run_channel(name, rows, disabled, summary)
        except Exception as exc:
            ids = sorted({r.payload_id for r in rows})
            log.exception("delivery on channel %s failed unexpectedly (%s)", name, ids)
            summary.errors.append(f"{name}: {type(exc).__name__}: {exc}")
        finally:
            self._release_process_lock()

    def _flush_unrecorded(self, summary: RunSummary) -> bool:
        """Write the outcomes the database refused earlier. False (and paused) while it still refuses."""
        with self._state:
            waiting = list(self._unrecorded)
        for item in waiting:
            try:
                self.outbox.finish_attempt(
                    item.reservation,
                    item.record,
                    new_status=item.new_status,
                    next_attempt_at=item.next_attempt_at,
                    disable=item.disable,
                )
            except DatabaseError as exc:
                summary.paused = True
                summary.errors.append(f"{type(exc).__name__}: {exc}")
                self._log_paused(exc, f"{len(waiting)} sent messages wait for their outcome to be written")
                return False
            with self._state:
                self._unrecorded.remove(item)
            self._count(item.new_status, len(item.reservation.rows), summary)
        return True

    def _log_paused(self, exc: Exception, what: str) -> None:
        # once per spell, not every few seconds while the disk stays full
        if not self._paused_logged:
            self._paused_logged = True
            log.error(
                "delivery paused: the database cannot record attempts (%s: %s); %s", type(exc).__name__, exc, what
            )

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
        alerts = [r for r in rows if r.kind == outbox.ALERT and not r.is_withdrawal]
        groups = self._due_alert_groups(channel, alerts, now, summary)
        # Feed warnings go out on their own as soon as due, past digests and the rate limit and without
        # using it up: they are rare (one per feed and stale spell) and operational, and a warning held for
        # the next digest would arrive after the outage it reports mattered.
        groups += [[r] for r in rows if r.kind == outbox.FEED_WARNING and r.next_attempt_at <= now]
        # A withdrawal goes out on its own too (no digest, no rate limit: it corrects what a reader has),
        # but only after the alert it withdraws has left this channel's queue, so it never arrives first.
        waiting = {r.payload_id for r in alerts}
        groups += [[r] for r in rows if r.is_withdrawal and r.next_attempt_at <= now and r.payload_id not in waiting]
        for group in groups:
            if self._stopping.is_set() or not self._send(channel, group, summary):
                return

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
            sent = self.outbox.sent_times(name, now - timedelta(seconds=limit.window_seconds))
            wait = rate_limit_wait(sent, now, limit)
            if wait > 0:
                self.outbox.postpone([r.id for r in due], now + timedelta(seconds=wait), now)
                summary.postponed += len(due)
                log.info("channel %s: rate limit reached, %d deliveries wait %.0fs", name, len(due), wait)
                return []
            free = max(1, limit.count - len([t for t in sent if t > now - timedelta(seconds=limit.window_seconds)]))
            if len(groups) > free:
                # More waiting than the limit lets through: send one message carrying all of them rather
                # than dropping or trickling them out over hours.
                key = f"overflow:{name}:{format_time(now)}"
                self.outbox.assign_batch([r.id for r in due], key, now)
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
        self.outbox.assign_batch([r.id for r in closing], key, now)
        closing_ids = {r.id for r in closing}
        return [_rebatch(r, key, now) if r.id in closing_ids else r for r in rows]

    def _dead_letter_unattempted(
        self, name: str, rows: Sequence[DeliveryRow], reason: str, now: datetime, summary: RunSummary
    ) -> None:
        self.outbox.fail_without_attempt([r.id for r in rows], reason, now)
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
            warning = self.outbox.load_feed_warning(row.payload_id)
            if warning is None:
                self._dead_letter_unattempted(channel.name, rows, "feed warning row missing", self.clock(), summary)
                return None
            return Message(message_id=warning.warning_id, items=(), warning=warning), rows
        if rows[0].is_withdrawal:
            (row,) = rows  # never batched
            withdrawn = self.outbox.load_items([row.payload_id]).get(row.payload_id)
            if withdrawn is None:
                self._dead_letter_unattempted(channel.name, rows, "alert row missing", self.clock(), summary)
                return None
            message_id = withdrawal_message_id(row.payload_id)
            return Message(message_id=message_id, items=(withdrawn,), withdrawal=True), rows
        items = self.outbox.load_items([r.payload_id for r in rows])
        missing = [r for r in rows if r.payload_id not in items]
        if missing:
            self._dead_letter_unattempted(channel.name, missing, "alert row missing", self.clock(), summary)
            rows = [r for r in rows if r.payload_id in items]
            if not rows:
                return None
        batch_key = rows[0].batch_key
        ordered = by_story([items[r.payload_id] for r in rows])
        times = sorted(i.alert.created_at for i in ordered)
        message = Message(
            message_id=message_id_for(batch_key, rows[0].payload_id, [r.payload_id for r in rows]),
            items=tuple(ordered),
            digest=batch_key is not None,
            period=(times[0], times[-1]) if batch_key else None,
            story_update=batch_key is not None and batch_key.startswith(STORY_UPDATE_BATCH),
        )
        return message, rows

    def _send(self, channel: Channel, rows: list[DeliveryRow], summary: RunSummary) -> bool:
        """Reserve, send, record one message. False if the channel should stop for this run (paused)."""
        built = self._message(channel, rows, summary)
        if built is None:
            return True
        message, rows = built
        started = self.clock()
        try:
            reservation = self.outbox.reserve_attempt(rows, message.message_id, started)
        except DatabaseError as exc:  # not sent: the outcome would have nowhere to go
            summary.paused = True
            summary.errors.append(f"{type(exc).__name__}: {exc}")
            self._log_paused(exc, f"{_subject(message)} on channel {channel.name} not sent")
            return False
        try:
            outcome = self.sender(channel).send(message, started)
        except Exception as exc:  # a sender bug must not stop other channels; retry it like a transient error
            log.exception("sender for channel %s raised (%s)", channel.name, _subject(message))
            outcome = Outcome(Result.RETRY, f"internal error: {type(exc).__name__}: {exc}")
        finished = self.clock()
        summary.messages += 1
        return self._record(channel, reservation, message, outcome, started, finished, summary)

    def _record(
        self,
        channel: Channel,
        reservation: Reservation,
        message: Message,
        outcome: Outcome,
        started: datetime,
        finished: datetime,
        summary: RunSummary,
    ) -> bool:
        rows = list(reservation.rows)
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
        disable = (channel.name, channel_summary(channel), error or "") if result is Result.DISABLED else None
        try:
            self.outbox.finish_attempt(
                reservation, record, new_status=new_status, next_attempt_at=next_at, disable=disable
            )
        except DatabaseError as exc:
            # Sent, but the database refused the outcome: keep it and write it before anything else is
            # sent, so the message is not sent again while the database is full.
            with self._state:
                self._unrecorded.append(_Unrecorded(reservation, record, new_status, next_at, disable))
            summary.paused = True
            summary.errors.append(f"{type(exc).__name__}: {exc}")
            kept = f"the outcome of {_subject(message)} on channel {channel.name} is kept until it can be written"
            self._log_paused(exc, kept)
            return False
        self._paused_logged = False

        subject = _subject(message)
        self._count(new_status, len(rows), summary)
        if new_status == outbox.DELIVERED:
            log.info("%s delivered on channel %s (message %s)", subject, channel.name, message.message_id)
        elif new_status == outbox.PENDING:
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
            for r in rows:
                log.error(
                    "%s on channel %s: dead letter after attempt %d: %s%s",
                    _label(r),
                    channel.name,
                    attempt_no,
                    error,
                    f" (re-queue: monitor alerts retry {r.payload_id})" if r.kind == outbox.ALERT else "",
                )
        return True

    @staticmethod
    def _count(new_status: str, n: int, summary: RunSummary) -> None:
        """Counted once the outcome is committed, not when it was sent."""
        if new_status == outbox.DELIVERED:
            summary.delivered += n
        elif new_status == outbox.PENDING:
            summary.retrying += n
        else:
            summary.failed += n


def by_story(items: Sequence[AlertItem]) -> list[AlertItem]:
    """Alerts in time order, each story's together (at its first alert's place): digests group by story."""
    first: dict[str, tuple[datetime, str]] = {}
    for i in sorted(items, key=lambda i: (i.alert.created_at, i.alert.alert_id)):
        first.setdefault(i.story_id or i.alert.alert_id, (i.alert.created_at, i.alert.alert_id))
    return sorted(items, key=lambda i: (first[i.story_id or i.alert.alert_id], i.alert.created_at, i.alert.alert_id))


def _label(row: DeliveryRow) -> str:
    if row.is_withdrawal:
        return f"withdrawal of alert {row.payload_id}"
    return f"{'feed warning' if row.kind == outbox.FEED_WARNING else 'alert'} {row.payload_id}"


def _subject(message: Message) -> str:
    """What a message carries, for the log."""
    if message.warning is not None:
        return f"feed warning {message.warning.warning_id} ({message.warning.feed_url})"
    if message.withdrawal:
        return f"withdrawal {message.message_id} of alert {message.alert_ids[0]}"
    return f"alerts {message.alert_ids}"


def _group(rows: Sequence[DeliveryRow]) -> list[list[DeliveryRow]]:
    """One message per batch key; a row without one is a message of its own."""
    groups: dict[str, list[DeliveryRow]] = {}
    for r in rows:
        groups.setdefault(r.batch_key or f"\0{r.id}", []).append(r)
    return list(groups.values())


def _rebatch(row: DeliveryRow, key: str, now: datetime | None = None) -> DeliveryRow:
    return replace(row, batch_key=key, next_attempt_at=now if now is not None else row.next_attempt_at)
