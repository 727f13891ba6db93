"""The `[alerts]` table as typed channel configs: the retry policy and one config per channel.

INTERFACE:
    parse_alerts(spec: Mapping[str, Any]) -> AlertsConfig
    AlertsConfig.channels                 channel configs, unique .name
    AlertsConfig.channel_names_for(topic) names of the enabled channels that take alerts of this topic
    AlertsConfig.require_secrets()        ConfigError naming the key when an enabled channel's secret is unset
    AlertsConfig.delivery_channels()      enabled channels as deliveries address them: an apprise channel
                                          becomes one AppriseTarget per URL (name "<channel>/<url hash>")
    AlertsConfig.channel(name)            a configured channel or an apprise URL's target, by name
    AlertsConfig.language / .timezone     how alerts are written for a reader ([alerts] language, timezone)

Every error is a ConfigError naming the dotted key (e.g. `alerts.channels[2].url`) so a user can find it.
Secrets named by `secret_env` / `password_env` / `urls_env` are read where they are used (the senders, and
`require_secrets()` when a sending command starts), so read-only commands work without them while
`run`, `once` and `alerts test` still fail at start, not at 3 a.m. on the first alert.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Literal

from monitor.errors import ConfigError
from monitor.settings import registry
from monitor.settings.registry import STANDARD_WEBHOOKS_DELAYS

SmtpSecurity = Literal["starttls", "tls", "none"]
AppriseFormat = Literal["markdown", "text"]
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# Apprise's own convention for a list of URLs in one variable (its CLI reads APPRISE_URLS so)
_URL_SEPARATORS = re.compile(r"[\s,]+")
DEFAULT_LANGUAGE: str = registry.ALERTS_LANGUAGE.default
DEFAULT_TIMEZONE: str = registry.ALERTS_TIMEZONE.default


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
class SecretRef:
    """A secret kept in an environment variable, read only when it is needed (never stored or printed)."""

    env: str  # the variable's name
    key: str  # the config key that names it, for the error

    def value(self, environ: Mapping[str, str] | None = None) -> str:
        found = (os.environ if environ is None else environ).get(self.env)
        if not found:
            raise ConfigError(self.key, f"environment variable {self.env} is not set (or empty)")
        return found


@dataclass(frozen=True)
class ChannelBase:
    name: str
    enabled: bool = True
    topics: tuple[str, ...] = ()  # empty = every topic
    digest: Digest = field(default_factory=Digest)
    rate_limit: RateLimit | None = None
    max_attempts: int | None = None  # overrides AlertsConfig.retry.max_attempts for this channel
    alert_on: str = "story"  # "story": one alert per story and topic, then story updates; "article": every article
    # [alerts] language and timezone, carried by each channel so its sender writes for the reader
    language: str = DEFAULT_LANGUAGE
    timezone: str = DEFAULT_TIMEZONE

    @property
    def kind(self) -> str:
        raise NotImplementedError

    def missing_secret(self, environ: Mapping[str, str] | None = None) -> ConfigError | None:
        """Why this channel cannot send with the environment as it is (a secret unset or malformed)."""
        return None


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
    # signature per key in the webhook-signature header. These are the ones written in the file.
    secrets: tuple[bytes, ...] = field(default=(), repr=False)
    secret_env: SecretRef | None = None  # more whsec_ secrets, space-separated, read when sending
    timeout_seconds: float = 10.0

    @property
    def kind(self) -> str:
        return "webhook"

    def signing_keys(self, environ: Mapping[str, str] | None = None) -> tuple[bytes, ...]:
        """Every key to sign with: the file's, then the environment's. ConfigError when one is missing."""
        if self.secret_env is None:
            return self.secrets
        value = self.secret_env.value(environ)
        return (*self.secrets, *(decode_whsec(part, self.secret_env.key) for part in value.split()))

    def missing_secret(self, environ: Mapping[str, str] | None = None) -> ConfigError | None:
        try:
            self.signing_keys(environ)
        except ConfigError as exc:
            return exc
        return None


@dataclass(frozen=True)
class EmailChannel(ChannelBase):
    host: str = ""
    port: int = 587
    security: SmtpSecurity = "starttls"
    username: str | None = None
    password_env: SecretRef | None = None
    sender: str = ""
    recipients: tuple[str, ...] = ()
    ca_file: Path | None = None  # extra CA bundle for a private SMTP server's certificate
    timeout_seconds: float = 30.0
    subject_prefix: str = "[monitor]"

    @property
    def kind(self) -> str:
        return "email"

    def password(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The SMTP password from its environment variable (None: no login). ConfigError when unset."""
        return self.password_env.value(environ) if self.password_env is not None else None

    def missing_secret(self, environ: Mapping[str, str] | None = None) -> ConfigError | None:
        try:
            self.password(environ)
        except ConfigError as exc:
            return exc
        return None


