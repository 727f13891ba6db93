"""Fault suite: a real local server misbehaves on command; the client and parser keep going, memory stays
bounded, and the reason is recorded. Timeouts are small so the whole suite runs in seconds.
"""

from __future__ import annotations

import random
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import FeedError
from monitor.fetch.client import Fetcher
from monitor.fetch.rules import cache_max_age
from monitor.models import FetchResult, FetchStatus, ParsedFeed
from monitor.parse.feeds import entry_fingerprint, parse_feed
from monitor.schedule.polls import FeedSchedState, PollOutcome, next_poll
from monitor.settings.sections import HttpSettings, ScheduleSettings
from tests.fault_server import FaultServer, LoggedRequest, Reply, Route, RouteValue, gzip_bomb, gzipped

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
ARABIC = (FIXTURES / "arabic_ant_sample.utf8.xml").read_text(encoding="utf-8")
CAP = 1_000_000  # max_body_bytes in these tests
RSS = {"Content-Type": "application/rss+xml"}


def settings(**overrides: object) -> HttpSettings:
    base: dict[str, object] = {
        "allow_private_addresses": True,
        "connect_timeout": 0.5,
        "read_timeout": 0.5,
        "total_timeout": 1.5,
        "max_body_bytes": CAP,
        "max_redirects": 4,
        "per_host_min_interval": 0.0,
        "per_host_concurrency": 4,
    }
    base.update(overrides)
    return HttpSettings(**base)  # type: ignore[arg-type]


@dataclass
class Poll:
    """One poll as the daemon does it: fetch, then parse when there is a body."""

    fetched: FetchResult
    feed: ParsedFeed | None = None
    feed_error: str | None = None

    @property
    def reason(self) -> str:
        return self.feed_error or self.fetched.error or ""


def poll(fetcher: Fetcher, url: str) -> Poll:
    fetched = fetcher.fetch(url)
    if not fetched.ok:
        return Poll(fetched)
    try:
        return Poll(fetched, feed=parse_feed(fetched.body, fetched.headers, fetched.final_url))
    except FeedError as exc:
        return Poll(fetched, feed_error=str(exc))


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(settings()) as f:
        yield f


def peak_memory(action: Callable[[], Poll]) -> tuple[Poll, int]:
    tracemalloc.start()
    try:
        result = action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def settled(entry: LoggedRequest) -> int:
    """bytes_sent once the server thread has noticed the client went away."""
    last = -1
    while last != entry.bytes_sent:
        last = entry.bytes_sent
        time.sleep(0.1)
    return last


# --- the misbehaviours ----------------------------------------------------------------------------


def test_slow_body_is_cut_by_the_total_timeout(fetcher: Fetcher) -> None:
    drip = Reply(200, RSS, ARABIC.encode()[:200], chunk_size=1, chunk_delay=0.05)  # 10 s in total
    with FaultServer({"/slow": drip}) as srv:
        start = time.monotonic()
        result = poll(fetcher, srv.url("/slow"))
        elapsed = time.monotonic() - start
    assert result.fetched.status is FetchStatus.TEMPORARY
    assert "total timeout" in result.reason
    assert elapsed < 1.5 + 0.5 + 0.5  # total + one read timeout + slack


def test_silent_server_hits_the_read_timeout(fetcher: Fetcher) -> None:
    with FaultServer({"/silent": Reply(200, RSS, b"<rss/>", headers_delay=2.0)}) as srv:
        start = time.monotonic()
        result = poll(fetcher, srv.url("/silent"))
    assert result.fetched.status is FetchStatus.TEMPORARY and "timed out" in result.reason
    assert time.monotonic() - start < 1.5


@pytest.mark.parametrize(
    "reply", [Reply(reset=True), Reply(200, RSS, ARABIC.encode(), reset_after_headers=True)]
)
def test_connection_reset(fetcher: Fetcher, reply: Reply) -> None:
    with FaultServer({"/reset": reply}) as srv:
        result = poll(fetcher, srv.url("/reset"))
    assert result.fetched.status is FetchStatus.TEMPORARY
    assert "connection" in result.reason.lower() or "server" in result.reason.lower()


