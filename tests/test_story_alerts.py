"""Alerts per story: one alert.created when a story first matches a topic, later members as story.updated
messages, a channel with alert_on = "article" as before; and a process killed (SIGKILL) between a member's
insert and its delivery neither doubles the story's alert nor loses the update.

Each phase runs in its own Python process (nothing survives a kill but the database and the files).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema

from tests.delivery_servers import WebhookReceiver
from tests.helpers_delivery import SECRET

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import dataclasses, json, os, signal, sys
from datetime import UTC, datetime
sys.path.insert(0, os.getcwd())
from monitor.deliver.dispatcher import Dispatcher
from monitor.models import Decision, TopicResult
from monitor.settings.alerts import parse_alerts
from monitor.settings.sections import StorySettings
from monitor.store.database import Store
from tests.helpers_delivery import make_alert
from tests.test_story_store import _article, _record_all, _records

from pathlib import Path
mode, db_path, spec, arg = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
alerts = parse_alerts(spec)
if mode == "setup":  # the stored articles that give the word frequencies
    store = Store(db_path)
    _record_all(store, _records()[:40])
    store.close()
elif mode in ("record-then-die", "record"):
    row = next(r for r in _records() if r["id"] == arg)
    store = Store(db_path)
    store.story_settings = StorySettings(update_minutes=0.001, score_jump=0.5)
    now = datetime.now(UTC)
    article = dataclasses.replace(_article(row), seen_at=now, published=now)
    alert = make_alert(1, alert_id="al_" + arg, article_id=arg, title=row["title"], source=row["source"],
                       created_at=now)
    topic = TopicResult("nato_iraq", True, alert.score, alert.threshold)
    with store.atomic():
        decision = Decision(arg, store.corpus_index.check(row["text"]), (topic,))
        store.record_article(article, decision, [alert], alerts.channel_names_for, alerts.alerts_per_story)
    store.close()
    if mode == "record-then-die":
        os.kill(os.getpid(), signal.SIGKILL)
elif mode == "deliver":
    d = Dispatcher(db_path, alerts)
    print(json.dumps(d.run_due().__dict__))
    d.close()
"""

STORY = ["ant2-AL-internationalNews-1200-20180516", "ant2-SK-middleEast-1754-20180516",
         "ant2-CN-middleEast-950-20180516", "ant2-SK-middleEast-1762-20180516"]


def run_child(mode: str, db_path: Path, spec: dict[str, Any], arg: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CHILD, mode, str(db_path), json.dumps(spec), arg], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def _spec(url: str, jsonl: Path) -> dict[str, Any]:
    return {"retry_jitter": 0.0, "channels": [
        {"name": "hook", "type": "webhook", "url": url, "secrets": [SECRET], "timeout_seconds": 5},
        {"name": "file", "type": "jsonl", "path": str(jsonl), "alert_on": "article"},
    ]}


def test_one_alert_per_story_then_updates_and_a_kill_loses_nothing(tmp_path: Path) -> None:
    db_path, jsonl = tmp_path / "m.db", tmp_path / "alerts.jsonl"
    with WebhookReceiver(SECRET) as rx:
        spec = _spec(rx.url, jsonl)
        assert run_child("setup", db_path, spec).returncode == 0
        for article_id in STORY[:2]:  # the story's first article, then a member: both killed before delivery
            died = run_child("record-then-die", db_path, spec, article_id)
            assert died.returncode == -signal.SIGKILL, died.stderr
        assert rx.received == []
        delivered = run_child("deliver", db_path, spec)
        assert delivered.returncode == 0, delivered.stderr
        for article_id in STORY[2:]:
            died = run_child("record-then-die", db_path, spec, article_id)
            assert died.returncode == -signal.SIGKILL, died.stderr
        assert run_child("deliver", db_path, spec).returncode == 0
        again = run_child("deliver", db_path, spec)
        assert again.returncode == 0 and json.loads(again.stdout)["messages"] == 0

        payloads = rx.accepted()
        assert all(r.signature_valid for r in rx.received)
        schema = json.loads((ROOT / "docs" / "webhook-payload.schema.json").read_text(encoding="utf-8"))
        for p in payloads:
            jsonschema.validate(p, schema)
        created = [p for p in payloads if p["type"] == "alert.created"]
        updates = [p for p in payloads if p["type"] == "story.updated"]
        assert [p["data"]["article"]["id"] for p in created] == [STORY[0]]  # the story alerted once
        assert created[0]["data"]["story_id"] == STORY[0]
        updated = [a["article"]["id"] for p in updates for a in p["data"]["alerts"]]
        assert sorted(updated) == sorted(STORY[1:])  # every later member in an update, none twice
        assert len(updates) == 2  # one per delivery run here (the period is a fraction of a second)
        last = updates[-1]["data"]
        assert last["story_id"] == STORY[0] and last["story_size"] == 4
        assert last["new_outlets"] and last["headlines"][0]["title"]
    # the per-article channel got every article as an alert, as before
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["data"]["article"]["id"] for line in lines) == sorted(STORY)
    assert {line["type"] for line in lines} == {"alert.created"}


def test_a_story_update_email_says_what_it_is() -> None:
    from datetime import UTC, datetime

    from monitor.deliver.channels import EmailSender, Message
    from monitor.models import AlertItem
    from monitor.settings.alerts import parse_alerts
    from tests.helpers_delivery import make_alert

    channel = parse_alerts({"channels": [{"type": "email", "name": "mail", "host": "127.0.0.1", "port": 25,
                                          "security": "none", "from": "m@example.com",
                                          "to": ["a@example.com"]}]}).channels[0]
    items = (AlertItem(make_alert(1), (), "s1", 3), AlertItem(make_alert(2), (), "s1", 3))
    message = Message("story_x", items, digest=True, period=(items[0].alert.created_at, items[1].alert.created_at),
                      story_update=True)
    built = EmailSender(channel).build(message, datetime.now(UTC))  # type: ignore[arg-type]
    assert "مستجدات قصة" in built["Subject"] and items[0].alert.title in built["Subject"]