@dataclass(frozen=True)
class AppriseTarget(ChannelBase):
    """One URL of an apprise channel: the unit deliveries are made to, each with its own attempts.

    Its name is "<channel>/<hash of the URL>": stable while the URL stays in the variable, whatever the
    order, and it reveals nothing of the URL's tokens. A URL taken out of the variable leaves its pending
    deliveries without a channel, so they are dead-lettered instead of going to another URL.
    """

    url: str = field(default="", repr=False)  # holds tokens: never logged or printed
    parent: str = ""
    body_format: AppriseFormat = "markdown"
    timeout_seconds: float = 10.0

    @property
    def kind(self) -> str:
        return "apprise"

    @property
    def scheme(self) -> str:
        return self.url.partition("://")[0].lower() if "://" in self.url else "?"


@dataclass(frozen=True)
class AppriseChannel(ChannelBase):
    urls_env: SecretRef | None = None
    body_format: AppriseFormat = "markdown"
    timeout_seconds: float = 10.0

    @property
    def kind(self) -> str:
        return "apprise"

    def urls(self, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """The Apprise URLs in the variable, each once. ConfigError when it is unset or holds none."""
        if self.urls_env is None:
            raise ConfigError(f"alerts.channels.{self.name}.urls_env", "is required")
        found = tuple(dict.fromkeys(u for u in _URL_SEPARATORS.split(self.urls_env.value(environ)) if u))
        if not found:
            raise ConfigError(self.urls_env.key, f"environment variable {self.urls_env.env} holds no URL")
        return found

    def targets(self, environ: Mapping[str, str] | None = None) -> tuple[AppriseTarget, ...]:
        return tuple(
            AppriseTarget(
                name=target_name(self.name, url),
                enabled=self.enabled,
                topics=self.topics,
                digest=self.digest,
                rate_limit=self.rate_limit,  # per URL: each receiver has its own limit
                max_attempts=self.max_attempts,
                alert_on=self.alert_on,
                language=self.language,
                timezone=self.timezone,
                url=url,
                parent=self.name,
                body_format=self.body_format,
                timeout_seconds=self.timeout_seconds,
            )
            for url in self.urls(environ)
        )

    def missing_secret(self, environ: Mapping[str, str] | None = None) -> ConfigError | None:
        try:
            self.urls(environ)
        except ConfigError as exc:
            return exc
        return None


def target_name(channel: str, url: str) -> str:
    # "/" never occurs in a channel name, so a target's name cannot clash with a channel's
    return f"{channel}/{hashlib.sha256(url.encode()).hexdigest()[:12]}"


Channel = ConsoleChannel | JsonlChannel | WebhookChannel | EmailChannel | AppriseChannel | AppriseTarget


@dataclass(frozen=True)
class AlertsConfig:
    channels: tuple[Channel, ...] = (ConsoleChannel(name="console"),)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    language: str = DEFAULT_LANGUAGE
    timezone: str = DEFAULT_TIMEZONE

    def channel(self, name: str) -> Channel | None:
        found = next((c for c in self.channels if c.name == name), None)
        if found is not None or "/" not in name:
            return found
        parent = self.channel(name.partition("/")[0])
        if not isinstance(parent, AppriseChannel) or parent.missing_secret() is not None:
            return None
        return next((t for t in parent.targets() if t.name == name), None)

    def delivery_channels(self) -> list[Channel]:
        """The enabled channels deliveries are queued for: an apprise channel as one target per URL.

        An apprise channel whose variable is unset (or empty) is queued as itself: its sender then fails
        naming the variable, and the deliveries wait in the dead letter for `alerts retry` instead of
        being lost.
        """
        found: list[Channel] = []
        for c in self.channels:
            if not c.enabled:
                continue
            if isinstance(c, AppriseChannel) and c.missing_secret() is None:
                found.extend(c.targets())
            else:
                found.append(c)
        return found

    def alerts_per_story(self, name: str) -> bool:
        """Whether the channel `name` alerts once per story (alert_on = "story") rather than per article."""
        channel = self.channel(name)
        return channel is not None and channel.alert_on == "story"

    def channel_names_for(self, topic: str) -> list[str]:
        """Enabled channels that take alerts of `topic` (the names the pipeline passes to enqueue)."""
        return [c.name for c in self.delivery_channels() if not c.topics or topic in c.topics]

    def max_attempts(self, channel: Channel) -> int:
        return channel.max_attempts if channel.max_attempts is not None else self.retry.max_attempts

    def require_secrets(self, environ: Mapping[str, str] | None = None) -> None:
        """For the commands that send: fail now, naming the key, if an enabled channel lacks its secret."""
        for channel in self.channels:
            if channel.enabled and (missing := channel.missing_secret(environ)) is not None:
                raise missing


# ---------------------------------------------------------------------------------------------------------
# Parsing, by the registry's CHANNEL and CHANNEL_KINDS keys.


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


def _parse_retry(values: Mapping[str, Any]) -> RetryPolicy:
    if not values["retry_delays_seconds"]:
        raise ConfigError("alerts.retry_delays_seconds", "needs at least one delay")
    return RetryPolicy(
        values["max_attempts"],
        tuple(values["retry_delays_seconds"]),
        values["retry_jitter"],
        values["max_retry_after_seconds"],
    )


def _parse_digest(path: str, values: Mapping[str, Any]) -> Digest:
    every, daily = values["digest_minutes"], values["digest_daily_at"]
    if every is not None and daily is not None:
        raise ConfigError(f"{path}.digest_daily_at", "set digest_minutes or digest_daily_at, not both")
    hour, minute = daily.strip().split(":") if daily is not None else (None, None)
    return Digest(
        every_minutes=every,
        daily_at=time(int(hour), int(minute)) if hour is not None and minute is not None else None,
        timezone=values["digest_timezone"],
    )


def _parse_channel(raw: Any, path: str, language: str, timezone: str) -> Channel:
    if not isinstance(raw, Mapping):
        raise ConfigError(path, "must be a table")
    # the type decides which keys are known, so it is read first
    kind_values = registry.read_table(path, {"type": raw.get("type")}, (registry.CHANNEL.keys[0],))
    kind: str = kind_values["type"]
    values = registry.read_table(path, raw, registry.CHANNEL.keys + registry.CHANNEL_KINDS[kind].keys)
    name = values["name"] or kind
    if not _NAME_RE.fullmatch(name):
        raise ConfigError(f"{path}.name", "use 1-64 letters, digits, '_', '-' or '.'")
    rate_count = values["rate_limit_count"]
    common: dict[str, Any] = {
        "name": name,
        "enabled": values["enabled"],
        "topics": tuple(t.strip() for t in values["topics"]),
        "digest": _parse_digest(path, values),
        "rate_limit": RateLimit(rate_count, values["rate_limit_window_minutes"] * 60.0) if rate_count else None,
        "max_attempts": values["max_attempts"],
        "alert_on": values["alert_on"],
        "language": language,
        "timezone": timezone,
    }
    if kind == "console":
        return ConsoleChannel(**common)
    if kind == "jsonl":
        return JsonlChannel(**common, path=Path(values["path"]))
    if kind == "webhook":
        return _webhook(path, values, common)
    if kind == "apprise":
        return AppriseChannel(
            **common,
            urls_env=SecretRef(values["urls_env"], f"{path}.urls_env"),
            body_format=values["body_format"],
            timeout_seconds=values["timeout_seconds"],
        )
    return _email(path, values, common)


def _webhook(path: str, values: Mapping[str, Any], common: dict[str, Any]) -> WebhookChannel:
    secrets: list[bytes] = []
    # Several secrets (space-separated, as in the signature header) let a receiver rotate keys.
    for i, s in enumerate(values["secrets"]):
        secrets.extend(decode_whsec(part, f"{path}.secrets[{i}]") for part in s.split())
    env = values["secret_env"]
    if not secrets and not env:
        raise ConfigError(f"{path}.secret_env", "a webhook needs a whsec_ secret (secret_env or secrets)")
    return WebhookChannel(
        **common,
        url=values["url"],
        secrets=tuple(secrets),
        secret_env=SecretRef(env, f"{path}.secret_env") if env else None,
        timeout_seconds=values["timeout_seconds"],
    )


def _email(path: str, values: Mapping[str, Any], common: dict[str, Any]) -> EmailChannel:
    security: SmtpSecurity = values["security"]
    password_env = values["password_env"]
    if password_env and not values["username"]:
        raise ConfigError(f"{path}.username", "password_env is set but username is not")
    port = values["port"] if values["port"] is not None else 465 if security == "tls" else 587
    return EmailChannel(
        **common,
        host=values["host"],
        port=port,
        security=security,
        username=values["username"],
        password_env=SecretRef(password_env, f"{path}.password_env") if password_env else None,
        sender=values["from"],
        recipients=tuple(r.strip() for r in values["to"]),
        ca_file=Path(values["ca_file"]) if values["ca_file"] else None,
        timeout_seconds=values["timeout_seconds"],
        subject_prefix=values["subject_prefix"],
    )


def parse_alerts(spec: Mapping[str, Any], origins: Mapping[str, str] | None = None) -> AlertsConfig:
    """The `[alerts]` table -> AlertsConfig. Empty table = a console channel and the default retry policy.

    `origins` (key -> environment variable) comes from the loader's MONITOR_ALERTS_<KEY> overrides.
    """
    values = registry.read_table("alerts", spec, registry.ALERTS.keys, nested=("channels",), origins=origins)
    retry = _parse_retry(values)
    language, timezone = values["language"], values["timezone"]
    raw_channels = spec.get("channels")
    if raw_channels is None:
        console = ConsoleChannel(name="console", language=language, timezone=timezone)
        return AlertsConfig(channels=(console,), retry=retry, language=language, timezone=timezone)
    if not isinstance(raw_channels, list):
        raise ConfigError("alerts.channels", "must be an array of tables ([[alerts.channels]])")
    channels: list[Channel] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_channels):
        path = f"alerts.channels[{i}]"
        channel = _parse_channel(raw, path, language, timezone)
        if channel.name in seen:
            raise ConfigError(f"{path}.name", f"duplicate channel name {channel.name!r}")
        seen.add(channel.name)
        channels.append(channel)
    return AlertsConfig(channels=tuple(channels), retry=retry, language=language, timezone=timezone)


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
        case AppriseTarget():  # the scheme only: the rest of an Apprise URL is tokens
            return f"apprise {channel.scheme}:// ({channel.name})"
        case AppriseChannel():
            return f"apprise, URLs from ${channel.urls_env.env if channel.urls_env else '?'}"
        case _:
            return "console log"


__all__: Sequence[str] = [
    "AlertsConfig",
    "AppriseChannel",
    "AppriseTarget",
    "Channel",
    "ConsoleChannel",
    "Digest",
    "EmailChannel",
    "JsonlChannel",
    "RateLimit",
    "RetryPolicy",
    "SecretRef",
    "WebhookChannel",
    "channel_summary",
    "decode_whsec",
    "parse_alerts",
    "target_name",
]