def test_endless_redirect_stops_at_the_limit(fetcher: Fetcher) -> None:
    with FaultServer({"/loop": (302, {"Location": "/loop?again"}, b"")}) as srv:
        result = poll(fetcher, srv.url("/loop"))
    assert result.fetched.status is FetchStatus.SOFT and "more than 4 redirects" in result.reason
    assert len(srv.requests) == 5  # the first request plus 4 redirects followed


def test_a_cookie_set_on_a_redirect_is_sent_to_the_next_hop_and_kept(fetcher: Fetcher) -> None:
    # a consent wall: the page redirects to itself once it has set a cookie, and serves only with it
    def page(entry: LoggedRequest) -> RouteValue:
        if "consent=yes" in entry.headers.get("cookie", ""):
            return 200, RSS, ARABIC.encode()
        return 302, {"Location": "/page", "Set-Cookie": "consent=yes; Path=/"}, b""

    with FaultServer({"/page": page, "/plain": (200, RSS, ARABIC.encode())}) as srv:
        first = poll(fetcher, srv.url("/plain"))  # a response that sets no cookie leaves the jar empty
        assert first.feed is not None and not fetcher._client.cookies
        result = poll(fetcher, srv.url("/page"))
        again = poll(fetcher, srv.url("/page"))
    assert result.feed is not None and len(result.feed.entries) > 0
    assert [r.headers.get("cookie") for r in srv.requests_for("/page")] == [None, "consent=yes", "consent=yes"]
    assert again.fetched.ok


@pytest.mark.parametrize("target", ["http://10.0.0.1/feed", "http://169.254.169.254/", "http://[::1]:9/x"])
def test_redirect_to_a_private_address_is_refused(target: str) -> None:
    with (
        FaultServer({"/feed": (301, {"Location": target}, b"")}) as srv,
        Fetcher(settings(allow_private_addresses=False, allowed_networks=("127.0.0.1/32",))) as f,
    ):
        result = poll(f, srv.url("/feed"))
    assert result.fetched.status is FetchStatus.HARD
    assert "non-public address" in result.reason and result.fetched.final_url == target


def test_100_mb_body_is_cut_off_at_the_cap(fetcher: Fetcher) -> None:
    block = b"<!-- padding -->" * 4096  # 64 KiB
    huge = Reply(200, RSS, block, repeat=1600, content_length=-1)  # 100 MiB, no Content-Length to warn us
    with FaultServer({"/huge": huge}) as srv:
        start = time.monotonic()
        result, peak = peak_memory(lambda: poll(fetcher, srv.url("/huge")))
        elapsed = time.monotonic() - start
        sent = settled(srv.requests[0])
    assert result.fetched.status is FetchStatus.HARD and "max_body_bytes" in result.reason
    assert sent < 16 * 1024 * 1024  # far from 100 MiB: we hung up (kernel buffers hold a few MiB)
    assert peak < 4 * CAP
    assert elapsed < 2


def test_declared_huge_body_is_refused_before_reading(fetcher: Fetcher) -> None:
    huge = Reply(200, RSS, b"x" * 65536, repeat=1600)  # Content-Length: 104857600
    with FaultServer({"/huge": huge}) as srv:
        result = poll(fetcher, srv.url("/huge"))
        sent = settled(srv.requests[0])
    assert result.fetched.status is FetchStatus.HARD and "Content-Length" in result.reason
    assert sent < 16 * 1024 * 1024


def test_gzip_bomb_is_stopped_with_bounded_memory(fetcher: Fetcher) -> None:
    bomb = gzip_bomb(200 * 1024 * 1024)
    assert len(bomb) < CAP  # small on the wire: only the decompressed size can catch it
    with FaultServer({"/bomb": Reply(200, {**RSS, "Content-Encoding": "gzip"}, bomb)}) as srv:
        result, peak = peak_memory(lambda: poll(fetcher, srv.url("/bomb")))
    assert result.fetched.status is FetchStatus.HARD and "decompressed" in result.reason
    assert peak < 4 * CAP


