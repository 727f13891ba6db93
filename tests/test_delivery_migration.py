"""The move to one deliveries table, on a database whose alert and feed-warning deliveries were made by the
per-kind outbox (tests/fixtures/outbox/before_unified_deliveries.sql: real Store, Dispatcher and webhook
receivers): nothing lost, the schema a fresh database gets, idempotent, all or nothing, and delivery goes on."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.cli.db import check_database
from monitor.deliver.dispatcher import Dispatcher
from monitor.store import outbox
from monitor.store.database import Store
from tests.delivery_servers import WebhookReceiver
from tests.fake_clock import FakeClock
from tests.helpers_delivery import SECRET, T0, attempts, config

FIXTURE = Path(__file__).parent / "fixtures" / "outbox" / "before_unified_deliveries.sql"
PENDING_WARNING = "feedwarn_a6bbdf28c4e689c8972be154"  # on channel hook: 2 failed attempts, due 10:12:30
DELIVERY_COLUMNS = "id, channel, state, attempts, next_attempt_at, created_at, updated_at, delivered_at, last_error"
ATTEMPT_COLUMNS = "message_id, attempt, started_at, finished_at, result, status_code, error, duration_ms"


def old_database(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    conn.close()
    return path


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def tables(path: Path) -> set[str]:
    return {name for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def attempts_by_delivery(path: Path, table: str) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for delivery, *attempt in rows(path, f"SELECT delivery_id, {ATTEMPT_COLUMNS} FROM {table} ORDER BY id"):
        out.setdefault(delivery, []).append(tuple(attempt))
    return out


def test_opening_an_old_database_moves_every_delivery_and_attempt(tmp_path: Path) -> None:
    before = old_database(tmp_path / "before.db")
    after = old_database(tmp_path / "after.db")
    Store(after).close()  # the store runs outbox.ensure_schema, which migrates

    old_alerts = rows(before, f"SELECT {DELIVERY_COLUMNS}, alert_id, batch_key FROM deliveries ORDER BY id")
    old_warnings = rows(before, f"SELECT {DELIVERY_COLUMNS}, warning_id FROM feed_warning_deliveries ORDER BY id")
    assert len(old_alerts) == 5 and len(old_warnings) == 5
    assert {r[2] for r in old_warnings} == {"pending", "delivered", "failed"}  # the fixture holds every state
    assert rows(after, f"SELECT {DELIVERY_COLUMNS}, alert_id, batch_key FROM deliveries"
                       " WHERE kind = 'alert' ORDER BY id") == old_alerts
    assert rows(after, f"SELECT {DELIVERY_COLUMNS}, warning_id FROM deliveries"
                       " WHERE kind = 'feed_warning' ORDER BY id") == old_warnings
    assert rows(after, "SELECT count(*) FROM deliveries WHERE kind = 'feed_warning'"
                       " AND (alert_id IS NOT NULL OR batch_key IS NOT NULL)") == [(0,)]

    # alert attempts keep their ids; warning attempts follow them, each delivery's in their old order
    old_alert_attempts = rows(before, f"SELECT id, delivery_id, {ATTEMPT_COLUMNS} FROM delivery_attempts ORDER BY id")
    assert rows(after, f"SELECT id, delivery_id, {ATTEMPT_COLUMNS} FROM delivery_attempts"
                       f" WHERE id <= {len(old_alert_attempts)} ORDER BY id") == old_alert_attempts
    moved = attempts_by_delivery(after, "delivery_attempts")
    for delivery, logged in attempts_by_delivery(before, "feed_warning_attempts").items():
        assert moved[delivery] == logged, delivery
    assert rows(after, "SELECT count(*) FROM delivery_attempts") == [(11,)]

    for table in ("feed_warnings", "channel_state", "alert_also_published"):
        assert rows(after, f"SELECT * FROM {table} ORDER BY 1") == rows(before, f"SELECT * FROM {table} ORDER BY 1")
    # alerts keep every column; migration 8 adds basis, status, settled_at, settled_reason with defaults
    alert_columns = [r[1] for r in rows(before, "PRAGMA table_info(alerts)")]
    assert rows(after, f"SELECT {', '.join(alert_columns)} FROM alerts ORDER BY 1") == rows(
        before, "SELECT * FROM alerts ORDER BY 1")
    added = rows(after, "SELECT basis, status, settled_at, settled_reason FROM alerts")
    assert set(added) == {("full", "final", None, "")}
    assert "feed_warning_deliveries" not in tables(after) and "feed_warning_attempts" not in tables(after)
    assert {t for t in tables(after) if "before" in t} == set()
    # the view keeps reading the deliveries table, and `monitor db check` finds nothing wrong
    view = "SELECT alert_id, deliveries FROM alerts_view ORDER BY alert_id"
    assert rows(after, view) == rows(before, view)
    assert [f for f in check_database(after) if not f.ok] == []


def test_a_migrated_database_has_the_schema_of_a_fresh_one(tmp_path: Path) -> None:
    migrated = old_database(tmp_path / "old.db")
    Store(migrated).close()
    Store(tmp_path / "fresh.db").close()
    query = (
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ('deliveries', 'delivery_attempts')"
        " ORDER BY type, name"
    )
    schema = rows(migrated, query)
    assert schema == rows(tmp_path / "fresh.db", query)
    assert {name for _, name, _ in schema} >= {"deliveries_due", "deliveries_channel", "delivery_attempts_delivery"}


def test_the_migration_runs_once(tmp_path: Path) -> None:
    path = old_database(tmp_path / "m.db")
    conn = sqlite3.connect(path)
    try:
        assert outbox.migrate_unified_deliveries(conn) is True
        snapshot = conn.execute("SELECT * FROM deliveries ORDER BY id").fetchall()
        assert outbox.migrate_unified_deliveries(conn) is False
        outbox.ensure_schema(conn)
        assert conn.execute("SELECT * FROM deliveries ORDER BY id").fetchall() == snapshot
    finally:
        conn.close()
    fresh = sqlite3.connect(tmp_path / "fresh.db")
    assert outbox.migrate_unified_deliveries(fresh) is False  # nothing to move in an empty database
    fresh.close()


def test_warning_tables_made_again_next_to_the_shared_table_are_moved_in(tmp_path: Path) -> None:
    # an older monitor ran on a migrated database: its warning deliveries sit in the old tables again
    original = old_database(tmp_path / "original.db")
    path = old_database(tmp_path / "m.db")
    conn = sqlite3.connect(path)
    try:
        outbox.migrate_unified_deliveries(conn)
        # the pending warning's rows move back to the old tables; the other warning stays in the shared one
        conn.execute(f"DELETE FROM delivery_attempts WHERE delivery_id LIKE '{PENDING_WARNING}:%'")
        conn.execute(f"DELETE FROM deliveries WHERE warning_id = '{PENDING_WARNING}'")
        conn.execute("ATTACH DATABASE ? AS original", (str(original),))
        for table, where in (
            ("feed_warning_deliveries", f"warning_id = '{PENDING_WARNING}'"),
            ("feed_warning_attempts", f"delivery_id LIKE '{PENDING_WARNING}:%'"),
        ):
            conn.execute(f"CREATE TABLE {table} AS SELECT * FROM original.{table} WHERE {where}")
        conn.commit()
        conn.execute("DETACH DATABASE original")
        shared = conn.execute("SELECT * FROM deliveries ORDER BY id").fetchall()
        assert outbox.migrate_unified_deliveries(conn) is True
        after = conn.execute(f"SELECT * FROM deliveries WHERE warning_id IS NOT '{PENDING_WARNING}' ORDER BY id")
        assert after.fetchall() == shared
    finally:
        conn.close()
    warnings = f"SELECT {DELIVERY_COLUMNS}, warning_id FROM "
    assert rows(path, warnings + "deliveries WHERE kind = 'feed_warning' ORDER BY id") == rows(
        original, warnings + "feed_warning_deliveries ORDER BY id"
    )
    moved = attempts_by_delivery(path, "delivery_attempts")
    for delivery, logged in attempts_by_delivery(original, "feed_warning_attempts").items():
        assert moved[delivery] == logged, delivery
    assert "feed_warning_deliveries" not in tables(path)


def test_inside_the_callers_transaction_a_rollback_undoes_it(tmp_path: Path) -> None:
    path = old_database(tmp_path / "m.db")
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("BEGIN IMMEDIATE")
        assert outbox.migrate_unified_deliveries(conn) is True
        assert conn.execute("SELECT count(*) FROM deliveries WHERE kind = 'feed_warning'").fetchone() == (5,)
        conn.rollback()
    finally:
        conn.close()
    assert "feed_warning_deliveries" in tables(path)
    assert "kind" not in {r[1] for r in rows(path, "PRAGMA table_info(deliveries)")}


def test_a_failed_migration_changes_nothing(tmp_path: Path) -> None:
    path = old_database(tmp_path / "m.db")
    conn = sqlite3.connect(path)
    # a warning delivery whose id an alert delivery already has: the shared table cannot hold both
    conn.execute(
        "INSERT INTO feed_warning_deliveries SELECT 'alrt_0001:hook', warning_id, channel, state, attempts,"
        " next_attempt_at, created_at, updated_at, delivered_at, last_error FROM feed_warning_deliveries LIMIT 1"
    )
    conn.commit()
    conn.execute("PRAGMA foreign_keys = ON")
    before = {t: rows(path, f"SELECT * FROM {t}") for t in ("deliveries", "feed_warning_deliveries")}
    try:
        with pytest.raises(sqlite3.IntegrityError):
            outbox.migrate_unified_deliveries(conn)
        assert not conn.in_transaction
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)  # put back as it was
        assert conn.execute("PRAGMA legacy_alter_table").fetchone() == (0,)
    finally:
        conn.close()
    assert {t: rows(path, f"SELECT * FROM {t}") for t in before} == before
    assert "delivery_attempts" in tables(path) and "feed_warning_attempts" in tables(path)


def test_delivery_goes_on_after_the_migration(tmp_path: Path) -> None:
    path = old_database(tmp_path / "m.db")
    clock = FakeClock(T0 + timedelta(minutes=15))  # past the pending warning's next attempt
    with WebhookReceiver(SECRET, tolerance=10**9) as hook:
        cfg = config(
            [
                {"name": "hook", "type": "webhook", "url": hook.url, "secrets": [SECRET], "max_attempts": 3},
                {"name": "file", "type": "jsonl", "path": str(tmp_path / "alerts.jsonl")},
            ]
        )
        dispatcher = Dispatcher(path, cfg, clock)  # opening it migrates
        try:
            summary = dispatcher.run_due()
            assert (summary.messages, summary.delivered) == (1, 1)
            [warning] = hook.received
            assert warning.signature_valid and warning.json["type"] == "feed.unhealthy"
            assert warning.headers["webhook-id"] == PENDING_WARNING  # the id its earlier attempts carried
            assert [r for r, _, _ in attempts(path, f"{PENDING_WARNING}:hook")] == ["retry", "retry", "delivered"]

            requeued = dispatcher.outbox.requeue(["alrt_0002"], clock.now)
            assert sorted(requeued) == ["alrt_0002:gone", "alrt_0002:hook"]
            dispatcher.run_due()
            assert [r.headers["webhook-id"] for r in hook.received[1:]] == ["alrt_0002"]
            assert hook.received[1].json["data"]["alert_id"] == "alrt_0002"
        finally:
            dispatcher.close()
    states = dict(rows(path, "SELECT id, state FROM deliveries WHERE id LIKE 'alrt_0002:%'"))
    assert states == {"alrt_0002:hook": "delivered", "alrt_0002:gone": "failed"}  # gone: still not configured

