"""Per-host politeness across worker processes on PostgreSQL: the host's concurrency and spacing hold for
all workers together, measured by a local server that logs when each request arrives and ends."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from monitor.store.postgres.store import PostgresStore
from tests.fault_server import FaultServer, Reply

ROOT = Path(__file__).parent.parent
REQUESTS_PER_WORKER = 8

WORKER = textwrap.dedent("""
    import sys
    from concurrent.futures import ThreadPoolExecutor
    from monitor.fetch.client import Fetcher
    from monitor.settings.sections import HttpSettings
    from monitor.store.postgres.store import PostgresStore

    url, base = sys.argv[1], sys.argv[2]
    interval, concurrency, n = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    store = PostgresStore(url)
    settings = HttpSettings(allow_private_addresses=True, per_host_min_interval=interval,
                            per_host_concurrency=concurrency, total_timeout=30)
    with Fetcher(settings) as fetcher:
        fetcher.gate.share_with(store.shared_politeness())
        with ThreadPoolExecutor(4) as pool:  # the worker's own threads contend too
            results = list(pool.map(lambda i: fetcher.fetch(f"{base}/page?w={sys.argv[6]}&i={i}"), range(n)))
    store.close()
    assert all(r.http_status == 200 for r in results), [r.error for r in results]
""")


def _run_workers(pg_url: str, server: FaultServer, interval: float, concurrency: int) -> None:
    PostgresStore(pg_url).close()  # migrated once before the workers start
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, pg_url, server.url("").rstrip("/"), str(interval),
                          str(concurrency), str(REQUESTS_PER_WORKER), str(n)], cwd=ROOT)
        for n in range(2)
    ]
    for w in workers:
        assert w.wait(120) == 0


def test_the_interval_between_requests_to_a_host_holds_across_two_workers(pg_url: str) -> None:
    interval = 0.25
    with FaultServer({"/page": Reply(body=b"ok", headers_delay=0.05)}) as server:
        _run_workers(pg_url, server, interval, concurrency=1)
        starts = sorted(r.at for r in server.requests)
    workers = {r.raw_path.split("w=")[1][0] for r in server.requests}
    assert len(starts) == 2 * REQUESTS_PER_WORKER and workers == {"0", "1"}
    # Each request reserves its start time, spaced by the interval, on the database, and cannot go out before
    # it: the requests of both workers together span at least the intervals between them (less what the
    # first one was late: it sets up its connection), where each worker alone would keep half of it.
    span = starts[-1] - starts[0]
    assert span >= (len(starts) - 1) * interval - 0.1, starts
    gaps = sorted(b - a for a, b in itertools.pairwise(starts))
    assert gaps[len(gaps) // 2] >= interval - 0.03, gaps  # and most gaps are the interval itself


def test_the_concurrency_limit_holds_across_two_workers(pg_url: str) -> None:
    in_flight: list[int] = [0]
    peak: list[int] = [0]

    def slow(request: object) -> Reply:
        in_flight[0] += 1
        peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.1)
        in_flight[0] -= 1
        return Reply(body=b"ok")

    with FaultServer({"/page": slow}) as server:
        _run_workers(pg_url, server, interval=0.0, concurrency=2)
        served = len(server.requests)
    assert served == 2 * REQUESTS_PER_WORKER
    assert peak[0] == 2  # two slots for the host, shared by both workers' eight threads
