"""Process counters for /metrics and /healthz, rendered in the Prometheus text format (version 0.0.4).

INTERFACE used by the app (all methods thread-safe; poll workers call them concurrently):
    metrics = Metrics()
    metrics.observe_poll(status, new, duplicates, matches, alerts, seconds, article_errors=0)
    metrics.observe_cycle(seconds, ok)          one scheduled poll cycle finished (ok: no exception)
    metrics.observe_error(kind)                 anything else that went wrong, e.g. "dispatch", "retention"
    metrics.render(database_gauges(path))       the /metrics body

Counters live in memory and restart at zero with the process (Prometheus' rate() copes with resets);
everything that must survive a restart — articles, alerts, deliveries — is read from the database at
scrape time instead, so the two can never disagree.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from monitor.store.reads import Database, database_counts, database_size

# Seconds. A poll is one feed fetch plus its new articles' page fetches and extraction.
POLL_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
CYCLE_BUCKETS = (1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


class _Histogram:
    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * len(buckets)  # cumulative on render, per-bucket here
        self.total = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.total += 1
        self.sum += value
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1
                break

    def lines(self, name: str) -> list[str]:
        out, running = [], 0
        for bound, count in zip(self.buckets, self.counts, strict=True):
            running += count
            out.append(f'{name}_bucket{{le="{_number(bound)}"}} {running}')
        out.append(f'{name}_bucket{{le="+Inf"}} {self.total}')
        out.append(f"{name}_sum {_number(self.sum)}")
        out.append(f"{name}_count {self.total}")
        return out


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _label(value: str) -> str:
    """Escape a label value as the text format requires (backslash, double quote, newline)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@dataclass(frozen=True)
class Snapshot:
    started_at: float
    last_cycle_at: float | None  # end of the last cycle, successful or not
    last_success_at: float | None  # end of the last cycle that raised nothing
    cycles: int
    polls: int
    last_feed_success_at: float | None = None  # last poll that reached its feed (ok or not modified)
    last_feed_failure_at: float | None = None  # last poll that did not


class Metrics:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.started_at = clock()
        self._polls: dict[str, int] = defaultdict(int)  # by status
        self._errors: dict[str, int] = defaultdict(int)  # by kind
        self._articles_new = 0
        self._duplicates = 0
        self._matches = 0
        self._alerts = 0
        self._poll_seconds = _Histogram(POLL_BUCKETS)
        self._cycle_seconds = _Histogram(CYCLE_BUCKETS)
        self._cycles: dict[str, int] = defaultdict(int)  # "ok" / "error"
        self._last_cycle_at: float | None = None
        self._last_success_at: float | None = None
        self._last_feed_success_at: float | None = None
        self._last_feed_failure_at: float | None = None

    def observe_poll(
        self, status: str, new: int, duplicates: int, matches: int, alerts: int, seconds: float,
        article_errors: int = 0,
    ) -> None:
        """One feed poll (PollReport fields). A status other than ok/not_modified counts as an error of
        that kind (temporary, soft, hard, error); articles that failed inside a good poll as "article"."""
        with self._lock:
            self._polls[status] += 1
            if status in ("ok", "not_modified"):
                self._last_feed_success_at = self._clock()
            else:
                self._errors[f"poll_{status}"] += 1
                self._last_feed_failure_at = self._clock()
            if article_errors:
                self._errors["article"] += article_errors
            self._articles_new += new
            self._duplicates += duplicates
            self._matches += matches
            self._alerts += alerts
            self._poll_seconds.observe(seconds)

    def observe_cycle(self, seconds: float, ok: bool) -> None:
        with self._lock:
            now = self._clock()
            self._cycles["ok" if ok else "error"] += 1
            self._cycle_seconds.observe(seconds)
            self._last_cycle_at = now
            if ok:
                self._last_success_at = now

    def observe_error(self, kind: str) -> None:
        with self._lock:
            self._errors[kind] += 1

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(started_at=self.started_at, last_cycle_at=self._last_cycle_at,
                            last_success_at=self._last_success_at, cycles=sum(self._cycles.values()),
                            polls=sum(self._polls.values()), last_feed_success_at=self._last_feed_success_at,
                            last_feed_failure_at=self._last_feed_failure_at)

    def render(self, gauges: Iterable[Gauge] = ()) -> str:
        """The whole /metrics body: process counters, then the database gauges given."""
        with self._lock:
            out: list[str] = []
            _family(out, "monitor_polls_total", "counter", "Feed polls by outcome.",
                    [(f'{{status="{_label(k)}"}}', v) for k, v in sorted(self._polls.items())])
            _family(out, "monitor_errors_total", "counter",
                    "Failures by kind: poll_<status>, article (one entry failed), dispatch, ...",
                    [(f'{{kind="{_label(k)}"}}', v) for k, v in sorted(self._errors.items())])
            _family(out, "monitor_articles_new_total", "counter", "New feed entries found by polls.",
                    [("", self._articles_new)])
            _family(out, "monitor_duplicates_total", "counter", "Articles stored as near-copies.",
                    [("", self._duplicates)])
            _family(out, "monitor_matches_total", "counter", "Articles that matched at least one topic.",
                    [("", self._matches)])
            _family(out, "monitor_alerts_queued_total", "counter", "Alerts written to the outbox.",
                    [("", self._alerts)])
            _family(out, "monitor_cycles_total", "counter", "Scheduled poll cycles by result.",
                    [(f'{{result="{k}"}}', v) for k, v in sorted(self._cycles.items())])
            out += ["# HELP monitor_poll_duration_seconds Time one feed poll took, articles included.",
                    "# TYPE monitor_poll_duration_seconds histogram",
                    *self._poll_seconds.lines("monitor_poll_duration_seconds")]
            out += ["# HELP monitor_cycle_duration_seconds Time one poll cycle over the due feeds took.",
                    "# TYPE monitor_cycle_duration_seconds histogram",
                    *self._cycle_seconds.lines("monitor_cycle_duration_seconds")]
            _family(out, "monitor_start_time_seconds", "gauge", "When the process started (Unix time).",
                    [("", self.started_at)])
            if self._last_success_at is not None:
                _family(out, "monitor_last_successful_cycle_timestamp_seconds", "gauge",
                        "When the last poll cycle finished without an exception (Unix time).",
                        [("", self._last_success_at)])
        for gauge in gauges:
            _family(out, gauge.name, "gauge", gauge.help, list(gauge.samples.items()))
        return "\n".join(out) + "\n"