def test_billion_laughs_is_refused_fast_with_bounded_memory(fetcher: Fetcher) -> None:
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    body = f"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{levels}]>
<rss version="2.0"><channel><title>&l9;</title><item><title>&l9;</title></item></channel></rss>""".encode()
    with FaultServer({"/lol": (200, RSS, body)}) as srv:
        start = time.monotonic()
        result, peak = peak_memory(lambda: poll(fetcher, srv.url("/lol")))
    assert result.fetched.ok and result.feed is None and "entities" in (result.feed_error or "")
    assert time.monotonic() - start < 1 and peak < 4 * CAP


def test_truncated_transfer_is_temporary(fetcher: Fetcher) -> None:
    body = ARABIC.encode()
    with FaultServer({"/cut": Reply(200, RSS, body, truncate_at=len(body) // 2)}) as srv:
        result = poll(fetcher, srv.url("/cut"))
    assert result.fetched.status is FetchStatus.TEMPORARY  # Content-Length promised more: try again


def test_truncated_xml_recovers_the_complete_items(fetcher: Fetcher) -> None:
    cut = ARABIC[: ARABIC.index("<item>", ARABIC.index("<item>", ARABIC.index("<item>") + 1) + 1) + 40]
    with FaultServer({"/cut": (200, RSS, cut.encode())}) as srv:
        result = poll(fetcher, srv.url("/cut"))
    assert result.feed is not None and len(result.feed.entries) >= 2
    assert result.feed.warning  # the damage is recorded


def test_wrong_charset_header_still_gives_arabic(fetcher: Fetcher) -> None:
    body = ARABIC.replace(' encoding="utf-8"', "").encode("windows-1256")
    headers = {"Content-Type": "text/xml; charset=iso-8859-1"}
    with FaultServer({"/wrong": (200, headers, body)}) as srv:
        result = poll(fetcher, srv.url("/wrong"))
    reference = parse_feed(ARABIC.encode(), {}, "http://x/")
    assert result.feed is not None
    assert [e.title for e in result.feed.entries] == [e.title for e in reference.entries]
    assert "does not fit" in (result.feed.warning or "")


def test_html_instead_of_feed(fetcher: Fetcher) -> None:
    page = b"<!DOCTYPE html><html><head><title>x</title></head><body>home</body></html>"
    with FaultServer({"/feed": (200, {"Content-Type": "text/html"}, page)}) as srv:
        result = poll(fetcher, srv.url("/feed"))
    assert result.fetched.ok and "HTML" in (result.feed_error or "")


def test_429_with_retry_after_reaches_the_schedule(fetcher: Fetcher) -> None:
    with FaultServer({"/feed": (429, {"Retry-After": "600"}, b"")}) as srv:
        first = poll(fetcher, srv.url("/feed"))
        second = poll(fetcher, srv.url("/feed"))
    assert first.fetched.status is FetchStatus.TEMPORARY and first.fetched.retry_after_seconds == 600
    assert "paused" in second.reason and len(srv.requests) == 1
    outcome = PollOutcome(first.fetched.status, retry_after_seconds=first.fetched.retry_after_seconds)
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    scheduled = next_poll(
        FeedSchedState(items_per_day=500), outcome, now, ScheduleSettings(), random.Random(1)
    )
    assert scheduled.interval.total_seconds() >= 600


def test_500_burst_backs_off_then_recovers(fetcher: Fetcher) -> None:
    failing: RouteValue = (500, {}, b"oops")
    good: RouteValue = (200, {**RSS, "Cache-Control": "max-age=120"}, ARABIC.encode())
    burst = [failing, failing, failing, good]
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    state = FeedSchedState()
    statuses, intervals = [], []
    with FaultServer({"/feed": burst}) as srv:
        for _ in range(4):
            result = poll(fetcher, srv.url("/feed"))
            statuses.append(result.fetched.status)
            outcome = PollOutcome(
                result.fetched.status,
                new_items=len(result.feed.entries) if result.feed else 0,
                max_age_seconds=cache_max_age(result.fetched.headers),
                ttl_minutes=result.feed.ttl_minutes if result.feed else None,
            )
            scheduled = next_poll(state, outcome, now, ScheduleSettings(jitter_fraction=0), random.Random(0))
            state, now = scheduled.state, scheduled.at
            intervals.append(scheduled.interval)
    assert statuses == [FetchStatus.TEMPORARY] * 3 + [FetchStatus.OK]
    assert intervals[0] < intervals[1] < intervals[2]  # exponential backoff
    assert state.consecutive_failures == 0  # recovered, never dropped


def test_same_items_with_new_guids(fetcher: Fetcher) -> None:
    counter = iter(range(1_000_000))

    def churn(_req: LoggedRequest) -> tuple[int, dict[str, str], bytes]:
        serial = next(counter)
        return (
            200,
            RSS,
            ARABIC.replace('<guid isPermaLink="false">', f'<guid isPermaLink="false">{serial}-').encode(),
        )

    with FaultServer({"/feed": churn}) as srv:
        first, second = poll(fetcher, srv.url("/feed")), poll(fetcher, srv.url("/feed"))
    assert first.feed is not None and second.feed is not None
    guids_1, guids_2 = ({e.guid for e in p.entries} for p in (first.feed, second.feed))
    assert guids_1.isdisjoint(guids_2)  # by GUID, everything looks new...
    prints_1 = {entry_fingerprint(e) for e in first.feed.entries}
    new_by_fingerprint = [e for e in second.feed.entries if entry_fingerprint(e) not in prints_1]
    assert new_by_fingerprint == []  # ...by link + title nothing is


@pytest.mark.parametrize(
    "path", sorted(p for p in FIXTURES.rglob("*.xml") if p.parent.name != "legacy"), ids=lambda p: p.name
)
def test_real_feeds_over_http_gzip_never_crash(fetcher: Fetcher, path: Path) -> None:
    body = path.read_bytes()
    with FaultServer(
        {"/f": Reply(200, {"Content-Type": "text/xml", "Content-Encoding": "gzip"}, gzipped(body))}
    ) as srv:
        result = poll(fetcher, srv.url("/f"))
    assert result.fetched.ok and result.fetched.body == body
    assert result.feed is not None or result.feed_error


def test_the_client_keeps_going_under_concurrent_faults() -> None:
    """All the faults at once from worker threads on one Fetcher; then a good feed is still fetched."""
    routes: dict[str, Route] = {
        "/slow": Reply(200, RSS, b"x" * 100, chunk_size=1, chunk_delay=0.05),
        "/reset": Reply(reset=True),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/huge": Reply(200, RSS, b"x" * 65536, repeat=1600, content_length=-1),
        "/bomb": Reply(200, {"Content-Encoding": "gzip"}, gzip_bomb(50 * 1024 * 1024)),
        "/500": (500, {}, b""),
        "/html": (200, {"Content-Type": "text/html"}, b"<html><body>x</body></html>"),
        "/ok": (200, RSS, ARABIC.encode()),
    }
    results: dict[str, Poll] = {}
    with FaultServer(routes) as srv, Fetcher(settings(per_host_concurrency=8)) as f:

        def run(path: str) -> None:
            results[path] = poll(f, srv.url(path))

        threads = [threading.Thread(target=run, args=(p,)) for p in routes]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
        after = poll(f, srv.url("/ok"))
    assert set(results) == set(routes)
    assert all(results[p].reason for p in routes if p != "/ok")  # every failure says why
    assert results["/ok"].feed is not None and after.feed is not None and len(after.feed.entries) == 6
