"""E-mail delivery against a real SMTP server (aiosmtpd) on 127.0.0.1: plain, STARTTLS + auth, implicit TLS."""

from __future__ import annotations

import html.parser
import shutil
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from monitor.deliver.dispatcher import Dispatcher
from monitor.models import Evidence
from monitor.settings.alerts import parse_alerts
from tests.delivery_servers import SmtpServer
from tests.helpers_delivery import FakeClock, attempts, config, make_alert, make_db, states, store

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI needed for a test cert")


def mail(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": "mail",
        "type": "email",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "monitor@example.test",
        "to": ["desk@example.test", "editor@example.test"],
        "timeout_seconds": 5,
        **extra,
    }


def parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    assert text is not None and html_part is not None
    return text.get_content(), html_part.get_content()


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.marked: list[str] = []
        self._in_mark = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_mark = tag == "mark"

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self._in_mark = False

    def handle_data(self, data: str) -> None:
        if self._in_mark:
            self.marked.append(data)


def test_multipart_rtl_message_with_evidence_highlighted(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    alert = make_alert(1)
    with SmtpServer() as smtp:
        store(db, alert, ["mail"])
        d = Dispatcher(db_path, config([mail(smtp.port)]), FakeClock())
        assert d.run_due().delivered == 1
        d.close()
        assert smtp.wait_for(1)
        (msg,) = smtp.messages
        (envelope,) = smtp.envelopes
    assert envelope == ("monitor@example.test", ["desk@example.test", "editor@example.test"])
    assert msg["Subject"] == f"[monitor] {alert.topic}: {alert.title}"
    assert msg["From"] == "monitor@example.test"
    assert msg["To"] == "desk@example.test, editor@example.test"
    assert msg["Message-ID"] == f"<{alert.alert_id}.mail@example.test>"
    assert msg["X-Monitor-Alert-Ids"] == alert.alert_id
    assert msg.get_content_type() == "multipart/alternative"
    text, body = parts(msg)
    for value in (alert.title, alert.source, alert.url, alert.snippet, "2026-11-23 12:55", "09:55 UTC"):
        assert value in text and value in body  # published in Baghdad time, UTC beside
    assert "«الناتو»" in text
    tags = _Tags()
    tags.feed(body)
    html_tag = next(attrs for tag, attrs in tags.tags if tag == "html")
    assert html_tag == {"dir": "rtl", "lang": "ar"}
    assert sorted(tags.marked) == sorted(e.matched for e in alert.evidence)
    assert ("a", {"dir": "ltr", "href": alert.url}) in tags.tags
    assert states(db_path) == {"alrt_0001:mail": "delivered"}


def test_article_text_is_escaped_and_headers_cannot_be_injected(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    hostile = 'عاجل <script>alert("x")</script>\r\nBcc: victim@example.test'
    sentence = "قال <b>الناتو</b> & شركاؤه <img src=x onerror=alert(1)>"
    alert = make_alert(
        2,
        title=hostile,
        snippet="<iframe src='https://evil.example'></iframe>",
        source="<Source & Co>",
        url="javascript:alert(1)",
        evidence=(Evidence(group="nato", term="الناتو", matched="الناتو", start=8, sentence=sentence),),
    )
    with SmtpServer() as smtp:
        store(db, alert, ["mail"])
        d = Dispatcher(db_path, config([mail(smtp.port)]), FakeClock())
        assert d.run_due().delivered == 1
        d.close()
        (msg,) = smtp.messages
        (envelope,) = smtp.envelopes
    assert "victim@example.test" not in envelope[1]
    assert msg["Bcc"] is None and "\n" not in msg["Subject"]
    text, body = parts(msg)
    tags = _Tags()
    tags.feed(body)
    names = {tag for tag, _ in tags.tags}
    assert not names & {"script", "iframe", "img", "b"}
    assert "&lt;script&gt;" in body and "&lt;Source &amp; Co&gt;" in body
    assert not any(tag == "a" and "javascript" in (attrs.get("href") or "") for tag, attrs in tags.tags)
    assert tags.marked == ["الناتو"]
    assert '<script>alert("x")</script>' in text  # the text part shows the text as written


@needs_openssl
def test_starttls_with_auth_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PW", "s3cret")  # read when the message is sent
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    with SmtpServer(tls="starttls", auth=("monitor", "s3cret")) as smtp:
        cfg = parse_alerts(
            {
                "channels": [
                    mail(
                        smtp.port,
                        security="starttls",
                        username="monitor",
                        password_env="SMTP_PW",
                        ca_file=str(smtp.ca_file),
                    )
                ]
            },
        )
        store(db, make_alert(1), ["mail"])
        d = Dispatcher(db_path, cfg, FakeClock())
        assert d.run_due().delivered == 1
        d.close()
        assert smtp.logins == ["monitor"] and len(smtp.messages) == 1


@needs_openssl
def test_implicit_tls(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    with SmtpServer(tls="implicit") as smtp:
        store(db, make_alert(1), ["mail"])
        cfg = config([mail(smtp.port, security="tls", ca_file=str(smtp.ca_file))])
        d = Dispatcher(db_path, cfg, FakeClock())
        assert d.run_due().delivered == 1
        d.close()
        assert len(smtp.messages) == 1


@needs_openssl
def test_untrusted_certificate_is_a_permanent_failure(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    with SmtpServer(tls="implicit") as smtp:
        store(db, make_alert(1), ["mail"])
        d = Dispatcher(db_path, config([mail(smtp.port, security="tls")]), FakeClock())
        assert d.run_due().failed == 1
        d.close()
        assert smtp.messages == []
    ((result, _, error),) = attempts(db_path, "alrt_0001:mail")
    assert result == "failed" and "certificate" in (error or "")


@needs_openssl
def test_wrong_password_is_permanent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW", "wrong")
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    with SmtpServer(tls="starttls", auth=("monitor", "s3cret")) as smtp:
        cfg = parse_alerts(
            {"channels": [mail(smtp.port, security="starttls", username="monitor", password_env="PW",
                               ca_file=str(smtp.ca_file))]},
        )  # fmt: skip
        store(db, make_alert(1), ["mail"])
        d = Dispatcher(db_path, cfg, FakeClock())
        assert d.run_due().failed == 1
        d.close()
    ((result, code, _),) = attempts(db_path, "alrt_0001:mail")
    assert result == "failed" and code == 535


def test_4xx_reply_is_retried_and_5xx_is_final(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = FakeClock()
    with SmtpServer() as smtp:
        smtp.fail_next(451, "greylisted, try later")
        store(db, make_alert(1), ["mail"])
        d = Dispatcher(db_path, config([mail(smtp.port)]), clock)
        assert d.run_due().retrying == 1
        clock.advance(5)
        assert d.run_due().delivered == 1
        smtp.fail_next(550, "mailbox unavailable")
        store(db, make_alert(2), ["mail"])
        assert d.run_due().failed == 1
        d.close()
        assert len(smtp.messages) == 1
    assert [(r, c) for r, c, _ in attempts(db_path, "alrt_0001:mail")] == [("retry", 451), ("delivered", None)]
    assert [(r, c) for r, c, _ in attempts(db_path, "alrt_0002:mail")] == [("failed", 550)]


def test_server_down_is_retried(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    with SmtpServer() as smtp:
        port = smtp.port
    store(db, make_alert(1), ["mail"])
    d = Dispatcher(db_path, config([mail(port)]), FakeClock())
    assert d.run_due().retrying == 1
    d.close()
