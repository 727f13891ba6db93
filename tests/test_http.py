"""The HTTP client against a real local server: conditional GET, compression, SSRF, politeness, settings."""

from __future__ import annotations

import gzip
import itertools
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from monitor.errors import ConfigError
from monitor.fetch.client import (
    FEED_ACCEPT,
    PAGE_ACCEPT,
    Fetcher,
    classify_exception,
)
from monitor.fetch.hosts import HostBusy, HostGate, HostPaused
from monitor.fetch.rules import MAX_RETRY_AFTER_SECONDS, cache_max_age, parse_retry_after, status_for_http
from monitor.fetch.ssrf import BlockedAddressError, allowed_addresses, is_public_address
from monitor.models import FetchStatus
from monitor.settings.sections import HttpSettings, parse_http_settings
from tests.fault_server import FaultServer, Reply, Route

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def loopback_settings(**overrides: object) -> HttpSettings:
    base: dict[str, object] = {
        "allow_private_addresses": True,
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "total_timeout": 3.0,
        "max_body_bytes": 1_000_000,
        "per_host_min_interval": 0.0,
    }
    base.update(overrides)
    return HttpSettings(**base)  # type: ignore[arg-type]


# --- settings -------------------------------------------------------------------------------------


def test_parse_http_settings_accepts_known_keys_and_keeps_defaults() -> None:
    s = parse_http_settings({"read_timeout": 5, "max_body_bytes": 2048, "allow_private_addresses": True})
    assert s.read_timeout == 5.0 and s.max_body_bytes == 2048 and s.allow_private_addresses is True
    assert s.connect_timeout == HttpSettings().connect_timeout
    assert "monitor/" in s.user_agent


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"read_timeuot": 5}, "http.read_timeuot"),
        ({"read_timeout": "5"}, "http.read_timeout"),
        ({"read_timeout": 0}, "http.read_timeout"),
        ({"max_body_bytes": True}, "http.max_body_bytes"),
        ({"max_body_bytes": 1.5}, "http.max_body_bytes"),
        ({"max_redirects": -1}, "http.max_redirects"),
        ({"allow_private_addresses": "yes"}, "http.allow_private_addresses"),
        ({"user_agent": " "}, "http.user_agent"),
        ({"per_host_concurrency": 0}, "http.per_host_concurrency"),
        ({"per_host_min_interval": -1}, "http.per_host_min_interval"),
        ({"allowed_networks": ["not-a-net"]}, "http.allowed_networks"),
    ],
)
def test_parse_http_settings_rejects_bad_values_with_dotted_key(spec: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_http_settings(spec)
    assert info.value.key == key


# --- pure helpers ----------------------------------------------------------------------------------


def test_status_codes_map_to_temporary_soft_hard() -> None:
    assert status_for_http(200) is FetchStatus.OK
    assert status_for_http(304) is FetchStatus.NOT_MODIFIED
    assert {status_for_http(c) for c in (429, 500, 502, 503, 408)} == {FetchStatus.TEMPORARY}
    assert {status_for_http(c) for c in (400, 401, 403, 404)} == {FetchStatus.SOFT}
    assert status_for_http(410) is FetchStatus.HARD


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    later = (now + timedelta(minutes=5)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(later, now) == pytest.approx(300.0)
    assert parse_retry_after("Mon, 01 Jan 2024 00:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("99999999", now, cap=MAX_RETRY_AFTER_SECONDS) == 86_400.0  # capped at a day
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


def test_cache_max_age() -> None:
    assert cache_max_age({"Cache-Control": "public, max-age=600"}) == 600.0
    assert cache_max_age({"cache-control": "s-maxage=60, max-age=300"}) == 300.0
    assert cache_max_age({"cache-control": "no-cache, max-age=300"}) is None
    assert cache_max_age({}) is None


def test_unknown_exceptions_are_temporary_with_the_type_named() -> None:
    status, error = classify_exception(KeyError("boom"))
    assert status is FetchStatus.TEMPORARY and "KeyError" in error
    assert classify_exception(BlockedAddressError("refused"))[0] is FetchStatus.HARD


def test_address_policy() -> None:
    import ipaddress

    for private in ("127.0.0.1", "10.0.0.5", "192.168.1.1", "169.254.169.254", "::1", "fe80::1", "0.0.0.0"):
        assert not is_public_address(ipaddress.ip_address(private)), private
    assert not is_public_address(ipaddress.ip_address("::ffff:127.0.0.1"))  # IPv4-mapped loopback
    assert is_public_address(ipaddress.ip_address("8.8.8.8"))
    with pytest.raises(BlockedAddressError):
        allowed_addresses("mixed.example", ["8.8.8.8", "10.0.0.1"], allow_private=False)
    assert allowed_addresses("x", ["10.0.0.1"], allow_private=True) == ["10.0.0.1"]


# --- against a real server -------------------------------------------------------------------------


def test_ok_fetch_sends_user_agent_accept_and_reads_gzip() -> None:
    body = FEED * 50
    routes = {"/f": Reply(200, {"Content-Encoding": "gzip", "ETag": '"v1"'}, gzip.compress(body))}
    with FaultServer(routes) as srv, Fetcher(loopback_settings()) as fetcher:
        result = fetcher.fetch(srv.url("/f"))
        page = fetcher.fetch(srv.url("/f"), accept=PAGE_ACCEPT)
    assert result.status is FetchStatus.OK and result.body == body and result.etag == '"v1"'
    assert page.body == body
    first, second = srv.requests
    assert first.headers["user-agent"].startswith("monitor/")
    assert "gzip" in first.headers["accept-encoding"]
    assert first.headers["accept"] == FEED_ACCEPT and second.headers["accept"] == PAGE_ACCEPT


def test_raw_deflate_is_accepted_too() -> None:
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    payload = raw.compress(FEED) + raw.flush()
    routes = {"/f": Reply(200, {"Content-Encoding": "deflate"}, payload)}
    with FaultServer(routes) as srv, Fetcher(loopback_settings()) as fetcher:
        assert fetcher.fetch(srv.url("/f")).body == FEED


def test_conditional_get_304_reads_no_body() -> None:
    def conditional(req: object) -> tuple[int, dict[str, str], bytes]:
        headers = getattr(req, "headers")  # noqa: B009
        if headers.get("if-none-match") == '"v1"':
            # a (wrong) body on a 304 must not be read; the server writes none for 304 anyway
            return (304, {"ETag": '"v1"'}, b"")
        return (200, {"ETag": '"v1"', "Last-Modified": "Mon, 23 Nov 2026 09:00:00 GMT"}, FEED)

    with FaultServer({"/f": conditional}) as srv, Fetcher(loopback_settings()) as fetcher:
        first = fetcher.fetch(srv.url("/f"))
        second = fetcher.fetch(srv.url("/f"), etag=first.etag, last_modified=first.last_modified)
    assert first.status is FetchStatus.OK and first.last_modified
    assert second.status is FetchStatus.NOT_MODIFIED and second.body == b"" and second.error is None
    sent = srv.requests[1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == first.last_modified


def test_redirect_is_followed_and_final_url_recorded() -> None:
    routes = {"/old": (301, {"Location": "/new"}, b""), "/new": (200, {}, FEED)}
    with FaultServer(routes) as srv, Fetcher(loopback_settings()) as fetcher:
        result = fetcher.fetch(srv.url("/old"))
    assert result.status is FetchStatus.OK and result.final_url == srv.url("/new") and result.body == FEED


def test_private_target_refused_when_not_allowed_and_server_never_contacted() -> None:
    with FaultServer({"/f": (200, {}, FEED)}) as srv:
        with Fetcher(loopback_settings(allow_private_addresses=False)) as fetcher:
            result = fetcher.fetch(srv.url("/f"))
        assert result.status is FetchStatus.HARD
        assert "non-public address 127.0.0.1" in (result.error or "")
        assert srv.requests == []


def test_redirect_to_private_address_is_refused_after_the_hop() -> None:
    # The first server stands for a public site (explicitly allowed); it redirects to 127.0.0.2, a
    # loopback address not on the allow list, which must be refused at connect time.
    with FaultServer({"/secret": (200, {}, b"internal")}, host="127.0.0.2") as internal:
        routes = {
            "/feed": (302, {"Location": internal.url("/secret")}, b""),
            "/meta": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        }
        with FaultServer(routes) as public:
            settings = loopback_settings(allow_private_addresses=False, allowed_networks=("127.0.0.1/32",))
            with Fetcher(settings) as fetcher:
                to_internal = fetcher.fetch(public.url("/feed"))
                to_metadata = fetcher.fetch(public.url("/meta"))
        assert to_internal.status is FetchStatus.HARD and "127.0.0.2" in (to_internal.error or "")
        assert to_internal.final_url == internal.url("/secret")
        assert to_metadata.status is FetchStatus.HARD and "169.254.169.254" in (to_metadata.error or "")
        assert internal.requests == []  # never reached
        assert [r.path for r in public.requests] == ["/feed", "/meta"]


def test_unsupported_scheme_is_hard() -> None:
    with Fetcher(loopback_settings()) as fetcher:
        result = fetcher.fetch("file:///etc/passwd")
    assert result.status is FetchStatus.HARD and "scheme" in (result.error or "")


def test_per_host_min_interval_spaces_requests_to_one_host() -> None:
    routes: dict[str, Route] = {"/a": (200, {}, FEED), "/b": (200, {}, FEED)}
    with FaultServer(routes) as srv, Fetcher(loopback_settings(per_host_min_interval=0.3)) as fetcher:
        for path in ("/a", "/b", "/a"):
            assert fetcher.fetch(srv.url(path)).ok
    starts = [r.at for r in srv.requests]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap >= 0.28 for gap in gaps), gaps


def test_per_host_concurrency_limit_holds_under_threads() -> None:
    lock = threading.Lock()
    in_flight = 0
    peak = 0

    def slow(_req: object) -> Reply:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.15)
        with lock:
            in_flight -= 1
        return Reply(200, {}, FEED)

    with FaultServer({"/f": slow}) as srv, Fetcher(loopback_settings(per_host_concurrency=2)) as fetcher:
        threads = [threading.Thread(target=fetcher.fetch, args=(srv.url("/f"),)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(srv.requests) == 6
    assert peak == 2


def test_429_with_retry_after_pauses_that_host_only() -> None:
    with (
        FaultServer({"/f": (429, {"Retry-After": "30"}, b"slow down")}) as busy,
        FaultServer({"/f": (200, {}, FEED)}, host="127.0.0.2") as other,
        Fetcher(loopback_settings()) as fetcher,
    ):
        first = fetcher.fetch(busy.url("/f"))
        again = fetcher.fetch(busy.url("/f"))
        elsewhere = fetcher.fetch(other.url("/f"))
    assert first.status is FetchStatus.TEMPORARY and first.http_status == 429
    assert first.retry_after_seconds == 30.0
    # second request is not sent at all: the host asked for 30 s
    assert again.status is FetchStatus.TEMPORARY and "paused" in (again.error or "")
    assert again.retry_after_seconds is not None and 28 < again.retry_after_seconds <= 30
    assert len(busy.requests) == 1
    assert elsewhere.ok and len(other.requests) == 1


def test_503_without_retry_after_does_not_pause() -> None:
    with FaultServer({"/f": (503, {}, b"")}) as srv, Fetcher(loopback_settings()) as fetcher:
        assert fetcher.fetch(srv.url("/f")).status is FetchStatus.TEMPORARY
        assert fetcher.fetch(srv.url("/f")).http_status == 503
    assert len(srv.requests) == 2


def test_host_gate_with_fake_clock() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    gate = HostGate(concurrency=1, min_interval=2.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        with gate.slot("Example.COM", max_wait=1):
            pass
    assert slept == [2.0, 2.0]
    with gate.slot("other.example", max_wait=1):  # another host is not held back
        pass
    assert slept == [2.0, 2.0]
    gate.pause("example.com", 60)
    with pytest.raises(HostPaused) as info, gate.slot("example.com", max_wait=1):
        pass
    assert info.value.remaining == pytest.approx(60 - 0)  # the fake clock did not move
    now[0] += 61
    with gate.slot("example.com", max_wait=1):
        pass


def test_corrupt_and_truncated_gzip() -> None:
    good = gzip.compress(FEED * 100)
    routes: dict[str, Route] = {
        "/corrupt": Reply(200, {"Content-Encoding": "gzip"}, b"\x1f\x8b" + b"garbage" * 10),
        "/short": Reply(200, {"Content-Encoding": "gzip"}, good[: len(good) // 2]),
        "/brotli": Reply(200, {"Content-Encoding": "br"}, b"xx"),
    }
    with FaultServer(routes) as srv, Fetcher(loopback_settings()) as fetcher:
        corrupt = fetcher.fetch(srv.url("/corrupt"))
        short = fetcher.fetch(srv.url("/short"))
        brotli = fetcher.fetch(srv.url("/brotli"))
    assert corrupt.status is FetchStatus.SOFT and "corrupt gzip" in (corrupt.error or "")
    assert short.status is FetchStatus.TEMPORARY and "ended before" in (short.error or "")
    assert brotli.status is FetchStatus.SOFT and "unsupported Content-Encoding" in (brotli.error or "")


def test_a_host_with_every_slot_taken_reports_busy() -> None:
    gate = HostGate(concurrency=1, min_interval=0)
    with gate.slot("example.com", max_wait=1):
        start = time.monotonic()
        with pytest.raises(HostBusy) as info, gate.slot("example.com", max_wait=0.1):
            pass
        assert 0.09 < time.monotonic() - start < 1
        with gate.slot("other.example", max_wait=0.1):  # other hosts are not held up
            pass
    status, error = classify_exception(info.value)
    assert status is FetchStatus.TEMPORARY and "busy" in error
