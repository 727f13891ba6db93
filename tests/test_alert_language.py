"""[alerts] language and timezone: validated, and used by the e-mail (real SMTP server), the chat body and the
alert feeds (the ops endpoint and `monitor export-alerts`)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.deliver.dispatcher import Dispatcher
from monitor.deliver.render.chat import chat_alert, escape_markdown
from monitor.errors import ConfigError
from monitor.models import AlertItem
from monitor.runtime.metrics import Metrics
from monitor.runtime.ops_http import make_ops_server
from monitor.settings.alerts import parse_alerts
from monitor.settings.sections import parse_ops_settings
from tests.delivery_servers import SmtpServer
from tests.helpers_delivery import FakeClock, config, make_alert, make_db, store
from tests.test_ops import ATOM, ROOT, get


def test_defaults_are_arabic_and_baghdad() -> None:
    cfg = parse_alerts({})
    assert (cfg.language, cfg.timezone) == ("ar", "Asia/Baghdad")
    assert (cfg.channels[0].language, cfg.channels[0].timezone) == ("ar", "Asia/Baghdad")


def test_values_reach_every_channel() -> None:
    cfg = parse_alerts({"language": "en", "timezone": "Europe/London", "channels": [{"type": "console"}]})
    assert (cfg.language, cfg.timezone, cfg.channels[0].language, cfg.channels[0].timezone) == (
        "en", "Europe/London", "en", "Europe/London",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "key"),
    [({"timezone": "Mars/Olympus"}, "alerts.timezone"), ({"language": "fr"}, "alerts.language")],
)
def test_unknown_zone_or_language_is_a_config_error(spec: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_alerts(spec)
    assert err.value.key == key


def test_email_in_english_with_its_content_language(tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        db_path = tmp_path / "m.db"
        channel = {"name": "mail", "type": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
                   "from": "monitor@example.test", "to": ["desk@example.test"]}
        cfg = config([channel], language="en", timezone="Europe/London")
        store(make_db(db_path), make_alert(1), ["mail"])
        dispatcher = Dispatcher(db_path, cfg, FakeClock())
        try:
            assert dispatcher.run_due().delivered == 1
        finally:
            dispatcher.close()
        assert smtp.wait_for(1)
        (msg,) = smtp.messages
    assert msg["Content-Language"] == "en"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Why:" in text and "Europe/London" in text and "سبب التنبيه" not in text


def test_email_defaults_to_arabic(tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        db_path = tmp_path / "m.db"
        channel = {"name": "mail", "type": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
                   "from": "monitor@example.test", "to": ["desk@example.test"]}
        store(make_db(db_path), make_alert(1), ["mail"])
        dispatcher = Dispatcher(db_path, config([channel]), FakeClock())
        try:
            dispatcher.run_due()
        finally:
            dispatcher.close()
        assert smtp.wait_for(1)
        (msg,) = smtp.messages
    assert msg["Content-Language"] == "ar"
    assert "بغداد" in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_chat_markdown_escapes_article_text() -> None:
    hostile = replace(make_alert(1), title="[click](https://evil.test) *الناتو*\u202e في العراق",
                      source="<b>x</b>")
    body = chat_alert(AlertItem(hostile), "markdown").body
    assert "\\[click\\]" in body and "\\<b\\>x\\</b\\>" in body
    assert "](https://evil.test)" not in body.replace("\\]", "")
    assert "\u202e" not in body  # a stray override from the feed cannot reorder the line
    assert escape_markdown("a_b*c`d") == "a\\_b\\*c\\`d"


def alert_database(tmp_path: Path) -> Path:
    database = tmp_path / "m.db"
    db = make_db(database)
    store(db, make_alert(1), ["console"])  # published 09:55 UTC, in a feed at 09:55 London time (GMT)
    db.conn.close()
    return database


def test_ops_alert_feed_in_english(tmp_path: Path) -> None:
    database = alert_database(tmp_path)
    server = make_ops_server(parse_ops_settings({"port": 0}), database, Metrics(), lambda: True,
                             topics=["nato_iraq"], language="en", timezone="Europe/London")
    server.start()
    try:
        host, port = server.address
        status, _, body = get(f"http://{host}:{port}/alerts/nato_iraq.atom")
    finally:
        server.stop()
    assert status == 200
    content = ET.fromstring(body).find(f"{ATOM}entry/{ATOM}content")
    text = content.text or "" if content is not None else ""
    assert 'lang="en"' in text and "Why:" in text and "Europe/London" in text and "09:55" in text


def test_export_alerts_uses_the_configured_language(tmp_path: Path) -> None:
    database = alert_database(tmp_path)
    config_file = tmp_path / "monitor.toml"
    config_file.write_text(
        f'[storage]\ndatabase = "{database}"\n[pipeline]\nseeds_dir = "{ROOT / "seeds"}"\n'
        '[alerts]\nlanguage = "en"\ntimezone = "Europe/London"\n',
        encoding="utf-8",
    )
    run = subprocess.run([sys.executable, "-m", "monitor", "export-alerts", "--config", str(config_file),
                          "nato_iraq"], capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr
    content = ET.fromstring(run.stdout).find(f"{ATOM}entry/{ATOM}content")
    text = content.text or "" if content is not None else ""
    assert 'lang="en"' in text and "Why:" in text and "Europe/London" in text and "09:55" in text
