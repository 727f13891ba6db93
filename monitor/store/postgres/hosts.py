"""Per-host politeness shared by every worker on the database: the host's concurrency and request spacing.

    host_slots        one row per slot taken: (host, slot number < concurrency, holder, the server process
                      of the connection that took it, until). A request takes the lowest free slot with one
                      INSERT … ON CONFLICT DO UPDATE … WHERE the slot is free, so two workers racing for a
                      slot get it once. A slot is free when given back, when its time ran out (`until`: the
                      request's longest wait + a margin), or when the session that took it is gone: a worker
                      killed mid-request frees its slots as soon as the server sees its connections close.
    host_politeness   the host's next free start time. Each request moves it on by the interval in one
                      UPDATE and starts at the value it moved it from, so starts from all workers are spaced.
Times are the database server's clock (seconds since the epoch), which every worker reads alike whatever its
own clock says. If the database cannot answer, requests go on under the process's own rules (logged once).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from monitor.fetch.hosts import HostBusy

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.05  # how often a request waiting for a slot of a busy host asks again
SLOT_MARGIN_SECONDS = 30.0  # a slot outlives its request's longest wait by this much before another may take it

_TAKE_SLOT = """
WITH now AS (SELECT extract(epoch FROM clock_timestamp()) AS t),
free AS (
    SELECT s FROM generate_series(0, %(concurrency)s - 1) AS s
    WHERE NOT EXISTS (SELECT 1 FROM host_slots h, now WHERE h.host = %(host)s AND h.slot = s AND h.until > now.t
                      AND EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = h.pid))
    ORDER BY s LIMIT 1
)
INSERT INTO host_slots (host, slot, holder, pid, until)
SELECT %(host)s, free.s, %(holder)s, pg_backend_pid(), now.t + %(hold)s FROM free, now
ON CONFLICT (host, slot) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, until = excluded.until
    WHERE host_slots.until <= extract(epoch FROM clock_timestamp())
       OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = host_slots.pid)
RETURNING slot, extract(epoch FROM clock_timestamp())
"""

_TAKE_START = """
INSERT INTO host_politeness AS p (host, next_start) VALUES (%(host)s, %(now)s + %(interval)s)
ON CONFLICT (host) DO UPDATE SET next_start = greatest(p.next_start, %(now)s) + %(interval)s
RETURNING next_start - %(interval)s
"""


class PostgresPoliteness:
    """SharedPoliteness (monitor/fetch/hosts.py) on the store's connection pool."""

    def __init__(self, pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]], holder: str) -> None:
        self.pool = pool
        self.holder = holder
        self._failing = threading.Event()  # the database is not answering: logged once per spell

    def acquire(self, host: str, *, concurrency: int, min_interval: float, max_wait: float) -> tuple[object, float]:
        deadline = time.monotonic() + max_wait
        try:
            while True:
                with self.pool.connection() as conn:
                    taken = conn.execute(_TAKE_SLOT, {"host": host, "concurrency": concurrency, "holder": self.holder,
                                                      "hold": max_wait + SLOT_MARGIN_SECONDS}).fetchone()
                    if taken is not None:
                        slot, now = int(taken[0]), float(taken[1])
                        start = conn.execute(_TAKE_START, {"host": host, "now": now,
                                                           "interval": min_interval}).fetchone()
                        self._failing.clear()
                        return (host, slot), max(0.0, float(start[0]) - now) if start else 0.0
                if time.monotonic() >= deadline:
                    raise HostBusy(host, max_wait)
                time.sleep(RETRY_SECONDS)
        except (psycopg.Error, OSError) as exc:
            if not self._failing.is_set():
                self._failing.set()
                log.warning("host %s: the shared politeness state cannot be read (%s: %s); this worker keeps"
                            " its own per-host limits until it can", host, type(exc).__name__, exc)
            return None, 0.0

    def release(self, token: object) -> None:
        if not isinstance(token, tuple):  # taken while the database was not answering
            return
        host, slot = str(token[0]), int(token[1])
        try:
            with self.pool.connection() as conn:
                conn.execute("DELETE FROM host_slots WHERE host = %s AND slot = %s AND holder = %s",
                             [host, slot, self.holder])
        except (psycopg.Error, OSError):  # the slot runs out on its own
            log.debug("host %s: slot %d not given back", host, slot, exc_info=True)
