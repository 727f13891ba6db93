"""Load the TOML config, apply MONITOR_<SECTION>_<KEY> environment overrides, validate it into a Config.

Every problem becomes one ConfigError naming its key. The keys themselves are declared in registry.py;
the section parsers (sections.py, topics.py, alerts.py) turn the validated tables into typed settings.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from monitor.errors import ConfigError
from monitor.settings import registry
from monitor.settings.alerts import AlertsConfig, parse_alerts
from monitor.settings.desk import DeskSettings, parse_desk_settings
from monitor.settings.sections import (
    FeedConfig,
    HttpSettings,
    OpsSettings,
    PipelineSettings,
    ScheduleSettings,
    StorySettings,
    parse_feeds,
    parse_http_settings,
    parse_ops_settings,
    parse_pipeline_settings,
    parse_schedule_settings,
    parse_story_settings,
)
from monitor.settings.topics import Topic, parse_topics

DEFAULT_CONFIG_PATH = Path("config/monitor.toml")
CONFIG_ENV = "MONITOR_CONFIG"
DATABASE_ENV = "MONITOR_DATABASE"  # the older, shorter name of MONITOR_STORAGE_DATABASE
DATABASE_URL_ENV = "MONITOR_DATABASE_URL"  # the name PostgreSQL deployments expect, for MONITOR_STORAGE_URL

__all__ = [
    "Config",
    "FeedConfig",
    "HttpSettings",
    "OpsSettings",
    "PipelineSettings",
    "ScheduleSettings",
    "StorySettings",
    "load_config",
    "parse_config",
    "resolve_config_path",
    "with_env_overrides",
]


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
    database_url: str | None = None  # a PostgreSQL URL: the store lives there instead of database_path
    lease_seconds: float = 900.0  # PostgreSQL: how long a claimed feed stays with its worker
    # the TOML data after environment overrides, for `monitor config` (settings/dump.py fills defaults)
    data: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    desk: DeskSettings = field(default_factory=DeskSettings)
    stories: StorySettings = field(default_factory=StorySettings)

    def feed_interval_minutes(self, url: str) -> int | None:
        """The feed's fixed poll interval from [[feeds]] interval_minutes, or None (adaptive)."""
        return self._fixed_intervals.get(url)

    @cached_property
    def _fixed_intervals(self) -> dict[str, int]:
        # one lookup per poll among thousands of feeds: a dict, built once
        return {f.url: f.interval_minutes for f in self.feeds if f.interval_minutes is not None}


def with_env_overrides(
    data: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """`data` with every set MONITOR_<SECTION>_<KEY> applied, and which variable set which key."""
    merged: dict[str, Any] = dict(data)
    origins: dict[str, dict[str, str]] = {}
    for section in registry.PLAIN_SECTIONS:
        for key in section.keys:
            var = section.env_name(key)
            text = environ.get(var) if var else None
            if var == "MONITOR_STORAGE_DATABASE" and not text:
                var, text = DATABASE_ENV, environ.get(DATABASE_ENV)
            if var == "MONITOR_STORAGE_URL" and not text:
                var, text = DATABASE_URL_ENV, environ.get(DATABASE_URL_ENV)
            if not text or var is None:
                continue
            table = merged.get(section.path, {})
            if not isinstance(table, Mapping):
                raise ConfigError(section.path, "must be a table")
            merged[section.path] = {**table, key.name: registry.env_value(section, key, text)}
            origins.setdefault(section.path, {})[key.name] = var
    return merged, origins


def parse_config(data: Mapping[str, Any], path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    for key in data:
        if key not in registry.TOP_LEVEL:
            raise ConfigError(key, f"unknown section (known: {', '.join(sorted(registry.TOP_LEVEL))})")
    data, origins = with_env_overrides(data, os.environ if environ is None else environ)

    def table(name: str) -> Any:
        raw = data.get(name, {})
        if not isinstance(raw, Mapping):
            raise ConfigError(name, "must be a table")
        return raw

    storage = registry.read_table("storage", table("storage"), registry.STORAGE.keys, origins=origins.get("storage"))
    topics_raw = data.get("topics", {})
    if not isinstance(topics_raw, Mapping):
        raise ConfigError("topics", "must be a table of topics ([topics.NAME])")
    schedule = parse_schedule_settings(table("schedule"), origins.get("schedule"))
    return Config(
        path=path,
        database_path=Path(storage["database"]),
        database_url=storage.get("url") or None,
        lease_seconds=float(storage["lease_seconds"]),
        pipeline=parse_pipeline_settings(table("pipeline"), origins.get("pipeline")),
        feeds=parse_feeds(data.get("feeds", []), schedule),
        http=parse_http_settings(table("http"), origins.get("http")),
        schedule=schedule,
        topics=tuple(parse_topics(topics_raw)),
        alerts=parse_alerts(table("alerts"), origins.get("alerts")),
        ops=parse_ops_settings(table("ops"), origins.get("ops")),
        data=data,
        desk=parse_desk_settings(table("desk"), origins.get("desk"), environ),
        stories=parse_story_settings(table("stories"), origins.get("stories")),
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
