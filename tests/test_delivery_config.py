"""Parsing of the [alerts] table: defaults, channels, secrets read when used, errors naming the key."""

from __future__ import annotations

import base64
import tomllib
from pathlib import Path
from typing import Any

import pytest

from monitor.errors import ConfigError
from monitor.settings.alerts import (
    ConsoleChannel,
    EmailChannel,
    JsonlChannel,
    WebhookChannel,
    parse_alerts,
)

ROOT = Path(__file__).resolve().parents[1]
KEY = b"s" * 32
WHSEC = "whsec_" + base64.b64encode(KEY).decode()


def test_empty_table_means_console_only() -> None:
    cfg = parse_alerts({})
    assert [type(c) for c in cfg.channels] == [ConsoleChannel]
    assert cfg.channel_names_for("anything") == ["console"]
    assert cfg.retry.max_attempts == 8


def test_full_example_with_secrets_from_environment() -> None:
    cfg = parse_alerts(
        {
            "max_attempts": 5,
            "retry_delays_seconds": [1, 2],
            "channels": [
                {"name": "log", "type": "console"},
                {"name": "file", "type": "jsonl", "path": "data/a.jsonl", "digest_minutes": 15},
                {"name": "hook", "type": "webhook", "url": "https://h.example/x", "secret_env": "HOOK_SECRETS",
                 "topics": ["nato_iraq"], "rate_limit_count": 10},
                {"name": "mail", "type": "email", "host": "smtp.example", "username": "u",
                 "password_env": "SMTP_PASSWORD", "from": "m@example.test", "to": "d@example.test",
                 "digest_daily_at": "07:30", "digest_timezone": "Asia/Baghdad"},
            ],
        },
    )  # fmt: skip
    env = {"HOOK_SECRETS": f"{WHSEC} whsec_{base64.b64encode(b'n' * 24).decode()}", "SMTP_PASSWORD": "pw"}
    _console, file, hook, mail = cfg.channels
    assert isinstance(file, JsonlChannel) and file.path == Path("data/a.jsonl") and file.digest.every_minutes == 15
    assert isinstance(hook, WebhookChannel) and hook.signing_keys(env) == (KEY, b"n" * 24)
    assert hook.rate_limit is not None and hook.rate_limit.window_seconds == 3600
    assert isinstance(mail, EmailChannel) and mail.password(env) == "pw" and mail.port == 587
    assert mail.recipients == ("d@example.test",) and "pw" not in repr(mail)
    assert cfg.channel_names_for("nato_iraq") == ["log", "file", "hook", "mail"]
    assert cfg.channel_names_for("other") == ["log", "file", "mail"]
    assert cfg.max_attempts(hook) == 5


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"bogus": 1}, "alerts.bogus"),
        ({"max_attempts": 0}, "alerts.max_attempts"),
        ({"retry_delays_seconds": [1, -1]}, "alerts.retry_delays_seconds[1]"),
        ({"channels": [{"type": "pager"}]}, "alerts.channels[0].type"),
        ({"channels": [{"type": "console", "colour": "red"}]}, "alerts.channels[0].colour"),
        ({"channels": [{"type": "console"}, {"type": "console"}]}, "alerts.channels[1].name"),
        ({"channels": [{"type": "console", "name": "bad name"}]}, "alerts.channels[0].name"),
        ({"channels": [{"type": "console", "enabled": "yes"}]}, "alerts.channels[0].enabled"),
        ({"channels": [{}, {"type": "webhook", "url": "ftp://x", "secrets": [WHSEC]}]},
         "alerts.channels[0].type"),
        ({"channels": [{"type": "console"}, {"type": "webhook", "url": "ftp://x", "secrets": [WHSEC]}]},
         "alerts.channels[1].url"),
        ({"channels": [{"type": "webhook", "url": "https://x"}]}, "alerts.channels[0].secret_env"),
        ({"channels": [{"type": "webhook", "url": "https://x", "secrets": ["whsec_!!"]}]},
         "alerts.channels[0].secrets[0]"),
        ({"channels": [{"type": "email", "host": "h", "from": "a@b", "to": []}]}, "alerts.channels[0].to"),
        ({"channels": [{"type": "email", "host": "h", "from": "a@b", "to": ["x"]}]}, "alerts.channels[0].to[0]"),
        ({"channels": [{"type": "email", "host": "h", "from": "a@b", "to": "c@d", "security": "ssl"}]},
         "alerts.channels[0].security"),
        ({"channels": [{"type": "email", "host": "h", "from": "a@b", "to": "c@d", "password_env": "P"}]},
         "alerts.channels[0].username"),
        ({"channels": [{"type": "console", "digest_minutes": 5, "digest_daily_at": "08:00"}]},
         "alerts.channels[0].digest_daily_at"),
        ({"channels": [{"type": "console", "digest_daily_at": "25:00"}]}, "alerts.channels[0].digest_daily_at"),
        ({"channels": [{"type": "console", "digest_timezone": "Mars/Base"}]},
         "alerts.channels[0].digest_timezone"),
        ({"channels": [{"type": "console", "rate_limit_count": True}]}, "alerts.channels[0].rate_limit_count"),
    ],
)  # fmt: skip
def test_errors_name_the_dotted_key(spec: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_alerts(spec)
    assert info.value.key == key


def test_shipped_config_alerts_section_parses() -> None:
    data = tomllib.loads((ROOT / "config" / "monitor.toml").read_text())
    if "alerts" not in data:
        pytest.skip("config has no [alerts] section yet")
    cfg = parse_alerts(data["alerts"])
    enabled = {c.name: c.kind for c in cfg.channels if c.enabled}
    assert enabled == {"console": "console", "file": "jsonl"}
    kinds = {c.kind for c in cfg.channels}
    assert {"webhook", "email"} <= kinds


def test_secrets_are_read_when_used_and_never_printed() -> None:
    cfg = parse_alerts(
        {"channels": [
            {"name": "hook", "type": "webhook", "url": "https://h.example/x", "secret_env": "NOPE",
             "secrets": [WHSEC]},
            {"name": "mail", "type": "email", "host": "smtp.example", "username": "u", "password_env": "PW_NOPE",
             "from": "m@example.test", "to": "d@example.test", "enabled": False},
        ]}
    )  # fmt: skip
    hook, mail = cfg.channels
    assert isinstance(hook, WebhookChannel) and isinstance(mail, EmailChannel)
    assert WHSEC not in repr(hook) and repr(KEY) not in repr(hook)  # the file's secret is not in the repr
    with pytest.raises(ConfigError) as info:
        cfg.require_secrets({})
    assert info.value.key == "alerts.channels[0].secret_env" and "NOPE is not set" in str(info.value)
    # the disabled channel's missing password does not stop a sending command, but the channel knows
    cfg.require_secrets({"NOPE": WHSEC})
    problem = mail.missing_secret({"NOPE": WHSEC})
    assert problem is not None and problem.key == "alerts.channels[1].password_env"
    # a malformed secret in the environment is caught by the same check, naming the key that names it
    with pytest.raises(ConfigError) as info:
        cfg.require_secrets({"NOPE": "whsec_!!"})
    assert info.value.key == "alerts.channels[0].secret_env"
