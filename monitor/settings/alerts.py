"""Parse and validate the `[alerts]` table into typed channel configs.

OWNER: alert delivery (issue 4). INTERFACE:
    parse_alerts(spec: Mapping[str, Any], env: Mapping[str, str] | None = None) -> AlertsConfig
    AlertsConfig.channels                 list of channel configs, unique .name
    AlertsConfig.channel_names_for(topic) names of the enabled channels that take alerts of this topic

Every error is a ConfigError naming the dotted key (e.g. `alerts.channels[2].url`) so a user can find it.
Secrets are read from environment variables (`password_env`, `secret_env`) at parse time: a missing
variable fails at start, not at 3 a.m. on the first alert.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.errors import ConfigError

# Standard Webhooks' recommended schedule: the gaps between attempts 1→2, 2→3, … (attempt 1 is immediate).
STANDARD_WEBHOOKS_DELAYS: tuple[float, ...] = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)

SmtpSecurity = Literal["starttls", "tls", "none"]
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8  # attempts in all (the first included) before the delivery is dead-lettered
    delays: tuple[float, ...] = STANDARD_WEBHOOKS_DELAYS  # seconds between attempts; the last repeats
    jitter: float = 0.2  # each delay is scaled by a random factor in [1 - jitter, 1 + jitter]
    max_retry_after: float = 86400.0  # a receiver's Retry-After is honoured up to this many seconds


@dataclass(frozen=True)
class Digest:
    """When a channel sends. every_minutes=None and daily_at=None means immediately, one alert per message."""

    every_minutes: int | None = None
    daily_at: time | None = None
    timezone: str = "UTC"

    @property
    def immediate(self) -> bool:
        return self.every_minutes is None and self.daily_at is None


@dataclass(frozen=True)
class RateLimit:
    """At most `count` messages per `window_seconds`; extra alerts wait (never dropped) and go out batched."""

    count: int
    window_seconds: float


@dataclass(frozen=True)
class ChannelBase:
    name: str
    enabled: bool = True
    topics: tuple[str, ...] = ()  # empty = every topic
    digest: Digest = field(default_factory=Digest)
    rate_limit: RateLimit | None = None
    max_attempts: int | None = None  # overrides AlertsConfig.retry.max_attempts for this channel
    # Set on a disabled channel whose secret is not in the environment: the example channels in the
    # shipped config must not stop the daemon, but `alerts test --channel` should say what is missing.
    problem: str | None = None

    @property
    def kind(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class ConsoleChannel(ChannelBase):
    @property
    def kind(self) -> str:
        return "console"


@dataclass(frozen=True)
class JsonlChannel(ChannelBase):
    path: Path = Path("data/alerts.jsonl")

    @property
    def kind(self) -> str:
        return "jsonl"


@dataclass(frozen=True)
class WebhookChannel(ChannelBase):
    url: str = ""
    # Each secret is the raw key (base64-decoded part after "whsec_"); several = key rotation, one
    # signature per key in the webhook-signature header.
    secrets: tuple[bytes, ...] = ()
    timeout_seconds: float = 10.0

    @property
    def kind(self) -> str:
        return "webhook"


@dataclass(frozen=True)
class EmailChannel(ChannelBase):
    host: str = ""
    port: int = 587
    security: SmtpSecurity = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # from password_env; never printed
    sender: str = ""
    recipients: tuple[str, ...] = ()
    ca_file: Path | None = None  # extra CA bundle for a private SMTP server's certificate
    timeout_seconds: float = 30.0
    subject_prefix: str = "[monitor]"

    @property
    def kind(self) -> str:
        return "email"


Channel = ConsoleChannel | JsonlChannel | WebhookChannel | EmailChannel


@dataclass(frozen=True)
class AlertsConfig:
    channels: tuple[Channel, ...] = (ConsoleChannel(name="console"),)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def channel(self, name: str) -> Channel | None:
        return next((c for c in self.channels if c.name == name), None)

    def channel_names_for(self, topic: str) -> list[str]:
        """Enabled channels that take alerts of `topic` (the names the pipeline passes to enqueue)."""
        return [c.name for c in self.channels if c.enabled and (not c.topics or topic in c.topics)]

    def max_attempts(self, channel: Channel) -> int:
        return channel.max_attempts if channel.max_attempts is not None else self.retry.max_attempts


# ---------------------------------------------------------------------------------------------------------
# Parsing. A tiny reader over the raw mapping that names the dotted key in every error.


class _Table:
    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(path, f"expected a table, got {type(data).__name__}")
        self.data = data
        self.path = path
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}"

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        self.used.add(name)
        if name not in self.data:
            return default
        value = self.data[name]
        # bool is an int in Python; a `true` where a number belongs is a mistake worth reporting
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise ConfigError(self.key(name), f"expected {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise ConfigError(self.key(name), f"expected {_kind_name(kind)}, got {type(value).__name__}")
        return value

    def number(self, name: str, default: float, *, minimum: float, maximum: float | None = None) -> float:
        value = float(self.get(name, (int, float), default))
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and at most {maximum:g}" if maximum is not None else ""
            raise ConfigError(self.key(name), f"must be at least {minimum:g}{upper}, got {value:g}")
        return value

    def integer(self, name: str, default: int | None, *, minimum: int) -> int | None:
        value = self.get(name, int, default)
        if value is not None and value < minimum:
            raise ConfigError(self.key(name), f"must be at least {minimum}, got {value}")
        return value  # type: ignore[no-any-return]

    def string(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.get(name, str, default)
        if required and not value:
            raise ConfigError(self.key(name), "is required")
        return value  # type: ignore[no-any-return]

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.get(name, (list, str), [])
        items = [value] if isinstance(value, str) else list(value)
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                raise ConfigError(f"{self.key(name)}[{i}]", "expected a non-empty string")
        return tuple(item.strip() for item in items)

    def reject_unknown(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ConfigError(self.key(unknown[0]), f"unknown key (known: {', '.join(sorted(self.used))})")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a number", float: "a number", str: "a string", bool: "true/false", list: "a list"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


class _MissingEnv(ConfigError):
    pass


def _env(key: str, var: str, env: Mapping[str, str]) -> str:
    value = env.get(var)
    if not value:
        raise _MissingEnv(key, f"environment variable {var} is not set (or empty)")
    return value


_ENV_STAND_IN_KEY = "\0stand-in"


class _StandIn(Mapping[str, str]):
    """The environment, where missing variables read as a valid dummy secret."""

    def __init__(self, env: Mapping[str, str], stand_in: Mapping[str, str]) -> None:
        self.env, self.value = env, stand_in[_ENV_STAND_IN_KEY]

    def __getitem__(self, key: str) -> str:
        return self.env.get(key) or "whsec_" + self.value

    def __iter__(self) -> Iterator[str]:
        return iter(self.env)

    def __len__(self) -> int:
        return len(self.env)


def decode_whsec(secret: str, key: str) -> bytes:
    """`whsec_<base64>` -> the raw HMAC key, as Standard Webhooks defines it."""
    body = secret.strip().removeprefix("whsec_")
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(key, "a webhook secret must be 'whsec_' followed by base64") from exc
    if len(raw) < 16:
        # the spec asks for 24-64 bytes; under 16 is too weak to sign anything
        raise ConfigError(key, f"webhook secret is too short ({len(raw)} bytes; use 24 to 64)")
    return raw


def _parse_retry(t: _Table) -> RetryPolicy:
    max_attempts = t.integer("max_attempts", 8, minimum=1)
    raw_delays = t.get("retry_delays_seconds", list, list(STANDARD_WEBHOOKS_DELAYS))
    if not raw_delays:
        raise ConfigError(t.key("retry_delays_seconds"), "needs at least one delay")
    delays: list[float] = []
    for i, d in enumerate(raw_delays):
        if isinstance(d, bool) or not isinstance(d, int | float) or d < 0:
            raise ConfigError(f"{t.key('retry_delays_seconds')}[{i}]", "expected a number of seconds >= 0")
        delays.append(float(d))
    jitter = t.number("retry_jitter", 0.2, minimum=0.0, maximum=1.0)
    max_retry_after = t.number("max_retry_after_seconds", 86400.0, minimum=0.0)
    assert max_attempts is not None
    return RetryPolicy(max_attempts, tuple(delays), jitter, max_retry_after)


def _parse_digest(t: _Table) -> Digest:
    every = t.integer("digest_minutes", None, minimum=1)
    daily_raw = t.string("digest_daily_at")
    tz = t.string("digest_timezone", "UTC") or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(t.key("digest_timezone"), f"unknown time zone {tz!r}") from exc
    if every is not None and daily_raw is not None:
        raise ConfigError(t.key("digest_daily_at"), "set digest_minutes or digest_daily_at, not both")
    daily: time | None = None
    if daily_raw is not None:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", daily_raw.strip())
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ConfigError(t.key("digest_daily_at"), f"expected HH:MM (24 h), got {daily_raw!r}")
        daily = time(int(match[1]), int(match[2]))
    return Digest(every_minutes=every, daily_at=daily, timezone=tz)


def _parse_rate_limit(t: _Table) -> RateLimit | None:
    count = t.integer("rate_limit_count", None, minimum=1)
    minutes = t.number("rate_limit_window_minutes", 60.0, minimum=0.01)
    return RateLimit(count, minutes * 60.0) if count is not None else None


def _parse_channel(raw: Any, path: str, env: Mapping[str, str]) -> Channel:
    t = _Table(raw, path)
    kind = t.string("type", required=True)
    name = t.string("name", kind)
    assert kind is not None and name is not None
    if not _NAME_RE.fullmatch(name):
        raise ConfigError(t.key("name"), "use 1-64 letters, digits, '_', '-' or '.'")
    common: dict[str, Any] = {
        "name": name,
        "enabled": t.get("enabled", bool, True),
        "topics": t.strings("topics"),
        "digest": _parse_digest(t),
        "rate_limit": _parse_rate_limit(t),
        "max_attempts": t.integer("max_attempts", None, minimum=1),
    }
    channel: Channel
    if kind == "console":
        channel = ConsoleChannel(**common)
    elif kind == "jsonl":
        channel = JsonlChannel(**common, path=Path(t.string("path", "data/alerts.jsonl") or ""))
    elif kind in ("webhook", "email"):
        parse = _parse_webhook if kind == "webhook" else _parse_email
        try:
            channel = parse(t, common, env)
        except _MissingEnv as exc:
            if common["enabled"]:
                raise
            # parse again with a stand-in secret so every other key is still checked
            stand_in = {_ENV_STAND_IN_KEY: base64.b64encode(bytes(24)).decode()}
            channel = parse(t, common | {"problem": str(exc)}, _StandIn(env, stand_in))
    else:
        raise ConfigError(t.key("type"), f"unknown channel type {kind!r} (console, jsonl, webhook, email)")
    t.reject_unknown()
    return channel


def _parse_webhook(t: _Table, common: dict[str, Any], env: Mapping[str, str]) -> WebhookChannel:
    url = t.string("url", required=True) or ""
    if not re.match(r"^https?://[^\s/]+", url):
        raise ConfigError(t.key("url"), f"expected an http:// or https:// URL, got {url!r}")
    secrets: list[bytes] = []
    # Several secrets (space-separated, as in the signature header) let a receiver rotate keys.
    for i, s in enumerate(t.strings("secrets")):
        secrets.extend(decode_whsec(part, f"{t.key('secrets')}[{i}]") for part in s.split())
    secret_env = t.string("secret_env")
    if secret_env:
        value = _env(t.key("secret_env"), secret_env, env)
        secrets.extend(decode_whsec(part, t.key("secret_env")) for part in value.split())
    if not secrets:
        raise ConfigError(t.key("secret_env"), "a webhook needs a whsec_ secret (secret_env or secrets)")
    timeout = t.number("timeout_seconds", 10.0, minimum=0.1, maximum=300.0)
    return WebhookChannel(**common, url=url, secrets=tuple(secrets), timeout_seconds=timeout)


def _parse_email(t: _Table, common: dict[str, Any], env: Mapping[str, str]) -> EmailChannel:
    host = t.string("host", required=True) or ""
    security = t.string("security", "starttls")
    if security not in ("starttls", "tls", "none"):
        raise ConfigError(t.key("security"), f"expected starttls, tls or none, got {security!r}")
    port = t.integer("port", 465 if security == "tls" else 587, minimum=1)
    assert port is not None
    if port > 65535:
        raise ConfigError(t.key("port"), f"not a port number: {port}")
    username = t.string("username")
    password_env = t.string("password_env")
    password = _env(t.key("password_env"), password_env, env) if password_env else None
    if password is not None and not username:
        raise ConfigError(t.key("username"), "password_env is set but username is not")
    sender = t.string("from", required=True) or ""
    recipients = t.strings("to")
    if not recipients:
        raise ConfigError(t.key("to"), "needs at least one recipient address")
    for i, addr in enumerate((sender, *recipients)):
        if "@" not in addr or any(c in addr for c in "\r\n"):
            raise ConfigError(t.key("from" if i == 0 else f"to[{i - 1}]"), f"not an e-mail address: {addr!r}")
    ca = t.string("ca_file")
    return EmailChannel(
        **common,
        host=host,
        port=port,
        security=security,  # type: ignore[arg-type]  # checked against the Literal above
        username=username,
        password=password,
        sender=sender,
        recipients=recipients,
        ca_file=Path(ca) if ca else None,
        timeout_seconds=t.number("timeout_seconds", 30.0, minimum=0.1, maximum=600.0),
        subject_prefix=t.string("subject_prefix", "[monitor]") or "",
    )


def parse_alerts(spec: Mapping[str, Any], env: Mapping[str, str] | None = None) -> AlertsConfig:
    """The `[alerts]` table -> AlertsConfig. Empty table = a console channel and the default retry policy."""
    environ: Mapping[str, str] = os.environ if env is None else env
    t = _Table(spec, "alerts")
    retry = _parse_retry(t)
    raw_channels = t.get("channels", list, None)
    t.reject_unknown()
    if raw_channels is None:
        return AlertsConfig(retry=retry)
    channels: list[Channel] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_channels):
        path = f"alerts.channels[{i}]"
        channel = _parse_channel(raw, path, environ)
        if channel.name in seen:
            raise ConfigError(f"{path}.name", f"duplicate channel name {channel.name!r}")
        seen.add(channel.name)
        channels.append(channel)
    return AlertsConfig(channels=tuple(channels), retry=retry)


def channel_summary(channel: Channel) -> str:
    """One line describing where a channel sends, without secrets (for logs and `alerts list`)."""
    match channel:
        case WebhookChannel():
            return f"webhook {channel.url}"
        case EmailChannel():
            to = ", ".join(channel.recipients)
            return f"email via {channel.host}:{channel.port} ({channel.security}) to {to}"
        case JsonlChannel():
            return f"jsonl {channel.path}"
        case _:
            return "console log"


__all__: Sequence[str] = [
    "AlertsConfig",
    "Channel",
    "ConsoleChannel",
    "Digest",
    "EmailChannel",
    "JsonlChannel",
    "RateLimit",
    "RetryPolicy",
    "WebhookChannel",
    "channel_summary",
    "decode_whsec",
    "parse_alerts",
]
