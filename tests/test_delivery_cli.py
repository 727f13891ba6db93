"""`monitor alerts test|list|retry` through their argparse handlers, against real receivers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from monitor.cli import alerts as alerts_cmd
from monitor.deliver.dispatcher import Dispatcher
from tests.config_files import jsonl_channel, write_config
from tests.delivery_servers import WebhookReceiver
from tests.helpers_delivery import SECRET, config, make_alert, make_db, states, store


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="monitor")
    alerts_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def cli_config(tmp_path: Path, hook_url: str, *, hook_enabled: bool = True) -> Path:
    hook = {"name": "hook", "type": "webhook", "url": hook_url, "secrets": [SECRET], "enabled": hook_enabled,
            "timeout_seconds": 2}
    return write_config(tmp_path, channels=[hook, jsonl_channel(tmp_path)]).config


def test_alerts_test_sends_a_sample_to_every_enabled_channel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with WebhookReceiver(SECRET) as rx:
        cfg = cli_config(tmp_path, rx.url)
        assert run(["alerts", "test", "--config", str(cfg)]) == 0
        (rec,) = rx.received
    out = capsys.readouterr().out
    assert "hook: ok" in out and "file: ok" in out
    assert rec.signature_valid and rec.json["data"]["alert_id"].startswith("test_")
    line = json.loads((tmp_path / "alerts.jsonl").read_text())
    assert line["data"]["alert_id"] == rec.json["data"]["alert_id"]
    assert not (tmp_path / "m.db").exists()  # a test alert is not an alert: nothing stored


def test_alerts_test_reports_failure_and_unknown_channel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with WebhookReceiver(SECRET) as rx:
        rx.script(500)
        cfg = cli_config(tmp_path, rx.url, hook_enabled=False)
        assert run(["alerts", "test", "--config", str(cfg), "--channel", "hook"]) == 1
        assert run(["alerts", "test", "--config", str(cfg), "--channel", "nope"]) == 2
    out = capsys.readouterr().out
    assert "hook: FAILED (retry) — HTTP 500" in out and "disabled" in out
    assert "no channel named 'nope'" in out


def test_list_failed_and_retry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    with WebhookReceiver(SECRET) as rx:
        cfg_path = cli_config(tmp_path, rx.url)
        rx.script(400)
        alert = make_alert(1)
        store(db, alert, ["hook"])
        d = Dispatcher(db_path, config([{"name": "hook", "type": "webhook", "url": rx.url, "secrets": [SECRET]}]))
        d.run_due()
        assert states(db_path) == {"alrt_0001:hook": "failed"}

        assert run(["alerts", "list", "--failed", "--config", str(cfg_path)]) == 0
        out = capsys.readouterr().out
        assert "alrt_0001:hook  FAILED" in out and "HTTP 400 (permanent)" in out and alert.title[:20] in out

        assert run(["alerts", "retry", "nope", "--config", str(cfg_path)]) == 1
        assert run(["alerts", "retry", "alrt_0001", "--config", str(cfg_path)]) == 0
        assert "re-queued alrt_0001:hook" in capsys.readouterr().out
        assert states(db_path) == {"alrt_0001:hook": "pending"}
        assert d.run_due().delivered == 1
        d.close()
    assert run(["alerts", "list", "--failed", "--config", str(cfg_path)]) == 0
    assert "no failed deliveries" in capsys.readouterr().out
    assert run(["alerts", "list", "--config", str(cfg_path)]) == 0
    assert "alrt_0001:hook  delivered" in capsys.readouterr().out
