"""The settings registry: one unknown-key message, environment overrides, the masked dump, the generated
docs, secrets read only by the commands that send, and a feed's fixed poll interval."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.errors import ConfigError
from monitor.models import FetchStatus
from monitor.runtime.app import App
from monitor.schedule.polls import FeedSchedState, PollOutcome, next_poll
from monitor.settings import registry
from monitor.settings.config import load_config, parse_config
from monitor.settings.docs import render
from monitor.settings.sections import ScheduleSettings
from tests.e2e_site import SEEDS, Story, rss_feed
from tests.fault_server import FaultServer
from tests.helpers_delivery import SECRET

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "config" / "monitor.toml"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        cwd=ROOT,
        timeout=120,
        check=False,
    )


# -- one reader, one message -------------------------------------------------------------------------


def test_unknown_key_is_one_line_listing_the_known_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "[schedule]\nmin_interval = 5\n"))
    known = ", ".join(sorted(k.name for k in registry.SCHEDULE.keys))
    assert str(info.value) == f"config error at 'schedule.min_interval': unknown key (known: {known})"


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[alerts]\n[[alerts.channels]]\ntype = 'jsonl'\nurl = 'https://x'\n", "alerts.channels[0].url"),
        ("[topics.t]\nrequire = ['a']\n[topics.t.groups.a]\nterms = ['x']\nweigth = 1\n", "topics.t.groups.a.weigth"),
        ("[ops]\nport = 1\nhots = 'x'\n", "ops.hots"),
        ("[http]\nuser_agnet = 'x'\n", "http.user_agnet"),
    ],
)
def test_every_section_rejects_unknown_keys_the_same_way(tmp_path: Path, toml: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, toml))
    assert info.value.key == key and "unknown key (known: " in info.value.message


def test_a_fixed_interval_outside_the_schedule_bounds_is_refused(tmp_path: Path) -> None:
    text = "[schedule]\nmin_interval_minutes = 10\n[[feeds]]\nurl = 'https://x.example/f'\ninterval_minutes = 3\n"
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert info.value.key == "feeds[0].interval_minutes" and "min_interval_minutes (10)" in info.value.message


# -- environment overrides ---------------------------------------------------------------------------


def test_environment_overrides_scalar_keys_with_the_same_validation() -> None:
    config = parse_config(
        {"pipeline": {"workers": 4}},
        environ={
            "MONITOR_PIPELINE_WORKERS": "8",
            "MONITOR_HTTP_ALLOW_PRIVATE_ADDRESSES": "true",
            "MONITOR_SCHEDULE_JITTER_FRACTION": "0",
            "MONITOR_OPS_PORT": "9000",
        },
    )
    assert config.pipeline.workers == 8
    assert config.http.allow_private_addresses is True
    assert config.schedule.jitter_fraction == 0.0
    assert config.ops.port == 9000
    with pytest.raises(ConfigError) as info:
        parse_config({}, environ={"MONITOR_PIPELINE_WORKERS": "0"})
    assert (
        str(info.value) == "config error at 'pipeline.workers': must be greater than 0 (from MONITOR_PIPELINE_WORKERS)"
    )
    with pytest.raises(ConfigError) as info:
        parse_config({}, environ={"MONITOR_PIPELINE_FETCH_PAGES": "maybe"})
    assert info.value.key == "pipeline.fetch_pages" and "MONITOR_PIPELINE_FETCH_PAGES" in info.value.message
    with pytest.raises(ConfigError) as info:
        parse_config({}, environ={"MONITOR_SCHEDULE_MIN_INTERVAL_MINUTES": "500"})
    assert info.value.key == "schedule.min_interval_minutes"  # the cross-field rule sees the override too


def test_database_variables_old_and_new() -> None:
    assert parse_config({}, environ={"MONITOR_DATABASE": "/tmp/a.db"}).database_path == Path("/tmp/a.db")
    both = {"MONITOR_DATABASE": "/tmp/a.db", "MONITOR_STORAGE_DATABASE": "/tmp/b.db"}
    assert parse_config({}, environ=both).database_path == Path("/tmp/b.db")
    assert parse_config({}, environ={}).database_path == Path("data/monitor.db")


# -- monitor config ----------------------------------------------------------------------------------


def test_monitor_config_prints_the_effective_config_with_secrets_masked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
[pipeline]
workers = 4
[[alerts.channels]]
name = "hook"
type = "webhook"
url = "https://hooks.example/x"
secrets = ["{SECRET}"]
[[alerts.channels]]
name = "mail"
type = "email"
enabled = false
host = "smtp.example"
username = "u"
password_env = "TEST_SMTP_PASSWORD"
from = "m@example.test"
to = ["d@example.test"]
[[feeds]]
url = "https://feeds.example/rss"
interval_minutes = 15
""",
    )
    env = {"MONITOR_PIPELINE_WORKERS": "6", "TEST_SMTP_PASSWORD": "hunter2-password"}
    done = cli("config", "--config", str(path), env=env)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout and "hunter2-password" not in done.stdout
    dumped = tomllib.loads(done.stdout)
    assert dumped["pipeline"]["workers"] == 6  # the override, not the file's 4
    assert dumped["schedule"]["max_backoff_minutes"] == 720.0  # a default filled in
    hook, mail = dumped["alerts"]["channels"]
    assert hook["secrets"] == ["********"] and hook["timeout_seconds"] == 10.0
    assert mail["password_env"] == "TEST_SMTP_PASSWORD" and mail["port"] == 587
    assert dumped["feeds"] == [
        {"url": "https://feeds.example/rss", "name": "feeds.example", "interval_minutes": 15, "enabled": True}
    ]

    as_json = cli("config", "--json", "--config", str(path), env=env)
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["pipeline"]["workers"] == 6 and data["alerts"]["channels"][0]["secrets"] == ["********"]
    assert data["alerts"]["channels"][1]["digest_minutes"] is None  # not set: null in JSON, absent in TOML
    assert "digest_minutes" not in hook


