"""The kill -9 window: how long a sent message goes unrecorded, and how often a kill in it doubles a send.

    python bench/kill_window.py               # 40 kills, 6 alerts each on a webhook and a JSONL file
    python bench/kill_window.py --kills 200
    python bench/kill_window.py --quick       # CI smoke size

Parts: tests/delivery_servers.py's WebhookReceiver (signature-checking, on 127.0.0.1), real SQLite files,
the real Dispatcher, each dispatcher in its own Python process so a SIGKILL leaves only the files.

1. The window, in process: for every send, (outcome committed) - (sender returned). A kill -9 that lands
   inside it makes the next start send that message again, with the same webhook-id.
2. The kills: a dispatcher process is killed a random 0-3 ms after the receiver saw its k-th request (k
   random), i.e. aimed at the window; a second process delivers the rest. Counted per alert and channel:
   lost (never received) and doubled (received twice). The webhook is at-least-once by design; a double
   there is one with the same webhook-id, which a receiver following docs/webhooks.md drops. The JSONL
   channel skips ids already in its file, so it must show none.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import ROOT, machine, median, percentile, verdict

sys.path.insert(0, str(ROOT))
from tests.delivery_servers import WebhookReceiver
from tests.helpers_delivery import SECRET, config, make_alert, make_db, store

ALERTS = 6

CHILD = r"""
import json, sys, os
sys.path.insert(0, os.getcwd())
from monitor.settings.alerts import parse_alerts
from monitor.deliver.dispatcher import Dispatcher
d = Dispatcher(sys.argv[1], parse_alerts(json.loads(sys.argv[2])))
print("ready", flush=True)
sys.stdin.readline()
d.run_due()
d.close()
"""


def spec(url: str, jsonl: Path) -> dict[str, object]:
    return {
        "retry_delays_seconds": [0],
        "retry_jitter": 0.0,
        "channels": [
            {"name": "hook", "type": "webhook", "url": url, "secrets": [SECRET], "timeout_seconds": 5},
            {"name": "file", "type": "jsonl", "path": str(jsonl)},
        ],
    }


def fresh_db(path: Path) -> None:
    db = make_db(path)
    now = datetime.now(UTC)
    for n in range(1, ALERTS + 1):
        store(db, make_alert(n, created_at=now), ["hook", "file"])
    db.conn.close()


def measure_window(folder: Path, rx: WebhookReceiver, rounds: int) -> list[float]:
    """Seconds between a send returning and its outcome being committed, per send."""
    from monitor.deliver.channels import make_sender
    from monitor.deliver.dispatcher import Dispatcher
    from monitor.store.outbox_store import open_outbox_store

    gaps: list[float] = []
    returned: list[float] = []

    class TimedSender:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def send(self, *args: Any) -> Any:
            outcome = self.inner.send(*args)
            returned.append(time.perf_counter())
            return outcome

        def close(self) -> None:
            self.inner.close()

    class TimedOutbox:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def finish_attempt(self, *args: Any, **kwargs: Any) -> None:
            self.inner.finish_attempt(*args, **kwargs)
            gaps.append(time.perf_counter() - returned[-1])

    alerts = config([{"name": "hook", "type": "webhook", "url": rx.url, "secrets": [SECRET]}])
    for i in range(rounds):
        db_path = folder / f"window{i}.db"
        fresh_db(db_path)
        sender = TimedSender(make_sender(alerts.channels[0]))
        outbox = TimedOutbox(open_outbox_store(db_path))
        d = Dispatcher(db_path, alerts, senders={"hook": sender}, outbox_store=outbox)
        d.run_due()
        d.close()
    return gaps


def kill_round(folder: Path, rx: WebhookReceiver, n: int, rng: random.Random) -> tuple[Counter[str], list[str]]:
    db_path, jsonl = folder / f"kill{n}.db", folder / f"kill{n}.jsonl"
    fresh_db(db_path)
    args = [sys.executable, "-c", CHILD, str(db_path), json.dumps(spec(rx.url, jsonl))]
    before = len(rx.received)
    child = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdin is not None
    child.stdout.readline()
    k = rng.randint(1, ALERTS)
    child.stdin.write("go\n")
    child.stdin.flush()
    rx.wait_for(before + k, timeout=10)
    time.sleep(rng.uniform(0, 0.003))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    restart = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    restart.communicate("go\n", timeout=60)
    hooks = Counter(r.headers["webhook-id"] for r in rx.received[before:])
    lines = [json.loads(x)["data"]["alert_id"] for x in jsonl.read_text().splitlines() if x.strip()]
    return hooks, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=40)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    kills = 4 if args.quick else args.kills
    rng = random.Random(5)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp, WebhookReceiver(SECRET) as rx:
        folder = Path(tmp)
        gaps = measure_window(folder, rx, 2 if args.quick else 10)
        ms = [g * 1000 for g in gaps]
        print(f"RESULT window (send returned -> outcome committed): median {median(ms):.2f} ms, "
              f"p99 {percentile(ms, 99):.2f} ms, max {max(ms):.2f} ms over {len(ms)} sends  (not judged)")
        lost = hook_doubles = file_doubles = 0
        for n in range(kills):
            hooks, lines = kill_round(folder, rx, n, rng)
            ids = [f"alrt_{i:04d}" for i in range(1, ALERTS + 1)]
            lost += sum(1 for i in ids if hooks[i] == 0) + sum(1 for i in ids if i not in lines)
            hook_doubles += sum(hooks[i] - 1 for i in ids if hooks[i] > 1)
            file_doubles += len(lines) - len(set(lines))
        sends = kills * ALERTS
        print(f"RESULT {kills} kills aimed at the window, {sends} alerts x 2 channels: lost {lost}, "
              f"webhook resent with the same webhook-id {hook_doubles}, JSONL doubled {file_doubles}  "
              f"{verdict(lost == 0 and file_doubles == 0)}")


if __name__ == "__main__":
    main()
