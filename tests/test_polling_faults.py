"""Faults a real deployment meets on the polling side: a slow host, spacing under load, 429 re-polls,
XXE behind a parser, GUID churn on link-less entries, unlisted tracking parameters, a full database.

Real parts only: FaultServer on 127.0.0.x (in a separate process where the test measures the server's
own clock under load), real SQLite files, the real Fetcher, Pipeline and App.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
from pathlib import Path

from monitor.fetch.client import Fetcher, HttpSettings

ROOT = Path(__file__).parent.parent

# A FaultServer in its own process: its request log is timed by a process that our test load does not slow.
_SERVER_SCRIPT = """
import json, sys
from tests.fault_server import FaultServer
with FaultServer({"/p": (200, {"Content-Type": "text/plain"}, b"ok")}) as srv:
    print(srv.port, flush=True)
    sys.stdin.readline()
    print(json.dumps([r.at for r in srv.requests]), flush=True)
"""


def _spin(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(range(2000))


def test_per_host_spacing_holds_on_the_wire_under_load() -> None:
    interval = 0.5
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER_SCRIPT], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    stop = threading.Event()
    load = [threading.Thread(target=_spin, args=(stop,), daemon=True) for _ in range(12)]
    try:
        assert server.stdout is not None and server.stdin is not None
        port = int(server.stdout.readline())
        settings = HttpSettings(
            allow_private_addresses=True, per_host_concurrency=2, per_host_min_interval=interval, total_timeout=30
        )
        for t in load:
            t.start()
        with Fetcher(settings) as fetcher:

            def fetch_some() -> None:
                for _ in range(3):
                    assert fetcher.fetch(f"http://127.0.0.1:{port}/p").ok

            workers = [threading.Thread(target=fetch_some) for _ in range(4)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(timeout=60)
        stop.set()
        server.stdin.write("done\n")
        server.stdin.flush()
        arrivals = json.loads(server.stdout.readline())
    finally:
        stop.set()
        server.kill()
        server.wait(timeout=10)
    assert len(arrivals) == 12
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    # the server's clock, not ours: every start at least the interval after the previous one
    assert min(gaps) >= interval - 0.02, [round(g, 3) for g in gaps]
