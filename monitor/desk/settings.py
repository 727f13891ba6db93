"""The [desk] table of the config: where the desk listens, how it shows times and words, who may use it.

    [desk]
    port = 8470
    [desk.users.huda]
    role = "editor"                       # or "viewer"
    password_hash = "$argon2id$v=19$..."  # `monitor desk hash-password`
    [desk.tokens.newsroom_bot]
    role = "viewer"
    sha256 = "9f86d0..."                  # `monitor desk new-token` prints a token and this digest
"""

from __future__ import annotations

import ipaddress
import os
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from monitor.errors import ConfigError

SECRET_ENV = "MONITOR_DESK_SECRET"
ROLES = ("viewer", "editor")
LANGUAGES = ("ar", "en")

# key -> (type, default, one-line help): what `monitor config` and docs/desk.md list
DESK_KEYS: dict[str, tuple[type, Any, str]] = {
    "enabled": (bool, True, "serve the desk while `monitor run` runs"),
    "host": (str, "127.0.0.1", "address to bind; a non-loopback address needs at least one [desk.users] entry"),
    "port": (int, 8470, "TCP port (0 = any free port, logged at start)"),
    "timezone": (str, "Asia/Baghdad", "IANA time zone the pages show times in"),
    "language": (str, "ar", "default interface language: 'ar' (right to left) or 'en'"),
    "page_size": (int, 50, "rows per page in the inbox and API lists (search shows at most 20)"),
    "session_hours": (int, 12, "how long a login lasts"),
    "https": (bool, False, "the desk is reached over https (a TLS proxy): session cookies are sent only over https"),
    "secret_key": (str, "", f"signs session cookies (env {SECRET_ENV}); empty = a random key, logins end on restart"),
    "users": (dict, {}, "[desk.users.NAME] role = 'viewer'|'editor', password_hash = argon2 hash"),
    "tokens": (dict, {}, "[desk.tokens.NAME] role = 'viewer'|'editor', sha256 = hex digest of the API token"),
}


@dataclass(frozen=True)
class DeskUser:
    name: str
    role: str
    password_hash: str


@dataclass(frozen=True)
class DeskToken:
    name: str
    role: str
    sha256: str


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
    secret_key: str = ""
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


def _entries(key: str, table: Any, secret_field: str) -> list[tuple[str, str, str]]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"desk.{key}", "must be a table of tables")
    out = []
    for name, entry in table.items():
        where = f"desk.{key}.{name}"
        if not isinstance(entry, Mapping):
            raise ConfigError(where, "must be a table")
        unknown = set(entry) - {"role", secret_field}
        if unknown:
            raise ConfigError(f"{where}.{sorted(unknown)[0]}", f"unknown key (known: role, {secret_field})")
        role = entry.get("role", "viewer")
        if role not in ROLES:
            raise ConfigError(f"{where}.role", f"must be one of {', '.join(ROLES)}")
        secret = entry.get(secret_field)
        if not isinstance(secret, str) or not secret:
            raise ConfigError(f"{where}.{secret_field}", "is required")
        out.append((str(name), role, secret))
    return out


def parse_desk_settings(spec: Mapping[str, Any]) -> DeskSettings:
    """Validate the config's [desk] table; every problem is a ConfigError naming `desk.<key>`."""
    if not isinstance(spec, Mapping):
        raise ConfigError("desk", "must be a table")
    values: dict[str, Any] = {}
    for key, value in spec.items():
        if key not in DESK_KEYS:
            raise ConfigError(f"desk.{key}", f"unknown key (known: {', '.join(sorted(DESK_KEYS))})")
        kind = DESK_KEYS[key][0]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"desk.{key}", f"must be a {kind.__name__}, got {value!r}")
        values[key] = value
    if values.get("language", "ar") not in LANGUAGES:
        raise ConfigError("desk.language", f"must be one of {', '.join(LANGUAGES)}")
    try:
        zoneinfo.ZoneInfo(values.get("timezone", "Asia/Baghdad"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError("desk.timezone", f"unknown time zone {values['timezone']!r}") from None
    for key in ("page_size", "session_hours"):
        if key in values and values[key] <= 0:
            raise ConfigError(f"desk.{key}", "must be greater than 0")
    if not 0 <= values.get("port", 8470) <= 65535:
        raise ConfigError("desk.port", "must be between 0 and 65535")
    users = tuple(DeskUser(*e) for e in _entries("users", values.pop("users", {}), "password_hash"))
    tokens = tuple(DeskToken(n, r, s.lower()) for n, r, s in _entries("tokens", values.pop("tokens", {}), "sha256"))
    for token in tokens:
        if len(token.sha256) != 64 or any(c not in "0123456789abcdef" for c in token.sha256):
            raise ConfigError(f"desk.tokens.{token.name}.sha256", "must be 64 hex digits (a SHA-256 digest)")
    if not values.get("secret_key"):
        values["secret_key"] = os.environ.get(SECRET_ENV, "")
    return DeskSettings(**values, users=users, tokens=tokens)


def check_listening(settings: DeskSettings) -> str | None:
    """Why the desk must not listen as configured, or None."""
    if settings.open_locally and not is_loopback(settings.host):
        return (
            f"the desk will not listen on {settings.host}: no [desk.users] or [desk.tokens] are configured, "
            "and without them it is open to anyone who reaches it (use a loopback address or add a user)"
        )
    return None
