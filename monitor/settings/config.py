"""Load and validate the TOML config; every problem becomes one ConfigError naming its key.

Each section is validated by the module that uses it (http, schedule, topics, alerts); the
sections owned here (storage, pipeline, feeds) are described by the registries below, which
are also what `monitor config` prints and what the docs test checks.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.decide.topics import Topic, parse_topics
from monitor.errors import ConfigError
from monitor.fetch.client import HttpSettings, parse_http_settings
from monitor.runtime.ops_http import OpsSettings, parse_ops_settings
from monitor.schedule.polls import ScheduleSettings, parse_schedule_settings
from monitor.settings.alerts import AlertsConfig, parse_alerts

DEFAULT_CONFIG_PATH = Path("config/monitor.toml")
CONFIG_ENV = "MONITOR_CONFIG"
DATABASE_ENV = "MONITOR_DATABASE"


@dataclass(frozen=True)
class Setting:
    """One key of a section owned by this module: its type, default and help line."""

    name: str
    kind: type
    default: Any
    help: str
    check: Callable[[Any], str | None] | None = None  # returns an error message, or None when valid


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _one_of(*choices: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


STORAGE_SETTINGS = (
    Setting(
        "database",
        str,
        "data/monitor.db",
        f"SQLite database file (created with its folder; relative to the working directory; env {DATABASE_ENV})",
    ),
)

PIPELINE_SETTINGS = (
    Setting("seeds_dir", str, "seeds", "folder of seed articles (.txt: first line title, then text) loaded at start"),
    Setting("fetch_pages", bool, True, "fetch each new entry's page and extract its text; false = feed summary only"),
    Setting("extract_timeout_seconds", float, 20.0, "longest time one page's text extraction may take", _positive),
    Setting("max_entries_per_poll", int, 200, "most new entries processed from one poll of one feed", _positive),
    Setting("workers", int, 32, "feeds polled at the same time (per-host limits still apply)", _positive),
    Setting(
        "corpus_policy",
        str,
        "matches",
        "which new articles join the near-copy corpus: 'matches' (topic matches) or 'all' (every non-copy)",
        _one_of("matches", "all"),
    ),
    Setting("cycle_seconds", int, 30, "how often the daemon looks for due feeds and pending alerts", _positive),
)

FEED_SETTINGS = (
    Setting("url", str, None, "feed URL (RSS, Atom or JSON Feed); required"),
    Setting("name", str, None, "display name used in logs and alerts (default: the URL's host)"),
    Setting(
        "interval_minutes",
        int,
        None,
        "fixed first poll interval; later polls adapt within [schedule] bounds",
        _positive,
    ),
    Setting("enabled", bool, True, "false keeps the feed in the config without polling it"),
)


@dataclass(frozen=True)
class PipelineSettings:
    seeds_dir: Path
    fetch_pages: bool
    extract_timeout_seconds: float
    max_entries_per_poll: int
    workers: int
    corpus_policy: str
    cycle_seconds: int


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str
    interval_minutes: int | None
    enabled: bool


@dataclass(frozen=True)
class Config:
    path: Path | None
    database_path: Path
    pipeline: PipelineSettings
    feeds: tuple[FeedConfig, ...]
    http: HttpSettings
    schedule: ScheduleSettings
    topics: tuple[Topic, ...]
    alerts: AlertsConfig
    ops: OpsSettings
    desk: Mapping[str, Any]  # raw [desk] table, validated by monitor.desk.settings


SECTIONS = {"storage", "pipeline", "feeds", "http", "schedule", "topics", "alerts", "ops", "desk"}


def _read_section(prefix: str, table: Any, settings: tuple[Setting, ...]) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigError(prefix, "must be a table")
    known = {s.name: s for s in settings}
    for key in table:
        if key not in known:
            raise ConfigError(f"{prefix}.{key}", f"unknown key (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for s in settings:
        value = table.get(s.name, s.default)
        if value is not None:
            # TOML integers are fine where a float is expected; bools are not ints here
            if s.kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, s.kind) or (s.kind is int and isinstance(value, bool)):
                raise ConfigError(f"{prefix}.{s.name}", f"must be a {s.kind.__name__}, got {value!r}")
            if s.check is not None and (problem := s.check(value)):
                raise ConfigError(f"{prefix}.{s.name}", problem)
        values[s.name] = value
    return values


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or url


def _parse_feeds(raw: Any) -> tuple[FeedConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError("feeds", "must be an array of tables ([[feeds]])")
    feeds: list[FeedConfig] = []
    seen: set[str] = set()
    for i, table in enumerate(raw):
        key = f"feeds[{i}]"
        values = _read_section(key, table, FEED_SETTINGS)
        url = values["url"]
        if not url:
            raise ConfigError(f"{key}.url", "is required")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{key}.url", f"must be an http(s) URL, got {url!r}")
        if url in seen:
            raise ConfigError(f"{key}.url", f"feed listed twice: {url}")
        seen.add(url)
        feeds.append(
            FeedConfig(
                url=url,
                name=values["name"] or _host(url),
                interval_minutes=values["interval_minutes"],
                enabled=values["enabled"],
            )
        )
    return tuple(feeds)


def parse_config(data: Mapping[str, Any], path: Path | None = None) -> Config:
    for key in data:
        if key not in SECTIONS:
            raise ConfigError(key, f"unknown section (known: {', '.join(sorted(SECTIONS))})")
    storage = _read_section("storage", data.get("storage", {}), STORAGE_SETTINGS)
    pipeline = _read_section("pipeline", data.get("pipeline", {}), PIPELINE_SETTINGS)
    database = os.environ.get(DATABASE_ENV) or storage["database"]
    topics_raw = data.get("topics", {})
    if not isinstance(topics_raw, Mapping):
        raise ConfigError("topics", "must be a table of topics ([topics.NAME])")
    alerts_raw = data.get("alerts", {})
    if not isinstance(alerts_raw, Mapping):
        raise ConfigError("alerts", "must be a table")
    http_raw = data.get("http", {})
    schedule_raw = data.get("schedule", {})
    ops_raw = data.get("ops", {})
    for name, section in (("http", http_raw), ("schedule", schedule_raw), ("ops", ops_raw)):
        if not isinstance(section, Mapping):
            raise ConfigError(name, "must be a table")
    return Config(
        path=path,
        database_path=Path(database),
        pipeline=PipelineSettings(
            seeds_dir=Path(pipeline["seeds_dir"]),
            fetch_pages=pipeline["fetch_pages"],
            extract_timeout_seconds=pipeline["extract_timeout_seconds"],
            max_entries_per_poll=pipeline["max_entries_per_poll"],
            workers=pipeline["workers"],
            corpus_policy=pipeline["corpus_policy"],
            cycle_seconds=pipeline["cycle_seconds"],
        ),
        feeds=_parse_feeds(data.get("feeds", [])),
        http=parse_http_settings(http_raw),
        schedule=parse_schedule_settings(schedule_raw),
        topics=tuple(parse_topics(topics_raw)),
        alerts=parse_alerts(alerts_raw),
        ops=parse_ops_settings(ops_raw),
        desk=data.get("desk", {}),
    )


def resolve_config_path(path: str | Path | None) -> Path:
    return Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate a config file; raises ConfigError with the key at fault."""
    config_path = resolve_config_path(path)
    try:
        raw = config_path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("--config", f"no config file at {config_path}") from None
    except OSError as exc:
        raise ConfigError("--config", f"cannot read {config_path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError("--config", f"{config_path} is not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("--config", f"{config_path} is not valid TOML: {exc}") from None
    return parse_config(data, config_path)
