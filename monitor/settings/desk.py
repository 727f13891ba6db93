"""The [desk] table: where the desk listens, how it shows times and words, who may use it.

    [desk]
    port = 8470
    [desk.users.huda]
    role = "editor"                       # or "viewer"
    password_hash = "$argon2id$v=19$..."  # `monitor desk hash-password`
    [desk.tokens.newsroom_bot]
    role = "viewer"
    sha256 = "9f86d0..."                  # `monitor desk new-token` prints a token and this digest

The keys are declared in the registry (DESK, DESK_USER, DESK_TOKEN) like every other section.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from monitor.errors import ConfigError
from monitor.settings import registry

SECRET_ENV = "MONITOR_DESK_SECRET"
ROLES = registry.DESK_ROLES


@dataclass(frozen=True)
class DeskUser:
    name: str
    role: str
    password_hash: str = field(repr=False)


@dataclass(frozen=True)
class DeskToken:
    name: str
    role: str
    sha256: str = field(repr=False)


@dataclass(frozen=True)
class DeskSettings:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8470
    timezone: str = "Asia/Baghdad"
    language: str = "ar"
    page_size: int = 50
    session_hours: int = 12
    https: bool = False
    secret_key: str = field(default="", repr=False)
    users: tuple[DeskUser, ...] = field(default=())
    tokens: tuple[DeskToken, ...] = field(default=())

    @property
    def open_locally(self) -> bool:
        """No user and no token: the desk is a local tool, everyone who reaches it is an editor. Only ever
        on a loopback address (see `check_listening`)."""
        return not self.users and not self.tokens


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _entries(key: str, table: Any, section: registry.Section) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"desk.{key}", "must be a table of tables")
    return [
        (str(name), registry.read_table(f"desk.{key}.{name}", entry, section.keys)) for name, entry in table.items()
    ]


def parse_desk_settings(
    spec: Mapping[str, Any], origins: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None
) -> DeskSettings:
    """Validate the config's [desk] table; every problem is a ConfigError naming `desk.<key>`."""
    values = registry.read_table("desk", spec, registry.DESK.keys, nested=("users", "tokens"), origins=origins)
    table = spec if isinstance(spec, Mapping) else {}
    users = tuple(DeskUser(name, e["role"], e["password_hash"]) for name, e in _entries(
        "users", table.get("users", {}), registry.DESK_USER))
    tokens = tuple(DeskToken(name, e["role"], e["sha256"].lower()) for name, e in _entries(
        "tokens", table.get("tokens", {}), registry.DESK_TOKEN))
    env = os.environ if environ is None else environ
    values["secret_key"] = values["secret_key"] or env.get(SECRET_ENV, "")
    return DeskSettings(**values, users=users, tokens=tokens)


def check_listening(settings: DeskSettings) -> str | None:
    """Why the desk must not listen as configured, or None."""
    if settings.open_locally and not is_loopback(settings.host):
        return (
            f"the desk will not listen on {settings.host}: no [desk.users] or [desk.tokens] are configured, "
            "and without them it is open to anyone who reaches it (use a loopback address or add a user)"
        )
    return None
