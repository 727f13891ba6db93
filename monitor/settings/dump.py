"""The effective configuration (every key, defaults filled in, env overrides applied) as TOML or JSON.

Secret values are masked; the names of the variables that hold secrets (`secret_env`, `password_env`)
are shown, since they are what an operator needs to check.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from monitor.settings import registry
from monitor.settings.config import Config
from monitor.settings.registry import Key

MASK = "********"


def _filled(raw: Any, keys: tuple[Key, ...], computed: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The table's keys in registry order: the file's value, else the computed or declared default."""
    table = raw if isinstance(raw, Mapping) else {}
    out: dict[str, Any] = {}
    for key in keys:
        raw_value = table.get(key.name)
        # a value from the file is shown as validated (5 -> 5.0 where a number is meant)
        value = (
            (computed or {}).get(key.name, key.default)
            if raw_value is None
            else registry.typed(key.name, key, raw_value)
        )
        if isinstance(value, tuple | list):
            value = list(value)
        if key.secret and value:
            value = [MASK for _ in value] if isinstance(value, list) else MASK
        out[key.name] = value
    return out


def effective(config: Config) -> dict[str, Any]:
    """The whole configuration as plain data, in the order the docs list it."""
    data = config.data
    tree: dict[str, Any] = {
        section.path: _filled(data.get(section.path), section.keys)
        for section in (registry.STORAGE, registry.PIPELINE, registry.HTTP, registry.SCHEDULE, registry.STORIES,
                        registry.OPS)
    }
    tree["storage"]["database"] = str(config.database_path)
    alerts = _filled(data.get("alerts"), registry.ALERTS.keys)
    raw_channels = data.get("alerts", {}).get("channels")
    if raw_channels is None:  # no channels configured: the default console channel is what runs
        raw_channels = [{"type": c.kind, "name": c.name} for c in config.alerts.channels]
    alerts["channels"] = []
    for raw, channel in zip(raw_channels, config.alerts.channels, strict=True):
        keys = registry.CHANNEL.keys + registry.CHANNEL_KINDS[channel.kind].keys
        computed = {"name": channel.name, "port": getattr(channel, "port", None)}
        alerts["channels"].append(_filled(raw, keys, computed))
    tree["alerts"] = alerts
    tree["topics"] = {}
    for topic in config.topics:
        raw_topic = data["topics"][topic.name]
        filled = _filled(raw_topic, registry.TOPIC.keys)
        filled["groups"] = {
            group.name: _filled(raw_topic["groups"][group.name], registry.GROUP.keys, {"weight": group.weight})
            for group in topic.groups
        }
        tree["topics"][topic.name] = filled
    raw_desk = data.get("desk", {})
    desk = _filled(raw_desk, registry.DESK.keys)
    for name, section in (("users", registry.DESK_USER), ("tokens", registry.DESK_TOKEN)):
        entries = raw_desk.get(name, {}) if isinstance(raw_desk, Mapping) else {}
        if entries:
            desk[name] = {entry: _filled(raw, section.keys) for entry, raw in entries.items()}
    tree["desk"] = desk
    tree["feeds"] = [
        _filled(raw, registry.FEEDS.keys, {"name": feed.name})
        for raw, feed in zip(data.get("feeds", []), config.feeds, strict=True)
    ]
    return tree


def to_json(config: Config) -> str:
    return json.dumps(effective(config), ensure_ascii=False, indent=2)


def to_toml(config: Config) -> str:
    """TOML that reads back as the same configuration (keys without a value, i.e. not set, are left out)."""
    tree = effective(config)
    lines = [f"# effective configuration of {config.path or '(no file)'}; secrets masked", ""]

    def table(header: str, values: Mapping[str, Any]) -> None:
        lines.append(header)
        for name, value in values.items():
            if value is not None and not isinstance(value, dict) and not _is_tables(value):
                lines.append(f"{_key(name)} = {_value(value)}")
        lines.append("")

    for name in ("storage", "pipeline", "http", "schedule", "ops"):
        table(f"[{name}]", tree[name])
    table("[alerts]", tree["alerts"])
    for channel in tree["alerts"]["channels"]:
        table("[[alerts.channels]]", channel)
    for topic_name, topic in tree["topics"].items():
        table(f"[topics.{topic_name}]", topic)
        for group_name, group in topic["groups"].items():
            table(f"[topics.{topic_name}.groups.{group_name}]", group)
    table("[desk]", tree["desk"])
    for kind in ("users", "tokens"):
        for entry_name, entry in tree["desk"].get(kind, {}).items():
            table(f"[desk.{kind}.{_key(entry_name)}]", entry)
    for feed in tree["feeds"]:
        table("[[feeds]]", feed)
    return "\n".join(lines)


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() and name.isascii() else json.dumps(name)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # a JSON string is a valid TOML basic string (the same escapes, \uXXXX included)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