def _family(out: list[str], name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} {kind}")
    out.extend(f"{name}{labels} {_number(value)}" for labels, value in samples)


@dataclass(frozen=True)
class Gauge:
    name: str
    help: str
    samples: Mapping[str, float]  # rendered label set ('' or '{k="v"}') -> value


def database_gauges(database_path: Database, timeout: float = 2.0) -> list[Gauge]:
    """What the database holds now: articles, alerts, deliveries by state, feeds. Read-only.

    Its own short-lived connection: a scrape never waits on the daemon's store lock, and at worst
    waits `timeout` for SQLite (readers do not block writers in WAL mode).
    """
    counts = database_counts(database_path, timeout)
    articles = {
        '{kind="all"}': float(counts.articles),
        '{kind="corpus"}': float(counts.corpus),
        '{kind="seed"}': float(counts.seeds),
        '{kind="duplicate"}': float(counts.duplicates),
        '{kind="match"}': float(counts.matches),
    }
    states = {state: float(n) for state, n in counts.deliveries.items()}
    feeds = {'{state="enabled"}': float(counts.feeds_enabled), '{state="failing"}': float(counts.feeds_failing)}
    alerts = float(counts.alerts)
    size = database_size(database_path, timeout)
    return [
        Gauge("monitor_articles", "Articles in the database, by kind.", articles),
        Gauge("monitor_alerts", "Alerts in the outbox.", {"": alerts}),
        Gauge("monitor_deliveries", "Alert deliveries (one per alert and channel), by state.",
              {f'{{state="{k}"}}': v for k, v in states.items()}),
        Gauge("monitor_feeds", "Enabled feeds, and those whose last poll failed.", feeds),
        Gauge("monitor_page_retries", "Article pages that failed temporarily, waiting to be fetched again.",
              {"": float(counts.page_retries)}),
        Gauge("monitor_provisional_alerts", "Alerts decided on the feed's headline/summary, their page not read yet.",
              {"": float(counts.provisional_alerts)}),
        Gauge("monitor_database_size_bytes", "Bytes the database takes (SQLite: the file and its write-ahead log).",
              {"": float(size)}),
    ]