def test_the_dump_of_the_shipped_config_reads_back_as_the_same_config() -> None:
    done = cli("config", "--config", str(DEFAULT))
    assert done.returncode == 0, done.stderr
    again = parse_config(tomllib.loads(done.stdout), environ={})
    original = load_config(DEFAULT)
    for name in ("database_path", "pipeline", "feeds", "http", "schedule", "topics", "alerts", "ops"):
        assert getattr(again, name) == getattr(original, name), name


# -- docs and the shipped config ---------------------------------------------------------------------


def test_configuration_docs_are_generated_from_the_registry() -> None:
    on_disk = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert on_disk == render(), "run: python -m monitor.settings.docs > docs/configuration.md"
    for section in registry.ALL_SECTIONS:
        for key in section.keys:
            assert f"| `{key.name}` |" in on_disk


def _dotted_keys(data: Mapping[str, Any]) -> Iterator[tuple[str, registry.Section]]:
    """(key, section that must declare it) for every key written in a config file."""
    plain = {s.path: s for s in registry.PLAIN_SECTIONS}
    for name, table in data.items():
        if name in plain:
            yield from ((k, plain[name]) for k in table if k != "channels")
        elif name == "feeds":
            yield from ((k, registry.FEEDS) for feed in table for k in feed)
        elif name == "topics":
            for topic in table.values():
                yield from ((k, registry.TOPIC) for k in topic if k != "groups")
                yield from ((k, registry.GROUP) for group in topic["groups"].values() for k in group)
        else:
            raise AssertionError(f"unknown section {name}")
    for channel in data.get("alerts", {}).get("channels", []):
        kind = registry.CHANNEL_KINDS[channel["type"]]
        common = {k.name for k in registry.CHANNEL.keys}
        yield from ((k, registry.CHANNEL if k in common else kind) for k in channel)


def test_the_shipped_config_uses_only_declared_keys() -> None:
    data = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    seen = 0
    for key, section in _dotted_keys(data):
        assert key in {k.name for k in section.keys}, f"{section.path}.{key}"
        seen += 1
    assert seen > 60


# -- secrets are checked where they are used ---------------------------------------------------------


def secret_config(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        f"""
[storage]
database = "{tmp_path / "m.db"}"
[pipeline]
seeds_dir = "{SEEDS}"
[ops]
enabled = false
[[alerts.channels]]
name = "hook"
type = "webhook"
url = "https://hooks.example/x"
secret_env = "TEST_UNSET_WEBHOOK_SECRET"
""",
    )


def test_read_only_commands_work_without_a_channel_secret(tmp_path: Path) -> None:
    path = secret_config(tmp_path)
    made = cli("once", "--config", str(path), env={"TEST_UNSET_WEBHOOK_SECRET": SECRET})  # the database
    assert made.returncode == 0, made.stderr
    commands = [
        ["config"], ["status"], ["feeds", "list"], ["db", "check"], ["corpus", "list"], ["search", "الناتو"],
        ["export-alerts", "nato_iraq"],
    ]  # fmt: skip
    for args in commands:
        done = cli(*args, "--config", str(path))
        assert "config error" not in done.stderr, (args, done.stderr)
        assert done.returncode in (0, 1), (args, done.stderr)  # 1: nothing found / no such topic


@pytest.mark.parametrize("command", [["once"], ["run"], ["alerts", "test"]])
def test_sending_commands_fail_at_start_naming_the_secret(tmp_path: Path, command: list[str]) -> None:
    done = cli(*command, "--config", str(secret_config(tmp_path)))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "monitor: config error at 'alerts.channels[0].secret_env': "
        "environment variable TEST_UNSET_WEBHOOK_SECRET is not set (or empty)"
    )
    assert not (tmp_path / "m.db").exists()  # nothing started


