"""Real receivers on 127.0.0.1 for delivery tests: a Standard Webhooks endpoint and an SMTP server.

Reusable by any test (the end-to-end test included):

    with WebhookReceiver("whsec_...") as rx:          # ephemeral port
        rx.url                                         # "http://127.0.0.1:<port>/hook"
        rx.script(500, 429, Reply(status=429, headers={"Retry-After": "7"}), Reply(delay=2.0))
        ...                                            # scripted replies are used in order, then 204
        rx.received    -> list[Received]               # every request: (headers, json, signature_valid)
        rx.accepted()  -> list[dict]                   # payloads a correct receiver acts on: valid
                                                       # signature, answered 2xx, first of each webhook-id
        rx.wait_for(n, timeout=5.0) -> bool            # until n requests arrived

    with SmtpServer(tls="starttls"|"implicit"|None, auth=("user", "pw")|None) as smtp:
        smtp.port, smtp.host, smtp.ca_file             # ca_file: self-signed cert to trust (TLS modes)
        smtp.fail_next(451, "try later", times=1)      # next DATA answered with this reply
        smtp.messages  -> list[email.message.EmailMessage]
        smtp.envelopes -> list[(mail_from, rcpt_tos)]
        smtp.wait_for(n, timeout=5.0) -> bool

The signature check here is written from the spec, not imported from monitor, so that the tests do not
grade the code with itself.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import logging
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Received(NamedTuple):
    headers: dict[str, str]  # lower-case names
    json: Any  # parsed body (None if it was not JSON)
    signature_valid: bool


# aiosmtpd logs every SMTP line at INFO from its own thread, which outlives pytest's capture of a test;
# its chatter is no help in a failure report and, late, writes to a closed stream.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Reply:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering: longer than the client timeout = a timeout


def verify_standard_webhook(secrets: Iterable[str], headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(time.time() - int(stamp)) > tolerance:
        return False
    offered = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split() if s.startswith("v1,")]
    for secret in secrets:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
        expected = base64.b64encode(mac).decode()
        if any(hmac.compare_digest(expected, o) for o in offered):
            return True
    return False


class WebhookReceiver:
    def __init__(self, secret: str | Iterable[str], path: str = "/hook", tolerance: int = 300) -> None:
        self.secrets = [secret] if isinstance(secret, str) else list(secret)
        self.path = path
        self.tolerance = tolerance
        self.received: list[Received] = []
        self.replies: list[int] = []  # the status answered to each request, in order
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                valid = verify_standard_webhook(receiver.secrets, headers, body, receiver.tolerance)
                reply = receiver._next_reply()
                with receiver._cond:
                    receiver.received.append(Received(headers, parsed, valid))
                    receiver.replies.append(reply.status)
                    receiver._cond.notify_all()
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the client gave up (timeout): nothing to answer to

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # short poll interval: shutdown() waits up to one interval, and tests start many receivers
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def script(self, *replies: int | Reply) -> None:
        """Queue the next answers (a bare int is a status code); after them every request gets 204."""
        with self._lock:
            self._script.extend(Reply(status=r) if isinstance(r, int) else r for r in replies)

    def clear_script(self) -> None:
        """Drop the queued answers: every request gets 204 from now on."""
        with self._lock:
            self._script.clear()

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._script.pop(0) if self._script else Reply()

    def accepted(self) -> list[Any]:
        """What a correct receiver processes: signed, answered 2xx, and each webhook-id only once."""
        seen: set[str] = set()
        out: list[Any] = []
        with self._lock:
            pairs = list(zip(self.received, self.replies, strict=True))
        for rec, status in pairs:
            msg_id = rec.headers.get("webhook-id", "")
            if rec.signature_valid and 200 <= status < 300 and msg_id not in seen:
                seen.add(msg_id)
                out.append(rec.json)
        return out

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.received) >= count, timeout)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- SMTP ---------------------------------------------------------------------------------------------


def make_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1/localhost (needs the openssl CLI)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        with self.server._cond:
            if self.server._failures:
                code, text = self.server._failures.pop(0)
                return f"{code} {text}"
            raw = envelope.original_content or envelope.content
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            self.server.messages.append(msg)
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.server._cond.notify_all()
        return "250 OK"


class _EphemeralController(Controller):
    """aiosmtpd's Controller wants a fixed port; bind 0 and read back the one the OS chose."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    host = "127.0.0.1"

    def __init__(self, tls: str | None = None, auth: tuple[str, str] | None = None) -> None:
        if tls not in (None, "starttls", "implicit"):
            raise ValueError(tls)
        self.tls = tls
        self.auth = auth
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self._failures: list[tuple[int, str]] = []
        self._cond = threading.Condition()
        self._tmp: Path | None = None
        self.ca_file: Path | None = None
        self._controller: _EphemeralController | None = None

    def fail_next(self, code: int, text: str = "try again later", times: int = 1) -> None:
        with self._cond:
            self._failures.extend([(code, text)] * times)

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.messages) >= count, timeout)

    @property
    def port(self) -> int:
        assert self._controller is not None
        return int(self._controller.port)

    def _authenticate(self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> AuthResult:
        ok = (
            self.auth is not None
            and isinstance(data, LoginPassword)
            and (data.login.decode(), data.password.decode()) == self.auth
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535 itself

    def __enter__(self) -> SmtpServer:
        kwargs: dict[str, Any] = {}
        if self.tls:
            self._tmp = Path(tempfile.mkdtemp(prefix="smtp-tls-"))
            cert, key = make_self_signed_cert(self._tmp)
            self.ca_file = cert
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(cert), str(key))
            if self.tls == "starttls":
                kwargs.update(tls_context=ctx, require_starttls=True)
            else:
                kwargs.update(ssl_context=ctx)
        if self.auth:
            # PLAIN only: after a failed AUTH PLAIN, smtplib falls back to AUTH LOGIN, which aiosmtpd 1.4
            # leaves hanging until the client times out
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=bool(self.tls),
                auth_exclude_mechanism=["LOGIN"],
            )
        self._controller = _EphemeralController(_Handler(self), hostname=self.host, port=0, **kwargs)
        self._controller.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._controller is not None:
            self._controller.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
