"""The Fetcher over httpx.MockTransport: redirects, conditional GET, 429 pauses and body caps, no sockets."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import httpx

from monitor.fetch.client import Fetcher, HttpSettings
from monitor.models import FetchStatus

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


class Chunks(httpx.SyncByteStream):
    """A body that arrives in pieces, as from a socket (a Response built from bytes counts as already read)."""

    def __init__(self, data: bytes, size: int = 4096) -> None:
        self.pieces = [data[i : i + size] for i in range(0, len(data), size)]

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces


def reply(
    status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None, *, length: bool = True
) -> httpx.Response:
    sent = dict(headers or {})
    if length:
        sent["Content-Length"] = str(len(body))
    return httpx.Response(status, headers=sent, stream=Chunks(body))


def mock_fetcher(handler: httpx.MockTransport, **overrides: object) -> Fetcher:
    base: dict[str, object] = {"per_host_min_interval": 0.0, "max_body_bytes": 10_000, "max_redirects": 3}
    base.update(overrides)
    return Fetcher(HttpSettings(**base), transport=handler)  # type: ignore[arg-type]


def test_redirects_are_followed_up_to_the_limit() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        hop = int(request.url.path.strip("/") or 0)
        if hop < 10:
            return reply(302, headers={"Location": f"/{hop + 1}"})
        return reply(200, FEED)

    with mock_fetcher(httpx.MockTransport(handler), max_redirects=3) as fetcher:
        looped = fetcher.fetch("http://feeds.example/0")
    assert looped.status is FetchStatus.SOFT and "more than 3 redirects" in (looped.error or "")
    assert seen == ["/0", "/1", "/2", "/3"]  # the fourth redirect is refused, not requested

    with mock_fetcher(httpx.MockTransport(handler), max_redirects=10) as fetcher:
        arrived = fetcher.fetch("http://feeds.example/7")
    assert arrived.ok and arrived.body == FEED and arrived.final_url == "http://feeds.example/10"


def test_redirect_without_location_and_to_another_scheme_fail() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/bare":
            return reply(301)
        return reply(302, headers={"Location": "file:///etc/passwd"})

    with mock_fetcher(httpx.MockTransport(handler)) as fetcher:
        bare = fetcher.fetch("http://feeds.example/bare")
        to_file = fetcher.fetch("http://feeds.example/file")
    assert bare.status is FetchStatus.SOFT and "without a Location" in (bare.error or "")
    assert to_file.status is FetchStatus.HARD and "unsupported URL scheme" in (to_file.error or "")


def test_conditional_get_sends_validators_and_reads_no_body_on_304() -> None:
    received: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request.headers)
        if request.headers.get("if-none-match") == '"v1"':
            return reply(304, headers={"ETag": '"v1"'})
        return reply(200, FEED, headers={"ETag": '"v1"', "Last-Modified": "Sun, 01 Mar 2026"})

    with mock_fetcher(httpx.MockTransport(handler)) as fetcher:
        first = fetcher.fetch("http://feeds.example/f")
        second = fetcher.fetch("http://feeds.example/f", etag=first.etag, last_modified=first.last_modified)
    assert first.ok and first.etag == '"v1"'
    assert "if-none-match" not in received[0] and "if-modified-since" not in received[0]
    assert received[1]["if-none-match"] == '"v1"' and received[1]["if-modified-since"] == "Sun, 01 Mar 2026"
    assert second.status is FetchStatus.NOT_MODIFIED and second.body == b"" and second.error is None


def test_429_pauses_the_host_without_sending_more_requests() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if request.url.host == "busy.example":
            return reply(429, headers={"Retry-After": "120"})
        return reply(200, FEED)

    with mock_fetcher(httpx.MockTransport(handler)) as fetcher:
        limited = fetcher.fetch("http://busy.example/a")
        again = fetcher.fetch("http://busy.example/b")
        other = fetcher.fetch("http://calm.example/a")
    assert limited.status is FetchStatus.TEMPORARY and limited.retry_after_seconds == 120.0
    assert again.status is FetchStatus.TEMPORARY and "paused" in (again.error or "")
    assert again.retry_after_seconds is not None and 0 < again.retry_after_seconds <= 120
    assert other.ok  # only the host that asked is paused
    assert calls == ["http://busy.example/a", "http://calm.example/a"]


def test_429_without_retry_after_pauses_a_minute() -> None:
    with mock_fetcher(httpx.MockTransport(lambda request: reply(429))) as fetcher:
        assert fetcher.fetch("http://busy.example/").retry_after_seconds == 60.0


def test_bodies_over_the_cap_are_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/declared":
            return reply(200, b"x" * 20_000)
        return reply(200, b"x" * 10_000)

    with mock_fetcher(httpx.MockTransport(handler), max_body_bytes=10_000) as fetcher:
        declared = fetcher.fetch("http://feeds.example/declared")
        at_cap = fetcher.fetch("http://feeds.example/exact")
    assert declared.status is FetchStatus.HARD and "Content-Length" in (declared.error or "")
    assert at_cap.ok and len(at_cap.body) == 10_000


def test_streamed_body_without_length_is_cut_at_the_cap() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return reply(200, b"y" * 50_000, length=False)

    with mock_fetcher(httpx.MockTransport(handler), max_body_bytes=10_000) as fetcher:
        result = fetcher.fetch("http://feeds.example/stream")
    assert result.status is FetchStatus.HARD and "cut off while streaming" in (result.error or "")


def test_gzip_bomb_is_stopped_at_the_decompressed_cap() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)  # ~5 KB on the wire
    small = gzip.compress(FEED)

    def handler(request: httpx.Request) -> httpx.Response:
        body = bomb if request.url.path == "/bomb" else small
        return reply(200, body, headers={"Content-Encoding": "gzip"})

    with mock_fetcher(httpx.MockTransport(handler), max_body_bytes=100_000) as fetcher:
        exploded = fetcher.fetch("http://feeds.example/bomb")
        fine = fetcher.fetch("http://feeds.example/feed")
    assert len(bomb) < 100_000
    assert exploded.status is FetchStatus.HARD and "decompressed" in (exploded.error or "")
    assert fine.ok and fine.body == FEED


def test_raw_deflate_is_accepted_and_accept_encoding_is_sent() -> None:
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = raw.compress(FEED) + raw.flush()
    encodings: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        encodings.append(request.headers.get("accept-encoding", ""))
        return reply(200, body, headers={"Content-Encoding": "deflate"})

    with mock_fetcher(httpx.MockTransport(handler)) as fetcher:
        result = fetcher.fetch("http://feeds.example/deflate")
    assert result.ok and result.body == FEED and encodings == ["gzip, deflate"]
