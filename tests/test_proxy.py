"""[http] use_env_proxy: requests go through HTTP(S)_PROXY, NO_PROXY hosts go direct, and the SSRF guard
still refuses private targets. A real forward proxy on 127.0.0.1 counts what reaches it."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.fetch.client import Fetcher
from monitor.fetch.proxies import routes_from_environment
from monitor.models import FetchStatus
from monitor.settings.sections import HttpSettings
from tests.fault_server import FaultServer

ROOT = Path(__file__).parent.parent
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


class ForwardProxy:
    """An HTTP forward proxy: GET with an absolute URL is fetched upstream and relayed; CONNECT is
    counted and refused (enough to show an https request was routed here)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy.requests.append(f"GET {self.path}")
                direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                with direct.open(self.path, timeout=10) as upstream:
                    body = upstream.read()
                    status = upstream.status
                    content_type = upstream.headers.get("Content-Type", "application/octet-stream")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Via", "1.1 test-proxy")
                self.end_headers()
                self.wfile.write(body)

            def do_CONNECT(self) -> None:
                proxy.requests.append(f"CONNECT {self.path}")
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ForwardProxy]:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    with ForwardProxy() as running:
        monkeypatch.setenv("HTTP_PROXY", running.url)
        monkeypatch.setenv("HTTPS_PROXY", running.url)
        yield running


@pytest.fixture
def feed() -> Iterator[FaultServer]:
    with FaultServer({"/rss.xml": (200, {"Content-Type": "application/rss+xml"}, RSS)}) as server:
        yield server


def settings(**values: object) -> HttpSettings:
    return HttpSettings(**{"per_host_min_interval": 0.0, "allow_private_addresses": True, **values})  # type: ignore[arg-type]


def test_use_env_proxy_sends_requests_through_the_proxy(proxy: ForwardProxy, feed: FaultServer) -> None:
    with Fetcher(settings(use_env_proxy=True)) as fetcher:
        result = fetcher.fetch(feed.url("/rss.xml"))
    assert result.status is FetchStatus.OK and result.body == RSS and result.headers["via"] == "1.1 test-proxy"
    assert proxy.requests == [f"GET {feed.url('/rss.xml')}"]


def test_the_environment_is_ignored_unless_the_config_asks(proxy: ForwardProxy, feed: FaultServer) -> None:
    with Fetcher(settings()) as fetcher:
        assert fetcher.fetch(feed.url("/rss.xml")).status is FetchStatus.OK
    assert proxy.requests == [] and len(feed.requests_for("/rss.xml")) == 1


def test_no_proxy_hosts_go_direct(proxy: ForwardProxy, feed: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "example.org,127.0.0.0/8")
    with Fetcher(settings(use_env_proxy=True)) as fetcher:
        assert fetcher.fetch(feed.url("/rss.xml")).status is FetchStatus.OK
    assert proxy.requests == []


def test_https_goes_through_connect(proxy: ForwardProxy) -> None:
    with Fetcher(settings(use_env_proxy=True)) as fetcher:
        result = fetcher.fetch("https://127.0.0.1:9/feed.xml")
    assert result.status is FetchStatus.TEMPORARY  # the test proxy refuses tunnels
    assert proxy.requests == ["CONNECT 127.0.0.1:9"]


def test_ssrf_guard_still_refuses_private_targets_through_a_proxy(proxy: ForwardProxy, feed: FaultServer) -> None:
    with Fetcher(settings(use_env_proxy=True, allow_private_addresses=False)) as fetcher:
        result = fetcher.fetch(feed.url("/rss.xml"))
        allowed = Fetcher(settings(use_env_proxy=True, allow_private_addresses=False,
                                   allowed_networks=("127.0.0.0/8",)))
        with allowed:
            assert allowed.fetch(feed.url("/rss.xml")).status is FetchStatus.OK
    assert result.status is FetchStatus.HARD and "non-public address 127.0.0.1" in (result.error or "")
    assert proxy.requests == [f"GET {feed.url('/rss.xml')}"]  # only the allowed one reached the proxy


def test_routes_follow_curl_conventions() -> None:
    routes = routes_from_environment({"https_proxy": "proxy.lan:3128", "HTTPS_PROXY": "http://other:1",
                                      "ALL_PROXY": "http://all:8080", "NO_PROXY": ".corp.example, 10.0.0.0/8"})
    assert routes.proxy_for("https", "news.example.com") == "http://proxy.lan:3128"
    assert routes.proxy_for("http", "news.example.com") == "http://all:8080"
    assert routes.proxy_for("https", "feeds.corp.example") is None and routes.proxy_for("https", "corp.example") is None
    assert routes.proxy_for("https", "10.1.2.3") is None and routes.proxy_for("https", "notcorp.example") is not None
    assert routes_from_environment({"NO_PROXY": "*", "HTTP_PROXY": "http://p:1"}).proxy_for("http", "a.b") is None


def test_once_polls_through_the_proxy(proxy: ForwardProxy, feed: FaultServer, tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[storage]\ndatabase = "{tmp_path / "m.db"}"\n[pipeline]\nseeds_dir = "{ROOT / "seeds"}"\n'
        "fetch_pages = false\n[http]\nallow_private_addresses = true\nuse_env_proxy = true\n"
        f'[[feeds]]\nurl = "{feed.url("/rss.xml")}"\n',
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, "-m", "monitor", "once", "--config", str(config)], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert proxy.requests == [f"GET {feed.url('/rss.xml')}"]
