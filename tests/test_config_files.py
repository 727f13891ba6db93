"""The shared test helpers themselves: the config writer reads back as the monitor reads it, the clock moves."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.settings.config import load_config
from tests.config_files import (
    LOOPBACK_HTTP,
    OPS_OFF,
    SEEDS,
    email_channel,
    jsonl_channel,
    shipped_topics,
    to_toml,
    write_config,
)
from tests.fake_clock import FakeClock


def test_the_written_config_is_what_the_monitor_loads(tmp_path: Path) -> None:
    config, database = write_config(
        tmp_path,
        fetch_pages=False,
        pipeline={"workers": 2},
        http=LOOPBACK_HTTP,
        ops=OPS_OFF,
        alerts={"max_attempts": 3},
        channels=[email_channel(2525, "desk@example.test"), jsonl_channel(tmp_path)],
        feeds=["http://127.0.0.1:9/a.xml", {"url": "http://127.0.0.1:9/b.xml", "name": "ب", "interval_minutes": 17}],
    )
    assert (config, database) == (tmp_path / "monitor.toml", tmp_path / "m.db")
    loaded = load_config(config)
    assert loaded.database_path == database
    assert loaded.pipeline.seeds_dir == SEEDS and not loaded.pipeline.fetch_pages and loaded.pipeline.workers == 2
    assert loaded.http.allow_private_addresses and loaded.http.per_host_min_interval == 0
    assert not loaded.ops.enabled and loaded.alerts.retry.max_attempts == 3
    assert [c.name for c in loaded.alerts.channels] == ["mail", "file"]
    assert [(f.url, f.name, f.interval_minutes) for f in loaded.feeds][1] == ("http://127.0.0.1:9/b.xml", "ب", 17)


def test_a_database_elsewhere_and_a_config_without_seeds(tmp_path: Path) -> None:
    elsewhere = tmp_path / "disk" / "x.db"
    config, database = write_config(tmp_path, name="other.toml", database=elsewhere, seeds_dir=None)
    assert database == elsewhere and config == tmp_path / "other.toml"
    assert tomllib.loads(config.read_text(encoding="utf-8")) == {"storage": {"database": str(elsewhere)}}


def test_the_shipped_topics_survive_the_round_trip() -> None:
    topics = shipped_topics()
    assert tomllib.loads(to_toml({"topics": topics})) == {"topics": topics}


def test_strings_that_need_escaping_survive_the_round_trip() -> None:
    odd = {"s": {"quote": 'a "b" c', "slash": "C:\\x", "lines": "one\ntwo\ttab", "control": "\x00\x1f\x7f"}}
    assert tomllib.loads(to_toml(odd)) == odd


def test_the_clock_is_set_and_advanced_in_both_views() -> None:
    clock = FakeClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    before = clock.seconds()
    clock.advance(90)
    assert clock() == datetime(2026, 11, 23, 8, 1, 30, tzinfo=UTC)
    assert clock.seconds() - before == 90
    clock.now += timedelta(hours=1)
    assert clock().hour == 9 and clock.seconds() - before == 3690
