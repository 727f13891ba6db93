"""Kill the process (SIGKILL) between "stored" and "delivered"; after a restart the alert arrives exactly once.

Each phase runs in its own Python process, so nothing survives a kill but the database and the files.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.delivery_servers import WebhookReceiver
from tests.helpers_delivery import SECRET, states

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, signal, sqlite3, sys
from datetime import UTC, datetime
sys.path.insert(0, os.getcwd())
from monitor.store import outbox
from monitor.settings.alerts import parse_alerts
from monitor.deliver.dispatcher import Dispatcher
from tests.helpers_delivery import make_alert, make_db, store

mode, db_path, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
alerts = parse_alerts(spec)
if mode in ("store-then-die", "store-send-then-die"):
    db = make_db(db_path)
    store(db, make_alert(1, created_at=datetime.now(UTC)), [c.name for c in alerts.channels])
    db.conn.close()
    if mode == "store-then-die":
        os.kill(os.getpid(), signal.SIGKILL)
    # die after every channel was sent to, before any outcome is committed
    Dispatcher._record = lambda *args, **kwargs: None
    d = Dispatcher(db_path, alerts)
    d.run_due()
    os.kill(os.getpid(), signal.SIGKILL)
elif mode == "deliver":
    d = Dispatcher(db_path, alerts)
    print(json.dumps(d.run_due().__dict__))
    d.close()
"""


def run_child(mode: str, db_path: Path, spec: dict[str, object]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(db_path), json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def spec_for(url: str, jsonl: Path) -> dict[str, object]:
    return {
        "channels": [
            {"name": "hook", "type": "webhook", "url": url, "secrets": [SECRET], "timeout_seconds": 5},
            {"name": "file", "type": "jsonl", "path": str(jsonl)},
        ]
    }


def jsonl_ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["data"]["alert_id"] for line in path.read_text().splitlines() if line.strip()]


def test_killed_after_store_delivers_once_after_restart(tmp_path: Path) -> None:
    db_path, jsonl = tmp_path / "m.db", tmp_path / "alerts.jsonl"
    with WebhookReceiver(SECRET) as rx:
        spec = spec_for(rx.url, jsonl)
        died = run_child("store-then-die", db_path, spec)
        assert died.returncode == -signal.SIGKILL, died.stderr
        assert states(db_path) == {"alrt_0001:hook": "pending", "alrt_0001:file": "pending"}
        assert rx.received == [] and jsonl_ids(jsonl) == []

        restarted = run_child("deliver", db_path, spec)
        assert restarted.returncode == 0, restarted.stderr
        again = run_child("deliver", db_path, spec)  # a second restart finds nothing to do
        assert again.returncode == 0 and json.loads(again.stdout)["messages"] == 0

        assert len(rx.received) == 1 and rx.received[0].signature_valid
        assert [p["data"]["alert_id"] for p in rx.accepted()] == ["alrt_0001"]
    assert jsonl_ids(jsonl) == ["alrt_0001"]
    assert states(db_path) == {"alrt_0001:hook": "delivered", "alrt_0001:file": "delivered"}


def test_killed_after_send_before_record_is_received_once(tmp_path: Path) -> None:
    db_path, jsonl = tmp_path / "m.db", tmp_path / "alerts.jsonl"
    with WebhookReceiver(SECRET) as rx:
        spec = spec_for(rx.url, jsonl)
        died = run_child("store-send-then-die", db_path, spec)
        assert died.returncode == -signal.SIGKILL, died.stderr
        # it went out, but the database never heard back
        assert len(rx.received) == 1 and jsonl_ids(jsonl) == ["alrt_0001"]
        assert set(states(db_path).values()) == {"pending"}

        restarted = run_child("deliver", db_path, spec)
        assert restarted.returncode == 0, restarted.stderr

        # at-least-once on the wire, with the same idempotency key, so the receiver acts once
        assert len(rx.received) == 2
        assert {r.headers["webhook-id"] for r in rx.received} == {"alrt_0001"}
        assert [p["data"]["alert_id"] for p in rx.accepted()] == ["alrt_0001"]
    assert jsonl_ids(jsonl) == ["alrt_0001"]  # the file channel deduplicates by itself
    assert set(states(db_path).values()) == {"delivered"}
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM alerts").fetchone() == (1,)
    conn.close()
