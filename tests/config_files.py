"""The one way tests write a monitor config file: `write_config(tmp_path, **overrides)`.

    files = write_config(tmp_path, fetch_pages=False, http=LOOPBACK_HTTP, ops=OPS_OFF,
                         channels=[jsonl_channel(tmp_path)], feeds=[server.url("/rss.xml")])
    App(load_config(files.config)); Store(files.database)

Sections are plain dicts written as TOML, so a test states only the keys it cares about and the
registry's defaults fill in the rest, as they do for an operator's file.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# A daemon under test talks to servers on 127.0.0.1 and should not wait between their requests.
LOOPBACK_HTTP: Mapping[str, Any] = {"allow_private_addresses": True, "per_host_min_interval": 0}
# No ops listener: tests that start several Apps in one process would fight over the port.
OPS_OFF: Mapping[str, Any] = {"enabled": False}


class ConfigFiles(NamedTuple):
    config: Path
    database: Path


def write_config(
    tmp_path: Path,
    *,
    name: str = "monitor.toml",
    database: str | Path = "m.db",
    seeds_dir: Path | None = SEEDS,
    fetch_pages: bool | None = None,
    channels: Sequence[Mapping[str, Any]] = (),
    feeds: Sequence[str | Mapping[str, Any]] = (),
    topics: Mapping[str, Any] | None = None,
    **sections: Mapping[str, Any],
) -> ConfigFiles:
    """Write `tmp_path / name` whose database is `tmp_path / database` (an absolute path is kept as it is).

    `seeds_dir` and `fetch_pages` go into [pipeline] (None leaves the key out); `channels` are the
    [[alerts.channels]]; a feed is a URL or a [[feeds]] table; other keywords (pipeline=, http=,
    schedule=, ops=, alerts=, ...) are whole sections.
    """
    config, db_path = tmp_path / name, tmp_path / database
    pipeline = dict(sections.pop("pipeline", {}))
    if seeds_dir is not None:
        pipeline = {"seeds_dir": str(seeds_dir), **pipeline}
    if fetch_pages is not None:
        pipeline["fetch_pages"] = fetch_pages
    document: dict[str, Any] = {"storage": {"database": str(db_path)}}
    if pipeline:
        document["pipeline"] = pipeline
    document.update(sections)
    if channels:
        document["alerts"] = {**document.get("alerts", {}), "channels": list(channels)}
    if topics is not None:
        document["topics"] = topics
    if feeds:
        document["feeds"] = [{"url": feed} if isinstance(feed, str) else feed for feed in feeds]
    config.write_text(to_toml(document), encoding="utf-8")
    return ConfigFiles(config, db_path)


def jsonl_channel(tmp_path: Path, name: str = "file") -> dict[str, Any]:
    """A channel whose deliveries a test reads back from `tmp_path / "alerts.jsonl"`."""
    return {"type": "jsonl", "name": name, "path": str(tmp_path / "alerts.jsonl")}


def email_channel(smtp_port: int, *to: str, name: str = "mail", **extra: Any) -> dict[str, Any]:
    """A channel that mails `to` through the local SMTP server on `smtp_port`, in the clear unless `extra` says."""
    return {"type": "email", "name": name, "host": "127.0.0.1", "port": smtp_port, "security": "none",
            "from": "monitor@example.test", "to": list(to), **extra}


def shipped_topics() -> dict[str, Any]:
    """The topics of the shipped config/monitor.toml (a TOML file cannot include another)."""
    spec: dict[str, Any] = tomllib.loads((ROOT / "config" / "monitor.toml").read_text(encoding="utf-8"))["topics"]
    return spec


def to_toml(document: Mapping[str, Any]) -> str:
    """TOML for the config's shapes: tables, arrays of tables, and scalars or lists of scalars."""
    lines: list[str] = []
    _emit_table(lines, (), document)
    return "\n".join(lines) + "\n"


def _emit_table(lines: list[str], path: tuple[str, ...], table: Mapping[str, Any]) -> None:
    for key, value in table.items():
        if not _is_table(value) and not _is_table_array(value):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        if _is_table(value):
            lines.append(f"[{_dotted((*path, key))}]")
            _emit_table(lines, (*path, key), value)
        elif _is_table_array(value):
            for item in value:
                lines.append(f"[[{_dotted((*path, key))}]]")
                _emit_table(lines, (*path, key), item)


def _is_table(value: object) -> bool:
    return isinstance(value, Mapping)


def _is_table_array(value: object) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(_key(k) for k in path)


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else _value(key)


def _value(value: object) -> str:
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, str | Path):
        # JSON's string escapes are TOML's, except that TOML also wants DEL escaped
        return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")