def test_once_sends_when_the_secret_is_set(tmp_path: Path) -> None:
    done = cli("once", "--config", str(secret_config(tmp_path)), env={"TEST_UNSET_WEBHOOK_SECRET": SECRET})
    assert done.returncode == 0, done.stderr
    assert "polled 0 feeds" in done.stdout


# -- [[feeds]] interval_minutes ----------------------------------------------------------------------

NO_JITTER = ScheduleSettings(jitter_fraction=0.0)


def test_a_fixed_interval_replaces_the_adaptive_rate() -> None:
    busy = FeedSchedState(items_per_day=5000.0, last_success_at=NOW - timedelta(minutes=10))
    adaptive = next_poll(busy, PollOutcome(FetchStatus.OK, 1, 20), NOW, NO_JITTER, random.Random(1))
    fixed = next_poll(busy, PollOutcome(FetchStatus.OK, 1, 20), NOW, NO_JITTER, random.Random(1), 45)
    assert adaptive.interval == timedelta(minutes=5)  # thousands a day: the minimum
    assert fixed.interval == timedelta(minutes=45) and "fixed interval 45" in fixed.reason
    # only unseen items: flagged for recovery, but the operator's interval is not shortened
    all_new = next_poll(busy, PollOutcome(FetchStatus.OK, 20, 20), NOW, NO_JITTER, random.Random(1), 45)
    assert all_new.possibly_missed and all_new.interval == timedelta(minutes=45)


def test_a_fixed_interval_still_backs_off_and_honours_the_server() -> None:
    failing = FeedSchedState(consecutive_failures=2)
    backoff = next_poll(failing, PollOutcome(FetchStatus.TEMPORARY), NOW, NO_JITTER, random.Random(1), 45)
    assert backoff.interval == timedelta(minutes=45 * 4)  # third failure in a row
    slow_down = PollOutcome(FetchStatus.TEMPORARY, retry_after_seconds=6 * 3600)
    asked = next_poll(FeedSchedState(), slow_down, NOW, NO_JITTER, random.Random(1), 45)
    assert asked.interval == timedelta(hours=6) and "Retry-After" in asked.reason
    ttl = next_poll(FeedSchedState(), PollOutcome(FetchStatus.OK, ttl_minutes=90), NOW, NO_JITTER, random.Random(1), 45)
    assert ttl.interval == timedelta(minutes=90)


def test_the_daemon_schedules_a_configured_feed_at_its_fixed_interval(tmp_path: Path) -> None:
    story = Story("s1", "عنوان", "نص الخبر", "Mon, 23 Nov 2026 09:00:00 GMT")
    with FaultServer({}) as server:
        server.set("/fixed.xml", rss_feed("fixed", server.url(""), [(story, "/a/1.html", "ملخص")]))
        server.set("/adaptive.xml", rss_feed("adaptive", server.url(""), [(story, "/a/2.html", "ملخص")]))
        path = write(
            tmp_path,
            f"""
[storage]
database = "{tmp_path / "m.db"}"
[pipeline]
seeds_dir = "{SEEDS}"
fetch_pages = false
[http]
allow_private_addresses = true
per_host_min_interval = 0
[schedule]
jitter_fraction = 0
[ops]
enabled = false
[[alerts.channels]]
type = "jsonl"
path = "{tmp_path / "alerts.jsonl"}"
[[feeds]]
url = "{server.url("/fixed.xml")}"
interval_minutes = 17
[[feeds]]
url = "{server.url("/adaptive.xml")}"
""",
        )
        app = App(load_config(path))
        try:
            app.run_once()
            rows = {r["url"].rsplit("/", 1)[1]: r for r in app.store.feeds()}
        finally:
            app.close()
    assert rows["fixed.xml"]["interval_seconds"] == 17 * 60
    assert rows["adaptive.xml"]["interval_seconds"] == 30 * 60  # rate unknown: the default interval
    polled = datetime.fromisoformat(rows["fixed.xml"]["last_polled_at"])
    assert datetime.fromisoformat(rows["fixed.xml"]["next_poll_at"]) - polled == timedelta(minutes=17)


def test_a_disabled_channel_without_its_secret_is_reported_only_when_tested(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
[storage]
database = "{tmp_path / "m.db"}"
[[alerts.channels]]
name = "file"
type = "jsonl"
path = "{tmp_path / "alerts.jsonl"}"
[[alerts.channels]]
name = "hook"
type = "webhook"
enabled = false
url = "https://hooks.example/x"
secret_env = "TEST_UNSET_WEBHOOK_SECRET"
""",
    )
    every = cli("alerts", "test", "--config", str(path))
    assert every.returncode == 0, every.stderr
    assert (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").strip()  # the enabled channel sent
    one = cli("alerts", "test", "--config", str(path), "--channel", "hook")
    assert one.returncode == 1
    assert "alerts.channels[1].secret_env" in one.stdout and "TEST_UNSET_WEBHOOK_SECRET is not set" in one.stdout
