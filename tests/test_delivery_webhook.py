"""Webhook delivery against a real HTTP receiver on 127.0.0.1 that verifies Standard Webhooks signatures."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.deliver.dispatcher import Dispatcher
from monitor.deliver.render import alert_payload
from monitor.models import AlertItem
from monitor.store import outbox
from tests.delivery_servers import Reply, WebhookReceiver
from tests.helpers_delivery import (
    ARTICLE_ROW,
    SECRET,
    SECRET2,
    FakeClock,
    attempts,
    config,
    make_alert,
    make_db,
    states,
    store,
)

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "webhook-payload.schema.json"


def real_clock() -> FakeClock:
    # signatures carry the dispatcher's clock; the receiver checks it against real time (±5 min)
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


def hook(url: str, **extra: object) -> dict[str, object]:
    return {"name": "hook", "type": "webhook", "url": url, "secrets": [SECRET], "timeout_seconds": 2, **extra}


def test_delivers_signed_payload_with_alert_id_as_webhook_id(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = real_clock()
    alert = make_alert(1, created_at=clock.now)
    with WebhookReceiver(SECRET) as rx:
        store(db, alert, ["hook"])
        d = Dispatcher(db_path, config([hook(rx.url)]), clock)
        summary = d.run_due()
        d.close()
        assert summary.delivered == 1 and summary.messages == 1
        assert len(rx.received) == 1
        headers, payload, valid = rx.received[0]
    assert valid
    assert headers["webhook-id"] == alert.alert_id
    assert headers["webhook-timestamp"] == str(int(clock.now.timestamp()))
    assert headers["content-type"] == "application/json"
    assert payload == alert_payload(AlertItem(alert))
    data = payload["data"]
    assert data["alert_id"] == alert.alert_id and data["topic"] == alert.topic
    assert [e["matched"] for e in data["evidence"]] == [e.matched for e in alert.evidence]
    assert data["article"]["title"] == alert.title and data["article"]["url"] == alert.url
    assert states(db_path) == {f"{alert.alert_id}:hook": "delivered"}
    assert attempts(db_path, f"{alert.alert_id}:hook") == [("delivered", 204, None)]


def test_payload_matches_documented_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = real_clock()
    with WebhookReceiver(SECRET) as rx:
        store(db, make_alert(1, created_at=clock.now, published=None), ["hook"])
        store(db, make_alert(2, created_at=clock.now), ["hook"])
        with db.conn:
            db.conn.execute(ARTICLE_ROW, ("copy1",))
            outbox.record_also_published(db, "art2", "copy1", "Sky News Arabia", "https://sky.example/x")
        d = Dispatcher(db_path, config([hook(rx.url)]), clock)
        d.run_due()
        d.close()
        payloads = [r.json for r in rx.received]
    assert len(payloads) == 2
    for p in payloads:
        jsonschema.validate(p, schema)
    assert payloads[1]["data"]["also_published"] == [
        {"article_id": "copy1", "source": "Sky News Arabia", "url": "https://sky.example/x"}
    ]


def test_retries_500_429_with_retry_after_and_timeout_then_delivers_once(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = real_clock()
    alert = make_alert(1, created_at=clock.now)
    with WebhookReceiver(SECRET) as rx:
        cfg = config([hook(rx.url, timeout_seconds=0.3)], retry_delays_seconds=[5, 10, 20])
        rx.script(500, Reply(status=429, headers={"Retry-After": "40"}), Reply(delay=1.0))
        store(db, alert, ["hook"])
        d = Dispatcher(db_path, cfg, clock)
        assert d.run_due().retrying == 1  # 500
        clock.advance(4.9)
        assert d.run_due().messages == 0  # not due before the 5 s backoff
        clock.advance(0.1)
        assert d.run_due().retrying == 1  # 429, Retry-After: 40 beats the 10 s schedule
        clock.advance(39)
        assert d.run_due().messages == 0
        clock.advance(1)
        assert d.run_due().retrying == 1  # the receiver sleeps past our 0.3 s timeout
        clock.advance(20)
        assert d.run_due().delivered == 1
        clock.advance(3600)
        assert d.run_due().messages == 0  # nothing left
        d.close()
        assert rx.wait_for(4)
        ids = {r.headers["webhook-id"] for r in rx.received}
        accepted = rx.accepted()
    assert ids == {alert.alert_id}  # the same idempotency key on every attempt
    assert len(accepted) == 1 and accepted[0]["data"]["alert_id"] == alert.alert_id
    got = attempts(db_path, f"{alert.alert_id}:hook")
    assert [(r, c) for r, c, _ in got] == [("retry", 500), ("retry", 429), ("retry", None), ("delivered", 204)]
    assert "timeout" in (got[2][2] or "")
    assert states(db_path)[f"{alert.alert_id}:hook"] == "delivered"


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_other_4xx_is_permanent_and_logged_with_alert_and_channel(
    tmp_path: Path, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = real_clock()
    alert = make_alert(7, created_at=clock.now)
    with WebhookReceiver(SECRET) as rx, caplog.at_level(logging.ERROR, logger="monitor.deliver"):
        rx.script(status)
        store(db, alert, ["hook"])
        d = Dispatcher(db_path, config([hook(rx.url)]), clock)
        assert d.run_due().failed == 1
        clock.advance(86400)
        assert d.run_due().messages == 0  # dead letter: not retried by itself
        d.close()
        assert len(rx.received) == 1
    assert states(db_path)[f"{alert.alert_id}:hook"] == "failed"
    assert any(alert.alert_id in r.getMessage() and "hook" in r.getMessage() for r in caplog.records)


def test_gives_up_after_max_attempts_then_retry_requeues(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = real_clock()
    alert = make_alert(3, created_at=clock.now)
    with WebhookReceiver(SECRET) as rx, caplog.at_level(logging.WARNING, logger="monitor.deliver"):
        rx.script(503, 503, 503)
        store(db, alert, ["hook"])
        d = Dispatcher(db_path, config([hook(rx.url)], max_attempts=3, retry_delays_seconds=[1]), clock)
        for _ in range(5):
            d.run_due()
            clock.advance(1)
        assert len(rx.received) == 3
        assert states(db_path)[f"{alert.alert_id}:hook"] == "failed"
        dead = [r for r in caplog.records if "dead letter" in r.getMessage()]
        assert dead and alert.alert_id in dead[0].getMessage() and "hook" in dead[0].getMessage()
        # an operator fixes the receiver and re-queues
        with db.conn:
            assert outbox.requeue(db.conn, [alert.alert_id], clock.now) == [f"{alert.alert_id}:hook"]
        assert d.run_due().delivered == 1
        d.close()
        assert len(rx.accepted()) == 1
    got = attempts(db_path, f"{alert.alert_id}:hook")
    assert [(r, c) for r, c, _ in got] == [("retry", 503)] * 3 + [("delivered", 204)]
    assert "gave up after 3 attempts" in (got[2][2] or "")


def test_410_disables_endpoint_until_requeued(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = real_clock()
    with WebhookReceiver(SECRET) as rx:
        rx.script(410)
        store(db, make_alert(1, created_at=clock.now), ["hook"])
        d = Dispatcher(db_path, config([hook(rx.url)]), clock)
        assert d.run_due().failed == 1
        store(db, make_alert(2, created_at=clock.now), ["hook"])
        assert d.run_due().failed == 1  # not even attempted: the endpoint said it is gone
        assert len(rx.received) == 1
        assert attempts(db_path, "alrt_0002:hook") == []
        with db.conn:
            outbox.requeue(db.conn, None, clock.now)  # operator: "it is back"
        assert d.run_due().delivered == 2
        d.close()
        assert len(rx.accepted()) == 2


def test_key_rotation_sends_one_signature_per_secret(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = real_clock()
    with WebhookReceiver(SECRET2) as rx:  # the receiver already switched to the new key
        store(db, make_alert(1, created_at=clock.now), ["hook"])
        d = Dispatcher(db_path, config([hook(rx.url, secrets=[f"{SECRET} {SECRET2}"])]), clock)
        d.run_due()
        d.close()
        (rec,) = rx.received
    assert rec.signature_valid
    sigs = rec.headers["webhook-signature"].split()
    assert len(sigs) == 2 and all(s.startswith("v1,") for s in sigs)


def test_wrong_secret_is_detected_by_receiver(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = real_clock()
    with WebhookReceiver(SECRET2) as rx:
        store(db, make_alert(1, created_at=clock.now), ["hook"])
        d = Dispatcher(db_path, config([hook(rx.url)]), clock)
        d.run_due()
        d.close()
        assert len(rx.received) == 1 and not rx.received[0].signature_valid
        assert rx.accepted() == []


def test_connection_refused_is_retried(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = real_clock()
    with WebhookReceiver(SECRET) as rx:
        url = rx.url
    # the receiver is gone: nothing listens on that port any more
    store(db, make_alert(1, created_at=clock.now), ["hook"])
    d = Dispatcher(db_path, config([hook(url)]), clock)
    assert d.run_due().retrying == 1
    d.close()
    (got,) = attempts(db_path, "alrt_0001:hook")
    assert got[0] == "retry" and "connection" in (got[2] or "")
