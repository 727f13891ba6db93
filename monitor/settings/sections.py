"""The typed settings of the plain sections ([pipeline], [[feeds]], [http], [schedule], [ops]) and their parsers.

Each parser validates its table by the registry; cross-field rules are written here, once each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.errors import ConfigError
from monitor.settings import registry
from monitor.settings.registry import DEFAULT_USER_AGENT


@dataclass(frozen=True)
class PipelineSettings:
    seeds_dir: Path
    fetch_pages: bool
    extract_timeout_seconds: float
    max_entries_per_poll: int
    workers: int
    corpus_policy: str
    cycle_seconds: int
    page_retry_first_seconds: float = 60.0
    page_retry_max_seconds: float = 1800.0
    page_retry_give_up_hours: float = 24.0


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str
    interval_minutes: int | None  # a fixed poll interval instead of the adaptive one
    enabled: bool


@dataclass(frozen=True)
class HttpSettings:
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0  # seconds to open the TCP (+TLS) connection
    read_timeout: float = 30.0  # seconds of silence allowed between two reads
    total_timeout: float = 60.0  # seconds for the whole fetch, redirects and slow-drip bodies included
    max_body_bytes: int = 10 * 1024 * 1024  # on the wire and after decompression
    max_redirects: int = 5
    allow_private_addresses: bool = False  # SSRF guard: refuse private/loopback/link-local targets
    per_host_concurrency: int = 2  # requests in flight to one host
    per_host_min_interval: float = 1.0  # seconds between the starts of two requests to one host
    # CIDR blocks allowed even when allow_private_addresses is false, e.g. ("10.1.2.0/24",) for one
    # internal feed server without opening the whole private range
    allowed_networks: tuple[str, ...] = ()
    # Route requests through HTTPS_PROXY/HTTP_PROXY (minus NO_PROXY); off so the config alone decides.
    use_env_proxy: bool = False


@dataclass(frozen=True)
class ScheduleSettings:
    min_interval_minutes: float = 5.0
    max_interval_minutes: float = 240.0
    default_interval_minutes: float = 30.0
    max_backoff_minutes: float = 720.0
    jitter_fraction: float = 0.1
    target_new_items_per_poll: float = 2.0
    missed_items_factor: float = 0.5
    max_server_delay_minutes: float = 1440.0
    # A feed without a successful poll for this long raises one "feed unhealthy" warning; 0 = no warnings.
    warn_after_hours: float = 24.0

    def __post_init__(self) -> None:
        if not 0 < self.min_interval_minutes <= self.max_interval_minutes:
            raise ValueError("need 0 < min_interval_minutes <= max_interval_minutes")


@dataclass(frozen=True)
class StorySettings:
    """[stories]: the assignment's window and threshold, and the update rule of per-story alerts."""

    window_hours: float = 72.0
    threshold: float = 0.3
    update_minutes: float = 60.0
    score_jump: float = 0.5

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.window_hours)

    @property
    def update_period(self) -> timedelta:
        return timedelta(minutes=self.update_minutes)


@dataclass(frozen=True)
class OpsSettings:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 9468
    stale_after_seconds: int = 600
    # /healthz is degraded when feed polls keep failing and none has succeeded for this long; 0 = off.
    feeds_down_after_seconds: int = 3600
    retention_days: int = 0
    feed_entries: int = 50
    public_url: str = ""


# `origins` (key -> environment variable) comes from the loader's MONITOR_<SECTION>_<KEY> overrides.
Origins = Mapping[str, str] | None


def parse_pipeline_settings(spec: Mapping[str, Any], origins: Origins = None) -> PipelineSettings:
    values = registry.read_table("pipeline", spec, registry.PIPELINE.keys, origins=origins)
    return PipelineSettings(**{**values, "seeds_dir": Path(values["seeds_dir"])})


def parse_http_settings(spec: Mapping[str, Any], origins: Origins = None) -> HttpSettings:
    """Validate the config's [http] table. Missing keys keep their defaults."""
    values = registry.read_table("http", spec, registry.HTTP.keys, origins=origins)
    return HttpSettings(**{**values, "user_agent": values["user_agent"].strip()})


def parse_schedule_settings(spec: Mapping[str, Any], origins: Origins = None) -> ScheduleSettings:
    """Validate the config's [schedule] table; missing keys keep their defaults."""
    values = registry.read_table("schedule", spec, registry.SCHEDULE.keys, origins=origins)
    if values["min_interval_minutes"] > values["max_interval_minutes"]:
        raise ConfigError("schedule.min_interval_minutes", "must not exceed schedule.max_interval_minutes")
    if not values["min_interval_minutes"] <= values["default_interval_minutes"] <= values["max_interval_minutes"]:
        raise ConfigError("schedule.default_interval_minutes", "must lie between min and max interval")
    if values["max_backoff_minutes"] < values["min_interval_minutes"]:
        raise ConfigError("schedule.max_backoff_minutes", "must be >= schedule.min_interval_minutes")
    return ScheduleSettings(**values)


def parse_story_settings(spec: Mapping[str, Any], origins: Origins = None) -> StorySettings:
    return StorySettings(**registry.read_table("stories", spec, registry.STORIES.keys, origins=origins))


def parse_ops_settings(spec: Mapping[str, Any], origins: Origins = None) -> OpsSettings:
    """Validate the config's [ops] table; every problem is a ConfigError naming `ops.<key>`."""
    return OpsSettings(**registry.read_table("ops", spec, registry.OPS.keys, origins=origins))


def parse_feeds(raw: Any, schedule: ScheduleSettings) -> tuple[FeedConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError("feeds", "must be an array of tables ([[feeds]])")
    feeds: list[FeedConfig] = []
    seen: set[str] = set()
    for i, table in enumerate(raw):
        key = f"feeds[{i}]"
        values = registry.read_table(key, table, registry.FEEDS.keys)
        url = values["url"]
        if url in seen:
            raise ConfigError(f"{key}.url", f"feed listed twice: {url}")
        seen.add(url)
        interval = values["interval_minutes"]
        # a fixed interval still lives within the schedule's bounds, so `bounds()` holds for every feed
        if interval is not None and not schedule.min_interval_minutes <= interval <= schedule.max_interval_minutes:
            raise ConfigError(
                f"{key}.interval_minutes",
                f"must lie between schedule.min_interval_minutes ({schedule.min_interval_minutes:g}) and "
                f"schedule.max_interval_minutes ({schedule.max_interval_minutes:g}), got {interval}",
            )
        feeds.append(
            FeedConfig(
                url=url,
                name=values["name"] or urlsplit(url).hostname or url,
                interval_minutes=interval,
                enabled=values["enabled"],
            )
        )
    return tuple(feeds)
