"""Local servers on 127.0.0.1 that many test modules start the same way, one fixture each.

The helpers tests call directly live in importable modules, since pytest loads this file under its own
name: tests/config_files.py writes config files, tests/fake_clock.py is the fake clock.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.delivery_servers import SmtpServer, WebhookReceiver
from tests.fault_server import FaultServer
from tests.helpers_delivery import SECRET


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """An HTTP server with no routes yet: the test `set`s the pages and feeds it needs."""
    with FaultServer({}) as server:
        yield server


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A webhook endpoint that checks signatures made with tests.helpers_delivery.SECRET."""
    with WebhookReceiver(SECRET) as receiver:
        yield receiver


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server (no TLS, no login) that keeps what it receives."""
    with SmtpServer() as server:
        yield server


# pg_url, backend_url: a fresh PostgreSQL database per test
pytest_plugins = ("tests.postgres_db",)
